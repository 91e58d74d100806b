/* The CUDA split kernels run on the CPU (tests/emulated_split.cpp). */
#ifndef DMF_TEST_EMULATED_SPLIT_H
#define DMF_TEST_EMULATED_SPLIT_H

#include "backend/backend.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Thin SVD standing in for cuSOLVER's: for the row-major m x n block a
 * (interleaved re, im) writes the k = min(m, n) singular values s and, for
 * the column-major n x m matrix a^T = U diag(s) V^H, U (n x k) and V (m x k)
 * column-major, interleaved.  Returns 0 on success. */
typedef int (*dmf_emulated_svd)(size_t m, size_t n, const double *a, double *s, double *u, double *v);

/* The dmf_emulated_svd of the tests: LAPACK (dmf_svd) in cuSOLVER's layout. */
int dmf_emulated_lapack_svd(size_t m, size_t n, const double *a, double *s, double *u, double *v);

/* split_rank_r on host arrays through the CUDA kernels, with batches of at
 * most max_elements scratch entries. */
int dmf_emulated_split(dmf_dtype dtype, const dmf_split_geometry *g, const void *t, void *w, void *h, int *info,
                       dmf_split_stats *stats, size_t max_elements, dmf_emulated_svd svd);

#ifdef __cplusplus
}
#endif
#endif
