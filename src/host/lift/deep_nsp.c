/* The deep-Null Space Property constant of Ker A (paper 001, Definition
 * 7.1; SPARS 2017, Definition 1) for the model R^{S_1} x ... x R^{S_K},
 * where P(M) = Sigma_1 (the rank-one tensors) and the differences
 * T in Sigma_1 - Sigma_1 are the tensors of rank <= 2 (Sigma_2).
 *
 * Definition: (gamma, rho) is valid when ||T|| <= gamma ||T - T'|| for every
 * T in Sigma_2 with ||A T|| <= rho and every T' in Ker A.  The infimum over
 * T' is the distance of T to Ker A, ||P_perp T||; Sigma_2 is a cone and the
 * ratio is scale-free, so the localisation ||A T|| <= rho changes nothing
 * (any rho > 0 gives the same constant, rho = inf included) and
 *
 *     gamma_min = sup_{T in Sigma_2} ||T|| / ||P_perp T|| = 1 / sin(theta),
 *
 * theta the least angle between the cones Sigma_2 and Ker A (both
 * symmetric, so theta <= pi/2).  The same angle seen from the kernel:
 *
 *     gamma_min = sup_{T' in Ker A, ||T'|| = 1} 1 / dist(T', Sigma_2),
 *
 * the form (7.4) of the paper (which carries gamma + 1 from the triangle
 * inequality; the cone makes it exact).  gamma_min = inf (the property
 * fails for every rho) when Ker A meets the closure of Sigma_2 outside 0.
 *
 * What is computed:
 * - Ker A = {0}: gamma = 1 (the paper's first "trivial fact"), exact;
 * - a zero column of A (a basis tensor e_i1 (x) ... (x) e_iK in Ker A) or
 *   two parallel columns (e_i - c e_j in Ker A, a difference of rank-one
 *   tensors): the property fails, exact;
 * - otherwise, for small A, local searches that minimise dist(T', Sigma_2)
 *   over the unit sphere of Ker A by alternating projections from random
 *   starts: T <- a point of Sigma_2 near T' (the best rank-2 approximation,
 *   exact by Eckart-Young, for two modes; ALS sweeps on two rank-one terms
 *   for more), T' <- P_Ker T / ||P_Ker T||, each step lowering ||T' - T||;
 *   for two modes then BFGS on dist(T', Sigma_2)^2, smooth where sigma_2 >
 *   sigma_3 (alternating projections alone are gradient steps of fixed
 *   length, which crawl in narrow valleys).  Each search ends at a unit T' of Ker A with a point T of Sigma_2, so
 *   1 / ||T' - T|| <= 1 / dist(T', Sigma_2) <= gamma_min: the estimate is a
 *   lower bound on the smallest valid gamma, whatever the searches missed. */
#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "memory.h"
#include "network.h"
#include "params.h"

#define DEFAULT_STARTS 24
#define DEFAULT_ITERATIONS 500
#define DEFAULT_ENTRIES 2000000
#define DEFAULT_COLUMNS 1024
#define DEFAULT_KERNEL 128

typedef struct {
    size_t K, dims[DMF_MAX_LAYERS], n; /* the modes of size > 1, last index fastest */
} shape;

