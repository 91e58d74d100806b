/* CUDA ReLU passes against the CPU backend: forward activations and J^T v,
 * f32 and f64, shared weights and one network per trial (including the sign
 * check's 2T rows over T networks and a batch of one), generators of the
 * paper's shape 10 -> 250 -> 1000 and odd sizes 7 -> 33 -> 31 -> 65.
 *
 * Error measure (MAGMA style): ||cuda - cpu||_F / (||cpu||_F * n * eps) with
 * n the widest layer input, bound 1 (a dot product of n terms has a
 * relative error below n eps; the measure is normwise).  J^T v of both
 * backends runs through the CPU's activation patterns, so a pre-activation
 * that rounds to the other side of zero cannot make a spurious mismatch.
 *
 * The kernels are called directly (dmf_cuda_relu_forward/backward), and
 * Algorithm 1 runs on a CPU table whose ReLU entries are the CUDA kernels,
 * so the test does not wait for the rest of the CUDA table.  Without a
 * usable GPU (dmf_cuda_query fails, as dmf_backend_cuda does) the test
 * exits 77 and ctest reports it skipped.  --small: the odd sizes only,
 * for compute-sanitizer. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "check.h"
#include "demod/generator.h"

static const double kBound = 1.0;

static double ratio(dmf_dtype dt, const void *gpu, const void *cpu, size_t count, size_t n)
{
    double diff = 0, norm = 0;
    for (size_t i = 0; i < count; i++) {
        double x = dt == DMF_F32 ? ((const float *)gpu)[i] : ((const double *)gpu)[i];
        double y = dt == DMF_F32 ? ((const float *)cpu)[i] : ((const double *)cpu)[i];
        diff += (x - y) * (x - y);
        norm += y * y;
    }
    if (norm == 0) return diff == 0 ? 0 : INFINITY;
    return sqrt(diff / norm) / ((double)n * dmf_dtype_eps(dt));
}

static void cross_check(dmf_dtype dt, const size_t *sizes, size_t num_sizes,
                        size_t networks, size_t batch)
{
    const size_t L = num_sizes - 1, elem = dmf_dtype_size(dt), n0 = sizes[0], l = sizes[L];
    dmf_generator *g;
    CHECK_OK(dmf_generator_random_networks(&g, sizes, num_sizes, networks, 100 + batch));
    CHECK_OK(dmf_generator_set_dtype(g, dt));
    size_t widest = n0;
    for (size_t i = 1; i < num_sizes; i++) widest = sizes[i] > widest ? sizes[i] : widest;
    void *in = dmf_alloc(batch * n0, elem), *v = dmf_alloc(batch * l, elem), *v2 = dmf_alloc(batch * l, elem);
    void *g_cpu = dmf_alloc(batch * n0, elem), *g_gpu = dmf_alloc(batch * n0, elem);
    void *scratch = dmf_alloc(2 * batch * widest, elem), *a_cpu[8], *a_gpu[8]; /* two gradients, see backend.h */
    for (size_t i = 0; i < L; i++)
        a_cpu[i] = dmf_alloc(batch * sizes[i + 1], elem), a_gpu[i] = dmf_alloc(batch * sizes[i + 1], elem);
    dmf_rng rng;
    dmf_rng_seed(&rng, 5 + batch);
    dmf_rng_fill_normal(&rng, dt, in, batch * n0);
    dmf_rng_fill_normal(&rng, dt, v, batch * l);
    memcpy(v2, v, batch * l * elem);
    const dmf_backend *cpu = dmf_backend_cpu();
    CHECK_OK(cpu->relu_forward(dt, L, g->layers, batch, in, a_cpu));
    CHECK_OK(dmf_cuda_relu_forward(dt, L, g->layers, batch, in, a_gpu));
    double worst_f = 0;
    for (size_t i = 0; i < L; i++) worst_f = fmax(worst_f, ratio(dt, a_gpu[i], a_cpu[i], batch * sizes[i + 1], widest));
    CHECK_OK(cpu->relu_backward(dt, L, g->layers, batch, (const void *const *)a_cpu, v, g_cpu, scratch));
    CHECK_OK(dmf_cuda_relu_backward(dt, L, g->layers, batch, (const void *const *)a_cpu, v2, g_gpu, scratch));
    double worst_b = ratio(dt, g_gpu, g_cpu, batch * n0, widest);
    printf("%s, %zu layers (%zu -> %zu), %zu network(s), batch %zu: forward %.3g, J^T v %.3g (bound %.3g)\n",
           dmf_dtype_name(dt), L, n0, l, networks, batch, worst_f, worst_b, kBound);
    CHECK(worst_f <= kBound && worst_b <= kBound, "%s %zu networks batch %zu: ratios %.3g, %.3g", dmf_dtype_name(dt),
          networks, batch, worst_f, worst_b);
    /* A second call finds the weights in the device cache: same answer. */
    CHECK_OK(dmf_cuda_relu_forward(dt, L, g->layers, batch, in, a_gpu));
    CHECK(ratio(dt, a_gpu[L - 1], a_cpu[L - 1], batch * l, widest) <= kBound, "cached weights");
    for (size_t i = 0; i < L; i++) free(a_cpu[i]), free(a_gpu[i]);
    free(in), free(v), free(v2), free(g_cpu), free(g_gpu), free(scratch);
    dmf_generator_free(g);
}

