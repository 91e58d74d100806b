// cuBLAS is opened on first use rather than linked: linking it made every
// dmf process start with about 220 MB resident, although only the CUDA
// ReLU passes and PALM call it.
#include "cublas_loader.h"
#include "library_loader.h"

namespace {
dmf_cublas_api api;

const char *resolve(void *handle)
{
    dmf_symbols s(handle);
    DMF_TAKE(s, &api.create, cublasCreate);
    DMF_TAKE(s, &api.status_string, cublasGetStatusString);
    DMF_TAKE(s, &api.S_gemm, cublasSgemm);
    DMF_TAKE(s, &api.D_gemm, cublasDgemm);
    DMF_TAKE(s, &api.S_gemm_strided, cublasSgemmStridedBatched);
    DMF_TAKE(s, &api.D_gemm_strided, cublasDgemmStridedBatched);
    DMF_TAKE(s, &api.C_gemm, cublasCgemm);
    DMF_TAKE(s, &api.Z_gemm, cublasZgemm);
    return s.missing();
}

// The soname of the headers' release first, then the one before it.
dmf_library cublas = {"cuBLAS for the CUDA ReLU passes and PALM", "libcublas.so", {CUBLAS_VER_MAJOR, CUBLAS_VER_MAJOR - 1},
                      resolve};
} // namespace

int dmf_cublas_load(const dmf_cublas_api **out) { return dmf_library_load(&cublas, &api, out); }
