/* dmf_chain_apply_op: the chain, its transpose and its adjoint applied to
 * vectors in row-major, column-major and padded layouts, against the dense
 * product from dmf_chain_densify; and dmf_matrix_wrap, which borrows. */
#include <complex.h>
#include <math.h>
#include <string.h>

#include "check.h"

/* want[i, t] = sum_j op(D)[i, j] x[j, t] with x packed row-major. */
static double op_error(dmf_op op, const double complex *dense, size_t rows, size_t cols,
                       const double complex *x, const double complex *y, size_t nvec, size_t yrs, size_t yvs)
{
    size_t out = op == DMF_OP_N ? rows : cols, in = op == DMF_OP_N ? cols : rows;
    double diff = 0, norm = 0;
    for (size_t i = 0; i < out; i++)
        for (size_t t = 0; t < nvec; t++) {
            double complex want = 0;
            for (size_t j = 0; j < in; j++) {
                double complex dij = op == DMF_OP_N ? dense[i * cols + j] : dense[j * cols + i];
                if (op == DMF_OP_H) dij = conj(dij);
                want += dij * x[j * nvec + t];
            }
            double complex got = y[i * yrs + t * yvs];
            diff += cabs(got - want) * cabs(got - want);
            norm += cabs(want) * cabs(want);
        }
    return sqrt(diff / norm);
}

static void test_ops(dmf_dtype dtype)
{
    /* Rectangular 12 x 18, mixed radices, a rank-2 inner dimension. */
    size_t m[3] = {3, 2, 2}, n[3] = {2, 3, 3}, ranks[2] = {2, 1};
    dmf_chain *chain;
    CHECK_OK(dmf_chain_create(&chain, dtype, 3, m, n, ranks));
    CHECK_OK(dmf_chain_randomize(chain, 11));
    dmf_matrix *dense_m, *dense_z;
    CHECK_OK(dmf_chain_densify(chain, &dense_m));
    CHECK_OK(dmf_matrix_convert(dense_m, DMF_C128, &dense_z));
    const double complex *dense = dmf_matrix_const_data(dense_z);
    size_t rows = dmf_chain_rows(chain), cols = dmf_chain_cols(chain), nvec = 4;
    size_t elem = dmf_dtype_size(dtype);
    double bound = 100 * dmf_dtype_eps(dtype);
    for (int op = DMF_OP_N; op <= DMF_OP_H; op++) {
        size_t in = op == DMF_OP_N ? cols : rows, out = op == DMF_OP_N ? rows : cols;
        double complex *xz = malloc(in * nvec * sizeof *xz);
        for (size_t e = 0; e < in * nvec; e++)
            xz[e] = dmf_dtype_is_complex(dtype) ? (double)(e % 7) - 3 + I * (double)(e % 5) : (double)(e % 7) - 3;
        /* layouts: row-major, column-major, every second row of a padded array */
        struct { size_t xrs, xvs, yrs, yvs, pad; const char *name; } layouts[3] = {
            {nvec, 1, nvec, 1, 1, "row-major"}, {1, in, 1, out, 1, "column-major"},
            {2 * nvec, 1, 1, 2 * out, 2, "padded"}};
        for (int l = 0; l < 3; l++) {
            size_t xs = layouts[l].pad * in * nvec, ys = layouts[l].pad * out * nvec;
            char *x = calloc(xs, elem), *y = calloc(ys, elem);
            for (size_t j = 0; j < in; j++)
                for (size_t t = 0; t < nvec; t++) {
                    dmf_matrix *one;
                    CHECK_OK(dmf_matrix_wrap(&one, dtype, 1, 1, x + (j * layouts[l].xrs + t * layouts[l].xvs) * elem));
                    double complex v = xz[j * nvec + t];
                    if (dtype == DMF_F32) *(float *)dmf_matrix_data(one) = (float)creal(v);
                    else if (dtype == DMF_F64) *(double *)dmf_matrix_data(one) = creal(v);
                    else if (dtype == DMF_C64) *(float complex *)dmf_matrix_data(one) = (float complex)v;
                    else *(double complex *)dmf_matrix_data(one) = v;
                    dmf_matrix_free(one); /* borrowed: x stays */
                }
            CHECK_OK(dmf_chain_apply_op(NULL, chain, (dmf_op)op, nvec, x, layouts[l].xrs, layouts[l].xvs, y,
                                        layouts[l].yrs, layouts[l].yvs));
            dmf_matrix *ywrap, *yz;
            CHECK_OK(dmf_matrix_wrap(&ywrap, dtype, ys, 1, y));
            CHECK_OK(dmf_matrix_convert(ywrap, DMF_C128, &yz));
            double err = op_error((dmf_op)op, dense, rows, cols, xz, dmf_matrix_const_data(yz), nvec,
                                  layouts[l].yrs, layouts[l].yvs);
            CHECK(err < bound, "%s op %d %s: error %.3g", dmf_dtype_name(dtype), op, layouts[l].name, err);
            dmf_matrix_free(yz);
            dmf_matrix_free(ywrap);
            free(x);
            free(y);
        }
        free(xz);
    }
    /* Errors: an invalid op, a non-finite vector. */
    char *x = calloc(rows * nvec, elem), *y = calloc(rows * nvec, elem);
    CHECK_STATUS(dmf_chain_apply_op(NULL, chain, (dmf_op)7, nvec, x, nvec, 1, y, nvec, 1), DMF_ERR_ARG);
    if (dtype == DMF_F64) {
        ((double *)x)[5] = NAN;
        CHECK_STATUS(dmf_chain_apply_op(NULL, chain, DMF_OP_N, 1, x, 1, 0, y, 1, 0), DMF_ERR_NUMERIC);
    }
    CHECK_OK(dmf_chain_apply_op(NULL, chain, DMF_OP_N, 0, NULL, 0, 0, NULL, 0, 0));
    free(x);
    free(y);
    dmf_matrix_free(dense_z);
    dmf_matrix_free(dense_m);
    dmf_chain_free(chain);
}

static void test_wrap(void)
{
    double data[6] = {1, 2, 3, 4, 5, 6};
    dmf_matrix *w;
    CHECK_OK(dmf_matrix_wrap(&w, DMF_F64, 2, 3, data));
    CHECK(dmf_matrix_data(w) == (void *)data, "wrap copied the data");
    CHECK(fabs(dmf_matrix_norm_fro(w) - sqrt(91.0)) < 1e-14, "norm of the wrapped matrix");
    dmf_matrix_free(w); /* must not free data: ASan reports it otherwise */
    CHECK(data[5] == 6, "data changed");
    CHECK_STATUS(dmf_matrix_wrap(&w, DMF_F64, 2, 3, NULL), DMF_ERR_ARG);
    CHECK_STATUS(dmf_matrix_wrap(&w, DMF_F64, SIZE_MAX, 3, data), DMF_ERR_SHAPE);
}

int main(void)
{
    test_ops(DMF_F32);
    test_ops(DMF_F64);
    test_ops(DMF_C64);
    test_ops(DMF_C128);
    test_wrap();
    return check_report("test_apply_op");
}
