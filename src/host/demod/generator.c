/* ReLU generators: random as in Hand & Joshi, from weights, from JSON. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "generator.h"
#include "scale.h"
#include "io/json_number.h"
#include "memory.h"

static int alloc_generator(dmf_generator **out, const size_t *sizes, size_t num_sizes, size_t networks)
{
    *out = NULL;
    if (num_sizes < 2 || num_sizes > DMF_MAX_GEN_LAYERS + 1)
        return dmf_fail(DMF_ERR_ARG, "a generator has 1 to %d layers (2 to %d sizes), not %zu sizes",
                        DMF_MAX_GEN_LAYERS, DMF_MAX_GEN_LAYERS + 1, num_sizes);
    if (networks < 1) return dmf_fail(DMF_ERR_ARG, "a generator needs at least one network");
    dmf_generator *g = calloc(1, sizeof *g);
    if (!g) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate a generator");
    g->dtype = DMF_F64;
    g->depth = num_sizes - 1;
    g->networks = networks;
    for (size_t i = 0; i < num_sizes; i++) {
        if (sizes[i] < 1) {
            free(g);
            return dmf_fail(DMF_ERR_ARG, "layer size %zu is zero", i);
        }
        g->sizes[i] = sizes[i];
    }
    double weights = 0;
    for (size_t i = 0; i < g->depth; i++) weights += (double)sizes[i + 1] * (double)sizes[i];
    int status = dmf_memory_check(weights * (double)networks * sizeof(double), "a generator of %zu network(s) with "
                                  "%.3g weights each", networks, weights);
    if (status != DMF_OK) {
        free(g);
        return status;
    }
    for (size_t i = 0; i < g->depth; i++) {
        /* Sizes reach 2^53 from JSON: a product that wraps would allocate
         * a few bytes for a layer written in full. */
        size_t per, count;
        g->weights[i] = dmf_mul_size(sizes[i + 1], sizes[i], &per) && dmf_mul_size(per, networks, &count)
                            ? dmf_alloc(count, sizeof(double))
                            : NULL;
        if (!g->weights[i]) {
            dmf_generator_free(g);
            return dmf_fail(DMF_ERR_NOMEM, "cannot allocate layer %zu (%zu networks of %zu x %zu)", i + 1, networks,
                            sizes[i + 1], sizes[i]);
        }
        g->layers[i] = (dmf_dense_layer){sizes[i + 1], sizes[i], networks, g->weights[i], dmf_dense_layer_new_id()};
    }
    *out = g;
    return DMF_OK;
}

void dmf_generator_free(dmf_generator *gen)
{
    if (!gen) return;
    for (size_t i = 0; i < DMF_MAX_GEN_LAYERS; i++) free(gen->weights[i]);
    free(gen);
}

int dmf_generator_random_networks(dmf_generator **out, const size_t *sizes, size_t num_sizes, size_t networks,
                                  uint64_t seed)
{
    DMF_TRY(alloc_generator(out, sizes, num_sizes, networks));
    dmf_generator *g = *out;
    g->random = 1;
    dmf_rng rng;
    dmf_rng_seed(&rng, seed);
    const size_t out_size = sizes[num_sizes - 1];
    /* Network after network from one stream, so network 0 is the one
     * dmf_generator_random draws from the same seed. */
    for (size_t k = 0; k < networks; k++)
        for (size_t i = 0; i < g->depth; i++) {
            size_t rows = sizes[i + 1], cols = sizes[i];
            int last = i + 1 == g->depth;
            double sd = sqrt(1.0 / (double)(last ? out_size : rows));
            /* The paper's last layer keeps a row only if it is not too long. */
            double limit = 3.0 * sqrt((double)cols / (double)out_size);
            double *w = (double *)g->weights[i] + k * rows * cols;
            for (size_t r = 0; r < rows; r++) {
                double *row = w + r * cols, norm2 = 0;
                for (size_t c = 0; c < cols; c++) {
                    row[c] = sd * dmf_rng_normal(&rng);
                    norm2 += row[c] * row[c];
                }
                if (last && sqrt(norm2) > limit) memset(row, 0, cols * sizeof *row);
            }
        }
    return DMF_OK;
}

