// y = F x for one chain factor on the GPU: one thread per output entry,
// running apply_index.h's per-thread body.  Rows of x and y hold the nvec
// vectors contiguously, so neighbouring threads read neighbouring entries.
#include "apply_index.h"
#include "cuda_common.cuh"

namespace {

__global__ void apply_kernel(dmf_dtype dtype, const void *blocks, size_t b, size_t c, size_t d, const void *x,
                             void *y, size_t nvec, size_t total)
{
    for (size_t e = blockIdx.x * (size_t)blockDim.x + threadIdx.x; e < total; e += (size_t)gridDim.x * blockDim.x)
        dmf_store(dtype, y, e, dmf_apply_entry(dtype, blocks, b, c, d, x, nvec, e));
}

} // namespace

extern "C" int dmf_cuda_apply_factor(dmf_dtype dtype, size_t a, size_t b, size_t c, size_t d, const void *blocks,
                                     const void *x, void *y, size_t nvec)
{
    const size_t total = a * b * d * nvec, threads = 256;
    const size_t blocks_needed = (total + threads - 1) / threads;
    int status = DMF_OK;
    if ((unsigned)dtype > DMF_C128) return dmf_fail(DMF_ERR_ARG, "invalid dtype %d", (int)dtype);
    if (total == 0) return DMF_OK;
    apply_kernel<<<(unsigned)(blocks_needed < 65535 ? blocks_needed : 65535), (unsigned)threads>>>(dtype, blocks, b, c, d,
                                                                                                 x, y, nvec, total);
    CUDA_TRY_LAUNCH();
cleanup:
    return status;
}
