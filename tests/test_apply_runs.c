/* Runs of factors applied one cache-sized part of the vectors at a time
 * (dmf_apply_plan and the CPU backend's apply_run): the plan of a known
 * chain, and the fused products against the same chain applied factor by
 * factor (to a rounding per factor) (the CPU table without apply_run), for every dtype and
 * op, square and rectangular chains, ranks, and vector counts that split
 * into column chunks.  One case also against the dense product. */
#include <complex.h>
#include <math.h>
#include <string.h>

#include "backend/backend.h"
#include "check.h"
#include "internal.h"

/* A radix-2 chain on 4096 points, applied a = 1 first: the factors that
 * keep residues mod 32 apart (d >= 32) form one run, the rest (a >= 128)
 * another; one vector fits in cache and is applied factor by factor. */
static void test_plan(void)
{
    dmf_factor_ref f[12];
    for (size_t s = 0; s < 12; s++) f[s] = (dmf_factor_ref){(size_t)1 << s, 2, 2, (size_t)2048 >> s, NULL};
    dmf_apply_run runs[12];
    size_t n = dmf_apply_plan(f, 12, 64, 16, runs);
    CHECK(n == 2, "%zu runs", n);
    if (n == 2) {
        CHECK(runs[0].first == 0 && runs[0].count == 7 && runs[0].by_residue && runs[0].parts == 32 &&
                  runs[0].per_task == 1 && runs[0].columns == 64,
              "run 0: first %zu count %zu by_residue %d parts %zu per_task %zu columns %zu", runs[0].first,
              runs[0].count, runs[0].by_residue, runs[0].parts, runs[0].per_task, runs[0].columns);
        CHECK(runs[1].first == 7 && runs[1].count == 5 && !runs[1].by_residue && runs[1].parts == 128 &&
                  runs[1].per_task == 4 && runs[1].columns == 64,
              "run 1: first %zu count %zu by_residue %d parts %zu per_task %zu columns %zu", runs[1].first,
              runs[1].count, runs[1].by_residue, runs[1].parts, runs[1].per_task, runs[1].columns);
    }
    n = dmf_apply_plan(f, 12, 1, 16, runs);
    CHECK(n == 12, "one vector: %zu runs", n);
    for (size_t r = 0; r < n; r++) CHECK(runs[r].count == 1 && runs[r].parts == 0, "run %zu fused", r);
}

/* Applies `chain` (op) to nvec vectors through ctx; returns the packed result. */
static void *apply(dmf_context *ctx, const dmf_chain *chain, dmf_op op, size_t nvec, const void *x)
{
    size_t out = op == DMF_OP_N ? dmf_chain_rows(chain) : dmf_chain_cols(chain);
    void *y = calloc(out * nvec, dmf_dtype_size(dmf_chain_dtype(chain)));
    CHECK_OK(dmf_chain_apply_op(ctx, chain, op, nvec, x, nvec, 1, y, nvec, 1));
    return y;
}

static void compare(const char *name, dmf_context *fused, dmf_context *plain, dmf_dtype dtype, size_t num,
                    const size_t *m, const size_t *n, const size_t *ranks, size_t nvec)
{
    dmf_chain *chain;
    CHECK_OK(dmf_chain_create(&chain, dtype, num, m, n, ranks));
    CHECK_OK(dmf_chain_randomize(chain, 5));
    /* The case must take the fused path at least once. */
    dmf_factor_ref refs[16];
    dmf_apply_run runs[16];
    for (size_t k = 0; k < num; k++) {
        dmf_factor_ref *f = &refs[num - 1 - k];
        CHECK_OK(dmf_chain_support(chain, k, &f->a, &f->b, &f->c, &f->d));
    }
    size_t num_runs = dmf_apply_plan(refs, num, nvec, dmf_dtype_size(dtype), runs);
    CHECK(num_runs < num, "%s %s, %zu vectors: no run of factors", name, dmf_dtype_name(dtype), nvec);
    size_t elem = dmf_dtype_size(dtype), longest = dmf_chain_rows(chain) > dmf_chain_cols(chain)
                                                        ? dmf_chain_rows(chain) : dmf_chain_cols(chain);
    dmf_matrix *xm;
    CHECK_OK(dmf_matrix_create(&xm, dtype, longest, nvec));
    for (size_t e = 0; e < longest * nvec; e++)
        dmf_set(dtype, dmf_matrix_data(xm), e, sin(0.7 * (double)e) + I * cos(1.3 * (double)e));
    for (int op = DMF_OP_N; op <= DMF_OP_H; op++) {
        size_t out = op == DMF_OP_N ? dmf_chain_rows(chain) : dmf_chain_cols(chain);
        void *y1 = apply(fused, chain, op, nvec, dmf_matrix_data(xm));
        void *y2 = apply(plain, chain, op, nvec, dmf_matrix_data(xm));
        /* The same products and sums in the same order; only where the
         * compiler contracts a complex product and a sum into fused
         * multiply-adds may differ (a rounding per factor). */
        double diff = 0, norm = 0;
        for (size_t e = 0; e < out * nvec; e++) {
            double complex u = dmf_get(dtype, y1, e), v = dmf_get(dtype, y2, e);
            diff = fmax(diff, cabs(u - v));
            norm = fmax(norm, cabs(v));
        }
        CHECK(diff <= 4.0 * (double)num * dmf_dtype_eps(dtype) * norm, "%s %s op %d, %zu vectors: fused differs by %.3g of %.3g",
              name, dmf_dtype_name(dtype), op, nvec, diff, norm);
        free(y1);
        free(y2);
    }
    dmf_matrix_free(xm);
    dmf_chain_free(chain);
}

