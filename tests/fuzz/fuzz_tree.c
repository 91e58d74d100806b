/* libFuzzer harness: the tree parser (dmf_tree_create with an inline JSON
 * nested list).  The first byte picks the number of factors (1..64); the
 * rest is the spec, kept only when it starts with '[' (anything else names a
 * file, which is not this harness's business). */
#include "fuzz_input.h"
#include "butterfly/tree_internal.h"

/* Every internal node [p, q] of the tree splits into [p, l] and [l + 1, q]. */
static void check_node(const dmf_tree *tree, size_t p, size_t q)
{
    if (p == q) return;
    size_t l = dmf_tree_split(tree, p, q);
    FUZZ_CHECK(p <= l && l < q);
    check_node(tree, p, l);
    check_node(tree, l + 1, q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return -1;
    size_t L = 1 + data[0] % 64;
    char *spec = fuzz_text(data + 1, size - 1);
    if (spec[strspn(spec, " \t\r\n")] != '[') {
        free(spec);
        return -1;
    }
    dmf_tree *tree = NULL;
    if (dmf_tree_create(&tree, spec, L) == DMF_OK) {
        check_node(tree, 0, L - 1);
        FUZZ_CHECK(strlen(dmf_tree_describe(tree)) > 0);
        FUZZ_CHECK(!strcmp(dmf_tree_name(tree), "custom"));
    } else {
        FUZZ_CHECK(tree == NULL && dmf_last_error()[0]);
    }
    dmf_tree_free(tree);
    free(spec);
    return 0;
}
