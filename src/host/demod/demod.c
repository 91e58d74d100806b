/* Blind demodulation with generative priors: Algorithm 1 of Hand & Joshi
 * (NeurIPS 2019) for a batch of independent trials in one call: every
 * network pass is one backend call for the whole batch.
 *
 *   f(h, m) = 1/2 ||G1(h) . G2(m) - y0||^2
 *   1. (h, m) <- the best of (+-h, +-m) by f           (sign check)
 *   2. h <- h - eta grad_h f(h, m);  m <- m - eta grad_m f(h_new, m)
 *   3. c = sqrt(||h|| / ||m||),  h <- h / c,  m <- m c  (balancing)
 *
 * grad_h f = J1(h)^T (G2(m) . r), grad_m f = J2(m)^T (G1(h) . r), r the
 * residual.  The vectors live in the generators' dtype (f32 or f64,
 * demod_impl.h); each generator is one network shared by the batch or one
 * network per trial.  Step rules: fixed eta, eta scaled by the output size
 * l (the curvature of f in h is about ||m||^2 / (l 4^d) for the paper's weights),
 * or Armijo backtracking per trial.
 *
 * The vectors stay in host memory on every backend: on CUDA each network
 * pass copies its input and activations to the device and back (the
 * weights are cached there).  Keeping the batch state on the device, with
 * the elementwise steps below as device kernels, is the next step. */
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "generator.h"
#include "memory.h"

void dmf_demod_options_default(dmf_demod_options *o)
{
    *o = (dmf_demod_options){.iterations = 500, .step = 1.0, .step_rule = DMF_STEP_BACKTRACKING,
                             .momentum = 0.0, .tol = 1e-7, .sign_check = 1, .success_tol = 1e-3};
}

#define DMF_TYPE_ID 0
#include "scalar_begin.h"
#include "demod_impl.h"
#include "scalar_end.h"
#define DMF_TYPE_ID 1
#include "scalar_begin.h"
#include "demod_impl.h"
#include "scalar_end.h"