int dmf_generator_random(dmf_generator **out, const size_t *sizes, size_t num_sizes, uint64_t seed)
{
    return dmf_generator_random_networks(out, sizes, num_sizes, 1, seed);
}

/* Weights far from 1 are refused up front: with bias-free ReLU layers
 * G(h) scales with the product of the layers' scales, and Algorithm 1
 * squares products of G1 and G2, so the partial products of the layers'
 * largest entries (2^e_1, 2^e_1 e_2, ...) must stay within 2^+-200 in f64
 * and 2^+-24 in f32; inside, every dtype computes G and the objective
 * without overflow or underflow.  Scaling W_i by c scales G by c, so the
 * remedy is the user's, and it is named. */
static int check_weight_scale(const dmf_generator *gen, dmf_dtype dtype)
{
    int bound = dtype == DMF_F32 ? 24 : 200;
    long prefix = 0;
    char list[256];
    size_t len = 0;
    list[0] = '\0';
    for (size_t i = 0; i < gen->depth; i++) {
        int e = 0;
        size_t n = gen->networks * gen->sizes[i + 1] * gen->sizes[i];
        if (!dmf_extreme_exponent(gen->dtype, gen->weights[i], n, 0, &e)) e = 0;
        prefix += e;
        if (len + 16 < sizeof list) len += (size_t)snprintf(list + len, sizeof list - len, "%s2^%d", i ? ", " : "", e);
        if (prefix > bound || prefix < -bound || e > bound || e < -bound)
            return dmf_fail(DMF_ERR_NUMERIC,
                            "the largest weights of layers 1..%zu (%s) multiply to about 2^%ld, beyond "
                            "2^+-%d where %s computes G and Algorithm 1's squares safely; G(h) scales with "
                            "each layer's scale, so divide the weights by powers of two towards 1",
                            i + 1, list, prefix, bound, dmf_dtype_name(dtype));
    }
    return DMF_OK;
}

int dmf_generator_from_weights(dmf_generator **out, const dmf_matrix *const *weights, size_t num_layers)
{
    *out = NULL;
    if (num_layers < 1 || num_layers > DMF_MAX_GEN_LAYERS)
        return dmf_fail(DMF_ERR_ARG, "a generator has 1 to %d layers, not %zu", DMF_MAX_GEN_LAYERS, num_layers);
    size_t sizes[DMF_MAX_GEN_LAYERS + 1];
    sizes[0] = dmf_matrix_cols(weights[0]);
    for (size_t i = 0; i < num_layers; i++) {
        if (dmf_dtype_is_complex(dmf_matrix_dtype(weights[i])))
            return dmf_fail(DMF_ERR_ARG, "layer %zu: weights must be real", i + 1);
        if (dmf_matrix_cols(weights[i]) != sizes[i])
            return dmf_fail(DMF_ERR_SHAPE, "layer %zu: W_%zu has %zu columns but layer %zu gives %zu values",
                            i + 1, i + 1, dmf_matrix_cols(weights[i]), i, sizes[i]);
        if (dmf_matrix_check_finite(weights[i]) != DMF_OK)
            return dmf_fail_context(DMF_ERR_NUMERIC, "layer %zu", i + 1);
        sizes[i + 1] = dmf_matrix_rows(weights[i]);
    }
    DMF_TRY(alloc_generator(out, sizes, num_layers + 1, 1));
    for (size_t i = 0; i < num_layers; i++)
        for (size_t e = 0; e < sizes[i + 1] * sizes[i]; e++)
            ((double *)(*out)->weights[i])[e] =
                creal(dmf_get(dmf_matrix_dtype(weights[i]), dmf_matrix_const_data(weights[i]), e));
    int status = check_weight_scale(*out, DMF_F64);
    if (status != DMF_OK) {
        dmf_generator_free(*out);
        *out = NULL;
    }
    return status;
}

