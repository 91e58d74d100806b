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

void cli_matrix_source_from(const cli_args *a, cli_matrix_source *src)
{
    memset(src, 0, sizeof *src);
    src->input = cli_get_if(a, "input"); /* not in dmf matrix */
    src->matrix = cli_get(a, "matrix");
    src->dims = cli_get(a, "size");
    src->dtype = cli_get(a, "dtype");
    src->noise = cli_get_double(a, "noise", 0);
    src->seed = cli_get_u64(a, "seed", 0);
    /* Checked by the table: lists of 1..64 integers >= 1. */
    const char *rm = cli_get(a, "radix-m"), *rn = cli_get(a, "radix-n");
    src->num_m = rm ? cli_parse_size_list(rm, src->radix_m, 64) : 0;
    src->num_n = rn ? cli_parse_size_list(rn, src->radix_n, 64) : 0;
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
    /* A built-in without noise is finite by construction (tests/test_butterfly
     * checks every one): its check would be a whole pass over the input (0.1 s
     * at N = 16384 c128).  Noise of an absurd level can overflow. */
    if ((src->matrix && !(src->noise > 0)) || src->finite_checked_later) return EXIT_OK;
    if (cli_input_nonfinite(cmd, src, *out) != EXIT_OK) {
        dmf_matrix_free(*out);
        *out = NULL;
        return EXIT_BAD_INPUT;
    }
    return EXIT_OK;
}

int cli_input_nonfinite(const char *cmd, const cli_matrix_source *src, const dmf_matrix *a)
{
    if (dmf_matrix_check_finite(a) == DMF_OK) return EXIT_OK;
    fprintf(stderr, "dmf %s: %s: %s\n", cmd, src->input ? src->input : src->matrix, dmf_last_error());
    return EXIT_BAD_INPUT;
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
