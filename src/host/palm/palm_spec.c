/* JSON parameters of PALM4MSA and hierarchical PALM (palm_spec.h). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/json_number.h"
#include "palm_internal.h"
#include "palm_spec.h"

void dmf_palm_spec_free(dmf_palm_spec *s)
{
    if (!s) return;
    for (size_t t = 0; t < s->num_owned; t++) dmf_matrix_free(s->owned[t]);
    for (size_t t = 0; t < s->num_blocks; t++) free(s->blocks[t]);
    free(s->owned);
    free(s->blocks);
    free(s->cons);
    free(s->res);
    free(s->init);
    free(s);
}

static int keep_matrix(dmf_palm_spec *s, dmf_matrix *m)
{
    dmf_matrix **grown = realloc(s->owned, (s->num_owned + 1) * sizeof *grown);
    if (!grown) {
        dmf_matrix_free(m);
        return dmf_fail(DMF_ERR_NOMEM, "cannot allocate the spec");
    }
    s->owned = grown;
    s->owned[s->num_owned++] = m;
    return DMF_OK;
}

static int keep_blocks(dmf_palm_spec *s, size_t *b)
{
    size_t **grown = realloc(s->blocks, (s->num_blocks + 1) * sizeof *grown);
    if (!grown) {
        free(b);
        return dmf_fail(DMF_ERR_NOMEM, "cannot allocate the spec");
    }
    s->blocks = grown;
    s->blocks[s->num_blocks++] = b;
    return DMF_OK;
}

/* Members not in `known` (NULL terminated) are refused: a misspelt name
 * would otherwise be a silent default. */
static int check_members(const cJSON *obj, const char *const *known, const char *origin, const char *where)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, obj)
    {
        int found = 0;
        for (const char *const *k = known; *k && !found; k++) found = item->string && !strcmp(item->string, *k);
        if (!found) {
            char list[512] = "";
            for (const char *const *k = known; *k; k++) {
                strncat(list, *k, sizeof list - strlen(list) - 3);
                if (k[1]) strncat(list, ", ", sizeof list - strlen(list) - 1);
            }
            return dmf_fail(DMF_ERR_FORMAT, "%s: %s: unknown member \"%s\" (known: %s)", origin, where,
                            item->string ? item->string : "?", list);
        }
    }
    return DMF_OK;
}

static int get_size(const cJSON *obj, const char *name, size_t lo, int required, size_t *out, const char *origin,
                    const char *where)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!v) return required ? dmf_fail(DMF_ERR_FORMAT, "%s: %s: \"%s\" is missing", origin, where, name) : DMF_OK;
    if (!cJSON_IsNumber(v) || !dmf_json_whole(v->valuedouble, lo, SIZE_MAX, out))
        return dmf_fail(DMF_ERR_FORMAT, "%s: %s: \"%s\" must be an integer >= %zu", origin, where, name, lo);
    return DMF_OK;
}

static int get_double(const cJSON *obj, const char *name, double *out, const char *origin, const char *where)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!v) return DMF_OK;
    if (!cJSON_IsNumber(v)) return dmf_fail(DMF_ERR_FORMAT, "%s: %s: \"%s\" must be a number", origin, where, name);
    *out = v->valuedouble;
    return DMF_OK;
}

static int get_bool(const cJSON *obj, const char *name, int *out, const char *origin, const char *where)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!v) return DMF_OK;
    if (!cJSON_IsBool(v)) return dmf_fail(DMF_ERR_FORMAT, "%s: %s: \"%s\" must be true or false", origin, where, name);
    *out = cJSON_IsTrue(v);
    return DMF_OK;
}

