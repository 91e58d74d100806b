/* Networks from JSON text for the lift and recover tests: a parsed spec,
 * and a single convolutional path r <- x1 <- ... <- xK with given supports.
 * Include after check.h. */
#ifndef DMF_TEST_NETWORK_SPECS_H
#define DMF_TEST_NETWORK_SPECS_H

#include <stdio.h>

#include "lift/network.h"

static dmf_network *parse(const char *json)
{
    dmf_network *net = NULL;
    CHECK_OK(dmf_network_parse(json, "test", &net));
    return net;
}

/* supports[k] is the JSON text of layer k's support, e.g. "[0, 1]". */
static dmf_network *path_network(size_t n, size_t K, const char *const *supports)
{
    char json[4096];
    int len = snprintf(json, sizeof json, "{\"type\": \"conv\", \"N\": %zu, \"root\": \"n0\", \"edges\": [", n);
    for (size_t k = 0; k < K; k++)
        len += snprintf(json + len, sizeof json - (size_t)len, "%s{\"from\": \"n%zu\", \"to\": \"n%zu\", \"support\": %s}",
                        k ? ", " : "", k + 1, k, supports[k]);
    snprintf(json + len, sizeof json - (size_t)len, "]}");
    return parse(json);
}

#endif
