/* The memory limit: sizes parsed as --max-memory and DMF_MAX_MEMORY take
 * them, and every spec whose memory follows from a few numbers (a matrix
 * size, a network's N, sizes or indices, a generator's sizes, a batch of
 * trials, a factorization's input and largest half) refused with the
 * figure, quickly and without allocating it.  The limit is set low (a few
 * MiB), so a check that was missed would allocate and write far more than
 * that and show up in the time and memory of this test. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "demod/generator.h"
#include "internal.h"
#include "lift/network.h"
#include "memory.h"

static void expect_refused(int status, const char *what, const char *figure)
{
    CHECK(status == DMF_ERR_NOMEM, "%s: status %d, expected DMF_ERR_NOMEM", what, status);
    CHECK(strstr(dmf_last_error(), "needs") && strstr(dmf_last_error(), "memory limit"), "%s: message '%s'", what,
          dmf_last_error());
    if (figure) CHECK(strstr(dmf_last_error(), figure) != NULL, "%s: '%s' lacks '%s'", what, dmf_last_error(), figure);
}

static void test_parse(void)
{
    struct {
        const char *text;
        size_t bytes;
    } good[] = {{"8G", (size_t)8 << 30}, {"512M", (size_t)512 << 20}, {"1.5K", 1536}, {"100", 100},
                {"8GiB", (size_t)8 << 30}, {"8gb", (size_t)8 << 30}, {"2T", (size_t)2 << 40}, {"64B", 64},
                {"none", SIZE_MAX}, {"unlimited", SIZE_MAX}, {" 4M", (size_t)4 << 20}};
    for (size_t k = 0; k < sizeof good / sizeof good[0]; k++) {
        size_t bytes = 0;
        CHECK_OK(dmf_parse_memory_size(good[k].text, &bytes));
        CHECK(bytes == good[k].bytes, "'%s' -> %zu, expected %zu", good[k].text, bytes, good[k].bytes);
    }
    const char *bad[] = {"", "abc", "-1", "0", "8X", "1e400", "G", "8 G B", "nan", "0.1"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        size_t bytes;
        CHECK_STATUS(dmf_parse_memory_size(bad[k], &bytes), DMF_ERR_ARG);
        CHECK(strstr(dmf_last_error(), "bad memory size") != NULL, "'%s': %s", bad[k], dmf_last_error());
    }
    CHECK_STATUS(dmf_parse_memory_size(NULL, &(size_t){0}), DMF_ERR_ARG);

    char buf[32];
    CHECK(!strcmp(dmf_format_bytes(80.0 * (1 << 30), buf, sizeof buf), "80 GiB"), "80 GiB: %s", buf);
    CHECK(!strcmp(dmf_format_bytes(1536, buf, sizeof buf), "1.5 KiB"), "1.5 KiB: %s", buf);
    CHECK(!strcmp(dmf_format_bytes(12, buf, sizeof buf), "12 bytes"), "12 bytes: %s", buf);
}

static void test_set_get(void)
{
    size_t def = dmf_get_memory_limit();
    CHECK(def > 0, "a default limit");
    dmf_set_memory_limit((size_t)1 << 20);
    CHECK(dmf_get_memory_limit() == (size_t)1 << 20, "set 1 MiB: %zu", dmf_get_memory_limit());
    dmf_set_memory_limit(0);
    CHECK(dmf_get_memory_limit() == def, "0 returns to the default");
    dmf_set_memory_limit(SIZE_MAX);
    CHECK_OK(dmf_memory_check(1e30, "anything"));
    dmf_set_memory_limit(1000);
    CHECK_OK(dmf_memory_check(1000, "exactly the limit"));
    expect_refused(dmf_memory_check(1001, "one byte more"), "one byte more", "1001 bytes");
    /* The last guard: one allocation past the limit is not made. */
    CHECK(dmf_alloc(2000, 1) == NULL, "dmf_alloc past the limit");
    void *small = dmf_alloc(10, 8);
    CHECK(small != NULL, "dmf_alloc within the limit");
    free(small);
}

static void test_matrices(void)
{
    dmf_matrix *m = NULL;
    expect_refused(dmf_matrix_create(&m, DMF_F64, 100000, 100000), "a 1e5 x 1e5 f64 matrix", "75 GiB");
    CHECK(m == NULL, "no matrix");
    dmf_matrix_spec spec = {"hadamard", 1u << 20, 1u << 20, DMF_C128, 0, 1, NULL, NULL, 0};
    expect_refused(dmf_matrix_builtin(&spec, &m), "hadamard 2^20 c128", "16 TiB");
    spec = (dmf_matrix_spec){"dct2", 1000000, 1000000, DMF_F64, 0.1, 1, NULL, NULL, 0};
    expect_refused(dmf_matrix_builtin(&spec, &m), "dct2 1e6 with noise", "15 TiB");
    CHECK(strstr(dmf_last_error(), "with noise") != NULL, "%s", dmf_last_error());
    spec = (dmf_matrix_spec){"no-such-matrix", 1000000, 1000000, DMF_F64, 0, 1, NULL, NULL, 0};
    CHECK_STATUS(dmf_matrix_builtin(&spec, &m), DMF_ERR_ARG); /* the name is the first thing wrong */
    CHECK(m == NULL, "no matrix");
}

