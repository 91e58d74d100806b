/* The lower node of a streamed tree, a block at a time.
 *
 * A node's target with support (a, B, C, d) is a*d dense B x C blocks, and
 * every split below the node works inside one of them.  Block (i, v) is the
 * whole target of a chain of its own: factors lo..hi with r_{lo-1} folded
 * into m_lo and r_hi into n_hi, so that every split has the geometry it has
 * in the whole walk.  Factor k of that chain holds a'_k d'_k blocks (a'_k =
 * n_lo...n_{k-1}, d'_k = m_{k+1}...m_hi), and its block (i', v') is block
 * ((i a'_k + i') d'_k + v') d + v of the whole chain's factor k: the digits
 * of a and d are the outer ones (S(a, b, c, d) = I_a (x) 1_{b x c} (x) I_d).
 * The split kernels' results depend on a sub-block's entries alone, so the
 * factors are those of the whole walk bit for bit.
 *
 * Walked whole, the lower node's halves were fresh memory (the first
 * split's 64 MiB at N = 16384 c128, 0.07 s of page faults on a virtual
 * machine whose freed pages go back to the host) and every split met the
 * threads at a barrier.  A block on one thread at a time takes its halves
 * from the buffers that thread freed for the block before (recycle.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tree_internal.h"

/* Block (i, v)'s chain: factors lo..hi as a chain of their own. */
static int block_chain(const dmf_chain *chain, size_t lo, size_t hi, dmf_chain **out)
{
    const dmf_chain_shape *s = &chain->shape;
    size_t count = hi - lo + 1, m[DMF_MAX_FACTORS], n[DMF_MAX_FACTORS], ranks[DMF_MAX_FACTORS];
    for (size_t k = 0; k < count; k++) {
        m[k] = s->m[lo + k];
        n[k] = s->n[lo + k];
        if (k + 1 < count) ranks[k] = s->rank[lo + k + 1];
    }
    m[0] *= s->rank[lo];             /* r_{lo-1} */
    n[count - 1] *= s->rank[hi + 1]; /* r_hi */
    int status = dmf_chain_create(out, chain->dtype, count, m, n, ranks);
    if (status == DMF_OK) (*out)->recycled_blocks = 1;
    return status;
}

/* The subtree [lo, hi] of `tree` as a tree over 0..hi-lo. */
static dmf_tree *block_tree(const dmf_tree *tree, size_t lo, size_t hi)
{
    dmf_tree *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    size_t count = hi - lo + 1;
    t->num_factors = count;
    for (size_t p = 0; p < count; p++)
        for (size_t q = p + 1; q < count; q++) t->split[p * count + q] = dmf_tree_split(tree, p + lo, q + lo) - lo;
    snprintf(t->name, sizeof t->name, "block");
    return t;
}

/* Block `index` (= i d + v) of the target at `values`: its walk, its
 * factors into slices of the chain's, its records (in the whole tree's
 * indices) into *out. */
static int factor_block(const dmf_backend *backend, dmf_chain *chain, const dmf_tree *sub_tree,
                        const dmf_butterfly_options *opts, size_t lo, size_t hi, size_t index, const void *values,
                        dmf_part_records *out)
{
    const dmf_chain_shape *s = &chain->shape;
    size_t a, b, c, d, elem = dmf_dtype_size(chain->dtype);
    dmf_range_support(s, lo, hi, &a, &b, &c, &d);
    dmf_chain *sub = NULL;
    dmf_butterfly_report *part = calloc(1, sizeof *part);
    dmf_split_stats *stats = calloc(DMF_MAX_FACTORS, sizeof *stats);
    int status = part && stats ? block_chain(chain, lo, hi, &sub)
                               : dmf_fail(DMF_ERR_NOMEM, "cannot allocate a block's records");
    if (status == DMF_OK) {
        void *leaves[DMF_MAX_FACTORS] = {0};
        void *root = (char *)values + index * b * c * elem;
        status = dmf_butterfly_walk(backend, sub, sub_tree, opts, 0, hi - lo, root, root, 0, leaves, part, stats,
                                    &out->failed);
    }
    for (size_t k = lo; status == DMF_OK && k <= hi; k++) {
        size_t ak, bk, ck, dk;
        dmf_range_support(s, k, k, &ak, &bk, &ck, &dk);
        const size_t run = bk * ck, per_block = ak / a * (dk / d), i = index / d, v = index % d;
        dmf_copy_slices(per_block, d, run, v, 1, elem, sub->blocks[k - lo],
                        (char *)chain->blocks[k] + i * per_block * d * run * elem, 1);
    }
    for (size_t r = 0; status == DMF_OK && r < part->num_nodes; r++) {
        dmf_node_report rec = part->nodes[r];
        rec.p += lo, rec.q += lo, rec.split += lo;
        dmf_part_records_add(out, &rec, &stats[r]);
    }
    dmf_part_chain_free(sub);
    free(part);
    free(stats);
    return status;
}

