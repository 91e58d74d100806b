/* The explicit lifted operator formed in one call of the backend's
 * lifting-sample kernel (dmf_lift_operator, used by the lifting's start of
 * dmf_recover and by the sigma_min of the stability bounds), column by
 * column against the samples of the basis tensors (dmf_network_sample):
 * convolutional paths and trees, triplet layers, a masked network, and
 * coefficients large enough that the operator is formed scaled by a power
 * of two.  And dmf_recover with a CPU context gives what it gives without. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "lift/params.h"
#include "network_specs.h"

static size_t num_columns(const dmf_network *net)
{
    size_t c = 1;
    for (size_t k = 0; k < net->num_layers; k++) c *= net->layers[k].params;
    return c;
}

static void compare(const char *name, const dmf_network *net)
{
    const size_t K = net->num_layers, S = net->num_params, C = num_columns(net);
    const size_t D = dmf_network_rows(net) * net->num_probes;
    double *a = malloc(C * D * sizeof *a), *want = malloc(D * sizeof *want), *basis = calloc(K * S, sizeof *basis);
    int log2_scale = 0;
    CHECK_OK(dmf_lift_operator(dmf_backend_cpu(), net, C, a, &log2_scale));
    size_t idx[DMF_MAX_LAYERS] = {0};
    double worst = 0;
    for (size_t c = 0; c < C; c++) {
        for (size_t k = 0; k < K; k++) basis[k * S + idx[k]] = 1;
        CHECK_OK(dmf_network_sample(net, basis, want));
        for (size_t k = 0; k < K; k++) basis[k * S + idx[k]] = 0;
        double diff = 0, norm = 0;
        for (size_t d = 0; d < D; d++) {
            double got = ldexp(a[c * D + d], log2_scale);
            diff = fmax(diff, fabs(got - want[d]));
            norm = fmax(norm, fabs(want[d]));
        }
        worst = fmax(worst, norm > 0 ? diff / norm : diff);
        for (size_t j = K; j-- > 0;) {
            if (++idx[j] < net->layers[j].params) break;
            idx[j] = 0;
        }
    }
    /* The same products of K coefficients, summed over the same paths. */
    CHECK(worst <= 1e-14, "%s: the operator's columns differ from the basis samples by %.3g", name, worst);
    free(a);
    free(want);
    free(basis);
}

int main(void)
{
    dmf_network *nets[5] = {
        haar_path(64, 4), haar_tree_8(), k2_threshold_network(),
        parse("{\"type\": \"masked\", \"sizes\": [3, 4, 2], \"masks\": [\"dense\", \"dense\"]}"),
        /* 2^300 per layer: the product leaves the comfortable range, so the
         * operator comes scaled by 2^-900 and must scale back exactly. */
        parse("{\"type\": \"triplets\", \"layers\": ["
              "{\"rows\": 2, \"cols\": 2, \"entries\": [[0, 0, 0, 2e90], [1, 1, 1, 3e90], [0, 1, 1, 1e90]]},"
              "{\"rows\": 2, \"cols\": 2, \"entries\": [[0, 0, 0, 5e90], [1, 0, 1, 2e90], [1, 1, 0, 1e90]]},"
              "{\"rows\": 2, \"cols\": 1, \"entries\": [[0, 0, 0, 7e90], [1, 0, 1, 4e90]]}]}")};
    const char *names[5] = {"Haar path K = 4 on R^64", "Haar tree of depth 2 on R^8", "K = 2 threshold network",
                            "dense masks 3 x 4 x 2", "triplets with coefficients near 2^300"};
    for (int i = 0; i < 5; i++)
        if (nets[i]) compare(names[i], nets[i]);
    if (nets[4]) {
        double a[8 * 4];
        int log2_scale = 0;
        CHECK_OK(dmf_lift_operator(dmf_backend_cpu(), nets[4], num_columns(nets[4]), a, &log2_scale));
        CHECK(log2_scale > 800, "the large coefficients were not scaled (2^%d)", log2_scale);
    }
    /* The lifting's start on a CPU context: the same report as without. */
    dmf_context *ctx = NULL;
    CHECK_OK(dmf_context_create(&ctx, "cpu"));
    dmf_matrix *x = NULL;
    double h[4 * 2];
    double noise_norm = 0;
    CHECK_OK(dmf_network_synth(nets[0], 5, 0, h, &x, &noise_norm));
    dmf_recover_options plain = {.method = DMF_RECOVER_LIFTING, .seed = 1}, on_ctx = plain;
    on_ctx.ctx = ctx;
    dmf_recover_report r1, r2;
    CHECK_OK(dmf_recover(nets[0], x, &plain, &r1));
    CHECK_OK(dmf_recover(nets[0], x, &on_ctx, &r2));
    CHECK(r1.lifting.used && r2.lifting.used && r1.residual == r2.residual &&
              r1.lifting.rank == r2.lifting.rank,
          "the lifting on a CPU context differs: residual %.17g vs %.17g", r1.residual, r2.residual);
    dmf_recover_report_free(&r1);
    dmf_recover_report_free(&r2);
    dmf_matrix_free(x);
    dmf_context_free(ctx);
    for (int i = 0; i < 5; i++) dmf_network_free(nets[i]);
    return check_report("test_lift_operator");
}