/* A matrix given as a file name (relative to dir) or a nested list of reals. */
static int read_matrix_value(const cJSON *v, const char *dir, const char *origin, const char *where,
                             dmf_matrix **out)
{
    *out = NULL;
    if (cJSON_IsString(v)) {
        char path[4096];
        const char *name = v->valuestring;
        if (name[0] == '/' || !dir) snprintf(path, sizeof path, "%s", name);
        else snprintf(path, sizeof path, "%s/%s", dir, name);
        int status = dmf_matrix_read(path, out);
        return status == DMF_OK ? DMF_OK : dmf_fail_context(status, "%s: %s", origin, where);
    }
    int rows = cJSON_IsArray(v) ? cJSON_GetArraySize(v) : 0;
    const cJSON *first = rows ? cJSON_GetArrayItem(v, 0) : NULL;
    int cols = cJSON_IsArray(first) ? cJSON_GetArraySize(first) : 0;
    if (rows == 0 || cols == 0)
        return dmf_fail(DMF_ERR_FORMAT, "%s: %s: \"value\" must be a .npy/.mtx file name or a nested list of "
                        "numbers (rows)", origin, where);
    DMF_TRY(dmf_matrix_create(out, DMF_F64, (size_t)rows, (size_t)cols));
    double *d = dmf_matrix_data(*out);
    int i = 0;
    const cJSON *row;
    cJSON_ArrayForEach(row, v)
    {
        int j = 0;
        const cJSON *x;
        if (!cJSON_IsArray(row) || cJSON_GetArraySize(row) != cols) {
            dmf_matrix_free(*out);
            *out = NULL;
            return dmf_fail(DMF_ERR_FORMAT, "%s: %s: row %d of \"value\" does not have %d numbers", origin, where,
                            i, cols);
        }
        cJSON_ArrayForEach(x, row)
        {
            if (!cJSON_IsNumber(x)) {
                dmf_matrix_free(*out);
                *out = NULL;
                return dmf_fail(DMF_ERR_FORMAT, "%s: %s: \"value\"[%d][%d] is not a number", origin, where, i, j);
            }
            d[(size_t)i * (size_t)cols + (size_t)j++] = x->valuedouble;
        }
        i++;
    }
    return DMF_OK;
}

static int parse_constraint(dmf_palm_spec *s, const cJSON *c, const char *dir, dmf_dtype dtype, const char *origin,
                            const char *where, dmf_constraint *out)
{
    static const char *const known[] = {"name", "nrows", "ncols", "value", "normalized", NULL};
    if (!cJSON_IsObject(c))
        return dmf_fail(DMF_ERR_FORMAT, "%s: %s must be an object {\"name\", \"nrows\", \"ncols\", \"value\"}",
                        origin, where);
    DMF_TRY(check_members(c, known, origin, where));
    memset(out, 0, sizeof *out);
    out->normalized = 1;
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(c, "name");
    if (!cJSON_IsString(name)) return dmf_fail(DMF_ERR_FORMAT, "%s: %s: \"name\" (a string) is missing", origin, where);
    int status = dmf_constraint_parse_kind(name->valuestring, &out->kind);
    if (status != DMF_OK) return dmf_fail_context(DMF_ERR_FORMAT, "%s: %s", origin, where);
    DMF_TRY(get_size(c, "nrows", 1, 1, &out->rows, origin, where));
    DMF_TRY(get_size(c, "ncols", 1, 1, &out->cols, origin, where));
    DMF_TRY(get_bool(c, "normalized", &out->normalized, origin, where));
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c, "value");
    if (!v) return dmf_fail(DMF_ERR_FORMAT, "%s: %s: \"value\" is missing", origin, where);
    switch (out->kind) {
    case DMF_CONS_SP:
    case DMF_CONS_SPLIN:
    case DMF_CONS_SPCOL:
    case DMF_CONS_SPLINCOL:
        return get_size(c, "value", 0, 1, &out->k, origin, where);
    case DMF_CONS_NORMCOL:
    case DMF_CONS_NORMLIN:
        if (!cJSON_IsNumber(v) || !(v->valuedouble > 0))
            return dmf_fail(DMF_ERR_FORMAT, "%s: %s: \"value\" (the norm) must be a number > 0", origin, where);
        out->value = v->valuedouble;
        return DMF_OK;
    case DMF_CONS_SUPP:
    case DMF_CONS_CONST: {
        dmf_matrix *m = NULL, *converted = NULL;
        DMF_TRY(read_matrix_value(v, dir, origin, where, &m));
        if (out->kind == DMF_CONS_CONST && dmf_matrix_dtype(m) != dtype) {
            status = dmf_matrix_convert(m, dtype, &converted);
            dmf_matrix_free(m);
            if (status != DMF_OK) return dmf_fail_context(status, "%s: %s", origin, where);
            m = converted;
        }
        DMF_TRY(keep_matrix(s, m));
        out->matrix = m;
        return DMF_OK;
    }
    case DMF_CONS_BLOCKDIAG: {
        int n = cJSON_IsArray(v) ? cJSON_GetArraySize(v) : 0;
        if (n == 0)
            return dmf_fail(DMF_ERR_FORMAT, "%s: %s: \"value\" must be a list of block sizes [[rows, cols], ...]",
                            origin, where);
        size_t *b = malloc(2 * (size_t)n * sizeof *b);
        if (!b) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate the spec");
        DMF_TRY(keep_blocks(s, b));
        int t = 0;
        const cJSON *pair;
        cJSON_ArrayForEach(pair, v)
        {
            const cJSON *r = cJSON_GetArrayItem(pair, 0), *q = cJSON_GetArrayItem(pair, 1);
            if (!cJSON_IsArray(pair) || cJSON_GetArraySize(pair) != 2 || !cJSON_IsNumber(r) || !cJSON_IsNumber(q) ||
                !dmf_json_whole(r->valuedouble, 1, SIZE_MAX, &b[t]) ||
                !dmf_json_whole(q->valuedouble, 1, SIZE_MAX, &b[n + t]))
                return dmf_fail(DMF_ERR_FORMAT, "%s: %s: block %d must be [rows, cols], integers >= 1", origin,
                                where, t);
            t++;
        }
        out->block_rows = b;
        out->block_cols = b + n;
        out->num_blocks = (size_t)n;
        return DMF_OK;
    }
    }
    return DMF_OK;
}

