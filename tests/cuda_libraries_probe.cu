// Calls into the loaders for test_cuda_libraries.c; none of it needs a GPU.
#include "cublas_loader.h"
#include "cuda_libraries_probe.h"
#include "cusolver_loader.h"
#include "library_loader.h"

namespace {
// Every slot of a table of function pointers that is set.
template <typename Table> int count_entries(const Table *t)
{
    void *const *slots = reinterpret_cast<void *const *>(t);
    int n = 0;
    for (size_t k = 0; k < sizeof(Table) / sizeof(void *); k++) n += slots[k] != nullptr;
    return n;
}

const char *absent_symbol;
const char *resolve_absent(void *handle)
{
    decltype(&cublasCreate) slot;
    dmf_symbols s(handle);
    s.take(&slot, absent_symbol);
    return s.missing();
}
const char *resolve_nothing(void *) { return nullptr; }
} // namespace

int probe_cublas(int *entries, const char **success, int *same)
{
    const dmf_cublas_api *api = nullptr, *again = nullptr;
    *entries = 0, *success = nullptr, *same = 0;
    DMF_TRY(dmf_cublas_load(&api));
    *entries = count_entries(api);
    if (api->status_string) *success = api->status_string(CUBLAS_STATUS_SUCCESS);
    DMF_TRY(dmf_cublas_load(&again));
    *same = again == api;
    return DMF_OK;
}

int probe_cusolver(int *entries)
{
    const dmf_cusolver_api *api = nullptr;
    *entries = 0;
    DMF_TRY(dmf_cusolver_load(&api));
    *entries = count_entries(api);
    return DMF_OK;
}

int probe_absent_library(const char *stem)
{
    static dmf_library lib = {"a library dmf does not ship", nullptr, {1, 0}, resolve_nothing};
    lib.stem = stem;
    return dmf_library_load(&lib);
}

int probe_absent_symbol(const char *name)
{
    static dmf_library lib = {"cuBLAS with an extra entry point", "libcublas.so", {CUBLAS_VER_MAJOR, 0},
                              resolve_absent};
    absent_symbol = name;
    return dmf_library_load(&lib);
}
