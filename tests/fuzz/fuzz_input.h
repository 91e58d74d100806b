/* What every dmf fuzz harness shares: the sanitizer settings and, for the
 * readers that take a path, the input written to a file in a private
 * directory (made once per process under $TMPDIR, removed at exit).
 *
 * Memory: a few bytes of spec can ask for any size ("sizes": [1e9, 1e9]).
 * dmf refuses work past its memory limit before allocating; here the limit
 * is 16 MiB (dmf_set_memory_limit), so such specs take the refusal path
 * rather than minutes of filling memory.  Allocations that no check covers
 * are capped at 128 MiB: a larger one returns NULL, as malloc does when
 * memory runs out, so the out-of-memory paths are fuzzed too and a NULL
 * that is not checked is found. */
#ifndef DMF_FUZZ_INPUT_H
#define DMF_FUZZ_INPUT_H

#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dmf.h"

const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "allocator_may_return_null=1:max_allocation_size_mb=128:detect_leaks=1";
}
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void) { return "print_stacktrace=1:halt_on_error=1"; }

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    dmf_set_memory_limit((size_t)16 << 20);
    return 0;
}

static char fuzz_dir[4096];

static void fuzz_remove_dir(void)
{
    DIR *dir = opendir(fuzz_dir);
    if (!dir) return;
    struct dirent *e;
    char path[4096 + 256 + 2];
    while ((e = readdir(dir)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(path, sizeof path, "%s/%s", fuzz_dir, e->d_name);
        unlink(path);
    }
    closedir(dir);
    rmdir(fuzz_dir);
}

/* The private directory, made on first use. */
static const char *fuzz_tmp_dir(void)
{
    if (!fuzz_dir[0]) {
        const char *base = getenv("TMPDIR");
        snprintf(fuzz_dir, sizeof fuzz_dir, "%s/dmf_fuzz_XXXXXX", base && *base ? base : "/tmp");
        if (!mkdtemp(fuzz_dir)) {
            perror("dmf fuzz: mkdtemp");
            abort();
        }
        atexit(fuzz_remove_dir);
    }
    return fuzz_dir;
}

/* fuzz_dir/name (one static buffer per call site is enough: callers copy). */
static const char *fuzz_path(const char *name, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%s", fuzz_tmp_dir(), name);
    return buf;
}

/* Writes bytes to fuzz_dir/name and returns the path (in buf). */
static const char *fuzz_write_file(const char *name, const uint8_t *data, size_t size, char *buf,
                                   size_t buf_size)
{
    const char *path = fuzz_path(name, buf, buf_size);
    /* A fresh file rather than a truncated one: ext4 flushes a file that was
     * truncated and rewritten when it is closed (auto_da_alloc), which
     * would cost a disk write per input. */
    unlink(path);
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror("dmf fuzz: cannot write the input file");
        abort();
    }
    return path;
}

/* A NUL-terminated copy of the input, for the readers that take text. */
static char *fuzz_text(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text) abort();
    if (size) memcpy(text, data, size);
    text[size] = '\0';
    return text;
}

/* A broken invariant of a reader's result: a finding like a crash. */
#define FUZZ_CHECK(cond)                                                                    \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            fprintf(stderr, "dmf fuzz: %s:%d: invariant failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                                 \
            abort();                                                                        \
        }                                                                                   \
    } while (0)

#endif
