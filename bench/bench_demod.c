/* Blind demodulation benchmark: `trials` problems on the paper's Gaussian
 * generators n -> hidden -> l (default 1000 trials of 10 -> 250 -> 1000)
 * solved by Algorithm 1 in one batched call with a fixed number of
 * iterations (tol = 0, so every trial runs them all and the time is the
 * algorithm's, not the stopping rule's).  Prints an environment header and
 * one JSON line with the time, the success rate and the GEMM throughput.
 * --dtype f32|f64 picks the precision, --backend the backend: auto, cpu,
 * cuda (once the CUDA table is complete), or cuda-relu: the CPU table with
 * the CUDA ReLU passes, i.e. every network pass on the GPU and the rest of
 * Algorithm 1 on the host.  On CUDA the table's entries take host pointers:
 * every pass copies its activations in and out, which the time includes.
 * --independent-networks gives one network per trial (a batched GEMV
 * instead of a GEMM: memory-bound). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend/backend.h"
#include "bench_env.h"
#include "internal.h"

int main(int argc, char **argv)
{
    size_t trials = 1000, latent = 10, hidden = 250, out = 1000, iterations = 500;
    const char *backend = "cpu", *rule = "fixed", *dtype_name = "f64";
    double step = 0;
    int independent = 0;
    for (int i = 1; i < argc; i += 2) {
        if (!strcmp(argv[i], "--independent-networks")) {
            independent = 1;
            i--;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "bench_demod: %s needs a value\n", argv[i]);
            return 2;
        }
        if (!strcmp(argv[i], "--trials")) trials = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--latent")) latent = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--hidden")) hidden = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--output")) out = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--iterations")) iterations = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--step-rule")) rule = argv[i + 1];
        else if (!strcmp(argv[i], "--step")) step = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--backend")) backend = argv[i + 1];
        else if (!strcmp(argv[i], "--dtype")) dtype_name = argv[i + 1];
        else {
            fputs("usage: bench_demod [--trials T] [--latent n] [--hidden h] [--output l] [--iterations N]\n"
                  "                   [--step-rule fixed|scaled|backtracking] [--step ETA]\n"
                  "                   [--backend auto|cpu|cuda|cuda-relu]\n"
                  "                   [--dtype f32|f64] [--independent-networks]\n", stderr);
            return 2;
        }
    }
    dmf_dtype dtype;
    if ((strcmp(dtype_name, "f32") && strcmp(dtype_name, "f64")) || dmf_dtype_parse(dtype_name, &dtype)) {
        fprintf(stderr, "bench_demod: --dtype is f32 or f64, not '%s'\n", dtype_name);
        return 2;
    }
    if (trials < 1) {
        fputs("bench_demod: --trials must be >= 1\n", stderr);
        return 2;
    }
    dmf_context *ctx = NULL;
    dmf_generator *g1 = NULL, *g2 = NULL;
    size_t sizes[3] = {latent, hidden, out};
    const size_t networks = independent ? trials : 1;
    dmf_backend relu_on_gpu = *dmf_backend_cpu();
    relu_on_gpu.name = "cpu+cuda-relu";
    relu_on_gpu.relu_forward = dmf_cuda_relu_forward;
    relu_on_gpu.relu_backward = dmf_cuda_relu_backward;
    int ctx_status = strcmp(backend, "cuda-relu") ? dmf_context_create(&ctx, backend)
                                                  : dmf_context_create_from_backend(&ctx, &relu_on_gpu);
    if (ctx_status || dmf_generator_random_networks(&g1, sizes, 3, networks, 1) ||
        dmf_generator_random_networks(&g2, sizes, 3, networks, 2) || dmf_generator_set_dtype(g1, dtype) ||
        dmf_generator_set_dtype(g2, dtype)) {
        fprintf(stderr, "bench_demod: %s\n", dmf_last_error());
        dmf_generator_free(g1);
        dmf_generator_free(g2);
        dmf_context_free(ctx);
        return 1;
    }
    double *h0 = malloc(trials * latent * sizeof *h0), *m0 = malloc(trials * latent * sizeof *m0);
    double *h = malloc(trials * latent * sizeof *h), *m = malloc(trials * latent * sizeof *m);
    double *a = malloc(trials * out * sizeof *a), *b = malloc(trials * out * sizeof *b);
    dmf_demod_trial *res = calloc(trials, sizeof *res);
    int status = h0 && m0 && h && m && a && b && res ? DMF_OK : dmf_fail(DMF_ERR_NOMEM, "cannot allocate %zu trials", trials);
    dmf_rng rng;
    dmf_rng_seed(&rng, 3);
    for (size_t e = 0; status == DMF_OK && e < trials * latent; e++) h0[e] = dmf_rng_normal(&rng), m0[e] = dmf_rng_normal(&rng);
    for (size_t e = 0; status == DMF_OK && e < trials * latent; e++) h[e] = dmf_rng_normal(&rng), m[e] = dmf_rng_normal(&rng);
    if (status == DMF_OK) status = dmf_generator_forward(ctx, g1, h0, trials, a);
    if (status == DMF_OK) status = dmf_generator_forward(ctx, g2, m0, trials, b);
    for (size_t e = 0; status == DMF_OK && e < trials * out; e++) a[e] *= b[e];
    dmf_demod_options o;
    dmf_demod_options_default(&o);
    o.iterations = iterations;
    o.tol = 0;
    /* Success in f32 is judged by the same 1e-3 (float reaches ~1e-5). */
    o.step_rule = !strcmp(rule, "fixed") ? DMF_STEP_FIXED : !strcmp(rule, "scaled") ? DMF_STEP_SCALED : DMF_STEP_BACKTRACKING;
    /* The fixed step that matches the curvature scale l 4^d of unit latents. */
    o.step = step > 0 ? step : (o.step_rule == DMF_STEP_FIXED ? 0.25 * (double)out * 16 / (double)latent : 1.0);
    double t0 = bench_now();
    if (status == DMF_OK) status = dmf_demod_solve(ctx, g1, g2, a, trials, h, m, h0, m0, &o, res, NULL);
    double t = bench_now() - t0;
    if (status != DMF_OK) {
        fprintf(stderr, "bench_demod: %s\n", dmf_last_error());
        free(h0), free(m0), free(h), free(m), free(a), free(b), free(res);
        dmf_generator_free(g1);
        dmf_generator_free(g2);
        dmf_context_free(ctx);
        return 1;
    }
    size_t ok = 0;
    for (size_t i = 0; i < trials; i++) ok += res[i].success;
    /* GEMM work per iteration (no backtracking): the sign check's 2 forwards
     * of 2T rows, then per half-step a forward of both generators and one
     * backward, plus the final objective: 2*2 + 2*(2+1) + 2 = 12 passes of T
     * rows through a generator, 2 flops per weight each. */
    double weights = (double)(latent * hidden + hidden * out);
    double flops = 12.0 * 2.0 * weights * (double)trials * (double)iterations;
    bench_print_env(dmf_context_backend_name(ctx));
    printf("{\"bench\": \"demod\", \"tool\": \"dmf\", \"backend\": \"%s\", \"dtype\": \"%s\", \"networks\": \"%s\", "
           "\"trials\": %zu, \"sizes\": [%zu, %zu, %zu], \"iterations\": %zu, \"step_rule\": \"%s\", \"step\": %g, "
           "\"time_s\": %.4g, \"successes\": %zu, \"gflops\": %.3g}\n",
           dmf_context_backend_name(ctx), dtype_name, independent ? "per_trial" : "shared", trials, latent, hidden, out,
           iterations, rule, o.step, t, ok, flops / t * 1e-9);
    free(h0), free(m0), free(h), free(m), free(a), free(b), free(res);
    dmf_generator_free(g1);
    dmf_generator_free(g2);
    dmf_context_free(ctx);
    return 0;
}