int dmf_generator_set_dtype(dmf_generator *gen, dmf_dtype dtype)
{
    if (dtype != DMF_F32 && dtype != DMF_F64)
        return dmf_fail(DMF_ERR_ARG, "generators run in f32 or f64, not %s", dmf_dtype_name(dtype));
    if (dtype == gen->dtype) return DMF_OK;
    DMF_TRY(check_weight_scale(gen, dtype));
    for (size_t i = 0; i < gen->depth; i++) {
        size_t n = gen->networks * gen->sizes[i + 1] * gen->sizes[i];
        void *w = dmf_alloc(n, dmf_dtype_size(dtype));
        if (!w) return dmf_fail(DMF_ERR_NOMEM, "cannot convert layer %zu to %s", i + 1, dmf_dtype_name(dtype));
        if (dtype == DMF_F32)
            for (size_t e = 0; e < n; e++) ((float *)w)[e] = (float)((const double *)gen->weights[i])[e];
        else
            for (size_t e = 0; e < n; e++) ((double *)w)[e] = ((const float *)gen->weights[i])[e];
        free(gen->weights[i]);
        gen->weights[i] = w;
        gen->layers[i].w = w;
        gen->layers[i].id = dmf_dense_layer_new_id();
    }
    gen->dtype = dtype;
    return DMF_OK;
}

size_t dmf_generator_input_size(const dmf_generator *gen) { return gen->sizes[0]; }
size_t dmf_generator_output_size(const dmf_generator *gen) { return gen->sizes[gen->depth]; }
size_t dmf_generator_depth(const dmf_generator *gen) { return gen->depth; }
size_t dmf_generator_networks(const dmf_generator *gen) { return gen->networks; }
dmf_dtype dmf_generator_dtype(const dmf_generator *gen) { return gen->dtype; }
int dmf_generator_is_random(const dmf_generator *gen) { return gen->random; }

int dmf_gen_workspace_init(dmf_gen_workspace *ws, const dmf_generator *gen, size_t batch)
{
    memset(ws, 0, sizeof *ws);
    ws->batch = batch;
    const size_t elem = dmf_dtype_size(gen->dtype);
    size_t widest = gen->sizes[0];
    /* Every layer's activations and two gradients of the widest, per trial:
     * refused with the figure before anything is allocated. */
    double per_trial = 0, wide = (double)gen->sizes[0];
    for (size_t i = 1; i <= gen->depth; i++) {
        per_trial += (double)gen->sizes[i];
        if ((double)gen->sizes[i] > wide) wide = (double)gen->sizes[i];
    }
    DMF_TRY(dmf_memory_check((per_trial + 2 * wide) * (double)batch * (double)elem,
                             "the workspace of %zu trials", batch));
    for (size_t i = 0; i < gen->depth; i++) {
        ws->acts[i] = dmf_alloc(batch * gen->sizes[i + 1], elem);
        if (!ws->acts[i]) {
            dmf_gen_workspace_free(ws);
            return dmf_fail(DMF_ERR_NOMEM, "cannot allocate activations for %zu trials", batch);
        }
        if (gen->sizes[i + 1] > widest) widest = gen->sizes[i + 1];
    }
    /* Two gradients of the widest layer: the backward pass alternates. */
    ws->scratch = dmf_alloc(2 * batch * widest, elem);
    if (!ws->scratch) {
        dmf_gen_workspace_free(ws);
        return dmf_fail(DMF_ERR_NOMEM, "cannot allocate scratch for %zu trials", batch);
    }
    return DMF_OK;
}

void dmf_gen_workspace_free(dmf_gen_workspace *ws)
{
    for (size_t i = 0; i < DMF_MAX_GEN_LAYERS; i++) free(ws->acts[i]);
    free(ws->scratch);
    memset(ws, 0, sizeof *ws);
}

