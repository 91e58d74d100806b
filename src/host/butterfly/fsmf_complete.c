/* Two-layer fixed-support identifiability by rank-one completion (Zheng,
 * Riccietti, Gribonval), and the decomposition the completion computes.
 *
 * Piece k is the rank-one matrix X[:, k] Y[k, :] on its rectangle
 * R_k = I_k x J_k.  Its entries form the "lifted" vector: piece k owns
 * |I_k| |J_k| consecutive entries, a row-major block.  The completion
 * knows more and more lifted entries by two rules until neither applies:
 *   subtraction: an entry (i, j) of A whose covering pieces are all known
 *     there but one gives that one its value, A[i, j] minus the others;
 *   rank one: in piece k, known entries link row i and column j; all
 *     entries whose row and column are linked are products x_i y_j.
 * Run on the supports alone it decides identifiability; run on values it
 * computes the pieces.  docs/fsmf.md has the argument. */
#include <stdlib.h>
#include <string.h>

#include "fsmf_internal.h"

/* Lifted entries (and entries of A) beyond this are not attempted: about
 * 9 bytes each without values, 25 with, and 24 per entry of A. */
#define MAX_LIFTED ((size_t)1 << 24)
/* The rank test's Jacobian: at most this many columns and entries. */
#define MAX_TEST_COLS 600
#define MAX_TEST_ENTRIES ((size_t)3 << 20)

typedef struct {
    size_t M, N, K, L;
    size_t *row_at, *rows; /* rows of piece k: rows[row_at[k] .. row_at[k + 1]) */
    size_t *col_at, *cols;
    size_t *blk_at;        /* piece k's lifted block starts at blk_at[k] */
    size_t *cover_at, *cover; /* lifted entries on (i, j): cover[cover_at[e] ..) */
    unsigned char *known, *done, *dirty;
    size_t *unknown;       /* per entry of A: covering lifted entries not yet known */
    size_t *queue, queue_head, queue_tail; /* entries whose unknown count fell to 1 */
    double complex *val;   /* values mode only */
    double *mag;           /* values mode only: the magnitudes val was computed from, theirs included (its rounding level / u) */
    double complex *pot;   /* values mode only: x on rows, y on columns, per piece */
} lifted;

static void lifted_free(lifted *t)
{
    free(t->row_at), free(t->rows), free(t->col_at), free(t->cols), free(t->blk_at);
    free(t->cover_at), free(t->cover), free(t->known), free(t->done), free(t->dirty);
    free(t->unknown), free(t->queue);
    free(t->val), free(t->mag), free(t->pot);
    memset(t, 0, sizeof *t);
}

static size_t nr(const lifted *t, size_t k) { return t->row_at[k + 1] - t->row_at[k]; }
static size_t nc(const lifted *t, size_t k) { return t->col_at[k + 1] - t->col_at[k]; }

/* The rectangles only (no lifted arrays). */
static int pieces_build(const dmf_matrix *sx, const dmf_matrix *sy, lifted *t)
{
    memset(t, 0, sizeof *t);
    t->M = sx->rows, t->N = sy->cols, t->K = sx->cols;
    size_t M = t->M, N = t->N, K = t->K, nx = 0, ny = 0;
    for (size_t e = 0; e < M * K; e++) nx += dmf_get(sx->dtype, sx->data, e) != 0;
    for (size_t e = 0; e < K * N; e++) ny += dmf_get(sy->dtype, sy->data, e) != 0;
    t->row_at = calloc(K + 1, sizeof(size_t)), t->col_at = calloc(K + 1, sizeof(size_t));
    t->blk_at = calloc(K + 1, sizeof(size_t));
    t->rows = malloc((nx + 1) * sizeof(size_t)), t->cols = malloc((ny + 1) * sizeof(size_t));
    if (!t->row_at || !t->col_at || !t->blk_at || !t->rows || !t->cols) {
        lifted_free(t);
        return dmf_fail(DMF_ERR_NOMEM, "cannot allocate the rank-one supports");
    }
    size_t r = 0, c = 0, L = 0;
    for (size_t k = 0; k < K; k++) {
        t->row_at[k] = r, t->col_at[k] = c, t->blk_at[k] = L;
        for (size_t i = 0; i < M; i++)
            if (dmf_get(sx->dtype, sx->data, i * K + k) != 0) t->rows[r++] = i;
        for (size_t j = 0; j < N; j++)
            if (dmf_get(sy->dtype, sy->data, k * N + j) != 0) t->cols[c++] = j;
        size_t area = (r - t->row_at[k]) * (c - t->col_at[k]); /* <= M N */
        L = L + area < L ? SIZE_MAX : L + area;
    }
    t->row_at[K] = r, t->col_at[K] = c, t->blk_at[K] = L;
    t->L = L;
    return DMF_OK;
}

