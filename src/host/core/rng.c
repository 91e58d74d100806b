/* Reproducible random numbers: xoshiro256** seeded through splitmix64, so a
 * seed gives the same matrices on every platform and backend. */
#include <math.h>

#include "internal.h"

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void dmf_rng_seed(dmf_rng *rng, uint64_t seed)
{
    uint64_t state = seed;
    for (int i = 0; i < 4; i++) rng->s[i] = splitmix64(&state);
    rng->has_spare = 0;
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t dmf_rng_next(dmf_rng *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double dmf_rng_uniform(dmf_rng *rng) { return (double)(dmf_rng_next(rng) >> 11) * 0x1.0p-53; }

double dmf_rng_normal(dmf_rng *rng)
{
    if (rng->has_spare) {
        rng->has_spare = 0;
        return rng->spare;
    }
    double u, v, s;
    do { /* Marsaglia's polar method */
        u = 2.0 * dmf_rng_uniform(rng) - 1.0;
        v = 2.0 * dmf_rng_uniform(rng) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    double scale = sqrt(-2.0 * log(s) / s);
    rng->spare = v * scale;
    rng->has_spare = 1;
    return u * scale;
}

void dmf_rng_fill_normal(dmf_rng *rng, dmf_dtype dtype, void *data, size_t n)
{
    const double half = sqrt(0.5);
    for (size_t i = 0; i < n; i++) {
        if (dmf_dtype_is_complex(dtype)) {
            double re = dmf_rng_normal(rng) * half;
            double im = dmf_rng_normal(rng) * half;
            dmf_set(dtype, data, i, re + I * im);
        } else {
            dmf_set(dtype, data, i, dmf_rng_normal(rng));
        }
    }
}
