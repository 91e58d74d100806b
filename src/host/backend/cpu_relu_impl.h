/* CPU ReLU generator passes for one real dtype (instantiated by cpu_relu.c
 * for f32 and f64).  Shared weights: one GEMM per layer for the whole batch.
 * One network per trial: OpenBLAS 0.3.21 has no cblas_?gemm_batch, and a
 * BLAS call per row inside an OpenMP loop would nest OpenBLAS's own threads
 * under ours; so each row is a plain GEMV loop (its dot products in
 * fixed-order vector lanes, lane_pairs_impl.h), the networks spread over
 * the OpenMP threads, row r with network r mod networks (relu_index.h). */
#include "lane_pairs_impl.h"

#if DMF_TYPE_ID == 0
#define CBLAS_GEMM cblas_sgemm
#define RELU dmf_relu_s
#define RELU_MASK dmf_relu_mask_s
#else
#define CBLAS_GEMM cblas_dgemm
#define RELU dmf_relu_d
#define RELU_MASK dmf_relu_mask_d
#endif

/* out[r] = W_(r mod networks) x[r] for every row. */
static void FN(rows_times_wt)(const dmf_dense_layer *l, size_t batch, const REAL *x, REAL *out)
{
    const size_t rows = l->rows, cols = l->cols;
    const REAL *w = l->w;
    if (l->networks <= 1) {
        CBLAS_GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, (int)batch, (int)rows, (int)cols, 1, x, (int)cols, w,
                   (int)cols, 0, out, (int)rows);
        return;
    }
    /* Network by network, so that rows sharing one (the sign check's t and
     * T + t) read its weights once. */
    const size_t networks = l->networks;
#pragma omp parallel for schedule(static)
    for (size_t k = 0; k < networks; k++) {
        const REAL *wk = w + k * rows * cols;
        for (size_t j = 0; j < rows; j++) {
            const REAL *wj = wk + j * cols;
            for (size_t r = k; r < batch; r += networks) {
                const REAL *xr = x + r * cols;
                out[r * rows + j] = FN(dot_lanes)(wj, xr, cols);
            }
        }
    }
}

/* out[r] = W_(r mod networks)^T v[r] for every row. */
static void FN(rows_times_w)(const dmf_dense_layer *l, size_t batch, const REAL *v, REAL *out)
{
    const size_t rows = l->rows, cols = l->cols;
    const REAL *w = l->w;
    if (l->networks <= 1) {
        CBLAS_GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)batch, (int)cols, (int)rows, 1, v, (int)rows, w,
                   (int)cols, 0, out, (int)cols);
        return;
    }
    const size_t networks = l->networks;
#pragma omp parallel for schedule(static)
    for (size_t k = 0; k < networks; k++) {
        const REAL *wk = w + k * rows * cols;
        for (size_t r = k; r < batch; r += networks)
            for (size_t c = 0; c < cols; c++) out[r * cols + c] = 0;
        for (size_t j = 0; j < rows; j++) {
            const REAL *wj = wk + j * cols;
            for (size_t r = k; r < batch; r += networks) {
                const REAL a = v[r * rows + j];
                if (a == 0) continue; /* inactive unit: most of them after the mask */
                REAL *o = out + r * cols;
#pragma omp simd
                for (size_t c = 0; c < cols; c++) o[c] += a * wj[c];
            }
        }
    }
}

static int FN(cpu_relu_forward)(size_t num_layers, const dmf_dense_layer *layers, size_t batch, const REAL *in,
                                void *const *acts)
{
    const REAL *prev = in;
    for (size_t i = 0; i < num_layers; i++) {
        const dmf_dense_layer *l = &layers[i];
        REAL *a = acts[i];
        FN(rows_times_wt)(l, batch, prev, a);
        for (size_t e = 0; e < batch * l->rows; e++) a[e] = RELU(a[e]);
        prev = a;
    }
    return DMF_OK;
}

static int FN(cpu_relu_backward)(size_t num_layers, const dmf_dense_layer *layers, size_t batch,
                                 const void *const *acts, REAL *v, REAL *grad, REAL *scratch)
{
    /* The gradients of the inner layers alternate between the two halves
     * of scratch: v holds only the n_d values of the output, and an inner
     * layer may be wider. */
    size_t widest = 0;
    for (size_t i = 0; i < num_layers; i++) {
        if (layers[i].rows > widest) widest = layers[i].rows;
        if (layers[i].cols > widest) widest = layers[i].cols;
    }
    REAL *halves[2] = {scratch, scratch + batch * widest};
    REAL *cur = v;
    for (size_t i = num_layers; i-- > 0;) {
        const dmf_dense_layer *l = &layers[i];
        const REAL *a = acts[i];
        for (size_t e = 0; e < batch * l->rows; e++) cur[e] = RELU_MASK(a[e], cur[e]);
        REAL *next = i == 0 ? grad : (cur == halves[0] ? halves[1] : halves[0]);
        FN(rows_times_w)(l, batch, cur, next);
        cur = next;
    }
    return DMF_OK;
}

#undef CBLAS_GEMM
#undef RELU
#undef RELU_MASK
