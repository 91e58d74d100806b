/* Products of chain factors in compact form: densify and error without
 * the O(N^2 log N) cost of applying the factors to the identity. */
#include <stdlib.h>
#include <string.h>

#include "chain_internal.h"
#include "scale.h"

#define DMF_IMPL "../butterfly/merge_impl.h"
#include "scalar_instantiate.h"

void dmf_merge_ranges_scaled(dmf_dtype dtype, const dmf_split_geometry *g, const void *w,
                             const void *h, void *t, const void *ref, double *diff_sq,
                             double *ref_sq, double scale)
{
    switch (dtype) {
    case DMF_F32: merge_s(g, w, h, t, ref, diff_sq, ref_sq, scale); break;
    case DMF_F64: merge_d(g, w, h, t, ref, diff_sq, ref_sq, scale); break;
    case DMF_C64: merge_c(g, w, h, t, ref, diff_sq, ref_sq, scale); break;
    case DMF_C128: merge_z(g, w, h, t, ref, diff_sq, ref_sq, scale); break;
    }
}

void dmf_merge_ranges(dmf_dtype dtype, const dmf_split_geometry *g, const void *w, const void *h,
                      void *t, const void *ref, double *diff_sq, double *ref_sq)
{
    dmf_merge_ranges_scaled(dtype, g, w, h, t, ref, diff_sq, ref_sq, 1.0);
}

/* Splits [p, q] as the balanced tree does, so the largest intermediate is
 * about sqrt of the full matrix for square chains. */
static size_t balanced_split(size_t p, size_t q) { return (p + q - 1) / 2; }

int dmf_chain_range_product(const dmf_chain *chain, size_t p, size_t q, void **out)
{
    const dmf_chain_shape *s = &chain->shape;
    size_t elem = dmf_dtype_size(chain->dtype);
    *out = dmf_alloc(dmf_range_size(s, p, q), elem);
    if (!*out) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate the product of factors %zu..%zu", p, q);
    if (p == q) {
        memcpy(*out, chain->blocks[p], dmf_range_size(s, p, p) * elem);
        return DMF_OK;
    }
    size_t l = balanced_split(p, q);
    void *w = NULL, *h = NULL;
    int status = dmf_chain_range_product(chain, p, l, &w);
    if (status == DMF_OK) status = dmf_chain_range_product(chain, l + 1, q, &h);
    if (status == DMF_OK) {
        dmf_split_geometry g = dmf_split_geometry_of(s, p, l, q);
        dmf_merge_ranges(chain->dtype, &g, w, h, *out, NULL, NULL, NULL);
    } else {
        free(*out);
        *out = NULL;
    }
    free(w);
    free(h);
    return status;
}

int dmf_chain_densify(const dmf_chain *chain, dmf_matrix **out)
{
    DMF_TRY(dmf_matrix_create(out, chain->dtype, dmf_chain_rows(chain), dmf_chain_cols(chain)));
    void *values;
    int status = dmf_chain_range_product(chain, 0, chain->shape.num_factors - 1, &values);
    if (status != DMF_OK) {
        dmf_matrix_free(*out);
        *out = NULL;
        return status;
    }
    if (chain->perm_rows || chain->perm_cols) {
        /* A[perm_rows[i]][perm_cols[j]] = B[i][j]: scattered into A's order. */
        const size_t elem = dmf_dtype_size(chain->dtype), n = (*out)->cols;
        char *to = (*out)->data;
        const char *from = values;
        for (size_t i = 0; i < (*out)->rows; i++) {
            char *row = to + (chain->perm_rows ? chain->perm_rows[i] : i) * n * elem;
            for (size_t j = 0; j < n; j++)
                memcpy(row + (chain->perm_cols ? chain->perm_cols[j] : j) * elem, from + (i * n + j) * elem, elem);
        }
        free(values);
        values = (*out)->data;
        (*out)->data = NULL;
    }
    free((*out)->data);
    (*out)->data = values; /* the root range is the dense row-major matrix */
    size_t count = (*out)->rows * (*out)->cols, bad = dmf_first_nonfinite(chain->dtype, values, count);
    if (bad < count) {
        dmf_matrix_free(*out);
        *out = NULL;
        return dmf_fail(DMF_ERR_NUMERIC, "entry (%zu, %zu) of the product is not finite: it overflows %s",
                        bad / dmf_chain_cols(chain), bad % dmf_chain_cols(chain), dmf_dtype_name(chain->dtype));
    }
    return DMF_OK;
}

