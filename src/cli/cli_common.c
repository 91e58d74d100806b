/* Status-to-exit-code mapping, argument parsers and matrix loading. */
#include <errno.h>
#include <float.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"

int cli_fail(const char *cmd, int status)
{
    fprintf(stderr, "dmf %s: %s\n", cmd, dmf_last_error()[0] ? dmf_last_error() : dmf_status_string(status));
    return cli_exit_code(status);
}

int cli_exit_code(int status)
{
    switch (status) {
    case DMF_ERR_NUMERIC: return EXIT_NUMERIC;
    case DMF_ERR_DEVICE:
    case DMF_ERR_NOT_COMPILED: return EXIT_BACKEND;
    default: return EXIT_BAD_INPUT;
    }
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    fprintf(stderr, "dmf %s: ", cmd);
    vfprintf(stderr, fmt, args);
    fprintf(stderr, "\n(see 'dmf %s --help')\n", cmd);
    va_end(args);
    return EXIT_USAGE;
}

int cli_parse_u64(const char *text, unsigned long long *out)
{
    if (!text || !*text || *text == '-' || *text == '+') return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || *end) return -1;
    *out = v;
    return 0;
}

int cli_parse_size(const char *text, size_t *out)
{
    unsigned long long v;
    if (cli_parse_u64(text, &v) || v > SIZE_MAX) return -1;
    *out = (size_t)v;
    return 0;
}

int cli_parse_double(const char *text, double *out)
{
    if (!text || !*text) return -1;
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || *end || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

int cli_parse_size_list(const char *text, size_t *out, int capacity)
{
    int count = 0;
    const char *p = text;
    if (!p || !*p) return -1;
    while (*p) {
        char item[32];
        size_t len = strcspn(p, ",");
        if (len == 0 || len >= sizeof item || count >= capacity) return -1;
        memcpy(item, p, len);
        item[len] = '\0';
        if (cli_parse_size(item, &out[count]) || out[count] == 0) return -1;
        count++;
        p += len;
        if (*p == ',') {
            p++;
            if (!*p) return -1;
        }
    }
    return count;
}

int cli_parse_dims(const char *text, size_t *rows, size_t *cols)
{
    char buf[64];
    if (!text || strlen(text) >= sizeof buf) return -1;
    strcpy(buf, text);
    char *x = strchr(buf, 'x');
    if (!x) {
        if (cli_parse_size(buf, rows) || *rows == 0) return -1;
        *cols = *rows;
        return 0;
    }
    *x = '\0';
    if (cli_parse_size(buf, rows) || cli_parse_size(x + 1, cols) || !*rows || !*cols) return -1;
    return 0;
}

void json_write_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(out, "\\%c", c);
        else if (c == '\n') fputs("\\n", out);
        else if (c < 0x20) fprintf(out, "\\u%04x", c);
        else fputc(c, out);
    }
    fputc('"', out);
}

int cli_verbose;

void cli_note_fallback(const char *cmd, const dmf_context *ctx)
{
    if (cli_verbose && ctx && dmf_context_fallback_reason(ctx)[0])
        fprintf(stderr, "dmf %s: using the CPU backend: %s\n", cmd, dmf_context_fallback_reason(ctx));
}

void json_begin(json_line *j)
{
    j->out = stdout;
    j->items = 0;
    fputc('{', j->out);
    json_str(j, "dmf_version", DMF_VERSION_STRING); /* results say what made them */
}

void json_key(json_line *j, const char *key)
{
    if (j->items++) fputs(", ", j->out);
    json_write_string(j->out, key);
    fputs(": ", j->out);
}

void json_str(json_line *j, const char *key, const char *value)
{
    json_key(j, key);
    json_write_string(j->out, value ? value : "");
}

void json_num(json_line *j, const char *key, double value)
{
    json_key(j, key);
    if (isfinite(value)) fprintf(j->out, JSON_NUM, value);
    else fputs("null", j->out); /* JSON has no NaN; null says "not a number" */
}

void json_raw(json_line *j, const char *key, const char *json_text)
{
    json_key(j, key);
    fputs(json_text, j->out);
}

void json_int(json_line *j, const char *key, long long value)
{
    json_key(j, key);
    fprintf(j->out, "%lld", value);
}

void json_bool(json_line *j, const char *key, int value)
{
    json_key(j, key);
    fputs(value ? "true" : "false", j->out);
}

void json_sizes(json_line *j, const char *key, const size_t *values, size_t count)
{
    json_key(j, key);
    fputc('[', j->out);
    for (size_t i = 0; i < count; i++) fprintf(j->out, "%s%zu", i ? ", " : "", values[i]);
    fputc(']', j->out);
}

void json_end(json_line *j)
{
    fputs("}\n", j->out);
    fflush(j->out);
}

