/* The CPU's PALM kernels on one factor (for one dtype; included by
 * cpu_palm_impl.h): the CSR copy of a factor's dense array and the
 * products with it.  A factor keeps a CSR copy when at most 1/CSR_DENSITY of
 * it is nonzero: a CSR product costs O(nnz) per dense column, against
 * O(rows cols) for BLAS, and BLAS's higher speed per flop wins above about
 * that density (1/16 made the random 1024 benchmark 25% slower). */

#ifndef DMF_PALM_CSR_DENSITY
#define DMF_PALM_CSR_DENSITY
enum { CSR_DENSITY = 8 };
#endif

/* C = alpha op(A) op(B) + beta C, row-major, op = identity or (with h)
 * the conjugate transpose; A is m x k after op, B k x n. */
static void FN(gemm)(int ha, int hb, size_t m, size_t n, size_t k, SCALAR alpha, const SCALAR *A, const SCALAR *B,
                     SCALAR beta, SCALAR *C)
{
    enum CBLAS_TRANSPOSE ta = ha ? (IS_COMPLEX ? CblasConjTrans : CblasTrans) : CblasNoTrans;
    enum CBLAS_TRANSPOSE tb = hb ? (IS_COMPLEX ? CblasConjTrans : CblasTrans) : CblasNoTrans;
    int lda = (int)(ha ? m : k), ldb = (int)(hb ? k : n);
#if DMF_TYPE_ID == 0
    cblas_sgemm(CblasRowMajor, ta, tb, (int)m, (int)n, (int)k, alpha, A, lda, B, ldb, beta, C, (int)n);
#elif DMF_TYPE_ID == 1
    cblas_dgemm(CblasRowMajor, ta, tb, (int)m, (int)n, (int)k, alpha, A, lda, B, ldb, beta, C, (int)n);
#elif DMF_TYPE_ID == 2
    cblas_cgemm(CblasRowMajor, ta, tb, (int)m, (int)n, (int)k, &alpha, A, lda, B, ldb, &beta, C, (int)n);
#else
    cblas_zgemm(CblasRowMajor, ta, tb, (int)m, (int)n, (int)k, &alpha, A, lda, B, ldb, &beta, C, (int)n);
#endif
}

static double FN(sum_sq)(const SCALAR *x, size_t n)
{
    double s = 0;
    for (size_t e = 0; e < n; e++) s += ABS2(x[e]);
    return s;
}

/* One factor: its dense array (what the steps update and the caller gets
 * back) and, when at most 1/CSR_DENSITY of it is nonzero, a CSR copy the products
 * use instead. */
typedef struct {
    size_t rows, cols;
    SCALAR *dense;
    int sparse;
    size_t nnz, capacity;
    size_t *row_ptr, *col;
    SCALAR *val;
    /* The CSR of F^H (F's columns in row order, conjugated values), so
     * that F^H X is a gather over rows like F X: each output row is
     * written once, whole, by one thread. */
    size_t *adj_ptr, *adj_row, *adj_next;
    SCALAR *adj_val;
} FN(palm_factor);

static void FN(factor_free)(FN(palm_factor) *f)
{
    free(f->row_ptr);
    free(f->col);
    free(f->val);
    free(f->adj_ptr);
    free(f->adj_row);
    free(f->adj_next);
    free(f->adj_val);
}

/* Room for `nnz` entries in the CSR arrays. */
static int FN(factor_reserve)(FN(palm_factor) *f, size_t nnz)
{
    if (!f->row_ptr) f->row_ptr = malloc((f->rows + 1) * sizeof *f->row_ptr);
    if (!f->adj_ptr) f->adj_ptr = malloc((f->cols + 1) * sizeof *f->adj_ptr);
    if (!f->adj_next) f->adj_next = malloc((f->cols + 1) * sizeof *f->adj_next);
    if (nnz > f->capacity || !f->col) {
        free(f->col);
        free(f->val);
        free(f->adj_row);
        free(f->adj_val);
        f->capacity = nnz + nnz / 2 + 1;
        f->col = malloc(f->capacity * sizeof *f->col);
        f->val = malloc(f->capacity * sizeof *f->val);
        f->adj_row = malloc(f->capacity * sizeof *f->adj_row);
        f->adj_val = malloc(f->capacity * sizeof *f->adj_val);
    }
    if (!f->row_ptr || !f->col || !f->val || !f->adj_ptr || !f->adj_next || !f->adj_row || !f->adj_val) {
        f->capacity = 0;
        return dmf_fail(DMF_ERR_NOMEM, "cannot allocate a %zu x %zu sparse factor", f->rows, f->cols);
    }
    return DMF_OK;
}

