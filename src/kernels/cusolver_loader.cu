// cuSOLVER is loaded on first use rather than linked: linking it (and the
// cuBLAS/cuBLASLt it pulls in) costs every dmf process about 0.14 s and
// 260 MB of start-up, although only the rare SVD fallback of the CUDA
// split needs it.
#include "cusolver_loader.h"
#include "library_loader.h"

namespace {
dmf_cusolver_api api;

const char *resolve(void *handle)
{
    dmf_symbols s(handle);
    DMF_TAKE(s, &api.create, cusolverDnCreate);
    DMF_TAKE(s, &api.destroy, cusolverDnDestroy);
    DMF_TAKE(s, &api.create_info, cusolverDnCreateGesvdjInfo);
    DMF_TAKE(s, &api.destroy_info, cusolverDnDestroyGesvdjInfo);
    DMF_TAKE(s, &api.set_max_sweeps, cusolverDnXgesvdjSetMaxSweeps);
    DMF_TAKE(s, &api.set_sort, cusolverDnXgesvdjSetSortEig);
    DMF_TAKE(s, &api.S_batched_size, cusolverDnSgesvdjBatched_bufferSize);
    DMF_TAKE(s, &api.D_batched_size, cusolverDnDgesvdjBatched_bufferSize);
    DMF_TAKE(s, &api.C_batched_size, cusolverDnCgesvdjBatched_bufferSize);
    DMF_TAKE(s, &api.Z_batched_size, cusolverDnZgesvdjBatched_bufferSize);
    DMF_TAKE(s, &api.S_batched, cusolverDnSgesvdjBatched);
    DMF_TAKE(s, &api.D_batched, cusolverDnDgesvdjBatched);
    DMF_TAKE(s, &api.C_batched, cusolverDnCgesvdjBatched);
    DMF_TAKE(s, &api.Z_batched, cusolverDnZgesvdjBatched);
    DMF_TAKE(s, &api.S_one_size, cusolverDnSgesvdj_bufferSize);
    DMF_TAKE(s, &api.D_one_size, cusolverDnDgesvdj_bufferSize);
    DMF_TAKE(s, &api.C_one_size, cusolverDnCgesvdj_bufferSize);
    DMF_TAKE(s, &api.Z_one_size, cusolverDnZgesvdj_bufferSize);
    DMF_TAKE(s, &api.S_one, cusolverDnSgesvdj);
    DMF_TAKE(s, &api.D_one, cusolverDnDgesvdj);
    DMF_TAKE(s, &api.C_one, cusolverDnCgesvdj);
    DMF_TAKE(s, &api.Z_one, cusolverDnZgesvdj);
    return s.missing();
}

// The soname of the headers' release first (libcusolver.so.12 in CUDA 13),
// then the one before it.
dmf_library cusolver = {"cuSOLVER for the SVD fallback", "libcusolver.so",
                        {CUSOLVER_VER_MAJOR, CUSOLVER_VER_MAJOR - 1}, resolve};
} // namespace

int dmf_cusolver_load(const dmf_cusolver_api **out) { return dmf_library_load(&cusolver, &api, out); }
