/* The index arithmetic and per-thread bodies of the CUDA split kernels
 * (src/kernels/split_index.h), run on the CPU in loops over (block, thread)
 * indices and checked against the CPU backend's layout:
 *  - target, W and H indices are bijections onto T, W and H;
 *  - W and H from the CPU split, read back through those indices, rebuild
 *    the gathered sub-blocks with exactly the residual the CPU reported;
 *  - emulated scatter of random x, h followed by the CPU's merge of W H and
 *    an emulated gather gives back x h per sub-block (sqrt(sigma) cancels);
 *  - batches cover every sub-block once; scratch arrays do not overlap;
 *  - emulated per-group normalization equals the CPU's normalize_pair;
 *  - the 2 x 2 closed form is the top eigenvector;
 *  - the emulated apply of every factor of a random chain equals the CPU's.
 * Geometries: every split of square radix 2, radix 3, mixed, rectangular,
 * rank 2 chains, and blocks 1 x n, 2 x n, n x 2, 31/32/33. */
#include <complex.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include "backend/backend.h"
#include "butterfly/chain_internal.h"
#include "check.h"
#include "kernels/apply_index.h"
#include "kernels/split_index.h"

static double complex to_c(dmf_dc z) { return z.re + I * z.im; }

static size_t w_size_of(const dmf_split_geometry *g)
{
    return g->a * g->b2 * g->d * g->b1 * g->c1 * g->rank;
}
static size_t h_size_of(const dmf_split_geometry *g)
{
    return g->a * g->c1 * g->d * g->rank * g->b2 * g->c2;
}
static size_t t_size_of(const dmf_split_geometry *g)
{
    return g->a * g->d * g->b1 * g->b2 * g->c1 * g->c2;
}

static void check_bijections(const dmf_split_geometry *g)
{
    size_t count = dmf_split_num_sub_blocks(g), m = g->b1, n = g->c2, r = g->rank;
    size_t ts = t_size_of(g), ws = w_size_of(g), hs = h_size_of(g);
    unsigned char *hit_t = calloc(ts, 1), *hit_w = calloc(ws, 1), *hit_h = calloc(hs, 1);
    size_t bad = 0;
    for (size_t s = 0; s < count; s++) {
        for (size_t a = 0; a < m; a++)
            for (size_t b = 0; b < n; b++) {
                size_t e = dmf_split_target_index(g, s, a, b);
                if (e >= ts || hit_t[e]++) bad++;
            }
        for (size_t a = 0; a < m; a++)
            for (size_t rho = 0; rho < r; rho++) {
                size_t e = dmf_split_w_index(g, s, a, rho);
                if (e >= ws || hit_w[e]++) bad++;
            }
        for (size_t rho = 0; rho < r; rho++)
            for (size_t b = 0; b < n; b++) {
                size_t e = dmf_split_h_index(g, s, rho, b);
                if (e >= hs || hit_h[e]++) bad++;
            }
    }
    /* The row steps the kernels use instead of the full index. */
    for (size_t s = 0; s < count; s++)
        for (size_t a = 0; a < m; a++) {
            for (size_t b = 0; b < n; b++)
                bad += dmf_split_target_index(g, s, a, b) !=
                       dmf_split_target_index(g, s, 0, 0) + a * dmf_split_target_row_step(g) + b;
            for (size_t rho = 0; rho < r; rho++)
                bad += dmf_split_w_index(g, s, a, rho) != dmf_split_w_index(g, s, 0, 0) + a * dmf_split_w_row_step(g) + rho;
        }
    for (size_t s = 0; s < count; s++)
        for (size_t rho = 0; rho < r; rho++)
            for (size_t b = 0; b < n; b++)
                bad += dmf_split_h_index(g, s, rho, b) != dmf_split_h_index(g, s, 0, 0) + rho * dmf_split_h_row_step(g) + b;
    for (size_t e = 0; e < ts; e++) bad += hit_t[e] != 1;
    for (size_t e = 0; e < ws; e++) bad += hit_w[e] != 1;
    for (size_t e = 0; e < hs; e++) bad += hit_h[e] != 1;
    CHECK(bad == 0, "geometry (%zu,%zu,%zu,%zu,%zu,%zu,%zu): %zu indices missed or hit twice", g->a, g->d,
          g->b1, g->b2, g->c1, g->c2, g->rank, bad);
    free(hit_t), free(hit_w), free(hit_h);
}

