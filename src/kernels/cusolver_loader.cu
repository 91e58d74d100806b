// cuSOLVER is loaded on first use rather than linked: linking it (and the
// cuBLAS/cuBLASLt it pulls in) costs every dmf process about 0.14 s and
// 260 MB of start-up, although only the rare SVD fallback of the CUDA
// split needs it.
#include <dlfcn.h>
#include <stdio.h>

#include <mutex>

#include "cusolver_loader.h"

#ifndef DMF_CUDA_LIBRARY_DIR
#define DMF_CUDA_LIBRARY_DIR ""
#endif

namespace {
dmf_cusolver_api api;
std::mutex guard;
int loaded = 0;
void *library = nullptr;

template <typename F> bool resolve(F *slot, const char *name)
{
    *slot = reinterpret_cast<F>(dlsym(library, name));
    return *slot != nullptr;
}
} // namespace

int dmf_cusolver_load(const dmf_cusolver_api **out)
{
    *out = nullptr;
    std::lock_guard<std::mutex> lock(guard);
    if (!loaded) {
        // The toolkit the build used first, then the loader's search path.
        const char *names[] = {DMF_CUDA_LIBRARY_DIR "/libcusolver.so.12", DMF_CUDA_LIBRARY_DIR "/libcusolver.so",
                               "libcusolver.so.12", "libcusolver.so.11", "libcusolver.so"};
        char tried[1024] = "";
        for (size_t k = 0; k < sizeof names / sizeof names[0] && !library; k++) {
            if (names[k][0] == '/' && DMF_CUDA_LIBRARY_DIR[0] == '\0') continue;
            library = dlopen(names[k], RTLD_NOW | RTLD_LOCAL);
            if (!library) {
                const char *why = dlerror();
                snprintf(tried + strlen(tried), sizeof tried - strlen(tried), "%s%s", tried[0] ? "; " : "",
                         why ? why : names[k]);
            }
        }
        if (!library) return dmf_fail(DMF_ERR_DEVICE, "cannot load cuSOLVER for the SVD fallback: %s", tried);
        bool ok = resolve(&api.create, "cusolverDnCreate") && resolve(&api.destroy, "cusolverDnDestroy") &&
                  resolve(&api.create_info, "cusolverDnCreateGesvdjInfo") &&
                  resolve(&api.destroy_info, "cusolverDnDestroyGesvdjInfo") &&
                  resolve(&api.set_max_sweeps, "cusolverDnXgesvdjSetMaxSweeps") &&
                  resolve(&api.set_sort, "cusolverDnXgesvdjSetSortEig") &&
                  resolve(&api.S_batched_size, "cusolverDnSgesvdjBatched_bufferSize") &&
                  resolve(&api.D_batched_size, "cusolverDnDgesvdjBatched_bufferSize") &&
                  resolve(&api.C_batched_size, "cusolverDnCgesvdjBatched_bufferSize") &&
                  resolve(&api.Z_batched_size, "cusolverDnZgesvdjBatched_bufferSize") &&
                  resolve(&api.S_batched, "cusolverDnSgesvdjBatched") && resolve(&api.D_batched, "cusolverDnDgesvdjBatched") &&
                  resolve(&api.C_batched, "cusolverDnCgesvdjBatched") && resolve(&api.Z_batched, "cusolverDnZgesvdjBatched") &&
                  resolve(&api.S_one_size, "cusolverDnSgesvdj_bufferSize") &&
                  resolve(&api.D_one_size, "cusolverDnDgesvdj_bufferSize") &&
                  resolve(&api.C_one_size, "cusolverDnCgesvdj_bufferSize") &&
                  resolve(&api.Z_one_size, "cusolverDnZgesvdj_bufferSize") &&
                  resolve(&api.S_one, "cusolverDnSgesvdj") && resolve(&api.D_one, "cusolverDnDgesvdj") &&
                  resolve(&api.C_one, "cusolverDnCgesvdj") && resolve(&api.Z_one, "cusolverDnZgesvdj");
        if (!ok) {
            const char *why = dlerror();
            dlclose(library);
            library = nullptr;
            return dmf_fail(DMF_ERR_DEVICE, "the cuSOLVER library found lacks a Jacobi SVD entry: %s",
                            why ? why : "unknown symbol");
        }
        loaded = 1;
    }
    *out = &api;
    return DMF_OK;
}
