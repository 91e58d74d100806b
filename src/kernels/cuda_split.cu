// Batched masked rank-r step of one tree node on the GPU (see backend.h for
// the layout and split_index.h for the index arithmetic).
//
// Per batch of sub-blocks, all on one stream:
//  1. rank1_kernel, one block of threads per sub-block, reads the sub-block
//     straight from the device target: zero blocks and the closed forms
//     (1 x n, n x 1, 2 x n, n x 2) as the CPU backend has them, power
//     iteration with the same residual stop for larger blocks.  Blocks it
//     cannot finish (rank > 1, no convergence) go to a device list.
//  2. finish_kernel: entrywise residual, ||S||^2, scatter into W and H with
//     sqrt(sigma) scaling, outcome counts: all accumulated on the device.
//  3. One copy of the counters to the host (the only synchronisation of a
//     batch) says whether the list is empty.  If not, its blocks are
//     gathered, factored by cuSOLVER's Jacobi SVD (batched for sizes <= 32,
//     one call per block above), and finished like the others.
// Scratch is kept per host thread and grows to the largest batch, i.e. the
// first node of a factorization; release_workspace frees it.
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cuda_common.cuh"
#include "cusolver_loader.h"
#include "split_kernels.cuh"

namespace {

// Scratch entries per batch (at most 2^26, 1 GiB of c128).
const size_t kMaxBatchElements = (size_t)1 << 26;

struct split_workspace {
    void *scratch = nullptr;
    size_t scratch_bytes = 0;
    void *svd = nullptr; // gathered blocks, S, U, V, info
    size_t svd_bytes = 0;
    void *svd_work = nullptr; // cuSOLVER's work array
    size_t svd_work_bytes = 0;
    split_counters *counters = nullptr;
    cusolverDnHandle_t solver = nullptr;
    gesvdjInfo_t params = nullptr;
};

thread_local split_workspace ws;
const dmf_cusolver_api *cusolver = nullptr; // set by ensure_solver

// Grows a device buffer (contents are not kept).
int grow(void **buf, size_t *have, size_t need)
{
    int status = DMF_OK;
    if (*have >= need) return DMF_OK;
    if (*buf) cudaFree(*buf);
    *buf = nullptr;
    *have = 0;
    CUDA_TRY(cudaMalloc(buf, need));
    *have = need;
cleanup:
    return status;
}

// ---- cuSOLVER, one overload per dtype -------------------------------------------
#define DMF_GESVDJ_OVERLOADS(T, R, X)                                                                          \
    cusolverStatus_t gesvdj_batched_size(cusolverDnHandle_t hd, int rows, int cols, T *a, R *s, T *u, T *v,    \
                                         int *lwork, gesvdjInfo_t p, int batch)                                \
    {                                                                                                          \
        return cusolver->X##_batched_size(hd, CUSOLVER_EIG_MODE_VECTOR, rows, cols, a, rows, s, u, \
                                                       rows, v, cols, lwork, p, batch);                        \
    }                                                                                                          \
    cusolverStatus_t gesvdj_batched(cusolverDnHandle_t hd, int rows, int cols, T *a, R *s, T *u, T *v, T *work, \
                                    int lwork, int *info, gesvdjInfo_t p, int batch)                           \
    {                                                                                                          \
        return cusolver->X##_batched(hd, CUSOLVER_EIG_MODE_VECTOR, rows, cols, a, rows, s, u, rows, v,  \
                                            cols, work, lwork, info, p, batch);                                \
    }                                                                                                          \
    cusolverStatus_t gesvdj_one_size(cusolverDnHandle_t hd, int rows, int cols, T *a, R *s, T *u, T *v,        \
                                     int *lwork, gesvdjInfo_t p)                                               \
    {                                                                                                          \
        return cusolver->X##_one_size(hd, CUSOLVER_EIG_MODE_VECTOR, 1, rows, cols, a, rows, s, u,    \
                                                rows, v, cols, lwork, p);                                      \
    }                                                                                                          \
    cusolverStatus_t gesvdj_one(cusolverDnHandle_t hd, int rows, int cols, T *a, R *s, T *u, T *v, T *work,    \
                                int lwork, int *info, gesvdjInfo_t p)                                          \
    {                                                                                                          \
        return cusolver->X##_one(hd, CUSOLVER_EIG_MODE_VECTOR, 1, rows, cols, a, rows, s, u, rows, v, cols, \
                                     work, lwork, info, p);                                                    \
    }
DMF_GESVDJ_OVERLOADS(float, float, S)
DMF_GESVDJ_OVERLOADS(double, double, D)
DMF_GESVDJ_OVERLOADS(float2, float, C)
DMF_GESVDJ_OVERLOADS(double2, double, Z)
#undef DMF_GESVDJ_OVERLOADS

