/* dmf run: the jobs of one shard of a job file, each as a child process,
 * one result line per finished job appended to DIR/results.I-of-N.jsonl;
 * a rerun skips what any results file of DIR records as done. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_args.h"
#include "jobs_commands.h"
#include "run_child.h"

static volatile sig_atomic_t signals_seen, last_signal;
static struct timespec first_signal_at;

/* A second signal within a second of the first is the same stop request
 * arriving twice: a plain `scancel` signals every process of the job,
 * and the batch script forwards the signal to dmf as well. */
static void on_term(int sig)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    last_signal = sig;
    if (signals_seen == 0) {
        first_signal_at = now;
        signals_seen = 1;
        return;
    }
    double since = (double)(now.tv_sec - first_signal_at.tv_sec) + 1e-9 * (double)(now.tv_nsec - first_signal_at.tv_nsec);
    if (since >= 1.0 && signals_seen < 1000) signals_seen++;
}

static const char *signal_name(int sig)
{
    return sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : "a signal";
}

typedef struct {
    const char *jobs_path, *out_dir, *shard, *backend;
    int abandon, verbose, retry_failed;
    int progress; /* -1: on a terminal only; 0: off; 1: on */
    int quiet;
} run_options;

/* ---- progress on stderr ------------------------------------------------------ */

/* On a terminal one line, redrawn in place (cleared before any other
 * message and at the end); elsewhere, with --progress, one line after each
 * finished job.  Never on stdout. */
typedef struct {
    int live, lines;       /* the two ways to show it (at most one is set) */
    int drawn;             /* the live line is on the screen */
    double start, last_draw;
    size_t total, skipped, ok, failed;
    double busy_s;         /* the time of the jobs finished in this run */
    const char *running;   /* the job running now, or NULL */
    double running_since;
} progress_state;

static progress_state progress;

/* "4.2s", "42s", "3m07s", "2h05m" */
static const char *duration(double s, char buf[24])
{
    long t = s < 0 ? 0 : (long)(s + 0.5);
    if (s < 9.95) snprintf(buf, 24, "%.1fs", s < 0 ? 0.0 : s);
    else if (t < 60) snprintf(buf, 24, "%lds", t);
    else if (t < 3600) snprintf(buf, 24, "%ldm%02lds", t / 60, t % 60);
    else snprintf(buf, 24, "%ldh%02ldm", t / 3600, t / 60 % 60);
    return buf;
}

static void progress_text(char *buf, size_t cap, double now)
{
    const progress_state *p = &progress;
    size_t done = p->skipped + p->ok + p->failed, run = p->ok + p->failed, left = p->total - done;
    char elapsed[24], eta[24], running[24];
    int used = snprintf(buf, cap, "dmf run: %zu/%zu jobs done (%zu ok, %zu failed", done, p->total, p->ok, p->failed);
    if (p->skipped) used += snprintf(buf + used, cap - (size_t)used, ", %zu skipped", p->skipped);
    used += snprintf(buf + used, cap - (size_t)used, ") | elapsed %s | ETA ", duration(now - p->start, elapsed));
    if (left == 0) {
        used += snprintf(buf + used, cap - (size_t)used, "0.0s");
    } else if (run == 0) {
        used += snprintf(buf + used, cap - (size_t)used, "?"); /* no job of this run has finished yet */
    } else {
        /* The mean time of the jobs run so far, for each job left; the
         * running one counts what it has not yet had. */
        double mean = p->busy_s / (double)run, current = p->running ? now - p->running_since : 0;
        double rest = mean * (double)(left - (p->running ? 1 : 0)) + (p->running && current < mean ? mean - current : 0);
        used += snprintf(buf + used, cap - (size_t)used, "%s", duration(rest, eta));
    }
    if (p->running && used > 0 && (size_t)used < cap)
        snprintf(buf + used, cap - (size_t)used, " | running %s %s", p->running,
                 duration(now - p->running_since, running));
}

/* Removes the live line so that a message can take its place. */
static void progress_clear(void)
{
    if (progress.live && progress.drawn) {
        fputs("\r\033[K", stderr);
        progress.drawn = 0;
    }
}

static void progress_draw(void)
{
    char line[1024];
    double now = cli_now();
    if (!progress.live && !progress.lines) return;
    progress_text(line, sizeof line, now);
    if (progress.lines) {
        fprintf(stderr, "%s\n", line);
        return;
    }
    /* Cut to the terminal's width: a wrapped line cannot be redrawn in place. */
    struct winsize ws;
    size_t width = ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10 ? ws.ws_col : 80;
    if (strlen(line) >= width) line[width - 1] = '\0';
    fprintf(stderr, "\r\033[K%s", line);
    progress.drawn = 1;
    progress.last_draw = now;
}

