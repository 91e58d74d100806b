// Lifting samples on the GPU: one thread block per sample pushes the probe
// columns of the identity through M_K(h_K), ..., M_1(h_1); each thread owns
// entries (row, probe) of a layer's output.  The index logic is in
// backend/lift_plan.h, shared with the CPU test that checks it.
#include <cuda_runtime.h>

#include "backend/lift_plan.h"

namespace {

constexpr int kThreads = 256;
// Device memory for one batch of samples at most; larger requests run in
// batches so a big R does not need R samples' work space at once.
constexpr size_t kBatchBytes = size_t(256) << 20;

__global__ void lift_kernel(dmf_lift_plan p, size_t count, const double *h, double *out, double *work)
{
    const size_t P = p.num_probes, K = p.num_layers;
    double *cur = work + blockIdx.x * dmf_lift_work_per_sample(&p);
    double *next = cur + p.widest * P;
    for (size_t r = blockIdx.x; r < count; r += gridDim.x) {
        const size_t start = dmf_lift_cols(&p, K - 1) * P;
        for (size_t t = threadIdx.x; t < start; t += blockDim.x) cur[t] = dmf_lift_start_entry(&p, t);
        __syncthreads();
        for (size_t k = K; k-- > 0;) {
            const double *hk = dmf_lift_params(&p, h, r, k);
            double *dst = k == 0 ? out + r * p.sample_length : next;
            const size_t n = dmf_lift_rows(&p, k) * P;
            for (size_t t = threadIdx.x; t < n; t += blockDim.x) dst[t] = dmf_lift_layer_entry(&p, k, hk, cur, t);
            __syncthreads();
            double *swap = cur;
            cur = next;
            next = swap;
        }
    }
}

int cuda_status(cudaError_t err, const char *what)
{
    cudaGetLastError();  // clear a non-sticky error so later calls start clean
    return dmf_fail(err == cudaErrorMemoryAllocation ? DMF_ERR_NOMEM : DMF_ERR_DEVICE,
                    "CUDA lifting samples: %s: %s", what, cudaGetErrorString(err));
}

}  // namespace

// Turns a failed CUDA call into a status with a message and jumps to the
// cleanup, which frees whatever was allocated.
#define CUDA_TRY(call)                                      \
    do {                                                    \
        cudaError_t cuda_try_err_ = (call);                 \
        if (cuda_try_err_ != cudaSuccess) {                 \
            status = cuda_status(cuda_try_err_, #call);     \
            goto cleanup;                                   \
        }                                                   \
    } while (0)

extern "C" int dmf_cuda_lift_samples(size_t num_layers, const dmf_sparse_layer *layers, size_t num_params,
                                     const size_t *probes, size_t num_probes, size_t num_samples,
                                     const double *h, double *out)
{
    dmf_lift_plan plan, view;
    size_t *d_index = nullptr;
    double *d_coef = nullptr, *d_h = nullptr, *d_out = nullptr, *d_work = nullptr;
    size_t per_sample = 0, batch = 0, params = 0, D = 0;
    int status = dmf_lift_plan_build(num_layers, layers, num_params, probes, num_probes, &plan);
    if (status != DMF_OK) return status;
    if (num_samples == 0) goto cleanup;
    params = num_layers * num_params;
    D = plan.sample_length;
    per_sample = (dmf_lift_work_per_sample(&plan) + D + params) * sizeof(double);
    batch = kBatchBytes / per_sample;
    if (batch < 1) batch = 1;
    if (batch > num_samples) batch = num_samples;

    CUDA_TRY(cudaMalloc(&d_index, plan.index_count * sizeof *d_index));
    CUDA_TRY(cudaMalloc(&d_coef, (plan.entry_count ? plan.entry_count : 1) * sizeof *d_coef));
    CUDA_TRY(cudaMalloc(&d_h, batch * (params ? params : 1) * sizeof *d_h));
    CUDA_TRY(cudaMalloc(&d_out, batch * D * sizeof *d_out));
    CUDA_TRY(cudaMalloc(&d_work, batch * dmf_lift_work_per_sample(&plan) * sizeof *d_work));
    CUDA_TRY(cudaMemcpy(d_index, plan.index, plan.index_count * sizeof *d_index, cudaMemcpyHostToDevice));
    CUDA_TRY(cudaMemcpy(d_coef, plan.coef, plan.entry_count * sizeof *d_coef, cudaMemcpyHostToDevice));
    dmf_lift_plan_rebase(&plan, d_index, d_coef, &view);

    for (size_t first = 0; first < num_samples; first += batch) {
        size_t count = num_samples - first < batch ? num_samples - first : batch;
        CUDA_TRY(cudaMemcpy(d_h, h + first * params, count * params * sizeof *d_h, cudaMemcpyHostToDevice));
        lift_kernel<<<(unsigned)count, kThreads>>>(view, count, d_h, d_out, d_work);
        CUDA_TRY(cudaGetLastError());
        CUDA_TRY(cudaMemcpy(out + first * D, d_out, count * D * sizeof *d_out, cudaMemcpyDeviceToHost));
    }

cleanup:
    cudaFree(d_work);
    cudaFree(d_out);
    cudaFree(d_h);
    cudaFree(d_coef);
    cudaFree(d_index);
    dmf_lift_plan_free(&plan);
    return status;
}
