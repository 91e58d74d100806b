/* Lifting samples on CUDA against the CPU reference backend: the same
 * networks and the same h on both, compared with the ratio
 *     ||gpu - cpu||_F / (||cpu||_F * n * eps),   n = K * (longest row sum),
 * which must stay below 1.  Both backends add the same products in the
 * same order without fused multiply-adds, so the ratio is expected to be 0
 * (bit-identical samples); the bound leaves room for a device that rounds
 * differently without letting an indexing error through.  Then the rank
 * and spectrum of the liftrank estimate from each backend's samples must
 * agree, and the explicit lifted operator of dmf_recover's lifting (and
 * that lifting itself) on both.  Exits 77 where no CUDA device is usable.  --small: R up to 40
 * and no multi-batch case, for compute-sanitizer. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backend/lift_plan.h"
#include "check.h"
#include "internal.h"
#include "lift_cases.h"

static const double ratio_bound = 1.0;

/* Terms summed into one entry of one layer, at most. */
static size_t longest_row(const dmf_network *net)
{
    size_t longest = 1;
    for (size_t k = 0; k < net->num_layers; k++) {
        const dmf_layer *layer = &net->layers[k];
        size_t *count = calloc(layer->rows, sizeof *count);
        for (size_t e = 0; e < layer->count; e++)
            if (++count[layer->entries[e].row] > longest) longest = count[layer->entries[e].row];
        free(count);
    }
    return longest;
}

static double ratio(const double *gpu, const double *cpu, size_t len, size_t n)
{
    double diff = 0, norm = 0;
    for (size_t e = 0; e < len; e++) {
        diff += (gpu[e] - cpu[e]) * (gpu[e] - cpu[e]);
        norm += cpu[e] * cpu[e];
    }
    if (norm == 0) return diff == 0 ? 0 : INFINITY;
    return sqrt(diff) / (sqrt(norm) * (double)n * DBL_EPSILON);
}

/* Samples R = 0, 1, 33 and a few thousand (several blocks of the grid per
 * multiprocessor), each backend on the same h. */
static int small; /* --small: the short list for compute-sanitizer */

static void test_samples(void)
{
    const size_t counts[4] = {0, 1, 33, small ? 40 : 3000};
    for (int c = 0; c < LIFT_NUM_CASES; c++) {
        dmf_network *net = lift_case(c);
        CHECK(net != NULL, "case %s did not build", lift_case_names[c]);
        if (!net) continue;
        const size_t K = net->num_layers, S = net->num_params, D = net->layers[0].rows * net->num_probes;
        dmf_sparse_layer views[DMF_MAX_LAYERS];
        lift_views(net, views);
        for (int i = 0; i < 4; i++) {
            size_t R = counts[i];
            double *h = malloc((R * K * S + 1) * sizeof *h), *cpu = malloc((R * D + 1) * sizeof *cpu);
            double *gpu = malloc((R * D + 1) * sizeof *gpu);
            dmf_rng rng;
            dmf_rng_seed(&rng, 1000 + (uint64_t)(10 * c + i));
            for (size_t e = 0; e < R * K * S; e++) h[e] = dmf_rng_normal(&rng);
            for (size_t e = 0; e < R * D; e++) gpu[e] = NAN;
            CHECK_OK(dmf_backend_cpu()->lift_samples(K, views, S, net->probes, net->num_probes, R, h, cpu));
            CHECK_OK(dmf_cuda_lift_samples(K, views, S, net->probes, net->num_probes, R, h, gpu));
            double q = ratio(gpu, cpu, R * D, K * longest_row(net));
            int same = memcmp(gpu, cpu, R * D * sizeof *gpu) == 0;
            printf("%-28s R=%-5zu D=%-5zu ratio %.3g (bound %.1f)%s\n", lift_case_names[c], R, D, q, ratio_bound,
                   same ? ", bit-identical" : "");
            CHECK(q <= ratio_bound, "%s R=%zu: ||gpu - cpu|| / (||cpu|| n eps) = %.3g > %.1f (seed %d)",
                  lift_case_names[c], R, q, ratio_bound, 1000 + 10 * c + i);
            free(h);
            free(cpu);
            free(gpu);
        }
        dmf_network_free(net);
    }
}

/* A 1000 x 1000 layer probed on every column: 24 MB of device memory per
 * sample, so 25 samples run in several batches (the kernel keeps a batch
 * under 256 MiB). */
