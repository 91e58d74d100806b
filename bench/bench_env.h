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

/* The CPU model from /proc/cpuinfo ("unknown" elsewhere). */
static inline void bench_cpu_model(char *cpu, size_t size)
{
    char line[512];
    snprintf(cpu, size, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
            snprintf(cpu, size, "%s", strchr(line, ':') + 2);
            cpu[strcspn(cpu, "\n")] = '\0';
            break;
        }
    if (f) fclose(f);
}

/* The 1, 5 and 15 minute load averages from /proc/loadavg (-1 elsewhere). */
static inline void bench_load_avg(double load[3])
{
    load[0] = load[1] = load[2] = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3) load[0] = load[1] = load[2] = -1;
        fclose(f);
    }
}

/* The fields every measurement line ends with, read at the moment it is
 * printed: "cpu": ..., "threads": T, "load_avg": [1 min, 5 min, 15 min]
 * (no leading comma, no closing brace). */
static inline void bench_print_machine_fields(void)
{
    dmf_build_info build;
    dmf_get_build_info(&build);
    char cpu[256];
    double load[3];
    bench_cpu_model(cpu, sizeof cpu);
    bench_load_avg(load);
    printf("\"cpu\": \"%s\", \"threads\": %d, \"load_avg\": [%.2f, %.2f, %.2f]", cpu, build.openmp_threads,
           load[0], load[1], load[2]);
}

/* {"env": {...}}: dmf version, compiler, BLAS, CPU model, threads, backend, date. */
static inline void bench_print_env(const char *backend)
{
    dmf_build_info build;
    dmf_get_build_info(&build);
    char cpu[256], date[32];
    bench_cpu_model(cpu, sizeof cpu);
    time_t wall = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime(&wall));
    printf("{\"env\": {\"tool\": \"dmf\", \"version\": \"%s\", \"compiler\": \"%s\", \"blas\": \"%s\", "
           "\"cpu\": \"%s\", \"threads\": %d, \"backend\": \"%s\", \"date\": \"%s\"}}\n",
           build.version, build.compiler, build.blas, cpu, build.openmp_threads, backend, date);
}

#endif
