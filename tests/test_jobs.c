/* Batch jobs: the job file reader, shard arithmetic and the results-file
 * scanner (torn last lines, bad lines, record offsets). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "jobs/jobs.h"

static const char *arg_value(const dmf_job *job, const char *name)
{
    const dmf_job_arg *a = dmf_job_get_arg(job, name);
    return a && a->kind == DMF_JOB_VALUE ? a->value : NULL;
}

static void test_job_file(void)
{
    const char *text =
        "{\"defaults\": {\"backend\": \"cpu\", \"orthonormalize\": true, \"seed\": 3},\n"
        " \"jobs\": [\n"
        "  {\"id\": \"b\", \"command\": \"butterfly factor\", \"args\": {\"size\": 1024, \"noise\": 1e-7,\n"
        "   \"tree\": \"l2r\", \"radix-m\": [3, 4, 5], \"orthonormalize\": false, \"seed\": 9, \"step\": 0.1}},\n"
        "  {\"id\": \"a\", \"command\": \"liftrank\", \"args\": {\"network\": \"n.json\", \"outputs\": [\"10\", 2.5]}},\n"
        "  {\"id\": \"c\", \"command\": \"scatter\", \"description\": \"no args at all\"}\n"
        " ]}\n";
    dmf_job_list *list = NULL;
    CHECK_OK(dmf_jobs_parse(text, "dir/sub/jobs.json", &list));
    if (!list) return;
    CHECK(list->count == 3, "count %zu", list->count);
    CHECK(!strcmp(list->dir, "dir/sub"), "dir '%s'", list->dir);
    const dmf_job *b = &list->jobs[0], *a = &list->jobs[1], *c = &list->jobs[2];
    CHECK(!strcmp(b->id, "b") && !strcmp(b->command, "butterfly factor"), "job 0 '%s' '%s'", b->id, b->command);
    /* Numbers are written so that they read back exactly; lists joined. */
    CHECK(arg_value(b, "size") && !strcmp(arg_value(b, "size"), "1024"), "size '%s'", arg_value(b, "size"));
    CHECK(arg_value(b, "noise") && strtod(arg_value(b, "noise"), NULL) == 1e-7, "noise '%s'", arg_value(b, "noise"));
    CHECK(arg_value(b, "step") && !strcmp(arg_value(b, "step"), "0.1"), "step '%s'", arg_value(b, "step"));
    CHECK(arg_value(b, "radix-m") && !strcmp(arg_value(b, "radix-m"), "3,4,5"), "radix-m '%s'",
          arg_value(b, "radix-m"));
    CHECK(arg_value(a, "outputs") && !strcmp(arg_value(a, "outputs"), "10,2.5"), "outputs '%s'",
          arg_value(a, "outputs"));
    /* The job's own args override the defaults, a false cancels a flag. */
    CHECK(arg_value(b, "seed") && !strcmp(arg_value(b, "seed"), "9"), "seed '%s'", arg_value(b, "seed"));
    CHECK(dmf_job_get_arg(b, "orthonormalize") && dmf_job_get_arg(b, "orthonormalize")->kind == DMF_JOB_FALSE &&
              !dmf_job_get_arg(b, "orthonormalize")->from_defaults, "false overrides the default true");
    CHECK(dmf_job_get_arg(c, "orthonormalize") && dmf_job_get_arg(c, "orthonormalize")->kind == DMF_JOB_TRUE &&
              dmf_job_get_arg(c, "orthonormalize")->from_defaults, "defaults reach a job without args");
    CHECK(c->num_args == 3 && arg_value(c, "backend") && !strcmp(arg_value(c, "backend"), "cpu"), "job c: %zu args",
          c->num_args);
    CHECK(b->num_args == 8, "job b: %zu args (3 defaults, 2 overridden, 5 more)", b->num_args);
    CHECK(dmf_jobs_find(list, "a") == 1 && dmf_jobs_find(list, "b") == 0 && dmf_jobs_find(list, "c") == 2 &&
              dmf_jobs_find(list, "d") == -1 && dmf_jobs_find(list, "") == -1, "find by id");
    dmf_jobs_free(list);

    CHECK_OK(dmf_jobs_parse("{\"jobs\": []}", "jobs.json", &list));
    CHECK(list && list->count == 0 && !strcmp(list->dir, "."), "empty job list");
    if (list) CHECK(dmf_jobs_find(list, "x") == -1, "find in an empty list");
    dmf_jobs_free(list);
    CHECK_OK(dmf_jobs_parse("{\"jobs\": []}", "/jobs.json", &list));
    CHECK(list && !strcmp(list->dir, "/"), "dir of /jobs.json is '%s'", list ? list->dir : "");
    dmf_jobs_free(list);
}