int launch_grid(size_t blocks) { return (int)(blocks < 65535 ? (blocks ? blocks : 1) : 65535); }

int ensure_solver()
{
    int status = DMF_OK;
    DMF_TRY(dmf_cusolver_load(&cusolver));
    if (!ws.solver) CUSOLVER_TRY(cusolver->create(&ws.solver));
    if (!ws.params) {
        CUSOLVER_TRY(cusolver->create_info(&ws.params));
        CUSOLVER_TRY(cusolver->set_max_sweeps(ws.params, 100));
        CUSOLVER_TRY(cusolver->set_sort(ws.params, 1));
    }
cleanup:
    return status;
}

// The listed sub-blocks (count of them, on the device) through cuSOLVER.
template <typename T>
int svd_pending(const dmf_split_geometry &g, size_t first, size_t count, const int *list, const T *target, T *xs,
                T *hs, int *codes)
{
    typedef typename dmf_real_of<T>::type R;
    const size_t m = g.b1, n = g.c2, k = m < n ? m : n;
    const bool batched = m <= 32 && n <= 32;
    // Column-major n x m matrices: U is n x n and V is m x m (batched) or
    // n x k and m x k (one call per block, economy size).
    const size_t u_stride = batched ? n * n : n * k, v_stride = batched ? m * m : m * k;
    const size_t a_bytes = dmf_align256(count * m * n * sizeof(T)), s_bytes = dmf_align256(count * k * sizeof(R));
    const size_t u_bytes = dmf_align256(count * u_stride * sizeof(T)), v_bytes = dmf_align256(count * v_stride * sizeof(T));
    const size_t info_bytes = dmf_align256(count * sizeof(int));
    int status = DMF_OK, lwork = 0;
    char *base = nullptr;
    T *a = nullptr, *u = nullptr, *v = nullptr, *work = nullptr;
    R *s = nullptr;
    int *svd_info = nullptr;
    if (m > INT_MAX || n > INT_MAX || count > INT_MAX)
        return dmf_fail(DMF_ERR_ARG, "sub-blocks of %zu x %zu (%zu of them) exceed cuSOLVER's int sizes", m, n, count);
    DMF_TRY(ensure_solver());
    DMF_TRY(grow(&ws.svd, &ws.svd_bytes, a_bytes + s_bytes + u_bytes + v_bytes + info_bytes));
    base = (char *)ws.svd;
    a = (T *)base;
    s = (R *)(base + a_bytes);
    u = (T *)(base + a_bytes + s_bytes);
    v = (T *)(base + a_bytes + s_bytes + u_bytes);
    svd_info = (int *)(base + a_bytes + s_bytes + u_bytes + v_bytes);
    // cuSOLVER's tolerance default is the working precision.
    if (batched)
        CUSOLVER_TRY(gesvdj_batched_size(ws.solver, (int)n, (int)m, a, s, u, v, &lwork, ws.params, (int)count));
    else
        CUSOLVER_TRY(gesvdj_one_size(ws.solver, (int)n, (int)m, a, s, u, v, &lwork, ws.params));
    DMF_TRY(grow(&ws.svd_work, &ws.svd_work_bytes, (size_t)(lwork > 0 ? lwork : 1) * sizeof(T)));
    work = (T *)ws.svd_work;
    gather_list_kernel<<<launch_grid((count * m * n + 255) / 256), 256>>>(g, first, count, list, target, a);
    CUDA_TRY_LAUNCH();
    if (batched) {
        CUSOLVER_TRY(gesvdj_batched(ws.solver, (int)n, (int)m, a, s, u, v, work, lwork, svd_info, ws.params, (int)count));
    } else {
        for (size_t item = 0; item < count; item++)
            CUSOLVER_TRY(gesvdj_one(ws.solver, (int)n, (int)m, a + item * m * n, s + item * k, u + item * u_stride,
                                    v + item * v_stride, work, lwork, svd_info + item, ws.params));
    }
    extract_svd_kernel<T, R><<<launch_grid(count), DMF_THREADS>>>(
        g, count, list, s, u, v, u_stride, v_stride, k, svd_info,
        dmf_split_negligible_ratio(m, n, sizeof(R) == sizeof(float)), xs, hs, codes);
    CUDA_TRY_LAUNCH();
cleanup:
    return status;
}