static double dot(const double *a, const double *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

static int cmp_key(const void *a, const void *b)
{
    const double *x = a, *y = b;
    return (x[0] > y[0]) - (x[0] < y[0]);
}

/* A zero column, or two parallel ones, of the D x n column-major A: a
 * rank-one tensor or a difference of two in Ker A.  Columns are scaled to
 * unit norm with a positive first entry and sorted by a random projection;
 * parallel columns then sit in a run of equal keys. */
static int exact_failure(const double *a, size_t D, size_t n, const char **method, const char **why)
{
    double top = 0;
    for (size_t c = 0; c < n; c++) top = fmax(top, sqrt(dot(a + c * D, a + c * D, D)));
    const double zero = (double)(D > n ? D : n) * DBL_EPSILON * top;
    for (size_t c = 0; c < n; c++)
        if (!(sqrt(dot(a + c * D, a + c * D, D)) > zero)) {
            *method = "exact: a zero column of A";
            *why = "Ker A contains a rank-one tensor (a basis tensor whose paths reach no entry of X): "
                   "the deep-NSP fails (gamma = inf), the parameters are not identifiable";
            return 1;
        }
    double *unit = malloc(D * n * sizeof *unit + 8), *w = malloc(D * sizeof *w + 8);
    double *key = malloc(2 * n * sizeof *key + 16);
    if (!unit || !w || !key) {
        free(unit), free(w), free(key);
        return dmf_fail(DMF_ERR_NOMEM, "cannot allocate the columns of the lifted operator");
    }
    dmf_rng rng;
    dmf_rng_seed(&rng, 0x6465657025ULL);
    for (size_t i = 0; i < D; i++) w[i] = dmf_rng_normal(&rng);
    for (size_t c = 0; c < n; c++) {
        const double *col = a + c * D;
        double *u = unit + c * D, norm = sqrt(dot(col, col, D)), sign = 1;
        for (size_t i = 0; i < D; i++)
            if (fabs(col[i]) > 1e-8 * norm) {
                sign = col[i] < 0 ? -1 : 1;
                break;
            }
        for (size_t i = 0; i < D; i++) u[i] = sign * col[i] / norm;
        key[2 * c] = dot(u, w, D);
        key[2 * c + 1] = (double)c;
    }
    qsort(key, n, 2 * sizeof *key, cmp_key);
    const double wn = sqrt(dot(w, w, D));
    int found = 0;
    for (size_t i = 0; i < n && !found; i++)
        for (size_t j = i + 1; j < n && key[2 * j] - key[2 * i] <= 1e-10 * wn && !found; j++) {
            const double *u = unit + (size_t)key[2 * i + 1] * D, *v = unit + (size_t)key[2 * j + 1] * D;
            double diff = 0;
            for (size_t r = 0; r < D; r++) diff = fmax(diff, fabs(u[r] - v[r]));
            found = diff <= 1e-13;
        }
    free(unit), free(w), free(key);
    if (found) {
        *method = "exact: two parallel columns of A";
        *why = "Ker A contains e_i - c e_j, a difference of rank-one tensors (two paths with the same "
               "effect on X): the deep-NSP fails (gamma = inf), the parameters are not identifiable";
    }
    return found;
}

/* The kernel of the D x n column-major A (destroyed): its rank under
 * sigma > max(D, n) eps sigma_1 (the rule of dmf_lift_sigma_min) and the
 * n - rank right singular vectors beyond it, row-major in *kernel.  A tall
 * A is first reduced to its n x n triangle R (QR: the same singular values
 * and right vectors), so that divide and conquer (dgesdd, all of V) never
 * holds more than n x n left vectors. */
static int kernel_basis(double *a, size_t D, size_t n, size_t *rank, double **kernel, double *cond,
                        double *sv_min)
{
    size_t m = D < n ? D : n;
    double *sv = malloc((m + 1) * sizeof *sv), *vt = malloc(n * n * sizeof *vt + 8);
    double *u = malloc(m * m * sizeof *u + 8), *tau = malloc((m + 1) * sizeof *tau);
    double *r = D > n ? calloc(n * n + 1, sizeof *r) : NULL;
    if (!sv || !vt || !u || !tau || (D > n && !r)) {
        free(sv), free(vt), free(u), free(tau), free(r);
        return dmf_fail(DMF_ERR_NOMEM, "cannot allocate the SVD of the lifted operator (%zu x %zu)", D, n);
    }
    lapack_int info = 0;
    double *mat = a;
    if (D > n) {
        info = LAPACKE_dgeqrf(LAPACK_COL_MAJOR, (lapack_int)D, (lapack_int)n, a, (lapack_int)D, tau);
        for (size_t j = 0; j < n; j++)
            for (size_t i = 0; i <= j; i++) r[i + j * n] = a[i + j * D];
        mat = r;
    }
    if (info == 0)
        info = LAPACKE_dgesdd(LAPACK_COL_MAJOR, 'A', (lapack_int)m, (lapack_int)n, mat, (lapack_int)m, sv, u,
                              (lapack_int)m, vt, (lapack_int)n);
    free(u), free(tau), free(r);
    if (info != 0) {
        free(sv), free(vt);
        return dmf_fail(DMF_ERR_NUMERIC, "LAPACK's SVD of the lifted operator did not converge (info %d)", (int)info);
    }
    double tol = (double)(D > n ? D : n) * DBL_EPSILON * (m ? sv[0] : 0);
    size_t rk = 0;
    while (rk < m && sv[rk] > tol) rk++;
    *rank = rk;
    *cond = rk ? sv[0] / sv[rk - 1] : 1;
    *sv_min = rk ? sv[rk - 1] : 0;
    size_t k = n - rk;
    double *q = malloc(k * n * sizeof *q + 8);
    if (!q) {
        free(sv), free(vt);
        return dmf_fail(DMF_ERR_NOMEM, "cannot allocate the kernel of the lifted operator");
    }
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < n; j++) q[i * n + j] = vt[(rk + i) + j * n];
    free(sv), free(vt);
    *kernel = q;
    return DMF_OK;
}

