/* Applying a chain (or its transpose / adjoint) to a block of vectors in
 * O(nnz) per vector: runs of factors in one pass over the vectors where the
 * backend has apply_run (dmf_apply_plan), else one factor at a time through
 * its apply_factor.  Vectors come and go in any strided layout; inside they are
 * rows of nvec contiguous entries in the backend's memory. */
#include <stdlib.h>
#include <string.h>

#include "chain_internal.h"
#include "scale.h"

/* Copies rows x nvec elements between a strided layout and a packed
 * row-major buffer (to_packed: strided -> packed); packed row i is strided
 * row perm[i] (perm NULL: row i), which is how a chain's row and column
 * permutations are applied on the way in and out. */
static void copy_strided(size_t elem, size_t rows, size_t nvec, void *packed, void *strided,
                         size_t row_stride, size_t vec_stride, int to_packed, const size_t *perm)
{
    char *p = packed, *s = strided;
    if (!perm && vec_stride == 1 && row_stride == nvec) {
        if (to_packed) memcpy(p, s, rows * nvec * elem);
        else memcpy(s, p, rows * nvec * elem);
        return;
    }
    for (size_t i = 0; i < rows; i++)
        for (size_t t = 0; t < nvec; t++) {
            char *at = s + ((perm ? perm[i] : i) * row_stride + t * vec_stride) * elem, *pk = p + (i * nvec + t) * elem;
            if (to_packed) memcpy(pk, at, elem);
            else memcpy(at, pk, elem);
        }
}

/* Transposed (and for DMF_OP_H conjugated) copies of the b x c blocks of one
 * factor: the factor F^T has support (a, c, b, d) with these c x b blocks. */
#define TRANSPOSE_BLOCKS(T, CONJ)                                                                  \
    do {                                                                                           \
        const T *in = blocks;                                                                      \
        T *to = out;                                                                               \
        for (size_t blk = 0; blk < count; blk++, in += b * c, to += b * c)                         \
            for (size_t beta = 0; beta < b; beta++)                                                \
                for (size_t gamma = 0; gamma < c; gamma++) to[gamma * b + beta] = CONJ(in[beta * c + gamma]); \
    } while (0)
#define AS_IS(v) (v)

static void transpose_blocks(dmf_dtype dtype, int conjugate, size_t count, size_t b, size_t c,
                             const void *blocks, void *out)
{
    switch (dtype) {
    case DMF_F32: TRANSPOSE_BLOCKS(float, AS_IS); break;
    case DMF_F64: TRANSPOSE_BLOCKS(double, AS_IS); break;
    case DMF_C64:
        if (conjugate) TRANSPOSE_BLOCKS(float complex, conjf);
        else TRANSPOSE_BLOCKS(float complex, AS_IS);
        break;
    case DMF_C128:
        if (conjugate) TRANSPOSE_BLOCKS(double complex, conj);
        else TRANSPOSE_BLOCKS(double complex, AS_IS);
        break;
    }
}

static int check_finite_strided(dmf_dtype dtype, const void *x, size_t rows, size_t nvec, size_t row_stride,
                                size_t vec_stride)
{
    /* Packed vectors (row- or column-major): one vectorized pass. */
    int packed = (vec_stride == 1 && row_stride == nvec) || (row_stride == 1 && vec_stride == rows);
    if (packed && dmf_all_finite(dtype, x, rows * nvec)) return DMF_OK;
    for (size_t i = 0; i < rows; i++)
        for (size_t t = 0; t < nvec; t++) {
            double complex v = dmf_get(dtype, x, i * row_stride + t * vec_stride);
            if (!isfinite(creal(v)) || !isfinite(cimag(v)))
                return dmf_fail(DMF_ERR_NUMERIC, "entry (%zu, %zu) of the vectors is not finite", i, t);
        }
    return DMF_OK;
}

