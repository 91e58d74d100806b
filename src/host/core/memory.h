/* The memory limit (dmf_set_memory_limit in dmf.h), for code that can tell
 * what it will need before it allocates.  Internal. */
#ifndef DMF_MEMORY_H
#define DMF_MEMORY_H

#include <stddef.h>

#include "error.h"

/* DMF_OK when `bytes` fits the memory limit; else DMF_ERR_NOMEM with
 * "WHAT needs 80 GiB, more than the memory limit of 48 GiB (...)", WHAT
 * from the printf-style format.  A double, so that the products of sizes
 * that overflow size_t are still figures.  DMF_ERR_ARG for a malformed
 * DMF_MAX_MEMORY. */
int dmf_memory_check(double bytes, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* 1 when one allocation of `bytes` exceeds the limit (no message). */
int dmf_memory_over_limit(size_t bytes);
/* "80 GiB", "512 bytes", "1.5 MiB" into buf; returns buf. */
char *dmf_format_bytes(double bytes, char *buf, size_t size);

#endif
