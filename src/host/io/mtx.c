/* Matrix Market files (NIST, "The Matrix Market Exchange Formats", 1996).
 *
 * Read: `array` (dense, column-major) and `coordinate` (1-based triplets)
 * files with the fields real/double, integer, pattern and complex and the
 * symmetries general, symmetric, skew-symmetric and hermitian, into a dense
 * row-major matrix: f64 for real, integer and pattern files, c128 for complex
 * ones.  Whole lines are read with getline, so each error names the file and
 * the line as "path:line: problem".
 *
 * Numbers go through strtod and printf, which follow LC_NUMERIC; the library
 * never calls setlocale, so that is the C locale unless the application
 * changes it. */
#define _POSIX_C_SOURCE 200809L

#include <complex.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "internal.h"
#include "io/atomic_out.h"

typedef enum { MTX_ARRAY, MTX_COORDINATE } mtx_format;
typedef enum { MTX_REAL, MTX_INTEGER, MTX_PATTERN, MTX_COMPLEX } mtx_field;
typedef enum { MTX_GENERAL, MTX_SYMMETRIC, MTX_SKEW, MTX_HERMITIAN } mtx_symmetry;

typedef struct {
    FILE *f;
    const char *path;
    char *line;
    size_t capacity;
    size_t lineno;
    mtx_format format;
    mtx_field field;
    mtx_symmetry symmetry;
    size_t rows, cols;
} mtx_reader;

static const char mtx_space[] = " \t\v\f\r";

