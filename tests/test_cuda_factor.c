/* End-to-end cross-check: the whole hierarchical factorization on the CUDA
 * backend against the CPU backend (skipped, exit 77, without a usable GPU).
 *
 * For every input, tree, dtype and option set:
 *  - exact inputs (Hadamard, bit-reversed DFT, random chains, mixed radix,
 *    rectangular, rank 2, radix 1): both backends recover A within the SPEC
 *    bound (1e-12 double, 1e-5 single), and the densified products agree:
 *      ||P_gpu - P_cpu||_F / (||P_cpu||_F N eps) <= 100,  N = max(rows, cols);
 *  - inexact input (noisy Hadamard, rank 2 of a Gaussian matrix): the GPU
 *    error equals the CPU error within 1e-4 relative plus rows * eps, per
 *    node and overall, and the per-node outcome counts agree;
 *  - apply on the GPU (dmf_chain_apply_ctx) of the CPU's chain to three
 *    vectors: ||y_gpu - y_cpu|| / (||y_cpu|| N eps) <= 10;
 *  - the factors of an exact chain are determined up to diagonal scalings
 *    between adjacent factors, so products, not factors, are compared. */
#include <complex.h>
#include <math.h>
#include <string.h>

#include "check.h"
#include "internal.h"

static double tolerance(dmf_dtype dtype) { return dmf_dtype_eps(dtype) > 1e-10 ? 1e-5 : 1e-12; }

static dmf_matrix *builtin(const char *name, size_t rows, size_t cols, dmf_dtype dtype, const size_t *m,
                           const size_t *n, size_t L, double noise)
{
    dmf_matrix_spec spec = {name, rows, cols, dtype, noise, 42, m, n, m ? L : 0};
    dmf_matrix *a = NULL;
    CHECK_OK(dmf_matrix_builtin(&spec, &a));
    return a;
}

static double product_ratio(const dmf_chain *gpu, const dmf_chain *cpu)
{
    dmf_matrix *pg = NULL, *pc = NULL;
    CHECK_OK(dmf_chain_densify(gpu, &pg));
    CHECK_OK(dmf_chain_densify(cpu, &pc));
    if (!pg || !pc) return INFINITY;
    dmf_dtype dt = dmf_matrix_dtype(pc);
    size_t rows = dmf_matrix_rows(pc), cols = dmf_matrix_cols(pc);
    double diff = 0, norm = 0;
    for (size_t e = 0; e < rows * cols; e++) {
        double complex c = dmf_get(dt, dmf_matrix_const_data(pc), e), g = dmf_get(dt, dmf_matrix_const_data(pg), e);
        diff += pow(cabs(g - c), 2);
        norm += pow(cabs(c), 2);
    }
    dmf_matrix_free(pg), dmf_matrix_free(pc);
    return sqrt(diff) / (sqrt(norm) * (double)(rows > cols ? rows : cols) * dmf_dtype_eps(dt));
}

