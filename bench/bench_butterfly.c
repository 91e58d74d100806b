/* Butterfly factorization benchmark: one JSON line per (matrix, size,
 * dtype, tree) with the median times of the repeats (the whole call, the
 * transfers, the tree on the backend), the error reached, the process's
 * peak resident memory against the input's size, and the tree's time in
 * passes over the matrix: on the CPU one streaming read on every thread
 * (a vectorized sum, as NumPy's A.sum() reads), on a device backend the matrix's bytes at the copy bandwidth the
 * device shows in this same run (a device-to-device copy of the matrix's
 * size).  With --max-rel-error E a tree whose error exceeds E prints a line
 * with the error and no times, and the program exits 3: a fast wrong
 * answer is not a measurement.  Run one size per process
 * (bench/run_butterfly.sh does) so the peak is that problem's. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "backend/backend.h"
#include "bench_env.h"
#include "bench_stream.h"

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void usage(void)
{
    fputs("usage: bench_butterfly --matrix NAME --size N --dtype DT [--trees l2r,r2l,balanced]\n"
          "                       [--repeats R] [--backend cpu|cuda|auto] [--max-rel-error E]\n"
          "prints {\"env\": ...} then one JSON line per tree; exit 3 when a tree's\n"
          "rel_error exceeds E (that line then carries the error, not the times)\n", stderr);
}

/* The same unit on a device backend: the matrix's bytes at the bandwidth
 * of a device-to-device copy (best of 3 after a warm-up, on the device's
 * clock).  A copy reads and writes every byte, so the bandwidth counts
 * 2 x bytes.  Where two buffers of the matrix's size do not fit, the copy
 * is halved until they do (*copy_bytes says what was copied).  0 when the
 * backend has no device copy or clock. */
static double device_pass_time(const dmf_backend *backend, size_t bytes, size_t *copy_bytes, double *copy_gbs)
{
    *copy_bytes = 0, *copy_gbs = 0;
    if (backend->host_memory || !backend->mem_copy || !backend->timer_start || !backend->timer_stop) return 0;
    void *src = NULL, *dst = NULL;
    size_t size = bytes;
    while (size >= ((size_t)1 << 20)) {
        if (backend->mem_alloc(&src, size) == DMF_OK && backend->mem_alloc(&dst, size) == DMF_OK) break;
        backend->mem_free(src), backend->mem_free(dst);
        src = dst = NULL;
        size /= 2;
    }
    if (!src) return 0;
    double best = INFINITY;
    for (int r = 0; r < 4; r++) {
        void *timer = NULL;
        double t = INFINITY;
        if (backend->timer_start(&timer) != DMF_OK) break;
        int status = backend->mem_copy(dst, src, size);
        if (backend->timer_stop(timer, status == DMF_OK ? &t : NULL) != DMF_OK || status != DMF_OK) break;
        if (r > 0 && t < best) best = t; /* the first copy warms up */
    }
    backend->mem_free(src), backend->mem_free(dst);
    if (!(best > 0 && best < INFINITY)) return 0;
    *copy_bytes = size;
    *copy_gbs = 2.0 * (double)size / best / 1e9;
    return (double)bytes / (*copy_gbs * 1e9);
}

