/* Shared pieces of dmf demod synth|solve|sweep|landscape: option codes and
 * tables, the solver's options, generators and .npy rows, seeds, and the
 * summary of a batch of trials. */
#ifndef DMF_DEMOD_COMMON_H
#define DMF_DEMOD_COMMON_H

#include "cli.h"
#include "cli_args.h"

/* The subcommands, called by cmd_demod with argv[0] = the subcommand. */
int cmd_demod_synth(int argc, char **argv);
int cmd_demod_solve(int argc, char **argv);
int cmd_demod_sweep(int argc, char **argv);
int cmd_demod_landscape(int argc, char **argv);
int cmd_demod_fields(int argc, char **argv);
int cmd_demod_image(int argc, char **argv);

/* What the subcommands share beyond the solver's options. */
typedef struct {
    const char *backend; /* --backend (default "auto") */
    dmf_dtype dtype;     /* --dtype (default f64) */
    int independent;     /* --independent-networks */
    int tol_given;       /* --tol was on the command line */
} demod_run_options;
#define DEMOD_RUN_DEFAULTS {"auto", DMF_F64, 0, 0}

/* --dtype, --backend and --independent-networks (where the command has
 * it) of parsed options. */
void demod_run_from(const cli_args *a, demod_run_options *r);
/* Algorithm 1's options and demod_run_from's, with --tol's default of the
 * dtype (1e-7; 1e-5 in f32, below whose rounding of y0 1e-7 lies). */
void demod_solver_from(const cli_args *a, dmf_demod_options *o, demod_run_options *r);
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
