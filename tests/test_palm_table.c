/* PALM4MSA and hierarchical PALM on a backend table that is not the CPU's:
 * a copy of the CPU table that says its memory is not the host's, keeps
 * its buffers in an arena that is mapped PROT_NONE except while one of its
 * own entries runs, and counts the calls of every PALM kernel before
 * forwarding them to the CPU's.  The host side of PALM may then touch the
 * data only through the table (anything else faults), A and the factors
 * must travel by mem_upload / mem_download, and the result must be the CPU
 * table's (the same kernels in the same order: to 1e-13, in fact equal).
 *
 * Problems: A = 3.7 S_0 S_1 S_2 of random sparse factors near the truth
 * (sp/splin/sp, supp, splincol/spcol/normcol; CSR factors, blocked chains,
 * both sweep directions), f64, c128 and f32; the hierarchical Hadamard
 * N = 32 and 64 peeled from either end (right caches, the stacked caches,
 * a dense residual).  And a table without PALM kernels: a clear error. */
#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "check.h"
#define TEST_RNG_SEED 0x9E3779B97F4A7C15ull
#include "dense_access.h"
#include "palm_problems.h"

#include "backend/backend.h"
#include "backend/palm_kernels.h"

/* ---- the arena: the wrapped table's memory ------------------------------- */

enum { ARENA_BYTES = 256 << 20 };
static char *arena;
static size_t arena_used;

static void arena_open(int open)
{
    size_t len = (arena_used + 4095) / 4096 * 4096;
    if (len && mprotect(arena, len, open ? PROT_READ | PROT_WRITE : PROT_NONE) != 0) abort();
}

static int arena_alloc(void **ptr, size_t bytes)
{
    size_t at = (arena_used + 63) / 64 * 64;
    if (at + bytes > ARENA_BYTES) return DMF_ERR_NOMEM;
    arena_used = at + (bytes ? bytes : 1);
    *ptr = arena + at;
    return DMF_OK;
}

static void arena_free(void *ptr) { (void)ptr; } /* reset between runs */

static int calls_upload, calls_download;

static int arena_upload(void *dst, const void *src, size_t bytes)
{
    calls_upload++;
    arena_open(1);
    memcpy(dst, src, bytes);
    arena_open(0);
    return DMF_OK;
}

static int arena_download(void *dst, const void *src, size_t bytes)
{
    calls_download++;
    arena_open(1);
    memcpy(dst, src, bytes);
    arena_open(0);
    return DMF_OK;
}

/* ---- the PALM kernels, counted and forwarded ----------------------------- */

#define ENTRIES(X)                                                                                     \
    X(begin) X(end) X(factor_sync) X(factor_free) X(gemm) X(csr_mul) X(csr_mul_right) X(csr_chain)     \
    X(gradient_right) X(gram) X(transpose_h) X(mul_vec) X(gram_vec) X(sum_sq) X(scale) X(copy) X(zero) \
    X(sub_adjoint) X(sub) X(fit) X(step_project) X(step_project_sparse)
#define AS_ENUM(name) E_##name,
#define AS_NAME(name) #name,
enum { ENTRIES(AS_ENUM) NUM_ENTRIES };
static const char *const entry_names[] = {ENTRIES(AS_NAME)};
static size_t calls[NUM_ENTRIES];
static const dmf_palm_kernels *cpu;