static double median(double *values, int count)
{
    qsort(values, (size_t)count, sizeof *values, compare_double);
    return values[count / 2];
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
    int repeats = 5, over_tolerance = 0;
    double max_rel_error = INFINITY;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--matrix")) name = argv[i + 1];
        else if (!strcmp(argv[i], "--size")) n = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--dtype")) dtype_name = argv[i + 1];
        else if (!strcmp(argv[i], "--trees")) trees = argv[i + 1];
        else if (!strcmp(argv[i], "--repeats")) repeats = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--backend")) backend = argv[i + 1];
        else if (!strcmp(argv[i], "--max-rel-error")) max_rel_error = strtod(argv[i + 1], NULL);
        else return usage(), 2;
    }
    if (argc % 2 == 0 || repeats < 1 || n < 2 || !(max_rel_error >= 0)) return usage(), 2;
    dmf_dtype dtype;
    dmf_context *ctx;
    dmf_matrix *a;
    size_t m[64], nn[64], L;
    dmf_matrix_spec spec = {name, n, n, 0, 0.0, 1, NULL, NULL, 0};
    /* The process before the input (libraries, the context): what the
     * problem adds to the peak is measured from here. */
    if (dmf_context_create(&ctx, backend)) {
        fprintf(stderr, "bench_butterfly: %s\n", dmf_last_error());
        return 1;
    }
    double base_rss = peak_rss_mib();
    if (dmf_dtype_parse(dtype_name, &dtype) || (spec.dtype = dtype, dmf_matrix_builtin(&spec, &a)) ||
        dmf_default_radices(n, n, m, nn, 64, &L)) {
        fprintf(stderr, "bench_butterfly: %s\n", dmf_last_error());
        dmf_context_free(ctx);
        return 1;
    }
    size_t input_bytes = n * n * dmf_dtype_size(dtype), copy_bytes = 0;
    double input_mib = (double)input_bytes / (1024.0 * 1024.0), copy_gbs = 0;
    /* The unit of "passes", measured in this run on the memory the tree
     * runs in.  On the CPU the read is taken again after every tree and
     * the fastest so far is the unit: a shared machine has read the same
     * input 1.7x faster from one minute to the next (bench_reads). */
    const char *pass_source = "device-copy";
    double one_pass = device_pass_time(dmf_context_backend(ctx), input_bytes, &copy_bytes, &copy_gbs);
    if (one_pass == 0) pass_source = "cpu-read", one_pass = bench_pass_time(a);
    const double first_pass = one_pass;
    bench_print_env(dmf_context_backend_name(ctx));
    char tree_list[256];
    snprintf(tree_list, sizeof tree_list, "%s", trees);
    for (char *tree_name = strtok(tree_list, ","); tree_name; tree_name = strtok(NULL, ",")) {
        dmf_tree *tree;
        if (dmf_tree_create(&tree, tree_name, L)) {
            fprintf(stderr, "bench_butterfly: %s\n", dmf_last_error());
            return 1;
        }
        double times[64], transfers[64], devices[64], err = -1;
        int status = DMF_OK;
        for (int r = 0; r < repeats && r < 64 && status == DMF_OK; r++) {
            dmf_chain *chain = NULL;
            dmf_butterfly_report rep;
            status = dmf_butterfly_factor(ctx, a, m, nn, L, tree, NULL, &chain, &rep);
            times[r] = rep.time_s;
            transfers[r] = rep.transfer_s;
            devices[r] = rep.device_s;
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
        if (!(err <= max_rel_error)) {
            printf("{\"bench\": \"butterfly\", \"tool\": \"dmf\", \"backend\": \"%s\", \"matrix\": \"%s\", "
                   "\"n\": %zu, \"dtype\": \"%s\", \"tree\": \"%s\", \"rel_error\": %.3e, "
                   "\"max_rel_error\": %.3e, \"error\": \"rel_error above the tolerance: no time reported\"}\n",
                   dmf_context_backend_name(ctx), name, n, dtype_name, tree_name, err, max_rel_error);
            fprintf(stderr, "bench_butterfly: %s n=%zu %s %s on %s: rel_error %.3e above the tolerance %.3e\n", name,
                    n, dtype_name, tree_name, dmf_context_backend_name(ctx), err, max_rel_error);
            fflush(stdout);
            over_tolerance = 1;
            dmf_tree_free(tree);
            continue;
        }
        int count = repeats < 64 ? repeats : 64;
        double device_s = median(devices, count), transfer_s = median(transfers, count);
        double time_s = median(times, count);
        /* On the CPU the passes are those of the whole call (its checks of
         * the input included), on a device those of the tree on it. */
        int on_host = strcmp(pass_source, "cpu-read") == 0;
        if (on_host) {
            double again = bench_pass_time(a);
            if (again < one_pass) one_pass = again;
        }
        double passes = (on_host ? time_s : device_s) / one_pass;
        printf("{\"bench\": \"butterfly\", \"tool\": \"dmf\", \"backend\": \"%s\", \"matrix\": \"%s\", "
               "\"n\": %zu, \"dtype\": \"%s\", \"tree\": \"%s\", \"time_s\": %.6g, \"min_time_s\": %.6g, "
               "\"device_s\": %.6g, \"transfer_s\": %.6g, "
               "\"repeats\": %d, \"rel_error\": %.3e, \"input_mib\": %.1f, \"peak_rss_mib\": %.1f, "
               "\"base_rss_mib\": %.1f, \"pass_time_s\": %.4g, \"first_pass_time_s\": %.4g, \"pass_source\": \"%s\", "
               "\"copy_gbs\": %.4g, \"copy_mib\": %.1f, "
               "\"passes\": %.1f, \"passes_of\": \"%s\", ",
               dmf_context_backend_name(ctx), name, n, dtype_name, tree_name, time_s, times[0], device_s,
               transfer_s, count, err, input_mib, peak_rss_mib(), base_rss, one_pass, first_pass, pass_source, copy_gbs,
               (double)copy_bytes / (1024.0 * 1024.0), passes, on_host ? "time_s" : "device_s");
        bench_print_machine_fields();
        printf("}\n");
        fflush(stdout);
        dmf_tree_free(tree);
    }
    dmf_matrix_free(a);
    dmf_context_free(ctx);
    return over_tolerance ? 3 : 0;
}
