/* dmf demod synth|solve|sweep|landscape: blind demodulation with ReLU
 * generator priors (Hand & Joshi), y0 = G1(h0) . G2(m0), solved by
 * Algorithm 1 (dmf_demod_solve) for a batch of trials at once. */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
/* dmf_rng, the library's seeded generator: the CLI, the tests and the
 * benchmark draw Gaussian latents from the same stream definition. */
#include "internal.h"

static const char help_group[] =
    "usage: dmf demod synth|solve|sweep|landscape [options]\n"
    "\n"
    "Blind demodulation with generative priors (Hand & Joshi): recover h, m from\n"
    "y0 = G1(h) . G2(m) (entrywise), G1, G2 bias-free ReLU networks, by\n"
    "Algorithm 1 (sign check, alternating gradient steps, balancing).\n"
    "\n"
    "  synth      random problems: writes y0.npy, h0.npy, m0.npy\n"
    "  solve      Algorithm 1 on the rows of y0.npy from Gaussian starts\n"
    "  sweep      success rate over a grid of latent and output sizes\n"
    "  landscape  f(h, m) on a 2-D grid for one-dimensional latents\n"
    "\n"
    "A generator is a JSON file: {\"sizes\": [10, 250, 1000], \"seed\": 1} for the\n"
    "paper's Gaussian weights (latent first, output last), or\n"
    "{\"weights\": [\"W1.npy\", \"W2.npy\"]} (W_i of n_i x n_{i-1}, paths relative\n"
    "to the JSON file).  'dmf demod SUBCOMMAND --help' describes each.\n";

static const char help_synth[] =
    "usage: dmf demod synth --g1 G1.json --g2 G2.json --out DIR [--seed S]\n"
    "                       [--trials T] [--backend auto|cpu|cuda]\n"
    "\n"
    "Draws T problems h0 ~ N(0, I_n1), m0 ~ N(0, I_n2) from --seed (default 0)\n"
    "and writes DIR/y0.npy (T x l, y0 = G1(h0) . G2(m0)), DIR/h0.npy (T x n1)\n"
    "and DIR/m0.npy (T x n2), float64.  T defaults to 1.  Prints one JSON line.\n";

#define SOLVER_HELP                                                                        \
    "--iterations N   at most N iterations per trial (default 500)\n"                     \
    "--step ETA       fixed: the step (it must grow with l: ETA = 1 is far too small\n" \
    "                 for the paper's weights); scaled: the step is ETA * l;\n"          \
    "                 backtracking: the first trial is ETA times the inverse\n"          \
    "                 curvature estimate (default 1)\n"                                  \
    "--step-rule R    fixed, scaled or backtracking (Armijo, per trial; default)\n"     \
    "--momentum MU    heavy ball in [0, 1), fixed and scaled rules only (default 0)\n"  \
    "--tol T          stop a trial when ||G1(h).G2(m) - y0|| <= T ||y0|| (1e-7)\n"     \
    "--success-tol E  success: balanced ||(h,m) - (h0,m0)|| / ||(h0,m0)|| <= E\n"       \
    "                 (default 1e-3)\n"                                                   \
    "--no-sign-check  skip step 1 (the best of (+-h, +-m))\n"                            \
    "--backend B      auto (default), cpu or cuda\n"

static const char help_solve[] =
    "usage: dmf demod solve --g1 G1.json --g2 G2.json --y0 Y0.npy\n"
    "                       [--h0 H0.npy --m0 M0.npy] [--start-seed S]\n"
    "                       [--iterations N] [--step ETA]\n"
    "                       [--step-rule fixed|scaled|backtracking] [--momentum MU]\n"
    "                       [--tol T] [--success-tol E] [--no-sign-check]\n"
    "                       [--trace TRACE.npy] [--out DIR] [--backend B]\n"
    "\n"
    "Runs Algorithm 1 on every row of Y0 (T x l, or one 1-D vector of l values)\n"
    "in one batched call, from starts h, m ~ N(0, I) drawn from --start-seed\n"
    "(default 1).  With --h0 and --m0 (T x n1, T x n2: the truth, e.g. from\n"
    "'demod synth') each trial also reports success and the relative error.\n"
    "\n" SOLVER_HELP
    "--trace FILE     writes f(h, m) after every iteration (T x N; a trial that\n"
    "                 stopped repeats its value, NaN once all have stopped)\n"
    "--out DIR        writes the estimates DIR/h.npy (T x n1), DIR/m.npy (T x n2)\n"
    "\n"
    "Prints one JSON line per trial (trial, success, converged, iterations,\n"
    "rel_error, rel_residual, objective; success and rel_error only with the\n"
    "truth) and a summary line (trials, successes, success_rate, converged,\n"
    "median_iterations, time_s, options).  A non-finite y0 is bad input (exit 1).\n";

static const char help_sweep[] =
    "usage: dmf demod sweep --latent 5,10,20 --outputs 100,250,500,1000\n"
    "                       [--hidden 250] [--trials 100] [--seed S]\n"
    "                       [--iterations N] [--step ETA] [--step-rule R]\n"
    "                       [--momentum MU] [--tol T] [--success-tol E]\n"
    "                       [--no-sign-check] [--backend B]\n"
    "\n"
    "For every cell (latent n = p, output l, hidden width; --hidden may be a\n"
    "list too) builds two Gaussian generators n -> hidden -> l as in the paper,\n"
    "draws `trials` problems h0, m0 ~ N(0, I) and starts, and solves them in\n"
    "one batched call.  A cell's generators and problems depend only on --seed\n"
    "(default 0) and the cell's sizes, so adding cells does not change the\n"
    "others.\n"
    "\n" SOLVER_HELP
    "\n"
    "Prints one JSON line per cell: latent, output, hidden, trials, successes,\n"
    "success_rate, converged, median_iterations, time_s (the solve).  Progress\n"
    "goes to stderr.  scripts/plot_demod.py sweep draws the phase transition.\n";

