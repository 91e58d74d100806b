#ifndef DMF_TREE_INTERNAL_H
#define DMF_TREE_INTERNAL_H

#include "chain_internal.h"

struct dmf_tree {
    size_t num_factors;
    size_t split[DMF_MAX_FACTORS * DMF_MAX_FACTORS]; /* split[p*L + q] for p < q */
    char name[16];   /* "l2r", "r2l", "balanced" or "custom" */
    char text[1024]; /* canonical nested list */
};

size_t dmf_tree_split(const dmf_tree *tree, size_t p, size_t q);

#endif
