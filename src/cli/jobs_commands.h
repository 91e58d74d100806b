/* The subcommands a job file may name, their options, and the command line
 * of one job. */
#ifndef DMF_JOBS_COMMANDS_H
#define DMF_JOBS_COMMANDS_H

#include <stdio.h>

#include "jobs/jobs.h"

/* Checks a job against the table of commands and options and builds its
 * argument vector (NULL-terminated, each string allocated): "dmf", the
 * command words, "--name=value" or "--name" per argument,
 * the positional argument last.  `backend` (may be NULL) is added as
 * --backend where the command takes one and the job does not set it.
 * Prints what is wrong (naming `origin`, the job's index and id) and
 * returns EXIT_BAD_INPUT, or EXIT_OK. */
int jobs_build_argv(const dmf_job *job, size_t index, const char *backend, const char *origin, char ***argv);
void jobs_free_argv(char **argv);
/* Whether the result record `text` (one JSON line of `length` bytes) was run
 * with `argv` (its "argv" holds argv[1..]), --backend aside: a record of an
 * id whose job has since been edited does not match. */
int jobs_record_matches(const char *text, size_t length, char *const *argv);
/* The commands and their options, for 'dmf run --help'. */
void jobs_print_commands(FILE *out);

#endif
