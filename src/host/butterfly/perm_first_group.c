/* The first group of a split of the permutation search (docs/permutations.md
 * §2, step 1): ranking every row of W by the minors it makes with a leading
 * row. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "butterfly/perm_search.h"

/* Columns per row that enter the first group's quantile. */
#define MINOR_SAMPLE 512
/* Every row is ranked first on about COARSE_SAMPLE columns (when that
 * keeps COARSE_MIN minors), the best FINE_CANDIDATES (at least 4 per group
 * member) again on all of MINOR_SAMPLE. */
#define COARSE_SAMPLE 64
#define COARSE_MIN 48
#define FINE_CANDIDATES 64
/* Squared sines of minors at rounding level (double precision), and of
 * minors clearly not: the first sample alone settles an exact group. */
#define EXACT_SINE2 1e-20
#define CLEAR_SINE2 1e-10

/* The k-th smallest (k from 0) of x[0..n), reordering x (Hoare's select). */
static double select_kth(double *x, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        const double pivot = x[lo + (hi - lo) / 2];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (x[i] < pivot) i++;
            while (x[j] > pivot) j--;
            if (i <= j) {
                double t = x[i];
                x[i] = x[j], x[j] = t;
                i++;
                if (j == 0) break;
                j--;
            }
        }
        if (k <= j) hi = j;
        else if (k >= i) lo = i;
        else return x[k];
    }
    return x[k];
}

/* The minors of the first group read a row of W at a sample of columns,
 * each with the pivot column of its class: physical positions (sorted, so
 * the reads of a row go forward through it) and the leading row's values
 * there. */
typedef struct {
    size_t count, *j, *c;
    double complex *lead_j, *lead_c;
    double *lead_norm;
} minor_sample;

/* The columns j with mix(j) % every == 0 (an irregular sample: a stride
 * would alias with the periodic zero patterns of matrices like the DFT),
 * but not the pivots themselves. */
static void sample_minors(const perm_working *wk, const double complex *w0, const size_t *pivot, size_t every,
                          minor_sample *s)
{
    const size_t n = wk->cols, m = wk->class_size;
    perm_scored *pos = malloc(n * sizeof *pos);
    size_t count = 0;
    for (size_t lj = 0; lj < n; lj++)
        if (mix(lj) % every == 0 && lj != pivot[lj / m])
            pos[count].index = lj, pos[count].score = -(double)wk->colmap[lj], count++;
    qsort(pos, count, sizeof *pos, dmf_perm_by_score_desc);
    s->count = count;
    for (size_t t = 0; t < count; t++) {
        const size_t j = wk->colmap[pos[t].index], c = wk->colmap[pivot[pos[t].index / m]];
        s->j[t] = j, s->c[t] = c;
        s->lead_j[t] = w0[j], s->lead_c[t] = w0[c];
        s->lead_norm[t] = abs2(w0[j]) + abs2(w0[c]);
    }
    free(pos);
}

/* The quantile of row u's minors with the leading row on the sample (as
 * squared sines of the angle between the rows of the minor), at four
 * fifths of the fraction of zeros a member of the leader's group has
 * (part - 1)/(class - 1): a few noisy minors do not lift a member. */
/* A quantile at or above `bound` is not looked for: the next double above
 * bound is returned, so the row ranks after those at bound (the
 * selection's branches cost more than the minors; counting does not). */
static double minor_quantile(const double complex *wu, const minor_sample *s, size_t m, size_t q, double bound,
                             double *sines, double complex *values)
{
    /* The reads first, in a loop of their own: many cache misses in
     * flight at once instead of a few behind the arithmetic. */
    for (size_t t = 0; t < s->count; t++) values[t] = wu[s->j[t]];
    size_t below = 0;
    for (size_t t = 0; t < s->count; t++) {
        const double complex a = values[t], b = wu[s->c[t]];
        const double den = (abs2(a) + abs2(b)) * s->lead_norm[t];
        sines[t] = den > 0.0 ? abs2(a * s->lead_c[t] - b * s->lead_j[t]) / den : 1.0;
        below += sines[t] < bound;
    }
    size_t k = m > 1 ? (size_t)((double)s->count * (double)(m / q - 1) / (double)(m - 1)) : 1;
    k -= k / 5;
    k = k < 1 ? 1 : k > s->count ? s->count : k;
    if (!s->count) return 1.0;
    return below < k ? nextafter(bound, INFINITY) : select_kth(sines, s->count, k - 1);
}

/* Scores the rows of `rank` (their index set) against the leading row:
 * the quantile, negated so that the sort puts the smallest first; the
 * `keep` best come first, in order. */
