/* Exact power-of-two scaling of dense data, so algorithms whose sums of
 * squares would overflow or underflow can run on a copy whose largest
 * entry is in a safe range (as LAPACK's drivers rescale with xLASCL) and move the
 * scale back afterwards without rounding.  Every function works on the
 * real view: a complex entry is two reals. */
#ifndef DMF_SCALE_H
#define DMF_SCALE_H

#include "internal.h"

/* Binary exponent e of the largest |x| (max |x| = f 2^e, 0.5 <= f < 1), or
 * of the smallest nonzero |x| with `smallest`; 0 when every x is zero
 * (then *exponent is left alone).  NaN is ignored; an infinity gives
 * INT_MAX. */
int dmf_extreme_exponent(dmf_dtype dtype, const void *data, size_t count, int smallest,
                         int *exponent);

/* x <- x 2^shift for every entry (ldexp: exact unless a result leaves the
 * normal range). */
void dmf_scale_pow2(dmf_dtype dtype, void *data, size_t count, int shift);

/* The shift that brings the largest |x| into [0.5, 1) when its exponent is
 * outside the range in which dmf's kernels square and sum values of this
 * dtype safely ([-40, 40] for f32/c64, [-459, 459] for f64/c128: LAPACK's
 * sqrt(safe minimum)/eps and its inverse); 0 inside it, so data in the
 * ordinary range are used as they are, bit for bit. */
int dmf_range_shift(dmf_dtype dtype, const void *data, size_t count);
#define DMF_SAFE_EXP_SINGLE 40
#define DMF_SAFE_EXP_DOUBLE 459
/* The same with the bound given: data of any dtype that are worked on in
 * double use DMF_SAFE_EXP_DOUBLE. */
int dmf_range_shift_beyond(dmf_dtype dtype, const void *data, size_t count, int bound);

/* A fresh copy of the data times 2^shift (free() it); NULL when out of
 * memory. */
void *dmf_scaled_copy(dmf_dtype dtype, const void *data, size_t count, int shift);
/* B of the safe range 2^-B ... 2^B for the dtype (DMF_SAFE_EXP_*). */
int dmf_safe_exponent(dmf_dtype dtype);
/* dmf_range_shift and dmf_all_finite in one pass over the data: 1 with
 * *shift set when every entry is finite, 0 (and *shift = 0) otherwise. */
int dmf_finite_range_shift(dmf_dtype dtype, const void *data, size_t count, int *shift);
/* Whether `count` entries whose squares sum to sum_sq are, for certain,
 * finite and needed no shift (dmf_finite_range_shift would give 0): their
 * largest real part, between ||A|| / sqrt(reals) and ||A||, lies within
 * the safe range, with a factor of 4 to spare for the sum's rounding.  A
 * NaN or an infinity among them makes the sum one and the answer no. */
int dmf_sum_sq_needs_no_shift(dmf_dtype dtype, double sum_sq, size_t count);
/* 1 when every entry is finite (one vectorized pass, no early exit). */
int dmf_all_finite(dmf_dtype dtype, const void *data, size_t count);
/* Index of the first entry (not real) that is not finite, or count (found
 * after one dmf_all_finite pass, so the finite case costs only that). */
size_t dmf_first_nonfinite(dmf_dtype dtype, const void *data, size_t count);

/* 2^shift as a double, the shift clamped to the normal range so that it
 * is representable (a subnormal maximum is then brought near 2^-50). */
double dmf_pow2_clamped(int shift);

/* The sum of |x|^2 in double would have overflowed, or lost entries to
 * underflow, when it is not finite or below this bound for `reals` terms:
 * recompute with dmf_pow2_clamped(-e) applied, e the largest exponent. */
int dmf_sum_sq_unsafe(double sum_sq, size_t reals);

#endif
