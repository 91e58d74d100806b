// The few cuBLAS entry points the ReLU generator passes and PALM use, resolved at
// run time (see cublas_loader.cu).  cublas_v2.h gives the types and the
// signatures only.  Host code only.
#ifndef DMF_CUBLAS_LOADER_H
#define DMF_CUBLAS_LOADER_H

#include <cublas_v2.h>

#include "error.h"

struct dmf_cublas_api {
    decltype(&cublasCreate) create;
    decltype(&cublasGetStatusString) status_string;
    decltype(&cublasSgemm) S_gemm;
    decltype(&cublasDgemm) D_gemm;
    decltype(&cublasSgemmStridedBatched) S_gemm_strided;
    decltype(&cublasDgemmStridedBatched) D_gemm_strided;
    decltype(&cublasCgemm) C_gemm; // PALM's complex factors
    decltype(&cublasZgemm) Z_gemm;
};

// Loads the library once per process; DMF_ERR_DEVICE with the loader's
// reasons when it is missing or lacks one of these entry points.
int dmf_cublas_load(const dmf_cublas_api **api);

#endif
