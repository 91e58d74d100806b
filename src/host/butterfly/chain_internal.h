/* Chain shapes and the index maps of hierarchical butterfly nodes. */
#ifndef DMF_CHAIN_INTERNAL_H
#define DMF_CHAIN_INTERNAL_H

#include "backend/backend.h"
#include "internal.h"

#define DMF_MAX_FACTORS 64

/* Radices and boundary ranks; rank[0] = rank[L] = 1 and rank[k + 1] = r_k
 * so that r_{k-1} = rank[k] needs no special case at the ends. */
typedef struct {
    size_t num_factors;
    size_t m[DMF_MAX_FACTORS], n[DMF_MAX_FACTORS];
    size_t rank[DMF_MAX_FACTORS + 1];
} dmf_chain_shape;

struct dmf_chain {
    dmf_dtype dtype;
    dmf_chain_shape shape;
    void *blocks[DMF_MAX_FACTORS];
    /* A[perm_rows[i]][perm_cols[j]] = (F_0 ... F_{L-1})[i][j]; NULL: identity. */
    size_t *perm_rows, *perm_cols;
    /* A streamed group's chain: its factors are work buffers that its owner
     * hands back with dmf_recycle_free before dmf_chain_free. */
    int recycled_blocks;
};


/* Validates radices (each >= 1, at most DMF_MAX_FACTORS) and ranks. */
int dmf_chain_shape_init(dmf_chain_shape *shape, size_t num_factors, const size_t *radix_m,
                         const size_t *radix_n, const size_t *ranks);

/* Support (a, B, C, d) of the product F_p ... F_q: a*d blocks of B x C. */
void dmf_range_support(const dmf_chain_shape *shape, size_t p, size_t q, size_t *a, size_t *b,
                       size_t *c, size_t *d);
size_t dmf_range_size(const dmf_chain_shape *shape, size_t p, size_t q);

/* Geometry of splitting node [p, q] after l (p <= l < q). */
dmf_split_geometry dmf_split_geometry_of(const dmf_chain_shape *shape, size_t p, size_t l,
                                         size_t q);

/* Compact product of adjacent ranges: T = W H for the geometry of the split
 * that would produce W and H.  With `ref` non-NULL nothing is written:
 * ||ref - W H||_F^2 and ||ref||_F^2 are accumulated instead. */
void dmf_merge_ranges(dmf_dtype dtype, const dmf_split_geometry *geom, const void *w,
                      const void *h, void *t, const void *ref, double *diff_sq, double *ref_sq);

/* The same with the sums taken of (scale x)^2 (scale a power of two). */
void dmf_merge_ranges_scaled(dmf_dtype dtype, const dmf_split_geometry *geom, const void *w,
                             const void *h, void *t, const void *ref, double *diff_sq,
                             double *ref_sq, double scale);

/* Allocates and fills the compact values of F_p ... F_q. */
int dmf_chain_range_product(const dmf_chain *chain, size_t p, size_t q, void **out);

#endif
