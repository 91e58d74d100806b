/* The job file: {"jobs": [{"id", "command", "args"}, ...], "defaults": {...}}
 * read with cJSON into plain C strings, its shape checked before anything
 * runs so that a typo in job 900 does not surface after hours of work. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "jobs/jobs.h"

static char *copy_text(const char *s, size_t n)
{
    char *c = malloc(n + 1);
    if (c) {
        memcpy(c, s, n);
        c[n] = '\0';
    }
    return c;
}

int dmf_jobs_read_text(const char *path, int missing_ok, char **text, size_t *size)
{
    *text = NULL;
    *size = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (missing_ok && errno == ENOENT) return DMF_OK;
        return dmf_fail(DMF_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    }
    size_t len = 0, cap = 4096;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (cap - len - 1 == 0) {
            char *grown = realloc(buf, cap * 2);
            if (!grown) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = grown;
            cap *= 2;
        }
    }
    int read_error = ferror(f) ? (errno ? errno : EIO) : 0;
    fclose(f);
    if (!buf) return dmf_fail(DMF_ERR_NOMEM, "cannot hold '%s' in memory", path);
    if (read_error) {
        free(buf);
        return dmf_fail(DMF_ERR_IO, "cannot read '%s': %s", path, strerror(read_error));
    }
    buf[len] = '\0';
    *text = buf;
    *size = len;
    return DMF_OK;
}

/* Whether a JSON number is what its text said: integers past 2^53 (seeds,
 * say) have already been rounded to a neighbour by the parser. */
static int exact_number(double v)
{
    return isfinite(v) && !(v == floor(v) && fabs(v) >= 9007199254740992.0);
}

/* The shortest text that reads back as v: integers without a point. */
static void format_number(double v, char buf[40])
{
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(buf, 40, "%.0f", v);
        return;
    }
    snprintf(buf, 40, "%.15g", v);
    if (strtod(buf, NULL) != v) snprintf(buf, 40, "%.17g", v);
}

/* "job 3 (id 'x')" or "job 3" when the id is not known yet. */
static const char *where(char *buf, size_t size, size_t index, const char *id)
{
    if (id) snprintf(buf, size, "job %zu (id '%s')", index, id);
    else snprintf(buf, size, "job %zu", index);
    return buf;
}

/* One args value into *arg (name already set). */
static int convert_value(const char *name, const cJSON *v, const char *origin, const char *job, dmf_job_arg *arg)
{
    char num[40];
    if (cJSON_IsTrue(v)) {
        arg->kind = DMF_JOB_TRUE;
        return DMF_OK;
    }
    if (cJSON_IsFalse(v)) {
        arg->kind = DMF_JOB_FALSE;
        return DMF_OK;
    }
    arg->kind = DMF_JOB_VALUE;
    if (cJSON_IsString(v)) {
        arg->value = copy_text(v->valuestring, strlen(v->valuestring));
    } else if (cJSON_IsNumber(v)) {
        if (!exact_number(v->valuedouble))
            return dmf_fail(DMF_ERR_FORMAT, "%s: %s: the number of '%s' is not exact in JSON's double "
                            "precision (an integer of 2^53 or more, or out of range): write it as a string",
                            origin, job, name);
        format_number(v->valuedouble, num);
        arg->value = copy_text(num, strlen(num));
    } else if (cJSON_IsArray(v)) {
        /* A list is written the way the options take lists: "5,10,20". */
        size_t len = 0, count = 0;
        const cJSON *item;
        cJSON_ArrayForEach(item, v) {
            if (cJSON_IsString(item)) len += strlen(item->valuestring) + 1;
            else if (cJSON_IsNumber(item) && !exact_number(item->valuedouble))
                return dmf_fail(DMF_ERR_FORMAT, "%s: %s: a number in the list of '%s' is not exact in JSON's "
                                "double precision: write it as a string", origin, job, name);
            else if (cJSON_IsNumber(item)) len += 41;
            else
                return dmf_fail(DMF_ERR_FORMAT, "%s: %s: the list of '%s' may hold only strings and numbers",
                                origin, job, name);
            count++;
        }
        if (count == 0) return dmf_fail(DMF_ERR_FORMAT, "%s: %s: the list of '%s' is empty", origin, job, name);
        arg->value = malloc(len + 1);
        if (arg->value) {
            char *p = arg->value;
            cJSON_ArrayForEach(item, v) {
                const char *s = item->valuestring;
                if (cJSON_IsNumber(item)) {
                    format_number(item->valuedouble, num);
                    s = num;
                }
                if (p != arg->value) *p++ = ',';
                size_t n = strlen(s);
                memcpy(p, s, n);
                p += n;
            }
            *p = '\0';
        }
    } else {
        return dmf_fail(DMF_ERR_FORMAT, "%s: %s: '%s' must be a string, a number, true/false or a list "
                        "(got %s)", origin, job, name, cJSON_IsNull(v) ? "null" : "an object");
    }
    if (!arg->value) return dmf_fail(DMF_ERR_NOMEM, "%s: out of memory", origin);
    return DMF_OK;
}