/* Called while a job runs (every 200 ms at most): the clock moves on. */
static void progress_tick(void *data)
{
    (void)data;
    if (progress.live && cli_now() - progress.last_draw >= 1.0) progress_draw();
}

/* Before the job's own stderr is copied to ours (--verbose). */
static void progress_before_echo(void *data)
{
    (void)data;
    progress_clear();
}

static int parse(int argc, char **argv, run_options *o)
{
    cli_args args;
    int code = cli_parse_args("run", argc, argv, &args);
    if (code == CLI_HELP_SHOWN) {
        fputs("\nCommands and their options (\"network\" is the NETWORK.json argument):\n", stdout);
        jobs_print_commands(stdout);
        fputc('\n', stdout);
        return -1;
    }
    if (code != EXIT_OK) return code;
    o->jobs_path = cli_get(&args, "jobs");
    o->out_dir = cli_get(&args, "out");
    o->shard = cli_get(&args, "shard");
    o->backend = cli_get(&args, "backend");
    o->abandon = !strcmp(cli_get(&args, "on-term"), "abandon");
    o->verbose = cli_verbose; /* --verbose is every command's (main.c) */
    o->retry_failed = cli_given(&args, "retry-failed");
    if (cli_given(&args, "progress")) o->progress = 1;
    if (cli_given(&args, "no-progress")) o->progress = 0;
    o->quiet = cli_given(&args, "quiet");
    return EXIT_OK;
}

static int pick_shard(const run_options *o, size_t *i, size_t *n)
{
    if (o->shard) {
        if (dmf_shard_parse(o->shard, i, n) != DMF_OK) return cli_usage_error("run", "--shard: %s", dmf_last_error());
        return EXIT_OK;
    }
    int found;
    if (dmf_shard_from_slurm(getenv("SLURM_ARRAY_TASK_ID"), getenv("SLURM_ARRAY_TASK_COUNT"),
                             getenv("SLURM_ARRAY_TASK_MIN"), getenv("SLURM_ARRAY_TASK_MAX"),
                             getenv("SLURM_ARRAY_TASK_STEP"), i, n, &found) != DMF_OK)
        return cli_usage_error("run", "%s", dmf_last_error());
    return EXIT_OK;
}

/* mkdir -p: every missing directory of `dir`; a dmf status (message printed). */
static int make_dirs(const char *dir)
{
    char path[4096];
    if (strlen(dir) >= sizeof path) {
        fprintf(stderr, "dmf run: --out '%s' is too long\n", dir);
        return DMF_ERR_ARG;
    }
    strcpy(path, dir);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/' || p[-1] == '/') continue;
        *p = '\0';
        int status = cli_make_dir(path);
        *p = '/';
        if (status != DMF_OK) return status;
    }
    return cli_make_dir(path);
}

/* The result field: the child's JSON line, a list of them, or NULL. */
static char *result_text(const char *out)
{
    size_t lines = 0, len = strlen(out);
    char *list = malloc(len + 3), *p = list;
    if (!list) return NULL;
    *p++ = '[';
    for (const char *line = out; *line;) {
        const char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) : strlen(line);
        char *copy = malloc(n + 1);
        if (!copy) break;
        memcpy(copy, line, n);
        copy[n] = '\0';
        cJSON *obj = cJSON_ParseWithOpts(copy, NULL, 1);
        if (cJSON_IsObject(obj)) {
            if (lines++) *p++ = ',';
            memcpy(p, copy, n);
            p += n;
        }
        cJSON_Delete(obj);
        free(copy);
        line += n + (nl ? 1 : 0);
    }
    *p++ = ']';
    *p = '\0';
    if (lines == 1) {
        memmove(list, list + 1, (size_t)(p - list) - 2);
        list[p - list - 2] = '\0';
    }
    if (lines == 0) {
        free(list);
        return NULL;
    }
    return list;
}

/* The end of stderr worth keeping: from a line start, without the final
 * newline, not starting inside a UTF-8 sequence. */
