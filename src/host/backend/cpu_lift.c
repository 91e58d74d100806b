/* CPU lifting samples: each sample pushes the probe columns of the
 * identity through M_K(h_K), ..., M_1(h_1), one sparse layer at a time. */
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "internal.h"

int dmf_cpu_lift_samples(size_t num_layers, const dmf_sparse_layer *layers, size_t num_params,
                         const size_t *probes, size_t num_probes, size_t num_samples,
                         const double *h, double *out)
{
    size_t widest = layers[num_layers - 1].cols;
    for (size_t k = 0; k < num_layers; k++)
        if (layers[k].rows > widest) widest = layers[k].rows;
    const size_t D = layers[0].rows * num_probes;
    size_t no_memory = 0;
#pragma omp parallel reduction(+ : no_memory)
    {
        double *cur = malloc(widest * num_probes * sizeof *cur), *next = malloc(widest * num_probes * sizeof *next);
        if (!cur || !next) no_memory++;
#pragma omp for schedule(dynamic)
        for (size_t r = 0; r < num_samples; r++) {
            if (!cur || !next) continue;
            size_t width = layers[num_layers - 1].cols;
            memset(cur, 0, width * num_probes * sizeof *cur);
            for (size_t j = 0; j < num_probes; j++) cur[probes[j] * num_probes + j] = 1;
            for (size_t k = num_layers; k-- > 0;) {
                const dmf_sparse_layer *layer = &layers[k];
                const double *hk = h + (r * num_layers + k) * num_params;
                memset(next, 0, layer->rows * num_probes * sizeof *next);
                for (size_t e = 0; e < layer->count; e++) {
                    const dmf_triplet *t = &layer->entries[e];
                    double w = t->coef * hk[t->param];
                    if (w == 0) continue;
                    double *dst = next + t->row * num_probes;
                    const double *src = cur + t->col * num_probes;
                    for (size_t j = 0; j < num_probes; j++) dst[j] += w * src[j];
                }
                double *swap = cur;
                cur = next;
                next = swap;
            }
            memcpy(out + r * D, cur, D * sizeof *cur);
        }
        free(cur);
        free(next);
    }
    if (no_memory) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate lifting sample buffers");
    return DMF_OK;
}
