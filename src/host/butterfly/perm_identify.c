/* Identification of unknown row and column permutations that make a matrix
 * a chain on given radices (docs/permutations.md).
 *
 * At the split after factor s of a rank-one chain, the rows that share
 * their low digits (i_{s+1} ... i_{L-1}) and the columns that share their
 * high digits (j_0 ... j_s) meet in a rank-one block.  Walking the splits
 * from s = 0, the row classes of split s are groups of m_s classes of split
 * s - 1 and the column classes are the classes of split s - 1 cut into n_s
 * parts; a compressed working matrix W keeps one row per current row class
 * (its rank-one row factor on every current column class), so each split
 * solves the same small problem: group the rows of W by m_s and cut its
 * column classes by n_s so that every group x part block is rank one. */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "butterfly/perm_search.h"
#include "memory.h"
#include "scale.h"

/* Columns of each part that enter the row-group score, and the total. */
#define SAMPLE_PER_PART 64
#define SAMPLE_MAX 512
/* Leading rows tried for the first group, candidate first groups of a
 * leading row (when rows tie, dmf_perm_first_group), and refinement rounds. */
#define LEADS 8
#define FIRST_GROUPS 8
/* Complex multiply-adds the row grouping of one split may spend. */
#define GROUPING_BUDGET 3e7
#define ROUNDS 2
/* Groups whose rows enter the column-part score. */
#define GROUPS_FOR_COLUMNS 32
/* Columns per part that choose a group's representative row. */
#define REPRESENT_SAMPLE 8

int dmf_perm_by_score_desc(const void *x, const void *y)
{
    const perm_scored *a = x, *b = y;
    /* NaN last: the quickselect below runs off the array unless this is a
     * strict order. */
    int a_nan = isnan(a->score), b_nan = isnan(b->score);
    if (a_nan != b_nan) return a_nan ? 1 : -1;
    if (!a_nan && a->score != b->score) return a->score < b->score ? 1 : -1;
    return a->index < b->index ? -1 : a->index > b->index;
}

/* Moves the k best-scored entries to the front, best first: a partial
 * selection for small k, a sort otherwise. */
static void top_first(perm_scored *x, size_t n, size_t k)
{
    if (k > 8) {
        qsort(x, n, sizeof *x, dmf_perm_by_score_desc);
        return;
    }
    for (size_t t = 0; t < k; t++) {
        size_t best = t;
        for (size_t i = t + 1; i < n; i++)
            if (dmf_perm_by_score_desc(&x[i], &x[best]) < 0) best = i;
        perm_scored tmp = x[t];
        x[t] = x[best], x[best] = tmp;
    }
}

/* Moves the k best of x[0..n) to the front, sorted best first; the rest
 * follow in no order (a quickselect, then a sort of the k). */
void dmf_perm_best_first(perm_scored *x, size_t n, size_t k)
{
    size_t lo = 0, hi = n;
    while (k < n && hi - lo > 1) {
        const perm_scored pivot = x[lo + (hi - lo) / 2];
        size_t i = lo, j = hi - 1;
        while (i <= j) {
            while (dmf_perm_by_score_desc(&x[i], &pivot) < 0) i++;
            while (dmf_perm_by_score_desc(&x[j], &pivot) > 0) j--;
            if (i <= j) {
                perm_scored t = x[i];
                x[i] = x[j], x[j] = t;
                i++;
                if (j == 0) break;
                j--;
            }
        }
        if (k <= j) hi = j + 1;
        else if (k >= i) lo = i;
        else break;
    }
    qsort(x, k < n ? k : n, sizeof *x, dmf_perm_by_score_desc);
}

/* The rows of largest norm, the strongest first: their minors and inner
 * products are the least disturbed by noise.  A row of W is a whole row of
 * its buffer in another column order, so its norm is the buffer row's,
 * computed once per buffer. */
