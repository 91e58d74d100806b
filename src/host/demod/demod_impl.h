/* Algorithm 1 in one real dtype (REAL: float or double), instantiated twice
 * by demod.c.  Vectors are REAL; objectives, norms and steps are summed and
 * kept in double. */
#if DMF_TYPE_ID == 0
#define EPS_R FLT_EPSILON
#define DTYPE_R DMF_F32
#else
#define EPS_R DBL_EPSILON
#define DTYPE_R DMF_F64
#endif

typedef struct {
    const dmf_backend *backend;
    const dmf_generator *g1, *g2;
    size_t batch, n1, n2, l;
    const REAL *y0;
    dmf_gen_workspace w1, w2; /* sized for 2 * batch (the sign check) */
    REAL *buf1, *buf2, *v;    /* 2*batch x n1, 2*batch x n2, batch x l */
} FN(solver);

static double FN(dot)(const REAL *a, const REAL *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)a[i] * b[i];
    return s;
}

/* Forward passes of count rows through each generator (row B + t of the
 * sign check runs through trial t's network: relu_index.h). */
static int FN(forward_both)(FN(solver) *s, const REAL *h, const REAL *m, size_t count)
{
    DMF_TRY(s->backend->relu_forward(DTYPE_R, s->g1->depth, s->g1->layers, count, h, s->w1.acts));
    return s->backend->relu_forward(DTYPE_R, s->g2->depth, s->g2->layers, count, m, s->w2.acts);
}

/* f of one trial from row row1 of G1's output and row row2 of G2's. */
static double FN(objective)(const FN(solver) *s, size_t trial, size_t row1, size_t row2)
{
    const REAL *a = (const REAL *)dmf_gen_output(s->g1, &s->w1) + row1 * s->l;
    const REAL *b = (const REAL *)dmf_gen_output(s->g2, &s->w2) + row2 * s->l;
    const REAL *y = s->y0 + trial * s->l;
    double f = 0;
    for (size_t e = 0; e < s->l; e++) {
        double r = (double)a[e] * b[e] - y[e];
        f += r * r;
    }
    return 0.5 * f;
}

static int FN(objectives)(FN(solver) *s, const REAL *h, const REAL *m, double *f)
{
    DMF_TRY(FN(forward_both)(s, h, m, s->batch));
    for (size_t t = 0; t < s->batch; t++) f[t] = FN(objective)(s, t, t, t);
    return DMF_OK;
}

/* Step 1: replace (h, m) by the best of (+-h, +-m). */
static int FN(sign_check)(FN(solver) *s, REAL *h, REAL *m, const unsigned char *frozen)
{
    const size_t B = s->batch, n1 = s->n1, n2 = s->n2;
    for (size_t t = 0; t < B; t++) {
        for (size_t i = 0; i < n1; i++) s->buf1[t * n1 + i] = h[t * n1 + i], s->buf1[(B + t) * n1 + i] = -h[t * n1 + i];
        for (size_t i = 0; i < n2; i++) s->buf2[t * n2 + i] = m[t * n2 + i], s->buf2[(B + t) * n2 + i] = -m[t * n2 + i];
    }
    DMF_TRY(FN(forward_both)(s, s->buf1, s->buf2, 2 * B));
    for (size_t t = 0; t < B; t++) {
        if (frozen[t]) continue;
        int best = 0;
        double best_f = FN(objective)(s, t, t, t);
        for (int c = 1; c < 4; c++) {
            double f = FN(objective)(s, t, (c & 1) ? B + t : t, (c & 2) ? B + t : t);
            if (f < best_f) best_f = f, best = c;
        }
        if (best & 1)
            for (size_t i = 0; i < n1; i++) h[t * n1 + i] = -h[t * n1 + i];
        if (best & 2)
            for (size_t i = 0; i < n2; i++) m[t * n2 + i] = -m[t * n2 + i];
    }
    return DMF_OK;
}

