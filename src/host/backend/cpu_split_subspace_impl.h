/* Rank r > 1 by subspace iteration, in double precision, before the SVD
 * (one dtype, see scalar_begin.h; included by cpu_split_impl.h after the
 * Lanczos file, whose products, sums and Gram-Schmidt it shares).
 *
 * From V (n x r, orthonormal): X = orth(S V), Z = X^H S, and the test
 * ||Z - Z V V^H||_F <= (m + n) u ||S||_F: the rows of Z then lie within
 * that distance of span(V), so span(X) and span(V) are a pair of singular
 * subspaces of a matrix that close to S.  Else V = orth(Z^H) and again.
 * A Jacobi SVD of the r x r matrix P = Z V = X^H S V turns X into singular
 * vectors x_rho (h_rho = x_rho^H S, the best for x_rho), with the SVD
 * path's rule for negligible terms.  Those are the top r only if nothing
 * outside is larger: the run is accepted when the rest of the block,
 * ||S||_F^2 - sum sigma_rho^2, is at most sigma_{r-1}^2 (up to a rounding
 * margin).  That holds for the common case, a block of rank r or less up
 * to noise, which the start below catches in one iteration; a block
 * without such structure goes to ?gesdd.
 *
 * The start: r rows of S picked greedily, each the one furthest from the
 * span of those before (Gram-Schmidt on their conjugates): for a block of
 * rank r, V then spans its rows. */

/* Row rho of A (rows of len entries) Gram-Schmidt'ed against the rows
 * before it, twice, and made unit; a row that vanishes against them
 * becomes the unit vector furthest from their span.  Returns 0 if that
 * fails. */
static int FN(ss_orthonormal_row)(FN(lz_t) *A, size_t rho, size_t len)
{
    FN(lz_t) *row = A + rho * len;
    const double before = FN(lz_norm)(row, len);
    FN(lz_orthogonalize)(A, rho, len, row);
    const double after = FN(lz_norm)(row, len);
    if (!(after > 1e-10 * before && after > 0)) {
        size_t best = 0;
        double best_left = -1;
        for (size_t i = 0; i < len; i++) {
            double in = 0;
            for (size_t p = 0; p < rho; p++) in += LZ_ABS2(A[p * len + i]);
            if (1 - in > best_left) best_left = 1 - in, best = i;
        }
        for (size_t i = 0; i < len; i++) row[i] = i == best;
        FN(lz_orthogonalize)(A, rho, len, row);
    }
    return FN(lz_normalize)(row, len) > 0;
}

static int FN(ss_orthonormal_rows)(FN(lz_t) *A, size_t r, size_t len)
{
    for (size_t rho = 0; rho < r; rho++)
        if (!FN(ss_orthonormal_row)(A, rho, len)) return 0;
    return 1;
}

static void FN(ss_swap)(FN(lz_t) *A, size_t len, size_t rho, size_t sigma)
{
    for (size_t i = 0; i < len; i++) {
        const FN(lz_t) t = A[rho * len + i];
        A[rho * len + i] = A[sigma * len + i];
        A[sigma * len + i] = t;
    }
}

/* Rows rho and sigma of a rows x len array: p <- c p - s e q, q <- s p + c e q. */
static void FN(ss_rotate)(FN(lz_t) *A, size_t len, size_t rho, size_t sigma, double c, double sn, FN(lz_t) e)
{
    FN(lz_t) *p = A + rho * len, *q = A + sigma * len;
    for (size_t i = 0; i < len; i++) {
        const FN(lz_t) pi = p[i], qi = q[i];
        p[i] = c * pi - sn * e * qi;
        q[i] = sn * pi + c * e * qi;
    }
}

/* One-sided Jacobi on the rows of P (r x r): rotations that make them
 * orthogonal, applied to the rows of Z alike and, conjugated, to the rows
 * of Xt (z_rho = x_rho^H S is conjugate-linear in x_rho).  Returns 1 once
 * a sweep finds every pair orthogonal to rounding, 0 if none does. */