static void free_args(dmf_job_arg *args, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        free(args[k].name);
        free(args[k].value);
    }
    free(args);
}

/* Merges the members of `obj` into job->args: a name already there (from
 * "defaults") is replaced, a name twice in one object is an error. */
static int add_args(dmf_job *job, const cJSON *obj, int is_defaults, const char *origin, const char *where_text)
{
    size_t first_own = is_defaults ? 0 : job->num_args; /* earlier slots came from "defaults" */
    size_t n = (size_t)cJSON_GetArraySize(obj);
    dmf_job_arg *grown = realloc(job->args, (job->num_args + n + 1) * sizeof *grown);
    if (!grown) return dmf_fail(DMF_ERR_NOMEM, "%s: out of memory", origin);
    job->args = grown;
    const cJSON *v;
    cJSON_ArrayForEach(v, obj) {
        const char *name = v->string;
        if (!name[0] || name[0] == '-')
            return dmf_fail(DMF_ERR_FORMAT, "%s: %s: bad option name '%s' (write it without the leading --)",
                            origin, where_text, name);
        size_t slot = job->num_args;
        for (size_t k = 0; k < job->num_args; k++)
            if (!strcmp(job->args[k].name, name)) {
                if (k >= first_own)
                    return dmf_fail(DMF_ERR_FORMAT, "%s: %s: option '%s' is given twice", origin, where_text, name);
                slot = k;
            }
        dmf_job_arg arg = {copy_text(name, strlen(name)), NULL, DMF_JOB_VALUE, is_defaults};
        int status = arg.name ? convert_value(name, v, origin, where_text, &arg)
                              : dmf_fail(DMF_ERR_NOMEM, "%s: out of memory", origin);
        if (status != DMF_OK) {
            free(arg.name);
            free(arg.value);
            return status;
        }
        if (slot < job->num_args) {
            free(job->args[slot].name);
            free(job->args[slot].value);
        } else {
            job->num_args++;
        }
        job->args[slot] = arg;
    }
    return DMF_OK;
}

/* Keys of an object outside `allowed` (NULL-terminated) are errors: a
 * misspelt "args" must not silently run a job without its arguments. */
static int check_keys(const cJSON *obj, const char *const *allowed, const char *origin, const char *what)
{
    const cJSON *v;
    cJSON_ArrayForEach(v, obj) {
        int known = 0;
        for (const char *const *a = allowed; *a; a++) known |= !strcmp(v->string, *a);
        if (!known) return dmf_fail(DMF_ERR_FORMAT, "%s: %s: unknown key '%s'", origin, what, v->string);
    }
    return DMF_OK;
}

static int compare_ids(const void *a, const void *b)
{
    return strcmp((*(dmf_job *const *)a)->id, (*(dmf_job *const *)b)->id);
}