/* Emulated gather launch: blocks of `threads` threads, grid-stride over the
 * batch's entries, exactly as the kernel walks them. */
static void emulate_gather(dmf_dtype dtype, const dmf_split_geometry *g, size_t first, size_t batch,
                           const void *t, void *buf)
{
    const size_t threads = 128, blocks = 7, total = batch * g->b1 * g->c2;
    for (size_t block = 0; block < blocks; block++)
        for (size_t th = 0; th < threads; th++)
            for (size_t e = block * threads + th; e < total; e += blocks * threads)
                dmf_store(dtype, buf, e, dmf_load(dtype, t, dmf_split_gather_source(g, first, e)));
}

/* The CPU split, read back through the kernel indices, gives the sub-blocks
 * of the emulated gather with the residual the CPU reported. */
static void check_cpu_layout(dmf_dtype dtype, const dmf_split_geometry *g, uint64_t seed)
{
    size_t es = dmf_dtype_size(dtype), count = dmf_split_num_sub_blocks(g), m = g->b1, n = g->c2, r = g->rank;
    void *t = calloc(t_size_of(g), es), *w = calloc(w_size_of(g), es), *h = calloc(h_size_of(g), es);
    dmf_rng rng;
    dmf_rng_seed(&rng, seed);
    dmf_rng_fill_normal(&rng, dtype, t, t_size_of(g));
    dmf_split_stats stats = {0};
    CHECK_OK(dmf_backend_cpu()->split_rank_r(dtype, g, t, w, h, NULL, &stats));
    size_t batch = dmf_split_batch_size(g, m * n, 3 * m * n + 1); /* several batches, the last partial */
    void *buf = calloc(batch * m * n, es);
    double residual = 0;
    for (size_t first = 0; first < count; first += batch) {
        size_t nb = count - first < batch ? count - first : batch;
        emulate_gather(dtype, g, first, nb, t, buf);
        for (size_t local = 0; local < nb; local++)
            for (size_t a = 0; a < m; a++)
                for (size_t b = 0; b < n; b++) {
                    double complex approx = 0;
                    for (size_t rho = 0; rho < r; rho++)
                        approx += to_c(dmf_load(dtype, w, dmf_split_w_index(g, first + local, a, rho))) *
                                  to_c(dmf_load(dtype, h, dmf_split_h_index(g, first + local, rho, b)));
                    residual += pow(cabs(to_c(dmf_load(dtype, buf, (local * m + a) * n + b)) - approx), 2);
                }
    }
    double eps = dmf_dtype_eps(dtype);
    CHECK(fabs(residual - stats.residual_sq) <= 100 * (double)(m + n) * eps * stats.target_sq + 1e-300,
          "%s (%zu,%zu,%zu,%zu,%zu,%zu,%zu): residual through the kernel indices %.6e, CPU %.6e",
          dmf_dtype_name(dtype), g->a, g->d, g->b1, g->b2, g->c1, g->c2, r, residual, stats.residual_sq);
    free(t), free(w), free(h), free(buf);
}

/* Emulated scatter then the CPU merge: W H restricted to sub-block s is
 * x_s h_s, so an emulated gather of the merged target returns x h. */
