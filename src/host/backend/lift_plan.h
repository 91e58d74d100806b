/* Lifting samples as the CUDA kernel computes them, with the index logic in
 * one header that C and CUDA both compile: the kernel calls these functions
 * on the device, and tests/test_lift_index.c runs the same functions on the
 * CPU against the reference backend, so an indexing mistake shows up on a
 * machine without a GPU.
 *
 * A plan holds the layers in compressed-row form (rows sorted, the triplets
 * of a row kept in their original order), so one thread owns one entry
 * (row, probe) of a layer's output and sums its terms in the order the CPU
 * backend adds them: the two backends give the same bits. */
#ifndef DMF_LIFT_PLAN_H
#define DMF_LIFT_PLAN_H

#include <stddef.h>

#include "backend.h"

#if defined(__CUDACC__)
#define DMF_HOST_DEVICE __host__ __device__
#else
#define DMF_HOST_DEVICE
#endif

/* Products and sums rounded one at a time (no fused multiply-add on the
 * device), as the CPU backend, built as ISO C, rounds them. */
#if defined(__CUDA_ARCH__)
#define DMF_LIFT_MUL(x, y) __dmul_rn((x), (y))
#define DMF_LIFT_ADD(x, y) __dadd_rn((x), (y))
#else
#define DMF_LIFT_MUL(x, y) ((x) * (y))
#define DMF_LIFT_ADD(x, y) ((x) + (y))
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    size_t num_layers, num_params, num_probes;
    size_t widest;        /* most rows of any layer, or columns of the last */
    size_t sample_length; /* rows(X) * num_probes */
    /* All index arrays live in one block of index_count size_t values, so
     * a device copy is one transfer (plus one for coef). */
    size_t index_count, entry_count;
    size_t *index;
    const size_t *meta;    /* per layer k: rows, cols, first row pointer (3k, 3k+1, 3k+2) */
    const size_t *row_ptr; /* layer k, row i: entries row_ptr[first + i] .. row_ptr[first + i + 1] - 1 */
    const size_t *col, *param;
    const size_t *probes;
    double *coef;
} dmf_lift_plan;

/* Builds a plan in host memory; dmf_lift_plan_free releases it. */
int dmf_lift_plan_build(size_t num_layers, const dmf_sparse_layer *layers, size_t num_params,
                        const size_t *probes, size_t num_probes, dmf_lift_plan *plan);
void dmf_lift_plan_free(dmf_lift_plan *plan);
/* `view` describes copies of plan's two arrays at `index` and `coef`
 * (device memory, say): same sizes, pointers moved into the copies. */
void dmf_lift_plan_rebase(const dmf_lift_plan *plan, size_t *index, double *coef, dmf_lift_plan *view);

/* The CUDA kernel behind the backend table's lift_samples (same contract);
 * answers DMF_ERR_NOT_COMPILED in builds without CUDA. */
int dmf_cuda_lift_samples(size_t num_layers, const dmf_sparse_layer *layers, size_t num_params,
                          const size_t *probes, size_t num_probes, size_t num_samples, const double *h,
                          double *out);

#ifdef __cplusplus
}
#endif

static DMF_HOST_DEVICE inline size_t dmf_lift_rows(const dmf_lift_plan *p, size_t k) { return p->meta[3 * k]; }
static DMF_HOST_DEVICE inline size_t dmf_lift_cols(const dmf_lift_plan *p, size_t k) { return p->meta[3 * k + 1]; }

/* Doubles of work space one sample needs: the current and next blocks. */
static DMF_HOST_DEVICE inline size_t dmf_lift_work_per_sample(const dmf_lift_plan *p)
{
    return 2 * p->widest * p->num_probes;
}

/* Sample r's parameters h_k. */
static DMF_HOST_DEVICE inline const double *dmf_lift_params(const dmf_lift_plan *p, const double *h, size_t r,
                                                            size_t k)
{
    return h + (r * p->num_layers + k) * p->num_params;
}

/* Entry t = row * P + j of the starting block: column probes[j] of the
 * identity of size cols(M_K). */
static DMF_HOST_DEVICE inline double dmf_lift_start_entry(const dmf_lift_plan *p, size_t t)
{
    return p->probes[t % p->num_probes] == t / p->num_probes ? 1.0 : 0.0;
}

/* Entry t = row * P + j of M_k(h_k) cur, where cur is cols(M_k) x P
 * row-major.  Zero weights are skipped as the CPU backend skips them. */
static DMF_HOST_DEVICE inline double dmf_lift_layer_entry(const dmf_lift_plan *p, size_t k, const double *hk,
                                                          const double *cur, size_t t)
{
    const size_t P = p->num_probes, row = t / P, j = t % P;
    const size_t *ptr = p->row_ptr + p->meta[3 * k + 2];
    double acc = 0;
    for (size_t e = ptr[row]; e < ptr[row + 1]; e++) {
        double w = DMF_LIFT_MUL(p->coef[e], hk[p->param[e]]);
        if (w == 0) continue;
        acc = DMF_LIFT_ADD(acc, DMF_LIFT_MUL(w, cur[p->col[e] * P + j]));
    }
    return acc;
}

#endif
