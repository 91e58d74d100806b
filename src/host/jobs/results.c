/* Results files: one JSON line per finished job, appended with one write()
 * each, so the only damage a killed run can leave is a torn last line. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "jobs/jobs.h"

/* The id of a record line, or NULL when the line is not a JSON object with a
 * string "id"; *ok says whether its "status" is "ok". */
static char *record_id(const char *line, size_t length, int *ok)
{
    char *copy = malloc(length + 1);
    if (!copy) return NULL;
    memcpy(copy, line, length);
    copy[length] = '\0';
    cJSON *rec = cJSON_ParseWithOpts(copy, NULL, 1);
    free(copy);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(rec, "id");
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(rec, "status");
    char *out = NULL;
    if (cJSON_IsObject(rec) && cJSON_IsString(id) && id->valuestring[0]) {
        size_t n = strlen(id->valuestring);
        out = malloc(n + 1);
        if (out) memcpy(out, id->valuestring, n + 1);
        *ok = cJSON_IsString(status) && !strcmp(status->valuestring, "ok");
    }
    cJSON_Delete(rec);
    return out;
}

int dmf_results_scan(const char *text, size_t size, const char *name, dmf_results *out)
{
    memset(out, 0, sizeof *out);
    out->text = malloc(size + 1);
    if (!out->text) return dmf_fail(DMF_ERR_NOMEM, "cannot hold '%s' in memory", name);
    memcpy(out->text, text, size);
    out->text[size] = '\0';
    out->size = size;
    size_t cap = 0, line_no = 0;
    for (size_t start = 0; start < size;) {
        const char *nl = memchr(out->text + start, '\n', size - start);
        size_t length = nl ? (size_t)(nl - (out->text + start)) : size - start;
        size_t next = nl ? start + length + 1 : size;
        line_no++;
        int ok = 0, last = next == size;
        char *id = NULL;
        int blank = length == 0;
        /* A line without its newline is torn even when it parses. */
        if (!blank && nl && !memchr(out->text + start, '\0', length)) id = record_id(out->text + start, length, &ok);
        if (!blank && !id) {
            if (last) {
                out->torn_bytes = size - start;
                break;
            }
            dmf_results_clear(out);
            return dmf_fail(DMF_ERR_FORMAT, "%s, line %zu: not a result record (a JSON object with an \"id\"), "
                            "and not the last line: the file was changed by hand or by two writers; "
                            "remove the line to go on", name, line_no);
        }
        if (id) {
            if (out->count == cap) {
                cap = cap ? 2 * cap : 64;
                dmf_result_record *grown = realloc(out->records, cap * sizeof *grown);
                if (!grown) {
                    free(id);
                    dmf_results_clear(out);
                    return dmf_fail(DMF_ERR_NOMEM, "cannot hold the records of '%s'", name);
                }
                out->records = grown;
            }
            out->records[out->count++] = (dmf_result_record){id, ok, start, length};
        }
        out->valid_bytes = next;
        start = next;
    }
    return DMF_OK;
}

int dmf_results_read(const char *path, dmf_results *out)
{
    char *text;
    size_t size;
    memset(out, 0, sizeof *out);
    DMF_TRY(dmf_jobs_read_text(path, 1, &text, &size));
    int status = dmf_results_scan(text ? text : "", size, path, out);
    free(text);
    return status;
}

void dmf_results_clear(dmf_results *r)
{
    for (size_t k = 0; k < r->count; k++) free(r->records[k].id);
    free(r->records);
    free(r->text);
    memset(r, 0, sizeof *r);
}

int dmf_results_name(char *buf, size_t size, size_t i, size_t n)
{
    int len = snprintf(buf, size, "results.%zu-of-%zu.jsonl", i, n);
    if (len < 0 || (size_t)len >= size) return dmf_fail(DMF_ERR_ARG, "results file name too long");
    return DMF_OK;
}

int dmf_results_name_parse(const char *name, size_t *i, size_t *n)
{
    char again[64];
    unsigned long long a, b;
    int used = 0;
    if (sscanf(name, "results.%llu-of-%llu.jsonl%n", &a, &b, &used) != 2 || name[used]) return -1;
    /* Only the canonical spelling: "results.01-of-2.jsonl" is not ours. */
    snprintf(again, sizeof again, "results.%llu-of-%llu.jsonl", a, b);
    if (strcmp(again, name)) return -1;
    *i = (size_t)a;
    *n = (size_t)b;
    return 0;
}
