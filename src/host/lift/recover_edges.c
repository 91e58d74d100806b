/* Alternating least squares split by edge, for convolutional trees.
 *
 * In a tree every leaf f has one path to the root, and its kernel is the
 * convolution of the path's edge kernels: in the Fourier domain (DFT of
 * length N, frequencies w)
 *
 *     Y_f(w) = prod_{e on the path of f} H_e(w),   H_e(w) = sum_j coef_j h_e[j] exp(-2 pi i w s_j / N).
 *
 * With every other edge fixed, the paths through an edge e = (c -> p) are
 * P_p(w) H_e(w) Q_{c,f}(w): P_p the product of the edges from the root to
 * p (the prefix), Q_{c,f} that of the edges from f up to c.  By Parseval
 * the edge's share of ||y - kernels(h)||^2 is, up to a constant,
 *
 *     (1/N) sum_w |P_p|^2 A_c |H_e|^2 - 2 Re(conj(H_e) conj(P_p) B_c),
 *     A_c = sum_{f under c} |Q_{c,f}|^2,   B_c = sum_{f under c} conj(Q_{c,f}) Y_f,
 *
 * a least-squares problem in the |S_e| taps of h_e whose normal equations
 * are, with u = |P_p|^2 A_c and r = conj(P_p) B_c,
 *
 *     G[i][j] = coef_i coef_j sum_w u(w) cos(2 pi w (s_i - s_j) / N),
 *     b[i]    = coef_i sum_w Re(exp(2 pi i w s_i / N) r(w)).
 *
 * A and B follow from the leaves up, edge by edge (A_p = sum_e |H_e|^2 A_c,
 * B_p = sum_e conj(H_e) B_c; at a leaf A = 1, B = Y_f), and P from the
 * root down (P_c = H_e P_p), so a sweep costs O(|E| N (|S_e|^2 + 1))
 * however many leaves there are, never the N x N|F| product or a design
 * of N |F| rows.  The edges of one layer reach disjoint leaves, so solving
 * them one by one is the layer's least-squares solution: the iterates are
 * those of the layer-wise ALS of recover.c, to rounding.  Real signals:
 * only w = 0 ... N/2 are kept, the others counted through their conjugates
 * (weight 2, 1 at w = 0 and w = N/2).
 *
 * The small symmetric system is solved through its eigenvalues (Jacobi),
 * dropping those below 1e-13 of the largest: the minimum-norm solution
 * when the edge's paths leave the problem rank deficient, as dgelsd gives
 * it to the layer-wise ALS.  G is formed to about sqrt(N) eps relative to
 * its largest eigenvalue, so smaller eigenvalues are rounding. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fft.h"
#include "memory.h"
#include "recover_edges.h"

#define EDGE_RCOND 1e-13

struct edges_problem {
    const dmf_network *net;
    dmf_conv_edges g;
    size_t N, H, K, S, P, widest, most_taps;
    const double *y;          /* P x N: the leaves' kernels (probe order) */
    double *yr, *yi;          /* P x H: their half spectra */
    double *tc, *ts;          /* N: cos and sin of 2 pi m / N */
    /* cos and sin of 2 pi w v / N, w = 0 ... N/2, one row per shift v an
     * edge has or per difference of two shifts of one edge: the sums over
     * w run on contiguous rows (vectorized) instead of gathering. */
    size_t rows;
    double *cosr, *sinr;      /* rows x H */
    size_t *tap_row;          /* per parameter (param_at numbering): the row of its shift */
    size_t *pair_row;         /* per edge, its pairs i < j in order: the row of s_i - s_j mod N */
    size_t *pair_at;          /* per edge: its first pair */
    double *nu;               /* H: the weights of the half spectrum */
    size_t *leaf_probe;       /* leaf node -> its row of y */
    size_t node_at[DMF_MAX_LAYERS + 1]; /* first row of depth k in A and B (depths 1 ... K-1) */
    size_t inner;             /* nodes of depths 1 ... K-1 */
    double weight, outside;
};

struct edges_work {
    double *ar, *br, *bi;     /* inner x H: A and B of the inner nodes */
    double *prefix;           /* 2 depths x widest x 2H (re, im): P; also the time-domain kernels' work */
    double *kernels;          /* P x N: the kernels of h (time domain) */
    double *hr, *hi, *u, *rr, *ri; /* H each */
    double *gram, *rhs, *vec, *sol; /* most_taps^2, most_taps, most_taps^2, most_taps */
};