/* A point of Sigma_2 near t, in fit; returns the distance ||t - fit||.
 * Two modes: the best rank-2 approximation (Eckart-Young: the distance is
 * that of the singular values beyond the second).  More: ALS `sweeps` on
 * the factors u (mode k: dims[k] x 2, entry [i * 2 + r]), warm-started. */
typedef struct {
    const shape *sh;
    double *u[DMF_MAX_LAYERS];
    double *mat, *sv, *left, *right, *superb; /* two modes */
    double *m;                                /* more modes: dims[k] x 2 */
} fitter;

static double fit_two(fitter *f, const double *t, double *fit)
{
    const size_t a = f->sh->dims[0], b = f->sh->dims[1], m = a < b ? a : b;
    if (m <= 2) {
        memcpy(fit, t, a * b * sizeof *fit);
        return 0;
    }
    memcpy(f->mat, t, a * b * sizeof *f->mat);
    lapack_int info = LAPACKE_dgesvd(LAPACK_ROW_MAJOR, 'S', 'S', (lapack_int)a, (lapack_int)b, f->mat, (lapack_int)b,
                                     f->sv, f->left, (lapack_int)m, f->right, (lapack_int)b, f->superb);
    if (info != 0) return NAN;
    for (size_t i = 0; i < a; i++)
        for (size_t j = 0; j < b; j++)
            fit[i * b + j] = f->sv[0] * f->left[i * m] * f->right[j] + f->sv[1] * f->left[i * m + 1] * f->right[b + j];
    double rest = 0;
    for (size_t i = 2; i < m; i++) rest += f->sv[i] * f->sv[i];
    return sqrt(rest);
}

static void outer2(const shape *sh, double *const *u, double *fit)
{
    size_t idx[DMF_MAX_LAYERS] = {0};
    for (size_t c = 0; c < sh->n; c++) {
        double p0 = 1, p1 = 1;
        for (size_t k = 0; k < sh->K; k++) p0 *= u[k][idx[k] * 2], p1 *= u[k][idx[k] * 2 + 1];
        fit[c] = p0 + p1;
        for (size_t k = sh->K; k-- > 0;) {
            if (++idx[k] < sh->dims[k]) break;
            idx[k] = 0;
        }
    }
}

