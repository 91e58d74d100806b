/* dmf: deep structured matrix factorization on CPUs and NVIDIA GPUs.
 *
 * The one public header.  Every symbol carries the prefix dmf_; objects are
 * opaque handles created and freed by the library; functions return a status
 * (DMF_OK = 0, negative on error) and leave details in a thread-local message
 * read by dmf_last_error().  The library never prints and never exits.
 *
 * Storage conventions
 * -------------------
 * Dense matrices are row-major.  Complex values are stored as interleaved
 * (real, imaginary) pairs, i.e. C99 float _Complex / double _Complex.
 *
 * A butterfly (Kronecker-sparse) chain for an M x N matrix with radices
 * M = m_0 ... m_{L-1}, N = n_0 ... n_{L-1} and inner ranks r_0 ... r_{L-2}
 * (r_{-1} = r_{L-1} = 1) has factors F_0 ... F_{L-1}, A ~ F_0 F_1 ... F_{L-1}.
 * Factor k has the support  I_a (x) 1_{b x c} (x) I_d  with
 *
 *     a = n_0 ... n_{k-1},  b = r_{k-1} m_k,  c = n_k r_k,  d = m_{k+1} ... m_{L-1}
 *
 * and is stored compactly as a*d dense b x c blocks: block (i, v), i < a,
 * v < d, starts at element (i*d + v)*b*c and is row-major.  Its entry
 * (beta, gamma) is F_k[i*b*d + beta*d + v, i*c*d + gamma*d + v].  With all
 * ranks 1 this is the support (a, m_k, n_k, d) of docs/butterfly.md.
 * A rank r split of node [p, q] after l keeps the r singular pairs of each
 * block; the pair index rho sits between j and u in the inner index
 * (i, j, rho, u, v), which is why the ranks enter b and c as above.
 */
#ifndef DMF_H
#define DMF_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Marks what libdmf.so exports; everything else in it is hidden. */
#if defined(DMF_BUILDING_LIBRARY) && defined(__GNUC__)
#define DMF_API __attribute__((visibility("default")))
#else
#define DMF_API
#endif

#define DMF_VERSION_MAJOR 0
#define DMF_VERSION_MINOR 1
#define DMF_VERSION_PATCH 0
#define DMF_VERSION_STRING "0.1.0"

/* ---- status ------------------------------------------------------------ */

typedef enum {
    DMF_OK = 0,
    DMF_ERR_ARG = -1,          /* invalid argument value */
    DMF_ERR_SHAPE = -2,        /* sizes that do not agree or do not factor */
    DMF_ERR_IO = -3,           /* file missing, unreadable, unwritable */
    DMF_ERR_FORMAT = -4,       /* malformed or unsupported file contents */
    DMF_ERR_NOMEM = -5,        /* host or device allocation failed */
    DMF_ERR_NUMERIC = -6,      /* NaN/Inf input or a solver that failed */
    DMF_ERR_DEVICE = -7,       /* CUDA error, no device */
    DMF_ERR_NOT_COMPILED = -8  /* feature not built into this library */
} dmf_status;

DMF_API const char *dmf_status_string(int status);
/* Details of the last error raised on this thread ("" if none). */
DMF_API const char *dmf_last_error(void);

/* ---- data types ---------------------------------------------------------- */

typedef enum { DMF_F32 = 0, DMF_F64 = 1, DMF_C64 = 2, DMF_C128 = 3 } dmf_dtype;

DMF_API const char *dmf_dtype_name(dmf_dtype dtype); /* "f32", "f64", "c64", "c128" */
DMF_API int dmf_dtype_parse(const char *name, dmf_dtype *dtype);
DMF_API size_t dmf_dtype_size(dmf_dtype dtype);     /* bytes per element */
DMF_API int dmf_dtype_is_complex(dmf_dtype dtype);
/* Unit roundoff of the underlying real type. */
DMF_API double dmf_dtype_eps(dmf_dtype dtype);

/* ---- context and backends ---------------------------------------------- */

typedef enum { DMF_BACKEND_AUTO = 0, DMF_BACKEND_CPU = 1, DMF_BACKEND_CUDA = 2 } dmf_backend_kind;

typedef struct dmf_context dmf_context;

/* Creates a context on the requested backend.  "auto" (or NULL) reads
 * DMF_BACKEND from the environment and otherwise picks CUDA when it is
 * compiled in and a device answers, else the CPU.  An explicit "cuda" that
 * is not available fails with DMF_ERR_NOT_COMPILED or DMF_ERR_DEVICE. */
DMF_API int dmf_context_create(dmf_context **ctx, const char *backend);
DMF_API void dmf_context_free(dmf_context *ctx);
DMF_API const char *dmf_context_backend_name(const dmf_context *ctx);
/* Why "auto" did not pick CUDA ("" when it did or was not asked). */
DMF_API const char *dmf_context_fallback_reason(const dmf_context *ctx);

DMF_API int dmf_backend_parse(const char *name, dmf_backend_kind *kind);

/* Build and run-time facts for `dmf info`. */
typedef struct {
    const char *version;
    const char *build_type;
    const char *compiler;
    const char *blas;            /* BLAS/LAPACK configuration string */
    int cuda_compiled;           /* 1 when the CUDA backend was built */
    int openmp_threads;          /* threads the CPU backend uses */
} dmf_build_info;
DMF_API void dmf_get_build_info(dmf_build_info *info);

/* CUDA runtime facts; fills `message` with the reason when no GPU answers. */
typedef struct {
    int runtime_version;          /* e.g. 12040, 0 if unknown */
    int driver_version;
    int device_count;
    char device_names[8][128];
    double device_memory_gib[8];
    char message[256];
} dmf_cuda_info;
DMF_API int dmf_cuda_query(dmf_cuda_info *info);

/* ---- memory limit -------------------------------------------------------- */

/* Work whose memory follows from its inputs (a network spec's N or sizes,
 * a generator's sizes, a matrix size, a factorization's input and largest
 * half) is refused before anything is allocated when it needs more than
 * this limit: DMF_ERR_NOMEM with the figure ("needs 80 GiB, more than the
 * memory limit of 48 GiB").  The default is DMF_MAX_MEMORY from the
 * environment, read at first use (bytes, or with a suffix K, M, G, T in
 * powers of 1024: "8G", "512M"; "none" for no limit; a malformed value
 * makes those checks fail with DMF_ERR_ARG), else 3/4 of physical memory
 * (or of the cgroup's limit when lower).  Process-wide; SIZE_MAX lifts the
 * limit and 0 returns to the default. */
DMF_API void dmf_set_memory_limit(size_t bytes);
DMF_API size_t dmf_get_memory_limit(void);
/* Reads a size as DMF_MAX_MEMORY and --max-memory take it; DMF_ERR_ARG
 * naming the text when it is not one. */
DMF_API int dmf_parse_memory_size(const char *text, size_t *bytes);

/* ---- dense matrices ------------------------------------------------------ */

typedef struct dmf_matrix dmf_matrix;

DMF_API int dmf_matrix_create(dmf_matrix **out, dmf_dtype dtype, size_t rows, size_t cols);
/* A handle on the caller's row-major data, not copied: it must outlive the
 * handle, and dmf_matrix_free releases the handle only.  Lets a caller that
 * owns the array (a NumPy binding, a memory-mapped file) pass it in place. */
