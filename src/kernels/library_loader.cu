// Finding and opening a CUDA library at run time (see library_loader.h).
#include <stdio.h>
#include <string.h>

#include "library_loader.h"

#ifndef DMF_CUDA_LIBRARY_DIR
#define DMF_CUDA_LIBRARY_DIR ""
#endif

namespace {

// Appends "; reason" (or the reason alone) to what was tried so far.
void note_failure(char *tried, size_t size, const char *name)
{
    const char *why = dlerror();
    size_t used = strlen(tried);
    snprintf(tried + used, size - used, "%s%s", used ? "; " : "", why ? why : name);
}

// The first candidate that opens, in order: the toolkit's directory (the
// headers' soname, then the unversioned name), then each soname and the
// unversioned name on the loader's search path.
void *open_first(const dmf_library *lib, char *opened, size_t opened_size, char *tried, size_t tried_size)
{
    char names[6][512];
    int count = 0;
    if (DMF_CUDA_LIBRARY_DIR[0]) {
        if (lib->versions[0])
            snprintf(names[count++], sizeof names[0], "%s/%s.%d", DMF_CUDA_LIBRARY_DIR, lib->stem, lib->versions[0]);
        snprintf(names[count++], sizeof names[0], "%s/%s", DMF_CUDA_LIBRARY_DIR, lib->stem);
    }
    for (int v : lib->versions)
        if (v) snprintf(names[count++], sizeof names[0], "%s.%d", lib->stem, v);
    snprintf(names[count++], sizeof names[0], "%s", lib->stem);
    for (int k = 0; k < count; k++) {
        void *handle = dlopen(names[k], RTLD_NOW | RTLD_LOCAL);
        if (handle) {
            snprintf(opened, opened_size, "%s", names[k]);
            return handle;
        }
        note_failure(tried, tried_size, names[k]);
    }
    return nullptr;
}

} // namespace

int dmf_library_load(dmf_library *lib)
{
    std::lock_guard<std::mutex> lock(lib->guard);
    if (lib->loaded) return DMF_OK;
    char opened[512] = "", tried[2048] = "";
    lib->handle = open_first(lib, opened, sizeof opened, tried, sizeof tried);
    if (!lib->handle) return dmf_fail(DMF_ERR_DEVICE, "cannot load %s: %s", lib->what, tried);
    const char *missing = lib->resolve(lib->handle);
    if (missing) {
        dlclose(lib->handle);
        lib->handle = nullptr;
        return dmf_fail(DMF_ERR_DEVICE, "cannot use %s: %s has no entry point %s", lib->what, opened, missing);
    }
    lib->loaded = true;
    return DMF_OK;
}
