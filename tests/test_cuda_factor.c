/* End-to-end cross-check: the whole hierarchical factorization on the CUDA
 * backend against the CPU backend (skipped, exit 77, without a usable GPU),
 * with the checks and bounds of factor_crosscheck.h, on exact inputs
 * (Hadamard, bit-reversed DFT, random chains, mixed radix, rectangular,
 * radix 1, monarch 992 x 1056) and inexact ones (noisy Hadamard, rank 2 of
 * a Gaussian matrix), every dtype, with and without orthonormalization.
 * --small: a short list for compute-sanitizer. */
#include "factor_crosscheck.h"

/* --small, for compute-sanitizer: every tree of a 16 x 16 chain in every
 * dtype, with and without orthonormalization, mixed radices, and rank 2
 * (the SVD path) of a Gaussian matrix. */
static void small_cases(dmf_context *gpu_ctx, dmf_context *cpu_ctx)
{
    size_t two[4] = {2, 2, 2, 2}, mm[3] = {2, 3, 4}, nn[3] = {3, 2, 5};
    for (dmf_dtype dt = DMF_F32; dt <= DMF_C128; dt++) {
        dmf_matrix *a = factor_builtin("random-chain", 16, 16, dt, NULL, NULL, 0, 0);
        factor_crosscheck("random-chain 16", gpu_ctx, cpu_ctx, a, two, two, 4, 1, dt == DMF_F64 || dt == DMF_C128, 1,
                          NULL);
        dmf_matrix_free(a);
    }
    dmf_matrix *a = factor_builtin("random-chain", 24, 30, DMF_C64, mm, nn, 3, 0);
    factor_crosscheck("mixed 24x30", gpu_ctx, cpu_ctx, a, mm, nn, 3, 1, 0, 1, NULL);
    dmf_matrix_free(a);
    a = factor_builtin("gaussian", 16, 16, DMF_F64, NULL, NULL, 0, 0);
    factor_crosscheck("gaussian 16 rank 2", gpu_ctx, cpu_ctx, a, two, two, 4, 2, 0, 0, NULL);
    dmf_matrix_free(a);
}

int main(int argc, char **argv)
{
    dmf_context *gpu_ctx = NULL, *cpu_ctx = NULL;
    if (dmf_context_create(&gpu_ctx, "cuda") != DMF_OK) {
        printf("test_cuda_factor: skipped: %s\n", dmf_last_error());
        return 77;
    }
    CHECK_OK(dmf_context_create(&cpu_ctx, "cpu"));
    if (check_small(argc, argv)) {
        small_cases(gpu_ctx, cpu_ctx);
        dmf_context_free(gpu_ctx);
        dmf_context_free(cpu_ctx);
        return check_report("test_cuda_factor");
    }
    size_t two[8] = {2, 2, 2, 2, 2, 2, 2, 2};
    for (dmf_dtype dt = DMF_F32; dt <= DMF_C128; dt++)
        for (int ortho = 0; ortho <= 1; ortho++) {
            dmf_matrix *a = factor_builtin("hadamard", 64, 64, dt, NULL, NULL, 0, 0);
            factor_crosscheck("hadamard 64", gpu_ctx, cpu_ctx, a, two, two, 6, 1, ortho, 1, NULL);
            dmf_matrix_free(a);
            a = factor_builtin("random-chain", 16, 16, dt, NULL, NULL, 0, 0);
            factor_crosscheck("random-chain 16", gpu_ctx, cpu_ctx, a, two, two, 4, 1, ortho, 1, NULL);
            dmf_matrix_free(a);
            size_t mm[3] = {2, 3, 4}, nn[3] = {3, 2, 5};
            a = factor_builtin("random-chain", 24, 30, dt, mm, nn, 3, 0);
            factor_crosscheck("mixed 24x30", gpu_ctx, cpu_ctx, a, mm, nn, 3, 1, ortho, 1, NULL);
            dmf_matrix_free(a);
            size_t m1[3] = {4, 1, 3}, n1[3] = {1, 5, 2};
            a = factor_builtin("random-chain", 12, 10, dt, m1, n1, 3, 0);
            factor_crosscheck("radix-1 12x10", gpu_ctx, cpu_ctx, a, m1, n1, 3, 1, ortho, 1, NULL);
            dmf_matrix_free(a);
            size_t mo[2] = {31, 32}, no[2] = {33, 32};
            a = factor_builtin("random-chain", 31 * 32, 33 * 32, dt, mo, no, 2, 0);
            factor_crosscheck("monarch 992x1056", gpu_ctx, cpu_ctx, a, mo, no, 2, 1, ortho, 1, NULL);
            dmf_matrix_free(a);
            a = factor_builtin("gaussian", 32, 32, dt, NULL, NULL, 0, 0);
            factor_crosscheck("gaussian 32 rank 2", gpu_ctx, cpu_ctx, a, two, two, 5, 2, ortho, 0, NULL);
            dmf_matrix_free(a);
            a = factor_builtin("hadamard", 128, 128, dt, NULL, NULL, 0, 1e-3);
            factor_crosscheck("noisy hadamard 128", gpu_ctx, cpu_ctx, a, two, two, 7, 1, ortho, 0, NULL);
            dmf_matrix_free(a);
        }
    for (dmf_dtype dt = DMF_C64; dt <= DMF_C128; dt++) {
        dmf_matrix *a = factor_builtin("dft-bitrev", 256, 256, dt, NULL, NULL, 0, 0);
        factor_crosscheck("dft-bitrev 256", gpu_ctx, cpu_ctx, a, two, two, 8, 1, 0, 1, NULL);
        dmf_matrix_free(a);
    }
    dmf_context_free(gpu_ctx);
    dmf_context_free(cpu_ctx);
    return check_report("test_cuda_factor");
}