static int parse_constraint_list(dmf_palm_spec *s, const cJSON *root, const char *key, const char *dir,
                                 dmf_dtype dtype, const char *origin, dmf_constraint **out, size_t *count)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, key);
    int n = cJSON_IsArray(list) ? cJSON_GetArraySize(list) : 0;
    if (n == 0) return dmf_fail(DMF_ERR_FORMAT, "%s: \"%s\" (a non-empty list of constraints) is missing", origin, key);
    *out = calloc((size_t)n, sizeof **out);
    if (!*out) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate the spec");
    *count = (size_t)n;
    size_t t = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, list)
    {
        char where[64];
        snprintf(where, sizeof where, "%s[%zu]", key, t);
        DMF_TRY(parse_constraint(s, c, dir, dtype, origin, where, &(*out)[t]));
        t++;
    }
    return DMF_OK;
}

static int parse_stop(const cJSON *root, const char *key, dmf_stop_crit *stop, const char *origin)
{
    static const char *const known[] = {"num_its", "tol", "relerr", "erreps", "maxiter", NULL};
    const cJSON *obj = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!obj) return DMF_OK;
    if (!cJSON_IsObject(obj))
        return dmf_fail(DMF_ERR_FORMAT, "%s: \"%s\" must be an object such as {\"num_its\": 100}", origin, key);
    DMF_TRY(check_members(obj, known, origin, key));
    DMF_TRY(get_size(obj, "num_its", 1, 0, &stop->num_its, origin, key));
    DMF_TRY(get_size(obj, "maxiter", 1, 0, &stop->maxiter, origin, key));
    DMF_TRY(get_double(obj, "tol", &stop->tol, origin, key));
    DMF_TRY(get_double(obj, "erreps", &stop->erreps, origin, key));
    DMF_TRY(get_bool(obj, "relerr", &stop->relerr, origin, key));
    if (!(stop->tol >= 0) || !(stop->erreps >= 0))
        return dmf_fail(DMF_ERR_FORMAT, "%s: %s: \"tol\" and \"erreps\" must be >= 0", origin, key);
    return DMF_OK;
}

