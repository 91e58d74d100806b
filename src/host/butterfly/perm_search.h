/* The permutation search's working matrix and what its files share
 * (perm_identify.c walks the splits; dmf_perm_first_group.c finds the first
 * group of a split).  Internal; docs/permutations.md. */
#ifndef DMF_PERM_SEARCH_H
#define DMF_PERM_SEARCH_H

#include <complex.h>
#include <stdint.h>

#include "butterfly/chain_internal.h"

/* Entries a loop must read to run on several threads.  Waking the other
 * threads and meeting them at the end of the loop costs a few microseconds
 * on an idle machine, but on a loaded one a thread waits for a core: with
 * two threads on a 2-core machine under a load of 5, the search at N = 1024
 * took 0.024 s against 0.005 s on one thread, its only parallel loop being
 * the pass over the 2^20 entries of the input.  So only passes over large
 * inputs (N = 4096 and up) are shared; the splits' loops, a few hundred
 * thousand reads at most, stay on one thread. */
#define PARALLEL_WORK ((size_t)1 << 24)

typedef struct {
    /* Row u of W, logical column j, is w[rowmap[u] * stride + colmap[j]]:
     * while the splits are exact W is a choice of rows of the input in a
     * new column order (no copy); after a compression, a buffer of its own. */
    const double complex *w;
    size_t stride, *rowmap, *colmap, *spare_map[2];
    double complex *converted; /* the input in double complex, unless it was c128 */
    double complex *spare[2];  /* ping-pong buffers of the compressed rows */
    double *energy;            /* squared norm of every row of the buffer w points into */
    size_t *column_sample;           /* scratch: a column sample of every part */
    int next_spare;
    size_t units, cols;
    size_t classes, class_size; /* column classes are contiguous runs */
} perm_working;

static inline double abs2(double complex z) { return creal(z) * creal(z) + cimag(z) * cimag(z); }

static inline const double complex *row_of(const perm_working *wk, size_t u) { return wk->w + wk->rowmap[u] * wk->stride; }

typedef struct {
    double score;
    size_t index;
} perm_scored;

/* An irregular hash of a column index: samples that a stride would alias
 * with the periodic zero patterns of matrices like the DFT. */
static inline uint64_t mix(uint64_t x)
{
    x ^= x >> 33, x *= 0xff51afd7ed558ccdULL, x ^= x >> 33, x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}


/* qsort order: higher score first, then lower index. */
int dmf_perm_by_score_desc(const void *x, const void *y);
/* Moves the k best of x[0..n) to the front, sorted best first. */
void dmf_perm_best_first(perm_scored *x, size_t n, size_t k);

/* The first group of a split: the leading row `lead` and the p - 1 rows
 * whose minors with it vanish on the most columns (group[0] = lead).  When
 * more rows than that vanish at rounding level, further candidate groups
 * (at most max_groups in all, p rows each) follow in group[]; the caller
 * keeps the one that cuts the columns exactly.  Returns how many. */
size_t dmf_perm_first_group(const perm_working *wk, size_t lead, size_t p, size_t q, size_t *group, size_t max_groups);

#endif