static int FN(ss_jacobi)(FN(lz_t) *P, FN(lz_t) *Z, FN(lz_t) *Xt, size_t r, size_t m, size_t n)
{
    for (int sweep = 0; sweep < 40; sweep++) {
        int rotated = 0;
        for (size_t i = 0; i + 1 < r; i++)
            for (size_t j = i + 1; j < r; j++) {
                const double a = FN(lz_norm)(P + i * r, r), b = FN(lz_norm)(P + j * r, r);
                const FN(lz_t) g = FN(lz_dot)(P + j * r, P + i * r, r); /* p_i conj(p_j) summed */
                const double ga = LZ_ABS(g); /* not through |g|^2, which underflows at sigma^4 */
                if (!(ga > 4 * DBL_EPSILON * a * b)) continue;
                rotated = 1;
                const double zeta = (b - a) / ga * ((b + a) / 2);
                const double t = (zeta >= 0 ? 1 : -1) / (fabs(zeta) + sqrt(1 + zeta * zeta));
                const double c = 1 / sqrt(1 + t * t), sn = c * t;
                const FN(lz_t) e = g / ga;
                FN(ss_rotate)(P, r, i, j, c, sn, e);
                FN(ss_rotate)(Z, n, i, j, c, sn, e);
                FN(ss_rotate)(Xt, m, i, j, c, sn, LZ_CONJ(e));
            }
        if (!rotated) return 1;
    }
    return 0;
}

/* Its buffers, beside Lanczos's (which hold the block in double). */
static int FN(ss_alloc)(FN(split_scratch) *s, size_t m, size_t n, size_t r)
{
    if (s->ss_vectors) return 1;
    s->ss_vectors = dmf_alloc_aligned_uninit(r * (2 * n + m + r) + m, sizeof(FN(lz_t)));
    return s->ss_vectors != NULL;
}

/* Fills s->x (m x rank) and s->h (rank x n) for the block S (m x n) and
 * returns 1, or returns 0 (test not met, or out of memory).  Past min(m,
 * n) the terms are zero. */