DMF_API int dmf_matrix_wrap(dmf_matrix **out, dmf_dtype dtype, size_t rows, size_t cols, void *data);
DMF_API void dmf_matrix_free(dmf_matrix *mat);
DMF_API dmf_dtype dmf_matrix_dtype(const dmf_matrix *mat);
DMF_API size_t dmf_matrix_rows(const dmf_matrix *mat);
DMF_API size_t dmf_matrix_cols(const dmf_matrix *mat);
DMF_API void *dmf_matrix_data(dmf_matrix *mat);
DMF_API const void *dmf_matrix_const_data(const dmf_matrix *mat);
/* Converts to another dtype (complex to real fails unless all imaginary
 * parts are zero; a finite double beyond single precision's range, going to
 * f32 or c64, is DMF_ERR_NUMERIC naming the entry; tiny values round to
 * subnormals or zero as the hardware does). */
DMF_API int dmf_matrix_convert(const dmf_matrix *src, dmf_dtype dtype, dmf_matrix **out);
DMF_API double dmf_matrix_norm_fro(const dmf_matrix *mat);
/* DMF_ERR_NUMERIC naming the first non-finite entry, else DMF_OK. */
DMF_API int dmf_matrix_check_finite(const dmf_matrix *mat);

/* Built-in test matrices: "hadamard", "dft", "dft-bitrev", "dct2", "dst2",
 * "random-chain", "gaussian".  `noise` > 0 adds Gaussian noise E with
 * ||E||_F = noise * ||A||_F.  random-chain uses the radices (m, n) of length
 * L when given, else radix 2. */
typedef struct {
    const char *name;
    size_t rows, cols;
    dmf_dtype dtype;
    double noise;
    uint64_t seed;
    const size_t *radix_m, *radix_n; /* optional, length num_radices */
    size_t num_radices;
} dmf_matrix_spec;
DMF_API int dmf_matrix_builtin(const dmf_matrix_spec *spec, dmf_matrix **out);
/* Names of the built-ins, NULL terminated. */
DMF_API const char *const *dmf_matrix_builtin_names(void);

/* ---- file I/O ------------------------------------------------------------ */

/* NumPy .npy: f32, f64, c64, c128 (little-endian), C or Fortran order,
 * format versions 1, 2 and 3.  1-D arrays read as a single column. */
DMF_API int dmf_npy_read(const char *path, dmf_matrix **out);
DMF_API int dmf_npy_write(const char *path, const dmf_matrix *mat);
/* A 1-D int64 .npy of `count` indices. */
DMF_API int dmf_npy_write_indices(const char *path, size_t count, const size_t *indices);
/* Reads `count` indices, each an integer in [0, count), from a 1-D (or
 * count x 1) real or integer .npy; *out is allocated (release with free). */
DMF_API int dmf_npy_read_indices(const char *path, size_t count, size_t **out);
/* Writes an N-d array (shape of `ndim` dims) of raw row-major data. */
DMF_API int dmf_npy_write_array(const char *path, dmf_dtype dtype, const size_t *shape,
                        int ndim, const void *data);

/* Matrix Market: `array` and `coordinate`, `real`, `integer`, `pattern`
 * (read as ones) and `complex`, general (and symmetric/hermitian/skew on
 * read).  Real files read as f64, complex as c128. */
DMF_API int dmf_mtx_read(const char *path, dmf_matrix **out);
DMF_API int dmf_mtx_write_array(const char *path, const dmf_matrix *mat);
/* Coordinate file of the listed entries (0-based indices in memory). */
DMF_API int dmf_mtx_write_coordinate(const char *path, dmf_dtype dtype, size_t rows, size_t cols,
                             size_t nnz, const size_t *row_idx, const size_t *col_idx,
                             const void *values);
/* Dispatches on the extension: .npy or .mtx. */
DMF_API int dmf_matrix_read(const char *path, dmf_matrix **out);

/* ---- butterfly chains ---------------------------------------------------- */

typedef struct dmf_chain dmf_chain;

/* Allocates a zero chain with L factors.  `ranks` has L-1 entries (NULL for
 * all ones). */
DMF_API int dmf_chain_create(dmf_chain **out, dmf_dtype dtype, size_t num_factors,
                     const size_t *radix_m, const size_t *radix_n, const size_t *ranks);
DMF_API void dmf_chain_free(dmf_chain *chain);
/* Fills every factor with i.i.d. Gaussian values (complex: N(0,1/2) parts). */
DMF_API int dmf_chain_randomize(dmf_chain *chain, uint64_t seed);
DMF_API size_t dmf_chain_num_factors(const dmf_chain *chain);
DMF_API dmf_dtype dmf_chain_dtype(const dmf_chain *chain);
DMF_API size_t dmf_chain_rows(const dmf_chain *chain);
DMF_API size_t dmf_chain_cols(const dmf_chain *chain);
/* Support (a, b, c, d) of factor k, see the storage conventions above. */
DMF_API int dmf_chain_support(const dmf_chain *chain, size_t k, size_t *a, size_t *b, size_t *c, size_t *d);
DMF_API void *dmf_chain_blocks(dmf_chain *chain, size_t k);
DMF_API const void *dmf_chain_const_blocks(const dmf_chain *chain, size_t k);
DMF_API size_t dmf_chain_nnz(const dmf_chain *chain);
DMF_API const size_t *dmf_chain_radix_m(const dmf_chain *chain);
DMF_API const size_t *dmf_chain_radix_n(const dmf_chain *chain);
/* A chain may carry a row and a column permutation: it then stands for the
 * matrix A with A[perm_rows[i]][perm_cols[j]] = (F_0 ... F_{L-1})[i][j], and
 * apply, densify, rel_error, write and read all work with that A.  The
 * arrays are copied and checked; NULL sets the identity (no permutation). */
DMF_API int dmf_chain_set_permutations(dmf_chain *chain, const size_t *perm_rows, const size_t *perm_cols);
/* The permutations, or NULL where the chain has none. */
DMF_API const size_t *dmf_chain_perm_rows(const dmf_chain *chain);
DMF_API const size_t *dmf_chain_perm_cols(const dmf_chain *chain);

/* Y = F_0 ... F_{L-1} X for X of cols(chain) x nvec, Y of rows(chain) x nvec,
 * in O(nnz * nvec).  Both row-major, dtype of the chain. */
DMF_API int dmf_chain_apply(const dmf_chain *chain, const dmf_matrix *x, dmf_matrix **y);
/* The same on the context's backend (on a GPU: factors and vectors are
 * copied to the device once, the result back once). */
DMF_API int dmf_chain_apply_ctx(dmf_context *ctx, const dmf_chain *chain, const dmf_matrix *x, dmf_matrix **y);
typedef enum {
    DMF_OP_N = 0, /* the chain: F_0 ... F_{L-1} */
    DMF_OP_T = 1, /* its transpose */
    DMF_OP_H = 2  /* its conjugate transpose (= DMF_OP_T for real chains) */
} dmf_op;

/* y = op(chain) x for nvec vectors in any strided layout: entry (i, t)
 * (row i, vector t) of x is x[i * x_row_stride + t * x_vec_stride], and the
 * same for y; strides count elements of the chain's dtype.  Row-major x is
 * (nvec, 1), column-major (1, rows).  x has cols(chain) rows for DMF_OP_N,
 * rows(chain) for T and H; y the other count.  ctx NULL means the CPU.
 * x and y must not overlap; after an error y may have been written. */
