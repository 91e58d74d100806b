/* dmf jobs check|sweep: job files without running them.  check reads a job
 * file and checks every job as dmf run does before its first job; sweep
 * writes the job file of one command over the cartesian product of option
 * values, checked the same way.  Both read the command table (options/). */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_args.h"
#include "jobs_commands.h"

static const char help_group[] =
    "usage: dmf jobs check JOBS.json\n"
    "       dmf jobs sweep COMMAND [--OPTION V,V,...]... [--id-prefix P] > JOBS.json\n"
    "\n"
    "  check   checks a job file as 'dmf run' does before its first job, and\n"
    "          runs nothing\n"
    "  sweep   writes the job file of COMMAND over every combination of the\n"
    "          option values given\n"
    "\n"
    "'dmf jobs check --help' and 'dmf jobs sweep --help' describe each.\n";


static const char help_sweep[] =
    "usage: dmf jobs sweep COMMAND [--OPTION V,V,...]... [--id-prefix P] > JOBS.json\n"
    "\n"
    "Writes to stdout a job file for 'dmf run' with one job of COMMAND per\n"
    "combination of the values given (the cartesian product, the last option\n"
    "varying fastest), e.g.\n"
    "  dmf jobs sweep butterfly factor --matrix dft-bitrev,hadamard \\\n"
    "      --size 256,1024 --tree balanced,l2r --dtype c128 > jobs.json\n"
    "gives 8 jobs.  COMMAND is one that a job runs (see below); its options\n"
    "are those of the job file, each value checked before anything is written\n"
    "(exit 2 naming the option and the values it takes), and then every job\n"
    "as 'dmf run' checks it.\n"
    "\n"
    "Values: commas separate alternatives; an option that takes a list itself\n"
    "(radix-m, latent, a nested-list tree, ...) takes its value whole, and is\n"
    "repeated for more: --radix-m 2,2 --radix-m 4.  A repeated option adds to\n"
    "its alternatives.  A flag alone is set in every job; --FLAG=false,true\n"
    "gives jobs without and with it.  {NAME} in a value is replaced by the\n"
    "job's value of --NAME, {id} by its id: outputs must differ from job to\n"
    "job, e.g. --out 'factors/{matrix}-{size}-{tree}'.\n"
    "\n"
    "Ids: P (--id-prefix, default none) then NAME=VALUE for each option given,\n"
    "in the order given, joined by ',' (a flag that is set: NAME; outputs\n"
    "left out): matrix=dft-bitrev,size=256,tree=balanced,dtype=c128.  A job\n"
    "keeps its id when values are added to the sweep, so a rerun of 'dmf run'\n"
    "on the grown file runs only the new jobs.\n"
    "\n"
    "'dmf jobs sweep COMMAND --help' lists the options of COMMAND.  At most\n"
    "100000 jobs.  Exit 0, or 2 for bad usage or a value that is not valid.\n"
    "Commands:\n";

enum { MAX_SWEEP_JOBS = 100000 };

static int check(int argc, char **argv)
{
    cli_args args;
    int parsed = cli_parse_args("jobs check", argc, argv, &args);
    if (parsed != EXIT_OK) return parsed == CLI_HELP_SHOWN ? EXIT_OK : parsed;
    dmf_job_list *list = NULL;
    if (dmf_jobs_read(cli_get(&args, "jobs"), &list) != DMF_OK) {
        fprintf(stderr, "dmf jobs check: %s\n", dmf_last_error());
        return EXIT_BAD_INPUT;
    }
    int code = jobs_check_all(list, "jobs check");
    if (code == EXIT_OK) {
        size_t num_commands;
        const cli_command *const *commands = jobs_commands(&num_commands);
        json_line j;
        json_begin(&j);
        json_str(&j, "command", "jobs check");
        json_str(&j, "file", list->path);
        json_int(&j, "jobs", (long long)list->count);
        json_key(&j, "commands");
        fputc('{', j.out);
        int first = 1;
        for (size_t k = 0; k < num_commands; k++) {
            size_t n = 0;
            for (size_t i = 0; i < list->count; i++) n += !strcmp(list->jobs[i].command, commands[k]->name);
            if (!n) continue;
            fputs(first ? "" : ", ", j.out);
            json_write_string(j.out, commands[k]->name);
            fprintf(j.out, ": %zu", n);
            first = 0;
        }
        fputc('}', j.out);
        json_end(&j);
    }
    dmf_jobs_free(list);
    return code;
}