int dmf_recover_edges_applies(const dmf_network *net, char *why, size_t cap)
{
    if (!net->conv) {
        snprintf(why, cap, "the per-edge solver needs a convolutional network, not a %s one", net->kind);
        return 0;
    }
    dmf_conv_edges g;
    if (dmf_conv_edges_get(net, &g) != DMF_OK) {
        snprintf(why, cap, "%s", dmf_last_error());
        return 0;
    }
    size_t depth = 0, node = 0;
    int tree = dmf_conv_edges_tree(&g, net->num_layers, &depth, &node);
    dmf_conv_edges_free(&g);
    if (!tree)
        snprintf(why, cap, "the per-edge solver needs a tree: node %zu of depth %zu has several edges towards the root",
                 node, depth);
    return tree;
}

static size_t half_length(size_t N) { return N / 2 + 1; }

double dmf_edges_bytes(const dmf_network *net, size_t threads)
{
    const double N = (double)net->signal_length, H = (double)half_length(net->signal_length);
    double widest = 1, inner = 0;
    for (size_t k = 0; k < net->num_layers; k++) {
        double nodes = (double)(net->layers[k].cols / net->signal_length);
        widest = fmax(widest, nodes);
        if (k + 1 < net->num_layers) inner += nodes;
    }
    double leaves = (double)net->num_probes;
    /* the leaves' spectra and the tables of cos and sin (N and at most a
     * few rows of H per distinct shift: bounded by its own check) */
    double shared = 8.0 * (2 * leaves * H + 3 * N);
    /* A and B, two depths of prefixes (which the kernels' work reuses), the
     * kernels of h, five frequency vectors */
    double work = 8.0 * (3 * inner * H + 2 * widest * (N + 2) + leaves * N + 5 * H);
    return shared + (double)threads * work;
}

void dmf_edges_problem_free(edges_problem *p)
{
    if (!p) return;
    dmf_conv_edges_free(&p->g);
    free(p->yr);
    free(p->yi);
    free(p->tc);
    free(p->ts);
    free(p->cosr);
    free(p->sinr);
    free(p->tap_row);
    free(p->pair_row);
    free(p->pair_at);
    free(p->nu);
    free(p->leaf_probe);
    free(p);
}

/* The rows of cos and sin that the edges' sums need (struct edges_problem). */
static int trig_rows(edges_problem *p)
{
    const size_t N = p->N, H = p->H, params = p->g.param_at[p->K], E = p->g.num_edges;
    size_t pairs = 0;
    for (size_t e = 0; e < E; e++) pairs += p->g.edges[e].count * (p->g.edges[e].count - 1) / 2;
    size_t *row_of = malloc(N * sizeof *row_of);
    p->tap_row = malloc((params + 1) * sizeof *p->tap_row);
    p->pair_row = malloc((pairs + 1) * sizeof *p->pair_row);
    p->pair_at = malloc((E + 1) * sizeof *p->pair_at);
    if (!row_of || !p->tap_row || !p->pair_row || !p->pair_at) {
        free(row_of);
        return dmf_fail(DMF_ERR_NOMEM, "cannot index the shifts of %zu edges", E);
    }
    for (size_t v = 0; v < N; v++) row_of[v] = SIZE_MAX;
    p->rows = 0;
    for (size_t q = 0; q < params; q++) {
        size_t v = p->g.shift[q] % N;
        if (row_of[v] == SIZE_MAX) row_of[v] = p->rows++;
        p->tap_row[q] = row_of[v];
    }
    for (size_t e = 0, at = 0; e < E; e++) {
        const dmf_conv_edge *edge = &p->g.edges[e];
        const size_t *shift = p->g.shift + p->g.param_at[edge->layer] + edge->first;
        p->pair_at[e] = at;
        for (size_t i = 0; i < edge->count; i++)
            for (size_t j = i + 1; j < edge->count; j++) {
                size_t v = (shift[i] + N - shift[j]) % N;
                if (row_of[v] == SIZE_MAX) row_of[v] = p->rows++;
                p->pair_row[at++] = row_of[v];
            }
    }
    int status = dmf_memory_check(16.0 * (double)p->rows * (double)H, "%zu rows of cosines of length %zu", p->rows, H);
    if (status == DMF_OK) {
        p->cosr = malloc((p->rows * H + 1) * sizeof *p->cosr);
        p->sinr = malloc((p->rows * H + 1) * sizeof *p->sinr);
        if (!p->cosr || !p->sinr) status = dmf_fail(DMF_ERR_NOMEM, "cannot allocate %zu rows of cosines", p->rows);
    }
    for (size_t v = 0; status == DMF_OK && v < N; v++) {
        if (row_of[v] == SIZE_MAX) continue;
        double *c = p->cosr + row_of[v] * H, *sn = p->sinr + row_of[v] * H;
        for (size_t w = 0, m = 0; w < H; w++) { /* m = w v mod N */
            c[w] = p->tc[m];
            sn[w] = p->ts[m];
            m += v;
            if (m >= N) m -= N;
        }
    }
    free(row_of);
    return status;
}

