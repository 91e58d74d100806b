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
 * of 128 KiB and more that were allocated here while some thread recycled
 * and that it frees here, and hands them out again for requests of the
 * same rounded size.  The record of what was handed out is shared by all
 * threads, so a buffer freed on another thread (the two halves of a node
 * walked at once) is recognised there too.  Anything without a record goes
 * to free(), so dmf_recycle_free releases any malloc'd pointer. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

enum { RECORDS = 256, KEPT = 32 };
static const size_t least_kept = (size_t)128 << 10; /* glibc's least mmap threshold */
static const size_t huge = (size_t)2 << 20;
/* What a thread keeps at most: a few percent of the inputs that stream
 * (from 256 MiB), so the peak memory barely moves. */
static const size_t most_kept = (size_t)16 << 20, kept_budget = (size_t)48 << 20;

typedef struct {
    void *ptr;
    size_t bytes; /* the buffer's capacity, a rounded size */
} recycled;

/* Buffers handed out and not yet back, whichever thread took them. */
static pthread_mutex_t records_lock = PTHREAD_MUTEX_INITIALIZER;
static recycled out[RECORDS];
static size_t num_out;

static _Thread_local struct {
    int active;
    recycled kept[KEPT];
    size_t num_kept, kept_bytes;
} pool;

size_t dmf_recycle_kept_bytes(void) { return pool.kept_bytes; }

/* Kept sizes step by 64 KiB, and by 2 MiB from 2 MiB up. */
static size_t rounded(size_t bytes)
{
    const size_t step = bytes >= huge ? huge : (size_t)64 << 10;
    return (bytes + step - 1) & ~(step - 1);
}

/* At least `capacity` bytes on a 64-byte boundary (the lanes' vectors need
 * it); from 2 MiB up on a 2 MiB boundary, in huge pages.  Callers count
 * the line after their last byte in it: dmf_recycle_zeroed clears that
 * line, and vector loads of a tail may read it. */
static void *allocate(size_t capacity)
{
    return capacity >= huge ? dmf_alloc_uninit(capacity, 1) : dmf_alloc_aligned_uninit(capacity, 1);
}

/* The record of ptr, removed; its capacity, or 0 if there was none. */
static size_t take_record(const void *ptr)
{
    size_t bytes = 0;
    pthread_mutex_lock(&records_lock);
    for (size_t k = 0; k < num_out; k++)
        if (out[k].ptr == ptr) {
            bytes = out[k].bytes;
            out[k] = out[--num_out];
            break;
        }
    pthread_mutex_unlock(&records_lock);
    return bytes;
}

/* Without room the buffer simply goes to free() when it comes back. */
static void record(void *ptr, size_t bytes)
{
    pthread_mutex_lock(&records_lock);
    size_t k = 0;
    while (k < num_out && out[k].ptr != ptr) k++; /* an address malloc handed out before */
    if (k < num_out) out[k].bytes = bytes;
    else if (num_out < RECORDS) out[num_out++] = (recycled){ptr, bytes};
    pthread_mutex_unlock(&records_lock);
}

void dmf_recycle_begin(void)
{
    if (pool.active) return;
    pool.active = 1;
    pool.num_kept = pool.kept_bytes = 0;
}

void dmf_recycle_end(void)
{
    for (size_t k = 0; k < pool.num_kept; k++) free(pool.kept[k].ptr);
    pool.num_kept = pool.kept_bytes = 0;
    pool.active = 0;
}

void dmf_recycle_disown(const void *ptr)
{
    if (ptr) take_record(ptr);
}

void *dmf_recycle_alloc(size_t count, size_t elem_size)
{
    size_t bytes;
    if (!dmf_mul_size(count, elem_size, &bytes) || bytes > SIZE_MAX - 2 * huge) return NULL;
    if (!pool.active || bytes < least_kept || bytes > most_kept) return allocate(bytes + 64);
    const size_t want = rounded(bytes + 64);
    void *p = NULL;
    for (size_t k = 0; k < pool.num_kept && !p; k++)
        if (pool.kept[k].bytes == want) {
            p = pool.kept[k].ptr;
            pool.kept_bytes -= want;
            pool.kept[k] = pool.kept[--pool.num_kept];
        }
    if (!p) p = allocate(want);
    if (p) record(p, want);
    return p;
}

void *dmf_recycle_zeroed(size_t count, size_t elem_size)
{
    /* As dmf_alloc_aligned: up to the line after the last entry. */
    void *p = dmf_recycle_alloc(count, elem_size);
    if (p) memset(p, 0, (count * elem_size + 64) & ~(size_t)63); /* the product was checked */
    return p;
}

void dmf_recycle_free(void *ptr)
{
    if (!ptr) return;
    const size_t bytes = take_record(ptr);
    if (bytes && pool.active && pool.num_kept < KEPT && pool.kept_bytes + bytes <= kept_budget) {
        pool.kept[pool.num_kept++] = (recycled){ptr, bytes};
        pool.kept_bytes += bytes;
        return;
    }
    free(ptr);
}
