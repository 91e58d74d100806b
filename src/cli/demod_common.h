/* Shared pieces of dmf demod synth|solve|sweep|landscape: option codes and
 * tables, the solver's options, generators and .npy rows, seeds, and the
 * summary of a batch of trials. */
#ifndef DMF_DEMOD_COMMON_H
#define DMF_DEMOD_COMMON_H

#include <getopt.h>

#include "cli.h"

/* The subcommands, called by cmd_demod with argv[0] = the subcommand. */
int cmd_demod_synth(int argc, char **argv);
int cmd_demod_solve(int argc, char **argv);
int cmd_demod_sweep(int argc, char **argv);
int cmd_demod_landscape(int argc, char **argv);
int cmd_demod_fields(int argc, char **argv);
int cmd_demod_image(int argc, char **argv);

/* The --help lines of the solver's options (solve and sweep). */
#define SOLVER_HELP                                                                        \
    "--iterations N   at most N iterations per trial (default 500)\n"                     \
    "--step ETA       fixed: the step (it must grow with l: ETA = 1 is far too small\n" \
    "                 for the paper's weights); scaled: the step is ETA * l;\n"          \
    "                 backtracking: the first trial is ETA times the inverse\n"          \
    "                 curvature estimate (default 1)\n"                                  \
    "--step-rule R    fixed, scaled or backtracking (Armijo, per trial; default)\n"     \
    "--momentum MU    heavy ball in [0, 1), fixed and scaled rules only (default 0)\n"  \
    "--tol T          stop a trial when ||G1(h).G2(m) - y0|| <= T ||y0|| (1e-7;\n"     \
    "                 1e-5 with --dtype f32)\n"                                            \
    "--success-tol E  success: balanced ||(h,m) - (h0,m0)|| / ||(h0,m0)|| <= E\n"       \
    "                 (default 1e-3)\n"                                                   \
    "--no-sign-check  skip step 1 (the best of (+-h, +-m))\n"                            \
    DTYPE_HELP                                                                           \
    "--backend B      auto (default), cpu or cuda\n"

/* The --help lines of --dtype (all the demod subcommands). */
#define DTYPE_HELP                                                                         \
    "--dtype D        f64 (default) or f32: the precision of the weights, the network\n"  \
    "                 passes and Algorithm 1 (files stay float64).  In f32 the\n"         \
    "                 residual stalls near 1e-6 ||y0||, so --tol defaults to 1e-5;\n"    \
    "                 success (1e-3) is reached: errors ~1e-5\n"
/* The --help lines of --independent-networks (synth, solve, sweep). */
#define INDEPENDENT_HELP                                                                   \
    "--independent-networks\n"                                                            \
    "                 one pair of networks per trial, as in the paper's success-rate\n"  \
    "                 experiments: trial t uses network t drawn from the specs'\n"       \
    "                 seeds (network 0 is the spec's shared network); specs of\n"        \
    "                 weight files give one network and are refused\n"

/* Long-option codes of all the subcommands, one numbering so that the
 * shared tables below mean the same in each. */
enum {
    OPT_G1 = 256, OPT_G2, OPT_OUT, OPT_SEED, OPT_TRIALS, OPT_Y0, OPT_H0, OPT_M0, OPT_START_SEED, OPT_TRACE,
    OPT_LATENT, OPT_OUTPUTS, OPT_HIDDEN, OPT_RANGE, OPT_POINTS, OPT_BACKEND, OPT_HX, OPT_MY,
    /* the solver's options */
    OPT_ITERATIONS, OPT_STEP, OPT_RULE, OPT_MOMENTUM, OPT_TOL, OPT_SUCCESS_TOL, OPT_NO_SIGN,
    OPT_DTYPE, OPT_INDEPENDENT, OPT_GRID, OPT_COUNT, OPT_FIELD, OPT_IMAGE, OPT_PARAMS
};

/* What the subcommands share beyond the solver's options. */
typedef struct {
    const char *backend; /* --backend (default "auto") */
    dmf_dtype dtype;     /* --dtype (default f64) */
    int independent;     /* --independent-networks */
    int tol_given;       /* --tol was on the command line */
} demod_run_options;
#define DEMOD_RUN_DEFAULTS {"auto", DMF_F64, 0, 0}

#define DTYPE_OPTION {"dtype", required_argument, 0, OPT_DTYPE}
#define INDEPENDENT_OPTION {"independent-networks", no_argument, 0, OPT_INDEPENDENT}

/* The getopt_long entries of --g1 and --g2 (synth, solve, landscape). */
#define GENERATOR_OPTIONS {"g1", required_argument, 0, OPT_G1}, {"g2", required_argument, 0, OPT_G2}