static void check_scatter(dmf_dtype dtype, const dmf_split_geometry *g, uint64_t seed)
{
    size_t es = dmf_dtype_size(dtype), count = dmf_split_num_sub_blocks(g), m = g->b1, n = g->c2, r = g->rank;
    void *w = calloc(w_size_of(g), es), *h = calloc(h_size_of(g), es), *t = calloc(t_size_of(g), es);
    void *x = calloc(count * m * r, es), *hh = calloc(count * r * n, es), *buf = calloc(count * m * n, es);
    double *sigma2 = calloc(count * r, sizeof *sigma2);
    dmf_rng rng;
    dmf_rng_seed(&rng, seed);
    dmf_rng_fill_normal(&rng, dtype, x, count * m * r);
    dmf_rng_fill_normal(&rng, dtype, hh, count * r * n);
    for (size_t s = 0; s < count; s++)
        for (size_t rho = 0; rho < r; rho++)
            for (size_t b = 0; b < n; b++) sigma2[s * r + rho] += dmf_dc_abs2(dmf_load(dtype, hh, s * r * n + rho * n + b));
    const size_t threads = 32; /* fewer than the entries of most sub-blocks: threads loop */
    for (size_t s = 0; s < count; s++)
        for (size_t th = 0; th < threads; th++)
            dmf_split_scatter_thread(dtype, g, s, (const char *)x + s * m * r * es, (const char *)hh + s * r * n * es,
                                     sigma2 + s * r, th, threads, w, h);
    dmf_merge_ranges(dtype, g, w, h, t, NULL, NULL, NULL);
    emulate_gather(dtype, g, 0, count, t, buf);
    double diff = 0, norm = 0;
    for (size_t s = 0; s < count; s++)
        for (size_t a = 0; a < m; a++)
            for (size_t b = 0; b < n; b++) {
                double complex want = 0;
                for (size_t rho = 0; rho < r; rho++)
                    want += to_c(dmf_load(dtype, x, s * m * r + a * r + rho)) *
                            to_c(dmf_load(dtype, hh, s * r * n + rho * n + b));
                diff += pow(cabs(to_c(dmf_load(dtype, buf, (s * m + a) * n + b)) - want), 2);
                norm += pow(cabs(want), 2);
            }
    double eps = dmf_dtype_eps(dtype);
    CHECK(sqrt(diff) <= 10 * (double)(r + 2) * eps * sqrt(norm),
          "%s (%zu,%zu,%zu,%zu,%zu,%zu,%zu): scatter + merge + gather off by %.3g of %.3g", dmf_dtype_name(dtype),
          g->a, g->d, g->b1, g->b2, g->c1, g->c2, r, sqrt(diff), sqrt(norm));
    free(w), free(h), free(t), free(x), free(hh), free(buf), free(sigma2);
}

static void check_batches(const dmf_split_geometry *g)
{
    size_t count = dmf_split_num_sub_blocks(g), m = g->b1, n = g->c2;
    const size_t limits[] = {0, 1, m * n - 1, m * n, 5 * m * n + 3, count * m * n, (size_t)1 << 40};
    for (size_t k = 0; k < sizeof limits / sizeof limits[0]; k++) {
        size_t batch = dmf_split_batch_size(g, m * n, limits[k]), batches = dmf_split_num_batches(g, batch);
        size_t want = limits[k] / (m * n);
        want = want < 1 ? 1 : want > count ? count : want;
        CHECK(batch == want && batches * batch >= count && (batches - 1) * batch < count,
              "limit %zu: batch %zu (want %zu), %zu batches for %zu sub-blocks", limits[k], batch, want, batches, count);
        for (size_t es = 4; es <= 16; es *= 2) {
            dmf_split_scratch_layout l = dmf_split_scratch(batch, m, n, g->rank, es);
            const size_t offs[] = {l.x, l.h, l.z, l.norms, l.residuals, l.codes, l.list, l.total};
            const size_t sizes[] = {batch * m * g->rank * es, batch * g->rank * n * es, batch * n * es,
                                    batch * 8, batch * 8, batch * 4, batch * 4};
            int ok = 1;
            for (int q = 0; q < 7; q++) ok &= offs[q] % 256 == 0 && offs[q] + sizes[q] <= offs[q + 1];
            CHECK(ok, "scratch layout of batch %zu, %zu x %zu, elem %zu overlaps or is misaligned", batch, m, n, es);
        }
    }
}

