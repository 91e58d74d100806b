/* Dense row-major matrices in any of the four dtypes. */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"
#include "lane_sums.h"
#include "memory.h"
#include "scale.h"

int dmf_mul_size(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > SIZE_MAX / a) return 0;
    *out = a * b;
    return 1;
}

void *dmf_alloc_aligned_uninit(size_t count, size_t elem_size)
{
    size_t bytes;
    if (!dmf_mul_size(count, elem_size, &bytes) || bytes > SIZE_MAX - 64) return NULL;
    if (dmf_memory_over_limit(bytes)) return NULL; /* see dmf_alloc */
    bytes = (bytes + 64) & ~(size_t)63; /* a multiple of the alignment, never 0 */
    return aligned_alloc(64, bytes);
}

void *dmf_alloc_aligned(size_t count, size_t elem_size)
{
    void *p = dmf_alloc_aligned_uninit(count, elem_size);
    if (p) memset(p, 0, ((count * elem_size) + 64) & ~(size_t)63);
    return p;
}

/* Large buffers are read in strided blocks (a block of a tree node spans
 * the whole matrix): 2 MiB pages keep those reads from missing the TLB.
 * glibc serves such sizes by fresh mmap, still untouched, so the advice
 * applies before the first write; it is only advice, hence no check. */
static void *advise_huge_pages(void *p, size_t bytes)
{
    const size_t huge = (size_t)2 << 20;
    if (p && bytes >= 4 * huge) {
        uintptr_t start = ((uintptr_t)p + huge - 1) & ~(uintptr_t)(huge - 1);
        uintptr_t end = ((uintptr_t)p + bytes) & ~(uintptr_t)(huge - 1);
        if (end > start) madvise((void *)start, end - start, MADV_HUGEPAGE);
    }
    return p;
}

void *dmf_alloc(size_t count, size_t elem_size)
{
    size_t bytes;
    if (!dmf_mul_size(count, elem_size, &bytes)) return NULL;
    /* A last guard for sizes that were not checked with their figure
     * before (dmf_memory_check): calloc of more than there is succeeds
     * lazily and the writes that follow grow to the machine's limit. */
    if (dmf_memory_over_limit(bytes)) return NULL;
    return advise_huge_pages(calloc(bytes ? bytes : 1, 1), bytes);
}

/* Work buffers are written soon after they are allocated, and every fresh
 * 4 KiB page is a fault: a balanced DFT-bitrev 4096 c128 took ~3000 of
 * them, 2.5 ms of its 19.  From 2 MiB up a buffer starts on a 2 MiB
 * boundary and is advised whole, so it faults once per 2 MiB page. */
void *dmf_alloc_uninit(size_t count, size_t elem_size)
{
    size_t bytes;
    if (!dmf_mul_size(count, elem_size, &bytes) || dmf_memory_over_limit(bytes)) return NULL;
    const size_t huge = (size_t)2 << 20;
    if (bytes >= huge && bytes <= SIZE_MAX - huge) {
        size_t whole = (bytes + huge - 1) & ~(huge - 1);
        void *p = aligned_alloc(huge, whole);
        if (p) madvise(p, whole, MADV_HUGEPAGE);
        return p;
    }
    return malloc(bytes ? bytes : 1);
}

int dmf_matrix_create(dmf_matrix **out, dmf_dtype dtype, size_t rows, size_t cols)
{
    *out = NULL;
    if ((unsigned)dtype > DMF_C128) return dmf_fail(DMF_ERR_ARG, "invalid dtype %d", (int)dtype);
    size_t count;
    if (!dmf_mul_size(rows, cols, &count))
        return dmf_fail(DMF_ERR_SHAPE, "matrix %zu x %zu is too large", rows, cols);
    DMF_TRY(dmf_memory_check((double)count * (double)dmf_dtype_size(dtype), "a %zu x %zu %s matrix", rows, cols,
                             dmf_dtype_name(dtype)));
    dmf_matrix *mat = malloc(sizeof *mat);
    void *data = dmf_alloc(count, dmf_dtype_size(dtype));
    if (!mat || !data) {
        free(mat);
        free(data);
        return dmf_fail(DMF_ERR_NOMEM, "cannot allocate a %zu x %zu %s matrix", rows, cols,
                        dmf_dtype_name(dtype));
    }
    *mat = (dmf_matrix){dtype, rows, cols, data, 0, NULL, 0};
    *out = mat;
    return DMF_OK;
}

int dmf_matrix_wrap(dmf_matrix **out, dmf_dtype dtype, size_t rows, size_t cols, void *data)
{
    *out = NULL;
    if ((unsigned)dtype > DMF_C128) return dmf_fail(DMF_ERR_ARG, "invalid dtype %d", (int)dtype);
    size_t count;
    if (!dmf_mul_size(rows, cols, &count) || !dmf_mul_size(count, dmf_dtype_size(dtype), &count))
        return dmf_fail(DMF_ERR_SHAPE, "matrix %zu x %zu is too large", rows, cols);
    if (!data && count) return dmf_fail(DMF_ERR_ARG, "no data for a %zu x %zu matrix", rows, cols);
    dmf_matrix *mat = malloc(sizeof *mat);
    if (!mat) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate a matrix handle");
    *mat = (dmf_matrix){dtype, rows, cols, data, 1, NULL, 0};
    *out = mat;
    return DMF_OK;
}