/* A radix list that did not parse: too many factors, or a bad item. */
static int radix_error(const char *cmd, const char *option, const char *arg)
{
    int given = 1;
    for (const char *p = arg; *p; p++) given += *p == ',';
    if (given > 64)
        return cli_usage_error(cmd, "%s gives %d radices: a chain has at most 64 factors", option,
                               given);
    return cli_usage_error(cmd, "bad %s '%s' (comma-separated integers >= 1)", option, arg);
}

int cli_matrix_option(const char *cmd, int code, const char *arg, cli_matrix_source *src)
{
    switch (code) {
    case 'i': src->input = arg; return 1;
    case 'm': src->matrix = arg; return 1;
    case 's': src->dims = arg; return 1;
    case 't': src->dtype = arg; return 1;
    case 'n':
        if (cli_parse_double(arg, &src->noise) || src->noise < 0)
            return cli_usage_error(cmd, "bad --noise '%s' (a number >= 0)", arg);
        return 1;
    case 'S':
        if (cli_parse_u64(arg, &src->seed)) return cli_usage_error(cmd, "bad --seed '%s'", arg);
        return 1;
    case 'M':
        if ((src->num_m = cli_parse_size_list(arg, src->radix_m, 64)) < 0)
            return radix_error(cmd, "--radix-m", arg);
        return 1;
    case 'N':
        if ((src->num_n = cli_parse_size_list(arg, src->radix_n, 64)) < 0)
            return radix_error(cmd, "--radix-n", arg);
        return 1;
    default: return 0;
    }
}

int cli_convert_matrix(const char *cmd, const char *what, const dmf_matrix *src, dmf_dtype dtype, dmf_matrix **out)
{
    int status = dmf_matrix_convert(src, dtype, out);
    dmf_dtype from = dmf_matrix_dtype(src);
    if (status != DMF_OK || !(dtype == DMF_F32 || dtype == DMF_C64) || !(from == DMF_F64 || from == DMF_C128))
        return status;
    /* Count on the real view: an entry whose real or imaginary part is tiny. */
    size_t parts = dmf_dtype_is_complex(from) ? 2 : 1, count = dmf_matrix_rows(src) * dmf_matrix_cols(src);
    size_t zero = 0, subnormal = 0;
    const double *x = dmf_matrix_const_data(src);
    for (size_t i = 0; i < count; i++) {
        int z = 0, s = 0;
        for (size_t p = 0; p < parts; p++) {
            double a = fabs(x[i * parts + p]);
            if (a == 0.0 || a >= FLT_MIN) continue;
            if ((float)a == 0.0f) z = 1;
            else s = 1;
        }
        zero += (size_t)z;
        subnormal += (size_t)(s && !z);
    }
    if (zero + subnormal)
        fprintf(stderr,
                "dmf %s: warning: %zu entr%s of %s %s below %s's smallest normal number (%.9g): %zu "
                "become%s zero, %zu subnormal (fewer digits)\n",
                cmd, zero + subnormal, zero + subnormal == 1 ? "y" : "ies", what,
                zero + subnormal == 1 ? "is" : "are", dmf_dtype_name(dtype),
                (double)FLT_MIN, zero, zero == 1 ? "s" : "", subnormal);
    return status;
}

int cli_load_matrix(const char *cmd, const cli_matrix_source *src, dmf_matrix **out)
{
    *out = NULL;
    if (!!src->input == !!src->matrix)
        return cli_usage_error(cmd, "give exactly one of --input FILE or --matrix NAME");
    if (src->num_m != src->num_n)
        return cli_usage_error(cmd, "--radix-m has %d radices but --radix-n has %d: give both, "
                                    "with the same count", src->num_m, src->num_n);
    dmf_dtype dtype = DMF_C128;
    if (src->dtype && dmf_dtype_parse(src->dtype, &dtype) != DMF_OK)
        return cli_usage_error(cmd, "%s", dmf_last_error());
    int status;
    if (src->input) {
        if (src->noise > 0)
            return cli_usage_error(cmd, "--noise applies to --matrix only");
        dmf_matrix *raw;
        status = dmf_matrix_read(src->input, &raw);
        if (status != DMF_OK) return cli_fail(cmd, status);
        if (src->dtype && dtype != dmf_matrix_dtype(raw)) {
            status = cli_convert_matrix(cmd, src->input, raw, dtype, out);
            dmf_matrix_free(raw);
            if (status != DMF_OK) return cli_fail(cmd, status);
        } else {
            *out = raw;
        }
    } else {
        size_t rows, cols;
        if (!src->dims) return cli_usage_error(cmd, "--matrix needs --size N or --size NxM");
        if (cli_parse_dims(src->dims, &rows, &cols))
            return cli_usage_error(cmd, "bad --size '%s' (expected N or NxM with N, M >= 1)", src->dims);
        if (!src->dtype) {
            /* Real-valued built-ins default to f64, complex ones to c128. */
            dtype = strncmp(src->matrix, "dft", 3) == 0 ? DMF_C128 : DMF_F64;
        }
        dmf_matrix_spec spec = {src->matrix, rows, cols, dtype, src->noise, src->seed,
                                src->radix_m, src->radix_n, (size_t)src->num_m};
        status = dmf_matrix_builtin(&spec, out);
        if (status != DMF_OK) return cli_fail(cmd, status);
    }
    status = dmf_matrix_check_finite(*out);
    if (status != DMF_OK) {
        fprintf(stderr, "dmf %s: %s: %s\n", cmd, src->input ? src->input : src->matrix, dmf_last_error());
        dmf_matrix_free(*out);
        *out = NULL;
        return EXIT_BAD_INPUT;
    }
    return EXIT_OK;
}

