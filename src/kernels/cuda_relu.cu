// CUDA ReLU generator passes (relu_forward / relu_backward of the backend
// table), f32 and f64, shared weights or one network per trial.
//
// Shared weights: one cuBLAS GEMM per layer for the whole batch, then an
// elementwise ReLU (forward) or mask (backward) kernel.  One network per
// trial: the batch is cut into chunks of `networks` rows (relu_index.h) and
// each chunk is one strided-batched GEMM of n = 1 columns, row k of the
// chunk against copy k of the weights.
//
// Data movement: the table's entries take host pointers, so every call
// copies its input, activations and vectors in and out.  The weights are
// copied once per dmf_dense_layer id and kept on the device (a small LRU
// cache).  Keeping the solver's batch state on the device (device pointers
// through the table) is the next step; until then the per-call copies of
// activations dominate a demodulation run on the GPU.
#include <cuda_runtime.h>
#include <limits.h>
#include <mutex>
#include <stdio.h>
#include <string.h>

#include "backend/backend.h"
#include "backend/relu_index.h"
#include "cublas_loader.h"

namespace {

// Device errors become a status and a message; the caller's cleanup runs
// after `goto done`.
#define CUDA_TRY(call)                                                                                  \
    do {                                                                                                \
        cudaError_t e_ = (call);                                                                        \
        if (e_ != cudaSuccess) {                                                                        \
            status = dmf_fail(e_ == cudaErrorMemoryAllocation ? DMF_ERR_NOMEM : DMF_ERR_DEVICE,         \
                              "CUDA ReLU pass: %s failed: %s", #call, cudaGetErrorString(e_));          \
            goto done;                                                                                  \
        }                                                                                               \
    } while (0)

#define CUBLAS_TRY(call)                                                                                \
    do {                                                                                                \
        cublasStatus_t s_ = (call);                                                                     \
        if (s_ != CUBLAS_STATUS_SUCCESS) {                                                              \
            status = dmf_fail(s_ == CUBLAS_STATUS_ALLOC_FAILED ? DMF_ERR_NOMEM : DMF_ERR_DEVICE,        \
                              "CUDA ReLU pass: %s failed: %s", #call, g_cublas->status_string(s_));     \
            goto done;                                                                                  \
        }                                                                                               \
    } while (0)

std::mutex g_lock; // guards the library, the handle and the weight cache
const dmf_cublas_api *g_cublas = nullptr;
cublasHandle_t g_handle = nullptr;

// cuBLAS is opened here, on the first ReLU pass, not when dmf starts.
int get_handle(cublasHandle_t *out)
{
    if (!g_cublas) DMF_TRY(dmf_cublas_load(&g_cublas));
    if (!g_handle) {
        cublasStatus_t s = g_cublas->create(&g_handle);
        if (s != CUBLAS_STATUS_SUCCESS) {
            g_handle = nullptr;
            return dmf_fail(s == CUBLAS_STATUS_ALLOC_FAILED ? DMF_ERR_NOMEM : DMF_ERR_DEVICE,
                            "CUDA ReLU pass: cannot create a cuBLAS handle: %s", g_cublas->status_string(s));
        }
    }
    *out = g_handle;
    return DMF_OK;
}

// ---- device copies of the weights, by layer id ------------------------------

constexpr int kCacheSlots = 16;
struct CachedLayer {
    uint64_t id;
    size_t bytes;
    void *dev;
    uint64_t last_use;
};
CachedLayer g_cache[kCacheSlots];
uint64_t g_clock = 0;

// Frees every cached copy (all finished with: cudaFree waits for the device).
void cache_clear()
{
    for (auto &c : g_cache) {
        if (c.dev) cudaFree(c.dev);
        c = CachedLayer{0, 0, nullptr, 0};
    }
}

// cudaMalloc that makes room by dropping the cached weights when the device
// is full, then tries once more.  Callers allocate before they look up the
// weights they are about to use, so nothing in use is dropped.
cudaError_t dev_alloc(void **p, size_t bytes)
{
    cudaError_t e = cudaMalloc(p, bytes);
    if (e == cudaErrorMemoryAllocation) {
        cudaGetLastError(); // reset the last error before retrying
        cache_clear();
        e = cudaMalloc(p, bytes);
    }
    return e;
}

// The device copy of a layer's weights: from the cache when the id is known,
// else uploaded (into the cache when the layer has an id; into *owned, which
// the caller frees, when it has none).
int device_weights(const dmf_dense_layer *l, size_t bytes, const void **dev, void **owned)
{
    int status = DMF_OK;
    void *buf = nullptr;
    *owned = nullptr;
    if (l->id) {
        for (auto &c : g_cache)
            if (c.dev && c.id == l->id && c.bytes == bytes) {
                c.last_use = ++g_clock;
                *dev = c.dev;
                return DMF_OK;
            }
    }
    CUDA_TRY(dev_alloc(&buf, bytes));
    CUDA_TRY(cudaMemcpy(buf, l->w, bytes, cudaMemcpyHostToDevice));
    if (!l->id) {
        *owned = buf;
    } else {
        CachedLayer *slot = &g_cache[0];
        for (auto &c : g_cache) {
            if (!c.dev) {
                slot = &c;
                break;
            }
            if (c.last_use < slot->last_use) slot = &c;
        }
        if (slot->dev) cudaFree(slot->dev);
        *slot = CachedLayer{l->id, bytes, buf, ++g_clock};
    }
    *dev = buf;
    buf = nullptr;
done:
    if (buf) cudaFree(buf);
    return status;
}

// ---- elementwise kernels: the indexing lives in relu_index.h ---------------

__device__ inline float relu_of(float x) { return dmf_relu_s(x); }
__device__ inline double relu_of(double x) { return dmf_relu_d(x); }
__device__ inline float mask_of(float a, float v) { return dmf_relu_mask_s(a, v); }
__device__ inline double mask_of(double a, double v) { return dmf_relu_mask_d(a, v); }

template <typename R> __global__ void relu_kernel(R *a, size_t n)
{
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
        a[i] = relu_of(a[i]);
}

template <typename R> __global__ void mask_kernel(const R *act, R *v, size_t n)
{
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
        v[i] = mask_of(act[i], v[i]);
}

// cudaMalloc of at least one element, so empty batches still get a pointer.
template <typename R> size_t bytes_for(size_t n) { return (n > 0 ? n : 1) * sizeof(R); }

unsigned grid_for(size_t n)
{
    size_t blocks = (n + 255) / 256;
    return (unsigned)(blocks < 65535 ? (blocks ? blocks : 1) : 65535);
}

// ---- cuBLAS by type ------------------------------------------------------------

cublasStatus_t gemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                    const float *A, int lda, const float *B, int ldb, float *C, int ldc)
{
    const float one = 1, zero = 0;
    return g_cublas->S_gemm(h, ta, tb, m, n, k, &one, A, lda, B, ldb, &zero, C, ldc);
}
cublasStatus_t gemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                    const double *A, int lda, const double *B, int ldb, double *C, int ldc)
{
    const double one = 1, zero = 0;
    return g_cublas->D_gemm(h, ta, tb, m, n, k, &one, A, lda, B, ldb, &zero, C, ldc);
}
cublasStatus_t gemm_strided(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                            const float *A, int lda, long long sa, const float *B, int ldb, long long sb, float *C,
                            int ldc, long long sc, int count)
{
    const float one = 1, zero = 0;
    return g_cublas->S_gemm_strided(h, ta, tb, m, n, k, &one, A, lda, sa, B, ldb, sb, &zero, C, ldc, sc, count);
}
cublasStatus_t gemm_strided(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                            const double *A, int lda, long long sa, const double *B, int ldb, long long sb,
                            double *C, int ldc, long long sc, int count)
{
    const double one = 1, zero = 0;
    return g_cublas->D_gemm_strided(h, ta, tb, m, n, k, &one, A, lda, sa, B, ldb, sb, &zero, C, ldc, sc, count);
}

// Row-major X (batch x k) times W^T (W: rows x cols, row-major) into
// Y (batch x rows): in cuBLAS's column-major view Y^T = W X^T, with W's
// buffer read transposed.  Per-trial weights: one GEMV per row, chunked.
template <typename R>
cublasStatus_t layer_forward(cublasHandle_t h, const dmf_dense_layer *l, const R *w, size_t batch, const R *x,
                             R *y)
{
    const int rows = (int)l->rows, cols = (int)l->cols;
    if (l->networks <= 1) return gemm(h, CUBLAS_OP_T, CUBLAS_OP_N, rows, (int)batch, cols, w, cols, x, cols, y, rows);
    for (size_t first = 0; first < batch; first += l->networks) {
        int count = (int)dmf_relu_chunk_rows(first, l->networks, batch);
        cublasStatus_t s = gemm_strided(h, CUBLAS_OP_T, CUBLAS_OP_N, rows, 1, cols,
                                        w + dmf_relu_weight_offset(first, l->networks, l->rows, l->cols), cols,
                                        (long long)dmf_relu_weight_stride(l->networks, l->rows, l->cols),
                                        x + first * l->cols, cols, cols, y + first * l->rows, rows, rows, count);
        if (s != CUBLAS_STATUS_SUCCESS) return s;
    }
    return CUBLAS_STATUS_SUCCESS;
}

// Row-major V (batch x rows) times W into G (batch x cols): G^T = W^T V^T
// column-major, W's buffer read as is.
template <typename R>
cublasStatus_t layer_backward(cublasHandle_t h, const dmf_dense_layer *l, const R *w, size_t batch, const R *v,
                              R *g)
{
    const int rows = (int)l->rows, cols = (int)l->cols;
    if (l->networks <= 1) return gemm(h, CUBLAS_OP_N, CUBLAS_OP_N, cols, (int)batch, rows, w, cols, v, rows, g, cols);
    for (size_t first = 0; first < batch; first += l->networks) {
        int count = (int)dmf_relu_chunk_rows(first, l->networks, batch);
        cublasStatus_t s = gemm_strided(h, CUBLAS_OP_N, CUBLAS_OP_N, cols, 1, rows,
                                        w + dmf_relu_weight_offset(first, l->networks, l->rows, l->cols), cols,
                                        (long long)dmf_relu_weight_stride(l->networks, l->rows, l->cols),
                                        v + first * l->rows, rows, rows, g + first * l->cols, cols, cols, count);
        if (s != CUBLAS_STATUS_SUCCESS) return s;
    }
    return CUBLAS_STATUS_SUCCESS;
}

int check_sizes(dmf_dtype dtype, size_t num_layers, const dmf_dense_layer *layers, size_t batch)
{
    if (dtype != DMF_F32 && dtype != DMF_F64)
        return dmf_fail(DMF_ERR_ARG, "ReLU passes run in f32 or f64, not %s", dmf_dtype_name(dtype));
    if (num_layers < 1 || num_layers > 64) return dmf_fail(DMF_ERR_ARG, "a generator has 1 to 64 layers");
    if (batch > (size_t)INT_MAX) return dmf_fail(DMF_ERR_ARG, "batch of %zu rows is too large for cuBLAS", batch);
    for (size_t i = 0; i < num_layers; i++)
        if (layers[i].rows > (size_t)INT_MAX || layers[i].cols > (size_t)INT_MAX ||
            layers[i].networks > (size_t)INT_MAX)
            return dmf_fail(DMF_ERR_ARG, "layer %zu (%zu x %zu, %zu networks) is too large for cuBLAS", i + 1,
                            layers[i].rows, layers[i].cols, layers[i].networks);
    return DMF_OK;
}

template <typename R>
int forward(size_t L, const dmf_dense_layer *layers, size_t batch, const void *in, void *const *acts)
{
    std::lock_guard<std::mutex> guard(g_lock);
    int status = DMF_OK;
    cublasHandle_t h = nullptr;
    R *x = nullptr, *bufs[64] = {nullptr};
    void *owned[64] = {nullptr};
    const R *w[64] = {nullptr};
    status = get_handle(&h);
    if (status != DMF_OK) return status;
    CUDA_TRY(dev_alloc((void **)&x, bytes_for<R>(batch * layers[0].cols)));
    CUDA_TRY(cudaMemcpy(x, in, batch * layers[0].cols * sizeof(R), cudaMemcpyHostToDevice));
    for (size_t i = 0; i < L; i++) {
        const dmf_dense_layer *l = &layers[i];
        const void *dw = nullptr;
        size_t n = batch * l->rows;
        CUDA_TRY(dev_alloc((void **)&bufs[i], bytes_for<R>(n)));
        status = device_weights(l, l->networks * l->rows * l->cols * sizeof(R), &dw, &owned[i]);
        if (status != DMF_OK) goto done;
        w[i] = (const R *)dw;
        const R *prev = i == 0 ? x : bufs[i - 1];
        if (batch) {
            CUBLAS_TRY((layer_forward<R>(h, l, w[i], batch, prev, bufs[i])));
            relu_kernel<R><<<grid_for(n), 256>>>(bufs[i], n);
            CUDA_TRY(cudaGetLastError());
        }
        CUDA_TRY(cudaMemcpy(acts[i], bufs[i], n * sizeof(R), cudaMemcpyDeviceToHost));
    }
done:
    cudaFree(x);
    for (size_t i = 0; i < L; i++) cudaFree(bufs[i]), cudaFree(owned[i]);
    return status;
}

template <typename R>
int backward(size_t L, const dmf_dense_layer *layers, size_t batch, const void *const *acts, void *v, void *grad)
{
    std::lock_guard<std::mutex> guard(g_lock);
    int status = DMF_OK;
    cublasHandle_t h = nullptr;
    R *act = nullptr, *cur = nullptr, *next = nullptr;
    size_t widest = layers[0].cols;
    for (size_t i = 0; i < L; i++) widest = layers[i].rows > widest ? layers[i].rows : widest;
    const size_t cap = bytes_for<R>(batch * widest);
    status = get_handle(&h);
    if (status != DMF_OK) return status;
    CUDA_TRY(dev_alloc((void **)&act, cap));
    CUDA_TRY(dev_alloc((void **)&cur, cap));
    CUDA_TRY(dev_alloc((void **)&next, cap));
    CUDA_TRY(cudaMemcpy(cur, v, batch * layers[L - 1].rows * sizeof(R), cudaMemcpyHostToDevice));
    for (size_t i = L; i-- > 0;) {
        const dmf_dense_layer *l = &layers[i];
        const void *dw = nullptr;
        void *owned = nullptr;
        size_t n = batch * l->rows;
        status = device_weights(l, l->networks * l->rows * l->cols * sizeof(R), &dw, &owned);
        if (status != DMF_OK) goto done;
        CUDA_TRY(cudaMemcpy(act, acts[i], n * sizeof(R), cudaMemcpyHostToDevice));
        if (batch) {
            mask_kernel<R><<<grid_for(n), 256>>>(act, cur, n);
            cudaError_t e = cudaGetLastError();
            cublasStatus_t s = e == cudaSuccess ? layer_backward<R>(h, l, (const R *)dw, batch, cur, next)
                                                : CUBLAS_STATUS_SUCCESS;
            cudaFree(owned);
            CUDA_TRY(e);
            CUBLAS_TRY(s);
        } else {
            cudaFree(owned);
        }
        R *t = cur;
        cur = next;
        next = t;
    }
    CUDA_TRY(cudaMemcpy(grad, cur, batch * layers[0].cols * sizeof(R), cudaMemcpyDeviceToHost));
done:
    cudaFree(act), cudaFree(cur), cudaFree(next);
    return status;
}

} // namespace

extern "C" int dmf_cuda_relu_forward(dmf_dtype dtype, size_t num_layers, const dmf_dense_layer *layers,
                                     size_t batch, const void *in, void *const *acts)
{
    DMF_TRY(check_sizes(dtype, num_layers, layers, batch));
    return dtype == DMF_F32 ? forward<float>(num_layers, layers, batch, in, acts)
                            : forward<double>(num_layers, layers, batch, in, acts);
}

// The table's scratch is host memory this backend does not need: the
// ping-pong buffers live on the device.
extern "C" int dmf_cuda_relu_backward(dmf_dtype dtype, size_t num_layers, const dmf_dense_layer *layers,
                                      size_t batch, const void *const *acts, void *v, void *grad, void *scratch)
{
    (void)scratch;
    DMF_TRY(check_sizes(dtype, num_layers, layers, batch));
    return dtype == DMF_F32 ? backward<float>(num_layers, layers, batch, acts, v, grad)
                            : backward<double>(num_layers, layers, batch, acts, v, grad);
}