static const char *error_tail(const child_result *res)
{
    const char *s = res->err;
    if (res->err_len >= 4096) {
        const char *nl = strchr(s, '\n');
        if (nl && nl[1]) s = nl + 1;
        while ((unsigned char)*s >= 0x80 && (unsigned char)*s < 0xC0) s++;
    }
    char *end = res->err + res->err_len;
    while (end > s && (end[-1] == '\n' || end[-1] == '\r')) *--end = '\0';
    return s;
}

/* One record line, newline-terminated; NULL when out of memory. */
static char *make_record(const dmf_job *job, size_t index, char **argv, const child_result *res)
{
    cJSON *rec = cJSON_CreateObject();
    char *result = result_text(res->out), *line = NULL;
    int ok = res->exit_code == 0;
    if (!rec) goto done;
    cJSON_AddStringToObject(rec, "id", job->id);
    cJSON_AddNumberToObject(rec, "index", (double)index);
    cJSON_AddStringToObject(rec, "command", job->command);
    cJSON_AddNumberToObject(rec, "exit_code", res->exit_code);
    cJSON_AddStringToObject(rec, "status", ok ? "ok" : "failed");
    cJSON_AddNumberToObject(rec, "time_s", floor(res->time_s * 1e6 + 0.5) / 1e6);
    if (result) cJSON_AddRawToObject(rec, "result", result);
    else cJSON_AddNullToObject(rec, "result");
    if (ok) {
        cJSON_AddNullToObject(rec, "error");
    } else if (res->signal) {
        /* The signal first, then what the job said before it died (a
         * sanitizer's report, an assertion). */
        const char *said = res->err_len ? error_tail(res) : "";
        const char *name = strsignal(res->signal);
        size_t cap = strlen(said) + 128;
        char short_text[128], *text = malloc(cap);
        if (!text) said = "", text = short_text, cap = sizeof short_text;
        snprintf(text, cap, "killed by signal %d (%s)%s%s", res->signal, name ? name : "unknown signal",
                 said[0] ? ": " : "", said);
        cJSON_AddStringToObject(rec, "error", text);
        if (text != short_text) free(text);
    } else {
        cJSON_AddStringToObject(rec, "error", error_tail(res));
    }
    cJSON *list = cJSON_AddArrayToObject(rec, "argv");
    for (size_t k = 1; list && argv[k]; k++) cJSON_AddItemToArray(list, cJSON_CreateString(argv[k]));
    char *text = cJSON_PrintUnformatted(rec);
    if (text) {
        size_t n = strlen(text);
        line = malloc(n + 2);
        if (line) {
            memcpy(line, text, n);
            line[n] = '\n';
            line[n + 1] = '\0';
        }
        cJSON_free(text);
    }
done:
    cJSON_Delete(rec);
    free(result);
    return line;
}

/* Appends one record with a single write() and makes it durable; on a short
 * write, cuts the file back so that no partial record stays. */
static int append_record(int fd, const char *path, const char *line)
{
    size_t n = strlen(line);
    off_t before = lseek(fd, 0, SEEK_END);
    ssize_t w;
    do w = write(fd, line, n);
    while (w < 0 && errno == EINTR);
    if (w != (ssize_t)n) {
        fprintf(stderr, "dmf run: cannot append to '%s': %s\n", path, w < 0 ? strerror(errno) : "short write");
        if (before >= 0 && ftruncate(fd, before) != 0) {}
        return EXIT_BAD_INPUT;
    }
    if (fsync(fd) != 0 && errno != EINVAL) {
        fprintf(stderr, "dmf run: cannot sync '%s': %s\n", path, strerror(errno));
        return EXIT_BAD_INPUT;
    }
    return EXIT_OK;
}

/* Counts the records of `res` (read from `name`) into done[]: a job of this
 * shard is finished when any results file of the folder records it ok (a
 * rerun with another shard count, or of an edited job file, redoes nothing)
 * or when this shard's own file records it failed (failed jobs are not
 * retried).  A record made with other arguments than the job file now gives
 * is counted in *changed.  Returns how many records name no job of the file. */
static size_t count_records(const dmf_results *res, int own, const dmf_job_list *list, char ***job_argv,
                            size_t si, size_t sn, unsigned char *done, size_t *changed, const char **first_changed)
{
    size_t strangers = 0;
    for (size_t k = 0; k < res->count; k++) {
        const dmf_result_record *rec = &res->records[k];
        long j = dmf_jobs_find(list, rec->id);
        if (j < 0) {
            strangers++;
        } else if (!dmf_shard_owns(rec->id, si, sn)) {
            /* Another shard's job: that shard's run reads this record. */
        } else if (!jobs_record_matches(res->text + rec->offset, rec->length, job_argv[j])) {
            if (!(*changed)++) *first_changed = list->jobs[j].id;
        } else if (rec->ok) {
            done[j] = 1;
        } else if (own && !done[j]) {
            done[j] = 2;
        }
    }
    return strangers;
}

