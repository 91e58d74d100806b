/* Built-in test matrices with known butterfly structure (or none). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chain_internal.h"
#include "memory.h"

static const char *const builtin_names[] = {"hadamard", "dft", "dft-bitrev", "dct2", "dst2",
                                            "random-chain", "gaussian", NULL};

const char *const *dmf_matrix_builtin_names(void) { return builtin_names; }

static int is_pow2(size_t n) { return n >= 1 && !(n & (n - 1)); }

static size_t bit_reverse(size_t x, size_t bits)
{
    size_t r = 0;
    for (size_t b = 0; b < bits; b++, x >>= 1) r = (r << 1) | (x & 1);
    return r;
}

/* What an entry function needs: the size, its bit count, and the table
 * roots[m] = exp(2 pi i m / 4n), m < 4n, from which every DFT, DCT-II and
 * DST-II entry is read (indices reduced in integers, so large n stays exact
 * and 4n sincos calls replace n^2). */
typedef struct {
    size_t n, bits;
    double complex *roots;
} gen_ctx;

typedef double complex (*entry_fn)(size_t, size_t, const gen_ctx *);

/* Fills a square n x n matrix from entry(i, j); values in double precision
 * are rounded once to the target dtype. */
static int fill_square(const dmf_matrix_spec *spec, dmf_matrix **out, entry_fn entry)
{
    gen_ctx g = {spec->rows, 0, NULL};
    while (((size_t)1 << g.bits) < g.n) g.bits++;
    g.roots = malloc(4 * g.n * sizeof *g.roots);
    if (!g.roots) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate a table of %zu roots of unity", 4 * g.n);
    for (size_t m = 0; m < 4 * g.n; m++) {
        double angle = 2.0 * M_PI * (double)m / (4.0 * (double)g.n);
        g.roots[m] = cos(angle) + I * sin(angle);
    }
    int status = dmf_matrix_create(out, spec->dtype, g.n, g.n);
    if (status == DMF_OK) {
#pragma omp parallel for schedule(static)
        for (size_t i = 0; i < g.n; i++)
            for (size_t j = 0; j < g.n; j++) dmf_set(spec->dtype, (*out)->data, i * g.n + j, entry(i, j, &g));
    }
    free(g.roots);
    return status;
}

/* The DFT (natural or bit-reversed columns) at memory speed: one table of
 * the n scaled roots, row i read at (i k mod n), a mask for powers of two
 * and a running sum in natural order instead of a division per entry, and
 * typed stores. */
static int fill_dft(const dmf_matrix_spec *spec, dmf_matrix **out, int bitrev)
{
    const size_t n = spec->rows;
    size_t bits = 0;
    while (((size_t)1 << bits) < n) bits++;
    double complex *table = malloc(n * sizeof *table);
    size_t *column = bitrev ? malloc(n * sizeof *column) : NULL;
    int status = table && (!bitrev || column) ? DMF_OK : dmf_fail(DMF_ERR_NOMEM, "cannot allocate the DFT's tables");
    if (status == DMF_OK) {
        const double scale = 1.0 / sqrt((double)n);
        for (size_t m = 0; m < n; m++) {
            /* exp(-2 pi i m / n) from the first octant: cos/sin of exact
             * multiples keep every entry within an ulp. */
            double angle = 2.0 * M_PI * (double)m / (double)n;
            table[m] = scale * (cos(angle) - I * sin(angle));
        }
        for (size_t j = 0; bitrev && j < n; j++) column[j] = bit_reverse(j, bits);
        status = dmf_matrix_create(out, spec->dtype, n, n);
    }
    if (status == DMF_OK) {
        const int c64 = spec->dtype == DMF_C64;
        double complex *z = (*out)->data;
        float complex *f = (*out)->data;
#pragma omp parallel for schedule(static)
        for (size_t i = 0; i < n; i++) {
            size_t m = 0;
            for (size_t j = 0; j < n; j++) {
                double complex v;
                if (bitrev) {
                    v = table[(i * column[j]) & (n - 1)]; /* n is a power of two */
                } else {
                    v = table[m];
                    m += i;
                    if (m >= n) m -= n;
                }
                if (c64) f[i * n + j] = (float complex)v;
                else z[i * n + j] = v;
            }
        }
    }
    free(table);
    free(column);
    return status;
}

