/* Sharing a split between workers (src/host/jobs/split_partition.c), the
 * ground the multi-process driver stands on: for every node of a mixed-radix
 * chain, every index that can be cut and several numbers of workers, the
 * CPU split run on each slice and put back gives the W and H of the whole
 * split bit for bit, in all four dtypes and ranks 1 and 2; so does the whole
 * split of a target that sits at an odd address.  Plus the choice of the
 * index and the shares of a tree. */
#include <string.h>

#include "check.h"
#include "jobs/split_partition.h"

static const char *dim_name[] = {"i", "v", "u", "j"};

/* Runs the split of `g` on `target` sliced along `dim` among `parts`
 * workers and compares with the whole split's w_ref and h_ref. */
static void check_sliced(dmf_dtype dtype, const dmf_split_geometry *g, dmf_slice_dim dim,
                         size_t parts, const void *target, const void *w_ref, const void *h_ref,
                         const char *where)
{
    const dmf_backend *cpu = dmf_backend_cpu();
    size_t elem = dmf_dtype_size(dtype);
    dmf_slice_layout lt, lw, lh;
    dmf_slice_layouts(g, dim, &lt, &lw, &lh);
    size_t w_size = dmf_slice_elements(&lw, lw.extent), h_size = dmf_slice_elements(&lh, lh.extent);
    void *w = dmf_alloc(w_size, elem), *h = dmf_alloc(h_size, elem);
    size_t covered = 0;
    for (size_t k = 0; k < parts; k++) {
        dmf_split_slice s = dmf_slice_part(g, dim, parts, k);
        CHECK(s.begin == covered, "%s: slice %zu of %zu starts at %zu, not %zu", where, k, parts,
              s.begin, covered);
        covered += s.count;
        if (!s.count) continue;
        dmf_split_geometry sub = dmf_slice_geometry(g, s);
        /* +1: the slice lands at an odd address, as a received buffer may. */
        char *t_buf = dmf_alloc(dmf_slice_elements(&lt, s.count) + 1, elem);
        void *t_part = t_buf + elem;
        void *w_part = dmf_alloc(dmf_slice_elements(&lw, s.count), elem);
        void *h_part = dmf_alloc(dmf_slice_elements(&lh, s.count), elem);
        dmf_slice_extract(&lt, s.begin, s.count, elem, target, t_part);
        dmf_split_stats stats = {0};
        CHECK_OK(cpu->split_rank_r(dtype, &sub, t_part, w_part, h_part, NULL, &stats));
        dmf_slice_insert(&lw, s.begin, s.count, elem, w_part, w);
        dmf_slice_insert(&lh, s.begin, s.count, elem, h_part, h);
        free(t_buf);
        free(w_part);
        free(h_part);
    }
    CHECK(covered == lt.extent, "%s: the slices cover %zu of %zu", where, covered, lt.extent);
    CHECK(!memcmp(w, w_ref, w_size * elem), "%s: W differs with %zu workers cutting %s", where,
          parts, dim_name[dim]);
    CHECK(!memcmp(h, h_ref, h_size * elem), "%s: H differs with %zu workers cutting %s", where,
          parts, dim_name[dim]);
    free(w);
    free(h);
}

static void check_chain(dmf_dtype dtype, size_t rank, uint64_t seed)
{
    const size_t L = 5, m[] = {2, 3, 2, 4, 2}, n[] = {3, 2, 2, 2, 5};
    size_t ranks[4] = {rank, rank, rank, rank};
    dmf_chain_shape shape;
    CHECK_OK(dmf_chain_shape_init(&shape, L, m, n, ranks));
    const dmf_backend *cpu = dmf_backend_cpu();
    size_t elem = dmf_dtype_size(dtype);
    dmf_rng rng;
    dmf_rng_seed(&rng, seed);
    for (size_t p = 0; p < L; p++)
        for (size_t q = p + 1; q < L; q++)
            for (size_t l = p; l < q; l++) {
                dmf_split_geometry g = dmf_split_geometry_of(&shape, p, l, q);
                size_t t_size = dmf_range_size(&shape, p, q);
                size_t w_size = dmf_range_size(&shape, p, l), h_size = dmf_range_size(&shape, l + 1, q);
                void *t = dmf_alloc(t_size, elem);
                dmf_rng_fill_normal(&rng, dtype, t, t_size);
                void *w = dmf_alloc(w_size, elem), *h = dmf_alloc(h_size, elem);
                dmf_split_stats stats = {0};
                CHECK_OK(cpu->split_rank_r(dtype, &g, t, w, h, NULL, &stats));
                char where[128];
                snprintf(where, sizeof where, "%s rank %zu node [%zu, %zu] split after %zu (seed %llu)",
                         dmf_dtype_name(dtype), rank, p, q, l, (unsigned long long)seed);

                /* The same target one element further on in memory. */
                char *odd = dmf_alloc(t_size + 1, elem);
                memcpy(odd + elem, t, t_size * elem);
                void *w2 = dmf_alloc(w_size, elem), *h2 = dmf_alloc(h_size, elem);
                dmf_split_stats stats2 = {0};
                CHECK_OK(cpu->split_rank_r(dtype, &g, odd + elem, w2, h2, NULL, &stats2));
                CHECK(!memcmp(w, w2, w_size * elem) && !memcmp(h, h2, h_size * elem),
                      "%s: a target at another address gives other halves", where);
                free(odd);
                free(w2);
                free(h2);

                for (int dim = DMF_SLICE_I; dim <= DMF_SLICE_J; dim++)
                    for (size_t parts = 2; parts <= 5; parts += 3)
                        check_sliced(dtype, &g, (dmf_slice_dim)dim, parts, t, w, h, where);
                free(t);
                free(w);
                free(h);
            }
}