/* Reads the results files of DIR other than this shard's own (`own_name`),
 * whatever their shard count, into done[]; a torn last line there is
 * ignored (its run may be writing it now).  *files counts them. */
static int read_other_results(const char *dir, const char *own_name, const dmf_job_list *list, char ***job_argv,
                              size_t si, size_t sn, unsigned char *done, size_t *files, size_t *changed,
                              const char **first_changed)
{
    *files = 0;
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "dmf run: cannot read directory '%s': %s\n", dir, strerror(errno));
        return EXIT_BAD_INPUT;
    }
    int code = EXIT_OK;
    const struct dirent *e;
    while (code == EXIT_OK && (e = readdir(d))) {
        size_t i, n;
        if (dmf_results_name_parse(e->d_name, &i, &n) != 0 || !strcmp(e->d_name, own_name)) continue;
        char path[4096];
        dmf_results res;
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= sizeof path) continue;
        if (dmf_results_read(path, &res) != DMF_OK) {
            fprintf(stderr, "dmf run: %s\n", dmf_last_error());
            code = EXIT_BAD_INPUT;
            break;
        }
        (*files)++;
        count_records(&res, 0, list, job_argv, si, sn, done, changed, first_changed);
        dmf_results_clear(&res);
    }
    closedir(d);
    return code;
}

/* Opens and locks this shard's results file, cuts away a torn last line and
 * reads what is finished, from it and from every other results file of the
 * folder.  done[j] is 1 (recorded ok) or 2 (recorded failed) when job j of
 * this shard need not run. */
static int open_results(const char *dir, const char *name, const char *path, const dmf_job_list *list,
                        char ***job_argv, size_t si, size_t sn, int *fd_out, unsigned char *done, size_t *others)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) {
        fprintf(stderr, "dmf run: cannot open '%s': %s\n", path, strerror(errno));
        return EXIT_BAD_INPUT;
    }
    /* Two runs of one shard at once would both run the same jobs. */
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK) {
            fprintf(stderr, "dmf run: '%s' is in use by another dmf run of the same shard\n", path);
            close(fd);
            return EXIT_BAD_INPUT;
        }
        fprintf(stderr, "dmf run: warning: cannot lock '%s' (%s); make sure no other run uses this shard\n", path,
                strerror(errno));
    }
    dmf_results res;
    if (dmf_results_read(path, &res) != DMF_OK) {
        fprintf(stderr, "dmf run: %s\n", dmf_last_error());
        close(fd);
        return EXIT_BAD_INPUT;
    }
    if (res.torn_bytes) {
        if (ftruncate(fd, (off_t)res.valid_bytes) != 0 || fsync(fd) != 0) {
            fprintf(stderr, "dmf run: cannot remove the torn last line of '%s': %s\n", path, strerror(errno));
            dmf_results_clear(&res);
            close(fd);
            return EXIT_BAD_INPUT;
        }
        fprintf(stderr, "dmf run: %s: removed a torn last line (%zu bytes) left by an interrupted run\n", path,
                res.torn_bytes);
    }
    size_t changed = 0;
    const char *first_changed = NULL;
    size_t strangers = count_records(&res, 1, list, job_argv, si, sn, done, &changed, &first_changed);
    dmf_results_clear(&res);
    int code = read_other_results(dir, name, list, job_argv, si, sn, done, others, &changed, &first_changed);
    if (code == EXIT_OK && changed) {
        /* Skipping them would pass old results off as the edited jobs'. */
        fprintf(stderr, "dmf run: %s holds %zu record(s) of jobs of this shard run with other arguments than %s "
                        "gives them now (first: '%s'; see the records' \"argv\"): use another --out, or delete "
                        "those records to redo them\n", dir, changed, list->path, first_changed);
        code = EXIT_BAD_INPUT;
    }
    if (code != EXIT_OK) {
        close(fd);
        return code;
    }
    if (strangers)
        fprintf(stderr, "dmf run: warning: %s holds %zu record(s) of ids that are not jobs of %s (left as they "
                        "are)\n", path, strangers, list->path);
    *fd_out = fd;
    return EXIT_OK;
}