#define WRAP(name, params, args)                     \
    static int w_##name params                       \
    {                                                \
        calls[E_##name]++;                           \
        arena_open(1);                               \
        int s = cpu->name args;                      \
        arena_open(0);                               \
        return s;                                    \
    }
static int w_begin(dmf_dtype dtype, size_t maxd, void **ws)
{
    calls[E_begin]++;
    return cpu->begin(dtype, maxd, ws);
}
static void w_end(void *ws)
{
    calls[E_end]++;
    cpu->end(ws);
}
static void w_factor_free(void *ws, dmf_palm_factor *f)
{
    calls[E_factor_free]++;
    cpu->factor_free(ws, f);
}
WRAP(factor_sync, (void *ws, dmf_palm_factor *f), (ws, f))
WRAP(gemm, (void *ws, int ha, int hb, size_t m, size_t n, size_t k, const void *a, const void *b, void *c),
     (ws, ha, hb, m, n, k, a, b, c))
WRAP(csr_mul, (void *ws, const dmf_palm_factor *f, int adj, size_t n, const void *x, void *y), (ws, f, adj, n, x, y))
WRAP(csr_mul_right, (void *ws, const dmf_palm_factor *f, int adj, size_t m, const void *x, void *y),
     (ws, f, adj, m, x, y))
WRAP(csr_chain, (void *ws, const dmf_palm_factor *const *f, size_t count, int adj, const void *x, void *y, size_t n),
     (ws, f, count, adj, x, y, n))
WRAP(gradient_right,
     (void *ws, const dmf_palm_factor *const *f, size_t j, double lambda, const void *q, const void *wh, void *g),
     (ws, f, j, lambda, q, wh, g))
WRAP(gram, (void *ws, const dmf_palm_factor *f, int adj, void *y), (ws, f, adj, y))
WRAP(transpose_h, (void *ws, size_t rows, size_t cols, const void *x, void *y), (ws, rows, cols, x, y))
WRAP(mul_vec, (void *ws, const dmf_palm_factor *f, int adj, const void *x, void *y), (ws, f, adj, x, y))
WRAP(gram_vec, (void *ws, const dmf_palm_factor *f, int by_rows, const void *ft, const void *x, void *y),
     (ws, f, by_rows, ft, x, y))
WRAP(sum_sq, (void *ws, const void *x, size_t n, double *out), (ws, x, n, out))
WRAP(scale, (void *ws, void *x, size_t n, double factor), (ws, x, n, factor))
WRAP(copy, (void *ws, void *dst, const void *src, size_t n), (ws, dst, src, n))
WRAP(zero, (void *ws, void *x, size_t n), (ws, x, n))
WRAP(sub_adjoint, (void *ws, size_t rows, size_t cols, double lambda, const void *y, const void *z, void *e),
     (ws, rows, cols, lambda, y, z, e))
WRAP(sub, (void *ws, size_t n, double lambda, const void *x, const void *a, void *e), (ws, n, lambda, x, a, e))
WRAP(fit, (void *ws, size_t n, const void *x, const void *a, double lambda, double *lo, double *err),
     (ws, n, x, a, lambda, lo, err))
WRAP(step_project, (void *ws, const dmf_constraint *c, dmf_palm_factor *f, double step, const void *g),
     (ws, c, f, step, g))
WRAP(step_project_sparse, (void *ws, const dmf_constraint *c, dmf_palm_factor *f, double step, const void *g),
     (ws, c, f, step, g))

static const dmf_palm_kernels wrapped = {
    .begin = w_begin, .end = w_end, .factor_sync = w_factor_sync, .factor_free = w_factor_free, .gemm = w_gemm,
    .csr_mul = w_csr_mul, .csr_mul_right = w_csr_mul_right, .csr_chain = w_csr_chain,
    .gradient_right = w_gradient_right, .gram = w_gram, .transpose_h = w_transpose_h, .mul_vec = w_mul_vec,
    .gram_vec = w_gram_vec, .sum_sq = w_sum_sq, .scale = w_scale, .copy = w_copy, .zero = w_zero,
    .sub_adjoint = w_sub_adjoint, .sub = w_sub, .fit = w_fit, .step_project = w_step_project,
    .step_project_sparse = w_step_project_sparse,
};

static size_t total_calls(void)
{
    size_t t = 0;
    for (int e = 0; e < NUM_ENTRIES; e++) t += calls[e];
    return t;
}

static void print_calls(const char *what)
{
    printf("  %s, kernel calls:", what);
    for (int e = 0; e < NUM_ENTRIES; e++)
        if (calls[e]) printf(" %s %zu", entry_names[e], calls[e]);
    printf(", uploads %d, downloads %d\n", calls_upload, calls_download);
}

static void reset_counts(void)
{
    memset(calls, 0, sizeof calls);
    calls_upload = calls_download = 0;
    arena_used = 0;
}

/* ---- the runs --------------------------------------------------------------- */

static dmf_context *guarded;

static void compare_factors(const char *what, size_t n, dmf_matrix *const *x, dmf_matrix *const *y)
{
    double worst = 0;
    for (size_t j = 0; j < n; j++) {
        CHECK(x[j] && y[j], "%s: factor %zu missing", what, j);
        if (x[j] && y[j]) {
            double d = rel_max_diff(x[j], y[j]);
            if (d > worst) worst = d;
        }
    }
    CHECK(worst <= 1e-13, "%s: the wrapped table's factors differ from the CPU's by %g", what, worst);
}

static void test_near_truth(dmf_dtype dt, int kinds, int r2l)
{
    const size_t dims[4] = {60, 50, 50, 70};
    near_truth_problem p;
    near_truth_build(&p, dt, kinds, dims);
    p.o.update_right_to_left = r2l;
    p.o.stop.num_its = 40;
    dmf_matrix *ref[NEAR_TRUTH_J] = {NULL}, *out[NEAR_TRUTH_J] = {NULL};
    dmf_palm_report rref = {0}, rout = {0};
    CHECK_OK(dmf_palm4msa(NULL, p.a, p.c, NEAR_TRUTH_J, (const dmf_matrix *const *)p.start, &p.o, ref, &rref));
    reset_counts();
    CHECK_OK(dmf_palm4msa(guarded, p.a, p.c, NEAR_TRUTH_J, (const dmf_matrix *const *)p.start, &p.o, out, &rout));
    char what[96];
    snprintf(what, sizeof what, "near truth %s, constraints %d, %s", dmf_dtype_name(dt), kinds, r2l ? "r2l" : "l2r");
    printf("%s: rel_error %.6g (cpu %.6g), lambda %.10g\n", what, rout.rel_error, rref.rel_error, rout.lambda);
    print_calls(what);
    compare_factors(what, NEAR_TRUTH_J, out, ref);
    CHECK(fabs(rout.rel_error - rref.rel_error) <= 1e-13 * rref.rel_error + 1e-300, "%s: rel_error %.17g vs %.17g",
          what, rout.rel_error, rref.rel_error);
    CHECK(fabs(rout.lambda - rref.lambda) <= 1e-13 * fabs(rref.lambda), "%s: lambda", what);
    CHECK(rout.iterations == rref.iterations, "%s: iterations", what);
    /* the data went there and back by the table */
    CHECK(calls_upload >= 1 + NEAR_TRUTH_J && calls_download == NEAR_TRUTH_J, "%s: %d uploads, %d downloads", what,
          calls_upload, calls_download);
    CHECK(calls[E_begin] == 1 && calls[E_end] == 1, "%s: begin/end", what);
    CHECK(calls[E_fit] == p.o.stop.num_its, "%s: fit called %zu times", what, calls[E_fit]);
    CHECK(calls[kinds == 1 ? E_step_project : E_step_project_sparse] > 0, "%s: no projection", what);
    if (kinds != 2) /* normcol leaves a dense factor */
        CHECK(calls[E_csr_mul] + calls[E_csr_chain] + calls[E_gradient_right] > 0, "%s: no CSR product", what);
    for (size_t j = 0; j < NEAR_TRUTH_J; j++) {
        dmf_matrix_free(ref[j]);
        dmf_matrix_free(out[j]);
    }
    near_truth_free(&p);
}

static void test_hadamard(size_t N, int left)
{
    dmf_matrix *a = NULL;
    dmf_constraint fact[16], res[16];
    dmf_hierarchical_options o;
    size_t n = hadamard_setup(N, DMF_F64, &a, fact, res, &o);
    if (left) {
        o.fact_side_left = 1;
        o.local.update_right_to_left = o.global.update_right_to_left = 0;
    }
    dmf_matrix *ref[16] = {NULL}, *out[16] = {NULL};
    dmf_palm_report rref = {0}, rout = {0};
    CHECK_OK(dmf_hierarchical(NULL, a, fact, res, n, &o, ref, &rref));
    reset_counts();
    CHECK_OK(dmf_hierarchical(guarded, a, fact, res, n, &o, out, &rout));
    char what[64];
    snprintf(what, sizeof what, "hierarchical hadamard %zu%s", N, left ? " (peeled from the right)" : "");
    printf("%s: rel_error %.6g (cpu %.6g)\n", what, rout.rel_error, rref.rel_error);
    print_calls(what);
    compare_factors(what, n, out, ref);
    CHECK(rout.rel_error <= 1e-10 && fabs(rout.rel_error - rref.rel_error) <= 1e-13, "%s: rel_error %g vs %g", what,
          rout.rel_error, rref.rel_error);
    CHECK(calls[E_begin] == 2 * (n - 1) && calls[E_end] == calls[E_begin], "%s: %zu runs", what, calls[E_begin]);
    CHECK(calls[E_gemm] > 0 && calls[E_step_project_sparse] > 0, "%s: the dense residual's products", what);
    for (size_t j = 0; j < n; j++) {
        dmf_matrix_free(ref[j]);
        dmf_matrix_free(out[j]);
    }
    dmf_matrix_free(a);
}

/* A table without PALM kernels says so, naming itself. */
static void test_no_kernels(void)
{
    dmf_backend none = *dmf_backend_cpu();
    none.name = "nopalm";
    none.palm = NULL;
    dmf_context *ctx = NULL;
    CHECK_OK(dmf_context_create_from_backend(&ctx, &none));
    dmf_matrix *a = NULL, *out[2] = {NULL};
    CHECK_OK(dmf_matrix_create(&a, DMF_F64, 4, 4));
    dmf_constraint c[2] = {problem_cons(DMF_CONS_SP, 4, 4, 4), problem_cons(DMF_CONS_SP, 4, 4, 4)};
    CHECK_STATUS(dmf_palm4msa(ctx, a, c, 2, NULL, NULL, out, NULL), DMF_ERR_NOT_COMPILED);
    CHECK(strstr(dmf_last_error(), "nopalm") != NULL, "the message does not name the backend: %s", dmf_last_error());
    CHECK_STATUS(dmf_hierarchical(ctx, a, c, c, 2, NULL, out, NULL), DMF_ERR_NOT_COMPILED);
    dmf_matrix_free(a);
    dmf_context_free(ctx);
}

int main(void)
{
    arena = mmap(NULL, ARENA_BYTES, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (arena == MAP_FAILED) return 77;
    cpu = dmf_backend_cpu()->palm;
    dmf_backend table = *dmf_backend_cpu();
    table.name = "guarded";
    table.host_memory = 0;
    table.mem_alloc = arena_alloc;
    table.mem_free = arena_free;
    table.mem_upload = arena_upload;
    table.mem_download = arena_download;
    table.palm = &wrapped;
    CHECK_OK(dmf_context_create_from_backend(&guarded, &table));
    for (int kinds = 0; kinds < 3; kinds++)
        for (int r2l = 0; r2l < 2; r2l++) test_near_truth(DMF_F64, kinds, r2l);
    test_near_truth(DMF_C128, 0, 1);
    test_near_truth(DMF_C128, 2, 0);
    test_near_truth(DMF_F32, 0, 1);
    test_hadamard(32, 0);
    test_hadamard(64, 0);
    test_hadamard(32, 1);
    test_no_kernels();
    CHECK(total_calls() > 0, "no kernel was called");
    dmf_context_free(guarded);
    munmap(arena, ARENA_BYTES);
    return check_report("test_palm_table");
}
