/* The table of dmf demod synth|solve|sweep|landscape|fields|image. */
#include <stdio.h>
#include <string.h>

#include "tables.h"

static const char *const step_rules[] = {"fixed", "scaled", "backtracking", NULL};
static const char *const field_kinds[] = {"generator", "gaussian", NULL};

#define DTYPE_OPTION                                                                                         \
    CHOICE("dtype", cli_real_dtypes, "f64",                                                                  \
           "the precision of the weights, the network passes and Algorithm 1 (files stay float64).  In f32 " \
           "the residual stalls near 1e-6 ||y0||, so --tol defaults to 1e-5; success (1e-3) is reached: "     \
           "errors ~1e-5")
#define INDEPENDENT_OPTION(help)                                                                             \
    FLAG("independent-networks",                                                                            \
         "one pair of networks per trial, as in the paper's success-rate experiments: trial t uses network " \
         "t drawn from the specs' seeds (network 0 is the spec's shared network); specs of weight files "   \
         "give one network and are refused" help)
#define GENERATORS_REQUIRED                                                                                  \
    {"g1", ARG_VALUE, V_TEXT, NULL, OPT_REQUIRED, "G1.json", NULL, "the generator G1 (a spec, below)"},     \
        {"g2", ARG_VALUE, V_TEXT, NULL, OPT_REQUIRED, "G2.json", NULL, "the generator G2, with G1's output size"}
/* Algorithm 1's options (demod_solver_option). */
#define SOLVER_OPTIONS                                                                                       \
    VALUE("iterations", V_COUNT, "N", "500", "at most N iterations per trial"),                             \
        VALUE("step", V_GT0, "ETA", "1",                                                                    \
              "fixed: the step (it must grow with l: ETA = 1 is far too small for the paper's weights); "     \
              "scaled: the step is ETA * l; backtracking: the first trial is ETA times the inverse curvature " \
              "estimate"),                                                                                  \
        CHOICE("step-rule", step_rules, "backtracking", "fixed, scaled, or backtracking (Armijo, per trial)"), \
        VALUE("momentum", V_UNIT, "MU", "0", "heavy ball, fixed and scaled rules only"),                   \
        VALUE("tol", V_GE0, "T", NULL,                                                                      \
              "stop a trial when ||G1(h).G2(m) - y0|| <= T ||y0|| (default 1e-7; 1e-5 with --dtype f32)"),   \
        VALUE("success-tol", V_GT0, "E", "1e-3", "success: balanced ||(h,m) - (h0,m0)|| / ||(h0,m0)|| <= E"), \
        FLAG("no-sign-check", "skip step 1 (the best of (+-h, +-m))"), DTYPE_OPTION,                       \
        BACKEND_OPTION("where the networks and Algorithm 1 run")

static const char generator_spec[] =
    "A generator is a JSON file: {\"sizes\": [10, 250, 1000], \"seed\": 1} for the\n"
    "paper's Gaussian weights (latent first, output last), or\n"
    "{\"weights\": [\"W1.npy\", \"W2.npy\"]} (W_i of n_i x n_{i-1}, paths relative\n"
    "to the JSON file).\n";

static int solver_rules(const cli_args *a, char *why, size_t cap)
{
    char l1[64], l2[64];
    const char *rule = cli_get(a, "step-rule");
    if (cli_get_double(a, "momentum", 0) > 0 && !strcmp(rule, "backtracking")) {
        snprintf(why, cap, "%s goes with %s fixed or scaled, not backtracking%s",
                 cli_option_label(a, "momentum", l1, sizeof l1), cli_option_label(a, "step-rule", l2, sizeof l2),
                 cli_given(a, "step-rule") ? "" : " (the default)");
        return 1;
    }
    return 0;
}

