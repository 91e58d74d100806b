/* The work buffers a thread keeps between dmf_recycle_begin and
 * dmf_recycle_end: the same buffer back for the same rounded size, zeroed
 * where asked, nothing kept outside the stretch or beyond its budget, and
 * pointers it did not hand out (or gave away) released with free().  Under
 * AddressSanitizer a buffer kept twice, freed twice or never freed fails
 * this test. */
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "internal.h"

static int aligned64(const void *p) { return ((uintptr_t)p & 63) == 0; }

static int all_zero(const unsigned char *p, size_t bytes)
{
    for (size_t k = 0; k < bytes; k++)
        if (p[k]) return 0;
    return 1;
}

static void test_outside(void)
{
    /* Not recycling: fresh, aligned, released by free(). */
    void *small = dmf_recycle_alloc(100, 1), *big = dmf_recycle_alloc((size_t)3 << 20, 1);
    CHECK(small && big && aligned64(small) && aligned64(big), "allocations %p %p", small, big);
    CHECK(((uintptr_t)big & (((size_t)2 << 20) - 1)) == 0, "a 3 MiB buffer starts on a 2 MiB boundary");
    dmf_recycle_free(small);
    free(big);
    unsigned char *z = dmf_recycle_zeroed(1000, 3);
    CHECK(z && all_zero(z, 3000), "zeroed outside the stretch");
    dmf_recycle_free(z);
    CHECK(dmf_recycle_alloc(SIZE_MAX / 2, 4) == NULL, "an overflowing size is refused");
    dmf_recycle_free(NULL);
    /* A whole number of 2 MiB zeroed with the line after it: room for
     * that line too (AddressSanitizer sees a write past the end). */
    unsigned char *two = dmf_recycle_zeroed(((size_t)2 << 20) / 8, 8);
    CHECK(two && all_zero(two, (size_t)2 << 20), "2 MiB zeroed outside the stretch");
    dmf_recycle_free(two);
    dmf_recycle_begin();
    unsigned char *large = dmf_recycle_zeroed(((size_t)18 << 20) / 8, 8); /* above what is kept */
    CHECK(large && all_zero(large, (size_t)18 << 20), "18 MiB zeroed while recycling");
    dmf_recycle_free(large);
    dmf_recycle_end();
}

static void *free_elsewhere(void *p)
{
    dmf_recycle_free(p); /* this thread does not recycle */
    return NULL;
}

/* A buffer handed out on one thread and freed on another (the two halves
 * of a node walked at once) leaves no record behind: were one left, a
 * smaller allocation that malloc later places at the same address would be
 * kept, and handed out again, as the larger buffer. */
static void test_other_thread(void)
{
    mallopt(M_MMAP_THRESHOLD, 32 << 20); /* addresses come back from the heap, as in a long walk */
    dmf_recycle_begin();
    void *before = malloc(100);
    void *half = dmf_recycle_alloc((size_t)128 << 10, 1);
    void *after = malloc(100);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, free_elsewhere, half) == 0, "a second thread");
    pthread_join(t, NULL);
    void *small = dmf_alloc_aligned_uninit(4096, 8); /* 32 KiB, maybe where the half was */
    dmf_recycle_free(small);
    unsigned char *next = dmf_recycle_alloc((size_t)128 << 10, 1);
    CHECK(next && malloc_usable_size(next) >= ((size_t)128 << 10), "the next 128 KiB buffer holds %zu bytes",
          next ? malloc_usable_size(next) : 0);
    if (next && malloc_usable_size(next) >= ((size_t)128 << 10)) memset(next, 1, (size_t)128 << 10);
    dmf_recycle_free(next);
    free(before);
    free(after);
    dmf_recycle_end();
}

