/* The commands of the table, one definition each (table_*.c), and the
 * pieces several of them share. */
#ifndef DMF_CLI_TABLES_H
#define DMF_CLI_TABLES_H

#include "options.h"

extern const cli_command cli_butterfly_factor, cli_butterfly_apply, cli_butterfly_densify, cli_fsmf, cli_palm,
    cli_hierarchical, cli_matrix, cli_liftrank, cli_scatter, cli_synth_network, cli_recover, cli_demod_synth,
    cli_demod_solve, cli_demod_sweep, cli_demod_landscape, cli_demod_fields, cli_demod_image, cli_run, cli_merge,
    cli_jobs_check, cli_info;

extern const char *const cli_dtypes[], *const cli_real_dtypes[], *const cli_backends[];

#define VALUE(name, type, meta, fallback, help) {name, ARG_VALUE, type, NULL, 0, meta, fallback, help}
#define NEEDED(name, type, meta, help) {name, ARG_VALUE, type, NULL, OPT_REQUIRED, meta, NULL, help}
#define CHOICE(name, list, fallback, help) {name, ARG_VALUE, V_CHOICE, list, 0, NULL, fallback, help}
#define FLAG(name, help) {name, ARG_FLAG, V_NONE, NULL, 0, NULL, NULL, help}
#define END_OPTIONS {NULL, ARG_VALUE, V_NONE, NULL, 0, NULL, NULL, NULL}

#define BACKEND_OPTION(help) CHOICE("backend", cli_backends, "auto", help)

/* Where a command's matrix comes from (cli_load_matrix). */
#define MATRIX_SOURCE_OPTIONS                                                                                  \
    VALUE("input", V_TEXT, "FILE", NULL, "A from a .npy or .mtx file; or --matrix instead"),                    \
        VALUE("matrix", V_MATRIX, "NAME", NULL, "a built-in matrix (see 'dmf matrix --help'), with --size"),     \
        VALUE("size", V_DIMS, "N[xM]", NULL, "the built-in's size: N (square) or NxM"),                         \
        CHOICE("dtype", cli_dtypes, NULL,                                                                       \
               "the precision to compute in (default: the file's; c128 for dft and dft-bitrev, f64 for the "     \
               "other built-ins)"),                                                                             \
        VALUE("noise", V_GE0, "LEVEL", "0",                                                                     \
              "adds Gaussian noise E with ||E||_F = LEVEL ||A||_F to a built-in"),                              \
        VALUE("seed", V_SEED, "S", "0", "seed of a built-in's random entries and noise"),                       \
        VALUE("radix-m", V_LIST, "3,2,4", NULL, "radices of the rows, m_0..m_{L-1}: same count as --radix-n"),   \
        VALUE("radix-n", V_LIST, "2,5,3", NULL, "radices of the columns, n_0..n_{L-1}")

/* The rules of MATRIX_SOURCE_OPTIONS: exactly one of input and matrix,
 * matrix with size, radices of the same count, noise for built-ins. */
int cli_matrix_source_rules(const cli_args *a, char *why, size_t cap);

#endif
