/* CPU reference: y = F_k x for a block of nvec vectors (rows of x and y are
 * contiguous), one dtype.  For a fixed i the rows i*c*d + gamma*d + v of x
 * (v < d) are one contiguous run of d*nvec values, and so are the output
 * rows i*b*d + beta*d + v: each output run is a sum over gamma of input runs
 * scaled entry by entry (the coefficient changes with v).  Walking the runs
 * keeps the innermost loop long and unit-stride whatever nvec is (one
 * vector included); the sum over gamma runs in increasing order, as in the
 * definition, so results do not depend on the chunking. */
/* Radix 2 with one vector: each 2 x 2 block maps inputs (i*2d + v, i*2d + d
 * + v) to the same outputs; blocks are read in storage order.  The sums
 * start from zero and add gamma = 0 then 1, as the general loop does. */
static void FN(apply_factor_2x2)(const SCALAR *blocks, size_t a, size_t d, const SCALAR *x, SCALAR *y)
{
#pragma omp parallel for schedule(static) if (a * d > 32768)
    for (size_t i = 0; i < a; i++) {
        const SCALAR *xi = x + i * 2 * d, *bi = blocks + i * d * 4;
        SCALAR *yi = y + i * 2 * d;
        for (size_t v = 0; v < d; v++) {
            const SCALAR *blk = bi + v * 4;
            SCALAR x0 = xi[v], x1 = xi[d + v], y0 = 0, y1 = 0;
            y0 += blk[0] * x0;
            y0 += blk[1] * x1;
            y1 += blk[2] * x0;
            y1 += blk[3] * x1;
            yi[v] = y0;
            yi[d + v] = y1;
        }
    }
}

static void FN(apply_factor)(const SCALAR *blocks, size_t a, size_t b, size_t c, size_t d,
                             const SCALAR *x, SCALAR *y, size_t nvec)
{
    if (b == 2 && c == 2 && nvec == 1) { /* radix 2, one vector: the commonest case */
        FN(apply_factor_2x2)(blocks, a, d, x, y);
        return;
    }
    size_t span = d * nvec;
    /* Work items: (i, a chunk of v) so that a = 1 (first factors) still
     * splits across threads; chunks of about 2048 values stay in L1. */
    size_t v_per_chunk = nvec >= 2048 ? 1 : 2048 / nvec;
    if (v_per_chunk > d) v_per_chunk = d;
    size_t chunks = (d + v_per_chunk - 1) / v_per_chunk;
#pragma omp parallel for schedule(static) if (a * d * b * c * nvec > 65536)
    for (size_t job = 0; job < a * chunks; job++) {
        size_t i = job / chunks, v0 = (job % chunks) * v_per_chunk;
        size_t v1 = v0 + v_per_chunk < d ? v0 + v_per_chunk : d;
        const SCALAR *xi = x + i * c * span, *bi = blocks + i * d * b * c;
        SCALAR *yi = y + i * b * span;
        for (size_t beta = 0; beta < b; beta++) {
            SCALAR *yr = yi + beta * span;
            for (size_t e = v0 * nvec; e < v1 * nvec; e++) yr[e] = 0;
            for (size_t gamma = 0; gamma < c; gamma++) {
                const SCALAR *xr = xi + gamma * span, *coef = bi + beta * c + gamma;
                if (nvec == 1) {
                    for (size_t v = v0; v < v1; v++) yr[v] += coef[v * b * c] * xr[v];
                } else {
                    for (size_t v = v0; v < v1; v++) {
                        SCALAR cv = coef[v * b * c];
                        SCALAR *yo = yr + v * nvec;
                        const SCALAR *xo = xr + v * nvec;
                        for (size_t t = 0; t < nvec; t++) yo[t] += cv * xo[t];
                    }
                }
            }
        }
    }
}
