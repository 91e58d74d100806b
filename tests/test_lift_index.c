/* The index logic of the CUDA lifting-sample kernel (backend/lift_plan.h),
 * checked on the CPU: the plan's compressed rows keep every triplet in its
 * row's original order, and a serial emulation of the kernel's thread
 * blocks (same functions, same loops, several block sizes, arrays moved to
 * a copy as they are for the device) gives the CPU backend's samples bit
 * for bit.  A hand-worked two-layer network pins the layout of h and out. */
#include <stdlib.h>
#include <string.h>

#include "backend/lift_plan.h"
#include "check.h"
#include "internal.h"
#include "lift_cases.h"

/* What lift_kernel in src/kernels/cuda_lift.cu does, one block after the
 * other and its threads one after the other between the barriers. */
static void emulate_kernel(const dmf_lift_plan *p, size_t count, size_t threads, const double *h, double *out,
                           double *work)
{
    const size_t P = p->num_probes, K = p->num_layers;
    for (size_t block = 0; block < count; block++) {
        double *cur = work + block * dmf_lift_work_per_sample(p), *next = cur + p->widest * P;
        size_t r = block;
        const size_t start = dmf_lift_cols(p, K - 1) * P;
        for (size_t tid = 0; tid < threads; tid++)
            for (size_t t = tid; t < start; t += threads) cur[t] = dmf_lift_start_entry(p, t);
        for (size_t k = K; k-- > 0;) {
            const double *hk = dmf_lift_params(p, h, r, k);
            double *dst = k == 0 ? out + r * p->sample_length : next;
            const size_t n = dmf_lift_rows(p, k) * P;
            for (size_t tid = 0; tid < threads; tid++)
                for (size_t t = tid; t < n; t += threads) dst[t] = dmf_lift_layer_entry(p, k, hk, cur, t);
            double *swap = cur;
            cur = next;
            next = swap;
        }
    }
}

/* Every layer's compressed rows list exactly its triplets, each row's in
 * their original order. */
static void check_rows(const dmf_network *net, const dmf_lift_plan *p, const char *name)
{
    size_t total = 0;
    for (size_t k = 0; k < net->num_layers; k++) {
        const dmf_layer *layer = &net->layers[k];
        const size_t *ptr = p->row_ptr + p->meta[3 * k + 2];
        CHECK(dmf_lift_rows(p, k) == layer->rows && dmf_lift_cols(p, k) == layer->cols,
              "%s layer %zu: plan %zu x %zu, network %zu x %zu", name, k, dmf_lift_rows(p, k), dmf_lift_cols(p, k),
              layer->rows, layer->cols);
        CHECK(ptr[0] == total && ptr[layer->rows] == total + layer->count, "%s layer %zu: entries %zu..%zu, expected %zu..%zu",
              name, k, ptr[0], ptr[layer->rows], total, total + layer->count);
        size_t *cursor = malloc((layer->rows + 1) * sizeof *cursor);
        memcpy(cursor, ptr, layer->rows * sizeof *cursor);
        int ok = 1;
        for (size_t e = 0; e < layer->count; e++) {
            const dmf_triplet *t = &layer->entries[e];
            size_t at = cursor[t->row]++;
            ok &= at < ptr[t->row + 1] && p->col[at] == t->col && p->param[at] == t->param && p->coef[at] == t->coef;
        }
        CHECK(ok, "%s layer %zu: compressed rows differ from the triplets in order", name, k);
        free(cursor);
        total += layer->count;
    }
}