static int read_job(const cJSON *item, size_t index, const cJSON *defaults, const char *origin, dmf_job *job)
{
    static const char *const keys[] = {"id", "command", "args", "description", NULL};
    char w[320];
    if (!cJSON_IsObject(item))
        return dmf_fail(DMF_ERR_FORMAT, "%s: %s is not an object", origin, where(w, sizeof w, index, NULL));
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(item, "id");
    const cJSON *command = cJSON_GetObjectItemCaseSensitive(item, "command");
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(item, "args");
    if (!id) return dmf_fail(DMF_ERR_FORMAT, "%s: %s has no \"id\"", origin, where(w, sizeof w, index, NULL));
    if (!cJSON_IsString(id) || !id->valuestring[0])
        return dmf_fail(DMF_ERR_FORMAT, "%s: %s: \"id\" must be a non-empty string", origin,
                        where(w, sizeof w, index, NULL));
    /* Ids name jobs in results lines, messages and file listings: a newline
     * or other control character there would split or disguise them. */
    const unsigned char *text = (const unsigned char *)id->valuestring;
    for (size_t k = 0; text[k]; k++)
        if (text[k] < 0x20 || text[k] == 0x7f)
            return dmf_fail(DMF_ERR_FORMAT,
                            "%s: %s: \"id\" holds a control character (0x%02x at byte %zu); ids must be "
                            "printable text",
                            origin, where(w, sizeof w, index, NULL), text[k], k);
    where(w, sizeof w, index, id->valuestring);
    DMF_TRY(check_keys(item, keys, origin, w));
    if (!cJSON_IsString(command) || !command->valuestring[0])
        return dmf_fail(DMF_ERR_FORMAT, "%s: %s: \"command\" must be a non-empty string such as "
                        "\"butterfly factor\"", origin, w);
    if (args && !cJSON_IsObject(args))
        return dmf_fail(DMF_ERR_FORMAT, "%s: %s: \"args\" must be an object of option names", origin, w);
    job->id = copy_text(id->valuestring, strlen(id->valuestring));
    job->command = copy_text(command->valuestring, strlen(command->valuestring));
    if (!job->id || !job->command) return dmf_fail(DMF_ERR_NOMEM, "%s: out of memory", origin);
    /* A "false" from the job cancels a flag set in the defaults. */
    if (defaults) DMF_TRY(add_args(job, defaults, 1, origin, "\"defaults\""));
    if (args) DMF_TRY(add_args(job, args, 0, origin, w));
    return DMF_OK;
}

