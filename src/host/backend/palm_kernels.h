/* The kernels PALM4MSA and hierarchical PALM are built on (src/host/palm):
 * a backend that can run PALM hangs one of these tables off its dmf_backend
 * (`palm`).  The host keeps the algorithm (the sweeps, the caches, the
 * choice between a CSR and a dense product, the power iterations' loop);
 * every entry here does the work on the data, which lives in the backend's
 * memory (mem_alloc).  All arrays are row-major, of the dtype given to
 * `begin`; "n values" counts values of that dtype. */
#ifndef DMF_PALM_KERNELS_H
#define DMF_PALM_KERNELS_H

#include <stddef.h>

#include "dmf.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One factor of a PALM chain: its dense array (what the gradient steps
 * update; the backend's memory) and, when at most 1/8 of it is nonzero, a
 * CSR copy of it and of its adjoint that the products use instead.  The
 * sync entries set everything below `dense`; the host reads the counts to
 * choose its products. */
typedef struct {
    size_t rows, cols;
    void *dense;
    int sparse;      /* the CSR copy is current */
    size_t nnz;      /* its nonzeros */
    size_t row_sq;   /* sum over rows of (nonzeros in the row)^2: the cost of F^H F by rows */
    size_t col_sq;   /* the same over columns: the cost of F F^H */
    void *csr;       /* the backend's CSR arrays (NULL before the first sync) */
} dmf_palm_factor;

typedef struct dmf_palm_kernels {
    /* A run's work space for one dtype and arrays of at most maxd x maxd
     * (every entry below takes it first); end accepts NULL. */
    int (*begin)(dmf_dtype dtype, size_t maxd, void **ws);
    void (*end)(void *ws);

    /* The CSR copy of f->dense when sparse enough (f->sparse says). */
    int (*factor_sync)(void *ws, dmf_palm_factor *f);
    void (*factor_free)(void *ws, dmf_palm_factor *f);

    /* C (m x n) = op(A) op(B), op the identity or (ha, hb) the conjugate
     * transpose; A is m x k after op. */
    int (*gemm)(void *ws, int ha, int hb, size_t m, size_t n, size_t k, const void *a, const void *b, void *c);
    /* Y = F X (adjoint: F^H X) for a sparse F, X with n columns. */
    int (*csr_mul)(void *ws, const dmf_palm_factor *f, int adjoint, size_t n, const void *x, void *y);
    /* Y = X F (adjoint: X F^H) for a sparse F, X with m rows, by a gather
     * or scatter per nonzero. */
    int (*csr_mul_right)(void *ws, const dmf_palm_factor *f, int adjoint, size_t m, const void *x, void *y);
    /* Y = f[count-1] ... f[0] X (adjoint: f[count-1]^H ... f[0]^H X), every
     * factor sparse, f[0] applied first, X and Y with n columns. */
    int (*csr_chain)(void *ws, const dmf_palm_factor *const *f, size_t count, int adjoint, const void *x, void *y,
                     size_t n);
    /* G = L^H (lambda L S_j Q - (W^H)^H) with L S_j = f[0] ... f[j], every
     * factor sparse: Q is cols(f[j]) square, wh is cols(f[j]) x rows(f[0]),
     * G rows(f[j]) x cols(f[j]). */
    int (*gradient_right)(void *ws, const dmf_palm_factor *const *f, size_t j, double lambda, const void *q,
                          const void *wh, void *g);
    /* Y = F F^H (adjoint: F^H F) for a sparse F. */
    int (*gram)(void *ws, const dmf_palm_factor *f, int adjoint, void *y);
    /* Y (cols x rows) = X^H. */
    int (*transpose_h)(void *ws, size_t rows, size_t cols, const void *x, void *y);

    /* y = F x (adjoint: F^H x), one vector. */
    int (*mul_vec)(void *ws, const dmf_palm_factor *f, int adjoint, const void *x, void *y);
    /* y = F^H F x (by_rows: F F^H x); for a dense F by rows, `ft` holds F^H
     * (transpose_h of f->dense). */
    int (*gram_vec)(void *ws, const dmf_palm_factor *f, int by_rows, const void *ft, const void *x, void *y);

    /* *out = sum |x_t|^2 in double. */
    int (*sum_sq)(void *ws, const void *x, size_t n, double *out);
    /* x *= factor (rounded to the dtype's real type first). */
    int (*scale)(void *ws, void *x, size_t n, double factor);
    int (*copy)(void *ws, void *dst, const void *src, size_t n);
    int (*zero)(void *ws, void *x, size_t n);
    /* E (rows x cols) = lambda Y - Z^H, Z cols x rows. */
    int (*sub_adjoint)(void *ws, size_t rows, size_t cols, double lambda, const void *y, const void *z, void *e);
    /* e = lambda x - a. */
    int (*sub)(void *ws, size_t n, double lambda, const void *x, const void *a, void *e);
    /* *num = Re <a, x>, *den = ||x||^2, *err = ||a - lambda' x||^2 with
     * lambda' = num / den (den > 0) or `lambda`, in double; *lambda_out =
     * lambda'. */
    int (*fit)(void *ws, size_t n, const void *x, const void *a, double lambda, double *lambda_out, double *err);

    /* x -= step g, then the projection of the constraints other than the
     * sparsity ones (normcol, normlin, supp, blockdiag) on f->dense, then
     * factor_sync.  g NULL: the projection alone. */
    int (*step_project)(void *ws, const dmf_constraint *c, dmf_palm_factor *f, double step, const void *g);
    /* The same for sp, splin, spcol and splincol: the step, the support of
     * the largest magnitudes (ties within dmf_palm_tie taken in index
     * order, projections in docs/palm.md), the mask, the CSR copy and the
     * normalization. */
    int (*step_project_sparse)(void *ws, const dmf_constraint *c, dmf_palm_factor *f, double step, const void *g);
} dmf_palm_kernels;

/* The CPU reference table (cpu_palm.c) and the CUDA one
 * (src/kernels/cuda_palm.cu, in builds with CUDA). */
extern const dmf_palm_kernels dmf_cpu_palm_kernels;
extern const dmf_palm_kernels dmf_cuda_palm_kernels;

#ifdef __cplusplus
}
#endif
#endif
