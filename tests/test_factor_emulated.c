/* The whole factorization through the device code path of the library with
 * the CUDA kernels emulated on the CPU: a backend table that claims device
 * memory (host_memory = 0, so factor.c uploads the input, keeps node
 * targets and leaves "on the device" and downloads each leaf once), whose
 * split runs the CUDA split kernels under tests/emulate_cuda.hpp, whose
 * normalize and apply run the per-thread bodies of src/kernels in loops.
 * Compared with the CPU backend with the checks and bounds of
 * factor_crosscheck.h (smaller inputs than the GPU test: the emulation is
 * slow), and: every buffer the device path allocates is freed (counted),
 * every device timer is released, the transfer time is reported (within
 * the total; zero on the CPU) and the tree's time beside it (device_s, from
 * the table's timer here and the host's clock on the CPU). */
#include <complex.h>
#include <math.h>
#include <string.h>

#include "backend/backend.h"
#include "check.h"
#include "emulated_split.h"
#include "factor_crosscheck.h"
#include "internal.h"
#include "kernels/apply_index.h"
#include "kernels/split_index.h"

static long live_buffers;

static int emu_alloc(void **ptr, size_t bytes)
{
    *ptr = malloc(bytes ? bytes : 1);
    if (!*ptr) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate %zu bytes", bytes);
    memset(*ptr, 0xA5, bytes); /* not zeroed, like device memory */
    live_buffers++;
    return DMF_OK;
}
static void emu_free(void *ptr)
{
    if (ptr) live_buffers--;
    free(ptr);
}
static int emu_copy(void *dst, const void *src, size_t bytes)
{
    memcpy(dst, src, bytes);
    return DMF_OK;
}
static void emu_release(void) {}

/* The device clock of the table: a timer that the tests count, read from
 * the host's clock (the emulated kernels run on the host). */
static long live_timers;
static int emu_timer_start(void **timer)
{
    double *start = malloc(sizeof *start);
    if (!start) return dmf_fail(DMF_ERR_NOMEM, "cannot allocate a timer");
    *start = dmf_now_seconds();
    *timer = start;
    live_timers++;
    return DMF_OK;
}
static int emu_timer_stop(void *timer, double *seconds)
{
    if (seconds) *seconds = dmf_now_seconds() - *(double *)timer;
    free(timer);
    live_timers--;
    return DMF_OK;
}

static int emu_split(dmf_dtype dtype, const dmf_split_geometry *g, const void *t, void *w, void *h, int *info,
                     dmf_split_stats *stats)
{
    return dmf_emulated_split(dtype, g, t, w, h, info, stats, (size_t)1 << 26, dmf_emulated_lapack_svd);
}

static int emu_normalize(dmf_dtype dtype, const dmf_split_geometry *g, void *w, void *h, dmf_normalize_side side)
{
    dmf_dc *tri = malloc(g->rank * g->rank * sizeof *tri);
    for (size_t s = 0; s < dmf_split_num_sub_blocks(g); s++) dmf_normalize_group(dtype, g, s, w, h, side, tri);
    free(tri);
    return DMF_OK;
}

static int emu_apply(dmf_dtype dtype, size_t a, size_t b, size_t c, size_t d, const void *blocks, const void *x,
                     void *y, size_t nvec)
{
    for (size_t e = 0; e < a * b * d * nvec; e++) dmf_store(dtype, y, e, dmf_apply_entry(dtype, blocks, b, c, d, x, nvec, e));
    return DMF_OK;
}

/* The emulated backend's own bookkeeping after each factorization and apply. */
static void check_device_bookkeeping(const char *what, const char *tree, const dmf_butterfly_report *re,
                                     const dmf_butterfly_report *rc)
{
    CHECK(live_buffers == 0, "%s %s: %ld device buffers left%s", what, tree, live_buffers, re ? "" : " after apply");
    CHECK(live_timers == 0, "%s %s: %ld device timers left", what, tree, live_timers);
    if (re) {
        CHECK(rc->transfer_s == 0 && re->transfer_s >= 0 && re->transfer_s <= re->time_s,
              "%s %s: transfer time %.3g of %.3g s (cpu %.3g)", what, tree, re->transfer_s, re->time_s, rc->transfer_s);
        /* The tree's time, from the device timer here and the host's clock
         * on the CPU: positive and, with the transfers (disjoint from it),
         * within the whole call. */
        CHECK(re->device_s > 0 && re->device_s + re->transfer_s <= re->time_s,
              "%s %s: device time %.3g + transfers %.3g of %.3g s", what, tree, re->device_s, re->transfer_s,
              re->time_s);
        CHECK(rc->device_s > 0 && rc->device_s <= rc->time_s, "%s %s: cpu tree time %.3g of %.3g s", what, tree,
              rc->device_s, rc->time_s);
    }
}

