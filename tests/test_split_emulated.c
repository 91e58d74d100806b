/* The CUDA split kernels, unchanged, run on the CPU under a small emulation
 * of the CUDA execution model (tests/emulate_cuda.hpp, real threads and
 * barriers per block and warp) and cross-checked against the CPU backend
 * with the bounds and geometries of split_crosscheck.h, the same as the GPU
 * test.  Batches are kept small so that every geometry runs in several.
 * cuSOLVER's SVD of the fallback blocks is replaced by LAPACK's, handed over
 * in cuSOLVER's layout. */
#include "emulated_split.h"
#include "split_crosscheck.h"

#include "internal.h"

static int emulated(dmf_dtype dtype, const dmf_split_geometry *g, const void *t, void *w, void *h, int *info,
                    dmf_split_stats *stats)
{
    size_t per = dmf_split_num_sub_blocks(g) > 3 ? 3 : 1; /* about three sub-blocks per batch */
    size_t m = g->b1, n = g->c2, r = g->rank;
    size_t scratch = m * r + r * n + n + (r > 1 ? m * n : 0);
    return dmf_emulated_split(dtype, g, t, w, h, info, stats, per * scratch + 1, dmf_emulated_lapack_svd);
}

int main(int argc, char **argv)
{
    /* Every branch of the kernels, kept small: fibers switch at each
     * barrier, which makes large blocks slow to emulate.  `--all` runs the
     * full list of the GPU test, `--small` its list for compute-sanitizer. */
    if (argc > 1 && strcmp(argv[1], "--all") == 0) {
        crosscheck_all(emulated, NULL);
        return check_report("test_split_emulated");
    }
    if (check_small(argc, argv)) { /* the GPU test's list under compute-sanitizer */
        crosscheck_small(emulated, NULL);
        return check_report("test_split_emulated");
    }
    /* (a, d, b1, b2, c1, c2, rank) */
    const size_t shapes[][7] = {
        {1, 1, 31, 1, 1, 33, 1}, {1, 1, 32, 1, 1, 32, 1}, {1, 1, 33, 1, 1, 31, 1}, /* power iteration, 31/32/33 */
        {1, 1, 4, 2, 3, 5, 1},   {1, 1, 3, 2, 4, 3, 1},                            /* small power iteration */
        {1, 1, 1, 3, 2, 5, 1},   {1, 1, 5, 2, 3, 1, 1},                            /* 1 x n, n x 1 */
        {2, 1, 2, 2, 3, 7, 1},   {1, 2, 7, 3, 2, 2, 1},   {4, 1, 2, 4, 2, 2, 1},   /* 2 x n, n x 2, many */
        {1, 1, 6, 2, 2, 5, 2},   {1, 1, 3, 1, 2, 8, 3},   {1, 1, 34, 1, 2, 35, 2}, /* rank > 1, SVD */
    };
    uint64_t seed = 1;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        dmf_split_geometry g = {shapes[s][0], shapes[s][1], shapes[s][2], shapes[s][3],
                                shapes[s][4], shapes[s][5], shapes[s][6]};
        for (dmf_dtype dt = DMF_F32; dt <= DMF_C128; dt++)
            for (size_t f = 0; f < CROSSCHECK_NUM_FILLS; f++)
                crosscheck_case(emulated, NULL, dt, &g, crosscheck_fills[f], seed++);
    }
    return check_report("test_split_emulated");
}