static const char help_landscape[] =
    "usage: dmf demod landscape --g1 G1.json --g2 G2.json --h0 X --m0 Y\n"
    "                           [--range A,B] [--points P] [--out GRID.npy]\n"
    "                           [--backend B]\n"
    "\n"
    "For one-dimensional latents (n = p = 1, the paper's Figure 1) evaluates\n"
    "f(h, m) = 1/2 ||G1(h) . G2(m) - y0||^2, y0 = G1(X) . G2(Y), on a P x P grid\n"
    "over [A, B]^2 (default [-2, 2], P = 101).  GRID.npy has rows = h values and\n"
    "columns = m values, both A + (B - A) i / (P - 1).\n"
    "\n"
    "Prints one JSON line: f_min and its grid point (argmin_h, argmin_m), f_max,\n"
    "f at the mirror (-X, -Y) of the truth, f at the origin (1/2 ||y0||^2),\n"
    "and the smallest value in each sign quadrant of the grid (\"minima\", best\n"
    "first).  Within a sign quadrant f depends on h m only (the generators are\n"
    "positively homogeneous), so the global minima are the branch h m = X Y\n"
    "through (X, Y).  scripts/plot_demod.py landscape draws the grid.\n";

enum {
    OPT_G1 = 256, OPT_G2, OPT_OUT, OPT_SEED, OPT_TRIALS, OPT_Y0, OPT_H0, OPT_M0, OPT_START_SEED, OPT_TRACE,
    OPT_LATENT, OPT_OUTPUTS, OPT_HIDDEN, OPT_RANGE, OPT_POINTS, OPT_BACKEND, OPT_HX, OPT_MY,
    /* the solver's options */
    OPT_ITERATIONS, OPT_STEP, OPT_RULE, OPT_MOMENTUM, OPT_TOL, OPT_SUCCESS_TOL, OPT_NO_SIGN
};

#define SOLVER_OPTIONS                                                                                  \
    {"iterations", required_argument, 0, OPT_ITERATIONS}, {"step", required_argument, 0, OPT_STEP},    \
    {"step-rule", required_argument, 0, OPT_RULE}, {"momentum", required_argument, 0, OPT_MOMENTUM},   \
    {"tol", required_argument, 0, OPT_TOL}, {"success-tol", required_argument, 0, OPT_SUCCESS_TOL},    \
    {"no-sign-check", no_argument, 0, OPT_NO_SIGN}, {"backend", required_argument, 0, OPT_BACKEND}

static const char *rule_name(dmf_step_rule rule)
{
    return rule == DMF_STEP_FIXED ? "fixed" : rule == DMF_STEP_SCALED ? "scaled" : "backtracking";
}

/* Handles a SOLVER_OPTIONS code: 1 when taken, 0 when not one of them,
 * EXIT_USAGE (message printed) for a bad value. */
static int solver_option(const char *cmd, int code, const char *arg, dmf_demod_options *o, const char **backend)
{
    switch (code) {
    case OPT_ITERATIONS:
        if (cli_parse_size(arg, &o->iterations) || o->iterations < 1)
            return cli_usage_error(cmd, "bad --iterations '%s' (an integer >= 1)", arg);
        return 1;
    case OPT_STEP:
        if (cli_parse_double(arg, &o->step) || !(o->step > 0))
            return cli_usage_error(cmd, "bad --step '%s' (a number > 0)", arg);
        return 1;
    case OPT_RULE:
        if (!strcmp(arg, "fixed")) o->step_rule = DMF_STEP_FIXED;
        else if (!strcmp(arg, "scaled")) o->step_rule = DMF_STEP_SCALED;
        else if (!strcmp(arg, "backtracking")) o->step_rule = DMF_STEP_BACKTRACKING;
        else return cli_usage_error(cmd, "bad --step-rule '%s' (fixed, scaled or backtracking)", arg);
        return 1;
    case OPT_MOMENTUM:
        if (cli_parse_double(arg, &o->momentum) || !(o->momentum >= 0 && o->momentum < 1))
            return cli_usage_error(cmd, "bad --momentum '%s' (a number in [0, 1))", arg);
        return 1;
    case OPT_TOL:
        if (cli_parse_double(arg, &o->tol) || o->tol < 0)
            return cli_usage_error(cmd, "bad --tol '%s' (a number >= 0)", arg);
        return 1;
    case OPT_SUCCESS_TOL:
        if (cli_parse_double(arg, &o->success_tol) || !(o->success_tol > 0))
            return cli_usage_error(cmd, "bad --success-tol '%s' (a number > 0)", arg);
        return 1;
    case OPT_NO_SIGN: o->sign_check = 0; return 1;
    case OPT_BACKEND: *backend = arg; return 1;
    default: return 0;
    }
}

/* Options that only make sense together, checked once all are parsed. */
static int check_solver_options(const char *cmd, const dmf_demod_options *o)
{
    if (o->momentum > 0 && o->step_rule == DMF_STEP_BACKTRACKING)
        return cli_usage_error(cmd, "--momentum goes with --step-rule fixed or scaled, not backtracking");
    return EXIT_OK;
}

static void print_options(json_line *j, const dmf_demod_options *o)
{
    json_key(j, "options");
    fprintf(j->out, "{\"iterations\": %zu, \"step\": %.6g, \"step_rule\": \"%s\", \"momentum\": %.6g, "
                    "\"tol\": %.6g, \"success_tol\": %.6g, \"sign_check\": %s}",
            o->iterations, o->step, rule_name(o->step_rule), o->momentum, o->tol, o->success_tol,
            o->sign_check ? "true" : "false");
}

