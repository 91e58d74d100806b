/* The factors of a PALM chain and their products with dense arrays (for one
 * dtype; included by palm_impl.h).  A factor keeps its dense array, which
 * the gradient steps update and the caller gets back, and a CSR copy when
 * at most 1/CSR_DENSITY of it is nonzero: a CSR product costs O(nnz) per dense
 * column, against O(rows cols) for BLAS, and BLAS's higher speed per flop
 * wins above about that density (1/16 made the random 1024 benchmark
 * 25% slower). */
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
} FN(palm_factor);

static void FN(factor_free)(FN(palm_factor) *f)
{
    free(f->row_ptr);
    free(f->col);
    free(f->val);
}

/* Room for `nnz` entries in the CSR arrays. */
static int FN(factor_reserve)(FN(palm_factor) *f, size_t nnz)
{
    if (!f->row_ptr) f->row_ptr = malloc((f->rows + 1) * sizeof *f->row_ptr);
    if (nnz > f->capacity || !f->col) {
        free(f->col);
        free(f->val);
        f->capacity = nnz + nnz / 2 + 1;
        f->col = malloc(f->capacity * sizeof *f->col);
        f->val = malloc(f->capacity * sizeof *f->val);
    }
    if (!f->row_ptr || !f->col || !f->val) {
        f->capacity = 0;
        return dmf_fail(DMF_ERR_NOMEM, "cannot allocate a %zu x %zu sparse factor", f->rows, f->cols);
    }
    return DMF_OK;
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
    if (!normalized || !(sum > 0) || !isfinite(sum)) return DMF_OK; /* the zero matrix stays zero */
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
    return DMF_OK;
}

/* Threads only for products of a few milliseconds or more: on a shared
 * machine every parallel region waits at its end for a thread that may
 * have been descheduled, which costs more than small products gain (N = 256
 * Hadamard ran 3x slower on 2 threads than on 1 with other work running). */
#define PALM_PAR(work) if ((work) >= ((size_t)1 << 22))

/* The CSR kernels on the columns t0..t1-1 of row-major arrays (leading
 * dimensions ldx, ldy): every nonzero of F moves a contiguous row piece,
 * which the compiler vectorizes.  Y = F X: */
static void FN(csr_left)(const FN(palm_factor) *F, const SCALAR *X, size_t ldx, SCALAR *Y, size_t ldy, size_t t0,
                         size_t t1)
{
    for (size_t r = 0; r < F->rows; r++) {
        SCALAR *y = Y + r * ldy;
        size_t p = F->row_ptr[r], end = F->row_ptr[r + 1];
        if (p == end) {
            for (size_t t = t0; t < t1; t++) y[t] = 0;
            continue;
        }
        const SCALAR v0 = F->val[p], *x0 = X + F->col[p] * ldx;
        for (size_t t = t0; t < t1; t++) y[t] = v0 * x0[t];
        for (p++; p < end; p++) {
            const SCALAR v = F->val[p], *x = X + F->col[p] * ldx;
            for (size_t t = t0; t < t1; t++) y[t] += v * x[t];
        }
    }
}

/* Y = F^H X (rows of Y receive from several rows of F). */
static void FN(csr_left_h)(const FN(palm_factor) *F, const SCALAR *X, size_t ldx, SCALAR *Y, size_t ldy, size_t t0,
                           size_t t1)
{
    for (size_t c = 0; c < F->cols; c++)
        for (size_t t = t0; t < t1; t++) Y[c * ldy + t] = 0;
    for (size_t r = 0; r < F->rows; r++) {
        const SCALAR *x = X + r * ldx;
        for (size_t p = F->row_ptr[r]; p < F->row_ptr[r + 1]; p++) {
            const SCALAR v = CONJ(F->val[p]);
            SCALAR *y = Y + F->col[p] * ldy;
            for (size_t t = t0; t < t1; t++) y[t] += v * x[t];
        }
    }
}

/* Y (rows x n) = F X, X (cols x n); column chunks among the threads. */
static void FN(mul_left)(const FN(palm_factor) *F, size_t n, const SCALAR *X, SCALAR *Y)
{
    if (!F->sparse) {
        FN(gemm)(0, 0, F->rows, n, F->cols, 1, F->dense, X, 0, Y);
        return;
    }
    const size_t chunk = 64, chunks = (n + chunk - 1) / chunk;
#pragma omp parallel for schedule(static) PALM_PAR(n * F->nnz)
    for (size_t q = 0; q < chunks; q++) FN(csr_left)(F, X, n, Y, n, q * chunk, q * chunk + chunk < n ? q * chunk + chunk : n);
}

/* Y (cols x n) = F^H X, X (rows x n). */
static void FN(mul_left_h)(const FN(palm_factor) *F, size_t n, const SCALAR *X, SCALAR *Y)
{
    if (!F->sparse) {
        FN(gemm)(1, 0, F->cols, n, F->rows, 1, F->dense, X, 0, Y);
        return;
    }
    const size_t chunk = 64, chunks = (n + chunk - 1) / chunk;
#pragma omp parallel for schedule(static) PALM_PAR(n * F->nnz)
    for (size_t q = 0; q < chunks; q++)
        FN(csr_left_h)(F, X, n, Y, n, q * chunk, q * chunk + chunk < n ? q * chunk + chunk : n);
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

/* Whether a product by F on the right goes through transposes (tmp, two
 * arrays of max(rows, cols) x m): from about four nonzeros per row the
 * vectorized kernels above beat the gather or scatter per entry that a
 * right product needs, and the two transposes cost O(m (rows + cols)). */
static int FN(right_via_transpose)(const FN(palm_factor) *F, SCALAR *const *tmp)
{
    return tmp && F->nnz >= 4 * (F->rows > F->cols ? F->rows : F->cols);
}

/* Y (m x cols) = X (m x rows) F */
static void FN(mul_right)(const FN(palm_factor) *F, size_t m, const SCALAR *X, SCALAR *Y, SCALAR *const *tmp)
{
    const size_t a = F->rows, b = F->cols;
    if (!F->sparse) {
        FN(gemm)(0, 0, m, b, a, 1, X, F->dense, 0, Y);
        return;
    }
    if (FN(right_via_transpose)(F, tmp)) { /* Y^H = F^H X^H */
        FN(transpose_h)(m, a, X, tmp[0]);
        FN(mul_left_h)(F, m, tmp[0], tmp[1]);
        FN(transpose_h)(b, m, tmp[1], Y);
        return;
    }
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

/* Y (m x rows) = X (m x cols) F^H */
static void FN(mul_right_h)(const FN(palm_factor) *F, size_t m, const SCALAR *X, SCALAR *Y, SCALAR *const *tmp)
{
    const size_t a = F->rows, b = F->cols;
    if (!F->sparse) {
        FN(gemm)(0, 1, m, a, b, 1, X, F->dense, 0, Y);
        return;
    }
    if (FN(right_via_transpose)(F, tmp)) { /* Y^H = F X^H */
        FN(transpose_h)(m, b, X, tmp[0]);
        FN(mul_left)(F, m, tmp[0], tmp[1]);
        FN(transpose_h)(a, m, tmp[1], Y);
        return;
    }
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