static const cli_option synth_options[] = {
    GENERATORS_REQUIRED,
    {"out", ARG_VALUE, V_OUTPUT, NULL, OPT_REQUIRED, "DIR", NULL, "where y0.npy, h0.npy and m0.npy go"},
    VALUE("seed", V_SEED, "S", "0", "seed of the problems"),
    VALUE("trials", V_COUNT, "T", "1", "number of problems"),
    INDEPENDENT_OPTION(" (solve the problems with the same flag and specs)"),
    DTYPE_OPTION,
    BACKEND_OPTION("where the networks run"),
    END_OPTIONS};

const cli_command cli_demod_synth = {
    "demod synth",
    "random blind demodulation problems y0 = G1(h0) . G2(m0)",
    "Draws T problems h0 ~ N(0, I_n1), m0 ~ N(0, I_n2) from --seed and writes\n"
    "DIR/y0.npy (T x l, y0 = G1(h0) . G2(m0)), DIR/h0.npy (T x n1) and\n"
    "DIR/m0.npy (T x n2), float64.\n",
    synth_options,
    generator_spec,
    1,
    NULL};

static int solve_rules(const cli_args *a, char *why, size_t cap)
{
    char l1[64], l2[64];
    if (cli_given(a, "h0") != cli_given(a, "m0")) {
        snprintf(why, cap, "give both %s and %s (the truth), or neither", cli_option_label(a, "h0", l1, sizeof l1),
                 cli_option_label(a, "m0", l2, sizeof l2));
        return 1;
    }
    return solver_rules(a, why, cap);
}

static const cli_option solve_options[] = {
    GENERATORS_REQUIRED,
    {"y0", ARG_VALUE, V_TEXT, NULL, OPT_REQUIRED, "Y0.npy", NULL, "the observations: T x l, or one vector of l"},
    VALUE("h0", V_TEXT, "H0.npy", NULL, "the true h (T x n1), e.g. from 'demod synth'; with --m0"),
    VALUE("m0", V_TEXT, "M0.npy", NULL, "the true m (T x n2); with --h0"),
    VALUE("start-seed", V_SEED, "S", "1", "seed of the starts h, m ~ N(0, I)"),
    SOLVER_OPTIONS,
    VALUE("trace", V_OUTPUT, "FILE", NULL,
          "writes f(h, m) after every iteration (T x N; a trial that stopped repeats its value, NaN once all have "
          "stopped)"),
    VALUE("out", V_OUTPUT, "DIR", NULL,
          "writes the estimates DIR/h.npy (T x n1), DIR/m.npy (T x n2) and their outputs DIR/g1.npy = G1(h), "
          "DIR/g2.npy = G2(m) (T x l)"),
    INDEPENDENT_OPTION(" (as given to 'demod synth')"),
    END_OPTIONS};

const cli_command cli_demod_solve = {
    "demod solve",
    "Algorithm 1 of Hand & Joshi on every row of y0, batched",
    "Runs Algorithm 1 (Hand & Joshi: sign check, alternating gradient steps,\n"
    "balancing) on every row of Y0 in one batched call, from Gaussian starts.\n"
    "With --h0 and --m0 (the truth) each trial also reports success and the\n"
    "relative error.\n",
    solve_options,
    "Prints one JSON line per trial (trial, success, converged, iterations,\n"
    "rel_error, rel_residual, objective; success and rel_error only with the\n"
    "truth) and a summary line (trials, successes, success_rate, converged,\n"
    "median_iterations, time_s, options).  A non-finite y0 is bad input (exit 1).\n",
    1,
    solve_rules};

static const cli_option sweep_options[] = {
    {"latent", ARG_VALUE, V_LIST, NULL, OPT_REQUIRED, "5,10,20", NULL, "latent sizes n = p"},
    {"outputs", ARG_VALUE, V_LIST, NULL, OPT_REQUIRED, "100,250", NULL, "output sizes l"},
    VALUE("hidden", V_LIST, "250", "250", "hidden widths"),
    VALUE("trials", V_COUNT, "T", "100", "problems per cell"),
    VALUE("seed", V_SEED, "S", "0", "seed of every cell's generators and problems"),
    SOLVER_OPTIONS,
    INDEPENDENT_OPTION(""),
    END_OPTIONS};