void *dmf_reals_from_f64(dmf_dtype dtype, const double *x, size_t n)
{
    void *y = dmf_alloc(n ? n : 1, dmf_dtype_size(dtype));
    if (!y) return NULL;
    if (dtype == DMF_F32)
        for (size_t e = 0; e < n; e++) ((float *)y)[e] = (float)x[e];
    else
        memcpy(y, x, n * sizeof *x);
    return y;
}

void dmf_reals_to_f64(dmf_dtype dtype, const void *x, size_t n, double *y)
{
    if (dtype == DMF_F32)
        for (size_t e = 0; e < n; e++) y[e] = ((const float *)x)[e];
    else
        memcpy(y, x, n * sizeof *y);
}

int dmf_generator_forward(dmf_context *ctx, const dmf_generator *gen, const double *in, size_t batch, double *out)
{
    dmf_gen_workspace ws;
    DMF_TRY(dmf_gen_workspace_init(&ws, gen, batch));
    void *x = dmf_reals_from_f64(gen->dtype, in, batch * gen->sizes[0]);
    int status = x ? dmf_context_backend(ctx)->relu_forward(gen->dtype, gen->depth, gen->layers, batch, x, ws.acts)
                   : dmf_fail(DMF_ERR_NOMEM, "cannot allocate %zu inputs", batch);
    if (status == DMF_OK) dmf_reals_to_f64(gen->dtype, dmf_gen_output(gen, &ws), batch * gen->sizes[gen->depth], out);
    size_t count = batch * gen->sizes[gen->depth];
    size_t bad = status == DMF_OK ? dmf_first_nonfinite(DMF_F64, out, count) : count;
    if (bad < count)
        status = dmf_fail(DMF_ERR_NUMERIC, "G's output %zu of trial %zu is not finite: the pass overflowed %s",
                          bad % gen->sizes[gen->depth], bad / gen->sizes[gen->depth], dmf_dtype_name(gen->dtype));
    free(x);
    dmf_gen_workspace_free(&ws);
    return status;
}

int dmf_generator_vjp(dmf_context *ctx, const dmf_generator *gen, const double *in, const double *v, size_t batch,
                      double *grad)
{
    dmf_gen_workspace ws;
    DMF_TRY(dmf_gen_workspace_init(&ws, gen, batch));
    const dmf_backend *b = dmf_context_backend(ctx);
    size_t l = gen->sizes[gen->depth], n = gen->sizes[0];
    void *x = dmf_reals_from_f64(gen->dtype, in, batch * n), *vc = dmf_reals_from_f64(gen->dtype, v, batch * l);
    void *g = dmf_alloc(batch * n + 1, dmf_dtype_size(gen->dtype));
    int status = x && vc && g ? b->relu_forward(gen->dtype, gen->depth, gen->layers, batch, x, ws.acts)
                              : dmf_fail(DMF_ERR_NOMEM, "cannot allocate %zu vectors", batch);
    if (status == DMF_OK)
        status = b->relu_backward(gen->dtype, gen->depth, gen->layers, batch, (const void *const *)ws.acts, vc, g,
                                  ws.scratch);
    if (status == DMF_OK) dmf_reals_to_f64(gen->dtype, g, batch * n, grad);
    free(x), free(vc), free(g);
    dmf_gen_workspace_free(&ws);
    return status;
}

/* ---- JSON specs ------------------------------------------------------- */

static int read_text(const char *path, char **text)
{
    FILE *f = fopen(path, "rb");
    if (!f) return dmf_fail(DMF_ERR_IO, "cannot open generator spec '%s': %s", path, strerror(errno));
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    *text = malloc((size_t)(size > 0 ? size : 0) + 1);
    size_t got = *text ? fread(*text, 1, (size_t)(size > 0 ? size : 0), f) : 0;
    fclose(f);
    if (!*text) return dmf_fail(DMF_ERR_NOMEM, "cannot read '%s'", path);
    (*text)[got] = '\0';
    return DMF_OK;
}

