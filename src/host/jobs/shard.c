/* Shards of a job file: --shard I/N, or the task of a Slurm job array. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "jobs/jobs.h"

/* A decimal integer >= 0 with nothing around it; -1 otherwise. */
static int parse_count(const char *text, size_t *out)
{
    if (!text || *text < '0' || *text > '9') return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || *end || v > (unsigned long long)(SIZE_MAX / 2)) return -1;
    *out = (size_t)v;
    return 0;
}

int dmf_shard_parse(const char *text, size_t *i, size_t *n)
{
    const char *slash = text ? strchr(text, '/') : NULL;
    char head[32];
    if (!slash || (size_t)(slash - text) >= sizeof head)
        return dmf_fail(DMF_ERR_ARG, "bad shard '%s' (expected I/N, e.g. 0/4)", text ? text : "");
    memcpy(head, text, (size_t)(slash - text));
    head[slash - text] = '\0';
    if (parse_count(head, i) || parse_count(slash + 1, n))
        return dmf_fail(DMF_ERR_ARG, "bad shard '%s' (expected I/N with integers 0 <= I < N)", text);
    if (*n == 0) return dmf_fail(DMF_ERR_ARG, "bad shard '%s': N must be at least 1", text);
    if (*i >= *n) return dmf_fail(DMF_ERR_ARG, "bad shard '%s': I counts from 0 and must be below N", text);
    return DMF_OK;
}

int dmf_shard_from_slurm(const char *id, const char *count, const char *min, const char *max,
                         const char *step, size_t *i, size_t *n, int *found)
{
    size_t task, lo = 0, hi = 0, stride = 1, total = 0;
    *i = 0;
    *n = 1;
    *found = id != NULL && *id;
    if (!*found) return DMF_OK;
    if (parse_count(id, &task)) return dmf_fail(DMF_ERR_ARG, "bad SLURM_ARRAY_TASK_ID '%s'", id);
    if (min && *min && parse_count(min, &lo)) return dmf_fail(DMF_ERR_ARG, "bad SLURM_ARRAY_TASK_MIN '%s'", min);
    if (step && *step && (parse_count(step, &stride) || stride == 0))
        return dmf_fail(DMF_ERR_ARG, "bad SLURM_ARRAY_TASK_STEP '%s'", step);
    if (count && *count) {
        if (parse_count(count, &total) || total == 0)
            return dmf_fail(DMF_ERR_ARG, "bad SLURM_ARRAY_TASK_COUNT '%s'", count);
    } else if (max && *max) {
        /* Slurm before 17.11 sets no COUNT. */
        if (parse_count(max, &hi) || hi < lo) return dmf_fail(DMF_ERR_ARG, "bad SLURM_ARRAY_TASK_MAX '%s'", max);
        total = (hi - lo) / stride + 1;
    } else {
        return dmf_fail(DMF_ERR_ARG, "SLURM_ARRAY_TASK_ID is set but not SLURM_ARRAY_TASK_COUNT: give --shard I/N");
    }
    if (task < lo || (task - lo) % stride)
        return dmf_fail(DMF_ERR_ARG, "SLURM_ARRAY_TASK_ID %zu is not on the array's grid (MIN %zu, STEP %zu): "
                        "give --shard I/N", task, lo, stride);
    *i = (task - lo) / stride;
    *n = total;
    if (*i >= *n)
        return dmf_fail(DMF_ERR_ARG, "SLURM_ARRAY_TASK_ID %zu gives shard %zu of %zu, outside 0..%zu (an array "
                        "with gaps, such as --array=1,5,9? give --shard I/N)", task, *i, *n, *n - 1);
    return DMF_OK;
}

uint64_t dmf_shard_hash(const char *id)
{
    uint64_t h = 0xcbf29ce484222325u; /* FNV-1a, 64 bits */
    for (const unsigned char *p = (const unsigned char *)id; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3u;
    }
    return h;
}

size_t dmf_shard_of(const char *id, size_t n)
{
    return n > 1 ? (size_t)(dmf_shard_hash(id) % (uint64_t)n) : 0;
}

size_t dmf_shard_size(const dmf_job_list *list, size_t i, size_t n)
{
    size_t count = 0;
    for (size_t j = 0; j < list->count; j++) count += dmf_shard_owns(list->jobs[j].id, i, n);
    return count;
}
