/* Internal pieces of PALM4MSA and hierarchical PALM (not installed). */
#ifndef DMF_PALM_INTERNAL_H
#define DMF_PALM_INTERNAL_H

#include "internal.h"

/* The value of the k-th largest of v[0..n-1] (1 <= k <= n); reorders v. */
double dmf_palm_kth_largest(double *v, size_t n, size_t k);
/* y (cols x rows) = x^T for a real rows x cols x, by tiles (palm4msa.c). */
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
/* Relative width of the ties among squared magnitudes (projections.c). */
double dmf_palm_tie(dmf_dtype dtype);

/* Shapes and contents of one constraint: DMF_ERR_ARG / DMF_ERR_SHAPE with
 * `what` (e.g. "constraint 2") in the message. */
int dmf_palm_check_constraint(const dmf_constraint *c, dmf_dtype dtype, const char *what);

/* PALM on raw arrays of the dtype: dims[0] = rows(A), dims[j+1] = cols(S_j);
 * S[j] (dims[j] x dims[j+1]) hold the start and receive the result; lambda
 * in and out.  rep gets rel_error, lambda, iterations and stopped_by. */
int dmf_palm_core(dmf_dtype dtype, const void *a, size_t num_factors, const size_t *dims, void *const *S,
                  const dmf_constraint *cons, const dmf_palm_options *opts, double *lambda, dmf_palm_report *rep);

/* The default start of factor j: identity (ones on the main diagonal of a
 * rectangle), or zero for the first factor of the sweep; const factors are
 * their matrix. */
void dmf_palm_default_start(dmf_dtype dtype, const dmf_constraint *c, int zero, void *x);

/* Stopping rule and step options: DMF_ERR_ARG naming `what`. */
int dmf_palm_check_options(const dmf_palm_options *o, const char *what);
/* DMF_ERR_SHAPE when a size is beyond BLAS's int. */
int dmf_palm_check_size(size_t n, const char *what);

#endif