/* Levenshtein distance of a[0..na) and b, or 99 when either is long. */
static int edit_distance(const char *a, size_t na, const char *b)
{
    size_t nb = strlen(b);
    int row[64];
    if (na >= 64 || nb >= 64) return 99;
    for (size_t j = 0; j <= nb; j++) row[j] = (int)j;
    for (size_t i = 1; i <= na; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= nb; j++) {
            int up = row[j], best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            diag = up;
            row[j] = best;
        }
    }
    return row[nb];
}

const char *cli_did_you_mean(char *buf, size_t cap, const char *word, size_t word_len,
                             const char *const *names, const char *lead)
{
    /* Score 0: the word begins the name; 1..2: that many edits away (only for
     * words longer than the edits, so "-x" does not suggest every short name). */
    int best = 3, count = 0;
    const char *pick[3];
    for (size_t k = 0; names[k]; k++) {
        int score = word_len > 0 && !strncmp(names[k], word, word_len) ? 0 : edit_distance(word, word_len, names[k]);
        if (score > 2 || (score > 0 && (size_t)score >= word_len)) continue;
        if (score < best) best = score, count = 0;
        if (score == best && count < 3) pick[count++] = names[k];
    }
    if (cap) buf[0] = '\0';
    if (!count || cap < 2) return buf;
    size_t used = (size_t)snprintf(buf, cap, " (did you mean ");
    for (int k = 0; k < count && used < cap; k++)
        used += (size_t)snprintf(buf + used, cap - used, "%s'%s%s'", k == 0 ? "" : k + 1 == count ? " or " : ", ",
                                 lead, pick[k]);
    if (used < cap) snprintf(buf + used, cap - used, "?)");
    return buf;
}

int cli_getopt(const char *cmd, int argc, char **argv, const struct option *opts)
{
    const char *names[128];
    size_t n = 0;
    for (; opts[n].name && n + 1 < sizeof names / sizeof *names; n++) names[n] = opts[n].name;
    names[n] = NULL;
    char hint[256];
    int index = -1;
    opterr = 0;
    /* The leading ':' makes a missing value ':' instead of '?'. */
    int c = getopt_long(argc, argv, ":h", opts, &index);
    if (c == -1) return c;
    /* The option's own word: the one before its value when that was the next word. */
    const char *word = optind >= 2 && optarg && optarg == argv[optind - 1] ? argv[optind - 2] : argv[optind - 1];
    int is_long = !strncmp(word, "--", 2);
    const char *name = is_long ? word + 2 : word;
    size_t len = strcspn(name, "=");
    if (c == ':') {
        if (is_long) cli_usage_error(cmd, "option '--%.*s' needs a value", (int)len, name);
        else cli_usage_error(cmd, "option '-%c' needs a value", optopt);
        return '?';
    }
    if (c == '?') {
        if (is_long && optopt) cli_usage_error(cmd, "option '--%.*s' takes no value", (int)len, name);
        else if (is_long)
            cli_usage_error(cmd, "unknown option '--%.*s'%s", (int)len, name,
                            cli_did_you_mean(hint, sizeof hint, name, len, names, "--"));
        else cli_usage_error(cmd, "unknown option '-%c'", optopt ? optopt : '?');
        return '?';
    }
    /* getopt_long takes a unique prefix of a long name; dmf takes only the name. */
    if (index >= 0 && is_long && (len != strlen(opts[index].name) || strncmp(name, opts[index].name, len))) {
        cli_usage_error(cmd, "unknown option '--%.*s' (did you mean '--%s'?)", (int)len, name, opts[index].name);
        return '?';
    }
    return c;
}

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int cli_make_dir(const char *dir)
{
    struct stat st;
    if (mkdir(dir, 0777) != 0 && !(errno == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode))) {
        fprintf(stderr, "dmf: cannot create directory '%s': %s\n", dir, strerror(errno));
        return DMF_ERR_IO;
    }
    return DMF_OK;
}
