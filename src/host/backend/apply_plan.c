/* Grouping a chain's factors into runs applied one cache-sized part of the
 * vectors at a time (see dmf_apply_run).  Applied factor by factor, every
 * factor reads and writes all the vectors: twelve passes over 4 MiB for a
 * 4096-point chain on 64 complex vectors.  A run of factors whose supports
 * keep the same parts of the rows apart reads them once. */
#include "backend.h"

/* One part of a task (with its two ping-pong copies) fits in L2 this way. */
enum { PART_BYTES = 128 * 1024, ROW_BYTES = 1024 };

static size_t gcd(size_t x, size_t y)
{
    while (y) {
        size_t t = x % y;
        x = y;
        y = t;
    }
    return x;
}

typedef struct {
    size_t by_blocks, by_residue; /* gcd of the a_k, of the d_k */
    size_t widest;                /* the largest row count at any interface */
} run_shape;

static void add_factor(run_shape *r, const dmf_factor_ref *f)
{
    r->by_blocks = gcd(r->by_blocks, f->a);
    r->by_residue = gcd(r->by_residue, f->d);
    size_t in = f->a * f->c * f->d, out = f->a * f->b * f->d;
    if (in > r->widest) r->widest = in;
    if (out > r->widest) r->widest = out;
}

size_t dmf_apply_plan(const dmf_factor_ref *factors, size_t count, size_t nvec, size_t elem,
                      dmf_apply_run *runs)
{
    size_t columns = ROW_BYTES / elem < nvec ? ROW_BYTES / elem : nvec;
    if (columns == 0) columns = 1;
    const size_t rows_cap = PART_BYTES / (columns * elem);
    size_t widest = 0;
    for (size_t k = 0; k < count; k++) {
        run_shape one = {0, 0, 0};
        add_factor(&one, &factors[k]);
        if (one.widest > widest) widest = one.widest;
    }
    size_t num_runs = 0;
    /* Vectors that fit in cache whole gain nothing from parts. */
    int fused = widest * nvec * elem > 2 * PART_BYTES;
    for (size_t k = 0; k < count;) {
        run_shape run = {0, 0, 0};
        size_t end = k;
        while (end < count) {
            run_shape next = run;
            add_factor(&next, &factors[end]);
            int fits = next.widest / next.by_blocks <= rows_cap || next.widest / next.by_residue <= rows_cap;
            if (!fused || !fits) break;
            run = next;
            end++;
        }
        dmf_apply_run *r = &runs[num_runs++];
        *r = (dmf_apply_run){.first = k, .count = 1};
        if (end - k < 2) { /* one factor: no gather and scatter */
            k++;
            continue;
        }
        r->count = end - k;
        r->columns = columns;
        size_t rows_per_part;
        if (run.widest / run.by_blocks <= rows_cap) {
            r->parts = run.by_blocks;
            rows_per_part = run.widest / run.by_blocks;
        } else {
            r->by_residue = 1;
            r->parts = run.by_residue;
            rows_per_part = run.widest / run.by_residue;
        }
        r->per_task = rows_cap / rows_per_part;
        if (r->per_task > r->parts) r->per_task = r->parts;
        k = end;
    }
    return num_runs;
}

int dmf_apply_run_in_place(const dmf_apply_run *run, const dmf_factor_ref *factors)
{
    for (size_t k = 0; k < run->count; k++)
        if (factors[k].b != factors[k].c) return 0;
    return run->parts > 0;
}
