/* Network specs: the structure read from each "type" (layer sizes, triplet
 * counts, parameters, probes, leaves and paths of convolutional DAGs, known
 * products of the all-ones networks) and every malformed spec we know of:
 * each must fail with the right status and a message naming the offending
 * node, edge, layer or entry.  Spec and mask files go in a fresh mkdtemp
 * directory, removed at the end. */
#define _POSIX_C_SOURCE 200809L

#include <string.h>

#include "check.h"
#include "internal.h"
#include "lift/network.h"
#include "tmp_files.h"

/* M_{k+1}(h) densely (row-major), h = all ones. */
static double *dense_layer(const dmf_network *net, size_t k)
{
    const dmf_layer *layer = &net->layers[k];
    double *m = calloc(layer->rows * layer->cols, sizeof *m);
    for (size_t t = 0; t < layer->count; t++)
        m[layer->entries[t].row * layer->cols + layer->entries[t].col] += layer->entries[t].coef;
    return m;
}

/* M_1(1) ... M_K(1), rows(net) x cols(net). */
static double *dense_product(const dmf_network *net)
{
    double *x = dense_layer(net, 0);
    size_t rows = net->layers[0].rows;
    for (size_t k = 1; k < net->num_layers; k++) {
        const dmf_layer *layer = &net->layers[k];
        double *m = dense_layer(net, k), *y = calloc(rows * layer->cols, sizeof *y);
        for (size_t i = 0; i < rows; i++)
            for (size_t j = 0; j < layer->rows; j++)
                for (size_t c = 0; c < layer->cols; c++)
                    y[i * layer->cols + c] += x[i * layer->rows + j] * m[j * layer->cols + c];
        free(m);
        free(x);
        x = y;
    }
    return x;
}

/* The shift of each parameter of layer k of a conv network, -1 where the
 * parameter's triplets disagree: (row - col) mod N inside a block. */
static int conv_shifts_consistent(const dmf_network *net, size_t k, const size_t *expect, size_t count)
{
    const dmf_layer *layer = &net->layers[k];
    size_t N = net->signal_length;
    if (layer->params != count) return 0;
    for (size_t t = 0; t < layer->count; t++) {
        const dmf_triplet *e = &layer->entries[t];
        if (e->param >= count || e->coef != 1.0) return 0;
        if ((e->row % N + N - e->col % N) % N != expect[e->param]) return 0;
    }
    return 1;
}

static int message_has(const char *needle)
{
    if (strstr(dmf_last_error(), needle)) return 1;
    fprintf(stderr, "  message '%s' lacks '%s'\n", dmf_last_error(), needle);
    return 0;
}

/* A spec that must fail with `status`, a message holding `needle`, no network. */
#define CHECK_SPEC_FAILS(text, status, needle)                                   \
    do {                                                                         \
        dmf_network *bad_ = (dmf_network *)1;                                    \
        CHECK_STATUS(dmf_network_parse(text, "spec.json", &bad_), status);       \
        CHECK(bad_ == NULL, "no network on failure");                            \
        CHECK(message_has(needle) && message_has("spec.json"), "message names %s", needle); \
    } while (0)

