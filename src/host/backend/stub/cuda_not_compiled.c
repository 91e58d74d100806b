/* Built when dmf is configured without CUDA: the CUDA entry points exist and
 * answer "not compiled", so callers and the CLI need no #ifdef. */
#include <stdio.h>
#include <string.h>

#include "../backend.h"
#include "../lift_plan.h"

const dmf_backend *dmf_backend_cuda(int *status)
{
    *status = dmf_fail(DMF_ERR_NOT_COMPILED,
                       "the CUDA backend is not compiled into this build (configure with "
                       "-DDMF_CUDA=ON on a machine with the CUDA toolkit)");
    return NULL;
}

int dmf_cuda_query(dmf_cuda_info *info)
{
    memset(info, 0, sizeof *info);
    snprintf(info->message, sizeof info->message, "CUDA backend not compiled into this build");
    return DMF_ERR_NOT_COMPILED;
}

int dmf_cuda_lift_samples(size_t num_layers, const dmf_sparse_layer *layers, size_t num_params,
                          const size_t *probes, size_t num_probes, size_t num_samples, const double *h,
                          double *out)
{
    return dmf_fail(DMF_ERR_NOT_COMPILED, "the CUDA lifting-sample kernel is not compiled into this build");
}

int dmf_cuda_relu_forward(dmf_dtype dtype, size_t num_layers, const dmf_dense_layer *layers, size_t batch,
                          const void *in, void *const *acts)
{
    return dmf_fail(DMF_ERR_NOT_COMPILED, "the CUDA ReLU kernels are not compiled into this build");
}

int dmf_cuda_relu_backward(dmf_dtype dtype, size_t num_layers, const dmf_dense_layer *layers, size_t batch,
                           const void *const *acts, void *v, void *grad, void *scratch)
{
    return dmf_fail(DMF_ERR_NOT_COMPILED, "the CUDA ReLU kernels are not compiled into this build");
}
