/* The command table: every dmf command with its options, declared once.
 * Each option has its name, the kind of value it takes (with the allowed
 * values), its default and its help line.  The command line parses with it
 * (getopt's table and every value check), prints --help from it, checks
 * job files against it before a run starts, and the Python package checks
 * its keyword arguments with it, so all four say the same. */
#ifndef DMF_CLI_OPTIONS_H
#define DMF_CLI_OPTIONS_H

#include <stddef.h>

typedef enum { ARG_VALUE, ARG_FLAG, ARG_POSITIONAL } arg_kind;

/* What a value must be. */
typedef enum {
    V_NONE,    /* a flag */
    V_TEXT,    /* a non-empty string: an input path, a spec the command reads */
    V_OUTPUT,  /* a non-empty string naming something the command writes */
    V_CHOICE,  /* one of `choices` */
    V_MATRIX,  /* a built-in matrix name (dmf_matrix_builtin_names) */
    V_COUNT,   /* an integer >= 1 */
    V_SEED,    /* an integer >= 0 (64 bits) */
    V_NUMBER,  /* a finite number */
    V_GE0,     /* a finite number >= 0 */
    V_GT0,     /* a finite number > 0 */
    V_UNIT,    /* a finite number in [0, 1) */
    V_PNORM,   /* the p of a p-norm: a number >= 1 or inf */
    V_DIMS,    /* N or NxM, N, M >= 1 */
    V_LIST,    /* up to 64 comma-separated integers >= 1 */
    V_TREE,    /* l2r, r2l, balanced, a JSON nested list, or a tree file */
    V_PERM     /* a non-empty string that may hold commas (a permutation) */
} value_type;

enum {
    OPT_REQUIRED = 1,  /* the command needs it */
    OPT_NO_JOBS = 2,   /* the command line's only: not in job files */
    OPT_MANY = 4       /* a positional argument taking every word left */
};

typedef struct {
    const char *name;            /* without "--" */
    arg_kind kind;
    value_type type;
    const char *const *choices;  /* V_CHOICE: NULL-terminated */
    int flags;                   /* OPT_* */
    const char *metavar;         /* the value's name in help ("N", "DIR"); NULL: from the type */
    const char *fallback;        /* the value when not given (also shown by --help); NULL: none */
    const char *help;            /* one paragraph, wrapped by --help */
} cli_option;

typedef struct cli_args cli_args;

typedef struct {
    const char *name;            /* as typed and as in job files: "butterfly factor" */
    const char *summary;         /* one line for the lists of commands */
    const char *about;           /* what --help says before the options */
    const cli_option *options;   /* ended by an entry whose name is NULL */
    const char *epilog;          /* what --help says after them: output, exit codes */
    int in_jobs;                 /* a job file may run it */
    /* Rules between options (one excludes or needs another); writes why
     * into `why` and returns nonzero when one is broken. */
    int (*rules)(const cli_args *a, char *why, size_t cap);
} cli_command;

enum { CLI_MAX_OPTIONS = 48, CLI_MAX_FACTORS = 64 };

/* The arguments of one command line or one job, by the index of the option
 * in its command's table. */
struct cli_args {
    const cli_command *command;
    const char *value[CLI_MAX_OPTIONS]; /* as given (the last one given), NULL when not */
    int set[CLI_MAX_OPTIONS];           /* given; a flag is set by being given */
    int job;                            /* messages name options as "name" (a job's args), not --name */
    char **rest;                        /* the words of an OPT_MANY positional */
    int num_rest;
};

/* The commands, and the one named `name` (or NULL). */
const cli_command *const *cli_commands(size_t *count);
const cli_command *cli_find_command(const char *name);
/* The index of option `name` in c's table, or -1. */
int cli_option_index(const cli_command *c, const char *name);
const cli_option *cli_find_option(const cli_command *c, const char *name);

/* What a valid value of `o` is ("an integer >= 1", "auto, cpu or cuda"). */
const char *cli_value_help(const cli_option *o, char *buf, size_t cap);
/* Checks one value of option `o`; tree files named by a bare word are
 * looked for in `dir`.  0, or nonzero with "'VALUE' is not WHAT (did you
 * mean ...?)" in why. */
int cli_check_value(const cli_option *o, const char *value, const char *dir, char *why, size_t cap);
/* Whether a sweep takes a value of `o` whole (a list, a permutation, a
 * nested-list tree) rather than as comma-separated alternatives. */
int cli_value_has_commas(const cli_option *o, const char *value);
/* The leaves of a tree given as a nested list, 0 for a name or a file. */
size_t cli_tree_leaves(const char *value);

void cli_args_init(cli_args *a, const cli_command *c);
/* The option's value as given, its default when not given, or NULL. */
const char *cli_get(const cli_args *a, const char *name);
int cli_given(const cli_args *a, const char *name);
/* Options a command may lack (shared pieces such as the matrix source):
 * whether its table has `name`, and cli_get's answer or NULL when not. */
int cli_has_option(const cli_args *a, const char *name);
const char *cli_get_if(const cli_args *a, const char *name);
/* The typed value of a checked option (given or its default); `none` when
 * neither. */
size_t cli_get_size(const cli_args *a, const char *name, size_t none);
unsigned long long cli_get_u64(const cli_args *a, const char *name, unsigned long long none);
double cli_get_double(const cli_args *a, const char *name, double none);
/* The option as a message names it: --name, or "name" in a job. */
const char *cli_option_label(const cli_args *a, const char *name, char *buf, size_t cap);
/* Required options and the command's rules: 0, or nonzero with why. */
int cli_args_check(const cli_args *a, char *why, size_t cap);

/* Value checks that reject trailing junk, negatives and overflow. */
int cli_parse_size(const char *text, size_t *out);
int cli_parse_u64(const char *text, unsigned long long *out);
int cli_parse_double(const char *text, double *out);
/* "3,2,4" -> {3, 2, 4}; returns count or -1. */
int cli_parse_size_list(const char *text, size_t *out, int capacity);
/* "N" or "NxM" (rows x cols). */
int cli_parse_dims(const char *text, size_t *rows, size_t *cols);
/* " (did you mean 'NAME'?)" into buf (or "" when no candidate is a prefix of
 * word's extension or within edit distance 2 of it); names[] ends with NULL;
 * each suggestion is written with `lead` before it (e.g. "--"). */
const char *cli_did_you_mean(char *buf, size_t cap, const char *word, size_t word_len,
                             const char *const *names, const char *lead);

#endif
