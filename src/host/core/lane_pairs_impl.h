/* Vectors of eight REALs over the real view of an array of one dtype (see
 * scalar_begin.h), and a scalar spread over their lanes as products with
 * (re, im) pairs want it: sums in these lanes run in a fixed order, where
 * an omp simd reduction leaves the order (hence the last bits) to the
 * compiler's inlining.  Included by a kernel's *_impl.h, once per dtype. */
#include "lane_sums.h"

#undef PAIR_SWAP
#undef PAIR_TIMES
#undef PAIR_CONJ_TIMES

typedef REAL FN(lanes8) __attribute__((vector_size(8 * sizeof(REAL))));
typedef dmf_lanes8_f64 FN(dlanes8);
#if DMF_TYPE_ID == 2
#define PAIR_SWAP(v) DMF_SWAP_PAIRS8_F32(v)
#else
#define PAIR_SWAP(v) DMF_SWAP_PAIRS8(v)
#endif

/* c y = re y + times swap(y) and conj(c) y = re y + conj swap(y) for a
 * vector y of (re, im) pairs (times and conj are zero for a real dtype). */
typedef struct {
    FN(lanes8) re, times, conj;
} FN(pair_lanes);

static inline FN(pair_lanes) FN(pair_lanes_of)(SCALAR c)
{
    REAL re[8], times[8], conj[8];
    for (int q = 0; q < 8; q++) {
        re[q] = RE(c);
#if IS_COMPLEX
        times[q] = q % 2 ? cimag(c) : -cimag(c);
        conj[q] = q % 2 ? -cimag(c) : cimag(c);
#else
        times[q] = conj[q] = 0;
#endif
    }
    FN(pair_lanes) p;
    DMF_LOAD8(p.re, re);
    DMF_LOAD8(p.times, times);
    DMF_LOAD8(p.conj, conj);
    return p;
}

#if IS_COMPLEX
#define PAIR_TIMES(p, y) ((p).re * (y) + (p).times * PAIR_SWAP(y))
#define PAIR_CONJ_TIMES(p, y) ((p).re * (y) + (p).conj * PAIR_SWAP(y))
#else
#define PAIR_TIMES(p, y) ((p).re * (y))
#define PAIR_CONJ_TIMES(p, y) ((p).re * (y))
#endif

/* sum_k a[k] b[k] in REAL, in two running sums of eight lanes added in a
 * fixed tree. */
static inline REAL FN(dot_lanes)(const REAL *a, const REAL *b, size_t len)
{
    FN(lanes8) s0 = {0}, s1 = {0};
    size_t k = 0;
#define DOT_STEP(acc, k)              \
    do {                              \
        FN(lanes8) av, bv;            \
        DMF_LOAD8(av, a + (k));       \
        DMF_LOAD8(bv, b + (k));       \
        acc += av * bv;               \
    } while (0)
    DMF_LANE_TWO_SUMS(DOT_STEP, s0, s1, k, len);
#undef DOT_STEP
    REAL tail = 0;
    for (; k < len; k++) tail += a[k] * b[k];
    REAL l[8];
    memcpy(l, &s0, sizeof l);
    return ((l[0] + l[4]) + (l[2] + l[6])) + ((l[1] + l[5]) + (l[3] + l[7])) + tail;
}
