/* Error recording shared by host code and CUDA translation units (plain C,
 * no complex types, so nvcc's C++ front end can include it). */
#ifndef DMF_ERROR_H
#define DMF_ERROR_H

#include "dmf.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Records `status` with a printf-style message as this thread's last error
 * and returns `status`, so call sites read `return dmf_fail(...)`. */
int dmf_fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prefixes the current last-error message (e.g. with a file name). */
int dmf_fail_context(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void dmf_clear_error(void);

#define DMF_TRY(expr)                 \
    do {                              \
        int dmf_try_status_ = (expr); \
        if (dmf_try_status_ != DMF_OK) return dmf_try_status_; \
    } while (0)

#ifdef __cplusplus
}
#endif
#endif
