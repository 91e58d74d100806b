/* Targets of a split (a*d blocks of (b1*b2) x (c1*c2), Gaussian noise from
 * `seed`) whose sub-blocks are random, rank one plus 1e-3 noise (rows of
 * growing weight, or of one weight at 2^-80), zero, identity, slow for
 * power iteration, exactly rank one, or a direct sum hiding its top from
 * power iteration; shared by the split tests. */
#ifndef DMF_TEST_SPLIT_FILL_H
#define DMF_TEST_SPLIT_FILL_H

#include <complex.h>
#include <math.h>
#include <stdint.h>

#include "backend/backend.h"
#include "internal.h"

typedef enum {
    FILL_RANDOM,
    FILL_RANK_ONE_NOISY,
    FILL_ZERO,
    FILL_IDENTITY,
    FILL_SLOW,
    FILL_TINY,
    FILL_RANK_ONE,
    FILL_DIRECT_SUM
} split_fill;

static void split_fill_target(dmf_dtype dtype, const dmf_split_geometry *g, void *t, split_fill kind, uint64_t seed)
{
    size_t B = g->b1 * g->b2, C = g->c1 * g->c2, total = g->a * g->d * B * C;
    dmf_rng rng;
    dmf_rng_seed(&rng, seed);
    dmf_rng_fill_normal(&rng, dtype, t, total);
    if (kind == FILL_RANDOM) return;
    for (size_t e = 0; e < total; e++) {
        size_t row = (e / C) % B, col = e % C;
        size_t alpha = row / g->b2, beta = col % g->c2;
        double complex noise = dmf_get(dtype, t, e);
        double complex value = 0;
        if (kind == FILL_RANK_ONE_NOISY) value = (1.0 + alpha) * (2.0 - 0.5 * beta) + 1e-3 * noise;
        /* Rank one plus noise at 2^-80, rows of one weight: products of
         * two entries underflow in single precision. */
        if (kind == FILL_TINY) value = 0x1p-80 * ((2.0 - 0.5 * beta) + 1e-3 * noise);
        if (kind == FILL_IDENTITY) value = alpha == beta;
        /* Exactly rank one in every dtype, row 0 the heaviest. */
        if (kind == FILL_RANK_ONE) value = (double)(g->b1 - alpha) * (2.0 - 0.5 * beta) * (beta % 3 ? 1 : -1);
        /* R diag(1, 0.999) R^T in the leading 2 x 2, 0.5 on the rest of the
         * diagonal: sigma_2 / sigma_1 = 0.999 and no row is a singular
         * vector, so power iteration would need ~10^4 steps. */
        if (kind == FILL_SLOW) {
            const double c = cos(0.5), sn = sin(0.5), s1 = 1.0, s2 = 0.999;
            const double m2[2][2] = {{c * c * s1 + sn * sn * s2, c * sn * (s1 - s2)},
                                     {c * sn * (s1 - s2), sn * sn * s1 + c * c * s2}};
            value = alpha < 2 && beta < 2 ? m2[alpha][beta] : alpha == beta ? 0.5 : 0.0;
        }
        /* A direct sum: rows and columns below half hold diag(1, 0.5,
         * ...) turned by a rotation of the first two (a clear gap: power
         * iteration converges there at once), the others the top, 1.2 u v^T
         * spread over at least two rows, each lighter than the first
         * part's: from the heaviest row power iteration never sees it. */
        if (kind == FILL_DIRECT_SUM) {
            const size_t hm = (g->b1 + 1) / 2, hn = (g->c2 + 1) / 2;
            const double c = cos(0.3), sn = sin(0.3);
            if (alpha < hm && beta < hn) {
                const double d0 = 1, d1 = 0.5;
                const double m2[2][2] = {{c * c * d0 + sn * sn * d1, c * sn * (d0 - d1)},
                                         {c * sn * (d0 - d1), sn * sn * d0 + c * c * d1}};
                value = alpha < 2 && beta < 2 ? m2[alpha][beta] : alpha == beta ? 0.4 : 0.0;
            } else if (alpha >= hm && beta >= hn) {
                double uu = 0, vv = 0; /* u_a = 1 + cos(a) / 2, v_b = 1 + sin(b) / 2, made unit */
                for (size_t a = hm; a < g->b1; a++) uu += (1 + 0.5 * cos((double)a)) * (1 + 0.5 * cos((double)a));
                for (size_t b = hn; b < g->c2; b++) vv += (1 + 0.5 * sin((double)b)) * (1 + 0.5 * sin((double)b));
                value = 1.2 * (1 + 0.5 * cos((double)alpha)) * (1 + 0.5 * sin((double)beta)) / sqrt(uu * vv);
            } else {
                value = 0;
            }
        }
        dmf_set(dtype, t, e, value);
    }
}

#endif