static size_t leading_rows(const perm_working *wk, size_t *lead, size_t count)
{
    perm_scored *rank = malloc(wk->units * sizeof *rank);
    for (size_t u = 0; u < wk->units; u++) rank[u].score = wk->energy[wk->rowmap[u]], rank[u].index = u;
    dmf_perm_best_first(rank, wk->units, count < wk->units ? count : wk->units);
    if (count > wk->units) count = wk->units;
    for (size_t t = 0; t < count; t++) lead[t] = rank[t].index;
    free(rank);
    return count;
}

/* Score of two columns over a set of row groups: 1 when they are parallel
 * on every group, about 1/p for unrelated ones. */
static double column_affinity(const perm_working *wk, const size_t *groups, size_t ngroups, size_t p, size_t j,
                              size_t k)
{
    double top = 0.0, bottom = 0.0;
    for (size_t g = 0; g < ngroups; g++) {
        double complex dot = 0.0;
        double nj = 0.0, nk = 0.0;
        for (size_t t = 0; t < p; t++) {
            const double complex *row = row_of(wk, groups[g * p + t]);
            const double complex x = row[wk->colmap[j]], y = row[wk->colmap[k]];
            dot += conj(x) * y;
            nj += abs2(x);
            nk += abs2(y);
        }
        top += abs2(dot);
        bottom += nj * nk;
    }
    return bottom > 0.0 ? top / bottom : 0.0;
}

/* Cuts every column class into q parts of equal size, the columns of a part
 * parallel on the given groups; order[] receives the new column order (new
 * position -> current position).  Returns the smallest affinity of a column
 * to the seed of its part. */
static double cut_classes(const perm_working *wk, const size_t *groups, size_t ngroups, size_t p, size_t q,
                          size_t *order, double *mean)
{
    const size_t m = wk->class_size, part = m / q;
    double worst = 1.0, sum = 0.0;
    /* The classes are shared: one class is one thread's. */
    const int threads = wk->classes > 1 && wk->classes * q * m * ngroups * p >= PARALLEL_WORK;
#pragma omp parallel reduction(min : worst) reduction(+ : sum) if (threads)
    {
        unsigned char *taken = malloc(m);
        perm_scored *cand = malloc(m * sizeof *cand);
        double *energy = malloc(m * sizeof *energy);
#pragma omp for schedule(dynamic, 1)
        for (size_t c = 0; c < wk->classes; c++) {
            const size_t base = c * m;
            size_t *out = order + base;
            memset(taken, 0, m);
            for (size_t j = 0; j < m; j++) {
                double e = 0.0;
                for (size_t g = 0; g < ngroups * p; g++) e += abs2(row_of(wk, groups[g])[wk->colmap[base + j]]);
                energy[j] = e;
            }
            size_t filled = 0;
            for (size_t t = 0; t < q; t++) {
                size_t seed = m;
                for (size_t j = 0; j < m; j++)
                    if (!taken[j] && (seed == m || energy[j] > energy[seed])) seed = j;
                size_t ncand = 0;
                for (size_t j = 0; j < m; j++) {
                    if (taken[j] || j == seed) continue;
                    cand[ncand].score = column_affinity(wk, groups, ngroups, p, base + seed, base + j);
                    cand[ncand].index = j;
                    ncand++;
                }
                top_first(cand, ncand, part - 1 < ncand ? part - 1 : ncand);
                taken[seed] = 1;
                out[filled++] = base + seed;
                for (size_t k = 0; k + 1 < part; k++) {
                    taken[cand[k].index] = 1;
                    out[filled++] = base + cand[k].index;
                    if (cand[k].score < worst) worst = cand[k].score;
                    sum += cand[k].score;
                }
            }
        }
        free(energy);
        free(cand);
        free(taken);
    }
    const size_t chosen = wk->classes * q * (part - 1);
    if (mean) *mean = chosen > 0 ? sum / (double)chosen : 1.0;
    return worst;
}

