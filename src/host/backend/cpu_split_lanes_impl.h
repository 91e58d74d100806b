/* Rank one of m x 2 sub-blocks (m >= 2), eight at a time: the splits of an
 * r2l tree, and of any node whose right half is one factor of radix 2.
 *
 * Worked one sub-block at a time, this closed form is scalar code that
 * waits on its sums: r2l took 3.5-4.5x the balanced tree.  Here eight
 * sub-blocks of a tile (neighbours in T's rows) are the eight lanes of one
 * vector: every operation below is the same on every lane, so a sub-block's
 * result still depends on its entries alone (as cpu_split_impl.h requires),
 * and the sums run in parallel across the lanes instead of along a chain.
 *
 * Two passes over the rows, in double whatever the dtype:
 *   pass 1: the Gram matrix G = S^H S, summed in chunks of 32 rows whose
 *           sums are added pairwise (a binary counter), so its rounding
 *           grows with log(m), as the recursive halves did;
 *   pass 2: for G's top eigenvector v (eigenvalue lambda) and the unit vp
 *           orthogonal to it, W = (S v) t with t = lambda^(-1/4) and the
 *           residual; H = v^H / t.
 * So W H = S v v^H, the projection of S's rows on v: with v from G it is
 * the best rank one up to G's rounding, ||W|| = ||H|| = lambda^(1/4), and
 * the residual ||S vp||^2 (v, vp orthonormal: no cancellation) is that of
 * the factors in double; single precision sums it from the rounded factors.
 * Projecting S's columns on x = S v instead (x x^H S / ||x||^2) is less
 * sensitive to v's error but needs x^H S summed with compensation: r2l
 * took 1.15x as long (DFT 8192 c128) for errors 0.58-0.74x these, which
 * stay at the balanced tree's (docs/butterfly.md, section 5).
 * A lane whose G is not finite goes through approximate_block. */

#ifndef DMF_SPLIT_LANES_COMMON
#define DMF_SPLIT_LANES_COMMON
/* Without AVX-512 (builds for any x86-64) GCC notes that passing 64-byte
 * vectors changes the ABI: these functions are static, so no other object
 * ever calls them. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif
enum { LANES = 8, LANE_CHUNK = 32, LANE_LEVELS = 48, LANE_SETS = 2, LANE_AHEAD = 12 };
typedef double lane_vec __attribute__((vector_size(LANES * sizeof(double))));

/* Lanes picked from two vectors: the even or odd elements of a then b, or
 * the low or high halves of a and b interleaved (the rows of eight
 * adjacent sub-blocks, re-sorted without a trip through memory). */
typedef long long lane_index __attribute__((vector_size(LANES * sizeof(long long))));
#if defined(__clang__)
#define LANE_EVEN(a, b) __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14)
#define LANE_ODD(a, b) __builtin_shufflevector(a, b, 1, 3, 5, 7, 9, 11, 13, 15)
#define LANE_ZIP_LO(a, b) __builtin_shufflevector(a, b, 0, 8, 1, 9, 2, 10, 3, 11)
#define LANE_ZIP_HI(a, b) __builtin_shufflevector(a, b, 4, 12, 5, 13, 6, 14, 7, 15)
#else
#define LANE_EVEN(a, b) __builtin_shuffle(a, b, (lane_index){0, 2, 4, 6, 8, 10, 12, 14})
#define LANE_ODD(a, b) __builtin_shuffle(a, b, (lane_index){1, 3, 5, 7, 9, 11, 13, 15})
#define LANE_ZIP_LO(a, b) __builtin_shuffle(a, b, (lane_index){0, 8, 1, 9, 2, 10, 3, 11})
#define LANE_ZIP_HI(a, b) __builtin_shuffle(a, b, (lane_index){4, 12, 5, 13, 6, 14, 7, 15})
#endif

