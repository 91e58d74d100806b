/* The CPU reference backend: always built, the oracle for every test. */
#include <float.h>
#include <lapacke.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "internal.h"
#include "kernels/split_index.h" /* the numbers the CUDA split shares */
#include "lane_sums.h"
#include "palm_kernels.h"

size_t dmf_split_num_sub_blocks(const dmf_split_geometry *g)
{
    return g->a * g->d * g->c1 * g->b2;
}

#define DMF_IMPL "../backend/cpu_split_impl.h"
#include "scalar_instantiate.h"
#define DMF_IMPL "../backend/cpu_normalize_impl.h"
#include "scalar_instantiate.h"
#define DMF_IMPL "../backend/cpu_apply_impl.h"
#include "scalar_instantiate.h"

static int cpu_split_rank_r(dmf_dtype dtype, const dmf_split_geometry *geom, const void *target,
                            void *w, void *h, int *info, dmf_split_stats *stats)
{
    switch (dtype) {
    case DMF_F32: return cpu_split_rank_r_s(geom, target, w, h, info, stats);
    case DMF_F64: return cpu_split_rank_r_d(geom, target, w, h, info, stats);
    case DMF_C64: return cpu_split_rank_r_c(geom, target, w, h, info, stats);
    case DMF_C128: return cpu_split_rank_r_z(geom, target, w, h, info, stats);
    }
    return dmf_fail(DMF_ERR_ARG, "invalid dtype %d", (int)dtype);
}

static int cpu_normalize_pair(dmf_dtype dtype, const dmf_split_geometry *geom, void *w, void *h,
                              dmf_normalize_side side)
{
    switch (dtype) {
    case DMF_F32: return cpu_normalize_pair_s(geom, w, h, side);
    case DMF_F64: return cpu_normalize_pair_d(geom, w, h, side);
    case DMF_C64: return cpu_normalize_pair_c(geom, w, h, side);
    case DMF_C128: return cpu_normalize_pair_z(geom, w, h, side);
    }
    return dmf_fail(DMF_ERR_ARG, "invalid dtype %d", (int)dtype);
}

int dmf_cpu_lift_samples(size_t num_layers, const dmf_sparse_layer *layers, size_t num_params,
                         const size_t *probes, size_t num_probes, size_t num_samples,
                         const double *h, double *out);

int dmf_cpu_relu_forward(dmf_dtype dtype, size_t num_layers, const dmf_dense_layer *layers, size_t batch,
                         const void *in, void *const *acts);
int dmf_cpu_relu_backward(dmf_dtype dtype, size_t num_layers, const dmf_dense_layer *layers, size_t batch,
                          const void *const *acts, void *v, void *grad, void *scratch);

static int cpu_apply_factor(dmf_dtype dtype, size_t a, size_t b, size_t c, size_t d, const void *blocks,
                            const void *x, void *y, size_t nvec)
{
    switch (dtype) {
    case DMF_F32: apply_factor_s(blocks, a, b, c, d, x, y, nvec); return DMF_OK;
    case DMF_F64: apply_factor_d(blocks, a, b, c, d, x, y, nvec); return DMF_OK;
    case DMF_C64: apply_factor_c(blocks, a, b, c, d, x, y, nvec); return DMF_OK;
    case DMF_C128: apply_factor_z(blocks, a, b, c, d, x, y, nvec); return DMF_OK;
    }
    return dmf_fail(DMF_ERR_ARG, "invalid dtype %d", (int)dtype);
}

static int cpu_apply_run(dmf_dtype dtype, const dmf_apply_run *run, const dmf_factor_ref *factors,
                         const void *x, void *y, size_t nvec)
{
    int ok = 0;
    switch (dtype) {
    case DMF_F32: ok = apply_run_s(run, factors, x, y, nvec); break;
    case DMF_F64: ok = apply_run_d(run, factors, x, y, nvec); break;
    case DMF_C64: ok = apply_run_c(run, factors, x, y, nvec); break;
    case DMF_C128: ok = apply_run_z(run, factors, x, y, nvec); break;
    default: return dmf_fail(DMF_ERR_ARG, "invalid dtype %d", (int)dtype);
    }
    return ok ? DMF_OK : dmf_fail(DMF_ERR_NOMEM, "cannot allocate the buffers of a run of factors");
}

/* Uninitialized, as the table promises: the splits' halves and the PALM
 * buffers are written whole before they are read.  A streamed tree's
 * groups get back the halves the group before them freed (recycle.c). */
static int cpu_mem_alloc(void **ptr, size_t bytes)
{
    *ptr = dmf_recycle_alloc(bytes ? bytes : 1, 1);
    return *ptr ? DMF_OK : dmf_fail(DMF_ERR_NOMEM, "cannot allocate %zu bytes", bytes);
}

static void cpu_mem_free(void *ptr) { dmf_recycle_free(ptr); }

static int cpu_mem_copy(void *dst, const void *src, size_t bytes)
{
    if (bytes) memcpy(dst, src, bytes);
    return DMF_OK;
}

static void cpu_release_workspace(void) {}

static const dmf_backend cpu_backend = {
    .name = "cpu",
    .split_rank_r = cpu_split_rank_r,
    .normalize_pair = cpu_normalize_pair,
    .lift_samples = dmf_cpu_lift_samples,
    .relu_forward = dmf_cpu_relu_forward,
    .relu_backward = dmf_cpu_relu_backward,
    .apply_factor = cpu_apply_factor,
    .host_memory = 1,
    .mem_alloc = cpu_mem_alloc,
    .mem_free = cpu_mem_free,
    .mem_upload = cpu_mem_copy,
    .mem_download = cpu_mem_copy,
    .release_workspace = cpu_release_workspace,
    /* No timer: the driver's host clock times the CPU's work. */
    .mem_copy = cpu_mem_copy,
    .apply_run = cpu_apply_run,
    .palm = &dmf_cpu_palm_kernels,
};

const dmf_backend *dmf_backend_cpu(void) { return &cpu_backend; }