/* Gradient of f in h (which = 0) or in m (which = 1) at (h, m); also f. */
static int FN(gradient)(FN(solver) *s, const REAL *h, const REAL *m, int which, REAL *grad, double *f)
{
    DMF_TRY(FN(forward_both)(s, h, m, s->batch));
    const REAL *a = dmf_gen_output(s->g1, &s->w1), *b = dmf_gen_output(s->g2, &s->w2);
    for (size_t t = 0; t < s->batch; t++) {
        f[t] = FN(objective)(s, t, t, t);
        for (size_t e = 0; e < s->l; e++) {
            size_t k = t * s->l + e;
            double r = (double)a[k] * b[k] - s->y0[k];
            s->v[k] = (REAL)((which ? a[k] : b[k]) * r);
        }
    }
    const dmf_generator *g = which ? s->g2 : s->g1;
    dmf_gen_workspace *w = which ? &s->w2 : &s->w1;
    return s->backend->relu_backward(DTYPE_R, g->depth, g->layers, s->batch, (const void *const *)w->acts, s->v,
                                     grad, w->scratch);
}

/* One step of x (h or m) along -grad by the chosen rule.  eta[] carries the
 * per-trial step of backtracking from one iteration to the next. */
static int FN(take_step)(FN(solver) *s, REAL *h, REAL *m, int which, const REAL *grad, const double *f0,
                         const dmf_demod_options *o, double *eta, REAL *velocity, const unsigned char *frozen)
{
    const size_t B = s->batch, n = which ? s->n2 : s->n1;
    REAL *x = which ? m : h;
    if (o->step_rule != DMF_STEP_BACKTRACKING) {
        double base = o->step_rule == DMF_STEP_SCALED ? o->step * (double)s->l : o->step;
        for (size_t t = 0; t < B; t++) {
            if (frozen[t]) continue;
            for (size_t i = 0; i < n; i++) {
                REAL *vel = velocity + t * n + i;
                *vel = (REAL)(o->momentum * *vel - base * grad[t * n + i]);
                x[t * n + i] += *vel;
            }
        }
        return DMF_OK;
    }
    /* Armijo: accept eta when f(x - eta g) <= f(x) - eta ||g||^2 / 2. */
    REAL *trial_x = which ? s->buf2 : s->buf1;
    double *f = malloc(B * sizeof *f);
    unsigned char *done = malloc(B);
    if (!f || !done) {
        free(f);
        free(done);
        return dmf_fail(DMF_ERR_NOMEM, "cannot allocate backtracking state");
    }
    for (size_t t = 0; t < B; t++) done[t] = frozen[t] || FN(dot)(grad + t * n, grad + t * n, n) == 0;
    /* A step that cannot change x in floating point ends the search without
     * moving: near a minimizer rounding makes Armijo fail at every eta. */
    for (size_t t = 0; t < B; t++)
        if (!done[t] && eta[t] * sqrt(FN(dot)(grad + t * n, grad + t * n, n)) <=
                            EPS_R * sqrt(FN(dot)(x + t * n, x + t * n, n)))
            done[t] = 1, eta[t] *= 2;
    int status = DMF_OK;
    for (int round = 0; round < 60 && status == DMF_OK; round++) {
        size_t open = 0;
        for (size_t t = 0; t < B; t++) {
            for (size_t i = 0; i < n; i++)
                trial_x[t * n + i] = (REAL)(x[t * n + i] - (done[t] ? 0 : eta[t]) * grad[t * n + i]);
            open += !done[t];
        }
        if (!open) break;
        status = FN(objectives)(s, which ? h : trial_x, which ? trial_x : m, f);
        for (size_t t = 0; t < B && status == DMF_OK; t++) {
            if (done[t]) continue;
            double g2 = FN(dot)(grad + t * n, grad + t * n, n);
            if (f[t] <= f0[t] - 0.5 * eta[t] * g2) {
                memcpy(x + t * n, trial_x + t * n, n * sizeof *x);
                done[t] = 1;
                eta[t] *= 2; /* start the next search a little larger */
            } else {
                eta[t] *= 0.5;
                if (eta[t] * sqrt(g2) <= EPS_R * sqrt(FN(dot)(x + t * n, x + t * n, n))) done[t] = 1;
            }
        }
    }
    free(f);
    free(done);
    return status;
}

static void FN(balance)(REAL *h, REAL *m, size_t n1, size_t n2, REAL *vh, REAL *vm)
{
    double nh = sqrt(FN(dot)(h, h, n1)), nm = sqrt(FN(dot)(m, m, n2));
    if (nh == 0 || nm == 0) return;
    double c = sqrt(nh / nm);
    for (size_t i = 0; i < n1; i++) h[i] = (REAL)(h[i] / c), vh[i] = (REAL)(vh[i] / c);
    for (size_t i = 0; i < n2; i++) m[i] = (REAL)(m[i] * c), vm[i] = (REAL)(vm[i] * c);
}

