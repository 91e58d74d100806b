/* The run-time loading of cuBLAS and cuSOLVER (src/kernels/library_loader.h)
 * seen from C, for test_cuda_libraries.c.  Each returns a dmf status and
 * leaves dmf_last_error() as the loader left it. */
#ifndef DMF_TEST_CUDA_LIBRARIES_PROBE_H
#define DMF_TEST_CUDA_LIBRARIES_PROBE_H

#ifdef __cplusplus
extern "C" {
#endif

/* dmf_cublas_load; *entries counts the non-null entry points of its table,
 * *success is its cublasGetStatusString(CUBLAS_STATUS_SUCCESS), and *same
 * is 1 when a second load returns the same table. */
int probe_cublas(int *entries, const char **success, int *same);
/* dmf_cusolver_load; *entries counts the non-null entry points. */
int probe_cusolver(int *entries);
/* A library that does not exist, under the given file name. */
int probe_absent_library(const char *stem);
/* cuBLAS, asked for an entry point it does not have. */
int probe_absent_symbol(const char *name);

#ifdef __cplusplus
}
#endif
#endif