static void score_rows(const perm_working *wk, size_t lead, const minor_sample *s, size_t q, perm_scored *rank, size_t n,
                       double bound)
{
#pragma omp parallel if (n * s->count >= PARALLEL_WORK)
    {
        double *sines = malloc((s->count ? s->count : 1) * sizeof *sines);
        double complex *values = malloc((s->count ? s->count : 1) * sizeof *values);
#pragma omp for schedule(static)
        for (size_t t = 0; t < n; t++) {
            const size_t u = rank[t].index;
            rank[t].score = u == lead ? -2.0 : -minor_quantile(row_of(wk, u), s, wk->class_size, q, bound, sines, values);
        }
        free(values);
        free(sines);
    }
}

/* Only the `keep` best need their quantile: the first 2 keep rows are
 * scored in full, and a later row whose quantile is not below their
 * keep-th best cannot enter (it ranks after it). */
static void score_minors(const perm_working *wk, size_t lead, const minor_sample *s, size_t q, perm_scored *rank, size_t n,
                         size_t keep)
{
    size_t first = 2 * keep < n ? 2 * keep : n;
    score_rows(wk, lead, s, q, rank, first, INFINITY);
    if (first < n) {
        dmf_perm_best_first(rank, first, keep);
        score_rows(wk, lead, s, q, rank + first, n - first, keep ? -rank[keep - 1].score : INFINITY);
    }
    dmf_perm_best_first(rank, n, keep);
}

/* More than p - 1 rows at rounding level: rows at other distances from the
 * leader than its group's can have minors that vanish on whole residue
 * classes of column pairs (the DFT: rows d apart vanish where d (j - c) is
 * a multiple of N), as often as the group's or more.  Among the rows whose
 * minors vanish on at least the quantile's count, every member's vanishing
 * columns contain the pivot's part, and the member with the fewest has just
 * that part; a row whose vanishing columns contain it is a member.  So
 * each tied row (fewest vanishing columns first, one per distinct set)
 * seeds a candidate group with the tied rows whose vanishing columns
 * contain its own; the caller keeps the candidate that cuts the columns
 * exactly (the rank-one test of the whole group on its parts).  The
 * candidates follow group[0..p), the ranking's own choice; returns how many
 * groups group[] holds. */
static size_t tied_groups(const perm_working *wk, size_t lead, const minor_sample *s, size_t p, size_t q,
                          const perm_scored *rank, size_t candidates, size_t *group, size_t max_groups)
{
    const size_t m = wk->class_size, count = s->count;
    if (!count) return 1;
    size_t k = m > 1 ? (size_t)((double)count * (double)(m / q - 1) / (double)(m - 1)) : 1;
    k -= k / 5;
    k = k < 1 ? 1 : k > count ? count : k;
    size_t ntied = 0;
    for (size_t t = 0; t < candidates && -rank[t].score <= EXACT_SINE2; t++) ntied++;
    /* Beyond the scored best, rows ranked by counting sit at the bound:
     * every row ranked at rounding level is checked by its own count. */
    for (size_t t = ntied; t < candidates; t++)
        if (-rank[t].score <= EXACT_SINE2) ntied = t + 1;
    unsigned char *zero = malloc(ntied * count);
    perm_scored *tied = malloc(ntied * sizeof *tied);
    size_t n = 0;
    for (size_t t = 0; t < ntied; t++) {
        const size_t u = rank[t].index;
        if (u == lead || -rank[t].score > EXACT_SINE2) continue;
        const double complex *wu = row_of(wk, u);
        unsigned char *z = zero + n * count;
        size_t below = 0;
        for (size_t i = 0; i < count; i++) {
            const double complex a = wu[s->j[i]], b = wu[s->c[i]];
            const double den = (abs2(a) + abs2(b)) * s->lead_norm[i];
            z[i] = den > 0.0 && abs2(a * s->lead_c[i] - b * s->lead_j[i]) <= EXACT_SINE2 * den;
            below += z[i];
        }
        if (below < k) continue;
        tied[n].index = u, tied[n].score = -(double)below; /* its mask: slot n of zero[] */
        n++;
    }
    size_t made = 1;
    if (n >= p) {
        /* Fewest vanishing columns first; slot[] remembers each row's mask. */
        size_t *slot = malloc(n * sizeof *slot), *order = malloc(n * sizeof *order);
        perm_scored *byc = malloc(n * sizeof *byc);
        for (size_t i = 0; i < n; i++) byc[i].score = tied[i].score, byc[i].index = i;
        qsort(byc, n, sizeof *byc, dmf_perm_by_score_desc);
        for (size_t i = 0; i < n; i++) slot[i] = byc[i].index;
        for (size_t a = 0; a < n && made < max_groups; a++) {
            const unsigned char *za = zero + slot[a] * count;
            int seen = 0;
            for (size_t b = 0; b < a && !seen; b++)
                seen = !memcmp(za, zero + slot[b] * count, count);
            if (seen) continue;
            size_t found = 0;
            for (size_t b = 0; b < n && found < p - 2; b++) {
                if (b == a) continue;
                const unsigned char *zb = zero + slot[b] * count;
                size_t i = 0;
                while (i < count && (!za[i] || zb[i])) i++;
                if (i == count) order[found++] = tied[slot[b]].index;
            }
            if (found < p - 2) continue;
            size_t *g = group + made * p;
            g[0] = lead, g[1] = tied[slot[a]].index;
            memcpy(g + 2, order, (p - 2) * sizeof *g);
            made++;
        }
        free(byc), free(order), free(slot);
    }
    free(tied);
    free(zero);
    return made;
}

