/* Minimal test harness: each test binary counts its checks and failures,
 * prints every failure with file and line, and exits 1 if any failed.  The
 * last line is "N passed, N failed" so runs can be read at a glance. */
#ifndef DMF_TEST_CHECK_H
#define DMF_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmf.h"

static int check_passed, check_failed;

#define CHECK(cond, ...)                                            \
    do {                                                            \
        if (cond) {                                                 \
            check_passed++;                                         \
        } else {                                                    \
            check_failed++;                                         \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                           \
            fprintf(stderr, "\n");                                  \
        }                                                           \
    } while (0)

/* A dmf call that must succeed; prints dmf_last_error() otherwise. */
#define CHECK_OK(call)                                                   \
    do {                                                                 \
        int check_status_ = (call);                                      \
        CHECK(check_status_ == DMF_OK, "%s -> %s (%s)", #call,           \
              dmf_status_string(check_status_), dmf_last_error());       \
    } while (0)

/* A dmf call that must fail with `status` and leave a message. */
#define CHECK_STATUS(call, status)                                            \
    do {                                                                      \
        int check_status_ = (call);                                           \
        CHECK(check_status_ == (status) && dmf_last_error()[0] != '\0',       \
              "%s -> %s, expected %s (message: '%s')", #call,                 \
              dmf_status_string(check_status_), dmf_status_string(status),    \
              dmf_last_error());                                              \
    } while (0)

/* `--small` on a GPU test's command line: its short list, for runs under
 * compute-sanitizer (memcheck, racecheck, synccheck, initcheck), which are
 * 10 to 100 times slower (scripts/gpu_check.sh). */
static inline int check_small(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--small") == 0) return 1;
    return 0;
}

static inline int check_report(const char *name)
{
    printf("%s: %d passed, %d failed\n", name, check_passed, check_failed);
    return check_failed ? 1 : 0;
}

#endif
