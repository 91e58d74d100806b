/* The memory limit: work whose memory follows from small inputs (a network
 * spec's N, a generator's sizes, a matrix size) is refused with the figure
 * before anything is allocated, instead of growing to the machine's limit. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memory.h"

/* 0: the default (DMF_MAX_MEMORY, else a fraction of physical memory). */
static _Atomic size_t user_limit;

static pthread_once_t default_once = PTHREAD_ONCE_INIT;
static size_t default_limit = SIZE_MAX;
static const char *default_source = "no limit";
static char env_error[160]; /* a bad DMF_MAX_MEMORY, "" otherwise */

int dmf_parse_memory_size(const char *text, size_t *bytes)
{
    if (!text) return dmf_fail(DMF_ERR_ARG, "no memory size given");
    const char *p = text;
    while (isspace((unsigned char)*p)) p++;
    if (!strcmp(p, "none") || !strcmp(p, "unlimited")) {
        *bytes = SIZE_MAX;
        return DMF_OK;
    }
    if (!isdigit((unsigned char)*p) && *p != '.') goto bad;
    errno = 0;
    char *end;
    double v = strtod(p, &end);
    if (errno || end == p || !isfinite(v) || v <= 0) goto bad;
    double unit = 1;
    switch (toupper((unsigned char)*end)) {
    case 'K': unit = 0x1p10; end++; break;
    case 'M': unit = 0x1p20; end++; break;
    case 'G': unit = 0x1p30; end++; break;
    case 'T': unit = 0x1p40; end++; break;
    case 'P': unit = 0x1p50; end++; break;
    default: break;
    }
    /* 8G, 8GB, 8GiB and 8g all mean 8 * 2^30; a bare B is bytes. */
    if (unit > 1 && (*end == 'i' || *end == 'I')) end++;
    if (*end == 'b' || *end == 'B') end++;
    while (isspace((unsigned char)*end)) end++;
    if (*end) goto bad;
    double b = v * unit;
    if (b < 1) goto bad;
    *bytes = b >= 0x1p64 ? SIZE_MAX : (size_t)b;
    return DMF_OK;
bad:
    return dmf_fail(DMF_ERR_ARG, "bad memory size '%s' (expected a number of bytes with an optional K, M, G or T "
                    "suffix, powers of 1024, e.g. 8G or 512M; or none)", text);
}

/* The smaller of physical memory and a cgroup (v2 or v1) limit. */
static size_t physical_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    double bytes = pages > 0 && page > 0 ? (double)pages * (double)page : 0;
    const char *files[] = {"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"};
    for (size_t k = 0; k < 2; k++) {
        FILE *f = fopen(files[k], "r");
        unsigned long long limit;
        if (!f) continue;
        if (fscanf(f, "%llu", &limit) == 1 && limit > 0 && (bytes == 0 || (double)limit < bytes))
            bytes = (double)limit;
        fclose(f);
    }
    return bytes >= 0x1p64 ? SIZE_MAX : (size_t)bytes;
}

static void find_default(void)
{
    const char *env = getenv("DMF_MAX_MEMORY");
    if (env && *env) {
        size_t bytes;
        if (dmf_parse_memory_size(env, &bytes) == DMF_OK) {
            default_limit = bytes;
            default_source = "DMF_MAX_MEMORY";
            return;
        }
        snprintf(env_error, sizeof env_error, "DMF_MAX_MEMORY='%.40s' is not a memory size (e.g. 8G, 512M or none)",
                 env);
    }
    size_t phys = physical_memory();
    if (phys > 0) {
        default_limit = phys / 4 * 3;
        default_source = "3/4 of physical memory";
    }
}

void dmf_set_memory_limit(size_t bytes) { atomic_store(&user_limit, bytes); }

size_t dmf_get_memory_limit(void)
{
    size_t set = atomic_load(&user_limit);
    if (set) return set;
    pthread_once(&default_once, find_default);
    return default_limit;
}

char *dmf_format_bytes(double bytes, char *buf, size_t size)
{
    static const char *units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"};
    size_t u = 0;
    while (bytes >= 1024 && u + 1 < sizeof units / sizeof units[0]) bytes /= 1024, u++;
    if (u == 0) snprintf(buf, size, "%.0f bytes", bytes);
    else snprintf(buf, size, bytes < 10 ? "%.1f %s" : "%.0f %s", bytes, units[u]);
    return buf;
}

int dmf_memory_check(double bytes, const char *fmt, ...)
{
    size_t limit = dmf_get_memory_limit();
    if (!atomic_load(&user_limit) && env_error[0]) return dmf_fail(DMF_ERR_ARG, "%s", env_error);
    if (limit == SIZE_MAX || bytes <= (double)limit) return DMF_OK;
    char what[256], need[32], have[32];
    va_list args;
    va_start(args, fmt);
    vsnprintf(what, sizeof what, fmt, args);
    va_end(args);
    const char *source = atomic_load(&user_limit) ? "the limit set" : default_source;
    return dmf_fail(DMF_ERR_NOMEM, "%s needs %s, more than the memory limit of %s (%s); raise it with "
                    "--max-memory SIZE, DMF_MAX_MEMORY or dmf_set_memory_limit()", what,
                    dmf_format_bytes(bytes, need, sizeof need), dmf_format_bytes((double)limit, have, sizeof have),
                    source);
}

int dmf_memory_over_limit(size_t bytes)
{
    size_t limit = dmf_get_memory_limit();
    return limit != SIZE_MAX && bytes > limit;
}
