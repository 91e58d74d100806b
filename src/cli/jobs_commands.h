/* The subcommands a job file may name, their options with the values each
 * takes, the checks a job passes before anything runs, and the command line
 * of one job.  'dmf run', 'dmf jobs check' and 'dmf jobs sweep' read the
 * same table. */
#ifndef DMF_JOBS_COMMANDS_H
#define DMF_JOBS_COMMANDS_H

#include <stdio.h>

#include "jobs/jobs.h"

typedef enum { ARG_VALUE, ARG_FLAG, ARG_POSITIONAL } arg_kind;

/* What a value must be.  The commands' own parsers say the same at run
 * time; these checks say it before the first job starts. */
typedef enum {
    V_NONE,    /* a flag */
    V_TEXT,    /* a non-empty string: an input path, a spec the command reads */
    V_OUTPUT,  /* a non-empty string naming something the job writes */
    V_CHOICE,  /* one of `choices` */
    V_MATRIX,  /* a built-in matrix name (dmf_matrix_builtin_names) */
    V_COUNT,   /* an integer >= 1 */
    V_SEED,    /* an integer >= 0 (64 bits) */
    V_GE0,     /* a finite number >= 0 */
    V_GT0,     /* a finite number > 0 */
    V_UNIT,    /* a finite number in [0, 1) */
    V_DIMS,    /* N or NxM, N, M >= 1 */
    V_LIST,    /* up to 64 comma-separated integers >= 1 */
    V_TREE,    /* l2r, r2l, balanced, a JSON nested list, or a tree file */
    V_PERM     /* a non-empty string that may hold commas (a permutation) */
} value_type;

typedef struct {
    const char *name;
    arg_kind kind;
    value_type type;
    const char *const *choices; /* V_CHOICE: NULL-terminated */
    int required;
} job_option;

typedef struct {
    const char *name;          /* as in the job file: "butterfly factor" */
    const job_option *options; /* {NULL} terminated */
    /* Rules between options (exclusive pairs, one needing another); writes
     * why into `why` and returns nonzero when one is broken. */
    int (*rules)(const dmf_job *job, char *why, size_t cap);
} job_command;

/* The commands a job may run, and the one named `name` (or NULL). */
const job_command *jobs_commands(size_t *count);
const job_command *jobs_find_command(const char *name);
const job_option *jobs_find_option(const job_command *c, const char *name);
/* What a valid value of `o` is, for messages and help ("an integer >= 1"),
 * written into buf. */
const char *jobs_value_help(const job_option *o, char *buf, size_t cap);
/* Checks one value of option `o`; tree files named by a bare word are
 * looked for in `dir`.  0, or nonzero with "'VALUE' is not WHAT (did you
 * mean ...?)" in why. */
int jobs_check_value(const job_option *o, const char *value, const char *dir, char *why, size_t cap);
/* Whether a sweep takes a value of `o` whole (a list, a permutation, a
 * nested-list tree) rather than as comma-separated alternatives. */
int jobs_value_has_commas(const job_option *o, const char *value);

/* Checks a job against the table: its command, option names (with a "did
 * you mean"), true/false against flags, every value, required options and
 * the rules between them.  Writes "job 3 (id 'x'): why" (or "\"defaults\":
 * why") into `why` and returns EXIT_BAD_INPUT, or EXIT_OK.  Tree files named
 * by a bare word are looked for in `dir`, the job file's folder. */
int jobs_check(const dmf_job *job, size_t index, const char *dir, char *why, size_t cap);

/* jobs_check on every job of the list, printing what is wrong as "dmf PROG:
 * FILE: why" (the first 10 problems, each once, then how many jobs are not
 * valid).  EXIT_OK or EXIT_BAD_INPUT. */
int jobs_check_all(const dmf_job_list *list, const char *prog);

/* Checks a job (jobs_check, printing what is wrong as "dmf run: ORIGIN:
 * why"; tree files are looked for beside ORIGIN) and builds its argument
 * vector (NULL-terminated, each string allocated): "dmf", the command
 * words, "--name=value" or "--name" per argument, the positional argument
 * last.  `backend` (may be NULL) is added as --backend where the command
 * takes one and the job does not set it.  EXIT_BAD_INPUT or EXIT_OK. */
int jobs_build_argv(const dmf_job *job, size_t index, const char *backend, const char *origin, char ***argv);
void jobs_free_argv(char **argv);
/* Whether the result record `text` (one JSON line of `length` bytes) was run
 * with `argv` (its "argv" holds argv[1..]), --backend aside: a record of an
 * id whose job has since been edited does not match. */
int jobs_record_matches(const char *text, size_t length, char *const *argv);
/* The commands and their options, for 'dmf run --help'. */
void jobs_print_commands(FILE *out);
/* One command's options with what each takes, for 'dmf jobs sweep CMD --help'. */
void jobs_print_options(FILE *out, const job_command *c);

#endif
