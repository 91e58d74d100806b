/* The whole hierarchical factorization on another backend compared with the
 * CPU backend, shared by test_cuda_factor (the GPU) and
 * test_factor_emulated (the CUDA kernels run on the CPU).
 *
 * For every tree (l2r, r2l, balanced, and [[0,1],[2,3]] for four factors):
 *  - exact inputs: both backends recover A within the bound of docs/butterfly.md (1e-12
 *    double, 1e-5 single), and the densified products agree:
 *      ||P_other - P_cpu||_F / (||P_cpu||_F N eps) <= 100,  N = max(rows, cols);
 *  - inexact inputs: the errors are equal within 1e-4 relative plus
 *    rows * eps, overall and per node, and the per-node outcome counts
 *    agree (none failed);
 *  - apply of the CPU's chain on the other backend to three vectors:
 *    ||y_other - y_cpu|| / (||y_cpu|| N eps) <= 10;
 *  - the factors of an exact chain are determined up to diagonal scalings
 *    between adjacent factors, so products, not factors, are compared. */
#ifndef DMF_TEST_FACTOR_CROSSCHECK_H
#define DMF_TEST_FACTOR_CROSSCHECK_H

#include <complex.h>
#include <math.h>
#include <string.h>

#include "check.h"
#include "internal.h"

/* Called after each factorization (both reports) and after each apply
 * (NULL reports), for checks of the other backend's own bookkeeping. */
typedef void (*factor_crosscheck_hook)(const char *what, const char *tree, const dmf_butterfly_report *other,
                                       const dmf_butterfly_report *cpu);

static double factor_tolerance(dmf_dtype dtype) { return dmf_dtype_eps(dtype) > 1e-10 ? 1e-5 : 1e-12; }

static dmf_matrix *factor_builtin(const char *name, size_t rows, size_t cols, dmf_dtype dtype, const size_t *m,
                                  const size_t *n, size_t L, double noise)
{
    dmf_matrix_spec spec = {name, rows, cols, dtype, noise, 42, m, n, m ? L : 0};
    dmf_matrix *a = NULL;
    CHECK_OK(dmf_matrix_builtin(&spec, &a));
    return a;
}

/* ||got - want||_F / (||want||_F max(rows, cols) eps). */
static double factor_matrix_ratio(const dmf_matrix *got, const dmf_matrix *want)
{
    dmf_dtype dt = dmf_matrix_dtype(want);
    size_t rows = dmf_matrix_rows(want), cols = dmf_matrix_cols(want);
    double diff = 0, norm = 0;
    for (size_t e = 0; e < rows * cols; e++) {
        double complex w = dmf_get(dt, dmf_matrix_const_data(want), e);
        diff += pow(cabs(dmf_get(dt, dmf_matrix_const_data(got), e) - w), 2);
        norm += pow(cabs(w), 2);
    }
    return sqrt(diff) / (sqrt(norm) * (double)(rows > cols ? rows : cols) * dmf_dtype_eps(dt));
}

static void factor_compare_nodes(const char *what, const char *tree, const dmf_matrix *a,
                                 const dmf_butterfly_report *ro, const dmf_butterfly_report *rc)
{
    dmf_dtype dt = dmf_matrix_dtype(a);
    CHECK(ro->num_nodes == rc->num_nodes, "%s: %zu nodes on the other backend, %zu on the CPU", what, ro->num_nodes,
          rc->num_nodes);
    for (size_t k = 0; k < ro->num_nodes && k < rc->num_nodes; k++) {
        const dmf_node_report *no = &ro->nodes[k], *nc = &rc->nodes[k];
        CHECK(no->p == nc->p && no->q == nc->q && no->split == nc->split && no->num_blocks == nc->num_blocks &&
                  no->blocks_failed == 0 &&
                  no->blocks_iterative + no->blocks_dense_svd == nc->blocks_iterative + nc->blocks_dense_svd,
              "%s %s node %zu: [%zu,%zu]/%zu %zu blocks (%zu it, %zu svd) vs [%zu,%zu]/%zu %zu (%zu, %zu)", what,
              tree, k, no->p, no->q, no->split, no->num_blocks, no->blocks_iterative, no->blocks_dense_svd, nc->p,
              nc->q, nc->split, nc->num_blocks, nc->blocks_iterative, nc->blocks_dense_svd);
        CHECK(fabs(no->rel_error - nc->rel_error) <= 1e-4 * nc->rel_error + (double)dmf_matrix_rows(a) * dmf_dtype_eps(dt),
              "%s %s node %zu: error other %.9g cpu %.9g", what, tree, k, no->rel_error, nc->rel_error);
    }
}