const cli_command cli_demod_sweep = {
    "demod sweep",
    "success rate over a grid of latent and output sizes",
    "For every cell (latent n = p, output l, hidden width) builds two Gaussian\n"
    "generators n -> hidden -> l as in the paper, draws `trials` problems h0, m0\n"
    "~ N(0, I) and starts, and solves them in one batched call.  A cell's\n"
    "generators and problems depend only on --seed and the cell's sizes, so\n"
    "adding cells does not change the others.\n",
    sweep_options,
    "Prints one JSON line per cell: latent, output, hidden, trials, successes,\n"
    "success_rate, converged, median_iterations, time_s (the solve).  Progress\n"
    "goes to stderr.  scripts/plot_demod.py sweep draws the phase transition.\n",
    1,
    solver_rules};

static const cli_option landscape_options[] = {
    GENERATORS_REQUIRED,
    {"h0", ARG_VALUE, V_NUMBER, NULL, OPT_REQUIRED, "X", NULL, "the true h (a number)"},
    {"m0", ARG_VALUE, V_NUMBER, NULL, OPT_REQUIRED, "Y", NULL, "the true m (a number)"},
    VALUE("range", V_TEXT, "A,B", "-2,2", "the grid's interval, A < B"),
    VALUE("points", V_COUNT, "P", "101", "grid points per axis, 2 to 100000"),
    VALUE("out", V_OUTPUT, "GRID.npy", NULL, "writes the P x P grid of f (float64)"),
    CHOICE("dtype", cli_real_dtypes, "f64",
           "the precision of the weights and the network passes (f is summed in double, files stay float64)"),
    BACKEND_OPTION("where the networks run"),
    END_OPTIONS};

const cli_command cli_demod_landscape = {
    "demod landscape",
    "the objective on a 2-D grid for one-dimensional latents",
    "For one-dimensional latents (n = p = 1, the paper's Figure 1) evaluates\n"
    "f(h, m) = 1/2 ||G1(h) . G2(m) - y0||^2, y0 = G1(X) . G2(Y), on a P x P grid\n"
    "over [A, B]^2.  GRID.npy has rows = h values and columns = m values, both\n"
    "A + (B - A) i / (P - 1).\n",
    landscape_options,
    "Prints one JSON line: f_min and its grid point (argmin_h, argmin_m), f_max,\n"
    "f at the mirror (-X, -Y) of the truth, f at the origin (1/2 ||y0||^2),\n"
    "and the smallest value in each sign quadrant of the grid (\"minima\", best\n"
    "first).  Within a sign quadrant f depends on h m only (the generators are\n"
    "positively homogeneous), so the global minima are the branch h m = X Y\n"
    "through (X, Y).  scripts/plot_demod.py landscape draws the grid.\n",
    0,
    NULL};

static int fields_rules(const cli_args *a, char *why, size_t cap)
{
    const char *params = cli_get(a, "params"), *out = cli_get(a, "out");
    if (params && out && !strcmp(params, out)) {
        snprintf(why, cap, "--params and --out name the same file '%s'", out);
        return 1;
    }
    return 0;
}

static const cli_option fields_options[] = {
    {"grid", ARG_VALUE, V_COUNT, NULL, OPT_REQUIRED, "G", NULL, "the grid's side, 2 to 4096"},
    {"count", ARG_VALUE, V_COUNT, NULL, OPT_REQUIRED, "N", NULL, "how many fields"},
    {"out", ARG_VALUE, V_OUTPUT, NULL, OPT_REQUIRED, "FIELDS.npy", NULL, "N x G^2 float64, one field per row"},
    VALUE("params", V_OUTPUT, "P.npy", NULL, "writes N x 2 (c, sigma)"),
    VALUE("seed", V_SEED, "S", "0", "seed of c and sigma"),
    END_OPTIONS};