/* The text must be rejected with a message that contains `want`. */
static void expect_bad(const char *text, const char *want)
{
    dmf_job_list *list = (dmf_job_list *)1;
    int status = dmf_jobs_parse(text, "bad.json", &list);
    CHECK(status == DMF_ERR_FORMAT && list == NULL && strstr(dmf_last_error(), want) &&
              strstr(dmf_last_error(), "bad.json"),
          "%s -> %s: '%s' (want '%s')", text, dmf_status_string(status), dmf_last_error(), want);
}

static void test_job_file_errors(void)
{
    expect_bad("{\"jobs\": [\n{\"id\": \"a\",, }]}", "malformed JSON at line 2");
    expect_bad("{\"jobs\": []} junk", "malformed JSON");
    expect_bad("[1, 2]", "expected an object");
    expect_bad("{\"jobs\": {}}", "\"jobs\" must be a list");
    expect_bad("{\"job\": []}", "\"jobs\" must be a list");
    expect_bad("{\"jobs\": [], \"default\": {}}", "unknown key 'default'");
    expect_bad("{\"jobs\": [], \"defaults\": []}", "\"defaults\" must be an object");
    expect_bad("{\"jobs\": [3]}", "job 0 is not an object");
    expect_bad("{\"jobs\": [{\"command\": \"fsmf\"}]}", "job 0 has no \"id\"");
    expect_bad("{\"jobs\": [{\"id\": 1, \"command\": \"fsmf\"}]}", "job 0: \"id\" must be a non-empty string");
    expect_bad("{\"jobs\": [{\"id\": \"\", \"command\": \"fsmf\"}]}", "job 0: \"id\" must be a non-empty string");
    expect_bad("{\"jobs\": [{\"id\": \"a\"}]}", "job 0 (id 'a'): \"command\" must be");
    expect_bad("{\"jobs\": [{\"id\": \"a\", \"command\": \"fsmf\", \"args\": [1]}]}", "\"args\" must be an object");
    expect_bad("{\"jobs\": [{\"id\": \"a\", \"command\": \"fsmf\", \"arg\": {}}]}", "job 0 (id 'a'): unknown key 'arg'");
    expect_bad("{\"jobs\": [{\"id\": \"a\", \"command\": \"fsmf\", \"args\": {\"size\": null}}]}",
               "'size' must be a string, a number, true/false or a list (got null)");
    expect_bad("{\"jobs\": [{\"id\": \"a\", \"command\": \"fsmf\", \"args\": {\"size\": {}}}]}", "(got an object)");
    expect_bad("{\"jobs\": [{\"id\": \"a\", \"command\": \"fsmf\", \"args\": {\"size\": []}}]}", "list of 'size' is empty");
    expect_bad("{\"jobs\": [{\"id\": \"a\", \"command\": \"fsmf\", \"args\": {\"size\": [true]}}]}",
               "may hold only strings and numbers");
    expect_bad("{\"jobs\": [{\"id\": \"a\", \"command\": \"fsmf\", \"args\": {\"--size\": 3}}]}", "without the leading --");
    expect_bad("{\"jobs\": [{\"id\": \"a\", \"command\": \"fsmf\", \"args\": {\"size\": 3, \"size\": 4}}]}",
               "option 'size' is given twice");
    expect_bad("{\"jobs\": [{\"id\": \"x\", \"command\": \"a\"}, {\"id\": \"y\", \"command\": \"a\"},"
               " {\"id\": \"z\", \"command\": \"a\"}, {\"id\": \"y\", \"command\": \"a\"}]}",
               "jobs 1 and 3 have the same id 'y'");
    expect_bad("{\"jobs\": [{\"id\": \"a\", \"command\": \"fsmf\"}, {\"id\": 2}]}", "job 1: \"id\"");

    dmf_job_list *list = NULL;
    CHECK_STATUS(dmf_jobs_read("/nonexistent/jobs.json", &list), DMF_ERR_IO);
    CHECK(strstr(dmf_last_error(), "/nonexistent/jobs.json") != NULL, "names the file: %s", dmf_last_error());
}

