/* Networks from JSON text for the lift and recover tests: a parsed spec, a
 * single convolutional path r <- x1 <- ... <- xK with given supports, the
 * Haar path, and the K = 2 network at Thm 6.4's threshold.
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

/* The undecimated Haar path of K layers on R^n: layer k has support
 * {0, 2^k} ({"dilated": k}). */
static dmf_network *haar_path(size_t n, size_t K)
{
    char support[64][32];
    const char *supports[64];
    for (size_t k = 0; k < K && k < 64; k++) {
        snprintf(support[k], sizeof support[k], "{\"dilated\": %zu}", k);
        supports[k] = support[k];
    }
    return path_network(n, K, supports);
}

/* The Haar tree of depth 2 on R^8: two edges {0, 1} into the root, two
 * edges {0, 2} into each of them (4 paths). */
static dmf_network *haar_tree_8(void)
{
    return parse("{\"type\": \"conv\", \"N\": 8, \"root\": \"r\", \"edges\": ["
                 "{\"from\": \"a\", \"to\": \"r\", \"support\": {\"dilated\": 0}},"
                 "{\"from\": \"b\", \"to\": \"r\", \"support\": {\"dilated\": 0}},"
                 "{\"from\": \"c\", \"to\": \"a\", \"support\": {\"dilated\": 1}},"
                 "{\"from\": \"d\", \"to\": \"a\", \"support\": {\"dilated\": 1}},"
                 "{\"from\": \"e\", \"to\": \"b\", \"support\": {\"dilated\": 1}},"
                 "{\"from\": \"f\", \"to\": \"b\", \"support\": {\"dilated\": 1}}]}");
}

/* Two triplet layers of three parameters each, 2 x 2 and 2 x 4, every
 * entry a fixed combination of all three: rk A = 8 = 4(S - 1), below the
 * S^2 = 9 columns of the lifted operator (identifiable by Thm 6.4, A not
 * injective). */
static dmf_network *k2_threshold_network(void)
{
    char json[8192];
    int len = snprintf(json, sizeof json, "{\"type\": \"triplets\", \"layers\": [");
    const size_t rows[2] = {2, 2}, cols[2] = {2, 4};
    for (size_t k = 0; k < 2; k++) {
        len += snprintf(json + len, sizeof json - (size_t)len, "%s{\"rows\": %zu, \"cols\": %zu, \"entries\": [",
                        k ? ", " : "", rows[k], cols[k]);
        size_t t = 0;
        for (size_t r = 0; r < rows[k]; r++)
            for (size_t c = 0; c < cols[k]; c++)
                for (size_t p = 0; p < 3; p++, t++)
                    len += snprintf(json + len, sizeof json - (size_t)len, "%s[%zu, %zu, %zu, %.6f]", t ? ", " : "",
                                    r, c, p, (double)((t * 37 + k * 61 + 5) % 23) / 11.0 - 1.0);
        len += snprintf(json + len, sizeof json - (size_t)len, "]}");
    }
    snprintf(json + len, sizeof json - (size_t)len, "]}");
    return parse(json);
}

#endif
