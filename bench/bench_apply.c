/* Apply benchmark: Y = F_0 ... F_{L-1} X through the C API
 * (dmf_chain_apply_op, CPU, row-major X and Y allocated once) for the chain
 * the balanced tree finds on DFT-bitrev (c128), next to a dense BLAS zgemm
 * of the same product (A X), for scale.  The two take turns in every
 * repeat, so a change of the machine's load falls on both.  One JSON line
 * per (tool, N, nvec): the time per call (median, min and max over the
 * repeats; each repeat times `inner` calls, enough for a few milliseconds),
 * the flop rate, dmf's relative difference from the dense product and
 * dmf's speedup over it, and on every line the CPU model, the threads and
 * the load average at that moment.  A dense product above --max-dense-gflop
 * is not run (a line says so): at N = 8192 with 512 vectors it is 275 GFlop,
 * about a minute here.
 *
 * Between the two tools the program sleeps --pause seconds (default 0.2):
 * OpenBLAS's threads spin for a while after a zgemm returns, and on a
 * 2-core machine they starved dmf's OpenMP threads in the samples that
 * followed (N = 8192, 16 vectors: 1.7 ms at best, 103 ms median without the
 * pause); dmf's threads spin too, more briefly.
 *
 *   bench_apply [--sizes 1024,2048,4096,8192] [--nvecs 1,16,64,512]
 *               [--repeats 11] [--max-dense-gflop 40] [--pause 0.2] [--seed 1] */
#include <cblas.h>
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_env.h"

#define TRY(call)                          \
    do {                                   \
        int try_status_ = (call);          \
        if (try_status_ != DMF_OK) return try_status_; \
    } while (0)

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void usage(void)
{
    fputs("usage: bench_apply [--sizes 1024,2048,4096,8192] [--nvecs 1,16,64,512] [--repeats R]\n"
          "                   [--max-dense-gflop G] [--pause S] [--seed S]\n"
          "prints {\"env\": ...} then one JSON line per (tool, N, nvec): time per call of\n"
          "dmf_chain_apply_op on DFT-bitrev c128's balanced chain and of a dense zgemm\n", stderr);
}

/* Comma-separated sizes into list (at most max); returns the count, 0 on a bad entry. */
static size_t parse_list(const char *text, size_t *list, size_t max)
{
    size_t count = 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", text);
    for (char *tok = strtok(buf, ","); tok && count < max; tok = strtok(NULL, ",")) {
        char *end;
        unsigned long long v = strtoull(tok, &end, 10);
        if (*end || v == 0) return 0;
        list[count++] = (size_t)v;
    }
    return count;
}

typedef struct {
    const dmf_chain *chain;
    const dmf_matrix *a;
    size_t n, nvec;
    const double complex *x;
    double complex *y;
} problem;

static int run_dmf(const problem *p)
{
    return dmf_chain_apply_op(NULL, p->chain, DMF_OP_N, p->nvec, p->x, p->nvec, 1, p->y, p->nvec, 1);
}

static int run_dense(const problem *p)
{
    const double complex one = 1, zero = 0;
    cblas_zgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)p->n, (int)p->nvec, (int)p->n, &one,
                dmf_matrix_const_data(p->a), (int)p->n, p->x, (int)p->nvec, &zero, p->y, (int)p->nvec);
    return DMF_OK;
}

/* Calls per timed sample so that one sample lasts about `target` seconds
 * (from the time of one call after a warm-up call). */
static int calibrate(int (*run)(const problem *), const problem *p, double target, size_t *inner,
                     double *one_call)
{
    TRY(run(p));
    double t0 = bench_now();
    TRY(run(p));
    *one_call = bench_now() - t0;
    double want = *one_call > 0 ? target / *one_call : 1e6;
    *inner = want < 1 ? 1 : want > 1e6 ? 1000000 : (size_t)ceil(want);
    return DMF_OK;
}

static void rest(double seconds)
{
    struct timespec ts = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
    nanosleep(&ts, NULL);
}

