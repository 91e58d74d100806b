/* Factorization trees: which split each node [p, q] of the factor range
 * takes.  A binary tree with leaves 0..L-1 in order is determined by the
 * split point of every internal node. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/json_number.h"
#include "tree_internal.h"

#define TREE_KINDS "l2r, r2l, balanced, a JSON nested list such as [[0,1],[2,3]], or the path of a " \
                   "file holding one"

static void describe(const dmf_tree *t, size_t p, size_t q, char *buf, size_t cap, size_t *len)
{
    if (p == q) {
        *len += (size_t)snprintf(buf + *len, *len < cap ? cap - *len : 0, "%zu", p);
        return;
    }
    size_t l = dmf_tree_split(t, p, q);
    *len += (size_t)snprintf(buf + *len, *len < cap ? cap - *len : 0, "[");
    describe(t, p, l, buf, cap, len);
    *len += (size_t)snprintf(buf + *len, *len < cap ? cap - *len : 0, ",");
    describe(t, l + 1, q, buf, cap, len);
    *len += (size_t)snprintf(buf + *len, *len < cap ? cap - *len : 0, "]");
}

static int finish(dmf_tree *t, const char *name, dmf_tree **out)
{
    size_t len = 0;
    describe(t, 0, t->num_factors - 1, t->text, sizeof t->text, &len);
    if (len >= sizeof t->text) strcpy(t->text + sizeof t->text - 4, "...");
    snprintf(t->name, sizeof t->name, "%s", name);
    *out = t;
    return DMF_OK;
}

/* Walks a JSON nested list; `next` is the leaf expected next in order.
 * Returns the range [p, q] the subtree covers through *p and *q. */
static int parse_node(dmf_tree *t, const cJSON *node, size_t *next, size_t *p, size_t *q)
{
    if (cJSON_IsNumber(node)) {
        size_t leaf;
        if (!dmf_json_whole(node->valuedouble, 0, SIZE_MAX, &leaf))
            return dmf_fail(DMF_ERR_FORMAT, "tree leaf %g is not a factor index (a whole number "
                            "from 0)", node->valuedouble);
        /* Checked before the caller stores a split: a leaf past the last
         * factor would index past split[]. */
        if (leaf >= t->num_factors)
            return dmf_fail(DMF_ERR_FORMAT, "tree leaf %zu is out of range: the chain has %zu "
                            "factors, so the tree has the %zu leaves 0..%zu", leaf,
                            t->num_factors, t->num_factors, t->num_factors - 1);
        if (leaf != *next)
            return dmf_fail(DMF_ERR_FORMAT,
                            "tree leaf %zu out of order: leaves must be 0..%zu from left to right "
                            "(expected %zu)",
                            leaf, t->num_factors - 1, *next);
        *p = *q = (*next)++;
        return DMF_OK;
    }
    if (!cJSON_IsArray(node))
        return dmf_fail(DMF_ERR_FORMAT, "tree nodes must be factor indices or two-element lists");
    int children = cJSON_GetArraySize(node);
    if (children != 2)
        return dmf_fail(DMF_ERR_FORMAT, "a tree node has %d children; trees are binary, write "
                                        "[left, right]", children);
    size_t p1, q1, p2, q2;
    DMF_TRY(parse_node(t, cJSON_GetArrayItem(node, 0), next, &p1, &q1));
    DMF_TRY(parse_node(t, cJSON_GetArrayItem(node, 1), next, &p2, &q2));
    t->split[p1 * t->num_factors + q2] = q1;
    *p = p1;
    *q = q2;
    return DMF_OK;
}

static int parse_json(dmf_tree *t, const char *text, const char *origin)
{
    /* The error position comes back through `where`, not through cJSON's
     * global (and not thread-safe) cJSON_GetErrorPtr(). */
    const char *where = NULL;
    cJSON *root = cJSON_ParseWithOpts(text, &where, 1);
    if (!root)
        return dmf_fail(DMF_ERR_FORMAT, "%s: malformed JSON near '%.20s'", origin,
                        where ? where : "");
    size_t next = 0, p, q;
    int status = parse_node(t, root, &next, &p, &q);
    cJSON_Delete(root);
    if (status != DMF_OK) return dmf_fail_context(status, "%s", origin);
    if (next != t->num_factors)
        return dmf_fail(DMF_ERR_FORMAT, "%s: the tree has %zu leaves but the chain has %zu factors",
                        origin, next, t->num_factors);
    return DMF_OK;
}

static int read_text_file(const char *path, char **text)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        int err = errno;
        /* A missing plain word ("balnced") is a misspelt tree name more
         * likely than a file. */
        if (err == ENOENT && !strpbrk(path, "/."))
            return dmf_fail(DMF_ERR_ARG, "unknown tree '%s': a tree is " TREE_KINDS, path);
        return dmf_fail(DMF_ERR_IO, "cannot open tree file '%s': %s (a tree is " TREE_KINDS ")",
                        path, strerror(err));
    }
    size_t cap = 4096, len = 0, got;
    char *buf = malloc(cap);
    while (buf && (got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (len + 1 == cap) {
            char *grown = realloc(buf, cap *= 2);
            if (!grown) free(buf);
            buf = grown;
        }
    }
    fclose(f);
    if (!buf) return dmf_fail(DMF_ERR_NOMEM, "cannot read '%s'", path);
    buf[len] = '\0';
    *text = buf;
    return DMF_OK;
}

int dmf_tree_create(dmf_tree **out, const char *spec, size_t num_factors)
{
    *out = NULL;
    if (num_factors < 1 || num_factors > DMF_MAX_FACTORS)
        return dmf_fail(DMF_ERR_ARG, "a tree has 1 to %d leaves, not %zu", DMF_MAX_FACTORS, num_factors);
    if (!spec) spec = "balanced";
    if (!spec[strspn(spec, " \t\r\n")])
        return dmf_fail(DMF_ERR_ARG, "the tree is empty: a tree is " TREE_KINDS);
    dmf_tree *t = calloc(1, sizeof *t);
    if (!t) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate a tree");
    t->num_factors = num_factors;
    size_t L = num_factors;
    int kind = !strcmp(spec, "l2r") ? 1 : !strcmp(spec, "r2l") ? 2 : !strcmp(spec, "balanced") ? 3 : 0;
    if (kind) {
        for (size_t p = 0; p < L; p++)
            for (size_t q = p + 1; q < L; q++)
                t->split[p * L + q] = kind == 1 ? p : kind == 2 ? q - 1 : (p + q - 1) / 2;
        return finish(t, spec, out);
    }
    int status;
    if (spec[strspn(spec, " \t\r\n")] == '[') {
        status = parse_json(t, spec, "tree");
    } else {
        char *text = NULL;
        status = read_text_file(spec, &text);
        if (status == DMF_OK) status = parse_json(t, text, spec);
        free(text);
    }
    if (status != DMF_OK) {
        free(t);
        return status;
    }
    return finish(t, "custom", out);
}

void dmf_tree_free(dmf_tree *tree) { free(tree); }

const char *dmf_tree_describe(const dmf_tree *tree) { return tree->text; }

const char *dmf_tree_name(const dmf_tree *tree) { return tree->name; }

size_t dmf_tree_split(const dmf_tree *t, size_t p, size_t q) { return t->split[p * t->num_factors + q]; }