/* The getopt_long entries of the solver's options, for demod_solver_option. */
#define SOLVER_OPTIONS                                                                                  \
    {"iterations", required_argument, 0, OPT_ITERATIONS}, {"step", required_argument, 0, OPT_STEP},    \
    {"step-rule", required_argument, 0, OPT_RULE}, {"momentum", required_argument, 0, OPT_MOMENTUM},   \
    {"tol", required_argument, 0, OPT_TOL}, {"success-tol", required_argument, 0, OPT_SUCCESS_TOL},    \
    {"no-sign-check", no_argument, 0, OPT_NO_SIGN}, {"backend", required_argument, 0, OPT_BACKEND},    \
    DTYPE_OPTION

/* Handles a SOLVER_OPTIONS code (and --dtype, --backend,
 * --independent-networks for any subcommand): 1 when taken, 0 when not one
 * of them, EXIT_USAGE (message printed) for a bad value. */
int demod_solver_option(const char *cmd, int code, const char *arg, dmf_demod_options *o, demod_run_options *r);
/* Handles only --dtype, --backend and --independent-networks (same returns). */
int demod_run_option(const char *cmd, int code, const char *arg, demod_run_options *r);
/* Options that only make sense together, checked once all are parsed; sets
 * the f32 default of --tol (1e-5: 1e-7 is below float rounding of y0). */
int demod_check_solver_options(const char *cmd, dmf_demod_options *o, const demod_run_options *r);
/* Writes the solver's options as the JSON object "options". */
void demod_print_options(json_line *j, const dmf_demod_options *o);
/* Writes "dtype" and "networks" ("shared" or "per_trial"). */
void demod_print_run(json_line *j, const demod_run_options *r);

/* Streams, so that equal --seed and --start-seed never give starts equal to
 * the truth. */
enum { STREAM_TRUTH = 1, STREAM_STARTS = 2, STREAM_G1 = 3, STREAM_G2 = 4 };
/* splitmix64's finalizer: derives independent seeds from (seed, purpose). */
uint64_t demod_mix64(uint64_t x);
/* The seed of `stream` for a --seed or --start-seed. */
uint64_t demod_stream_seed(uint64_t seed, uint64_t stream);
/* h (nh values), then m (nm values) ~ N(0, 1) from one stream seeded with `seed`. */
void demod_draw_latents(uint64_t seed, double *h, size_t nh, double *m, size_t nm);

/* Creates the context for --backend, saying on stderr when it fell back to the CPU. */
int demod_open_context(const char *cmd, const char *backend, dmf_context **ctx);
/* Reads --g1 and --g2 (both required, outputs of equal size) with
 * `networks` networks each, in `dtype`; *g1, *g2 NULL unless read. */
int demod_load_generators(const char *cmd, const char *path1, const char *path2, size_t networks, dmf_dtype dtype,
                          dmf_generator **g1, dmf_generator **g2);
/* Frees what demod_load_generators and demod_open_context gave (any may be NULL). */
void demod_release(dmf_context *ctx, dmf_generator *g1, dmf_generator *g2);
/* y0 = G1(h0) . G2(m0) for T problems (y0 and the scratch b: T x l); a dmf status. */
int demod_observe(dmf_context *ctx, const dmf_generator *g1, const dmf_generator *g2, const double *h0,
                  const double *m0, size_t T, double *y0, double *b);

/* Reads `path` as rows of `width` float64 values: a T x width array, or one
 * row given as a 1-D vector.  When *count is nonzero the number of rows must
 * equal it; else it is set.  An exit code (messages printed). */
int demod_load_rows(const char *cmd, const char *what, const char *path, size_t width, size_t *count,
                    double **data);
/* DIR/NAME into buf; a dmf status (DMF_ERR_ARG when it does not fit). */
int demod_join_path(char *buf, size_t size, const char *dir, const char *name);
/* Writes a rows x cols float64 .npy; a dmf status. */
int demod_write_rows(const char *path, const double *data, size_t rows, size_t cols);

/* What a batch of trials came to (solve's summary line, one sweep cell). */
typedef struct {
    size_t trials, successes, converged;
    double median_iterations, time_s;
} demod_summary;
/* Counts the successes and convergences of res[0..trials) and takes the
 * median iteration count; time_s is the solve's wall time. */
void demod_summarize(const dmf_demod_trial *res, size_t trials, double time_s, demod_summary *s);
/* Writes successes, success_rate (both null without the truth), converged,
 * median_iterations and time_s. */
void demod_json_summary(json_line *j, const demod_summary *s, int with_truth);

#endif
