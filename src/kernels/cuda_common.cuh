// Shared by the CUDA translation units: error macros that turn CUDA and
// cuSOLVER failures into dmf status codes and the entry points the backend
// table points to.
#ifndef DMF_CUDA_COMMON_CUH
#define DMF_CUDA_COMMON_CUH

#include <cuda_runtime.h>
#include <cusolverDn.h>

#include "backend/backend.h"
#include "device_math.cuh"

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
int dmf_cuda_timer_start(void **timer);
int dmf_cuda_timer_stop(void *timer, double *seconds);
int dmf_cuda_mem_copy(void *dst, const void *src, size_t bytes);
}

#endif