DMF_API int dmf_chain_apply_op(dmf_context *ctx, const dmf_chain *chain, dmf_op op, size_t nvec,
                               const void *x, size_t x_row_stride, size_t x_vec_stride, void *y,
                               size_t y_row_stride, size_t y_vec_stride);
/* The dense product F_0 ... F_{L-1}. */
DMF_API int dmf_chain_densify(const dmf_chain *chain, dmf_matrix **out);
/* ||A - F_0...F_{L-1}||_F / ||A||_F without forming the product densely
 * (memory: the input plus the largest half-chain). */
DMF_API int dmf_chain_rel_error(const dmf_chain *chain, const dmf_matrix *a, double *rel_error);
/* Writes dir/factor_00.mtx ... (coordinate, support entries only) and
 * dir/factor_00_blocks.npy (shape a x d x b x c) ...; creates dir. */
DMF_API int dmf_chain_write(const dmf_chain *chain, const char *dir);
/* Reads a chain written by dmf_chain_write (from the blocks files). */
DMF_API int dmf_chain_read(const char *dir, dmf_chain **out);

/* Default radices: all 2 for a power of two, else DMF_ERR_SHAPE with a
 * message naming the sizes.  Fills up to `capacity` entries. */
DMF_API int dmf_default_radices(size_t rows, size_t cols, size_t *radix_m, size_t *radix_n,
                        size_t capacity, size_t *num_radices);

/* Factor folders appear whole or not at all: dmf_chain_write writes into a
 * fresh folder beside dir, syncs it and renames it into place.  An existing
 * dir that is empty or holds a chain (chain.json and factor files only) is
 * replaced as a whole; anything else there is refused with DMF_ERR_IO.
 * chain.json carries a checksum of every blocks file and a chain id, which
 * dmf_chain_read checks (DMF_ERR_FORMAT naming a file of another chain).
 * dmf_chain_write_meta adds the members of `extra_json` (NULL, or a JSON
 * object such as {"tree": ..., "rel_error": ...}) to chain.json;
 * DMF_ERR_ARG when it is not an object or sets a member dmf writes. */
DMF_API int dmf_chain_write_meta(const dmf_chain *chain, const char *dir, const char *extra_json);
/* Checks, writing nothing, that dmf_chain_write could write dir now (its
 * folder exists and is writable, dir is absent, empty or a chain), so a
 * long computation can be refused before it starts. */
DMF_API int dmf_chain_write_check(const char *dir);

/* ---- factorization trees ------------------------------------------------- */

typedef struct dmf_tree dmf_tree;

/* "l2r", "r2l", "balanced", or a JSON nested list of factor indices such as
 * [[0,1],[2,3]] (binary, leaves 0..L-1 in order), or a path to such a file. */
DMF_API int dmf_tree_create(dmf_tree **out, const char *spec, size_t num_factors);
DMF_API void dmf_tree_free(dmf_tree *tree);
/* A canonical text form, e.g. "[[0,1],[2,3]]". */
DMF_API const char *dmf_tree_describe(const dmf_tree *tree);
/* "l2r", "r2l", "balanced", or "custom" for a nested list or file. */
DMF_API const char *dmf_tree_name(const dmf_tree *tree);

/* ---- hierarchical butterfly factorization ------------------------------ */

typedef struct {
    size_t rank;          /* rank of every split, >= 1 (default 1) */
    int orthonormalize;   /* Le et al.: before each split, orthonormal rank groups in the
                           * factors left of the node and ranges right of it */
} dmf_butterfly_options;

/* Per-node record of the factorization, in the order the nodes were split. */
typedef struct {
    size_t p, q, split;      /* node [p, q] split after `split` */
    size_t num_blocks;       /* independent rank-r problems */
    size_t block_rows, block_cols;
    double rel_error;        /* ||T - W H||_F / ||T||_F at this node */
    size_t blocks_iterative; /* solved by power iteration, Lanczos or (rank > 1) subspace iteration */
    size_t blocks_dense_svd; /* solved by LAPACK's SVD (the fallback) */
    size_t blocks_failed;    /* SVD did not converge (reported, not hidden) */
    double time_s;
} dmf_node_report;

typedef struct {
    size_t num_nodes;
    dmf_node_report nodes[64];
    double time_s;     /* the whole call: input checks, transfers and factorization */
    double transfer_s; /* of which copies between host and device (0 on the CPU) */
    double device_s;   /* of which the tree's splits: on CUDA the device's clock (events
                        * around the tree, the upload and downloads excluded); on the CPU
                        * the host's clock over the same stretch (without the input
                        * checks and scaling) */
} dmf_butterfly_report;

DMF_API void dmf_butterfly_options_default(dmf_butterfly_options *opts);
/* Factors `a` (rows = prod m, cols = prod n) into a chain.  `report` may be
 * NULL.  Fails with DMF_ERR_NUMERIC if any block's SVD failed; the chain is
 * still returned in *out then, so the caller can inspect it. */
DMF_API int dmf_butterfly_factor(dmf_context *ctx, const dmf_matrix *a, const size_t *radix_m,
                         const size_t *radix_n, size_t num_factors, const dmf_tree *tree,
                         const dmf_butterfly_options *opts, dmf_chain **out,
                         dmf_butterfly_report *report);

/* ---- unknown row and column permutations (docs/permutations.md) -------- */

/* What the search saw at the split after factor s: the smallest score of a
 * row to the first row of its group and of a column to the first column of
 * its part (1 = exactly parallel; unrelated vectors score about 1/size). */
typedef struct {
    double group_score;
    double column_score;
} dmf_perm_level;

typedef struct {
    size_t num_levels;           /* splits examined: num_factors - 1 */
    dmf_perm_level levels[64];
    double min_score;            /* the smallest of all the scores */
    double time_s;
} dmf_perm_report;

/* Finds perm_rows (length rows) and perm_cols (length cols) such that
 * B[i][j] = a[perm_rows[i]][perm_cols[j]] is, as nearly as the search can
 * tell, a rank-one chain on the radices: the rank-one blocks that every
 * split of such a chain has are read off `a` split by split.  The answer is
 * unique up to the permutations that map the chain's support onto itself;
 * how well B is a chain is for the factorization to say. */
DMF_API int dmf_butterfly_identify_permutations(const dmf_matrix *a, size_t num_factors,
                                                const size_t *radix_m, const size_t *radix_n,
                                                size_t *perm_rows, size_t *perm_cols,
                                                dmf_perm_report *report);
/* b[i][j] = a[rows[i]][cols[j]] (NULL for the identity); *out is new. */
DMF_API int dmf_matrix_permute(const dmf_matrix *a, const size_t *rows, const size_t *cols,
                               dmf_matrix **out);
/* The radix-aware digit reversal: the index whose digits in the radices
 * (radix[0] most significant) are the digits of i in the reversed radices. */
DMF_API int dmf_digit_reversal(size_t count, const size_t *radix, size_t *perm);

/* ---- fixed-support two-factor factorization (FSMF) ---------------------- */

