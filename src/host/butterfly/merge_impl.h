/* Compact product of two adjacent ranges, one dtype (see scalar_begin.h).
 * Sub-block (i, v, u, j) of T is the b1 x c2 product of W's columns
 * j*r .. j*r + r - 1 and H's rows rho*b2 + u, the inverse of a split. */
static void FN(merge)(const dmf_split_geometry *g, const SCALAR *W, const SCALAR *H, SCALAR *T,
                      const SCALAR *ref, double *diff_sq, double *ref_sq, double scale)
{
    /* With ref, the sums are of (scale x)^2: scale is 1, or the power of
     * two that keeps the squares of huge or tiny entries in range. */
    const REAL s = (REAL)scale;
    const size_t m = g->b1, n = g->c2, r = g->rank;
    const size_t C = g->c1 * g->c2, B = g->b1 * g->b2;
    const size_t count = g->a * g->d * g->b2 * g->c1;
    double diff = 0, norm = 0;
#pragma omp parallel if (count * m * n > 65536) reduction(+ : diff, norm)
    {
        SCALAR *row = malloc((n ? n : 1) * sizeof(SCALAR));
#pragma omp for schedule(static)
        for (size_t blk = 0; blk < count; blk++) {
            if (!row) continue;
            size_t j = blk % g->c1, rest = blk / g->c1;
            size_t u = rest % g->b2, iv = rest / g->b2;
            size_t i = iv / g->d, v = iv % g->d;
            const SCALAR *wb = W + (i * g->b2 * g->d + u * g->d + v) * m * g->c1 * r + j * r;
            const SCALAR *hb = H + ((i * g->c1 + j) * g->d + v) * r * g->b2 * n + u * n;
            size_t offset = iv * B * C + u * C + j * n;
            for (size_t alpha = 0; alpha < m; alpha++) {
                for (size_t b = 0; b < n; b++) row[b] = 0;
                for (size_t rho = 0; rho < r; rho++) {
                    SCALAR wv = wb[alpha * g->c1 * r + rho];
                    const SCALAR *hr = hb + rho * g->b2 * n;
                    for (size_t b = 0; b < n; b++) row[b] += wv * hr[b];
                }
                size_t at = offset + alpha * g->b2 * C;
                if (ref && scale == 1) {
                    for (size_t b = 0; b < n; b++) {
                        diff += ABS2(ref[at + b] - row[b]);
                        norm += ABS2(ref[at + b]);
                    }
                } else if (ref) {
                    for (size_t b = 0; b < n; b++) {
                        SCALAR x = ref[at + b] * s;
                        diff += ABS2(x - row[b] * s);
                        norm += ABS2(x);
                    }
                } else {
                    memcpy(T + at, row, n * sizeof(SCALAR));
                }
            }
        }
        free(row);
    }
    if (diff_sq) *diff_sq += diff;
    if (ref_sq) *ref_sq += norm;
}