static void test_networks(void)
{
    dmf_network *net = NULL;
    expect_refused(dmf_network_parse("{\"type\": \"conv\", \"N\": 100000000000, \"root\": \"r\", \"edges\": "
                                     "[{\"from\": \"a\", \"to\": \"r\", \"support\": [0, 1]}]}", "conv", &net),
                   "conv, N = 1e11", "5.8 TiB");
    expect_refused(dmf_network_parse("{\"type\": \"conv\", \"N\": 100000000000, \"root\": \"r\", \"edges\": "
                                     "[{\"from\": \"a\", \"to\": \"r\", \"support\": {\"contiguous\": 99999999999}}]}",
                                     "conv", &net),
                   "conv, a contiguous support of 1e11", "contiguous");
    expect_refused(dmf_network_parse("{\"type\": \"masked\", \"sizes\": [100000000000, 100000000000], "
                                     "\"masks\": [\"dense\"]}", "masked", &net),
                   "masked, sizes 1e11", "dense");
    expect_refused(dmf_network_parse("{\"type\": \"masked\", \"sizes\": [3000, 3000, 3000], "
                                     "\"masks\": [\"dense\", \"dense\"]}", "masked", &net),
                   "masked, two dense 3000 x 3000 layers", "549 MiB");
    expect_refused(dmf_network_parse("{\"type\": \"triplets\", \"layers\": [{\"rows\": 100000001, \"cols\": "
                                     "100000001, \"entries\": [[100000000, 100000000, 0, 1.5]]}]}", "triplets", &net),
                   "triplets, indices 1e8", "columns");
    expect_refused(dmf_network_parse("{\"type\": \"butterfly\", \"radix_m\": [1000, 1000], "
                                     "\"radix_n\": [1000, 1000]}", "butterfly", &net),
                   "butterfly, radices 1000", "nonzeros");
    CHECK(net == NULL, "no network");

    /* A network that fits, whose samples do not: liftrank refuses them. */
    CHECK_OK(dmf_network_parse("{\"type\": \"triplets\", \"layers\": [{\"rows\": 2000, \"cols\": 2000, "
                               "\"entries\": [[1999, 1999, 0, 1.5], [0, 0, 1, 2]]}]}", "triplets", &net));
    dmf_context *ctx = NULL;
    CHECK_OK(dmf_context_create(&ctx, "cpu"));
    if (net && ctx) {
        dmf_liftrank_report rep;
        expect_refused(dmf_liftrank(ctx, net, 1, 0, &rep), "liftrank of 4e6-entry samples", "samples of length 4000000");
        dmf_liftrank_report_free(&rep);
        double sigma;
        size_t rank;
        int status = dmf_lift_sigma_min(net, SIZE_MAX, &sigma, &rank);
        expect_refused(status, "the explicit lifted operator", "lifted operator");
    }
    dmf_context_free(ctx);
    dmf_network_free(net);
}

static void test_generators(void)
{
    dmf_generator *g = NULL;
    const size_t big[] = {10, 600000000, 600000000};
    expect_refused(dmf_generator_random(&g, big, 3, 1), "generator sizes 6e8", "2.5 EiB");
    CHECK(g == NULL, "no generator");
    expect_refused(dmf_generator_random_networks(&g, (const size_t[]){4, 300, 300}, 3, 100000, 1),
                   "1e5 networks of 4 -> 300 -> 300", "100000 network(s)");
    const size_t small[] = {2, 3, 5};
    CHECK_OK(dmf_generator_random(&g, small, 3, 1));
    if (g) {
        dmf_gen_workspace ws;
        expect_refused(dmf_gen_workspace_init(&ws, g, (size_t)1 << 40), "the workspace of 2^40 trials", "trials");
        CHECK_OK(dmf_gen_workspace_init(&ws, g, 4));
        dmf_gen_workspace_free(&ws);
    }
    dmf_generator_free(g);
}

static void test_factor(void)
{
    /* The input (32 KiB) fits; with the largest half (16 KiB) it does not. */
    dmf_set_memory_limit(SIZE_MAX);
    dmf_matrix_spec spec = {"hadamard", 64, 64, DMF_F64, 0, 1, NULL, NULL, 0};
    dmf_matrix *a = NULL;
    dmf_context *ctx = NULL;
    CHECK_OK(dmf_matrix_builtin(&spec, &a));
    CHECK_OK(dmf_context_create(&ctx, "cpu"));
    size_t radix[6] = {2, 2, 2, 2, 2, 2};
    dmf_chain *chain = NULL;
    dmf_tree *tree = NULL;
    CHECK_OK(dmf_tree_create(&tree, "balanced", 6));
    if (a && ctx && tree) {
        dmf_set_memory_limit(40 << 10);
        expect_refused(dmf_butterfly_factor(ctx, a, radix, radix, 6, tree, NULL, &chain, NULL),
                       "factoring 64 x 64 within 40 KiB", "48 KiB");
        CHECK(chain == NULL, "no chain");
        dmf_set_memory_limit(64 << 10);
        CHECK_OK(dmf_butterfly_factor(ctx, a, radix, radix, 6, tree, NULL, &chain, NULL));
        dmf_chain_free(chain);
    }
    dmf_tree_free(tree);
    dmf_matrix_free(a);
    dmf_context_free(ctx);
}

int main(void)
{
    test_parse();
    test_set_get();
    dmf_set_memory_limit((size_t)4 << 20);
    test_matrices();
    test_networks();
    test_generators();
    test_factor();
    dmf_set_memory_limit(0);
    return check_report("test_memory_limit");
}
