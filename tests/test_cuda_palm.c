/* PALM4MSA and hierarchical PALM on the CUDA backend against the CPU
 * reference, on known answers (palm_problems.h):
 * - A = 3.7 S_0 S_1 S_2 of random sparse factors (60 x 50 x 50 x 70, CSR
 *   factors), started near the truth with the true constraints, 200
 *   iterations, both sweep directions, f64, c128 and f32, and with supp
 *   and splincol/spcol/normcol (the projections the host does for the
 *   device): the factors agree with the CPU's to 1e-9 relative (f32: 1e-3)
 *   and so do the errors;
 * - the kernels in one step, all dtypes: a one-iteration run from the same
 *   start agrees to 1e-12 (f32: 1e-4);
 * - hierarchical Hadamard N = 64 (and 128): exact on both (rel_error <=
 *   1e-10), with factors of at most 2 nonzeros per row and column.  Ties
 *   may pick other, equally exact, supports, so the factors themselves are
 *   not compared.
 * Exits 77 where no CUDA device is usable. */
#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#define TEST_RNG_SEED 0xD1B54A32D192ED03ull
#include "dense_access.h"
#include "palm_problems.h"

#include "backend/backend.h"

static dmf_context *cuda_ctx;

static void compare(const char *what, size_t n, dmf_matrix *const *gpu, dmf_matrix *const *cpu, double tol,
                    const dmf_palm_report *rg, const dmf_palm_report *rc)
{
    double worst = 0;
    for (size_t j = 0; j < n; j++)
        if (gpu[j] && cpu[j]) {
            double d = rel_max_diff(gpu[j], cpu[j]);
            if (d > worst) worst = d;
        }
    double de = fabs(rg->rel_error - rc->rel_error) / (rc->rel_error > 1e-300 ? rc->rel_error : 1);
    double dl = fabs(rg->lambda - rc->lambda) / fabs(rc->lambda);
    printf("%-48s factors within %.2e of the CPU's, rel_error %.6e (cpu %.6e), lambda within %.2e (tolerance %.0e)\n",
           what, worst, rg->rel_error, rc->rel_error, dl, tol);
    CHECK(worst <= tol && dl <= tol, "%s: factors differ by %g, lambda by %g", what, worst, dl);
    CHECK(de <= tol || fabs(rg->rel_error - rc->rel_error) <= tol, "%s: rel_error %g vs %g", what, rg->rel_error,
          rc->rel_error);
}

static void test_near_truth(dmf_dtype dt, int kinds, int r2l, size_t its)
{
    const size_t dims[4] = {60, 50, 50, 70};
    near_truth_problem p;
    near_truth_build(&p, dt, kinds, dims);
    p.o.update_right_to_left = r2l;
    p.o.stop.num_its = its;
    dmf_matrix *ref[NEAR_TRUTH_J] = {NULL}, *out[NEAR_TRUTH_J] = {NULL};
    dmf_palm_report rc = {0}, rg = {0};
    CHECK_OK(dmf_palm4msa(NULL, p.a, p.c, NEAR_TRUTH_J, (const dmf_matrix *const *)p.start, &p.o, ref, &rc));
    CHECK_OK(dmf_palm4msa(cuda_ctx, p.a, p.c, NEAR_TRUTH_J, (const dmf_matrix *const *)p.start, &p.o, out, &rg));
    char what[96];
    snprintf(what, sizeof what, "near truth %s, constraints %d, %s, %zu its:", dmf_dtype_name(dt), kinds,
             r2l ? "r2l" : "l2r", its);
    int single = dmf_dtype_eps(dt) > 1e-10;
    compare(what, NEAR_TRUTH_J, out, ref, its == 1 ? (single ? 1e-4 : 1e-12) : (single ? 1e-3 : 1e-9), &rg, &rc);
    if (kinds == 0 && its > 1) CHECK(rg.rel_error <= (single ? 1e-3 : 1e-6), "%s rel_error %g", what, rg.rel_error);
    for (size_t j = 0; j < NEAR_TRUTH_J; j++) {
        dmf_matrix_free(ref[j]);
        dmf_matrix_free(out[j]);
    }
    near_truth_free(&p);
}

static size_t line_nonzeros(const dmf_matrix *m, int by_col, size_t l)
{
    size_t n = 0, len = by_col ? dmf_matrix_rows(m) : dmf_matrix_cols(m);
    for (size_t t = 0; t < len; t++) n += (by_col ? get(m, t, l) : get(m, l, t)) != 0;
    return n;
}

static void test_hadamard(size_t N)
{
    dmf_matrix *a = NULL;
    dmf_constraint fact[16], res[16];
    dmf_hierarchical_options o;
    size_t n = hadamard_setup(N, DMF_F64, &a, fact, res, &o);
    dmf_matrix *ref[16] = {NULL}, *out[16] = {NULL};
    dmf_palm_report rc = {0}, rg = {0};
    CHECK_OK(dmf_hierarchical(NULL, a, fact, res, n, &o, ref, &rc));
    CHECK_OK(dmf_hierarchical(cuda_ctx, a, fact, res, n, &o, out, &rg));
    printf("hierarchical hadamard %zu: rel_error %.3g on CUDA (%.3f s), %.3g on the CPU (%.3f s)\n", N, rg.rel_error,
           rg.time_s, rc.rel_error, rc.time_s);
    CHECK(rg.rel_error <= 1e-10 && rc.rel_error <= 1e-10, "hadamard %zu: rel_error %g (cuda) %g (cpu)", N, rg.rel_error,
          rc.rel_error);
    for (size_t j = 0; j + 1 < n && out[j]; j++)
        for (size_t l = 0; l < N; l++)
            CHECK(line_nonzeros(out[j], 0, l) <= 2 && line_nonzeros(out[j], 1, l) <= 2,
                  "hadamard %zu: factor %zu, line %zu", N, j, l);
    for (size_t j = 0; j < n; j++) {
        dmf_matrix_free(ref[j]);
        dmf_matrix_free(out[j]);
    }
    dmf_matrix_free(a);
}

int main(void)
{
    dmf_cuda_info info;
    if (dmf_cuda_query(&info) != DMF_OK) {
        printf("test_cuda_palm: skipped: %s\n", info.message);
        return 77;
    }
    CHECK_OK(dmf_context_create(&cuda_ctx, "cuda"));
    if (!cuda_ctx) return 1;
    printf("test_cuda_palm on %s\n", info.device_names[0]);
    for (dmf_dtype dt = DMF_F32; dt <= DMF_C128; dt++) {
        test_near_truth(dt, 0, 0, 1);
        test_near_truth(dt, 2, 1, 1);
    }
    for (int r2l = 0; r2l < 2; r2l++) {
        test_near_truth(DMF_F64, 0, r2l, 200);
        test_near_truth(DMF_F64, 1, r2l, 200);
    }
    test_near_truth(DMF_F64, 2, 0, 200);
    test_near_truth(DMF_C128, 0, 1, 200);
    test_near_truth(DMF_F32, 0, 1, 200);
    test_hadamard(64);
    test_hadamard(128);
    dmf_context_free(cuda_ctx);
    return check_report("test_cuda_palm");
}
