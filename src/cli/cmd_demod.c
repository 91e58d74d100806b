/* dmf demod synth|solve|sweep|landscape|fields|image: blind demodulation with ReLU
 * generator priors (Hand & Joshi), y0 = G1(h0) . G2(m0), solved by
 * Algorithm 1 (dmf_demod_solve) for a batch of trials at once.  This file
 * dispatches; each subcommand has its own cmd_demod_*.c. */
#include <string.h>

#include "demod_common.h"

static const char help_group[] =
    "usage: dmf demod synth|solve|sweep|landscape|fields|image [options]\n"
    "\n"
    "Blind demodulation with generative priors (Hand & Joshi): recover h, m from\n"
    "y0 = G1(h) . G2(m) (entrywise), G1, G2 bias-free ReLU networks, by\n"
    "Algorithm 1 (sign check, alternating gradient steps, balancing).\n"
    "\n"
    "  synth      random problems: writes y0.npy, h0.npy, m0.npy\n"
    "  solve      Algorithm 1 on the rows of y0.npy from Gaussian starts\n"
    "  sweep      success rate over a grid of latent and output sizes\n"
    "  landscape  f(h, m) on a 2-D grid for one-dimensional latents\n"
    "  fields     the paper's Gaussian distortion fields as a data set (.npy)\n"
    "  image      the image experiment's shape: image . field on a G x G grid,\n"
    "             recovered with the given generators (random ones: says so)\n"
    "\n"
    "A generator is a JSON file: {\"sizes\": [10, 250, 1000], \"seed\": 1} for the\n"
    "paper's Gaussian weights (latent first, output last), or\n"
    "{\"weights\": [\"W1.npy\", \"W2.npy\"]} (W_i of n_i x n_{i-1}, paths relative\n"
    "to the JSON file).  All but fields take --dtype f32|f64 (the precision,\n"
    "default f64) and --backend auto|cpu|cuda; synth, solve and sweep take\n"
    "--independent-networks (one pair of networks per trial).\n"
    "'dmf demod SUBCOMMAND --help' describes each.\n";

int cmd_demod(int argc, char **argv)
{
    if (argc < 2) {
        fputs(help_group, stderr);
        return EXIT_USAGE;
    }
    const char *sub = argv[1];
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
        fputs(help_group, stdout);
        return EXIT_OK;
    }
    if (!strcmp(sub, "synth")) return cmd_demod_synth(argc - 1, argv + 1);
    if (!strcmp(sub, "solve")) return cmd_demod_solve(argc - 1, argv + 1);
    if (!strcmp(sub, "sweep")) return cmd_demod_sweep(argc - 1, argv + 1);
    if (!strcmp(sub, "landscape")) return cmd_demod_landscape(argc - 1, argv + 1);
    if (!strcmp(sub, "fields")) return cmd_demod_fields(argc - 1, argv + 1);
    if (!strcmp(sub, "image")) return cmd_demod_image(argc - 1, argv + 1);
    static const char *const subs[] = {"synth", "solve", "sweep", "landscape", "fields", "image", NULL};
    char hint[256];
    fprintf(stderr, "dmf demod: unknown subcommand '%s'%s\n\n%s", sub,
            cli_did_you_mean(hint, sizeof hint, sub, strlen(sub), subs, ""), help_group);
    return EXIT_USAGE;
}
