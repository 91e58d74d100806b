/* Writing chains: one Matrix Market file per factor (support entries only,
 * A ~ F_0 F_1 ... F_{L-1}), the compact blocks as .npy, and chain.json with
 * the radices and ranks needed to read them back. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "chain_internal.h"
#include "io/json_number.h"

static int make_dir(const char *dir)
{
    if (mkdir(dir, 0777) == 0 || errno == EEXIST) {
        struct stat st;
        if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) return DMF_OK;
        return dmf_fail(DMF_ERR_IO, "'%s' exists and is not a directory", dir);
    }
    return dmf_fail(DMF_ERR_IO, "cannot create directory '%s': %s", dir, strerror(errno));
}

static int write_factor_mtx(const dmf_chain *chain, size_t k, const char *path)
{
    size_t a, b, c, d;
    dmf_range_support(&chain->shape, k, k, &a, &b, &c, &d);
    size_t nnz = a * b * c * d;
    size_t *rows = malloc(nnz * sizeof *rows), *cols = malloc(nnz * sizeof *cols);
    if (!rows || !cols) {
        free(rows);
        free(cols);
        return dmf_fail(DMF_ERR_NOMEM, "cannot allocate the index lists of factor %zu", k);
    }
    size_t e = 0;
    for (size_t i = 0; i < a; i++)
        for (size_t v = 0; v < d; v++)
            for (size_t beta = 0; beta < b; beta++)
                for (size_t gamma = 0; gamma < c; gamma++, e++) {
                    rows[e] = i * b * d + beta * d + v;
                    cols[e] = i * c * d + gamma * d + v;
                }
    int status = dmf_mtx_write_coordinate(path, chain->dtype, a * b * d, a * c * d, nnz, rows, cols,
                                          chain->blocks[k]);
    free(rows);
    free(cols);
    return status;
}

static int write_meta(const dmf_chain *chain, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) return dmf_fail(DMF_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
    const dmf_chain_shape *s = &chain->shape;
    fprintf(f, "{\"dtype\": \"%s\", \"num_factors\": %zu, \"radix_m\": [", dmf_dtype_name(chain->dtype),
            s->num_factors);
    for (size_t k = 0; k < s->num_factors; k++) fprintf(f, "%s%zu", k ? ", " : "", s->m[k]);
    fprintf(f, "], \"radix_n\": [");
    for (size_t k = 0; k < s->num_factors; k++) fprintf(f, "%s%zu", k ? ", " : "", s->n[k]);
    fprintf(f, "], \"ranks\": [");
    for (size_t k = 0; k + 1 < s->num_factors; k++) fprintf(f, "%s%zu", k ? ", " : "", s->rank[k + 1]);
    fprintf(f, "]}\n");
    if (fclose(f) != 0) return dmf_fail(DMF_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
    return DMF_OK;
}

int dmf_chain_write(const dmf_chain *chain, const char *dir)
{
    DMF_TRY(make_dir(dir));
    char path[4096];
    for (size_t k = 0; k < chain->shape.num_factors; k++) {
        snprintf(path, sizeof path, "%s/factor_%02zu.mtx", dir, k);
        DMF_TRY(write_factor_mtx(chain, k, path));
        size_t a, b, c, d;
        dmf_range_support(&chain->shape, k, k, &a, &b, &c, &d);
        size_t shape[4] = {a, d, b, c};
        snprintf(path, sizeof path, "%s/factor_%02zu_blocks.npy", dir, k);
        DMF_TRY(dmf_npy_write_array(path, chain->dtype, shape, 4, chain->blocks[k]));
    }
    snprintf(path, sizeof path, "%s/chain.json", dir);
    return write_meta(chain, path);
}

static int json_sizes(const cJSON *root, const char *key, size_t *out, size_t expect,
                      const char *path)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!cJSON_IsArray(arr) || (size_t)cJSON_GetArraySize(arr) != expect)
        return dmf_fail(DMF_ERR_FORMAT, "'%s': \"%s\" must be a list of %zu integers", path, key, expect);
    size_t k = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, arr)
    {
        if (!cJSON_IsNumber(item) || !dmf_json_whole(item->valuedouble, 1, SIZE_MAX, &out[k]))
            return dmf_fail(DMF_ERR_FORMAT, "'%s': \"%s\"[%zu] is not an integer >= 1", path, key, k);
        k++;
    }
    return DMF_OK;
}

static int read_meta(const char *path, dmf_dtype *dtype, size_t *L, size_t *m, size_t *n, size_t *ranks)
{
    FILE *f = fopen(path, "rb");
    if (!f) return dmf_fail(DMF_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    char text[65536];
    size_t len = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[len] = '\0';
    const char *where = NULL;
    cJSON *root = cJSON_ParseWithOpts(text, &where, 1);
    if (!root)
        return dmf_fail(DMF_ERR_FORMAT, "'%s': malformed JSON near '%.20s'", path, where ? where : "");
    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(root, "dtype");
    const cJSON *nf = cJSON_GetObjectItemCaseSensitive(root, "num_factors");
    int status = DMF_OK;
    if (!cJSON_IsString(dt) || dmf_dtype_parse(dt->valuestring, dtype) != DMF_OK)
        status = dmf_fail(DMF_ERR_FORMAT, "'%s': \"dtype\" must be f32, f64, c64 or c128", path);
    else if (!cJSON_IsNumber(nf))
        status = dmf_fail(DMF_ERR_FORMAT, "'%s': \"num_factors\" must be an integer in 1..%d", path,
                          DMF_MAX_FACTORS);
    else if (!dmf_json_whole(nf->valuedouble, 1, DMF_MAX_FACTORS, L))
        status = dmf_fail(DMF_ERR_FORMAT, "'%s': \"num_factors\" must be an integer in 1..%d, not %g",
                          path, DMF_MAX_FACTORS, nf->valuedouble);
    if (status == DMF_OK) {
        status = json_sizes(root, "radix_m", m, *L, path);
        if (status == DMF_OK) status = json_sizes(root, "radix_n", n, *L, path);
        if (status == DMF_OK) status = json_sizes(root, "ranks", ranks, *L - 1, path);
    }
    cJSON_Delete(root);
    return status;
}

int dmf_chain_read(const char *dir, dmf_chain **out)
{
    *out = NULL;
    char path[4096];
    dmf_dtype dtype;
    size_t L, m[DMF_MAX_FACTORS], n[DMF_MAX_FACTORS], ranks[DMF_MAX_FACTORS];
    snprintf(path, sizeof path, "%s/chain.json", dir);
    DMF_TRY(read_meta(path, &dtype, &L, m, n, ranks));
    dmf_chain *chain;
    DMF_TRY(dmf_chain_create(&chain, dtype, L, m, n, ranks));
    int status = DMF_OK;
    for (size_t k = 0; k < L && status == DMF_OK; k++) {
        snprintf(path, sizeof path, "%s/factor_%02zu_blocks.npy", dir, k);
        dmf_matrix *blocks = NULL;
        size_t shape[DMF_NPY_MAX_DIMS], a, b, c, d;
        int ndim = 0;
        status = dmf_npy_read_nd(path, &blocks, shape, &ndim);
        dmf_range_support(&chain->shape, k, k, &a, &b, &c, &d);
        if (status == DMF_OK &&
            (ndim != 4 || shape[0] != a || shape[1] != d || shape[2] != b || shape[3] != c))
            status = dmf_fail(DMF_ERR_FORMAT, "'%s': expected shape (%zu, %zu, %zu, %zu) from chain.json",
                              path, a, d, b, c);
        if (status == DMF_OK && blocks->dtype != dtype)
            status = dmf_fail(DMF_ERR_FORMAT, "'%s' is %s but chain.json says %s", path,
                              dmf_dtype_name(blocks->dtype), dmf_dtype_name(dtype));
        if (status == DMF_OK) status = dmf_matrix_check_finite(blocks);
        if (status == DMF_OK) memcpy(chain->blocks[k], blocks->data, a * b * c * d * dmf_dtype_size(dtype));
        else status = dmf_fail_context(status, "reading factors from '%s'", dir);
        dmf_matrix_free(blocks);
    }
    if (status != DMF_OK) {
        dmf_chain_free(chain);
        return status;
    }
    *out = chain;
    return DMF_OK;
}
