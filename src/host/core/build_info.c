/* Build facts reported by `dmf info`. */
#include <omp.h>

#include "internal.h"

char *openblas_get_config(void); /* OpenBLAS extension, declared here to avoid cblas.h */

void dmf_get_build_info(dmf_build_info *info)
{
    info->version = DMF_VERSION_STRING;
    info->build_type = DMF_BUILD_TYPE;
    info->compiler = DMF_COMPILER;
    info->blas = openblas_get_config();
#ifdef DMF_HAVE_CUDA
    info->cuda_compiled = 1;
#else
    info->cuda_compiled = 0;
#endif
    info->openmp_threads = omp_get_max_threads();
}
