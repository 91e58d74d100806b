/* Gaussian latents from a seed, as dmf demod's subcommands draw them. */
#include "internal.h"

int dmf_demod_draw_latents(uint64_t seed, double *h, size_t nh, double *m, size_t nm)
{
    if ((nh && !h) || (nm && !m)) return dmf_fail(DMF_ERR_ARG, "dmf_demod_draw_latents: NULL output");
    dmf_rng rng;
    dmf_rng_seed(&rng, seed);
    for (size_t i = 0; i < nh; i++) h[i] = dmf_rng_normal(&rng);
    for (size_t i = 0; i < nm; i++) m[i] = dmf_rng_normal(&rng);
    return DMF_OK;
}