/* The options both commands share, into one PALM options struct. */
static int parse_common(const cJSON *root, dmf_palm_options *o, const char *origin)
{
    DMF_TRY(get_double(root, "init_lambda", &o->init_lambda, origin, "the parameters"));
    DMF_TRY(get_bool(root, "is_update_way_R2L", &o->update_right_to_left, origin, "the parameters"));
    DMF_TRY(get_bool(root, "constant_step_size", &o->constant_step_size, origin, "the parameters"));
    DMF_TRY(get_double(root, "step_size", &o->step_size, origin, "the parameters"));
    DMF_TRY(get_size(root, "norm2_max_iter", 1, 0, &o->norm2_max_iter, origin, "the parameters"));
    DMF_TRY(get_double(root, "norm2_threshold", &o->norm2_threshold, origin, "the parameters"));
    return DMF_OK;
}

static int parse_root(dmf_palm_spec *s, const cJSON *root, const char *origin, const char *dir, dmf_dtype dtype)
{
    static const char *const palm_keys[] = {"constraints", "stop_crit", "init_facts", "init_lambda",
                                            "is_update_way_R2L", "constant_step_size", "step_size",
                                            "norm2_max_iter", "norm2_threshold", NULL};
    static const char *const hier_keys[] = {"fact_constraints", "res_constraints", "stop_crit1", "stop_crit2",
                                            "is_fact_side_left", "init_lambda", "is_update_way_R2L",
                                            "constant_step_size", "step_size", "norm2_max_iter",
                                            "norm2_threshold", NULL};
    if (!cJSON_IsObject(root))
        return dmf_fail(DMF_ERR_FORMAT, "%s: the parameters are a JSON object (see docs/palm.md)", origin);
    DMF_TRY(check_members(root, s->hierarchical ? hier_keys : palm_keys, origin, "the parameters"));
    if (!s->hierarchical) {
        dmf_palm_options_default(&s->palm);
        DMF_TRY(parse_constraint_list(s, root, "constraints", dir, dtype, origin, &s->cons, &s->num_factors));
        DMF_TRY(parse_stop(root, "stop_crit", &s->palm.stop, origin));
        DMF_TRY(parse_common(root, &s->palm, origin));
        const cJSON *init = cJSON_GetObjectItemCaseSensitive(root, "init_facts");
        if (!init) return DMF_OK;
        if (!cJSON_IsArray(init) || (size_t)cJSON_GetArraySize(init) != s->num_factors)
            return dmf_fail(DMF_ERR_FORMAT, "%s: \"init_facts\" must list %zu entries (file names or null), one "
                            "per constraint", origin, s->num_factors);
        s->init = calloc(s->num_factors, sizeof *s->init);
        if (!s->init) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate the spec");
        size_t t = 0;
        const cJSON *f;
        cJSON_ArrayForEach(f, init)
        {
            char where[64];
            snprintf(where, sizeof where, "init_facts[%zu]", t);
            if (!cJSON_IsNull(f)) {
                if (!cJSON_IsString(f) && !cJSON_IsArray(f))
                    return dmf_fail(DMF_ERR_FORMAT, "%s: %s must be a file name, a nested list or null", origin, where);
                DMF_TRY(read_matrix_value(f, dir, origin, where, &s->init[t]));
                DMF_TRY(keep_matrix(s, s->init[t]));
            }
            t++;
        }
        return DMF_OK;
    }
    dmf_hierarchical_options_default(&s->hier);
    size_t nf = 0, nr = 0;
    DMF_TRY(parse_constraint_list(s, root, "fact_constraints", dir, dtype, origin, &s->cons, &nf));
    DMF_TRY(parse_constraint_list(s, root, "res_constraints", dir, dtype, origin, &s->res, &nr));
    if (nf != nr)
        return dmf_fail(DMF_ERR_FORMAT, "%s: %zu fact_constraints but %zu res_constraints: one of each per step",
                        origin, nf, nr);
    s->num_factors = nf + 1;
    DMF_TRY(parse_stop(root, "stop_crit1", &s->hier.local.stop, origin));
    DMF_TRY(parse_stop(root, "stop_crit2", &s->hier.global.stop, origin));
    DMF_TRY(parse_common(root, &s->hier.local, origin));
    DMF_TRY(parse_common(root, &s->hier.global, origin));
    s->hier.local.init_lambda = 1; /* init_lambda is the global scale's start */
    return get_bool(root, "is_fact_side_left", &s->hier.fact_side_left, origin, "the parameters");
}

