/* What a job may run: the dmf subcommands that print JSON results, their
 * options and the values each takes, checked before any job starts so that
 * a typo in job 900 does not surface after hours of work.  The table mirrors
 * the getopt tables and value checks of the subcommands (cmd_butterfly.c,
 * cmd_fsmf.c, cmd_lift.c, demod_common.c and cmd_demod_*.c), which keep
 * their own parsers; tests/cli_jobs.sh checks every name here against the
 * subcommand's --help and tests/cli_jobs_validate.sh that a subcommand
 * refuses the values this table refuses. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "jobs_commands.h"

static const char *const dtypes[] = {"f32", "f64", "c64", "c128", NULL};
static const char *const real_dtypes[] = {"f32", "f64", NULL}; /* demod */
static const char *const backends[] = {"auto", "cpu", "cuda", NULL};
static const char *const step_rules[] = {"fixed", "scaled", "backtracking", NULL};
static const char *const tree_names[] = {"l2r", "r2l", "balanced", NULL};
#define MAX_FACTORS 64 /* of a chain, and of a list option's items */

#define VALUE(name, type) {name, ARG_VALUE, type, NULL, 0}
#define NEEDED(name, type) {name, ARG_VALUE, type, NULL, 1}
#define CHOICE(name, list) {name, ARG_VALUE, V_CHOICE, list, 0}
#define FLAG(name) {name, ARG_FLAG, V_NONE, NULL, 0}
#define END {NULL, ARG_VALUE, V_NONE, NULL, 0}

/* cli_matrix_option and cli_load_matrix */
#define MATRIX_SOURCE                                                                              \
    VALUE("input", V_TEXT), VALUE("matrix", V_MATRIX), VALUE("size", V_DIMS), CHOICE("dtype", dtypes), \
    VALUE("noise", V_GE0), VALUE("seed", V_SEED), VALUE("radix-m", V_LIST), VALUE("radix-n", V_LIST)
/* demod_solver_option */
#define SOLVER                                                                                           \
    VALUE("iterations", V_COUNT), VALUE("step", V_GT0), CHOICE("step-rule", step_rules),               \
    VALUE("momentum", V_UNIT), VALUE("tol", V_GE0), VALUE("success-tol", V_GT0), FLAG("no-sign-check"), \
    CHOICE("backend", backends), CHOICE("dtype", real_dtypes), FLAG("independent-networks")

/* perm-rows and perm-cols (none, bitrev, auto, FILE.npy or a comma list)
 * are checked by 'butterfly factor' itself; here only that they are given. */
static const job_option butterfly_factor[] = {
    MATRIX_SOURCE, VALUE("tree", V_TREE), VALUE("rank", V_COUNT), FLAG("orthonormalize"),
    CHOICE("backend", backends), VALUE("out", V_OUTPUT), FLAG("no-out"), VALUE("perm-rows", V_PERM),
    VALUE("perm-cols", V_PERM), VALUE("refine", V_COUNT), FLAG("no-error"), END};
static const job_option fsmf[] = {MATRIX_SOURCE, NEEDED("support-x", V_TEXT), NEEDED("support-y", V_TEXT),
                                  CHOICE("backend", backends), VALUE("out", V_OUTPUT), VALUE("refine", V_COUNT),
                                  END};
static const job_option liftrank[] = {{"network", ARG_POSITIONAL, V_TEXT, NULL, 1}, VALUE("seed", V_SEED),
                                      VALUE("samples", V_COUNT), VALUE("spectrum", V_OUTPUT), FLAG("sigma-min"),
                                      CHOICE("backend", backends), END};
static const job_option scatter[] = {{"network", ARG_POSITIONAL, V_TEXT, NULL, 1}, END};
static const job_option demod_sweep[] = {NEEDED("latent", V_LIST), NEEDED("outputs", V_LIST),
                                         VALUE("hidden", V_LIST), VALUE("trials", V_COUNT),
                                         VALUE("seed", V_SEED), SOLVER, END};
