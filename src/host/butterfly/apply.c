/* Applying a chain to a block of vectors in O(nnz) per vector, one factor
 * at a time through the backend's apply_factor. */
#include <stdlib.h>
#include <string.h>

#include "chain_internal.h"

static int apply_with(const dmf_backend *be, const dmf_chain *chain, const dmf_matrix *x, dmf_matrix **y)
{
    *y = NULL;
    const dmf_chain_shape *s = &chain->shape;
    if (x->dtype != chain->dtype)
        return dmf_fail(DMF_ERR_ARG, "vectors are %s but the chain is %s", dmf_dtype_name(x->dtype),
                        dmf_dtype_name(chain->dtype));
    if (x->rows != dmf_chain_cols(chain))
        return dmf_fail(DMF_ERR_SHAPE, "the chain has %zu columns but the vectors have %zu rows",
                        dmf_chain_cols(chain), x->rows);
    DMF_TRY(dmf_matrix_check_finite(x));
    size_t nvec = x->cols, elem = dmf_dtype_size(x->dtype);
    /* Inner sizes differ per factor (ranks), so size the ping-pong buffers
     * for the largest one. */
    size_t widest = x->rows, largest_factor = 0;
    for (size_t k = 0; k < s->num_factors; k++) {
        size_t a, b, c, d;
        dmf_range_support(s, k, k, &a, &b, &c, &d);
        if (a * b * d > widest) widest = a * b * d;
        if (a * b * c * d > largest_factor) largest_factor = a * b * c * d;
    }
    size_t count;
    if (!dmf_mul_size(widest, nvec, &count) || !dmf_mul_size(count, elem, &count))
        return dmf_fail(DMF_ERR_SHAPE, "%zu vectors of length %zu are too many", nvec, widest);
    /* Factors go to the backend's memory one at a time, unless it is ours. */
    void *cur = NULL, *next = NULL, *factor = NULL;
    int status = be->mem_alloc(&cur, count);
    if (status == DMF_OK) status = be->mem_alloc(&next, count);
    if (status == DMF_OK && !be->host_memory) status = be->mem_alloc(&factor, largest_factor * elem);
    if (status != DMF_OK)
        dmf_fail_context(status, "%zu vectors of length %zu", nvec, widest);
    if (status == DMF_OK) status = be->mem_upload(cur, x->data, x->rows * nvec * elem);
    for (size_t k = s->num_factors; k-- > 0 && status == DMF_OK;) {
        size_t a, b, c, d;
        dmf_range_support(s, k, k, &a, &b, &c, &d);
        const void *blocks = chain->blocks[k];
        if (factor) {
            status = be->mem_upload(factor, blocks, a * b * c * d * elem);
            blocks = factor;
        }
        if (status == DMF_OK) status = be->apply_factor(chain->dtype, a, b, c, d, blocks, cur, next, nvec);
        void *swap = cur;
        cur = next;
        next = swap;
    }
    if (status == DMF_OK) status = dmf_matrix_create(y, chain->dtype, dmf_chain_rows(chain), nvec);
    if (status == DMF_OK) status = be->mem_download((*y)->data, cur, (*y)->rows * nvec * elem);
    if (status != DMF_OK && *y) {
        dmf_matrix_free(*y);
        *y = NULL;
    }
    be->mem_free(cur);
    be->mem_free(next);
    be->mem_free(factor);
    return status;
}

int dmf_chain_apply(const dmf_chain *chain, const dmf_matrix *x, dmf_matrix **y)
{
    return apply_with(dmf_backend_cpu(), chain, x, y);
}

int dmf_chain_apply_ctx(dmf_context *ctx, const dmf_chain *chain, const dmf_matrix *x, dmf_matrix **y)
{
    return apply_with(dmf_context_backend(ctx), chain, x, y);
}
