/* Exact power-of-two scaling (see scale.h). */
#include <float.h>
#include <limits.h>

#include <string.h>

#include "internal.h"
#include "scale.h"

static int single_precision(dmf_dtype dtype) { return dtype == DMF_F32 || dtype == DMF_C64; }

static size_t reals_of(dmf_dtype dtype, size_t count)
{
    return dmf_dtype_is_complex(dtype) ? 2 * count : count;
}

/* The largest |x| (NaN ignored) and, in the same pass, whether every x is
 * finite (x * 0 is 0 for finite x, NaN otherwise): one vectorized pass
 * split over the threads, which the factorization runs over its input. */
static double largest_abs(dmf_dtype dtype, const void *data, size_t reals, int *finite)
{
    double best = 0, probe = 0;
    if (single_precision(dtype)) {
        const float *x = data;
        float fbest = 0, fprobe = 0;
#pragma omp parallel for simd reduction(max : fbest) reduction(+ : fprobe) if (reals > (1u << 22))
        for (size_t i = 0; i < reals; i++) {
            float v = fabsf(x[i]);
            fbest = v > fbest ? v : fbest;
            fprobe += x[i] * 0.0f;
        }
        best = fbest;
        probe = fprobe;
    } else {
        const double *x = data;
#pragma omp parallel for simd reduction(max : best) reduction(+ : probe) if (reals > (1u << 22))
        for (size_t i = 0; i < reals; i++) {
            double v = fabs(x[i]);
            best = v > best ? v : best;
            probe += x[i] * 0.0;
        }
    }
    if (finite) *finite = probe == 0;
    return best;
}

int dmf_all_finite(dmf_dtype dtype, const void *data, size_t count)
{
    /* x * 0 is 0 for finite x and NaN otherwise: a sum without early exit,
     * so it vectorizes. */
    size_t reals = reals_of(dtype, count);
    double probe = 0;
    if (single_precision(dtype)) {
        const float *x = data;
        float fprobe = 0;
#pragma omp parallel for simd reduction(+ : fprobe) if (reals > (1u << 22))
        for (size_t i = 0; i < reals; i++) fprobe += x[i] * 0.0f;
        probe = fprobe;
    } else {
        const double *x = data;
#pragma omp parallel for simd reduction(+ : probe) if (reals > (1u << 22))
        for (size_t i = 0; i < reals; i++) probe += x[i] * 0.0;
    }
    return probe == 0;
}

int dmf_extreme_exponent(dmf_dtype dtype, const void *data, size_t count, int smallest,
                         int *exponent)
{
    size_t reals = reals_of(dtype, count);
    double best = smallest ? INFINITY : 0;
    if (!smallest) {
        best = largest_abs(dtype, data, reals, NULL);
    } else if (single_precision(dtype)) {
        const float *x = data;
        for (size_t i = 0; i < reals; i++) {
            double v = fabs((double)x[i]);
            if (smallest ? v > 0 && v < best : v > best) best = v;
        }
    } else {
        const double *x = data;
        for (size_t i = 0; i < reals; i++) {
            double v = fabs(x[i]);
            if (smallest ? v > 0 && v < best : v > best) best = v;
        }
    }
    if (best == 0 || (smallest && best == INFINITY)) return 0;
    if (isinf(best)) {
        *exponent = INT_MAX;
        return 1;
    }
    frexp(best, exponent);
    return 1;
}

void dmf_scale_pow2(dmf_dtype dtype, void *data, size_t count, int shift)
{
    size_t reals = reals_of(dtype, count);
    if (shift == 0) return;
    if (single_precision(dtype)) {
        float *x = data;
        for (size_t i = 0; i < reals; i++) x[i] = ldexpf(x[i], shift);
    } else {
        double *x = data;
        for (size_t i = 0; i < reals; i++) x[i] = ldexp(x[i], shift);
    }
}

int dmf_range_shift_beyond(dmf_dtype dtype, const void *data, size_t count, int bound)
{
    int e;
    if (!dmf_extreme_exponent(dtype, data, count, 0, &e) || e == INT_MAX) return 0;
    return e > bound || e < -bound ? -e : 0;
}

void *dmf_scaled_copy(dmf_dtype dtype, const void *data, size_t count, int shift)
{
    void *copy = dmf_alloc(count, dmf_dtype_size(dtype));
    if (!copy) return NULL;
    memcpy(copy, data, count * dmf_dtype_size(dtype));
    dmf_scale_pow2(dtype, copy, count, shift);
    return copy;
}

int dmf_safe_exponent(dmf_dtype dtype) { return single_precision(dtype) ? DMF_SAFE_EXP_SINGLE : DMF_SAFE_EXP_DOUBLE; }

int dmf_finite_range_shift(dmf_dtype dtype, const void *data, size_t count, int *shift)
{
    int finite, e;
    double best = largest_abs(dtype, data, reals_of(dtype, count), &finite);
    *shift = 0;
    if (!finite) return 0;
    int bound = dmf_safe_exponent(dtype);
    if (best == 0) return 1;
    frexp(best, &e);
    *shift = e > bound || e < -bound ? -e : 0;
    return 1;
}

int dmf_sum_sq_needs_no_shift(dmf_dtype dtype, double sum_sq, size_t count)
{
    int bound = dmf_safe_exponent(dtype);
    double reals = (double)reals_of(dtype, count);
    return isfinite(sum_sq) && sum_sq < ldexp(1.0, 2 * bound - 2) && sum_sq > reals * ldexp(1.0, 2 - 2 * bound);
}

int dmf_range_shift(dmf_dtype dtype, const void *data, size_t count)
{
    /* sqrt(safe minimum) / eps in LAPACK's xGESVD: 2^-40 for single,
     * 2^-459 for double; squares and sums of up to 2^32 squares of values
     * between it and its inverse stay normal and finite, also after
     * orthonormalization gathers a whole block's norm into one entry. */
    return dmf_range_shift_beyond(dtype, data, count,
                                  dmf_safe_exponent(dtype));
}

size_t dmf_first_nonfinite(dmf_dtype dtype, const void *data, size_t count)
{
    /* The common answer in one vectorized pass; the early-exit search only
     * when something is there to find. */
    if (dmf_all_finite(dtype, data, count)) return count;
    size_t reals = reals_of(dtype, count), parts = reals / (count ? count : 1);
    if (single_precision(dtype)) {
        const float *x = data;
        for (size_t i = 0; i < reals; i++)
            if (!isfinite(x[i])) return i / parts;
    } else {
        const double *x = data;
        for (size_t i = 0; i < reals; i++)
            if (!isfinite(x[i])) return i / parts;
    }
    return count;
}

double dmf_pow2_clamped(int shift)
{
    if (shift > DBL_MAX_EXP - 1) shift = DBL_MAX_EXP - 1;
    if (shift < DBL_MIN_EXP - 1) shift = DBL_MIN_EXP - 1;
    return ldexp(1.0, shift);
}

int dmf_sum_sq_unsafe(double sum_sq, size_t reals)
{
    return !isfinite(sum_sq) || sum_sq < DBL_MIN / DBL_EPSILON * (double)(reals ? reals : 1);
}
