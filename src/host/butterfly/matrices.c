/* Built-in test matrices with known butterfly structure (or none). */
#include <math.h>
#include <stdlib.h>
#include <omp.h>
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

/* What a row function needs: the size and the table roots[m] =
 * exp(2 pi i m / 4n), m < 4n, from which every DCT-II and DST-II entry is
 * read (indices stepped in integers, so large n stays exact and 4n sincos
 * calls replace n^2). */
typedef struct {
    size_t n;
    double complex *roots;
} gen_ctx;

/* Row i of a real or complex built-in, in double precision. */
typedef void (*row_fn)(size_t i, double complex *row, const gen_ctx *g);

static void store_row(dmf_dtype dtype, void *data, size_t offset, const double complex *row, size_t n)
{
    switch (dtype) {
    case DMF_F32: for (size_t j = 0; j < n; j++) ((float *)data)[offset + j] = (float)creal(row[j]); break;
    case DMF_F64: for (size_t j = 0; j < n; j++) ((double *)data)[offset + j] = creal(row[j]); break;
    case DMF_C64: for (size_t j = 0; j < n; j++) ((float complex *)data)[offset + j] = (float complex)row[j]; break;
    default: memcpy((double complex *)data + offset, row, n * sizeof *row); break;
    }
}

/* Fills a square n x n matrix a row at a time: each thread forms a row in a
 * buffer that stays in its cache, then rounds it once to the target dtype,
 * so the matrix is written at memory speed. */
static int fill_square(const dmf_matrix_spec *spec, dmf_matrix **out, row_fn fill_row)
{
    gen_ctx g = {spec->rows, NULL};
    const size_t threads = (size_t)omp_get_max_threads();
    g.roots = malloc(4 * g.n * sizeof *g.roots);
    double complex *rows = malloc(threads * g.n * sizeof *rows);
    int status = g.roots && rows ? DMF_OK
                                 : dmf_fail(DMF_ERR_NOMEM, "cannot allocate the tables of a %zu x %zu matrix", g.n, g.n);
    for (size_t m = 0; status == DMF_OK && m < 4 * g.n; m++) {
        double angle = 2.0 * M_PI * (double)m / (4.0 * (double)g.n);
        g.roots[m] = cos(angle) + I * sin(angle);
    }
    if (status == DMF_OK) status = dmf_matrix_create(out, spec->dtype, g.n, g.n);
    if (status == DMF_OK) {
#pragma omp parallel
        {
            double complex *row = rows + (size_t)omp_get_thread_num() * g.n;
#pragma omp for schedule(static)
            for (size_t i = 0; i < g.n; i++) {
                fill_row(i, row, &g);
                store_row(spec->dtype, (*out)->data, i * g.n, row, g.n);
            }
        }
    }
    free(g.roots);
    free(rows);
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

/* (-1)^popcount(i & j) by doubling: entries j + h, j < h = 2^b, are
 * entries j times (-1)^(bit b of i). */
static void hadamard_row(size_t i, double complex *row, const gen_ctx *g)
{
    row[0] = 1.0;
    for (size_t half = 1; half < g->n; half *= 2) {
        const double sign = i & half ? -1.0 : 1.0;
        for (size_t j = 0; j < half; j++) row[half + j] = sign * row[j];
    }
}

/* cos(pi (2j+1) k / 2n) = Re roots[(2j+1) k mod 4n], the index stepped by
 * 2k mod 4n in integers. */
static void dct2_row(size_t k, double complex *row, const gen_ctx *g)
{
    const size_t period = 4 * g->n, step = 2 * k % period;
    const double scale = sqrt((k == 0 ? 1.0 : 2.0) / (double)g->n);
    for (size_t j = 0, m = k; j < g->n; j++) {
        row[j] = scale * creal(g->roots[m]);
        m += step;
        if (m >= period) m -= period;
    }
}

/* sin(pi (2j+1)(k+1) / 2n) = Im roots[(2j+1)(k+1) mod 4n]. */
static void dst2_row(size_t k, double complex *row, const gen_ctx *g)
{
    const size_t period = 4 * g->n, step = 2 * (k + 1) % period;
    const double scale = sqrt((k == g->n - 1 ? 1.0 : 2.0) / (double)g->n);
    for (size_t j = 0, m = k + 1; j < g->n; j++) {
        row[j] = scale * cimag(g->roots[m]);
        m += step;
        if (m >= period) m -= period;
    }
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

/* a += scale e over the real view, in double, rounded once per part (as
 * one complex operation would round each part). */
static void add_scaled(dmf_dtype dtype, void *a, const void *e, double scale, size_t count)
{
    const size_t reals = dmf_dtype_is_complex(dtype) ? 2 * count : count;
    if (dtype == DMF_F32 || dtype == DMF_C64) {
        float *x = a;
        const float *y = e;
#pragma omp parallel for schedule(static)
        for (size_t i = 0; i < reals; i++) x[i] = (float)((double)x[i] + scale * (double)y[i]);
    } else {
        double *x = a;
        const double *y = e;
#pragma omp parallel for schedule(static)
        for (size_t i = 0; i < reals; i++) x[i] += scale * y[i];
    }
}

static int add_noise(const dmf_matrix_spec *spec, dmf_matrix *a)
{
    dmf_matrix *noise;
    DMF_TRY(dmf_matrix_create(&noise, a->dtype, a->rows, a->cols));
    dmf_rng rng;
    dmf_rng_seed(&rng, spec->seed ^ 0x6E6F697365ull); /* a stream apart from the matrix's */
    dmf_rng_fill_normal(&rng, a->dtype, noise->data, a->rows * a->cols);
    double scale = spec->noise * dmf_matrix_norm_fro(a) / dmf_matrix_norm_fro(noise);
    add_scaled(a->dtype, a->data, noise->data, scale, a->rows * a->cols);
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
        row_fn fill_row = NULL;
        int needs_pow2 = 0, complex_only = 0, dft = 0, bitrev = 0;
        if (!strcmp(name, "hadamard")) fill_row = hadamard_row, needs_pow2 = 1;
        else if (!strcmp(name, "dft")) dft = complex_only = 1;
        else if (!strcmp(name, "dft-bitrev")) dft = bitrev = needs_pow2 = complex_only = 1;
        else if (!strcmp(name, "dct2")) fill_row = dct2_row;
        else if (!strcmp(name, "dst2")) fill_row = dst2_row;
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
        status = dft ? fill_dft(spec, out, bitrev) : fill_square(spec, out, fill_row);
    }
    if (status == DMF_OK && spec->noise > 0) status = add_noise(spec, *out);
    if (status != DMF_OK) {
        dmf_matrix_free(*out);
        *out = NULL;
    }
    return status;
}