/* ---- sweep ------------------------------------------------------------------ */

typedef struct {
    const cli_option *option;
    char **values; /* "true"/"false" for a flag */
    size_t count;
} axis;

typedef struct {
    axis *axes;
    size_t num_axes;
    char **texts; /* the jobs' JSON lines */
    size_t num_texts;
} sweep_state;

static void free_sweep(sweep_state *s)
{
    for (size_t a = 0; a < s->num_axes; a++) {
        for (size_t v = 0; v < s->axes[a].count; v++) free(s->axes[a].values[v]);
        free(s->axes[a].values);
    }
    free(s->axes);
    for (size_t k = 0; k < s->num_texts; k++) free(s->texts[k]);
    free(s->texts);
}

static int out_of_memory(void)
{
    fprintf(stderr, "dmf jobs sweep: out of memory\n");
    return EXIT_BAD_INPUT;
}

static int add_value(axis *ax, const char *text, size_t len)
{
    char **grown = realloc(ax->values, (ax->count + 1) * sizeof *grown);
    if (!grown) return -1;
    ax->values = grown;
    char *v = malloc(len + 1);
    if (!v) return -1;
    memcpy(v, text, len);
    v[len] = '\0';
    ax->values[ax->count++] = v;
    return 0;
}

/* One --NAME VALUE of the command line into its axis: split at commas
 * unless the option takes them, each alternative checked. */
