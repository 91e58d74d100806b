/* Hierarchical PALM (Le Magoarou & Gribonval, Algorithm 2; the semantics of
 * pyfaust.fact.hierarchical): the factors are peeled off one at a time.
 * Step i splits the residual factor T (A itself at step 0) in two by a
 * two-factor PALM, T ~ lambda' S_i T' (or T' S_i when peeling off the right
 * end), multiplies the scale lambda' into the global one, and then refines
 * all factors found so far together with T' against A by PALM, starting
 * where they are.  The constraints of step i are fact_cons[i] for S_i and
 * res_cons[i] for the new residual T'. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "palm_internal.h"

void dmf_hierarchical_options_default(dmf_hierarchical_options *o)
{
    memset(o, 0, sizeof *o);
    dmf_palm_options_default(&o->local);
    dmf_palm_options_default(&o->global);
}

/* The shapes chain: step i splits a rows x cols residual. */
static int check_steps(const dmf_matrix *a, const dmf_constraint *fact, const dmf_constraint *res, size_t J,
                       int left)
{
    size_t rows = a->rows, cols = a->cols;
    char what[64];
    for (size_t i = 0; i + 1 < J; i++) {
        snprintf(what, sizeof what, "fact constraint %zu", i);
        DMF_TRY(dmf_palm_check_constraint(&fact[i], a->dtype, what));
        DMF_TRY(dmf_palm_check_size(fact[i].rows * fact[i].cols, what));
        snprintf(what, sizeof what, "res constraint %zu", i);
        DMF_TRY(dmf_palm_check_constraint(&res[i], a->dtype, what));
        DMF_TRY(dmf_palm_check_size(res[i].rows * res[i].cols, what));
        const dmf_constraint *l = left ? &res[i] : &fact[i], *r = left ? &fact[i] : &res[i];
        if (l->rows != rows || r->cols != cols || l->cols != r->rows)
            return dmf_fail(DMF_ERR_SHAPE, "step %zu splits the %zu x %zu %s into %s (%zu x %zu) times %s (%zu x %zu): "
                            "the shapes do not chain", i, rows, cols, i ? "residual" : "matrix",
                            left ? "res constraint" : "fact constraint", l->rows, l->cols,
                            left ? "fact constraint" : "res constraint", r->rows, r->cols);
        rows = res[i].rows;
        cols = res[i].cols;
    }
    return DMF_OK;
}

int dmf_hierarchical(dmf_context *ctx, const dmf_matrix *a, const dmf_constraint *fact, const dmf_constraint *res,
                     size_t J, const dmf_hierarchical_options *opts, dmf_matrix **out, dmf_palm_report *report)
{
    double start = dmf_now_seconds();
    if (!a || !fact || !res || !out) return dmf_fail(DMF_ERR_ARG, "dmf_hierarchical: a, the constraints and out are required");
    for (size_t j = 0; j < J; j++) out[j] = NULL;
    if (J < 2) return dmf_fail(DMF_ERR_ARG, "dmf_hierarchical: at least two factors are needed (got %zu)", J);
    dmf_hierarchical_options defaults;
    if (!opts) {
        dmf_hierarchical_options_default(&defaults);
        opts = &defaults;
    }
    const int left = opts->fact_side_left != 0;
    const dmf_backend *be = ctx ? dmf_context_backend(ctx) : dmf_backend_cpu();
    DMF_TRY(dmf_palm_backend_check(be));
    DMF_TRY(dmf_palm_check_options(&opts->local, "the local PALM options"));
    DMF_TRY(dmf_palm_check_options(&opts->global, "the global PALM options"));
    DMF_TRY(dmf_matrix_check_finite(a));
    DMF_TRY(dmf_palm_check_size(a->rows * a->cols, "A"));
    DMF_TRY(check_steps(a, fact, res, J, left));
    /* The factors found so far in product order (n of them) and theirs
     * constraints; the residual is the last (right) or the first (left). */
    dmf_matrix **F = calloc(J, sizeof *F);
    dmf_constraint *C = calloc(J, sizeof *C);
    void **S = calloc(J, sizeof *S);
    size_t *dims = calloc(J + 1, sizeof *dims);
    int status = F && C && S && dims ? DMF_OK : dmf_fail(DMF_ERR_NOMEM, "cannot allocate %zu factors", J);
    double lambda = opts->global.init_lambda;
    dmf_palm_report rep = {0}, step_rep;
    size_t n = 0;
    for (size_t i = 0; status == DMF_OK && i + 1 < J; i++) {
        /* Split the residual T in two. */
        const void *T = i == 0 ? a->data : F[left ? 0 : n - 1]->data;
        dmf_constraint pair[2] = {left ? res[i] : fact[i], left ? fact[i] : res[i]};
        dmf_matrix *two[2] = {NULL, NULL};
        size_t pd[3] = {pair[0].rows, pair[0].cols, pair[1].cols};
        size_t first = opts->local.update_right_to_left ? 1 : 0;
        for (size_t t = 0; status == DMF_OK && t < 2; t++) {
            status = dmf_matrix_create(&two[t], a->dtype, pair[t].rows, pair[t].cols);
            if (status == DMF_OK) dmf_palm_default_start(a->dtype, &pair[t], t == first, two[t]->data);
        }
        double local_lambda = opts->local.init_lambda;
        void *ps[2] = {two[0] ? two[0]->data : NULL, two[1] ? two[1]->data : NULL};
        if (status == DMF_OK)
            status = dmf_palm_core(be, a->dtype, T, 2, pd, ps, pair, &opts->local, &local_lambda, 0, &step_rep);
        if (status == DMF_OK) rep.iterations += step_rep.iterations;
        else status = dmf_fail_context(status, "step %zu, the split of the residual", i);
        if (status != DMF_OK) {
            dmf_matrix_free(two[0]);
            dmf_matrix_free(two[1]);
            break;
        }
        lambda *= local_lambda;
        /* Replace the residual by the pair. */
        if (left) {
            if (n) {
                dmf_matrix_free(F[0]);
                memmove(F + 2, F + 1, (n - 1) * sizeof *F);
                memmove(C + 2, C + 1, (n - 1) * sizeof *C);
            }
            F[0] = two[0], F[1] = two[1];
            C[0] = pair[0], C[1] = pair[1];
        } else {
            if (n) dmf_matrix_free(F[n - 1]);
            size_t at = n ? n - 1 : 0;
            F[at] = two[0], F[at + 1] = two[1];
            C[at] = pair[0], C[at + 1] = pair[1];
        }
        n = n ? n + 1 : 2;
        /* Refine everything against A. */
        dims[0] = a->rows;
        for (size_t j = 0; j < n; j++) {
            S[j] = F[j]->data;
            dims[j + 1] = F[j]->cols;
        }
        status = dmf_palm_core(be, a->dtype, a->data, n, dims, S, C, &opts->global, &lambda, 1, &step_rep);
        if (status == DMF_OK) rep.iterations += step_rep.iterations;
        else status = dmf_fail_context(status, "step %zu, the refinement of %zu factors", i, n);
        rep.rel_error = step_rep.rel_error;
        rep.stopped_by = step_rep.stopped_by;
    }
    for (size_t j = 0; j < n; j++) {
        if (status == DMF_OK) out[j] = F[j];
        else dmf_matrix_free(F[j]);
    }
    free(F);
    free(C);
    free(S);
    free(dims);
    rep.lambda = lambda;
    rep.time_s = dmf_now_seconds() - start;
    if (report) *report = rep;
    return status;
}
