// Orthonormalization between adjacent ranges on the GPU: one thread per
// group runs split_index.h's dmf_normalize_group, the same per-group body
// that tests/test_split_index.c checks against the CPU backend.  Groups are
// small (r vectors of b1 or c2 entries) and independent.
#include "cuda_common.cuh"

namespace {

const int kLocalRank = 4; // triangular factors up to 4 x 4 stay in registers

__global__ void normalize_kernel(dmf_split_geometry g, dmf_dtype dtype, size_t groups, void *w, void *h,
                                 dmf_normalize_side side, dmf_dc *tri_scratch)
{
    dmf_dc local_tri[kLocalRank * kLocalRank];
    const size_t rr = g.rank * g.rank;
    for (size_t s = blockIdx.x * (size_t)blockDim.x + threadIdx.x; s < groups; s += (size_t)gridDim.x * blockDim.x) {
        dmf_dc *tri = tri_scratch ? tri_scratch + s * rr : local_tri;
        dmf_normalize_group(dtype, &g, s, w, h, side, tri);
    }
}

} // namespace

extern "C" int dmf_cuda_normalize_pair(dmf_dtype dtype, const dmf_split_geometry *geom, void *w, void *h,
                                       dmf_normalize_side side)
{
    const size_t groups = dmf_split_num_sub_blocks(geom), r = geom->rank;
    const int threads = 128;
    const size_t blocks = (groups + threads - 1) / threads;
    int status = DMF_OK;
    dmf_dc *tri = nullptr;
    if ((unsigned)dtype > DMF_C128) return dmf_fail(DMF_ERR_ARG, "invalid dtype %d", (int)dtype);
    if (groups == 0) return DMF_OK;
    if (r > (size_t)kLocalRank) CUDA_TRY(cudaMalloc((void **)&tri, groups * r * r * sizeof(dmf_dc)));
    normalize_kernel<<<(unsigned)(blocks < 65535 ? blocks : 65535), threads>>>(*geom, dtype, groups, w, h, side, tri);
    CUDA_TRY_LAUNCH();
cleanup:
    if (tri) cudaFree(tri); // cudaFree waits for the kernel
    if (status != DMF_OK) dmf_fail_context(status, "CUDA normalize of %zu groups of rank %zu", groups, r);
    return status;
}