/* The CSR of F^H from F's: a counting sort by column, rows ascending
 * within each (the order in which F^H X used to accumulate them). */
static void FN(factor_adjoint)(FN(palm_factor) *f)
{
    size_t *ptr = f->adj_ptr, *next = f->adj_next;
    memset(ptr, 0, (f->cols + 1) * sizeof *ptr);
    for (size_t p = 0; p < f->nnz; p++) ptr[f->col[p] + 1]++;
    for (size_t c = 0; c < f->cols; c++) ptr[c + 1] += ptr[c];
    memcpy(next, ptr, f->cols * sizeof *next);
    for (size_t r = 0; r < f->rows; r++)
        for (size_t p = f->row_ptr[r]; p < f->row_ptr[r + 1]; p++) {
            size_t q = next[f->col[p]]++;
            f->adj_row[q] = r;
            f->adj_val[q] = CONJ(f->val[p]);
        }
}

/* The CSR copy from the dense array, if sparse enough. */
static int FN(factor_sync)(FN(palm_factor) *f)
{
    size_t n = f->rows * f->cols, nnz = 0;
    for (size_t e = 0; e < n; e++) nnz += f->dense[e] != 0;
    f->sparse = nnz * CSR_DENSITY <= n;
    if (!f->sparse) return DMF_OK;
    DMF_TRY(FN(factor_reserve)(f, nnz));
    size_t p = 0;
    for (size_t r = 0; r < f->rows; r++) {
        f->row_ptr[r] = p;
        for (size_t c = 0; c < f->cols; c++) {
            SCALAR v = f->dense[r * f->cols + c];
            if (v != 0) f->col[p] = c, f->val[p++] = v;
        }
    }
    f->row_ptr[f->rows] = p;
    f->nnz = p;
    FN(factor_adjoint)(f);
    return DMF_OK;
}

/* Keeps the entries of the dense array that keep[] marks, zeroes the
 * others, builds the CSR copy in the same pass when at most 1/CSR_DENSITY of the
 * entries are nonzero (as factor_sync), then scales to unit Frobenius norm
 * if `normalized`: the result of dmf_palm_project's mask and normalization
 * followed by factor_sync, in one pass over the array instead of four. */
static int FN(factor_mask_sync)(FN(palm_factor) *f, const unsigned char *keep, int normalized)
{
    const size_t rows = f->rows, cols = f->cols, cap = rows * cols / CSR_DENSITY;
    DMF_TRY(FN(factor_reserve)(f, cap));
    SCALAR *x = f->dense;
    double sum = 0;
    size_t p = 0;
    int sparse = 1;
    for (size_t r = 0; r < rows; r++) {
        f->row_ptr[r] = p;
        for (size_t c = 0; c < cols; c++) {
            size_t e = r * cols + c;
            if (!keep[e]) {
                x[e] = 0;
                continue;
            }
            SCALAR v = x[e];
            sum += ABS2(v);
            if (v == 0) continue;
            if (p < cap) f->col[p] = c, f->val[p] = v;
            else sparse = 0;
            p++;
        }
    }
    f->row_ptr[rows] = p;
    f->sparse = sparse;
    f->nnz = p;
    if (normalized && sum > 0 && isfinite(sum)) { /* the zero matrix stays zero */
        REAL inv = (REAL)(1 / sqrt(sum));
        if (sparse) {
            for (size_t r = 0; r < rows; r++)
                for (size_t q = f->row_ptr[r]; q < f->row_ptr[r + 1]; q++) {
                    f->val[q] *= inv;
                    x[r * cols + f->col[q]] *= inv;
                }
        } else {
            for (size_t e = 0; e < rows * cols; e++) x[e] *= inv;
        }
    }
    if (sparse) FN(factor_adjoint)(f);
    return DMF_OK;
}