static int apply_with(const dmf_backend *be, const dmf_chain *chain, dmf_op op, size_t nvec, const void *x,
                      size_t x_row_stride, size_t x_vec_stride, void *y, size_t y_row_stride,
                      size_t y_vec_stride)
{
    const dmf_chain_shape *s = &chain->shape;
    dmf_dtype dtype = chain->dtype;
    if ((unsigned)op > DMF_OP_H) return dmf_fail(DMF_ERR_ARG, "invalid op %d", (int)op);
    size_t in_rows = op == DMF_OP_N ? dmf_chain_cols(chain) : dmf_chain_rows(chain);
    size_t out_rows = op == DMF_OP_N ? dmf_chain_rows(chain) : dmf_chain_cols(chain);
    if (nvec == 0) return DMF_OK;
    if (!x || !y) return dmf_fail(DMF_ERR_ARG, "no vectors given");
    DMF_TRY(check_finite_strided(dtype, x, in_rows, nvec, x_row_stride, x_vec_stride));
    size_t elem = dmf_dtype_size(dtype);
    /* Inner sizes differ per factor (ranks), so size the ping-pong buffers
     * for the largest one, in either direction. */
    size_t L = s->num_factors, widest = in_rows > out_rows ? in_rows : out_rows, largest_factor = 0;
    for (size_t k = 0; k < L; k++) {
        size_t a, b, c, d;
        dmf_range_support(s, k, k, &a, &b, &c, &d);
        if (a * b * d > widest) widest = a * b * d;
        if (a * c * d > widest) widest = a * c * d;
        if (a * b * c * d > largest_factor) largest_factor = a * b * c * d;
    }
    size_t count;
    if (!dmf_mul_size(widest, nvec, &count) || !dmf_mul_size(count, elem, &count))
        return dmf_fail(DMF_ERR_SHAPE, "%zu vectors of length %zu are too many", nvec, widest);
    /* Factors go to the backend's memory one at a time unless it is ours;
     * transposed factors are made on the host first. */
    void *cur = NULL, *next = NULL, *factor = NULL, *host_vectors = NULL;
    char *transposed = NULL;
    dmf_factor_ref *refs = malloc((L ? L : 1) * sizeof *refs);
    dmf_apply_run *runs = malloc((L ? L : 1) * sizeof *runs);
    int status = refs && runs ? DMF_OK : dmf_fail(DMF_ERR_NOMEM, "cannot allocate the plan of %zu factors", L);
    if (status == DMF_OK) status = be->mem_alloc(&cur, count);
    if (status == DMF_OK && !be->host_memory) status = be->mem_alloc(&factor, largest_factor * elem);
    if (status == DMF_OK && !be->host_memory && !(host_vectors = malloc(count)))
        status = dmf_fail(DMF_ERR_NOMEM, "cannot allocate %zu vectors", nvec);
    if (status != DMF_OK) dmf_fail_context(status, "%zu vectors of length %zu", nvec, widest);

    /* Packed row-major vectors in host memory, without a permutation on
     * their side, are read and written where they are (x and y do not
     * overlap): no copy in or out. */
    const size_t *in_perm = op == DMF_OP_N ? chain->perm_cols : chain->perm_rows;
    const size_t *out_perm = op == DMF_OP_N ? chain->perm_rows : chain->perm_cols;
    const int direct_in = be->host_memory && !in_perm && x_row_stride == nvec && x_vec_stride == 1;
    const int direct_out = be->host_memory && !out_perm && y_row_stride == nvec && y_vec_stride == 1;
    const void *src = x;
    if (status == DMF_OK && !direct_in) {
        copy_strided(elem, in_rows, nvec, be->host_memory ? cur : host_vectors, (void *)x, x_row_stride,
                     x_vec_stride, 1, in_perm);
        if (!be->host_memory) status = be->mem_upload(cur, host_vectors, in_rows * nvec * elem);
        src = cur;
    }
    /* F_0 ... F_{L-1} x applies F_{L-1} first; its transpose F_0^T first,
     * with the blocks of each factor transposed (below, a run at a time). */
    for (size_t step = 0; step < L && status == DMF_OK; step++) {
        size_t k = op == DMF_OP_N ? L - 1 - step : step;
        dmf_factor_ref *f = &refs[step];
        dmf_range_support(s, k, k, &f->a, &f->b, &f->c, &f->d);
        f->blocks = chain->blocks[k];
        if (op != DMF_OP_N) {
            size_t swap = f->b;
            f->b = f->c;
            f->c = swap;
        }
    }
    size_t num_runs = 0;
    if (status == DMF_OK && be->apply_run && be->host_memory)
        num_runs = dmf_apply_plan(refs, L, nvec, elem, runs);
    else if (status == DMF_OK)
        for (; num_runs < L; num_runs++) runs[num_runs] = (dmf_apply_run){.first = num_runs, .count = 1};
    /* Room for the transposed blocks of the largest run (one factor when
     * every run is a single factor: the buffer is reused). */
    size_t run_values = 0;
    for (size_t r = 0; r < num_runs && op != DMF_OP_N; r++) {
        size_t values = 0;
        for (size_t k = runs[r].first; k < runs[r].first + runs[r].count; k++)
            values += refs[k].a * refs[k].b * refs[k].c * refs[k].d;
        if (values > run_values) run_values = values;
    }
    if (status == DMF_OK && run_values && !(transposed = malloc(run_values * elem)))
        status = dmf_fail(DMF_ERR_NOMEM, "cannot allocate the transposed factors");
    for (size_t r = 0; r < num_runs && status == DMF_OK; r++) {
        dmf_factor_ref *f = &refs[runs[r].first];
        for (size_t k = 0, offset = 0; transposed && k < runs[r].count; k++) {
            /* The stored blocks are c x b here (b and c were swapped above). */
            transpose_blocks(dtype, op == DMF_OP_H && dmf_dtype_is_complex(dtype), f[k].a * f[k].d, f[k].c,
                             f[k].b, f[k].blocks, transposed + offset * elem);
            f[k].blocks = transposed + offset * elem;
            offset += f[k].a * f[k].b * f[k].c * f[k].d;
        }
        void *dst;
        if (r == num_runs - 1 && direct_out) {
            dst = y;
        } else if (src != x && runs[r].parts && dmf_apply_run_in_place(&runs[r], f)) {
            dst = (void *)src; /* square runs leave the vectors where they are */
        } else {
            /* The second buffer only when a factor changes the row count
             * or stands alone. */
            if (src == cur && !next && (status = be->mem_alloc(&next, count)) != DMF_OK) break;
            dst = src == cur ? next : cur;
        }
        if (runs[r].parts) {
            status = be->apply_run(dtype, &runs[r], f, src, dst, nvec);
        } else {
            const void *blocks = f->blocks;
            if (factor) {
                status = be->mem_upload(factor, blocks, f->a * f->b * f->c * f->d * elem);
                blocks = factor;
            }
            if (status == DMF_OK) status = be->apply_factor(dtype, f->a, f->b, f->c, f->d, blocks, src, dst, nvec);
        }
        src = dst;
    }
    if (status == DMF_OK && !be->host_memory)
        status = be->mem_download(host_vectors, src, out_rows * nvec * elem);
    if (status == DMF_OK) {
        /* Finite factors and vectors can still have a product beyond the
         * dtype's range: an error, not infinities handed back. */
        const void *result = be->host_memory ? src : host_vectors;
        size_t bad = dmf_first_nonfinite(dtype, result, out_rows * nvec);
        if (bad < out_rows * nvec)
            status = dmf_fail(DMF_ERR_NUMERIC, "entry (%zu, %zu) of the product is not finite: it overflows %s",
                              bad / nvec, bad % nvec, dmf_dtype_name(dtype));
    }
    if (status == DMF_OK && src != y)
        copy_strided(elem, out_rows, nvec, be->host_memory ? (void *)src : host_vectors, y, y_row_stride,
                     y_vec_stride, 0, out_perm);
    be->mem_free(cur);
    be->mem_free(next);
    be->mem_free(factor);
    free(transposed);
    free(refs);
    free(runs);
    free(host_vectors);
    return status;
}