int main(void)
{
    dmf_backend emulated = *dmf_backend_cpu();
    emulated.name = "emulated-cuda";
    emulated.split_rank_r = emu_split;
    emulated.normalize_pair = emu_normalize;
    emulated.apply_factor = emu_apply;
    emulated.host_memory = 0;
    emulated.mem_alloc = emu_alloc;
    emulated.mem_free = emu_free;
    emulated.mem_upload = emu_copy;
    emulated.mem_download = emu_copy;
    emulated.release_workspace = emu_release;
    emulated.timer_start = emu_timer_start;
    emulated.timer_stop = emu_timer_stop;
    emulated.mem_copy = emu_copy;
    dmf_context *emu = NULL, *cpu = NULL;
    CHECK_OK(dmf_context_create_from_backend(&emu, &emulated));
    CHECK_OK(dmf_context_create(&cpu, "cpu"));
    size_t two[8] = {2, 2, 2, 2, 2, 2, 2, 2};
    for (dmf_dtype dt = DMF_F32; dt <= DMF_C128; dt++)
        for (int ortho = 0; ortho <= 1; ortho++) {
            dmf_matrix *a = factor_builtin("random-chain", 16, 16, dt, NULL, NULL, 0, 0);
            factor_crosscheck("random-chain 16", emu, cpu, a, two, two, 4, 1, ortho, 1, check_device_bookkeeping);
            dmf_matrix_free(a);
            a = factor_builtin("hadamard", 32, 32, dt, NULL, NULL, 0, 0);
            factor_crosscheck("hadamard 32", emu, cpu, a, two, two, 5, 1, ortho, 1, check_device_bookkeeping);
            dmf_matrix_free(a);
            size_t mm[3] = {2, 3, 4}, nn[3] = {3, 2, 5};
            a = factor_builtin("random-chain", 24, 30, dt, mm, nn, 3, 0);
            factor_crosscheck("mixed 24x30", emu, cpu, a, mm, nn, 3, 1, ortho, 1, check_device_bookkeeping);
            dmf_matrix_free(a);
            size_t m1[3] = {4, 1, 3}, n1[3] = {1, 5, 2};
            a = factor_builtin("random-chain", 12, 10, dt, m1, n1, 3, 0);
            factor_crosscheck("radix-1 12x10", emu, cpu, a, m1, n1, 3, 1, ortho, 1, check_device_bookkeeping);
            dmf_matrix_free(a);
            a = factor_builtin("gaussian", 16, 16, dt, NULL, NULL, 0, 0);
            factor_crosscheck("gaussian 16 rank 2", emu, cpu, a, two, two, 4, 2, ortho, 0, check_device_bookkeeping);
            dmf_matrix_free(a);
            /* An exact rank-one chain asked for rank 2: the extraction
             * kernel's negligible terms must come out zero, as on the CPU. */
            a = factor_builtin("random-chain", 64, 64, dt, NULL, NULL, 0, 0);
            factor_crosscheck("random-chain 64 rank 2", emu, cpu, a, two, two, 6, 2, ortho, 1, check_device_bookkeeping);
            dmf_matrix_free(a);
            a = factor_builtin("hadamard", 16, 16, dt, NULL, NULL, 0, 1e-3);
            factor_crosscheck("noisy hadamard 16", emu, cpu, a, two, two, 4, 1, ortho, 0, check_device_bookkeeping);
            dmf_matrix_free(a);
        }
    dmf_context_free(emu);
    dmf_context_free(cpu);
    return check_report("test_factor_emulated");
}
