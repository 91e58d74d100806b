/* The backend table: the few batched kernels every algorithm is built on.
 * Host algorithms call these through the context's table and never test
 * which backend they run on. */
#ifndef DMF_BACKEND_H
#define DMF_BACKEND_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One split of a hierarchical butterfly node.  The target T holds a*d blocks
 * of (b1*b2) x (c1*c2); every block (i, v) holds c1*b2 sub-blocks
 * S[alpha, beta] = T_(i,v)[alpha*b2 + u, j*c2 + beta]  (alpha < b1, beta < c2)
 * indexed by (j, u).  Each sub-block gets its best rank-`rank` approximation
 * sum_rho x_rho h_rho, written to
 *   W: a*(b2*d) blocks of b1 x (c1*rank),  block i*b2*d + u*d + v,
 *      entry [alpha, j*rank + rho]
 *   H: (a*c1)*d blocks of (rank*b2) x c2,  block (i*c1 + j)*d + v,
 *      entry [rho*b2 + u, beta]
 * Sub-block number ((i*d + v)*b2 + u)*c1 + j indexes info[].
 * T's rows (row (i*d + v)*b1*b2 + alpha*b2 + u of the blocks stacked) lie
 * row_stride entries apart: 0 means c1*c2, packed.  Only the CPU backend
 * reads T through a wider stride: a view of the input's columns. */
typedef struct {
    size_t a, d, b1, b2, c1, c2, rank;
    size_t row_stride;
} dmf_split_geometry;

static inline size_t dmf_split_row_stride(const dmf_split_geometry *g)
{
    return g->row_stride ? g->row_stride : g->c1 * g->c2;
}

/* Where H's row u of the block of sub-block (iv = i*d + v, u, j) starts, in
 * entries; term rho's row lies rho*b2*c2 entries further. */
static inline size_t dmf_split_h_offset(const dmf_split_geometry *g, size_t iv, size_t u, size_t j)
{
    return ((iv / g->d * g->c1 + j) * g->d + iv % g->d) * g->rank * g->b2 * g->c2 + u * g->c2;
}

/* A rank-r split keeps term rho > 0 of a sub-block only where sigma_rho >
 * ratio * sigma_1; the others are exactly zero.  A kept term's singular
 * vectors carry rounding noise of about eps sigma_1 / sqrt(sigma_rho)
 * after the sqrt(sigma) scaling, and the next split sees that noise as
 * terms of its own, kept and scaled again: an exact rank-one chain asked
 * for rank two came out with errors up to 6e-2 (r2l, N = 16384).  Noise
 * that the next level must drop is below ratio when ratio^(3/2) exceeds
 * (max(m, n) eps), hence ratio = (max(m, n) eps)^(2/3), at most sqrt(eps):
 * 6e-11 ... 1e-8 in double precision, 4e-5 ... 2.4e-4 in single.  A
 * dropped term leaves at most ratio * sigma_1 in the node's error. */
static inline double dmf_split_negligible_ratio(size_t m, size_t n, int single)
{
    const double eps = single ? 0x1p-24 : 0x1p-53, cap = sqrt(eps);
    const double rule = cbrt((double)(m > n ? m : n) * eps);
    return rule * rule < cap ? rule * rule : cap;
}

/* Which side of an adjacent pair of ranges gets orthonormal rank groups. */
typedef enum {
    DMF_NORMALIZE_LEFT = 0,  /* W's columns j*r .. j*r+r-1 of each block: QR, R into H */
    DMF_NORMALIZE_RIGHT = 1  /* H's rows rho*b2 + u of each block: LQ, L into W */
} dmf_normalize_side;

/* Per-sub-block outcome, as LAPACK batched routines report it. */
enum {
    DMF_BLOCK_CLOSED_FORM = 0, /* 1 x n, n x 1, 2 x n, n x 2, zero block */
    DMF_BLOCK_ITERATIVE = 1,   /* power iteration met the residual test */
    DMF_BLOCK_DENSE_SVD = 2,   /* LAPACK SVD (rank > 1 or fallback) */
    DMF_BLOCK_FAILED = -1      /* the SVD did not converge */
};

typedef struct {
    size_t closed_form, iterative, dense_svd, failed;
    size_t power_steps; /* power iterations, summed, those of blocks that fell back included */
    size_t lanczos_steps; /* Lanczos steps, summed likewise (CPU) */
    double target_sq;   /* ||T||_F^2 */
    double residual_sq; /* ||T - W H||_F^2, from sums of small terms (entrywise, or as in rank1_power) */
} dmf_split_stats;