static int sample(int (*run)(const problem *), const problem *p, size_t inner, double *per_call)
{
    double t0 = bench_now();
    for (size_t k = 0; k < inner; k++) TRY(run(p));
    *per_call = (bench_now() - t0) / (double)inner;
    return DMF_OK;
}

static void print_line(const char *tool, size_t n, size_t nvec, double *times, int count, size_t inner,
                       double flops, double rel_error, double speedup)
{
    qsort(times, (size_t)count, sizeof *times, compare_double);
    double median = times[count / 2];
    printf("{\"bench\": \"apply\", \"tool\": \"%s\", \"matrix\": \"dft-bitrev\", \"dtype\": \"c128\", "
           "\"tree\": \"balanced\", \"op\": \"N\", \"layout\": \"row-major\", \"n\": %zu, \"nvec\": %zu, "
           "\"time_s\": %.6g, \"min_time_s\": %.6g, \"max_time_s\": %.6g, \"repeats\": %d, \"inner\": %zu, "
           "\"gflops\": %.4g, ",
           tool, n, nvec, median, times[0], times[count - 1], count, inner, flops / median / 1e9);
    if (rel_error >= 0) printf("\"rel_error\": %.3e, ", rel_error);
    if (speedup > 0) printf("\"speedup_vs_dense\": %.4g, ", speedup);
    bench_print_machine_fields();
    printf("}\n");
    fflush(stdout);
}

static void print_skipped(size_t n, size_t nvec, double gflop, double limit)
{
    printf("{\"bench\": \"apply\", \"tool\": \"dense-zgemm\", \"matrix\": \"dft-bitrev\", \"dtype\": \"c128\", "
           "\"n\": %zu, \"nvec\": %zu, \"skipped\": \"%.3g GFlop > --max-dense-gflop %.3g\", ",
           n, nvec, gflop, limit);
    bench_print_machine_fields();
    printf("}\n");
    fflush(stdout);
}

/* ||y - ref||_F / ||ref||_F */
static double rel_diff(const double complex *y, const double complex *ref, size_t count)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < count; i++) {
        double complex d = y[i] - ref[i];
        num += creal(d) * creal(d) + cimag(d) * cimag(d);
        den += creal(ref[i]) * creal(ref[i]) + cimag(ref[i]) * cimag(ref[i]);
    }
    return den > 0 ? sqrt(num / den) : sqrt(num);
}