static const job_option demod_solve[] = {NEEDED("g1", V_TEXT), NEEDED("g2", V_TEXT), NEEDED("y0", V_TEXT),
                                         VALUE("h0", V_TEXT), VALUE("m0", V_TEXT), VALUE("start-seed", V_SEED),
                                         VALUE("trace", V_OUTPUT), VALUE("out", V_OUTPUT), SOLVER, END};
static const job_option demod_synth[] = {NEEDED("g1", V_TEXT), NEEDED("g2", V_TEXT), NEEDED("out", V_OUTPUT),
                                         VALUE("seed", V_SEED), VALUE("trials", V_COUNT),
                                         CHOICE("backend", backends), CHOICE("dtype", real_dtypes),
                                         FLAG("independent-networks"), END};

/* ---- values ------------------------------------------------------------------ */

/* The value as a message shows it: at most 60 bytes, control characters as '?'. */
static const char *shown(const char *value, char buf[72])
{
    size_t n = 0;
    for (; value[n] && n < 60; n++) buf[n] = (unsigned char)value[n] < 0x20 || value[n] == 0x7f ? '?' : value[n];
    strcpy(buf + n, value[n] ? "..." : "");
    return buf;
}

/* "a, b or c" */
static void join_choices(char *buf, size_t cap, const char *const *names)
{
    size_t used = 0, count = 0;
    while (names[count]) count++;
    buf[0] = '\0';
    for (size_t k = 0; k < count && used < cap; k++)
        used += (size_t)snprintf(buf + used, cap - used, "%s%s", k == 0 ? "" : k + 1 == count ? " or " : ", ",
                                 names[k]);
}

const char *jobs_value_help(const job_option *o, char *buf, size_t cap)
{
    const char *text = "";
    switch (o->type) {
    case V_NONE: text = "true or false"; break;
    case V_TEXT: text = "a non-empty string"; break;
    case V_OUTPUT: text = "a non-empty string (where the job writes)"; break;
    case V_CHOICE: join_choices(buf, cap, o->choices); return buf;
    case V_MATRIX: join_choices(buf, cap, dmf_matrix_builtin_names()); return buf;
    case V_COUNT: text = "an integer >= 1"; break;
    case V_SEED: text = "an integer >= 0"; break;
    case V_GE0: text = "a number >= 0"; break;
    case V_GT0: text = "a number > 0"; break;
    case V_UNIT: text = "a number in [0, 1)"; break;
    case V_DIMS: text = "N or NxM with N, M >= 1"; break;
    case V_LIST: text = "up to 64 comma-separated integers >= 1"; break;
    case V_TREE: text = "l2r, r2l, balanced, a JSON nested list such as [[0,1],[2,3]] or a tree file"; break;
    case V_PERM: text = "a non-empty string (none, bitrev, auto, FILE.npy or a comma list)"; break;
    }
    snprintf(buf, cap, "%s", text);
    return buf;
}

int jobs_value_has_commas(const job_option *o, const char *value)
{
    return o->type == V_LIST || o->type == V_PERM || (o->type == V_TREE && value[strspn(value, " \t\r\n")] == '[');
}

/* The leaves of a nested list (its numbers); other items are left to
 * dmf_tree_create to describe. */
static size_t count_leaves(const cJSON *node)
{
    if (cJSON_IsNumber(node)) return 1;
    size_t n = 0;
    const cJSON *item;
    if (cJSON_IsArray(node)) cJSON_ArrayForEach(item, node) n += count_leaves(item);
    return n;
}

/* The leaves of a tree given as a nested list, 0 for any other tree (a name
 * or a file, whose leaves follow the chain or are read when the job runs). */
static size_t tree_leaves(const char *value)
{
    if (value[strspn(value, " \t\r\n")] != '[') return 0;
    cJSON *root = cJSON_Parse(value);
    size_t n = root ? count_leaves(root) : 0;
    cJSON_Delete(root);
    return n;
}