/* Emulated normalization (one thread per group) against the CPU's. */
static void check_normalize(dmf_dtype dtype, const dmf_split_geometry *g, uint64_t seed)
{
    size_t es = dmf_dtype_size(dtype), ws = w_size_of(g), hs = h_size_of(g), count = dmf_split_num_sub_blocks(g);
    void *w = calloc(ws, es), *h = calloc(hs, es), *w2 = calloc(ws, es), *h2 = calloc(hs, es);
    dmf_dc *tri = calloc(g->rank * g->rank, sizeof *tri);
    for (int side = DMF_NORMALIZE_LEFT; side <= DMF_NORMALIZE_RIGHT; side++) {
        dmf_rng rng;
        dmf_rng_seed(&rng, seed + (uint64_t)side);
        dmf_rng_fill_normal(&rng, dtype, w, ws);
        dmf_rng_fill_normal(&rng, dtype, h, hs);
        memcpy(w2, w, ws * es);
        memcpy(h2, h, hs * es);
        CHECK_OK(dmf_backend_cpu()->normalize_pair(dtype, g, w, h, (dmf_normalize_side)side));
        for (size_t s = 0; s < count; s++) dmf_normalize_group(dtype, g, s, w2, h2, (dmf_normalize_side)side, tri);
        double diff = 0, norm = 0;
        for (size_t e = 0; e < ws; e++) {
            diff += pow(cabs(to_c(dmf_load(dtype, w, e)) - to_c(dmf_load(dtype, w2, e))), 2);
            norm += dmf_dc_abs2(dmf_load(dtype, w, e));
        }
        for (size_t e = 0; e < hs; e++) {
            diff += pow(cabs(to_c(dmf_load(dtype, h, e)) - to_c(dmf_load(dtype, h2, e))), 2);
            norm += dmf_dc_abs2(dmf_load(dtype, h, e));
        }
        /* With fewer entries than vectors the last ones are rounding noise
         * made unit: compare the factors only where they are determined,
         * and the products W H always. */
        size_t len = side == DMF_NORMALIZE_LEFT ? g->b1 : g->c2, big = g->b1 > g->c2 ? g->b1 : g->c2;
        double ratio = sqrt(diff) / (sqrt(norm) * (double)big * dmf_dtype_eps(dtype));
        CHECK(len <= g->rank || ratio <= 100,
              "%s (%zu,%zu,%zu,%zu,%zu,%zu,%zu) side %d: emulated normalize vs CPU ratio %.3g", dmf_dtype_name(dtype),
              g->a, g->d, g->b1, g->b2, g->c1, g->c2, g->rank, side, ratio);
        void *t1 = calloc(t_size_of(g), es), *t2 = calloc(t_size_of(g), es);
        dmf_merge_ranges(dtype, g, w, h, t1, NULL, NULL, NULL);
        double pdiff = 0, pnorm = 0;
        dmf_merge_ranges(dtype, g, w2, h2, NULL, t1, &pdiff, &pnorm);
        double pratio = sqrt(pdiff) / (sqrt(pnorm) * (double)big * g->rank * dmf_dtype_eps(dtype));
        CHECK(pratio <= 100, "%s (%zu,%zu,%zu,%zu,%zu,%zu,%zu) side %d: W H emulated vs CPU ratio %.3g",
              dmf_dtype_name(dtype), g->a, g->d, g->b1, g->b2, g->c1, g->c2, g->rank, side, pratio);
        free(t1), free(t2);
    }
    free(w), free(h), free(w2), free(h2), free(tri);
}