static void test_cases(void)
{
    const size_t sample_counts[3] = {0, 1, 5}, thread_counts[3] = {1, 3, 256};
    for (int c = 0; c < LIFT_NUM_CASES; c++) {
        dmf_network *net = lift_case(c);
        CHECK(net != NULL, "case %s did not build", lift_case_names[c]);
        if (!net) continue;
        const size_t K = net->num_layers, S = net->num_params;
        dmf_sparse_layer views[DMF_MAX_LAYERS];
        lift_views(net, views);
        dmf_lift_plan plan, copy;
        CHECK_OK(dmf_lift_plan_build(K, views, S, net->probes, net->num_probes, &plan));
        if (!plan.index) {
            dmf_network_free(net);
            continue;
        }
        check_rows(net, &plan, lift_case_names[c]);
        /* The emulation reads a moved copy, as the kernel reads device memory. */
        size_t *index = malloc(plan.index_count * sizeof *index);
        double *coef = malloc((plan.entry_count + 1) * sizeof *coef);
        memcpy(index, plan.index, plan.index_count * sizeof *index);
        memcpy(coef, plan.coef, plan.entry_count * sizeof *coef);
        memset(plan.index, 0xff, plan.index_count * sizeof *index);
        dmf_lift_plan_rebase(&plan, index, coef, &copy);

        const size_t R = 5, D = plan.sample_length;
        double *h = malloc(R * K * S * sizeof *h), *want = malloc(R * D * sizeof *want);
        double *got = malloc(R * D * sizeof *got), *work = malloc(R * dmf_lift_work_per_sample(&plan) * sizeof *work);
        dmf_rng rng;
        dmf_rng_seed(&rng, 100 + (uint64_t)c);
        for (size_t e = 0; e < R * K * S; e++) h[e] = dmf_rng_normal(&rng);
        CHECK_OK(dmf_backend_cpu()->lift_samples(K, views, S, net->probes, net->num_probes, R, h, want));
        for (size_t s = 0; s < 3; s++)
            for (size_t t = 0; t < 3; t++) {
                size_t count = sample_counts[s];
                for (size_t e = 0; e < R * D; e++) got[e] = -12345.0;
                emulate_kernel(&copy, count, thread_counts[t], h, got, work);
                CHECK(memcmp(got, want, count * D * sizeof *got) == 0, "%s, %zu samples, %zu threads: "
                      "emulated kernel differs from the CPU backend", lift_case_names[c], count, thread_counts[t]);
                int untouched = 1;
                for (size_t e = count * D; e < R * D; e++) untouched &= got[e] == -12345.0;
                CHECK(untouched, "%s: %zu samples wrote past sample %zu", lift_case_names[c], count, count);
            }
        free(h);
        free(want);
        free(got);
        free(work);
        free(index);
        free(coef);
        dmf_lift_plan_free(&plan);
        dmf_network_free(net);
    }
}

/* M_1(h) = [h_0 h_1] (1 x 2), M_2(h) = [[h_1, 0, h_0], [2 h_0, h_1, 0]]
 * (2 x 3), probes = columns 2 and 0:
 *   X[:, 2] = h1_0 h2_0,  X[:, 0] = h1_0 h2_1 + 2 h1_1 h2_0. */
static void test_hand_worked(void)
{
    const dmf_triplet m1[2] = {{0, 1, 1, 1.0}, {0, 0, 0, 1.0}};
    const dmf_triplet m2[4] = {{1, 0, 0, 2.0}, {0, 2, 0, 1.0}, {0, 0, 1, 1.0}, {1, 1, 1, 1.0}};
    const dmf_sparse_layer layers[2] = {{1, 2, 2, m1}, {2, 3, 4, m2}};
    const size_t probes[2] = {2, 0};
    /* Two samples: h1 = (2, 3), h2 = (5, 7); then h1 = (-1, 4), h2 = (0.5, 2). */
    const double h[8] = {2, 3, 5, 7, -1, 4, 0.5, 2};
    const double want[4] = {2 * 5, 2 * 7 + 2 * 3 * 5, -1 * 0.5, -1 * 2 + 2 * 4 * 0.5};
    double cpu[4], emu[4], work[2 * 2 * 3 * 2];
    dmf_lift_plan plan;
    CHECK_OK(dmf_backend_cpu()->lift_samples(2, layers, 2, probes, 2, 2, h, cpu));
    CHECK_OK(dmf_lift_plan_build(2, layers, 2, probes, 2, &plan));
    if (!plan.index) return;
    CHECK(plan.widest == 3 && plan.sample_length == 2, "widest %zu, sample length %zu", plan.widest,
          plan.sample_length);
    emulate_kernel(&plan, 2, 2, h, emu, work);
    for (int e = 0; e < 4; e++) {
        CHECK(cpu[e] == want[e], "CPU entry %d: %g, expected %g", e, cpu[e], want[e]);
        CHECK(emu[e] == want[e], "emulated entry %d: %g, expected %g", e, emu[e], want[e]);
    }
    dmf_lift_plan_free(&plan);
}