void dmf_matrix_free(dmf_matrix *mat)
{
    if (!mat) return;
    if (mat->mapping) munmap(mat->mapping, mat->mapping_bytes);
    else if (!mat->borrowed) free(mat->data);
    free(mat);
}

dmf_dtype dmf_matrix_dtype(const dmf_matrix *mat) { return mat->dtype; }
size_t dmf_matrix_rows(const dmf_matrix *mat) { return mat->rows; }
size_t dmf_matrix_cols(const dmf_matrix *mat) { return mat->cols; }
void *dmf_matrix_data(dmf_matrix *mat) { return mat->data; }
const void *dmf_matrix_const_data(const dmf_matrix *mat) { return mat->data; }

int dmf_matrix_convert(const dmf_matrix *src, dmf_dtype dtype, dmf_matrix **out)
{
    DMF_TRY(dmf_matrix_create(out, dtype, src->rows, src->cols));
    size_t count = src->rows * src->cols;
    int narrowing = dmf_dtype_is_complex(src->dtype) && !dmf_dtype_is_complex(dtype);
    int to_single = (dtype == DMF_F32 || dtype == DMF_C64) && (src->dtype == DMF_F64 || src->dtype == DMF_C128);
    /* The smallest magnitude that rounds to infinity in single precision:
     * FLT_MAX plus half its ulp (2^128 - 2^103). */
    const double single_overflow = 0x1.ffffffp+127;
    for (size_t i = 0; i < count; i++) {
        double complex v = dmf_get(src->dtype, src->data, i);
        if (to_single && (fabs(creal(v)) >= single_overflow || fabs(cimag(v)) >= single_overflow) &&
            isfinite(creal(v)) && isfinite(cimag(v))) {
            dmf_matrix_free(*out);
            *out = NULL;
            double big = fabs(creal(v)) >= single_overflow ? creal(v) : cimag(v);
            return dmf_fail(DMF_ERR_NUMERIC,
                            "cannot convert to %s: entry (%zu, %zu) = %.17g is beyond its range "
                            "(largest finite %.9g); scale the matrix or keep a double dtype",
                            dmf_dtype_name(dtype), i / src->cols, i % src->cols, big, (double)FLT_MAX);
        }
        if (narrowing && cimag(v) != 0.0) {
            dmf_matrix_free(*out);
            *out = NULL;
            return dmf_fail(DMF_ERR_ARG,
                            "cannot convert complex matrix to %s: entry (%zu, %zu) has a "
                            "nonzero imaginary part",
                            dmf_dtype_name(dtype), i / src->cols, i % src->cols);
        }
        dmf_set(dtype, (*out)->data, i, v);
    }
    return DMF_OK;
}

/* Chunks fixed by the size alone, summed in threads and then in order: the
 * same norm for any thread count. */
enum { SUM_CHUNKS = 256 };

/* Sum of |x|^2 of the real view, each x multiplied by `scale` first (a
 * power of two: exact).  f32 squares are formed in double. */
static double sum_squares(const dmf_matrix *mat, double scale)
{
    size_t count = mat->rows * mat->cols;
    /* The real view of complex data has twice the entries. */
    size_t reals = dmf_dtype_is_complex(mat->dtype) ? 2 * count : count;
    const size_t chunk = (reals + SUM_CHUNKS - 1) / SUM_CHUNKS;
    const int single = mat->dtype == DMF_F32 || mat->dtype == DMF_C64;
    double part[SUM_CHUNKS] = {0};
#pragma omp parallel for schedule(static) if (reals > ((size_t)1 << 20))
    for (size_t c = 0; c < SUM_CHUNKS; c++) {
        size_t begin = c * chunk < reals ? c * chunk : reals, end = begin + chunk < reals ? begin + chunk : reals;
        part[c] = single ? dmf_lane_sum_squares_f32((const float *)mat->data + begin, end - begin, scale)
                         : dmf_lane_sum_squares_f64((const double *)mat->data + begin, end - begin, scale);
    }
    double sum = 0.0;
    for (size_t c = 0; c < SUM_CHUNKS; c++) sum += part[c];
    return sum;
}

double dmf_matrix_norm_fro(const dmf_matrix *mat)
{
    size_t reals = mat->rows * mat->cols * (dmf_dtype_is_complex(mat->dtype) ? 2 : 1);
    double sum = sum_squares(mat, 1.0);
    if (!dmf_sum_sq_unsafe(sum, reals)) return sqrt(sum);
    /* Squares overflowed or underflowed: bring the largest entry near 1,
     * as dnrm2 does, and scale the norm back. */
    int e;
    if (!dmf_extreme_exponent(mat->dtype, mat->data, mat->rows * mat->cols, 0, &e)) return 0;
    if (e == INT_MAX) return INFINITY;
    double scale = dmf_pow2_clamped(-e);
    return sqrt(sum_squares(mat, scale)) / scale;
}

int dmf_matrix_check_finite(const dmf_matrix *mat)
{
    size_t count = mat->rows * mat->cols, entry = dmf_first_nonfinite(mat->dtype, mat->data, count);
    if (entry == count) return DMF_OK;
    return dmf_fail(DMF_ERR_NUMERIC, "entry (%zu, %zu) is not finite", entry / mat->cols,
                    entry % mat->cols);
}