static int FN(rank_r_subspace)(FN(split_scratch) *s, size_t m, size_t n, size_t rank, double norm2)
{
    const size_t r = rank < m && rank < n ? rank : m < n ? m : n;
    if (!FN(lz_in_range)(norm2) || !FN(lz_alloc)(s, m, n) || !FN(ss_alloc)(s, m, n, r)) return 0;
    const double *D = FN(lz_block)(s, m, n);
    FN(lz_t) *Vt = s->ss_vectors, *Z = Vt + r * n, *Xt = Z + r * n, *P = Xt + r * m;
    double *left = (double *)(P + r * r); /* m reals */
    const double eps = sizeof(REAL) == sizeof(float) ? FLT_EPSILON / 2 : DBL_EPSILON / 2;
    const double tol = (double)(m + n) * eps * sqrt(norm2);
    /* Blocks of rank r up to noise converge in one to three iterations;
     * past ten the SVD is the cheaper way (a Gaussian's 4 x 4 blocks at
     * rank 2 ran up to 60 before the limit). */
    const int max_iterations = 10;

    /* The start: each row's squared distance to the span so far in left,
     * the furthest row taken each time. */
    for (size_t a = 0; a < m; a++) left[a] = FN(lz_norm)((const FN(lz_t) *)(D + a * n * LZ_REALS), n);
    for (size_t a = 0; a < m; a++) left[a] *= left[a];
    double captured = 0, smallest = INFINITY;
    for (size_t rho = 0; rho < r; rho++) {
        size_t best = 0;
        for (size_t a = 1; a < m; a++)
            if (left[a] > left[best]) best = a;
        const FN(lz_t) *row = (const FN(lz_t) *)(D + best * n * LZ_REALS);
        for (size_t b = 0; b < n; b++) Vt[rho * n + b] = LZ_CONJ(row[b]);
        if (!FN(ss_orthonormal_row)(Vt, rho, n)) return 0;
        double along = 0;
        for (size_t a = 0; a < m; a++) { /* row_a's part along v_rho leaves it; (S V)[a][rho] */
            const FN(lz_t) c = FN(lz_inner)(D + a * n * LZ_REALS, (const double *)(Vt + rho * n), n, 0);
            left[a] -= LZ_ABS2(c);
            along += LZ_ABS2(c);
            Xt[rho * m + a] = c;
        }
        captured += along;
        smallest = fmin(smallest, along);
    }
    /* The run is accepted only if the rest ends at most the smallest kept
     * sigma^2.  Where the block has rank r up to noise, the rows taken
     * already hold nearly all of it and each direction nearly its term; a
     * rest past the least captured direction (a block without rank-r
     * structure: a Gaussian's, or noise past a rank-one part) goes to the
     * SVD at once.  (Where that misjudges a block, the SVD still gives the
     * answer.) */
    const double margin = dmf_gram_margin(m, n, norm2);
    if (r > 1 && norm2 - captured > smallest + margin) return 0;

    double back1 = INFINITY; /* the residual a step back */
    for (int it = 0; it < max_iterations; it++) {
        if (it > 0) /* S V (the start formed the first) */
            for (size_t rho = 0; rho < r; rho++) FN(lz_times)(D, m, n, Vt + rho * n, Xt + rho * m);
        if (!FN(ss_orthonormal_rows)(Xt, r, m)) return 0;
        for (size_t rho = 0; rho < r; rho++) FN(lz_times_adjoint)(D, m, n, Xt + rho * m, Z + rho * n);
        for (size_t rho = 0; rho < r; rho++) /* Z holds S^H X by columns: conjugated, X^H S */
            for (size_t b = 0; b < n; b++) Z[rho * n + b] = LZ_CONJ(Z[rho * n + b]);
        /* P = Z V, and the part of Z's rows outside span(V). */
        double res2 = 0;
        for (size_t rho = 0; rho < r; rho++) {
            for (size_t q = 0; q < r; q++)
                P[rho * r + q] = FN(lz_inner)((const double *)(Z + rho * n), (const double *)(Vt + q * n), n, 0);
            for (size_t b = 0; b < n; b++) {
                FN(lz_t) e = Z[rho * n + b];
                for (size_t q = 0; q < r; q++) e -= P[rho * r + q] * LZ_CONJ(Vt[q * n + b]);
                res2 += LZ_ABS2(e);
            }
        }
        s->steps = (size_t)it + 1;
        const double res = sqrt(res2);
        if (res <= tol) break;
        /* As rank1_power, with the rate from one step. */
        if (it >= 1 && dmf_rate_out_of_reach(it, res, res / back1, tol, max_iterations)) return 0;
        if (it + 1 == max_iterations) return 0;
        back1 = res;
        for (size_t rho = 0; rho < r; rho++)
            for (size_t b = 0; b < n; b++) Vt[rho * n + b] = LZ_CONJ(Z[rho * n + b]);
        if (!FN(ss_orthonormal_rows)(Vt, r, n)) return 0;
    }

    /* Without orthogonal rows the norms below are not singular values,
     * and the rest test would prove nothing. */
    if (!FN(ss_jacobi)(P, Z, Xt, r, m, n)) return 0;
    /* Largest first (r is small): sigma_rho = |h_rho| = |z_rho|, which the
     * approximation keeps (|p_rho| to within the test). */
    double *sigma = left; /* free now */
    for (size_t rho = 0; rho < r; rho++) sigma[rho] = FN(lz_norm)(Z + rho * n, n);
    for (size_t rho = 0; rho < r; rho++) {
        size_t top = rho;
        for (size_t q = rho + 1; q < r; q++)
            if (sigma[q] > sigma[top]) top = q;
        if (top == rho) continue;
        const double sv = sigma[rho];
        sigma[rho] = sigma[top], sigma[top] = sv;
        FN(ss_swap)(Z, n, rho, top);
        FN(ss_swap)(Xt, m, rho, top);
    }
    double kept_sq = 0;
    for (size_t rho = 0; rho < r; rho++) kept_sq += sigma[rho] * sigma[rho];
    if (!(norm2 - kept_sq <= sigma[r - 1] * sigma[r - 1] + margin) || !(sigma[0] > 0)) return 0;

    const double negligible = dmf_split_negligible_ratio(m, n, sizeof(REAL) == sizeof(float)) * sigma[0];
    for (size_t rho = 0; rho < rank; rho++) {
        const int kept = rho < r && (rho == 0 || sigma[rho] > negligible);
        for (size_t a = 0; a < m; a++) s->x[a * rank + rho] = kept ? (SCALAR)Xt[rho * m + a] : 0;
        for (size_t b = 0; b < n; b++) s->h[rho * n + b] = kept ? (SCALAR)Z[rho * n + b] : 0;
    }
    return 1;
}