/* Apply of the CPU's chain on `other` against the CPU. */
static void factor_compare_apply(const char *what, const char *tree, dmf_context *other, const dmf_chain *cc)
{
    dmf_dtype dt = dmf_chain_dtype(cc);
    dmf_matrix *x = NULL, *yo = NULL, *yc = NULL;
    size_t nvec = 3, cols = dmf_chain_cols(cc);
    CHECK_OK(dmf_matrix_create(&x, dt, cols, nvec));
    for (size_t e = 0; x && e < cols * nvec; e++)
        dmf_set(dt, dmf_matrix_data(x), e, sin(1.0 + (double)e) + (dt >= DMF_C64 ? I * cos(2.0 * (double)e) : 0));
    CHECK_OK(dmf_chain_apply_ctx(other, cc, x, &yo));
    CHECK_OK(dmf_chain_apply(cc, x, &yc));
    if (yo && yc) {
        double ratio = factor_matrix_ratio(yo, yc);
        CHECK(ratio <= 10, "%s %s: apply other vs cpu ratio %.3g", what, tree, ratio);
    }
    dmf_matrix_free(x), dmf_matrix_free(yo), dmf_matrix_free(yc);
}

static void factor_crosscheck(const char *what, dmf_context *other, dmf_context *cpu, const dmf_matrix *a,
                              const size_t *m, const size_t *n, size_t L, size_t rank, int ortho, int exact,
                              factor_crosscheck_hook hook)
{
    const char *const trees[] = {"l2r", "r2l", "balanced", "[[0,1],[2,3]]"};
    dmf_dtype dt = dmf_matrix_dtype(a);
    for (int t = 0; t < 4; t++) {
        if (t == 3 && L != 4) continue;
        dmf_tree *tree;
        CHECK_OK(dmf_tree_create(&tree, trees[t], L));
        dmf_butterfly_options opts;
        dmf_butterfly_options_default(&opts);
        opts.rank = rank;
        opts.orthonormalize = ortho;
        dmf_chain *co = NULL, *cc = NULL;
        dmf_butterfly_report ro, rc;
        int st = dmf_butterfly_factor(other, a, m, n, L, tree, &opts, &co, &ro);
        CHECK(st == DMF_OK, "%s %s: %s factor -> %s (%s)", what, trees[t], dmf_context_backend_name(other),
              dmf_status_string(st), dmf_last_error());
        CHECK_OK(dmf_butterfly_factor(cpu, a, m, n, L, tree, &opts, &cc, &rc));
        if (hook) hook(what, trees[t], &ro, &rc);
        if (co && cc) {
            double eo = INFINITY, ec = INFINITY;
            CHECK_OK(dmf_chain_rel_error(co, a, &eo));
            CHECK_OK(dmf_chain_rel_error(cc, a, &ec));
            if (exact) {
                dmf_matrix *po = NULL, *pc = NULL;
                CHECK_OK(dmf_chain_densify(co, &po));
                CHECK_OK(dmf_chain_densify(cc, &pc));
                double ratio = po && pc ? factor_matrix_ratio(po, pc) : INFINITY;
                CHECK(eo <= factor_tolerance(dt) && ec <= factor_tolerance(dt) && ratio <= 100,
                      "%s %s %s ortho %d: rel error other %.3g cpu %.3g, product ratio %.3g", what,
                      dmf_dtype_name(dt), trees[t], ortho, eo, ec, ratio);
                dmf_matrix_free(po), dmf_matrix_free(pc);
            } else {
                CHECK(fabs(eo - ec) <= 1e-4 * ec + (double)dmf_matrix_rows(a) * dmf_dtype_eps(dt),
                      "%s %s %s ortho %d: noisy rel error other %.9g cpu %.9g", what, dmf_dtype_name(dt), trees[t],
                      ortho, eo, ec);
            }
            factor_compare_nodes(what, trees[t], a, &ro, &rc);
            factor_compare_apply(what, trees[t], other, cc);
            if (hook) hook(what, trees[t], NULL, NULL);
        }
        dmf_chain_free(co), dmf_chain_free(cc);
        dmf_tree_free(tree);
    }
}

#endif
