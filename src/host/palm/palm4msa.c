/* PALM4MSA (Le Magoarou & Gribonval, "Flexible multilayer sparse
 * approximations of matrices and applications", 2016): argument checks,
 * the default start, and the sweeps of palm_impl.h on the context's
 * backend: the host runs the algorithm, the backend's PALM kernels
 * (palm_kernels.h) every product, projection and reduction on the data. */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/palm_kernels.h"
#include "memory.h"
#include "scale.h"
#include "palm_internal.h"

#include "palm_impl.h"

void dmf_palm_options_default(dmf_palm_options *o)
{
    memset(o, 0, sizeof *o);
    o->stop.num_its = 200;
    o->stop.maxiter = 10000;
    o->init_lambda = 1;
    o->norm2_max_iter = 100;
    o->norm2_threshold = 1e-6;
}

int dmf_palm_check_options(const dmf_palm_options *o, const char *what)
{
    const dmf_stop_crit *s = &o->stop;
    if (!(s->tol >= 0) || !isfinite(s->tol))
        return dmf_fail(DMF_ERR_ARG, "%s: tol must be >= 0 and finite, not %g", what, s->tol);
    if (!(s->erreps >= 0) || !isfinite(s->erreps))
        return dmf_fail(DMF_ERR_ARG, "%s: erreps must be >= 0 and finite, not %g", what, s->erreps);
    if (s->tol > 0 && s->maxiter == 0)
        return dmf_fail(DMF_ERR_ARG, "%s: maxiter must be >= 1 when tol is given", what);
    if (s->tol == 0 && s->num_its == 0)
        return dmf_fail(DMF_ERR_ARG, "%s: num_its must be >= 1 (or give tol)", what);
    if (!isfinite(o->init_lambda)) return dmf_fail(DMF_ERR_ARG, "%s: init_lambda is not finite", what);
    if (o->constant_step_size && !(o->step_size > 0 && isfinite(o->step_size)))
        return dmf_fail(DMF_ERR_ARG, "%s: a constant step needs step_size > 0, not %g", what, o->step_size);
    if (o->norm2_max_iter == 0) return dmf_fail(DMF_ERR_ARG, "%s: norm2_max_iter must be >= 1", what);
    if (!(o->norm2_threshold >= 0)) return dmf_fail(DMF_ERR_ARG, "%s: norm2_threshold must be >= 0", what);
    return DMF_OK;
}

int dmf_palm_backend_check(const dmf_backend *be)
{
    if (!be->palm)
        return dmf_fail(DMF_ERR_NOT_COMPILED, "the %s backend has no PALM kernels (dmf palm and dmf hierarchical run "
                        "on the cpu and cuda backends)", be->name);
    return DMF_OK;
}

static int palm_on_backend(const dmf_backend *be, dmf_dtype dtype, const void *a, size_t J, const size_t *dims,
                           void *const *S, const dmf_constraint *cons, const dmf_palm_options *o, double *lambda,
                           dmf_palm_report *rep);

/* An absolute stopping threshold for the scaled A. */
static double scaled_threshold(double value, int shift)
{
    double s = ldexp(value, shift);
    return value > 0 && s == 0 ? DBL_TRUE_MIN : s; /* 0 would turn the test off */
}

/* An A whose largest entry lies outside the range the kernels square
 * safely is run scaled by the power of two dmf_range_shift gives (exact,
 * the largest entry near 1), with the absolute stopping thresholds (and a
 * constant step) scaled alike and lambda brought back at the end.  A warm
 * start's lambda is scaled too, so its iterates are those of the unscaled
 * A; a cold start's applies to the scaled A: PALM's first sweeps weigh
 * lambda X against A, and a start of 1 against an A of 2^-600 lost the
 * factorization (a subnormal A gave a product of zeros and reported
 * rel_error 0). */