int dmf_edges_problem_new(const dmf_network *net, const double *y, double weight, double outside, edges_problem **out)
{
    *out = NULL;
    edges_problem *p = calloc(1, sizeof *p);
    if (!p) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate the per-edge solver");
    int status = dmf_conv_edges_get(net, &p->g);
    if (status != DMF_OK) {
        free(p);
        return status;
    }
    p->net = net;
    p->N = net->signal_length;
    p->H = half_length(p->N);
    p->K = net->num_layers;
    p->S = net->num_params;
    p->P = net->num_probes;
    p->y = y;
    p->weight = weight;
    p->outside = outside;
    p->widest = dmf_conv_widest(&p->g, p->K);
    p->most_taps = 1;
    for (size_t e = 0; e < p->g.num_edges; e++)
        if (p->g.edges[e].count > p->most_taps) p->most_taps = p->g.edges[e].count;
    for (size_t k = 1; k < p->K; k++) {
        p->node_at[k] = p->inner;
        p->inner += p->g.num_nodes[k];
    }
    const size_t N = p->N, H = p->H, P = p->P;
    p->yr = malloc((P * H + 1) * sizeof *p->yr);
    p->yi = malloc((P * H + 1) * sizeof *p->yi);
    p->tc = malloc((N + 1) * sizeof *p->tc);
    p->ts = malloc((N + 1) * sizeof *p->ts);
    p->nu = malloc((H + 1) * sizeof *p->nu);
    p->leaf_probe = malloc((p->g.num_nodes[p->K] + 1) * sizeof *p->leaf_probe);
    if (!p->yr || !p->yi || !p->tc || !p->ts || !p->nu || !p->leaf_probe) {
        dmf_edges_problem_free(p);
        return dmf_fail(DMF_ERR_NOMEM, "cannot allocate the spectra of %zu kernels of length %zu", P, N);
    }
    for (size_t m = 0; m < N; m++) {
        double t = 2 * M_PI * (double)m / (double)N;
        p->tc[m] = cos(t);
        p->ts[m] = sin(t);
    }
    for (size_t w = 0; w < H; w++) p->nu[w] = w == 0 || 2 * w == N ? 1 : 2;
    status = trig_rows(p);
    if (status != DMF_OK) {
        dmf_edges_problem_free(p);
        return status;
    }
    for (size_t f = 0; f < P; f++) p->leaf_probe[net->probes[f] / N] = f;
    status = dmf_fft_real_half(N, P, y, p->yr, p->yi);
    if (status != DMF_OK) {
        dmf_edges_problem_free(p);
        return status;
    }
    *out = p;
    return DMF_OK;
}

void dmf_edges_work_free(edges_work *w)
{
    if (!w) return;
    free(w->ar);
    free(w->br);
    free(w->bi);
    free(w->prefix);
    free(w->kernels);
    free(w->hr);
    free(w->hi);
    free(w->u);
    free(w->rr);
    free(w->ri);
    free(w->gram);
    free(w->rhs);
    free(w->vec);
    free(w->sol);
    free(w);
}

