/* Factoring a matrix behind row and column permutations without a permuted
 * copy of it (factor_permuted.c).  Internal: used by butterfly factor
 * --perm-rows / --perm-cols. */
#ifndef DMF_FACTOR_PERMUTED_H
#define DMF_FACTOR_PERMUTED_H

#include "dmf.h"

/* As dmf_butterfly_factor of B[i][j] = a[perm_rows[i]][perm_cols[j]]
 * (NULL: the identity on that side), the same factors bit for bit, with
 * the permutations set on *out so that the chain stands for `a`.  On the
 * CPU with a tree whose root halves are small (balanced), B is never
 * whole in memory: the root's split reads `a` through the permutations,
 * a group of its row classes at a time.  Otherwise B is copied first. */
int dmf_butterfly_factor_permuted(dmf_context *ctx, const dmf_matrix *a, const size_t *perm_rows,
                                  const size_t *perm_cols, const size_t *radix_m, const size_t *radix_n,
                                  size_t num_factors, const dmf_tree *tree, const dmf_butterfly_options *opts,
                                  dmf_chain **out, dmf_butterfly_report *report);

/* out[j] = row[cols[j]] for j < n (cols NULL: a copy), elements of `elem`
 * bytes (permute.c). */
void dmf_gather_row(const void *row, const size_t *cols, size_t n, size_t elem, void *out);

#endif
