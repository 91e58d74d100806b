/* Sums of squares in eight running lanes of a vector, added in a fixed
 * tree at the end.  GCC's simd reductions keep their lanes in an array on
 * the stack and add them one by one, which costs more than the products
 * on short rows (8 x 8 c128 blocks: 40 % of the split's gather); and the
 * fixed order makes a sum independent of the data's alignment. */
#ifndef DMF_LANE_SUMS_H
#define DMF_LANE_SUMS_H

#include <stddef.h>
#include <string.h>

typedef double dmf_lanes8_f64 __attribute__((vector_size(8 * sizeof(double))));
typedef float dmf_lanes8_f32 __attribute__((vector_size(8 * sizeof(float))));

/* A macro: a vector returned by value draws an ABI note where AVX is off. */
#define DMF_LOAD8(v, p) memcpy(&(v), (p), sizeof(v))

/* The lanes of v with each pair's two swapped: (re, im) -> (im, re); for
 * eight doubles, and (_F32) eight floats. */
typedef long long dmf_lane_index8 __attribute__((vector_size(8 * sizeof(long long))));
typedef int dmf_lane_index8_f32 __attribute__((vector_size(8 * sizeof(int))));
#if defined(__clang__)
#define DMF_SWAP_PAIRS8(v) __builtin_shufflevector(v, v, 1, 0, 3, 2, 5, 4, 7, 6)
#define DMF_SWAP_PAIRS8_F32(v) __builtin_shufflevector(v, v, 1, 0, 3, 2, 5, 4, 7, 6)
#else
#define DMF_SWAP_PAIRS8(v) __builtin_shuffle(v, (dmf_lane_index8){1, 0, 3, 2, 5, 4, 7, 6})
#define DMF_SWAP_PAIRS8_F32(v) __builtin_shuffle(v, (dmf_lane_index8_f32){1, 0, 3, 2, 5, 4, 7, 6})
#endif

/* Two running sums over the first reals of an array, eight lanes a step, so
 * that an add waits on the one two steps back: STEP(acc, k) adds the eight
 * reals at k into acc.  Leaves k at the first real of the tail (fewer than
 * eight) and acc1 added into acc0. */
#define DMF_LANE_TWO_SUMS(STEP, acc0, acc1, k, len) \
    do {                                             \
        for (; (k) + 16 <= (len); (k) += 16) {       \
            STEP(acc0, k);                           \
            STEP(acc1, (k) + 8);                     \
        }                                            \
        if ((k) + 8 <= (len)) {                      \
            STEP(acc0, k);                           \
            (k) += 8;                                \
        }                                            \
        (acc0) += (acc1);                            \
    } while (0)

static inline double dmf_lanes_total(const double l[8])
{
    return ((l[0] + l[4]) + (l[2] + l[6])) + ((l[1] + l[5]) + (l[3] + l[7]));
}

/* The same for the lanes of a vector (by address, for the reason above). */
static inline double dmf_lanes_sum(const dmf_lanes8_f64 *v)
{
    double l[8];
    memcpy(l, v, sizeof l);
    return dmf_lanes_total(l);
}

/* The products x[k] y[k] summed over the even k and over the odd k
 * (parts[0], parts[1]) and, with `swapped`, x[k] y[k ^ 1] likewise
 * (parts[2], parts[3]): for interleaved complex numbers the real and
 * imaginary parts of a dot product with or without conjugation; for reals
 * parts[0] + parts[1].  Four running sums of eight lanes, so that a long
 * sum is not one add after another; a fixed order throughout, len even
 * where swapped. */
static inline void dmf_lane_products(const double *x, const double *y, size_t len, int swapped, double parts[4])
{
    if (len < 16) { /* the lanes would stay zero: the same sums, without them */
        double tail[4] = {0, 0, 0, 0};
        for (size_t k = 0; k < len; k++) {
            tail[k & 1] += x[k] * y[k];
            if (swapped) tail[2 + (k & 1)] += x[k] * y[k ^ 1];
        }
        memcpy(parts, tail, sizeof tail);
        return;
    }
    dmf_lanes8_f64 a0 = {0}, a1 = {0}, b0 = {0}, b1 = {0};
    size_t k = 0;
    for (; k + 16 <= len; k += 16) {
        dmf_lanes8_f64 x0, y0, x1, y1;
        DMF_LOAD8(x0, x + k);
        DMF_LOAD8(y0, y + k);
        DMF_LOAD8(x1, x + k + 8);
        DMF_LOAD8(y1, y + k + 8);
        a0 += x0 * y0;
        a1 += x1 * y1;
        if (swapped) {
            b0 += x0 * DMF_SWAP_PAIRS8(y0);
            b1 += x1 * DMF_SWAP_PAIRS8(y1);
        }
    }
    a0 += a1;
    b0 += b1;
    double la[8], lb[8], tail[4] = {0, 0, 0, 0};
    memcpy(la, &a0, sizeof la);
    memcpy(lb, &b0, sizeof lb);
    for (; k < len; k++) {
        tail[k & 1] += x[k] * y[k];
        if (swapped) tail[2 + (k & 1)] += x[k] * y[k ^ 1];
    }
    parts[0] = ((la[0] + la[4]) + (la[2] + la[6])) + tail[0];
    parts[1] = ((la[1] + la[5]) + (la[3] + la[7])) + tail[1];
    parts[2] = ((lb[0] + lb[4]) + (lb[2] + lb[6])) + tail[2];
    parts[3] = ((lb[1] + lb[5]) + (lb[3] + lb[7])) + tail[3];
}

/* sum_k (x[k] scale)^2 in double; scale = 1 folds away when inlined. */
#define DMF_LANE_SUM_SQUARES(NAME, REAL, LANES)                            \
    static inline double NAME(const REAL *x, size_t len, double scale)    \
    {                                                                      \
        dmf_lanes8_f64 acc = {0};                                          \
        size_t k = 0;                                                      \
        for (; k + 8 <= len; k += 8) {                                     \
            LANES v;                                                       \
            DMF_LOAD8(v, x + k);                                           \
            const dmf_lanes8_f64 s = __builtin_convertvector(v, dmf_lanes8_f64) * scale; \
            acc += s * s;                                                  \
        }                                                                  \
        double tail = 0;                                                   \
        for (; k < len; k++) tail += (double)x[k] * scale * ((double)x[k] * scale); \
        return dmf_lanes_sum(&acc) + tail;                                 \
    }
DMF_LANE_SUM_SQUARES(dmf_lane_sum_squares_f32, float, dmf_lanes8_f32)
DMF_LANE_SUM_SQUARES(dmf_lane_sum_squares_f64, double, dmf_lanes8_f64)
#undef DMF_LANE_SUM_SQUARES

#endif