int dmf_jobs_parse(const char *text, const char *name, dmf_job_list **out)
{
    static const char *const keys[] = {"jobs", "defaults", "description", NULL};
    *out = NULL;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(text, &end, 1);
    if (!root) {
        size_t line = 1, column = 1;
        for (const char *p = text; end && p < end; p++) {
            if (*p == '\n') line++, column = 1;
            else column++;
        }
        return dmf_fail(DMF_ERR_FORMAT, "%s: malformed JSON at line %zu, column %zu", name, line, column);
    }
    /* cJSON reads "\u0000" as the end of its string, which would cut an id
     * or value short without a word: refuse it (an escaped backslash before
     * "u0000" is text, not this escape). */
    for (const char *p = text; (p = strstr(p, "\\u0000")) != NULL; p++) {
        size_t at = (size_t)(p - text), slashes = 0, line = 1;
        while (slashes < at && text[at - slashes - 1] == '\\') slashes++;
        if (slashes % 2) continue;
        for (size_t q = 0; q < at; q++) line += text[q] == '\n';
        cJSON_Delete(root);
        return dmf_fail(DMF_ERR_FORMAT, "%s: line %zu: \"\\u0000\" (a NUL character) cannot be part of an id or a value",
                        name, line);
    }
    int status = DMF_OK;
    const cJSON *jobs = cJSON_GetObjectItemCaseSensitive(root, "jobs");
    const cJSON *defaults = cJSON_GetObjectItemCaseSensitive(root, "defaults");
    if (!cJSON_IsObject(root)) status = dmf_fail(DMF_ERR_FORMAT, "%s: expected an object {\"jobs\": [...]}", name);
    else if (!cJSON_IsArray(jobs)) status = dmf_fail(DMF_ERR_FORMAT, "%s: \"jobs\" must be a list of jobs", name);
    else if (defaults && !cJSON_IsObject(defaults))
        status = dmf_fail(DMF_ERR_FORMAT, "%s: \"defaults\" must be an object of option names", name);
    else status = check_keys(root, keys, name, "top level");
    dmf_job_list *list = status == DMF_OK ? calloc(1, sizeof *list) : NULL;
    if (status == DMF_OK && !list) status = dmf_fail(DMF_ERR_NOMEM, "%s: out of memory", name);
    if (status == DMF_OK) {
        list->count = (size_t)cJSON_GetArraySize(jobs);
        list->jobs = calloc(list->count + 1, sizeof *list->jobs);
        list->by_id = calloc(list->count + 1, sizeof *list->by_id);
        list->path = copy_text(name, strlen(name));
        const char *slash = strrchr(name, '/');
        list->dir = slash ? copy_text(name, slash == name ? 1 : (size_t)(slash - name)) : copy_text(".", 1);
        if (!list->jobs || !list->by_id || !list->path || !list->dir)
            status = dmf_fail(DMF_ERR_NOMEM, "%s: out of memory", name);
    }
    size_t index = 0;
    const cJSON *item;
    if (status == DMF_OK) cJSON_ArrayForEach(item, jobs) {
        status = read_job(item, index, defaults, name, &list->jobs[index]);
        if (status != DMF_OK) break;
        list->by_id[index] = &list->jobs[index];
        index++;
    }
    if (status == DMF_OK && list->count > 1) {
        qsort(list->by_id, list->count, sizeof *list->by_id, compare_ids);
        for (size_t k = 1; k < list->count; k++)
            if (!strcmp(list->by_id[k - 1]->id, list->by_id[k]->id)) {
                size_t a = (size_t)(list->by_id[k - 1] - list->jobs), b = (size_t)(list->by_id[k] - list->jobs);
                status = dmf_fail(DMF_ERR_FORMAT, "%s: jobs %zu and %zu have the same id '%s' (ids must be unique)",
                                  name, a < b ? a : b, a < b ? b : a, list->by_id[k]->id);
                break;
            }
    }
    cJSON_Delete(root);
    if (status != DMF_OK) {
        dmf_jobs_free(list);
        return status;
    }
    *out = list;
    return DMF_OK;
}

int dmf_jobs_read(const char *path, dmf_job_list **out)
{
    char *text;
    size_t size;
    *out = NULL;
    DMF_TRY(dmf_jobs_read_text(path, 0, &text, &size));
    if (strlen(text) != size) {
        free(text);
        return dmf_fail(DMF_ERR_FORMAT, "%s: not a text file (it holds a NUL byte)", path);
    }
    int status = dmf_jobs_parse(text, path, out);
    free(text);
    return status;
}

void dmf_jobs_free(dmf_job_list *list)
{
    if (!list) return;
    for (size_t j = 0; list->jobs && j < list->count; j++) {
        free(list->jobs[j].id);
        free(list->jobs[j].command);
        free_args(list->jobs[j].args, list->jobs[j].num_args);
    }
    free(list->jobs);
    free(list->by_id);
    free(list->path);
    free(list->dir);
    free(list);
}

long dmf_jobs_find(const dmf_job_list *list, const char *id)
{
    size_t lo = 0, hi = list->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(list->by_id[mid]->id, id);
        if (c == 0) return (long)(list->by_id[mid] - list->jobs);
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return -1;
}

const dmf_job_arg *dmf_job_get_arg(const dmf_job *job, const char *name)
{
    for (size_t k = 0; k < job->num_args; k++)
        if (!strcmp(job->args[k].name, name)) return &job->args[k];
    return NULL;
}
