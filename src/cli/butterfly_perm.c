/* --perm-rows / --perm-cols of dmf butterfly factor (docs/permutations.md). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "butterfly/factor_permuted.h"
#include "butterfly_perm.h"
#include "internal.h" /* dmf_fail, dmf_permutation_check */

#define MAX_CANDIDATES 16

static int ends_with(const char *s, size_t len, const char *tail)
{
    size_t n = strlen(tail);
    return len >= n && !strncmp(s + len - n, tail, n);
}

/* Splits "a,b,c" into at most MAX_CANDIDATES items (pointers into buf). */
static int split_list(const char *spec, char *buf, size_t cap, const char **items)
{
    snprintf(buf, cap, "%s", spec ? spec : "none");
    int count = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (count == MAX_CANDIDATES) return -1;
        items[count++] = tok;
    }
    return count;
}

static int check_side(const char *cmd, const char *option, const char *spec)
{
    if (!spec) return EXIT_OK;
    char buf[4096];
    const char *items[MAX_CANDIDATES];
    if (strlen(spec) >= sizeof buf) return cli_usage_error(cmd, "%s: the value is too long", option);
    int count = split_list(spec, buf, sizeof buf, items);
    if (count < 0) return cli_usage_error(cmd, "%s: at most %d candidates", option, MAX_CANDIDATES);
    if (count == 0) return cli_usage_error(cmd, "%s: empty value (none, bitrev, auto, FILE.npy or a comma list)", option);
    for (int k = 0; k < count; k++) {
        const char *it = items[k];
        if (!strcmp(it, "auto")) {
            if (count > 1) return cli_usage_error(cmd, "%s: auto finds the permutation itself and is not one of a list", option);
            continue;
        }
        if (!strcmp(it, "none") || !strcmp(it, "bitrev") || ends_with(it, strlen(it), ".npy")) continue;
        return cli_usage_error(cmd, "%s: '%s' is not none, bitrev, auto or a .npy file of indices", option, it);
    }
    return EXIT_OK;
}

int cli_perm_check(const char *cmd, const char *rows_spec, const char *cols_spec)
{
    if (check_side(cmd, "--perm-rows", rows_spec) != EXIT_OK) return EXIT_USAGE;
    if (check_side(cmd, "--perm-cols", cols_spec) != EXIT_OK) return EXIT_USAGE;
    int rows_auto = rows_spec && !strcmp(rows_spec, "auto"), cols_auto = cols_spec && !strcmp(cols_spec, "auto");
    if ((rows_auto && cols_spec && !cols_auto) || (cols_auto && rows_spec && !rows_auto))
        return cli_usage_error(cmd, "auto finds the row and the column permutation together: give auto on both "
                                    "sides (or on one, leaving the other out)");
    return EXIT_OK;
}

/* The permutation a candidate names (NULL for none), of `count` entries. */
static int candidate(const char *item, size_t count, const size_t *radix, size_t num_factors, size_t **out)
{
    *out = NULL;
    if (!strcmp(item, "none")) return DMF_OK;
    if (strcmp(item, "bitrev")) {
        /* Checked here, not only by the chain, so the message names the file. */
        char what[300];
        snprintf(what, sizeof what, "'%s'", item);
        DMF_TRY(dmf_npy_read_indices(item, count, out));
        int status = dmf_permutation_check(*out, count, what);
        if (status != DMF_OK) {
            free(*out);
            *out = NULL;
        }
        return status;
    }
    size_t *perm = malloc((count ? count : 1) * sizeof *perm);
    if (!perm) return dmf_fail(DMF_ERR_NOMEM, "out of memory for a permutation of %zu", count);
    int status = dmf_digit_reversal(num_factors, radix, perm);
    if (status != DMF_OK) {
        free(perm);
        return status;
    }
    *out = perm;
    return DMF_OK;
}

/* One factorization of a[rows][:, cols] whose chain carries the
 * permutations (so it stands for `a`), without a permuted copy of `a`
 * where the tree allows; its error against `a` when rel_error is not NULL. */
static int factor_pair(dmf_context *ctx, const dmf_matrix *a, const size_t *radix_m, const size_t *radix_n,
                       size_t num_factors, const dmf_tree *tree, const dmf_butterfly_options *options,
                       const size_t *rows, const size_t *cols, dmf_chain **chain, dmf_butterfly_report *report,
                       double *rel_error)
{
    int status = dmf_butterfly_factor_permuted(ctx, a, rows, cols, radix_m, radix_n, num_factors, tree, options,
                                               chain, report);
    if (rel_error && *chain && (status == DMF_OK || status == DMF_ERR_NUMERIC)) {
        int s2 = dmf_chain_rel_error(*chain, a, rel_error);
        if (s2 != DMF_OK) status = s2;
    }
    return status;
}

