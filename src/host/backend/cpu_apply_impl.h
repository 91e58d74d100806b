/* CPU reference: y = F_k x for a block of nvec vectors (rows of x and y are contiguous),
 * one dtype: each output row is a b-long combination of c input rows. */
static void FN(apply_factor)(const SCALAR *blocks, size_t a, size_t b, size_t c, size_t d,
                             const SCALAR *x, SCALAR *y, size_t nvec)
{
#pragma omp parallel for schedule(static) if (a * d * b * c * nvec > 32768)
    for (size_t iv = 0; iv < a * d; iv++) {
        size_t i = iv / d, v = iv % d;
        const SCALAR *blk = blocks + iv * b * c;
        for (size_t beta = 0; beta < b; beta++) {
            SCALAR *out = y + (i * b * d + beta * d + v) * nvec;
            for (size_t t = 0; t < nvec; t++) out[t] = 0;
            for (size_t gamma = 0; gamma < c; gamma++) {
                SCALAR coef = blk[beta * c + gamma];
                const SCALAR *in = x + (i * c * d + gamma * d + v) * nvec;
                for (size_t t = 0; t < nvec; t++) out[t] += coef * in[t];
            }
        }
    }
}