int dmf_generator_read_networks(const char *path, size_t networks, dmf_generator **out)
{
    *out = NULL;
    char *text = NULL;
    DMF_TRY(read_text(path, &text));
    /* The message quotes the text at the error, so it is made before the
     * text is freed; the position comes back through `where` rather than
     * cJSON's global (and not thread-safe) cJSON_GetErrorPtr(). */
    const char *where = NULL;
    cJSON *root = cJSON_ParseWithOpts(text, &where, 1);
    if (!root) {
        if (!where || !*where)
            dmf_fail(DMF_ERR_FORMAT, "'%s': malformed JSON: the text ends too early", path);
        else
            dmf_fail(DMF_ERR_FORMAT, "'%s': malformed JSON near '%.20s'", path, where);
        free(text);
        return DMF_ERR_FORMAT;
    }
    free(text);
    const cJSON *sizes = cJSON_GetObjectItemCaseSensitive(root, "sizes");
    const cJSON *weights = cJSON_GetObjectItemCaseSensitive(root, "weights");
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(root, "seed");
    int status = DMF_OK;
    if (cJSON_IsArray(sizes) == cJSON_IsArray(weights)) {
        status = dmf_fail(DMF_ERR_FORMAT, "'%s': give either \"sizes\" (random weights) or \"weights\" "
                                          "(a list of .npy/.mtx files)", path);
    } else if (cJSON_IsArray(sizes)) {
        size_t n[DMF_MAX_GEN_LAYERS + 1], count = 0;
        const cJSON *item;
        cJSON_ArrayForEach(item, sizes)
        {
            if (count == DMF_MAX_GEN_LAYERS + 1 || !cJSON_IsNumber(item) ||
                !dmf_json_whole(item->valuedouble, 1, SIZE_MAX, &n[count])) {
                status = dmf_fail(DMF_ERR_FORMAT, "'%s': \"sizes\"[%zu] must be an integer >= 1 (at most %d sizes)",
                                  path, count, DMF_MAX_GEN_LAYERS + 1);
                break;
            }
            count++;
        }
        size_t seed_value = 0;
        if (status == DMF_OK && seed &&
            (!cJSON_IsNumber(seed) || !dmf_json_whole(seed->valuedouble, 0, SIZE_MAX, &seed_value)))
            status = dmf_fail(DMF_ERR_FORMAT, "'%s': \"seed\" must be an integer in [0, 2^53]", path);
        if (status == DMF_OK)
            status = dmf_generator_random_networks(out, n, count, networks, (uint64_t)seed_value);
    } else if (networks > 1) {
        status = dmf_fail(DMF_ERR_ARG, "'%s' gives one network by its weight files; one network per trial is "
                                       "drawn from a \"sizes\" and \"seed\" spec", path);
    } else {
        dmf_matrix *w[DMF_MAX_GEN_LAYERS] = {0};
        size_t count = 0;
        char dir[4096];
        snprintf(dir, sizeof dir, "%s", path);
        const char *base = dirname(dir);
        const cJSON *item;
        cJSON_ArrayForEach(item, weights)
        {
            if (count == DMF_MAX_GEN_LAYERS || !cJSON_IsString(item)) {
                status = dmf_fail(DMF_ERR_FORMAT, "'%s': \"weights\"[%zu] must be a file name", path, count);
                break;
            }
            char file[8192];
            if (item->valuestring[0] == '/') snprintf(file, sizeof file, "%s", item->valuestring);
            else snprintf(file, sizeof file, "%s/%s", base, item->valuestring);
            status = dmf_matrix_read(file, &w[count]);
            if (status != DMF_OK) {
                status = dmf_fail_context(status, "'%s': layer %zu", path, count + 1);
                break;
            }
            count++;
        }
        if (status == DMF_OK) {
            status = dmf_generator_from_weights(out, (const dmf_matrix *const *)w, count);
            if (status != DMF_OK) status = dmf_fail_context(status, "'%s'", path);
        }
        for (size_t i = 0; i < count; i++) dmf_matrix_free(w[i]);
    }
    cJSON_Delete(root);
    return status;
}

int dmf_generator_read(const char *path, dmf_generator **out) { return dmf_generator_read_networks(path, 1, out); }
