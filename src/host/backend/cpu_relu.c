/* CPU ReLU generator passes in f32 and f64 (cpu_relu_impl.h). */
#include <cblas.h>
#include <limits.h>
#include <stdatomic.h>
#include <string.h>

#include "backend.h"
#include "internal.h"
#include "relu_index.h"

#define DMF_TYPE_ID 0
#include "scalar_begin.h"
#include "cpu_relu_impl.h"
#include "scalar_end.h"
#define DMF_TYPE_ID 1
#include "scalar_begin.h"
#include "cpu_relu_impl.h"
#include "scalar_end.h"

uint64_t dmf_dense_layer_new_id(void)
{
    static _Atomic uint64_t next = 1;
    return next++;
}

static int check_layers(dmf_dtype dtype, size_t num_layers, const dmf_dense_layer *layers)
{
    if (dtype != DMF_F32 && dtype != DMF_F64)
        return dmf_fail(DMF_ERR_ARG, "ReLU passes run in f32 or f64, not %s", dmf_dtype_name(dtype));
    for (size_t i = 0; i < num_layers; i++)
        if (layers[i].rows > (size_t)INT_MAX || layers[i].cols > (size_t)INT_MAX)
            return dmf_fail(DMF_ERR_ARG, "layer %zu (%zu x %zu) is too large for BLAS", i + 1, layers[i].rows,
                            layers[i].cols);
    return DMF_OK;
}

int dmf_cpu_relu_forward(dmf_dtype dtype, size_t num_layers, const dmf_dense_layer *layers, size_t batch,
                         const void *in, void *const *acts)
{
    DMF_TRY(check_layers(dtype, num_layers, layers));
    if (batch > (size_t)INT_MAX) return dmf_fail(DMF_ERR_ARG, "batch of %zu rows is too large for BLAS", batch);
    return dtype == DMF_F32 ? cpu_relu_forward_s(num_layers, layers, batch, in, acts)
                            : cpu_relu_forward_d(num_layers, layers, batch, in, acts);
}

int dmf_cpu_relu_backward(dmf_dtype dtype, size_t num_layers, const dmf_dense_layer *layers, size_t batch,
                          const void *const *acts, void *v, void *grad, void *scratch)
{
    DMF_TRY(check_layers(dtype, num_layers, layers));
    if (batch > (size_t)INT_MAX) return dmf_fail(DMF_ERR_ARG, "batch of %zu rows is too large for BLAS", batch);
    return dtype == DMF_F32 ? cpu_relu_backward_s(num_layers, layers, batch, acts, v, grad, scratch)
                            : cpu_relu_backward_d(num_layers, layers, batch, acts, v, grad, scratch);
}