typedef struct {
    size_t num_classes;     /* distinct rank-one supports */
    size_t largest_class;
    int disjoint_or_identical; /* 1: the greedy/SVD solution is optimal */
    size_t conflict_k1, conflict_k2; /* a pair of overlapping classes, if any */
    double rel_error;       /* ||A - X Y||_F / ||A||_F reached */
    int optimal;            /* 1 when the class condition holds, or the completion is exact */
    int identifiable;       /* DMF_IDENT_*: of the supports (dmf_fsmf_identifiability) */
    int completed;          /* 1: X, Y are the rank-one completion's (lower error than greedy) */
} dmf_fsmf_report;

/* Two-layer fixed-support identifiability (Zheng, Riccietti, Gribonval):
 * whether every A = X Y with supp(X) = sx and supp(Y) = sy (all allowed
 * entries nonzero) determines X and Y up to the scaling of each rank-one
 * piece X[:, k] Y[k, :].  See docs/fsmf.md. */
enum { DMF_IDENT_NO = 0, DMF_IDENT_YES = 1, DMF_IDENT_UNKNOWN = 2 };
enum {
    DMF_IDENT_BY_COMPLETION = 0, /* yes: every piece completes */
    DMF_IDENT_BY_EMPTY_SIDE,     /* no: a piece has rows but no columns, or columns but no rows */
    DMF_IDENT_BY_SAME_SUPPORT,   /* no: two pieces have the same rank-one support */
    DMF_IDENT_BY_RANK_TEST,      /* no: pieces move without changing X Y (generic first order) */
    DMF_IDENT_BY_NOT_DECIDED,    /* unknown: the completion stops, no first-order ambiguity */
    DMF_IDENT_BY_TOO_LARGE       /* unknown: the completion stops, too large for the rank test */
};
/* piece_flags[k] bits (K entries, may be NULL). */
enum { DMF_PIECE_INCOMPLETE = 1, DMF_PIECE_AMBIGUOUS = 2 };
typedef struct {
    int identifiable;       /* DMF_IDENT_NO / _YES / _UNKNOWN */
    int reason;             /* DMF_IDENT_BY_* */
    size_t num_incomplete;  /* pieces the completion could not complete */
    size_t num_ambiguous;   /* pieces that the reason shows can change */
    size_t extra_dims;      /* rank test: ambiguity dimensions beyond scaling */
} dmf_ident_report;
DMF_API int dmf_fsmf_identifiability(const dmf_matrix *sx, const dmf_matrix *sy,
                                     unsigned char *piece_flags, dmf_ident_report *report);
/* A sentence for a DMF_IDENT_BY_* reason (static storage). */
DMF_API const char *dmf_ident_reason_string(int reason);

/* A ~ X Y with supp(X) in sx (rows x K) and supp(Y) in sy (K x cols); sx and
 * sy are 0/1 patterns (any dtype, nonzero = in the support). */
DMF_API int dmf_fsmf(dmf_context *ctx, const dmf_matrix *a, const dmf_matrix *sx, const dmf_matrix *sy,
             dmf_matrix **x, dmf_matrix **y, dmf_fsmf_report *report);

/* The supports of a two-factor class found from A (docs/fsmf.md): the
 * class is the two-factor chain on radix_m = (m0, m1), radix_n = (n0, n1)
 * (X: n0 nonzeros per row and m0 per column, Y: n1 per row and m1 per
 * column; m0 m1 = rows, n0 n1 = cols, K = n0 m1) with the rows of X and
 * the columns of Y in an order the butterfly permutation search reads off
 * A.  With radix_m and radix_n NULL both classes of factors with 2 and half
 * the size nonzeros per row and column are tried ((2, rows/2) x (2, cols/2),
 * the DFT's; (rows/2, 2) x (cols/2, 2), the DCT-II's and DST-II's) in that
 * order: the first exact to rounding, else the one whose FSMF error is least
 * is kept.  *sx (rows x K) and *sy (K x cols)
 * are new 0/1 float64 patterns for dmf_fsmf. */
typedef struct {
    size_t radix_m[2], radix_n[2]; /* the class kept */
    size_t classes_tried;
    double min_score;              /* the permutation search's (1: every block was exactly rank one) */
    double time_s;
} dmf_support_report;
DMF_API int dmf_fsmf_find_supports(dmf_context *ctx, const dmf_matrix *a, const size_t *radix_m,
                                   const size_t *radix_n, dmf_matrix **sx, dmf_matrix **sy,
                                   dmf_support_report *report);

/* ---- lifting rank and identifiability (Malgouyres & Landsberg) -------- */

typedef struct dmf_network dmf_network;

/* Reads a network spec (JSON).  "type" is one of
 *   "conv":      {"N": 64, "root": "r", "edges": [{"from": "x", "to": "r",
 *                 "support": [0, 1, 2] | {"contiguous": S} | {"dilated": k}}, ...]}
 *                circular convolutions on R^N over a rooted DAG; edges point
 *                towards the root, leaves are the nodes nothing points to,
 *                every leaf-root path has the same length K;
 *   "triplets":  {"layers": [{"rows": m, "cols": n, "entries":
 *                 [[row, col, param, coef], ...]}, ...]}, M_1 first;
 *   "butterfly": {"radix_m": [...], "radix_n": [...]}: M_k = F_k of a chain,
 *                one parameter per nonzero;
 *   "masked":    {"sizes": [n_0, ..., n_K], "masks": [MASK, ...]}: M_k is
 *                n_{k-1} x n_k with one parameter per allowed entry, MASK a
 *                0/1 nested list, a .npy/.mtx path, or "dense".
 * Errors name the offending node, edge, layer or entry. */
DMF_API int dmf_network_read(const char *path, dmf_network **out);
DMF_API int dmf_network_parse(const char *json_text, const char *origin, dmf_network **out);
DMF_API void dmf_network_free(dmf_network *net);
DMF_API size_t dmf_network_num_layers(const dmf_network *net); /* K */
DMF_API size_t dmf_network_num_params(const dmf_network *net); /* S */

typedef struct {
    size_t samples;          /* R, grown until the rank stops below it */
    size_t sample_length;    /* D, entries of one sample vec(A P(h)) */
    size_t rank;             /* the chosen rank: the machine-precision rule */
    size_t rank_eps;         /* sigma_i > max(D, R) * eps * sigma_1 */
    size_t rank_gap;         /* just before the largest ratio sigma_i / sigma_{i+1} */
    size_t rank_sqrt_eps;    /* sigma_i > sqrt(eps) * sigma_1 (a loose rule) */
    int rules_agree;
    double gap;              /* sigma_rank / sigma_{rank+1} (inf when rank = R) */
    size_t upper_bound;      /* min(D, number of valid monomials) */
    int reached_bound;       /* R could not exceed the rank: it equals the bound */
    double *spectrum;        /* the R singular values, descending (owned) */
    size_t spectrum_length;
    double time_s;
    /* 1 when one layer's coefficients spread over more than 2^26: h[p] was
     * then drawn with standard deviation 2^-e (e: the binary exponent of
     * parameter p's largest |coef|), which leaves the rank as it is; the
     * spectrum is that of these samples. */
    int params_rescaled;
    /* The largest spread (binary orders) left among the coefficients of
     * one parameter after that: above 26 the rank may be too low. */
    int residual_spread_log2;
} dmf_liftrank_report;

/* Monte Carlo rank of the lifted operator (Prop. 5.3) in float64: samples
 * vec(A P(h^r)) for Gaussian h^r, SVD of the D x R sample matrix (not its
 * Gram matrix), R doubled from `initial_samples` until the rank is below R
 * or reaches upper_bound. */