int cli_perm_factor(dmf_context *ctx, const dmf_matrix *a, const size_t *radix_m, const size_t *radix_n,
                    size_t num_factors, const dmf_tree *tree, const dmf_butterfly_options *options,
                    const char *rows_spec, const char *cols_spec, dmf_chain **chain,
                    dmf_butterfly_report *report, cli_perm_result *result)
{
    memset(result, 0, sizeof *result);
    *chain = NULL;
    result->used = rows_spec || cols_spec;
    if (!result->used)
        return dmf_butterfly_factor(ctx, a, radix_m, radix_n, num_factors, tree, options, chain, report);
    const size_t nrows = dmf_matrix_rows(a), ncols = dmf_matrix_cols(a);
    const double start = cli_now();
    double error;
    if ((rows_spec && !strcmp(rows_spec, "auto")) || (cols_spec && !strcmp(cols_spec, "auto"))) {
        if (options->rank != 1)
            return dmf_fail(DMF_ERR_ARG, "auto permutations are found for rank 1 only (the rank-one blocks "
                                         "of every split are what the search reads)");
        size_t *rows = malloc((nrows ? nrows : 1) * sizeof *rows), *cols = malloc((ncols ? ncols : 1) * sizeof *cols);
        int status = rows && cols ? DMF_OK : dmf_fail(DMF_ERR_NOMEM, "out of memory for the permutations");
        if (status == DMF_OK)
            status = dmf_butterfly_identify_permutations(a, num_factors, radix_m, radix_n, rows, cols, &result->search);
        result->searched = status == DMF_OK;
        snprintf(result->rows, sizeof result->rows, "auto");
        snprintf(result->cols, sizeof result->cols, "auto");
        result->tried = 1;
        const double factored = cli_now();
        if (status == DMF_OK)
            /* No error here: the command computes it once, after. */
            status = factor_pair(ctx, a, radix_m, radix_n, num_factors, tree, options, rows, cols, chain, report, NULL);
        result->time_s = factored - start;
        free(rows);
        free(cols);
        return status;
    }
    char rbuf[4096], cbuf[4096];
    const char *ritems[MAX_CANDIDATES], *citems[MAX_CANDIDATES];
    int nr = split_list(rows_spec, rbuf, sizeof rbuf, ritems), nc = split_list(cols_spec, cbuf, sizeof cbuf, citems);
    if (nr <= 0 || nc <= 0) return dmf_fail(DMF_ERR_ARG, "bad --perm-rows / --perm-cols value");
    double best = 0.0, kept_time = 0.0;
    int status = DMF_OK;
    for (int r = 0; r < nr && status == DMF_OK; r++)
        for (int c = 0; c < nc && status == DMF_OK; c++) {
            size_t *rows = NULL, *cols = NULL;
            status = candidate(ritems[r], nrows, radix_m, num_factors, &rows);
            if (status == DMF_OK) status = candidate(citems[c], ncols, radix_n, num_factors, &cols);
            dmf_chain *trial = NULL;
            dmf_butterfly_report trial_report;
            double t0 = cli_now();
            if (status == DMF_OK)
                status = factor_pair(ctx, a, radix_m, radix_n, num_factors, tree, options, rows, cols, &trial,
                                     &trial_report, &error);
            free(rows);
            free(cols);
            result->tried++;
            if (status != DMF_OK) {
                /* A numerical failure keeps its chain for the caller to report. */
                if (trial && status == DMF_ERR_NUMERIC) {
                    dmf_chain_free(*chain);
                    *chain = trial;
                    *report = trial_report;
                } else {
                    dmf_chain_free(trial);
                }
                break;
            }
            if (!*chain || error < best) {
                dmf_chain_free(*chain);
                *chain = trial, *report = trial_report, best = error;
                kept_time = cli_now() - t0;
                snprintf(result->rows, sizeof result->rows, "%s", ritems[r]);
                snprintf(result->cols, sizeof result->cols, "%s", citems[c]);
            } else {
                dmf_chain_free(trial);
            }
        }
    result->time_s = cli_now() - start - kept_time;
    return status;
}

void cli_perm_json(json_line *j, const cli_perm_result *result, double rel_error, dmf_dtype dtype)
{
    if (!result->used) return;
    json_str(j, "perm_rows", result->rows);
    json_str(j, "perm_cols", result->cols);
    json_int(j, "perm_tried", (long long)result->tried);
    json_num(j, "perm_time_s", result->time_s);
    if (!result->searched) return;
    const dmf_perm_report *s = &result->search;
    json_key(j, "perm_search");
    printf("{\"time_s\": " JSON_NUM ", \"min_score\": " JSON_NUM ", \"levels\": [", s->time_s, s->min_score);
    for (size_t k = 0; k < s->num_levels; k++)
        printf("%s{\"group_score\": " JSON_NUM ", \"column_score\": " JSON_NUM "}", k ? ", " : "",
               s->levels[k].group_score, s->levels[k].column_score);
    fputs("]}", stdout);
    /* Exact: the error of a chain to rounding; a chain under noise: the
     * groups were clear (every score well above the 1/size of unrelated
     * vectors) and the error is what is left; otherwise no chain structure
     * on these radices was found. */
    if (isnan(rel_error)) return; /* --no-error: no verdict without the error */
    json_str(j, "perm_verdict", cli_search_verdict(dtype, rel_error, s->min_score, "not_a_permuted_chain"));
}

const char *cli_search_verdict(dmf_dtype dtype, double rel_error, double min_score, const char *not_found)
{
    const double exact = dmf_dtype_eps(dtype) > 1e-10 ? 1e-4 : 1e-10;
    return rel_error <= exact ? "exact" : min_score >= 0.5 ? "approximate" : not_found;
}