/* Groups the rows of W by p so that the rows of a group are parallel on
 * every column part (parts of `part` contiguous columns, in the order
 * `order`), judged on a sample of the parts.  Returns the smallest score of
 * a row to the seed of its group (1 = parallel). */
static double group_rows(const perm_working *wk, const size_t *order, size_t part, size_t p, size_t *groups)
{
    const size_t units = wk->units, parts = wk->cols / part;
    const size_t per = part < SAMPLE_PER_PART ? part : SAMPLE_PER_PART;
    /* The sample shrinks as the rows grow so the n^2 pairs stay in budget. */
    double budget = GROUPING_BUDGET / ((double)units * units / (2.0 * p) + 1.0);
    size_t width_max = budget < 16 ? 16 : budget > SAMPLE_MAX ? SAMPLE_MAX : (size_t)budget;
    size_t chosen = width_max / per;
    if (chosen < 1) chosen = 1;
    if (chosen > parts) chosen = parts;
    const size_t width = chosen * per;
    double complex *z = malloc(units * width * sizeof *z);
    double *norm = malloc(units * chosen * sizeof *norm);
    double *total = malloc(units * sizeof *total);
    /* The sample's columns in the buffer and the key's weights, once. */
    size_t *at = malloc(width * sizeof *at);
    double complex *weight = malloc(width * sizeof *weight);
    for (size_t k = 0; k < chosen; k++)
        for (size_t t = 0; t < per; t++) {
            at[k * per + t] = wk->colmap[order[(k * parts / chosen) * part + t]];
            uint64_t h = mix(k * per + t);
            weight[k * per + t] = (double)(h & 0xffff) - 32767.5 + I * ((double)(h >> 48) - 32767.5);
        }
    for (size_t u = 0; u < units; u++) {
        const double complex *row = row_of(wk, u);
        double complex *zu = z + u * width;
        for (size_t i = 0; i < width; i++) zu[i] = row[at[i]];
        total[u] = 0.0;
        for (size_t k = 0; k < chosen; k++) {
            double s = 0.0;
            for (size_t t = 0; t < per; t++) s += abs2(zu[k * per + t]);
            norm[u * chosen + k] = s;
            total[u] += s;
        }
    }
    /* A key that rows parallel on every sampled part share (scale and
     * phase of each part drop out): rows sorted by it sit next to their
     * group when the data is exact, so most seeds need not look further. */
    perm_scored *bykey = malloc(units * sizeof *bykey);
    size_t *where = malloc(units * sizeof *where);
    for (size_t u = 0; u < units; u++) {
        double key = 0.0;
        for (size_t k = 0; k < chosen; k++) {
            double complex dot = 0.0;
            for (size_t t = 0; t < per; t++) dot += z[u * width + k * per + t] * weight[k * per + t];
            key += norm[u * chosen + k] > 0.0 ? abs2(dot) / norm[u * chosen + k] : 0.0;
        }
        bykey[u].score = key, bykey[u].index = u;
    }
    free(weight);
    free(at);
    qsort(bykey, units, sizeof *bykey, dmf_perm_by_score_desc);
    for (size_t i = 0; i < units; i++) where[bykey[i].index] = i;
    perm_scored *rank = malloc(units * sizeof *rank);
    for (size_t u = 0; u < units; u++) rank[u].score = total[u], rank[u].index = u;
    qsort(rank, units, sizeof *rank, dmf_perm_by_score_desc);
    unsigned char *taken = calloc(units, 1);
    perm_scored *cand = malloc(units * sizeof *cand);
    double worst = 1.0;
    size_t ngroups = 0;
    for (size_t r = 0; r < units; r++) {
        const size_t seed = rank[r].index;
        if (taken[seed]) continue;
        taken[seed] = 1;
        const double complex *zs = z + seed * width;
        size_t need = p - 1, ncand = 0;
        /* Near the seed's key first: enough exactly parallel rows there
         * settle the group; otherwise every free row is scored. */
        const double key = bykey[where[seed]].score, tol = 1e-9 * (1.0 + fabs(key));
        for (size_t i = where[seed]; i-- > 0 && bykey[i].score - key <= tol;)
            if (!taken[bykey[i].index]) cand[ncand++].index = bykey[i].index;
        for (size_t i = where[seed] + 1; i < units && key - bykey[i].score <= tol; i++)
            if (!taken[bykey[i].index]) cand[ncand++].index = bykey[i].index;
        size_t exact = 0;
        for (int pass = 0; pass < 2; pass++) {
            if (pass == 1) {
                if (exact >= need) break;
                ncand = 0;
                for (size_t u = 0; u < units; u++)
                    if (!taken[u]) cand[ncand++].index = u;
            }
            exact = 0;
            for (size_t i = 0; i < ncand; i++) {
                const size_t u = cand[i].index;
                const double complex *zu = z + u * width;
                double top = 0.0, bottom = 0.0;
                for (size_t k = 0; k < chosen; k++) {
                    double complex dot = 0.0;
                    for (size_t t = 0; t < per; t++) dot += conj(zs[k * per + t]) * zu[k * per + t];
                    top += abs2(dot);
                    bottom += norm[seed * chosen + k] * norm[u * chosen + k];
                }
                cand[i].score = bottom > 0.0 ? top / bottom : 0.0;
                exact += cand[i].score > 1.0 - 1e-9;
            }
        }
        if (need > ncand) need = ncand;
        top_first(cand, ncand, need);
        size_t *g = groups + ngroups * p;
        g[0] = seed;
        for (size_t t = 0; t < need; t++) {
            g[t + 1] = cand[t].index;
            taken[cand[t].index] = 1;
            if (cand[t].score < worst) worst = cand[t].score;
        }
        ngroups++;
    }
    free(cand);
    free(taken);
    free(rank);
    free(where);
    free(bykey);
    free(total);
    free(norm);
    free(z);
    return worst;
}

