/* Refinement of a chain by PALM (docs/palm.md) with each factor held to
 * its Kronecker-sparse support, from the hierarchical result (dmf
 * butterfly factor --refine, butterfly_factor(refine=) in Python).  PALM
 * works on dense factors, so this is meant for moderate sizes. */
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* Dense factor k and its 0/1 support from the compact blocks:
 * F[i b d + beta d + v, i c d + gamma d + v] = blocks[((i d + v) b + beta) c + gamma]. */
static int dense_factor(const dmf_chain *chain, size_t k, dmf_matrix **f, dmf_matrix **s)
{
    size_t a, b, c, d;
    int status = dmf_chain_support(chain, k, &a, &b, &c, &d);
    dmf_dtype dt = dmf_chain_dtype(chain);
    size_t rows = a * b * d, cols = a * c * d, size = dmf_dtype_size(dt);
    if (status == DMF_OK) status = dmf_matrix_create(f, dt, rows, cols);
    if (status == DMF_OK) status = dmf_matrix_create(s, DMF_F64, rows, cols);
    if (status != DMF_OK) return status;
    const char *blocks = dmf_chain_const_blocks(chain, k);
    char *fd = dmf_matrix_data(*f);
    double *sd = dmf_matrix_data(*s);
    memset(fd, 0, rows * cols * size);
    memset(sd, 0, rows * cols * sizeof *sd);
    for (size_t i = 0; i < a; i++)
        for (size_t v = 0; v < d; v++)
            for (size_t beta = 0; beta < b; beta++)
                for (size_t gamma = 0; gamma < c; gamma++) {
                    size_t e = (i * b * d + beta * d + v) * cols + i * c * d + gamma * d + v;
                    memcpy(fd + e * size, blocks + (((i * d + v) * b + beta) * c + gamma) * size, size);
                    sd[e] = 1;
                }
    return DMF_OK;
}

/* x *= t (real), any dtype. */
static void scale(dmf_matrix *x, double t)
{
    dmf_dtype dt = dmf_matrix_dtype(x);
    size_t reals = dmf_matrix_rows(x) * dmf_matrix_cols(x) * (dmf_dtype_is_complex(dt) ? 2 : 1);
    void *d = dmf_matrix_data(x);
    if (dt == DMF_F32 || dt == DMF_C64)
        for (size_t e = 0; e < reals; e++) ((float *)d)[e] *= (float)t;
    else
        for (size_t e = 0; e < reals; e++) ((double *)d)[e] *= t;
}

/* The reverse of dense_factor. */
static void store_factor(dmf_chain *chain, size_t k, const dmf_matrix *f)
{
    size_t a, b, c, d;
    dmf_chain_support(chain, k, &a, &b, &c, &d);
    dmf_dtype dt = dmf_chain_dtype(chain);
    size_t cols = a * c * d, size = dmf_dtype_size(dt);
    char *blocks = dmf_chain_blocks(chain, k);
    const char *fd = dmf_matrix_const_data(f);
    for (size_t i = 0; i < a; i++)
        for (size_t v = 0; v < d; v++)
            for (size_t beta = 0; beta < b; beta++)
                for (size_t gamma = 0; gamma < c; gamma++) {
                    size_t e = (i * b * d + beta * d + v) * cols + i * c * d + gamma * d + v;
                    memcpy(blocks + (((i * d + v) * b + beta) * c + gamma) * size, fd + e * size, size);
                }
}

int dmf_chain_refine(dmf_context *ctx, const dmf_matrix *a, dmf_chain *chain, size_t iters, double before,
                     dmf_refine_report *r)
{
    memset(r, 0, sizeof *r);
    if (iters == 0) return dmf_fail(DMF_ERR_ARG, "a refinement needs at least one iteration");
    size_t L = dmf_chain_num_factors(chain);
    dmf_matrix **f = calloc(2 * L + 1, sizeof *f), **s = f ? f + L : NULL, **out = calloc(L + 1, sizeof *out);
    dmf_constraint *cons = calloc(L + 1, sizeof *cons);
    dmf_matrix *target = NULL;
    int status = f && out && cons ? DMF_OK : dmf_fail(DMF_ERR_NOMEM, "cannot allocate the refinement");
    /* The chain stands for A[perm_rows][:, perm_cols]; PALM fits that. */
    const size_t *pr = dmf_chain_perm_rows(chain), *pc = dmf_chain_perm_cols(chain);
    if (status == DMF_OK && (pr || pc)) status = dmf_matrix_permute(a, pr, pc, &target);
    for (size_t k = 0; status == DMF_OK && k < L; k++) {
        status = dense_factor(chain, k, &f[k], &s[k]);
        if (status == DMF_OK)
            cons[k] = (dmf_constraint){.kind = DMF_CONS_SUPP, .rows = dmf_matrix_rows(s[k]),
                                       .cols = dmf_matrix_cols(s[k]), .matrix = s[k], .normalized = 1};
    }
    /* PALM's parametrization: unit-norm factors, the scale in lambda; a
     * start in it keeps the first sweep from undoing the chain. */
    double lambda = 1;
    for (size_t k = 0; status == DMF_OK && k < L; k++) {
        double norm = dmf_matrix_norm_fro(f[k]);
        if (norm > 0) scale(f[k], 1 / norm), lambda *= norm;
    }
    dmf_palm_report rep = {0};
    if (status == DMF_OK) {
        dmf_palm_options o;
        dmf_palm_options_default(&o);
        o.stop.num_its = iters;
        o.init_lambda = lambda;
        status = dmf_palm4msa(ctx, target ? target : a, cons, L, (const dmf_matrix *const *)f, &o, out, &rep);
    }
    if (status == DMF_OK) {
        r->iterations = rep.iterations;
        r->palm_error = rep.rel_error;
        r->kept = rep.rel_error < before;
        if (r->kept) scale(out[0], rep.lambda);
        for (size_t k = 0; r->kept && k < L; k++) store_factor(chain, k, out[k]);
    }
    for (size_t k = 0; k < L && f && out; k++) {
        dmf_matrix_free(f[k]);
        dmf_matrix_free(s[k]);
        dmf_matrix_free(out[k]);
    }
    free(f), free(out), free(cons);
    dmf_matrix_free(target);
    return status;
}