static void test_single_path(void)
{
    const char *spec = "{\"type\": \"conv\", \"N\": 8, \"root\": \"r\", \"edges\": ["
                       "{\"from\": \"m\", \"to\": \"r\", \"support\": [0, 1, 2]},"
                       "{\"from\": \"x\", \"to\": \"m\", \"support\": [0, 1]}]}";
    dmf_network *net = NULL;
    CHECK_OK(dmf_network_parse(spec, "single", &net));
    if (!net) return;
    CHECK(dmf_network_num_layers(net) == 2, "K = %zu", dmf_network_num_layers(net));
    CHECK(dmf_network_num_params(net) == 3, "S = %zu", dmf_network_num_params(net));
    CHECK(net->conv == 1 && net->signal_length == 8 && !strcmp(net->kind, "conv"), "conv fields");
    for (size_t k = 0; k < 2; k++)
        CHECK(net->layers[k].rows == 8 && net->layers[k].cols == 8, "layer %zu is %zu x %zu", k + 1,
              net->layers[k].rows, net->layers[k].cols);
    CHECK(net->layers[0].count == 24 && net->layers[1].count == 16, "triplets %zu, %zu",
          net->layers[0].count, net->layers[1].count);
    CHECK(net->layers[0].params == 3 && net->layers[1].params == 2, "params per layer");
    CHECK(net->num_probes == 1 && net->probes[0] == 0, "probes");
    CHECK(net->num_leaves == 1 && !strcmp(dmf_network_leaf_name(net, 0), "x"), "leaf x");
    CHECK(net->num_paths == 1, "paths %zu", net->num_paths);
    CHECK(dmf_network_rows(net) == 8 && dmf_network_cols(net) == 8, "X is 8 x 8");
    /* (h * x)[m] = sum_s h[s] x[m - s]: entry (n + s mod N, n) holds h[s]. */
    size_t s1[] = {0, 1, 2}, s2[] = {0, 1};
    CHECK(conv_shifts_consistent(net, 0, s1, 3), "layer 1 is the circulant of {0, 1, 2}");
    CHECK(conv_shifts_consistent(net, 1, s2, 2), "layer 2 is the circulant of {0, 1}");
    /* M_1(1) M_2(1): column n is the kernel 1 2 2 1 translated by n. */
    double *x = dense_product(net), kernel[8] = {1, 2, 2, 1, 0, 0, 0, 0};
    int ok = 1;
    for (size_t i = 0; i < 8; i++)
        for (size_t n = 0; n < 8; n++) ok &= x[i * 8 + n] == kernel[(i + 8 - n) % 8];
    CHECK(ok, "M_1(1) M_2(1) is the circulant of 1 2 2 1");
    free(x);
    dmf_network_free(net);
}

static void test_two_leaves(void)
{
    /* a, b -> m -> r; c -> n -> r: three leaves, nodes at depth 1 are m, n. */
    const char *spec = "{\"type\": \"conv\", \"N\": 4, \"root\": \"r\", \"edges\": ["
                       "{\"from\": \"a\", \"to\": \"m\", \"support\": [0]},"
                       "{\"from\": \"m\", \"to\": \"r\", \"support\": [0, 1]},"
                       "{\"from\": \"b\", \"to\": \"m\", \"support\": [1, 3]},"
                       "{\"from\": \"c\", \"to\": \"n\", \"support\": {\"contiguous\": 2}},"
                       "{\"from\": \"n\", \"to\": \"r\", \"support\": [2]}]}";
    dmf_network *net = NULL;
    CHECK_OK(dmf_network_parse(spec, "tree", &net));
    if (!net) return;
    CHECK(net->num_layers == 2, "K = %zu", net->num_layers);
    CHECK(net->layers[0].rows == 4 && net->layers[0].cols == 8, "M_1 is %zu x %zu",
          net->layers[0].rows, net->layers[0].cols);
    CHECK(net->layers[1].rows == 8 && net->layers[1].cols == 12, "M_2 is %zu x %zu",
          net->layers[1].rows, net->layers[1].cols);
    /* Layer 1: m -> r (2), n -> r (1); layer 2: a (1), b (2), c (2). */
    CHECK(net->layers[0].params == 3 && net->layers[1].params == 5, "S_1 = %zu, S_2 = %zu",
          net->layers[0].params, net->layers[1].params);
    CHECK(net->num_params == 5, "S = %zu", net->num_params);
    CHECK(net->layers[0].count == 12 && net->layers[1].count == 20, "triplets");
    CHECK(net->num_leaves == 3 && net->num_probes == 3, "3 leaves");
    CHECK(net->probes[0] == 0 && net->probes[1] == 4 && net->probes[2] == 8, "probes 0 4 8");
    CHECK(!strcmp(dmf_network_leaf_name(net, 0), "a") && !strcmp(dmf_network_leaf_name(net, 1), "b") &&
              !strcmp(dmf_network_leaf_name(net, 2), "c"), "leaves in order of appearance");
    CHECK(net->num_paths == 3, "paths %zu", net->num_paths);
    /* Parameter 1 of layer 2 (b's first shift, 1) sits in b's column block
     * (cols 4..7) and m's row block (rows 0..3); c's in n's rows 4..7. */
    int ok = 1;
    for (size_t t = 0; t < net->layers[1].count; t++) {
        const dmf_triplet *e = &net->layers[1].entries[t];
        size_t leaf = e->col / 4, parent = e->row / 4, shift = (e->row + 4 - e->col % 4) % 4;
        size_t expect_leaf = e->param == 0 ? 0 : e->param <= 2 ? 1 : 2;
        size_t expect_shift[] = {0, 1, 3, 0, 1};
        ok &= leaf == expect_leaf && parent == (leaf == 2) && shift == expect_shift[e->param];
    }
    CHECK(ok, "layer 2 triplets sit in the right blocks with the right shifts");
    /* Algorithm 8.1's product: column of leaf a is (delta_0 * 1) * (1 + delta_1). */
    double *x = dense_product(net);
    CHECK(x[0 * 12 + 0] == 1 && x[1 * 12 + 0] == 1 && x[2 * 12 + 0] == 0, "leaf a kernel");
    CHECK(x[2 * 12 + 8] == 1 && x[3 * 12 + 8] == 1 && x[0 * 12 + 8] == 0, "leaf c kernel");
    free(x);
    dmf_network_free(net);
}

