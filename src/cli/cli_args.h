/* The command line read through the command table (options/options.h). */
#ifndef DMF_CLI_ARGS_H
#define DMF_CLI_ARGS_H

#include <stdio.h>

#include "options/options.h"

/* cli_parse_args returns this after printing --help (the command exits 0). */
enum { CLI_HELP_SHOWN = -1 };

/* Parses argv (argv[0] the command's last word) for the command `name` of
 * the table: options by their full names, each value checked as its type
 * says, positional words in the table's order, then the required options
 * and the command's rules.  EXIT_OK, EXIT_USAGE (why printed) or
 * CLI_HELP_SHOWN. */
int cli_parse_args(const char *name, int argc, char **argv, cli_args *a);
/* The command's --help: a synopsis, its text, every option with its value,
 * help and default, then what it prints. */
void cli_print_help(const cli_command *c, FILE *out);

#endif
