/* The table of dmf liftrank, scatter, synth-network and recover. */
#include <stdio.h>

#include "tables.h"

static const char *const recover_methods[] = {"als", "lifting", NULL};
static const char *const recover_solvers[] = {"auto", "layers", "edges", NULL};

#define NETWORK_ARGUMENT                                                                      \
    {"network", ARG_POSITIONAL, V_TEXT, NULL, OPT_REQUIRED, "NETWORK.json", NULL,              \
     "the network: conv, triplets, butterfly or masked (docs/liftrank.md)"}

static const cli_option liftrank_options[] = {
    NETWORK_ARGUMENT,
    VALUE("seed", V_SEED, "S", "0", "seed of the Gaussian parameters h"),
    VALUE("samples", V_COUNT, "R0", "16", "first number of samples"),
    VALUE("spectrum", V_OUTPUT, "FILE", NULL, "writes the singular values (1-D float64 .npy)"),
    FLAG("sigma-min",
         "also forms A on the S^K tensor basis (when that has at most 5e7 entries) and reports its smallest "
         "nonzero singular value"),
    BACKEND_OPTION("where the samples are computed; the SVD runs on the CPU in float64"),
    END_OPTIONS};

const cli_command cli_liftrank = {
    "liftrank",
    "Monte Carlo rank of the lifted operator, identifiability",
    "Monte Carlo rank of the lifted operator A of X = M_1(h_1)...M_K(h_K)\n"
    "(Prop. 5.3): samples vec(A P(h)) for Gaussian h, in float64, R doubled from\n"
    "R0 until the rank stops below R.  The rank is read from the singular values\n"
    "of the D x R sample matrix by three rules (machine precision, largest gap,\n"
    "sqrt(eps)); a warning goes to stderr when they disagree.  Where one layer's\n"
    "parameters have coefficients more than 2^26 apart, each is drawn at a\n"
    "scale of its own (params_rescaled: same rank); a warning says when the\n"
    "coefficients of one parameter still span more (coef_spread_log2).\n",
    liftrank_options,
    "Prints one JSON line with the ranks, the gap, the thresholds dim Sigma_2\n"
    "(Thm 6.4: 4(S-1) for K = 2, 2K(S-1)+2 for K > 2) and 2S (Thm 6.5), the\n"
    "verdicts with their theorems, notions and conditions, and for\n"
    "convolutional networks the scattering verdict (Thm 8.4).\n",
    1,
    NULL};

static const cli_option scatter_options[] = {NETWORK_ARGUMENT, END_OPTIONS};

const cli_command cli_scatter = {
    "scatter",
    "scattering test (Alg. 8.1), path counts of 0/1 networks",
    "Algorithm 8.1: applies the convolutional network with all kernels set to 1\n"
    "to a Dirac at each leaf, in exact integer arithmetic, and says whether every\n"
    "entry is 0 or 1 (sufficiently scattered, Definition 8.1).  When it is not,\n"
    "the JSON lists the first offending (leaf, position, value) entries and the\n"
    "network is not identifiable (Thm 8.4).\n",
    scatter_options,
    "A convolutional network is JSON: {\"type\": \"conv\", \"N\": 64, \"root\": \"r\",\n"
    "\"edges\": [{\"from\": \"a\", \"to\": \"r\", \"support\": [0, 1, 2]}, ...]} with\n"
    "supports as lists or {\"contiguous\": S} = {0..S-1} or {\"dilated\": k} = {0, 2^k}.\n",
    1,
    NULL};

static const cli_option synth_network_options[] = {
    NETWORK_ARGUMENT,
    {"out", ARG_VALUE, V_OUTPUT, NULL, OPT_REQUIRED, "DIR", NULL, "folder for X.npy and H.npy (created if missing)"},
    VALUE("noise", V_GE0, "LEVEL", "0", "relative noise: ||e||_F = LEVEL ||M(h)||_F"),
    VALUE("seed", V_SEED, "S", "0", "seed of h and e"),
    FLAG("kernels",
         "writes X as its leaves' kernels, DIR/Y.npy (leaves x N, row f the column of shift 0 of leaf f), instead of "
         "X.npy: convolutional networks, whose X is N times larger; the noise is then on the kernels"),
    END_OPTIONS};

const cli_command cli_synth_network = {
    "synth-network",
    "random parameters h and X = M_1(h_1)...M_K(h_K) + e",
    "Draws parameters h with i.i.d. N(0, 1) entries and writes X = M_1(h_1) ...\n"
    "M_K(h_K) + e to DIR/X.npy and h to DIR/H.npy (K x S float64, row k the\n"
    "parameters of layer k+1, unused entries 0).  e is Gaussian, scaled to\n"
    "||e||_F = LEVEL ||M(h)||_F.  With --kernels, a convolutional network's X =\n"
    "[circ(y_1) | ... | circ(y_L)] goes to DIR/Y.npy as its L leaf kernels y_f,\n"
    "and X itself is never formed.\n",
    synth_network_options,
    "Prints one JSON line; noise_norm is ||e||_F; x (or kernels) is the path written.\n",
    0,
    NULL};

