/* dmf merge: the records of all shards of a run, one per job in job order,
 * and the jobs that have none. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cli_args.h"
#include "jobs_commands.h"
#include "jobs/jobs.h"


typedef struct {
    char *name;
    size_t i, n;
    dmf_results res;
} shard_file;

static int compare_files(const void *a, const void *b)
{
    const shard_file *x = a, *y = b;
    if (x->n != y->n) return x->n < y->n ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* The results files of DIR, sorted by shard count, then shard; prints what
 * is wrong. */
static int list_files(const char *dir, shard_file **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "dmf merge: cannot read directory '%s': %s\n", dir, strerror(errno));
        return EXIT_BAD_INPUT;
    }
    size_t cap = 0;
    int code = EXIT_OK;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t i, n;
        if (dmf_results_name_parse(e->d_name, &i, &n) != 0) continue;
        if (*count == cap) {
            cap = cap ? 2 * cap : 16;
            shard_file *grown = realloc(*out, cap * sizeof *grown);
            if (!grown) {
                fprintf(stderr, "dmf merge: out of memory\n");
                code = EXIT_BAD_INPUT;
                break;
            }
            *out = grown;
        }
        shard_file *f = &(*out)[(*count)++];
        memset(f, 0, sizeof *f);
        f->i = i;
        f->n = n;
        f->name = malloc(strlen(e->d_name) + 1);
        if (f->name) strcpy(f->name, e->d_name);
        else code = EXIT_BAD_INPUT;
    }
    closedir(d);
    if (code != EXIT_OK) return code;
    if (*count == 0) {
        fprintf(stderr, "dmf merge: no results.I-of-N.jsonl files in '%s'\n", dir);
        return EXIT_BAD_INPUT;
    }
    qsort(*out, *count, sizeof **out, compare_files);
    for (size_t k = 0; k < *count; k++) {
        const shard_file *f = &(*out)[k];
        if (f->i >= f->n) {
            fprintf(stderr, "dmf merge: '%s': shard %zu does not exist in %zu shards\n", f->name, f->i, f->n);
            return EXIT_BAD_INPUT;
        }
    }
    return EXIT_OK;
}

