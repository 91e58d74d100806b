/* CPU ReLU generator passes: one GEMM per layer for the whole batch. */
#include <cblas.h>
#include <string.h>

#include "backend.h"
#include "internal.h"

int dmf_cpu_relu_forward(size_t num_layers, const dmf_dense_layer *layers, size_t batch, const double *in,
                         double *const *acts)
{
    const double *prev = in;
    for (size_t i = 0; i < num_layers; i++) {
        const dmf_dense_layer *l = &layers[i];
        /* A_i = A_{i-1} W_i^T */
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)batch, (int)l->rows, (int)l->cols, 1.0, prev,
                    (int)l->cols, l->w, (int)l->cols, 0.0, acts[i], (int)l->rows);
        double *a = acts[i];
        for (size_t e = 0; e < batch * l->rows; e++) a[e] = a[e] > 0 ? a[e] : 0;
        prev = acts[i];
    }
    return DMF_OK;
}

int dmf_cpu_relu_backward(size_t num_layers, const dmf_dense_layer *layers, size_t batch,
                          const double *const *acts, double *v, double *grad, double *scratch)
{
    double *cur = v;
    for (size_t i = num_layers; i-- > 0;) {
        const dmf_dense_layer *l = &layers[i];
        /* The ReLU after layer i passes v where the activation is positive
         * (the derivative at the kink is taken as 0). */
        for (size_t e = 0; e < batch * l->rows; e++)
            if (!(acts[i][e] > 0)) cur[e] = 0;
        double *next = i == 0 ? grad : (cur == scratch ? v : scratch);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)batch, (int)l->cols, (int)l->rows, 1.0, cur,
                    (int)l->rows, l->w, (int)l->cols, 0.0, next, (int)l->cols);
        cur = next;
    }
    return DMF_OK;
}
