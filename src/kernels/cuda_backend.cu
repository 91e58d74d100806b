// The CUDA backend: device discovery, the runtime facts for `dmf info`, and
// the table of kernels (defined in the other files of this folder).
#include <cuda_runtime.h>
#include <stdio.h>
#include <string.h>

#include "cuda_common.cuh"

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

// Entries whose arguments are host arrays and whose kernels are not written
// yet run the CPU reference code.
extern "C" {
int dmf_cpu_lift_samples(size_t num_layers, const dmf_sparse_layer *layers, size_t num_params,
                         const size_t *probes, size_t num_probes, size_t num_samples,
                         const double *h, double *out);
int dmf_cpu_relu_forward(size_t num_layers, const dmf_dense_layer *layers, size_t batch, const double *in,
                         double *const *acts);
int dmf_cpu_relu_backward(size_t num_layers, const dmf_dense_layer *layers, size_t batch,
                          const double *const *acts, double *v, double *grad, double *scratch);
}

static const dmf_backend cuda_backend = {
    /* .name = */ "cuda",
    /* .split_rank_r = */ dmf_cuda_split_rank_r,
    /* .normalize_pair = */ dmf_cuda_normalize_pair,
    /* .lift_samples = */ dmf_cpu_lift_samples,
    /* .relu_forward = */ dmf_cpu_relu_forward,
    /* .relu_backward = */ dmf_cpu_relu_backward,
    /* .apply_factor = */ dmf_cuda_apply_factor,
    /* .host_memory = */ 0,
    /* .mem_alloc = */ dmf_cuda_mem_alloc,
    /* .mem_free = */ dmf_cuda_mem_free,
    /* .mem_upload = */ dmf_cuda_mem_upload,
    /* .mem_download = */ dmf_cuda_mem_download,
    /* .release_workspace = */ dmf_cuda_release_workspace,
};

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