static inline lane_vec lane_read(const double *p)
{
    lane_vec v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* A macro: a 64-byte vector passed by value draws an ABI note without AVX-512. */
#define LANE_WRITE(p, v)                              \
    do {                                              \
        const lane_vec lane_write_ = (v);             \
        memcpy((p), &lane_write_, sizeof lane_write_); \
    } while (0)

/* Eight single-precision entries as lanes of double, and back (exact:
 * what goes back was rounded to single precision before). */
typedef float lane_fvec8 __attribute__((vector_size(LANES * sizeof(float))));
static inline lane_vec lane_read_single(const float *p)
{
    lane_fvec8 v;
    memcpy(&v, p, sizeof v);
    return __builtin_convertvector(v, lane_vec);
}
#define LANE_WRITE_SINGLE(p, v)                                               \
    do {                                                                      \
        const lane_fvec8 lane_write_ = __builtin_convertvector((v), lane_fvec8); \
        memcpy((p), &lane_write_, sizeof lane_write_);                         \
    } while (0)

/* The Gram matrix's four sums (g11, g22, Re g12, Im g12) of a chunk, and
 * the chunk sums added pairwise: level k holds the sum of 2^k chunks. */
typedef struct {
    lane_vec level[LANE_LEVELS][4];
    unsigned long long occupied;
} lane_cascade;

static void lane_cascade_push(lane_cascade *c, lane_vec *sums)
{
    for (int k = 0; k < LANE_LEVELS; k++) {
        if (!(c->occupied >> k & 1)) {
            for (int q = 0; q < 4; q++) c->level[k][q] = sums[q];
            c->occupied |= 1ull << k;
            return;
        }
        for (int q = 0; q < 4; q++) sums[q] += c->level[k][q];
        c->occupied &= ~(1ull << k);
    }
}

static void lane_cascade_total(const lane_cascade *c, lane_vec *out)
{
    for (int q = 0; q < 4; q++) out[q] = (lane_vec){0};
    for (int k = 0; k < LANE_LEVELS; k++)
        if (c->occupied >> k & 1)
            for (int q = 0; q < 4; q++) out[q] += c->level[k][q];
}

/* Lane groups read T's rows twice instead of copying them once where every
 * group is full and a group's rows span at most 1 MiB: they stay in L2
 * between the passes (r2l's levels below a streamed root, N = 16384: 12 %
 * less time for c128, 20 % for f64; a root's rows span the input, and
 * read again from memory they took 7 % more than the copy). */
static inline int lanes_read_twice(const dmf_split_geometry *g, size_t count, size_t elem)
{
    const double span = (double)g->b1 * (double)g->b2 * (double)dmf_split_row_stride(g) * (double)elem;
    return count % LANES == 0 && span <= (double)(1 << 20);
}
#endif

#if DMF_TYPE_ID == 1 || DMF_TYPE_ID == 3
#define LANE_READ_ROW(p) lane_read(p)
#define LANE_WRITE_ROW(p, v) LANE_WRITE(p, v)
#else
#define LANE_READ_ROW(p) lane_read_single(p)
#define LANE_WRITE_ROW(p, v) LANE_WRITE_SINGLE(p, v)
#endif

#if IS_COMPLEX
#define LANE_PARTS 4 /* Re s0, Im s0, Re s1, Im s1 */
#define LANE_PIECE 4 /* reals of a lane's two entries */
#else
#define LANE_PARTS 2 /* s0, s1 */
#define LANE_PIECE 2
#endif

/* Thread-private buffer of the lanes: the rows of eight sub-blocks as
 * separate parts (one vector per part and row).  Uninitialized: pass 1
 * writes every row it reads (and zeroes idle lanes). */
typedef struct {
    lane_vec *rows;
} FN(lane_scratch);

static int FN(lane_scratch_alloc)(FN(lane_scratch) *s, size_t m)
{
    s->rows = dmf_recycle_alloc(m * LANE_PARTS, sizeof(lane_vec));
    return s->rows != NULL;
}

static void FN(lane_scratch_free)(FN(lane_scratch) *s) { dmf_recycle_free(s->rows); }

/* The lanes' entries of a row side by side (lane l's two at l * LANE_PIECE
 * of p, LANE_PARTS vectors) into its parts at dst, sorted by shuffles. */
static inline void FN(lane_sort)(lane_vec *dst, const lane_vec *p)
{
#if IS_COMPLEX /* lane l: Re s0, Im s0, Re s1, Im s1 at 4l */
    lane_vec re_lo = LANE_EVEN(p[0], p[1]), im_lo = LANE_ODD(p[0], p[1]);
    lane_vec re_hi = LANE_EVEN(p[2], p[3]), im_hi = LANE_ODD(p[2], p[3]);
    dst[0] = LANE_EVEN(re_lo, re_hi);
    dst[1] = LANE_EVEN(im_lo, im_hi);
    dst[2] = LANE_ODD(re_lo, re_hi);
    dst[3] = LANE_ODD(im_lo, im_hi);
#else /* lane l: s0, s1 at 2l */
    dst[0] = LANE_EVEN(p[0], p[1]);
    dst[1] = LANE_ODD(p[0], p[1]);
#endif
}

/* A row of eight neighbouring lanes (their entries side by side from row)
 * into its parts at dst: whole vectors. */
static inline void FN(lane_load_adjacent)(lane_vec *dst, const REAL *row)
{
    lane_vec p[LANE_PARTS];
    for (int k = 0; k < LANE_PARTS; k++) p[k] = LANE_READ_ROW(row + 8 * k);
    FN(lane_sort)(dst, p);
}

/* One lane's two entries of a row, and eight reals of consecutive lanes. */
typedef REAL FN(lane_piece) __attribute__((vector_size(LANE_PIECE * sizeof(REAL))));
typedef REAL FN(lane_eight) __attribute__((vector_size(8 * sizeof(REAL))));

static inline FN(lane_piece) FN(lane_piece_at)(const SCALAR *e)
{
    FN(lane_piece) v;
    memcpy(&v, e, sizeof v);
    return v;
}

/* Lanes l, l + 1, ... of row offset off, as many as fill eight reals. */
static inline lane_vec FN(lane_pieces)(const SCALAR *const *src, size_t off, size_t l)
{
#if IS_COMPLEX
    FN(lane_eight) v =
        __builtin_shufflevector(FN(lane_piece_at)(src[l] + off), FN(lane_piece_at)(src[l + 1] + off), 0, 1, 2, 3, 4,
                                5, 6, 7);
#else
    typedef REAL four __attribute__((vector_size(4 * sizeof(REAL))));
    four lo = __builtin_shufflevector(FN(lane_piece_at)(src[l] + off), FN(lane_piece_at)(src[l + 1] + off), 0, 1, 2,
                                      3);
    four hi = __builtin_shufflevector(FN(lane_piece_at)(src[l + 2] + off), FN(lane_piece_at)(src[l + 3] + off), 0, 1,
                                      2, 3);
    FN(lane_eight) v = __builtin_shufflevector(lo, hi, 0, 1, 2, 3, 4, 5, 6, 7);
#endif
#if DMF_TYPE_ID == 1 || DMF_TYPE_ID == 3
    return v;
#else
    return __builtin_convertvector(v, lane_vec);
#endif
}

/* One group of up to eight lanes: where its sub-blocks' rows are read and
 * its W and H written, and its Gram matrix (g11, g22, Re g12, Im g12). */
typedef struct {
    const SCALAR *src[LANES];
    SCALAR *wcol[LANES], *hrow[LANES];
    size_t sb0, nl;
    int adjacent;
    lane_vec gram[4];
} FN(lane_set);

/* Row a of a group of eight lanes into its parts at dst. */
static inline void FN(lane_row)(lane_vec *dst, const FN(lane_set) *set, size_t a, size_t stride)
{
    if (set->adjacent) {
        FN(lane_load_adjacent)(dst, (const REAL *)(set->src[0] + a * stride));
        return;
    }
    lane_vec p[LANE_PARTS];
    for (int k = 0; k < LANE_PARTS; k++) p[k] = FN(lane_pieces)(set->src, a * stride, k * (8 / LANE_PIECE));
    FN(lane_sort)(dst, p);
}

/* Rows a0 .. a1-1 of lanes 0 .. nl-1 that are not neighbours (lane l's
 * row a at src[l] + a * stride, its two entries side by side) into the
 * parts of s->rows: eight lanes a piece each into whole vectors (entry by
 * entry, the r2l levels whose row groups hold 1-4 sub-blocks took 1.5-2.5x
 * the time per entry of those with eight), fewer entry by entry. */
static void FN(lane_load_scattered)(FN(lane_scratch) *s, const FN(lane_set) *set, size_t stride, size_t a0,
                                    size_t a1, size_t m)
{
    const SCALAR *const *src = set->src;
    const size_t nl = set->nl;
    /* Rows lie a whole row group apart: short runs that the hardware does
     * not prefetch.  Asked for a dozen rows ahead, one row at a time (in
     * bursts of a chunk's rows, the requests waited on each other). */
    const size_t ahead = a1 + LANE_AHEAD <= m ? LANE_AHEAD : 0;
    for (size_t a = a0; a < a1; a++) {
        if (ahead)
            for (size_t l = 0; l < nl; l++) DMF_PREFETCH_LINES(src[l] + (a + ahead) * stride, 2 * sizeof(SCALAR), 1);
        if (nl == LANES) {
            FN(lane_row)(s->rows + a * LANE_PARTS, set, a, stride);
            continue;
        }
        double *dst = (double *)(s->rows + a * LANE_PARTS);
        for (size_t l = 0; l < nl; l++) {
            const SCALAR *e = src[l] + a * stride;
#if IS_COMPLEX
            dst[l] = RE(e[0]);
            dst[LANES + l] = cimag(e[0]);
            dst[2 * LANES + l] = RE(e[1]);
            dst[3 * LANES + l] = cimag(e[1]);
#else
            dst[l] = e[0];
            dst[LANES + l] = e[1];
#endif
        }
    }
}

/* Rows a0 .. a1-1 of `sets` groups of eight neighbours (lane l's entries
 * at src[0] + a * stride + 2 l), a row of every group at a time, each
 * row's runs of all the groups prefetched together a dozen rows ahead so
 * that their misses overlap (a group at a time, a chunk of its rows before
 * the next group's: r2l Hadamard f64 16384 0.39-0.43 s against 0.36-0.38
 * s).  Into L2: requests into L1 hold the core's few first-level miss
 * buffers (a read of 512-byte runs of every row of a 16384 x 16384 c128
 * matrix: 1.5-1.8 passes of a streaming read against 2.0-2.3). */
static void FN(lane_load_sets)(FN(lane_scratch) *s, const FN(lane_set) *set, size_t sets, size_t stride, size_t a0,
                               size_t a1, size_t m)
{
    for (size_t a = a0; a < a1; a++) {
        if (a + LANE_AHEAD < m)
            for (size_t k = 0; k < sets; k++)
                DMF_PREFETCH_LINES(set[k].src[0] + (a + LANE_AHEAD) * stride, 2 * LANES * sizeof(SCALAR), 1);
        for (size_t k = 0; k < sets; k++)
            FN(lane_load_adjacent)(s[k].rows + a * LANE_PARTS, (const REAL *)(set[k].src[0] + a * stride));
    }
}

/* A chunk's Gram sums of one row's parts p, added in place. */
static inline void FN(lane_gram_row)(lane_vec sums[4], const lane_vec *p)
{
#if IS_COMPLEX
    lane_vec s0r = p[0], s0i = p[1], s1r = p[2], s1i = p[3];
    sums[0] += s0r * s0r + s0i * s0i;
    sums[1] += s1r * s1r + s1i * s1i;
    sums[2] += s0r * s1r + s0i * s1i; /* conj(s0) s1 */
    sums[3] += s0r * s1i - s0i * s1r;
#else
    lane_vec s0 = p[0], s1 = p[1];
    sums[0] += s0 * s0;
    sums[1] += s1 * s1;
    sums[2] += s0 * s1;
#endif
}

/* Pass 1 of full groups whose rows lie close together, straight from T's
 * rows: pass 2 reads them again from the cache instead of a copy (a copy
 * written and read back moved the rows through the cache three times
 * where this moves them twice; lanes_read_twice).  The sums are
 * the copy's, bit for bit. */
static void FN(lane_gram_direct)(FN(lane_set) *set, size_t sets, size_t stride, size_t m)
{
    lane_cascade cascade[LANE_SETS];
    for (size_t k = 0; k < sets; k++) cascade[k].occupied = 0;
    for (size_t a0 = 0; a0 < m; a0 += LANE_CHUNK) {
        size_t a1 = a0 + LANE_CHUNK < m ? a0 + LANE_CHUNK : m;
        lane_vec sums[LANE_SETS][4] = {{{0}}};
        for (size_t a = a0; a < a1; a++)
            for (size_t k = 0; k < sets; k++) {
                lane_vec p[LANE_PARTS];
                FN(lane_row)(p, &set[k], a, stride);
                FN(lane_gram_row)(sums[k], p);
            }
        for (size_t k = 0; k < sets; k++) lane_cascade_push(&cascade[k], sums[k]);
    }
    for (size_t k = 0; k < sets; k++) lane_cascade_total(&cascade[k], set[k].gram);
}

/* Pass 1 for `sets` groups of lanes together, each into its own scratch:
 * gathers the rows and sums the Gram matrices.  Neighbouring groups share
 * T's rows, and a group of a real or single dtype reads only 64-128 bytes
 * of each: read from memory one group at a time, such short runs far
 * apart came at about a third of the streaming rate (r2l's view of the
 * input's columns, Hadamard f64 16384). */
static void FN(lane_gram)(FN(lane_scratch) *s, FN(lane_set) *set, size_t sets, size_t stride, size_t m)
{
    lane_cascade cascade[LANE_SETS];
    int neighbours = 1;
    for (size_t k = 0; k < sets; k++) {
        neighbours = neighbours && set[k].adjacent;
        cascade[k].occupied = 0;
        if (set[k].nl < LANES) memset(s[k].rows, 0, m * LANE_PARTS * sizeof(lane_vec)); /* idle lanes stay zero */
    }
    for (size_t a0 = 0; a0 < m; a0 += LANE_CHUNK) {
        size_t a1 = a0 + LANE_CHUNK < m ? a0 + LANE_CHUNK : m;
        if (neighbours) FN(lane_load_sets)(s, set, sets, stride, a0, a1, m);
        for (size_t k = 0; k < sets; k++) {
            if (!neighbours && set[k].adjacent) FN(lane_load_sets)(&s[k], &set[k], 1, stride, a0, a1, m);
            if (!neighbours && !set[k].adjacent)
                FN(lane_load_scattered)(&s[k], &set[k], stride, a0, a1, m);
            lane_vec sums[4] = {{0}, {0}, {0}, {0}};
            for (size_t a = a0; a < a1; a++) FN(lane_gram_row)(sums, s[k].rows + a * LANE_PARTS);
            lane_cascade_push(&cascade[k], sums);
        }
    }
    for (size_t k = 0; k < sets; k++) lane_cascade_total(&cascade[k], set[k].gram);
}

/* Where pass 2 writes W: lane l's row a at col[l] + a * ld, or, for eight
 * neighbours, the eight side by side from col[0]. */
typedef struct {
    SCALAR *col[LANES];
    size_t ld, count;
    int adjacent;
} FN(lane_w);

/* W's row a from the lanes' x t (parts *re, *im; by address: a 64-byte
 * vector by value is a note about the ABI where AVX-512 is off). */
static inline void FN(lane_store_w)(const FN(lane_w) *w, size_t a, const lane_vec *re, const lane_vec *im)
{
    const lane_vec xr = *re, xi = *im;
    if (w->adjacent) {
        REAL *out = (REAL *)(w->col[0] + a * w->ld);
#if IS_COMPLEX
        LANE_WRITE_ROW(out, LANE_ZIP_LO(xr, xi));
        LANE_WRITE_ROW(out + 8, LANE_ZIP_HI(xr, xi));
#else
        (void)xi;
        LANE_WRITE_ROW(out, xr);
#endif
        return;
    }
    for (size_t l = 0; l < w->count; l++) {
#if IS_COMPLEX
        w->col[l][a * w->ld] = (SCALAR)(xr[l] + I * xi[l]);
#else
        (void)xi;
        w->col[l][a * w->ld] = (SCALAR)xr[l];
#endif
    }
}

#if DMF_TYPE_ID == 0 || DMF_TYPE_ID == 2
#define LANE_SINGLE 1
typedef float lane_fvec __attribute__((vector_size(LANES * sizeof(float))));
/* v rounded to single precision, lane by lane. */
#define LANE_ROUND(v) __builtin_convertvector(__builtin_convertvector((v), lane_fvec), lane_vec)
#else
#define LANE_SINGLE 0
#endif

/* Pass 2 for the unit v and vp = (-conj(v1), conj(v0)) of every lane
 * (c[q] = part q of v, c[4 + q] of vp): W = (S v) t, and the residual
 * ||S - W H||^2 of the factors as written: ||S vp||^2 in double, and in
 * single precision, where rounding W and H to the dtype adds more than
 * that for exact blocks, summed from the rounded W and H (parts hq[q] of
 * H's two entries) themselves. */
static lane_vec FN(lane_project)(const lane_vec *copy, const FN(lane_set) *set, size_t stride, size_t m,
                                 const lane_vec c[8], const lane_vec *scale, const lane_vec hq[4],
                                 const FN(lane_w) *w_out)
{
    const lane_vec t = *scale;
    lane_vec ww = {0};
#if !LANE_SINGLE
    (void)hq;
#endif
    for (size_t a = 0; a < m; a++) {
        lane_vec row[LANE_PARTS];
        const lane_vec *p = row;
        if (copy)
            p = copy + a * LANE_PARTS;
        else
            FN(lane_row)(row, set, a, stride);
#if IS_COMPLEX
        lane_vec s0r = p[0], s0i = p[1], s1r = p[2], s1i = p[3];
        lane_vec xr = s0r * c[0] - s0i * c[1] + s1r * c[2] - s1i * c[3];
        lane_vec xi = s0r * c[1] + s0i * c[0] + s1r * c[3] + s1i * c[2];
#if LANE_SINGLE
        lane_vec wr = LANE_ROUND(xr * t), wi = LANE_ROUND(xi * t);
        FN(lane_store_w)(w_out, a, &wr, &wi);
        lane_vec e0r = s0r - (wr * hq[0] - wi * hq[1]), e0i = s0i - (wr * hq[1] + wi * hq[0]);
        lane_vec e1r = s1r - (wr * hq[2] - wi * hq[3]), e1i = s1i - (wr * hq[3] + wi * hq[2]);
        ww += e0r * e0r + e0i * e0i + e1r * e1r + e1i * e1i;
#else
        lane_vec wr = s0r * c[4] - s0i * c[5] + s1r * c[6] - s1i * c[7];
        lane_vec wi = s0r * c[5] + s0i * c[4] + s1r * c[7] + s1i * c[6];
        lane_vec tr = xr * t, ti = xi * t;
        FN(lane_store_w)(w_out, a, &tr, &ti);
        ww += wr * wr + wi * wi;
#endif
#else
        lane_vec s0 = p[0], s1 = p[1];
        lane_vec x = s0 * c[0] + s1 * c[2];
#if LANE_SINGLE
        lane_vec w = LANE_ROUND(x * t);
        FN(lane_store_w)(w_out, a, &w, &w);
        lane_vec e0 = s0 - w * hq[0], e1 = s1 - w * hq[2];
        ww += e0 * e0 + e1 * e1;
#else
        lane_vec w = s0 * c[4] + s1 * c[6];
        lane_vec tx = x * t;
        FN(lane_store_w)(w_out, a, &tx, &tx);
        ww += w * w;
#endif
#endif
    }
    return ww;
}
#undef LANE_SINGLE
#undef LANE_ROUND

/* The lane group of sub-blocks sb0 .. sb0+nl-1 (nl <= LANES, numbered as
 * info[] is). */
static void FN(lane_set_at)(const dmf_split_geometry *g, const SCALAR *T, SCALAR *W, SCALAR *H, size_t sb0,
                            size_t nl, FN(lane_set) *set)
{
    const size_t m = g->b1, row = dmf_split_row_stride(g), B = g->b1 * g->b2;
    set->sb0 = sb0;
    set->nl = nl;
    for (size_t l = 0; l < nl; l++) {
        size_t sb = sb0 + l, j = sb % g->c1, rest = sb / g->c1;
        size_t u = rest % g->b2, iv = rest / g->b2, i = iv / g->d, v = iv % g->d;
        set->src[l] = T + (iv * B + u) * row + j * 2;
        set->wcol[l] = W + (i * g->b2 * g->d + u * g->d + v) * m * g->c1 + j; /* row a at + a * c1 */
        set->hrow[l] = H + dmf_split_h_offset(g, iv, u, j);
    }
    /* Eight neighbours in one row group: their rows are runs of 16 entries. */
    int adjacent = nl == LANES;
    for (size_t l = 1; l < nl && adjacent; l++)
        adjacent = set->src[l] == set->src[0] + 2 * l && set->wcol[l] == set->wcol[0] + l;
    set->adjacent = adjacent;
}

/* A lane group after pass 1 (its rows in copy, or NULL to read T's again):
 * H, W, info and the statistics as cpu_split_rank_r fills them. */
static void FN(lane_finish)(const lane_vec *copy, FN(split_scratch) *s, const dmf_split_geometry *g,
                            const FN(lane_set) *set, SCALAR *H, int *info, dmf_split_stats *acc)
{
    const size_t m = g->b1, stride = g->b2 * dmf_split_row_stride(g), sb0 = set->sb0, nl = set->nl;
    const SCALAR *const *src = set->src;
    SCALAR *const *wcol = set->wcol, *const *hrow = set->hrow;
    const lane_vec *gram = set->gram;
    lane_vec t = {0};
    double vecs[LANES][4], lambda[LANES];
    lane_vec c[8];
    for (size_t l = 0; l < LANES; l++) {
        double *vv = vecs[l];
        lambda[l] = top_eigvec_2x2_parts(gram[0][l], gram[1][l], gram[2][l], IS_COMPLEX ? gram[3][l] : 0, vv);
        t[l] = lambda[l] > 0 && lambda[l] < INFINITY ? 1 / sqrt(sqrt(lambda[l])) : 0;
        double vp[4] = {-vv[2], vv[3], vv[0], -vv[1]}; /* (-conj(v1), conj(v0)) */
        for (int q = 0; q < 4; q++) {
            c[q][l] = vv[q];
            c[4 + q][l] = vp[q];
        }
    }
    /* H = v^H / t, as written (a zero block: t = 0, zero factors). */
    SCALAR hval[LANES][2];
    double hparts[4][LANES];
    for (size_t l = 0; l < LANES; l++) {
        const double *v = vecs[l], to_h = t[l] > 0 ? 1 / t[l] : 0;
#if IS_COMPLEX
        hval[l][0] = (SCALAR)(v[0] * to_h - I * (v[1] * to_h));
        hval[l][1] = (SCALAR)(v[2] * to_h - I * (v[3] * to_h));
#else
        hval[l][0] = (SCALAR)(v[0] * to_h);
        hval[l][1] = (SCALAR)(v[2] * to_h);
#endif
        hparts[0][l] = RE(hval[l][0]), hparts[1][l] = IS_COMPLEX ? cimag(hval[l][0]) : 0;
        hparts[2][l] = RE(hval[l][1]), hparts[3][l] = IS_COMPLEX ? cimag(hval[l][1]) : 0;
    }
    lane_vec hq[4];
    memcpy(hq, hparts, sizeof hq);
    FN(lane_w) w_out = {.ld = g->c1, .count = nl, .adjacent = set->adjacent};
    memcpy(w_out.col, set->wcol, sizeof set->wcol);
    lane_vec ww = FN(lane_project)(copy, set, stride, m, c, &t, hq, &w_out);
    const size_t ldw = g->c1;
    for (size_t l = 0; l < nl; l++) {
        int code = DMF_BLOCK_CLOSED_FORM;
        double norm2 = gram[0][l] + gram[1][l], residual = 0;
        if (norm2 > 0 && !(lambda[l] < INFINITY)) { /* the scalar path for this sub-block */
            size_t sb = sb0 + l, j = sb % g->c1, rest = sb / g->c1;
            size_t u = rest % g->b2, iv = rest / g->b2;
            for (size_t a = 0; a < m; a++) {
                s->block[2 * a] = src[l][a * stride];
                s->block[2 * a + 1] = src[l][a * stride + 1];
            }
            code = FN(approximate_block)(s, m, 2, 1, norm2);
            residual = s->residual >= 0 ? s->residual : FN(block_residual)(s, m, 2, 1);
            SCALAR *x_out = s->svd_work; /* m entries, free once the block is solved */
            FN(store_block)(s, g, iv / g->d, iv % g->d, u, j, x_out, H);
            for (size_t a = 0; a < m; a++) wcol[l][a * ldw] = x_out[a];
        } else {
            hrow[l][0] = hval[l][0];
            hrow[l][1] = hval[l][1];
            residual = norm2 > 0 ? ww[l] : 0;
        }
        if (info) info[sb0 + l] = code;
        acc->closed_form += code == DMF_BLOCK_CLOSED_FORM;
        acc->iterative += code == DMF_BLOCK_ITERATIVE;
        acc->dense_svd += code == DMF_BLOCK_DENSE_SVD;
        acc->failed += code == DMF_BLOCK_FAILED;
        acc->target_sq += norm2;
        acc->residual_sq += residual;
    }
}

/* Lane groups sb0/LANES, ... of one split, `sets` of them (as many as
 * exist up to that) read in one pass: through the copies in ls, or, where
 * the split allocated none (lanes_read_twice), from T twice. */
static void FN(lane_groups)(FN(lane_scratch) *ls, FN(split_scratch) *s, const dmf_split_geometry *g,
                            const SCALAR *T, SCALAR *W, SCALAR *H, size_t sb0, size_t sets, size_t count,
                            int *info, dmf_split_stats *acc)
{
    FN(lane_set) set[LANE_SETS];
    size_t n = 0;
    for (; n < sets && sb0 + n * LANES < count; n++) {
        size_t first = sb0 + n * LANES;
        FN(lane_set_at)(g, T, W, H, first, count - first < LANES ? count - first : LANES, &set[n]);
    }
    const size_t stride = g->b2 * dmf_split_row_stride(g);
    if (!ls[0].rows) {
        FN(lane_gram_direct)(set, n, stride, g->b1);
        for (size_t k = 0; k < n; k++) FN(lane_finish)(NULL, s, g, &set[k], H, info, acc);
        return;
    }
    FN(lane_gram)(ls, set, n, stride, g->b1);
    for (size_t k = 0; k < n; k++) FN(lane_finish)(ls[k].rows, s, g, &set[k], H, info, acc);
}

#undef LANE_PARTS
#undef LANE_PIECE
#undef LANE_READ_ROW
#undef LANE_WRITE_ROW
