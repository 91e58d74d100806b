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

namespace {

// Outcome of a sub-block still waiting for the SVD.
const int kPending = -2;
// Scratch entries per batch (at most 2^26, 1 GiB of c128).
const size_t kMaxBatchElements = (size_t)1 << 26;

struct split_counters {
    unsigned long long closed_form, iterative, dense_svd, failed;
    double target_sq, residual_sq;
    int pending;
};

struct split_workspace {
    void *scratch = nullptr;
    size_t scratch_bytes = 0;
    void *svd = nullptr; // gathered blocks, S, U, V, info, cuSOLVER work
    size_t svd_bytes = 0;
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

// ---- kernels ----------------------------------------------------------------

template <typename T>
__device__ void write_zero_block(T *x, T *h, size_t m, size_t n, size_t r)
{
    for (size_t e = threadIdx.x; e < m * r; e += blockDim.x) dmf_st(x, e, dmf_dc_make(0, 0));
    for (size_t e = threadIdx.x; e < r * n; e += blockDim.x) dmf_st(h, e, dmf_dc_make(0, 0));
}

// Power iteration on S^H S from the heaviest row, stopped by
// ||S^H x - sigma v|| <= (m + n) u ||S||_F and checked to be the top
// triplet (the CPU backend's rule).  x (m) ends unit, h (n) = x^H S, v (n)
// is scratch.  Returns 1 when converged.
template <typename T>
__device__ int power_rank1(const T *target, size_t base, size_t row_step, size_t m, size_t n, double norm2,
                           double tol, T *x, T *h, T *v, double *shm, int *shm_int)
{
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    // Heaviest row: first maximum, as on the CPU.
    double best = -1;
    int best_row = 0;
    for (size_t a = warp; a < m; a += DMF_WARPS) {
        double sum = 0;
        for (size_t b = lane; b < n; b += 32) sum += dmf_dc_abs2(dmf_ld(target, base + a * row_step + b));
        sum = dmf_warp_sum(sum);
        if (sum > best) best = sum, best_row = (int)a;
    }
    __syncthreads();
    if (lane == 0) shm[warp] = best, shm_int[warp] = best_row;
    __syncthreads();
    best = -1;
    best_row = 0;
    for (int w = 0; w < DMF_WARPS; w++)
        if (shm[w] > best || (shm[w] == best && shm_int[w] < best_row)) best = shm[w], best_row = shm_int[w];

    double acc[2];
    acc[0] = 0;
    for (size_t b = threadIdx.x; b < n; b += blockDim.x) {
        dmf_dc value = dmf_dc_conj(dmf_ld(target, base + (size_t)best_row * row_step + b));
        dmf_st(v, b, value);
        acc[0] += dmf_dc_abs2(value);
    }
    double one[1] = {acc[0]};
    dmf_block_sum<1>(one, shm);
    double vnorm = sqrt(one[0]);
    for (size_t b = threadIdx.x; b < n; b += blockDim.x) dmf_st(v, b, dmf_dc_scale(dmf_ld(v, b), 1 / vnorm));
    __syncthreads();

    const int max_iterations = 60;
    for (int it = 0; it < max_iterations; it++) {
        // x = S v, one warp per row.
        double sig[1] = {0};
        for (size_t a = warp; a < m; a += DMF_WARPS) {
            dmf_dc sum = dmf_dc_make(0, 0);
            for (size_t b = lane; b < n; b += 32)
                sum = dmf_dc_add(sum, dmf_dc_mul(dmf_ld(target, base + a * row_step + b), dmf_ld(v, b)));
            sum.re = dmf_warp_sum(sum.re);
            sum.im = dmf_warp_sum(sum.im);
            if (lane == 0) {
                dmf_st(x, a, sum);
                sig[0] += dmf_dc_abs2(sum);
            }
        }
        dmf_block_sum<1>(sig, shm); // also makes x visible to the block
        double sigma = sqrt(sig[0]);
        if (sigma == 0) return 0;
        for (size_t a = threadIdx.x; a < m; a += blockDim.x) dmf_st(x, a, dmf_dc_scale(dmf_ld(x, a), 1 / sigma));
        __syncthreads();
        // z = x^H S (a row), one thread per column; h keeps z.
        double sums[2] = {0, 0}; // ||conj(z) - sigma v||^2, ||z||^2
        for (size_t b = threadIdx.x; b < n; b += blockDim.x) {
            dmf_dc z = dmf_dc_make(0, 0);
            for (size_t a = 0; a < m; a++) z = dmf_dc_add(z, dmf_dc_cmul(dmf_ld(x, a), dmf_ld(target, base + a * row_step + b)));
            dmf_st(h, b, z);
            dmf_dc zs = dmf_ld(h, b); // as stored, like the CPU's z
            sums[0] += dmf_dc_abs2(dmf_dc_sub(dmf_dc_conj(zs), dmf_dc_scale(dmf_ld(v, b), sigma)));
            sums[1] += dmf_dc_abs2(zs);
        }
        dmf_block_sum<2>(sums, shm);
        if (sqrt(sums[0]) <= tol) return dmf_power_is_top(sums[1], m, n, norm2);
        double zn = sqrt(sums[1]);
        for (size_t b = threadIdx.x; b < n; b += blockDim.x) dmf_st(v, b, dmf_dc_scale(dmf_dc_conj(dmf_ld(h, b)), 1 / zn));
        __syncthreads();
    }
    return 0;
}

// One block of threads per sub-block of the batch [first, first + count).
template <typename T>
__global__ void __launch_bounds__(DMF_THREADS)
rank1_kernel(dmf_split_geometry g, dmf_dtype dtype, size_t first, size_t count, const T *target, T *xs, T *hs,
             T *zs, int *codes, int *list, split_counters *counters)
{
    __shared__ double shm[DMF_WARPS * 4];
    __shared__ int shm_int[DMF_WARPS];
    const size_t m = g.b1, n = g.c2, r = g.rank, row_step = dmf_split_target_row_step(&g);
    for (size_t local = blockIdx.x; local < count; local += gridDim.x) {
        const size_t base = dmf_split_target_index(&g, first + local, 0, 0);
        T *x = xs + local * m * r, *h = hs + local * r * n, *z = zs + local * n;
        double norm[1] = {0};
        for (size_t e = threadIdx.x; e < m * n; e += blockDim.x)
            norm[0] += dmf_dc_abs2(dmf_ld(target, base + (e / n) * row_step + e % n));
        dmf_block_sum<1>(norm, shm);
        const double norm2 = norm[0];
        int code = DMF_BLOCK_CLOSED_FORM;
        if (norm2 == 0) {
            write_zero_block(x, h, m, n, r);
        } else if (r > 1) {
            code = kPending;
        } else if (m == 1) {
            if (threadIdx.x == 0) dmf_st(x, 0, dmf_dc_make(1, 0));
            for (size_t b = threadIdx.x; b < n; b += blockDim.x) dmf_st(h, b, dmf_ld(target, base + b));
        } else if (n == 1) {
            double s = sqrt(norm2);
            for (size_t a = threadIdx.x; a < m; a += blockDim.x)
                dmf_st(x, a, dmf_dc_scale(dmf_ld(target, base + a * row_step), 1 / s));
            if (threadIdx.x == 0) dmf_st(h, 0, dmf_dc_make(s, 0));
        } else if (m == 2) { // top eigenvector of S S^H, then h = x^H S
            double gram[4] = {0, 0, 0, 0};
            for (size_t b = threadIdx.x; b < n; b += blockDim.x) {
                dmf_dc s0 = dmf_ld(target, base + b), s1 = dmf_ld(target, base + row_step + b);
                dmf_dc s01 = dmf_dc_cmul(s1, s0); // s0 conj(s1)
                gram[0] += dmf_dc_abs2(s0), gram[1] += dmf_dc_abs2(s1), gram[2] += s01.re, gram[3] += s01.im;
            }
            dmf_block_sum<4>(gram, shm);
            dmf_dc e[2];
            dmf_top_eigvec_2x2(gram[0], gram[1], dmf_dc_make(gram[2], gram[3]), e);
            if (threadIdx.x == 0) dmf_st(x, 0, e[0]), dmf_st(x, 1, e[1]);
            for (size_t b = threadIdx.x; b < n; b += blockDim.x) {
                dmf_dc s0 = dmf_ld(target, base + b), s1 = dmf_ld(target, base + row_step + b);
                dmf_st(h, b, dmf_dc_add(dmf_dc_cmul(e[0], s0), dmf_dc_cmul(e[1], s1)));
            }
        } else if (n == 2) { // top eigenvector v of S^H S, x = S v / ||S v||, h = x^H S
            double gram[4] = {0, 0, 0, 0};
            for (size_t a = threadIdx.x; a < m; a += blockDim.x) {
                dmf_dc s0 = dmf_ld(target, base + a * row_step), s1 = dmf_ld(target, base + a * row_step + 1);
                dmf_dc s01 = dmf_dc_cmul(s0, s1); // conj(s0) s1
                gram[0] += dmf_dc_abs2(s0), gram[1] += dmf_dc_abs2(s1), gram[2] += s01.re, gram[3] += s01.im;
            }
            dmf_block_sum<4>(gram, shm);
            dmf_dc v[2];
            dmf_top_eigvec_2x2(gram[0], gram[1], dmf_dc_make(gram[2], gram[3]), v);
            double xn[1] = {0};
            for (size_t a = threadIdx.x; a < m; a += blockDim.x) {
                dmf_dc s0 = dmf_ld(target, base + a * row_step), s1 = dmf_ld(target, base + a * row_step + 1);
                dmf_dc xa = dmf_dc_add(dmf_dc_mul(s0, v[0]), dmf_dc_mul(s1, v[1]));
                dmf_st(x, a, xa);
                xn[0] += dmf_dc_abs2(xa);
            }
            dmf_block_sum<1>(xn, shm);
            double xnorm = sqrt(xn[0]);
            for (size_t a = threadIdx.x; a < m; a += blockDim.x)
                dmf_st(x, a, xnorm > 0 ? dmf_dc_scale(dmf_ld(x, a), 1 / xnorm) : dmf_dc_make(a == 0, 0));
            __syncthreads();
            double hp[4] = {0, 0, 0, 0};
            for (size_t a = threadIdx.x; a < m; a += blockDim.x) {
                dmf_dc xa = dmf_ld(x, a);
                dmf_dc h0 = dmf_dc_cmul(xa, dmf_ld(target, base + a * row_step));
                dmf_dc h1 = dmf_dc_cmul(xa, dmf_ld(target, base + a * row_step + 1));
                hp[0] += h0.re, hp[1] += h0.im, hp[2] += h1.re, hp[3] += h1.im;
            }
            dmf_block_sum<4>(hp, shm);
            if (threadIdx.x == 0) dmf_st(h, 0, dmf_dc_make(hp[0], hp[1])), dmf_st(h, 1, dmf_dc_make(hp[2], hp[3]));
        } else {
            double tol = dmf_power_tolerance(dtype, m, n, norm2);
            code = power_rank1(target, base, row_step, m, n, norm2, tol, x, h, z, shm, shm_int) ? DMF_BLOCK_ITERATIVE
                                                                                                : kPending;
        }
        if (threadIdx.x == 0) {
            codes[local] = code;
            if (code == kPending) list[atomicAdd(&counters->pending, 1)] = (int)local;
        }
        __syncthreads(); // x, h written above are read by finish_kernel only, but shm is reused
    }
}

// Residual, ||S||^2, scatter and counts, one block of threads per sub-block:
// the batch's sub-blocks in order (list == NULL, pending ones skipped), or
// those of the list.
template <typename T>
__global__ void __launch_bounds__(DMF_THREADS)
finish_kernel(dmf_split_geometry g, dmf_dtype dtype, size_t first, size_t count, const int *list, const T *target,
              const T *xs, const T *hs, const int *codes, T *w_out, T *h_out, split_counters *counters)
{
    extern __shared__ double dyn[]; // DMF_WARPS * 2 for the sums, then r sigma^2
    double *shm = dyn, *sigma2 = dyn + DMF_WARPS * 2;
    const size_t m = g.b1, n = g.c2, r = g.rank, row_step = dmf_split_target_row_step(&g);
    for (size_t k = blockIdx.x; k < count; k += gridDim.x) {
        const size_t local = list ? (size_t)list[k] : k;
        const int code = codes[local];
        if (!list && code == kPending) continue; // uniform over the block
        const size_t s = first + local, base = dmf_split_target_index(&g, s, 0, 0);
        const T *x = xs + local * m * r, *h = hs + local * r * n;
        double sums[2] = {0, 0}; // ||S - x h||^2, ||S||^2
        for (size_t e = threadIdx.x; e < m * n; e += blockDim.x) {
            size_t a = e / n, b = e % n;
            dmf_dc value = dmf_ld(target, base + a * row_step + b), approx = dmf_dc_make(0, 0);
            for (size_t rho = 0; rho < r; rho++) approx = dmf_dc_add(approx, dmf_dc_mul(dmf_ld(x, a * r + rho), dmf_ld(h, rho * n + b)));
            sums[0] += dmf_dc_abs2(dmf_dc_sub(value, approx));
            sums[1] += dmf_dc_abs2(value);
        }
        dmf_block_sum<2>(sums, shm);
        for (size_t rho = 0; rho < r; rho++) {
            double sq[1] = {0};
            for (size_t b = threadIdx.x; b < n; b += blockDim.x) sq[0] += dmf_dc_abs2(dmf_ld(h, rho * n + b));
            dmf_block_sum<1>(sq, shm);
            if (threadIdx.x == 0) sigma2[rho] = sq[0];
        }
        __syncthreads();
        dmf_split_scatter_thread(dtype, &g, s, x, h, sigma2, threadIdx.x, blockDim.x, w_out, h_out);
        if (threadIdx.x == 0) {
            atomicAdd(&counters->residual_sq, sums[0]);
            atomicAdd(&counters->target_sq, sums[1]);
            if (code == DMF_BLOCK_CLOSED_FORM) atomicAdd(&counters->closed_form, 1ull);
            else if (code == DMF_BLOCK_ITERATIVE) atomicAdd(&counters->iterative, 1ull);
            else if (code == DMF_BLOCK_DENSE_SVD) atomicAdd(&counters->dense_svd, 1ull);
            else atomicAdd(&counters->failed, 1ull);
        }
        __syncthreads(); // sigma2 and shm are rewritten by the next sub-block
    }
}

// Listed sub-blocks, row-major m x n each (= column-major n x m, S^T).
template <typename T>
__global__ void gather_list_kernel(dmf_split_geometry g, size_t first, size_t count, const int *list, const T *target,
                                   T *out)
{
    const size_t per = g.b1 * g.c2;
    for (size_t e = blockIdx.x * (size_t)blockDim.x + threadIdx.x; e < count * per; e += (size_t)gridDim.x * blockDim.x) {
        size_t k = e / per, within = e % per;
        out[e] = target[dmf_split_target_index(&g, first + list[k], within / g.c2, within % g.c2)];
    }
}

// From S^T = U diag(sv) V^H (column-major n x m): S = conj(V) diag(sv) U^T,
// so x_rho = conj(V[:, c]) and h_rho = sv[c] U[:, c]^T for the rho-th
// largest sv[c].  One block of threads per listed sub-block.
template <typename T, typename R>
__global__ void extract_svd_kernel(dmf_split_geometry g, size_t count, const int *list, const R *sv, const T *u,
                                   const T *v, size_t u_stride, size_t v_stride, size_t k, const int *svd_info,
                                   T *xs, T *hs, int *codes)
{
    const size_t m = g.b1, n = g.c2, r = g.rank;
    for (size_t item = blockIdx.x; item < count; item += gridDim.x) {
        const size_t local = (size_t)list[item];
        const R *s = sv + item * k;
        T *x = xs + local * m * r, *h = hs + local * r * n;
        for (size_t rho = 0; rho < r; rho++) {
            // The rho-th largest: every thread finds the same column.
            size_t col = k;
            if (rho < k) {
                col = 0;
                int rank_of = 0; // number of larger ones (ties by index)
                for (size_t c = 0; c < k; c++) {
                    rank_of = 0;
                    for (size_t c2 = 0; c2 < k; c2++) rank_of += s[c2] > s[c] || (s[c2] == s[c] && c2 < c);
                    if ((size_t)rank_of == rho) { col = c; break; }
                }
            }
            for (size_t a = threadIdx.x; a < m; a += blockDim.x)
                dmf_st(x, a * r + rho, col < k ? dmf_dc_conj(dmf_ld(v + item * v_stride, a + col * m)) : dmf_dc_make(0, 0));
            for (size_t b = threadIdx.x; b < n; b += blockDim.x)
                dmf_st(h, rho * n + b, col < k ? dmf_dc_scale(dmf_ld(u + item * u_stride, b + col * n), (double)s[col]) : dmf_dc_make(0, 0));
        }
        if (threadIdx.x == 0) codes[local] = svd_info[item] == 0 ? DMF_BLOCK_DENSE_SVD : DMF_BLOCK_FAILED;
    }
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
    // cuSOLVER's tolerance default is the working precision; the sizes are
    // known before the work array, whose size needs the pointers' types only.
    if (batched)
        CUSOLVER_TRY(gesvdj_batched_size(ws.solver, (int)n, (int)m, a, s, u, v, &lwork, ws.params, (int)count));
    else
        CUSOLVER_TRY(gesvdj_one_size(ws.solver, (int)n, (int)m, a, s, u, v, &lwork, ws.params));
    DMF_TRY(grow(&ws.svd, &ws.svd_bytes, a_bytes + s_bytes + u_bytes + v_bytes + info_bytes + (size_t)lwork * sizeof(T)));
    base = (char *)ws.svd;
    a = (T *)base;
    s = (R *)(base + a_bytes);
    u = (T *)(base + a_bytes + s_bytes);
    v = (T *)(base + a_bytes + s_bytes + u_bytes);
    svd_info = (int *)(base + a_bytes + s_bytes + u_bytes + v_bytes);
    work = (T *)(base + a_bytes + s_bytes + u_bytes + v_bytes + info_bytes);
    gather_list_kernel<<<launch_grid((count * m * n + 255) / 256), 256>>>(g, first, count, list, target, a);
    CUDA_TRY_LAUNCH();
    if (batched) {
        CUSOLVER_TRY(gesvdj_batched(ws.solver, (int)n, (int)m, a, s, u, v, work, lwork, svd_info, ws.params, (int)count));
    } else {
        for (size_t item = 0; item < count; item++)
            CUSOLVER_TRY(gesvdj_one(ws.solver, (int)n, (int)m, a + item * m * n, s + item * k, u + item * u_stride,
                                    v + item * v_stride, work, lwork, svd_info + item, ws.params));
    }
    extract_svd_kernel<T, R><<<launch_grid(count), DMF_THREADS>>>(g, count, list, s, u, v, u_stride, v_stride, k,
                                                                  svd_info, xs, hs, codes);
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
    const size_t finish_shared = (DMF_WARPS * 2 + r) * sizeof(double);
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
    stats->target_sq += host.target_sq;
    stats->residual_sq += host.residual_sq;
cleanup:
    return status;
}

} // namespace

extern "C" int dmf_cuda_split_rank_r(dmf_dtype dtype, const dmf_split_geometry *geom, const void *target, void *w,
                                     void *h, int *info, dmf_split_stats *stats)
{
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
    cudaFree(ws.counters);
    if (ws.params) cusolver->destroy_info(ws.params);
    if (ws.solver) cusolver->destroy(ws.solver);
    ws = split_workspace();
}