static void check_closed_forms(void)
{
    dmf_rng rng;
    dmf_rng_seed(&rng, 7);
    double worst = 0;
    for (int trial = 0; trial < 2000; trial++) {
        double g11 = fabs(dmf_rng_normal(&rng)), g22 = fabs(dmf_rng_normal(&rng));
        dmf_dc g12 = dmf_dc_make(dmf_rng_normal(&rng), trial % 2 ? dmf_rng_normal(&rng) : 0);
        if (trial % 7 == 0) g12 = dmf_dc_make(0, 0);       /* diagonal */
        if (trial % 11 == 0) g22 = g11;                    /* equal diagonal */
        if (trial % 13 == 0) g11 = g22, g12 = dmf_dc_make(0, 0); /* multiple of I */
        /* rank one: G = y y^H */
        if (trial % 5 == 0) {
            double y0 = dmf_rng_normal(&rng), y1r = dmf_rng_normal(&rng), y1i = dmf_rng_normal(&rng);
            g11 = y0 * y0, g22 = y1r * y1r + y1i * y1i, g12 = dmf_dc_make(y0 * y1r, -y0 * y1i);
        }
        dmf_dc e[2];
        dmf_top_eigvec_2x2(g11, g22, g12, e);
        double complex G[2][2] = {{g11, to_c(g12)}, {conj(to_c(g12)), g22}}, v[2] = {to_c(e[0]), to_c(e[1])};
        double lambda = 0.5 * (g11 + g22) + hypot(0.5 * (g11 - g22), cabs(to_c(g12)));
        double res = cabs(G[0][0] * v[0] + G[0][1] * v[1] - lambda * v[0]) +
                     cabs(G[1][0] * v[0] + G[1][1] * v[1] - lambda * v[1]);
        double unit = fabs(cabs(v[0]) * cabs(v[0]) + cabs(v[1]) * cabs(v[1]) - 1);
        worst = fmax(worst, res / (lambda > 0 ? lambda : 1) + unit);
    }
    CHECK(worst <= 20 * DBL_EPSILON, "2 x 2 top eigenvector: worst relative residual %.3g", worst);
    /* The stopping rules are the CPU backend's numbers. */
    CHECK(dmf_power_tolerance(DMF_F64, 30, 33, 4.0) == 63 * (DBL_EPSILON / 2) * 2.0, "f64 tolerance");
    CHECK(dmf_power_tolerance(DMF_C64, 30, 33, 4.0) == 63 * (double)(FLT_EPSILON / 2) * 2.0, "c64 tolerance");
    CHECK(dmf_power_is_top(1.0, 3, 5, 1.9) && dmf_power_is_top(1.0, 3, 5, 2.0) && !dmf_power_is_top(1.0, 3, 5, 2.1) &&
              !dmf_power_is_top(1.0, 3, 5, 3.1),
          "top test");
    double to_w, to_h;
    dmf_sqrt_sigma_scales(16.0, &to_w, &to_h);
    CHECK(to_w == 2.0 && to_h == 0.5, "scales %g %g", to_w, to_h);
    dmf_sqrt_sigma_scales(0.0, &to_w, &to_h);
    CHECK(to_w == 1.0 && to_h == 1.0, "zero sigma scales %g %g", to_w, to_h);
}

/* Emulated apply (one thread per output entry) of every factor of a random
 * chain against the CPU backend's apply_factor. */
