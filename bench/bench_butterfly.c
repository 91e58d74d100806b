/* Butterfly factorization benchmark: one JSON line per (matrix, size,
 * dtype, tree) with the median time of the repeats, the error reached, and
 * the process's peak resident memory against the input's size.  Run one
 * size per process (bench/run_butterfly.sh does) so the peak is that
 * problem's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "bench_env.h"

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void usage(void)
{
    fputs("usage: bench_butterfly --matrix NAME --size N --dtype DT [--trees l2r,r2l,balanced]\n"
          "                       [--repeats R] [--backend cpu|cuda|auto]\n"
          "prints {\"env\": ...} then one JSON line per tree\n", stderr);
}

/* One streaming read of the matrix (its Frobenius norm): the unit in which
 * the factorization's time is also reported, as a number of passes. */
static double pass_time(const dmf_matrix *a)
{
    double best = 1e30;
    for (int r = 0; r < 3; r++) {
        double t0 = bench_now();
        volatile double norm = dmf_matrix_norm_fro(a);
        (void)norm;
        double t = bench_now() - t0;
        if (t < best) best = t;
    }
    return best;
}

static double peak_rss_mib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

int main(int argc, char **argv)
{
    const char *name = "dft-bitrev", *dtype_name = "c128", *trees = "l2r,r2l,balanced", *backend = "cpu";
    size_t n = 1024;
    int repeats = 5;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--matrix")) name = argv[i + 1];
        else if (!strcmp(argv[i], "--size")) n = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--dtype")) dtype_name = argv[i + 1];
        else if (!strcmp(argv[i], "--trees")) trees = argv[i + 1];
        else if (!strcmp(argv[i], "--repeats")) repeats = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--backend")) backend = argv[i + 1];
        else return usage(), 2;
    }
    if (argc % 2 == 0 || repeats < 1 || n < 2) return usage(), 2;
    dmf_dtype dtype;
    dmf_context *ctx;
    dmf_matrix *a;
    size_t m[64], nn[64], L;
    dmf_matrix_spec spec = {name, n, n, 0, 0.0, 1, NULL, NULL, 0};
    if (dmf_dtype_parse(dtype_name, &dtype) || (spec.dtype = dtype, dmf_matrix_builtin(&spec, &a)) ||
        dmf_default_radices(n, n, m, nn, 64, &L) || dmf_context_create(&ctx, backend)) {
        fprintf(stderr, "bench_butterfly: %s\n", dmf_last_error());
        return 1;
    }
    dmf_build_info build;
    dmf_get_build_info(&build);
    double input_mib = (double)n * n * dmf_dtype_size(dtype) / (1024.0 * 1024.0);
    double one_pass = pass_time(a);
    bench_print_env(dmf_context_backend_name(ctx));
    char tree_list[256];
    snprintf(tree_list, sizeof tree_list, "%s", trees);
    for (char *tree_name = strtok(tree_list, ","); tree_name; tree_name = strtok(NULL, ",")) {
        dmf_tree *tree;
        if (dmf_tree_create(&tree, tree_name, L)) {
            fprintf(stderr, "bench_butterfly: %s\n", dmf_last_error());
            return 1;
        }
        double times[64], transfers[64], err = -1;
        int status = DMF_OK;
        for (int r = 0; r < repeats && r < 64 && status == DMF_OK; r++) {
            dmf_chain *chain = NULL;
            dmf_butterfly_report rep;
            status = dmf_butterfly_factor(ctx, a, m, nn, L, tree, NULL, &chain, &rep);
            times[r] = rep.time_s;
            transfers[r] = rep.transfer_s;
            if (status == DMF_OK && r == 0) status = dmf_chain_rel_error(chain, a, &err);
            dmf_chain_free(chain);
        }
        if (status != DMF_OK) {
            printf("{\"bench\": \"butterfly\", \"tool\": \"dmf\", \"matrix\": \"%s\", \"n\": %zu, "
                   "\"dtype\": \"%s\", \"tree\": \"%s\", \"error\": \"%s\"}\n",
                   name, n, dtype_name, tree_name, dmf_last_error());
            dmf_tree_free(tree);
            continue;
        }
        int count = repeats < 64 ? repeats : 64;
        qsort(times, (size_t)count, sizeof *times, compare_double);
        qsort(transfers, (size_t)count, sizeof *transfers, compare_double);
        printf("{\"bench\": \"butterfly\", \"tool\": \"dmf\", \"backend\": \"%s\", \"matrix\": \"%s\", "
               "\"n\": %zu, \"dtype\": \"%s\", \"tree\": \"%s\", \"time_s\": %.6g, \"min_time_s\": %.6g, "
               "\"repeats\": %d, \"rel_error\": %.3e, \"input_mib\": %.1f, \"peak_rss_mib\": %.1f, "
               "\"pass_time_s\": %.4g, \"passes\": %.1f, \"transfer_s\": %.6g, \"threads\": %d}\n",
               dmf_context_backend_name(ctx), name, n, dtype_name, tree_name, times[count / 2], times[0],
               count, err, input_mib, peak_rss_mib(), one_pass, times[count / 2] / one_pass,
               transfers[count / 2], build.openmp_threads);
        fflush(stdout);
        dmf_tree_free(tree);
    }
    dmf_matrix_free(a);
    dmf_context_free(ctx);
    return 0;
}
