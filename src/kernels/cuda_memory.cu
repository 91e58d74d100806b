// Device buffers for the backend table, and the translation of CUDA and
// cuSOLVER errors into dmf status codes.
#include <stdio.h>
#include <stdlib.h>

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

// Pageable host memory reaches the device through the driver's staging
// buffers, well below the link's rate; a large upload (the input matrix of
// a factorization: 4 GiB for N = 2^14 c128) registers (pins) the caller's
// buffer for the duration of the copy instead, so the copy is one DMA from
// the caller's pages, and unregisters it after.  Where registration fails
// (memory already pinned or registered, a limit on locked memory, a system
// without it) the copy goes from pageable memory as before: slower, not
// wrong.  Small copies skip it: pinning costs a system call per call and a
// walk over the pages.
static const size_t pin_threshold = (size_t)8 << 20;

extern "C" int dmf_cuda_mem_upload(void *dst, const void *src_host, size_t bytes)
{
    int status = DMF_OK, registered = 0;
    if (bytes >= pin_threshold) {
        registered = cudaHostRegister(const_cast<void *>(src_host), bytes, cudaHostRegisterDefault) == cudaSuccess;
        if (!registered) cudaGetLastError(); // the failure is not reported: the copy below works without it
    }
    if (bytes) CUDA_TRY(cudaMemcpy(dst, src_host, bytes, cudaMemcpyHostToDevice));
cleanup:
    if (registered && cudaHostUnregister(const_cast<void *>(src_host)) != cudaSuccess) cudaGetLastError();
    return status;
}

extern "C" int dmf_cuda_mem_download(void *dst_host, const void *src, size_t bytes)
{
    int status = DMF_OK;
    if (bytes) CUDA_TRY(cudaMemcpy(dst_host, src, bytes, cudaMemcpyDeviceToHost));
cleanup:
    return status;
}

// Device to device, ordered on the legacy default stream like the kernels
// (the host does not wait: time it with the timer below).
extern "C" int dmf_cuda_mem_copy(void *dst, const void *src, size_t bytes)
{
    int status = DMF_OK;
    if (bytes) CUDA_TRY(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, 0));
cleanup:
    return status;
}

// The device's clock: two events on the legacy default stream, where every
// kernel, copy and stream-ordered allocation of this backend is issued, so
// the time between them is the device's work in between, whatever the
// host did meanwhile.
struct dmf_cuda_timer {
    cudaEvent_t start, stop;
};

extern "C" int dmf_cuda_timer_start(void **timer)
{
    int status = DMF_OK;
    dmf_cuda_timer *t = (dmf_cuda_timer *)calloc(1, sizeof *t);
    *timer = NULL;
    if (!t) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate a device timer");
    CUDA_TRY(cudaEventCreate(&t->start));
    CUDA_TRY(cudaEventCreate(&t->stop));
    CUDA_TRY(cudaEventRecord(t->start, 0));
    *timer = t;
    return DMF_OK;
cleanup:
    if (t->start) cudaEventDestroy(t->start);
    if (t->stop) cudaEventDestroy(t->stop);
    free(t);
    return status;
}

extern "C" int dmf_cuda_timer_stop(void *timer, double *seconds)
{
    int status = DMF_OK;
    dmf_cuda_timer *t = (dmf_cuda_timer *)timer;
    float ms = 0;
    if (seconds) *seconds = 0;
    if (!t) return seconds ? dmf_fail(DMF_ERR_ARG, "no device timer to stop") : DMF_OK;
    if (seconds) {
        CUDA_TRY(cudaEventRecord(t->stop, 0));
        CUDA_TRY(cudaEventSynchronize(t->stop));
        CUDA_TRY(cudaEventElapsedTime(&ms, t->start, t->stop));
        *seconds = 1e-3 * (double)ms;
    }
cleanup:
    cudaEventDestroy(t->start);
    cudaEventDestroy(t->stop);
    free(t);
    return status;
}
