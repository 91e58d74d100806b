/* What a job may run: the commands of the table (options/) that a job
 * file may name, checked before any job starts so that a typo in job 900
 * does not surface after hours of work, and the command line of a job.
 * The checks are the command line's own (the same table, value checks and
 * rules). */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "jobs_commands.h"

const cli_command *const *jobs_commands(size_t *count)
{
    static const cli_command *list[32];
    static size_t n;
    if (!n) {
        size_t all;
        const cli_command *const *c = cli_commands(&all);
        for (size_t k = 0; k < all && n < sizeof list / sizeof *list; k++)
            if (c[k]->in_jobs) list[n++] = c[k];
    }
    *count = n;
    return list;
}

const cli_command *jobs_find_command(const char *name)
{
    const cli_command *c = cli_find_command(name);
    return c && c->in_jobs ? c : NULL;
}

const cli_option *jobs_find_option(const cli_command *c, const char *name)
{
    const cli_option *o = cli_find_option(c, name);
    return o && !(o->flags & OPT_NO_JOBS) ? o : NULL;
}

/* The value of option `name` in a job, or NULL (not given, or a flag). */
static const char *value_of(const dmf_job *job, const char *name)
{
    const dmf_job_arg *a = dmf_job_get_arg(job, name);
    return a && a->kind == DMF_JOB_VALUE ? a->value : NULL;
}

/* The option names of one command (c) or of all of them (c NULL), each
 * once, NULL-terminated, for "did you mean". */
static void option_names(const cli_command *c, const char **names, size_t cap)
{
    size_t n = 0, num_commands;
    const cli_command *const *commands = jobs_commands(&num_commands);
    for (size_t k = 0; k < num_commands; k++) {
        if (c && commands[k] != c) continue;
        for (const cli_option *o = commands[k]->options; o->name; o++) {
            if (o->flags & OPT_NO_JOBS) continue;
            int seen = 0;
            for (size_t i = 0; i < n; i++) seen |= !strcmp(names[i], o->name);
            if (!seen && n + 1 < cap) names[n++] = o->name;
        }
    }
    names[n] = NULL;
}

int jobs_check(const dmf_job *job, size_t index, const char *dir, char *why, size_t cap)
{
    char where[320], hint[256], detail[1024];
    const char *names[128];
    snprintf(where, sizeof where, "job %zu (id '%s')", index, job->id);
    size_t num_commands;
    const cli_command *const *commands = jobs_commands(&num_commands);
    const cli_command *c = jobs_find_command(job->command);
    if (!c) {
        const char *command_names[33];
        for (size_t k = 0; k < num_commands; k++) command_names[k] = commands[k]->name;
        command_names[num_commands] = NULL;
        size_t used = (size_t)snprintf(why, cap, "%s: unknown command '%s'%s; a job runs one of:", where,
                                       job->command, cli_did_you_mean(hint, sizeof hint, job->command,
                                                                      strlen(job->command), command_names, ""));
        for (size_t k = 0; k < num_commands && used < cap; k++)
            used += (size_t)snprintf(why + used, cap - used, "%s '%s'", k ? "," : "", commands[k]->name);
        return EXIT_BAD_INPUT;
    }
    cli_args args;
    cli_args_init(&args, c);
    args.job = 1;
    for (size_t k = 0; k < job->num_args; k++) {
        const dmf_job_arg *a = &job->args[k];
        const cli_option *o = jobs_find_option(c, a->name);
        const char *problem = NULL;
        if (!o && a->from_defaults) {
            /* "defaults" serve jobs of several commands: an option goes to
             * those that take it, but must be one that some command takes. */
            option_names(NULL, names, sizeof names / sizeof *names);
            int anywhere = 0;
            for (size_t i = 0; names[i]; i++) anywhere |= !strcmp(names[i], a->name);
            if (anywhere) continue;
            snprintf(why, cap, "\"defaults\": '%s' is not an option of any job command%s (see 'dmf run --help')",
                     a->name, cli_did_you_mean(hint, sizeof hint, a->name, strlen(a->name), names, ""));
            return EXIT_BAD_INPUT;
        }
        if (!o) {
            option_names(c, names, sizeof names / sizeof *names);
            snprintf(why, cap, "%s: '%s' is not an option of '%s'%s (see 'dmf %s --help' and 'dmf run --help')",
                     where, a->name, c->name, cli_did_you_mean(hint, sizeof hint, a->name, strlen(a->name), names, ""),
                     c->name);
            return EXIT_BAD_INPUT;
        }
        if (o->kind == ARG_FLAG && a->kind == DMF_JOB_VALUE) problem = "is a flag (give true or false) of";
        else if (o->kind != ARG_FLAG && a->kind != DMF_JOB_VALUE) problem = "takes a value, not true/false, in";
        if (problem) {
            snprintf(why, cap, "%s: '%s' %s '%s' (see 'dmf %s --help' and 'dmf run --help')", where, a->name,
                     problem, c->name, c->name);
            return EXIT_BAD_INPUT;
        }
        if (a->kind == DMF_JOB_VALUE && cli_check_value(o, a->value, dir, detail, sizeof detail)) {
            snprintf(why, cap, "%s: \"%s\"%s: %s", where, a->name, a->from_defaults ? " (from \"defaults\")" : "",
                     detail);
            return EXIT_BAD_INPUT;
        }
        /* false leaves a flag out, as the command line would not have it. */
        if (a->kind != DMF_JOB_FALSE) {
            int at = cli_option_index(c, a->name);
            args.value[at] = a->kind == DMF_JOB_VALUE ? a->value : NULL;
            args.set[at] = 1;
        }
    }
    if (cli_args_check(&args, detail, sizeof detail)) {
        snprintf(why, cap, "%s: %s", where, detail);
        return EXIT_BAD_INPUT;
    }
    return EXIT_OK;
}