/* One row per group: on every new column part, the group's block projected
 * on its strongest column (a rank-one estimate that keeps the scale of the
 * block), with the columns put in the new order. */
static int compress(perm_working *wk, const size_t *groups, size_t ngroups, size_t p, const size_t *order,
                    size_t part)
{
    const size_t n = wk->cols;
    double complex *next = wk->spare[wk->next_spare];
    wk->next_spare ^= 1;
#pragma omp parallel for schedule(static) if (ngroups * p * n >= PARALLEL_WORK)
    for (size_t g = 0; g < ngroups; g++) {
        const size_t *rows = groups + g * p;
        for (size_t first = 0; first < n; first += part) {
            size_t pivot = first;
            double best = -1.0;
            for (size_t j = first; j < first + part; j++) {
                double e = 0.0;
                for (size_t t = 0; t < p; t++) e += abs2(row_of(wk, rows[t])[wk->colmap[order[j]]]);
                if (e > best) best = e, pivot = j;
            }
            if (best <= 0.0) {
                memset(next + g * n + first, 0, part * sizeof *next);
                continue;
            }
            const double scale = 1.0 / sqrt(best);
            for (size_t j = first; j < first + part; j++) {
                double complex s = 0.0;
                for (size_t t = 0; t < p; t++)
                    s += conj(row_of(wk, rows[t])[wk->colmap[order[pivot]]]) * row_of(wk, rows[t])[wk->colmap[order[j]]];
                next[g * n + j] = s * scale;
            }
        }
    }
    /* After the reads: the energies of the old buffer's rows are not
     * needed any more. */
#pragma omp parallel for schedule(static) if (ngroups * n >= PARALLEL_WORK)
    for (size_t g = 0; g < ngroups; g++) {
        double e = 0.0;
        for (size_t j = 0; j < n; j++) e += abs2(next[g * n + j]);
        wk->energy[g] = e;
    }
    wk->w = next;
    wk->stride = n;
    for (size_t g = 0; g < ngroups; g++) wk->rowmap[g] = g;
    for (size_t j = 0; j < n; j++) wk->colmap[j] = j;
    wk->units = ngroups;
    return DMF_OK;
}

