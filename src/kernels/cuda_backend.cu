// The CUDA backend slot.  Device discovery and the runtime facts for
// `dmf info` are real; the ReLU generator passes are in cuda_relu.cu; the
// other kernels are not written yet and answer DMF_ERR_NOT_COMPILED.
#include <cuda_runtime.h>
#include <stdio.h>
#include <string.h>

#include "backend/backend.h"

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

// Kernels not written yet answer DMF_ERR_NOT_COMPILED when called.
static int not_yet(const char *what)
{
    return dmf_fail(DMF_ERR_NOT_COMPILED, "the CUDA %s kernel is not part of this build yet (use --backend cpu)",
                    what);
}

extern "C" int dmf_cuda_relu_forward(dmf_dtype, size_t, const dmf_dense_layer *, size_t, const void *,
                                     void *const *);
extern "C" int dmf_cuda_relu_backward(dmf_dtype, size_t, const dmf_dense_layer *, size_t, const void *const *,
                                      void *, void *, void *);

static const dmf_backend cuda_table = [] {
    dmf_backend b = {};
    b.name = "cuda";
    b.split_rank_r = [](dmf_dtype, const dmf_split_geometry *, const void *, void *, void *, int *,
                        dmf_split_stats *) { return not_yet("butterfly split"); };
    b.normalize_pair = [](dmf_dtype, const dmf_split_geometry *, void *, void *, dmf_normalize_side) {
        return not_yet("orthonormalization");
    };
    b.lift_samples = [](size_t, const dmf_sparse_layer *, size_t, const size_t *, size_t, size_t, const double *,
                        double *) { return not_yet("lifting sample"); };
    b.relu_forward = dmf_cuda_relu_forward;
    b.relu_backward = dmf_cuda_relu_backward;
    return b;
}();

extern "C" const dmf_backend *dmf_backend_cuda(int *status)
{
    dmf_cuda_info info;
    *status = dmf_cuda_query(&info);
    if (*status != DMF_OK) {
        *status = dmf_fail(DMF_ERR_DEVICE, "%s", info.message);
        return NULL;
    }
    return &cuda_table;
}