int dmf_edges_work_new(const edges_problem *p, edges_work **out)
{
    *out = NULL;
    edges_work *w = calloc(1, sizeof *w);
    if (!w) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate the per-edge solver's work");
    const size_t H = p->H, T = p->most_taps;
    /* the prefix spectra (2 depths x widest x 2H) and the time-domain
     * kernels' work (2 x widest x N) share one buffer */
    size_t prefix = 2 * p->widest * (2 * H > p->N ? 2 * H : p->N);
    w->ar = malloc((p->inner * H + 1) * sizeof *w->ar);
    w->br = malloc((p->inner * H + 1) * sizeof *w->br);
    w->bi = malloc((p->inner * H + 1) * sizeof *w->bi);
    w->prefix = malloc((prefix + 1) * sizeof *w->prefix);
    w->kernels = malloc((p->P * p->N + 1) * sizeof *w->kernels);
    w->hr = malloc(H * sizeof *w->hr);
    w->hi = malloc(H * sizeof *w->hi);
    w->u = malloc(H * sizeof *w->u);
    w->rr = malloc(H * sizeof *w->rr);
    w->ri = malloc(H * sizeof *w->ri);
    w->gram = malloc(T * T * sizeof *w->gram);
    w->rhs = malloc(T * sizeof *w->rhs);
    w->vec = malloc(T * T * sizeof *w->vec);
    w->sol = malloc(T * sizeof *w->sol);
    if (!w->ar || !w->br || !w->bi || !w->prefix || !w->kernels || !w->hr || !w->hi || !w->u || !w->rr || !w->ri ||
        !w->gram || !w->rhs || !w->vec || !w->sol) {
        dmf_edges_work_free(w);
        return dmf_fail(DMF_ERR_NOMEM, "cannot allocate the per-edge solver's work");
    }
    *out = w;
    return DMF_OK;
}

/* H_e(w), w = 0 ... N/2, for the kernel of edge e of layer k in h. */
static void edge_spectrum(const edges_problem *p, size_t k, const dmf_conv_edge *e, const double *h,
                          double *restrict hr, double *restrict hi)
{
    const size_t H = p->H;
    memset(hr, 0, H * sizeof *hr);
    memset(hi, 0, H * sizeof *hi);
    for (size_t j = 0; j < e->count; j++) { /* hr, hi and the rows never overlap */
        size_t q = p->g.param_at[k] + e->first + j;
        double a = p->g.coef[q] * h[k * p->S + e->first + j];
        if (a == 0) continue;
        const double *c = p->cosr + p->tap_row[q] * H, *sn = p->sinr + p->tap_row[q] * H;
        for (size_t w = 0; w < H; w++) {
            hr[w] += a * c[w];
            hi[w] -= a * sn[w];
        }
    }
}

/* The minimum-norm solution of G x = b (n x n symmetric, row-major,
 * destroyed) through its eigenvalues, by cyclic Jacobi rotations. */
static void solve_small(size_t n, double *G, const double *b, double *V, double *x)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) V[i * n + j] = i == j;
    for (int sweep = 0; sweep < 60; sweep++) {
        double off = 0, diag = 0;
        for (size_t i = 0; i < n; i++) {
            diag += G[i * n + i] * G[i * n + i];
            for (size_t j = i + 1; j < n; j++) off += G[i * n + j] * G[i * n + j];
        }
        if (!(off > 1e-32 * diag)) break;
        for (size_t i = 0; i < n; i++)
            for (size_t j = i + 1; j < n; j++) {
                double gij = G[i * n + j];
                if (gij == 0) continue;
                double theta = (G[j * n + j] - G[i * n + i]) / (2 * gij);
                double t = (theta >= 0 ? 1 : -1) / (fabs(theta) + sqrt(theta * theta + 1));
                double c = 1 / sqrt(t * t + 1), s = t * c;
                for (size_t r = 0; r < n; r++) { /* columns i, j */
                    double a = G[r * n + i], bb = G[r * n + j];
                    G[r * n + i] = c * a - s * bb;
                    G[r * n + j] = s * a + c * bb;
                }
                for (size_t r = 0; r < n; r++) { /* rows i, j */
                    double a = G[i * n + r], bb = G[j * n + r];
                    G[i * n + r] = c * a - s * bb;
                    G[j * n + r] = s * a + c * bb;
                }
                for (size_t r = 0; r < n; r++) {
                    double a = V[r * n + i], bb = V[r * n + j];
                    V[r * n + i] = c * a - s * bb;
                    V[r * n + j] = s * a + c * bb;
                }
            }
    }
    double top = 0;
    for (size_t i = 0; i < n; i++) top = fmax(top, G[i * n + i]);
    memset(x, 0, n * sizeof *x);
    for (size_t i = 0; i < n; i++) {
        double lambda = G[i * n + i];
        if (!(lambda > EDGE_RCOND * top)) continue;
        double proj = 0;
        for (size_t r = 0; r < n; r++) proj += V[r * n + i] * b[r];
        for (size_t r = 0; r < n; r++) x[r] += V[r * n + i] * proj / lambda;
    }
}

