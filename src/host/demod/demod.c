/* Blind demodulation with generative priors: Algorithm 1 of Hand & Joshi
 * (NeurIPS 2019) for a batch of independent trials that share the two
 * generators, so every network pass is one GEMM per layer for the batch.
 *
 *   f(h, m) = 1/2 ||G1(h) . G2(m) - y0||^2
 *   1. (h, m) <- the best of (+-h, +-m) by f           (sign check)
 *   2. h <- h - eta grad_h f(h, m);  m <- m - eta grad_m f(h_new, m)
 *   3. c = sqrt(||h|| / ||m||),  h <- h / c,  m <- m c  (balancing)
 *
 * grad_h f = J1(h)^T (G2(m) . r), grad_m f = J2(m)^T (G1(h) . r), r the
 * residual.  Step rules: fixed eta, eta scaled by the output size l (the
 * curvature of f in h is about ||m||^2 / (l 4^d) for the paper's weights),
 * or Armijo backtracking per trial. */
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "generator.h"

void dmf_demod_options_default(dmf_demod_options *o)
{
    *o = (dmf_demod_options){.iterations = 500, .step = 1.0, .step_rule = DMF_STEP_BACKTRACKING,
                             .momentum = 0.0, .tol = 1e-7, .sign_check = 1, .success_tol = 1e-3};
}

typedef struct {
    dmf_context *ctx;
    const dmf_backend *backend;
    const dmf_generator *g1, *g2;
    size_t batch, n1, n2, l;
    const double *y0;
    dmf_gen_workspace w1, w2; /* sized for 2 * batch (the sign check) */
    double *buf1, *buf2, *v;  /* 2*batch x n1, 2*batch x n2, batch x l */
} solver;

