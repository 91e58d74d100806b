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

/* The part of factor (a, b, c, d) one task of a run holds (dmf_apply_run):
 * blocks i0 .. i0+na-1, and of each block's v index the residues rho0 ..
 * rho0+w-1 mod D (D = 1, w = 1: whole blocks).  Local row
 * ((i*c + gamma)*(d/D) + vh)*w + rl is global v = vh*D + rho0 + rl; rows
 * hold cw contiguous entries.  Sums in apply_factor's order. */
static void FN(apply_part)(const SCALAR *blocks, size_t i0, size_t na, size_t b, size_t c, size_t d,
                           size_t D, size_t rho0, size_t w, const SCALAR *x, SCALAR *y, size_t cw)
{
    const size_t dh = d / D, span = dh * w * cw;
    if (b == 2 && c == 2) { /* radix 2: both outputs from one read of both inputs */
        for (size_t i = 0; i < na; i++) {
            const SCALAR *x0 = x + i * 2 * span, *x1 = x0 + span, *bi = blocks + (i0 + i) * d * 4;
            SCALAR *y0 = y + i * 2 * span, *y1 = y0 + span;
            for (size_t vh = 0; vh < dh; vh++)
                for (size_t rl = 0; rl < w; rl++) {
                    const SCALAR *blk = bi + (vh * D + rho0 + rl) * 4;
                    const SCALAR c00 = blk[0], c01 = blk[1], c10 = blk[2], c11 = blk[3];
                    const size_t at = (vh * w + rl) * cw;
                    for (size_t t = at; t < at + cw; t++) {
                        SCALAR s0 = x0[t], s1 = x1[t], u = 0, v = 0;
                        u += c00 * s0;
                        u += c01 * s1;
                        v += c10 * s0;
                        v += c11 * s1;
                        y0[t] = u;
                        y1[t] = v;
                    }
                }
        }
        return;
    }
    for (size_t i = 0; i < na; i++) {
        const SCALAR *xi = x + i * c * span, *bi = blocks + (i0 + i) * d * b * c;
        SCALAR *yi = y + i * b * span;
        for (size_t beta = 0; beta < b; beta++) {
            SCALAR *yr = yi + beta * span;
            for (size_t e = 0; e < span; e++) yr[e] = 0;
            for (size_t gamma = 0; gamma < c; gamma++) {
                const SCALAR *xr = xi + gamma * span, *coef = bi + beta * c + gamma;
                for (size_t vh = 0; vh < dh; vh++)
                    for (size_t rl = 0; rl < w; rl++) {
                        SCALAR cv = coef[(vh * D + rho0 + rl) * b * c];
                        SCALAR *yo = yr + (vh * w + rl) * cw;
                        const SCALAR *xo = xr + (vh * w + rl) * cw;
                        for (size_t t = 0; t < cw; t++) yo[t] += cv * xo[t];
                    }
            }
        }
    }
}

/* Copies between the global rows of a task and its packed local rows: local
 * row q*w + rl is global row (q*D + rho0 + rl) (by residue) or
 * row0 + q*w + rl with D = w (segments); columns t0 .. t0+cw-1 of nvec. */
static void FN(move_part)(SCALAR *global, SCALAR *local, size_t groups, size_t D, size_t start, size_t w,
                          size_t nvec, size_t t0, size_t cw, int to_local)
{
    for (size_t q = 0; q < groups; q++) {
        SCALAR *g = global + (q * D + start) * nvec + t0, *l = local + q * w * cw;
        if (cw == nvec) {
            if (to_local) memcpy(l, g, w * nvec * sizeof(SCALAR));
            else memcpy(g, l, w * nvec * sizeof(SCALAR));
            continue;
        }
        for (size_t rl = 0; rl < w; rl++) {
            if (to_local) memcpy(l + rl * cw, g + rl * nvec, cw * sizeof(SCALAR));
            else memcpy(g + rl * nvec, l + rl * cw, cw * sizeof(SCALAR));
        }
    }
}

/* y = the run's product applied to x, task by task (see dmf_apply_run). */
static int FN(apply_run)(const dmf_apply_run *run, const dmf_factor_ref *f, const SCALAR *x, SCALAR *y,
                         size_t nvec)
{
    const size_t P = run->parts, per = run->per_task, cw_max = run->columns;
    const size_t col_tasks = (nvec + cw_max - 1) / cw_max, row_tasks = (P + per - 1) / per;
    const dmf_factor_ref *first = &f[0], *last = &f[run->count - 1];
    const size_t in_rows = first->a * first->c * first->d, out_rows = last->a * last->b * last->d;
    size_t widest = 0, work = 0;
    for (size_t k = 0; k < run->count; k++) {
        size_t in = f[k].a * f[k].c * f[k].d, out = f[k].a * f[k].b * f[k].d;
        if (in > widest) widest = in;
        if (out > widest) widest = out;
        work += f[k].a * f[k].b * f[k].c * f[k].d;
    }
    const size_t part_values = widest / P * per * cw_max;
    int no_memory = 0;
    /* Two threads pay above a millisecond or so of work; below it a thread
     * that another process keeps waiting costs more than it saves. */
#pragma omp parallel if (work * nvec > ((size_t)1 << 22)) reduction(+ : no_memory)
    {
        SCALAR *buf0 = dmf_alloc_aligned_uninit(part_values, sizeof(SCALAR));
        SCALAR *buf1 = dmf_alloc_aligned_uninit(part_values, sizeof(SCALAR));
        if (!buf0 || !buf1) no_memory++;
#pragma omp for schedule(static)
        for (size_t task = 0; task < row_tasks * col_tasks; task++) {
            if (!buf0 || !buf1) continue;
            const size_t p0 = task / col_tasks * per, t0 = task % col_tasks * cw_max;
            const size_t np = P - p0 < per ? P - p0 : per, cw = nvec - t0 < cw_max ? nvec - t0 : cw_max;
            SCALAR *cur = buf0, *next = buf1;
            if (run->by_residue)
                FN(move_part)((SCALAR *)x, cur, in_rows / P, P, p0, np, nvec, t0, cw, 1);
            else
                FN(move_part)((SCALAR *)x, cur, 1, 0, p0 * (in_rows / P), np * (in_rows / P), nvec, t0, cw, 1);
            for (size_t k = 0; k < run->count; k++) {
                const dmf_factor_ref *g = &f[k];
                if (run->by_residue)
                    FN(apply_part)(g->blocks, 0, g->a, g->b, g->c, g->d, P, p0, np, cur, next, cw);
                else
                    FN(apply_part)(g->blocks, p0 * (g->a / P), np * (g->a / P), g->b, g->c, g->d, 1, 0, 1, cur,
                                   next, cw);
                SCALAR *swap = cur;
                cur = next;
                next = swap;
            }
            if (run->by_residue)
                FN(move_part)(y, cur, out_rows / P, P, p0, np, nvec, t0, cw, 0);
            else
                FN(move_part)(y, cur, 1, 0, p0 * (out_rows / P), np * (out_rows / P), nvec, t0, cw, 0);
        }
        free(buf0);
        free(buf1);
    }
    return no_memory ? 0 : 1;
}
