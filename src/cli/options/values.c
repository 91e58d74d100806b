/* The values options take: parsing, checking and describing them, and the
 * "did you mean" of misspelt words. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dmf.h"
#include "options.h"

static const char *const tree_names[] = {"l2r", "r2l", "balanced", NULL};

int cli_parse_u64(const char *text, unsigned long long *out)
{
    if (!text || !*text || *text == '-' || *text == '+') return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || *end) return -1;
    *out = v;
    return 0;
}

int cli_parse_size(const char *text, size_t *out)
{
    unsigned long long v;
    if (cli_parse_u64(text, &v) || v > SIZE_MAX) return -1;
    *out = (size_t)v;
    return 0;
}

int cli_parse_double(const char *text, double *out)
{
    if (!text || !*text) return -1;
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || *end || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

int cli_parse_size_list(const char *text, size_t *out, int capacity)
{
    int count = 0;
    const char *p = text;
    if (!p || !*p) return -1;
    while (*p) {
        char item[32];
        size_t len = strcspn(p, ",");
        if (len == 0 || len >= sizeof item || count >= capacity) return -1;
        memcpy(item, p, len);
        item[len] = '\0';
        if (cli_parse_size(item, &out[count]) || out[count] == 0) return -1;
        count++;
        p += len;
        if (*p == ',') {
            p++;
            if (!*p) return -1;
        }
    }
    return count;
}

int cli_parse_dims(const char *text, size_t *rows, size_t *cols)
{
    char buf[64];
    if (!text || strlen(text) >= sizeof buf) return -1;
    strcpy(buf, text);
    char *x = strchr(buf, 'x');
    if (!x) {
        if (cli_parse_size(buf, rows) || *rows == 0) return -1;
        *cols = *rows;
        return 0;
    }
    *x = '\0';
    if (cli_parse_size(buf, rows) || cli_parse_size(x + 1, cols) || !*rows || !*cols) return -1;
    return 0;
}


/* Levenshtein distance of a[0..na) and b, or 99 when either is long. */
static int edit_distance(const char *a, size_t na, const char *b)
{
    size_t nb = strlen(b);
    int row[64];
    if (na >= 64 || nb >= 64) return 99;
    for (size_t j = 0; j <= nb; j++) row[j] = (int)j;
    for (size_t i = 1; i <= na; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= nb; j++) {
            int up = row[j], best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            diag = up;
            row[j] = best;
        }
    }
    return row[nb];
}

const char *cli_did_you_mean(char *buf, size_t cap, const char *word, size_t word_len,
                             const char *const *names, const char *lead)
{
    /* Score 0: the word begins the name; 1..2: that many edits away (only for
     * words longer than the edits, so "-x" does not suggest every short name). */
    int best = 3, count = 0;
    const char *pick[3];
    for (size_t k = 0; names[k]; k++) {
        int score = word_len > 0 && !strncmp(names[k], word, word_len) ? 0 : edit_distance(word, word_len, names[k]);
        if (score > 2 || (score > 0 && (size_t)score >= word_len)) continue;
        if (score < best) best = score, count = 0;
        if (score == best && count < 3) pick[count++] = names[k];
    }
    if (cap) buf[0] = '\0';
    if (!count || cap < 2) return buf;
    size_t used = (size_t)snprintf(buf, cap, " (did you mean ");
    for (int k = 0; k < count && used < cap; k++)
        used += (size_t)snprintf(buf + used, cap - used, "%s'%s%s'", k == 0 ? "" : k + 1 == count ? " or " : ", ",
                                 lead, pick[k]);
    if (used < cap) snprintf(buf + used, cap - used, "?)");
    return buf;
}

/* The value as a message shows it: at most 60 bytes, control characters as '?'. */
static const char *shown(const char *value, char buf[72])
{
    size_t n = 0;
    for (; value[n] && n < 60; n++) buf[n] = (unsigned char)value[n] < 0x20 || value[n] == 0x7f ? '?' : value[n];
    strcpy(buf + n, value[n] ? "..." : "");
    return buf;
}

/* "a, b or c" */
static void join_choices(char *buf, size_t cap, const char *const *names)
{
    size_t used = 0, count = 0;
    while (names[count]) count++;
    buf[0] = '\0';
    for (size_t k = 0; k < count && used < cap; k++)
        used += (size_t)snprintf(buf + used, cap - used, "%s%s", k == 0 ? "" : k + 1 == count ? " or " : ", ",
                                 names[k]);
}

const char *cli_value_help(const cli_option *o, char *buf, size_t cap)
{
    const char *text = "";
    switch (o->type) {
    case V_NONE: text = "true or false"; break;
    case V_TEXT: text = "a non-empty string"; break;
    case V_OUTPUT: text = "a non-empty string (where the job writes)"; break;
    case V_CHOICE: join_choices(buf, cap, o->choices); return buf;
    case V_MATRIX: join_choices(buf, cap, dmf_matrix_builtin_names()); return buf;
    case V_COUNT: text = "an integer >= 1"; break;
    case V_SEED: text = "an integer >= 0"; break;
    case V_NUMBER: text = "a finite number"; break;
    case V_GE0: text = "a number >= 0"; break;
    case V_GT0: text = "a number > 0"; break;
    case V_UNIT: text = "a number in [0, 1)"; break;
    case V_PNORM: text = "a number >= 1 or inf"; break;
    case V_DIMS: text = "N or NxM with N, M >= 1"; break;
    case V_LIST: text = "up to 64 comma-separated integers >= 1"; break;
    case V_TREE: text = "l2r, r2l, balanced, a JSON nested list such as [[0,1],[2,3]] or a tree file"; break;
    case V_PERM: text = "a non-empty string (none, bitrev, auto, FILE.npy or a comma list)"; break;
    }
    snprintf(buf, cap, "%s", text);
    return buf;
}