static int check_tree(const job_option *o, const char *value, const char *dir, char *why, size_t cap)
{
    char show[72], help[160], hint[256];
    for (const char *const *t = tree_names; *t; t++)
        if (!strcmp(value, *t)) return 0;
    const char *p = value + strspn(value, " \t\r\n");
    if (*p == '[') {
        size_t leaves = tree_leaves(p);
        if (leaves > MAX_FACTORS) {
            snprintf(why, cap, "'%s' is not a tree: it has %zu leaves and a chain at most %d factors",
                     shown(value, show), leaves, MAX_FACTORS);
            return 1;
        }
        dmf_tree *tree = NULL;
        /* With as many factors as the list has leaves, dmf_tree_create
         * checks the rest: JSON, binary nodes, the leaves 0..L-1 in order. */
        if (dmf_tree_create(&tree, p, leaves ? leaves : 1) != DMF_OK) {
            const char *said = dmf_last_error();
            if (!strncmp(said, "tree: ", 6)) said += 6; /* the origin dmf_tree_create names */
            snprintf(why, cap, "'%s' is not a tree: %s", shown(value, show), said);
            return 1;
        }
        dmf_tree_free(tree);
        return 0;
    }
    /* A bare word that names no file beside the job file is a misspelt tree
     * name (as the command itself says); a path may be made by an earlier job. */
    if (*p && !strpbrk(value, "/.")) {
        char path[4096];
        struct stat st;
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir ? dir : ".", value) < sizeof path &&
            stat(path, &st) == 0)
            return 0;
    } else if (*p) {
        return 0;
    }
    snprintf(why, cap, "'%s' is not %s%s", shown(value, show), jobs_value_help(o, help, sizeof help),
             cli_did_you_mean(hint, sizeof hint, value, strlen(value), tree_names, ""));
    return 1;
}

int jobs_check_value(const job_option *o, const char *value, const char *dir, char *why, size_t cap)
{
    char show[72], help[256], hint[256] = "";
    size_t n, rows, cols, list[MAX_FACTORS];
    unsigned long long u;
    double x;
    int bad = 0;
    switch (o->type) {
    case V_NONE: return 0;
    case V_TEXT:
    case V_OUTPUT:
    case V_PERM: bad = !value[0]; break;
    case V_CHOICE:
    case V_MATRIX: {
        const char *const *names = o->type == V_CHOICE ? o->choices : dmf_matrix_builtin_names();
        bad = 1;
        for (const char *const *c = names; *c; c++) bad &= strcmp(value, *c) != 0;
        if (bad) cli_did_you_mean(hint, sizeof hint, value, strlen(value), names, "");
        break;
    }
    case V_COUNT: bad = cli_parse_size(value, &n) || n < 1; break;
    case V_SEED: bad = cli_parse_u64(value, &u) != 0; break;
    case V_GE0: bad = cli_parse_double(value, &x) || !(x >= 0); break;
    case V_GT0: bad = cli_parse_double(value, &x) || !(x > 0); break;
    case V_UNIT: bad = cli_parse_double(value, &x) || !(x >= 0 && x < 1); break;
    case V_DIMS: bad = cli_parse_dims(value, &rows, &cols) != 0; break;
    case V_LIST: {
        int given = 1;
        for (const char *p = value; *p; p++) given += *p == ',';
        if (given > MAX_FACTORS) {
            snprintf(why, cap, "'%s' has %d items, more than %d", shown(value, show), given, MAX_FACTORS);
            return 1;
        }
        bad = cli_parse_size_list(value, list, MAX_FACTORS) < 0;
        break;
    }
    case V_TREE: return check_tree(o, value, dir, why, cap);
    }
    if (!bad) return 0;
    if (!value[0]) snprintf(why, cap, "the value is empty; give %s", jobs_value_help(o, help, sizeof help));
    else snprintf(why, cap, "'%s' is not %s%s", shown(value, show), jobs_value_help(o, help, sizeof help), hint);
    return 1;
}

/* ---- commands and their rules ------------------------------------------------- */