/* Runs Algorithm 1 on B trials; h, m hold the starts and receive the
 * estimates.  Per trial: iters, state (0 running out of iterations, 1
 * diverged, 2 met the tolerance), final f; trace as dmf_demod_solve. */
static int FN(demod_run)(dmf_context *ctx, const dmf_generator *g1, const dmf_generator *g2, const REAL *y0,
                         size_t B, REAL *h, REAL *m, const dmf_demod_options *o, const double *ynorm,
                         size_t *iters, unsigned char *frozen, double *f, double *trace)
{
    FN(solver) s = {.backend = dmf_context_backend(ctx), .g1 = g1, .g2 = g2, .batch = B,
                    .n1 = g1->sizes[0], .n2 = g2->sizes[0], .l = g1->sizes[g1->depth], .y0 = y0};
    const size_t n1 = s.n1, n2 = s.n2;
    int status = dmf_gen_workspace_init(&s.w1, g1, 2 * B);
    if (status == DMF_OK) status = dmf_gen_workspace_init(&s.w2, g2, 2 * B);
    s.buf1 = dmf_alloc(2 * B * n1, sizeof(REAL));
    s.buf2 = dmf_alloc(2 * B * n2, sizeof(REAL));
    s.v = dmf_alloc(B * s.l, sizeof(REAL));
    REAL *gh = dmf_alloc(B * n1, sizeof(REAL)), *gm = dmf_alloc(B * n2, sizeof(REAL));
    REAL *vh = dmf_alloc(B * n1, sizeof(REAL)), *vm = dmf_alloc(B * n2, sizeof(REAL));
    double *eta_h = dmf_alloc(B, sizeof(double)), *eta_m = dmf_alloc(B, sizeof(double));
    if (status == DMF_OK && !(s.buf1 && s.buf2 && s.v && gh && gm && vh && vm && eta_h && eta_m))
        status = dmf_fail(DMF_ERR_NOMEM, "cannot allocate the state of %zu trials", B);
    /* Backtracking starts near 1 / curvature: l 4^d / ||x||^2 for the other factor x. */
    double curvature_scale = (double)s.l * pow(4.0, 0.5 * (double)(g1->depth + g2->depth));
    for (size_t t = 0; status == DMF_OK && t < B; t++) {
        double nm2 = FN(dot)(m + t * n2, m + t * n2, n2), nh2 = FN(dot)(h + t * n1, h + t * n1, n1);
        eta_h[t] = o->step * curvature_scale / (nm2 > 0 ? nm2 : 1);
        eta_m[t] = o->step * curvature_scale / (nh2 > 0 ? nh2 : 1);
    }
    for (size_t it = 0; status == DMF_OK && it < o->iterations; it++) {
        size_t active = 0;
        for (size_t t = 0; t < B; t++) active += !frozen[t];
        if (!active) break;
        if (o->sign_check) status = FN(sign_check)(&s, h, m, frozen);
        if (status == DMF_OK) status = FN(gradient)(&s, h, m, 0, gh, f);
        if (status == DMF_OK) status = FN(take_step)(&s, h, m, 0, gh, f, o, eta_h, vh, frozen);
        if (status == DMF_OK) status = FN(gradient)(&s, h, m, 1, gm, f);
        if (status == DMF_OK) status = FN(take_step)(&s, h, m, 1, gm, f, o, eta_m, vm, frozen);
        for (size_t t = 0; status == DMF_OK && t < B; t++)
            if (!frozen[t]) FN(balance)(h + t * n1, m + t * n2, n1, n2, vh + t * n1, vm + t * n2);
        if (status == DMF_OK) status = FN(objectives)(&s, h, m, f);
        for (size_t t = 0; status == DMF_OK && t < B; t++) {
            if (trace) trace[t * o->iterations + it] = f[t];
            if (frozen[t]) continue;
            iters[t] = it + 1;
            if (!isfinite(f[t])) frozen[t] = 1; /* diverged: reported by the caller */
            else if (sqrt(2 * f[t]) <= o->tol * ynorm[t]) frozen[t] = 2;
        }
    }
    if (status == DMF_OK) status = FN(objectives)(&s, h, m, f);
    dmf_gen_workspace_free(&s.w1);
    dmf_gen_workspace_free(&s.w2);
    free(s.buf1), free(s.buf2), free(s.v), free(gh), free(gm), free(vh), free(vm), free(eta_h), free(eta_m);
    return status;
}

#undef EPS_R
#undef DTYPE_R