int dmf_palm_core(const dmf_backend *be, dmf_dtype dtype, const void *a, size_t J, const size_t *dims, void *const *S,
                  const dmf_constraint *cons, const dmf_palm_options *o, double *lambda, int warm, dmf_palm_report *rep)
{
    DMF_TRY(dmf_palm_backend_check(be));
    const size_t count = dims[0] * dims[J];
    const int shift = dmf_range_shift(dtype, a, count);
    if (shift == 0) return palm_on_backend(be, dtype, a, J, dims, S, cons, o, lambda, rep);
    void *scaled = dmf_scaled_copy(dtype, a, count, shift);
    if (!scaled) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate the scaled copy of a %zu x %zu matrix", dims[0], dims[J]);
    dmf_palm_options local = *o;
    if (!local.stop.relerr) {
        local.stop.tol = scaled_threshold(local.stop.tol, shift);
        local.stop.erreps = scaled_threshold(local.stop.erreps, shift);
    }
    if (local.constant_step_size) local.step_size = ldexp(local.step_size, -2 * shift); /* lambda^2 L^H A R^H */
    double scaled_lambda = warm ? ldexp(*lambda, shift) : *lambda;
    int status = palm_on_backend(be, dtype, scaled, J, dims, S, cons, &local, &scaled_lambda, rep);
    *lambda = ldexp(scaled_lambda, -shift);
    rep->lambda = *lambda;
    free(scaled);
    return status;
}

static int palm_on_backend(const dmf_backend *be, dmf_dtype dtype, const void *a, size_t J, const size_t *dims,
                           void *const *S, const dmf_constraint *cons, const dmf_palm_options *o, double *lambda,
                           dmf_palm_report *rep)
{
    if (be->host_memory) return palm_run(be, dtype, a, J, dims, S, cons, o, lambda, rep);
    /* A device backend: A and the factors go there for the run, the factors
     * come back at its end. */
    const size_t elem = dmf_dtype_size(dtype);
    void *da = NULL, **ds = calloc(J, sizeof *ds);
    int status = ds ? be->mem_alloc(&da, dims[0] * dims[J] * elem) : dmf_fail(DMF_ERR_NOMEM, "cannot allocate %zu factors", J);
    if (status == DMF_OK) status = be->mem_upload(da, a, dims[0] * dims[J] * elem);
    for (size_t j = 0; status == DMF_OK && j < J; j++) {
        status = be->mem_alloc(&ds[j], dims[j] * dims[j + 1] * elem);
        if (status == DMF_OK) status = be->mem_upload(ds[j], S[j], dims[j] * dims[j + 1] * elem);
    }
    if (status == DMF_OK) status = palm_run(be, dtype, da, J, dims, ds, cons, o, lambda, rep);
    for (size_t j = 0; status == DMF_OK && j < J; j++)
        status = be->mem_download(S[j], ds[j], dims[j] * dims[j + 1] * elem);
    for (size_t j = 0; ds && j < J; j++) be->mem_free(ds[j]);
    be->mem_free(da);
    free(ds);
    return status;
}

int dmf_palm_check_size(size_t n, const char *what)
{
    /* BLAS takes int sizes. */
    if (n > INT_MAX) return dmf_fail(DMF_ERR_SHAPE, "%s: size %zu is beyond BLAS's int", what, n);
    return DMF_OK;
}

