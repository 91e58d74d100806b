/* Batched ReLU passes on the CPU backend: the indexing helpers the CUDA
 * kernels share (relu_index.h) against hand-computed values, and one
 * network per trial against the shared-weights pass run network by network
 * (a known answer: row t of the per-trial batch is network t's pass on
 * row t), forward and J^T v, f32 and f64, batch sizes 1, 2, 5 and the sign
 * check's 2T rows over T networks. */
#include <math.h>
#include <string.h>

#include "backend/backend.h"
#include "backend/relu_index.h"
#include "check.h"
#include "demod/generator.h"

static void test_index_helpers(void)
{
    /* 2T rows over T = 3 networks: rows t and 3 + t share network t. */
    const size_t expect[6] = {0, 1, 2, 0, 1, 2};
    for (size_t r = 0; r < 6; r++) {
        CHECK(dmf_relu_network_of_row(r, 3) == expect[r], "row %zu -> network %zu", r, dmf_relu_network_of_row(r, 3));
        CHECK(dmf_relu_weight_offset(r, 3, 4, 5) == expect[r] * 20, "row %zu: offset %zu", r,
              dmf_relu_weight_offset(r, 3, 4, 5));
        CHECK(dmf_relu_network_of_row(r, 1) == 0 && dmf_relu_weight_offset(r, 1, 4, 5) == 0, "shared row %zu", r);
    }
    CHECK(dmf_relu_weight_stride(1, 4, 5) == 0 && dmf_relu_weight_stride(3, 4, 5) == 20, "strides");
    /* Chunks of 3 over 7 rows: 3, 3, 1; nothing past the end. */
    CHECK(dmf_relu_chunk_rows(0, 3, 7) == 3 && dmf_relu_chunk_rows(3, 3, 7) == 3 && dmf_relu_chunk_rows(6, 3, 7) == 1,
          "chunks of 7 rows");
    CHECK(dmf_relu_chunk_rows(7, 3, 7) == 0 && dmf_relu_chunk_rows(9, 3, 7) == 0, "past the end");
    CHECK(dmf_relu_d(-2.5) == 0 && dmf_relu_d(2.5) == 2.5 && dmf_relu_d(0.0) == 0, "relu f64");
    CHECK(dmf_relu_s(-1.5f) == 0 && dmf_relu_s(1.5f) == 1.5f, "relu f32");
    CHECK(isnan(dmf_relu_d(NAN)), "relu keeps NaN");
    CHECK(dmf_relu_mask_d(0.0, 3.0) == 0 && dmf_relu_mask_d(1e-300, 3.0) == 3.0 && dmf_relu_mask_d(-1, 3) == 0,
          "mask: kink and below are inactive");
    CHECK(dmf_relu_mask_s(2.0f, -4.0f) == -4.0f, "mask f32");
}

/* Network k of a per-trial generator as a generator of its own. */
static dmf_dense_layer network_layer(const dmf_dense_layer *l, size_t k, size_t elem)
{
    return (dmf_dense_layer){l->rows, l->cols, 1, (const char *)l->w + k * l->rows * l->cols * elem, 0};
}

static double max_rel_diff(dmf_dtype dt, const void *a, const void *b, size_t n)
{
    double worst = 0, scale = 0;
    for (size_t i = 0; i < n; i++) {
        double x = dt == DMF_F32 ? ((const float *)a)[i] : ((const double *)a)[i];
        double y = dt == DMF_F32 ? ((const float *)b)[i] : ((const double *)b)[i];
        worst = fmax(worst, fabs(x - y));
        scale = fmax(scale, fabs(y));
    }
    return worst / fmax(scale, 1e-300);
}