/* Threads only for products of a few milliseconds or more: on a shared
 * machine every parallel region waits at its end for a thread that may
 * have been descheduled, which costs more than small products gain (N = 256
 * Hadamard ran 3x slower on 2 threads than on 1 with other work running). */
#define PALM_PAR(work) if ((work) >= ((size_t)1 << 22))

/* The CSR kernels on the columns t0..t1-1 of row-major arrays (leading
 * dimensions ldx, ldy): Y = F X for the rows r0..r1-1 of a CSR matrix
 * (F's, or the adjoint's for F^H X).  Every nonzero moves a contiguous row
 * piece, which the compiler vectorizes; each row of Y is written once. */
static void FN(csr_rows)(const size_t *ptr, const size_t *idx, const SCALAR *val, size_t r0, size_t r1,
                         const SCALAR *X, size_t ldx, SCALAR *Y, size_t ldy, size_t t0, size_t t1)
{
    for (size_t r = r0; r < r1; r++) {
        SCALAR *y = Y + r * ldy;
        size_t p = ptr[r], end = ptr[r + 1];
        if (p == end) {
            for (size_t t = t0; t < t1; t++) y[t] = 0;
            continue;
        }
        const SCALAR v0 = val[p], *x0 = X + idx[p] * ldx;
        for (size_t t = t0; t < t1; t++) y[t] = v0 * x0[t];
        for (p++; p < end; p++) {
            const SCALAR v = val[p], *x = X + idx[p] * ldx;
            for (size_t t = t0; t < t1; t++) y[t] += v * x[t];
        }
    }
}

/* Y = F X */
static void FN(csr_left)(const FN(palm_factor) *F, const SCALAR *X, size_t ldx, SCALAR *Y, size_t ldy, size_t t0,
                         size_t t1)
{
    FN(csr_rows)(F->row_ptr, F->col, F->val, 0, F->rows, X, ldx, Y, ldy, t0, t1);
}

/* Y = F^H X */
static void FN(csr_left_h)(const FN(palm_factor) *F, const SCALAR *X, size_t ldx, SCALAR *Y, size_t ldy, size_t t0,
                           size_t t1)
{
    FN(csr_rows)(F->adj_ptr, F->adj_row, F->adj_val, 0, F->cols, X, ldx, Y, ldy, t0, t1);
}

/* Y = F X (adjoint: F^H X), X with n columns, sparse F: rows of Y among
 * the threads, each row whole (long contiguous rows stream from memory
 * about twice as fast as column chunks of them). */
static void FN(csr_mul)(const FN(palm_factor) *F, int adjoint, size_t n, const SCALAR *X, SCALAR *Y)
{
    const size_t *ptr = adjoint ? F->adj_ptr : F->row_ptr, *idx = adjoint ? F->adj_row : F->col;
    const SCALAR *val = adjoint ? F->adj_val : F->val;
    const size_t rows = adjoint ? F->cols : F->rows, chunk = 16, chunks = (rows + chunk - 1) / chunk;
#pragma omp parallel for schedule(static) PALM_PAR(n * F->nnz)
    for (size_t q = 0; q < chunks; q++)
        FN(csr_rows)(ptr, idx, val, q * chunk, q * chunk + chunk < rows ? q * chunk + chunk : rows, X, n, Y, n, 0, n);
}

/* Y = F F^H (F^H F with `adjoint`), sparse F, by rows: row i of Y is the
 * sum over the nonzeros F_ic of F_ic times row c of F^H (of F), scattered
 * into the dense row: sum_c count_c^2 multiply-adds (count_c the
 * nonzeros of column c, or of row c), against nnz times rows(Y) for F
 * times a dense copy of F^H.  The terms of each entry come in the order
 * that product adds them. */
