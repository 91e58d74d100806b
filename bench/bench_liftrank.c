/* Lifting-rank benchmark: dmf_liftrank on a network spec (default: the
 * undecimated Haar path, N = 4096, K = 10, rank 1024), and, in the same
 * process on the same final sample matrix, LAPACK's singular values alone
 * (dgesdd): the floor a Monte Carlo rank cannot beat.  One JSON line each,
 * after an environment header. */
#include <float.h>
#include <lapacke.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend/backend.h"
#include "bench_env.h"
#include "lift/network.h"

static char *haar_spec(size_t n, size_t K)
{
    char *json = malloc(64 * K + 128);
    int len = sprintf(json, "{\"type\": \"conv\", \"N\": %zu, \"root\": \"n0\", \"edges\": [", n);
    for (size_t k = 0; k < K; k++)
        len += sprintf(json + len, "%s{\"from\": \"n%zu\", \"to\": \"n%zu\", \"support\": {\"dilated\": %zu}}",
                       k ? ", " : "", k + 1, k, k);
    sprintf(json + len, "]}");
    return json;
}

int main(int argc, char **argv)
{
    const char *spec = NULL, *backend = "cpu";
    size_t n = 4096, K = 10, initial = 16;
    int repeats = 3;
    static const char usage[] =
        "usage: bench_liftrank [--network NET.json | --haar-n N --haar-k K] [--samples R0]\n"
        "                      [--repeats R] [--backend cpu|cuda|auto]\n";
    for (int i = 1; i < argc; i += 2) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage, stdout);
            return 0;
        }
        if (i + 1 == argc) {
            fprintf(stderr, "bench_liftrank: %s needs a value\n%s", argv[i], usage);
            return 2;
        }
        if (!strcmp(argv[i], "--network")) spec = argv[i + 1];
        else if (!strcmp(argv[i], "--haar-n")) n = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--haar-k")) K = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--samples")) initial = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--repeats")) repeats = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--backend")) backend = argv[i + 1];
        else {
            fprintf(stderr, "bench_liftrank: unknown option %s\n%s", argv[i], usage);
            return 2;
        }
    }
    dmf_network *net = NULL;
    dmf_context *ctx = NULL;
    char *haar = spec ? NULL : haar_spec(n, K);
    int status = spec ? dmf_network_read(spec, &net) : dmf_network_parse(haar, "haar", &net);
    if (status == DMF_OK) status = dmf_context_create(&ctx, backend);
    if (status != DMF_OK) {
        fprintf(stderr, "bench_liftrank: %s\n", dmf_last_error());
        return 1;
    }
    dmf_build_info build;
    dmf_get_build_info(&build);
    bench_print_env(dmf_context_backend_name(ctx));

    double best = 1e30;
    dmf_liftrank_report rep = {0};
    for (int r = 0; r < repeats; r++) {
        dmf_liftrank_report_free(&rep);
        double t0 = bench_now();
        status = dmf_liftrank(ctx, net, 1, initial, &rep);
        double t = bench_now() - t0;
        if (status != DMF_OK) break;
        if (t < best) best = t;
    }
    if (status != DMF_OK) {
        fprintf(stderr, "bench_liftrank: %s\n", dmf_last_error());
        return 1;
    }
    /* The final sample matrix again (same seed, same stream), then LAPACK alone. */
    size_t D = rep.sample_length, R = rep.samples, KK = net->num_layers, S = net->num_params;
    double *h = malloc(R * KK * S * sizeof *h), *a = malloc(D * R * sizeof *a), *sv = malloc((R + 1) * sizeof *sv);
    dmf_rng rng;
    dmf_rng_seed(&rng, 1);
    for (size_t e = 0; e < R * KK * S; e++) h[e] = dmf_rng_normal(&rng);
    dmf_sparse_layer views[DMF_MAX_LAYERS];
    for (size_t k = 0; k < KK; k++)
        views[k] = (dmf_sparse_layer){net->layers[k].rows, net->layers[k].cols, net->layers[k].count,
                                      net->layers[k].entries};
    double t0 = bench_now();
    dmf_backend_cpu()->lift_samples(KK, views, S, net->probes, net->num_probes, R, h, a);
    double sample_time = bench_now() - t0;
    double lapack = 1e30;
    double *copy = malloc(D * R * sizeof *copy);
    for (int r = 0; r < repeats; r++) {
        memcpy(copy, a, D * R * sizeof *a);
        t0 = bench_now();
        LAPACKE_dgesdd(LAPACK_COL_MAJOR, 'N', (lapack_int)D, (lapack_int)R, copy, (lapack_int)D, sv, NULL, 1, NULL, 1);
        double t = bench_now() - t0;
        if (t < lapack) lapack = t;
    }
    printf("{\"bench\": \"liftrank\", \"tool\": \"dmf\", \"backend\": \"%s\", \"network\": \"%s\", \"K\": %zu, "
           "\"S\": %zu, \"rank\": %zu, \"samples\": %zu, \"sample_length\": %zu, \"time_s\": %.4g, "
           "\"final_samples_time_s\": %.4g, \"lapack_svd_time_s\": %.4g, \"ratio_to_lapack_svd\": %.3g, "
           "\"threads\": %d}\n",
           dmf_context_backend_name(ctx), spec ? spec : "haar", KK, S, rep.rank, R, D, best, sample_time, lapack,
           best / lapack, build.openmp_threads);
    free(h), free(a), free(sv), free(copy), free(haar);
    dmf_liftrank_report_free(&rep);
    dmf_network_free(net);
    dmf_context_free(ctx);
    return 0;
}
