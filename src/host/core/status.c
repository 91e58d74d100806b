/* Status strings and the thread-local last-error message. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

static _Thread_local char last_error[1024];

const char *dmf_status_string(int status)
{
    switch (status) {
    case DMF_OK: return "success";
    case DMF_ERR_ARG: return "invalid argument";
    case DMF_ERR_SHAPE: return "incompatible shape";
    case DMF_ERR_IO: return "input/output error";
    case DMF_ERR_FORMAT: return "malformed or unsupported file";
    case DMF_ERR_NOMEM: return "out of memory";
    case DMF_ERR_NUMERIC: return "numerical failure";
    case DMF_ERR_DEVICE: return "device error";
    case DMF_ERR_NOT_COMPILED: return "not compiled into this build";
    default: return "unknown status";
    }
}

const char *dmf_last_error(void) { return last_error; }

void dmf_clear_error(void) { last_error[0] = '\0'; }

int dmf_fail(int status, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, args);
    va_end(args);
    return status;
}

int dmf_fail_context(int status, const char *fmt, ...)
{
    char previous[sizeof last_error];
    char prefix[512];
    memcpy(previous, last_error, sizeof previous);
    va_list args;
    va_start(args, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, args);
    va_end(args);
    if (previous[0])
        snprintf(last_error, sizeof last_error, "%.400s: %.600s", prefix, previous);
    else
        snprintf(last_error, sizeof last_error, "%s", prefix);
    return status;
}