static void compare(const char *what, dmf_context *gpu_ctx, dmf_context *cpu_ctx, const dmf_matrix *a,
                    const size_t *m, const size_t *n, size_t L, size_t rank, int ortho, int exact)
{
    const char *const trees[] = {"l2r", "r2l", "balanced", "[[0,1],[2,3]]"};
    for (int t = 0; t < 4; t++) {
        if (t == 3 && L != 4) continue;
        dmf_tree *tree;
        CHECK_OK(dmf_tree_create(&tree, trees[t], L));
        dmf_butterfly_options opts;
        dmf_butterfly_options_default(&opts);
        opts.rank = rank;
        opts.orthonormalize = ortho;
        dmf_chain *cg = NULL, *cc = NULL;
        dmf_butterfly_report rg, rc;
        int st = dmf_butterfly_factor(gpu_ctx, a, m, n, L, tree, &opts, &cg, &rg);
        CHECK(st == DMF_OK, "%s %s: cuda factor -> %s (%s)", what, trees[t], dmf_status_string(st), dmf_last_error());
        CHECK_OK(dmf_butterfly_factor(cpu_ctx, a, m, n, L, tree, &opts, &cc, &rc));
        if (cg && cc) {
            dmf_dtype dt = dmf_matrix_dtype(a);
            double eg = INFINITY, ec = INFINITY;
            CHECK_OK(dmf_chain_rel_error(cg, a, &eg));
            CHECK_OK(dmf_chain_rel_error(cc, a, &ec));
            if (exact) {
                CHECK(eg <= tolerance(dt) && ec <= tolerance(dt), "%s %s %s ortho %d: rel error gpu %.3g cpu %.3g",
                      what, dmf_dtype_name(dt), trees[t], ortho, eg, ec);
                double ratio = product_ratio(cg, cc);
                CHECK(ratio <= 100, "%s %s %s ortho %d: product ratio %.3g", what, dmf_dtype_name(dt), trees[t],
                      ortho, ratio);
            } else {
                CHECK(fabs(eg - ec) <= 1e-4 * ec + (double)dmf_matrix_rows(a) * dmf_dtype_eps(dt),
                      "%s %s %s ortho %d: noisy rel error gpu %.9g cpu %.9g", what, dmf_dtype_name(dt), trees[t],
                      ortho, eg, ec);
            }
            /* Apply on the GPU: the CPU's chain times a few vectors. */
            dmf_matrix *x = NULL, *yg = NULL, *yc = NULL;
            size_t nvec = 3, cols = dmf_chain_cols(cc);
            CHECK_OK(dmf_matrix_create(&x, dt, cols, nvec));
            for (size_t e = 0; x && e < cols * nvec; e++)
                dmf_set(dt, dmf_matrix_data(x), e, sin(1.0 + (double)e) + I * cos(2.0 * (double)e));
            if (dt == DMF_F32 || dt == DMF_F64)
                for (size_t e = 0; x && e < cols * nvec; e++) dmf_set(dt, dmf_matrix_data(x), e, sin(1.0 + (double)e));
            CHECK_OK(dmf_chain_apply_ctx(gpu_ctx, cc, x, &yg));
            CHECK_OK(dmf_chain_apply(cc, x, &yc));
            if (yg && yc) {
                double diff = 0, norm = 0;
                size_t rows = dmf_matrix_rows(yc);
                for (size_t e = 0; e < rows * nvec; e++) {
                    double complex c = dmf_get(dt, dmf_matrix_const_data(yc), e);
                    diff += pow(cabs(dmf_get(dt, dmf_matrix_const_data(yg), e) - c), 2);
                    norm += pow(cabs(c), 2);
                }
                double ratio = sqrt(diff) / (sqrt(norm) * (double)(rows > cols ? rows : cols) * dmf_dtype_eps(dt));
                CHECK(ratio <= 10, "%s %s: apply gpu vs cpu ratio %.3g", what, trees[t], ratio);
            }
            dmf_matrix_free(x), dmf_matrix_free(yg), dmf_matrix_free(yc);
            CHECK(rg.num_nodes == rc.num_nodes, "%s: %zu nodes on the GPU, %zu on the CPU", what, rg.num_nodes,
                  rc.num_nodes);
            for (size_t k = 0; k < rg.num_nodes && k < rc.num_nodes; k++) {
                const dmf_node_report *ng = &rg.nodes[k], *nc = &rc.nodes[k];
                CHECK(ng->p == nc->p && ng->q == nc->q && ng->split == nc->split && ng->num_blocks == nc->num_blocks &&
                          ng->blocks_failed == 0 &&
                          ng->blocks_iterative + ng->blocks_dense_svd == nc->blocks_iterative + nc->blocks_dense_svd,
                      "%s %s node %zu: [%zu,%zu]/%zu %zu blocks (%zu it, %zu svd) vs [%zu,%zu]/%zu %zu (%zu, %zu)",
                      what, trees[t], k, ng->p, ng->q, ng->split, ng->num_blocks, ng->blocks_iterative,
                      ng->blocks_dense_svd, nc->p, nc->q, nc->split, nc->num_blocks, nc->blocks_iterative,
                      nc->blocks_dense_svd);
                CHECK(fabs(ng->rel_error - nc->rel_error) <= 1e-4 * nc->rel_error + (double)dmf_matrix_rows(a) * dmf_dtype_eps(dt),
                      "%s %s node %zu: error gpu %.9g cpu %.9g", what, trees[t], k, ng->rel_error, nc->rel_error);
            }
        }
        dmf_chain_free(cg), dmf_chain_free(cc);
        dmf_tree_free(tree);
    }
}