int dmf_chain_rel_error(const dmf_chain *chain, const dmf_matrix *a, double *rel_error)
{
    const dmf_chain_shape *s = &chain->shape;
    if (a->dtype != chain->dtype)
        return dmf_fail(DMF_ERR_ARG, "matrix dtype %s differs from chain dtype %s",
                        dmf_dtype_name(a->dtype), dmf_dtype_name(chain->dtype));
    if (a->rows != dmf_chain_rows(chain) || a->cols != dmf_chain_cols(chain))
        return dmf_fail(DMF_ERR_SHAPE, "matrix is %zu x %zu but the chain is %zu x %zu", a->rows,
                        a->cols, dmf_chain_rows(chain), dmf_chain_cols(chain));
    if (chain->perm_rows || chain->perm_cols) {
        /* Compared in the chain's own order: a permuted copy of A against
         * the same chain without its permutations. */
        dmf_matrix *b;
        DMF_TRY(dmf_matrix_permute(a, chain->perm_rows, chain->perm_cols, &b));
        dmf_chain plain = *chain;
        plain.perm_rows = plain.perm_cols = NULL;
        int status = dmf_chain_rel_error(&plain, b, rel_error);
        dmf_matrix_free(b);
        return status;
    }
    size_t L = s->num_factors;
    double diff_sq = 0, ref_sq = 0;
    void *w = NULL, *h = NULL;
    dmf_split_geometry g;
    if (L > 1) {
        size_t l = balanced_split(0, L - 1);
        int status = dmf_chain_range_product(chain, 0, l, &w);
        if (status == DMF_OK) status = dmf_chain_range_product(chain, l + 1, L - 1, &h);
        if (status != DMF_OK) {
            free(w);
            free(h);
            return status;
        }
        g = dmf_split_geometry_of(s, 0, l, L - 1);
    }
    /* Plain sums of squares first; when they overflowed or underflowed
     * (entries beyond about 1e+-146), again with A's largest entry brought
     * near 1 by a power of two, as dnrm2 scales: the ratio is the same. */
    size_t count = a->rows * a->cols, reals = dmf_dtype_is_complex(a->dtype) ? 2 * count : count;
    double scale = 1;
    for (int pass = 0; pass < 2; pass++) {
        diff_sq = ref_sq = 0;
        if (L == 1) { /* the single factor is the dense matrix */
            for (size_t i = 0; i < count; i++) {
                double complex ref = dmf_get(a->dtype, a->data, i) * scale;
                double complex diff = ref - dmf_get(a->dtype, chain->blocks[0], i) * scale;
                diff_sq += creal(diff) * creal(diff) + cimag(diff) * cimag(diff);
                ref_sq += creal(ref) * creal(ref) + cimag(ref) * cimag(ref);
            }
        } else {
            dmf_merge_ranges_scaled(chain->dtype, &g, w, h, NULL, a->data, &diff_sq, &ref_sq, scale);
        }
        int e;
        if (pass > 0 || (!dmf_sum_sq_unsafe(ref_sq, reals) && isfinite(diff_sq)) ||
            !dmf_extreme_exponent(a->dtype, a->data, count, 0, &e))
            break;
        scale = dmf_pow2_clamped(-e);
    }
    free(w);
    free(h);
    if (!isfinite(ref_sq))
        return dmf_fail(DMF_ERR_NUMERIC, "the relative error is not finite: the matrix has "
                                         "entries that are not finite");
    if (!isfinite(diff_sq))
        return dmf_fail(DMF_ERR_NUMERIC, "the relative error is not finite: the product of the "
                                         "factors overflows %s", dmf_dtype_name(chain->dtype));
    *rel_error = ref_sq > 0 ? sqrt(diff_sq / ref_sq) : sqrt(diff_sq);
    return DMF_OK;
}