/* splitmix64's finalizer: derives independent seeds from (seed, purpose). */
static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* Streams, so that equal --seed and --start-seed never give starts equal to
 * the truth. */
enum { STREAM_TRUTH = 1, STREAM_STARTS = 2, STREAM_G1 = 3, STREAM_G2 = 4 };

static void fill_normal(dmf_rng *rng, double *x, size_t n)
{
    for (size_t i = 0; i < n; i++) x[i] = dmf_rng_normal(rng);
}

static int open_context(const char *cmd, const char *backend, dmf_context **ctx)
{
    int status = dmf_context_create(ctx, backend);
    if (status != DMF_OK) return cli_fail(cmd, status);
    if (dmf_context_fallback_reason(*ctx)[0])
        fprintf(stderr, "dmf %s: using the CPU backend: %s\n", cmd, dmf_context_fallback_reason(*ctx));
    return EXIT_OK;
}

static int load_generators(const char *cmd, const char *path1, const char *path2, dmf_generator **g1,
                           dmf_generator **g2)
{
    *g1 = *g2 = NULL;
    if (!path1 || !path2) return cli_usage_error(cmd, "--g1 and --g2 are required");
    int status = dmf_generator_read(path1, g1);
    if (status == DMF_OK) status = dmf_generator_read(path2, g2);
    if (status != DMF_OK) return cli_fail(cmd, status);
    if (dmf_generator_output_size(*g1) != dmf_generator_output_size(*g2)) {
        fprintf(stderr, "dmf %s: the generators' outputs differ: '%s' gives %zu values, '%s' gives %zu\n", cmd,
                path1, dmf_generator_output_size(*g1), path2, dmf_generator_output_size(*g2));
        return EXIT_BAD_INPUT;
    }
    return EXIT_OK;
}

/* Reads `path` as rows of `width` float64 values: a T x width array, or one
 * row given as a 1-D vector (which the reader returns as a column).  When
 * *count is nonzero the number of rows must equal it; else it is set. */
static int load_rows(const char *cmd, const char *what, const char *path, size_t width, size_t *count,
                     double **data)
{
    *data = NULL;
    dmf_matrix *raw = NULL, *f64 = NULL;
    int status = dmf_matrix_read(path, &raw);
    if (status != DMF_OK) return cli_fail(cmd, status);
    size_t rows = dmf_matrix_rows(raw), cols = dmf_matrix_cols(raw), n;
    if (cols == width) n = rows;
    else if (cols == 1 && rows == width) n = 1;
    else {
        fprintf(stderr, "dmf %s: %s '%s' is %zu x %zu, but the generators need rows of %zu values "
                        "(T x %zu, or one 1-D vector of %zu)\n", cmd, what, path, rows, cols, width, width, width);
        dmf_matrix_free(raw);
        return EXIT_BAD_INPUT;
    }
    if (n == 0 || (*count && n != *count)) {
        if (n == 0) fprintf(stderr, "dmf %s: %s '%s' has no rows\n", cmd, what, path);
        else fprintf(stderr, "dmf %s: %s '%s' has %zu row(s) but y0 has %zu trial(s)\n", cmd, what, path, n, *count);
        dmf_matrix_free(raw);
        return EXIT_BAD_INPUT;
    }
    status = dmf_matrix_dtype(raw) == DMF_F64 ? DMF_OK : dmf_matrix_convert(raw, DMF_F64, &f64);
    if (status != DMF_OK) {
        fprintf(stderr, "dmf %s: %s '%s': %s\n", cmd, what, path, dmf_last_error());
        dmf_matrix_free(raw);
        return EXIT_BAD_INPUT;
    }
    const dmf_matrix *m = f64 ? f64 : raw;
    if (dmf_matrix_check_finite(m) != DMF_OK) {
        fprintf(stderr, "dmf %s: %s '%s': %s\n", cmd, what, path, dmf_last_error());
        dmf_matrix_free(raw);
        dmf_matrix_free(f64);
        return EXIT_BAD_INPUT;
    }
    *data = malloc(n * width * sizeof **data);
    if (*data) memcpy(*data, dmf_matrix_const_data(m), n * width * sizeof **data);
    dmf_matrix_free(raw);
    dmf_matrix_free(f64);
    if (!*data) {
        fprintf(stderr, "dmf %s: cannot allocate %zu x %zu values for %s\n", cmd, n, width, what);
        return EXIT_BAD_INPUT;
    }
    *count = n;
    return EXIT_OK;
}

/* DIR/NAME into buf; a dmf status (DMF_ERR_ARG when it does not fit). */
static int join_path(char *buf, size_t size, const char *dir, const char *name)
{
    if ((size_t)snprintf(buf, size, "%s/%s", dir, name) >= size)
        return dmf_fail(DMF_ERR_ARG, "path '%s/%s' is too long", dir, name);
    return DMF_OK;
}

static int write_rows(const char *path, const double *data, size_t rows, size_t cols)
{
    size_t shape[2] = {rows, cols};
    return dmf_npy_write_array(path, DMF_F64, shape, 2, data);
}

static int compare_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

/* Median of the iteration counts (the mean of the middle two when even). */
static double median_iterations(const dmf_demod_trial *trials, size_t count)
{
    size_t *it = malloc(count * sizeof *it);
    if (!it || !count) {
        free(it);
        return NAN;
    }
    for (size_t t = 0; t < count; t++) it[t] = trials[t].iterations;
    qsort(it, count, sizeof *it, compare_size);
    double med = count % 2 ? (double)it[count / 2] : 0.5 * ((double)it[count / 2 - 1] + (double)it[count / 2]);
    free(it);
    return med;
}

