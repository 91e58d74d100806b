/* The CPU reference table of PALM kernels (palm_kernels.h): BLAS for the
 * dense products, CSR kernels vectorized over contiguous row pieces, the
 * projections of cpu_palm_project.c, OpenMP for the large ones.  The host
 * arrays are the backend's memory (host_memory = 1). */
#include <cblas.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "cpu_palm.h"
#include "internal.h"
#include "palm_kernels.h"

/* A run's work space: the dtype, the blocked chains' buffers and the
 * projections' buffers, kept from one call to the next. */
typedef struct {
    dmf_dtype dtype;
    size_t maxd, block;
    void *blk; /* per thread, two maxd x block buffers of the blocked chains */
    dmf_palm_proj_ws proj;
} cpu_palm_ws;

#define DMF_IMPL "../backend/cpu_palm_impl.h"
#include "scalar_instantiate.h"

void dmf_palm_transpose_real(size_t rows, size_t cols, const double *x, double *y)
{
    transpose_h_d(rows, cols, x, y);
}

/* Runs the entry's instance for the run's dtype (every instance returns
 * void; `ws` is the entry's work space). */
#define DISPATCH(name, ...)                                    \
    switch (((cpu_palm_ws *)ws)->dtype) {                      \
    case DMF_F32: name##_s(__VA_ARGS__); break;                \
    case DMF_F64: name##_d(__VA_ARGS__); break;                \
    case DMF_C64: name##_c(__VA_ARGS__); break;                \
    case DMF_C128: name##_z(__VA_ARGS__); break;               \
    }                                                          \
    return DMF_OK
/* The same for instances that return a status. */
#define DISPATCH_STATUS(name, ...)                             \
    switch (((cpu_palm_ws *)ws)->dtype) {                      \
    case DMF_F32: return name##_s(__VA_ARGS__);                \
    case DMF_F64: return name##_d(__VA_ARGS__);                \
    case DMF_C64: return name##_c(__VA_ARGS__);                \
    case DMF_C128: return name##_z(__VA_ARGS__);               \
    }                                                          \
    return dmf_fail(DMF_ERR_ARG, "invalid dtype")

static int cpu_begin(dmf_dtype dtype, size_t maxd, void **out)
{
    *out = NULL;
    cpu_palm_ws *ws = calloc(1, sizeof *ws);
    if (!ws) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate the PALM work space");
    size_t size = dmf_dtype_size(dtype);
    ws->dtype = dtype;
    ws->maxd = maxd ? maxd : 1;
    /* two maxd x block buffers in about 1 MiB (L2), blocks of 8 to 64 columns */
    ws->block = ((size_t)1 << 19) / (ws->maxd * size) / 8 * 8;
    if (ws->block < 8) ws->block = 8;
    if (ws->block > 64) ws->block = 64;
    ws->blk = malloc((size_t)omp_get_max_threads() * 2 * ws->maxd * ws->block * size);
    if (!ws->blk) {
        free(ws);
        return dmf_fail(DMF_ERR_NOMEM, "cannot allocate the PALM work space (%zu x %zu)", maxd, maxd);
    }
    *out = ws;
    return DMF_OK;
}

static void cpu_end(void *p)
{
    cpu_palm_ws *ws = p;
    if (!ws) return;
    free(ws->blk);
    dmf_palm_proj_ws_free(&ws->proj);
    free(ws);
}

static int cpu_factor_sync(void *ws, dmf_palm_factor *f) { DISPATCH_STATUS(cpu_factor_sync, f); }

static void cpu_factor_free(void *ws, dmf_palm_factor *f)
{
    switch (((cpu_palm_ws *)ws)->dtype) {
    case DMF_F32: cpu_factor_free_s(f); break;
    case DMF_F64: cpu_factor_free_d(f); break;
    case DMF_C64: cpu_factor_free_c(f); break;
    case DMF_C128: cpu_factor_free_z(f); break;
    }
}

static int cpu_gemm(void *ws, int ha, int hb, size_t m, size_t n, size_t k, const void *a, const void *b, void *c)
{
    DISPATCH(gemm, ha, hb, m, n, k, 1, a, b, 0, c);
}

static int cpu_csr_mul(void *ws, const dmf_palm_factor *f, int adjoint, size_t n, const void *x, void *y)
{
    DISPATCH(csr_mul, f->csr, adjoint, n, x, y);
}

