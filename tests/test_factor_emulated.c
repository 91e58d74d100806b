/* The whole factorization through the device code path of the library with
 * the CUDA kernels emulated on the CPU: a backend table that claims device
 * memory (host_memory = 0, so factor.c uploads the input, keeps node
 * targets and leaves "on the device" and downloads each leaf once), whose
 * split runs the CUDA split kernels under tests/emulate_cuda.hpp, whose
 * normalize and apply run the per-thread bodies of src/kernels in loops.
 * Compared with the CPU backend on the same inputs:
 *  - exact inputs (random chains: square radix 2, mixed 24 x 30, radix 1,
 *    Hadamard): both within the SPEC bound (1e-12 double, 1e-5 single) and
 *    ||P_emu - P_cpu||_F / (||P_cpu||_F N eps) <= 100 for the products;
 *  - inexact (rank 2 of a Gaussian matrix, noisy Hadamard): errors equal
 *    within 1e-4 relative + rows * eps; per-node outcome counts agree;
 *  - apply: ||y_emu - y_cpu|| / (||y_cpu|| N eps) <= 10;
 *  - every buffer the device path allocates is freed (counted), and the
 *    transfer time is reported (within the total; zero on the CPU). */
#include <complex.h>
#include <math.h>
#include <string.h>

#include "backend/backend.h"
#include "check.h"
#include "emulated_split.h"
#include "internal.h"
#include "kernels/apply_index.h"
#include "kernels/split_index.h"

static long live_buffers;

static int emu_alloc(void **ptr, size_t bytes)
{
    *ptr = malloc(bytes ? bytes : 1);
    if (!*ptr) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate %zu bytes", bytes);
    memset(*ptr, 0xA5, bytes); /* not zeroed, like device memory */
    live_buffers++;
    return DMF_OK;
}
static void emu_free(void *ptr)
{
    if (ptr) live_buffers--;
    free(ptr);
}
static int emu_copy(void *dst, const void *src, size_t bytes)
{
    memcpy(dst, src, bytes);
    return DMF_OK;
}
static void emu_release(void) {}

static int emu_split(dmf_dtype dtype, const dmf_split_geometry *g, const void *t, void *w, void *h, int *info,
                     dmf_split_stats *stats)
{
    return dmf_emulated_split(dtype, g, t, w, h, info, stats, (size_t)1 << 26, dmf_emulated_lapack_svd);
}

static int emu_normalize(dmf_dtype dtype, const dmf_split_geometry *g, void *w, void *h, dmf_normalize_side side)
{
    dmf_dc *tri = malloc(g->rank * g->rank * sizeof *tri);
    for (size_t s = 0; s < dmf_split_num_sub_blocks(g); s++) dmf_normalize_group(dtype, g, s, w, h, side, tri);
    free(tri);
    return DMF_OK;
}

static int emu_apply(dmf_dtype dtype, size_t a, size_t b, size_t c, size_t d, const void *blocks, const void *x,
                     void *y, size_t nvec)
{
    for (size_t e = 0; e < a * b * d * nvec; e++) dmf_store(dtype, y, e, dmf_apply_entry(dtype, blocks, b, c, d, x, nvec, e));
    return DMF_OK;
}

static double tolerance(dmf_dtype dtype) { return dmf_dtype_eps(dtype) > 1e-10 ? 1e-5 : 1e-12; }

static double matrix_ratio(const dmf_matrix *got, const dmf_matrix *want)
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