template <typename T>
int split_typed(dmf_dtype dtype, const dmf_split_geometry &g, const T *target, T *w_out, T *h_out, int *info,
                dmf_split_stats *stats)
{
    const size_t m = g.b1, n = g.c2, r = g.rank, count = dmf_split_num_sub_blocks(&g);
    const size_t batch = dmf_split_batch_size(&g, dmf_split_scratch_per_block(&g), kMaxBatchElements);
    const dmf_split_scratch_layout lay = dmf_split_scratch(batch, m, n, r, sizeof(T));
    const size_t finish_shared = dmf_finish_shared_bytes(r);
    int status = DMF_OK;
    split_counters host = {};
    char *scratch = nullptr;
    T *xs = nullptr, *hs = nullptr, *zs = nullptr;
    int *codes = nullptr, *list = nullptr;
    if (count == 0) return DMF_OK;
    if (finish_shared > 48 * 1024) return dmf_fail(DMF_ERR_ARG, "rank %zu is too large for the CUDA split kernel", r);
    if (!ws.counters) CUDA_TRY(cudaMalloc((void **)&ws.counters, sizeof(split_counters)));
    DMF_TRY(grow(&ws.scratch, &ws.scratch_bytes, lay.total));
    scratch = (char *)ws.scratch;
    xs = (T *)(scratch + lay.x);
    hs = (T *)(scratch + lay.h);
    zs = (T *)(scratch + lay.z);
    codes = (int *)(scratch + lay.codes);
    list = (int *)(scratch + lay.list);
    CUDA_TRY(cudaMemsetAsync(ws.counters, 0, sizeof(split_counters)));
    for (size_t first = 0; first < count; first += batch) {
        const size_t nb = count - first < batch ? count - first : batch;
        CUDA_TRY(cudaMemsetAsync(&ws.counters->pending, 0, sizeof(int)));
        rank1_kernel<T><<<launch_grid(nb), DMF_THREADS>>>(g, dtype, first, nb, target, xs, hs, zs, codes, list, ws.counters);
        CUDA_TRY_LAUNCH();
        finish_kernel<T><<<launch_grid(nb), DMF_THREADS, finish_shared>>>(g, dtype, first, nb, nullptr, target, xs, hs,
                                                                          codes, w_out, h_out, ws.counters);
        CUDA_TRY_LAUNCH();
        CUDA_TRY(cudaMemcpy(&host, ws.counters, sizeof host, cudaMemcpyDeviceToHost));
        if (host.pending > 0) {
            const size_t pending = (size_t)host.pending;
            DMF_TRY(svd_pending(g, first, pending, list, target, xs, hs, codes));
            finish_kernel<T><<<launch_grid(pending), DMF_THREADS, finish_shared>>>(g, dtype, first, pending, list, target,
                                                                                   xs, hs, codes, w_out, h_out, ws.counters);
            CUDA_TRY_LAUNCH();
            CUDA_TRY(cudaMemcpy(&host, ws.counters, sizeof host, cudaMemcpyDeviceToHost));
        }
        if (info) CUDA_TRY(cudaMemcpy(info + first, codes, nb * sizeof(int), cudaMemcpyDeviceToHost));
    }
    stats->closed_form += host.closed_form;
    stats->iterative += host.iterative;
    stats->dense_svd += host.dense_svd;
    stats->failed += host.failed;
    stats->power_steps += host.power_steps;
    stats->target_sq += host.target_sq;
    stats->residual_sq += host.residual_sq;
cleanup:
    return status;
}

} // namespace

extern "C" int dmf_cuda_split_rank_r(dmf_dtype dtype, const dmf_split_geometry *geom, const void *target, void *w,
                                     void *h, int *info, dmf_split_stats *stats)
{
    if (dmf_split_row_stride(geom) != geom->c1 * geom->c2)
        return dmf_fail(DMF_ERR_ARG, "the CUDA split takes packed targets only (row stride %zu, rows of %zu)",
                        geom->row_stride, geom->c1 * geom->c2);
    int status;
    switch (dtype) {
    case DMF_F32: status = split_typed(dtype, *geom, (const float *)target, (float *)w, (float *)h, info, stats); break;
    case DMF_F64: status = split_typed(dtype, *geom, (const double *)target, (double *)w, (double *)h, info, stats); break;
    case DMF_C64: status = split_typed(dtype, *geom, (const float2 *)target, (float2 *)w, (float2 *)h, info, stats); break;
    case DMF_C128: status = split_typed(dtype, *geom, (const double2 *)target, (double2 *)w, (double2 *)h, info, stats); break;
    default: return dmf_fail(DMF_ERR_ARG, "invalid dtype %d", (int)dtype);
    }
    if (status != DMF_OK)
        dmf_fail_context(status, "CUDA split of %zu x %zu sub-blocks", geom->b1, geom->c2);
    return status;
}

extern "C" void dmf_cuda_release_workspace(void)
{
    cudaFree(ws.scratch);
    cudaFree(ws.svd);
    cudaFree(ws.svd_work);
    cudaFree(ws.counters);
    if (ws.params) cusolver->destroy_info(ws.params);
    if (ws.solver) cusolver->destroy(ws.solver);
    ws = split_workspace();
}