int jobs_check_all(const dmf_job_list *list, const char *prog)
{
    enum { MAX_SHOWN = 10 };
    char why[2048], last[2048] = "";
    size_t bad = 0, shown_count = 0, hidden = 0;
    for (size_t j = 0; j < list->count; j++) {
        if (jobs_check(&list->jobs[j], j, list->dir, why, sizeof why) == EXIT_OK) continue;
        bad++;
        /* A bad "defaults" entry is the same message for every job: once. */
        if (!strcmp(why, last)) continue;
        if (shown_count >= MAX_SHOWN) {
            hidden++;
            continue;
        }
        fprintf(stderr, "dmf %s: %s: %s\n", prog, list->path, why);
        snprintf(last, sizeof last, "%s", why);
        shown_count++;
    }
    if (bad > 1)
        fprintf(stderr, "dmf %s: %s: %zu of %zu jobs are not valid%s\n", prog, list->path, bad, list->count,
                hidden ? " (the first problems are shown)" : "");
    return bad ? EXIT_BAD_INPUT : EXIT_OK;
}

/* "--name=value", "--name" (value NULL) or the value alone (name NULL). */
static char *make_word(const char *name, const char *value)
{
    size_t n = (name ? strlen(name) + 2 : 0) + (name && value ? 1 : 0) + (value ? strlen(value) : 0);
    char *w = malloc(n + 1);
    if (!w) return NULL;
    w[0] = '\0';
    if (name) {
        strcat(w, "--");
        strcat(w, name);
        if (value) strcat(w, "=");
    }
    if (value) strcat(w, value);
    return w;
}

int jobs_build_argv(const dmf_job *job, size_t index, const char *backend, const char *origin, char ***out)
{
    *out = NULL;
    /* Tree files named by a bare word are looked for beside the job file. */
    char dir[4096], why[2048];
    const char *slash = strrchr(origin, '/');
    if (!slash) snprintf(dir, sizeof dir, ".");
    else snprintf(dir, sizeof dir, "%.*s", slash == origin ? 1 : (int)(slash - origin), origin);
    if (jobs_check(job, index, dir, why, sizeof why) != EXIT_OK) {
        fprintf(stderr, "dmf run: %s: %s\n", origin, why);
        return EXIT_BAD_INPUT;
    }
    const cli_command *c = jobs_find_command(job->command);
    const char *positional_name = NULL, *positional = NULL;
    for (const cli_option *o = c->options; o->name; o++)
        if (o->kind == ARG_POSITIONAL) positional_name = o->name;
    if (positional_name) positional = value_of(job, positional_name);
    int add_backend = backend && jobs_find_option(c, "backend") && !dmf_job_get_arg(job, "backend");
    /* 'butterfly factor' needs --out or --no-out; a job without "out" keeps
     * its results line only, as it always did. */
    const dmf_job_arg *out_arg = dmf_job_get_arg(job, "out"), *no_out_arg = dmf_job_get_arg(job, "no-out");
    int add_no_out = jobs_find_option(c, "no-out") && (!out_arg || out_arg->kind == DMF_JOB_FALSE) &&
                     (!no_out_arg || no_out_arg->kind == DMF_JOB_FALSE);
    char **argv = calloc(job->num_args + 8, sizeof *argv);
    size_t n = 0;
    int failed = !argv || !(argv[n++] = make_word(NULL, "dmf"));
    char words[64];
    snprintf(words, sizeof words, "%s", c->name);
    for (char *w = strtok(words, " "); w && !failed; w = strtok(NULL, " "))
        failed = !(argv[n++] = make_word(NULL, w));
    for (size_t k = 0; k < job->num_args && !failed; k++) {
        const dmf_job_arg *a = &job->args[k];
        if (a->kind == DMF_JOB_FALSE || !jobs_find_option(c, a->name) ||
            !strcmp(a->name, positional_name ? positional_name : ""))
            continue;
        failed = !(argv[n++] = make_word(a->name, a->kind == DMF_JOB_VALUE ? a->value : NULL));
    }
    if (!failed && add_backend) failed = !(argv[n++] = make_word("backend", backend));
    if (!failed && add_no_out) failed = !(argv[n++] = make_word("no-out", NULL));
    if (!failed && positional) {
        /* After "--" a path that starts with '-' is not taken for an option. */
        if (positional[0] == '-') failed = !(argv[n++] = make_word(NULL, "--"));
        if (!failed) failed = !(argv[n++] = make_word(NULL, positional));
    }
    if (failed) {
        jobs_free_argv(argv);
        fprintf(stderr, "dmf run: out of memory\n");
        return EXIT_BAD_INPUT;
    }
    *out = argv;
    return EXIT_OK;
}

