/* Reads of an N x N matrix in the patterns of the trees' first splits,
 * against a streaming read: what this machine's memory gives each pattern.
 * The balanced root gathers its blocks a tile of consecutive rows at a time
 * (runs of about 2 KiB, one row group's rows); r2l's root reads runs of 512
 * bytes (c128; 256 bytes for f64) of every other row.  A pattern RxS/G:
 * the matrix cut into column strips of R bytes and those into bands of G
 * rows (all rows without /G), the threads taking (strip, band) items, each
 * item's rows read one S-th at a time (rows 0, S, 2S, ..., then 1, 1 + S,
 * ...), runs of up to 4 KiB prefetched a dozen rows ahead into L2, every
 * line of a run (the matrix starts 16 bytes past a line), as dmf's splits
 * prefetch theirs, and by bands (the gather's tiles) the next item's rows a
 * row per row of this one.  The default patterns: the balanced root's
 * tiles at N = 4096 and 16384 (2048x1/64, 2048x1/128), r2l's root (512x2
 * for c128, 256x2 for f64), and long runs (65536x1/64).
 *
 *   bench_reads --size N --dtype DT [--patterns 2048x1/64,512x2,...] [--repeats R]
 *
 * Prints {"env": ...}, then one JSON line for the streaming read and one
 * per pattern: the median time of the repeats (every repeat takes the
 * streaming read and all patterns in turn), GB/s, the time in passes of the
 * streaming read (its median), the load and the CPU model. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_env.h"
#include "bench_stream.h"
#include "internal.h"

enum { MAX_PATTERNS = 32, AHEAD = 12 };


typedef unsigned long long words __attribute__((vector_size(64)));

typedef struct {
    size_t run, step, band; /* band 0: all rows */
} read_pattern;

static void usage(void)
{
    fputs("usage: bench_reads --size N --dtype DT [--patterns RxS[/G],...] [--repeats R]\n"
          "prints {\"env\": ...} then one JSON line for a streaming read of the N x N\n"
          "matrix and one per pattern: runs of R bytes of every S-th row, by column\n"
          "strips and bands of G rows (default 2048x1/64,2048x1/128,512x2,256x2,65536x1/64)\n",
          stderr);
}

/* Integer sums of the words read: no float assists whatever the bytes hold. */
static unsigned long long read_runs(const char *base, size_t rows, size_t row_bytes, read_pattern pat)
{
    const size_t run = pat.run, step = pat.step, band = pat.band ? pat.band : rows;
    const size_t strips = row_bytes / run, bands = rows / band;
    const int prefetch = run <= 4096;
    unsigned long long total = 0;
#pragma omp parallel for schedule(dynamic, 1) reduction(^ : total)
    for (size_t k = 0; k < bands * strips * step; k++) {
        const size_t b0 = (k / (strips * step)) * band, strip = k / step % strips;
        const char *column = base + strip * run;
        const size_t k1 = k + 1 < bands * strips * step ? k + 1 : k;
        const char *next = base + (k1 / (strips * step)) * band * row_bytes + (k1 / step % strips) * run +
                           (k1 % step) * row_bytes;
        words acc = {0};
        for (size_t r = b0 + k % step; r < b0 + band; r += step) {
            const char *p = column + r * row_bytes;
            if (prefetch && r + AHEAD * step < b0 + band) DMF_PREFETCH_LINES(p + AHEAD * step * row_bytes, run, 1);
            if (prefetch && pat.band && k1 != k) DMF_PREFETCH_LINES(next + (r - b0 - k % step) * row_bytes, run, 2);
            for (size_t b = 0; b < run; b += 64) {
                words w;
                memcpy(&w, p + b, sizeof w);
                acc += w;
            }
        }
        for (int l = 0; l < 8; l++) total ^= acc[l];
    }
    return total;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *values, int count)
{
    qsort(values, (size_t)count, sizeof *values, compare_double);
    return values[count / 2];
}

/* "RxS[/G],..." into patterns; 0 on a malformed list. */
static size_t parse_patterns(const char *text, read_pattern *out, size_t max)
{
    size_t count = 0;
    for (const char *p = text; *p;) {
        char *end;
        read_pattern pat = {strtoull(p, &end, 10), 0, 0};
        if (end == p || *end != 'x' || count == max) return 0;
        p = end + 1;
        pat.step = strtoull(p, &end, 10);
        if (end == p) return 0;
        if (*end == '/') {
            p = end + 1;
            pat.band = strtoull(p, &end, 10);
            if (end == p || pat.band == 0) return 0;
        }
        if (pat.run == 0 || pat.step == 0 || (*end && *end != ',')) return 0;
        out[count++] = pat;
        p = *end ? end + 1 : end;
    }
    return count;
}

