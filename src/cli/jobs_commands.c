/* What a job may run: the dmf subcommands that print JSON results, with
 * their options, checked before any job starts.  The table mirrors the
 * getopt tables of the subcommands; tests/cli_jobs.sh checks every name
 * here against the subcommand's --help. */
#include <stdlib.h>
#include <cjson/cJSON.h>
#include <string.h>

#include "cli.h"
#include "jobs_commands.h"

typedef enum { ARG_VALUE, ARG_FLAG, ARG_POSITIONAL } arg_kind;

typedef struct {
    const char *name;
    arg_kind kind;
} job_option;

typedef struct {
    const char *name; /* as in the job file */
    const job_option *options; /* {NULL} terminated */
} job_command;

#define MATRIX_SOURCE                                                                     \
    {"input", ARG_VALUE}, {"matrix", ARG_VALUE}, {"size", ARG_VALUE}, {"dtype", ARG_VALUE}, \
    {"noise", ARG_VALUE}, {"seed", ARG_VALUE}, {"radix-m", ARG_VALUE}, {"radix-n", ARG_VALUE}
#define SOLVER                                                                                 \
    {"iterations", ARG_VALUE}, {"step", ARG_VALUE}, {"step-rule", ARG_VALUE}, {"momentum", ARG_VALUE}, \
    {"tol", ARG_VALUE}, {"success-tol", ARG_VALUE}, {"no-sign-check", ARG_FLAG}, {"backend", ARG_VALUE}, \
    {"dtype", ARG_VALUE}, {"independent-networks", ARG_FLAG}

static const job_option butterfly_factor[] = {MATRIX_SOURCE, {"tree", ARG_VALUE}, {"rank", ARG_VALUE},
                                              {"orthonormalize", ARG_FLAG}, {"backend", ARG_VALUE},
                                              {"out", ARG_VALUE}, {"no-out", ARG_FLAG}, {NULL, 0}};
static const job_option fsmf[] = {MATRIX_SOURCE, {"support-x", ARG_VALUE}, {"support-y", ARG_VALUE},
                                  {"backend", ARG_VALUE}, {"out", ARG_VALUE}, {NULL, 0}};
static const job_option liftrank[] = {{"network", ARG_POSITIONAL}, {"seed", ARG_VALUE}, {"samples", ARG_VALUE},
                                      {"spectrum", ARG_VALUE}, {"sigma-min", ARG_FLAG}, {"backend", ARG_VALUE},
                                      {NULL, 0}};
static const job_option scatter[] = {{"network", ARG_POSITIONAL}, {NULL, 0}};
static const job_option demod_sweep[] = {{"latent", ARG_VALUE}, {"outputs", ARG_VALUE}, {"hidden", ARG_VALUE},
                                         {"trials", ARG_VALUE}, {"seed", ARG_VALUE}, SOLVER, {NULL, 0}};
static const job_option demod_solve[] = {{"g1", ARG_VALUE}, {"g2", ARG_VALUE}, {"y0", ARG_VALUE},
                                         {"h0", ARG_VALUE}, {"m0", ARG_VALUE}, {"start-seed", ARG_VALUE},
                                         {"trace", ARG_VALUE}, {"out", ARG_VALUE}, SOLVER, {NULL, 0}};
static const job_option demod_synth[] = {{"g1", ARG_VALUE}, {"g2", ARG_VALUE}, {"out", ARG_VALUE},
                                         {"seed", ARG_VALUE}, {"trials", ARG_VALUE}, {"backend", ARG_VALUE},
                                         {"dtype", ARG_VALUE}, {"independent-networks", ARG_FLAG}, {NULL, 0}};

static const job_command commands[] = {
    {"butterfly factor", butterfly_factor}, {"fsmf", fsmf},
    {"liftrank", liftrank},                 {"scatter", scatter},
    {"demod sweep", demod_sweep},           {"demod solve", demod_solve},
    {"demod synth", demod_synth},
};
#define NUM_COMMANDS (sizeof commands / sizeof commands[0])

static const job_command *find_command(const char *name)
{
    for (size_t k = 0; k < NUM_COMMANDS; k++)
        if (!strcmp(commands[k].name, name)) return &commands[k];
    return NULL;
}

static const job_option *find_option(const job_command *c, const char *name)
{
    for (const job_option *o = c->options; o->name; o++)
        if (!strcmp(o->name, name)) return o;
    return NULL;
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
    const job_command *c = find_command(job->command);
    if (!c) {
        fprintf(stderr, "dmf run: %s: job %zu (id '%s'): unknown command '%s'; a job runs one of:", origin, index,
                job->id, job->command);
        for (size_t k = 0; k < NUM_COMMANDS; k++) fprintf(stderr, "%s '%s'", k ? "," : "", commands[k].name);
        fputc('\n', stderr);
        return EXIT_BAD_INPUT;
    }
    const char *positional_name = NULL, *positional = NULL;
    for (const job_option *o = c->options; o->name; o++)
        if (o->kind == ARG_POSITIONAL) positional_name = o->name;
    for (size_t k = 0; k < job->num_args; k++) {
        const dmf_job_arg *a = &job->args[k];
        const job_option *o = find_option(c, a->name);
        const char *why = NULL;
        if (!o && a->from_defaults) {
            /* "defaults" serve jobs of several commands: an option goes to
             * those that take it, but must be one that some command takes. */
            int anywhere = 0;
            for (size_t k2 = 0; k2 < NUM_COMMANDS; k2++) anywhere |= find_option(&commands[k2], a->name) != NULL;
            if (anywhere) continue;
            fprintf(stderr, "dmf run: %s: \"defaults\": '%s' is not an option of any job command (see 'dmf run "
                            "--help')\n", origin, a->name);
            return EXIT_BAD_INPUT;
        }
        if (!o) why = "is not an option of";
        else if (o->kind == ARG_FLAG && a->kind == DMF_JOB_VALUE) why = "is a flag (give true or false) of";
        else if (o->kind != ARG_FLAG && a->kind != DMF_JOB_VALUE) why = "takes a value, not true/false, in";
        if (why) {
            fprintf(stderr, "dmf run: %s: job %zu (id '%s'): '%s' %s '%s' (see 'dmf %s --help' and "
                            "'dmf run --help')\n", origin, index, job->id, a->name, why, c->name, c->name);
            return EXIT_BAD_INPUT;
        }
        if (o->kind == ARG_POSITIONAL) positional = a->value;
    }
    if (positional_name && !positional) {
        fprintf(stderr, "dmf run: %s: job %zu (id '%s'): '%s' needs \"%s\" in its args\n", origin, index, job->id,
                c->name, positional_name);
        return EXIT_BAD_INPUT;
    }
    int add_backend = backend && find_option(c, "backend") && !dmf_job_get_arg(job, "backend");
    /* 'butterfly factor' needs --out or --no-out; a job without "out" keeps
     * its results line only, as it always did. */
    const dmf_job_arg *out_arg = dmf_job_get_arg(job, "out"), *no_out_arg = dmf_job_get_arg(job, "no-out");
    int add_no_out = find_option(c, "no-out") && (!out_arg || out_arg->kind == DMF_JOB_FALSE) &&
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
        if (a->kind == DMF_JOB_FALSE || !find_option(c, a->name) ||
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
    for (size_t k = 0; k < NUM_COMMANDS; k++) {
        fprintf(out, "  %-17s", commands[k].name);
        size_t col = 19;
        for (const job_option *o = commands[k].options; o->name; o++) {
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