static double complex hadamard_entry(size_t i, size_t j, const gen_ctx *g)
{
    return __builtin_popcountll((unsigned long long)(i & j)) & 1 ? -1.0 : 1.0;
}

/* exp(-2 pi i jk / n) / sqrt(n) = conj(roots[4 (jk mod n)]) / sqrt(n). */
static double complex dft_value(size_t i, size_t k, const gen_ctx *g)
{
    size_t m = (size_t)(((unsigned __int128)i * k) % g->n);
    return conj(g->roots[4 * m]) / sqrt((double)g->n);
}

static double complex dft_entry(size_t i, size_t j, const gen_ctx *g) { return dft_value(i, j, g); }

static double complex dft_bitrev_entry(size_t i, size_t j, const gen_ctx *g)
{
    return dft_value(i, bit_reverse(j, g->bits), g);
}

/* cos(pi (2j+1) k / 2n) = Re roots[(2j+1) k mod 4n]. */
static double complex dct2_entry(size_t k, size_t j, const gen_ctx *g)
{
    double scale = sqrt((k == 0 ? 1.0 : 2.0) / (double)g->n);
    size_t m = (size_t)(((unsigned __int128)(2 * j + 1) * k) % (4 * g->n));
    return scale * creal(g->roots[m]);
}

/* sin(pi (2j+1)(k+1) / 2n) = Im roots[(2j+1)(k+1) mod 4n]. */
static double complex dst2_entry(size_t k, size_t j, const gen_ctx *g)
{
    double scale = sqrt((k == g->n - 1 ? 1.0 : 2.0) / (double)g->n);
    size_t m = (size_t)(((unsigned __int128)(2 * j + 1) * (k + 1)) % (4 * g->n));
    return scale * cimag(g->roots[m]);
}

static int random_chain(const dmf_matrix_spec *spec, dmf_matrix **out)
{
    size_t m[DMF_MAX_FACTORS], n[DMF_MAX_FACTORS], L = spec->num_radices;
    if (spec->radix_m && spec->radix_n && L > 0) {
        if (L > DMF_MAX_FACTORS) return dmf_fail(DMF_ERR_ARG, "too many radices (%zu)", L);
        memcpy(m, spec->radix_m, L * sizeof *m);
        memcpy(n, spec->radix_n, L * sizeof *n);
    } else {
        DMF_TRY(dmf_default_radices(spec->rows, spec->cols, m, n, DMF_MAX_FACTORS, &L));
    }
    dmf_chain *chain;
    DMF_TRY(dmf_chain_create(&chain, spec->dtype, L, m, n, NULL));
    int status = DMF_OK;
    if (dmf_chain_rows(chain) != spec->rows || dmf_chain_cols(chain) != spec->cols)
        status = dmf_fail(DMF_ERR_SHAPE, "the radices multiply to %zu x %zu, not %zu x %zu",
                          dmf_chain_rows(chain), dmf_chain_cols(chain), spec->rows, spec->cols);
    if (status == DMF_OK) status = dmf_chain_randomize(chain, spec->seed);
    if (status == DMF_OK) status = dmf_chain_densify(chain, out);
    dmf_chain_free(chain);
    return status;
}

static int add_noise(const dmf_matrix_spec *spec, dmf_matrix *a)
{
    size_t count = a->rows * a->cols;
    dmf_matrix *noise;
    DMF_TRY(dmf_matrix_create(&noise, a->dtype, a->rows, a->cols));
    dmf_rng rng;
    dmf_rng_seed(&rng, spec->seed ^ 0x6E6F697365ull); /* a stream apart from the matrix's */
    dmf_rng_fill_normal(&rng, a->dtype, noise->data, count);
    double scale = spec->noise * dmf_matrix_norm_fro(a) / dmf_matrix_norm_fro(noise);
    for (size_t i = 0; i < count; i++)
        dmf_set(a->dtype, a->data, i,
                dmf_get(a->dtype, a->data, i) + scale * dmf_get(a->dtype, noise->data, i));
    dmf_matrix_free(noise);
    return DMF_OK;
}

