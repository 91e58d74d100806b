/* Streaming the top of a tree (src/host/butterfly/stream.c): a root whose
 * larger half is big is factored a group of the input's rows or columns at
 * a time.  Known answer: the factors are those of the plain walk bit for
 * bit, and the node records the same nodes in the same order with the same
 * block counts, for trees whose big half is on the right (l2r), on the left
 * (r2l), custom trees with subtrees off the big path, mixed radices,
 * rectangular chains, rank 2, real and complex, groups of uneven size, and
 * groups taken in batches; the lower node a block of its target at a time
 * (stream_lower.c), its ranks folded into the blocks' chains, and whole. */
#include <string.h>

#include "butterfly/tree_internal.h"
#include "check.h"

typedef struct {
    const char *name;
    size_t L, m[11], n[11];
    const char *tree;
    size_t rank;
} stream_case;

static const stream_case cases[] = {
    {"radix 2, l2r", 8, {2, 2, 2, 2, 2, 2, 2, 2}, {2, 2, 2, 2, 2, 2, 2, 2}, "l2r", 1},
    {"radix 2, r2l", 8, {2, 2, 2, 2, 2, 2, 2, 2}, {2, 2, 2, 2, 2, 2, 2, 2}, "r2l", 1},
    {"radix 2, balanced", 7, {2, 2, 2, 2, 2, 2, 2}, {2, 2, 2, 2, 2, 2, 2}, "balanced", 1},
    {"subtrees off the path, right", 8, {2, 2, 2, 2, 2, 2, 2, 2}, {2, 2, 2, 2, 2, 2, 2, 2},
     "[[0,1],[[[2,3],4],[5,[6,7]]]]", 1},
    {"subtrees off the path, left", 8, {2, 2, 2, 2, 2, 2, 2, 2}, {2, 2, 2, 2, 2, 2, 2, 2},
     "[[[[0,1],[2,3]],4],[5,[6,7]]]", 1},
    {"mixed radix, l2r", 4, {3, 2, 4, 2}, {2, 5, 3, 2}, "l2r", 1},
    {"mixed radix, r2l", 4, {3, 2, 4, 2}, {2, 5, 3, 2}, "r2l", 1},
    {"rectangular, rank 2, l2r", 5, {2, 3, 2, 2, 2}, {3, 2, 2, 2, 1}, "l2r", 2},
    {"rectangular, rank 2, r2l", 5, {2, 3, 2, 2, 2}, {3, 2, 2, 2, 1}, "r2l", 2},
    /* The lower node [2, 5] splits in its middle: its two halves are
     * walked on two threads, one freeing a half the other allocated. */
    {"lower node split in its middle", 6, {2, 16, 2, 2, 2, 2}, {8, 8, 2, 4, 2, 2}, "[0,[1,[[2,3],[4,5]]]]", 1},
    /* The lower node [6, 7] (l2r) and [0, 1] (r2l), 64 blocks each, spans
     * two factors: its blocks' chains fold r_5 = 2 into m_6 and r_1 = 2
     * into n_1. */
    {"rank 2, l2r, lower node of two factors", 8, {2, 2, 2, 2, 2, 2, 2, 2}, {2, 2, 2, 2, 2, 2, 2, 2}, "l2r", 2},
    {"rank 2, r2l, lower node of two factors", 8, {2, 2, 2, 2, 2, 2, 2, 2}, {2, 2, 2, 2, 2, 2, 2, 2}, "r2l", 2},
    /* 64 classes: groups of one class go a batch of four at a time */
    {"radix 2, r2l, batches", 11, {2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2}, {2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2}, "r2l", 1},
};

static dmf_chain *factor(dmf_context *ctx, const dmf_matrix *a, const stream_case *c,
                         dmf_butterfly_report *rep)
{
    dmf_tree *tree = NULL;
    dmf_chain *chain = NULL;
    dmf_butterfly_options opts;
    dmf_butterfly_options_default(&opts);
    opts.rank = c->rank;
    CHECK_OK(dmf_tree_create(&tree, c->tree, c->L));
    if (tree) CHECK_OK(dmf_butterfly_factor(ctx, a, c->m, c->n, c->L, tree, &opts, &chain, rep));
    dmf_tree_free(tree);
    return chain;
}

