/* Identifiability of a 4-layer Haar-like convolutional network: the Monte
 * Carlo rank of its lifted operator and the scattering test.
 *
 *   cc liftrank_haar.c $(pkg-config --cflags --libs dmf) -o liftrank_haar
 */
#include <stdio.h>

#include <dmf.h>

static const char network_json[] =
    "{\"type\": \"conv\", \"N\": 64, \"root\": \"r\", \"edges\": ["
    " {\"from\": \"a\", \"to\": \"r\", \"support\": {\"dilated\": 0}},"
    " {\"from\": \"b\", \"to\": \"a\", \"support\": {\"dilated\": 1}},"
    " {\"from\": \"c\", \"to\": \"b\", \"support\": {\"dilated\": 2}},"
    " {\"from\": \"d\", \"to\": \"c\", \"support\": {\"dilated\": 3}}]}";

static int fail(const char *what, int status)
{
    fprintf(stderr, "%s: %s: %s\n", what, dmf_status_string(status), dmf_last_error());
    return 1;
}

int main(void)
{
    dmf_network *net;
    int status = dmf_network_parse(network_json, "haar", &net);
    if (status != DMF_OK) return fail("dmf_network_parse", status);
    dmf_context *ctx;
    if ((status = dmf_context_create(&ctx, "cpu")) != DMF_OK) return fail("dmf_context_create", status);
    dmf_liftrank_report report;
    if ((status = dmf_liftrank(ctx, net, 1, 16, &report)) != DMF_OK) return fail("dmf_liftrank", status);
    dmf_scatter_report scatter;
    if ((status = dmf_scatter(net, &scatter)) != DMF_OK) return fail("dmf_scatter", status);
    printf("K = %zu layers of S = %zu parameters: lifted rank %zu (bound %zu), scattered: %s\n",
           dmf_network_num_layers(net), dmf_network_num_params(net), report.rank, report.upper_bound,
           scatter.scattered ? "yes" : "no");
    /* Each dilated Haar layer has 2 parameters: one valid path per leaf
     * monomial, 2^4 = 16 of them, all independent. */
    int ok = report.rank == 16 && scatter.scattered;
    dmf_liftrank_report_free(&report);
    dmf_context_free(ctx);
    dmf_network_free(net);
    return ok ? 0 : 1;
}