static double fit_als(fitter *f, const double *t, double *fit, size_t sweeps)
{
    const shape *sh = f->sh;
    for (size_t s = 0; s < sweeps; s++)
        for (size_t k = 0; k < sh->K; k++) {
            /* u_k = t_(k) (Khatri-Rao of the others) (Hadamard of their Grams)^-1 */
            double g[3] = {1, 1, 1}; /* g00, g01, g11 */
            for (size_t j = 0; j < sh->K; j++) {
                if (j == k) continue;
                double s00 = 0, s01 = 0, s11 = 0;
                for (size_t i = 0; i < sh->dims[j]; i++) {
                    double x = f->u[j][2 * i], y = f->u[j][2 * i + 1];
                    s00 += x * x, s01 += x * y, s11 += y * y;
                }
                g[0] *= s00, g[1] *= s01, g[2] *= s11;
            }
            memset(f->m, 0, 2 * sh->dims[k] * sizeof *f->m);
            size_t idx[DMF_MAX_LAYERS] = {0};
            for (size_t c = 0; c < sh->n; c++) {
                double p0 = t[c], p1 = t[c];
                for (size_t j = 0; j < sh->K; j++)
                    if (j != k) p0 *= f->u[j][idx[j] * 2], p1 *= f->u[j][idx[j] * 2 + 1];
                f->m[2 * idx[k]] += p0;
                f->m[2 * idx[k] + 1] += p1;
                for (size_t j = sh->K; j-- > 0;) {
                    if (++idx[j] < sh->dims[j]) break;
                    idx[j] = 0;
                }
            }
            /* The 2 x 2 system through its eigenvalues, those below 1e-13 of
             * the largest dropped (the minimum-norm solution when the two
             * terms are parallel). */
            double tr = g[0] + g[2], df = g[0] - g[2], root = sqrt(df * df / 4 + g[1] * g[1]);
            double l0 = tr / 2 + root, l1 = tr / 2 - root;
            double c0, s0; /* eigenvector of l0 */
            if (root == 0) c0 = 1, s0 = 0;
            else {
                double th = 0.5 * atan2(2 * g[1], df);
                c0 = cos(th), s0 = sin(th);
            }
            double i0 = l0 > 0 ? 1 / l0 : 0, i1 = l1 > 1e-13 * l0 ? 1 / l1 : 0;
            double p00 = i0 * c0 * c0 + i1 * s0 * s0, p01 = (i0 - i1) * c0 * s0, p11 = i0 * s0 * s0 + i1 * c0 * c0;
            for (size_t i = 0; i < sh->dims[k]; i++) {
                double x = f->m[2 * i], y = f->m[2 * i + 1];
                f->u[k][2 * i] = p00 * x + p01 * y;
                f->u[k][2 * i + 1] = p01 * x + p11 * y;
            }
        }
    /* Balance each term's norms over the modes (the same tensor). */
    for (size_t r = 0; r < 2; r++) {
        double norms[DMF_MAX_LAYERS], logsum = 0;
        int zero = 0;
        for (size_t k = 0; k < sh->K; k++) {
            double s = 0;
            for (size_t i = 0; i < sh->dims[k]; i++) s += f->u[k][2 * i + r] * f->u[k][2 * i + r];
            norms[k] = sqrt(s);
            zero |= !(norms[k] > 0);
            logsum += log(norms[k]);
        }
        if (zero) continue;
        double mean = exp(logsum / (double)sh->K);
        for (size_t k = 0; k < sh->K; k++)
            for (size_t i = 0; i < sh->dims[k]; i++) f->u[k][2 * i + r] *= mean / norms[k];
    }
    outer2(sh, f->u, fit);
    double d = 0;
    for (size_t c = 0; c < sh->n; c++) d += (t[c] - fit[c]) * (t[c] - fit[c]);
    return sqrt(d);
}

/* t = sum_i z_i q_i / ||z|| (unit: q's rows are orthonormal). */
static void combine(const double *q, size_t k, size_t n, const double *z, double *t)
{
    double nz = sqrt(dot(z, z, k));
    memset(t, 0, n * sizeof *t);
    for (size_t i = 0; i < k; i++) {
        double c = z[i] / nz;
        for (size_t j = 0; j < n; j++) t[j] += c * q[i * n + j];
    }
}

/* Two modes: F(z) = dist(t, Sigma_2)^2 for t = combine(z), and its gradient
 * in z (Eckart-Young: d/dT of the tail is 2 (T - P_2 T) where sigma_2 >
 * sigma_3), projected off z (F is scale-free). */