int main(int argc, char **argv)
{
    const char *dtype_name = "c128", *patterns_text = "2048x1/64,2048x1/128,512x2,256x2,65536x1/64";
    size_t n = 4096;
    int repeats = 5;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--size")) n = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--dtype")) dtype_name = argv[i + 1];
        else if (!strcmp(argv[i], "--patterns")) patterns_text = argv[i + 1];
        else if (!strcmp(argv[i], "--repeats")) repeats = atoi(argv[i + 1]);
        else return usage(), 2;
    }
    read_pattern patterns[MAX_PATTERNS];
    size_t num = parse_patterns(patterns_text, patterns, MAX_PATTERNS);
    dmf_dtype dtype;
    if (argc % 2 == 0 || repeats < 1 || repeats > 99 || n < 2 || !num || dmf_dtype_parse(dtype_name, &dtype))
        return usage(), 2;
    const size_t row_bytes = n * dmf_dtype_size(dtype);
    for (size_t k = 0; k < num; k++) {
        const read_pattern *p = &patterns[k];
        if (p->run % 64 || row_bytes % p->run || (p->band && (n % p->band || p->band < p->step))) {
            fprintf(stderr,
                    "bench_reads: pattern %zux%zu/%zu does not fit %zu rows of %zu bytes (runs of whole 64-byte "
                    "lines that cut the rows, bands that cut the rows and hold a step)\n",
                    p->run, p->step, p->band, n, row_bytes);
            return 2;
        }
    }
    dmf_matrix *a;
    if (dmf_matrix_create(&a, dtype, n, n)) {
        fprintf(stderr, "bench_reads: %s\n", dmf_last_error());
        return 1;
    }
    /* Written once, so that every page is the process's own (an untouched
     * page reads as the kernel's shared zero page, from the cache). */
    char *base = dmf_matrix_data(a);
#pragma omp parallel for schedule(static)
    for (size_t r = 0; r < n; r++) memset(base + r * row_bytes, 1, row_bytes);

    bench_print_env("cpu");
    double stream[100], times[MAX_PATTERNS][100];
    volatile unsigned long long sink = 0;
    for (int rep = 0; rep < repeats; rep++) {
        double t0 = bench_now();
        volatile double sum = bench_stream_sum(a);
        (void)sum;
        stream[rep] = bench_now() - t0;
        for (size_t p = 0; p < num; p++) {
            t0 = bench_now();
            sink ^= read_runs(base, n, row_bytes, patterns[p]);
            times[p][rep] = bench_now() - t0;
        }
    }
    (void)sink;
    const double bytes = (double)n * (double)row_bytes;
    const double stream_first = stream[0], stream_median = median(stream, repeats);
    printf("{\"bench\": \"reads\", \"n\": %zu, \"dtype\": \"%s\", \"pattern\": \"stream\", \"time_s\": %.4g, "
           "\"first_time_s\": %.4g, \"gb_per_s\": %.4g, \"passes\": 1, \"repeats\": %d, ",
           n, dtype_name, stream_median, stream_first, bytes / stream_median / 1e9, repeats);
    bench_print_machine_fields();
    printf("}\n");
    for (size_t p = 0; p < num; p++) {
        double first = times[p][0], t = median(times[p], repeats);
        printf("{\"bench\": \"reads\", \"n\": %zu, \"dtype\": \"%s\", \"pattern\": \"runs\", \"run_bytes\": %zu, "
               "\"row_step\": %zu, \"band_rows\": %zu, \"time_s\": %.4g, \"first_time_s\": %.4g, \"gb_per_s\": %.4g, "
               "\"passes\": %.2f, \"repeats\": %d, ",
               n, dtype_name, patterns[p].run, patterns[p].step, patterns[p].band ? patterns[p].band : n, t, first,
               bytes / t / 1e9, t / stream_median, repeats);
        bench_print_machine_fields();
        printf("}\n");
    }
    dmf_matrix_free(a);
    return 0;
}