typedef struct {
    const dmf_job *job;
    int abandon;
} term_notice;

static void say_signal(void *data)
{
    const term_notice *t = data;
    progress_clear();
    if (signals_seen >= (t->abandon ? 1 : 2))
        fprintf(stderr, "dmf run: %s: abandoning job '%s' (no record; the next run redoes it)\n",
                signal_name(last_signal), t->job->id);
    else
        fprintf(stderr, "dmf run: %s: letting job '%s' finish, then stopping (a later second signal abandons it)\n",
                signal_name(last_signal), t->job->id);
}

/* The line of a failed job's stderr that says why: the last non-empty one
 * that is not a "(see 'dmf ... --help')" hint. */
static const char *failure_reason(const char *tail, int *len)
{
    const char *best = tail, *line = tail;
    int best_len = 0;
    while (*line) {
        const char *end = strchr(line, '\n');
        int n = end ? (int)(end - line) : (int)strlen(line);
        if (n > 0 && strncmp(line, "(see", 4) != 0) best = line, best_len = n;
        if (!end) break;
        line = end + 1;
    }
    *len = best_len;
    return best;
}

static void print_summary(size_t si, size_t sn, size_t jobs, size_t skipped, size_t ok, size_t failed,
                          size_t previously_failed, int interrupted, const char *path)
{
    printf("{\"command\": \"run\", \"shard\": [%zu, %zu], \"jobs\": %zu, \"skipped\": %zu, \"ok\": %zu, "
           "\"failed\": %zu, \"previously_failed\": %zu, \"remaining\": %zu, \"interrupted\": %s, \"results\": ",
           si, sn, jobs, skipped, ok, failed, previously_failed, jobs - skipped - ok - failed,
           interrupted ? "true" : "false");
    json_write_string(stdout, path);
    fputs("}\n", stdout);
    fflush(stdout);
}