int dmf_palm_spec_parse(const char *text, const char *origin, const char *dir, int hierarchical, dmf_dtype dtype,
                        dmf_palm_spec **out)
{
    *out = NULL;
    if (!origin) origin = "parameters";
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(text, &end, 1);
    if (!root) {
        size_t line = 1, column = 1;
        for (const char *p = text; end && p < end && *p; p++) {
            if (*p == '\n') line++, column = 1;
            else column++;
        }
        return dmf_fail(DMF_ERR_FORMAT, "%s: malformed JSON at line %zu, column %zu", origin, line, column);
    }
    dmf_palm_spec *s = calloc(1, sizeof *s);
    int status = s ? DMF_OK : dmf_fail(DMF_ERR_NOMEM, "cannot allocate the spec");
    if (s) {
        s->hierarchical = hierarchical;
        status = parse_root(s, root, origin, dir, dtype);
    }
    cJSON_Delete(root);
    if (status != DMF_OK) {
        dmf_palm_spec_free(s);
        return status;
    }
    *out = s;
    return DMF_OK;
}

int dmf_palm_spec_read(const char *path, int hierarchical, dmf_dtype dtype, dmf_palm_spec **out)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return dmf_fail(DMF_ERR_IO, "cannot open '%s'", path);
    size_t cap = 1 << 16, len = 0;
    char *text = malloc(cap);
    while (text) {
        len += fread(text + len, 1, cap - len - 1, f);
        if (len < cap - 1) break;
        char *grown = realloc(text, cap *= 2);
        if (!grown) free(text);
        text = grown;
    }
    int read_error = ferror(f);
    fclose(f);
    if (!text) return dmf_fail(DMF_ERR_NOMEM, "cannot read '%s'", path);
    if (read_error) {
        free(text);
        return dmf_fail(DMF_ERR_IO, "cannot read '%s'", path);
    }
    text[len] = '\0';
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0';
    int status = dmf_palm_spec_parse(text, path, slash ? dir : NULL, hierarchical, dtype, out);
    free(text);
    return status;
}

int dmf_palm_spec_hadamard(size_t N, dmf_palm_spec **out)
{
    *out = NULL;
    size_t n = 0;
    while (n < 62 && ((size_t)1 << n) < N) n++;
    if (N < 4 || ((size_t)1 << n) != N)
        return dmf_fail(DMF_ERR_SHAPE, "the hadamard preset needs a square matrix of size 2^n >= 4, not %zu", N);
    dmf_palm_spec *s = calloc(1, sizeof *s);
    if (!s) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate the spec");
    s->hierarchical = 1;
    s->num_factors = n;
    s->cons = calloc(n - 1, sizeof *s->cons);
    s->res = calloc(n - 1, sizeof *s->res);
    if (!s->cons || !s->res) {
        dmf_palm_spec_free(s);
        return dmf_fail(DMF_ERR_NOMEM, "cannot allocate the spec");
    }
    for (size_t i = 0; i + 1 < n; i++) {
        s->cons[i] = (dmf_constraint){.kind = DMF_CONS_SPLINCOL, .rows = N, .cols = N, .k = 2, .normalized = 1};
        s->res[i] = (dmf_constraint){.kind = DMF_CONS_SPLINCOL, .rows = N, .cols = N, .k = N >> (i + 1),
                                     .normalized = 1};
    }
    dmf_hierarchical_options_default(&s->hier);
    s->hier.local.stop.num_its = s->hier.global.stop.num_its = 30;
    s->hier.local.update_right_to_left = s->hier.global.update_right_to_left = 1;
    *out = s;
    return DMF_OK;
}