/* While a split is exact, the rank-one row factor of a group on every part
 * is any of its rows up to a scale per part, which no score sees, so W can
 * keep pointing into the input.  The row must be strong on every part,
 * though: a segment far below the group's best on that part carries mostly
 * rounding (rows of a product cancel), which the next splits would read as
 * structure.  Each group takes the row whose weakest part, relative to the
 * group's best there, is largest; when that is below 1e-3 for some group,
 * 0 is returned and the split is compressed instead.  On a rank-one block
 * x yᵀ those ratios are |x_t|² / max |x|² on any columns where y is not
 * small, so REPRESENT_SAMPLE columns spread over each part give them: the
 * part's seed (its strongest column on the first groups) among them. */
static int represent(perm_working *wk, const size_t *groups, size_t ngroups, size_t p, const size_t *order, size_t part)
{
    size_t *rows = wk->spare_map[0], *cols = wk->spare_map[1];
    const size_t n = wk->cols, parts = n / part, per = part < REPRESENT_SAMPLE ? part : REPRESENT_SAMPLE;
    /* The sample's columns in the buffer, part after part. */
    size_t *sample = wk->column_sample;
    for (size_t k = 0; k < parts; k++)
        for (size_t t = 0; t < per; t++) sample[k * per + t] = wk->colmap[order[k * part + t * part / per]];
    int ok = 1;
#pragma omp parallel reduction(&& : ok) if (ngroups * p * parts * per >= PARALLEL_WORK)
    {
        double *energy = malloc(p * parts * sizeof *energy), *weakest = malloc(p * sizeof *weakest);
#pragma omp for schedule(static)
        for (size_t g = 0; g < ngroups; g++) {
            const size_t *members = groups + g * p;
            for (size_t t = 0; t < p; t++) {
                const double complex *r = row_of(wk, members[t]);
                for (size_t k = 0; k < parts; k++) {
                    double e = 0.0;
                    for (size_t i = 0; i < per; i++) e += abs2(r[sample[k * per + i]]);
                    energy[t * parts + k] = e;
                }
                weakest[t] = 1.0;
            }
            for (size_t k = 0; k < parts; k++) {
                double best = 0.0;
                for (size_t t = 0; t < p; t++)
                    if (energy[t * parts + k] > best) best = energy[t * parts + k];
                for (size_t t = 0; t < p && best > 0.0; t++)
                    if (energy[t * parts + k] / best < weakest[t]) weakest[t] = energy[t * parts + k] / best;
            }
            size_t chosen = 0;
            for (size_t t = 1; t < p; t++)
                if (weakest[t] > weakest[chosen]) chosen = t;
            rows[g] = wk->rowmap[members[chosen]];
            if (weakest[chosen] < 1e-6) ok = 0; /* energies: 1e-3 in norm */
        }
        free(weakest);
        free(energy);
    }
    if (!ok) return 0;
    for (size_t j = 0; j < n; j++) cols[j] = wk->colmap[order[j]];
    wk->spare_map[0] = wk->rowmap, wk->spare_map[1] = wk->colmap;
    wk->rowmap = rows, wk->colmap = cols;
    wk->units = ngroups;
    return 1;
}

