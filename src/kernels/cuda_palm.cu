// The CUDA table of PALM kernels (backend/palm_kernels.h), all four dtypes.
//
// On the device: dense products by cuBLAS GEMM (row-major arrays as the
// transposes cuBLAS sees, op C for the conjugate transposes), CSR products
// F X and F^H X by a block per output row (the CSR of F^H, as the CPU's,
// keeps F^H X a gather), the right products by a thread per entry, the
// Gram matrices, transposes, the elementwise passes, the reductions (two
// passes, a fixed order), the gradient step and the masks, and the CSR
// copies (a count per row and per column on the device, the prefix sums
// of those counts on the host, the fill on the device).
//
// On the host, with explicit copies: the choice of the support of the
// sparsity projections (the squared magnitudes come down, the mask goes
// up), so that the CPU's selection and its tie rule decide exactly as on
// the CPU; and the projections of the other constraints (normcol, normlin,
// supp, blockdiag: the factor comes down, is projected and goes up), rare
// in PALM's use.  docs/palm.md says the same.
#include <cuda_runtime.h>
#include <math.h>
#include <mutex>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "backend/cpu_palm.h"
#include "backend/palm_kernels.h"
#include "cublas_loader.h"
#include "cuda_palm_math.cuh"

namespace {

#define PALM_CUDA_TRY(call)                                                                             \
    do {                                                                                                \
        cudaError_t e_ = (call);                                                                        \
        if (e_ != cudaSuccess) {                                                                        \
            cudaGetLastError();                                                                         \
            return dmf_fail(e_ == cudaErrorMemoryAllocation ? DMF_ERR_NOMEM : DMF_ERR_DEVICE,           \
                            "CUDA PALM: %s failed: %s", #call, cudaGetErrorString(e_));                 \
        }                                                                                               \
    } while (0)
#define PALM_LAUNCHED() PALM_CUDA_TRY(cudaGetLastError())

#define PALM_CUBLAS_TRY(call)                                                                           \
    do {                                                                                                \
        cublasStatus_t s_ = (call);                                                                     \
        if (s_ != CUBLAS_STATUS_SUCCESS)                                                                \
            return dmf_fail(s_ == CUBLAS_STATUS_ALLOC_FAILED ? DMF_ERR_NOMEM : DMF_ERR_DEVICE,          \
                            "CUDA PALM: %s failed: %s", #call, g_blas->status_string(s_));              \
    } while (0)

std::mutex g_lock; // guards the library and the handle
const dmf_cublas_api *g_blas = nullptr;
cublasHandle_t g_handle = nullptr;

enum { THREADS = 256, PARTIALS = 256 };

// A factor's CSR copy on the device (dmf_palm_factor.csr).
struct csr_copy {
    size_t capacity;
    size_t *row_ptr, *col, *adj_ptr, *adj_row;
    void *val, *adj_val;
};

// A run's work space.
struct palm_ws {
    dmf_dtype dtype;
    size_t maxd, elem;
    void *buf[2];          // maxd^2 values each: the chains' intermediate products
    void *vec;             // maxd values: gram_vec's middle vector
    double *partials;      // PARTIALS per reduction, then the totals
    size_t *counts;        // device, maxd + 1: per row or column
    size_t *host_counts;   // host, maxd + 1
    double *mag;           // device, maxd^2: squared magnitudes
    unsigned char *keep;   // device, maxd^2: the support
    void *host_x;          // host, maxd^2 values: the factors the host projects
    dmf_palm_proj_ws proj; // the CPU's selection buffers
};

size_t grid_for(size_t n, size_t per)
{
    size_t g = (n + per - 1) / per;
    return g ? (g < 65535 ? g : 65535) : 1;
}

// ---- kernels -------------------------------------------------------------------

// Y (rows x n) = A X by CSR rows (ptr, idx, val): a block per row, its
// threads over the columns; every nonzero moves a row of X.
template <typename T>
__global__ void k_csr_rows(size_t rows, const size_t *ptr, const size_t *idx, const T *val, const T *x, T *y, size_t n)
{
    for (size_t r = blockIdx.x; r < rows; r += gridDim.x) {
        const size_t p0 = ptr[r], p1 = ptr[r + 1];
        for (size_t t = threadIdx.x; t < n; t += blockDim.x) {
            T acc = T();
            for (size_t p = p0; p < p1; p++) acc = pm_add(acc, pm_mul(val[p], x[idx[p] * n + t]));
            y[r * n + t] = acc;
        }
    }
}

// Y (m x cols(F)) = X F through the CSR of F^H (conj of its values), or
// (adjoint) Y (m x rows(F)) = X F^H through F's CSR: a thread per entry,
// a gather over a row of the CSR.
template <typename T>
__global__ void k_csr_right(size_t m, size_t out_cols, size_t in_cols, const size_t *ptr, const size_t *idx, const T *val,
                            const T *x, T *y)
{
    const size_t total = m * out_cols;
    for (size_t e = blockIdx.x * (size_t)blockDim.x + threadIdx.x; e < total; e += (size_t)gridDim.x * blockDim.x) {
        const size_t i = e / out_cols, c = e % out_cols;
        T acc = T();
        for (size_t p = ptr[c]; p < ptr[c + 1]; p++) acc = pm_add(acc, pm_mul(x[i * in_cols + idx[p]], pm_conj(val[p])));
        y[e] = acc;
    }
}

// Y (n x n) = A D^H with A's CSR rows and D the dense array whose rows
// A's rows are (F F^H: A = F, D = F; F^H F: A = F^H by its CSR, D = F^H,
// read from F's dense array transposed).
template <typename T>
__global__ void k_gram(size_t n, size_t cols, const size_t *ptr, const size_t *idx, const T *val, const T *dense,
                       int adjoint, T *y)
{
    const size_t total = n * n;
    for (size_t e = blockIdx.x * (size_t)blockDim.x + threadIdx.x; e < total; e += (size_t)gridDim.x * blockDim.x) {
        const size_t i = e / n, k = e % n;
        T acc = T();
        for (size_t p = ptr[i]; p < ptr[i + 1]; p++) {
            // F F^H: sum_c F_ic conj(F_kc); F^H F: sum_r conj(F_ri) F_rk, val = conj(F_ri), idx = r
            T d = adjoint ? dense[idx[p] * cols + k] : pm_conj(dense[k * cols + idx[p]]);
            acc = pm_add(acc, pm_mul(val[p], d));
        }
        y[e] = acc;
    }
}

template <typename T> __global__ void k_transpose_h(size_t rows, size_t cols, const T *x, T *y)
{
    __shared__ T tile[32][33];
    for (size_t i0 = blockIdx.y * 32; i0 < rows; i0 += (size_t)gridDim.y * 32)
        for (size_t j0 = blockIdx.x * 32; j0 < cols; j0 += (size_t)gridDim.x * 32) {
            for (size_t u = threadIdx.y; u < 32; u += blockDim.y) {
                size_t i = i0 + u, j = j0 + threadIdx.x;
                if (i < rows && j < cols) tile[u][threadIdx.x] = x[i * cols + j];
            }
            __syncthreads();
            for (size_t u = threadIdx.y; u < 32; u += blockDim.y) {
                size_t j = j0 + u, i = i0 + threadIdx.x;
                if (i < rows && j < cols) y[j * rows + i] = pm_conj(tile[threadIdx.x][u]);
            }
            __syncthreads();
        }
}

template <typename T> __global__ void k_scale(T *x, size_t n, typename pm_real<T>::type f)
{
    for (size_t e = blockIdx.x * (size_t)blockDim.x + threadIdx.x; e < n; e += (size_t)gridDim.x * blockDim.x)
        x[e] = pm_scale(x[e], f);
}

// E (rows x cols) = lambda Y - Z^H, Z cols x rows.
template <typename T>
__global__ void k_sub_adjoint(size_t rows, size_t cols, typename pm_real<T>::type lam, const T *y, const T *z, T *e)
{
    const size_t total = rows * cols;
    for (size_t t = blockIdx.x * (size_t)blockDim.x + threadIdx.x; t < total; t += (size_t)gridDim.x * blockDim.x) {
        const size_t i = t / cols, c = t % cols;
        e[t] = pm_add(pm_scale(y[t], lam), pm_scale(pm_conj(z[c * rows + i]), -1));
    }
}

template <typename T> __global__ void k_sub(size_t n, typename pm_real<T>::type lam, const T *x, const T *a, T *e)
{
    for (size_t t = blockIdx.x * (size_t)blockDim.x + threadIdx.x; t < n; t += (size_t)gridDim.x * blockDim.x)
        e[t] = pm_add(pm_scale(x[t], lam), pm_scale(a[t], -1));
}

// x -= step g (g may be NULL), mag = |x|^2 (mag may be NULL).
template <typename T>
__global__ void k_step(size_t n, typename pm_real<T>::type step, const T *g, T *x, double *mag)
{
    for (size_t t = blockIdx.x * (size_t)blockDim.x + threadIdx.x; t < n; t += (size_t)gridDim.x * blockDim.x) {
        T v = x[t];
        if (g) v = pm_add(v, pm_scale(g[t], -step));
        x[t] = v;
        if (mag) mag[t] = pm_abs2(v);
    }
}

template <typename T> __global__ void k_mask(size_t n, const unsigned char *keep, T *x)
{
    for (size_t t = blockIdx.x * (size_t)blockDim.x + threadIdx.x; t < n; t += (size_t)gridDim.x * blockDim.x)
        if (!keep[t]) x[t] = T();
}

// Per-block partial sums of up to two quantities (which: 0 |x|^2; 1 Re<x, a>
// and |x|^2; 2 |a - lambda x|^2), in a fixed order: block b takes the
// entries b, b + PARTIALS*THREADS, ... per thread, then a tree in shared memory.
template <typename T>
__global__ void k_partials(size_t n, int which, typename pm_real<T>::type lam, const T *x, const T *a, double *out)
{
    __shared__ double s0[THREADS], s1[THREADS];
    double v0 = 0, v1 = 0;
    for (size_t t = blockIdx.x * (size_t)THREADS + threadIdx.x; t < n; t += (size_t)PARTIALS * THREADS) {
        if (which == 0) {
            v0 += pm_abs2(x[t]);
        } else if (which == 1) {
            v0 += pm_re_dot(x[t], a[t]);
            v1 += pm_abs2(x[t]);
        } else {
            v0 += pm_abs2(pm_add(a[t], pm_scale(x[t], -lam)));
        }
    }
    s0[threadIdx.x] = v0;
    s1[threadIdx.x] = v1;
    __syncthreads();
    for (int half = THREADS / 2; half > 0; half >>= 1) {
        if ((int)threadIdx.x < half) {
            s0[threadIdx.x] += s0[threadIdx.x + half];
            s1[threadIdx.x] += s1[threadIdx.x + half];
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) {
        out[blockIdx.x] = s0[0];
        out[PARTIALS + blockIdx.x] = s1[0];
    }
}

__global__ void k_totals(double *p)
{
    if (threadIdx.x == 0 && blockIdx.x == 0) {
        double a = 0, b = 0;
        for (int t = 0; t < PARTIALS; t++) a += p[t], b += p[PARTIALS + t];
        p[2 * PARTIALS] = a;
        p[2 * PARTIALS + 1] = b;
    }
}

// Nonzeros per row (by_col: per column) of a dense rows x cols array.
template <typename T> __global__ void k_count(size_t rows, size_t cols, int by_col, const T *x, size_t *counts)
{
    const size_t lines = by_col ? cols : rows, len = by_col ? rows : cols;
    for (size_t l = blockIdx.x * (size_t)blockDim.x + threadIdx.x; l < lines; l += (size_t)gridDim.x * blockDim.x) {
        size_t n = 0;
        for (size_t t = 0; t < len; t++) n += pm_nonzero(by_col ? x[t * cols + l] : x[l * cols + t]);
        counts[l] = n;
    }
}

// The CSR of F (by_col = 0) or of F^H (by_col = 1: columns in row order,
// conjugated values) from the dense array and the prefix sums in ptr.
template <typename T>
__global__ void k_fill(size_t rows, size_t cols, int by_col, const T *x, const size_t *ptr, size_t *idx, T *val)
{
    const size_t lines = by_col ? cols : rows, len = by_col ? rows : cols;
    for (size_t l = blockIdx.x * (size_t)blockDim.x + threadIdx.x; l < lines; l += (size_t)gridDim.x * blockDim.x) {
        size_t p = ptr[l];
        for (size_t t = 0; t < len; t++) {
            T v = by_col ? x[t * cols + l] : x[l * cols + t];
            if (pm_nonzero(v)) idx[p] = t, val[p++] = by_col ? pm_conj(v) : v;
        }
    }
}

// ---- the typed entries -----------------------------------------------------------

template <typename T> struct ops {
    typedef typename pm_real<T>::type R;

    static int csr_rows(size_t rows, const size_t *ptr, const size_t *idx, const void *val, const void *x, void *y,
                        size_t n)
    {
        unsigned threads = n >= 128 ? 128 : 32;
        k_csr_rows<T><<<grid_for(rows, 1), threads>>>(rows, ptr, idx, (const T *)val, (const T *)x, (T *)y, n);
        PALM_LAUNCHED();
        return DMF_OK;
    }

    static int csr_mul(const dmf_palm_factor *f, int adjoint, size_t n, const void *x, void *y)
    {
        const csr_copy *c = (const csr_copy *)f->csr;
        if (adjoint) return csr_rows(f->cols, c->adj_ptr, c->adj_row, c->adj_val, x, y, n);
        return csr_rows(f->rows, c->row_ptr, c->col, c->val, x, y, n);
    }

    static int csr_mul_right(const dmf_palm_factor *f, int adjoint, size_t m, const void *x, void *y)
    {
        const csr_copy *c = (const csr_copy *)f->csr;
        // X F: gather over F's columns, the rows of F^H's CSR, whose values are conj(F)
        if (!adjoint)
            k_csr_right<T><<<grid_for(m * f->cols, THREADS), THREADS>>>(m, f->cols, f->rows, c->adj_ptr, c->adj_row,
                                                                        (const T *)c->adj_val, (const T *)x, (T *)y);
        else
            k_csr_right<T><<<grid_for(m * f->rows, THREADS), THREADS>>>(m, f->rows, f->cols, c->row_ptr, c->col,
                                                                        (const T *)c->val, (const T *)x, (T *)y);
        PALM_LAUNCHED();
        return DMF_OK;
    }

    static int gram(const dmf_palm_factor *f, int adjoint, void *y)
    {
        const csr_copy *c = (const csr_copy *)f->csr;
        const size_t n = adjoint ? f->cols : f->rows;
        if (adjoint)
            k_gram<T><<<grid_for(n * n, THREADS), THREADS>>>(n, f->cols, c->adj_ptr, c->adj_row, (const T *)c->adj_val,
                                                             (const T *)f->dense, 1, (T *)y);
        else
            k_gram<T><<<grid_for(n * n, THREADS), THREADS>>>(n, f->cols, c->row_ptr, c->col, (const T *)c->val,
                                                             (const T *)f->dense, 0, (T *)y);
        PALM_LAUNCHED();
        return DMF_OK;
    }

    static int transpose_h(size_t rows, size_t cols, const void *x, void *y)
    {
        dim3 grid((unsigned)grid_for(cols, 32), (unsigned)grid_for(rows, 32)), block(32, 8);
        k_transpose_h<T><<<grid, block>>>(rows, cols, (const T *)x, (T *)y);
        PALM_LAUNCHED();
        return DMF_OK;
    }

    static int scale(void *x, size_t n, double f)
    {
        k_scale<T><<<grid_for(n, THREADS), THREADS>>>((T *)x, n, (R)f);
        PALM_LAUNCHED();
        return DMF_OK;
    }

    static int sub_adjoint(size_t rows, size_t cols, double lambda, const void *y, const void *z, void *e)
    {
        k_sub_adjoint<T><<<grid_for(rows * cols, THREADS), THREADS>>>(rows, cols, (R)lambda, (const T *)y,
                                                                       (const T *)z, (T *)e);
        PALM_LAUNCHED();
        return DMF_OK;
    }

    static int sub(size_t n, double lambda, const void *x, const void *a, void *e)
    {
        k_sub<T><<<grid_for(n, THREADS), THREADS>>>(n, (R)lambda, (const T *)x, (const T *)a, (T *)e);
        PALM_LAUNCHED();
        return DMF_OK;
    }

    // The totals of k_partials, on the host.
    static int reduce(palm_ws *ws, size_t n, int which, double lambda, const void *x, const void *a, double out[2])
    {
        k_partials<T><<<PARTIALS, THREADS>>>(n, which, (R)lambda, (const T *)x, (const T *)a, ws->partials);
        PALM_LAUNCHED();
        k_totals<<<1, 1>>>(ws->partials);
        PALM_LAUNCHED();
        PALM_CUDA_TRY(cudaMemcpy(out, ws->partials + 2 * PARTIALS, 2 * sizeof(double), cudaMemcpyDeviceToHost));
        return DMF_OK;
    }

    static int step(size_t n, double step, const void *g, void *x, double *mag)
    {
        k_step<T><<<grid_for(n, THREADS), THREADS>>>(n, (R)step, (const T *)g, (T *)x, mag);
        PALM_LAUNCHED();
        return DMF_OK;
    }

    static int mask(size_t n, const unsigned char *keep, void *x)
    {
        k_mask<T><<<grid_for(n, THREADS), THREADS>>>(n, keep, (T *)x);
        PALM_LAUNCHED();
        return DMF_OK;
    }

    static int count(size_t rows, size_t cols, int by_col, const void *x, size_t *counts)
    {
        size_t lines = by_col ? cols : rows;
        k_count<T><<<grid_for(lines, 128), 128>>>(rows, cols, by_col, (const T *)x, counts);
        PALM_LAUNCHED();
        return DMF_OK;
    }

    static int fill(size_t rows, size_t cols, int by_col, const void *x, const size_t *ptr, size_t *idx, void *val)
    {
        size_t lines = by_col ? cols : rows;
        k_fill<T><<<grid_for(lines, 128), 128>>>(rows, cols, by_col, (const T *)x, ptr, idx, (T *)val);
        PALM_LAUNCHED();
        return DMF_OK;
    }
};

#define PALM_DISPATCH(dtype, call)                      \
    switch (dtype) {                                    \
    case DMF_F32: return ops<float>::call;              \
    case DMF_F64: return ops<double>::call;             \
    case DMF_C64: return ops<float2>::call;             \
    case DMF_C128: return ops<double2>::call;           \
    }                                                   \
    return dmf_fail(DMF_ERR_ARG, "invalid dtype %d", (int)(dtype))

palm_ws *W(void *ws) { return (palm_ws *)ws; }

// ---- the table's entries ------------------------------------------------------------

int get_handle()
{
    std::lock_guard<std::mutex> hold(g_lock);
    if (!g_blas) DMF_TRY(dmf_cublas_load(&g_blas));
    if (!g_handle) {
        cublasStatus_t s = g_blas->create(&g_handle);
        if (s != CUBLAS_STATUS_SUCCESS) {
            g_handle = nullptr;
            return dmf_fail(s == CUBLAS_STATUS_ALLOC_FAILED ? DMF_ERR_NOMEM : DMF_ERR_DEVICE,
                            "CUDA PALM: cannot create a cuBLAS handle: %s", g_blas->status_string(s));
        }
    }
    return DMF_OK;
}

void palm_end(void *p)
{
    palm_ws *ws = W(p);
    if (!ws) return;
    cudaFree(ws->buf[0]);
    cudaFree(ws->buf[1]);
    cudaFree(ws->vec);
    cudaFree(ws->partials);
    cudaFree(ws->counts);
    cudaFree(ws->mag);
    cudaFree(ws->keep);
    free(ws->host_counts);
    free(ws->host_x);
    dmf_palm_proj_ws_free(&ws->proj);
    free(ws);
}

int palm_begin(dmf_dtype dtype, size_t maxd, void **out)
{
    *out = nullptr;
    int status = get_handle(); // cuBLAS opens here, on the first PALM run
    if (status != DMF_OK) return dmf_fail_context(status, "the CUDA backend's PALM needs cuBLAS");
    palm_ws *ws = (palm_ws *)calloc(1, sizeof *ws);
    if (!ws) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate the PALM work space");
    ws->dtype = dtype;
    ws->maxd = maxd ? maxd : 1;
    ws->elem = dmf_dtype_size(dtype);
    const size_t big = ws->maxd * ws->maxd;
    *out = ws;
    PALM_CUDA_TRY(cudaMalloc(&ws->buf[0], big * ws->elem));
    PALM_CUDA_TRY(cudaMalloc(&ws->buf[1], big * ws->elem));
    PALM_CUDA_TRY(cudaMalloc(&ws->vec, ws->maxd * ws->elem));
    PALM_CUDA_TRY(cudaMalloc(&ws->partials, (2 * PARTIALS + 2) * sizeof(double)));
    PALM_CUDA_TRY(cudaMalloc(&ws->counts, (ws->maxd + 1) * sizeof(size_t)));
    PALM_CUDA_TRY(cudaMalloc(&ws->mag, big * sizeof(double)));
    PALM_CUDA_TRY(cudaMalloc(&ws->keep, big));
    ws->host_counts = (size_t *)malloc((ws->maxd + 1) * sizeof(size_t));
    ws->host_x = malloc(big * ws->elem);
    if (!ws->host_counts || !ws->host_x) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate the PALM work space");
    return DMF_OK;
}

void factor_free(void *, dmf_palm_factor *f)
{
    csr_copy *c = (csr_copy *)f->csr;
    if (!c) return;
    cudaFree(c->row_ptr);
    cudaFree(c->col);
    cudaFree(c->adj_ptr);
    cudaFree(c->adj_row);
    cudaFree(c->val);
    cudaFree(c->adj_val);
    free(c);
    f->csr = nullptr;
}

// The prefix sums of the `lines` counts in ws->counts, into ws->host_counts
// (lines + 1); *total and *sq (the sum of the squared counts).
int scan_counts(palm_ws *ws, size_t lines, size_t *total, size_t *sq)
{
    size_t *h = ws->host_counts;
    PALM_CUDA_TRY(cudaMemcpy(h + 1, ws->counts, lines * sizeof(size_t), cudaMemcpyDeviceToHost));
    h[0] = 0;
    *sq = 0;
    for (size_t l = 1; l <= lines; l++) {
        *sq += h[l] * h[l];
        h[l] += h[l - 1];
    }
    *total = h[lines];
    return DMF_OK;
}

int reserve(palm_ws *ws, dmf_palm_factor *f, size_t nnz)
{
    csr_copy *c = (csr_copy *)f->csr;
    if (!c) {
        c = (csr_copy *)calloc(1, sizeof *c);
        if (!c) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate a PALM factor");
        f->csr = c;
        PALM_CUDA_TRY(cudaMalloc(&c->row_ptr, (f->rows + 1) * sizeof(size_t)));
        PALM_CUDA_TRY(cudaMalloc(&c->adj_ptr, (f->cols + 1) * sizeof(size_t)));
    }
    if (nnz <= c->capacity && c->col) return DMF_OK;
    cudaFree(c->col);
    cudaFree(c->adj_row);
    cudaFree(c->val);
    cudaFree(c->adj_val);
    c->col = c->adj_row = nullptr;
    c->val = c->adj_val = nullptr;
    c->capacity = nnz + nnz / 2 + 1;
    PALM_CUDA_TRY(cudaMalloc(&c->col, c->capacity * sizeof(size_t)));
    PALM_CUDA_TRY(cudaMalloc(&c->adj_row, c->capacity * sizeof(size_t)));
    PALM_CUDA_TRY(cudaMalloc(&c->val, c->capacity * ws->elem));
    PALM_CUDA_TRY(cudaMalloc(&c->adj_val, c->capacity * ws->elem));
    return DMF_OK;
}

// The CSR copies by count and scan, when at most 1/8 of the array is
// nonzero (the CPU's rule).
int factor_sync(void *p, dmf_palm_factor *f)
{
    palm_ws *ws = W(p);
    const dmf_dtype dt = ws->dtype;
    size_t nnz = 0, sq = 0, total = 0;
    int status;
    auto count = [&](int by_col) -> int { PALM_DISPATCH(dt, count(f->rows, f->cols, by_col, f->dense, ws->counts)); };
    if ((status = count(0)) != DMF_OK) return status;
    if ((status = scan_counts(ws, f->rows, &nnz, &sq)) != DMF_OK) return status;
    f->sparse = nnz * 8 <= f->rows * f->cols;
    f->nnz = f->sparse ? nnz : 0;
    f->row_sq = f->col_sq = 0;
    if (!f->sparse) return DMF_OK;
    f->row_sq = sq;
    if ((status = reserve(ws, f, nnz)) != DMF_OK) return status;
    csr_copy *c = (csr_copy *)f->csr;
    PALM_CUDA_TRY(cudaMemcpy(c->row_ptr, ws->host_counts, (f->rows + 1) * sizeof(size_t), cudaMemcpyHostToDevice));
    auto fill = [&](int by_col, const size_t *ptr, size_t *idx, void *val) -> int {
        PALM_DISPATCH(dt, fill(f->rows, f->cols, by_col, f->dense, ptr, idx, val));
    };
    if ((status = fill(0, c->row_ptr, c->col, c->val)) != DMF_OK) return status;
    if ((status = count(1)) != DMF_OK) return status;
    if ((status = scan_counts(ws, f->cols, &total, &f->col_sq)) != DMF_OK) return status;
    PALM_CUDA_TRY(cudaMemcpy(c->adj_ptr, ws->host_counts, (f->cols + 1) * sizeof(size_t), cudaMemcpyHostToDevice));
    return fill(1, c->adj_ptr, c->adj_row, c->adj_val);
}

// C (m x n) = op(A) op(B), row-major: cuBLAS computes the column-major
// C^T = op(B)^T op(A)^T, where the transpose of a row-major X is X itself
// read column-major and the transpose of X^H is conj(X), that array with
// op C.
int gemm(void *p, int ha, int hb, size_t m, size_t n, size_t k, const void *a, const void *b, void *c)
{
    palm_ws *ws = W(p);
    const cublasOperation_t oa = ha ? CUBLAS_OP_C : CUBLAS_OP_N, ob = hb ? CUBLAS_OP_C : CUBLAS_OP_N;
    const int M = (int)m, N = (int)n, Kk = (int)k, lda = (int)(ha ? m : k), ldb = (int)(hb ? k : n);
    switch (ws->dtype) {
    case DMF_F32: {
        const float one = 1, zero = 0;
        PALM_CUBLAS_TRY(g_blas->S_gemm(g_handle, ob, oa, N, M, Kk, &one, (const float *)b, ldb, (const float *)a, lda,
                                       &zero, (float *)c, N));
        return DMF_OK;
    }
    case DMF_F64: {
        const double one = 1, zero = 0;
        PALM_CUBLAS_TRY(g_blas->D_gemm(g_handle, ob, oa, N, M, Kk, &one, (const double *)b, ldb, (const double *)a,
                                       lda, &zero, (double *)c, N));
        return DMF_OK;
    }
    case DMF_C64: {
        const cuComplex one = make_float2(1, 0), zero = make_float2(0, 0);
        PALM_CUBLAS_TRY(g_blas->C_gemm(g_handle, ob, oa, N, M, Kk, &one, (const cuComplex *)b, ldb,
                                       (const cuComplex *)a, lda, &zero, (cuComplex *)c, N));
        return DMF_OK;
    }
    case DMF_C128: {
        const cuDoubleComplex one = make_double2(1, 0), zero = make_double2(0, 0);
        PALM_CUBLAS_TRY(g_blas->Z_gemm(g_handle, ob, oa, N, M, Kk, &one, (const cuDoubleComplex *)b, ldb,
                                       (const cuDoubleComplex *)a, lda, &zero, (cuDoubleComplex *)c, N));
        return DMF_OK;
    }
    }
    return dmf_fail(DMF_ERR_ARG, "invalid dtype %d", (int)ws->dtype);
}

int csr_mul(void *p, const dmf_palm_factor *f, int adjoint, size_t n, const void *x, void *y)
{
    PALM_DISPATCH(W(p)->dtype, csr_mul(f, adjoint, n, x, y));
}

int csr_mul_right(void *p, const dmf_palm_factor *f, int adjoint, size_t m, const void *x, void *y)
{
    PALM_DISPATCH(W(p)->dtype, csr_mul_right(f, adjoint, m, x, y));
}

// A chain of CSR products, one factor after the other through ws->buf.
int csr_chain(void *p, const dmf_palm_factor *const *f, size_t count, int adjoint, const void *x, void *y, size_t n)
{
    palm_ws *ws = W(p);
    const void *cur = x;
    for (size_t s = 0; s < count; s++) {
        void *dst = s + 1 == count ? y : ws->buf[s % 2];
        DMF_TRY(csr_mul(p, f[s], adjoint, n, cur, dst));
        cur = dst;
    }
    return DMF_OK;
}

int transpose_h(void *p, size_t rows, size_t cols, const void *x, void *y)
{
    PALM_DISPATCH(W(p)->dtype, transpose_h(rows, cols, x, y));
}

int sub_adjoint(void *p, size_t rows, size_t cols, double lambda, const void *y, const void *z, void *e)
{
    PALM_DISPATCH(W(p)->dtype, sub_adjoint(rows, cols, lambda, y, z, e));
}

// L^H (lambda L S_j Q - W) as the CPU's blocked kernel computes it, by
// whole products: S_j ... S_0 applied to Q, the difference, S_0^H ...
// S_{j-1}^H.
int gradient_right(void *p, const dmf_palm_factor *const *f, size_t j, double lambda, const void *q, const void *wh,
                   void *g)
{
    palm_ws *ws = W(p);
    const size_t n = f[j]->cols, M = f[0]->rows;
    const void *cur = q;
    int at = 0;
    for (size_t k = j + 1; k-- > 0;) {
        DMF_TRY(csr_mul(p, f[k], 0, n, cur, ws->buf[at]));
        cur = ws->buf[at];
        at ^= 1;
    }
    void *z = j == 0 ? g : ws->buf[at];
    DMF_TRY(sub_adjoint(p, M, n, lambda, cur, wh, z));
    cur = z;
    for (size_t k = 0; k < j; k++) {
        void *dst = k + 1 == j ? g : ws->buf[at ^ 1];
        DMF_TRY(csr_mul(p, f[k], 1, n, cur, dst));
        cur = dst;
        at ^= 1;
    }
    return DMF_OK;
}

int gram(void *p, const dmf_palm_factor *f, int adjoint, void *y) { PALM_DISPATCH(W(p)->dtype, gram(f, adjoint, y)); }

// One vector: a CSR product with n = 1 or a GEMM with one column.
int mul_vec(void *p, const dmf_palm_factor *f, int adjoint, const void *x, void *y)
{
    if (f->sparse) return csr_mul(p, f, adjoint, 1, x, y);
    if (adjoint) return gemm(p, 1, 0, f->cols, 1, f->rows, f->dense, x, y);
    return gemm(p, 0, 0, f->rows, 1, f->cols, f->dense, x, y);
}

// F^H (F x), or F (F^H x) by_rows, through ws->vec (ft is not needed here).
int gram_vec(void *p, const dmf_palm_factor *f, int by_rows, const void *, const void *x, void *y)
{
    palm_ws *ws = W(p);
    DMF_TRY(mul_vec(p, f, by_rows, x, ws->vec));
    return mul_vec(p, f, !by_rows, ws->vec, y);
}

int sum_sq(void *p, const void *x, size_t n, double *out)
{
    double t[2];
    auto run = [&]() -> int { PALM_DISPATCH(W(p)->dtype, reduce(W(p), n, 0, 0, x, nullptr, t)); };
    DMF_TRY(run());
    *out = t[0];
    return DMF_OK;
}

int scale(void *p, void *x, size_t n, double factor) { PALM_DISPATCH(W(p)->dtype, scale(x, n, factor)); }

int copy(void *p, void *dst, const void *src, size_t n)
{
    if (n) PALM_CUDA_TRY(cudaMemcpyAsync(dst, src, n * W(p)->elem, cudaMemcpyDeviceToDevice, 0));
    return DMF_OK;
}

int zero(void *p, void *x, size_t n)
{
    if (n) PALM_CUDA_TRY(cudaMemsetAsync(x, 0, n * W(p)->elem, 0));
    return DMF_OK;
}

int sub(void *p, size_t n, double lambda, const void *x, const void *a, void *e)
{
    PALM_DISPATCH(W(p)->dtype, sub(n, lambda, x, a, e));
}

int fit(void *p, size_t n, const void *x, const void *a, double lambda, double *lambda_out, double *err)
{
    double t[2];
    auto run = [&](int which) -> int { PALM_DISPATCH(W(p)->dtype, reduce(W(p), n, which, lambda, x, a, t)); };
    DMF_TRY(run(1));
    if (t[1] > 0) lambda = t[0] / t[1];
    DMF_TRY(run(2));
    *lambda_out = lambda;
    *err = t[0];
    return DMF_OK;
}

int step_only(palm_ws *ws, size_t n, double step, const void *g, void *x, double *mag)
{
    PALM_DISPATCH(ws->dtype, step(n, step, g, x, mag));
}

// The step on the device, the projection on the host (see the top of the
// file), the CSR copy on the device.
int step_project(void *p, const dmf_constraint *c, dmf_palm_factor *f, double step, const void *g)
{
    palm_ws *ws = W(p);
    const size_t n = f->rows * f->cols;
    if (g) DMF_TRY(step_only(ws, n, step, g, f->dense, nullptr));
    PALM_CUDA_TRY(cudaMemcpy(ws->host_x, f->dense, n * ws->elem, cudaMemcpyDeviceToHost));
    DMF_TRY(dmf_palm_project_ws(ws->dtype, c, ws->host_x, &ws->proj));
    PALM_CUDA_TRY(cudaMemcpy(f->dense, ws->host_x, n * ws->elem, cudaMemcpyHostToDevice));
    return factor_sync(p, f);
}

// The step and the magnitudes on the device, the support on the host by
// the CPU's selection, the mask, the norm and the CSR copy on the device.
int step_project_sparse(void *p, const dmf_constraint *c, dmf_palm_factor *f, double step, const void *g)
{
    palm_ws *ws = W(p);
    const size_t n = f->rows * f->cols;
    DMF_TRY(step_only(ws, n, step, g, f->dense, ws->mag));
    DMF_TRY(dmf_palm_support_begin(c, &ws->proj));
    PALM_CUDA_TRY(cudaMemcpy(ws->proj.mag, ws->mag, n * sizeof(double), cudaMemcpyDeviceToHost));
    dmf_palm_support_end(c, ws->dtype, &ws->proj);
    PALM_CUDA_TRY(cudaMemcpy(ws->keep, ws->proj.keep, n, cudaMemcpyHostToDevice));
    auto mask = [&]() -> int { PALM_DISPATCH(ws->dtype, mask(n, ws->keep, f->dense)); };
    DMF_TRY(mask());
    if (c->normalized) {
        double sum = 0;
        DMF_TRY(sum_sq(p, f->dense, n, &sum));
        if (sum > 0 && isfinite(sum)) DMF_TRY(scale(p, f->dense, n, 1 / sqrt(sum))); // the zero matrix stays zero
    }
    return factor_sync(p, f);
}

} // namespace

extern "C" const dmf_palm_kernels dmf_cuda_palm_kernels = {
    palm_begin,          // begin
    palm_end,            // end
    factor_sync,         // factor_sync
    factor_free,         // factor_free
    gemm,                // gemm
    csr_mul,             // csr_mul
    csr_mul_right,       // csr_mul_right
    csr_chain,           // csr_chain
    gradient_right,      // gradient_right
    gram,                // gram
    transpose_h,         // transpose_h
    mul_vec,             // mul_vec
    gram_vec,            // gram_vec
    sum_sq,              // sum_sq
    scale,               // scale
    copy,                // copy
    zero,                // zero
    sub_adjoint,         // sub_adjoint
    sub,                 // sub
    fit,                 // fit
    step_project,        // step_project
    step_project_sparse, // step_project_sparse
};
