/* The largest eigenpair of a small real symmetric tridiagonal matrix, the
 * one a Lanczos run builds: bisection on Sturm counts for the eigenvalue,
 * inverse iteration for its vector.  dmf's own code rather than LAPACK's,
 * so that its bits depend on the input alone (OpenBLAS's kernels under
 * LAPACK's symmetric solvers gave stack-dependent vectors on degenerate
 * input). */
#include <float.h>
#include <math.h>

#include "internal.h"

/* Eigenvalues at or below x: the negative pivots of T - x I = L D L^T, a
 * zero pivot taken as a tiny negative one. */
static size_t below(const double *diag, const double *off, size_t count, double x, double tiny)
{
    size_t negative = 0;
    double d = 1;
    for (size_t i = 0; i < count; i++) {
        d = diag[i] - x - (i ? off[i - 1] * off[i - 1] / d : 0);
        if (d == 0) d = -tiny;
        negative += d < 0;
    }
    return negative;
}

double dmf_tridiag_top(const double *diag, const double *off, size_t count, double *vec, double *work)
{
    double lo = INFINITY, hi = -INFINITY, scale = 0;
    for (size_t i = 0; i < count; i++) {
        double r = (i ? fabs(off[i - 1]) : 0) + (i + 1 < count ? fabs(off[i]) : 0);
        lo = fmin(lo, diag[i] - r);
        hi = fmax(hi, diag[i] + r);
        scale = fmax(scale, fabs(diag[i]) + r);
    }
    if (scale == 0) { /* T = 0: any unit vector */
        for (size_t i = 0; i < count; i++) vec[i] = i == 0;
        return 0;
    }
    const double tiny = DBL_MIN / DBL_EPSILON + DBL_EPSILON * scale * 1e-3;
    /* The top eigenvalue lies in [lo, hi]; hi stays at or above it (every
     * eigenvalue at or below hi), so the pivots of T - hi I are negative,
     * or zero where hi is the eigenvalue itself. */
    hi += DBL_EPSILON * scale;
    for (int step = 0; step < 200 && hi - lo > 2 * DBL_EPSILON * fmax(fabs(lo), fabs(hi)); step++) {
        double mid = lo + (hi - lo) / 2;
        if (mid <= lo || mid >= hi) break;
        if (below(diag, off, count, mid, tiny) == count) hi = mid;
        else lo = mid;
    }
    /* Inverse iteration at hi: (T - hi I) = L D L^T, a pivot that is not
     * negative taken as a tiny negative one; two solves from the ones
     * vector. */
    double *pivot = work;
    for (size_t i = 0; i < count; i++) {
        double d = diag[i] - hi - (i ? off[i - 1] * off[i - 1] / pivot[i - 1] : 0);
        pivot[i] = d < 0 ? d : -tiny;
        vec[i] = 1;
    }
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 1; i < count; i++) vec[i] -= off[i - 1] / pivot[i - 1] * vec[i - 1];
        vec[count - 1] /= pivot[count - 1];
        for (size_t i = count - 1; i-- > 0;) vec[i] = vec[i] / pivot[i] - off[i] / pivot[i] * vec[i + 1];
        double norm = 0;
        for (size_t i = 0; i < count; i++) norm += vec[i] * vec[i];
        norm = sqrt(norm);
        for (size_t i = 0; i < count; i++) vec[i] /= norm;
    }
    return lo + (hi - lo) / 2;
}