/* The value of option `name` in a job, or NULL (not given, or a flag). */
static const char *value_of(const dmf_job *job, const char *name)
{
    const dmf_job_arg *a = dmf_job_get_arg(job, name);
    return a && a->kind == DMF_JOB_VALUE ? a->value : NULL;
}

static int flag_of(const dmf_job *job, const char *name)
{
    const dmf_job_arg *a = dmf_job_get_arg(job, name);
    return a && a->kind == DMF_JOB_TRUE;
}

static int items(const char *list)
{
    int n = list ? 1 : 0;
    for (const char *p = list; p && *p; p++) n += *p == ',';
    return n;
}

/* cli_load_matrix's rules for the matrix source. */
static int matrix_rules(const dmf_job *job, char *why, size_t cap)
{
    const char *input = value_of(job, "input"), *matrix = value_of(job, "matrix"), *noise = value_of(job, "noise");
    const char *rm = value_of(job, "radix-m"), *rn = value_of(job, "radix-n");
    double level;
    if (!input == !matrix)
        snprintf(why, cap, input ? "\"input\" and \"matrix\" exclude each other"
                                 : "give \"input\" (a .npy or .mtx file) or \"matrix\" (a built-in name)");
    else if (matrix && !value_of(job, "size")) snprintf(why, cap, "\"matrix\" needs \"size\" (N or NxM)");
    else if (items(rm) != items(rn))
        snprintf(why, cap, "\"radix-m\" has %d radices but \"radix-n\" has %d: give both, with the same count",
                 items(rm), items(rn));
    else if (input && noise && !cli_parse_double(noise, &level) && level > 0)
        snprintf(why, cap, "\"noise\" applies to \"matrix\" only");
    else return 0;
    return 1;
}

static int butterfly_rules(const dmf_job *job, char *why, size_t cap)
{
    if (matrix_rules(job, why, cap)) return 1;
    if (value_of(job, "out") && flag_of(job, "no-out")) {
        snprintf(why, cap, "\"out\" and \"no-out\" exclude each other");
        return 1;
    }
    /* A nested-list tree has as many leaves as the chain has factors: the
     * radices given, or radix 2 of a built-in's size where that is the
     * default. */
    const char *tree = value_of(job, "tree"), *rm = value_of(job, "radix-m"), *size = value_of(job, "size");
    size_t leaves = tree ? tree_leaves(tree) : 0, factors = 0, rows, cols;
    size_t radix_m[MAX_FACTORS], radix_n[MAX_FACTORS];
    if (!leaves) return 0;
    if (rm) factors = (size_t)items(rm);
    else if (size && value_of(job, "matrix") && !cli_parse_dims(size, &rows, &cols) &&
             dmf_default_radices(rows, cols, radix_m, radix_n, MAX_FACTORS, &factors) != DMF_OK)
        factors = 0;
    if (factors && factors != leaves) {
        snprintf(why, cap, "\"tree\" has %zu leaves but the chain has %zu factors (%s)", leaves, factors,
                 rm ? "the radices of \"radix-m\"" : "radix 2 for this \"size\"");
        return 1;
    }
    return 0;
}

/* demod_check_solver_options */
static int solver_rules(const dmf_job *job, char *why, size_t cap)
{
    const char *momentum = value_of(job, "momentum"), *rule = value_of(job, "step-rule");
    double mu;
    if (momentum && !cli_parse_double(momentum, &mu) && mu > 0 && (!rule || !strcmp(rule, "backtracking"))) {
        snprintf(why, cap, "\"momentum\" goes with \"step-rule\" fixed or scaled, not backtracking (the default)");
        return 1;
    }
    return 0;
}

static int solve_rules(const dmf_job *job, char *why, size_t cap)
{
    if (!value_of(job, "h0") != !value_of(job, "m0")) {
        snprintf(why, cap, "give both \"h0\" and \"m0\" (the truth), or neither");
        return 1;
    }
    return solver_rules(job, why, cap);
}

