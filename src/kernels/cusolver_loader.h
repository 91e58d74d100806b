// The few cuSOLVER entry points the CUDA split uses, resolved at run time
// (see cusolver_loader.cu).  Host code only.
#ifndef DMF_CUSOLVER_LOADER_H
#define DMF_CUSOLVER_LOADER_H

#include <cusolverDn.h>

#include "error.h"

struct dmf_cusolver_api {
    decltype(&cusolverDnCreate) create;
    decltype(&cusolverDnDestroy) destroy;
    decltype(&cusolverDnCreateGesvdjInfo) create_info;
    decltype(&cusolverDnDestroyGesvdjInfo) destroy_info;
    decltype(&cusolverDnXgesvdjSetMaxSweeps) set_max_sweeps;
    decltype(&cusolverDnXgesvdjSetSortEig) set_sort;
    decltype(&cusolverDnSgesvdjBatched_bufferSize) S_batched_size;
    decltype(&cusolverDnDgesvdjBatched_bufferSize) D_batched_size;
    decltype(&cusolverDnCgesvdjBatched_bufferSize) C_batched_size;
    decltype(&cusolverDnZgesvdjBatched_bufferSize) Z_batched_size;
    decltype(&cusolverDnSgesvdjBatched) S_batched;
    decltype(&cusolverDnDgesvdjBatched) D_batched;
    decltype(&cusolverDnCgesvdjBatched) C_batched;
    decltype(&cusolverDnZgesvdjBatched) Z_batched;
    decltype(&cusolverDnSgesvdj_bufferSize) S_one_size;
    decltype(&cusolverDnDgesvdj_bufferSize) D_one_size;
    decltype(&cusolverDnCgesvdj_bufferSize) C_one_size;
    decltype(&cusolverDnZgesvdj_bufferSize) Z_one_size;
    decltype(&cusolverDnSgesvdj) S_one;
    decltype(&cusolverDnDgesvdj) D_one;
    decltype(&cusolverDnCgesvdj) C_one;
    decltype(&cusolverDnZgesvdj) Z_one;
};

// Loads the library once per process; DMF_ERR_DEVICE with the loader's
// reasons when it is missing.
int dmf_cusolver_load(const dmf_cusolver_api **api);

#endif