int cmd_run(int argc, char **argv)
{
    run_options o = {0};
    o.progress = -1;
    int code = parse(argc, argv, &o);
    if (code) return code < 0 ? EXIT_OK : code;
    size_t si, sn;
    if ((code = pick_shard(&o, &si, &sn)) != EXIT_OK) return code;
    dmf_job_list *list = NULL;
    if (dmf_jobs_read(o.jobs_path, &list) != DMF_OK) {
        fprintf(stderr, "dmf run: %s\n", dmf_last_error());
        return EXIT_BAD_INPUT;
    }
    /* Every job is checked, not only this shard's: all shards fail alike. */
    char ***job_argv = calloc(list->count + 1, sizeof *job_argv);
    unsigned char *done = calloc(list->count + 1, 1);
    char path[4096], name[64];
    int fd = -1;
    if (!job_argv || !done) {
        fprintf(stderr, "dmf run: out of memory\n");
        code = EXIT_BAD_INPUT;
    }
    /* Every problem of the file at once (up to a few), not one per rerun. */
    if (code == EXIT_OK) code = jobs_check_all(list, "run");
    for (size_t j = 0; code == EXIT_OK && j < list->count; j++)
        code = jobs_build_argv(&list->jobs[j], j, o.backend, list->path, &job_argv[j]);
    if (code == EXIT_OK) {
        dmf_results_name(name, sizeof name, si, sn);
        if ((size_t)snprintf(path, sizeof path, "%s/%s", o.out_dir, name) >= sizeof path) {
            fprintf(stderr, "dmf run: --out '%s' is too long\n", o.out_dir);
            code = EXIT_BAD_INPUT;
        } else if (make_dirs(o.out_dir) != DMF_OK) {
            code = EXIT_BAD_INPUT;
        }
    }
    size_t others = 0;
    if (code == EXIT_OK) code = open_results(o.out_dir, name, path, list, job_argv, si, sn, &fd, done, &others);
    if (code != EXIT_OK) goto finish;

    size_t in_shard = dmf_shard_size(list, si, sn), skipped = 0, previously_failed = 0, retrying = 0;
    for (size_t j = 0; j < list->count; j++) {
        if (!dmf_shard_owns(list->jobs[j].id, si, sn)) continue;
        if (o.retry_failed && done[j] == 2) done[j] = 0, retrying++;
        skipped += done[j] != 0;
        previously_failed += done[j] == 2;
    }
    if (!o.quiet) {
        fprintf(stderr, "dmf run: %s, shard %zu/%zu: %zu job(s), %zu already recorded in %s", list->path, si, sn,
                in_shard, skipped, path);
        if (others) fprintf(stderr, " or the %zu other results file(s) of %s", others, o.out_dir);
        if (o.retry_failed) fprintf(stderr, "; retrying %zu recorded failed", retrying);
        fputc('\n', stderr);
    }
    /* A terminal gets the live line unless --quiet or --no-progress; a log
     * gets a line per job with --progress only. */
    const char *term = getenv("TERM");
    int terminal = isatty(STDERR_FILENO) && !(term && !strcmp(term, "dumb"));
    int show = o.progress > 0 || (o.progress < 0 && terminal && !o.quiet);
    progress.live = show && terminal;
    progress.lines = show && !terminal;
    progress.start = cli_now();
    progress.total = in_shard;
    progress.skipped = skipped;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    size_t ok = 0, failed = 0, position = skipped;
    for (size_t j = 0; j < list->count && code == EXIT_OK && !signals_seen; j++) {
        if (done[j] || !dmf_shard_owns(list->jobs[j].id, si, sn)) continue;
        const dmf_job *job = &list->jobs[j];
        term_notice notice = {job, o.abandon};
        child_watch watch = {.signals = &signals_seen,
                             .abandon_at = o.abandon ? 1 : 2,
                             .echo_stderr = o.verbose,
                             .on_signal = say_signal,
                             .data = &notice,
                             .on_tick = progress.live ? progress_tick : NULL,
                             .before_echo = progress.live ? progress_before_echo : NULL};
        child_result res;
        progress.running = job->id;
        progress.running_since = cli_now();
        if (progress.live) progress_draw(); /* a log gets a line per finished job only */
        if (child_run(job_argv[j], list->dir, &watch, &res) != 0) {
            child_result_clear(&res);
            code = EXIT_BAD_INPUT;
            break;
        }
        progress.running = NULL;
        progress_clear();
        if (res.abandoned) {
            child_result_clear(&res);
            break;
        }
        if (res.signal && signals_seen) {
            /* A signal that reached the job although it ignores SIGTERM and
             * SIGINT came while we were stopping, most likely to every
             * process of the run: not the job's own failure, so it stays
             * unfinished rather than recorded as failed. */
            fprintf(stderr, "dmf run: job '%s' was killed by signal %d while stopping; it will be redone\n",
                    job->id, res.signal);
            child_result_clear(&res);
            break;
        }
        char *line = make_record(job, j, job_argv[j], &res);
        if (!line) {
            fprintf(stderr, "dmf run: out of memory\n");
            code = EXIT_BAD_INPUT;
        } else {
            code = append_record(fd, path, line);
        }
        free(line);
        if (code == EXIT_OK) {
            position++;
            progress.busy_s += res.time_s;
            if (res.exit_code == 0) {
                ok++;
                progress.ok++;
                if (!o.quiet) fprintf(stderr, "[%zu/%zu] %s ok %.2f s\n", position, in_shard, job->id, res.time_s);
            } else {
                failed++;
                progress.failed++;
                int len;
                const char *why = failure_reason(error_tail(&res), &len);
                if (!o.quiet)
                    fprintf(stderr, "[%zu/%zu] %s failed (exit %d) %.2f s: %.*s\n", position, in_shard, job->id,
                            res.exit_code, res.time_s, len, why);
            }
            progress_draw();
        }
        child_result_clear(&res);
    }
    progress_clear();
    if (code == EXIT_OK) {
        size_t remaining = in_shard - skipped - ok - failed;
        int interrupted = remaining > 0;
        if (interrupted)
            fprintf(stderr, "dmf run: stopped by %s with %zu job(s) of the shard not run; the same command goes on "
                            "where this run stopped\n", signal_name(last_signal), remaining);
        if (!o.quiet)
            fprintf(stderr, "dmf run: %zu ok, %zu failed, %zu skipped (%zu of them failed before), %zu remaining "
                            "in %s\n", ok, failed, skipped, previously_failed, remaining,
                    duration(cli_now() - progress.start, (char[24]){0}));
        print_summary(si, sn, in_shard, skipped, ok, failed, previously_failed, interrupted, path);
        code = interrupted ? EXIT_INTERRUPTED : failed + previously_failed ? EXIT_JOB_FAILED : EXIT_OK;
    }
finish:
    if (fd >= 0) close(fd);
    for (size_t j = 0; job_argv && j < list->count; j++) jobs_free_argv(job_argv[j]);
    free(job_argv);
    free(done);
    dmf_jobs_free(list);
    return code;
}