static int small_enough(const lifted *t)
{
    size_t entries;
    return t->L <= MAX_LIFTED && dmf_mul_size(t->M, t->N, &entries) && entries <= MAX_LIFTED;
}

/* The lifted arrays and the cover lists (entry -> lifted entries). */
static int lifted_build(lifted *t, int values)
{
    size_t M = t->M, N = t->N, K = t->K, L = t->L;
    t->cover_at = calloc(M * N + 1, sizeof(size_t));
    t->cover = malloc((L + 1) * sizeof(size_t));
    t->known = calloc(L + 1, 1), t->done = calloc(K + 1, 1), t->dirty = calloc(K + 1, 1);
    t->unknown = malloc((M * N + 1) * sizeof(size_t)), t->queue = malloc((M * N + 1) * sizeof(size_t));
    if (values) {
        t->val = calloc(L + 1, sizeof *t->val);
        t->mag = calloc(L + 1, sizeof *t->mag);
        t->pot = calloc(t->row_at[K] + t->col_at[K] + 1, sizeof *t->pot);
    }
    if (!t->cover_at || !t->cover || !t->known || !t->done || !t->dirty || !t->unknown || !t->queue ||
        (values && (!t->val || !t->mag || !t->pot)))
        return dmf_fail(DMF_ERR_NOMEM, "cannot allocate the rank-one completion (%zu entries)", L);
    for (size_t k = 0; k < K; k++)
        for (size_t a = t->row_at[k]; a < t->row_at[k + 1]; a++)
            for (size_t b = t->col_at[k]; b < t->col_at[k + 1]; b++) t->cover_at[t->rows[a] * N + t->cols[b] + 1]++;
    for (size_t e = 0; e < M * N; e++) t->cover_at[e + 1] += t->cover_at[e];
    size_t *fill = malloc((M * N + 1) * sizeof *fill);
    if (!fill) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate the rank-one completion");
    memcpy(fill, t->cover_at, M * N * sizeof *fill);
    for (size_t k = 0; k < K; k++) {
        size_t p = t->blk_at[k];
        for (size_t a = t->row_at[k]; a < t->row_at[k + 1]; a++)
            for (size_t b = t->col_at[k]; b < t->col_at[k + 1]; b++)
                t->cover[fill[t->rows[a] * N + t->cols[b]]++] = p++;
        /* A piece without entries has nothing to complete. */
        t->done[k] = nr(t, k) == 0 || nc(t, k) == 0;
    }
    free(fill);
    return DMF_OK;
}