static void test_diamond(void)
{
    /* Two paths from the one leaf f: f -> a -> r and f -> b -> r. */
    const char *spec = "{\"type\": \"conv\", \"N\": 8, \"root\": \"r\", \"edges\": ["
                       "{\"from\": \"f\", \"to\": \"a\", \"support\": [0]},"
                       "{\"from\": \"f\", \"to\": \"b\", \"support\": [0, 1]},"
                       "{\"from\": \"a\", \"to\": \"r\", \"support\": [0, 2]},"
                       "{\"from\": \"b\", \"to\": \"r\", \"support\": [4]}]}";
    dmf_network *net = NULL;
    CHECK_OK(dmf_network_parse(spec, "diamond", &net));
    if (!net) return;
    CHECK(net->num_leaves == 1 && net->num_paths == 2, "1 leaf, %zu paths", net->num_paths);
    CHECK(net->layers[0].rows == 8 && net->layers[0].cols == 16, "M_1 is 8 x 16");
    CHECK(net->layers[1].rows == 16 && net->layers[1].cols == 8, "M_2 is 16 x 8");
    CHECK(net->layers[0].params == 3 && net->layers[1].params == 3, "S_1 = S_2 = 3");
    CHECK(net->num_probes == 1 && net->probes[0] == 0, "probe 0");
    /* Kernel of f: {0, 2} + {4, 5} = 0 2 4 5 each once: sufficiently scattered. */
    double *x = dense_product(net), kernel[8] = {1, 0, 1, 0, 1, 1, 0, 0};
    int ok = 1;
    for (size_t i = 0; i < 8; i++) ok &= x[i * 8] == kernel[i];
    CHECK(ok, "the kernel of f is delta at 0, 2, 4, 5");
    free(x);
    dmf_network_free(net);

    /* Paths multiply through a wider DAG: 2 x 2 parents per level. */
    const char *wide = "{\"type\": \"conv\", \"N\": 2, \"root\": \"r\", \"edges\": ["
                       "{\"from\": \"a\", \"to\": \"r\", \"support\": [0]},"
                       "{\"from\": \"b\", \"to\": \"r\", \"support\": [0]},"
                       "{\"from\": \"c\", \"to\": \"a\", \"support\": [0]},"
                       "{\"from\": \"c\", \"to\": \"b\", \"support\": [0]},"
                       "{\"from\": \"d\", \"to\": \"a\", \"support\": [0]},"
                       "{\"from\": \"d\", \"to\": \"b\", \"support\": [0]},"
                       "{\"from\": \"e\", \"to\": \"c\", \"support\": [0]},"
                       "{\"from\": \"e\", \"to\": \"d\", \"support\": [1]}]}";
    CHECK_OK(dmf_network_parse(wide, "wide", &net));
    if (!net) return;
    CHECK(net->num_layers == 3 && net->num_leaves == 1 && net->num_paths == 4, "K 3, paths %zu",
          net ? net->num_paths : 0);
    dmf_network_free(net);
}

