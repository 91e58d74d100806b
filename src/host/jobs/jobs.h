/* Batch jobs: the job file, shards of it, and the results files that make a
 * run restartable.  Internal to dmf (the command line is the user); every
 * function returns a dmf status and leaves the details in dmf_last_error(). */
#ifndef DMF_JOBS_H
#define DMF_JOBS_H

#include <stddef.h>
#include <stdint.h>

/* ---- job file ------------------------------------------------------------ */

/* How an argument was written: a value (string, number, or a list joined
 * with commas), `true` (a flag that is given) or `false` (a flag left out). */
typedef enum { DMF_JOB_VALUE, DMF_JOB_TRUE, DMF_JOB_FALSE } dmf_job_arg_kind;

typedef struct {
    char *name;  /* option name without "--" */
    char *value; /* the text for DMF_JOB_VALUE, NULL otherwise */
    dmf_job_arg_kind kind;
    int from_defaults; /* set by "defaults", not by the job itself */
} dmf_job_arg;

typedef struct {
    char *id;
    char *command; /* e.g. "butterfly factor", not checked here */
    dmf_job_arg *args; /* "defaults" first, overridden by the job's own */
    size_t num_args;
} dmf_job;

typedef struct {
    char *path;      /* the file as given */
    char *dir;       /* its directory, where relative paths in args start */
    dmf_job *jobs;   /* in file order: jobs[j] has index j */
    size_t count;
    dmf_job **by_id; /* the jobs sorted by id, for dmf_jobs_find */
} dmf_job_list;

/* Reads {"jobs": [{"id": ..., "command": ..., "args": {...}}, ...],
 * "defaults": {...}} and checks its shape: ids unique non-empty strings,
 * commands strings, args objects of strings, numbers, booleans or lists of
 * strings and numbers.  Errors name the job's position and id. */
int dmf_jobs_read(const char *path, dmf_job_list **out);
/* The same from text in memory; `name` appears in messages. */
int dmf_jobs_parse(const char *text, const char *name, dmf_job_list **out);
void dmf_jobs_free(dmf_job_list *list);
/* The index of the job with this id, or -1. */
long dmf_jobs_find(const dmf_job_list *list, const char *id);
/* The argument `name` of a job, or NULL. */
const dmf_job_arg *dmf_job_get_arg(const dmf_job *job, const char *name);

/* The whole of a file, NUL-terminated; *text is NULL (and the status
 * DMF_OK) when the file is missing and missing_ok is set. */
int dmf_jobs_read_text(const char *path, int missing_ok, char **text, size_t *size);

/* ---- shards ------------------------------------------------------------------ */

/* Shard i of n holds the jobs whose id hashes to i: FNV-1a (64 bits) of the
 * id's bytes, modulo n.  A job keeps its shard when other jobs are added,
 * removed or moved in the job file, so a rerun of an edited file finds
 * every finished job in the results of the shard that runs it. */
int dmf_shard_parse(const char *text, size_t *i, size_t *n);
/* The shard of a Slurm array task from the texts of SLURM_ARRAY_TASK_ID,
 * _COUNT, _MIN, _MAX and _STEP (any may be NULL): i = (ID - MIN) / STEP,
 * n = COUNT (or (MAX - MIN) / STEP + 1 when COUNT is missing).  *found is 0
 * (and i = 0, n = 1) when SLURM_ARRAY_TASK_ID is not set. */
int dmf_shard_from_slurm(const char *id, const char *count, const char *min, const char *max,
                         const char *step, size_t *i, size_t *n, int *found);
/* FNV-1a 64 of the bytes of a NUL-terminated id. */
uint64_t dmf_shard_hash(const char *id);
/* The shard of n that runs the job with this id (0 when n <= 1). */
size_t dmf_shard_of(const char *id, size_t n);
static inline int dmf_shard_owns(const char *id, size_t i, size_t n) { return dmf_shard_of(id, n) == i; }
/* How many jobs of the list shard i of n holds. */
size_t dmf_shard_size(const dmf_job_list *list, size_t i, size_t n);

/* ---- results files ---------------------------------------------------------- */

typedef struct {
    char *id;
    int ok;               /* "status" is "ok" */
    size_t offset, length; /* the line in the text, without its newline */
} dmf_result_record;

typedef struct {
    char *text;           /* the whole file (NUL-terminated) */
    size_t size;
    dmf_result_record *records;
    size_t count;
    size_t valid_bytes;   /* the end of the last complete, valid line */
    size_t torn_bytes;    /* what follows it: a torn last line */
} dmf_results;

/* Scans JSON lines, each an object with a string "id".  A last line without
 * its newline or that is not such an object is torn: it is left out and
 * counted in torn_bytes.  Any other bad line is an error (naming `name` and
 * the line).  Takes a copy of text. */
int dmf_results_scan(const char *text, size_t size, const char *name, dmf_results *out);
/* Reads and scans a results file; a missing file is an empty one. */
int dmf_results_read(const char *path, dmf_results *out);
void dmf_results_clear(dmf_results *r);

/* "results.I-of-N.jsonl" into buf; a dmf status. */
int dmf_results_name(char *buf, size_t size, size_t i, size_t n);
/* Reads I and N back from such a file name (no directory); 0 when it is one. */
int dmf_results_name_parse(const char *name, size_t *i, size_t *n);

#endif