int main(void)
{
    dmf_context *gpu_ctx = NULL, *cpu_ctx = NULL;
    if (dmf_context_create(&gpu_ctx, "cuda") != DMF_OK) {
        printf("test_cuda_factor: skipped: %s\n", dmf_last_error());
        return 77;
    }
    CHECK_OK(dmf_context_create(&cpu_ctx, "cpu"));
    size_t two[8] = {2, 2, 2, 2, 2, 2, 2, 2};
    for (dmf_dtype dt = DMF_F32; dt <= DMF_C128; dt++)
        for (int ortho = 0; ortho <= 1; ortho++) {
            dmf_matrix *a = builtin("hadamard", 64, 64, dt, NULL, NULL, 0, 0);
            compare("hadamard 64", gpu_ctx, cpu_ctx, a, two, two, 6, 1, ortho, 1);
            dmf_matrix_free(a);
            a = builtin("random-chain", 16, 16, dt, NULL, NULL, 0, 0);
            compare("random-chain 16", gpu_ctx, cpu_ctx, a, two, two, 4, 1, ortho, 1);
            dmf_matrix_free(a);
            size_t mm[3] = {2, 3, 4}, nn[3] = {3, 2, 5};
            a = builtin("random-chain", 24, 30, dt, mm, nn, 3, 0);
            compare("mixed 24x30", gpu_ctx, cpu_ctx, a, mm, nn, 3, 1, ortho, 1);
            dmf_matrix_free(a);
            size_t m1[3] = {4, 1, 3}, n1[3] = {1, 5, 2};
            a = builtin("random-chain", 12, 10, dt, m1, n1, 3, 0);
            compare("radix-1 12x10", gpu_ctx, cpu_ctx, a, m1, n1, 3, 1, ortho, 1);
            dmf_matrix_free(a);
            size_t mo[2] = {31, 32}, no[2] = {33, 32};
            a = builtin("random-chain", 31 * 32, 33 * 32, dt, mo, no, 2, 0);
            compare("monarch 992x1056", gpu_ctx, cpu_ctx, a, mo, no, 2, 1, ortho, 1);
            dmf_matrix_free(a);
            a = builtin("gaussian", 32, 32, dt, NULL, NULL, 0, 0);
            compare("gaussian 32 rank 2", gpu_ctx, cpu_ctx, a, two, two, 5, 2, ortho, 0);
            dmf_matrix_free(a);
            a = builtin("hadamard", 128, 128, dt, NULL, NULL, 0, 1e-3);
            compare("noisy hadamard 128", gpu_ctx, cpu_ctx, a, two, two, 7, 1, ortho, 0);
            dmf_matrix_free(a);
        }
    for (dmf_dtype dt = DMF_C64; dt <= DMF_C128; dt++) {
        dmf_matrix *a = builtin("dft-bitrev", 256, 256, dt, NULL, NULL, 0, 0);
        compare("dft-bitrev 256", gpu_ctx, cpu_ctx, a, two, two, 8, 1, 0, 1);
        dmf_matrix_free(a);
    }
    dmf_context_free(gpu_ctx);
    dmf_context_free(cpu_ctx);
    return check_report("test_cuda_factor");
}