/* sum_q a[q] b[q] in four partial sums, which the compiler vectorizes
 * (it may not reorder one sum). */
static double dot(const double *restrict a, const double *restrict b, size_t n)
{
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t q = 0;
    for (; q + 4 <= n; q += 4) {
        s0 += a[q] * b[q];
        s1 += a[q + 1] * b[q + 1];
        s2 += a[q + 2] * b[q + 2];
        s3 += a[q + 3] * b[q + 3];
    }
    for (; q < n; q++) s0 += a[q] * b[q];
    return (s0 + s1) + (s2 + s3);
}

/* What edge e of layer k sees below it: at a leaf the leaf's kernel
 * spectrum (ac NULL), else the child node's sums over its paths. */
static void child_spectra(const edges_problem *p, const edges_work *w, size_t k, const dmf_conv_edge *e,
                          const double **ac, const double **bcr, const double **bci)
{
    const size_t H = p->H;
    if (k + 1 == p->K) {
        size_t f = p->leaf_probe[e->child];
        *ac = NULL;
        *bcr = p->yr + f * H;
        *bci = p->yi + f * H;
    } else {
        size_t at = (p->node_at[k + 1] + e->child) * H;
        *ac = w->ar + at;
        *bcr = w->br + at;
        *bci = w->bi + at;
    }
}

/* Solves edge e of layer k (child c, parent prefix P_p) into h. */
static void solve_edge(const edges_problem *p, edges_work *w, size_t k, const dmf_conv_edge *e, const double *pr,
                       const double *pi, double *h)
{
    const size_t H = p->H, n = e->count, *pair = p->pair_row + p->pair_at[e - p->g.edges];
    const double *ac, *bcr, *bci;
    child_spectra(p, w, k, e, &ac, &bcr, &bci);
    {
        double *restrict u = w->u, *restrict rr = w->rr, *restrict ri = w->ri;
        const double *restrict nu = p->nu;
        const double *restrict a = ac ? ac : p->nu; /* at a leaf A = 1: nu^2 / nu */
        const double *restrict br = bcr, *restrict bi = bci, *restrict xr = pr, *restrict xi = pi;
        for (size_t q = 0; q < H; q++) {
            u[q] = (xr[q] * xr[q] + xi[q] * xi[q]) * a[q];
            rr[q] = nu[q] * (xr[q] * br[q] + xi[q] * bi[q]);
            ri[q] = nu[q] * (xr[q] * bi[q] - xi[q] * br[q]);
        }
        if (ac)
            for (size_t q = 0; q < H; q++) u[q] *= nu[q];
    }
    const size_t *tap = p->tap_row + p->g.param_at[k] + e->first;
    const double *coef = p->g.coef + p->g.param_at[k] + e->first;
    double diag = 0;
    for (size_t q = 0; q < H; q++) diag += w->u[q]; /* once per edge */
    for (size_t i = 0, at = 0; i < n; i++) {
        w->gram[i * n + i] = coef[i] * coef[i] * diag;
        for (size_t j = i + 1; j < n; j++) { /* lag s_i - s_j: the cosines only (u is real and even) */
            double sum = dot(w->u, p->cosr + pair[at++] * H, H);
            w->gram[i * n + j] = w->gram[j * n + i] = coef[i] * coef[j] * sum;
        }
        /* Re(exp(i theta) r) */
        double sum = dot(p->cosr + tap[i] * H, w->rr, H) - dot(p->sinr + tap[i] * H, w->ri, H);
        w->rhs[i] = coef[i] * sum;
    }
    solve_small(n, w->gram, w->rhs, w->vec, w->sol);
    for (size_t j = 0; j < n; j++) h[k * p->S + e->first + j] = w->sol[j];
}