static const job_command commands[] = {
    {"butterfly factor", butterfly_factor, butterfly_rules}, {"fsmf", fsmf, matrix_rules},
    {"liftrank", liftrank, NULL},                             {"scatter", scatter, NULL},
    {"demod sweep", demod_sweep, solver_rules},               {"demod solve", demod_solve, solve_rules},
    {"demod synth", demod_synth, NULL},
};
#define NUM_COMMANDS (sizeof commands / sizeof commands[0])

const job_command *jobs_commands(size_t *count)
{
    *count = NUM_COMMANDS;
    return commands;
}

const job_command *jobs_find_command(const char *name)
{
    for (size_t k = 0; k < NUM_COMMANDS; k++)
        if (!strcmp(commands[k].name, name)) return &commands[k];
    return NULL;
}

const job_option *jobs_find_option(const job_command *c, const char *name)
{
    for (const job_option *o = c->options; o->name; o++)
        if (!strcmp(o->name, name)) return o;
    return NULL;
}

/* The option names of one command (c) or of all of them (c NULL), each
 * once, NULL-terminated, for "did you mean". */
static void option_names(const job_command *c, const char **names, size_t cap)
{
    size_t n = 0;
    for (size_t k = 0; k < NUM_COMMANDS; k++) {
        if (c && &commands[k] != c) continue;
        for (const job_option *o = commands[k].options; o->name; o++) {
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
    const job_command *c = jobs_find_command(job->command);
    if (!c) {
        const char *command_names[NUM_COMMANDS + 1];
        for (size_t k = 0; k < NUM_COMMANDS; k++) command_names[k] = commands[k].name;
        command_names[NUM_COMMANDS] = NULL;
        size_t used = (size_t)snprintf(why, cap, "%s: unknown command '%s'%s; a job runs one of:", where,
                                       job->command, cli_did_you_mean(hint, sizeof hint, job->command,
                                                                      strlen(job->command), command_names, ""));
        for (size_t k = 0; k < NUM_COMMANDS && used < cap; k++)
            used += (size_t)snprintf(why + used, cap - used, "%s '%s'", k ? "," : "", commands[k].name);
        return EXIT_BAD_INPUT;
    }
    for (size_t k = 0; k < job->num_args; k++) {
        const dmf_job_arg *a = &job->args[k];
        const job_option *o = jobs_find_option(c, a->name);
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
        if (a->kind == DMF_JOB_VALUE && jobs_check_value(o, a->value, dir, detail, sizeof detail)) {
            snprintf(why, cap, "%s: \"%s\"%s: %s", where, a->name, a->from_defaults ? " (from \"defaults\")" : "",
                     detail);
            return EXIT_BAD_INPUT;
        }
    }
    for (const job_option *o = c->options; o->name; o++)
        if (o->required && !value_of(job, o->name)) {
            snprintf(why, cap, "%s: '%s' needs \"%s\" in its args", where, c->name, o->name);
            return EXIT_BAD_INPUT;
        }
    if (c->rules && c->rules(job, detail, sizeof detail)) {
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
    const job_command *c = jobs_find_command(job->command);
    const char *positional_name = NULL, *positional = NULL;
    for (const job_option *o = c->options; o->name; o++)
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

void jobs_print_options(FILE *out, const job_command *c)
{
    char help[512], text[640];
    for (const job_option *o = c->options; o->name; o++) {
        int whole = o->type == V_LIST || o->type == V_PERM;
        char left[64];
        snprintf(left, sizeof left, "--%s%s", o->name,
                 o->kind == ARG_FLAG ? "[=false,true]" : whole ? " V [--" : " V,V,...");
        if (whole) snprintf(left + strlen(left), sizeof left - strlen(left), "%s V]", o->name);
        snprintf(text, sizeof text, "%s%s",
                 o->kind == ARG_FLAG ? "a flag: alone it is set in every job" : jobs_value_help(o, help, sizeof help),
                 o->required ? " (required)" : "");
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
