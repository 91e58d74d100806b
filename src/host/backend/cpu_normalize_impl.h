/* Orthonormalization between adjacent ranges (Le et al.), one dtype (see
 * scalar_begin.h).  Group (i, v, u, j) pairs W's columns j*r .. j*r+r-1 of
 * block i*b2*d + u*d + v with H's rows rho*b2 + u of block (i*c1 + j)*d + v:
 * those r columns (or rows) are orthonormalized by modified Gram-Schmidt,
 * run twice so the result is orthonormal to working precision, and the
 * r x r triangular factor is multiplied into the other side.  Nothing leaves
 * either support. */

/* Orthonormalizes r vectors v_rho[e] = base[rho * rho_step + e * e_step],
 * e < len, in place; tri[rho * r + k] receives the coefficient of q_k in the
 * original v_rho (lower triangular, since v_rho = sum_{k <= rho} tri q_k).
 * A vector dependent on the previous ones becomes zero with zero weight. */
static void FN(gram_schmidt)(SCALAR *base, size_t r, size_t rho_step, size_t len, size_t e_step,
                             SCALAR *tri)
{
    for (size_t k = 0; k < r * r; k++) tri[k] = 0;
    for (size_t rho = 0; rho < r; rho++) {
        SCALAR *v = base + rho * rho_step;
        for (int pass = 0; pass < 2; pass++)
            for (size_t k = 0; k < rho; k++) {
                const SCALAR *q = base + k * rho_step;
                SCALAR dot = 0;
                for (size_t e = 0; e < len; e++) dot += CONJ(q[e * e_step]) * v[e * e_step];
                for (size_t e = 0; e < len; e++) v[e * e_step] -= dot * q[e * e_step];
                tri[rho * r + k] += dot;
            }
        double norm2 = 0;
        for (size_t e = 0; e < len; e++) norm2 += ABS2(v[e * e_step]);
        REAL norm = (REAL)sqrt(norm2);
        for (size_t e = 0; e < len; e++) v[e * e_step] = norm > 0 ? v[e * e_step] / norm : 0;
        tri[rho * r + rho] = norm;
    }
}

static int FN(cpu_normalize_pair)(const dmf_split_geometry *g, void *w_v, void *h_v,
                                  dmf_normalize_side side)
{
    SCALAR *W = w_v, *H = h_v;
    const size_t r = g->rank, m = g->b1, n = g->c2, wcols = g->c1 * r;
    const size_t groups = dmf_split_num_sub_blocks(g);
    size_t no_memory = 0;
#pragma omp parallel if (groups * (m + n) * r > 65536) reduction(+ : no_memory)
    {
        SCALAR *tri = malloc(r * r * sizeof(SCALAR)), *mixed = malloc(r * sizeof(SCALAR));
        if (!tri || !mixed) no_memory++;
#pragma omp for schedule(static)
        for (size_t grp = 0; grp < groups; grp++) {
            if (!tri || !mixed) continue;
            size_t j = grp % g->c1, rest = grp / g->c1;
            size_t u = rest % g->b2, iv = rest / g->b2;
            size_t i = iv / g->d, v = iv % g->d;
            SCALAR *wg = W + (i * g->b2 * g->d + u * g->d + v) * m * wcols + j * r;
            SCALAR *hg = H + dmf_split_h_offset(g, iv, u, j);
            if (side == DMF_NORMALIZE_LEFT) {
                /* W_cols = Q R with R = tri^T; H_rows <- R H_rows. */
                FN(gram_schmidt)(wg, r, 1, m, wcols, tri);
                for (size_t b = 0; b < n; b++) {
                    for (size_t k = 0; k < r; k++) {
                        SCALAR acc = 0;
                        for (size_t rho = k; rho < r; rho++) acc += tri[rho * r + k] * hg[rho * g->b2 * n + b];
                        mixed[k] = acc;
                    }
                    for (size_t k = 0; k < r; k++) hg[k * g->b2 * n + b] = mixed[k];
                }
            } else {
                /* H_rows = L Q with L = tri; W_cols <- W_cols L. */
                FN(gram_schmidt)(hg, r, g->b2 * n, n, 1, tri);
                for (size_t a = 0; a < m; a++) {
                    SCALAR *row = wg + a * wcols;
                    for (size_t k = 0; k < r; k++) {
                        SCALAR acc = 0;
                        for (size_t rho = k; rho < r; rho++) acc += row[rho] * tri[rho * r + k];
                        mixed[k] = acc;
                    }
                    for (size_t k = 0; k < r; k++) row[k] = mixed[k];
                }
            }
        }
        free(tri);
        free(mixed);
    }
    if (no_memory) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate %zu x %zu scratch", r, r);
    return DMF_OK;
}
