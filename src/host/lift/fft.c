/* The DFT of real signals (fft.h).  Powers of two: iterative radix-2
 * Cooley-Tukey with a table of twiddles; other lengths n: Bluestein's
 * identity t w = (t^2 + w^2 - (w - t)^2) / 2 turns the DFT into a circular
 * convolution with the chirp exp(i pi t^2 / n), done by radix 2 on the
 * next power of two >= 2n - 1.  The chirp's phase uses t^2 mod 2n, so it
 * stays exact for long signals.  Errors are those of an FFT, O(eps log n)
 * relative to the signal's norm. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fft.h"
#include "internal.h"

typedef struct {
    size_t n, m;              /* the length; the power of two transformed (m = n for powers of two) */
    double *wr, *wi;          /* m / 2 twiddles exp(-2 pi i j / m) */
    double *cr, *ci;          /* Bluestein: the chirp exp(-i pi t^2 / n), t < n */
    double *br, *bi;          /* Bluestein: the DFT of the conjugate chirp, wrapped, length m */
    double *ar, *ai;          /* Bluestein: work, length m */
} plan;

static int is_pow2(size_t n) { return n && !(n & (n - 1)); }

/* In place, length m (a power of two), forward. */
static void radix2(const plan *p, double *re, double *im)
{
    const size_t m = p->m;
    for (size_t i = 1, j = 0; i < m; i++) {
        size_t bit = m >> 1;
        for (; j & bit; bit >>= 1) j ^= bit;
        j |= bit;
        if (i < j) {
            double t = re[i];
            re[i] = re[j];
            re[j] = t;
            t = im[i];
            im[i] = im[j];
            im[j] = t;
        }
    }
    for (size_t len = 2; len <= m; len <<= 1) {
        size_t half = len >> 1, step = m / len;
        for (size_t i = 0; i < m; i += len)
            for (size_t j = 0; j < half; j++) {
                double c = p->wr[j * step], s = p->wi[j * step];
                size_t a = i + j, b = a + half;
                double xr = re[b] * c - im[b] * s, xi = re[b] * s + im[b] * c;
                re[b] = re[a] - xr;
                im[b] = im[a] - xi;
                re[a] += xr;
                im[a] += xi;
            }
    }
}

static void plan_free(plan *p)
{
    free(p->wr);
    free(p->wi);
    free(p->cr);
    free(p->ci);
    free(p->br);
    free(p->bi);
    free(p->ar);
    free(p->ai);
}

static int plan_init(plan *p, size_t n)
{
    memset(p, 0, sizeof *p);
    p->n = n;
    p->m = n;
    if (!is_pow2(n)) {
        p->m = 1;
        while (p->m < 2 * n - 1) p->m <<= 1;
    }
    const size_t m = p->m;
    p->wr = malloc((m / 2 + 1) * sizeof *p->wr);
    p->wi = malloc((m / 2 + 1) * sizeof *p->wi);
    if (!p->wr || !p->wi) goto nomem;
    for (size_t j = 0; j < m / 2; j++) {
        double t = -2 * M_PI * (double)j / (double)m;
        p->wr[j] = cos(t);
        p->wi[j] = sin(t);
    }
    if (m == n) return DMF_OK;
    p->cr = malloc(n * sizeof *p->cr);
    p->ci = malloc(n * sizeof *p->ci);
    p->br = calloc(m, sizeof *p->br);
    p->bi = calloc(m, sizeof *p->bi);
    p->ar = malloc(m * sizeof *p->ar);
    p->ai = malloc(m * sizeof *p->ai);
    if (!p->cr || !p->ci || !p->br || !p->bi || !p->ar || !p->ai) goto nomem;
    for (size_t t = 0; t < n; t++) {
        size_t sq = (size_t)(((unsigned long long)t * t) % (2ULL * n));
        double a = -M_PI * (double)sq / (double)n;
        p->cr[t] = cos(a);
        p->ci[t] = sin(a);
    }
    for (size_t t = 0; t < n; t++) { /* conj(chirp) at t and at -t */
        p->br[t] = p->cr[t];
        p->bi[t] = -p->ci[t];
        if (t) {
            p->br[m - t] = p->cr[t];
            p->bi[m - t] = -p->ci[t];
        }
    }
    radix2(p, p->br, p->bi);
    return DMF_OK;
nomem:
    plan_free(p);
    return dmf_fail(DMF_ERR_NOMEM, "cannot allocate a Fourier transform of length %zu", n);
}

/* The DFT of length n of (re, im) in place (arrays of p->n). */
static void dft(plan *p, double *re, double *im)
{
    if (p->m == p->n) {
        radix2(p, re, im);
        return;
    }
    const size_t n = p->n, m = p->m;
    for (size_t t = 0; t < n; t++) {
        p->ar[t] = re[t] * p->cr[t] - im[t] * p->ci[t];
        p->ai[t] = re[t] * p->ci[t] + im[t] * p->cr[t];
    }
    memset(p->ar + n, 0, (m - n) * sizeof *p->ar);
    memset(p->ai + n, 0, (m - n) * sizeof *p->ai);
    radix2(p, p->ar, p->ai);
    /* times the chirp's DFT, then the inverse as the conjugate of the
     * forward transform of the conjugate */
    for (size_t j = 0; j < m; j++) {
        double r = p->ar[j] * p->br[j] - p->ai[j] * p->bi[j];
        double i = p->ar[j] * p->bi[j] + p->ai[j] * p->br[j];
        p->ar[j] = r;
        p->ai[j] = -i;
    }
    radix2(p, p->ar, p->ai);
    for (size_t w = 0; w < n; w++) {
        double r = p->ar[w] / (double)m, i = -p->ai[w] / (double)m;
        re[w] = r * p->cr[w] - i * p->ci[w];
        im[w] = r * p->ci[w] + i * p->cr[w];
    }
}

int dmf_fft_real_half(size_t n, size_t count, const double *x, double *re, double *im)
{
    if (!n) return DMF_OK;
    const size_t half = n / 2 + 1;
    plan p;
    DMF_TRY(plan_init(&p, n));
    double *zr = malloc(n * sizeof *zr), *zi = malloc(n * sizeof *zi);
    if (!zr || !zi) {
        free(zr);
        free(zi);
        plan_free(&p);
        return dmf_fail(DMF_ERR_NOMEM, "cannot allocate a Fourier transform of length %zu", n);
    }
    /* z = x_a + i x_b: X_a(w) = (Z(w) + conj Z(-w)) / 2, X_b(w) = (Z(w) - conj Z(-w)) / 2i */
    for (size_t s = 0; s < count; s += 2) {
        const double *a = x + s * n, *b = s + 1 < count ? x + (s + 1) * n : NULL;
        memcpy(zr, a, n * sizeof *zr);
        if (b) memcpy(zi, b, n * sizeof *zi);
        else memset(zi, 0, n * sizeof *zi);
        dft(&p, zr, zi);
        for (size_t w = 0; w < half; w++) {
            size_t v = w ? n - w : 0;
            re[s * half + w] = (zr[w] + zr[v]) / 2;
            im[s * half + w] = (zi[w] - zi[v]) / 2;
            if (b) {
                re[(s + 1) * half + w] = (zi[w] + zi[v]) / 2;
                im[(s + 1) * half + w] = (zr[v] - zr[w]) / 2;
            }
        }
    }
    free(zr);
    free(zi);
    plan_free(&p);
    return DMF_OK;
}
