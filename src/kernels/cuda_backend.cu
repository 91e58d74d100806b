// The CUDA backend slot.  Device discovery and the runtime facts for
// `dmf info` are real; the batched butterfly kernels are not written yet, so
// asking for the backend answers DMF_ERR_NOT_COMPILED and `--backend auto`
// stays on the CPU.
#include <cuda_runtime.h>
#include <stdio.h>
#include <string.h>

#include "backend/backend.h"
#include "backend/lift_plan.h"

// The CUDA kernels written so far; the backend is offered once every entry
// is filled.
static const dmf_backend cuda_backend = {
    "cuda",
    nullptr,                // split_rank_r
    nullptr,                // normalize_pair
    dmf_cuda_lift_samples,  // lift_samples
    dmf_cuda_relu_forward,  // relu_forward
    dmf_cuda_relu_backward, // relu_backward
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

extern "C" const dmf_backend *dmf_backend_cuda(int *status)
{
    dmf_cuda_info info;
    *status = dmf_cuda_query(&info);
    if (*status != DMF_OK) {
        *status = dmf_fail(DMF_ERR_DEVICE, "%s", info.message);
        return NULL;
    }
    if (cuda_backend.split_rank_r && cuda_backend.normalize_pair && cuda_backend.lift_samples &&
        cuda_backend.relu_forward && cuda_backend.relu_backward)
        return &cuda_backend;
    *status = dmf_fail(DMF_ERR_NOT_COMPILED,
                       "a CUDA device is present (%s) but the CUDA butterfly kernels are not "
                       "part of this build yet", info.device_names[0]);
    return NULL;
}