static int take_values(axis *ax, const char *arg)
{
    const cli_option *o = ax->option;
    char why[1024];
    if (!arg) arg = "true"; /* a flag alone */
    for (const unsigned char *p = (const unsigned char *)arg; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return cli_usage_error("jobs sweep", "--%s: a value holds a control character (0x%02x)", o->name, *p);
    int whole = o->kind != ARG_FLAG && cli_value_has_commas(o, arg);
    for (const char *p = arg;;) {
        size_t len = whole ? strlen(p) : strcspn(p, ",");
        size_t first = ax->count;
        if (add_value(ax, p, len)) return out_of_memory();
        const char *v = ax->values[first];
        if (o->kind == ARG_FLAG && strcmp(v, "true") && strcmp(v, "false"))
            return cli_usage_error("jobs sweep", "--%s is a flag: give it alone, or --%s=false,true", o->name,
                                   o->name);
        /* A value with a {NAME} is checked once NAME is put in. */
        if (o->kind != ARG_FLAG && !strchr(v, '{') && cli_check_value(o, v, ".", why, sizeof why))
            return cli_usage_error("jobs sweep", "--%s: %s", o->name, why);
        for (size_t k = 0; k < first; k++)
            if (!strcmp(ax->values[k], v))
                return cli_usage_error("jobs sweep", "--%s gives '%s' twice", o->name, v);
        p += len;
        if (!*p) break;
        p++; /* the comma */
    }
    return EXIT_OK;
}

/* `value` with every {NAME} replaced by the job's value of axis NAME and
 * {id} by its id; NULL with a message when NAME is not an axis. */
static char *fill_in(const sweep_state *s, const size_t *pick, const char *value, const char *id, int *bad)
{
    size_t cap = strlen(value) + 1, len = 0;
    char *out = malloc(cap);
    *bad = 0;
    for (const char *p = value; out && *p;) {
        const char *close = *p == '{' ? strchr(p, '}') : NULL;
        const char *piece = p;
        size_t n = 1;
        if (close) {
            size_t name_len = (size_t)(close - p - 1);
            piece = NULL;
            if (name_len == 2 && !strncmp(p + 1, "id", 2)) piece = id;
            for (size_t a = 0; !piece && a < s->num_axes; a++)
                if (strlen(s->axes[a].option->name) == name_len && !strncmp(p + 1, s->axes[a].option->name, name_len) &&
                    s->axes[a].option->kind != ARG_FLAG)
                    piece = s->axes[a].values[pick[a]];
            if (!piece) {
                cli_usage_error("jobs sweep", "'%s': {%.*s} is not an option of the sweep (write {NAME} for an "
                                "option given with values, or {id})", value, (int)name_len, p + 1);
                free(out);
                *bad = 1;
                return NULL;
            }
            n = strlen(piece);
            p = close + 1;
        } else {
            p++;
        }
        if (len + n + 1 > cap) {
            cap = 2 * (len + n + 1);
            char *grown = realloc(out, cap);
            if (!grown) free(out);
            out = grown;
            if (!out) break;
        }
        memcpy(out + len, piece, n);
        len += n;
    }
    if (out) out[len] = '\0';
    return out;
}

/* A canonical integer below 2^53 becomes a JSON number; anything else a string. */
static void add_value_json(cJSON *args, const cli_option *o, const char *v)
{
    size_t n = strlen(v);
    int integer = (o->type == V_COUNT || o->type == V_SEED || o->type == V_DIMS) && n > 0 && n <= 15 &&
                  strspn(v, "0123456789") == n && (v[0] != '0' || n == 1);
    if (integer) cJSON_AddNumberToObject(args, o->name, strtod(v, NULL));
    else cJSON_AddStringToObject(args, o->name, v);
}

/* The words of the command line, quoted for a shell where needed. */
static char *describe(int argc, char **argv)
{
    size_t cap = 64;
    for (int k = 0; k < argc; k++) cap += 4 * strlen(argv[k]) + 3;
    char *text = malloc(cap), *p = text;
    if (!text) return NULL;
    p += sprintf(p, "dmf jobs");
    for (int k = 0; k < argc; k++) {
        const char *w = argv[k];
        int plain = w[0] && strspn(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./,=:+@%-") ==
                                strlen(w);
        *p++ = ' ';
        if (plain) {
            p += sprintf(p, "%s", w);
            continue;
        }
        *p++ = '\'';
        for (; *w; w++) p += *w == '\'' ? sprintf(p, "'\\''") : sprintf(p, "%c", *w);
        *p++ = '\'';
    }
    *p = '\0';
    return text;
}

static int compare_text(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The job of grid point `pick`: its id, args and command into `job` (for
 * jobs_check) and its JSON line into *line. */
static int make_job(const sweep_state *s, const cli_command *c, const size_t *pick, const char *prefix,
                    size_t index, char **outputs, char **line)
{
    char why[2048];
    int code = EXIT_OK, bad = 0;
    *line = NULL;
    /* The id: prefix, then NAME=VALUE or NAME per axis, outputs left out. */
    size_t cap = strlen(prefix) + 1;
    for (size_t a = 0; a < s->num_axes; a++) cap += strlen(s->axes[a].option->name) + strlen(s->axes[a].values[pick[a]]) + 2;
    char *id = malloc(cap + 8);
    if (!id) return out_of_memory();
    size_t used = (size_t)sprintf(id, "%s", prefix);
    for (size_t a = 0; a < s->num_axes; a++) {
        const cli_option *o = s->axes[a].option;
        const char *v = s->axes[a].values[pick[a]];
        /* An output follows from the other values, unless it is swept itself. */
        if ((o->type == V_OUTPUT && s->axes[a].count == 1) || (o->kind == ARG_FLAG && !strcmp(v, "false")))
            continue;
        if (used > strlen(prefix)) id[used++] = ',';
        used += (size_t)(o->kind == ARG_FLAG ? sprintf(id + used, "%s", o->name) : sprintf(id + used, "%s=%s", o->name, v));
    }
    if (!id[0]) strcpy(id, "job");

    dmf_job job = {id, (char *)c->name, calloc(s->num_axes + 1, sizeof(dmf_job_arg)), 0};
    cJSON *obj = cJSON_CreateObject(), *args = obj ? cJSON_CreateObject() : NULL;
    if (!job.args || !args) code = out_of_memory();
    if (code == EXIT_OK) {
        cJSON_AddStringToObject(obj, "id", id);
        cJSON_AddStringToObject(obj, "command", c->name);
        cJSON_AddItemToObject(obj, "args", args);
    } else {
        cJSON_Delete(args);
    }
    size_t num_outputs = 0;
    for (size_t a = 0; code == EXIT_OK && a < s->num_axes; a++) {
        const cli_option *o = s->axes[a].option;
        const char *v = s->axes[a].values[pick[a]];
        dmf_job_arg *arg = &job.args[job.num_args];
        arg->name = (char *)o->name;
        if (o->kind == ARG_FLAG) {
            if (!strcmp(v, "false")) continue;
            arg->kind = DMF_JOB_TRUE;
            cJSON_AddTrueToObject(args, o->name);
            job.num_args++;
            continue;
        }
        arg->kind = DMF_JOB_VALUE;
        arg->value = strchr(v, '{') ? fill_in(s, pick, v, id, &bad) : strdup(v);
        if (!arg->value) {
            code = bad ? EXIT_USAGE : out_of_memory();
            break;
        }
        job.num_args++;
        if (strchr(v, '{') && cli_check_value(o, arg->value, ".", why, sizeof why)) {
            code = cli_usage_error("jobs sweep", "--%s '%s' gives %s", o->name, v, why);
            break;
        }
        if (o->type == V_OUTPUT) {
            size_t n = strlen(o->name) + strlen(arg->value) + 2;
            outputs[num_outputs] = malloc(n);
            if (!outputs[num_outputs]) {
                code = out_of_memory();
                break;
            }
            snprintf(outputs[num_outputs++], n, "%s\n%s", o->name, arg->value);
        }
        add_value_json(args, o, arg->value);
    }
    if (code == EXIT_OK && jobs_check(&job, index, ".", why, sizeof why) != EXIT_OK)
        code = cli_usage_error("jobs sweep", "%s", why);
    if (code == EXIT_OK) {
        *line = cJSON_PrintUnformatted(obj);
        if (!*line) code = out_of_memory();
    }
    for (size_t k = 0; job.args && k < job.num_args; k++) free(job.args[k].value);
    free(job.args);
    cJSON_Delete(obj);
    free(id);
    return code;
}

/* Outputs ("NAME\nVALUE", num_outputs per job) that two jobs share. */
static int check_outputs(char **outputs, size_t count)
{
    qsort(outputs, count, sizeof *outputs, compare_text);
    for (size_t k = 1; k < count; k++)
        if (!strcmp(outputs[k - 1], outputs[k])) {
            char *nl = strchr(outputs[k], '\n');
            *nl = '\0';
            return cli_usage_error("jobs sweep", "several jobs would write --%s '%s': put the options that vary "
                                   "in it, e.g. --%s 'results/{id}' or --%s 'out/{size}-{tree}'",
                                   outputs[k], nl + 1, outputs[k], outputs[k]);
        }
    return EXIT_OK;
}

static int sweep(int argc, char **argv)
{
    size_t num_commands;
    const cli_command *const *commands = jobs_commands(&num_commands);
    const cli_command *c = NULL;
    size_t words = 0;
    if (argc >= 3) {
        char two[128];
        snprintf(two, sizeof two, "%s %s", argv[1], argv[2]);
        if ((c = jobs_find_command(two))) words = 2;
    }
    if (!c && argc >= 2 && (c = jobs_find_command(argv[1]))) words = 1;
    if (!c) {
        if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
            fputs(help_sweep, argc < 2 ? stderr : stdout);
            jobs_print_commands(argc < 2 ? stderr : stdout);
            return argc < 2 ? EXIT_USAGE : EXIT_OK;
        }
        const char *names[32];
        size_t n = 0;
        for (; n < num_commands && n + 1 < sizeof names / sizeof *names; n++) names[n] = commands[n]->name;
        names[n] = NULL;
        char want[128], hint[256];
        snprintf(want, sizeof want, "%s%s%s", argv[1], argc >= 3 && argv[2][0] != '-' ? " " : "",
                 argc >= 3 && argv[2][0] != '-' ? argv[2] : "");
        return cli_usage_error("jobs sweep", "unknown command '%s'%s; a job runs one of the commands that 'dmf "
                               "jobs sweep --help' lists", want,
                               cli_did_you_mean(hint, sizeof hint, want, strlen(want), names, ""));
    }
    /* getopt's table from the job table: every option of the command, a
     * flag with an optional =false,true. */
    size_t num_options = 0;
    while (c->options[num_options].name) num_options++;
    struct option *opts = calloc(num_options + 3, sizeof *opts);
    sweep_state s = {calloc(num_options + 1, sizeof(axis)), 0, NULL, 0};
    const char *prefix = "";
    char *description = NULL;
    char **outputs = NULL;
    size_t *pick = calloc(num_options + 1, sizeof *pick);
    int code = opts && s.axes && pick ? EXIT_OK : out_of_memory();
    size_t num_opts = 0; /* the options a job may give: not --mpi and the like */
    for (size_t k = 0; code == EXIT_OK && k < num_options; k++)
        if (!(c->options[k].flags & OPT_NO_JOBS))
            opts[num_opts++] = (struct option){c->options[k].name,
                                               c->options[k].kind == ARG_FLAG ? optional_argument : required_argument,
                                               0, 256 + (int)k};
    if (code == EXIT_OK) {
        opts[num_opts] = (struct option){"id-prefix", required_argument, 0, 'i'};
        opts[num_opts + 1] = (struct option){"help", no_argument, 0, 'h'};
    }
    /* getopt's argv[0] is the command's last word. */
    int sub_argc = argc - (int)words;
    char **sub_argv = argv + words;
    optind = 0;
    int opt;
    while (code == EXIT_OK && (opt = cli_getopt("jobs sweep", sub_argc, sub_argv, opts)) != -1) {
        if (opt == 'h') {
            printf("usage: dmf jobs sweep %s [--OPTION V,V,...]... [--id-prefix P]\n\n"
                   "Options of '%s' jobs, with the values each takes.\n"
                   "'dmf jobs sweep --help' describes sweeps and ids, 'dmf %s --help'\n"
                   "the options.\n",
                   c->name, c->name, c->name);
            jobs_print_options(stdout, c);
            code = -1;
        } else if (opt == 'i') {
            prefix = optarg;
            for (const unsigned char *p = (const unsigned char *)prefix; *p && code == EXIT_OK; p++)
                if (*p < 0x20 || *p == 0x7f)
                    code = cli_usage_error("jobs sweep", "--id-prefix holds a control character (0x%02x)", *p);
        } else if (opt >= 256 && opt < 256 + (int)num_options) {
            const cli_option *o = &c->options[opt - 256];
            size_t a = 0;
            while (a < s.num_axes && s.axes[a].option != o) a++;
            if (a == s.num_axes) s.axes[s.num_axes++].option = o;
            code = take_values(&s.axes[a], optarg);
        } else {
            code = EXIT_USAGE; /* cli_getopt has said why */
        }
    }
    if (code == EXIT_OK && optind < sub_argc)
        code = cli_usage_error("jobs sweep", "unexpected argument '%s'%s", sub_argv[optind],
                               strcmp(sub_argv[optind], "false") && strcmp(sub_argv[optind], "true")
                                   ? ""
                                   : " (a flag takes its values after '=': --FLAG=false,true)");
    size_t total = 1;
    for (size_t a = 0; code == EXIT_OK && a < s.num_axes; a++) {
        total *= s.axes[a].count;
        if (total > MAX_SWEEP_JOBS)
            code = cli_usage_error("jobs sweep", "the grid has more than %d jobs: split it into several sweeps",
                                   MAX_SWEEP_JOBS);
    }
    size_t num_outputs = 0;
    for (size_t a = 0; a < s.num_axes; a++) num_outputs += s.axes[a].option->type == V_OUTPUT;
    if (code == EXIT_OK) {
        s.texts = calloc(total, sizeof *s.texts);
        outputs = calloc(total * num_outputs + 1, sizeof *outputs);
        description = describe(argc, argv);
        if (!s.texts || !outputs || !description) code = out_of_memory();
    }
    /* The grid, the last axis fastest. */
    for (size_t j = 0; code == EXIT_OK && j < total; j++) {
        size_t rest = j;
        for (size_t a = s.num_axes; a-- > 0;) {
            pick[a] = rest % s.axes[a].count;
            rest /= s.axes[a].count;
        }
        code = make_job(&s, c, pick, prefix, j, outputs + j * num_outputs, &s.texts[j]);
        if (code == EXIT_OK) s.num_texts++;
    }
    if (code == EXIT_OK && total > 1 && num_outputs) code = check_outputs(outputs, total * num_outputs);
    char *text = NULL;
    if (code == EXIT_OK) {
        /* The file as 'dmf run' reads it, one job per line. */
        cJSON *d = cJSON_CreateString(description);
        char *dtext = d ? cJSON_PrintUnformatted(d) : NULL;
        cJSON_Delete(d);
        size_t len = (dtext ? strlen(dtext) : 0) + 64;
        for (size_t j = 0; j < total; j++) len += strlen(s.texts[j]) + 5;
        text = dtext ? malloc(len) : NULL;
        if (text) {
            size_t used = (size_t)sprintf(text, "{\"description\": %s,\n \"jobs\": [\n", dtext);
            for (size_t j = 0; j < total; j++)
                used += (size_t)sprintf(text + used, "  %s%s\n", s.texts[j], j + 1 < total ? "," : "");
            sprintf(text + used, " ]}\n");
        } else {
            code = out_of_memory();
        }
        cJSON_free(dtext);
    }
    if (code == EXIT_OK) {
        /* Read back by the reader of 'dmf run': unique ids, the shape. */
        dmf_job_list *list = NULL;
        if (dmf_jobs_parse(text, "the sweep", &list) != DMF_OK)
            code = cli_usage_error("jobs sweep", "%s", dmf_last_error());
        dmf_jobs_free(list);
    }
    if (code == EXIT_OK) {
        fputs(text, stdout);
        fflush(stdout);
        if (ferror(stdout)) {
            fprintf(stderr, "dmf jobs sweep: cannot write the job file to stdout\n");
            code = EXIT_BAD_INPUT;
        } else {
            fprintf(stderr, "dmf jobs sweep: %zu job(s) of '%s'\n", total, c->name);
        }
    }
    free(text);
    for (size_t k = 0; outputs && k < total * num_outputs; k++) free(outputs[k]);
    free(outputs);
    free(description);
    free(pick);
    free(opts);
    free_sweep(&s);
    return code < 0 ? EXIT_OK : code;
}

int cmd_jobs(int argc, char **argv)
{
    if (argc < 2) {
        fputs(help_group, stderr);
        return EXIT_USAGE;
    }
    const char *sub = argv[1];
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
        fputs(help_group, stdout);
        return EXIT_OK;
    }
    if (!strcmp(sub, "check")) return check(argc - 1, argv + 1);
    if (!strcmp(sub, "sweep")) return sweep(argc - 1, argv + 1);
    static const char *const subs[] = {"check", "sweep", NULL};
    char hint[256];
    fprintf(stderr, "dmf jobs: unknown subcommand '%s'%s\n\n%s", sub,
            cli_did_you_mean(hint, sizeof hint, sub, strlen(sub), subs, ""), help_group);
    return EXIT_USAGE;
}