static void test_batches(void)
{
    const size_t n = 1000, R = 25;
    dmf_network *net = NULL;
    int status = dmf_network_init(&net, 1, "triplets");
    if (status == DMF_OK) status = dmf_network_set_layer(net, 0, n, n);
    for (size_t i = 0; status == DMF_OK && i < n; i++) {
        status = dmf_network_add(net, 0, i, i, 0, 1.0);
        if (status == DMF_OK) status = dmf_network_add(net, 0, i, (i * 7 + 1) % n, 1 + i % 3, 0.5);
    }
    if (status == DMF_OK) status = dmf_network_finish(net);
    CHECK_OK(status);
    if (status != DMF_OK) {
        dmf_network_free(net);
        return;
    }
    const size_t S = net->num_params, D = n * n;
    dmf_sparse_layer views[1];
    lift_views(net, views);
    double *h = malloc(R * S * sizeof *h), *cpu = malloc(R * D * sizeof *cpu), *gpu = malloc(R * D * sizeof *gpu);
    CHECK(h && cpu && gpu, "cannot allocate %zu samples of %zu", R, D);
    if (h && cpu && gpu) {
        dmf_rng rng;
        dmf_rng_seed(&rng, 99);
        for (size_t e = 0; e < R * S; e++) h[e] = dmf_rng_normal(&rng);
        CHECK_OK(dmf_backend_cpu()->lift_samples(1, views, S, net->probes, net->num_probes, R, h, cpu));
        CHECK_OK(dmf_cuda_lift_samples(1, views, S, net->probes, net->num_probes, R, h, gpu));
        double q = ratio(gpu, cpu, R * D, 2);
        printf("%-28s R=%-5zu D=%-7zu ratio %.3g (bound %.1f)\n", "1000x1000, all columns", R, D, q, ratio_bound);
        CHECK(q <= ratio_bound, "batched samples: ratio %.3g > %.1f", q, ratio_bound);
    }
    free(h);
    free(cpu);
    free(gpu);
    dmf_network_free(net);
}

/* The Haar network's estimate (rank 2^K) from each backend: dmf_liftrank
 * through a "cuda" context when the whole CUDA backend is offered, and in
 * any case the singular values of both backends' sample matrices for the
 * same R and h stream dmf_liftrank uses. */
static void test_rank(void)
{
    dmf_network *net = lift_case(0);
    if (!net) return;
    dmf_context *cpu_ctx = NULL, *cuda_ctx = NULL;
    dmf_liftrank_report cpu_rep = {0}, cuda_rep = {0};
    CHECK_OK(dmf_context_create(&cpu_ctx, "cpu"));
    CHECK_OK(dmf_liftrank(cpu_ctx, net, 7, 4, &cpu_rep));
    CHECK(cpu_rep.rank == 16, "Haar K=4 on the CPU: rank %zu, expected 16", cpu_rep.rank);

    int status;
    const dmf_backend *cuda = dmf_backend_cuda(&status);
    if (cuda) {
        CHECK(cuda->lift_samples == dmf_cuda_lift_samples, "the CUDA table does not use the CUDA sample kernel");
        CHECK_OK(dmf_context_create(&cuda_ctx, "cuda"));
        CHECK_OK(dmf_liftrank(cuda_ctx, net, 7, 4, &cuda_rep));
        CHECK(cuda_rep.rank == cpu_rep.rank && cuda_rep.samples == cpu_rep.samples &&
                  cuda_rep.rank_gap == cpu_rep.rank_gap && cuda_rep.rank_sqrt_eps == cpu_rep.rank_sqrt_eps,
              "liftrank on cuda: rank %zu with R=%zu, on cpu: %zu with R=%zu", cuda_rep.rank, cuda_rep.samples,
              cpu_rep.rank, cpu_rep.samples);
    } else {
        printf("dmf_liftrank through a cuda context not run: %s\n", dmf_last_error());
    }

    const size_t K = net->num_layers, S = net->num_params, D = cpu_rep.sample_length, R = cpu_rep.samples;
    dmf_sparse_layer views[DMF_MAX_LAYERS];
    lift_views(net, views);
    double *h = malloc(R * K * S * sizeof *h), *a = malloc(R * D * sizeof *a), *b = malloc(R * D * sizeof *b);
    double *sa = malloc((R + 1) * sizeof *sa), *sb = malloc((R + 1) * sizeof *sb);
    dmf_rng rng;
    dmf_rng_seed(&rng, 7);
    for (size_t e = 0; e < R * K * S; e++) h[e] = dmf_rng_normal(&rng);
    CHECK_OK(dmf_backend_cpu()->lift_samples(K, views, S, net->probes, net->num_probes, R, h, a));
    CHECK_OK(dmf_cuda_lift_samples(K, views, S, net->probes, net->num_probes, R, h, b));
    CHECK_OK(dmf_singular_values(a, D, R, sa));
    CHECK_OK(dmf_singular_values(b, D, R, sb));
    size_t count = D < R ? D : R, rank_a = 0, rank_b = 0;
    double worst = 0;
    for (size_t i = 0; i < count; i++) {
        double tol = (double)(D > R ? D : R) * DBL_EPSILON;
        rank_a += sa[i] > tol * sa[0];
        rank_b += sb[i] > tol * sb[0];
        double d = fabs(sa[i] - sb[i]) / (sa[0] * (double)count * DBL_EPSILON);
        if (d > worst) worst = d;
    }
    printf("Haar K=4, R=%zu: rank cpu %zu, cuda %zu; max |sigma_cpu - sigma_cuda| / (sigma_1 n eps) = %.3g\n", R,
           rank_a, rank_b, worst);
    CHECK(rank_a == cpu_rep.rank && rank_b == rank_a, "ranks: liftrank %zu, cpu samples %zu, cuda samples %zu",
          cpu_rep.rank, rank_a, rank_b);
    CHECK(worst <= ratio_bound, "singular values differ by %.3g sigma_1 n eps", worst);
    free(h);
    free(a);
    free(b);
    free(sa);
    free(sb);
    dmf_liftrank_report_free(&cpu_rep);
    dmf_liftrank_report_free(&cuda_rep);
    dmf_context_free(cpu_ctx);
    dmf_context_free(cuda_ctx);
    dmf_network_free(net);
}

