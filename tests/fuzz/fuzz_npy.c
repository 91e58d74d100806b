/* libFuzzer harness: the .npy reader (dmf_npy_read and the N-d form that
 * chain folders use), on the input as a file. */
#include "fuzz_input.h"
#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char buf[4200];
    const char *path = fuzz_write_file("input.npy", data, size, buf, sizeof buf);
    dmf_matrix *mat = NULL;
    if (dmf_npy_read(path, &mat) == DMF_OK) {
        FUZZ_CHECK(mat && dmf_matrix_rows(mat) >= 1 && dmf_matrix_cols(mat) >= 1);
        (void)dmf_matrix_check_finite(mat);
        (void)dmf_matrix_norm_fro(mat);
    } else {
        FUZZ_CHECK(!mat && dmf_last_error()[0]);
    }
    dmf_matrix_free(mat);

    size_t shape[DMF_NPY_MAX_DIMS];
    int ndim = -1;
    mat = NULL;
    if (dmf_npy_read_nd(path, &mat, shape, &ndim) == DMF_OK) {
        FUZZ_CHECK(ndim >= 0 && ndim <= DMF_NPY_MAX_DIMS);
        size_t count = 1;
        for (int k = 0; k < ndim; k++) count *= shape[k];
        FUZZ_CHECK(count == dmf_matrix_rows(mat) * dmf_matrix_cols(mat));
    }
    dmf_matrix_free(mat);
    return 0;
}