static int line_error(const mtx_reader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int line_error(const mtx_reader *r, const char *fmt, ...)
{
    char what[512];
    va_list args;
    va_start(args, fmt);
    vsnprintf(what, sizeof what, fmt, args);
    va_end(args);
    return dmf_fail(DMF_ERR_FORMAT, "%s:%zu: %s", r->path, r->lineno, what);
}

/* The next line without its end of line: 1, 0 at end of file, or a status. */
static int read_line(mtx_reader *r)
{
    errno = 0;
    ssize_t n = getline(&r->line, &r->capacity, r->f);
    if (n < 0) {
        if (errno == ENOMEM)
            return dmf_fail(DMF_ERR_NOMEM, "%s:%zu: cannot allocate a line", r->path,
                            r->lineno + 1);
        if (ferror(r->f))
            return dmf_fail(DMF_ERR_IO, "cannot read '%s': %s", r->path,
                            strerror(errno ? errno : EIO));
        return 0;
    }
    r->lineno++;
    while (n > 0 && (r->line[n - 1] == '\n' || r->line[n - 1] == '\r')) r->line[--n] = '\0';
    return 1;
}

/* The next line that is neither blank nor a comment.  The format puts
 * comments only between the banner and the size line; skipping them
 * everywhere costs nothing and reads what some writers produce. */
static int next_data_line(mtx_reader *r)
{
    for (;;) {
        int got = read_line(r);
        if (got <= 0) return got;
        const char *p = r->line + strspn(r->line, mtx_space);
        if (*p != '\0' && *p != '%') return 1;
    }
}

/* Splits in place; returns the number of tokens, or max + 1 if there are more. */
static size_t split(char *line, char **tokens, size_t max)
{
    size_t n = 0;
    char *p = line;
    for (;;) {
        p += strspn(p, mtx_space);
        if (*p == '\0') return n;
        if (n == max) return max + 1;
        tokens[n++] = p;
        p += strcspn(p, mtx_space);
        if (*p) *p++ = '\0';
    }
}

/* A whole token of decimal digits (no sign), without overflow. */
static int parse_count(const char *tok, size_t *value)
{
    size_t v = 0;
    if (*tok == '\0') return 0;
    for (const char *p = tok; *p; p++) {
        if (*p < '0' || *p > '9') return 0;
        size_t digit = (size_t)(*p - '0');
        if (v > (SIZE_MAX - digit) / 10) return 0;
        v = v * 10 + digit;
    }
    *value = v;
    return 1;
}

static int parse_banner(mtx_reader *r)
{
    static const char expected[] = "'%%MatrixMarket matrix <format> <field> <symmetry>'";
    int got = read_line(r);
    if (got < 0) return got;
    if (got == 0)
        return dmf_fail(DMF_ERR_FORMAT, "%s: empty file; expected the banner %s", r->path,
                        expected);
    char shown[80], *tok[5];
    snprintf(shown, sizeof shown, "%s", r->line);
    size_t n = split(r->line, tok, 5);
    if (n != 5 || strcasecmp(tok[0], "%%MatrixMarket") != 0)
        return line_error(r, "bad banner '%s': expected %s", shown, expected);
    if (strcasecmp(tok[1], "matrix") != 0)
        return line_error(r, "unsupported object '%s'; dmf reads 'matrix'", tok[1]);

    if (strcasecmp(tok[2], "array") == 0) r->format = MTX_ARRAY;
    else if (strcasecmp(tok[2], "coordinate") == 0) r->format = MTX_COORDINATE;
    else return line_error(r, "unsupported format '%s' (expected array or coordinate)", tok[2]);

    if (strcasecmp(tok[3], "real") == 0 || strcasecmp(tok[3], "double") == 0) r->field = MTX_REAL;
    else if (strcasecmp(tok[3], "integer") == 0) r->field = MTX_INTEGER;
    else if (strcasecmp(tok[3], "pattern") == 0) r->field = MTX_PATTERN;
    else if (strcasecmp(tok[3], "complex") == 0) r->field = MTX_COMPLEX;
    else
        return line_error(r,
                          "unsupported field '%s' (expected real, double, integer, pattern or "
                          "complex)",
                          tok[3]);

    if (strcasecmp(tok[4], "general") == 0) r->symmetry = MTX_GENERAL;
    else if (strcasecmp(tok[4], "symmetric") == 0) r->symmetry = MTX_SYMMETRIC;
    else if (strcasecmp(tok[4], "skew-symmetric") == 0) r->symmetry = MTX_SKEW;
    else if (strcasecmp(tok[4], "hermitian") == 0) r->symmetry = MTX_HERMITIAN;
    else
        return line_error(r,
                          "unsupported symmetry '%s' (expected general, symmetric, "
                          "skew-symmetric or hermitian)",
                          tok[4]);

    if (r->field == MTX_PATTERN && r->format == MTX_ARRAY)
        return line_error(r, "the pattern field needs the coordinate format");
    if (r->field == MTX_PATTERN && r->symmetry == MTX_SKEW)
        return line_error(r, "a pattern cannot be skew-symmetric");
    /* A real "hermitian" file is symmetric (conj is the identity there); it
     * is read as such rather than refused. */
    return DMF_OK;
}

/* Entries the file must list: nnz for coordinate, the stored triangle or all
 * of the matrix for array. */
static int parse_size(mtx_reader *r, size_t *entries)
{
    int got = next_data_line(r);
    if (got < 0) return got;
    if (got == 0)
        return dmf_fail(DMF_ERR_FORMAT, "%s:%zu: truncated: the file ends before the size line",
                        r->path, r->lineno);
    int coordinate = r->format == MTX_COORDINATE;
    size_t want = coordinate ? 3 : 2, n, nnz = 0;
    char shown[80], *tok[3];
    snprintf(shown, sizeof shown, "%s", r->line);
    n = split(r->line, tok, want);
    if (n != want || !parse_count(tok[0], &r->rows) || !parse_count(tok[1], &r->cols) ||
        (coordinate && !parse_count(tok[2], &nnz)))
        return line_error(r, "bad size line '%s': expected '%s'", shown,
                          coordinate ? "rows cols entries" : "rows cols");
    if (r->symmetry != MTX_GENERAL && r->rows != r->cols)
        return line_error(r, "a %s matrix must be square, the size line says %zu x %zu",
                          r->symmetry == MTX_SKEW        ? "skew-symmetric"
                          : r->symmetry == MTX_SYMMETRIC ? "symmetric"
                                                         : "hermitian",
                          r->rows, r->cols);
    /* Refused here, before any entry is read: an array file of 0 rows
     * would otherwise walk every one of its (up to 2^64) columns. */
    if (r->rows == 0 || r->cols == 0)
        return line_error(r, "the matrix is empty (%zu x %zu): dmf needs at least one row and "
                          "one column", r->rows, r->cols);
    size_t all, bytes;
    size_t esize = r->field == MTX_COMPLEX ? dmf_dtype_size(DMF_C128) : dmf_dtype_size(DMF_F64);
    if (!dmf_mul_size(r->rows, r->cols, &all) || !dmf_mul_size(all, esize, &bytes))
        return line_error(r, "matrix %zu x %zu is too large", r->rows, r->cols);
    if (coordinate) {
        *entries = nnz;
    } else if (r->symmetry == MTX_GENERAL) {
        *entries = all;
    } else {
        /* n (n + 1) / 2 with the diagonal, n (n - 1) / 2 without (skew). */
        size_t m = r->symmetry == MTX_SKEW ? (r->rows ? r->rows - 1 : 0) : r->rows;
        *entries = m % 2 == 0 ? (m / 2) * (m + 1) : m * ((m + 1) / 2);
    }
    return DMF_OK;
}

static int parse_value(const mtx_reader *r, const char *tok, double *value)
{
    char *end;
    double v = strtod(tok, &end);
    if (end == tok || *end != '\0') return line_error(r, "non-numeric value '%s'", tok);
    if (r->field == MTX_INTEGER) {
        const char *p = tok + (*tok == '+' || *tok == '-');
        if (strspn(p, "0123456789") != strlen(p))
            return line_error(r, "expected an integer value, found '%s'", tok);
    }
    /* Out-of-range values become +-Inf like NaN stays NaN: the caller checks
     * finiteness with dmf_matrix_check_finite. */
    *value = v;
    return DMF_OK;
}

static int parse_index(const mtx_reader *r, const char *tok, size_t limit, const char *what,
                       size_t *index)
{
    size_t v;
    if (!parse_count(tok, &v) || v < 1 || v > limit)
        return line_error(r, "%s index '%s' out of range 1..%zu", what, tok, limit);
    *index = v - 1;
    return DMF_OK;
}

/* Adds v at (i, j) and its mirror image.  Adding, not storing, is what sums
 * duplicate coordinate entries (as scipy and MATLAB do); array files visit
 * every position once, so for them it is a plain store. */
static void add_entry(dmf_matrix *m, mtx_symmetry symmetry, size_t i, size_t j,
                      double complex v)
{
    double complex mirror = symmetry == MTX_SKEW ? -v : symmetry == MTX_HERMITIAN ? conj(v) : v;
    int mirrored = symmetry != MTX_GENERAL && i != j;
    if (m->dtype == DMF_C128) {
        double complex *z = m->data;
        z[i * m->cols + j] += v;
        if (mirrored) z[j * m->cols + i] += mirror;
    } else {
        double *x = m->data;
        x[i * m->cols + j] += creal(v);
        if (mirrored) x[j * m->cols + i] += creal(mirror);
    }
}

/* First stored row of column j of an array file: the lower triangle with the
 * diagonal for symmetric and hermitian, without it for skew-symmetric. */
static size_t array_first_row(const mtx_reader *r, size_t j)
{
    return r->symmetry == MTX_GENERAL ? 0 : r->symmetry == MTX_SKEW ? j + 1 : j;
}

static int read_entries(mtx_reader *r, dmf_matrix *m, size_t entries)
{
    int coordinate = r->format == MTX_COORDINATE;
    size_t nvals = r->field == MTX_COMPLEX ? 2 : r->field == MTX_PATTERN ? 0 : 1;
    size_t want = (coordinate ? 2 : 0) + nvals;
    static const char *const layouts[2][3] = {{"", "value", "real imag"},
                                              {"row col", "row col value", "row col real imag"}};
    const char *layout = layouts[coordinate][nvals];
    /* Position in an array file, which lists columns in order. */
    size_t i = 0, j = 0;
    if (!coordinate) i = array_first_row(r, 0);
    while (!coordinate && j < r->cols && i >= r->rows) i = array_first_row(r, ++j);

    for (size_t k = 0; k < entries; k++) {
        int got = next_data_line(r);
        if (got < 0) return got;
        if (got == 0)
            return dmf_fail(DMF_ERR_FORMAT,
                            "%s:%zu: truncated: expected %zu entries, the file ends after %zu",
                            r->path, r->lineno, entries, k);
        char *tok[4];
        size_t n = split(r->line, tok, want);
        if (n != want)
            return line_error(r, "expected '%s' (%zu numbers), found %s%zu", layout, want,
                              n > want ? "more than " : "", n > want ? want : n);
        if (coordinate) {
            DMF_TRY(parse_index(r, tok[0], r->rows, "row", &i));
            DMF_TRY(parse_index(r, tok[1], r->cols, "column", &j));
            if (r->symmetry == MTX_SKEW && i == j)
                return line_error(r, "diagonal entry (%zu, %zu) in a skew-symmetric file", i + 1,
                                  j + 1);
        }
        double re = 1.0, im = 0.0; /* a pattern entry is a one */
        if (nvals >= 1) DMF_TRY(parse_value(r, tok[want - nvals], &re));
        if (nvals == 2) DMF_TRY(parse_value(r, tok[want - 1], &im));
        add_entry(m, r->symmetry, i, j, dmf_make_complex(re, im));
        if (!coordinate) {
            i++;
            while (j < r->cols && i >= r->rows) i = array_first_row(r, ++j);
        }
    }
    int got = next_data_line(r);
    if (got < 0) return got;
    if (got > 0)
        return line_error(r, "more entries than the %zu the size line declares", entries);
    return DMF_OK;
}

int dmf_mtx_read(const char *path, dmf_matrix **out)
{
    if (!out) return dmf_fail(DMF_ERR_ARG, "dmf_mtx_read: out is NULL");
    *out = NULL;
    if (!path) return dmf_fail(DMF_ERR_ARG, "dmf_mtx_read: path is NULL");
    FILE *f = fopen(path, "r");
    if (!f) return dmf_fail(DMF_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    mtx_reader r = {.f = f, .path = path};
    dmf_matrix *mat = NULL;
    size_t entries = 0;
    int status = parse_banner(&r);
    if (status == DMF_OK) status = parse_size(&r, &entries);
    if (status == DMF_OK) {
        dmf_dtype dtype = r.field == MTX_COMPLEX ? DMF_C128 : DMF_F64;
        status = dmf_matrix_create(&mat, dtype, r.rows, r.cols);
        if (status != DMF_OK) status = dmf_fail_context(status, "'%s'", path);
    }
    if (status == DMF_OK) status = read_entries(&r, mat, entries);
    free(r.line);
    fclose(f);
    if (status != DMF_OK) {
        dmf_matrix_free(mat);
        return status;
    }
    *out = mat;
    return DMF_OK;
}

/* ---- writing ------------------------------------------------------------- */

/* %.17g and %.9g are the shortest fixed precisions that read back to the
 * same double and float. */
static void print_value(FILE *f, dmf_dtype dtype, const void *values, size_t k)
{
    switch (dtype) {
    case DMF_F32: fprintf(f, "%.9g", (double)((const float *)values)[k]); break;
    case DMF_F64: fprintf(f, "%.17g", ((const double *)values)[k]); break;
    case DMF_C64: {
        const float *z = (const float *)values + 2 * k;
        fprintf(f, "%.9g %.9g", (double)z[0], (double)z[1]);
        break;
    }
    default: {
        const double *z = (const double *)values + 2 * k;
        fprintf(f, "%.17g %.17g", z[0], z[1]);
        break;
    }
    }
}

/* The file goes to a temporary name beside `path` and is renamed over it
 * when complete (io/atomic_out.h). */
static FILE *open_for_writing(dmf_out_file *o, const char *path, int *status)
{
    *status = dmf_out_open(o, path);
    return *status == DMF_OK ? o->f : NULL;
}

/* Closes f and reports any write that failed; a failed file is removed and
 * the target left as it was. */
static int finish_writing(dmf_out_file *o)
{
    return dmf_out_finish(o, 1, errno);
}

int dmf_mtx_write_array(const char *path, const dmf_matrix *mat)
{
    if (!path) return dmf_fail(DMF_ERR_ARG, "dmf_mtx_write_array: path is NULL");
    if (!mat) return dmf_fail(DMF_ERR_ARG, "'%s': matrix is NULL", path);
    int status;
    dmf_out_file o;
    FILE *f = open_for_writing(&o, path, &status);
    if (!f) return status;
    errno = 0;
    fprintf(f, "%%%%MatrixMarket matrix array %s general\n%% written by dmf %s\n%zu %zu\n",
            dmf_dtype_is_complex(mat->dtype) ? "complex" : "real", DMF_VERSION_STRING,
            mat->rows, mat->cols);
    /* Array files are column-major. */
    for (size_t j = 0; j < mat->cols; j++)
        for (size_t i = 0; i < mat->rows; i++) {
            print_value(f, mat->dtype, mat->data, i * mat->cols + j);
            fputc('\n', f);
        }
    return finish_writing(&o);
}

/* values == NULL writes a `pattern` file: the support alone. */
int dmf_mtx_write_coordinate(const char *path, dmf_dtype dtype, size_t rows, size_t cols,
                             size_t nnz, const size_t *row_idx, const size_t *col_idx,
                             const void *values)
{
    if (!path) return dmf_fail(DMF_ERR_ARG, "dmf_mtx_write_coordinate: path is NULL");
    if ((unsigned)dtype > DMF_C128)
        return dmf_fail(DMF_ERR_ARG, "'%s': invalid dtype %d", path, (int)dtype);
    if (nnz > 0 && (!row_idx || !col_idx))
        return dmf_fail(DMF_ERR_ARG, "'%s': %zu entries but no indices", path, nnz);
    /* Check before opening, so a bad call leaves no file. */
    for (size_t k = 0; k < nnz; k++)
        if (row_idx[k] >= rows || col_idx[k] >= cols)
            return dmf_fail(DMF_ERR_ARG,
                            "'%s': entry %zu at (%zu, %zu) lies outside the %zu x %zu matrix "
                            "(indices are 0-based)",
                            path, k, row_idx[k], col_idx[k], rows, cols);
    const char *field = !values ? "pattern" : dmf_dtype_is_complex(dtype) ? "complex" : "real";
    int status;
    dmf_out_file o;
    FILE *f = open_for_writing(&o, path, &status);
    if (!f) return status;
    errno = 0;
    fprintf(f, "%%%%MatrixMarket matrix coordinate %s general\n%% written by dmf %s\n%zu %zu %zu\n",
            field, DMF_VERSION_STRING, rows, cols, nnz);
    for (size_t k = 0; k < nnz; k++) {
        fprintf(f, "%zu %zu", row_idx[k] + 1, col_idx[k] + 1);
        if (values) {
            fputc(' ', f);
            print_value(f, dtype, values, k);
        }
        fputc('\n', f);
    }
    return finish_writing(&o);
}