/* One layer M_k(h) of a deep structured linear network as triplets:
 * M_k(h)[row, col] += coef * h[param]. */
typedef struct {
    size_t row, col, param;
    double coef;
} dmf_triplet;

typedef struct {
    size_t rows, cols, count;
    const dmf_triplet *entries;
} dmf_sparse_layer;

/* One dense layer W_i (rows = n_i, cols = n_{i-1}, row-major) of a ReLU
 * generator, in the dtype of the call (f32 or f64).  `networks` copies of
 * the layer lie one after another (rows * cols values apart): row r of a
 * batch runs through copy r mod networks (relu_index.h).  networks = 1 is
 * the shared case (one GEMM per layer for the batch); networks = the number
 * of trials gives every trial its own network (batched GEMV). */
typedef struct {
    size_t rows, cols, networks;
    const void *w;
    /* Names these weights' contents for a backend that keeps device copies:
     * never reused for other values (dmf_dense_layer_new_id); 0 = no name,
     * a device backend copies the weights on every call. */
    uint64_t id;
} dmf_dense_layer;

/* A fresh id for dmf_dense_layer (thread-safe, never 0). */
uint64_t dmf_dense_layer_new_id(void);

/* One factor of a chain as the apply kernels see it: support (a, b, c, d),
 * a*d blocks of b x c. */
typedef struct {
    size_t a, b, c, d;
    const void *blocks;
} dmf_factor_ref;

/* A run of consecutive factors applied in one pass over the vectors
 * (apply_plan.c).  The run's product maps independent parts of the rows to
 * each other, so a part of the vectors small enough to stay in cache goes
 * through every factor of the run before the next part is read:
 *   by_residue = 0: `parts` equal segments of consecutive rows (parts
 *     divides every a_k): part s is blocks s*a_k/parts ... of each factor;
 *   by_residue = 1: the rows of one residue mod `parts` (parts divides every
 *     d_k): factors of this support never mix residues.
 * A task takes `per_task` consecutive parts and `columns` of the nvec
 * vector columns.  count = 1 with parts = 0: apply the factor alone. */
typedef struct {
    size_t first, count;
    int by_residue;
    size_t parts, per_task, columns;
} dmf_apply_run;

/* Splits `count` factors (in the order they are applied) into runs for
 * nvec vectors of elem-byte entries; runs[] has room for count entries.
 * Returns the number of runs. */
size_t dmf_apply_plan(const dmf_factor_ref *factors, size_t count, size_t nvec, size_t elem,
                      dmf_apply_run *runs);
/* Whether a run may write its result over its input (apply_run with x ==
 * y): its factors have square blocks, so every task writes back the rows
 * it read and no others. */
int dmf_apply_run_in_place(const dmf_apply_run *run, const dmf_factor_ref *factors);

struct dmf_palm_kernels; /* palm_kernels.h */

