/* The CPU's PALM projections (cpu_palm_project.c), shared by its PALM
 * kernels (cpu_palm.c), dmf_constraint_project and the CUDA kernels, which
 * select supports on the host (src/kernels/cuda_palm.cu). */
#ifndef DMF_CPU_PALM_H
#define DMF_CPU_PALM_H

#include <stddef.h>

#include "dmf.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The value of the k-th largest of v[0..n-1] (1 <= k <= n); reorders v. */
double dmf_palm_kth_largest(double *v, size_t n, size_t k);
/* y (cols x rows) = x^T for a real rows x cols x, by tiles (cpu_palm.c). */
void dmf_palm_transpose_real(size_t rows, size_t cols, const double *x, double *y);

/* Projection of a row-major rows x cols array of the dtype (the shape of
 * the constraint), in place. */
int dmf_palm_project(dmf_dtype dtype, const dmf_constraint *c, void *x);

/* The buffers of the projections, kept from one to the next by a PALM run
 * (zero-initialize; the projection grows them). */
typedef struct {
    double *mag, *scratch;
    unsigned char *keep;
    size_t mag_bytes, scratch_bytes, keep_bytes;
} dmf_palm_proj_ws;
int dmf_palm_project_ws(dmf_dtype dtype, const dmf_constraint *c, void *x, dmf_palm_proj_ws *ws);
void dmf_palm_proj_ws_free(dmf_palm_proj_ws *ws);

/* The sparsity projections (sp, splin, spcol, splincol) in two halves, for
 * callers that compute the squared magnitudes |x|^2 themselves (PALM, in
 * the pass of its gradient step): begin sizes ws for c and clears
 * ws->keep, the caller fills ws->mag (rows x cols), end sets ws->keep to
 * the support dmf_palm_project keeps. */
int dmf_palm_support_begin(const dmf_constraint *c, dmf_palm_proj_ws *ws);
void dmf_palm_support_end(const dmf_constraint *c, dmf_dtype dtype, dmf_palm_proj_ws *ws);
/* Relative width of the ties among squared magnitudes. */
double dmf_palm_tie(dmf_dtype dtype);

#ifdef __cplusplus
}
#endif
#endif
