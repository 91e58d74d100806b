/* Internal declarations shared by the host layers (not installed). */
#ifndef DMF_INTERNAL_H
#define DMF_INTERNAL_H

#include <complex.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>

#include "dmf.h"
#include "error.h"

struct dmf_matrix {
    dmf_dtype dtype;
    size_t rows, cols;
    void *data;
    int borrowed; /* data belongs to the caller (dmf_matrix_wrap) */
    /* A private mapping of a file that holds the data (dmf_npy_read):
     * unmapped when the matrix is freed. */
    void *mapping;
    size_t mapping_bytes;
};

/* Overflow-checked products of sizes; return 0 on overflow. */
int dmf_mul_size(size_t a, size_t b, size_t *out);
void *dmf_alloc(size_t count, size_t elem_size); /* zeroed, NULL on overflow/OOM */
/* dmf_alloc without the zeros: for buffers whose every entry is written
 * before it is read (a recycled chunk zeroed by calloc is a needless pass). */
void *dmf_alloc_uninit(size_t count, size_t elem_size);
/* The same on a 64-byte boundary (free() releases it): kernels whose
 * vectorized sums would otherwise start at an address-dependent offset. */
void *dmf_alloc_aligned(size_t count, size_t elem_size);
/* Aligned and not zeroed: buffers dmf's own kernels write before they read
 * them (never handed to BLAS/LAPACK, whose vector kernels may read a little
 * past the end of an operand). */
void *dmf_alloc_aligned_uninit(size_t count, size_t elem_size);

/* Work buffers that a thread frees with dmf_recycle_free between
 * dmf_recycle_begin and dmf_recycle_end are kept (from 128 KiB up) and
 * handed out again by dmf_recycle_alloc for the same rounded size
 * (recycle.c); outside that stretch the two are an allocation on a 64-byte
 * boundary, with room for the line after the last byte, and free().
 * dmf_recycle_free releases any malloc'd pointer, from any thread.  A
 * buffer whose ownership moves to code that frees it with free() is
 * disowned first. */
void dmf_recycle_begin(void);
void dmf_recycle_end(void);
void dmf_recycle_disown(const void *ptr);
void *dmf_recycle_alloc(size_t count, size_t elem_size);  /* not zeroed, NULL on overflow/OOM */
void *dmf_recycle_zeroed(size_t count, size_t elem_size); /* zeroed */
void dmf_recycle_free(void *ptr);
size_t dmf_recycle_kept_bytes(void); /* this thread's, for the tests */

/* Every cache line of [p, p + bytes) requested ahead of its use, the line
 * holding p first: a run that does not start on a 64-byte boundary (a
 * calloc'd or a NumPy array starts 16 bytes past one) touches one line more
 * than bytes / 64, and that line, left out, was a miss the loop waited on.
 * `locality` as __builtin_prefetch's (a constant): 1 fetches into L2. */
#define DMF_PREFETCH_LINES(p, bytes, locality)                                          \
    do {                                                                               \
        const uintptr_t dmf_pf_end_ = (uintptr_t)(p) + (bytes);                        \
        for (uintptr_t dmf_pf_ = (uintptr_t)(p) & ~(uintptr_t)63; dmf_pf_ < dmf_pf_end_; \
             dmf_pf_ += 64)                                                            \
            __builtin_prefetch((const void *)dmf_pf_, 0, (locality));                  \
    } while (0)

/* Seeded reproducible generator (xoshiro256**, splitmix64 seeding). */
typedef struct { uint64_t s[4]; int has_spare; double spare; } dmf_rng;
void dmf_rng_seed(dmf_rng *rng, uint64_t seed);
uint64_t dmf_rng_next(dmf_rng *rng);
double dmf_rng_uniform(dmf_rng *rng); /* in [0, 1) */
double dmf_rng_normal(dmf_rng *rng);  /* N(0, 1) */
/* Fills n values of dtype with N(0,1) reals or complex with N(0,1/2) parts. */
void dmf_rng_fill_normal(dmf_rng *rng, dmf_dtype dtype, void *data, size_t n);

/* Element access in double precision, for code that is not speed critical. */
double complex dmf_get(dmf_dtype dtype, const void *data, size_t index);
void dmf_set(dmf_dtype dtype, void *data, size_t index, double complex value);

/* re + im i without arithmetic, so an infinite part leaves the other one
 * alone (CMPLX does this but is missing from some compilers' headers). */
static inline double complex dmf_make_complex(double re, double im)
{
    union {
        double parts[2];
        double complex z;
    } u = {{re, im}};
    return u.z;
}

double dmf_now_seconds(void);

/* DMF_ERR_ARG naming `what` (e.g. "row", or a file name) unless perm holds
 * each of 0..count-1 once. */
int dmf_permutation_check(const size_t *perm, size_t count, const char *what);

/* Thin SVD a = u diag(s) vt of a row-major m x n matrix (u: m x k, vt:
 * k x n, row-major, k = min(m, n)); real arithmetic unless is_complex. */
int dmf_svd(int is_complex, size_t m, size_t n, const double complex *a, double *s,
            double complex *u, double complex *vt);

/* Around a parallel region whose threads call LAPACK: OpenBLAS runs
 * those calls on the calling thread alone (blas_threads.c).  Nested and
 * concurrent pairs are counted; the last leave restores its setting. */
void dmf_blas_serial_enter(void);
void dmf_blas_serial_leave(void);

/* The largest eigenvalue of the symmetric tridiagonal matrix with diagonal
 * diag[0..count) and off-diagonal off[0..count-1), and its unit
 * eigenvector in vec; work holds count doubles (tridiag.c). */
double dmf_tridiag_top(const double *diag, const double *off, size_t count, double *vec, double *work);

/* Reads an N-d C-order .npy: the matrix has the last axis as columns and
 * the other axes flattened into rows; shape and ndim give the axes. */
#define DMF_NPY_MAX_DIMS 64
int dmf_npy_read_nd(const char *path, dmf_matrix **out, size_t shape[DMF_NPY_MAX_DIMS], int *ndim);

#endif