static double value_grad(fitter *f, const double *q, size_t k, size_t n, const double *z, double *t, double *fit,
                         double *g)
{
    combine(q, k, n, z, t);
    double d = fit_two(f, t, fit);
    if (isnan(d)) return NAN;
    double nz = sqrt(dot(z, z, k)), F = d * d;
    for (size_t i = 0; i < k; i++) g[i] = 2 * (dot(q + i * n, t, n) - dot(q + i * n, fit, n)) / nz;
    for (size_t i = 0; i < k; i++) g[i] -= 2 * F * z[i] / (nz * nz);
    return F;
}

/* BFGS on F over the unit sphere of R^k (two modes): the step is kept
 * tangent to the sphere and the new point pulled back onto it (F is
 * scale-free, its gradient -1-homogeneous), the secant pair taken between
 * unit points; Armijo backtracking.  Returns F at z and sets *done when
 * the gradient of the distance d = sqrt F falls below 1e-7 (||g|| <=
 * 2e-7 d) or d reaches `zero`; *evals counts the evaluations. */
static double bfgs(fitter *f, const double *q, size_t k, size_t n, double *z, size_t iterations, double zero,
                   double *t, double *fit, double *h, double *g, double *work, int *done, size_t *evals)
{
    double *g2 = work, *p = work + k, *z2 = work + 2 * k, *y = work + 3 * k, *hy = work + 4 * k;
    double nz = sqrt(dot(z, z, k));
    for (size_t i = 0; i < k; i++) z[i] /= nz;
    double F = value_grad(f, q, k, n, z, t, fit, g);
    ++*evals;
    *done = 0;
    for (size_t i = 0; i < k * k; i++) h[i] = (i % (k + 1)) == 0;
    for (size_t it = 0; it < iterations && !isnan(F); it++) {
        if (F <= zero * zero || sqrt(dot(g, g, k)) <= 2e-7 * sqrt(F)) {
            *done = 1;
            break;
        }
        for (size_t i = 0; i < k; i++) p[i] = -dot(h + i * k, g, k);
        double along = dot(p, z, k), slope;
        for (size_t i = 0; i < k; i++) p[i] -= along * z[i];
        slope = dot(g, p, k);
        if (!(slope < 0)) { /* not a descent direction: steepest descent, the metric afresh */
            for (size_t i = 0; i < k; i++) p[i] = -g[i];
            for (size_t i = 0; i < k * k; i++) h[i] = (i % (k + 1)) == 0;
            slope = -dot(g, g, k);
        }
        double alpha = 1, F2 = NAN;
        int accepted = 0;
        for (int back = 0; back < 50 && !accepted; back++, alpha /= 2) {
            for (size_t i = 0; i < k; i++) z2[i] = z[i] + alpha * p[i];
            double n2 = sqrt(dot(z2, z2, k));
            for (size_t i = 0; i < k; i++) z2[i] /= n2;
            F2 = value_grad(f, q, k, n, z2, t, fit, g2);
            ++*evals;
            if (isnan(F2)) return NAN;
            accepted = F2 <= F + 1e-4 * alpha * slope;
        }
        if (!accepted) /* no decrease left above rounding */
            break;
        double sy, yhy;
        for (size_t i = 0; i < k; i++) y[i] = g2[i] - g[i], p[i] = z2[i] - z[i];
        for (size_t i = 0; i < k; i++) hy[i] = dot(h + i * k, y, k);
        sy = dot(p, y, k), yhy = dot(y, hy, k);
        if (sy > 1e-14 * sqrt(dot(p, p, k) * dot(y, y, k))) {
            /* H += (1 + y'Hy / s'y) s s' / s'y - (s (Hy)' + (Hy) s') / s'y */
            double c = (1 + yhy / sy) / sy;
            for (size_t i = 0; i < k; i++)
                for (size_t j = 0; j < k; j++) h[i * k + j] += c * p[i] * p[j] - (p[i] * hy[j] + hy[i] * p[j]) / sy;
        }
        memcpy(z, z2, k * sizeof *z);
        memcpy(g, g2, k * sizeof *g);
        F = F2;
    }
    if (!*done) *done = F <= zero * zero || sqrt(dot(g, g, k)) <= 2e-7 * sqrt(F);
    /* t and fit at z, for the caller */
    combine(q, k, n, z, t);
    double d = fit_two(f, t, fit);
    return d * d;
}