static int load(const dmf_matrix *a, const size_t *radix_m, size_t num_factors, perm_working *wk)
{
    const size_t count = a->rows * a->cols;
    size_t first = num_factors > 1 ? a->rows / radix_m[0] : 1, second = num_factors > 2 ? first / radix_m[1] : 1;
    /* The search multiplies up to four entries and sums such products: it
     * works on the matrix scaled by a power of two (exact) that brings the
     * largest entry near 1 where that entry is far from it (R 2^260 made
     * NaN scores, R 2^-280 minors at rounding level). */
    const int shift = dmf_range_shift_beyond(a->dtype, a->data, count, 64);
    const int copy = a->dtype != DMF_C128 || shift != 0;
    double bytes = ((double)first + (double)second) * (double)a->cols;
    if (copy) bytes += (double)count;
    DMF_TRY(dmf_memory_check(bytes * sizeof(double complex), "the permutation search of a %zu x %zu matrix",
                             a->rows, a->cols));
    memset(wk, 0, sizeof *wk);
    wk->spare[0] = malloc((first ? first : 1) * a->cols * sizeof(double complex));
    wk->spare[1] = malloc((second ? second : 1) * a->cols * sizeof(double complex));
    if (copy) wk->converted = malloc((count ? count : 1) * sizeof(double complex));
    if (!wk->spare[0] || !wk->spare[1] || (copy && !wk->converted))
        return dmf_fail(DMF_ERR_NOMEM, "permutation search: out of memory");
    if (wk->converted) {
        /* In two factors: 2^shift alone overflows for subnormal inputs. */
        const double half = ldexp(1.0, shift / 2), rest = ldexp(1.0, shift - shift / 2);
#pragma omp parallel for schedule(static)
        for (size_t i = 0; i < count; i++) wk->converted[i] = dmf_get(a->dtype, a->data, i) * half * rest;
        wk->w = wk->converted;
    } else {
        wk->w = a->data;
    }
    wk->energy = malloc((a->rows ? a->rows : 1) * sizeof *wk->energy);
    wk->column_sample = malloc((a->cols ? a->cols : 1) * sizeof *wk->column_sample);
    if (!wk->energy || !wk->column_sample) return dmf_fail(DMF_ERR_NOMEM, "permutation search: out of memory");
    /* The row norms, which also find a non-finite entry: the one pass over
     * the input before the search. */
    int finite = 1;
#pragma omp parallel for schedule(static) reduction(&& : finite) if (a->rows * a->cols >= PARALLEL_WORK)
    for (size_t i = 0; i < a->rows; i++) {
        double e = 0.0;
        for (size_t j = 0; j < a->cols; j++) e += abs2(wk->w[i * a->cols + j]);
        wk->energy[i] = e;
        finite = finite && isfinite(e);
    }
    if (!finite) DMF_TRY(dmf_matrix_check_finite(a)); /* else finite entries whose squares overflow */
    wk->rowmap = malloc((a->rows ? a->rows : 1) * sizeof(size_t));
    wk->colmap = malloc((a->cols ? a->cols : 1) * sizeof(size_t));
    wk->spare_map[0] = malloc((a->rows ? a->rows : 1) * sizeof(size_t));
    wk->spare_map[1] = malloc((a->cols ? a->cols : 1) * sizeof(size_t));
    if (!wk->rowmap || !wk->colmap || !wk->spare_map[0] || !wk->spare_map[1])
        return dmf_fail(DMF_ERR_NOMEM, "permutation search: out of memory");
    for (size_t i = 0; i < a->rows; i++) wk->rowmap[i] = i;
    for (size_t j = 0; j < a->cols; j++) wk->colmap[j] = j;
    wk->stride = a->cols;
    wk->units = a->rows;
    wk->cols = a->cols;
    wk->classes = 1;
    wk->class_size = a->cols;
    return DMF_OK;
}

static void unload(perm_working *wk)
{
    free(wk->converted);
    free(wk->energy);
    free(wk->column_sample);
    free(wk->spare[0]);
    free(wk->spare[1]);
    free(wk->rowmap);
    free(wk->colmap);
    free(wk->spare_map[0]);
    free(wk->spare_map[1]);
}

/* Workspace of the search. */
typedef struct {
    size_t *groups, *best_group, *order, *col_order, *tmp, *unit_rows, *next_rows, *row_index;
} search_space;

static void space_free(search_space *sp)
{
    free(sp->groups), free(sp->best_group), free(sp->order), free(sp->col_order), free(sp->tmp);
    free(sp->unit_rows), free(sp->next_rows), free(sp->row_index);
}