int main(int argc, char **argv)
{
    size_t sizes[16] = {1024, 2048, 4096, 8192}, nvecs[16] = {1, 16, 64, 512};
    size_t num_sizes = 4, num_nvecs = 4;
    int repeats = 11;
    double max_dense_gflop = 40, pause = 0.2;
    unsigned long seed = 1;
    for (int i = 1; i < argc; i += 2) {
        if (i + 1 >= argc) return usage(), 2;
        if (!strcmp(argv[i], "--sizes")) num_sizes = parse_list(argv[i + 1], sizes, 16);
        else if (!strcmp(argv[i], "--nvecs")) num_nvecs = parse_list(argv[i + 1], nvecs, 16);
        else if (!strcmp(argv[i], "--repeats")) repeats = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--max-dense-gflop")) max_dense_gflop = strtod(argv[i + 1], NULL);
        else if (!strcmp(argv[i], "--pause")) pause = strtod(argv[i + 1], NULL);
        else if (!strcmp(argv[i], "--seed")) seed = strtoul(argv[i + 1], NULL, 10);
        else return usage(), 2;
    }
    if (num_sizes == 0 || num_nvecs == 0 || repeats < 1 || repeats > 1000 || !(max_dense_gflop >= 0) || !(pause >= 0 && pause < 10))
        return usage(), 2;
    bench_print_env("cpu");
    dmf_context *ctx;
    if (dmf_context_create(&ctx, "cpu")) {
        fprintf(stderr, "bench_apply: %s\n", dmf_last_error());
        return 1;
    }
    srand((unsigned)seed);
    double *dmf_times = malloc((size_t)repeats * sizeof(double));
    double *dense_times = malloc((size_t)repeats * sizeof(double));
    int status = dmf_times && dense_times ? DMF_OK : DMF_ERR_NOMEM;
    for (size_t si = 0; si < num_sizes && status == DMF_OK; si++) {
        size_t n = sizes[si], m[64], nn[64], L;
        dmf_matrix_spec spec = {"dft-bitrev", n, n, DMF_C128, 0.0, 1, NULL, NULL, 0};
        dmf_matrix *a = NULL;
        dmf_tree *tree = NULL;
        dmf_chain *chain = NULL;
        if ((status = dmf_matrix_builtin(&spec, &a)) || (status = dmf_default_radices(n, n, m, nn, 64, &L)) ||
            (status = dmf_tree_create(&tree, "balanced", L)) ||
            (status = dmf_butterfly_factor(ctx, a, m, nn, L, tree, NULL, &chain, NULL))) {
            fprintf(stderr, "bench_apply: N = %zu: %s\n", n, dmf_last_error());
            dmf_matrix_free(a);
            dmf_tree_free(tree);
            break;
        }
        double nnz = (double)dmf_chain_nnz(chain);
        for (size_t vi = 0; vi < num_nvecs && status == DMF_OK; vi++) {
            size_t nvec = nvecs[vi], count = n * nvec;
            double complex *x = malloc(count * sizeof *x), *y = malloc(count * sizeof *y);
            double complex *ref = malloc(count * sizeof *ref);
            if (!x || !y || !ref) {
                free(x), free(y), free(ref);
                status = DMF_ERR_NOMEM;
                break;
            }
            for (size_t i = 0; i < count; i++)
                x[i] = (rand() / (double)RAND_MAX - 0.5) + I * (rand() / (double)RAND_MAX - 0.5);
            problem dmf_p = {chain, a, n, nvec, x, y}, dense_p = {chain, a, n, nvec, x, ref};
            /* complex multiply-adds: 8 real flops each */
            double dmf_flops = 8 * nnz * (double)nvec, dense_flops = 8.0 * (double)n * (double)n * (double)nvec;
            int dense = dense_flops / 1e9 <= max_dense_gflop;
            size_t dmf_inner, dense_inner = 1;
            double dmf_call, dense_call = 0;
            status = calibrate(run_dmf, &dmf_p, 5e-3, &dmf_inner, &dmf_call);
            if (status == DMF_OK && dense) status = calibrate(run_dense, &dense_p, 5e-3, &dense_inner, &dense_call);
            /* a dense product of seconds gets 3 repeats, not `repeats` */
            int dense_repeats = dense_call > 1 && repeats > 3 ? 3 : repeats;
            for (int r = 0; r < repeats && status == DMF_OK; r++) {
                rest(pause);
                status = sample(run_dmf, &dmf_p, dmf_inner, &dmf_times[r]);
                if (status == DMF_OK && dense && r < dense_repeats) {
                    rest(pause);
                    status = sample(run_dense, &dense_p, dense_inner, &dense_times[r]);
                }
            }
            if (status == DMF_OK) {
                double err = dense ? rel_diff(y, ref, count) : -1, speedup = 0;
                qsort(dmf_times, (size_t)repeats, sizeof(double), compare_double);
                if (dense) {
                    qsort(dense_times, (size_t)dense_repeats, sizeof(double), compare_double);
                    speedup = dense_times[dense_repeats / 2] / dmf_times[repeats / 2];
                }
                print_line("dmf", n, nvec, dmf_times, repeats, dmf_inner, dmf_flops, err, speedup);
                if (dense) print_line("dense-zgemm", n, nvec, dense_times, dense_repeats, dense_inner, dense_flops, -1, 0);
                else print_skipped(n, nvec, dense_flops / 1e9, max_dense_gflop);
            } else {
                fprintf(stderr, "bench_apply: N = %zu, %zu vectors: %s\n", n, nvec, dmf_last_error());
            }
            free(x), free(y), free(ref);
        }
        dmf_chain_free(chain);
        dmf_tree_free(tree);
        dmf_matrix_free(a);
    }
    free(dmf_times);
    free(dense_times);
    dmf_context_free(ctx);
    return status == DMF_OK ? 0 : 1;
}