/* ---- synth ----------------------------------------------------------------- */

static int synth(int argc, char **argv)
{
    static const char cmd[] = "demod synth";
    static const struct option opts[] = {{"g1", required_argument, 0, OPT_G1},
                                         {"g2", required_argument, 0, OPT_G2},
                                         {"out", required_argument, 0, OPT_OUT},
                                         {"seed", required_argument, 0, OPT_SEED},
                                         {"trials", required_argument, 0, OPT_TRIALS},
                                         {"backend", required_argument, 0, OPT_BACKEND},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *p1 = NULL, *p2 = NULL, *dir = NULL, *backend = "auto";
    unsigned long long seed = 0;
    size_t trials = 1;
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_G1: p1 = optarg; break;
        case OPT_G2: p2 = optarg; break;
        case OPT_OUT: dir = optarg; break;
        case OPT_BACKEND: backend = optarg; break;
        case OPT_SEED:
            if (cli_parse_u64(optarg, &seed)) return cli_usage_error(cmd, "bad --seed '%s'", optarg);
            break;
        case OPT_TRIALS:
            if (cli_parse_size(optarg, &trials) || trials < 1)
                return cli_usage_error(cmd, "bad --trials '%s' (an integer >= 1)", optarg);
            break;
        case 'h': fputs(help_synth, stdout); return EXIT_OK;
        default: return cli_usage_error(cmd, "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!dir) return cli_usage_error(cmd, "--out DIR is required");
    dmf_generator *g1, *g2;
    dmf_context *ctx = NULL;
    int code = load_generators(cmd, p1, p2, &g1, &g2);
    if (code == EXIT_OK) code = open_context(cmd, backend, &ctx);
    if (code != EXIT_OK) {
        dmf_generator_free(g1);
        dmf_generator_free(g2);
        return code;
    }
    const size_t T = trials, n1 = dmf_generator_input_size(g1), n2 = dmf_generator_input_size(g2),
                 l = dmf_generator_output_size(g1);
    double *h0 = dmf_alloc(T * n1, sizeof *h0), *m0 = dmf_alloc(T * n2, sizeof *m0);
    double *y0 = dmf_alloc(T * l, sizeof *y0), *b = dmf_alloc(T * l, sizeof *b);
    char path_y[4096], path_h[4096], path_m[4096];
    int status = h0 && m0 && y0 && b ? DMF_OK : dmf_fail(DMF_ERR_NOMEM, "cannot allocate %zu problems", T);
    if (status == DMF_OK) {
        dmf_rng rng;
        dmf_rng_seed(&rng, mix64(seed ^ mix64(STREAM_TRUTH)));
        fill_normal(&rng, h0, T * n1);
        fill_normal(&rng, m0, T * n2);
        status = dmf_generator_forward(ctx, g1, h0, T, y0);
    }
    if (status == DMF_OK) status = dmf_generator_forward(ctx, g2, m0, T, b);
    if (status == DMF_OK) {
        for (size_t e = 0; e < T * l; e++) y0[e] *= b[e];
        status = cli_make_dir(dir);
    }
    if (status == DMF_OK) status = join_path(path_y, sizeof path_y, dir, "y0.npy");
    if (status == DMF_OK) status = join_path(path_h, sizeof path_h, dir, "h0.npy");
    if (status == DMF_OK) status = join_path(path_m, sizeof path_m, dir, "m0.npy");
    if (status == DMF_OK) status = write_rows(path_y, y0, T, l);
    if (status == DMF_OK) status = write_rows(path_h, h0, T, n1);
    if (status == DMF_OK) status = write_rows(path_m, m0, T, n2);
    if (status != DMF_OK) {
        code = cli_fail(cmd, status);
    } else {
        json_line j;
        json_begin(&j);
        json_str(&j, "command", cmd);
        json_str(&j, "g1", p1);
        json_str(&j, "g2", p2);
        json_int(&j, "trials", (long long)T);
        json_int(&j, "n1", (long long)n1);
        json_int(&j, "n2", (long long)n2);
        json_int(&j, "output", (long long)l);
        json_int(&j, "seed", (long long)seed);
        json_str(&j, "y0", path_y);
        json_str(&j, "h0", path_h);
        json_str(&j, "m0", path_m);
        json_end(&j);
    }
    free(h0), free(m0), free(y0), free(b);
    dmf_context_free(ctx);
    dmf_generator_free(g1);
    dmf_generator_free(g2);
    return code;
}

/* ---- solve ----------------------------------------------------------------- */

static int solve(int argc, char **argv)
{
    static const char cmd[] = "demod solve";
    static const struct option opts[] = {{"g1", required_argument, 0, OPT_G1},
                                         {"g2", required_argument, 0, OPT_G2},
                                         {"y0", required_argument, 0, OPT_Y0},
                                         {"h0", required_argument, 0, OPT_H0},
                                         {"m0", required_argument, 0, OPT_M0},
                                         {"start-seed", required_argument, 0, OPT_START_SEED},
                                         {"trace", required_argument, 0, OPT_TRACE},
                                         {"out", required_argument, 0, OPT_OUT},
                                         SOLVER_OPTIONS,
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *p1 = NULL, *p2 = NULL, *py = NULL, *ph = NULL, *pm = NULL, *trace_path = NULL, *dir = NULL;
    const char *backend = "auto";
    unsigned long long start_seed = 1;
    dmf_demod_options o;
    dmf_demod_options_default(&o);
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        int taken = solver_option(cmd, c, optarg, &o, &backend);
        if (taken == EXIT_USAGE) return EXIT_USAGE;
        if (taken) continue;
        switch (c) {
        case OPT_G1: p1 = optarg; break;
        case OPT_G2: p2 = optarg; break;
        case OPT_Y0: py = optarg; break;
        case OPT_H0: ph = optarg; break;
        case OPT_M0: pm = optarg; break;
        case OPT_TRACE: trace_path = optarg; break;
        case OPT_OUT: dir = optarg; break;
        case OPT_START_SEED:
            if (cli_parse_u64(optarg, &start_seed)) return cli_usage_error(cmd, "bad --start-seed '%s'", optarg);
            break;
        case 'h': fputs(help_solve, stdout); return EXIT_OK;
        default: return cli_usage_error(cmd, "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!py) return cli_usage_error(cmd, "--y0 Y0.npy is required");
    if (!ph != !pm) return cli_usage_error(cmd, "give both --h0 and --m0 (the truth), or neither");
    if (check_solver_options(cmd, &o) != EXIT_OK) return EXIT_USAGE;

    dmf_generator *g1, *g2;
    dmf_context *ctx = NULL;
    double *y0 = NULL, *h0 = NULL, *m0 = NULL, *h = NULL, *m = NULL, *trace = NULL;
    dmf_demod_trial *res = NULL;
    size_t T = 0;
    int code = load_generators(cmd, p1, p2, &g1, &g2);
    const size_t n1 = code ? 0 : dmf_generator_input_size(g1), n2 = code ? 0 : dmf_generator_input_size(g2),
                 l = code ? 0 : dmf_generator_output_size(g1);
    if (code == EXIT_OK) code = load_rows(cmd, "y0", py, l, &T, &y0);
    if (code == EXIT_OK && ph) code = load_rows(cmd, "h0", ph, n1, &T, &h0);
    if (code == EXIT_OK && pm) code = load_rows(cmd, "m0", pm, n2, &T, &m0);
    if (code == EXIT_OK) code = open_context(cmd, backend, &ctx);
    int status = DMF_OK;
    double time_s = 0;
    if (code == EXIT_OK) {
        h = dmf_alloc(T * n1, sizeof *h);
        m = dmf_alloc(T * n2, sizeof *m);
        res = calloc(T, sizeof *res);
        if (trace_path) {
            trace = dmf_alloc(T * o.iterations, sizeof *trace);
            for (size_t e = 0; trace && e < T * o.iterations; e++) trace[e] = NAN;
        }
        if (!h || !m || !res || (trace_path && !trace))
            status = dmf_fail(DMF_ERR_NOMEM, "cannot allocate the state of %zu trials", T);
    }
    if (code == EXIT_OK && status == DMF_OK) {
        dmf_rng rng;
        dmf_rng_seed(&rng, mix64(start_seed ^ mix64(STREAM_STARTS)));
        fill_normal(&rng, h, T * n1);
        fill_normal(&rng, m, T * n2);
        double t0 = cli_now();
        status = dmf_demod_solve(ctx, g1, g2, y0, T, h, m, h0, m0, &o, res, trace);
        time_s = cli_now() - t0;
    }
    char path_h[4096], path_m[4096];
    if (code == EXIT_OK && status == DMF_OK && dir) {
        status = cli_make_dir(dir);
        if (status == DMF_OK) status = join_path(path_h, sizeof path_h, dir, "h.npy");
        if (status == DMF_OK) status = join_path(path_m, sizeof path_m, dir, "m.npy");
        if (status == DMF_OK) status = write_rows(path_h, h, T, n1);
        if (status == DMF_OK) status = write_rows(path_m, m, T, n2);
    }
    if (code == EXIT_OK && status == DMF_OK && trace_path) status = write_rows(trace_path, trace, T, o.iterations);
    if (code == EXIT_OK && status != DMF_OK) code = cli_fail(cmd, status);
    if (code == EXIT_OK) {
        size_t successes = 0, converged = 0;
        for (size_t t = 0; t < T; t++) {
            json_line j;
            json_begin(&j);
            json_int(&j, "trial", (long long)t);
            if (h0) json_bool(&j, "success", res[t].success);
            json_bool(&j, "converged", res[t].converged);
            json_int(&j, "iterations", (long long)res[t].iterations);
            if (h0) json_num(&j, "rel_error", res[t].rel_error);
            json_num(&j, "rel_residual", res[t].rel_residual);
            json_num(&j, "objective", res[t].objective);
            json_end(&j);
            successes += res[t].success != 0;
            converged += res[t].converged != 0;
        }
        json_line j;
        json_begin(&j);
        json_str(&j, "command", cmd);
        json_bool(&j, "summary", 1);
        json_int(&j, "trials", (long long)T);
        json_int(&j, "n1", (long long)n1);
        json_int(&j, "n2", (long long)n2);
        json_int(&j, "output", (long long)l);
        if (h0) {
            json_int(&j, "successes", (long long)successes);
            json_num(&j, "success_rate", (double)successes / (double)T);
        } else {
            json_num(&j, "successes", NAN); /* null: no truth given */
            json_num(&j, "success_rate", NAN);
        }
        json_int(&j, "converged", (long long)converged);
        json_num(&j, "median_iterations", median_iterations(res, T));
        json_num(&j, "time_s", time_s);
        json_str(&j, "backend", dmf_context_backend_name(ctx));
        json_int(&j, "start_seed", (long long)start_seed);
        if (dir) {
            json_str(&j, "h", path_h);
            json_str(&j, "m", path_m);
        }
        if (trace_path) json_str(&j, "trace", trace_path);
        print_options(&j, &o);
        json_end(&j);
    }
    free(y0), free(h0), free(m0), free(h), free(m), free(trace), free(res);
    dmf_context_free(ctx);
    dmf_generator_free(g1);
    dmf_generator_free(g2);
    return code;
}

/* ---- sweep ----------------------------------------------------------------- */

#define MAX_CELLS_PER_AXIS 64

typedef struct {
    size_t trials, successes, converged;
    double median_iterations, time_s;
} cell_result;

/* The seed of one cell's generator or problems: depends on the base seed,
 * the cell's sizes and the purpose only. */
static uint64_t cell_seed(uint64_t seed, size_t latent, size_t hidden, size_t output, uint64_t stream)
{
    uint64_t s = mix64(seed);
    s = mix64(s ^ latent);
    s = mix64(s ^ hidden);
    s = mix64(s ^ output);
    return mix64(s ^ stream);
}

static int run_cell(dmf_context *ctx, uint64_t seed, size_t latent, size_t hidden, size_t output,
                    const dmf_demod_options *o, cell_result *r)
{
    const size_t T = r->trials, sizes[3] = {latent, hidden, output};
    dmf_generator *g1 = NULL, *g2 = NULL;
    int status = dmf_generator_random(&g1, sizes, 3, cell_seed(seed, latent, hidden, output, STREAM_G1));
    if (status == DMF_OK)
        status = dmf_generator_random(&g2, sizes, 3, cell_seed(seed, latent, hidden, output, STREAM_G2));
    double *h0 = dmf_alloc(T * latent, sizeof *h0), *m0 = dmf_alloc(T * latent, sizeof *m0);
    double *h = dmf_alloc(T * latent, sizeof *h), *m = dmf_alloc(T * latent, sizeof *m);
    double *y0 = dmf_alloc(T * output, sizeof *y0), *b = dmf_alloc(T * output, sizeof *b);
    dmf_demod_trial *res = calloc(T, sizeof *res);
    if (status == DMF_OK && !(h0 && m0 && h && m && y0 && b && res))
        status = dmf_fail(DMF_ERR_NOMEM, "cannot allocate %zu trials of latent %zu, output %zu", T, latent, output);
    if (status == DMF_OK) {
        dmf_rng rng;
        dmf_rng_seed(&rng, cell_seed(seed, latent, hidden, output, STREAM_TRUTH));
        fill_normal(&rng, h0, T * latent);
        fill_normal(&rng, m0, T * latent);
        dmf_rng_seed(&rng, cell_seed(seed, latent, hidden, output, STREAM_STARTS));
        fill_normal(&rng, h, T * latent);
        fill_normal(&rng, m, T * latent);
        status = dmf_generator_forward(ctx, g1, h0, T, y0);
    }
    if (status == DMF_OK) status = dmf_generator_forward(ctx, g2, m0, T, b);
    if (status == DMF_OK) {
        for (size_t e = 0; e < T * output; e++) y0[e] *= b[e];
        double t0 = cli_now();
        status = dmf_demod_solve(ctx, g1, g2, y0, T, h, m, h0, m0, o, res, NULL);
        r->time_s = cli_now() - t0;
    }
    if (status == DMF_OK) {
        r->successes = r->converged = 0;
        for (size_t t = 0; t < T; t++) r->successes += res[t].success != 0, r->converged += res[t].converged != 0;
        r->median_iterations = median_iterations(res, T);
    }
    free(h0), free(m0), free(h), free(m), free(y0), free(b), free(res);
    dmf_generator_free(g1);
    dmf_generator_free(g2);
    return status;
}

static int sweep(int argc, char **argv)
{
    static const char cmd[] = "demod sweep";
    static const struct option opts[] = {{"latent", required_argument, 0, OPT_LATENT},
                                         {"outputs", required_argument, 0, OPT_OUTPUTS},
                                         {"hidden", required_argument, 0, OPT_HIDDEN},
                                         {"trials", required_argument, 0, OPT_TRIALS},
                                         {"seed", required_argument, 0, OPT_SEED},
                                         SOLVER_OPTIONS,
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    size_t latent[MAX_CELLS_PER_AXIS], outputs[MAX_CELLS_PER_AXIS], hidden[MAX_CELLS_PER_AXIS] = {250};
    int num_latent = 0, num_outputs = 0, num_hidden = 1;
    size_t trials = 100;
    unsigned long long seed = 0;
    const char *backend = "auto";
    dmf_demod_options o;
    dmf_demod_options_default(&o);
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        int taken = solver_option(cmd, c, optarg, &o, &backend);
        if (taken == EXIT_USAGE) return EXIT_USAGE;
        if (taken) continue;
        switch (c) {
        case OPT_LATENT:
            if ((num_latent = cli_parse_size_list(optarg, latent, MAX_CELLS_PER_AXIS)) < 0)
                return cli_usage_error(cmd, "bad --latent '%s' (up to %d comma-separated integers >= 1)", optarg,
                                       MAX_CELLS_PER_AXIS);
            break;
        case OPT_OUTPUTS:
            if ((num_outputs = cli_parse_size_list(optarg, outputs, MAX_CELLS_PER_AXIS)) < 0)
                return cli_usage_error(cmd, "bad --outputs '%s' (up to %d comma-separated integers >= 1)", optarg,
                                       MAX_CELLS_PER_AXIS);
            break;
        case OPT_HIDDEN:
            if ((num_hidden = cli_parse_size_list(optarg, hidden, MAX_CELLS_PER_AXIS)) < 0)
                return cli_usage_error(cmd, "bad --hidden '%s' (up to %d comma-separated integers >= 1)", optarg,
                                       MAX_CELLS_PER_AXIS);
            break;
        case OPT_TRIALS:
            if (cli_parse_size(optarg, &trials) || trials < 1)
                return cli_usage_error(cmd, "bad --trials '%s' (an integer >= 1)", optarg);
            break;
        case OPT_SEED:
            if (cli_parse_u64(optarg, &seed)) return cli_usage_error(cmd, "bad --seed '%s'", optarg);
            break;
        case 'h': fputs(help_sweep, stdout); return EXIT_OK;
        default: return cli_usage_error(cmd, "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!num_latent || !num_outputs) return cli_usage_error(cmd, "--latent and --outputs are required");
    if (check_solver_options(cmd, &o) != EXIT_OK) return EXIT_USAGE;
    dmf_context *ctx = NULL;
    int code = open_context(cmd, backend, &ctx);
    if (code != EXIT_OK) return code;
    const size_t cells = (size_t)num_hidden * (size_t)num_latent * (size_t)num_outputs;
    size_t done = 0;
    double start = cli_now();
    for (int k = 0; k < num_hidden && code == EXIT_OK; k++)
        for (int a = 0; a < num_latent && code == EXIT_OK; a++)
            for (int b = 0; b < num_outputs && code == EXIT_OK; b++) {
                cell_result r = {.trials = trials};
                int status = run_cell(ctx, seed, latent[a], hidden[k], outputs[b], &o, &r);
                if (status != DMF_OK) {
                    code = cli_fail(cmd, dmf_fail_context(status, "cell latent %zu, hidden %zu, output %zu", latent[a],
                                                          hidden[k], outputs[b]));
                    break;
                }
                json_line j;
                json_begin(&j);
                json_int(&j, "latent", (long long)latent[a]);
                json_int(&j, "output", (long long)outputs[b]);
                json_int(&j, "hidden", (long long)hidden[k]);
                json_int(&j, "trials", (long long)r.trials);
                json_int(&j, "successes", (long long)r.successes);
                json_num(&j, "success_rate", (double)r.successes / (double)r.trials);
                json_int(&j, "converged", (long long)r.converged);
                json_num(&j, "median_iterations", r.median_iterations);
                json_num(&j, "time_s", r.time_s);
                json_int(&j, "seed", (long long)seed);
                json_str(&j, "backend", dmf_context_backend_name(ctx));
                print_options(&j, &o);
                json_end(&j);
                done++;
                fprintf(stderr, "dmf %s: [%zu/%zu] latent %zu, hidden %zu, output %zu: %zu/%zu recovered, %.2f s "
                                "(%.1f s in all)\n", cmd, done, cells, latent[a], hidden[k], outputs[b], r.successes,
                        r.trials, r.time_s, cli_now() - start);
            }
    dmf_context_free(ctx);
    return code;
}

/* ---- landscape ------------------------------------------------------------- */

static int parse_range(const char *text, double *lo, double *hi)
{
    char buf[128];
    if (!text || strlen(text) >= sizeof buf) return -1;
    strcpy(buf, text);
    /* The separator is the first comma (the numbers may carry signs). */
    char *comma = strchr(buf, ',');
    if (!comma) return -1;
    *comma = '\0';
    if (cli_parse_double(buf, lo) || cli_parse_double(comma + 1, hi) || !(*lo < *hi)) return -1;
    return 0;
}

static int landscape(int argc, char **argv)
{
    static const char cmd[] = "demod landscape";
    static const struct option opts[] = {{"g1", required_argument, 0, OPT_G1},
                                         {"g2", required_argument, 0, OPT_G2},
                                         {"h0", required_argument, 0, OPT_HX},
                                         {"m0", required_argument, 0, OPT_MY},
                                         {"range", required_argument, 0, OPT_RANGE},
                                         {"points", required_argument, 0, OPT_POINTS},
                                         {"out", required_argument, 0, OPT_OUT},
                                         {"backend", required_argument, 0, OPT_BACKEND},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *p1 = NULL, *p2 = NULL, *out = NULL, *backend = "auto";
    double h0 = NAN, m0 = NAN, lo = -2, hi = 2;
    size_t P = 101;
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_G1: p1 = optarg; break;
        case OPT_G2: p2 = optarg; break;
        case OPT_OUT: out = optarg; break;
        case OPT_BACKEND: backend = optarg; break;
        case OPT_HX:
            if (cli_parse_double(optarg, &h0)) return cli_usage_error(cmd, "bad --h0 '%s' (a number)", optarg);
            break;
        case OPT_MY:
            if (cli_parse_double(optarg, &m0)) return cli_usage_error(cmd, "bad --m0 '%s' (a number)", optarg);
            break;
        case OPT_RANGE:
            if (parse_range(optarg, &lo, &hi))
                return cli_usage_error(cmd, "bad --range '%s' (A,B with A < B, e.g. -2,2)", optarg);
            break;
        case OPT_POINTS:
            if (cli_parse_size(optarg, &P) || P < 2 || P > 100000)
                return cli_usage_error(cmd, "bad --points '%s' (an integer from 2 to 100000)", optarg);
            break;
        case 'h': fputs(help_landscape, stdout); return EXIT_OK;
        default: return cli_usage_error(cmd, "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (isnan(h0) || isnan(m0)) return cli_usage_error(cmd, "--h0 X and --m0 Y (the truth, numbers) are required");
    dmf_generator *g1, *g2;
    dmf_context *ctx = NULL;
    int code = load_generators(cmd, p1, p2, &g1, &g2);
    if (code == EXIT_OK && (dmf_generator_input_size(g1) != 1 || dmf_generator_input_size(g2) != 1)) {
        fprintf(stderr, "dmf %s: the landscape needs one-dimensional latents (n = p = 1); '%s' has %zu, '%s' has %zu\n",
                cmd, p1, dmf_generator_input_size(g1), p2, dmf_generator_input_size(g2));
        code = EXIT_BAD_INPUT;
    }
    if (code == EXIT_OK) code = open_context(cmd, backend, &ctx);
    if (code != EXIT_OK) {
        dmf_generator_free(g1);
        dmf_generator_free(g2);
        return code;
    }
    const size_t l = dmf_generator_output_size(g1);
    double *v = dmf_alloc(P, sizeof *v), *a = dmf_alloc(P * l, sizeof *a), *b = dmf_alloc(P * l, sizeof *b);
    double *grid = dmf_alloc(P * P, sizeof *grid), *y0 = dmf_alloc(l, sizeof *y0);
    int status = v && a && b && grid && y0 ? DMF_OK
                                                : dmf_fail(DMF_ERR_NOMEM, "cannot allocate a %zu x %zu grid", P, P);
    /* y0, then G1 and G2 at every grid value in one batched pass each. */
    double truth[2] = {h0, -h0}, truth_m[2] = {m0, -m0};
    if (status == DMF_OK) status = dmf_generator_forward(ctx, g1, truth, 2, a);
    if (status == DMF_OK) status = dmf_generator_forward(ctx, g2, truth_m, 2, b);
    double f_mirror = 0, f_origin = 0;
    if (status == DMF_OK) {
        for (size_t e = 0; e < l; e++) y0[e] = a[e] * b[e];
        for (size_t e = 0; e < l; e++) {
            double r = a[l + e] * b[l + e] - y0[e];
            f_mirror += 0.5 * r * r;
            f_origin += 0.5 * y0[e] * y0[e];
        }
        for (size_t i = 0; i < P; i++) v[i] = i + 1 == P ? hi : lo + (hi - lo) * (double)i / (double)(P - 1);
        status = dmf_generator_forward(ctx, g1, v, P, a);
    }
    if (status == DMF_OK) status = dmf_generator_forward(ctx, g2, v, P, b);
    if (status == DMF_OK) {
        /* f = 1/2 sum (a_i b_j - y)^2 summed directly: expanding the square
         * would lose the small values near the minima to cancellation. */
        for (size_t i = 0; i < P; i++)
            for (size_t jj = 0; jj < P; jj++) {
                const double *ai = a + i * l, *bj = b + jj * l;
                double f = 0;
                for (size_t e = 0; e < l; e++) {
                    double r = ai[e] * bj[e] - y0[e];
                    f += r * r;
                }
                grid[i * P + jj] = 0.5 * f;
            }
        if (out) status = write_rows(out, grid, P, P);
    }
    if (status != DMF_OK) {
        code = cli_fail(cmd, status);
    } else {
        size_t imin = 0, imax = 0;
        for (size_t e = 1; e < P * P; e++) {
            if (grid[e] < grid[imin]) imin = e;
            if (grid[e] > grid[imax]) imax = e;
        }
        /* The smallest value in each sign quadrant (h >= 0 counts as +),
         * best first. */
        static const char *const names[4] = {"++", "+-", "-+", "--"};
        size_t at[4];
        int found[4] = {0}, order[4], count = 0;
        for (size_t i = 0; i < P; i++)
            for (size_t jj = 0; jj < P; jj++) {
                int k = (v[i] < 0) * 2 + (v[jj] < 0);
                size_t e = i * P + jj;
                if (!found[k] || grid[e] < grid[at[k]]) at[k] = e, found[k] = 1;
            }
        for (int k = 0; k < 4; k++) {
            if (!found[k]) continue;
            int x = count++;
            for (; x > 0 && grid[at[k]] < grid[at[order[x - 1]]]; x--) order[x] = order[x - 1];
            order[x] = k;
        }
        json_line j;
        json_begin(&j);
        json_str(&j, "command", cmd);
        json_str(&j, "g1", p1);
        json_str(&j, "g2", p2);
        json_num(&j, "h0", h0);
        json_num(&j, "m0", m0);
        json_int(&j, "output", (long long)l);
        json_int(&j, "points", (long long)P);
        json_key(&j, "range");
        fprintf(j.out, "[%.6g, %.6g]", lo, hi);
        json_num(&j, "f_min", grid[imin]);
        json_num(&j, "argmin_h", v[imin / P]);
        json_num(&j, "argmin_m", v[imin % P]);
        json_num(&j, "f_max", grid[imax]);
        json_num(&j, "argmax_h", v[imax / P]);
        json_num(&j, "argmax_m", v[imax % P]);
        json_num(&j, "f_mirror", f_mirror);
        json_num(&j, "f_origin", f_origin);
        json_key(&j, "minima");
        fputc('[', j.out);
        for (int x = 0; x < count; x++)
            fprintf(j.out, "%s{\"quadrant\": \"%s\", \"h\": %.6g, \"m\": %.6g, \"f\": %.6g}", x ? ", " : "",
                    names[order[x]], v[at[order[x]] / P], v[at[order[x]] % P], grid[at[order[x]]]);
        fputc(']', j.out);
        if (out) json_str(&j, "out", out);
        json_str(&j, "backend", dmf_context_backend_name(ctx));
        json_end(&j);
    }
    free(v), free(a), free(b), free(grid), free(y0);
    dmf_context_free(ctx);
    dmf_generator_free(g1);
    dmf_generator_free(g2);
    return code;
}

/* ---- dispatch -------------------------------------------------------------- */

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
    if (!strcmp(sub, "synth")) return synth(argc - 1, argv + 1);
    if (!strcmp(sub, "solve")) return solve(argc - 1, argv + 1);
    if (!strcmp(sub, "sweep")) return sweep(argc - 1, argv + 1);
    if (!strcmp(sub, "landscape")) return landscape(argc - 1, argv + 1);
    fprintf(stderr, "dmf demod: unknown subcommand '%s'\n\n%s", sub, help_group);
    return EXIT_USAGE;
}