DMF_API int dmf_liftrank(dmf_context *ctx, const dmf_network *net, uint64_t seed, size_t initial_samples,
                 dmf_liftrank_report *report);
DMF_API void dmf_liftrank_report_free(dmf_liftrank_report *report);

/* Smallest nonzero singular value of A, from its explicit matrix on the
 * S^K tensor basis (DMF_ERR_SHAPE when S^K * D exceeds `max_entries`).  For a
 * convolutional network it is that of the full operator onto R^{N x N|F|},
 * sqrt(N) times that of the per-leaf kernel map. */
DMF_API int dmf_lift_sigma_min(const dmf_network *net, size_t max_entries, double *sigma_min, size_t *rank);

typedef struct {
    int scattered;           /* Definition 8.1: every entry of M_1(1)...M_K(1) in {0, 1} */
    int convolutional;       /* 1: offending entries name a leaf and a kernel position; 0: a column
                              * j of X (leaf) and a row i (position) with value paths from j to i */
    size_t num_offending;
    struct { size_t leaf, position; long long value; } offending[16]; /* the first ones */
} dmf_scatter_report;

/* Algorithm 8.1 in exact integer arithmetic (DMF_ERR_NUMERIC on overflow):
 * for a convolutional network as the paper states it (integer
 * coefficients), and extended to any network whose coefficients are 0 or 1
 * (masked, butterfly, 0/1 triplets), where it counts the paths between
 * every input and output position (DMF_ERR_ARG for other coefficients). */
DMF_API int dmf_scatter(const dmf_network *net, dmf_scatter_report *report);
/* What a scattering report says (static text): for a convolutional network
 * Thm 8.4's topological verdict; for another network only what the path
 * counts show, since Thm 8.4 is not claimed there. */
DMF_API const char *dmf_scatter_verdict(const dmf_scatter_report *report);
DMF_API const char *dmf_network_leaf_name(const dmf_network *net, size_t leaf);

/* ---- verdicts and parameter recovery (Malgouyres & Landsberg) --------- */

/* What the rank of the lifted operator says (docs/liftrank.md): every
 * string is static.  Theorem 6.4's threshold is dim Sigma_2 of
 * R^{S_1} (x) ... (x) R^{S_K}: 4(S-1) for two layers of S parameters,
 * 2K(S-1)+2 for K > 2. */
typedef struct {
    size_t valid_monomials;       /* tuples on valid paths (upper_bound = min(D, this)) */
    const char *upper_bound_rule; /* "valid paths" or "monomials" (S_1...S_K) */
    size_t dim_sigma2;            /* Thm 6.4 threshold */
    const char *dim_sigma2_rule;
    size_t twice_s;               /* Thm 6.5 threshold, 2 max_k S_k */
    int identifiable_thm_6_4;     /* rank >= dim_sigma2 */
    int not_identifiable_thm_6_5; /* 2S > rank */
    const char *verdict;          /* one sentence naming the theorem */
    const char *notion;           /* the equivalence of Thms 6.4 and 6.5 */
    const char *conditions_thm_6_4, *conditions_thm_6_5;
    int has_thm_8_4;              /* convolutional networks: */
    const char *notion_thm_8_4, *conditions_thm_8_4;
} dmf_lift_verdict;
DMF_API int dmf_lift_verdict_get(const dmf_network *net, size_t rank, dmf_lift_verdict *verdict);

/* Parameters h = (h_1 ... h_K) travel as K x S row-major float64 arrays
 * (S = dmf_network_num_params): row k holds h_{k+1} in its first S_{k+1}
 * entries, the rest are ignored on input and zero on output. */

/* "conv", "triplets", "butterfly" or "masked". */
DMF_API const char *dmf_network_type(const dmf_network *net);
/* X = M_1(h_1) ... M_K(h_K), a float64 rows(X) x cols(X) matrix. */
DMF_API int dmf_network_apply_params(const dmf_network *net, const double *h, dmf_matrix **x);
/* ||X - M(h)||_F for X (float64, rows(X) x cols(X)): e.g. the error of the
 * data against the truth that the stability bounds take as delta. */
DMF_API int dmf_network_residual(const dmf_network *net, const dmf_matrix *x, const double *h, double *residual);
/* A random problem: h with i.i.d. N(0, 1) entries, X = M(h) + e with
 * Gaussian e scaled to ||e||_F = noise ||M(h)||_F (*noise_norm = ||e||_F). */
DMF_API int dmf_network_synth(const dmf_network *net, uint64_t seed, double noise, double *h, dmf_matrix **x,
                              double *noise_norm);

/* A convolutional network's X = [circ(y_1) | ... | circ(y_L)] is its
 * leaves' kernels y_f = X's column idx(f) N: an L x N float64 array, row f
 * the leaf f (leaves in order of first appearance in the spec,
 * dmf_network_leaf_name), N times smaller than X (docs/liftrank.md).
 * DMF_ERR_ARG for other networks. */
DMF_API int dmf_network_kernels(const dmf_network *net, const double *h, dmf_matrix **kernels);
/* dmf_network_synth's h for the same seed and the kernels of X = M(h) + e,
 * e = [circ(e_1) | ...] with Gaussian e_f scaled to ||e||_F = noise
 * ||M(h)||_F (*noise_norm = ||e||_F): noise on the kernels, where dense
 * noise would only count through its circulant part. */
DMF_API int dmf_network_synth_kernels(const dmf_network *net, uint64_t seed, double noise, double *h,
                                      dmf_matrix **kernels, double *noise_norm);
/* ||X - M(h)||_F for X given by its kernels: sqrt(N) ||y - kernels(h)||_F. */
DMF_API int dmf_network_residual_kernels(const dmf_network *net, const dmf_matrix *kernels, const double *h,
                                         double *residual);

enum { DMF_RECOVER_ALS = 0, DMF_RECOVER_LIFTING = 1 };
/* How each sweep solves for the parameters (docs/liftrank.md):
 * LAYERS: h_k at once, a least-squares system of rows(X) |probes| rows;
 * EDGES: convolutional trees only, each edge's kernel on its own from the
 * paths through it, in the Fourier domain (O(|E| N) a sweep, the same
 * iterates to rounding); AUTO: EDGES where it applies, else LAYERS. */
enum { DMF_RECOVER_SOLVER_AUTO = 0, DMF_RECOVER_SOLVER_LAYERS = 1, DMF_RECOVER_SOLVER_EDGES = 2 };

typedef struct {
    size_t restarts;        /* starts (0: 10 with ALS, 1 with the lifting) */
    size_t max_iterations;  /* sweeps per start (0: 500) */
    double tol;             /* stop when a sweep lowers ||X - M(h)|| by <= tol ||X|| (0: 1e-15) */
    uint64_t seed;          /* of the random starts */
    int method;             /* DMF_RECOVER_ALS: random starts; DMF_RECOVER_LIFTING: the first start
                             * from the lifting (least squares on the explicit lifted operator,
                             * rank-one projection, projected gradient), the others random */
    size_t max_lifting_entries; /* of the explicit operator (0: 2e7) */
    int solver;             /* DMF_RECOVER_SOLVER_* (0: AUTO); EDGES on another network: DMF_ERR_ARG */
    dmf_context *ctx;       /* where the lifting forms its operator (the backend's lifting-sample
                             * kernels; NULL: the CPU) */
} dmf_recover_options;