static void FN(gram)(const FN(palm_factor) *F, int adjoint, SCALAR *Y)
{
    const size_t *pa = adjoint ? F->adj_ptr : F->row_ptr, *ia = adjoint ? F->adj_row : F->col;
    const size_t *pb = adjoint ? F->row_ptr : F->adj_ptr, *ib = adjoint ? F->col : F->adj_row;
    const SCALAR *va = adjoint ? F->adj_val : F->val, *vb = adjoint ? F->val : F->adj_val;
    const size_t n = adjoint ? F->cols : F->rows;
#pragma omp parallel for schedule(dynamic, 16) PALM_PAR(n * n)
    for (size_t i = 0; i < n; i++) {
        SCALAR *y = Y + i * n;
        for (size_t t = 0; t < n; t++) y[t] = 0;
        for (size_t p = pa[i]; p < pa[i + 1]; p++) {
            const SCALAR v = va[p];
            const size_t c = ia[p];
            for (size_t q = pb[c]; q < pb[c + 1]; q++) y[ib[q]] += v * vb[q];
        }
    }
}

/* sum_t a_t b_t in eight interleaved partial sums (a fixed order that
 * vectorizes: a single running sum waits on every addition). */
static SCALAR FN(dot8)(const SCALAR *a, const SCALAR *b, size_t n)
{
    SCALAR acc[8] = {0};
    size_t t = 0;
    for (; t + 8 <= n; t += 8)
        for (size_t u = 0; u < 8; u++) acc[u] += a[t + u] * b[t + u];
    for (; t < n; t++) acc[0] += a[t] * b[t];
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

/* y = M^H M x for a dense rows x cols M, one pass over M: each row's
 * u_r = M_r x is added into y as conj(M_r) u_r while the row is in cache. */
static void FN(gram_vec_dense)(const SCALAR *M, size_t rows, size_t cols, const SCALAR *x, SCALAR *y)
{
    for (size_t c = 0; c < cols; c++) y[c] = 0;
    for (size_t r = 0; r < rows; r++) {
        const SCALAR *m = M + r * cols;
        const SCALAR u = FN(dot8)(m, x, cols);
        for (size_t c = 0; c < cols; c++) y[c] += CONJ(m[c]) * u;
    }
}

/* y = F^H F x (by_rows: F F^H x) for a sparse F, one pass over the CSR of
 * F (of F^H): the same sums, in the same order, as F^H (F x) by two
 * products. */
static void FN(gram_vec_sparse)(const FN(palm_factor) *F, int by_rows, const SCALAR *x, SCALAR *y)
{
    const size_t *ptr = by_rows ? F->adj_ptr : F->row_ptr, *idx = by_rows ? F->adj_row : F->col;
    const SCALAR *val = by_rows ? F->adj_val : F->val;
    const size_t rows = by_rows ? F->cols : F->rows, cols = by_rows ? F->rows : F->cols;
    for (size_t c = 0; c < cols; c++) y[c] = 0;
    for (size_t r = 0; r < rows; r++) {
        size_t p = ptr[r], end = ptr[r + 1];
        if (p == end) continue;
        SCALAR u = val[p] * x[idx[p]];
        for (p++; p < end; p++) u += val[p] * x[idx[p]];
        for (p = ptr[r]; p < end; p++) y[idx[p]] += CONJ(val[p]) * u;
    }
}

/* y = F x (adjoint: F^H x) for one vector, on the calling thread: the
 * power iterations' products, too small for threads or for GEMM. */
static void FN(mul_vec)(const FN(palm_factor) *F, int adjoint, const SCALAR *x, SCALAR *y)
{
    if (F->sparse) {
        const size_t *ptr = adjoint ? F->adj_ptr : F->row_ptr, *idx = adjoint ? F->adj_row : F->col;
        const SCALAR *val = adjoint ? F->adj_val : F->val;
        const size_t rows = adjoint ? F->cols : F->rows;
        for (size_t r = 0; r < rows; r++) {
            size_t p = ptr[r], end = ptr[r + 1];
            SCALAR s = p < end ? val[p] * x[idx[p]] : 0;
            for (p++; p < end; p++) s += val[p] * x[idx[p]];
            y[r] = s;
        }
        return;
    }
    enum CBLAS_TRANSPOSE tr = adjoint ? (IS_COMPLEX ? CblasConjTrans : CblasTrans) : CblasNoTrans;
    const int m = (int)F->rows, n = (int)F->cols;
#if DMF_TYPE_ID == 0
    cblas_sgemv(CblasRowMajor, tr, m, n, 1, F->dense, n, x, 1, 0, y, 1);
#elif DMF_TYPE_ID == 1
    cblas_dgemv(CblasRowMajor, tr, m, n, 1, F->dense, n, x, 1, 0, y, 1);
#else
    const SCALAR one = 1, zero = 0;
#if DMF_TYPE_ID == 2
    cblas_cgemv(CblasRowMajor, tr, m, n, &one, F->dense, n, x, 1, &zero, y, 1);
#else
    cblas_zgemv(CblasRowMajor, tr, m, n, &one, F->dense, n, x, 1, &zero, y, 1);
#endif
#endif
}

/* Y (cols x rows) = X^H, X rows x cols, by 16 x 16 tiles (full tiles
 * with constant bounds, which the compiler unrolls). */
static void FN(transpose_h)(size_t rows, size_t cols, const SCALAR *X, SCALAR *Y)
{
    enum { T = 16 };
    const size_t tiles = (rows + T - 1) / T;
#pragma omp parallel for schedule(static) PALM_PAR(rows * cols)
    for (size_t ti = 0; ti < tiles; ti++) {
        const size_t i0 = ti * T;
        for (size_t j0 = 0; j0 < cols; j0 += T) {
            if (i0 + T <= rows && j0 + T <= cols) {
                for (size_t j = 0; j < T; j++)
                    for (size_t i = 0; i < T; i++) Y[(j0 + j) * rows + i0 + i] = CONJ(X[(i0 + i) * cols + j0 + j]);
                continue;
            }
            for (size_t i = i0; i < i0 + T && i < rows; i++)
                for (size_t j = j0; j < j0 + T && j < cols; j++) Y[j * rows + i] = CONJ(X[i * cols + j]);
        }
    }
}

/* Y (m x cols) = X (m x rows) F, sparse F: a scatter per nonzero. */
static void FN(csr_right)(const FN(palm_factor) *F, size_t m, const SCALAR *X, SCALAR *Y)
{
    const size_t a = F->rows, b = F->cols;
#pragma omp parallel for schedule(static) PALM_PAR(m * F->nnz)
    for (size_t i = 0; i < m; i++) {
        const SCALAR *x = X + i * a;
        SCALAR *y = Y + i * b;
        for (size_t c = 0; c < b; c++) y[c] = 0;
        for (size_t r = 0; r < a; r++) {
            SCALAR xr = x[r];
            if (xr == 0) continue;
            for (size_t p = F->row_ptr[r]; p < F->row_ptr[r + 1]; p++) y[F->col[p]] += xr * F->val[p];
        }
    }
}

/* Y (m x rows) = X (m x cols) F^H, sparse F: a gather per nonzero. */
static void FN(csr_right_h)(const FN(palm_factor) *F, size_t m, const SCALAR *X, SCALAR *Y)
{
    const size_t a = F->rows, b = F->cols;
#pragma omp parallel for schedule(static) PALM_PAR(m * F->nnz)
    for (size_t i = 0; i < m; i++) {
        const SCALAR *x = X + i * b;
        SCALAR *y = Y + i * a;
        for (size_t r = 0; r < a; r++) {
            SCALAR s = 0;
            for (size_t p = F->row_ptr[r]; p < F->row_ptr[r + 1]; p++) s += x[F->col[p]] * CONJ(F->val[p]);
            y[r] = s;
        }
    }
}

#undef PALM_PAR
