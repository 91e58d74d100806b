/* cuBLAS and cuSOLVER are opened at first use, not linked (see
 * src/kernels/library_loader.h): a process that never runs a ReLU pass or
 * the SVD fallback must not map them, since a linked cuBLAS costs every dmf
 * process about 220 MB at start-up.  Checked here without a GPU:
 *
 *   - with the whole CUDA table linked in (as in the dmf executable) and
 *     before any load, /proc/self/maps lists neither library;
 *   - dmf_cublas_load resolves its 6 entry points, and the one that needs
 *     no device, cublasGetStatusString(CUBLAS_STATUS_SUCCESS), answers
 *     "success" through its typed pointer; a second load returns the same
 *     table; afterwards libcublas is mapped;
 *   - dmf_cusolver_load resolves its 22 entry points;
 *   - a missing library and a missing entry point are DMF_ERR_DEVICE with a
 *     message naming the file or the entry point.
 *
 * Without the CUDA backend compiled in, the test exits 77 (skipped). */
#include <stdio.h>
#include <string.h>

#include "backend/backend.h"
#include "check.h"

#ifdef DMF_TEST_HAVE_CUDA
#include "cuda_libraries_probe.h"

/* Whether a mapped file of this process has `name` in its path. */
static int mapped(const char *name)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[4096];
    int found = 0;
    if (!f) return -1;
    while (!found && fgets(line, sizeof line, f)) found = strstr(line, name) != NULL;
    fclose(f);
    return found;
}

int main(void)
{
    int entries = 0, same = 0;
    const char *success = NULL;

    /* Refers to every CUDA kernel, so that all of them are linked here;
     * whether the table is offered (it needs a GPU) does not matter. */
    int table_status;
    (void)dmf_backend_cuda(&table_status);
    CHECK(mapped("libcublas") == 0, "libcublas is mapped before any ReLU pass: is it linked again?");
    CHECK(mapped("libcusolver") == 0, "libcusolver is mapped before any SVD: is it linked again?");

    CHECK_OK(probe_cublas(&entries, &success, &same));
    CHECK(entries == 8, "cuBLAS table has %d of 8 entry points", entries);
    CHECK(success && strcmp(success, "success") == 0, "cublasGetStatusString(SUCCESS) = '%s'",
          success ? success : "(null)");
    CHECK(same == 1, "a second dmf_cublas_load returned another table");
    CHECK(mapped("libcublas") == 1, "libcublas is not mapped after dmf_cublas_load");

    CHECK_OK(probe_cusolver(&entries));
    CHECK(entries == 22, "cuSOLVER table has %d of 22 entry points", entries);

    CHECK_STATUS(probe_absent_library("libdmf_absent.so"), DMF_ERR_DEVICE);
    CHECK(strstr(dmf_last_error(), "libdmf_absent.so") != NULL, "message: %s", dmf_last_error());
    CHECK_STATUS(probe_absent_symbol("cublasDmfAbsent"), DMF_ERR_DEVICE);
    CHECK(strstr(dmf_last_error(), "no entry point cublasDmfAbsent") != NULL, "message: %s", dmf_last_error());
    /* Not cached as loaded: the next call tries again and fails the same way. */
    CHECK_STATUS(probe_absent_symbol("cublasDmfAbsent"), DMF_ERR_DEVICE);

    return check_report("test_cuda_libraries");
}
#else
int main(void)
{
    printf("test_cuda_libraries: CUDA backend not compiled, skipped\n");
    return 77;
}
#endif
