/* The unit of the benchmarks' passes: one streaming read of a matrix. */
#ifndef DMF_BENCH_STREAM_H
#define DMF_BENCH_STREAM_H

#include "bench_env.h"

/* One streaming read of the matrix on every thread, vectorized (a plain sum
 * of its real view, as NumPy's A.sum() does).  A sum of squares on one
 * thread (the norm) is bound by its additions' latency, not by memory, and
 * would flatter what is measured against it. */
static inline double bench_stream_sum(const dmf_matrix *a)
{
    dmf_dtype dt = dmf_matrix_dtype(a);
    size_t reals = dmf_matrix_rows(a) * dmf_matrix_cols(a) * (dmf_dtype_is_complex(dt) ? 2 : 1);
    double sum = 0;
    if (dt == DMF_F32 || dt == DMF_C64) {
        const float *x = dmf_matrix_const_data(a);
#pragma omp parallel for simd reduction(+ : sum)
        for (size_t i = 0; i < reals; i++) sum += x[i];
    } else {
        const double *x = dmf_matrix_const_data(a);
#pragma omp parallel for simd reduction(+ : sum)
        for (size_t i = 0; i < reals; i++) sum += x[i];
    }
    return sum;
}

/* The fastest of five such reads. */
static inline double bench_pass_time(const dmf_matrix *a)
{
    double best = 1e30;
    for (int r = 0; r < 5; r++) {
        double t0 = bench_now();
        volatile double sum = bench_stream_sum(a);
        (void)sum;
        double t = bench_now() - t0;
        if (t < best) best = t;
    }
    return best;
}

#endif
