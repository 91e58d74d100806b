/* Per-thread body of y = F x for one chain factor on the device (host and
 * device code, see split_index.h; checked by tests/test_split_index.c
 * against the CPU apply).  F has support (a, b, c, d): a*d dense b x c
 * blocks, block (i*d + v), entry [beta, gamma] at ((i*d + v)*b + beta)*c +
 * gamma, taking input row i*c*d + gamma*d + v to output row i*b*d + beta*d + v.
 * x and y hold nvec vectors as rows of nvec contiguous entries. */
#ifndef DMF_APPLY_INDEX_H
#define DMF_APPLY_INDEX_H

#include "split_index.h"

/* Output entry e = row * nvec + t of y = F x. */
DMF_HD static inline dmf_dc dmf_apply_entry(dmf_dtype dtype, const void *blocks, size_t b, size_t c, size_t d,
                                            const void *x, size_t nvec, size_t e)
{
    size_t row = e / nvec, t = e % nvec;
    size_t i = row / (b * d), beta = (row / d) % b, v = row % d;
    size_t blk = ((i * d + v) * b + beta) * c, in = i * c * d + v;
    dmf_dc sum = dmf_dc_make(0, 0);
    for (size_t gamma = 0; gamma < c; gamma++)
        sum = dmf_dc_add(sum, dmf_dc_mul(dmf_load(dtype, blocks, blk + gamma),
                                         dmf_load(dtype, x, (in + gamma * d) * nvec + t)));
    return sum;
}

#endif
