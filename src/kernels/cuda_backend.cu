// The CUDA backend: device discovery, the runtime facts for `dmf info`, and
// the table of kernels (defined in the other files of this folder).
#include <cuda_runtime.h>
#include <stdio.h>
#include <string.h>

#include "backend/lift_plan.h"
#include "backend/palm_kernels.h"
#include "cuda_common.cuh"

// The CUDA kernels; the backend is offered once every entry is filled.
static const dmf_backend cuda_backend = {
    "cuda",
    dmf_cuda_split_rank_r,      // split_rank_r
    dmf_cuda_normalize_pair,    // normalize_pair
    dmf_cuda_lift_samples,      // lift_samples
    dmf_cuda_relu_forward,      // relu_forward
    dmf_cuda_relu_backward,     // relu_backward
    dmf_cuda_apply_factor,      // apply_factor
    0,                          // host_memory
    dmf_cuda_mem_alloc,         // mem_alloc
    dmf_cuda_mem_free,          // mem_free
    dmf_cuda_mem_upload,        // mem_upload
    dmf_cuda_mem_download,      // mem_download
    dmf_cuda_release_workspace, // release_workspace
    dmf_cuda_timer_start,       // timer_start
    dmf_cuda_timer_stop,        // timer_stop
    dmf_cuda_mem_copy,          // mem_copy
    nullptr,                    // apply_run
    &dmf_cuda_palm_kernels,     // palm (cuda_palm.cu)
};

extern "C" int dmf_cuda_query(dmf_cuda_info *info)
{
    memset(info, 0, sizeof *info);
    cudaRuntimeGetVersion(&info->runtime_version);
    cudaDriverGetVersion(&info->driver_version);
    int count = 0;
    cudaError_t err = cudaGetDeviceCount(&count);
    if (err != cudaSuccess) {
        snprintf(info->message, sizeof info->message, "no usable CUDA device: %s",
                 cudaGetErrorString(err));
        return DMF_ERR_DEVICE;
    }
    info->device_count = count;
    for (int d = 0; d < count && d < 8; d++) {
        cudaDeviceProp prop;
        if (cudaGetDeviceProperties(&prop, d) != cudaSuccess) continue;
        snprintf(info->device_names[d], sizeof info->device_names[d], "%s (sm_%d%d)", prop.name,
                 prop.major, prop.minor);
        info->device_memory_gib[d] = (double)prop.totalGlobalMem / (1024.0 * 1024.0 * 1024.0);
    }
    if (count == 0) {
        snprintf(info->message, sizeof info->message, "the CUDA runtime reports no device");
        return DMF_ERR_DEVICE;
    }
    return DMF_OK;
}

// Launches nothing useful: tells whether this build has code for the device.
static __global__ void probe_kernel(int *out)
{
    if (out) *out = 1;
}

extern "C" const dmf_backend *dmf_backend_cuda(int *status)
{
    dmf_cuda_info info;
    *status = dmf_cuda_query(&info);
    if (*status != DMF_OK) {
        *status = dmf_fail(DMF_ERR_DEVICE, "%s", info.message);
        return NULL;
    }
    probe_kernel<<<1, 1>>>(NULL);
    cudaError_t err = cudaDeviceSynchronize();
    if (err == cudaSuccess) err = cudaGetLastError();
    if (err != cudaSuccess) {
        *status = dmf_fail(DMF_ERR_DEVICE, "the CUDA device %s cannot run this build's kernels: %s",
                           info.device_names[0], cudaGetErrorString(err));
        cudaGetLastError();
        return NULL;
    }
    *status = DMF_OK;
    return &cuda_backend;
}
