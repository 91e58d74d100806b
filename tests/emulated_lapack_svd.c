/* LAPACK's SVD in cuSOLVER's layout, standing in for cuSOLVER in the
 * emulated split tests (see dmf_emulated_svd in emulated_split.h). */
#include <complex.h>
#include <stdlib.h>

#include "emulated_split.h"
#include "internal.h"

int dmf_emulated_lapack_svd(size_t m, size_t n, const double *a, double *s, double *u, double *v)
{
    size_t k = m < n ? m : n;
    double complex *ac = malloc(m * n * sizeof *ac), *uu = malloc(m * k * sizeof *uu), *vt = malloc(k * n * sizeof *vt);
    int status = ac && uu && vt ? DMF_OK : DMF_ERR_NOMEM;
    for (size_t e = 0; status == DMF_OK && e < m * n; e++) ac[e] = a[2 * e] + I * a[2 * e + 1];
    /* a = uu diag(s) vt (row-major), so a^T = vt^T diag(s) uu^T: U = vt^T, V = conj(uu). */
    if (status == DMF_OK) status = dmf_svd(1, m, n, ac, s, uu, vt);
    for (size_t c = 0; c < k && status == DMF_OK; c++) {
        for (size_t b = 0; b < n; b++) {
            u[2 * (b + c * n)] = creal(vt[c * n + b]);
            u[2 * (b + c * n) + 1] = cimag(vt[c * n + b]);
        }
        for (size_t al = 0; al < m; al++) {
            v[2 * (al + c * m)] = creal(uu[al * k + c]);
            v[2 * (al + c * m) + 1] = -cimag(uu[al * k + c]);
        }
    }
    free(ac), free(uu), free(vt);
    return status == DMF_OK ? 0 : 1;
}