/* The explicit lifted operator (dmf_lift_operator: the lifting's start of
 * dmf_recover and Thm 7.2's sigma_min) formed by the CUDA kernels, against
 * the CPU's, and the lifting's start of dmf_recover on a CUDA context. */
static void test_operator(void)
{
    int status = DMF_OK;
    const dmf_backend *cuda = dmf_backend_cuda(&status);
    CHECK(cuda != NULL, "no CUDA backend (%s)", dmf_last_error());
    if (!cuda) return;
    for (int c = 0; c < LIFT_NUM_CASES; c++) {
        dmf_network *net = lift_case(c);
        if (!net) continue;
        size_t columns = 1, D = dmf_network_rows(net) * net->num_probes;
        for (size_t k = 0; k < net->num_layers; k++) columns *= net->layers[k].params;
        if (columns * D > 4000000) { /* the operator is for small networks */
            dmf_network_free(net);
            continue;
        }
        double *a_cpu = malloc(columns * D * sizeof *a_cpu), *a_gpu = malloc(columns * D * sizeof *a_gpu);
        int s_cpu = 0, s_gpu = 0;
        CHECK_OK(dmf_lift_operator(dmf_backend_cpu(), net, columns, a_cpu, &s_cpu));
        CHECK_OK(dmf_lift_operator(cuda, net, columns, a_gpu, &s_gpu));
        double r = ratio(a_gpu, a_cpu, columns * D, net->num_layers * longest_row(net));
        CHECK(s_cpu == s_gpu && r <= ratio_bound, "%s: the operator on CUDA differs (ratio %.3g, scales %d, %d)",
              lift_case_names[c], r, s_cpu, s_gpu);
        free(a_cpu);
        free(a_gpu);
        dmf_network_free(net);
    }
    dmf_network *net = lift_case(0); /* the Haar path: A injective, one start */
    if (!net) return;
    dmf_context *ctx = NULL;
    dmf_matrix *x = NULL;
    double h[4 * 2], noise_norm = 0;
    CHECK_OK(dmf_context_create(&ctx, "cuda"));
    CHECK_OK(dmf_network_synth(net, 5, 0, h, &x, &noise_norm));
    dmf_recover_options on_cpu = {.method = DMF_RECOVER_LIFTING, .seed = 1}, on_gpu = on_cpu;
    on_gpu.ctx = ctx;
    dmf_recover_report r1, r2;
    CHECK_OK(dmf_recover(net, x, &on_cpu, &r1));
    CHECK_OK(dmf_recover(net, x, &on_gpu, &r2));
    CHECK(r2.lifting.used && r2.lifting.rank == r1.lifting.rank &&
              fabs(r2.residual - r1.residual) <= 1e-12 * dmf_matrix_norm_fro(x),
          "dmf_recover's lifting on CUDA: residual %.3g against %.3g on the CPU", r2.residual, r1.residual);
    dmf_recover_report_free(&r1);
    dmf_recover_report_free(&r2);
    dmf_matrix_free(x);
    dmf_context_free(ctx);
    dmf_network_free(net);
}

int main(int argc, char **argv)
{
    dmf_cuda_info info;
    if (dmf_cuda_query(&info) != DMF_OK) {
        printf("test_cuda_lift: skipped: %s\n", info.message);
        return 77;
    }
    small = check_small(argc, argv);
    printf("test_cuda_lift on %s%s\n", info.device_names[0], small ? " (--small)" : "");
    test_samples();
    if (!small) test_batches(); /* 600 MB of samples */
    test_rank();
    test_operator();
    return check_report("test_cuda_lift");
}
