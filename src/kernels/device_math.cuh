// Device-side scalar access and reductions shared by the kernels.  Under
// nvcc this is CUDA; tests/emulate_cuda.hpp provides the same names (thread
// indices, __syncthreads, __shfl_xor_sync, atomicAdd, float2, ...) on the
// host so that the kernels also run, unchanged, in a CPU test.
#ifndef DMF_DEVICE_MATH_CUH
#define DMF_DEVICE_MATH_CUH

#ifdef __CUDACC__
#include <cuda_runtime.h>
#define DMF_DYNAMIC_SHARED(type, name) extern __shared__ type name[]
#endif

#include "split_index.h"

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
#ifndef DMF_THREADS
#define DMF_THREADS 128 // threads per block of the per-sub-block kernels
#endif
#define DMF_WARPS (DMF_THREADS / 32)

#ifndef DMF_EMULATED_WARP_SUM
// Every lane gets the sum of the warp's 32 values.
__device__ __forceinline__ double dmf_warp_sum(double v)
{
    for (int off = 16; off > 0; off >>= 1) v += __shfl_xor_sync(0xffffffffu, v, off);
    return v;
}
#endif

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

#endif
