// Shared by the CUDA translation units: error macros that turn CUDA and
// cuSOLVER failures into dmf status codes, storage types per dtype, block
// reductions and the entry points the backend table points to.
#ifndef DMF_CUDA_COMMON_CUH
#define DMF_CUDA_COMMON_CUH

#include <cuda_runtime.h>
#include <cusolverDn.h>

#include "backend/backend.h"
#include "split_index.h"

// Out-of-memory becomes DMF_ERR_NOMEM, everything else DMF_ERR_DEVICE; the
// message names the call, where it was made and the library's reason.
int dmf_cuda_fail(cudaError_t err, const char *call, const char *file, int line);
int dmf_cusolver_fail(cusolverStatus_t err, const char *call, const char *file, int line);

// Both record the failure in `status` and jump to the function's `cleanup`
// label, which frees what was allocated (variables must be declared before
// the first use, since the jump may not skip an initialization).
#define CUDA_TRY(call)                                                        \
    do {                                                                      \
        cudaError_t dmf_cuda_err_ = (call);                                   \
        if (dmf_cuda_err_ != cudaSuccess) {                                   \
            status = dmf_cuda_fail(dmf_cuda_err_, #call, __FILE__, __LINE__); \
            goto cleanup;                                                     \
        }                                                                     \
    } while (0)

#define CUSOLVER_TRY(call)                                                        \
    do {                                                                          \
        cusolverStatus_t dmf_cusolver_err_ = (call);                              \
        if (dmf_cusolver_err_ != CUSOLVER_STATUS_SUCCESS) {                       \
            status = dmf_cusolver_fail(dmf_cusolver_err_, #call, __FILE__, __LINE__); \
            goto cleanup;                                                         \
        }                                                                         \
    } while (0)

// A kernel launch: configuration errors show up in cudaGetLastError.
#define CUDA_TRY_LAUNCH() CUDA_TRY(cudaGetLastError())

// ---- storage types: float, double, float2 (c64), double2 (c128) ----------
__device__ __forceinline__ dmf_dc dmf_ld(const float *p, size_t i) { return dmf_dc_make(p[i], 0); }
__device__ __forceinline__ dmf_dc dmf_ld(const double *p, size_t i) { return dmf_dc_make(p[i], 0); }
__device__ __forceinline__ dmf_dc dmf_ld(const float2 *p, size_t i)
{
    float2 z = p[i];
    return dmf_dc_make(z.x, z.y);
}
__device__ __forceinline__ dmf_dc dmf_ld(const double2 *p, size_t i)
{
    double2 z = p[i];
    return dmf_dc_make(z.x, z.y);
}
__device__ __forceinline__ void dmf_st(float *p, size_t i, dmf_dc z) { p[i] = (float)z.re; }
__device__ __forceinline__ void dmf_st(double *p, size_t i, dmf_dc z) { p[i] = z.re; }
__device__ __forceinline__ void dmf_st(float2 *p, size_t i, dmf_dc z) { p[i] = make_float2((float)z.re, (float)z.im); }
__device__ __forceinline__ void dmf_st(double2 *p, size_t i, dmf_dc z) { p[i] = make_double2(z.re, z.im); }

template <typename T> struct dmf_real_of { typedef T type; };
template <> struct dmf_real_of<float2> { typedef float type; };
template <> struct dmf_real_of<double2> { typedef double type; };

// ---- reductions -------------------------------------------------------------
#define DMF_THREADS 128 // threads per block of the per-sub-block kernels
#define DMF_WARPS (DMF_THREADS / 32)

__device__ __forceinline__ double dmf_warp_sum(double v)
{
    for (int off = 16; off > 0; off >>= 1) v += __shfl_xor_sync(0xffffffffu, v, off);
    return v;
}

// Sums K values over the block; every thread gets the same totals (same
// order of additions), so decisions taken on them are uniform.  shm holds
// DMF_WARPS * K doubles.
template <int K> __device__ __forceinline__ void dmf_block_sum(double (&v)[K], double *shm)
{
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
#pragma unroll
    for (int k = 0; k < K; k++) v[k] = dmf_warp_sum(v[k]);
    __syncthreads(); // the previous reduction's readers are done with shm
    if (lane == 0)
#pragma unroll
        for (int k = 0; k < K; k++) shm[warp * K + k] = v[k];
    __syncthreads();
#pragma unroll
    for (int k = 0; k < K; k++) {
        double total = 0;
        for (int w = 0; w < DMF_WARPS; w++) total += shm[w * K + k];
        v[k] = total;
    }
}

// ---- entry points of the table ------------------------------------------------
extern "C" {
int dmf_cuda_split_rank_r(dmf_dtype dtype, const dmf_split_geometry *geom, const void *target, void *w, void *h,
                          int *info, dmf_split_stats *stats);
int dmf_cuda_normalize_pair(dmf_dtype dtype, const dmf_split_geometry *geom, void *w, void *h,
                            dmf_normalize_side side);
int dmf_cuda_apply_factor(dmf_dtype dtype, size_t a, size_t b, size_t c, size_t d, const void *blocks,
                          const void *x, void *y, size_t nvec);
int dmf_cuda_mem_alloc(void **ptr, size_t bytes);
void dmf_cuda_mem_free(void *ptr);
int dmf_cuda_mem_upload(void *dst, const void *src_host, size_t bytes);
int dmf_cuda_mem_download(void *dst_host, const void *src, size_t bytes);
void dmf_cuda_release_workspace(void);
}

#endif