int dmf_palm4msa(dmf_context *ctx, const dmf_matrix *a, const dmf_constraint *cons, size_t J,
                 const dmf_matrix *const *init, const dmf_palm_options *opts, dmf_matrix **out,
                 dmf_palm_report *report)
{
    double start = dmf_now_seconds();
    if (!a || !cons || !out) return dmf_fail(DMF_ERR_ARG, "dmf_palm4msa: a, cons and out are required");
    for (size_t j = 0; j < J; j++) out[j] = NULL;
    if (J == 0) return dmf_fail(DMF_ERR_ARG, "dmf_palm4msa: at least one factor is needed");
    dmf_palm_options defaults;
    if (!opts) {
        dmf_palm_options_default(&defaults);
        opts = &defaults;
    }
    const dmf_backend *be = ctx ? dmf_context_backend(ctx) : dmf_backend_cpu();
    DMF_TRY(dmf_palm_backend_check(be));
    DMF_TRY(dmf_palm_check_options(opts, "PALM options"));
    DMF_TRY(dmf_matrix_check_finite(a));
    size_t *dims = malloc((J + 1) * sizeof *dims);
    void **S = calloc(J, sizeof *S);
    int status = dims && S ? DMF_OK : dmf_fail(DMF_ERR_NOMEM, "cannot allocate %zu factors", J);
    char what[64];
    for (size_t j = 0; status == DMF_OK && j < J; j++) {
        snprintf(what, sizeof what, "constraint %zu", j);
        status = dmf_palm_check_constraint(&cons[j], a->dtype, what);
        if (status == DMF_OK && j == 0 && cons[0].rows != a->rows)
            status = dmf_fail(DMF_ERR_SHAPE, "constraint 0 is for %zu rows but A has %zu", cons[0].rows, a->rows);
        if (status == DMF_OK && j > 0 && cons[j].rows != cons[j - 1].cols)
            status = dmf_fail(DMF_ERR_SHAPE, "constraint %zu is for %zu rows but constraint %zu has %zu columns", j,
                              cons[j].rows, j - 1, cons[j - 1].cols);
        if (status == DMF_OK && j == J - 1 && cons[j].cols != a->cols)
            status = dmf_fail(DMF_ERR_SHAPE, "the last constraint (%zu) is for %zu columns but A has %zu", j,
                              cons[j].cols, a->cols);
        if (status == DMF_OK) status = dmf_palm_check_size(cons[j].rows * cons[j].cols, what);
        if (status == DMF_OK && init && init[j] &&
            (init[j]->rows != cons[j].rows || init[j]->cols != cons[j].cols))
            status = dmf_fail(DMF_ERR_SHAPE, "the start of factor %zu is %zu x %zu but its constraint %zu x %zu", j,
                              init[j]->rows, init[j]->cols, cons[j].rows, cons[j].cols);
        if (status == DMF_OK) status = dmf_palm_check_size(a->rows * a->cols, "A");
    }
    for (size_t j = 0; status == DMF_OK && j < J; j++) {
        dims[j] = cons[j].rows;
        dims[j + 1] = cons[j].cols;
        size_t first = opts->update_right_to_left ? J - 1 : 0;
        if (init && init[j] && cons[j].kind != DMF_CONS_CONST) {
            status = dmf_matrix_convert(init[j], a->dtype, &out[j]);
            if (status == DMF_OK) status = dmf_matrix_check_finite(out[j]);
            if (status != DMF_OK) status = dmf_fail_context(status, "the start of factor %zu", j);
        } else {
            status = dmf_matrix_create(&out[j], a->dtype, cons[j].rows, cons[j].cols);
            if (status == DMF_OK) dmf_palm_default_start(a->dtype, &cons[j], j == first, out[j]->data);
        }
        if (status == DMF_OK) S[j] = out[j]->data;
    }
    dmf_palm_report rep = {0};
    double lambda = opts->init_lambda;
    int warm = 0; /* started from given factors: lambda is in A's scale */
    for (size_t j = 0; init && j < J; j++) warm |= init[j] != NULL && cons[j].kind != DMF_CONS_CONST;
    if (status == DMF_OK) status = dmf_palm_core(be, a->dtype, a->data, J, dims, S, cons, opts, &lambda, warm, &rep);
    if (status != DMF_OK)
        for (size_t j = 0; j < J; j++) {
            dmf_matrix_free(out[j]);
            out[j] = NULL;
        }
    free(dims);
    free(S);
    rep.time_s = dmf_now_seconds() - start;
    if (report) *report = rep;
    return status;
}
