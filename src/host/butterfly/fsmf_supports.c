/* Supports of a two-factor class found from A: the class is a two-factor
 * chain on radices (m0, m1), (n0, n1) — X = F_0 = 1_{m0 x n0} (x) I_{m1}
 * (n0 nonzeros per row, m0 per column) and Y = F_1 = I_{n0} (x)
 * 1_{m1 x n1} (n1 per row, m1 per column) — with the rows of X and the
 * columns of Y in an unknown order.  The butterfly permutation search on
 * the one split of such a chain reads that order off A; the supports
 * follow from it (docs/fsmf.md). */
#include <stdlib.h>
#include <string.h>

#include "butterfly/chain_internal.h"

/* The supports of one class. */
static int supports_of_class(const dmf_matrix *a, const size_t *radix_m, const size_t *radix_n, dmf_matrix **sx,
                             dmf_matrix **sy, dmf_perm_report *report)
{
    *sx = *sy = NULL;
    const size_t m0 = radix_m[0], m1 = radix_m[1], n0 = radix_n[0], n1 = radix_n[1];
    const size_t rows = dmf_matrix_rows(a), cols = dmf_matrix_cols(a);
    if (!m0 || !m1 || !n0 || !n1 || m0 * m1 != rows || n0 * n1 != cols)
        return dmf_fail(DMF_ERR_SHAPE,
                        "the two-factor class %zu,%zu x %zu,%zu does not fit a %zu x %zu matrix (m0 m1 = rows, "
                        "n0 n1 = cols)", m0, m1, n0, n1, rows, cols);
    const size_t inner = n0 * m1;
    size_t *p = malloc(rows * sizeof *p), *q = malloc(cols * sizeof *q);
    int status = p && q ? DMF_OK : dmf_fail(DMF_ERR_NOMEM, "cannot allocate the permutations");
    if (status == DMF_OK) status = dmf_butterfly_identify_permutations(a, 2, radix_m, radix_n, p, q, report);
    if (status == DMF_OK) status = dmf_matrix_create(sx, DMF_F64, rows, inner);
    if (status == DMF_OK) status = dmf_matrix_create(sy, DMF_F64, inner, cols);
    if (status == DMF_OK) {
        /* Row i = (i0, i1) of F_0 meets inner k = (k0, k1) when i1 = k1;
         * inner k meets column j = (j0, j1) of F_1 when k0 = j0.  Row i of
         * the chain is row p[i] of A, column j is column q[j]. */
        double *x = dmf_matrix_data(*sx), *y = dmf_matrix_data(*sy);
        for (size_t e = 0; e < rows * inner; e++) x[e] = 0;
        for (size_t e = 0; e < inner * cols; e++) y[e] = 0;
        for (size_t i = 0; i < rows; i++)
            for (size_t k0 = 0; k0 < n0; k0++) x[p[i] * inner + k0 * m1 + i % m1] = 1;
        for (size_t k = 0; k < inner; k++)
            for (size_t j1 = 0; j1 < n1; j1++) y[k * cols + q[(k / m1) * n1 + j1]] = 1;
    } else {
        dmf_matrix_free(*sx);
        dmf_matrix_free(*sy);
        *sx = *sy = NULL;
    }
    free(p);
    free(q);
    return status;
}

int dmf_fsmf_find_supports(dmf_context *ctx, const dmf_matrix *a, const size_t *radix_m, const size_t *radix_n,
                           dmf_matrix **sx, dmf_matrix **sy, dmf_support_report *report)
{
    memset(report, 0, sizeof *report);
    *sx = *sy = NULL;
    if (!radix_m != !radix_n) return dmf_fail(DMF_ERR_ARG, "give both radix_m and radix_n, or neither");
    const size_t rows = dmf_matrix_rows(a), cols = dmf_matrix_cols(a);
    size_t classes[2][4], count = 0;
    if (radix_m) {
        size_t given[4] = {radix_m[0], radix_m[1], radix_n[0], radix_n[1]};
        memcpy(classes[count++], given, sizeof given);
    } else if (rows % 2 == 0 && cols % 2 == 0) {
        /* The DFT's split (X 2-sparse) and the DCT's and DST's (Y 2-sparse). */
        size_t two_first[4] = {2, rows / 2, 2, cols / 2}, two_last[4] = {rows / 2, 2, cols / 2, 2};
        memcpy(classes[count++], two_first, sizeof two_first);
        if (memcmp(two_first, two_last, sizeof two_first)) memcpy(classes[count++], two_last, sizeof two_last);
    } else {
        return dmf_fail(DMF_ERR_SHAPE, "a %zu x %zu matrix has no class of factors with 2 nonzeros per row and "
                                       "column; give the class's radices", rows, cols);
    }
    /* The class whose supports fit A best, by the FSMF error on them; the
     * first that fits to rounding ends the trials (the DFT is exact on both). */
    const double rounding = 1e3 * dmf_dtype_eps(dmf_matrix_dtype(a));
    double start = dmf_now_seconds(), best = 0;
    int status = DMF_OK;
    for (size_t c = 0; c < count && status == DMF_OK; c++) {
        dmf_matrix *tx = NULL, *ty = NULL, *x = NULL, *y = NULL;
        dmf_perm_report perm;
        dmf_fsmf_report rep;
        status = supports_of_class(a, classes[c], classes[c] + 2, &tx, &ty, &perm);
        if (status == DMF_OK && count > 1) status = dmf_fsmf(ctx, a, tx, ty, &x, &y, &rep);
        dmf_matrix_free(x);
        dmf_matrix_free(y);
        if (status == DMF_OK && (c == 0 || rep.rel_error + rounding < best)) {
            dmf_matrix_free(*sx);
            dmf_matrix_free(*sy);
            *sx = tx, *sy = ty;
            tx = ty = NULL;
            best = count > 1 ? rep.rel_error : 0;
            memcpy(report->radix_m, classes[c], 2 * sizeof(size_t));
            memcpy(report->radix_n, classes[c] + 2, 2 * sizeof(size_t));
            report->min_score = perm.min_score;
        }
        dmf_matrix_free(tx);
        dmf_matrix_free(ty);
        report->classes_tried++;
        /* An exact class is the answer: the next search would cost more. */
        if (status == DMF_OK && count > 1 && best <= rounding) break;
    }
    report->time_s = dmf_now_seconds() - start;
    if (status != DMF_OK) {
        dmf_matrix_free(*sx);
        dmf_matrix_free(*sy);
        *sx = *sy = NULL;
    }
    return status;
}