static size_t piece_of(const lifted *t, size_t p)
{
    size_t lo = 0, hi = t->K; /* blk_at[lo] <= p < blk_at[hi] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->blk_at[mid] <= p) lo = mid;
        else hi = mid;
    }
    return lo;
}

/* Lifted entry p of piece k becomes known: one unknown fewer on its entry
 * of A, which the subtraction rule takes up when one is left. */
static void mark_known(lifted *t, size_t p, size_t k)
{
    size_t local = p - t->blk_at[k], n = nc(t, k);
    size_t e = t->rows[t->row_at[k] + local / n] * t->N + t->cols[t->col_at[k] + local % n];
    t->known[p] = 1;
    t->dirty[k] = 1;
    if (--t->unknown[e] == 1) t->queue[t->queue_tail++] = e;
}

/* The subtraction rule on entry e, if one covering piece is still unknown
 * there. */
static void subtract(lifted *t, size_t e, const double complex *a)
{
    if (t->unknown[e] != 1) return;
    size_t lo = t->cover_at[e], hi = t->cover_at[e + 1], unknown = t->cover[lo];
    for (size_t q = lo; q < hi; q++)
        if (!t->known[t->cover[q]]) unknown = t->cover[q];
    if (a) {
        double complex v = a[e];
        double mag = cabs(a[e]);
        for (size_t q = lo; q < hi; q++)
            if (t->cover[q] != unknown) v -= t->val[t->cover[q]], mag += t->mag[t->cover[q]];
        t->val[unknown] = v;
        t->mag[unknown] = mag;
    }
    mark_known(t, unknown, piece_of(t, unknown));
}

/* The rank-one rule on piece k: a breadth-first search over rows (nodes
 * 0..m-1) and columns (m..m+n-1) linked by known entries; with values,
 * an entry links only when it is not ~0, above `tiny` times the magnitudes
 * it was computed from (x_i y_j = 0 says nothing about
 * the ratio), and the search carries x_i = 1 at its root, y_j = v / x_i,
 * x_i = v / y_j.  Marks the piece done when all its rows and columns are
 * linked. */
static void rank_one_rule(lifted *t, size_t k, double tiny, size_t *comp, size_t *queue)
{
    size_t m = nr(t, k), n = nc(t, k), base = t->blk_at[k], none = SIZE_MAX;
    double complex *pot = t->val ? t->pot + t->row_at[k] + t->col_at[k] : NULL;
    for (size_t u = 0; u < m + n; u++) comp[u] = none;
    size_t parts = 0;
    for (size_t s = 0; s < m + n; s++) {
        if (comp[s] != none) continue;
        parts++;
        size_t head = 0, tail = 0;
        comp[s] = s;
        if (pot) pot[s] = 1;
        queue[tail++] = s;
        while (head < tail) {
            size_t u = queue[head++];
            for (size_t w = 0; w < (u < m ? n : m); w++) {
                size_t a = u < m ? u : w, b = u < m ? w : u - m, v = u < m ? m + w : w, p = base + a * n + b;
                if (comp[v] != none || !t->known[p] || (pot && !(cabs(t->val[p]) > tiny * t->mag[p]))) continue;
                comp[v] = s;
                if (pot) pot[v] = t->val[p] / pot[u];
                queue[tail++] = v;
            }
        }
    }
    for (size_t a = 0; a < m; a++)
        for (size_t b = 0; b < n; b++) {
            size_t p = base + a * n + b;
            if (comp[a] != comp[m + b]) continue;
            /* Known entries are rewritten too, so the piece is exactly
             * rank one on each linked part. */
            if (pot) t->val[p] = pot[a] * pot[m + b], t->mag[p] = cabs(t->val[p]);
            if (!t->known[p]) mark_known(t, p, k);
        }
    /* What it filled lies within its linked parts: no new link. */
    t->dirty[k] = 0;
    t->done[k] = parts == 1;
}

/* Both rules until neither applies.  a: the values, or NULL for the
 * supports alone (every known entry links). */
static int propagate(lifted *t, const double complex *a, double tiny)
{
    size_t most = 2;
    for (size_t k = 0; k < t->K; k++)
        if (nr(t, k) + nc(t, k) > most) most = nr(t, k) + nc(t, k);
    size_t *comp = malloc(most * sizeof *comp), *queue = malloc(most * sizeof *queue);
    if (!comp || !queue) {
        free(comp), free(queue);
        return dmf_fail(DMF_ERR_NOMEM, "cannot allocate the rank-one completion");
    }
    /* Each entry of A enters the queue once, when its count falls to 1;
     * each piece's search runs when it has new known entries. */
    t->queue_head = t->queue_tail = 0;
    for (size_t e = 0; e < t->M * t->N; e++) {
        t->unknown[e] = t->cover_at[e + 1] - t->cover_at[e];
        if (t->unknown[e] == 1) t->queue[t->queue_tail++] = e;
    }
    for (int searched = 1; searched || t->queue_head < t->queue_tail;) {
        while (t->queue_head < t->queue_tail) subtract(t, t->queue[t->queue_head++], a);
        searched = 0;
        for (size_t k = 0; k < t->K; k++)
            if (!t->done[k] && t->dirty[k]) {
                rank_one_rule(t, k, tiny, comp, queue);
                searched = 1;
            }
    }
    free(comp), free(queue);
    return DMF_OK;
}

int dmf_fsmf_complete(const dmf_matrix *sx, const dmf_matrix *sy, const double complex *a,
                      double complex *X, double complex *Y, double *resid_sq, int *applied)
{
    *applied = 0;
    lifted t;
    DMF_TRY(pieces_build(sx, sy, &t));
    if (!small_enough(&t)) {
        lifted_free(&t);
        return DMF_OK;
    }
    size_t M = t.M, N = t.N, K = t.K;
    int status = lifted_build(&t, 1);
    /* An entry at the rounding level of the values it was computed from
     * is taken as zero.  (Against A's largest entry instead, rows and
     * columns scaled by 2^+-30 made true entries look like zeros and the
     * completion gave up.) */
    if (status == DMF_OK) status = propagate(&t, a, 1e-13);
    int all = status == DMF_OK;
    for (size_t k = 0; all && k < K; k++) all = t.done[k];
    if (all) {
        memset(X, 0, M * K * sizeof *X);
        memset(Y, 0, K * N * sizeof *Y);
        for (size_t k = 0; k < K; k++) {
            size_t m = nr(&t, k), n = nc(&t, k);
            if (!m || !n) continue;
            const double complex *pot = t.pot + t.row_at[k] + t.col_at[k];
            /* The scaling that gives X[:, k] and Y[k, :] the same norm. */
            double sx2 = 0, sy2 = 0;
            for (size_t u = 0; u < m; u++) sx2 += creal(pot[u] * conj(pot[u]));
            for (size_t u = m; u < m + n; u++) sy2 += creal(pot[u] * conj(pot[u]));
            double s = sx2 > 0 && sy2 > 0 ? sqrt(sqrt(sy2 / sx2)) : 1;
            for (size_t u = 0; u < m; u++) X[t.rows[t.row_at[k] + u] * K + k] = pot[u] * s;
            for (size_t u = 0; u < n; u++) Y[k * N + t.cols[t.col_at[k] + u]] = pot[m + u] / s;
        }
        double sum = 0;
        for (size_t e = 0; e < M * N; e++) {
            double complex r = a[e];
            for (size_t q = t.cover_at[e]; q < t.cover_at[e + 1]; q++) r -= t.val[t.cover[q]];
            sum += creal(r * conj(r));
        }
        *resid_sq = sum;
        *applied = 1;
    }
    lifted_free(&t);
    return status;
}

/* ---- identifiability ------------------------------------------------------ */

typedef struct { uint64_t hash; size_t k; } keyed;

static int compare_keyed(const void *x, const void *y)
{
    const keyed *a = x, *b = y;
    if (a->hash != b->hash) return a->hash < b->hash ? -1 : 1;
    return a->k < b->k ? -1 : a->k > b->k;
}

static int same_rectangle(const lifted *t, size_t k, size_t l)
{
    return nr(t, k) == nr(t, l) && nc(t, k) == nc(t, l) &&
           !memcmp(t->rows + t->row_at[k], t->rows + t->row_at[l], nr(t, k) * sizeof(size_t)) &&
           !memcmp(t->cols + t->col_at[k], t->cols + t->col_at[l], nc(t, k) * sizeof(size_t));
}

/* Flags the pieces whose nonempty rectangle another piece has too: their
 * sum is a rank-2 (or more) block that splits into rank-one pieces in
 * infinitely many ways.  Returns how many were flagged. */
static size_t flag_same_support(const lifted *t, unsigned char *flags, int *status)
{
    keyed *order = malloc((t->K + 1) * sizeof *order);
    if (!order) {
        *status = dmf_fail(DMF_ERR_NOMEM, "cannot allocate the support comparison");
        return 0;
    }
    size_t n = 0, flagged = 0;
    for (size_t k = 0; k < t->K; k++) {
        if (!nr(t, k) || !nc(t, k)) continue;
        uint64_t h = 1469598103934665603ull;
        for (size_t u = t->row_at[k]; u < t->row_at[k + 1]; u++) h = (h ^ t->rows[u]) * 1099511628211ull;
        h = (h ^ 0xFFu) * 1099511628211ull;
        for (size_t u = t->col_at[k]; u < t->col_at[k + 1]; u++) h = (h ^ t->cols[u]) * 1099511628211ull;
        order[n++] = (keyed){h, k};
    }
    qsort(order, n, sizeof *order, compare_keyed);
    for (size_t s = 0; s < n; s++)
        for (size_t r = s; r-- > 0 && order[r].hash == order[s].hash;)
            if (same_rectangle(t, order[r].k, order[s].k)) {
                for (size_t u = 0; u < 2; u++) {
                    size_t k = u ? order[s].k : order[r].k;
                    if (!(flags[k] & DMF_PIECE_AMBIGUOUS)) flags[k] |= DMF_PIECE_AMBIGUOUS, flagged++;
                }
            }
    free(order);
    return flagged;
}

/* The generic rank test on the incomplete pieces (the complete ones are
 * the same in every factorization, so they stay fixed): the Jacobian of
 * (x_k, y_k)_k -> sum_k x_k y_k^T at random nonzero values, restricted to
 * the entries those pieces cover.  Each piece's scaling (x, -y) is in its
 * kernel; a larger kernel moves the pieces without changing the sum, at
 * every generic point (constant rank), so the factorization is not
 * identifiable.  Returns DMF_IDENT_NO, DMF_IDENT_UNKNOWN (full rank), or
 * -1 when the test is too large. */
static int rank_test(const lifted *t, unsigned char *flags, size_t *extra_dims, size_t *ambiguous, int *status)
{
    size_t M = t->M, N = t->N, K = t->K, C = 0, R = 0, P = 0;
    for (size_t k = 0; k < K; k++)
        if (!t->done[k]) C += nr(t, k) + nc(t, k), P++;
    size_t *entry_row = malloc((M * N + 1) * sizeof *entry_row);
    if (!entry_row) {
        *status = dmf_fail(DMF_ERR_NOMEM, "cannot allocate the rank test");
        return -1;
    }
    for (size_t e = 0; e < M * N; e++) {
        entry_row[e] = SIZE_MAX;
        for (size_t q = t->cover_at[e]; q < t->cover_at[e + 1] && entry_row[e] == SIZE_MAX; q++)
            if (!t->done[piece_of(t, t->cover[q])]) entry_row[e] = R++;
    }
    size_t rows = R > C ? R : C; /* zero rows added: the same kernel, all of V */
    if (C == 0 || C > MAX_TEST_COLS || rows > MAX_TEST_ENTRIES / C) {
        free(entry_row);
        return -1;
    }
    double complex *jac = calloc(rows * C + 1, sizeof *jac), *u = malloc((rows * C + 1) * sizeof *u),
                   *vt = malloc((C * C + 1) * sizeof *vt), *val = malloc((C + 1) * sizeof *val);
    double *s = malloc((C + 1) * sizeof *s);
    size_t *col_at = malloc((K + 1) * sizeof *col_at);
    int verdict = -1;
    if (!jac || !u || !vt || !val || !s || !col_at) {
        *status = dmf_fail(DMF_ERR_NOMEM, "cannot allocate the rank test");
        goto done;
    }
    /* Random values of magnitude in [0.5, 1.5) and random sign: generic and
     * away from zero. */
    dmf_rng rng;
    dmf_rng_seed(&rng, 20211004);
    for (size_t c = 0; c < C; c++) {
        double v = 0.5 + dmf_rng_uniform(&rng);
        val[c] = dmf_rng_uniform(&rng) < 0.5 ? -v : v;
    }
    for (size_t k = 0, c = 0; k < K; k++) {
        col_at[k] = c;
        if (!t->done[k]) c += nr(t, k) + nc(t, k);
    }
    for (size_t k = 0; k < K; k++) {
        if (t->done[k]) continue;
        size_t m = nr(t, k), n = nc(t, k), c0 = col_at[k];
        for (size_t a = 0; a < m; a++)
            for (size_t b = 0; b < n; b++) {
                size_t r = entry_row[t->rows[t->row_at[k] + a] * N + t->cols[t->col_at[k] + b]];
                jac[r * C + c0 + a] += val[c0 + m + b]; /* d(x_a y_b) / d x_a */
                jac[r * C + c0 + m + b] += val[c0 + a]; /* d(x_a y_b) / d y_b */
            }
    }
    *status = dmf_svd(0, rows, C, jac, s, u, vt);
    if (*status != DMF_OK) goto done;
    size_t kernel = 0;
    for (size_t c = 0; c < C; c++) kernel += !(s[c] > 1e-9 * s[0]);
    *extra_dims = kernel > P ? kernel - P : 0;
    verdict = *extra_dims ? DMF_IDENT_NO : DMF_IDENT_UNKNOWN;
    /* A piece is ambiguous when some kernel vector changes its rank-one
     * matrix: D = dx y^T + x dy^T != 0. */
    for (size_t v = C - kernel; *extra_dims && v < C; v++) {
        const double complex *dv = vt + v * C;
        for (size_t k = 0; k < K; k++) {
            if (t->done[k] || (flags[k] & DMF_PIECE_AMBIGUOUS)) continue;
            size_t m = nr(t, k), n = nc(t, k), c0 = col_at[k];
            double d2 = 0;
            for (size_t a = 0; a < m; a++)
                for (size_t b = 0; b < n; b++) {
                    double d = creal(dv[c0 + a] * val[c0 + m + b] + val[c0 + a] * dv[c0 + m + b]);
                    d2 += d * d;
                }
            if (d2 > 1e-12) flags[k] |= DMF_PIECE_AMBIGUOUS, ++*ambiguous;
        }
    }
done:
    free(entry_row), free(jac), free(u), free(vt), free(val), free(s), free(col_at);
    return verdict;
}

int dmf_fsmf_identifiability(const dmf_matrix *sx, const dmf_matrix *sy, unsigned char *piece_flags,
                             dmf_ident_report *report)
{
    if (!sx || !sy || !report) return dmf_fail(DMF_ERR_ARG, "dmf_fsmf_identifiability: NULL argument");
    if (sx->cols != sy->rows)
        return dmf_fail(DMF_ERR_SHAPE, "the supports disagree on the inner size: X has %zu columns, Y has %zu rows",
                        sx->cols, sy->rows);
    DMF_TRY(dmf_matrix_check_finite(sx));
    DMF_TRY(dmf_matrix_check_finite(sy));
    memset(report, 0, sizeof *report);
    lifted t;
    DMF_TRY(pieces_build(sx, sy, &t));
    size_t K = t.K;
    unsigned char *flags = calloc(K + 1, 1);
    int status = flags ? DMF_OK : dmf_fail(DMF_ERR_NOMEM, "cannot allocate piece flags");
    report->identifiable = DMF_IDENT_UNKNOWN;
    report->reason = DMF_IDENT_BY_TOO_LARGE;
    /* A piece with rows but no columns (or the reverse) leaves X[:, k]
     * (or Y[k, :]) free: nothing in A sees it. */
    for (size_t k = 0; status == DMF_OK && k < K; k++)
        if ((nr(&t, k) == 0) != (nc(&t, k) == 0)) flags[k] |= DMF_PIECE_AMBIGUOUS, report->num_ambiguous++;
    if (report->num_ambiguous) report->identifiable = DMF_IDENT_NO, report->reason = DMF_IDENT_BY_EMPTY_SIDE;
    if (status == DMF_OK && small_enough(&t)) {
        status = lifted_build(&t, 0);
        if (status == DMF_OK) status = propagate(&t, NULL, 0);
        for (size_t k = 0; status == DMF_OK && k < K; k++)
            if (!t.done[k]) flags[k] |= DMF_PIECE_INCOMPLETE, report->num_incomplete++;
        if (status == DMF_OK && !report->num_incomplete && report->identifiable != DMF_IDENT_NO)
            report->identifiable = DMF_IDENT_YES, report->reason = DMF_IDENT_BY_COMPLETION;
    }
    if (status == DMF_OK && report->identifiable == DMF_IDENT_UNKNOWN) {
        size_t same = flag_same_support(&t, flags, &status);
        if (same) {
            report->identifiable = DMF_IDENT_NO, report->reason = DMF_IDENT_BY_SAME_SUPPORT;
            report->num_ambiguous += same;
        } else if (status == DMF_OK && t.cover) {
            int v = rank_test(&t, flags, &report->extra_dims, &report->num_ambiguous, &status);
            if (v == DMF_IDENT_NO) report->identifiable = DMF_IDENT_NO, report->reason = DMF_IDENT_BY_RANK_TEST;
            else if (v == DMF_IDENT_UNKNOWN) report->reason = DMF_IDENT_BY_NOT_DECIDED;
        }
    }
    if (status == DMF_OK && piece_flags) memcpy(piece_flags, flags, K);
    free(flags);
    lifted_free(&t);
    return status;
}

const char *dmf_ident_reason_string(int reason)
{
    static const char *const reasons[] = {
        [DMF_IDENT_BY_COMPLETION] = "the rank-one completion determines every piece",
        [DMF_IDENT_BY_EMPTY_SIDE] = "a rank-one piece has rows but no columns (or columns but no rows) in its "
                                    "support: its column of X (row of Y) is not determined",
        [DMF_IDENT_BY_SAME_SUPPORT] = "rank-one pieces share one support: their sum splits into rank-one "
                                      "matrices in infinitely many ways",
        [DMF_IDENT_BY_RANK_TEST] = "the completion stops, and the named pieces can move without changing X Y "
                                   "(generic first-order test)",
        [DMF_IDENT_BY_NOT_DECIDED] = "the completion stops before the named pieces are complete, but no "
                                     "first-order ambiguity exists: not decided",
        [DMF_IDENT_BY_TOO_LARGE] = "the completion stops (or was not run): too large to decide"};
    return reason >= 0 && reason < (int)(sizeof reasons / sizeof *reasons) ? reasons[reason] : "unknown reason";
}
