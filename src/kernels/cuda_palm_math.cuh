// Arithmetic on the four storage types of PALM's CUDA kernels (float,
// double, float2 for c64, double2 for c128), in their own precision like
// the CPU's kernels.  Device code only.
#ifndef DMF_CUDA_PALM_MATH_CUH
#define DMF_CUDA_PALM_MATH_CUH

#include <cuda_runtime.h>

__device__ __forceinline__ float pm_mul(float a, float b) { return a * b; }
__device__ __forceinline__ double pm_mul(double a, double b) { return a * b; }
__device__ __forceinline__ float2 pm_mul(float2 a, float2 b)
{
    return make_float2(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);
}
__device__ __forceinline__ double2 pm_mul(double2 a, double2 b)
{
    return make_double2(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);
}

__device__ __forceinline__ float pm_add(float a, float b) { return a + b; }
__device__ __forceinline__ double pm_add(double a, double b) { return a + b; }
__device__ __forceinline__ float2 pm_add(float2 a, float2 b) { return make_float2(a.x + b.x, a.y + b.y); }
__device__ __forceinline__ double2 pm_add(double2 a, double2 b) { return make_double2(a.x + b.x, a.y + b.y); }

__device__ __forceinline__ float pm_conj(float a) { return a; }
__device__ __forceinline__ double pm_conj(double a) { return a; }
__device__ __forceinline__ float2 pm_conj(float2 a) { return make_float2(a.x, -a.y); }
__device__ __forceinline__ double2 pm_conj(double2 a) { return make_double2(a.x, -a.y); }

// a * r for a real r of the type's precision.
__device__ __forceinline__ float pm_scale(float a, float r) { return a * r; }
__device__ __forceinline__ double pm_scale(double a, double r) { return a * r; }
__device__ __forceinline__ float2 pm_scale(float2 a, float r) { return make_float2(a.x * r, a.y * r); }
__device__ __forceinline__ double2 pm_scale(double2 a, double r) { return make_double2(a.x * r, a.y * r); }

// |a|^2 and Re(conj(a) b), in double as the CPU accumulates them.
__device__ __forceinline__ double pm_abs2(float a) { return (double)(a * a); }
__device__ __forceinline__ double pm_abs2(double a) { return a * a; }
__device__ __forceinline__ double pm_abs2(float2 a) { return (double)(a.x * a.x + a.y * a.y); }
__device__ __forceinline__ double pm_abs2(double2 a) { return a.x * a.x + a.y * a.y; }
__device__ __forceinline__ double pm_re_dot(float a, float b) { return (double)(a * b); }
__device__ __forceinline__ double pm_re_dot(double a, double b) { return a * b; }
__device__ __forceinline__ double pm_re_dot(float2 a, float2 b) { return (double)(a.x * b.x + a.y * b.y); }
__device__ __forceinline__ double pm_re_dot(double2 a, double2 b) { return a.x * b.x + a.y * b.y; }

__device__ __forceinline__ bool pm_nonzero(float a) { return a != 0; }
__device__ __forceinline__ bool pm_nonzero(double a) { return a != 0; }
__device__ __forceinline__ bool pm_nonzero(float2 a) { return a.x != 0 || a.y != 0; }
__device__ __forceinline__ bool pm_nonzero(double2 a) { return a.x != 0 || a.y != 0; }

template <typename T> struct pm_real { typedef T type; };
template <> struct pm_real<float2> { typedef float type; };
template <> struct pm_real<double2> { typedef double type; };

#endif
