/* dmf: command-line entry point, one subcommand per file. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage_head[] =
    "usage: dmf COMMAND [SUBCOMMAND] [options]\n"
    "       dmf --help | --version\n"
    "\n"
    "Deep structured matrix factorization on CPUs and NVIDIA GPUs.\n"
    "\n"
    "commands:\n";

static const char usage_tail[] =
    "\n"
    "Results are JSON lines on stdout, messages on stderr.  'dmf COMMAND --help'\n"
    "(and 'dmf COMMAND SUBCOMMAND --help') describes each command; docs/cli.md\n"
    "and docs/json.md in the source tree describe them all.\n"
    "\n"
    "exit codes: 0 ok, 1 bad input, 2 usage, 3 numerical failure (run: a job failed),\n"
    "            4 backend unavailable, 5 interrupted (run: stopped by a signal)\n"
    "--verbose (any command) says why --backend auto runs on the CPU.\n"
    "--max-memory SIZE (any command; e.g. 8G, 512M, none) refuses work that would\n"
    "             need more memory, with the figure, before allocating (default:\n"
    "             DMF_MAX_MEMORY, else 3/4 of physical memory); dmf run passes it on.\n"
    "environment: DMF_BACKEND=auto|cpu|cuda picks the backend when --backend is auto;\n"
    "             OMP_NUM_THREADS sets the CPU threads; DMF_VERBOSE=1 as --verbose.\n";

/* The usage: the commands with their summaries from the command table. */
static void print_usage(FILE *out)
{
    fputs(usage_head, out);
    size_t count;
    const cli_command *const *commands = cli_commands(&count);
    for (size_t k = 0; k < count; k++) {
        fprintf(out, "  %-18s %s\n", commands[k]->name, commands[k]->summary);
        if (!strcmp(commands[k]->name, "jobs check")) /* its options are the target command's */
            fprintf(out, "  %-18s %s\n", "jobs sweep", "a job file of one command over a grid of option values");
    }
    fputs(usage_tail, out);
}

/* Takes the options every command has out of argv, wherever they stand
 * before a "--": --verbose, and --max-memory SIZE (or =SIZE), which sets
 * the library's limit and is exported as DMF_MAX_MEMORY for the jobs of
 * dmf run.  -1 on a bad value. */
static int take_global_options(int *argc, char **argv)
{
    int kept = 0, rest = 0;
    for (int i = 0; i < *argc; i++) {
        const char *value = NULL;
        if (!rest && i > 0 && !strcmp(argv[i], "--")) rest = 1;
        if (!rest && i > 0 && !strcmp(argv[i], "--verbose")) {
            cli_verbose = 1;
            continue;
        }
        if (rest || i == 0 || strncmp(argv[i], "--max-memory", 12) != 0 || (argv[i][12] && argv[i][12] != '=')) {
            argv[kept++] = argv[i];
            continue;
        }
        if (argv[i][12] == '=') value = argv[i] + 13;
        else if (i + 1 < *argc) value = argv[++i];
        size_t bytes;
        if (!value || dmf_parse_memory_size(value, &bytes) != DMF_OK) {
            fprintf(stderr, "dmf: --max-memory: %s\n", value ? dmf_last_error() : "a SIZE is required (e.g. 8G)");
            return -1;
        }
        dmf_set_memory_limit(bytes);
        setenv("DMF_MAX_MEMORY", value, 1);
    }
    argv[kept] = NULL;
    *argc = kept;
    const char *env = getenv("DMF_VERBOSE");
    if (env && *env && strcmp(env, "0")) cli_verbose = 1;
    return 0;
}

int main(int argc, char **argv)
{
    if (take_global_options(&argc, argv) != 0) return EXIT_USAGE;
    if (argc < 2) {
        print_usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        print_usage(stdout);
        return EXIT_OK;
    }
    if (!strcmp(cmd, "--version")) {
        printf("dmf %s\n", DMF_VERSION_STRING);
        return EXIT_OK;
    }
    if (!strcmp(cmd, "butterfly")) return cmd_butterfly(argc - 1, argv + 1);
    if (!strcmp(cmd, "fsmf")) return cmd_fsmf(argc - 1, argv + 1);
    if (!strcmp(cmd, "palm")) return cmd_palm(argc - 1, argv + 1);
    if (!strcmp(cmd, "hierarchical")) return cmd_hierarchical(argc - 1, argv + 1);
    if (!strcmp(cmd, "matrix")) return cmd_matrix(argc - 1, argv + 1);
    if (!strcmp(cmd, "info")) return cmd_info(argc - 1, argv + 1);
    if (!strcmp(cmd, "liftrank")) return cmd_liftrank(argc - 1, argv + 1);
    if (!strcmp(cmd, "scatter")) return cmd_scatter(argc - 1, argv + 1);
    if (!strcmp(cmd, "synth-network")) return cmd_synth_network(argc - 1, argv + 1);
    if (!strcmp(cmd, "recover")) return cmd_recover(argc - 1, argv + 1);
    if (!strcmp(cmd, "demod")) return cmd_demod(argc - 1, argv + 1);
    if (!strcmp(cmd, "run")) return cmd_run(argc - 1, argv + 1);
    if (!strcmp(cmd, "merge")) return cmd_merge(argc - 1, argv + 1);
    if (!strcmp(cmd, "jobs")) return cmd_jobs(argc - 1, argv + 1);
    static const char *const commands[] = {"butterfly", "fsmf", "palm", "hierarchical", "matrix", "info", "liftrank",
                                           "synth-network", "recover",
                                           "scatter", "demod", "run", "merge", "jobs", NULL};
    char hint[256];
    fprintf(stderr, "dmf: unknown command '%s'%s\n\n", cmd,
            cli_did_you_mean(hint, sizeof hint, cmd, strlen(cmd), commands, ""));
    print_usage(stderr);
    return EXIT_USAGE;
}
