// Device buffers for the backend table, and the translation of CUDA and
// cuSOLVER errors into dmf status codes.
#include <stdio.h>

#include "cuda_common.cuh"

int dmf_cuda_fail(cudaError_t err, const char *call, const char *file, int line)
{
    int status = err == cudaErrorMemoryAllocation ? DMF_ERR_NOMEM : DMF_ERR_DEVICE;
    cudaGetLastError(); // clear a sticky launch error so the next call reports its own
    return dmf_fail(status, "%s failed (%s:%d): %s (%s)", call, file, line, cudaGetErrorString(err),
                    cudaGetErrorName(err));
}

static const char *cusolver_name(cusolverStatus_t err)
{
    switch (err) {
    case CUSOLVER_STATUS_NOT_INITIALIZED: return "CUSOLVER_STATUS_NOT_INITIALIZED";
    case CUSOLVER_STATUS_ALLOC_FAILED: return "CUSOLVER_STATUS_ALLOC_FAILED";
    case CUSOLVER_STATUS_INVALID_VALUE: return "CUSOLVER_STATUS_INVALID_VALUE";
    case CUSOLVER_STATUS_ARCH_MISMATCH: return "CUSOLVER_STATUS_ARCH_MISMATCH";
    case CUSOLVER_STATUS_EXECUTION_FAILED: return "CUSOLVER_STATUS_EXECUTION_FAILED";
    case CUSOLVER_STATUS_INTERNAL_ERROR: return "CUSOLVER_STATUS_INTERNAL_ERROR";
    case CUSOLVER_STATUS_NOT_SUPPORTED: return "CUSOLVER_STATUS_NOT_SUPPORTED";
    default: return "unknown cuSOLVER status";
    }
}

int dmf_cusolver_fail(cusolverStatus_t err, const char *call, const char *file, int line)
{
    int status = err == CUSOLVER_STATUS_ALLOC_FAILED ? DMF_ERR_NOMEM : DMF_ERR_DEVICE;
    return dmf_fail(status, "%s failed (%s:%d): %s (%d)", call, file, line, cusolver_name(err), (int)err);
}

// Node buffers come and go once per tree node: the stream-ordered
// allocator (where the device has memory pools) reuses them without the
// device-wide synchronisation of cudaFree.  Everything runs on the legacy
// default stream, so a buffer freed after the kernels that read it is not
// reused before they finish.
static int use_pool(void)
{
    static int answer = -1;
    if (answer < 0) {
        int device = 0, supported = 0;
        answer = cudaGetDevice(&device) == cudaSuccess &&
                 cudaDeviceGetAttribute(&supported, cudaDevAttrMemoryPoolsSupported, device) == cudaSuccess &&
                 supported;
    }
    return answer;
}

extern "C" int dmf_cuda_mem_alloc(void **ptr, size_t bytes)
{
    int status = DMF_OK;
    *ptr = NULL;
    if (use_pool())
        CUDA_TRY(cudaMallocAsync(ptr, bytes ? bytes : 1, 0));
    else
        CUDA_TRY(cudaMalloc(ptr, bytes ? bytes : 1));
    return DMF_OK;
cleanup:
    *ptr = NULL;
    if (status == DMF_ERR_NOMEM) dmf_fail_context(status, "%zu bytes of device memory", bytes);
    return status;
}

extern "C" void dmf_cuda_mem_free(void *ptr)
{
    if (!ptr) return;
    if (use_pool()) cudaFreeAsync(ptr, 0);
    else cudaFree(ptr);
}

extern "C" int dmf_cuda_mem_upload(void *dst, const void *src_host, size_t bytes)
{
    int status = DMF_OK;
    if (bytes) CUDA_TRY(cudaMemcpy(dst, src_host, bytes, cudaMemcpyHostToDevice));
cleanup:
    return status;
}

extern "C" int dmf_cuda_mem_download(void *dst_host, const void *src, size_t bytes)
{
    int status = DMF_OK;
    if (bytes) CUDA_TRY(cudaMemcpy(dst_host, src, bytes, cudaMemcpyDeviceToHost));
cleanup:
    return status;
}
