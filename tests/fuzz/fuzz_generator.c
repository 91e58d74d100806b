/* libFuzzer harness: the generator-spec reader (dmf_generator_read), on the
 * input as a file.  Beside it lie weight files a spec can name: w1.npy
 * (3 x 2), w2.npy and w2.mtx (4 x 3), w3.npy (3 x 3, f32). */
#include "fuzz_input.h"

static void write_weights(const char *name, dmf_dtype dtype, size_t rows, size_t cols)
{
    char buf[4200];
    dmf_matrix *w = NULL;
    if (dmf_matrix_create(&w, dtype, rows, cols) != DMF_OK) abort();
    size_t n = rows * cols;
    for (size_t k = 0; k < n; k++) {
        double v = (double)k / (double)n - 0.4;
        if (dtype == DMF_F32) ((float *)dmf_matrix_data(w))[k] = (float)v;
        else ((double *)dmf_matrix_data(w))[k] = v;
    }
    const char *path = fuzz_path(name, buf, sizeof buf);
    size_t len = strlen(name);
    int status = len > 4 && !strcmp(name + len - 4, ".mtx") ? dmf_mtx_write_array(path, w)
                                                            : dmf_npy_write(path, w);
    if (status != DMF_OK) abort();
    dmf_matrix_free(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        write_weights("w1.npy", DMF_F64, 3, 2);
        write_weights("w2.npy", DMF_F64, 4, 3);
        write_weights("w2.mtx", DMF_F64, 4, 3);
        write_weights("w3.npy", DMF_F32, 3, 3);
        ready = 1;
    }
    char buf[4200];
    const char *path = fuzz_write_file("generator.json", data, size, buf, sizeof buf);
    for (size_t networks = 1; networks <= 2; networks++) {
        dmf_generator *gen = NULL;
        int status = dmf_generator_read_networks(path, networks, &gen);
        if (status == DMF_OK) {
            FUZZ_CHECK(gen && dmf_generator_networks(gen) == networks);
            FUZZ_CHECK(dmf_generator_depth(gen) >= 1);
            FUZZ_CHECK(dmf_generator_input_size(gen) >= 1 && dmf_generator_output_size(gen) >= 1);
        } else {
            FUZZ_CHECK(!gen && dmf_last_error()[0]);
        }
        dmf_generator_free(gen);
        if (status != DMF_OK) break;
    }
    return 0;
}