/* What the lifting's start did (dmf_recover with DMF_RECOVER_LIFTING). */
typedef struct {
    int used;
    size_t sample_length, columns; /* the explicit operator A: D x S_1...S_K */
    size_t rank;                   /* of A (columns: injective, one tensor per sample) */
    double sigma_max;
    double ls_rel_residual;        /* ||A T_0 - y|| / ||y||, T_0 the least-squares tensor */
    size_t iterations;             /* projected gradient steps on the rank-one tensors */
    double rel_residual;           /* of the rank-one tensor, before the ALS sweeps */
    double time_s;
} dmf_lifting_report;

typedef struct {
    double *h;               /* K x S: the best start's estimate (owned) */
    size_t best;             /* that start */
    double residual;         /* ||X - M(h)||_F */
    double rel_residual;     /* residual / ||X||_F */
    size_t iterations;       /* sweeps of the best start */
    size_t restarts;
    double *start_h;         /* restarts x K x S: every start's estimate (owned) */
    double *start_residual;  /* restarts */
    size_t *start_iterations;
    size_t total_iterations;
    dmf_lifting_report lifting;
    double time_s;
    int solver;              /* the DMF_RECOVER_SOLVER_ that ran (LAYERS or EDGES) */
} dmf_recover_report;

/* Estimates h from X (float64, rows(X) x cols(X)) by alternating least
 * squares on the parameters (each h_k enters X linearly), from
 * options->restarts starts (Gaussian; with DMF_RECOVER_LIFTING the first
 * from the lifting), keeping the smallest residual (docs/liftrank.md).
 * Every network type; convolutional trees by default edge by edge
 * (options->solver, report->solver).  options may be NULL. */
DMF_API int dmf_recover(const dmf_network *net, const dmf_matrix *x, const dmf_recover_options *options,
                        dmf_recover_report *report);
/* The same from a convolutional network's leaf kernels (L x N float64, as
 * dmf_network_kernels gives them) instead of X: never forms X, whose
 * ||X||_F and residuals follow exactly (sqrt(N) times the kernels').
 * DMF_ERR_ARG for another network, DMF_ERR_SHAPE for another shape,
 * DMF_ERR_NUMERIC for an entry that is not finite. */
DMF_API int dmf_recover_kernels(const dmf_network *net, const dmf_matrix *kernels, const dmf_recover_options *options,
                                dmf_recover_report *report);
DMF_API void dmf_recover_report_free(dmf_recover_report *report);

/* d_p (Definition 4.1 of paper 001) between the classes of h and g up to
 * per-layer scaling, p in [1, INFINITY]; for a convolutional network also
 * delta_p between path classes (Section 8: the d_p of the kernels along
 * every leaf-root path, combined in l^p), else NAN.  DMF_ERR_ARG when a
 * layer (or a path's kernel) of h or g is zero. */
DMF_API int dmf_param_distance(const dmf_network *net, const double *h, const double *g, double p, double *d_p,
                               double *delta_p);

/* A stability bound of paper 001 evaluated for a truth h-bar, an estimate
 * h* and the errors delta = ||X - M(h-bar)||_F, eta = ||X - M(h*)||_F
 * (docs/liftrank.md).  holds = 1 when every condition of the theorem is
 * met, and then `bound` bounds delta_p (Thm 8.4) or d_p (Thm 7.2);
 * otherwise why_not names the first condition that fails (static). */
typedef struct {
    const char *theorem;
    int holds;
    const char *why_not;
    double bound;        /* NAN unless holds */
    double error_limit;  /* the largest delta + eta the theorem allows */
    double epsilon;      /* Thm 8.4: min_e ||h-bar_e||_inf */
    double sigma_min;    /* Thm 7.2: smallest nonzero singular value of A */
    double gamma;        /* Thm 7.2: the deep-NSP constant (1 when Ker A = {0}), else NAN */
    int gamma_estimated; /* Thm 7.2: gamma is dmf_deep_nsp's estimate, a lower bound on the smallest
                          * valid constant, so `bound` is not guaranteed (0: exact, or none) */
    double tensor_distance; /* Thm 4.3: ||P(h-bar) - P(h*)||_inf, P the Segre embedding, else NAN */
} dmf_stability_bound;
/* Thm 4.3: the classes of two parameters from their rank-one tensors,
 * d_p <= 7 (K S)^(1/p) min(||P(h-bar)||_inf^(1/K-1), ||P(h*)||_inf^(1/K-1))
 * ||P(h-bar) - P(h*)||_inf when that difference is at most half the larger
 * sup norm; P(h) = h_1 x ... x h_K has prod_k S_k entries (at most
 * max_entries, else why_not says so). */
DMF_API int dmf_stability_thm_4_3(const dmf_network *net, const double *truth, const double *estimate, double p,
                                  size_t max_entries, dmf_stability_bound *bound);
/* Thm 8.4: convolutional networks (sufficiently scattered). */
DMF_API int dmf_stability_thm_8_4(const dmf_network *net, const double *truth, double delta, double eta, double p,
                                  dmf_stability_bound *bound);
/* Thm 7.2 / SPARS 2017 Thm 1: any network whose explicit lifted operator
 * has at most max_entries entries; gamma = 1 when Ker A = {0}, else
 * dmf_deep_nsp's (default options, max_entries). */
DMF_API int dmf_stability_thm_7_2(const dmf_network *net, const double *truth, const double *estimate, double delta,
                                  double eta, double p, size_t max_entries, dmf_stability_bound *bound);

/* The deep-NSP constant of Ker A (Definition 7.1 of paper 001; SPARS 2017
 * Definition 1) for the model R^{S_1} x ... x R^{S_K} (docs/liftrank.md):
 * the smallest valid gamma is 1 / sin theta, theta the least angle between
 * Ker A and the differences of rank-one tensors (any rho works: the set is a
 * cone), i.e. sup over T' in Ker A of ||T'|| / dist(T', Sigma_1 - Sigma_1).
 * Exact when Ker A = {0} (gamma = 1) or when a rank-one tensor, or a
 * difference of two basis tensors, lies in Ker A (a zero or two parallel
 * columns of A: the property fails); otherwise estimated by local searches
 * from random points of the unit sphere of Ker A (alternating projections,
 * then BFGS for K = 2; the distance to rank <= 2 exact by Eckart-Young for
 * K = 2, from above by ALS on two rank-one terms for K > 2): every search
 * ends at a feasible point, so the estimate is a lower bound on the
 * smallest valid gamma, never a proven one. */
typedef struct {
    size_t starts;         /* local searches (0: 24) */
    size_t max_iterations; /* per search (0: 500) */
    uint64_t seed;
    size_t max_entries;    /* of the explicit A (0: 2e6) */
    size_t max_columns;    /* S_1...S_K for the search (0: 1024; A's right singular vectors are n x n) */
    size_t max_kernel_dim; /* dim Ker A for the search (0: 128) */
} dmf_deep_nsp_options;

