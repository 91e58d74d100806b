/* libFuzzer harness: the Matrix Market reader, on the input as a file. */
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char buf[4200];
    const char *path = fuzz_write_file("input.mtx", data, size, buf, sizeof buf);
    dmf_matrix *mat = NULL;
    if (dmf_mtx_read(path, &mat) == DMF_OK) {
        FUZZ_CHECK(mat && dmf_matrix_rows(mat) >= 1 && dmf_matrix_cols(mat) >= 1);
        (void)dmf_matrix_norm_fro(mat);
    } else {
        FUZZ_CHECK(!mat && dmf_last_error()[0]);
    }
    dmf_matrix_free(mat);
    /* The same file through the reader that picks the format by name. */
    mat = NULL;
    (void)dmf_matrix_read(path, &mat);
    dmf_matrix_free(mat);
    return 0;
}