/* The local searches on the unit sphere of span(q) (k x n, orthonormal
 * rows): the least distance of each, and how many converged.  Two modes:
 * 10 alternating projections, then BFGS on the squared distance (exact by
 * Eckart-Young); converged when its gradient vanishes.  More modes:
 * alternating projections with ALS, converged when the component of
 * q (t - fit) along the sphere (the gradient of the distance, had the ALS
 * point been the nearest) falls below 1e-8. */
static int search(const shape *sh, const double *q, size_t k, const dmf_deep_nsp_options *o, double zero,
                  double *dist, size_t *converged)
{
    const size_t n = sh->n, two = sh->K == 2;
    size_t mdim = 1, factors = 0;
    for (size_t j = 0; j < sh->K; j++) mdim = sh->dims[j] > mdim ? sh->dims[j] : mdim, factors += 2 * sh->dims[j];
    double *t = malloc(n * sizeof *t + 8), *fit = malloc(n * sizeof *fit + 8), *z = malloc(k * sizeof *z + 8);
    double *work = malloc((4 * n + 4 * mdim + 2 * factors + 16) * sizeof *work);
    double *bf = malloc((k * k + 7 * k + 8) * sizeof *bf);
    if (!t || !fit || !z || !work || !bf) {
        free(t), free(fit), free(z), free(work), free(bf);
        return dmf_fail(DMF_ERR_NOMEM, "cannot allocate the deep-NSP search");
    }
    fitter f = {.sh = sh};
    if (two) {
        f.mat = work, f.left = work + n, f.right = work + 2 * n, f.sv = work + 3 * n, f.superb = f.sv + mdim + 1;
    } else {
        f.m = work;
        double *next = work + 2 * mdim;
        for (size_t j = 0; j < sh->K; j++) f.u[j] = next, next += 2 * sh->dims[j];
    }
    dmf_rng rng;
    dmf_rng_seed(&rng, o->seed);
    *converged = 0;
    int status = DMF_OK;
    size_t evals = 0;
    for (size_t s = 0; s < o->starts && status == DMF_OK; s++) {
        for (size_t i = 0; i < k; i++) z[i] = dmf_rng_normal(&rng);
        if (!two)
            for (size_t j = 0; j < sh->K; j++)
                for (size_t i = 0; i < 2 * sh->dims[j]; i++) f.u[j][i] = dmf_rng_normal(&rng);
        double best = INFINITY;
        int done = 0;
        size_t warm = two ? 10 : o->max_iterations;
        for (size_t it = 0; it < warm && !done; it++) {
            if (!(dot(z, z, k) > 0)) break;
            combine(q, k, n, z, t);
            double d = two ? fit_two(&f, t, fit) : fit_als(&f, t, fit, it ? 2 : 20);
            if (isnan(d)) {
                status = dmf_fail(DMF_ERR_NUMERIC, "an SVD of the deep-NSP search did not converge");
                break;
            }
            best = fmin(best, d);
            for (size_t i = 0; i < k; i++) z[i] = dot(q + i * n, fit, n);
            /* the tangential part of q (t - fit): z holds q fit, and q t is t's coordinates */
            double along = 0, tang = 0;
            for (size_t i = 0; i < k; i++) along += dot(q + i * n, t, n) * (dot(q + i * n, t, n) - z[i]);
            for (size_t i = 0; i < k; i++) {
                double c = dot(q + i * n, t, n), r = c - z[i] - along * c;
                tang += r * r;
            }
            done = d <= zero || (!two && sqrt(tang) <= 1e-8);
        }
        if (status == DMF_OK && two && !done && dot(z, z, k) > 0) {
            double F = bfgs(&f, q, k, n, z, o->max_iterations, zero, t, fit, bf, bf + k * k, bf + k * k + k, &done,
                            &evals);
            if (isnan(F)) status = dmf_fail(DMF_ERR_NUMERIC, "an SVD of the deep-NSP search did not converge");
            else best = fmin(best, sqrt(F));
        }
        dist[s] = best;
        *converged += done;
    }
    free(t), free(fit), free(z), free(work), free(bf);
    return status;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int dmf_deep_nsp(const dmf_network *net, const dmf_deep_nsp_options *options, dmf_deep_nsp_report *rep)
{
    const double start = dmf_now_seconds();
    dmf_deep_nsp_options o = options ? *options : (dmf_deep_nsp_options){0};
    if (!o.starts) o.starts = DEFAULT_STARTS;
    if (!o.max_iterations) o.max_iterations = DEFAULT_ITERATIONS;
    if (!o.max_entries) o.max_entries = DEFAULT_ENTRIES;
    if (!o.max_columns) o.max_columns = DEFAULT_COLUMNS;
    if (!o.max_kernel_dim) o.max_kernel_dim = DEFAULT_KERNEL;
    memset(rep, 0, sizeof *rep);
    rep->gamma = rep->distance = rep->gamma_median = rep->gamma_worst = rep->tolerance = rep->sigma_min = NAN;
    const size_t K = net->num_layers, S = net->num_params, D = dmf_network_rows(net) * net->num_probes;
    shape sh = {.n = 1};
    for (size_t k = 0; k < K; k++) {
        size_t p = net->layers[k].params;
        if (!dmf_mul_size(sh.n, p, &sh.n)) sh.n = SIZE_MAX;
        if (sh.n == SIZE_MAX) break;
        if (p > 1) sh.dims[sh.K++] = p;
    }
    const size_t n = sh.n;
    size_t entries;
    rep->columns = n;
    if (n == SIZE_MAX || !dmf_mul_size(n, D, &entries) || entries > o.max_entries) {
        rep->why_not = "not computable: the explicit lifted operator is too large to form";
        rep->time_s = dmf_now_seconds() - start;
        return DMF_OK;
    }
    /* A, the basis tuples dmf_lift_operator samples, and the SVD's n x n
     * right vectors, triangle and (at most n x n) left vectors */
    double square = n <= o.max_columns ? 3.0 * (double)n * (double)n : 0;
    DMF_TRY(dmf_memory_check(8.0 * (2.0 * (double)entries + (double)n * (double)(K * S) + square),
                             "the lifted operator (%zu x %zu)", D, n));
    double *a = malloc(entries * sizeof *a + 8), *q = NULL;
    int status = a ? DMF_OK : dmf_fail(DMF_ERR_NOMEM, "cannot allocate the lifted operator (%zu x %zu)", D, n);
    /* Column c of A: the sample of h = (e_{i_1}, ..., e_{i_K}), c's digits,
     * scaled by 2^-log2_scale where the coefficients would leave double's
     * range (the kernel and the column tests do not depend on the scale). */
    int log2_scale = 0;
    if (status == DMF_OK) status = dmf_lift_operator(dmf_backend_cpu(), net, n, a, &log2_scale);
    int finite = 1;
    for (size_t i = 0; status == DMF_OK && i < entries && finite; i++) finite = isfinite(a[i]);
    if (status == DMF_OK && !finite) {
        free(a);
        rep->why_not = "not computable: the lifted operator has entries beyond the range of double";
        rep->time_s = dmf_now_seconds() - start;
        return DMF_OK;
    }
    rep->computed = status == DMF_OK;
    int fails = 0;
    if (status == DMF_OK) {
        fails = exact_failure(a, D, n, &rep->method, &rep->why_not);
        if (fails < 0) status = fails;
    }
    double cond = 1, sv_min = NAN;
    if (status == DMF_OK && !fails) {
        if (n > o.max_columns) {
            /* The singular values alone still tell whether Ker A = {0}. */
            size_t m = D < n ? D : n;
            double *sv = malloc((m + 1) * sizeof *sv);
            status = sv ? dmf_singular_values(a, D, n, sv) : dmf_fail(DMF_ERR_NOMEM, "cannot allocate the spectrum");
            if (status == DMF_OK) {
                double tol = (double)(D > n ? D : n) * DBL_EPSILON * (m ? sv[0] : 0);
                while (rep->rank < m && sv[rep->rank] > tol) rep->rank++;
                rep->kernel_dim = n - rep->rank;
                sv_min = rep->rank ? sv[rep->rank - 1] : 0;
            }
            free(sv);
            if (status == DMF_OK && rep->kernel_dim) {
                rep->computed = 0;
                rep->why_not = "not computable: Ker A not formed, S_1...S_K exceeds the columns limit "
                               "(its n x n right singular vectors)";
            }
        } else {
            status = kernel_basis(a, D, n, &rep->rank, &q, &cond, &sv_min);
            rep->kernel_dim = n - rep->rank;
        }
        /* Every entry of a convolutional X repeats its kernel entry N times. */
        if (status == DMF_OK && rep->rank)
            rep->sigma_min = ldexp(sv_min, log2_scale) * (net->conv ? sqrt((double)net->signal_length) : 1.0);
    }
    if (status == DMF_OK && rep->computed && !fails) {
        if (rep->kernel_dim == 0) {
            rep->method = "exact: Ker A = {0}";
            rep->gamma = rep->gamma_median = rep->gamma_worst = 1;
            rep->distance = 1;
            rep->holds = 1;
        } else if (rep->kernel_dim > o.max_kernel_dim) {
            rep->computed = 0;
            rep->why_not = "not computable: dim Ker A exceeds the limit of the search";
        } else {
            /* Distances at or below this are 0 to the accuracy of the kernel:
             * its computed basis is within about max(D, n) eps cond(A) of the
             * true one (perturbation of a singular subspace by a backward
             * error of max(D, n) eps sigma_1, over the gap sigma_r). */
            rep->tolerance = fmax(1e-10, 10.0 * (double)(D > n ? D : n) * DBL_EPSILON * cond);
            double *dist = malloc(o.starts * sizeof *dist + 8);
            status = dist ? search(&sh, q, rep->kernel_dim, &o, rep->tolerance, dist, &rep->converged)
                          : dmf_fail(DMF_ERR_NOMEM, "cannot allocate the deep-NSP search");
            if (status == DMF_OK) {
                rep->estimated = 1;
                rep->starts = o.starts;
                qsort(dist, o.starts, sizeof *dist, cmp_double);
                rep->distance = dist[0];
                for (size_t s = 0; s < o.starts; s++) rep->at_best += dist[s] <= dist[0] * (1 + 1e-6) + 1e-15;
                rep->gamma_median = 1 / dist[o.starts / 2];
                rep->gamma_worst = 1 / dist[o.starts - 1];
                if (dist[0] <= rep->tolerance) {
                    rep->gamma = INFINITY;
                    rep->method = sh.K == 2 ? "search: a unit element of Ker A within the tolerance of a "
                                              "rank-2 matrix"
                                            : "search: a unit element of Ker A within the tolerance of a "
                                              "tensor of rank 2";
                    rep->why_not = "Ker A meets the differences of rank-one tensors (distance below the "
                                   "tolerance): the deep-NSP fails (gamma = inf to working precision)";
                } else {
                    rep->gamma = 1 / dist[0];
                    rep->holds = 1;
                    rep->method = sh.K == 2 ? "estimate: local searches on the unit sphere of Ker A (alternating "
                                              "projections, then BFGS), distances to rank 2 exact by Eckart-Young: "
                                              "a lower bound on the smallest valid gamma"
                                            : "estimate: local searches on the unit sphere of Ker A (alternating "
                                              "projections), distances to rank 2 from above by ALS: a lower bound "
                                              "on the smallest valid gamma";
                }
            }
            free(dist);
        }
    }
    if (fails > 0) {
        rep->gamma = INFINITY;
        rep->distance = 0;
    }
    free(a), free(q);
    rep->time_s = dmf_now_seconds() - start;
    return status;
}
