/* Element access to dense matrices through the public storage conventions
 * (row-major, four dtypes), and deterministic pseudo-random numbers
 * (xorshift64*, Box-Muller) for the tests that build their own data.
 * Each test sets its own stream: #define TEST_RNG_SEED before including. */
#ifndef DMF_TEST_DENSE_ACCESS_H
#define DMF_TEST_DENSE_ACCESS_H

#include <complex.h>
#include <math.h>
#include <stdint.h>

#include "dmf.h"

#ifndef TEST_RNG_SEED
#error "define TEST_RNG_SEED before including dense_access.h"
#endif

static double complex get(const dmf_matrix *m, size_t i, size_t j)
{
    size_t e = i * dmf_matrix_cols(m) + j;
    const void *d = dmf_matrix_const_data(m);
    switch (dmf_matrix_dtype(m)) {
    case DMF_F32: return ((const float *)d)[e];
    case DMF_F64: return ((const double *)d)[e];
    case DMF_C64: return ((const float complex *)d)[e];
    default: return ((const double complex *)d)[e];
    }
}

static void set(dmf_matrix *m, size_t i, size_t j, double complex v)
{
    size_t e = i * dmf_matrix_cols(m) + j;
    void *d = dmf_matrix_data(m);
    switch (dmf_matrix_dtype(m)) {
    case DMF_F32: ((float *)d)[e] = (float)creal(v); break;
    case DMF_F64: ((double *)d)[e] = creal(v); break;
    case DMF_C64: ((float complex *)d)[e] = (float complex)v; break;
    default: ((double complex *)d)[e] = v; break;
    }
}

static uint64_t rng_state = TEST_RNG_SEED;
static double uniform(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return ((rng_state * 2685821657736338717ull) >> 11) * (1.0 / 9007199254740992.0);
}
static double gauss(void)
{
    double u = uniform(), v = uniform();
    if (u < 1e-300) u = 1e-300;
    return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

#endif
