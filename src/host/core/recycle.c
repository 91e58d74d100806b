/* Work buffers a thread frees and asks for again at once.
 *
 * A streamed tree walks hundreds of small problems one after another, each
 * allocating the same halves (4 MiB, 2 MiB, ... at N = 16384 c128) and the
 * same split scratch.  glibc serves an aligned request of 2 MiB and more by
 * a fresh mapping every time (the request, alignment included, stays at or
 * above its moving mmap threshold), so every group faulted in and zeroed
 * its halves anew: about 2 GiB of cleared pages for r2l at N = 16384.
 * Keeping only those halves is not enough: their frees were what raised
 * that threshold, and without them every split's scratch of 128 KiB and
 * more became a fresh mapping instead.
 *
 * Between dmf_recycle_begin and dmf_recycle_end a thread keeps the buffers
 * of 128 KiB and more that it allocated here and frees here, and hands
 * them out again for requests of the same rounded size.  Anything else
 * goes to free() as before, so dmf_recycle_free releases any malloc'd
 * pointer. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

enum { RECORDS = 64, KEPT = 32 };
static const size_t least_kept = (size_t)128 << 10; /* glibc's least mmap threshold */
static const size_t huge = (size_t)2 << 20;
/* What a thread keeps at most: a few percent of the inputs that stream
 * (from 256 MiB), so the peak memory barely moves. */
static const size_t most_kept = (size_t)16 << 20, kept_budget = (size_t)48 << 20;

typedef struct {
    void *ptr;
    size_t bytes; /* the buffer's rounded size */
} recycled;

static _Thread_local struct {
    int active;
    recycled out[RECORDS]; /* handed out while recycling, not yet back */
    recycled kept[KEPT];
    size_t num_out, num_kept, kept_bytes;
} pool;

/* Kept sizes step by 64 KiB, and by 2 MiB from 2 MiB up. */
static size_t rounded(size_t bytes)
{
    const size_t step = bytes >= huge ? huge : (size_t)64 << 10;
    return (bytes + step - 1) & ~(step - 1);
}

/* 64-byte aligned whatever the size (the lanes' vectors need it); from
 * 2 MiB up 2 MiB aligned and advised into huge pages. */
static void *fresh(size_t bytes) { return bytes >= huge ? dmf_alloc_uninit(bytes, 1) : dmf_alloc_aligned_uninit(bytes, 1); }

void dmf_recycle_begin(void)
{
    if (pool.active) return;
    pool.active = 1;
    pool.num_out = pool.num_kept = pool.kept_bytes = 0;
}

void dmf_recycle_forget(void) { pool.num_out = 0; }

void dmf_recycle_end(void)
{
    for (size_t k = 0; k < pool.num_kept; k++) free(pool.kept[k].ptr);
    pool.num_out = pool.num_kept = pool.kept_bytes = 0;
    pool.active = 0;
}

static recycled *find_out(const void *ptr)
{
    for (size_t k = 0; k < pool.num_out; k++)
        if (pool.out[k].ptr == ptr) return &pool.out[k];
    return NULL;
}

void dmf_recycle_disown(const void *ptr)
{
    recycled *r = pool.active ? find_out(ptr) : NULL;
    if (r) *r = pool.out[--pool.num_out];
}

static void record_out(void *ptr, size_t bytes)
{
    recycled *r = find_out(ptr); /* an address malloc handed out before */
    if (r) r->bytes = bytes;
    else if (pool.num_out < RECORDS) pool.out[pool.num_out++] = (recycled){ptr, bytes};
}

void *dmf_recycle_alloc(size_t count, size_t elem_size)
{
    size_t bytes;
    if (!dmf_mul_size(count, elem_size, &bytes) || bytes > SIZE_MAX - huge) return NULL;
    if (!pool.active || bytes < least_kept || bytes > most_kept) return fresh(bytes ? bytes : 1);
    const size_t want = rounded(bytes + 64); /* room for dmf_recycle_zeroed's tail */
    for (size_t k = 0; k < pool.num_kept; k++)
        if (pool.kept[k].bytes == want) {
            void *p = pool.kept[k].ptr;
            pool.kept_bytes -= want;
            pool.kept[k] = pool.kept[--pool.num_kept];
            record_out(p, want);
            return p;
        }
    void *p = fresh(want);
    if (p) record_out(p, want);
    return p;
}

void *dmf_recycle_zeroed(size_t count, size_t elem_size)
{
    /* As dmf_alloc_aligned: up to the line after the last entry, which
     * vector loads of the tail may read. */
    void *p = dmf_recycle_alloc(count, elem_size);
    if (p) memset(p, 0, (count * elem_size + 64) & ~(size_t)63); /* the product was checked */
    return p;
}

void dmf_recycle_free(void *ptr)
{
    recycled *r = ptr && pool.active ? find_out(ptr) : NULL;
    if (r) {
        recycled buffer = *r;
        *r = pool.out[--pool.num_out];
        if (pool.num_kept < KEPT && pool.kept_bytes + buffer.bytes <= kept_budget) {
            pool.kept[pool.num_kept++] = buffer;
            pool.kept_bytes += buffer.bytes;
            return;
        }
    }
    free(ptr);
}
