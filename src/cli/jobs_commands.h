/* The commands a job file may name (those of the command table marked
 * in_jobs), the checks a job passes before anything runs, and the command
 * line of one job.  'dmf run', 'dmf jobs check' and 'dmf jobs sweep' read
 * the same table as the command line. */
#ifndef DMF_JOBS_COMMANDS_H
#define DMF_JOBS_COMMANDS_H

#include <stdio.h>

#include "jobs/jobs.h"

#include "options/options.h"

/* The commands a job may run, and the one named `name` (or NULL). */
const cli_command *const *jobs_commands(size_t *count);
const cli_command *jobs_find_command(const char *name);
/* The option `name` of c that a job may give (not the command line's
 * own, such as --mpi), or NULL. */
const cli_option *jobs_find_option(const cli_command *c, const char *name);

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
void jobs_print_options(FILE *out, const cli_command *c);

#endif