typedef struct {
    int computed;          /* 0: not computable, why_not says why (gamma NAN) */
    int holds;             /* computed and gamma finite (for the estimate: no search met Sigma_1 - Sigma_1) */
    const char *why_not;   /* static: why not computed, or why the property fails */
    const char *method;    /* static: "exact: Ker A = {0}", "exact: ... in Ker A", "estimate: ..." */
    int estimated;         /* 1: gamma from the searches (a lower bound on the smallest valid gamma) */
    double gamma;          /* 1 / distance; INFINITY when it fails; NAN when not computed */
    double distance;       /* the least dist(T', Sigma_1 - Sigma_1) found over unit T' in Ker A */
    double gamma_median, gamma_worst; /* over the searches (the spread) */
    double tolerance;      /* distances at or below it count as 0 (the property fails) */
    size_t starts, converged, at_best; /* searches run, converged, within 1e-6 of the best */
    size_t columns, rank, kernel_dim;  /* A: D x columns; rank and kernel only where the SVD ran */
    double time_s;
    double sigma_min;      /* where the SVD ran: as dmf_lift_sigma_min (full operator), else NAN */
} dmf_deep_nsp_report;

DMF_API int dmf_deep_nsp(const dmf_network *net, const dmf_deep_nsp_options *options, dmf_deep_nsp_report *report);
/* Thm 7.2 with the deep-NSP report of the same network: gamma from it
 * (estimated ones flagged in gamma_estimated), sigma_min from A. */
DMF_API int dmf_stability_thm_7_2_nsp(const dmf_network *net, const double *truth, const double *estimate,
                                      double delta, double eta, double p, size_t max_entries,
                                      const dmf_deep_nsp_report *nsp, dmf_stability_bound *bound);

/* ---- ReLU generators and blind demodulation (Hand & Joshi) ------------- */

typedef struct dmf_generator dmf_generator;

/* G(h) = relu(W_d ... relu(W_1 h)), no biases.  sizes = n_0 (latent) ...
 * n_d (output, l); float64 until dmf_generator_set_dtype.  Random weights as in the paper: inner layers
 * with rows N(0, I/n_i), the last layer with rows w 1{||w|| <= 3 sqrt(n_{d-1}/l)},
 * w ~ N(0, I/l). */
DMF_API int dmf_generator_random(dmf_generator **out, const size_t *sizes, size_t num_sizes, uint64_t seed);
/* `networks` independent networks of the same sizes, drawn one after the
 * other from the seed (network 0 is dmf_generator_random's).  In a batch,
 * row r runs through network r mod networks; Algorithm 1 takes one network
 * (shared by all trials) or one per trial. */
DMF_API int dmf_generator_random_networks(dmf_generator **out, const size_t *sizes, size_t num_sizes, size_t networks,
                                  uint64_t seed);
/* From weight matrices W_i (n_i x n_{i-1}, any real dtype). */
DMF_API int dmf_generator_from_weights(dmf_generator **out, const dmf_matrix *const *weights, size_t num_layers);
/* JSON: {"sizes": [10, 250, 1000], "seed": 1} or {"weights": ["W1.npy", ...]}
 * (paths relative to the spec file).  Errors name the layer. */
DMF_API int dmf_generator_read(const char *path, dmf_generator **out);
/* The same with `networks` networks drawn from a "sizes"/"seed" spec
 * (a spec of weight files gives one network: DMF_ERR_ARG for more). */
DMF_API int dmf_generator_read_networks(const char *path, size_t networks, dmf_generator **out);
/* Converts the weights to f32 or f64 in place (f64 -> f32 rounds).  The
 * passes and Algorithm 1 run in the generators' dtype; their inputs and
 * outputs stay float64 in this interface. */
DMF_API int dmf_generator_set_dtype(dmf_generator *gen, dmf_dtype dtype);
DMF_API dmf_dtype dmf_generator_dtype(const dmf_generator *gen);
DMF_API size_t dmf_generator_networks(const dmf_generator *gen);
/* 1 when the weights were drawn from a seed (untrained), 0 when loaded. */
DMF_API int dmf_generator_is_random(const dmf_generator *gen);
DMF_API void dmf_generator_free(dmf_generator *gen);
DMF_API size_t dmf_generator_input_size(const dmf_generator *gen);
DMF_API size_t dmf_generator_output_size(const dmf_generator *gen);
DMF_API size_t dmf_generator_depth(const dmf_generator *gen);
/* out (batch x l) = G(in) for in (batch x n_0), row-major. */
DMF_API int dmf_generator_forward(dmf_context *ctx, const dmf_generator *gen, const double *in, size_t batch,
                          double *out);
/* grad (batch x n_0) = J(in)^T v for v (batch x l). */
DMF_API int dmf_generator_vjp(dmf_context *ctx, const dmf_generator *gen, const double *in, const double *v,
                      size_t batch, double *grad);

typedef enum { DMF_STEP_FIXED = 0, DMF_STEP_SCALED = 1, DMF_STEP_BACKTRACKING = 2 } dmf_step_rule;

typedef struct {
    size_t iterations;      /* at most (default 500) */
    double step;            /* eta (fixed: needs to be of the order l 4^d / ||m||^2 for the
                             * paper's weights), eta = step * l (scaled), or the first
                             * trial as a fraction of l 4^d / ||m||^2 (backtracking) */
    dmf_step_rule step_rule;/* default backtracking */
    double momentum;        /* heavy ball, fixed and scaled rules only (default 0) */
    double tol;             /* stop when ||G1(h).G2(m) - y0|| <= tol ||y0|| (default 1e-7;
                             * in f32 the residual stalls near 1e-6: use 1e-5) */
    int sign_check;         /* step 1 of Algorithm 1 (default 1) */
    double success_tol;     /* success: balanced relative error <= this (default 1e-3) */
} dmf_demod_options;

typedef struct {
    int success;            /* ||(h,m) - (h0,m0)|| / ||(h0,m0)|| <= success_tol, both balanced */
    int converged;          /* the tolerance on the residual was met */
    size_t iterations;
    double rel_error;       /* that relative error (NaN without the truth) */
    double rel_residual;    /* ||G1(h).G2(m) - y0|| / ||y0|| */
    double objective;       /* f(h, m) */
} dmf_demod_trial;

DMF_API void dmf_demod_options_default(dmf_demod_options *opts);
/* Algorithm 1 of Hand & Joshi for `batch` independent trials, in the
 * generators' dtype (both the same).  Each generator has one network, shared
 * by the trials, or `batch` networks, network t for trial t.  y0 is batch x l, h and m (batch x n1, batch x n2) hold the
 * starts and receive the estimates.  h0, m0 (optional) give the truth for
 * the success measure.  trace (optional, batch x iterations) receives f
 * after each iteration; a stopped trial repeats its last value and entries
 * after the whole batch stopped are left as they were. */
DMF_API int dmf_demod_solve(dmf_context *ctx, const dmf_generator *g1, const dmf_generator *g2, const double *y0,
                    size_t batch, double *h, double *m, const double *h0, const double *m0,
                    const dmf_demod_options *opts, dmf_demod_trial *trials, double *trace);

/* The distortion fields of the paper's image experiment:
 * out[i * grid + j] = exp(-((x_j - c)^2 + (x_i - c)^2) / sigma) on the grid
 * x_k = -5 + 10 k / (grid - 1), k < grid (rows: y = x_i, columns: x = x_j).
 * grid >= 2, sigma > 0. */
DMF_API int dmf_gaussian_field(size_t grid, double c, double sigma, double *out);
/* `count` fields (count x grid^2) with c ~ U[-3, 3], sigma ~ U[20, 35] drawn
 * from `seed` (the paper's ranges); params (optional, count x 2) gets
 * (c, sigma) per field.  Training data for a field generator. */