void jobs_free_argv(char **argv)
{
    for (size_t k = 0; argv && argv[k]; k++) free(argv[k]);
    free(argv);
}

void jobs_print_commands(FILE *out)
{
    size_t num_commands;
    const cli_command *const *commands = jobs_commands(&num_commands);
    for (size_t k = 0; k < num_commands; k++) {
        fprintf(out, "  %-17s", commands[k]->name);
        size_t col = 19;
        for (const cli_option *o = commands[k]->options; o->name; o++) {
            if (o->flags & OPT_NO_JOBS) continue;
            const char *suffix = o->kind == ARG_FLAG ? " (flag)" : o->kind == ARG_POSITIONAL ? " (the file)" : "";
            size_t len = strlen(o->name) + strlen(suffix) + 1;
            if (col + len > 79) {
                fprintf(out, "\n%19s", "");
                col = 19;
            }
            fprintf(out, " %s%s", o->name, suffix);
            col += len;
        }
        fputc('\n', out);
    }
}

void jobs_print_options(FILE *out, const cli_command *c)
{
    char help[512], text[640];
    for (const cli_option *o = c->options; o->name; o++) {
        if (o->flags & OPT_NO_JOBS) continue;
        int whole = o->type == V_LIST || o->type == V_PERM;
        char left[64];
        snprintf(left, sizeof left, "--%s%s", o->name,
                 o->kind == ARG_FLAG ? "[=false,true]" : whole ? " V [--" : " V,V,...");
        if (whole) snprintf(left + strlen(left), sizeof left - strlen(left), "%s V]", o->name);
        snprintf(text, sizeof text, "%s%s",
                 o->kind == ARG_FLAG ? "a flag: alone it is set in every job" : cli_value_help(o, help, sizeof help),
                 o->flags & OPT_REQUIRED ? " (required)" : "");
        /* The words of the text, wrapped at 79 columns under its start. */
        size_t indent = strlen(left) + 3 > 31 ? strlen(left) + 3 : 31, col = indent;
        fprintf(out, "  %-*s", (int)indent - 2, left);
        for (char *w = strtok(text, " "); w; w = strtok(NULL, " ")) {
            if (col > indent && col + 1 + strlen(w) > 79) {
                fprintf(out, "\n%*s", 31, "");
                col = 31;
            } else if (col > indent) {
                fputc(' ', out);
                col++;
            }
            fputs(w, out);
            col += strlen(w);
        }
        fputc('\n', out);
    }
}

/* --backend picks where a job runs, not what it computes. */
/* Words that do not make a job another one: the backend it ran on, and the
 * --no-out that 'butterfly factor' jobs without "out" are given (records
 * written before it was needed lack it). */
static int is_backend_arg(const char *arg) { return !strncmp(arg, "--backend=", 10) || !strcmp(arg, "--no-out"); }

int jobs_record_matches(const char *text, size_t length, char *const *argv)
{
    cJSON *rec = cJSON_ParseWithLength(text, length);
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(rec, "argv");
    int same = cJSON_IsArray(list);
    size_t k = 1;
    const cJSON *item;
    cJSON_ArrayForEach(item, list) {
        if (!same) break;
        if (!cJSON_IsString(item)) {
            same = 0;
            break;
        }
        if (is_backend_arg(item->valuestring)) continue;
        while (argv[k] && is_backend_arg(argv[k])) k++;
        same = argv[k] && !strcmp(item->valuestring, argv[k]);
        k++;
    }
    while (same && argv[k] && is_backend_arg(argv[k])) k++;
    same = same && !argv[k];
    cJSON_Delete(rec);
    return same;
}