/* The fused product against the dense chain's, c128, 1024 x 1024. */
static void test_dense(dmf_context *fused)
{
    size_t two[10] = {2, 2, 2, 2, 2, 2, 2, 2, 2, 2}, N = 1024, nvec = 64;
    dmf_chain *chain;
    CHECK_OK(dmf_chain_create(&chain, DMF_C128, 10, two, two, NULL));
    CHECK_OK(dmf_chain_randomize(chain, 9));
    dmf_matrix *dense;
    CHECK_OK(dmf_chain_densify(chain, &dense));
    double complex *x = malloc(N * nvec * sizeof *x);
    for (size_t e = 0; e < N * nvec; e++) x[e] = sin(0.3 * (double)e) + I * cos(0.11 * (double)e);
    double complex *y = apply(fused, chain, DMF_OP_N, nvec, x);
    const double complex *D = dmf_matrix_const_data(dense);
    double diff = 0, norm = 0;
    for (size_t i = 0; i < N; i++)
        for (size_t t = 0; t < nvec; t++) {
            double complex want = 0;
            for (size_t j = 0; j < N; j++) want += D[i * N + j] * x[j * nvec + t];
            diff += cabs(y[i * nvec + t] - want) * cabs(y[i * nvec + t] - want);
            norm += cabs(want) * cabs(want);
        }
    /* Ten factors of two terms each: a few ulps per entry. */
    CHECK(sqrt(diff / norm) < 1e-14, "fused vs dense: %.3g", sqrt(diff / norm));
    free(x);
    free(y);
    dmf_matrix_free(dense);
    dmf_chain_free(chain);
}

int main(void)
{
    test_plan();
    dmf_backend table = *dmf_backend_cpu();
    CHECK(table.apply_run != NULL, "the CPU table has apply_run");
    table.apply_run = NULL;
    dmf_context *fused = NULL, *plain = NULL;
    CHECK_OK(dmf_context_create(&fused, "cpu"));
    CHECK_OK(dmf_context_create_from_backend(&plain, &table));
    size_t two[12] = {2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2};
    for (dmf_dtype dt = DMF_F32; dt <= DMF_C128; dt++) {
        compare("radix-2 1024", fused, plain, dt, 10, two, two, NULL, 96);
        compare("radix-2 4096", fused, plain, dt, 12, two, two, NULL, 40);
        /* More vectors than a task's columns: column chunks and a short one. */
        compare("radix-2 256", fused, plain, dt, 8, two, two, NULL, 300);
        size_t m[5] = {4, 3, 2, 5, 2}, n[5] = {2, 3, 4, 2, 3}, ranks[4] = {1, 2, 1, 3};
        compare("mixed 240 x 144, ranks", fused, plain, dt, 5, m, n, ranks, 600);
        size_t m4[6] = {4, 4, 4, 4, 4, 4};
        compare("radix-4 4096", fused, plain, dt, 6, m4, m4, NULL, 24);
    }
    test_dense(fused);
    dmf_context_free(fused);
    dmf_context_free(plain);
    return check_report("test_apply_runs");
}
