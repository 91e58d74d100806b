/* Factorization tree specs (dmf_tree_create): the named trees, nested lists
 * inline and from files, and every malformed spec we know of.  Each bad spec
 * must fail with the right status and a message that says what is wrong,
 * before anything is written: a tree with more leaves than factors once
 * wrote past the split table. */
#define _POSIX_C_SOURCE 200809L

#include <string.h>

#include "butterfly/chain_internal.h"
#include "check.h"
#include "tmp_files.h"

/* A call that must fail with `status` and a message holding `needle`. */
#define CHECK_TREE_FAILS(spec, L, status, needle)                                           \
    do {                                                                                    \
        dmf_tree *bad_ = (dmf_tree *)1;                                                     \
        CHECK_STATUS(dmf_tree_create(&bad_, spec, L), status);                              \
        CHECK(bad_ == NULL, "a refused tree spec left a tree behind");                      \
        CHECK(strstr(dmf_last_error(), needle) != NULL, "spec '%.40s': message '%s' lacks '%s'", \
              spec, dmf_last_error(), needle);                                              \
    } while (0)

/* A balanced nested list over the leaves lo..hi, appended at *len. */
static void balanced_list(char *buf, size_t *len, size_t lo, size_t hi)
{
    if (lo == hi) {
        *len += (size_t)sprintf(buf + *len, "%zu", lo);
        return;
    }
    size_t mid = lo + (hi - lo) / 2;
    buf[(*len)++] = '[';
    balanced_list(buf, len, lo, mid);
    buf[(*len)++] = ',';
    balanced_list(buf, len, mid + 1, hi);
    buf[(*len)++] = ']';
    buf[*len] = '\0';
}

static void test_named_and_custom(void)
{
    static const char *const names[] = {"l2r", "r2l", "balanced"};
    static const char *const nested[] = {"[0,[1,[2,3]]]", "[[[0,1],2],3]", "[[0,1],[2,3]]"};
    for (int k = 0; k < 3; k++) {
        dmf_tree *t = NULL;
        CHECK_OK(dmf_tree_create(&t, names[k], 4));
        CHECK(t && !strcmp(dmf_tree_name(t), names[k]) && !strcmp(dmf_tree_describe(t), nested[k]),
              "tree %s over 4 factors: %s", names[k], t ? dmf_tree_describe(t) : "(none)");
        dmf_tree_free(t);
    }
    /* NULL is the default, balanced; space around a nested list is allowed. */
    dmf_tree *t = NULL;
    CHECK_OK(dmf_tree_create(&t, NULL, 3));
    CHECK(t && !strcmp(dmf_tree_name(t), "balanced"), "NULL spec is not the balanced tree");
    dmf_tree_free(t);
    t = NULL;
    CHECK_OK(dmf_tree_create(&t, " [[0,1],2]\n", 3));
    CHECK(t && !strcmp(dmf_tree_name(t), "custom") && !strcmp(dmf_tree_describe(t), "[[0,1],2]"),
          "custom tree read wrong: %s", t ? dmf_tree_describe(t) : "(none)");
    dmf_tree_free(t);

    /* The largest tree, from a file. */
    static char big[64 * 8];
    size_t len = 0;
    balanced_list(big, &len, 0, DMF_MAX_FACTORS - 1);
    const char *path = write_text("tree64.json", big);
    t = NULL;
    CHECK_OK(dmf_tree_create(&t, path, DMF_MAX_FACTORS));
    CHECK(t && !strcmp(dmf_tree_name(t), "custom"), "64-leaf tree file not read");
    dmf_tree_free(t);
}

/* More leaves than factors is refused at the first leaf past the last
 * factor, before its split is stored: 4096 leaves over 4 factors used to
 * write far past the split table (a crash, or an ASan report). */
static void test_too_many_leaves(void)
{
    size_t leaves = 4096;
    char *list = malloc(leaves * 8);
    size_t len = 0;
    balanced_list(list, &len, 0, leaves - 1);
    CHECK_TREE_FAILS(list, 4, DMF_ERR_FORMAT, "tree leaf 4 is out of range: the chain has 4 factors");
    const char *path = write_text("tree4096.json", list);
    CHECK_TREE_FAILS(path, 4, DMF_ERR_FORMAT, "tree leaf 4 is out of range");
    CHECK(strstr(dmf_last_error(), path) != NULL, "message '%s' does not name the file", dmf_last_error());
    CHECK_TREE_FAILS(list, 1, DMF_ERR_FORMAT, "tree leaf 1 is out of range");
    free(list);
    CHECK_TREE_FAILS("[[0,1],[2,3]]", 3, DMF_ERR_FORMAT, "leaves 0..2");
    CHECK_TREE_FAILS("[[0,1],[2,[3,[4,5]]]]", 2, DMF_ERR_FORMAT, "tree leaf 2 is out of range");
    /* Fewer leaves than factors. */
    CHECK_TREE_FAILS("[0,1]", 3, DMF_ERR_FORMAT, "the tree has 2 leaves but the chain has 3 factors");
}

