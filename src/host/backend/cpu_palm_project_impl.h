/* The dtype-dependent parts of the PALM projections (instantiated four
 * times by cpu_palm_project.c): magnitudes, masking and scaling.  Which entries
 * a projection keeps is decided on the magnitudes, in double, by dtype-free
 * code. */

static void FN(proj_magnitudes)(const SCALAR *x, size_t n, double *mag)
{
    for (size_t e = 0; e < n; e++) mag[e] = ABS2(x[e]);
}

static void FN(proj_mask)(SCALAR *x, size_t n, const unsigned char *keep)
{
    for (size_t e = 0; e < n; e++)
        if (!keep[e]) x[e] = 0;
}

static void FN(proj_normalize)(SCALAR *x, size_t n)
{
    double sum = 0;
    for (size_t e = 0; e < n; e++) sum += ABS2(x[e]);
    if (!(sum > 0) || !isfinite(sum)) return; /* the zero matrix stays zero */
    REAL inv = (REAL)(1 / sqrt(sum));
    for (size_t e = 0; e < n; e++) x[e] *= inv;
}

/* Every nonzero column (by_col) or row scaled to Euclidean norm `value`. */
static void FN(proj_scale_lines)(SCALAR *x, size_t rows, size_t cols, int by_col, double value)
{
    size_t lines = by_col ? cols : rows, len = by_col ? rows : cols;
    size_t step = by_col ? cols : 1, next = by_col ? 1 : cols;
    for (size_t l = 0; l < lines; l++) {
        SCALAR *p = x + l * next;
        double sum = 0;
        for (size_t t = 0; t < len; t++) sum += ABS2(p[t * step]);
        if (!(sum > 0)) continue;
        REAL f = (REAL)(value / sqrt(sum));
        for (size_t t = 0; t < len; t++) p[t * step] *= f;
    }
}