static void check_choice(void)
{
    dmf_split_geometry g = {.a = 4, .d = 8, .b1 = 2, .b2 = 16, .c1 = 2, .c2 = 2, .rank = 1};
    CHECK(dmf_slice_choose(&g, 3) == DMF_SLICE_I, "a = 4 serves 3 workers");
    CHECK(dmf_slice_choose(&g, 5) == DMF_SLICE_V, "d = 8 serves 5 workers, a = 4 does not");
    CHECK(dmf_slice_choose(&g, 9) == DMF_SLICE_U, "b2 = 16 serves 9 workers");
    CHECK(dmf_slice_choose(&g, 40) == DMF_SLICE_U, "none serves 40: the largest, b2");
    dmf_split_geometry root = {.a = 1, .d = 1, .b1 = 128, .b2 = 2, .c1 = 128, .c2 = 2, .rank = 1};
    CHECK(dmf_slice_choose(&root, 2) == DMF_SLICE_U, "b2 = 2 serves 2 workers");
    CHECK(dmf_slice_choose(&root, 4) == DMF_SLICE_J, "only c1 = 128 serves 4 workers");
    dmf_split_slice s = dmf_slice_part(&root, DMF_SLICE_J, 3, 1);
    CHECK(s.begin == 42 && s.count == 43, "128 in 3: the second share is [42, 85), got [%zu, +%zu)",
          s.begin, s.count);
    s = dmf_slice_part(&root, DMF_SLICE_U, 4, 0);
    CHECK(s.count == 0, "2 in 4: the first share is empty, got %zu", s.count);

    CHECK(dmf_share_workers(4, 1, 1) == 2, "equal work: half each");
    CHECK(dmf_share_workers(3, 1, 1) == 2, "1.5 rounds to 2");
    CHECK(dmf_share_workers(2, 100, 1) == 1, "each child keeps one worker");
    CHECK(dmf_share_workers(8, 3, 1) == 6, "work 3:1 over 8: 6 and 2");
    CHECK(dmf_share_workers(5, 0, 1) == 1, "no work on the left: still one worker");

    /* Radix 2, N = 8, tree [0,[1,2]]: the root, then node [1, 2]. */
    const size_t two[] = {2, 2, 2};
    dmf_chain_shape shape;
    CHECK_OK(dmf_chain_shape_init(&shape, 3, two, two, NULL));
    dmf_tree *tree = NULL;
    CHECK_OK(dmf_tree_create(&tree, "[0,[1,2]]", 3));
    if (tree) {
        /* 64 entries at the root, then node [1, 2]: 2 blocks of 4 x 4 = 32. */
        double w = dmf_subtree_work(&shape, tree, 0, 2);
        CHECK(w == 96, "work of [0,[1,2]] for N = 8 is 64 + 32, got %g", w);
        CHECK(dmf_subtree_work(&shape, tree, 1, 1) == 0, "a leaf needs no work");
        dmf_tree_free(tree);
    }
}

int main(void)
{
    check_choice();
    const dmf_dtype dtypes[] = {DMF_F32, DMF_F64, DMF_C64, DMF_C128};
    for (int t = 0; t < 4; t++) {
        check_chain(dtypes[t], 1, 11 + (uint64_t)t);
        check_chain(dtypes[t], 2, 21 + (uint64_t)t);
    }
    return check_report("test_partition");
}