static int compare_sizes(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* Names the results files that are absent although they would hold a job
 * without a record: for each shard count N among the files, the shard of
 * the job's id (dmf_shard_of, as 'dmf run' assigns them).  A shard that
 * owns no job, or whose jobs are all recorded elsewhere, is not expected. */
static void warn_missing_files(const char *dir, const dmf_job_list *list, const shard_file *files, size_t num_files,
                               const size_t *file_of)
{
    size_t *want = malloc((list->count + 1) * sizeof *want);
    if (!want) return;
    for (size_t k = 0; k < num_files; k++) {
        size_t n = files[k].n, count = 0;
        if (k > 0 && files[k - 1].n == n) continue;
        for (size_t j = 0; j < list->count; j++)
            if (file_of[j] == SIZE_MAX) want[count++] = dmf_shard_of(list->jobs[j].id, n);
        qsort(want, count, sizeof *want, compare_sizes);
        /* files[k..] are this N's, sorted by shard, like want[]. */
        size_t f = k;
        for (size_t w = 0; w < count; w++) {
            if (w > 0 && want[w] == want[w - 1]) continue;
            while (f < num_files && files[f].n == n && files[f].i < want[w]) f++;
            if (f < num_files && files[f].n == n && files[f].i == want[w]) continue;
            fprintf(stderr, "dmf merge: warning: no results.%zu-of-%zu.jsonl in %s\n", want[w], n, dir);
        }
    }
    free(want);
}

/* Writes the chosen records to `out`; 0 or -1. */
static int write_records(FILE *out, const dmf_job_list *list, const shard_file *files, const size_t *file_of,
                         const size_t *record_of)
{
    for (size_t j = 0; j < list->count; j++) {
        if (file_of[j] == SIZE_MAX) continue;
        const dmf_results *r = &files[file_of[j]].res;
        const dmf_result_record *rec = &r->records[record_of[j]];
        fwrite(r->text + rec->offset, 1, rec->length, out);
        fputc('\n', out);
    }
    return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}

/* Replaces `path` by the records, through a temporary file and rename(),
 * when it is a regular file or does not exist; writes through anything else
 * (/dev/stdout, a FIFO, a symbolic link) instead of replacing it. */
static int write_file(const char *path, const dmf_job_list *list, const shard_file *files, const size_t *file_of,
                      const size_t *record_of)
{
    struct stat st;
    if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        FILE *f = fopen(path, "wb");
        int ok = f && write_records(f, list, files, file_of, record_of) == 0;
        if (f && fclose(f) != 0) ok = 0;
        if (!ok) fprintf(stderr, "dmf merge: cannot write '%s': %s\n", path, strerror(errno));
        return ok ? EXIT_OK : EXIT_BAD_INPUT;
    }
    size_t len = strlen(path) + 32;
    char *tmp = malloc(len);
    if (!tmp) return EXIT_BAD_INPUT;
    snprintf(tmp, len, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    int ok = f && write_records(f, list, files, file_of, record_of) == 0 && fsync(fileno(f)) == 0;
    if (f && fclose(f) != 0) ok = 0;
    if (ok && rename(tmp, path) != 0) ok = 0;
    if (!ok) {
        fprintf(stderr, "dmf merge: cannot write '%s': %s\n", path, strerror(errno));
        remove(tmp);
    }
    free(tmp);
    return ok ? EXIT_OK : EXIT_BAD_INPUT;
}

/* Whether a record was run with the arguments the job file gives now. */
static int record_is_current(const dmf_job_list *list, size_t j, const char *text, size_t length)
{
    char **argv = NULL;
    if (jobs_build_argv(&list->jobs[j], j, NULL, list->path, &argv) != EXIT_OK) return 0;
    int same = jobs_record_matches(text, length, argv);
    jobs_free_argv(argv);
    return same;
}

int cmd_merge(int argc, char **argv)
{
    cli_args args;
    int parsed = cli_parse_args("merge", argc, argv, &args);
    if (parsed != EXIT_OK) return parsed == CLI_HELP_SHOWN ? EXIT_OK : parsed;
    const char *out_path = cli_get(&args, "out"), *jobs_path = cli_get(&args, "jobs"), *dir = cli_get(&args, "dir");
    dmf_job_list *list = NULL;
    if (dmf_jobs_read(jobs_path, &list) != DMF_OK) {
        fprintf(stderr, "dmf merge: %s\n", dmf_last_error());
        return EXIT_BAD_INPUT;
    }
    shard_file *files = NULL;
    size_t num_files = 0;
    size_t *file_of = malloc((list->count + 1) * sizeof *file_of);
    size_t *record_of = malloc((list->count + 1) * sizeof *record_of);
    int code = file_of && record_of ? list_files(dir, &files, &num_files) : EXIT_BAD_INPUT;
    size_t records = 0, ok = 0, duplicates = 0, strangers = 0, missing = 0, stale = 0, retried = 0;
    for (size_t j = 0; code == EXIT_OK && j < list->count; j++) file_of[j] = SIZE_MAX;
    for (size_t k = 0; code == EXIT_OK && k < num_files; k++) {
        size_t len = strlen(dir) + strlen(files[k].name) + 2;
        char *path = malloc(len);
        if (!path) {
            code = EXIT_BAD_INPUT;
            break;
        }
        snprintf(path, len, "%s/%s", dir, files[k].name);
        if (dmf_results_read(path, &files[k].res) != DMF_OK) {
            fprintf(stderr, "dmf merge: %s\n", dmf_last_error());
            code = EXIT_BAD_INPUT;
        } else if (files[k].res.torn_bytes) {
            fprintf(stderr, "dmf merge: warning: %s: ignoring a torn last line (%zu bytes); the next 'dmf run' of "
                            "that shard removes it and redoes the job\n", path, files[k].res.torn_bytes);
        }
        free(path);
        for (size_t r = 0; code == EXIT_OK && r < files[k].res.count; r++) {
            const dmf_result_record *rec = &files[k].res.records[r];
            long j = dmf_jobs_find(list, rec->id);
            if (j < 0) {
                if (!strangers++)
                    fprintf(stderr, "dmf merge: warning: %s/%s has a record of '%s', which is not a job of %s "
                                    "(left out)\n", dir, files[k].name, rec->id, jobs_path);
            } else if (!record_is_current(list, (size_t)j, files[k].res.text + rec->offset, rec->length)) {
                stale++;
                fprintf(stderr, "dmf merge: warning: %s/%s: job '%s' was run with other arguments than %s gives it "
                                "now (left out: rerun it)\n", dir, files[k].name, rec->id, jobs_path);
            } else if (file_of[j] != SIZE_MAX && rec->ok && !files[file_of[j]].res.records[record_of[j]].ok) {
                /* A failed job redone by --retry-failed or a run with another shard count. */
                retried++;
                file_of[j] = k;
                record_of[j] = r;
                ok++;
            } else if (file_of[j] == k && !rec->ok && !files[k].res.records[record_of[j]].ok) {
                /* Failed again under --retry-failed: the later record is the news. */
                record_of[j] = r;
            } else if (file_of[j] != SIZE_MAX) {
                duplicates++;
                fprintf(stderr, "dmf merge: warning: job '%s' is recorded again in %s; keeping the record in %s\n",
                        rec->id, files[k].name, files[file_of[j]].name);
            } else {
                file_of[j] = k;
                record_of[j] = r;
                records++;
                ok += rec->ok;
            }
        }
    }
    if (strangers > 1) fprintf(stderr, "dmf merge: warning: %zu records in all name no job of %s\n", strangers, jobs_path);
    if (code == EXIT_OK) {
        if (retried)
            fprintf(stderr, "dmf merge: %zu job(s) recorded failed were redone ok (by --retry-failed or a run "
                            "with another shard count); keeping the ok records\n", retried);
        missing = list->count - records;
        warn_missing_files(dir, list, files, num_files, file_of);
        if (missing) {
            fprintf(stderr, "dmf merge: %zu of %zu job(s) have no record:", missing, list->count);
            for (size_t j = 0; j < list->count; j++)
                if (file_of[j] == SIZE_MAX) fprintf(stderr, " %s", list->jobs[j].id);
            fputc('\n', stderr);
        }
        if (out_path) code = write_file(out_path, list, files, file_of, record_of);
        else if (write_records(stdout, list, files, file_of, record_of) != 0) {
            fprintf(stderr, "dmf merge: cannot write the records to stdout\n");
            code = EXIT_BAD_INPUT;
        }
    }
    if (code == EXIT_OK) {
        FILE *s = out_path ? stdout : stderr;
        fprintf(s, "{\"command\": \"merge\", \"jobs\": %zu, \"records\": %zu, \"ok\": %zu, \"failed\": %zu, "
                   "\"missing\": %zu, \"missing_ids\": [", list->count, records, ok, records - ok, missing);
        for (size_t j = 0, shown = 0; j < list->count; j++)
            if (file_of[j] == SIZE_MAX) {
                if (shown++) fputs(", ", s);
                json_write_string(s, list->jobs[j].id);
            }
        fprintf(s, "], \"duplicates\": %zu, \"files\": %zu, \"shards\": ", duplicates, num_files);
        int one_count = num_files > 0 && files[0].n == files[num_files - 1].n;
        if (one_count) fprintf(s, "%zu", files[0].n);
        else fputs("null", s);
        fputs(", \"shard_counts\": [", s);
        for (size_t k = 0; k < num_files; k++)
            if (k == 0 || files[k].n != files[k - 1].n) fprintf(s, "%s%zu", k ? ", " : "", files[k].n);
        fputs("]}\n", s);
        fflush(s);
        if (missing) code = EXIT_BAD_INPUT;
    }
    for (size_t k = 0; k < num_files; k++) {
        free(files[k].name);
        dmf_results_clear(&files[k].res);
    }
    free(files);
    free(file_of);
    free(record_of);
    dmf_jobs_free(list);
    return code;
}