/* One split: groups of p rows of W, classes cut into q parts. */
static int identify_split(perm_working *wk, search_space *sp, size_t p, size_t q, size_t stride, size_t unit_size,
                          dmf_perm_level *level)
{
    const size_t n = wk->cols, part = wk->class_size / q, ngroups = wk->units / p;
    size_t *groups = sp->groups, *order = sp->order;
    for (size_t j = 0; j < n; j++) order[j] = j;
    level->group_score = 1.0;
    level->column_score = 1.0;
    if (p > 1 && q > 1) {
        /* From one group to all parts, then from all parts to all groups.
         * A weak partner of the leading row makes a poor first group: a
         * few leading rows are tried and the cleanest first cut is kept. */
        size_t lead[LEADS], *best_group = sp->best_group;
        double best = -1.0, worst = 0.0;
        const size_t leads = leading_rows(wk, lead, LEADS);
        size_t *cand = malloc(FIRST_GROUPS * p * sizeof *cand);
        if (!cand) return dmf_fail(DMF_ERR_NOMEM, "permutation search: out of memory");
        size_t tried = 0, kept = 0;
        for (size_t t = 0; t < leads && best <= 1.0 - 1e-9; t++) {
            const size_t made = dmf_perm_first_group(wk, lead[t], p, q, cand, FIRST_GROUPS);
            for (size_t c = 0; c < made; c++) {
                double mean, w;
                w = cut_classes(wk, cand + c * p, 1, p, q, order, &mean);
                tried++;
                if (mean > best) best = mean, worst = w, kept = tried, memcpy(best_group, cand + c * p, p * sizeof *cand);
                if (best > 1.0 - 1e-9) break; /* exactly parallel parts: no better group */
            }
        }
        free(cand);
        /* order holds the last group's cut: the kept one's unless a later
         * group was tried after it. */
        level->column_score = kept == tried ? worst : cut_classes(wk, best_group, 1, p, q, order, NULL);
        level->group_score = group_rows(wk, order, part, p, groups);
        /* Parts and groups exact from the first group: more evidence cannot
         * change them.  Otherwise cut again with many groups, and regroup. */
        const double exact = 1.0 - 1e-9;
        size_t used = ngroups < GROUPS_FOR_COLUMNS ? ngroups : GROUPS_FOR_COLUMNS;
        for (int round = 0; round < ROUNDS && (level->column_score < exact || level->group_score < exact); round++) {
            level->column_score = cut_classes(wk, groups, used, p, q, order, NULL);
            level->group_score = group_rows(wk, order, part, p, groups);
        }
    } else if (p > 1) {
        level->group_score = group_rows(wk, order, part, p, groups);
    } else if (q > 1) {
        for (size_t u = 0; u < wk->units; u++) groups[u] = u;
        size_t used = ngroups < GROUPS_FOR_COLUMNS ? ngroups : GROUPS_FOR_COLUMNS;
        level->column_score = cut_classes(wk, groups, used, 1, q, order, NULL);
    } else {
        for (size_t u = 0; u < wk->units; u++) groups[u] = u;
    }
    /* The position in its group is the row digit i_s of every row of a unit. */
    for (size_t g = 0; g < ngroups; g++)
        for (size_t t = 0; t < p; t++) {
            const size_t *rows = sp->unit_rows + groups[g * p + t] * unit_size;
            for (size_t r = 0; r < unit_size; r++) sp->row_index[rows[r]] += t * stride;
            memcpy(sp->next_rows + (g * p + t) * unit_size, rows, unit_size * sizeof *rows);
        }
    size_t *swap = sp->unit_rows;
    sp->unit_rows = sp->next_rows, sp->next_rows = swap;
    for (size_t j = 0; j < n; j++) sp->tmp[j] = sp->col_order[order[j]];
    memcpy(sp->col_order, sp->tmp, n * sizeof *sp->tmp);
    /* Exact split: W can stay a choice of the input's rows; otherwise the
     * projections average the noise of a group's rows. */
    const double exact_split = 1.0 - 1e-9;
    if (!(level->group_score >= exact_split && level->column_score >= exact_split &&
          represent(wk, groups, ngroups, p, order, part)))
        DMF_TRY(compress(wk, groups, ngroups, p, order, part));
    wk->classes *= q;
    wk->class_size = part;
    return DMF_OK;
}

