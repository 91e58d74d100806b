/* Networks that exercise every path of the lifting-sample kernels:
 * one probe and several, a single layer, rectangular layers, rows with no
 * entries, rows whose triplets come in no particular order, repeated
 * (row, col) pairs and zero coefficients.
 * Shared by tests/test_lift_index.c and tests/test_cuda_lift.c. */
#ifndef DMF_TEST_LIFT_CASES_H
#define DMF_TEST_LIFT_CASES_H

#include <stdio.h>

#include "lift/network.h"

enum { LIFT_NUM_CASES = 6 };

static const char *const lift_case_names[LIFT_NUM_CASES] = {
    "haar N=32 K=4", "contiguous N=12 K=3 S=3", "two-leaf DAG N=8", "diamond DAG N=8",
    "triplets 5x7x3x4 shuffled", "single layer 9x6"};

/* A rectangular triplet network built entry by entry: rows in reverse and
 * interleaved order, a repeated (row, col), a zero coefficient, an empty
 * row (row 3 of the first layer). */
static int lift_case_triplets(dmf_network **out)
{
    static const size_t sizes[4] = {5, 7, 3, 4};
    int status = dmf_network_init(out, 3, "triplets");
    for (size_t k = 0; status == DMF_OK && k < 3; k++) status = dmf_network_set_layer(*out, k, sizes[k], sizes[k + 1]);
    for (size_t k = 0; status == DMF_OK && k < 3; k++) {
        for (size_t e = 0; status == DMF_OK && e < 3 * sizes[k] + 2; e++) {
            size_t row = (sizes[k] - 1 - e % sizes[k] + 2 * (e / sizes[k])) % sizes[k];
            if (k == 0 && row == 3) continue;
            size_t col = (e * 5 + k) % sizes[k + 1], param = (e * 3 + k) % 5;
            double coef = e % 7 == 6 ? 0.0 : 0.25 + 0.5 * (double)((e * 11 + k) % 9) - 1.5;
            status = dmf_network_add(*out, k, row, col, param, coef);
        }
    }
    if (status == DMF_OK) status = dmf_network_add(*out, 2, 1, 2, 0, 1.75);
    if (status == DMF_OK) status = dmf_network_add(*out, 2, 1, 2, 4, -0.5);
    if (status == DMF_OK) status = dmf_network_finish(*out);
    return status;
}

static int lift_case_single_layer(dmf_network **out)
{
    int status = dmf_network_init(out, 1, "triplets");
    if (status == DMF_OK) status = dmf_network_set_layer(*out, 0, 9, 6);
    for (size_t e = 0; status == DMF_OK && e < 20; e++)
        status = dmf_network_add(*out, 0, (e * 7) % 9, (e * 5) % 6, e % 4, 1.0 + (double)e / 8);
    if (status == DMF_OK) status = dmf_network_finish(*out);
    return status;
}

/* Case c, parsed or built; NULL with dmf_last_error() on failure. */
static dmf_network *lift_case(int c)
{
    static const char *const json[4] = {
        "{\"type\": \"conv\", \"N\": 32, \"root\": \"n0\", \"edges\": ["
        "{\"from\": \"n1\", \"to\": \"n0\", \"support\": {\"dilated\": 0}},"
        "{\"from\": \"n2\", \"to\": \"n1\", \"support\": {\"dilated\": 1}},"
        "{\"from\": \"n3\", \"to\": \"n2\", \"support\": {\"dilated\": 2}},"
        "{\"from\": \"n4\", \"to\": \"n3\", \"support\": {\"dilated\": 3}}]}",
        "{\"type\": \"conv\", \"N\": 12, \"root\": \"n0\", \"edges\": ["
        "{\"from\": \"n1\", \"to\": \"n0\", \"support\": {\"contiguous\": 3}},"
        "{\"from\": \"n2\", \"to\": \"n1\", \"support\": {\"contiguous\": 3}},"
        "{\"from\": \"n3\", \"to\": \"n2\", \"support\": {\"contiguous\": 3}}]}",
        "{\"type\": \"conv\", \"N\": 8, \"root\": \"r\", \"edges\": ["
        "{\"from\": \"m\", \"to\": \"r\", \"support\": [0, 1]},"
        "{\"from\": \"a\", \"to\": \"m\", \"support\": [0]},"
        "{\"from\": \"b\", \"to\": \"m\", \"support\": [0]}]}",
        "{\"type\": \"conv\", \"N\": 8, \"root\": \"r\", \"edges\": ["
        "{\"from\": \"a\", \"to\": \"r\", \"support\": [0]},"
        "{\"from\": \"b\", \"to\": \"r\", \"support\": [0]},"
        "{\"from\": \"f\", \"to\": \"a\", \"support\": [0]},"
        "{\"from\": \"f\", \"to\": \"b\", \"support\": [0]}]}"};
    dmf_network *net = NULL;
    int status = c < 4 ? dmf_network_parse(json[c], lift_case_names[c], &net)
                       : c == 4 ? lift_case_triplets(&net) : lift_case_single_layer(&net);
    if (status != DMF_OK) {
        fprintf(stderr, "case %s: %s\n", lift_case_names[c], dmf_last_error());
        dmf_network_free(net);
        return NULL;
    }
    return net;
}

static void lift_views(const dmf_network *net, dmf_sparse_layer *views)
{
    for (size_t k = 0; k < net->num_layers; k++)
        views[k] = (dmf_sparse_layer){net->layers[k].rows, net->layers[k].cols, net->layers[k].count,
                                      net->layers[k].entries};
}

#endif