static void test_support_helpers(void)
{
    const char *spec = "{\"type\": \"conv\", \"N\": 16, \"root\": \"r\", \"edges\": ["
                       "{\"from\": \"m\", \"to\": \"r\", \"support\": {\"contiguous\": 5}},"
                       "{\"from\": \"x\", \"to\": \"m\", \"support\": {\"dilated\": 3}}]}";
    dmf_network *net = NULL;
    CHECK_OK(dmf_network_parse(spec, "helpers", &net));
    if (!net) return;
    size_t contiguous[] = {0, 1, 2, 3, 4}, dilated[] = {0, 8};
    CHECK(conv_shifts_consistent(net, 0, contiguous, 5), "contiguous 5 = {0..4}");
    CHECK(conv_shifts_consistent(net, 1, dilated, 2), "dilated 3 = {0, 8}");
    dmf_network_free(net);

    /* Undecimated Haar, three levels: supports {0, 2^k}, k = 0, 1, 2. */
    const char *haar = "{\"type\": \"conv\", \"N\": 8, \"root\": \"r\", \"edges\": ["
                       "{\"from\": \"a\", \"to\": \"r\", \"support\": {\"dilated\": 0}},"
                       "{\"from\": \"b\", \"to\": \"a\", \"support\": {\"dilated\": 1}},"
                       "{\"from\": \"c\", \"to\": \"b\", \"support\": {\"dilated\": 2}}]}";
    CHECK_OK(dmf_network_parse(haar, "haar", &net));
    if (!net) return;
    double *x = dense_product(net);
    int ok = 1;
    for (size_t i = 0; i < 8; i++) ok &= x[i * 8] == 1;
    CHECK(ok, "{0,1} * {0,2} * {0,4} covers every shift once");
    free(x);
    dmf_network_free(net);
}

static void test_triplets_butterfly_masked(void)
{
    dmf_network *net = NULL;
    const char *triplets = "{\"type\": \"triplets\", \"layers\": ["
                           "{\"rows\": 2, \"cols\": 3, \"entries\": [[0, 0, 0, 1.5], [1, 2, 1, -2]]},"
                           "{\"rows\": 3, \"cols\": 1, \"entries\": [[2, 0, 0, 1]]}]}";
    CHECK_OK(dmf_network_parse(triplets, "triplets", &net));
    if (net) {
        CHECK(net->num_layers == 2 && net->num_params == 2 && !strcmp(net->kind, "triplets"), "shape");
        CHECK(net->layers[0].count == 2 && net->layers[0].entries[1].coef == -2.0, "entries kept");
        CHECK(net->num_probes == 1 && net->probes[0] == 0 && !net->conv, "all columns probed");
        dmf_network_free(net);
    }

    /* Square radix-2 chain of 3 factors: each M_k is 8 x 8 with 16 entries
     * (4 blocks of 2 x 2) and the product of the supports is all ones. */
    const char *butterfly = "{\"type\": \"butterfly\", \"radix_m\": [2, 2, 2], \"radix_n\": [2, 2, 2]}";
    CHECK_OK(dmf_network_parse(butterfly, "butterfly", &net));
    if (net) {
        int ok = net->num_layers == 3 && net->num_params == 16;
        for (size_t k = 0; k < 3; k++)
            ok &= net->layers[k].rows == 8 && net->layers[k].cols == 8 && net->layers[k].count == 16;
        CHECK(ok, "3 layers of 8 x 8 with 16 parameters");
        double *x = dense_product(net);
        ok = 1;
        for (size_t i = 0; i < 64; i++) ok &= x[i] == 1;
        CHECK(ok, "one path per entry of the product");
        free(x);
        /* Compact order: block (i, v), then beta, then gamma. */
        const dmf_layer *f0 = &net->layers[0]; /* a = 1, b = c = 2, d = 4 */
        ok = 1;
        for (size_t t = 0; t < f0->count; t++) {
            size_t p = f0->entries[t].param, v = p / 4, beta = p / 2 % 2, gamma = p % 2;
            ok &= f0->entries[t].row == beta * 4 + v && f0->entries[t].col == gamma * 4 + v;
        }
        CHECK(ok, "parameters numbered in the compact block order");
        dmf_network_free(net);
    }
    /* Rectangular: 6 x 3 from radices m = (2, 3), n = (3, 1). */
    const char *rect = "{\"type\": \"butterfly\", \"radix_m\": [2, 3], \"radix_n\": [3, 1]}";
    CHECK_OK(dmf_network_parse(rect, "rect", &net));
    if (net) {
        CHECK(dmf_network_rows(net) == 6 && dmf_network_cols(net) == 3, "X is %zu x %zu",
              dmf_network_rows(net), dmf_network_cols(net));
        double *x = dense_product(net);
        int ok = 1;
        for (size_t i = 0; i < 18; i++) ok &= x[i] == 1;
        CHECK(ok, "rectangular chain: the product of the supports is all ones");
        free(x);
        dmf_network_free(net);
    }

    const char *masked = "{\"type\": \"masked\", \"sizes\": [2, 3, 2], "
                         "\"masks\": [[[1, 0, 1], [0, 1, 1]], \"dense\"]}";
    CHECK_OK(dmf_network_parse(masked, "masked", &net));
    if (net) {
        CHECK(net->layers[0].params == 4 && net->layers[1].params == 6 && net->num_params == 6,
              "parameters per allowed entry");
        const dmf_triplet *e = net->layers[0].entries;
        CHECK(e[0].row == 0 && e[0].col == 0 && e[1].col == 2 && e[2].row == 1 && e[2].col == 1 &&
                  e[3].param == 3 && e[3].col == 2, "row-major numbering");
        dmf_network_free(net);
    }

    /* Masks from files, found next to the spec. */
    double mask[6] = {1, 1, 0, 0, 1, 0};
    size_t shape[2] = {3, 2};
    CHECK_OK(dmf_npy_write_array(tmp_path("mask.npy"), DMF_F64, shape, 2, mask));
    write_text("mask.mtx", "%%MatrixMarket matrix coordinate pattern general\n2 3 2\n1 1\n2 3\n");
    const char *path = write_text("masked.json", "{\"type\": \"masked\", \"sizes\": [2, 3, 2], "
                                                 "\"masks\": [\"mask.mtx\", \"mask.npy\"]}");
    CHECK_OK(dmf_network_read(path, &net));
    if (net) {
        CHECK(net->layers[0].params == 2 && net->layers[1].params == 3, "masks read from files");
        CHECK(net->layers[0].entries[1].row == 1 && net->layers[0].entries[1].col == 2, "mtx entry");
        CHECK(net->layers[1].entries[2].row == 2 && net->layers[1].entries[2].col == 0, "npy entry");
        dmf_network_free(net);
    }
    path = write_text("badmask.json", "{\"type\": \"masked\", \"sizes\": [2, 2, 2], "
                                      "\"masks\": [\"dense\", \"mask.npy\"]}");
    CHECK_STATUS(dmf_network_read(path, &net), DMF_ERR_SHAPE);
    CHECK(message_has("layer 2") && message_has("badmask.json"), "file mask of the wrong shape");
    path = write_text("nomask.json",
                      "{\"type\": \"masked\", \"sizes\": [2, 2], \"masks\": [\"none.npy\"]}");
    CHECK_STATUS(dmf_network_read(path, &net), DMF_ERR_IO);
    CHECK(message_has("layer 1") && message_has("none.npy"), "missing mask file");

    /* A conv spec read from a file. */
    path = write_text("conv.json", "{\"type\": \"conv\", \"N\": 4, \"root\": \"r\", \"edges\": "
                                   "[{\"from\": \"x\", \"to\": \"r\", \"support\": [0, 3]}]}");
    CHECK_OK(dmf_network_read(path, &net));
    if (net) CHECK(net->num_layers == 1 && net->num_params == 2, "one layer");
    dmf_network_free(net);
}

