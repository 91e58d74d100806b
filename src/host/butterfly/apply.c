/* Applying a chain to a block of vectors in O(nnz) per vector. */
#include <stdlib.h>
#include <string.h>

#include "chain_internal.h"

#define DMF_IMPL "../butterfly/apply_impl.h"
#include "scalar_instantiate.h"

static void apply_factor(dmf_dtype dtype, const void *blocks, size_t a, size_t b, size_t c,
                         size_t d, const void *x, void *y, size_t nvec)
{
    switch (dtype) {
    case DMF_F32: apply_factor_s(blocks, a, b, c, d, x, y, nvec); break;
    case DMF_F64: apply_factor_d(blocks, a, b, c, d, x, y, nvec); break;
    case DMF_C64: apply_factor_c(blocks, a, b, c, d, x, y, nvec); break;
    case DMF_C128: apply_factor_z(blocks, a, b, c, d, x, y, nvec); break;
    }
}

int dmf_chain_apply(const dmf_chain *chain, const dmf_matrix *x, dmf_matrix **y)
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
    size_t widest = x->rows;
    for (size_t k = 0; k < s->num_factors; k++) {
        size_t a, b, c, d;
        dmf_range_support(s, k, k, &a, &b, &c, &d);
        if (a * b * d > widest) widest = a * b * d;
    }
    size_t count;
    if (!dmf_mul_size(widest, nvec, &count))
        return dmf_fail(DMF_ERR_SHAPE, "%zu vectors of length %zu are too many", nvec, widest);
    void *cur = dmf_alloc(count, elem), *next = dmf_alloc(count, elem);
    if (!cur || !next) {
        free(cur);
        free(next);
        return dmf_fail(DMF_ERR_NOMEM, "cannot allocate %zu vectors of length %zu", nvec, widest);
    }
    memcpy(cur, x->data, x->rows * nvec * elem);
    for (size_t k = s->num_factors; k-- > 0;) {
        size_t a, b, c, d;
        dmf_range_support(s, k, k, &a, &b, &c, &d);
        apply_factor(chain->dtype, chain->blocks[k], a, b, c, d, cur, next, nvec);
        void *swap = cur;
        cur = next;
        next = swap;
    }
    free(next);
    int status = dmf_matrix_create(y, chain->dtype, dmf_chain_rows(chain), nvec);
    if (status == DMF_OK) memcpy((*y)->data, cur, (*y)->rows * nvec * elem);
    free(cur);
    return status;
}
