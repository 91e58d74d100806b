/* The pieces that dmf demod's subcommands share (see demod_common.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "demod_common.h"
/* dmf_rng, the library's seeded generator: the CLI, the tests and the
 * benchmark draw Gaussian latents from the same stream definition. */
#include "internal.h"

static const char *rule_name(dmf_step_rule rule)
{
    return rule == DMF_STEP_FIXED ? "fixed" : rule == DMF_STEP_SCALED ? "scaled" : "backtracking";
}

void demod_run_from(const cli_args *a, demod_run_options *r)
{
    *r = (demod_run_options)DEMOD_RUN_DEFAULTS;
    r->backend = cli_get(a, "backend");
    r->dtype = strcmp(cli_get(a, "dtype"), "f32") ? DMF_F64 : DMF_F32;
    r->independent = cli_has_option(a, "independent-networks") && cli_given(a, "independent-networks");
}

void demod_print_run(json_line *j, const demod_run_options *r)
{
    json_str(j, "dtype", dmf_dtype_name(r->dtype));
    json_str(j, "networks", r->independent ? "per_trial" : "shared");
}

void demod_solver_from(const cli_args *a, dmf_demod_options *o, demod_run_options *r)
{
    demod_run_from(a, r);
    dmf_demod_options_default(o);
    const char *rule = cli_get(a, "step-rule");
    o->iterations = cli_get_size(a, "iterations", o->iterations);
    o->step = cli_get_double(a, "step", o->step);
    o->step_rule = !strcmp(rule, "fixed") ? DMF_STEP_FIXED : !strcmp(rule, "scaled") ? DMF_STEP_SCALED
                                                                                      : DMF_STEP_BACKTRACKING;
    o->momentum = cli_get_double(a, "momentum", o->momentum);
    o->success_tol = cli_get_double(a, "success-tol", o->success_tol);
    o->sign_check = !cli_given(a, "no-sign-check");
    r->tol_given = cli_given(a, "tol");
    /* 1e-7 is below float rounding of y0: f32 stops at 1e-5 unless told. */
    o->tol = r->tol_given ? cli_get_double(a, "tol", o->tol) : r->dtype == DMF_F32 ? 1e-5 : o->tol;
}

void demod_print_options(json_line *j, const dmf_demod_options *o)
{
    json_key(j, "options");
    fprintf(j->out, "{\"iterations\": %zu, \"step\": " JSON_NUM ", \"step_rule\": \"%s\", \"momentum\": " JSON_NUM ", "
                    "\"tol\": " JSON_NUM ", \"success_tol\": " JSON_NUM ", \"sign_check\": %s}",
            o->iterations, o->step, rule_name(o->step_rule), o->momentum, o->tol, o->success_tol,
            o->sign_check ? "true" : "false");
}

uint64_t demod_mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

uint64_t demod_stream_seed(uint64_t seed, uint64_t stream) { return demod_mix64(seed ^ demod_mix64(stream)); }

static void fill_normal(dmf_rng *rng, double *x, size_t n)
{
    for (size_t i = 0; i < n; i++) x[i] = dmf_rng_normal(rng);
}

void demod_draw_latents(uint64_t seed, double *h, size_t nh, double *m, size_t nm)
{
    dmf_rng rng;
    dmf_rng_seed(&rng, seed);
    fill_normal(&rng, h, nh);
    fill_normal(&rng, m, nm);
}

int demod_open_context(const char *cmd, const char *backend, dmf_context **ctx)
{
    int status = dmf_context_create(ctx, backend);
    if (status != DMF_OK) return cli_fail(cmd, status);
    cli_note_fallback(cmd, *ctx);
    return EXIT_OK;
}

int demod_load_generators(const char *cmd, const char *path1, const char *path2, size_t networks, dmf_dtype dtype,
                          dmf_generator **g1, dmf_generator **g2)
{
    *g1 = *g2 = NULL;
    if (!path1 || !path2) return cli_usage_error(cmd, "--g1 and --g2 are required");
    int status = dmf_generator_read_networks(path1, networks, g1);
    if (status == DMF_OK) status = dmf_generator_read_networks(path2, networks, g2);
    if (status == DMF_OK) status = dmf_generator_set_dtype(*g1, dtype);
    if (status == DMF_OK) status = dmf_generator_set_dtype(*g2, dtype);
    if (status != DMF_OK) return cli_fail(cmd, status);
    if (dmf_generator_output_size(*g1) != dmf_generator_output_size(*g2)) {
        fprintf(stderr, "dmf %s: the generators' outputs differ: '%s' gives %zu values, '%s' gives %zu\n", cmd,
                path1, dmf_generator_output_size(*g1), path2, dmf_generator_output_size(*g2));
        return EXIT_BAD_INPUT;
    }
    return EXIT_OK;
}

void demod_release(dmf_context *ctx, dmf_generator *g1, dmf_generator *g2)
{
    dmf_context_free(ctx);
    dmf_generator_free(g1);
    dmf_generator_free(g2);
}

int demod_observe(dmf_context *ctx, const dmf_generator *g1, const dmf_generator *g2, const double *h0,
                  const double *m0, size_t T, double *y0, double *b)
{
    int status = dmf_generator_forward(ctx, g1, h0, T, y0);
    if (status == DMF_OK) status = dmf_generator_forward(ctx, g2, m0, T, b);
    if (status == DMF_OK)
        for (size_t e = 0, n = T * dmf_generator_output_size(g1); e < n; e++) y0[e] *= b[e];
    return status;
}

int demod_join_path(char *buf, size_t size, const char *dir, const char *name)
{
    if ((size_t)snprintf(buf, size, "%s/%s", dir, name) >= size)
        return dmf_fail(DMF_ERR_ARG, "path '%s/%s' is too long", dir, name);
    return DMF_OK;
}

int demod_write_rows(const char *path, const double *data, size_t rows, size_t cols)
{
    size_t shape[2] = {rows, cols};
    return dmf_npy_write_array(path, DMF_F64, shape, 2, data);
}

/* Reads `path` as rows of `width` float64 values: a T x width array, or one
 * row given as a 1-D vector (which the reader returns as a column).  When
 * *count is nonzero the number of rows must equal it; else it is set. */
int demod_load_rows(const char *cmd, const char *what, const char *path, size_t width, size_t *count,
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

void demod_summarize(const dmf_demod_trial *res, size_t trials, double time_s, demod_summary *s)
{
    s->trials = trials;
    s->successes = s->converged = 0;
    for (size_t t = 0; t < trials; t++) s->successes += res[t].success != 0, s->converged += res[t].converged != 0;
    s->median_iterations = median_iterations(res, trials);
    s->time_s = time_s;
}

void demod_json_summary(json_line *j, const demod_summary *s, int with_truth)
{
    if (with_truth) {
        json_int(j, "successes", (long long)s->successes);
        json_num(j, "success_rate", (double)s->successes / (double)s->trials);
    } else {
        json_num(j, "successes", NAN); /* null: no truth given */
        json_num(j, "success_rate", NAN);
    }
    json_int(j, "converged", (long long)s->converged);
    json_num(j, "median_iterations", s->median_iterations);
    json_num(j, "time_s", s->time_s);
}