static void compare(const char *what, dmf_context *emu, dmf_context *cpu, const dmf_matrix *a, const size_t *m,
                    const size_t *n, size_t L, size_t rank, int ortho, int exact)
{
    const char *const trees[] = {"l2r", "r2l", "balanced"};
    dmf_dtype dt = dmf_matrix_dtype(a);
    for (int t = 0; t < 3; t++) {
        dmf_tree *tree;
        CHECK_OK(dmf_tree_create(&tree, trees[t], L));
        dmf_butterfly_options opts;
        dmf_butterfly_options_default(&opts);
        opts.rank = rank;
        opts.orthonormalize = ortho;
        dmf_chain *ce = NULL, *cc = NULL;
        dmf_butterfly_report re, rc;
        CHECK_OK(dmf_butterfly_factor(emu, a, m, n, L, tree, &opts, &ce, &re));
        CHECK_OK(dmf_butterfly_factor(cpu, a, m, n, L, tree, &opts, &cc, &rc));
        CHECK(live_buffers == 0, "%s %s: %ld device buffers left", what, trees[t], live_buffers);
        CHECK(rc.transfer_s == 0 && re.transfer_s >= 0 && re.transfer_s <= re.time_s,
              "%s %s: transfer time %.3g of %.3g s (cpu %.3g)", what, trees[t], re.transfer_s, re.time_s, rc.transfer_s);
        if (ce && cc) {
            double ee = INFINITY, ec = INFINITY;
            CHECK_OK(dmf_chain_rel_error(ce, a, &ee));
            CHECK_OK(dmf_chain_rel_error(cc, a, &ec));
            if (exact) {
                dmf_matrix *pe = NULL, *pc = NULL;
                CHECK_OK(dmf_chain_densify(ce, &pe));
                CHECK_OK(dmf_chain_densify(cc, &pc));
                double ratio = pe && pc ? matrix_ratio(pe, pc) : INFINITY;
                CHECK(ee <= tolerance(dt) && ec <= tolerance(dt) && ratio <= 100,
                      "%s %s %s ortho %d: rel error emulated %.3g cpu %.3g, product ratio %.3g", what,
                      dmf_dtype_name(dt), trees[t], ortho, ee, ec, ratio);
                dmf_matrix_free(pe), dmf_matrix_free(pc);
            } else {
                CHECK(fabs(ee - ec) <= 1e-4 * ec + (double)dmf_matrix_rows(a) * dmf_dtype_eps(dt),
                      "%s %s %s ortho %d: rel error emulated %.9g cpu %.9g", what, dmf_dtype_name(dt), trees[t],
                      ortho, ee, ec);
            }
            for (size_t k = 0; k < re.num_nodes && k < rc.num_nodes; k++)
                CHECK(re.nodes[k].blocks_iterative + re.nodes[k].blocks_dense_svd ==
                              rc.nodes[k].blocks_iterative + rc.nodes[k].blocks_dense_svd &&
                          re.nodes[k].num_blocks == rc.nodes[k].num_blocks && re.nodes[k].blocks_failed == 0,
                      "%s %s node %zu: outcomes differ", what, trees[t], k);
            dmf_matrix *x = NULL, *ye = NULL, *yc = NULL;
            size_t cols = dmf_chain_cols(cc);
            CHECK_OK(dmf_matrix_create(&x, dt, cols, 2));
            for (size_t e = 0; x && e < 2 * cols; e++)
                dmf_set(dt, dmf_matrix_data(x), e, sin(1.0 + (double)e) + (dt >= DMF_C64 ? I * cos(2.0 * e) : 0));
            CHECK_OK(dmf_chain_apply_ctx(emu, cc, x, &ye));
            CHECK_OK(dmf_chain_apply(cc, x, &yc));
            if (ye && yc) CHECK(matrix_ratio(ye, yc) <= 10, "%s %s: apply ratio %.3g", what, trees[t], matrix_ratio(ye, yc));
            CHECK(live_buffers == 0, "%s %s: %ld device buffers left after apply", what, trees[t], live_buffers);
            dmf_matrix_free(x), dmf_matrix_free(ye), dmf_matrix_free(yc);
        }
        dmf_chain_free(ce), dmf_chain_free(cc);
        dmf_tree_free(tree);
    }
}

static dmf_matrix *builtin(const char *name, size_t rows, size_t cols, dmf_dtype dtype, const size_t *m,
                           const size_t *n, size_t L, double noise)
{
    dmf_matrix_spec spec = {name, rows, cols, dtype, noise, 42, m, n, m ? L : 0};
    dmf_matrix *a = NULL;
    CHECK_OK(dmf_matrix_builtin(&spec, &a));
    return a;
}

int main(void)
{
    dmf_backend emulated = *dmf_backend_cpu();
    emulated.name = "emulated-cuda";
    emulated.split_rank_r = emu_split;
    emulated.normalize_pair = emu_normalize;
    emulated.apply_factor = emu_apply;
    emulated.host_memory = 0;
    emulated.mem_alloc = emu_alloc;
    emulated.mem_free = emu_free;
    emulated.mem_upload = emu_copy;
    emulated.mem_download = emu_copy;
    emulated.release_workspace = emu_release;
    dmf_context *emu = NULL, *cpu = NULL;
    CHECK_OK(dmf_context_create_from_backend(&emu, &emulated));
    CHECK_OK(dmf_context_create(&cpu, "cpu"));
    size_t two[8] = {2, 2, 2, 2, 2, 2, 2, 2};
    for (dmf_dtype dt = DMF_F32; dt <= DMF_C128; dt++)
        for (int ortho = 0; ortho <= 1; ortho++) {
            dmf_matrix *a = builtin("random-chain", 16, 16, dt, NULL, NULL, 0, 0);
            compare("random-chain 16", emu, cpu, a, two, two, 4, 1, ortho, 1);
            dmf_matrix_free(a);
            a = builtin("hadamard", 32, 32, dt, NULL, NULL, 0, 0);
            compare("hadamard 32", emu, cpu, a, two, two, 5, 1, ortho, 1);
            dmf_matrix_free(a);
            size_t mm[3] = {2, 3, 4}, nn[3] = {3, 2, 5};
            a = builtin("random-chain", 24, 30, dt, mm, nn, 3, 0);
            compare("mixed 24x30", emu, cpu, a, mm, nn, 3, 1, ortho, 1);
            dmf_matrix_free(a);
            size_t m1[3] = {4, 1, 3}, n1[3] = {1, 5, 2};
            a = builtin("random-chain", 12, 10, dt, m1, n1, 3, 0);
            compare("radix-1 12x10", emu, cpu, a, m1, n1, 3, 1, ortho, 1);
            dmf_matrix_free(a);
            a = builtin("gaussian", 16, 16, dt, NULL, NULL, 0, 0);
            compare("gaussian 16 rank 2", emu, cpu, a, two, two, 4, 2, ortho, 0);
            dmf_matrix_free(a);
            a = builtin("hadamard", 16, 16, dt, NULL, NULL, 0, 1e-3);
            compare("noisy hadamard 16", emu, cpu, a, two, two, 4, 1, ortho, 0);
            dmf_matrix_free(a);
        }
    dmf_context_free(emu);
    dmf_context_free(cpu);
    return check_report("test_factor_emulated");
}