/* Algorithm 1 with the CUDA ReLU passes recovers what the CPU recovers:
 * 20 trials of 10 -> 250 -> 1000, both dtypes, shared and per-trial
 * networks; the success counts must agree (within one trial in f32) and
 * every trial succeed in f64. */
static void demod_on_cuda(dmf_dtype dt, size_t networks)
{
    const size_t sizes[3] = {10, 250, 1000}, T = 20, n = 10, l = 1000;
    dmf_context *cpu_ctx, *cuda_ctx;
    CHECK_OK(dmf_context_create(&cpu_ctx, "cpu"));
    dmf_backend table = *dmf_backend_cpu();
    table.name = "cpu+cuda-relu";
    table.relu_forward = dmf_cuda_relu_forward;
    table.relu_backward = dmf_cuda_relu_backward;
    CHECK_OK(dmf_context_create_from_backend(&cuda_ctx, &table));
    dmf_generator *g1, *g2;
    CHECK_OK(dmf_generator_random_networks(&g1, sizes, 3, networks, 1));
    CHECK_OK(dmf_generator_random_networks(&g2, sizes, 3, networks, 2));
    CHECK_OK(dmf_generator_set_dtype(g1, dt));
    CHECK_OK(dmf_generator_set_dtype(g2, dt));
    double h0[200], m0[200], h[200], m[200], hc[200], mc[200], *a = malloc(T * l * sizeof *a), *b = malloc(T * l * sizeof *b);
    dmf_rng rng;
    dmf_rng_seed(&rng, 3);
    for (size_t e = 0; e < T * n; e++) h0[e] = dmf_rng_normal(&rng), m0[e] = dmf_rng_normal(&rng);
    for (size_t e = 0; e < T * n; e++) h[e] = hc[e] = dmf_rng_normal(&rng), m[e] = mc[e] = dmf_rng_normal(&rng);
    CHECK_OK(dmf_generator_forward(cpu_ctx, g1, h0, T, a));
    CHECK_OK(dmf_generator_forward(cpu_ctx, g2, m0, T, b));
    for (size_t e = 0; e < T * l; e++) a[e] *= b[e];
    dmf_demod_options o;
    dmf_demod_options_default(&o);
    if (dt == DMF_F32) o.tol = 1e-5;
    dmf_demod_trial r_cpu[20], r_gpu[20];
    CHECK_OK(dmf_demod_solve(cpu_ctx, g1, g2, a, T, hc, mc, h0, m0, &o, r_cpu, NULL));
    CHECK_OK(dmf_demod_solve(cuda_ctx, g1, g2, a, T, h, m, h0, m0, &o, r_gpu, NULL));
    size_t ok_cpu = 0, ok_gpu = 0;
    for (size_t t = 0; t < T; t++) ok_cpu += r_cpu[t].success, ok_gpu += r_gpu[t].success;
    printf("demod on cuda, %s, %zu network(s): %zu/%zu recovered (cpu %zu)\n", dmf_dtype_name(dt), networks, ok_gpu,
           T, ok_cpu);
    /* f64 trajectories agree to rounding; f32 ones may part on a borderline
     * trial, so one trial of slack there. */
    size_t slack = dt == DMF_F32 ? 1 : 0;
    CHECK(ok_gpu + slack >= ok_cpu && ok_cpu + slack >= ok_gpu, "cuda %zu vs cpu %zu successes", ok_gpu, ok_cpu);
    if (dt == DMF_F64) CHECK(ok_gpu == T, "f64 on cuda: %zu of %zu", ok_gpu, T);
    free(a), free(b);
    dmf_generator_free(g1), dmf_generator_free(g2);
    dmf_context_free(cpu_ctx), dmf_context_free(cuda_ctx);
}

int main(int argc, char **argv)
{
    dmf_cuda_info info;
    if (dmf_cuda_query(&info) != DMF_OK) {
        printf("test_cuda_relu: skipped: %s\n", info.message);
        return 77;
    }
    /* Where the CUDA table is offered, it uses these kernels. */
    int status;
    const dmf_backend *cuda = dmf_backend_cuda(&status);
    if (cuda)
        CHECK(cuda->relu_forward == dmf_cuda_relu_forward && cuda->relu_backward == dmf_cuda_relu_backward,
              "the CUDA table does not use the CUDA ReLU kernels");
    const size_t paper[3] = {10, 250, 1000}, odd[4] = {7, 33, 31, 65};
    const dmf_dtype dts[2] = {DMF_F32, DMF_F64};
    if (check_small(argc, argv)) { /* for compute-sanitizer: the odd sizes, no Algorithm 1 */
        for (int d = 0; d < 2; d++) {
            cross_check(dts[d], odd, 4, 1, 33);
            cross_check(dts[d], odd, 4, 3, 7);
            cross_check(dts[d], odd, 4, 33, 33);
        }
        return check_report("test_cuda_relu");
    }
    for (int d = 0; d < 2; d++) {
        cross_check(dts[d], paper, 3, 1, 100);  /* shared weights */
        cross_check(dts[d], paper, 3, 1, 1);
        cross_check(dts[d], paper, 3, 50, 50);  /* one network per trial */
        cross_check(dts[d], paper, 3, 50, 100); /* the sign check's 2T rows */
        cross_check(dts[d], odd, 4, 1, 33);
        cross_check(dts[d], odd, 4, 3, 7);      /* a short last chunk */
        cross_check(dts[d], odd, 4, 33, 33);
        demod_on_cuda(dts[d], 1);
        demod_on_cuda(dts[d], 20);
    }
    return check_report("test_cuda_relu");
}