/* The first group: the rows whose 2 x 2 minors with the leading row (on a
 * pivot column per class) vanish on the most columns.  A row of its group
 * has a zero minor on every column of the pivot's part, 1/q of each class;
 * a row that meets it only at a later split on 1/q of that, and unrelated
 * rows nowhere.  So rows are ranked by a low quantile of their minors on a
 * sample of the columns: zero for the group and clearly not for the
 * others, whatever the matrix's conditioning, without a threshold that
 * would have to know the noise.  Each minor reads two entries of a row at
 * random places (a cache miss each), so every row is first ranked on
 * about COARSE_SAMPLE columns and only the best FINE_CANDIDATES are ranked
 * again on MINOR_SAMPLE, unless the first ranking already settles an exact
 * group. */
size_t dmf_perm_first_group(const perm_working *wk, size_t lead, size_t p, size_t q, size_t *group, size_t max_groups)
{
    const size_t n = wk->cols, m = wk->class_size, units = wk->units;
    const size_t step = n > MINOR_SAMPLE ? n / MINOR_SAMPLE : 1;
    const double complex *w0 = row_of(wk, lead);
    size_t *pivot = malloc(wk->classes * sizeof *pivot);
    perm_scored *rank = malloc(units * sizeof *rank);
    minor_sample s;
    s.j = malloc(n * sizeof *s.j), s.c = malloc(n * sizeof *s.c);
    s.lead_j = malloc(n * sizeof *s.lead_j), s.lead_c = malloc(n * sizeof *s.lead_c);
    s.lead_norm = malloc(n * sizeof *s.lead_norm);
    for (size_t c = 0; c < wk->classes; c++) {
        size_t best = c * m;
        for (size_t j = c * m; j < (c + 1) * m; j++)
            if (abs2(w0[wk->colmap[j]]) > abs2(w0[wk->colmap[best]])) best = j;
        pivot[c] = best;
    }
    for (size_t u = 0; u < units; u++) rank[u].index = u;
    size_t candidates = units;
    const size_t fine = FINE_CANDIDATES > 4 * p ? FINE_CANDIDATES : 4 * p;
    int settled = 0;
    sample_minors(wk, w0, pivot, n > COARSE_SAMPLE ? n / COARSE_SAMPLE : 1, &s);
    if (s.count >= COARSE_MIN) {
        score_minors(wk, lead, &s, q, rank, units, fine < units ? fine : units);
        if (units > 2 * fine) candidates = fine;
        /* Exactly p - 1 rows with minors at rounding level and every other
         * row clearly not: an exact chain's group, which more columns
         * would only confirm.  (Noise, or rows that tie, as in a Hadamard
         * matrix, go on to the whole sample.) */
        settled = units >= p && -rank[p - 2].score <= EXACT_SINE2 && (units == p || -rank[p - 1].score > CLEAR_SINE2);
    }
    if (!settled) {
        sample_minors(wk, w0, pivot, step, &s);
        score_minors(wk, lead, &s, q, rank, candidates, p - 1);
    }
    group[0] = lead;
    for (size_t t = 1; t < p; t++) group[t] = rank[t - 1].index;
    size_t made = 1;
    if (!settled && max_groups > 1 && candidates >= p && -rank[p - 1].score <= EXACT_SINE2)
        made = tied_groups(wk, lead, &s, p, q, rank, candidates, group, max_groups);
    free(s.j), free(s.c), free(s.lead_j), free(s.lead_c), free(s.lead_norm);
    free(rank);
    free(pivot);
    return made;
}