DMF_API int dmf_gaussian_fields(size_t grid, size_t count, uint64_t seed, double *fields, double *params);
/* h (nh values), then m (nm values) ~ N(0, 1), from one stream of dmf's
 * seeded generator: the latents `dmf demod synth|solve|sweep` draw (their
 * seeds mix --seed or --start-seed with a stream number first), for
 * bindings that reproduce the command line's problems.  h or m may be NULL
 * when its count is 0. */
DMF_API int dmf_demod_draw_latents(uint64_t seed, double *h, size_t nh, double *m, size_t nm);

/* ---- PALM4MSA and hierarchical PALM (Le Magoarou & Gribonval) --------- */

/* A ~ lambda S_0 S_1 ... S_{J-1} with every S_j in a constraint set E_j and
 * one scalar lambda (as pyfaust.fact.palm4msa / hierarchical).  Dense
 * factors in the dtype of A; the formulas are in docs/palm.md.  Each
 * constraint is a projection onto E_j, named as in pyfaust: */
typedef enum {
    DMF_CONS_SP = 0,       /* at most k nonzeros: the k largest |x| */
    DMF_CONS_SPLIN = 1,    /* k per row */
    DMF_CONS_SPCOL = 2,    /* k per column */
    DMF_CONS_SPLINCOL = 3, /* the union of the splin and spcol supports */
    DMF_CONS_NORMCOL = 4,  /* every nonzero column scaled to norm `value` */
    DMF_CONS_NORMLIN = 5,  /* every nonzero row scaled to norm `value` */
    DMF_CONS_SUPP = 6,     /* zero outside the nonzeros of `matrix` (a fixed support) */
    DMF_CONS_CONST = 7,    /* the factor is `matrix` and is never updated */
    DMF_CONS_BLOCKDIAG = 8 /* zero outside diagonal blocks of the given sizes */
} dmf_constraint_kind;

typedef struct {
    dmf_constraint_kind kind;
    size_t rows, cols;        /* the factor's shape */
    size_t k;                 /* sp, splin, spcol, splincol */
    double value;             /* normcol, normlin */
    const dmf_matrix *matrix; /* supp, const (borrowed; const: the dtype of A) */
    const size_t *block_rows, *block_cols; /* blockdiag: sizes of the blocks, */
    size_t num_blocks;                     /* summing to rows and to cols */
    int normalized;           /* sp, splin, spcol, splincol, supp, blockdiag: scale
                               * the projection to ||S||_F = 1 (pyfaust's default,
                               * 1; lambda carries the scale) */
} dmf_constraint;

/* "sp", "splin", "spcol", "splincol", "normcol", "normlin", "supp", "const",
 * "blockdiag"; DMF_ERR_ARG naming the known ones otherwise. */
DMF_API int dmf_constraint_parse_kind(const char *name, dmf_constraint_kind *kind);
DMF_API const char *dmf_constraint_kind_name(dmf_constraint_kind kind);
/* x <- P_E(x) in place (Euclidean projection; ties among equal magnitudes
 * are broken towards the smaller row-major index). */
DMF_API int dmf_constraint_project(const dmf_constraint *c, dmf_matrix *x);

/* When PALM stops (pyfaust's StoppingCriterion): with tol > 0 when the
 * error is <= tol (relative when relerr, else ||A - lambda S||_F) or after
 * maxiter iterations; otherwise after num_its.  erreps > 0 also stops when
 * the error changed by <= erreps in the last iteration. */
typedef struct {
    size_t num_its;   /* default 200 */
    double tol;       /* default 0: off */
    int relerr;       /* default 0 (pyfaust's) */
    double erreps;    /* default 0: off */
    size_t maxiter;   /* default 10000 */
} dmf_stop_crit;

typedef struct {
    dmf_stop_crit stop;
    double init_lambda;      /* default 1 */
    int update_right_to_left;/* sweep S_{J-1} first (pyfaust's is_update_way_R2L) */
    int constant_step_size;  /* step 1 / step_size instead of the Lipschitz one */
    double step_size;
    size_t norm2_max_iter;   /* power iterations of a spectral norm (default 100) */
    double norm2_threshold;  /* their relative stopping change (default 1e-6) */
} dmf_palm_options;

typedef enum { DMF_STOP_NUM_ITS = 0, DMF_STOP_TOL = 1, DMF_STOP_ERREPS = 2, DMF_STOP_MAXITER = 3 } dmf_stop_reason;

typedef struct {
    double rel_error;        /* ||A - lambda S_0...S_{J-1}||_F / ||A||_F (absolute when A = 0) */
    double lambda;
    size_t iterations;       /* PALM sweeps (hierarchical: all local and global ones) */
    dmf_stop_reason stopped_by; /* of the (last) PALM run */
    double time_s;
} dmf_palm_report;

DMF_API void dmf_palm_options_default(dmf_palm_options *opts);
/* PALM4MSA on the J constraints (their shapes chain from rows(A) to
 * cols(A)).  `init` is NULL or J matrices (NULL entries: the default start,
 * the first factor of the sweep zero, the others identity); the start of
 * lambda is opts->init_lambda.  out receives J new factors (projected, the
 * scale in report->lambda); on error none. */
DMF_API int dmf_palm4msa(dmf_context *ctx, const dmf_matrix *a, const dmf_constraint *cons, size_t num_factors,
                         const dmf_matrix *const *init, const dmf_palm_options *opts, dmf_matrix **out,
                         dmf_palm_report *report);

typedef struct {
    size_t iterations;
    double palm_error; /* PALM's own relative error at its end, kept or not */
    int kept;          /* 1: PALM's factors replaced the chain's (a lower error) */
} dmf_refine_report;

/* Refines a chain by `iters` iterations of PALM4MSA with every factor held
 * to its support, started from the chain's factors, against A (permuted as
 * the chain says); PALM's factors (the scale in F_0) replace the chain's
 * only when PALM's error is below `before` (the chain's error against A).
 * Dense factors inside: meant for sizes up to a few hundred. */
DMF_API int dmf_chain_refine(dmf_context *ctx, const dmf_matrix *a, dmf_chain *chain, size_t iters, double before,
                             dmf_refine_report *report);

typedef struct {
    dmf_palm_options local;  /* the two-factor splits (pyfaust's stop_crit1) */
    dmf_palm_options global; /* the refinements of all factors (stop_crit2) */
    int fact_side_left;      /* peel factors off the right end (is_fact_side_left) */
} dmf_hierarchical_options;

DMF_API void dmf_hierarchical_options_default(dmf_hierarchical_options *opts);
/* Hierarchical PALM (pyfaust.fact.hierarchical): J-1 steps; step i splits
 * the residual factor in two by PALM under fact_cons[i] and res_cons[i],
 * then refines all i+2 factors against A by PALM.  out receives J factors
 * in product order, the scale in report->lambda. */
DMF_API int dmf_hierarchical(dmf_context *ctx, const dmf_matrix *a, const dmf_constraint *fact_cons,
                             const dmf_constraint *res_cons, size_t num_factors,
                             const dmf_hierarchical_options *opts, dmf_matrix **out, dmf_palm_report *report);

#ifdef __cplusplus
}
#endif
#endif /* DMF_H */