static double dot(const double *a, const double *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

/* ||(h,m) - (h0,m0)|| / ||(h0,m0)|| with both pairs balanced. */
static double balanced_error(const double *h, const double *m, const double *h0, const double *m0, size_t n1,
                             size_t n2)
{
    double nh = sqrt(dot(h, h, n1)), nm = sqrt(dot(m, m, n2));
    double nh0 = sqrt(dot(h0, h0, n1)), nm0 = sqrt(dot(m0, m0, n2));
    if (nh0 == 0 || nm0 == 0) return NAN;
    double c = nh > 0 && nm > 0 ? sqrt(nh / nm) : 1, c0 = sqrt(nh0 / nm0);
    double diff = 0, norm = 0;
    for (size_t i = 0; i < n1; i++) {
        double d = h[i] / c - h0[i] / c0;
        diff += d * d;
        norm += (h0[i] / c0) * (h0[i] / c0);
    }
    for (size_t i = 0; i < n2; i++) {
        double d = m[i] * c - m0[i] * c0;
        diff += d * d;
        norm += (m0[i] * c0) * (m0[i] * c0);
    }
    return sqrt(diff / norm);
}

static int check_args(const dmf_generator *g1, const dmf_generator *g2, const double *y0, size_t batch,
                      const dmf_demod_options *o)
{
    if (dmf_generator_output_size(g1) != dmf_generator_output_size(g2))
        return dmf_fail(DMF_ERR_SHAPE, "the generators' outputs differ: %zu and %zu", dmf_generator_output_size(g1),
                        dmf_generator_output_size(g2));
    if (batch == 0) return dmf_fail(DMF_ERR_ARG, "no trials");
    if (g1->dtype != g2->dtype)
        return dmf_fail(DMF_ERR_ARG, "the generators differ in dtype: %s and %s", dmf_dtype_name(g1->dtype),
                        dmf_dtype_name(g2->dtype));
    const dmf_generator *gens[2] = {g1, g2};
    for (int k = 0; k < 2; k++)
        if (gens[k]->networks != 1 && gens[k]->networks != batch)
            return dmf_fail(DMF_ERR_SHAPE, "generator %d has %zu networks: give 1 (shared) or one per trial (%zu)",
                            k + 1, gens[k]->networks, batch);
    if (!(o->step > 0) || !isfinite(o->step)) return dmf_fail(DMF_ERR_ARG, "step must be > 0 (got %g)", o->step);
    if (!(o->momentum >= 0 && o->momentum < 1))
        return dmf_fail(DMF_ERR_ARG, "momentum must be in [0, 1) (got %g)", o->momentum);
    if (o->momentum > 0 && o->step_rule == DMF_STEP_BACKTRACKING)
        return dmf_fail(DMF_ERR_ARG, "momentum goes with the fixed or scaled step rules, not backtracking");
    size_t l = dmf_generator_output_size(g1);
    for (size_t e = 0; e < batch * l; e++)
        if (!isfinite(y0[e]))
            return dmf_fail(DMF_ERR_NUMERIC, "observation of trial %zu, entry %zu is not finite", e / l, e % l);
    return DMF_OK;
}

int dmf_demod_solve(dmf_context *ctx, const dmf_generator *g1, const dmf_generator *g2, const double *y0,
                    size_t batch, double *h, double *m, const double *h0, const double *m0,
                    const dmf_demod_options *opts, dmf_demod_trial *trials, double *trace)
{
    dmf_demod_options o;
    if (opts) o = *opts;
    else dmf_demod_options_default(&o);
    DMF_TRY(check_args(g1, g2, y0, batch, &o));
    const size_t B = batch, n1 = g1->sizes[0], n2 = g2->sizes[0], l = g1->sizes[g1->depth];
    const dmf_dtype dtype = g1->dtype;
    DMF_TRY(dmf_memory_check((double)B * ((double)(l + n1 + n2) * (double)dmf_dtype_size(dtype) + 25),
                             "the state of %zu trials", B));
    void *yr = dmf_reals_from_f64(dtype, y0, B * l), *hr = dmf_reals_from_f64(dtype, h, B * n1), *mr = dmf_reals_from_f64(dtype, m, B * n2);
    double *f = dmf_alloc(B, sizeof(double)), *ynorm = dmf_alloc(B, sizeof(double));
    unsigned char *frozen = calloc(B, 1);
    size_t *iters = calloc(B, sizeof *iters);
    int status = yr && hr && mr && f && ynorm && frozen && iters
                     ? DMF_OK
                     : dmf_fail(DMF_ERR_NOMEM, "cannot allocate the state of %zu trials", B);
    for (size_t t = 0; status == DMF_OK && t < B; t++) ynorm[t] = sqrt(dot(y0 + t * l, y0 + t * l, l));
    if (status == DMF_OK)
        status = dtype == DMF_F32 ? demod_run_s(ctx, g1, g2, yr, B, hr, mr, &o, ynorm, iters, frozen, f, trace)
                                  : demod_run_d(ctx, g1, g2, yr, B, hr, mr, &o, ynorm, iters, frozen, f, trace);
    if (status == DMF_OK) {
        dmf_reals_to_f64(dtype, hr, B * n1, h);
        dmf_reals_to_f64(dtype, mr, B * n2, m);
    }
    for (size_t t = 0; status == DMF_OK && t < B; t++) {
        dmf_demod_trial *tr = &trials[t];
        tr->iterations = iters[t];
        tr->objective = f[t];
        tr->converged = frozen[t] == 2;
        tr->rel_residual = ynorm[t] > 0 ? sqrt(2 * f[t]) / ynorm[t] : sqrt(2 * f[t]);
        tr->rel_error = h0 && m0 ? balanced_error(h + t * n1, m + t * n2, h0 + t * n1, m0 + t * n2, n1, n2) : NAN;
        tr->success = h0 && m0 && tr->rel_error <= o.success_tol;
    }
    free(yr), free(hr), free(mr), free(f), free(ynorm), free(frozen), free(iters);
    return status;
}
