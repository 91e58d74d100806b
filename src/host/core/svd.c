/* Thin SVD of a row-major matrix for host algorithms (FSMF classes).
 * LAPACK runs column-major on padded buffers of our own: some OpenBLAS
 * vector kernels read a little past the end of their operands, which
 * LAPACKE's internal copies do not allow for. */
#include <lapacke.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

enum { SVD_PAD = 64 };

/* The row-major m x n matrix is the column-major n x m matrix A^T = U' S V'^H,
 * so A = conj(V') S U'^T: U = rows of V'^H transposed, V^H = U'^T. */
int dmf_svd(int is_complex, size_t m, size_t n, const double complex *a, double *s,
            double complex *u, double complex *vt)
{
    size_t k = m < n ? m : n;
    lapack_int rows = (lapack_int)n, cols = (lapack_int)m, ldvt = (lapack_int)k;
    double complex *w = calloc(m * n + SVD_PAD, sizeof *w), *uu = calloc(n * k + SVD_PAD, sizeof *uu),
                   *vv = calloc(k * m + SVD_PAD, sizeof *vv), query = 0, *work = NULL;
    double *rwork = calloc(5 * k + SVD_PAD, sizeof *rwork), *sv = calloc(k + SVD_PAD, sizeof *sv);
    int status = w && uu && vv && rwork && sv ? DMF_OK : dmf_fail(DMF_ERR_NOMEM, "cannot allocate an SVD");
    lapack_int info = 0;
    if (status == DMF_OK && is_complex) {
        memcpy(w, a, m * n * sizeof *w);
        LAPACKE_zgesvd_work(LAPACK_COL_MAJOR, 'S', 'S', rows, cols, w, rows, sv, uu, rows, vv, ldvt,
                            &query, -1, rwork);
        lapack_int lwork = (lapack_int)creal(query);
        work = calloc((size_t)lwork + SVD_PAD, sizeof *work);
        info = work ? LAPACKE_zgesvd_work(LAPACK_COL_MAJOR, 'S', 'S', rows, cols, w, rows, sv, uu, rows,
                                          vv, ldvt, work, lwork, rwork)
                    : -1000;
    } else if (status == DMF_OK) { /* real input keeps real vectors */
        double *rw = (double *)w, *ru = (double *)uu, *rv = (double *)vv, rq = 0;
        for (size_t e = 0; e < m * n; e++) rw[e] = creal(a[e]);
        LAPACKE_dgesvd_work(LAPACK_COL_MAJOR, 'S', 'S', rows, cols, rw, rows, sv, ru, rows, rv, ldvt, &rq, -1);
        lapack_int lwork = (lapack_int)rq;
        work = calloc((size_t)lwork + SVD_PAD, sizeof(double));
        info = work ? LAPACKE_dgesvd_work(LAPACK_COL_MAJOR, 'S', 'S', rows, cols, rw, rows, sv, ru, rows,
                                          rv, ldvt, (double *)work, lwork)
                    : -1000;
        /* Widen in place from the back so no value is overwritten early. */
        for (size_t e = n * k; e-- > 0;) uu[e] = ru[e];
        for (size_t e = k * m; e-- > 0;) vv[e] = rv[e];
    }
    if (status == DMF_OK && info == -1000) status = dmf_fail(DMF_ERR_NOMEM, "cannot allocate an SVD");
    else if (status == DMF_OK && info != 0)
        status = dmf_fail(DMF_ERR_NUMERIC, "LAPACK's SVD did not converge (info %d)", (int)info);
    if (status == DMF_OK) {
        memcpy(s, sv, k * sizeof *s);
        for (size_t t = 0; t < k; t++) {
            for (size_t i = 0; i < m; i++) u[i * k + t] = vv[t + i * k];
            for (size_t j = 0; j < n; j++) vt[t * n + j] = uu[j + t * n];
        }
    }
    free(w), free(uu), free(vv), free(work), free(rwork), free(sv);
    return status;
}
