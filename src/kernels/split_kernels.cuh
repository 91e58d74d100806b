// The device kernels of the CUDA split (see cuda_split.cu for the order in
// which they run).  Device code only, kept apart from the host code that
// launches them so that tests/test_split_emulated.cpp can run these very
// kernels on the CPU under a small emulation of the CUDA execution model.
#ifndef DMF_SPLIT_KERNELS_CUH
#define DMF_SPLIT_KERNELS_CUH

#include "device_math.cuh"

// Outcome of a sub-block still waiting for the SVD.
const int kPending = -2;

// Accumulated on the device over a node; copied to the host once a batch.
struct split_counters {
    unsigned long long closed_form, iterative, dense_svd, failed;
    unsigned long long power_steps; // power iterations, summed over the blocks that ran them
    double target_sq, residual_sq;
    int pending;
};

// Dynamic shared memory of finish_kernel.
static inline size_t dmf_finish_shared_bytes(size_t rank) { return (DMF_WARPS * 2 + rank) * sizeof(double); }

template <typename T>
__device__ void write_zero_block(T *x, T *h, size_t m, size_t n, size_t r)
{
    for (size_t e = threadIdx.x; e < m * r; e += blockDim.x) dmf_st(x, e, dmf_dc_make(0, 0));
    for (size_t e = threadIdx.x; e < r * n; e += blockDim.x) dmf_st(h, e, dmf_dc_make(0, 0));
}

// Power iteration on S^H S from the heaviest row (the CPU backend starts
// from row 0 unless that row is much lighter, with the product its gather
// formed), stopped by ||S^H x - sigma v|| <= (m + n) u ||S||_F and checked
// to be the top triplet (the CPU backend's rule).  x (m) ends unit, h (n) = x^H S, v (n)
// is scratch.  Returns 1 when converged; *steps gets the iterations run.
// As on the CPU, it stops once its rate says the test is out of reach
// within the limit, and the SVD takes the block.
template <typename T>
__device__ int power_rank1(const T *target, size_t base, size_t row_step, size_t m, size_t n, double norm2,
                           double tol, T *x, T *h, T *v, double *shm, int *shm_int, int *steps)
{
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    // Heaviest row: first maximum, as the CPU's fallback start.
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
    double back2 = INFINITY, back1 = INFINITY; // the residuals two and one steps back (the same in every thread)
    for (int it = 0; it < max_iterations; it++) {
        *steps = it + 1;
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
        const double res = sqrt(sums[0]);
        if (res <= tol) return dmf_power_is_top(sums[1], m, n, norm2);
        if (it >= 4 && dmf_rate_out_of_reach(it, res, sqrt(res / back2), tol, max_iterations)) return 0; // q^2 from two steps
        back2 = back1;
        back1 = res;
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
        int code = DMF_BLOCK_CLOSED_FORM, steps = 0;
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
            code = power_rank1(target, base, row_step, m, n, norm2, tol, x, h, z, shm, shm_int, &steps)
                       ? DMF_BLOCK_ITERATIVE
                       : kPending;
        }
        if (threadIdx.x == 0) {
            if (steps) atomicAdd(&counters->power_steps, (unsigned long long)steps);
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
    DMF_DYNAMIC_SHARED(double, dyn); // DMF_WARPS * 2 for the sums, then r sigma^2
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
                                   double negligible_ratio, T *xs, T *hs, int *codes)
{
    const size_t m = g.b1, n = g.c2, r = g.rank;
    for (size_t item = blockIdx.x; item < count; item += gridDim.x) {
        const size_t local = (size_t)list[item];
        const R *s = sv + item * k;
        T *x = xs + local * m * r, *h = hs + local * r * n;
        double top = 0; // terms past the first at or below negligible_ratio * top are zero (backend.h)
        for (size_t c = 0; c < k; c++) top = (double)s[c] > top ? (double)s[c] : top;
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
                if (rho > 0 && col < k && (double)s[col] <= negligible_ratio * top) col = k;
            }
            for (size_t a = threadIdx.x; a < m; a += blockDim.x)
                dmf_st(x, a * r + rho, col < k ? dmf_dc_conj(dmf_ld(v + item * v_stride, a + col * m)) : dmf_dc_make(0, 0));
            for (size_t b = threadIdx.x; b < n; b += blockDim.x)
                dmf_st(h, rho * n + b, col < k ? dmf_dc_scale(dmf_ld(u + item * u_stride, b + col * n), (double)s[col]) : dmf_dc_make(0, 0));
        }
        if (threadIdx.x == 0) codes[local] = svd_info[item] == 0 ? DMF_BLOCK_DENSE_SVD : DMF_BLOCK_FAILED;
    }
}

#endif
