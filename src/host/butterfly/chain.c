/* Butterfly chains: shapes, supports and compact factor storage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain_internal.h"

static size_t product(const size_t *x, size_t from, size_t to) /* x[from..to) */
{
    size_t p = 1;
    for (size_t k = from; k < to; k++) p *= x[k];
    return p;
}

int dmf_chain_shape_init(dmf_chain_shape *shape, size_t num_factors, const size_t *radix_m,
                         const size_t *radix_n, const size_t *ranks)
{
    memset(shape, 0, sizeof *shape);
    if (num_factors < 1 || num_factors > DMF_MAX_FACTORS)
        return dmf_fail(DMF_ERR_ARG, "a chain has 1 to %d factors, not %zu", DMF_MAX_FACTORS,
                        num_factors);
    shape->num_factors = num_factors;
    size_t rows = 1, cols = 1;
    for (size_t k = 0; k < num_factors; k++) {
        if (radix_m[k] < 1 || radix_n[k] < 1)
            return dmf_fail(DMF_ERR_ARG, "radix %zu is zero (radices must be >= 1)", k);
        if (!dmf_mul_size(rows, radix_m[k], &rows) || !dmf_mul_size(cols, radix_n[k], &cols))
            return dmf_fail(DMF_ERR_SHAPE, "the product of the radices overflows");
        shape->m[k] = radix_m[k];
        shape->n[k] = radix_n[k];
    }
    shape->rank[0] = shape->rank[num_factors] = 1;
    size_t bound;
    if (!dmf_mul_size(rows, cols, &bound))
        return dmf_fail(DMF_ERR_SHAPE, "a %zu x %zu matrix is too large", rows, cols);
    for (size_t k = 0; k + 1 < num_factors; k++) {
        size_t r = ranks ? ranks[k] : 1;
        if (r < 1) return dmf_fail(DMF_ERR_ARG, "rank %zu is zero (ranks must be >= 1)", k);
        /* Every range holds at most rows*cols*r_{p-1}*r_q values. */
        if (!dmf_mul_size(bound, r, &bound))
            return dmf_fail(DMF_ERR_SHAPE, "rank %zu makes the chain sizes overflow", r);
        shape->rank[k + 1] = r;
    }
    return DMF_OK;
}

void dmf_range_support(const dmf_chain_shape *s, size_t p, size_t q, size_t *a, size_t *b,
                       size_t *c, size_t *d)
{
    *a = product(s->n, 0, p);
    *b = s->rank[p] * product(s->m, p, q + 1);
    *c = product(s->n, p, q + 1) * s->rank[q + 1];
    *d = product(s->m, q + 1, s->num_factors);
}

size_t dmf_range_size(const dmf_chain_shape *s, size_t p, size_t q)
{
    size_t a, b, c, d;
    dmf_range_support(s, p, q, &a, &b, &c, &d);
    return a * b * c * d;
}

dmf_split_geometry dmf_split_geometry_of(const dmf_chain_shape *s, size_t p, size_t l, size_t q)
{
    dmf_split_geometry g;
    size_t b, c;
    dmf_range_support(s, p, q, &g.a, &b, &c, &g.d);
    g.b1 = s->rank[p] * product(s->m, p, l + 1);
    g.b2 = product(s->m, l + 1, q + 1);
    g.c1 = product(s->n, p, l + 1);
    g.c2 = product(s->n, l + 1, q + 1) * s->rank[q + 1];
    g.rank = s->rank[l + 1];
    g.row_stride = 0;
    return g;
}

int dmf_chain_create(dmf_chain **out, dmf_dtype dtype, size_t num_factors, const size_t *radix_m,
                     const size_t *radix_n, const size_t *ranks)
{
    *out = NULL;
    if ((unsigned)dtype > DMF_C128) return dmf_fail(DMF_ERR_ARG, "invalid dtype %d", (int)dtype);
    dmf_chain *chain = calloc(1, sizeof *chain);
    if (!chain) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate a chain");
    int status = dmf_chain_shape_init(&chain->shape, num_factors, radix_m, radix_n, ranks);
    chain->dtype = dtype;
    for (size_t k = 0; status == DMF_OK && k < num_factors; k++) {
        chain->blocks[k] = dmf_alloc(dmf_range_size(&chain->shape, k, k), dmf_dtype_size(dtype));
        if (!chain->blocks[k]) status = dmf_fail(DMF_ERR_NOMEM, "cannot allocate factor %zu", k);
    }
    if (status != DMF_OK) {
        dmf_chain_free(chain);
        return status;
    }
    *out = chain;
    return DMF_OK;
}

void dmf_chain_free(dmf_chain *chain)
{
    if (!chain) return;
    for (size_t k = 0; k < DMF_MAX_FACTORS; k++) free(chain->blocks[k]);
    free(chain->perm_rows);
    free(chain->perm_cols);
    free(chain);
}

/* A copy of perm (NULL for NULL), checked to be a permutation of 0..count-1. */
static int copy_permutation(const size_t *perm, size_t count, const char *what, size_t **out)
{
    *out = NULL;
    if (!perm) return DMF_OK;
    DMF_TRY(dmf_permutation_check(perm, count, what));
    size_t *copy = malloc((count ? count : 1) * sizeof *copy);
    if (!copy) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate a %s permutation of %zu", what, count);
    memcpy(copy, perm, count * sizeof *copy);
    *out = copy;
    return DMF_OK;
}