/* Leaves that are not whole numbers in range are refused before any cast
 * (a double out of size_t's range is undefined behaviour to convert). */
static void test_bad_leaves(void)
{
    CHECK_TREE_FAILS("[-1,[0,1]]", 3, DMF_ERR_FORMAT, "tree leaf -1 is not a factor index");
    CHECK_TREE_FAILS("[[0,1],1e59]", 3, DMF_ERR_FORMAT, "tree leaf 1e+59 is not a factor index");
    CHECK_TREE_FAILS("[[0,1],1e400]", 3, DMF_ERR_FORMAT, "is not a factor index");
    CHECK_TREE_FAILS("[[0,1],-1e400]", 3, DMF_ERR_FORMAT, "is not a factor index");
    CHECK_TREE_FAILS("[[0,0.5],2]", 3, DMF_ERR_FORMAT, "tree leaf 0.5 is not a factor index");
    CHECK_TREE_FAILS("[[0,1],18446744073709551616]", 3, DMF_ERR_FORMAT, "is not a factor index");
    CHECK_TREE_FAILS("[[0,1],9007199254740993]", 3, DMF_ERR_FORMAT, "out of range");
    CHECK_TREE_FAILS("[[0,2],1]", 3, DMF_ERR_FORMAT, "tree leaf 2 out of order");
    CHECK_TREE_FAILS("[[0,0],2]", 3, DMF_ERR_FORMAT, "tree leaf 0 out of order");
    CHECK_TREE_FAILS("[0,1,2]", 3, DMF_ERR_FORMAT, "binary");
    CHECK_TREE_FAILS("[[0,\"1\"],2]", 3, DMF_ERR_FORMAT, "factor indices or two-element lists");
}

static void test_bad_specs(void)
{
    /* Empty specs and misspelt names list what a tree can be. */
    CHECK_TREE_FAILS("", 3, DMF_ERR_ARG, "the tree is empty: a tree is l2r, r2l, balanced, a JSON nested list");
    CHECK_TREE_FAILS("  ", 3, DMF_ERR_ARG, "the tree is empty");
    CHECK_TREE_FAILS("balnced", 3, DMF_ERR_ARG, "unknown tree 'balnced': a tree is l2r, r2l, balanced");
    CHECK_TREE_FAILS("L2R", 3, DMF_ERR_ARG, "unknown tree 'L2R'");
    /* Something that looks like a path stays a file error, with the list. */
    CHECK_TREE_FAILS("/nonexistent/tree.json", 3, DMF_ERR_IO,
                     "cannot open tree file '/nonexistent/tree.json': No such file");
    CHECK(strstr(dmf_last_error(), "l2r, r2l, balanced") != NULL, "message '%s' lacks the names",
          dmf_last_error());
    CHECK_TREE_FAILS("missing.json", 3, DMF_ERR_IO, "cannot open tree file 'missing.json'");

    /* Malformed JSON, inline and in files (an empty file included). */
    CHECK_TREE_FAILS("[[0,1],", 3, DMF_ERR_FORMAT, "tree: malformed JSON");
    CHECK_TREE_FAILS("[[0,1],2] x", 3, DMF_ERR_FORMAT, "malformed JSON near 'x'");
    const char *path = write_text("empty_tree.json", "");
    CHECK_TREE_FAILS(path, 3, DMF_ERR_FORMAT, "malformed JSON");
    path = write_text("cut_tree.json", "[[0,1],");
    CHECK_TREE_FAILS(path, 3, DMF_ERR_FORMAT, "malformed JSON");

    /* The factor count itself. */
    CHECK_TREE_FAILS("balanced", 0, DMF_ERR_ARG, "1 to 64 leaves");
    CHECK_TREE_FAILS("balanced", DMF_MAX_FACTORS + 1, DMF_ERR_ARG, "1 to 64 leaves, not 65");
}

int main(void)
{
    if (make_tmp_dir("dmf_test_tree") != 0) return 2;
    test_named_and_custom();
    test_too_many_leaves();
    test_bad_leaves();
    test_bad_specs();
    remove_tmp_dir();
    return check_report("test_tree");
}