static void compare(const stream_case *c, dmf_dtype dtype, size_t group_bytes, const dmf_chain *plain,
                    const dmf_butterfly_report *rp, const dmf_chain *streamed,
                    const dmf_butterfly_report *rs)
{
    const char *dt = dmf_dtype_name(dtype);
    size_t elem = dmf_dtype_size(dtype);
    for (size_t k = 0; k < c->L; k++) {
        size_t a, b, cc, d;
        dmf_chain_support(plain, k, &a, &b, &cc, &d);
        CHECK(memcmp(dmf_chain_const_blocks(plain, k), dmf_chain_const_blocks(streamed, k),
                     a * b * cc * d * elem) == 0,
              "%s %s, groups of %zu bytes: factor %zu differs from the plain walk's", c->name, dt,
              group_bytes, k);
    }
    CHECK(rp->num_nodes == rs->num_nodes, "%s %s: %zu records, plain %zu", c->name, dt, rs->num_nodes,
          rp->num_nodes);
    for (size_t i = 0; i < rp->num_nodes && i < rs->num_nodes; i++) {
        const dmf_node_report *x = &rp->nodes[i], *y = &rs->nodes[i];
        CHECK(x->p == y->p && x->q == y->q && x->split == y->split && x->num_blocks == y->num_blocks &&
                  x->block_rows == y->block_rows && x->block_cols == y->block_cols,
              "%s %s: record %zu is [%zu, %zu] split %zu, %zu blocks; plain [%zu, %zu] split %zu, %zu blocks",
              c->name, dt, i, y->p, y->q, y->split, y->num_blocks, x->p, x->q, x->split, x->num_blocks);
        double scale = x->rel_error > 1e-300 ? x->rel_error : 1e-300;
        CHECK(fabs(x->rel_error - y->rel_error) <= 1e-6 * scale + 1e-30,
              "%s %s: record %zu rel_error %.17g, plain %.17g", c->name, dt, i, y->rel_error, x->rel_error);
    }
}

int main(void)
{
    dmf_context *ctx = NULL;
    CHECK_OK(dmf_context_create(&ctx, "cpu"));
    const dmf_dtype dtypes[] = {DMF_F64, DMF_C128};
    for (size_t ci = 0; ctx && ci < sizeof cases / sizeof cases[0]; ci++) {
        const stream_case *c = &cases[ci];
        size_t rows = 1, cols = 1;
        for (size_t k = 0; k < c->L; k++) rows *= c->m[k], cols *= c->n[k];
        for (size_t di = 0; di < 2; di++) {
            /* A product of random factors plus noise: every split has
             * something to approximate, and the bits depend on all of it. */
            dmf_matrix_spec spec = {"random-chain", rows, cols, dtypes[di], 1e-3, 7, c->m, c->n, c->L};
            dmf_matrix *a = NULL;
            CHECK_OK(dmf_matrix_builtin(&spec, &a));
            if (!a) continue;
            dmf_butterfly_report rp, rs;
            dmf_butterfly_set_stream_limits(&(dmf_stream_limits){(size_t)-1, 0, 0});
            dmf_chain *plain = factor(ctx, a, c, &rp);
            /* One class per group; 3/8 of the input (3 of the 8 classes
             * of the radix-2 cases: groups of 3, 3 and 2); about half. */
            size_t bytes = rows * cols * dmf_dtype_size(dtypes[di]);
            const size_t group_bytes[] = {1, 3 * bytes / 8, bytes / 2 - 1};
            /* The lower node a block at a time (blocks of any size), and
             * whole (no block is large enough). */
            for (size_t gi = 0; plain && gi < 4; gi++) {
                const size_t group = group_bytes[gi < 3 ? gi : 0], lower_block_bytes = gi < 3 ? 0 : (size_t)-1;
                dmf_butterfly_set_stream_limits(&(dmf_stream_limits){0, group, lower_block_bytes});
                dmf_chain *streamed = factor(ctx, a, c, &rs);
                if (streamed) compare(c, dtypes[di], group, plain, &rp, streamed, &rs);
                dmf_chain_free(streamed);
            }
            dmf_butterfly_set_stream_limits(NULL);
            dmf_chain_free(plain);
            dmf_matrix_free(a);
        }
    }
    dmf_context_free(ctx);
    return check_report("test_stream");
}
