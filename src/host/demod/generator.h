/* Bias-free ReLU generators G(h) = relu(W_d ... relu(W_1 h)), in f32 or
 * f64, one network or one per trial (`networks` copies of every layer, row
 * r of a batch through copy r mod networks). */
#ifndef DMF_DEMOD_GENERATOR_H
#define DMF_DEMOD_GENERATOR_H

#include "backend/backend.h"
#include "internal.h"

#define DMF_MAX_GEN_LAYERS 32

struct dmf_generator {
    dmf_dtype dtype;                        /* DMF_F32 or DMF_F64 */
    size_t depth;                           /* d */
    size_t networks;                        /* copies of the weights (1: shared) */
    int random;                             /* drawn from a seed, not loaded */
    size_t sizes[DMF_MAX_GEN_LAYERS + 1];   /* n_0 (latent) .. n_d (output) */
    void *weights[DMF_MAX_GEN_LAYERS];      /* W_i: networks x n_i x n_{i-1}, row-major */
    dmf_dense_layer layers[DMF_MAX_GEN_LAYERS];
};

/* Activation buffers for a batch in the generator's dtype: acts[i] is
 * batch x n_{i+1}. */
typedef struct {
    size_t batch;
    void *acts[DMF_MAX_GEN_LAYERS];
    void *scratch;
} dmf_gen_workspace;

int dmf_gen_workspace_init(dmf_gen_workspace *ws, const dmf_generator *gen, size_t batch);
void dmf_gen_workspace_free(dmf_gen_workspace *ws);
/* Output of the last forward pass (batch x l). */
static inline void *dmf_gen_output(const dmf_generator *gen, const dmf_gen_workspace *ws)
{
    return ws->acts[gen->depth - 1];
}

#endif