int dmf_chain_set_permutations(dmf_chain *chain, const size_t *rows, const size_t *cols)
{
    if (!chain) return dmf_fail(DMF_ERR_ARG, "dmf_chain_set_permutations: chain is NULL");
    size_t *r, *c;
    DMF_TRY(copy_permutation(rows, dmf_chain_rows(chain), "row", &r));
    int status = copy_permutation(cols, dmf_chain_cols(chain), "column", &c);
    if (status != DMF_OK) {
        free(r);
        return status;
    }
    free(chain->perm_rows);
    free(chain->perm_cols);
    chain->perm_rows = r;
    chain->perm_cols = c;
    return DMF_OK;
}

const size_t *dmf_chain_perm_rows(const dmf_chain *chain) { return chain ? chain->perm_rows : NULL; }
const size_t *dmf_chain_perm_cols(const dmf_chain *chain) { return chain ? chain->perm_cols : NULL; }

int dmf_chain_randomize(dmf_chain *chain, uint64_t seed)
{
    dmf_rng rng;
    dmf_rng_seed(&rng, seed);
    for (size_t k = 0; k < chain->shape.num_factors; k++)
        dmf_rng_fill_normal(&rng, chain->dtype, chain->blocks[k],
                            dmf_range_size(&chain->shape, k, k));
    return DMF_OK;
}

size_t dmf_chain_num_factors(const dmf_chain *chain) { return chain->shape.num_factors; }
dmf_dtype dmf_chain_dtype(const dmf_chain *chain) { return chain->dtype; }
size_t dmf_chain_rows(const dmf_chain *chain)
{
    return product(chain->shape.m, 0, chain->shape.num_factors);
}
size_t dmf_chain_cols(const dmf_chain *chain)
{
    return product(chain->shape.n, 0, chain->shape.num_factors);
}
const size_t *dmf_chain_radix_m(const dmf_chain *chain) { return chain->shape.m; }
const size_t *dmf_chain_radix_n(const dmf_chain *chain) { return chain->shape.n; }

int dmf_chain_support(const dmf_chain *chain, size_t k, size_t *a, size_t *b, size_t *c, size_t *d)
{
    if (k >= chain->shape.num_factors)
        return dmf_fail(DMF_ERR_ARG, "factor %zu does not exist (the chain has %zu)", k,
                        chain->shape.num_factors);
    dmf_range_support(&chain->shape, k, k, a, b, c, d);
    return DMF_OK;
}

void *dmf_chain_blocks(dmf_chain *chain, size_t k)
{
    return k < chain->shape.num_factors ? chain->blocks[k] : NULL;
}

const void *dmf_chain_const_blocks(const dmf_chain *chain, size_t k)
{
    return k < chain->shape.num_factors ? chain->blocks[k] : NULL;
}

size_t dmf_chain_nnz(const dmf_chain *chain)
{
    size_t total = 0;
    for (size_t k = 0; k < chain->shape.num_factors; k++)
        total += dmf_range_size(&chain->shape, k, k);
    return total;
}

/* Prime factors of x, largest first, padded with ones to `count` entries,
 * written as "p,q,..." -- a valid radix list to suggest. */
static void suggest_radices(size_t x, size_t count, char *buf, size_t size)
{
    size_t primes[64], n = 0;
    for (size_t p = 2; p * p <= x && n < 64; p++)
        while (x % p == 0 && n < 64) primes[n++] = p, x /= p;
    if (x > 1 && n < 64) primes[n++] = x;
    size_t len = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < count && len < size; k++)
        len += (size_t)snprintf(buf + len, size - len, "%s%zu", k ? "," : "",
                                k < n ? primes[n - 1 - k] : 1);
}

static size_t count_prime_factors(size_t x)
{
    size_t n = 0;
    for (size_t p = 2; p * p <= x; p++)
        while (x % p == 0) n++, x /= p;
    return n + (x > 1);
}

int dmf_default_radices(size_t rows, size_t cols, size_t *radix_m, size_t *radix_n,
                        size_t capacity, size_t *num_radices)
{
    int is_pow2 = rows >= 2 && cols >= 2 && !(rows & (rows - 1)) && !(cols & (cols - 1));
    if (!is_pow2 || rows != cols) {
        size_t count = count_prime_factors(rows) > count_prime_factors(cols) ? count_prime_factors(rows)
                                                                               : count_prime_factors(cols);
        if (count == 0) count = 1;
        char m[256], n[256];
        suggest_radices(rows, count, m, sizeof m);
        suggest_radices(cols, count, n, sizeof n);
        return dmf_fail(DMF_ERR_SHAPE,
                        "%zu x %zu is not a square power of two, so there is no default radix: "
                        "pass --radix-m and --radix-n with products %zu and %zu and the same "
                        "number of factors, e.g. --radix-m %s --radix-n %s",
                        rows, cols, rows, cols, m, n);
    }
    size_t L = 0;
    for (size_t s = rows; s > 1; s >>= 1) L++;
    if (L > capacity) return dmf_fail(DMF_ERR_SHAPE, "%zu factors exceed the limit %zu", L, capacity);
    for (size_t k = 0; k < L; k++) radix_m[k] = radix_n[k] = 2;
    *num_radices = L;
    return DMF_OK;
}