int dmf_matrix_builtin(const dmf_matrix_spec *spec, dmf_matrix **out)
{
    *out = NULL;
    const char *name = spec->name ? spec->name : "(null)";
    if ((unsigned)spec->dtype > DMF_C128) return dmf_fail(DMF_ERR_ARG, "invalid dtype");
    if (spec->rows == 0 || spec->cols == 0)
        return dmf_fail(DMF_ERR_SHAPE, "matrix '%s' needs a positive size (got %zu x %zu)", name,
                        spec->rows, spec->cols);
    if (!(spec->noise >= 0) || !isfinite(spec->noise))
        return dmf_fail(DMF_ERR_ARG, "noise level must be a finite number >= 0 (got %g)", spec->noise);
    /* The matrix, and as much again for the noise: refused with the figure
     * before anything is allocated (an unknown name is reported below). */
    for (const char *const *known = builtin_names; *known; known++)
        if (!strcmp(*known, name))
            DMF_TRY(dmf_memory_check((double)spec->rows * (double)spec->cols * (double)dmf_dtype_size(spec->dtype) *
                                         (spec->noise > 0 ? 2 : 1),
                                     "matrix '%s' of %zu x %zu %s%s", name, spec->rows, spec->cols,
                                     dmf_dtype_name(spec->dtype), spec->noise > 0 ? " with noise" : ""));
    int square = spec->rows == spec->cols;
    int status;
    if (!strcmp(name, "gaussian")) {
        DMF_TRY(dmf_matrix_create(out, spec->dtype, spec->rows, spec->cols));
        dmf_rng rng;
        dmf_rng_seed(&rng, spec->seed);
        dmf_rng_fill_normal(&rng, spec->dtype, (*out)->data, spec->rows * spec->cols);
        status = DMF_OK;
    } else if (!strcmp(name, "random-chain")) {
        status = random_chain(spec, out);
    } else {
        entry_fn entry = NULL;
        int needs_pow2 = 0, complex_only = 0;
        if (!strcmp(name, "hadamard")) entry = hadamard_entry, needs_pow2 = 1;
        else if (!strcmp(name, "dft")) entry = dft_entry, complex_only = 1;
        else if (!strcmp(name, "dft-bitrev")) entry = dft_bitrev_entry, needs_pow2 = complex_only = 1;
        else if (!strcmp(name, "dct2")) entry = dct2_entry;
        else if (!strcmp(name, "dst2")) entry = dst2_entry;
        else
            return dmf_fail(DMF_ERR_ARG,
                            "unknown matrix '%s' (expected hadamard, dft, dft-bitrev, dct2, dst2, "
                            "random-chain or gaussian)", name);
        if (!square)
            return dmf_fail(DMF_ERR_SHAPE, "matrix '%s' is square: got %zu x %zu", name,
                            spec->rows, spec->cols);
        if (needs_pow2 && !is_pow2(spec->rows))
            return dmf_fail(DMF_ERR_SHAPE, "matrix '%s' needs a power-of-two size (got %zu)", name,
                            spec->rows);
        if (complex_only && !dmf_dtype_is_complex(spec->dtype))
            return dmf_fail(DMF_ERR_ARG, "matrix '%s' is complex: use dtype c64 or c128", name);
        if (entry == dft_entry || entry == dft_bitrev_entry) status = fill_dft(spec, out, entry == dft_bitrev_entry);
        else status = fill_square(spec, out, entry);
    }
    if (status == DMF_OK && spec->noise > 0) status = add_noise(spec, *out);
    if (status != DMF_OK) {
        dmf_matrix_free(*out);
        *out = NULL;
    }
    return status;
}