typedef struct dmf_backend {
    const char *name;
    /* Batched masked rank-r step of one tree node: W = x sqrt(sigma),
     * H = sqrt(sigma) y^H per pair.  target, w and h are the backend's
     * memory (mem_alloc); `info` (optional, host memory) has num_sub_blocks
     * entries. */
    int (*split_rank_r)(dmf_dtype dtype, const dmf_split_geometry *geom, const void *target,
                        void *w, void *h, int *info, dmf_split_stats *stats);
    /* Orthonormalization of Le et al. between adjacent ranges W | H laid
     * out as a split of `geom` produces them: the rank-r groups of one side
     * become orthonormal and the triangular factor moves into the other,
     * so W H is unchanged and both keep their supports. */
    int (*normalize_pair)(dmf_dtype dtype, const dmf_split_geometry *geom, void *w, void *h,
                          dmf_normalize_side side);
    /* Lifting samples in float64: for r < num_samples, with h_k the
     * num_params values at h + (r*K + k)*num_params, writes the columns
     * `probes` of X = M_1(h_1) ... M_K(h_K), row-major (rows(X) x num_probes),
     * at out + r*sample_length. */
    int (*lift_samples)(size_t num_layers, const dmf_sparse_layer *layers, size_t num_params,
                        const size_t *probes, size_t num_probes, size_t num_samples,
                        const double *h, double *out);
    /* ReLU network forward, dtype f32 or f64, all pointers on the host:
     * acts[i] (batch x n_{i+1}) receives relu(W_{i+1} a_i), a_0 = in, row r
     * through network r mod layers[i].networks.  The activations double as
     * the ReLU patterns for relu_backward. */
    int (*relu_forward)(dmf_dtype dtype, size_t num_layers, const dmf_dense_layer *layers, size_t batch,
                        const void *in, void *const *acts);
    /* grad (batch x n_0) = J^T v through the patterns in acts; v (batch x
     * n_d) is overwritten; scratch holds 2 x batch x max n_i values. */
    int (*relu_backward)(dmf_dtype dtype, size_t num_layers, const dmf_dense_layer *layers, size_t batch,
                         const void *const *acts, void *v, void *grad, void *scratch);
    /* y = F x for one chain factor F of support (a, b, c, d) (a*d blocks of
     * b x c, see dmf.h) and nvec vectors stored as rows of nvec entries;
     * all three arrays in the backend's memory. */
    int (*apply_factor)(dmf_dtype dtype, size_t a, size_t b, size_t c, size_t d, const void *blocks,
                        const void *x, void *y, size_t nvec);
    /* Buffers that split_rank_r, normalize_pair and apply_factor read and write (device
     * memory on a GPU).  host_memory = 1 says they are plain host memory, so
     * a caller may hand host arrays to the kernels and skip the copies.
     * What mem_alloc returns is uninitialized (every kernel writes all of
     * its outputs); mem_free accepts NULL. */
    int host_memory;
    int (*mem_alloc)(void **ptr, size_t bytes);
    void (*mem_free)(void *ptr);
    int (*mem_upload)(void *dst, const void *src_host, size_t bytes);
    int (*mem_download)(void *dst_host, const void *src, size_t bytes);
    /* Scratch the split kernels keep from one node to the next (sized by
     * the first, largest, node of a factorization) is released here. */
    void (*release_workspace)(void);
    /* Optional (NULL where the host's clock is the backend's, as on the
     * CPU): the device's own clock.  timer_start marks a point in the
     * stream the kernels run on, after the work issued so far; timer_stop
     * marks a second point, waits for it, writes the seconds between the
     * two marks to *seconds (NULL: only releases, e.g. after an error) and
     * releases the timer in any case. */
    int (*timer_start)(void **timer);
    int (*timer_stop)(void *timer, double *seconds);
    /* Copy between two mem_alloc buffers (on the device for a device
     * backend): the benchmarks' measure of the memory's copy bandwidth.
     * Optional. */
    int (*mem_copy)(void *dst, const void *src, size_t bytes);
    /* Optional (NULL: factor by factor through apply_factor): y = the
     * product of run->count factors, factors[0] applied first, to nvec
     * vectors as apply_factor takes them, one pass over them for the run;
     * x == y where dmf_apply_run_in_place allows it. */
    int (*apply_run)(dmf_dtype dtype, const dmf_apply_run *run, const dmf_factor_ref *factors,
                     const void *x, void *y, size_t nvec);
    /* The kernels of PALM4MSA and hierarchical PALM (palm_kernels.h); NULL:
     * this backend cannot run PALM. */
    const struct dmf_palm_kernels *palm;
} dmf_backend;

size_t dmf_split_num_sub_blocks(const dmf_split_geometry *geom);

const dmf_backend *dmf_backend_cpu(void);
/* NULL with the reason in dmf_last_error() when not compiled or no device. */
const dmf_backend *dmf_backend_cuda(int *status);
/* The backend a context runs on. */
const dmf_backend *dmf_context_backend(const dmf_context *ctx);
/* A context on a given table (tests: a CPU table with some entries swapped
 * for device kernels, before the device table is complete). */
int dmf_context_create_from_backend(dmf_context **out, const dmf_backend *backend);

/* The CUDA kernels behind the table's relu_forward / relu_backward (same
 * contracts); DMF_ERR_NOT_COMPILED in builds without CUDA. */
int dmf_cuda_relu_forward(dmf_dtype dtype, size_t num_layers, const dmf_dense_layer *layers, size_t batch,
                          const void *in, void *const *acts);
int dmf_cuda_relu_backward(dmf_dtype dtype, size_t num_layers, const dmf_dense_layer *layers, size_t batch,
                           const void *const *acts, void *v, void *grad, void *scratch);

#ifdef __cplusplus
}
#endif
#endif