static const cli_option recover_options[] = {
    NETWORK_ARGUMENT,
    VALUE("input", V_TEXT, "FILE", NULL, "X (.npy or .mtx, real), rows(X) x cols(X) of the network"),
    VALUE("kernels", V_TEXT, "FILE", NULL,
          "X of a convolutional network given by its leaves' kernels instead (.npy, leaves x N, as synth-network "
          "--kernels writes them): X = [circ(y_1) | ... | circ(y_L)] is never formed"),
    VALUE("truth", V_TEXT, "FILE", NULL, "the true h (K x S .npy, as synth-network writes it)"),
    VALUE("synth-seed", V_SEED, "S", NULL,
          "instead of --input: draw h and X = M(h) + e here, as synth-network --seed S does, and recover h with "
          "the truth known (one self-contained job per network, noise and seed in a sweep)"),
    VALUE("noise", V_GE0, "LEVEL", "0", "with --synth-seed: ||e||_F = LEVEL ||M(h)||_F"),
    CHOICE("method", recover_methods, "als",
           "als: alternating least squares on the parameters from random starts; lifting: the first start from the "
           "lifting (least squares on the explicit lifted operator, at most 2e7 entries, projected on the rank-one "
           "tensors, then projected gradient steps on them), polished by the same sweeps: no random start is needed "
           "where the lifted operator is injective"),
    CHOICE("solver", recover_solvers, "auto",
           "how a sweep solves for the parameters: layers: each layer at once (one least-squares system of "
           "rows(X) x probes rows); edges: convolutional trees only, each edge's kernel on its own from the paths "
           "through it, in the Fourier domain; auto: edges where it applies, else layers"),
    VALUE("restarts", V_COUNT, "R", NULL, "starts (default 10; 1 with --method lifting, more add random ones)"),
    VALUE("seed", V_SEED, "S", "0", "seed of the starts"),
    VALUE("max-iterations", V_COUNT, "I", "500", "sweeps per start"),
    VALUE("tol", V_GT0, "T", "1e-15", "stop a start when a sweep lowers the residual by at most T ||X||_F"),
    VALUE("p", V_PNORM, "P", "2", "the p of d_p"),
    VALUE("out", V_OUTPUT, "DIR", NULL, "writes the estimate to DIR/H.npy"),
    CHOICE("backend", cli_backends, "cpu",
           "where --method lifting forms its explicit operator (the backend's lifting-sample kernels, those of "
           "liftrank); the solves run on the CPU"),
    END_OPTIONS};

static int recover_rules(const cli_args *a, char *why, size_t cap)
{
    char li[64], lk[64], ls[64], lo[64];
    const char *input = cli_get(a, "input"), *kernels = cli_get(a, "kernels");
    int synth = cli_given(a, "synth-seed");
    cli_option_label(a, "input", li, sizeof li);
    cli_option_label(a, "kernels", lk, sizeof lk);
    cli_option_label(a, "synth-seed", ls, sizeof ls);
    if (!!input + !!kernels + synth != 1) {
        snprintf(why, cap, input || kernels || synth ? "%s, %s and %s exclude each other"
                                                     : "give %s (X), %s (its leaf kernels) or %s (draw X)",
                 li, lk, ls);
        return 1;
    }
    if (synth && cli_given(a, "truth")) {
        snprintf(why, cap, "%s and %s exclude each other (the truth is the h drawn)", ls,
                 cli_option_label(a, "truth", lo, sizeof lo));
        return 1;
    }
    if (!synth && cli_given(a, "noise")) {
        snprintf(why, cap, "%s needs %s", cli_option_label(a, "noise", lo, sizeof lo), ls);
        return 1;
    }
    return 0;
}

const cli_command cli_recover = {
    "recover",
    "estimate h from X (ALS or the lifting), d_p to the truth",
    "Estimates h from X ~ M_1(h_1)...M_K(h_K) by alternating least squares on\n"
    "the parameters (each h_k enters X linearly: solve for it with the others\n"
    "fixed, layer after layer) from R starts, Gaussian or (--method lifting)\n"
    "the first from the lifting X = A (h_1 x ... x h_K), keeping the smallest\n"
    "residual ||X - M(h)||_F.  Any network type dmf reads.  A convolutional\n"
    "network's X may be given by its leaf kernels (--kernels: L x N, never the\n"
    "N x NL matrix), and a convolutional tree is solved edge by edge (--solver).\n",
    recover_options,
    "The JSON line gives the residual, sweeps and time, and how many distinct\n"
    "parameter classes the optimal starts reached (more than one: X does not\n"
    "identify h).  With --truth, d_p between the classes of the estimate and\n"
    "the truth (up to per-layer scaling, Definition 4.1) and, for convolutional\n"
    "networks, delta_p between path classes (Thm 8.4), for the best and for\n"
    "every start, and the stability bounds of Thm 8.4 (scattered convolutional\n"
    "networks), Thm 7.2 (A explicit with <= 2e6 entries) and Thm 4.3 (the\n"
    "classes from their rank-one tensors, tensor_distance) with their\n"
    "conditions, and the deep-NSP constant gamma of Ker A (deep_nsp): 1 when\n"
    "Ker A = {0}, inf where it fails, else estimated by local searches (a\n"
    "lower bound on the smallest valid gamma: Thm 7.2's bound is then flagged\n"
    "gamma_estimated, not guaranteed).\n",
    1,
    recover_rules};
