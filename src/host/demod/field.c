/* The Gaussian distortion fields of Hand & Joshi's image experiment:
 * exp(-((x - c)^2 + (y - c)^2) / sigma) on [-5, 5]^2, c in [-3, 3],
 * sigma in [20, 35].  One field is a smooth bump centered on the diagonal;
 * multiplied into an image it darkens the parts far from (c, c). */
#include <math.h>

#include "internal.h"

int dmf_gaussian_field(size_t grid, double c, double sigma, double *out)
{
    if (grid < 2) return dmf_fail(DMF_ERR_ARG, "a field grid needs at least 2 points per side (got %zu)", grid);
    if (!(sigma > 0) || !isfinite(sigma)) return dmf_fail(DMF_ERR_ARG, "sigma must be > 0 (got %g)", sigma);
    if (!isfinite(c)) return dmf_fail(DMF_ERR_ARG, "the center must be finite");
    for (size_t i = 0; i < grid; i++) {
        double y = -5.0 + 10.0 * (double)i / (double)(grid - 1);
        for (size_t j = 0; j < grid; j++) {
            double x = -5.0 + 10.0 * (double)j / (double)(grid - 1);
            out[i * grid + j] = exp(-((x - c) * (x - c) + (y - c) * (y - c)) / sigma);
        }
    }
    return DMF_OK;
}

int dmf_gaussian_fields(size_t grid, size_t count, uint64_t seed, double *fields, double *params)
{
    if (grid < 2) return dmf_fail(DMF_ERR_ARG, "a field grid needs at least 2 points per side (got %zu)", grid);
    dmf_rng rng;
    dmf_rng_seed(&rng, seed);
    for (size_t k = 0; k < count; k++) {
        double c = -3.0 + 6.0 * dmf_rng_uniform(&rng), sigma = 20.0 + 15.0 * dmf_rng_uniform(&rng);
        DMF_TRY(dmf_gaussian_field(grid, c, sigma, fields + k * grid * grid));
        if (params) params[2 * k] = c, params[2 * k + 1] = sigma;
    }
    return DMF_OK;
}