const cli_command cli_demod_fields = {
    "demod fields",
    "the image experiment's Gaussian distortion fields (.npy)",
    "Writes N distortion fields exp(-((x - c)^2 + (y - c)^2) / sigma) on a G x G\n"
    "grid over x, y in [-5, 5] (rows y, columns x), c ~ U[-3, 3] and sigma ~\n"
    "U[20, 35], as in Hand & Joshi's image experiment.  Training data for a\n"
    "field generator G2 with G^2 outputs; dmf trains nothing itself.\n",
    fields_options,
    "Prints one JSON line.\n",
    0,
    fields_rules};

static int image_rules(const cli_args *a, char *why, size_t cap)
{
    if (cli_given(a, "image") && cli_given(a, "trials")) {
        snprintf(why, cap, "give --image or --trials, not both");
        return 1;
    }
    return solver_rules(a, why, cap);
}

static const cli_option image_options[] = {
    {"g1", ARG_VALUE, V_TEXT, NULL, OPT_REQUIRED, "SIGNAL.json", NULL, "the image generator, G^2 outputs"},
    {"g2", ARG_VALUE, V_TEXT, NULL, OPT_REQUIRED, "FIELD.json", NULL, "the field generator, G^2 outputs"},
    {"grid", ARG_VALUE, V_COUNT, NULL, OPT_REQUIRED, "G", NULL, "the image's side, 2 to 4096"},
    {"out", ARG_VALUE, V_OUTPUT, NULL, OPT_REQUIRED, "DIR", NULL, "where the images go (below)"},
    VALUE("image", V_TEXT, "IMAGES.npy", NULL, "the true images, T x G^2; by default G1(h0), h0 ~ N(0, I)"),
    VALUE("trials", V_COUNT, "T", NULL, "images drawn from G1 when there is no --image (default 1)"),
    CHOICE("field", field_kinds, "generator",
           "generator: G2(m0), m0 ~ N(0, I); gaussian: the paper's exp(-((x - c)^2 + (y - c)^2) / sigma) on "
           "[-5, 5]^2 with c ~ U[-3, 3], sigma ~ U[20, 35]"),
    VALUE("seed", V_SEED, "S", "0", "seed of the truth"),
    VALUE("start-seed", V_SEED, "S", "1", "seed of Algorithm 1's starts"),
    SOLVER_OPTIONS,
    END_OPTIONS};

const cli_command cli_demod_image = {
    "demod image",
    "image . field on a grid, recovered with given generators",
    "Both generators have G^2 outputs (a G x G image, row-major).  Algorithm 1\n"
    "recovers h, m from y0 = image . field.  It applies only when the image is\n"
    "in the range of G1 and the field in the range of G2: that takes trained\n"
    "generators (\"weights\" specs of .npy layers), which dmf does not ship.\n"
    "With random (\"sizes\"/\"seed\") generators the defaults draw both image and\n"
    "field from the generators, a demonstration of the algorithm on untrained\n"
    "networks, not of real images: the output says so.  --field gaussian with a\n"
    "random G2 shows what goes wrong when the field is not in G2's range.\n",
    image_options,
    "Writes DIR/image.npy, field.npy, y0.npy, image_rec.npy (G1(h)), field_rec.npy\n"
    "(G2(m)), all T x G^2 float64, and DIR/field_params.npy (T x 2: c, sigma) for\n"
    "gaussian fields.  Prints one JSON line per trial (image_rel_error and\n"
    "field_rel_error, each up to the positive scale that G1(h) . G2(m) cannot\n"
    "see; success and rel_error of (h, m) when both latents are known) and a\n"
    "summary with \"generators\": \"random\", \"files\" or \"mixed\" and a \"note\".\n"
    "scripts/plot_demod_image.py DIR draws the panels.\n",
    0,
    image_rules};