/* A and B of the inner nodes, from the leaves up. */
static void aggregate(const edges_problem *p, edges_work *w, const double *h)
{
    const size_t H = p->H;
    for (size_t k = p->K; k-- > 1;) { /* the edges of layer k: parent at depth k, child at k + 1 */
        memset(w->ar + p->node_at[k] * H, 0, p->g.num_nodes[k] * H * sizeof *w->ar);
        memset(w->br + p->node_at[k] * H, 0, p->g.num_nodes[k] * H * sizeof *w->br);
        memset(w->bi + p->node_at[k] * H, 0, p->g.num_nodes[k] * H * sizeof *w->bi);
        for (size_t x = p->g.first_edge[k]; x < p->g.first_edge[k + 1]; x++) {
            const dmf_conv_edge *e = &p->g.edges[x];
            edge_spectrum(p, k, e, h, w->hr, w->hi);
            size_t to = (p->node_at[k] + e->parent) * H;
            double *restrict ap = w->ar + to, *restrict bpr = w->br + to, *restrict bpi = w->bi + to;
            const double *restrict hr_ = w->hr, *restrict hi_ = w->hi;
            const double *ac, *bcr, *bci;
            child_spectra(p, w, k, e, &ac, &bcr, &bci);
            const double *restrict br = bcr, *restrict bi = bci, *restrict a = ac;
            if (a)
                for (size_t q = 0; q < H; q++) ap[q] += (hr_[q] * hr_[q] + hi_[q] * hi_[q]) * a[q];
            else
                for (size_t q = 0; q < H; q++) ap[q] += hr_[q] * hr_[q] + hi_[q] * hi_[q];
            for (size_t q = 0; q < H; q++) {
                bpr[q] += hr_[q] * br[q] + hi_[q] * bi[q];
                bpi[q] += hr_[q] * bi[q] - hi_[q] * br[q];
            }
        }
    }
}

double dmf_edges_sweep(const edges_problem *p, edges_work *w, double *h)
{
    const size_t H = p->H, K = p->K, stride = 2 * H;
    aggregate(p, w, h);
    double *cur = w->prefix, *next = w->prefix + p->widest * stride;
    for (size_t q = 0; q < H; q++) { /* the root's prefix: 1 */
        cur[q] = 1;
        cur[H + q] = 0;
    }
    for (size_t k = 0; k < K; k++) {
        for (size_t x = p->g.first_edge[k]; x < p->g.first_edge[k + 1]; x++) {
            const dmf_conv_edge *e = &p->g.edges[x];
            const double *pr = cur + e->parent * stride, *pi = pr + H;
            solve_edge(p, w, k, e, pr, pi, h);
            edge_spectrum(p, k, e, h, w->hr, w->hi);
            double *restrict cr = next + e->child * stride, *restrict ci = cr + H;
            const double *restrict hr = w->hr, *restrict hi = w->hi;
            for (size_t q = 0; q < H; q++) {
                cr[q] = hr[q] * pr[q] - hi[q] * pi[q];
                ci[q] = hr[q] * pi[q] + hi[q] * pr[q];
            }
        }
        double *swap = cur;
        cur = next;
        next = swap;
    }
    /* cur: the leaves' model spectra */
    double sq = 0;
    for (size_t c = 0; c < p->g.num_nodes[K]; c++) {
        size_t f = p->leaf_probe[c];
        const double *mr = cur + c * stride, *mi = mr + H, *yr = p->yr + f * H, *yi = p->yi + f * H;
        for (size_t q = 0; q < H; q++) {
            double dr = yr[q] - mr[q], di = yi[q] - mi[q];
            sq += p->nu[q] * (dr * dr + di * di);
        }
    }
    return sqrt(fmax(p->weight * sq / (double)p->N + p->outside, 0));
}

double dmf_edges_residual(const edges_problem *p, edges_work *w, const double *h)
{
    dmf_conv_kernels_with(p->net, &p->g, h, w->kernels, w->prefix);
    double sq = 0;
    for (size_t i = 0; i < p->P * p->N; i++) {
        double d = p->y[i] - w->kernels[i];
        sq += d * d;
    }
    return sqrt(p->weight * sq + p->outside);
}