static double dot(const double *a, const double *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

/* Forward passes of count rows through each generator. */
static int forward_both(solver *s, const double *h, const double *m, size_t count)
{
    DMF_TRY(s->backend->relu_forward(s->g1->depth, s->g1->layers, count, h, s->w1.acts));
    return s->backend->relu_forward(s->g2->depth, s->g2->layers, count, m, s->w2.acts);
}

/* f for each trial from the outputs of rows a (of G1) and b (of G2). */
static double objective(const solver *s, size_t trial, size_t row1, size_t row2)
{
    const double *a = dmf_gen_output(s->g1, &s->w1) + row1 * s->l;
    const double *b = dmf_gen_output(s->g2, &s->w2) + row2 * s->l;
    const double *y = s->y0 + trial * s->l;
    double f = 0;
    for (size_t e = 0; e < s->l; e++) {
        double r = a[e] * b[e] - y[e];
        f += r * r;
    }
    return 0.5 * f;
}

static int objectives(solver *s, const double *h, const double *m, double *f)
{
    DMF_TRY(forward_both(s, h, m, s->batch));
    for (size_t t = 0; t < s->batch; t++) f[t] = objective(s, t, t, t);
    return DMF_OK;
}

/* Step 1: replace (h, m) by the best of (+-h, +-m). */
static int sign_check(solver *s, double *h, double *m, const unsigned char *frozen)
{
    const size_t B = s->batch;
    for (size_t t = 0; t < B; t++) {
        for (size_t i = 0; i < s->n1; i++) s->buf1[t * s->n1 + i] = h[t * s->n1 + i], s->buf1[(B + t) * s->n1 + i] = -h[t * s->n1 + i];
        for (size_t i = 0; i < s->n2; i++) s->buf2[t * s->n2 + i] = m[t * s->n2 + i], s->buf2[(B + t) * s->n2 + i] = -m[t * s->n2 + i];
    }
    DMF_TRY(forward_both(s, s->buf1, s->buf2, 2 * B));
    for (size_t t = 0; t < B; t++) {
        if (frozen[t]) continue;
        int best = 0;
        double best_f = objective(s, t, t, t);
        for (int c = 1; c < 4; c++) {
            double f = objective(s, t, (c & 1) ? B + t : t, (c & 2) ? B + t : t);
            if (f < best_f) best_f = f, best = c;
        }
        if (best & 1)
            for (size_t i = 0; i < s->n1; i++) h[t * s->n1 + i] = -h[t * s->n1 + i];
        if (best & 2)
            for (size_t i = 0; i < s->n2; i++) m[t * s->n2 + i] = -m[t * s->n2 + i];
    }
    return DMF_OK;
}

/* Gradient of f in h (which = 0) or in m (which = 1) at (h, m); also f. */
static int gradient(solver *s, const double *h, const double *m, int which, double *grad, double *f)
{
    DMF_TRY(forward_both(s, h, m, s->batch));
    const double *a = dmf_gen_output(s->g1, &s->w1), *b = dmf_gen_output(s->g2, &s->w2);
    for (size_t t = 0; t < s->batch; t++) {
        f[t] = objective(s, t, t, t);
        for (size_t e = 0; e < s->l; e++) {
            size_t k = t * s->l + e;
            double r = a[k] * b[k] - s->y0[k];
            s->v[k] = (which ? a[k] : b[k]) * r;
        }
    }
    const dmf_generator *g = which ? s->g2 : s->g1;
    dmf_gen_workspace *w = which ? &s->w2 : &s->w1;
    return s->backend->relu_backward(g->depth, g->layers, s->batch, (const double *const *)w->acts, s->v, grad,
                                     w->scratch);
}

/* One step of x (h or m) along -grad by the chosen rule.  eta[] carries the
 * per-trial step of backtracking from one iteration to the next. */
static int take_step(solver *s, double *h, double *m, int which, const double *grad, const double *f0,
                     const dmf_demod_options *o, double *eta, double *velocity, const unsigned char *frozen)
{
    const size_t B = s->batch, n = which ? s->n2 : s->n1;
    double *x = which ? m : h;
    if (o->step_rule != DMF_STEP_BACKTRACKING) {
        double base = o->step_rule == DMF_STEP_SCALED ? o->step * (double)s->l : o->step;
        for (size_t t = 0; t < B; t++) {
            if (frozen[t]) continue;
            for (size_t i = 0; i < n; i++) {
                double *vel = velocity + t * n + i;
                *vel = o->momentum * *vel - base * grad[t * n + i];
                x[t * n + i] += *vel;
            }
        }
        return DMF_OK;
    }
    /* Armijo: accept eta when f(x - eta g) <= f(x) - eta ||g||^2 / 2. */
    double *trial_x = which ? s->buf2 : s->buf1, *f = malloc(B * sizeof *f);
    unsigned char *done = malloc(B);
    if (!f || !done) {
        free(f);
        free(done);
        return dmf_fail(DMF_ERR_NOMEM, "cannot allocate backtracking state");
    }
    for (size_t t = 0; t < B; t++) done[t] = frozen[t] || dot(grad + t * n, grad + t * n, n) == 0;
    /* A step that cannot change x in floating point ends the search without
     * moving: near a minimizer rounding makes Armijo fail at every eta. */
    for (size_t t = 0; t < B; t++)
        if (!done[t] && eta[t] * sqrt(dot(grad + t * n, grad + t * n, n)) <=
                            DBL_EPSILON * sqrt(dot(x + t * n, x + t * n, n)))
            done[t] = 1, eta[t] *= 2;
    int status = DMF_OK;
    for (int round = 0; round < 60 && status == DMF_OK; round++) {
        size_t open = 0;
        for (size_t t = 0; t < B; t++) {
            for (size_t i = 0; i < n; i++)
                trial_x[t * n + i] = x[t * n + i] - (done[t] ? 0 : eta[t]) * grad[t * n + i];
            open += !done[t];
        }
        if (!open) break;
        status = objectives(s, which ? h : trial_x, which ? trial_x : m, f);
        for (size_t t = 0; t < B && status == DMF_OK; t++) {
            if (done[t]) continue;
            double g2 = dot(grad + t * n, grad + t * n, n);
            if (f[t] <= f0[t] - 0.5 * eta[t] * g2) {
                memcpy(x + t * n, trial_x + t * n, n * sizeof *x);
                done[t] = 1;
                eta[t] *= 2; /* start the next search a little larger */
            } else {
                eta[t] *= 0.5;
                if (eta[t] * sqrt(g2) <= DBL_EPSILON * sqrt(dot(x + t * n, x + t * n, n))) done[t] = 1;
            }
        }
    }
    free(f);
    free(done);
    return status;
}

static void balance(double *h, double *m, size_t n1, size_t n2, double *vh, double *vm)
{
    double nh = sqrt(dot(h, h, n1)), nm = sqrt(dot(m, m, n2));
    if (nh == 0 || nm == 0) return;
    double c = sqrt(nh / nm);
    for (size_t i = 0; i < n1; i++) h[i] /= c, vh[i] /= c;
    for (size_t i = 0; i < n2; i++) m[i] *= c, vm[i] *= c;
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
    solver s = {.ctx = ctx, .backend = dmf_context_backend(ctx), .g1 = g1, .g2 = g2, .batch = batch,
                .n1 = dmf_generator_input_size(g1), .n2 = dmf_generator_input_size(g2),
                .l = dmf_generator_output_size(g1), .y0 = y0};
    const size_t B = batch, n1 = s.n1, n2 = s.n2;
    int status = dmf_gen_workspace_init(&s.w1, g1, 2 * B);
    if (status == DMF_OK) status = dmf_gen_workspace_init(&s.w2, g2, 2 * B);
    s.buf1 = dmf_alloc(2 * B * n1, sizeof(double));
    s.buf2 = dmf_alloc(2 * B * n2, sizeof(double));
    s.v = dmf_alloc(B * s.l, sizeof(double));
    double *gh = dmf_alloc(B * n1, sizeof(double)), *gm = dmf_alloc(B * n2, sizeof(double));
    double *vh = dmf_alloc(B * n1, sizeof(double)), *vm = dmf_alloc(B * n2, sizeof(double));
    double *f = dmf_alloc(B, sizeof(double)), *eta_h = dmf_alloc(B, sizeof(double)), *eta_m = dmf_alloc(B, sizeof(double));
    double *ynorm = dmf_alloc(B, sizeof(double));
    unsigned char *frozen = calloc(B, 1);
    size_t *iters = calloc(B, sizeof *iters);
    if (status == DMF_OK && !(s.buf1 && s.buf2 && s.v && gh && gm && vh && vm && f && eta_h && eta_m && ynorm && frozen && iters))
        status = dmf_fail(DMF_ERR_NOMEM, "cannot allocate the state of %zu trials", B);
    /* Backtracking starts near 1 / curvature: l 4^d / ||x||^2 for the other factor x. */
    double curvature_scale = (double)s.l * pow(4.0, 0.5 * (double)(g1->depth + g2->depth));
    for (size_t t = 0; status == DMF_OK && t < B; t++) {
        ynorm[t] = sqrt(dot(y0 + t * s.l, y0 + t * s.l, s.l));
        double nm2 = dot(m + t * n2, m + t * n2, n2), nh2 = dot(h + t * n1, h + t * n1, n1);
        eta_h[t] = o.step * curvature_scale / (nm2 > 0 ? nm2 : 1);
        eta_m[t] = o.step * curvature_scale / (nh2 > 0 ? nh2 : 1);
    }
    for (size_t it = 0; status == DMF_OK && it < o.iterations; it++) {
        size_t active = 0;
        for (size_t t = 0; t < B; t++) active += !frozen[t];
        if (!active) break;
        if (o.sign_check) status = sign_check(&s, h, m, frozen);
        if (status == DMF_OK) status = gradient(&s, h, m, 0, gh, f);
        if (status == DMF_OK) status = take_step(&s, h, m, 0, gh, f, &o, eta_h, vh, frozen);
        if (status == DMF_OK) status = gradient(&s, h, m, 1, gm, f);
        if (status == DMF_OK) status = take_step(&s, h, m, 1, gm, f, &o, eta_m, vm, frozen);
        for (size_t t = 0; status == DMF_OK && t < B; t++)
            if (!frozen[t]) balance(h + t * n1, m + t * n2, n1, n2, vh + t * n1, vm + t * n2);
        if (status == DMF_OK) status = objectives(&s, h, m, f);
        for (size_t t = 0; status == DMF_OK && t < B; t++) {
            if (trace) trace[t * o.iterations + it] = f[t];
            if (frozen[t]) continue;
            iters[t] = it + 1;
            if (!isfinite(f[t])) frozen[t] = 1; /* diverged: reported below */
            else if (sqrt(2 * f[t]) <= o.tol * ynorm[t]) frozen[t] = 2;
        }
    }
    if (status == DMF_OK) status = objectives(&s, h, m, f);
    for (size_t t = 0; status == DMF_OK && t < B; t++) {
        dmf_demod_trial *tr = &trials[t];
        tr->iterations = iters[t];
        tr->objective = f[t];
        tr->converged = frozen[t] == 2;
        tr->rel_residual = ynorm[t] > 0 ? sqrt(2 * f[t]) / ynorm[t] : sqrt(2 * f[t]);
        tr->rel_error = h0 && m0 ? balanced_error(h + t * n1, m + t * n2, h0 + t * n1, m0 + t * n2, n1, n2) : NAN;
        tr->success = h0 && m0 && tr->rel_error <= o.success_tol;
    }
    dmf_gen_workspace_free(&s.w1);
    dmf_gen_workspace_free(&s.w2);
    free(s.buf1), free(s.buf2), free(s.v), free(gh), free(gm), free(vh), free(vm), free(f), free(eta_h);
    free(eta_m), free(ynorm), free(frozen), free(iters);
    return status;
}