/* Conv spec text of N = 8, root r and the given edges (a JSON list body). */
static const char *conv_spec(const char *edges)
{
    static char buf[2048];
    snprintf(buf, sizeof buf, "{\"type\": \"conv\", \"N\": 8, \"root\": \"r\", \"edges\": [%s]}",
             edges);
    return buf;
}

#define E(from, to, support) "{\"from\": \"" from "\", \"to\": \"" to "\", \"support\": " support "}"

static void test_conv_errors(void)
{
    CHECK_SPEC_FAILS(conv_spec(E("a", "m", "[0]") "," E("m", "r", "[0]") "," E("b", "r", "[0]")),
                     DMF_ERR_FORMAT, "leaf 'b' is at depth 1 but leaf 'a' at depth 2");
    /* a reaches r directly and through m. */
    CHECK_SPEC_FAILS(conv_spec(E("a", "m", "[0]") "," E("m", "r", "[0]") "," E("a", "r", "[0]")),
                     DMF_ERR_FORMAT, "edge 1 (a -> m)");
    CHECK_SPEC_FAILS(conv_spec(E("x", "a", "[0]") "," E("a", "b", "[0]") "," E("b", "a", "[0]") ","
                               E("b", "r", "[0]")),
                     DMF_ERR_FORMAT, "cycle: a -> b -> a");
    CHECK_SPEC_FAILS(conv_spec(E("x", "x", "[0]")), DMF_ERR_FORMAT, "edge 1 (x -> x) is a loop");
    CHECK_SPEC_FAILS(conv_spec(E("x", "r", "[0, 8]")), DMF_ERR_FORMAT,
                     "edge 1 (x -> r): support entry 8");
    CHECK_SPEC_FAILS(conv_spec(E("x", "r", "[0, -1]")), DMF_ERR_FORMAT, "edge 1 (x -> r)");
    CHECK_SPEC_FAILS(conv_spec(E("x", "r", "[0.5]")), DMF_ERR_FORMAT, "edge 1 (x -> r)");
    CHECK_SPEC_FAILS(conv_spec(E("x", "m", "[0]") "," E("m", "r", "{\"dilated\": 3}")), DMF_ERR_FORMAT,
                     "edge 2 (m -> r): support {\"dilated\": 3}");
    CHECK_SPEC_FAILS(conv_spec(E("x", "r", "{\"contiguous\": 9}")), DMF_ERR_FORMAT, "edge 1 (x -> r)");
    CHECK_SPEC_FAILS(conv_spec(E("x", "r", "{\"contiguous\": 2, \"dilated\": 1}")), DMF_ERR_FORMAT,
                     "edge 1 (x -> r)");
    CHECK_SPEC_FAILS(conv_spec(E("x", "r", "[]")), DMF_ERR_FORMAT,
                     "edge 1 (x -> r): the support is empty");
    CHECK_SPEC_FAILS(conv_spec(E("x", "r", "[0, 1, 1]")), DMF_ERR_FORMAT,
                     "edge 1 (x -> r): support entry 1 appears twice");
    CHECK_SPEC_FAILS(conv_spec(E("x", "r", "\"all\"")), DMF_ERR_FORMAT, "edge 1 (x -> r)");
    CHECK_SPEC_FAILS(conv_spec("{\"from\": \"x\", \"to\": \"r\"}"), DMF_ERR_FORMAT,
                     "edge 1 (x -> r): \"support\" is missing");
    CHECK_SPEC_FAILS(conv_spec(E("x", "r", "[0]") "," E("r", "y", "[0]")), DMF_ERR_FORMAT,
                     "root 'r' has an outgoing edge, edge 2 (r -> y)");
    CHECK_SPEC_FAILS(conv_spec(E("x", "m", "[0]")), DMF_ERR_FORMAT, "root 'r' appears in no edge");
    CHECK_SPEC_FAILS(conv_spec(E("x", "r", "[0]") "," E("y", "z", "[0]")), DMF_ERR_FORMAT,
                     "node 'y' is not connected to the root");
    CHECK_SPEC_FAILS(conv_spec("{\"from\": 3, \"to\": \"r\", \"support\": [0]}"), DMF_ERR_FORMAT,
                     "edge 1: \"from\"");
    CHECK_SPEC_FAILS(conv_spec(""), DMF_ERR_FORMAT, "\"edges\"");
    CHECK_SPEC_FAILS("{\"type\": \"conv\", \"N\": 0, \"root\": \"r\", \"edges\": []}", DMF_ERR_FORMAT,
                     "\"N\" must be an integer >= 1");
    CHECK_SPEC_FAILS("{\"type\": \"conv\", \"N\": 4, \"edges\": [" E("x", "r", "[0]") "]}",
                     DMF_ERR_FORMAT, "\"root\"");
}