int dmf_butterfly_identify_permutations(const dmf_matrix *a, size_t num_factors, const size_t *radix_m,
                                        const size_t *radix_n, size_t *perm_rows, size_t *perm_cols,
                                        dmf_perm_report *report)
{
    if (!a || !radix_m || !radix_n || !perm_rows || !perm_cols)
        return dmf_fail(DMF_ERR_ARG, "permutation search: NULL argument");
    dmf_chain_shape shape;
    DMF_TRY(dmf_chain_shape_init(&shape, num_factors, radix_m, radix_n, NULL));
    size_t rows = 1, cols = 1;
    for (size_t k = 0; k < num_factors; k++) rows *= radix_m[k], cols *= radix_n[k];
    if (rows != a->rows || cols != a->cols)
        return dmf_fail(DMF_ERR_SHAPE, "permutation search: the radices give %zu x %zu, the matrix is %zu x %zu",
                        rows, cols, a->rows, a->cols);
    const double start = dmf_now_seconds();
    dmf_perm_report local;
    if (!report) report = &local;
    memset(report, 0, sizeof *report);

    perm_working wk;
    int loaded = load(a, radix_m, num_factors, &wk);
    if (loaded != DMF_OK) {
        unload(&wk);
        return loaded;
    }
    search_space sp = {0};
    sp.groups = malloc(rows * sizeof(size_t));
    sp.best_group = malloc(rows * sizeof(size_t));
    sp.order = malloc(cols * sizeof(size_t));
    sp.col_order = malloc(cols * sizeof(size_t));
    sp.tmp = malloc(cols * sizeof(size_t));
    sp.unit_rows = malloc(rows * sizeof(size_t));
    sp.next_rows = malloc(rows * sizeof(size_t));
    sp.row_index = calloc(rows, sizeof(size_t));
    int status = DMF_OK;
    if (!sp.groups || !sp.best_group || !sp.order || !sp.col_order || !sp.tmp || !sp.unit_rows || !sp.next_rows || !sp.row_index)
        status = dmf_fail(DMF_ERR_NOMEM, "permutation search: out of memory");
    if (status == DMF_OK) {
        for (size_t i = 0; i < rows; i++) sp.unit_rows[i] = i;
        for (size_t j = 0; j < cols; j++) sp.col_order[j] = j;
        size_t unit_size = 1, stride = rows;
        for (size_t s = 0; s + 1 < num_factors && status == DMF_OK; s++) {
            stride /= radix_m[s];
            status = identify_split(&wk, &sp, radix_m[s], radix_n[s], stride, unit_size, &report->levels[s]);
            unit_size *= radix_m[s];
            report->num_levels = s + 1;
        }
        if (status == DMF_OK) {
            /* The row classes of the last split are told apart by i_{L-1}. */
            for (size_t u = 0; u < wk.units; u++)
                for (size_t r = 0; r < unit_size; r++) sp.row_index[sp.unit_rows[u * unit_size + r]] += u;
            for (size_t i = 0; i < rows; i++) perm_rows[sp.row_index[i]] = i;
            memcpy(perm_cols, sp.col_order, cols * sizeof *perm_cols);
            report->min_score = 1.0;
            for (size_t s = 0; s < report->num_levels; s++) {
                if (report->levels[s].group_score < report->min_score) report->min_score = report->levels[s].group_score;
                if (report->levels[s].column_score < report->min_score) report->min_score = report->levels[s].column_score;
            }
        }
    }
    space_free(&sp);
    unload(&wk);
    report->time_s = dmf_now_seconds() - start;
    return status;
}
