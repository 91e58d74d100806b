// CUDA libraries opened at first use instead of linked: a linked cuBLAS or
// cuSOLVER (and the cuBLASLt behind both) costs every dmf process, `dmf
// --help` and each `dmf run` job or MPI rank included, a few hundred MB
// resident and about 0.1 s before main.  Host code only.
#ifndef DMF_LIBRARY_LOADER_H
#define DMF_LIBRARY_LOADER_H

#include <dlfcn.h>

#include <mutex>

#include "error.h"

// One library: where to look, what to take from it, and whether that is
// done.  Declared once per library with static storage.
struct dmf_library {
    const char *what;   // names the library and its use in messages
    const char *stem;   // "libcublas.so"
    int versions[2];    // soname majors to try, the headers' own first; 0 when unused
    // Fills the caller's table from the open library; the name of the first
    // entry point it lacks, or nullptr.
    const char *(*resolve)(void *handle);
    std::mutex guard{};
    void *handle = nullptr;
    bool loaded = false;
};

// Opens and resolves `lib` once per process: from the toolkit the build
// used, then the loader's search path.  DMF_ERR_DEVICE naming the library
// and every reason the loader gave when it is missing or incomplete.
int dmf_library_load(dmf_library *lib);

// The same, handing out the table that lib->resolve fills (nullptr when the
// load fails).
template <typename Table> int dmf_library_load(dmf_library *lib, const Table *table, const Table **out)
{
    int status = dmf_library_load(lib);
    *out = status == DMF_OK ? table : nullptr;
    return status;
}

// Fills typed function pointers from an open library, remembering the first
// name it could not find.
class dmf_symbols {
  public:
    explicit dmf_symbols(void *handle) : handle_(handle) {}
    template <typename F> void take(F *slot, const char *name)
    {
        *slot = reinterpret_cast<F>(dlsym(handle_, name));
        if (!*slot && !missing_) missing_ = name;
    }
    const char *missing() const { return missing_; }

  private:
    void *handle_;
    const char *missing_ = nullptr;
};

// Takes the function the headers declare as `fn` into `slot`, which must
// have exactly its type (decltype(&fn)).  The name looked up is `fn` after
// macro expansion: cublas_v2.h maps cublasSgemm to cublasSgemm_v2.
#define DMF_TAKE(symbols, slot, fn) (symbols).take<decltype(&fn)>((slot), DMF_SYMBOL_NAME(fn))
#define DMF_SYMBOL_NAME(fn) DMF_SYMBOL_STRING(fn)
#define DMF_SYMBOL_STRING(fn) #fn

#endif