int cli_value_has_commas(const cli_option *o, const char *value)
{
    return o->type == V_LIST || o->type == V_PERM || (o->type == V_TREE && value[strspn(value, " \t\r\n")] == '[');
}

/* The leaves of a nested list (its numbers); other items are left to
 * dmf_tree_create to describe. */
static size_t count_leaves(const cJSON *node)
{
    if (cJSON_IsNumber(node)) return 1;
    size_t n = 0;
    const cJSON *item;
    if (cJSON_IsArray(node)) cJSON_ArrayForEach(item, node) n += count_leaves(item);
    return n;
}

/* The leaves of a tree given as a nested list, 0 for any other tree (a name
 * or a file, whose leaves follow the chain or are read when the job runs). */
size_t cli_tree_leaves(const char *value)
{
    if (value[strspn(value, " \t\r\n")] != '[') return 0;
    cJSON *root = cJSON_Parse(value);
    size_t n = root ? count_leaves(root) : 0;
    cJSON_Delete(root);
    return n;
}

static int check_tree(const cli_option *o, const char *value, const char *dir, char *why, size_t cap)
{
    char show[72], help[160], hint[256];
    for (const char *const *t = tree_names; *t; t++)
        if (!strcmp(value, *t)) return 0;
    const char *p = value + strspn(value, " \t\r\n");
    if (*p == '[') {
        size_t leaves = cli_tree_leaves(p);
        if (leaves > CLI_MAX_FACTORS) {
            snprintf(why, cap, "'%s' is not a tree: it has %zu leaves and a chain at most %d factors",
                     shown(value, show), leaves, CLI_MAX_FACTORS);
            return 1;
        }
        dmf_tree *tree = NULL;
        /* With as many factors as the list has leaves, dmf_tree_create
         * checks the rest: JSON, binary nodes, the leaves 0..L-1 in order. */
        if (dmf_tree_create(&tree, p, leaves ? leaves : 1) != DMF_OK) {
            const char *said = dmf_last_error();
            if (!strncmp(said, "tree: ", 6)) said += 6; /* the origin dmf_tree_create names */
            snprintf(why, cap, "'%s' is not a tree: %s", shown(value, show), said);
            return 1;
        }
        dmf_tree_free(tree);
        return 0;
    }
    /* A bare word that names no file beside the job file is a misspelt tree
     * name (as the command itself says); a path may be made by an earlier job. */
    if (*p && !strpbrk(value, "/.")) {
        char path[4096];
        struct stat st;
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir ? dir : ".", value) < sizeof path &&
            stat(path, &st) == 0)
            return 0;
    } else if (*p) {
        return 0;
    }
    snprintf(why, cap, "'%s' is not %s%s", shown(value, show), cli_value_help(o, help, sizeof help),
             cli_did_you_mean(hint, sizeof hint, value, strlen(value), tree_names, ""));
    return 1;
}

int cli_check_value(const cli_option *o, const char *value, const char *dir, char *why, size_t cap)
{
    char show[72], help[256], hint[256] = "";
    size_t n, rows, cols, list[CLI_MAX_FACTORS];
    unsigned long long u;
    double x;
    int bad = 0;
    switch (o->type) {
    case V_NONE: return 0;
    case V_TEXT:
    case V_OUTPUT:
    case V_PERM: bad = !value[0]; break;
    case V_CHOICE:
    case V_MATRIX: {
        const char *const *names = o->type == V_CHOICE ? o->choices : dmf_matrix_builtin_names();
        bad = 1;
        for (const char *const *c = names; *c; c++) bad &= strcmp(value, *c) != 0;
        if (bad) cli_did_you_mean(hint, sizeof hint, value, strlen(value), names, "");
        break;
    }
    case V_COUNT: bad = cli_parse_size(value, &n) || n < 1; break;
    case V_SEED: bad = cli_parse_u64(value, &u) != 0; break;
    case V_NUMBER: bad = cli_parse_double(value, &x) != 0; break;
    case V_GE0: bad = cli_parse_double(value, &x) || !(x >= 0); break;
    case V_GT0: bad = cli_parse_double(value, &x) || !(x > 0); break;
    case V_UNIT: bad = cli_parse_double(value, &x) || !(x >= 0 && x < 1); break;
    case V_PNORM: bad = strcmp(value, "inf") && (cli_parse_double(value, &x) || !(x >= 1)); break;
    case V_DIMS: bad = cli_parse_dims(value, &rows, &cols) != 0; break;
    case V_LIST: {
        int given = 1;
        for (const char *p = value; *p; p++) given += *p == ',';
        if (given > CLI_MAX_FACTORS && !strncmp(o->name, "radix-", 6)) {
            snprintf(why, cap, "gives %d radices: a chain has at most %d factors", given, CLI_MAX_FACTORS);
            return 1;
        }
        if (given > CLI_MAX_FACTORS) {
            snprintf(why, cap, "'%s' has %d items, more than %d", shown(value, show), given, CLI_MAX_FACTORS);
            return 1;
        }
        bad = cli_parse_size_list(value, list, CLI_MAX_FACTORS) < 0;
        break;
    }
    case V_TREE: return check_tree(o, value, dir, why, cap);
    }
    if (!bad) return 0;
    if (!value[0]) snprintf(why, cap, "the value is empty; give %s", cli_value_help(o, help, sizeof help));
    else snprintf(why, cap, "'%s' is not %s%s", shown(value, show), cli_value_help(o, help, sizeof help), hint);
    return 1;
}
