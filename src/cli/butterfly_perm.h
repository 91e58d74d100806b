/* --perm-rows and --perm-cols of dmf butterfly factor: factoring a matrix
 * that is a chain only up to row and column permutations. */
#ifndef DMF_CLI_BUTTERFLY_PERM_H
#define DMF_CLI_BUTTERFLY_PERM_H

#include "cli.h"

/* What the permutations turned out to be, for the JSON line. */
typedef struct {
    int used;                  /* some permutation option was given */
    int searched;              /* auto: dmf_butterfly_identify_permutations ran */
    char rows[256], cols[256]; /* the candidate kept on each side */
    size_t tried;              /* candidate pairs factored */
    double time_s;             /* search and the factorizations of the candidates not kept */
    dmf_perm_report search;
} cli_perm_result;

/* Checks the two values before anything is loaded: a comma list of none,
 * bitrev and .npy files, or auto (then on both sides, or on one with the
 * other not given).  EXIT_OK or EXIT_USAGE (message printed). */
int cli_perm_check(const char *cmd, const char *rows_spec, const char *cols_spec);

/* Factors `a` with the permutations the values ask for (NULL: none) and
 * leaves them on *chain, so that the chain stands for `a` itself.  With
 * lists, every pair is factored and the one of least error kept.  A dmf
 * status; *chain as dmf_butterfly_factor leaves it. */
int cli_perm_factor(dmf_context *ctx, const dmf_matrix *a, const size_t *radix_m, const size_t *radix_n,
                    size_t num_factors, const dmf_tree *tree, const dmf_butterfly_options *options,
                    const char *rows_spec, const char *cols_spec, dmf_chain **chain,
                    dmf_butterfly_report *report, cli_perm_result *result);

/* The JSON members: perm_rows, perm_cols, perm_tried, perm_time_s and, for
 * auto, perm_search {time_s, min_score, levels}; perm_verdict from the
 * error of the factorization. */
void cli_perm_json(json_line *j, const cli_perm_result *result, double rel_error, dmf_dtype dtype);
/* What a permutation search found, from the error it led to and its
 * smallest score: "exact" (the error is rounding: 1e-10 in double, 1e-4 in
 * single precision), "approximate" (every score at least 0.5: the
 * structure was found, the error is what noise leaves) or `not_found`. */
const char *cli_search_verdict(dmf_dtype dtype, double rel_error, double min_score, const char *not_found);

#endif