static void test_shards(void)
{
    size_t i = 99, n = 99;
    CHECK_OK(dmf_shard_parse("0/1", &i, &n));
    CHECK(i == 0 && n == 1, "0/1 -> %zu/%zu", i, n);
    CHECK_OK(dmf_shard_parse("12/13", &i, &n));
    CHECK(i == 12 && n == 13, "12/13 -> %zu/%zu", i, n);
    const char *bad[] = {"3/3", "1/0", "0/0", "", "x/2", "1/2/3", "+1/2", " 1/2", "-1/2", "1/", "/2", "1", "1/2 ",
                         "99999999999999999999999/2"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
        CHECK_STATUS(dmf_shard_parse(bad[k], &i, &n), DMF_ERR_ARG);
    CHECK_STATUS(dmf_shard_parse(NULL, &i, &n), DMF_ERR_ARG);

    /* FNV-1a 64 known answers (the published test vectors). */
    CHECK(dmf_shard_hash("") == 0xcbf29ce484222325u, "fnv1a64('') = %llx", (unsigned long long)dmf_shard_hash(""));
    CHECK(dmf_shard_hash("a") == 0xaf63dc4c8601ec8cu, "fnv1a64('a') = %llx", (unsigned long long)dmf_shard_hash("a"));
    CHECK(dmf_shard_hash("foobar") == 0x85944171f73967e8u, "fnv1a64('foobar') = %llx",
          (unsigned long long)dmf_shard_hash("foobar"));
    CHECK(dmf_shard_of("a", 4) == 0xaf63dc4c8601ec8cu % 4 && dmf_shard_of("a", 1) == 0 && dmf_shard_of("a", 0) == 0,
          "shard of 'a'");
}

/* A job file of `count` jobs "job-K" for K in [first, first + count), with
 * an extra job "inserted" at the top when `insert` is set. */
static dmf_job_list *numbered_jobs(size_t first, size_t count, int insert)
{
    size_t cap = 64 + 64 * count;
    char *text = malloc(cap), *p = text;
    if (!text) return NULL;
    p += sprintf(p, "{\"jobs\": [");
    if (insert) p += sprintf(p, "{\"id\": \"inserted\", \"command\": \"fsmf\"}%s", count ? ", " : "");
    for (size_t k = 0; k < count; k++)
        p += sprintf(p, "%s{\"id\": \"job-%zu\", \"command\": \"fsmf\"}", k ? ", " : "", first + k);
    sprintf(p, "]}");
    dmf_job_list *list = NULL;
    CHECK_OK(dmf_jobs_parse(text, "jobs.json", &list));
    free(text);
    return list;
}

static void test_shard_assignment(void)
{
    /* Every job is in exactly one shard, and the shard sizes add up. */
    for (size_t total = 0; total <= 12; total++)
        for (size_t shards = 1; shards <= 5; shards++) {
            dmf_job_list *list = numbered_jobs(0, total, 0);
            if (!list) return;
            size_t sum = 0;
            for (size_t s = 0; s < shards; s++) {
                size_t owned = 0;
                for (size_t j = 0; j < total; j++) {
                    size_t in = 0;
                    for (size_t t = 0; t < shards; t++) in += dmf_shard_owns(list->jobs[j].id, t, shards);
                    CHECK(in == 1, "job %zu of %zu is in %zu of %zu shards", j, total, in, shards);
                    owned += dmf_shard_owns(list->jobs[j].id, s, shards);
                }
                CHECK(owned == dmf_shard_size(list, s, shards), "total %zu, shard %zu/%zu: %zu owned, size %zu",
                      total, s, shards, owned, dmf_shard_size(list, s, shards));
                sum += owned;
            }
            CHECK(sum == total, "total %zu in %zu shards: %zu", total, shards, sum);
            dmf_jobs_free(list);
        }

    /* A job inserted at the top, or jobs removed before it, move no other
     * job to another shard (with j % N every job would move). */
    dmf_job_list *before = numbered_jobs(0, 200, 0), *after = numbered_jobs(0, 200, 1);
    dmf_job_list *fewer = numbered_jobs(50, 150, 0);
    if (before && after && fewer) {
        CHECK(after->count == 201 && !strcmp(after->jobs[0].id, "inserted"), "the inserted job is first");
        for (size_t shards = 1; shards <= 16; shards++)
            for (size_t j = 0; j < before->count; j++) {
                const char *id = before->jobs[j].id;
                CHECK(!strcmp(after->jobs[j + 1].id, id), "same job after the insert");
                size_t s = dmf_shard_of(id, shards);
                CHECK(dmf_shard_owns(after->jobs[j + 1].id, s, shards), "'%s' moved in %zu shards", id, shards);
                if (j >= 50)
                    CHECK(dmf_shard_of(fewer->jobs[j - 50].id, shards) == s, "'%s' moved in %zu shards", id,
                          shards);
            }
    }
    dmf_jobs_free(before);
    dmf_jobs_free(after);
    dmf_jobs_free(fewer);

    /* The hash spreads numbered ids evenly: 4000 jobs in 1..16 shards, each
     * shard within 25 % of its fair share. */
    dmf_job_list *many = numbered_jobs(0, 4000, 0);
    for (size_t shards = 1; many && shards <= 16; shards++)
        for (size_t s = 0; s < shards; s++) {
            double fair = 4000.0 / (double)shards, got = (double)dmf_shard_size(many, s, shards);
            CHECK(got > 0.75 * fair && got < 1.25 * fair, "shard %zu/%zu holds %.0f of 4000 jobs", s, shards, got);
        }
    dmf_jobs_free(many);
}

static void test_slurm(void)
{
    size_t i = 99, n = 99;
    int found = 9;
    CHECK_OK(dmf_shard_from_slurm(NULL, "4", NULL, NULL, NULL, &i, &n, &found));
    CHECK(!found && i == 0 && n == 1, "no task id: 0/1 (%d %zu/%zu)", found, i, n);
    CHECK_OK(dmf_shard_from_slurm("", NULL, NULL, NULL, NULL, &i, &n, &found));
    CHECK(!found, "an empty task id is none");
    CHECK_OK(dmf_shard_from_slurm("2", "4", NULL, NULL, NULL, &i, &n, &found));
    CHECK(found && i == 2 && n == 4, "2 of 4 -> %zu/%zu", i, n);
    CHECK_OK(dmf_shard_from_slurm("3", "3", "1", "3", NULL, &i, &n, &found));
    CHECK(i == 2 && n == 3, "--array=1-3, task 3 -> %zu/%zu", i, n);
    CHECK_OK(dmf_shard_from_slurm("4", "3", "0", "4", "2", &i, &n, &found));
    CHECK(i == 2 && n == 3, "--array=0-4:2, task 4 -> %zu/%zu", i, n);
    CHECK_OK(dmf_shard_from_slurm("7", NULL, "5", "9", NULL, &i, &n, &found));
    CHECK(i == 2 && n == 5, "no COUNT, MIN 5 MAX 9, task 7 -> %zu/%zu", i, n);
    CHECK_OK(dmf_shard_from_slurm("9", NULL, "1", "9", "4", &i, &n, &found));
    CHECK(i == 2 && n == 3, "no COUNT, --array=1-9:4, task 9 -> %zu/%zu", i, n);
    CHECK_STATUS(dmf_shard_from_slurm("5", "3", "0", NULL, "2", &i, &n, &found), DMF_ERR_ARG); /* off the grid */
    CHECK_STATUS(dmf_shard_from_slurm("4", "3", NULL, NULL, NULL, &i, &n, &found), DMF_ERR_ARG); /* beyond COUNT */
    CHECK_STATUS(dmf_shard_from_slurm("0", "3", "1", NULL, NULL, &i, &n, &found), DMF_ERR_ARG); /* below MIN */
    CHECK_STATUS(dmf_shard_from_slurm("1", NULL, NULL, NULL, NULL, &i, &n, &found), DMF_ERR_ARG); /* no count */
    CHECK_STATUS(dmf_shard_from_slurm("x", "3", NULL, NULL, NULL, &i, &n, &found), DMF_ERR_ARG);
    CHECK_STATUS(dmf_shard_from_slurm("1", "0", NULL, NULL, NULL, &i, &n, &found), DMF_ERR_ARG);
    CHECK_STATUS(dmf_shard_from_slurm("1", "3", "-1", NULL, NULL, &i, &n, &found), DMF_ERR_ARG);
    CHECK_STATUS(dmf_shard_from_slurm("1", "3", NULL, NULL, "0", &i, &n, &found), DMF_ERR_ARG);
    CHECK_STATUS(dmf_shard_from_slurm("1", NULL, "3", "2", NULL, &i, &n, &found), DMF_ERR_ARG); /* MAX < MIN */
}

/* Scans text and checks the ids found, valid_bytes and torn_bytes. */
static void expect_scan(const char *text, size_t size, const char *ids, size_t valid, size_t torn)
{
    dmf_results r;
    int status = dmf_results_scan(text, size, "r.jsonl", &r);
    CHECK(status == DMF_OK, "scan -> %s (%s)", dmf_status_string(status), dmf_last_error());
    if (status != DMF_OK) return;
    char got[256] = "";
    for (size_t k = 0; k < r.count; k++) {
        strcat(got, k ? "," : "");
        strncat(got, r.records[k].id, 100);
        /* offset and length point at the whole line, which holds the id. */
        CHECK(r.records[k].offset + r.records[k].length < r.size && r.text[r.records[k].offset] == '{' &&
                  r.text[r.records[k].offset + r.records[k].length] == '\n',
              "record %zu spans [%zu, +%zu)", k, r.records[k].offset, r.records[k].length);
    }
    CHECK(!strcmp(got, ids) && r.valid_bytes == valid && r.torn_bytes == torn && valid + torn == size,
          "'%.60s': ids '%s' (want '%s'), valid %zu (%zu), torn %zu (%zu)", text, got, ids, r.valid_bytes, valid,
          r.torn_bytes, torn);
    dmf_results_clear(&r);
}

static void test_results_scan(void)
{
    const char *a = "{\"id\": \"a\", \"status\": \"ok\"}\n", *b = "{\"id\": \"b\", \"status\": \"failed\"}\n";
    char text[512];
    size_t la = strlen(a), lb = strlen(b);
    expect_scan("", 0, "", 0, 0);
    snprintf(text, sizeof text, "%s%s", a, b);
    expect_scan(text, la + lb, "a,b", la + lb, 0);

    dmf_results r;
    CHECK_OK(dmf_results_scan(text, la + lb, "r.jsonl", &r));
    CHECK(r.count == 2 && r.records[0].ok == 1 && r.records[1].ok == 0, "status ok / failed");
    CHECK(r.count == 2 && r.records[1].offset == la && r.records[1].length == lb - 1, "offset of line 2");
    dmf_results_clear(&r);

    /* Torn last lines: cut mid-record, cut just before the newline (valid
     * JSON but unfinished), garbage after a newline. */
    snprintf(text, sizeof text, "%s{\"id\": \"b\", \"sta", a);
    expect_scan(text, strlen(text), "a", la, strlen(text) - la);
    snprintf(text, sizeof text, "%s%.*s", a, (int)(lb - 1), b);
    expect_scan(text, strlen(text), "a", la, lb - 1);
    snprintf(text, sizeof text, "%s{\"id\": \n", a);
    expect_scan(text, strlen(text), "a", la, strlen(text) - la);
    snprintf(text, sizeof text, "{\"id\"");
    expect_scan(text, strlen(text), "", 0, strlen(text));
    /* A NUL from a crash mid-write (a file hole) is torn too. */
    memcpy(text, a, la);
    memcpy(text + la, "{\"id\": \"b\"}\0\n", 13);
    expect_scan(text, la + 13, "a", la, 13);
    /* Blank lines are skipped. */
    snprintf(text, sizeof text, "\n%s\n%s", a, b);
    expect_scan(text, strlen(text), "a,b", strlen(text), 0);

    /* A bad line that is not the last is damage that is not ours to fix. */
    const char *bad[] = {"{\"id\": \"a\"}\nnot json\n{\"id\": \"b\"}\n", "{\"id\": \"a\"}\n{\"no\": 1}\n{\"id\": \"b\"}\n",
                         "{\"id\": \"a\"}\n{\"id\": 5}\n\n{\"id\": \"b\"}\n",
                         "{\"id\": \"a\"}\n[1]\n{\"id\": \"b\"}\n", "{\"id\": \"a\"}\n{\"id\": \"\"}\n{\"id\": \"b\"}\n"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        CHECK_STATUS(dmf_results_scan(bad[k], strlen(bad[k]), "r.jsonl", &r), DMF_ERR_FORMAT);
        CHECK(strstr(dmf_last_error(), "r.jsonl, line 2") != NULL, "names the line: %s", dmf_last_error());
        CHECK(r.text == NULL && r.records == NULL, "cleared after an error");
    }
}

static void test_results_files(void)
{
    char name[64];
    size_t i = 0, n = 0;
    CHECK_OK(dmf_results_name(name, sizeof name, 2, 13));
    CHECK(!strcmp(name, "results.2-of-13.jsonl"), "name '%s'", name);
    CHECK(dmf_results_name_parse(name, &i, &n) == 0 && i == 2 && n == 13, "parse back: %zu/%zu", i, n);
    CHECK_STATUS(dmf_results_name(name, 8, 2, 13), DMF_ERR_ARG);
    const char *not_ours[] = {"results.01-of-2.jsonl", "results.1-of-2.json", "results.1-of-2.jsonl.tmp",
                              "results.-1-of-2.jsonl", "results. 1-of-2.jsonl", "results.1-of-2.jsonlx",
                              "results.1-of-.jsonl", "results.x-of-2.jsonl", "xresults.1-of-2.jsonl", ""};
    for (size_t k = 0; k < sizeof not_ours / sizeof not_ours[0]; k++)
        CHECK(dmf_results_name_parse(not_ours[k], &i, &n) != 0, "'%s' is not a results file name", not_ours[k]);

    char path[] = "/tmp/dmf_test_jobs_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0, "mkstemp");
    if (fd < 0) return;
    const char *text = "{\"id\": \"x\", \"status\": \"ok\"}\n{\"id\": \"y\"";
    CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text), "write");
    close(fd);
    dmf_results r;
    CHECK_OK(dmf_results_read(path, &r));
    CHECK(r.count == 1 && !strcmp(r.records[0].id, "x") && r.torn_bytes == 10 && r.size == strlen(text),
          "read: %zu records, %zu torn", r.count, r.torn_bytes);
    dmf_results_clear(&r);
    unlink(path);
    CHECK_OK(dmf_results_read(path, &r));
    CHECK(r.count == 0 && r.size == 0 && r.valid_bytes == 0, "a missing results file is empty");
    dmf_results_clear(&r);
}

int main(void)
{
    test_job_file();
    test_job_file_errors();
    test_shards();
    test_shard_assignment();
    test_slurm();
    test_results_scan();
    test_results_files();
    return check_report("test_jobs");
}