int dmf_chain_apply_op(dmf_context *ctx, const dmf_chain *chain, dmf_op op, size_t nvec, const void *x,
                       size_t x_row_stride, size_t x_vec_stride, void *y, size_t y_row_stride,
                       size_t y_vec_stride)
{
    const dmf_backend *be = ctx ? dmf_context_backend(ctx) : dmf_backend_cpu();
    return apply_with(be, chain, op, nvec, x, x_row_stride, x_vec_stride, y, y_row_stride, y_vec_stride);
}

static int apply_matrix(const dmf_backend *be, const dmf_chain *chain, const dmf_matrix *x, dmf_matrix **y)
{
    *y = NULL;
    if (x->dtype != chain->dtype)
        return dmf_fail(DMF_ERR_ARG, "vectors are %s but the chain is %s", dmf_dtype_name(x->dtype),
                        dmf_dtype_name(chain->dtype));
    if (x->rows != dmf_chain_cols(chain))
        return dmf_fail(DMF_ERR_SHAPE, "the chain has %zu columns but the vectors have %zu rows",
                        dmf_chain_cols(chain), x->rows);
    size_t nvec = x->cols;
    DMF_TRY(dmf_matrix_create(y, chain->dtype, dmf_chain_rows(chain), nvec));
    int status = apply_with(be, chain, DMF_OP_N, nvec, x->data, nvec, 1, (*y)->data, nvec, 1);
    if (status != DMF_OK) {
        dmf_matrix_free(*y);
        *y = NULL;
    }
    return status;
}

int dmf_chain_apply(const dmf_chain *chain, const dmf_matrix *x, dmf_matrix **y)
{
    return apply_matrix(dmf_backend_cpu(), chain, x, y);
}

int dmf_chain_apply_ctx(dmf_context *ctx, const dmf_chain *chain, const dmf_matrix *x, dmf_matrix **y)
{
    return apply_matrix(dmf_context_backend(ctx), chain, x, y);
}
