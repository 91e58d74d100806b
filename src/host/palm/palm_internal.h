/* Internal pieces of PALM4MSA and hierarchical PALM (not installed). */
#ifndef DMF_PALM_INTERNAL_H
#define DMF_PALM_INTERNAL_H

#include "backend/backend.h"
#include "internal.h"

/* Shapes and contents of one constraint: DMF_ERR_ARG / DMF_ERR_SHAPE with
 * `what` (e.g. "constraint 2") in the message. */
int dmf_palm_check_constraint(const dmf_constraint *c, dmf_dtype dtype, const char *what);

/* PALM on raw host arrays of the dtype, by the backend's PALM kernels:
 * dims[0] = rows(A), dims[j+1] = cols(S_j); S[j] (dims[j] x dims[j+1]) hold
 * the start and receive the result; lambda in and out.  rep gets
 * rel_error, lambda, iterations and stopped_by. */
/* warm: *lambda was fitted to A with the given factors (it is in A's
 * scale); else a cold start with the default factors (see dmf_palm_core). */
int dmf_palm_core(const dmf_backend *backend, dmf_dtype dtype, const void *a, size_t num_factors,
                  const size_t *dims, void *const *S, const dmf_constraint *cons, const dmf_palm_options *opts, double *lambda,
                  int warm, dmf_palm_report *rep);

/* DMF_ERR_NOT_COMPILED naming the backend when it has no PALM kernels. */
int dmf_palm_backend_check(const dmf_backend *be);

/* The default start of factor j: identity (ones on the main diagonal of a
 * rectangle), or zero for the first factor of the sweep; const factors are
 * their matrix. */
void dmf_palm_default_start(dmf_dtype dtype, const dmf_constraint *c, int zero, void *x);

/* Stopping rule and step options: DMF_ERR_ARG naming `what`. */
int dmf_palm_check_options(const dmf_palm_options *o, const char *what);
/* DMF_ERR_SHAPE when a size is beyond BLAS's int. */
int dmf_palm_check_size(size_t n, const char *what);

#endif