static void test_bad_plans(void)
{
    const dmf_triplet ok[1] = {{0, 0, 0, 1.0}}, off[1] = {{0, 3, 0, 1.0}}, bad_param[1] = {{0, 0, 2, 1.0}};
    const dmf_sparse_layer chain[2] = {{1, 2, 1, ok}, {3, 1, 1, ok}};
    const dmf_sparse_layer outside[1] = {{1, 2, 1, off}}, param[1] = {{1, 2, 1, bad_param}};
    const size_t probe0[1] = {0}, probe5[1] = {5};
    dmf_lift_plan plan;
    CHECK_STATUS(dmf_lift_plan_build(2, chain, 1, probe0, 1, &plan), DMF_ERR_SHAPE);
    CHECK_STATUS(dmf_lift_plan_build(1, outside, 1, probe0, 1, &plan), DMF_ERR_ARG);
    CHECK_STATUS(dmf_lift_plan_build(1, param, 2, probe0, 1, &plan), DMF_ERR_ARG);
    CHECK_STATUS(dmf_lift_plan_build(1, param, 3, probe5, 1, &plan), DMF_ERR_ARG);
    CHECK_STATUS(dmf_lift_plan_build(0, chain, 1, probe0, 1, &plan), DMF_ERR_ARG);
    CHECK(plan.index == NULL && plan.coef == NULL, "a failed build leaves nothing allocated");
}

/* Without a usable device the CUDA entry point still answers with a status
 * and a message: DMF_ERR_DEVICE from the first failed CUDA call (its
 * cleanup path runs here), or DMF_ERR_NOT_COMPILED from the stub.  Bad
 * arguments are refused before any device call. */
static void test_cuda_without_device(void)
{
    dmf_cuda_info info;
    if (dmf_cuda_query(&info) == DMF_OK) return; /* test_cuda_lift covers a device */
    const dmf_triplet m[2] = {{0, 0, 0, 1.0}, {1, 1, 1, 2.0}};
    const dmf_sparse_layer layer[1] = {{2, 2, 2, m}};
    const size_t probes[2] = {0, 1}, bad[1] = {7};
    const double h[4] = {1, 2, 3, 4};
    double out[8];
    int status = dmf_cuda_lift_samples(1, layer, 2, probes, 2, 2, h, out);
    printf("CUDA lifting samples without a device: %s (%s)\n", dmf_status_string(status), dmf_last_error());
    CHECK((status == DMF_ERR_DEVICE && strstr(dmf_last_error(), "CUDA lifting samples")) ||
              (status == DMF_ERR_NOT_COMPILED && dmf_last_error()[0]),
          "no device: %s (%s)", dmf_status_string(status), dmf_last_error());
    status = dmf_cuda_lift_samples(1, layer, 2, bad, 1, 2, h, out);
    CHECK(status == DMF_ERR_ARG || status == DMF_ERR_NOT_COMPILED, "probe 7 of 2 columns: %s (%s)",
          dmf_status_string(status), dmf_last_error());
    status = dmf_cuda_lift_samples(1, layer, 2, probes, 2, 0, h, out);
    CHECK(status == DMF_OK || status == DMF_ERR_NOT_COMPILED, "zero samples need no device: %s (%s)",
          dmf_status_string(status), dmf_last_error());
}

int main(void)
{
    test_hand_worked();
    test_cases();
    test_bad_plans();
    test_cuda_without_device();
    return check_report("test_lift_index");
}