static void test_reuse(void)
{
    dmf_recycle_begin();
    const size_t big = (size_t)5 << 20, mid = (size_t)300 << 10;
    unsigned char *a = dmf_recycle_alloc(big, 1), *b = dmf_recycle_alloc(mid, 1);
    CHECK(a && b && aligned64(a) && aligned64(b), "allocations %p %p", (void *)a, (void *)b);
    memset(a, 7, big);
    memset(b, 7, mid);
    dmf_recycle_free(a);
    dmf_recycle_free(b);
    /* Sizes that round alike get the kept buffers back, zeroed if asked. */
    unsigned char *a2 = dmf_recycle_alloc(big - 1000, 1), *b2 = dmf_recycle_zeroed(mid / 8 - 10, 8);
    CHECK(a2 == a && a2[0] == 7 && a2[big - 1] == 7, "the 5 MiB buffer comes back as it was left");
    CHECK(b2 == b, "the 300 KiB buffer comes back (%p, kept %p)", (void *)b2, (void *)b);
    CHECK(b2 && all_zero(b2, mid - 80), "a kept buffer handed out zeroed is zero");
    /* Another size: a fresh buffer. */
    unsigned char *c = dmf_recycle_alloc((size_t)9 << 20, 1);
    CHECK(c && c != a && c != b, "a new size is a new buffer");
    memset(c, 1, (size_t)9 << 20);
    dmf_recycle_free(a2);
    dmf_recycle_free(b2);
    dmf_recycle_free(c);
    /* Small buffers and ones this thread did not hand out go to free(). */
    void *small = dmf_recycle_alloc(1000, 1), *foreign = malloc((size_t)1 << 20);
    dmf_recycle_free(small);
    dmf_recycle_free(foreign);
    /* A buffer given away is freed by its new owner with free(), and an
     * address malloc hands out again is not taken for it. */
    void *given = dmf_recycle_alloc((size_t)256 << 10, 1);
    dmf_recycle_disown(given);
    free(given);
    void *again = malloc((size_t)200 << 10);
    dmf_recycle_free(again);
    dmf_recycle_end(); /* frees what is kept: LeakSanitizer sees any left */
}

static void test_budget(void)
{
    /* Sixteen buffers of 8 MiB (kept as 10 MiB with the zeroing's tail):
     * only what fits the 48 MiB budget is kept, the rest is freed at once
     * (LeakSanitizer and the budget would show otherwise). */
    dmf_recycle_begin();
    enum { COUNT = 16 };
    const uint64_t mark = 0x5eed5eed00000000ull;
    uint64_t *p[COUNT];
    for (int k = 0; k < COUNT; k++) {
        p[k] = dmf_recycle_alloc((size_t)8 << 20, 1);
        if (p[k]) p[k][0] = mark + (uint64_t)k; /* a kept buffer comes back with its mark */
    }
    for (int k = 0; k < COUNT; k++) dmf_recycle_free(p[k]);
    const size_t kept = dmf_recycle_kept_bytes();
    CHECK(kept >= ((size_t)8 << 20) && kept <= ((size_t)48 << 20), "%zu bytes kept of 16 buffers of 8 MiB", kept);
    int back = 0, seen[COUNT] = {0};
    for (int k = 0; k < COUNT; k++) {
        p[k] = dmf_recycle_alloc((size_t)8 << 20, 1);
        uint64_t j = p[k] ? p[k][0] - mark : COUNT;
        if (j < COUNT && !seen[j]) back++, seen[j] = 1;
        if (p[k]) p[k][0] = 0;
    }
    /* A buffer freed beyond the budget can come back from malloc at the
     * same address with its mark (merged into the heap's top untouched):
     * the count bounds only from below. */
    CHECK(back >= 1, "none of 16 buffers of 8 MiB came back");
    for (int k = 0; k < COUNT; k++) dmf_recycle_free(p[k]);
    dmf_recycle_end();
    dmf_recycle_end(); /* twice: nothing left to do */
}

int main(void)
{
    test_outside();
    test_reuse();
    test_budget();
    test_other_thread();
    return check_report("test_recycle");
}