/* The blocks on the threads, each walked on one; the records summed in
 * block order, so the report does not depend on the threads. */
static int factor_blocks(const dmf_backend *backend, dmf_chain *chain, const dmf_tree *sub_tree,
                         const dmf_butterfly_options *opts, size_t lo, size_t hi, size_t blocks, const void *values,
                         dmf_part_records *records)
{
    int status = DMF_OK;
    char message[512] = "";
#pragma omp parallel
    {
        dmf_recycle_begin();
        int mine = DMF_OK;
#pragma omp for schedule(dynamic, 1)
        for (size_t k = 0; k < blocks; k++) {
            int stop;
#pragma omp atomic read
            stop = status;
            if (stop == DMF_OK && mine == DMF_OK)
                mine = factor_block(backend, chain, sub_tree, opts, lo, hi, k, values, &records[k]);
        }
        dmf_parallel_failed(mine, &status, message, sizeof message);
        dmf_recycle_end();
    }
    return status == DMF_OK ? DMF_OK : dmf_fail(status, "%s", message);
}

int dmf_butterfly_walk_blocks(const dmf_backend *backend, dmf_chain *chain, const dmf_tree *tree,
                              const dmf_butterfly_options *opts, size_t lo, size_t hi, void *values,
                              size_t min_block_bytes, void **leaves, dmf_butterfly_report *report,
                              size_t *failed)
{
    size_t a, b, c, d;
    dmf_range_support(&chain->shape, lo, hi, &a, &b, &c, &d);
    const size_t blocks = a * d;
    const double block_bytes = (double)b * (double)c * (double)dmf_dtype_size(chain->dtype);
    if (lo == hi || blocks < 2 || !backend->host_memory || block_bytes < (double)min_block_bytes) {
        dmf_recycle_begin(); /* the node's splits, one after another on this thread */
        int status = dmf_butterfly_walk(backend, chain, tree, opts, lo, hi, values, NULL, 0, leaves, report, NULL,
                                        failed);
        dmf_recycle_end();
        return status;
    }
    dmf_tree *sub_tree = block_tree(tree, lo, hi);
    dmf_part_records *records = calloc(blocks, sizeof *records), *sums = calloc(1, sizeof *sums);
    int status = sub_tree && records && sums ? DMF_OK
                                             : dmf_fail(DMF_ERR_NOMEM, "cannot allocate the records of %zu blocks",
                                                        blocks);
    if (status == DMF_OK) status = factor_blocks(backend, chain, sub_tree, opts, lo, hi, blocks, values, records);
    for (size_t k = 0; status == DMF_OK && k < blocks; k++) {
        for (size_t r = 0; r < records[k].count; r++)
            dmf_part_records_add(sums, &records[k].nodes[r], &records[k].stats[r]);
        *failed += records[k].failed;
    }
    if (status == DMF_OK) {
        dmf_part_records_report(sums, report);
        for (size_t k = lo; k <= hi; k++) leaves[k] = chain->blocks[k];
    }
    backend->mem_free(values);
    free(sub_tree);
    free(records);
    free(sums);
    return status;
}