static int cpu_csr_mul_right(void *ws, const dmf_palm_factor *f, int adjoint, size_t m, const void *x, void *y)
{
    if (adjoint) {
        DISPATCH(csr_right_h, f->csr, m, x, y);
    }
    DISPATCH(csr_right, f->csr, m, x, y);
}

static int cpu_csr_chain(void *ws, const dmf_palm_factor *const *f, size_t count, int adjoint, const void *x, void *y,
                         size_t n)
{
    DISPATCH(cpu_csr_chain, ws, f, count, adjoint, x, y, n);
}

static int cpu_gradient_right(void *ws, const dmf_palm_factor *const *f, size_t j, double lambda, const void *q,
                              const void *wh, void *g)
{
    DISPATCH(cpu_gradient_right, ws, f, j, lambda, q, wh, g);
}

static int cpu_gram(void *ws, const dmf_palm_factor *f, int adjoint, void *y) { DISPATCH(gram, f->csr, adjoint, y); }

static int cpu_transpose_h(void *ws, size_t rows, size_t cols, const void *x, void *y)
{
    DISPATCH(transpose_h, rows, cols, x, y);
}

static int cpu_mul_vec(void *ws, const dmf_palm_factor *f, int adjoint, const void *x, void *y)
{
    DISPATCH(mul_vec, f->csr, adjoint, x, y);
}

static int cpu_gram_vec(void *ws, const dmf_palm_factor *f, int by_rows, const void *ft, const void *x, void *y)
{
    DISPATCH(cpu_gram_vec, f, by_rows, ft, x, y);
}

static int cpu_sum_sq(void *ws, const void *x, size_t n, double *out)
{
    switch (((cpu_palm_ws *)ws)->dtype) {
    case DMF_F32: *out = sum_sq_s(x, n); break;
    case DMF_F64: *out = sum_sq_d(x, n); break;
    case DMF_C64: *out = sum_sq_c(x, n); break;
    case DMF_C128: *out = sum_sq_z(x, n); break;
    }
    return DMF_OK;
}

static int cpu_scale(void *ws, void *x, size_t n, double factor) { DISPATCH(cpu_scale, x, n, factor); }

static int cpu_copy(void *ws, void *dst, const void *src, size_t n)
{
    if (n) memcpy(dst, src, n * dmf_dtype_size(((cpu_palm_ws *)ws)->dtype));
    return DMF_OK;
}

static int cpu_zero(void *ws, void *x, size_t n)
{
    if (n) memset(x, 0, n * dmf_dtype_size(((cpu_palm_ws *)ws)->dtype));
    return DMF_OK;
}

static int cpu_sub_adjoint(void *ws, size_t rows, size_t cols, double lambda, const void *y, const void *z, void *e)
{
    DISPATCH(cpu_sub_adjoint, rows, cols, lambda, y, z, e);
}

static int cpu_sub(void *ws, size_t n, double lambda, const void *x, const void *a, void *e)
{
    DISPATCH(cpu_sub, n, lambda, x, a, e);
}

static int cpu_fit(void *ws, size_t n, const void *x, const void *a, double lambda, double *lambda_out, double *err)
{
    DISPATCH(cpu_fit, n, x, a, lambda, lambda_out, err);
}

static int cpu_step_project(void *ws, const dmf_constraint *c, dmf_palm_factor *f, double step, const void *g)
{
    DISPATCH_STATUS(cpu_step_project, ws, c, f, step, g);
}

static int cpu_step_project_sparse(void *ws, const dmf_constraint *c, dmf_palm_factor *f, double step, const void *g)
{
    DISPATCH_STATUS(cpu_step_project_sparse, ws, c, f, step, g);
}

const dmf_palm_kernels dmf_cpu_palm_kernels = {
    .begin = cpu_begin,
    .end = cpu_end,
    .factor_sync = cpu_factor_sync,
    .factor_free = cpu_factor_free,
    .gemm = cpu_gemm,
    .csr_mul = cpu_csr_mul,
    .csr_mul_right = cpu_csr_mul_right,
    .csr_chain = cpu_csr_chain,
    .gradient_right = cpu_gradient_right,
    .gram = cpu_gram,
    .transpose_h = cpu_transpose_h,
    .mul_vec = cpu_mul_vec,
    .gram_vec = cpu_gram_vec,
    .sum_sq = cpu_sum_sq,
    .scale = cpu_scale,
    .copy = cpu_copy,
    .zero = cpu_zero,
    .sub_adjoint = cpu_sub_adjoint,
    .sub = cpu_sub,
    .fit = cpu_fit,
    .step_project = cpu_step_project,
    .step_project_sparse = cpu_step_project_sparse,
};