static void test_per_trial_matches_shared(dmf_dtype dt, size_t networks, size_t batch)
{
    const size_t sizes[] = {7, 33, 31, 65}, L = 3, elem = dmf_dtype_size(dt);
    dmf_generator *g;
    CHECK_OK(dmf_generator_random_networks(&g, sizes, 4, networks, 40 + networks));
    CHECK_OK(dmf_generator_set_dtype(g, dt));
    const dmf_backend *cpu = dmf_backend_cpu();
    const dmf_dense_layer *layers = g->layers;
    dmf_rng rng;
    dmf_rng_seed(&rng, 7 + batch);
    void *in = dmf_alloc(batch * 7, elem), *v = dmf_alloc(batch * 65, elem), *grad = dmf_alloc(batch * 7, elem);
    void *scratch = dmf_alloc(2 * batch * 65, elem), *acts[3], *one_acts[3]; /* two gradients, see backend.h */
    void *one_v = dmf_alloc(65, elem), *one_grad = dmf_alloc(7, elem), *one_scratch = dmf_alloc(2 * 65, elem);
    for (size_t i = 0; i < L; i++) acts[i] = dmf_alloc(batch * sizes[i + 1], elem), one_acts[i] = dmf_alloc(sizes[i + 1], elem);
    dmf_rng_fill_normal(&rng, dt, in, batch * 7);
    dmf_rng_fill_normal(&rng, dt, v, batch * 65);
    void *v_copy = dmf_alloc(batch * 65, elem);
    memcpy(v_copy, v, batch * 65 * elem);
    CHECK_OK(cpu->relu_forward(dt, L, layers, batch, in, acts));
    CHECK_OK(cpu->relu_backward(dt, L, layers, batch, (const void *const *)acts, v, grad, scratch));
    double worst_f = 0, worst_b = 0;
    for (size_t r = 0; r < batch; r++) {
        size_t k = dmf_relu_network_of_row(r, networks);
        dmf_dense_layer one[3];
        for (size_t i = 0; i < L; i++) one[i] = network_layer(&layers[i], k, elem);
        CHECK_OK(cpu->relu_forward(dt, L, one, 1, (const char *)in + r * 7 * elem, one_acts));
        for (size_t i = 0; i < L; i++)
            worst_f = fmax(worst_f, max_rel_diff(dt, (const char *)acts[i] + r * sizes[i + 1] * elem, one_acts[i],
                                                 sizes[i + 1]));
        memcpy(one_v, (const char *)v_copy + r * 65 * elem, 65 * elem);
        CHECK_OK(cpu->relu_backward(dt, L, one, 1, (const void *const *)one_acts, one_v, one_grad, one_scratch));
        worst_b = fmax(worst_b, max_rel_diff(dt, (const char *)grad + r * 7 * elem, one_grad, 7));
    }
    /* Same products, other summation order (GEMM vs the per-row loop). */
    double bound = 64 * 65 * dmf_dtype_eps(dt);
    CHECK(worst_f <= bound && worst_b <= bound,
          "%s, %zu networks, batch %zu: per-trial vs one network at a time differ by %.3g (forward), %.3g "
          "(backward), bound %.3g", dmf_dtype_name(dt), networks, batch, worst_f, worst_b, bound);
    for (size_t i = 0; i < L; i++) free(acts[i]), free(one_acts[i]);
    free(in), free(v), free(grad), free(scratch), free(one_v), free(one_grad), free(one_scratch), free(v_copy);
    dmf_generator_free(g);
}

/* Network 0 of a per-trial generator is the shared generator of the same
 * seed (so --independent-networks extends a spec's network). */
static void test_network_zero(void)
{
    const size_t sizes[] = {4, 9, 12};
    dmf_generator *one, *many;
    CHECK_OK(dmf_generator_random(&one, sizes, 3, 77));
    CHECK_OK(dmf_generator_random_networks(&many, sizes, 3, 3, 77));
    int same = 1, differs = 0;
    for (size_t i = 0; i < 2; i++) {
        size_t n = sizes[i + 1] * sizes[i];
        same &= memcmp(one->weights[i], many->weights[i], n * sizeof(double)) == 0;
        differs |= memcmp(many->weights[i], (const double *)many->weights[i] + n, n * sizeof(double)) != 0;
    }
    CHECK(same && differs, "network 0 equals the shared network (%d), network 1 differs (%d)", same, differs);
    dmf_generator_free(one);
    dmf_generator_free(many);
}

int main(void)
{
    test_index_helpers();
    test_network_zero();
    const dmf_dtype dts[2] = {DMF_F32, DMF_F64};
    for (int d = 0; d < 2; d++) {
        test_per_trial_matches_shared(dts[d], 1, 5);  /* shared weights */
        test_per_trial_matches_shared(dts[d], 1, 1);
        test_per_trial_matches_shared(dts[d], 5, 5);  /* one network per trial */
        test_per_trial_matches_shared(dts[d], 5, 10); /* the sign check's 2T rows */
        test_per_trial_matches_shared(dts[d], 2, 2);
        test_per_trial_matches_shared(dts[d], 3, 7);  /* a short last chunk */
    }
    return check_report("test_relu_batch");
}
