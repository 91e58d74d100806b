/* What every dmf benchmark program shares: a monotonic clock and the
 * environment header line that precedes its measurements. */
#ifndef DMF_BENCH_ENV_H
#define DMF_BENCH_ENV_H

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dmf.h"

static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* {"env": {...}}: dmf version, compiler, BLAS, CPU model, threads, backend, date. */
static inline void bench_print_env(const char *backend)
{
    dmf_build_info build;
    dmf_get_build_info(&build);
    char cpu[256] = "unknown", line[512], date[32];
    FILE *f = fopen("/proc/cpuinfo", "r");
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
            snprintf(cpu, sizeof cpu, "%s", strchr(line, ':') + 2);
            cpu[strcspn(cpu, "\n")] = '\0';
            break;
        }
    if (f) fclose(f);
    time_t wall = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime(&wall));
    printf("{\"env\": {\"tool\": \"dmf\", \"version\": \"%s\", \"compiler\": \"%s\", \"blas\": \"%s\", "
           "\"cpu\": \"%s\", \"threads\": %d, \"backend\": \"%s\", \"date\": \"%s\"}}\n",
           build.version, build.compiler, build.blas, cpu, build.openmp_threads, backend, date);
}

#endif