static void test_other_errors(void)
{
    CHECK_SPEC_FAILS("{\"type\": \"graph\"}", DMF_ERR_FORMAT, "\"conv\", \"triplets\", \"butterfly\"");
    CHECK_SPEC_FAILS("{\"type\": \"graph\"}", DMF_ERR_FORMAT, "'graph'");
    CHECK_SPEC_FAILS("{\"N\": 8}", DMF_ERR_FORMAT, "\"type\" is missing");
    CHECK_SPEC_FAILS("[1, 2]", DMF_ERR_FORMAT, "JSON object");
    CHECK_SPEC_FAILS("{\n  \"type\": \"conv\",\n  \"N\": 8,,\n  \"root\": \"r\"\n}", DMF_ERR_FORMAT,
                     "line 3");
    CHECK_SPEC_FAILS("{\"type\": \"conv\",\n\"N\": 8", DMF_ERR_FORMAT, "line 2");
    CHECK_SPEC_FAILS("", DMF_ERR_FORMAT, "line 1");

    CHECK_SPEC_FAILS("{\"type\": \"triplets\", \"layers\": ["
                     "{\"rows\": 2, \"cols\": 2, \"entries\": [[0, 0, 0, 1]]},"
                     "{\"rows\": 2, \"cols\": 2, \"entries\": [[0, 0, 0, 1], [2, 0, 1, 1]]}]}",
                     DMF_ERR_SHAPE, "layer 2: entry 2");
    CHECK_SPEC_FAILS("{\"type\": \"triplets\", \"layers\": ["
                     "{\"rows\": 2, \"cols\": 2, \"entries\": [[0, 0, 0, 1]]},"
                     "{\"rows\": 3, \"cols\": 2, \"entries\": [[0, 0, 0, 1]]}]}",
                     DMF_ERR_SHAPE, "layers 1 and 2 do not chain");
    CHECK_SPEC_FAILS("{\"type\": \"triplets\", \"layers\": ["
                     "{\"rows\": 2, \"cols\": 2, \"entries\": [[0, 0, -1, 1]]}]}",
                     DMF_ERR_FORMAT, "layer 1: entry 1");
    CHECK_SPEC_FAILS("{\"type\": \"triplets\", \"layers\": ["
                     "{\"rows\": 2, \"cols\": 2, \"entries\": [[0, 0, 0, 1e999]]}]}",
                     DMF_ERR_FORMAT, "layer 1: entry 1: the coefficient");
    CHECK_SPEC_FAILS("{\"type\": \"triplets\", \"layers\": ["
                     "{\"rows\": 2, \"cols\": 2, \"entries\": [[0, 0, 0]]}]}",
                     DMF_ERR_FORMAT, "layer 1: entry 1");
    CHECK_SPEC_FAILS("{\"type\": \"triplets\", \"layers\": [{\"rows\": 2, \"entries\": []}]}",
                     DMF_ERR_FORMAT, "layer 1: \"cols\"");
    CHECK_SPEC_FAILS("{\"type\": \"triplets\", \"layers\": []}", DMF_ERR_FORMAT, "\"layers\"");

    CHECK_SPEC_FAILS("{\"type\": \"masked\", \"sizes\": [2, 3, 2], "
                     "\"masks\": [\"dense\", [[1, 1], [1, 1]]]}",
                     DMF_ERR_SHAPE, "layer 2: the mask has 2 rows");
    CHECK_SPEC_FAILS("{\"type\": \"masked\", \"sizes\": [2, 3, 2], "
                     "\"masks\": [\"dense\", [[1, 1], [1, 1], [1]]]}",
                     DMF_ERR_SHAPE, "layer 2: mask row 3");
    CHECK_SPEC_FAILS("{\"type\": \"masked\", \"sizes\": [2, 2], \"masks\": [[[1, 2], [0, 1]]]}",
                     DMF_ERR_FORMAT, "layer 1: mask entry (0, 1)");
    CHECK_SPEC_FAILS("{\"type\": \"masked\", \"sizes\": [2, 2], \"masks\": [[[0, 0], [0, 0]]]}",
                     DMF_ERR_FORMAT, "layer 1: the mask allows no entry");
    CHECK_SPEC_FAILS("{\"type\": \"masked\", \"sizes\": [2, 2, 2], \"masks\": [\"dense\"]}",
                     DMF_ERR_SHAPE, "\"masks\" has 1 entries");

    CHECK_SPEC_FAILS("{\"type\": \"butterfly\", \"radix_m\": [2, 2], \"radix_n\": [2]}", DMF_ERR_SHAPE,
                     "\"radix_m\" has 2 entries and \"radix_n\" 1");
    CHECK_SPEC_FAILS("{\"type\": \"butterfly\", \"radix_m\": [2, 0], \"radix_n\": [2, 2]}",
                     DMF_ERR_FORMAT, "radix_m[1]");

    dmf_network *net = (dmf_network *)1;
    CHECK_STATUS(dmf_network_read(tmp_path("absent.json"), &net), DMF_ERR_IO);
    CHECK(net == NULL && message_has("absent.json"), "missing file named");
}

int main(void)
{
    if (make_tmp_dir("dmf_test_network") != 0) return 2;
    test_single_path();
    test_two_leaves();
    test_diamond();
    test_support_helpers();
    test_triplets_butterfly_masked();
    test_conv_errors();
    test_other_errors();
    remove_tmp_dir();
    return check_report("test_network");
}
