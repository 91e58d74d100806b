/* Indexing of the batched ReLU passes, shared by the CPU backend and the
 * CUDA kernels (DMF_HD is __host__ __device__ under nvcc and nothing in C),
 * so the CPU tests check the arithmetic the device code runs.
 *
 * A batch of `batch` rows runs through `networks` copies of each layer
 * (1: shared weights; else one network per trial).  Row r uses copy
 * r mod networks, so a batch of 2T rows over T networks (the sign check's
 * +-h) puts rows t and T + t through the same network.  The rows are done
 * in chunks of `networks` consecutive rows: in one chunk, row k of the chunk
 * runs through copy k, which is a strided batch of GEMVs. */
#ifndef DMF_BACKEND_RELU_INDEX_H
#define DMF_BACKEND_RELU_INDEX_H

#include <stddef.h>

#ifdef __CUDACC__
#define DMF_HD __host__ __device__
#else
#define DMF_HD
#endif

/* The copy of the weights that row `row` runs through. */
static inline DMF_HD size_t dmf_relu_network_of_row(size_t row, size_t networks)
{
    return networks > 1 ? row % networks : 0;
}

/* Offset (in values) of that copy of a rows x cols layer. */
static inline DMF_HD size_t dmf_relu_weight_offset(size_t row, size_t networks, size_t rows, size_t cols)
{
    return dmf_relu_network_of_row(row, networks) * rows * cols;
}

/* Distance between consecutive copies: 0 when shared (a stride-0 batch). */
static inline DMF_HD size_t dmf_relu_weight_stride(size_t networks, size_t rows, size_t cols)
{
    return networks > 1 ? rows * cols : 0;
}

/* Rows in the chunk that starts at row `first`: `networks` rows, fewer at
 * the end of the batch. */
static inline DMF_HD size_t dmf_relu_chunk_rows(size_t first, size_t networks, size_t batch)
{
    size_t left = first < batch ? batch - first : 0;
    return left < networks ? left : networks;
}

/* relu(x); NaN stays NaN so a diverged trial shows. */
static inline DMF_HD double dmf_relu_d(double x) { return x < 0 ? 0.0 : x; }
static inline DMF_HD float dmf_relu_s(float x) { return x < 0 ? 0.0f : x; }

/* The ReLU's derivative applied to v: v where the activation is positive,
 * 0 elsewhere (the kink counts as inactive). */
static inline DMF_HD double dmf_relu_mask_d(double act, double v) { return act > 0 ? v : 0.0; }
static inline DMF_HD float dmf_relu_mask_s(float act, float v) { return act > 0 ? v : 0.0f; }

#endif