static void check_apply(dmf_dtype dtype, size_t num, const size_t *m, const size_t *n, size_t rank, size_t nvec)
{
    size_t ranks[8] = {rank, rank, rank, rank, rank, rank, rank, rank};
    dmf_chain *chain = NULL;
    CHECK_OK(dmf_chain_create(&chain, dtype, num, m, n, ranks));
    if (!chain) return;
    CHECK_OK(dmf_chain_randomize(chain, 11 + num));
    size_t es = dmf_dtype_size(dtype);
    for (size_t k = 0; k < num; k++) {
        size_t a, b, c, d;
        CHECK_OK(dmf_chain_support(chain, k, &a, &b, &c, &d));
        size_t in = a * c * d * nvec, out = a * b * d * nvec;
        void *x = calloc(in, es), *y = calloc(out, es), *y2 = calloc(out, es);
        dmf_rng rng;
        dmf_rng_seed(&rng, 5 + k);
        dmf_rng_fill_normal(&rng, dtype, x, in);
        const void *blocks = dmf_chain_const_blocks(chain, k);
        CHECK_OK(dmf_backend_cpu()->apply_factor(dtype, a, b, c, d, blocks, x, y, nvec));
        const size_t threads = 256, grid = 3; /* grid-stride, as the kernel */
        for (size_t blk = 0; blk < grid; blk++)
            for (size_t th = 0; th < threads; th++)
                for (size_t e = blk * threads + th; e < out; e += grid * threads)
                    dmf_store(dtype, y2, e, dmf_apply_entry(dtype, blocks, b, c, d, x, nvec, e));
        double diff = 0, norm = 0;
        for (size_t e = 0; e < out; e++) {
            diff += pow(cabs(to_c(dmf_load(dtype, y, e)) - to_c(dmf_load(dtype, y2, e))), 2);
            norm += dmf_dc_abs2(dmf_load(dtype, y, e));
        }
        CHECK(sqrt(diff) <= 10 * (double)c * dmf_dtype_eps(dtype) * sqrt(norm),
              "%s factor %zu of (%zu,%zu,%zu,%zu), %zu vectors: emulated apply off by %.3g of %.3g",
              dmf_dtype_name(dtype), k, a, b, c, d, nvec, sqrt(diff), sqrt(norm));
        free(x), free(y), free(y2);
    }
    dmf_chain_free(chain);
}

int main(void)
{
    /* (m radices, n radices, rank) of chains whose every split is checked. */
    typedef struct {
        size_t num, m[5], n[5], rank;
    } chain_case;
    const chain_case cases[] = {
        {4, {2, 2, 2, 2}, {2, 2, 2, 2}, 1},     /* square radix 2 */
        {3, {3, 3, 3}, {3, 3, 3}, 1},           /* radix 3 */
        {3, {2, 3, 4}, {3, 2, 5}, 1},           /* mixed, rectangular 24 x 30 */
        {3, {4, 1, 3}, {1, 5, 2}, 1},           /* radix 1: blocks 1 x n, n x 1 */
        {3, {2, 2, 3}, {2, 3, 2}, 2},           /* rank 2 */
        {4, {2, 2, 2, 2}, {2, 2, 2, 2}, 3},     /* rank 3 */
        {2, {31, 2}, {2, 33}, 1},               /* 31 x 33 */
        {2, {32, 1}, {1, 32}, 1},               /* 32 x 32 */
        {2, {33, 2}, {3, 31}, 1},               /* 33 x 31 */
        {2, {1, 5}, {7, 1}, 1},                 /* 1 x n */
    };
    uint64_t seed = 100;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        dmf_chain_shape shape;
        size_t ranks[5] = {cases[c].rank, cases[c].rank, cases[c].rank, cases[c].rank, cases[c].rank};
        CHECK_OK(dmf_chain_shape_init(&shape, cases[c].num, cases[c].m, cases[c].n, ranks));
        for (size_t p = 0; p < cases[c].num; p++)
            for (size_t q = p + 1; q < cases[c].num; q++)
                for (size_t l = p; l < q; l++) {
                    dmf_split_geometry g = dmf_split_geometry_of(&shape, p, l, q);
                    check_bijections(&g);
                    check_batches(&g);
                    for (dmf_dtype dt = DMF_F32; dt <= DMF_C128; dt++) {
                        check_cpu_layout(dt, &g, seed++);
                        check_scatter(dt, &g, seed++);
                        check_normalize(dt, &g, seed++);
                    }
                }
    }
    check_closed_forms();
    for (dmf_dtype dt = DMF_F32; dt <= DMF_C128; dt++) {
        const size_t m1[3] = {2, 3, 4}, n1[3] = {3, 2, 5}, m2[2] = {31, 2}, n2[2] = {2, 33};
        check_apply(dt, 3, m1, n1, 1, 3);
        check_apply(dt, 3, m1, n1, 2, 1);
        check_apply(dt, 2, m2, n2, 1, 5);
    }
    return check_report("test_split_index");
}
