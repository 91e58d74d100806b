/* NumPy .npy files (numpy.lib.format), format versions 1.0, 2.0 and 3.0.
 *
 * A file is the magic "\x93NUMPY", a major and a minor version byte, the
 * header length (uint16 little-endian in 1.0, uint32 in 2.0 and 3.0), the
 * header -- a Python dict literal such as
 *     {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }
 * padded with spaces so the data starts on a 64-byte boundary and ended by a
 * newline -- and then the raw elements.  Version 3.0 differs from 2.0 only in
 * allowing UTF-8 in the header, which matters for structured dtypes (rejected
 * here anyway), so all three versions parse alike. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "internal.h"
#include "io/atomic_out.h"

/* numpy 2 raised NPY_MAXDIMS from 32 to 64. */
#define NPY_MAX_DIMS DMF_NPY_MAX_DIMS

static const char npy_magic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

typedef struct {
    dmf_dtype dtype;
    char int_kind;   /* 'i', 'u' or 'b' for integer and bool files (read as f64), else 0 */
    size_t int_size; /* their bytes per entry */
    int swap; /* the file's byte order is not the host's */
    int fortran_order;
    int ndim;
    size_t shape[NPY_MAX_DIMS];
} npy_header;

/* The header text being parsed and the file it came from, for messages. */
typedef struct {
    const char *path;
    const char *text, *p, *end;
} npy_cursor;

static int host_is_little_endian(void)
{
    const uint16_t one = 1;
    unsigned char first;
    memcpy(&first, &one, 1);
    return first == 1;
}

/* "(3, 4)" as Python prints the shape, cut short if it does not fit. */
static void format_shape(char *buf, size_t size, const size_t *shape, int ndim)
{
    size_t len = (size_t)snprintf(buf, size, "(");
    for (int k = 0; k < ndim && len < size; k++)
        len += (size_t)snprintf(buf + len, size - len, "%s%zu", k ? ", " : "", shape[k]);
    if (len < size) snprintf(buf + len, size - len, ndim == 1 ? ",)" : ")");
}

static int header_error(const npy_cursor *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int header_error(const npy_cursor *c, const char *fmt, ...)
{
    char what[256];
    va_list args;
    va_start(args, fmt);
    vsnprintf(what, sizeof what, fmt, args);
    va_end(args);
    /* Quote the header without its padding, and not all of a huge one. */
    const char *last = c->end;
    while (last > c->text && (last[-1] == ' ' || last[-1] == '\n' || last[-1] == '\r'))
        last--;
    int shown = last - c->text > 160 ? 160 : (int)(last - c->text);
    return dmf_fail(DMF_ERR_FORMAT, "'%s': malformed .npy header: %s (header: \"%.*s%s\")",
                    c->path, what, shown, c->text, last - c->text > shown ? "..." : "");
}

static void skip_space(npy_cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static int accept(npy_cursor *c, char ch)
{
    skip_space(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}

/* A quoted Python string; numpy's keys and simple dtypes need no escapes. */
static int parse_string(npy_cursor *c, char *buf, size_t size, const char *what)
{
    skip_space(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
        return header_error(c, "expected %s as a quoted string", what);
    char quote = *c->p++;
    const char *start = c->p;
    while (c->p < c->end && *c->p != quote) c->p++;
    if (c->p >= c->end) return header_error(c, "unterminated string");
    size_t len = (size_t)(c->p - start);
    c->p++;
    if (len >= size) return header_error(c, "%s '%.24s...' is too long", what, start);
    memcpy(buf, start, len);
    buf[len] = '\0';
    return DMF_OK;
}

static int parse_bool(npy_cursor *c, int *value)
{
    skip_space(c);
    size_t left = (size_t)(c->end - c->p);
    if (left >= 4 && memcmp(c->p, "True", 4) == 0) {
        *value = 1;
        c->p += 4;
        return DMF_OK;
    }
    if (left >= 5 && memcmp(c->p, "False", 5) == 0) {
        *value = 0;
        c->p += 5;
        return DMF_OK;
    }
    return header_error(c, "'fortran_order' must be True or False");
}

/* A tuple of non-negative integers: (), (n,), (r, c), ... */
static int parse_shape(npy_cursor *c, npy_header *h)
{
    if (!accept(c, '(')) return header_error(c, "'shape' must be a tuple such as (3, 4)");
    h->ndim = 0;
    if (accept(c, ')')) return DMF_OK;
    for (;;) {
        skip_space(c);
        if (c->p >= c->end || *c->p < '0' || *c->p > '9')
            return header_error(c, "'shape' must hold non-negative integers");
        size_t value = 0;
        while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
            size_t digit = (size_t)(*c->p - '0');
            if (value > (SIZE_MAX - digit) / 10)
                return header_error(c, "a dimension in 'shape' is too large");
            value = value * 10 + digit;
            c->p++;
        }
        /* Python 2 longs, as numpy wrote them there: (3L, 4L). */
        if (c->p < c->end && (*c->p == 'L' || *c->p == 'l')) c->p++;
        if (h->ndim == NPY_MAX_DIMS)
            return header_error(c, "'shape' has more than %d dimensions", NPY_MAX_DIMS);
        h->shape[h->ndim++] = value;
        int comma = accept(c, ',');
        if (accept(c, ')')) return DMF_OK;
        if (!comma) return header_error(c, "expected ',' or ')' in 'shape'");
    }
}

static void integers_to_double(const void *raw, char kind, size_t width, size_t count, double *out)
{
    for (size_t i = 0; i < count; i++) {
        const unsigned char *p = (const unsigned char *)raw + i * width;
        if (kind == 'b') { out[i] = p[0] != 0; continue; }
        if (kind == 'u') {
            uint64_t v = width == 1 ? *p : width == 2 ? *(const uint16_t *)(const void *)p
                       : width == 4 ? *(const uint32_t *)(const void *)p : *(const uint64_t *)(const void *)p;
            out[i] = (double)v;
        } else {
            int64_t v = width == 1 ? (int8_t)*p : width == 2 ? *(const int16_t *)(const void *)p
                      : width == 4 ? *(const int32_t *)(const void *)p : *(const int64_t *)(const void *)p;
            out[i] = (double)v;
        }
    }
}

static int parse_descr(const char *path, const char *descr, npy_header *h)
{
    static const struct {
        const char *code;
        dmf_dtype dtype;
    } types[] = {{"f4", DMF_F32}, {"f8", DMF_F64}, {"c8", DMF_C64}, {"c16", DMF_C128}};
    char order = descr[0];
    const char *code = descr + 1;
    if (order != '<' && order != '>' && order != '=' && order != '|') {
        order = '=';
        code = descr;
    }
    for (size_t k = 0; k < sizeof types / sizeof types[0]; k++) {
        if (strcmp(code, types[k].code) != 0) continue;
        h->dtype = types[k].dtype;
        /* '=' is the writer's native order, which the file cannot tell, and
         * '|' means "not applicable"; numpy reads both (and no prefix) as the
         * reader's native order, and so do we.  '>' is byte-swapped. */
        int little = order == '<' || (order != '>' && host_is_little_endian());
        h->swap = little != host_is_little_endian();
        return DMF_OK;
    }
    /* Integer and boolean arrays are read as float64, as integer Matrix
     * Market files are (integers beyond 2^53 round). */
    if ((code[0] == 'i' || code[0] == 'u' || code[0] == 'b') && code[1] && !code[2] &&
        (code[1] == '1' || code[1] == '2' || code[1] == '4' || code[1] == '8') && (code[0] != 'b' || code[1] == '1')) {
        h->dtype = DMF_F64;
        h->int_kind = code[0];
        h->int_size = (size_t)(code[1] - '0');
        int little = order == '<' || (order != '>' && host_is_little_endian());
        h->swap = h->int_size > 1 && little != host_is_little_endian();
        return DMF_OK;
    }
    return dmf_fail(DMF_ERR_FORMAT,
                    "'%s': unsupported dtype '%s'; dmf reads f32, f64, c64, c128 "
                    "('<f4', '<f8', '<c8', '<c16'), and integers and booleans as f64",
                    path, descr);
}

/* The header dict: exactly the keys descr, fortran_order and shape. */
static int parse_header(npy_cursor *c, npy_header *h)
{
    int have_descr = 0, have_order = 0, have_shape = 0;
    char key[32], descr[64];
    if (!accept(c, '{')) return header_error(c, "expected a dict starting with '{'");
    while (!accept(c, '}')) {
        DMF_TRY(parse_string(c, key, sizeof key, "a key"));
        if (!accept(c, ':')) return header_error(c, "expected ':' after the key '%s'", key);
        if (strcmp(key, "descr") == 0) {
            skip_space(c);
            if (c->p < c->end && *c->p == '[')
                return dmf_fail(DMF_ERR_FORMAT,
                                "'%s': unsupported structured dtype; dmf reads f32, f64, c64, "
                                "c128 ('<f4', '<f8', '<c8', '<c16')",
                                c->path);
            DMF_TRY(parse_string(c, descr, sizeof descr, "'descr'"));
            have_descr = 1;
        } else if (strcmp(key, "fortran_order") == 0) {
            DMF_TRY(parse_bool(c, &h->fortran_order));
            have_order = 1;
        } else if (strcmp(key, "shape") == 0) {
            DMF_TRY(parse_shape(c, h));
            have_shape = 1;
        } else {
            return header_error(c, "unexpected key '%s'", key);
        }
        if (!accept(c, ',')) {
            if (accept(c, '}')) break;
            return header_error(c, "expected ',' or '}' after the value of '%s'", key);
        }
    }
    skip_space(c);
    if (c->p != c->end) return header_error(c, "unexpected text after the closing '}'");
    if (!have_descr || !have_order || !have_shape)
        return header_error(c, "missing key '%s'",
                            !have_descr ? "descr" : !have_order ? "fortran_order" : "shape");
    return parse_descr(c->path, descr, h);
}

/* Reads exactly n bytes: short reads are truncation, stream errors I/O. */
static int read_exact(FILE *f, const char *path, void *buf, size_t n, const char *what)
{
    if (n == 0) return DMF_OK;
    errno = 0;
    size_t got = fread(buf, 1, n, f);
    if (got == n) return DMF_OK;
    if (ferror(f))
        return dmf_fail(DMF_ERR_IO, "cannot read '%s': %s", path, strerror(errno ? errno : EIO));
    return dmf_fail(DMF_ERR_FORMAT, "'%s': truncated %s: expected %zu bytes, found %zu", path,
                    what, n, got);
}

static void swap_bytes(void *data, size_t count, size_t width)
{
    unsigned char *b = data;
    for (size_t k = 0; k < count; k++, b += width)
        for (size_t i = 0; i < width / 2; i++) {
            unsigned char t = b[i];
            b[i] = b[width - 1 - i];
            b[width - 1 - i] = t;
        }
}

/* Column-major rows x cols (Fortran order) into row-major. */
static void transpose_into(void *dst, const void *src, size_t rows, size_t cols, size_t esize)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++)
            memcpy(d + (i * cols + j) * esize, s + (j * rows + i) * esize, esize);
}

/* Fills h from the preamble and header; *data_offset is where data starts. */
static int read_preamble_and_header(FILE *f, const char *path, long long file_size,
                                    npy_header *h, size_t *data_offset)
{
    unsigned char pre[12];
    errno = 0;
    size_t got = fread(pre, 1, 8, f);
    if (got < 8 && ferror(f))
        return dmf_fail(DMF_ERR_IO, "cannot read '%s': %s", path, strerror(errno ? errno : EIO));
    if (got < 6 || memcmp(pre, npy_magic, 6) != 0)
        return dmf_fail(DMF_ERR_FORMAT,
                        "'%s': not a .npy file (bad magic: it does not start with "
                        "\"\\x93NUMPY\")",
                        path);
    if (got < 8)
        return dmf_fail(DMF_ERR_FORMAT, "'%s': truncated .npy preamble: the file ends after %zu bytes",
                        path, got);
    int major = pre[6], minor = pre[7];
    if (major < 1 || major > 3 || minor != 0)
        return dmf_fail(DMF_ERR_FORMAT,
                        "'%s': unsupported .npy format version %d.%d; dmf reads 1.0, 2.0 and 3.0",
                        path, major, minor);
    size_t len_bytes = major == 1 ? 2 : 4;
    DMF_TRY(read_exact(f, path, pre + 8, len_bytes, ".npy preamble"));
    size_t header_len = (size_t)pre[8] | (size_t)pre[9] << 8;
    if (len_bytes == 4) header_len |= (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
    size_t prefix = 8 + len_bytes;
    if (file_size >= 0 && (long long)(prefix + header_len) > file_size)
        return dmf_fail(DMF_ERR_FORMAT,
                        "'%s': malformed .npy header: its length %zu runs past the end of the "
                        "file (%lld bytes)",
                        path, header_len, file_size);
    char *text = malloc(header_len + 1);
    if (!text)
        return dmf_fail(DMF_ERR_NOMEM, "'%s': cannot allocate a %zu-byte .npy header", path,
                        header_len);
    int status = read_exact(f, path, text, header_len, ".npy header");
    if (status == DMF_OK) {
        text[header_len] = '\0';
        npy_cursor c = {path, text, text, text + header_len};
        status = parse_header(&c, h);
    }
    free(text);
    *data_offset = prefix + header_len;
    return status;
}

/* Bytes after the data: a file cut from a larger one, or one whose header
 * does not describe it; either way not what the header says. */
static int trailing_error(const char *path, const char *shape_text, dmf_dtype dtype, size_t bytes,
                          long long have)
{
    if (have < 0)
        return dmf_fail(DMF_ERR_FORMAT,
                        "'%s': trailing bytes after the data: shape %s of %s is %zu bytes, the "
                        "stream has more",
                        path, shape_text, dmf_dtype_name(dtype), bytes);
    return dmf_fail(DMF_ERR_FORMAT,
                    "'%s': trailing bytes after the data: shape %s of %s is %zu bytes, the file "
                    "has %lld after the header",
                    path, shape_text, dmf_dtype_name(dtype), bytes, have);
}

/* Large arrays stored as dmf keeps them are mapped instead of read: the
 * pages come from the page cache as the factorization first reads them,
 * with no copy and no fresh memory to clear (a private mapping: a caller
 * that writes to the matrix writes to its own copy of those pages). */
enum { MAP_MIN_BYTES = 32 << 20 };

static int map_npy(FILE *f, dmf_dtype dtype, size_t rows, size_t cols, size_t data_offset, size_t bytes,
                   dmf_matrix **out)
{
    if (bytes < MAP_MIN_BYTES || data_offset % 64 != 0 || data_offset > SIZE_MAX - bytes) return DMF_ERR_IO;
    size_t length = data_offset + bytes;
    void *base = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_PRIVATE, fileno(f), 0);
    if (base == MAP_FAILED) return DMF_ERR_IO; /* read it instead */
    madvise(base, length, MADV_WILLNEED);
    dmf_matrix *mat;
    if (dmf_matrix_wrap(&mat, dtype, rows, cols, (char *)base + data_offset) != DMF_OK) {
        munmap(base, length);
        return DMF_ERR_NOMEM;
    }
    mat->mapping = base;
    mat->mapping_bytes = length;
    *out = mat;
    return DMF_OK;
}

static int read_npy(FILE *f, const char *path, dmf_matrix **out, size_t *nd_shape, int *nd_ndim)
{
    /* The size lets us name truncation before allocating; pipes have none. */
    long long file_size = -1;
    struct stat st;
    if (fstat(fileno(f), &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return dmf_fail(DMF_ERR_IO, "cannot read '%s': %s", path, strerror(EISDIR));
        if (S_ISREG(st.st_mode)) file_size = (long long)st.st_size;
    }
    npy_header h;
    memset(&h, 0, sizeof h);
    size_t data_offset = 0;
    DMF_TRY(read_preamble_and_header(f, path, file_size, &h, &data_offset));

    char shape_text[160];
    format_shape(shape_text, sizeof shape_text, h.shape, h.ndim);
    if (nd_shape && h.ndim > 2) { /* N-d, C order: the last axis is the columns */
        if (h.fortran_order)
            return dmf_fail(DMF_ERR_FORMAT, "'%s': %d-D arrays must be in C order", path, h.ndim);
        for (int k = 0; k < h.ndim; k++) nd_shape[k] = h.shape[k];
        *nd_ndim = h.ndim;
        size_t rows = 1;
        for (int k = 0; k + 1 < h.ndim; k++)
            if (!dmf_mul_size(rows, h.shape[k], &rows))
                return dmf_fail(DMF_ERR_FORMAT, "'%s': shape %s is too large", path, shape_text);
        h.shape[0] = rows;
        h.shape[1] = h.shape[h.ndim - 1];
        h.ndim = 2;
    } else if (nd_shape) {
        for (int k = 0; k < h.ndim; k++) nd_shape[k] = h.shape[k];
        *nd_ndim = h.ndim;
    }
    if (h.ndim > 2)
        return dmf_fail(DMF_ERR_FORMAT,
                        "'%s': %d-D array of shape %s is not supported; dmf reads 0-D, 1-D and "
                        "2-D arrays",
                        path, h.ndim, shape_text);
    /* A scalar is 1 x 1 and a vector a single column. */
    size_t rows = h.ndim >= 1 ? h.shape[0] : 1;
    size_t cols = h.ndim == 2 ? h.shape[1] : 1;
    /* Bytes per entry in the file (integers: their own width). */
    size_t esize = h.int_kind ? h.int_size : dmf_dtype_size(h.dtype), count, bytes;
    if (!dmf_mul_size(rows, cols, &count) || !dmf_mul_size(count, esize, &bytes))
        return dmf_fail(DMF_ERR_FORMAT, "'%s': shape %s is too large", path, shape_text);
    if (count == 0)
        return dmf_fail(DMF_ERR_FORMAT, "'%s': the array of shape %s is empty: dmf needs at least "
                        "one row and one column", path, shape_text);
    if (file_size >= 0 && (unsigned long long)(file_size - (long long)data_offset) < bytes)
        return dmf_fail(DMF_ERR_FORMAT,
                        "'%s': truncated data: shape %s of %s needs %zu bytes after the header, "
                        "the file has %lld",
                        path, shape_text, dmf_dtype_name(h.dtype), bytes,
                        file_size - (long long)data_offset);
    if (file_size >= 0 && (unsigned long long)(file_size - (long long)data_offset) > bytes)
        return trailing_error(path, shape_text, h.dtype, bytes, file_size - (long long)data_offset);

    int transpose = h.fortran_order && h.ndim == 2 && rows > 1 && cols > 1;
    if (file_size >= 0 && !transpose && !h.int_kind && !h.swap)
        if (map_npy(f, h.dtype, rows, cols, data_offset, bytes, out) == DMF_OK) return DMF_OK;
    dmf_matrix *mat;
    int status = dmf_matrix_create(&mat, h.dtype, rows, cols);
    if (status != DMF_OK) return dmf_fail_context(status, "'%s'", path);
    void *buf = transpose || h.int_kind ? malloc(bytes) : mat->data;
    if (!buf) {
        dmf_matrix_free(mat);
        return dmf_fail(DMF_ERR_NOMEM, "'%s': cannot allocate %zu bytes to transpose", path,
                        bytes);
    }
    status = read_exact(f, path, buf, bytes, "data");
    /* Streams without a size (pipes) are checked for more bytes here. */
    if (status == DMF_OK && file_size < 0 && fgetc(f) != EOF)
        status = trailing_error(path, shape_text, h.dtype, bytes, -1);
    if (status == DMF_OK && h.swap) {
        size_t parts = dmf_dtype_is_complex(h.dtype) ? 2 : 1;
        swap_bytes(buf, count * parts, esize / parts);
    }
    if (h.int_kind) { /* widen into the matrix, in the file's order */
        double *to = mat->data;
        if (status == DMF_OK) integers_to_double(buf, h.int_kind, h.int_size, count, to);
        free(buf);
        buf = NULL;
        esize = sizeof(double);
        if (status == DMF_OK && transpose) {
            buf = malloc(count * esize);
            if (!buf) status = dmf_fail(DMF_ERR_NOMEM, "'%s': cannot allocate %zu bytes to transpose", path, count * esize);
            else memcpy(buf, to, count * esize);
        }
    }
    if (transpose && buf) {
        if (status == DMF_OK) transpose_into(mat->data, buf, rows, cols, esize);
        free(buf);
    }
    if (status != DMF_OK) {
        dmf_matrix_free(mat);
        return status;
    }
    *out = mat;
    return DMF_OK;
}

int dmf_npy_read(const char *path, dmf_matrix **out)
{
    if (!out) return dmf_fail(DMF_ERR_ARG, "dmf_npy_read: out is NULL");
    *out = NULL;
    if (!path) return dmf_fail(DMF_ERR_ARG, "dmf_npy_read: path is NULL");
    FILE *f = fopen(path, "rb");
    if (!f) return dmf_fail(DMF_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    int status = read_npy(f, path, out, NULL, NULL);
    fclose(f);
    return status;
}

int dmf_npy_read_nd(const char *path, dmf_matrix **out, size_t shape[NPY_MAX_DIMS], int *ndim)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return dmf_fail(DMF_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    int status = read_npy(f, path, out, shape, ndim);
    fclose(f);
    return status;
}

/* Writes raw little- or big-endian (the host's) data of the type `code`
 * ("f8", "i8", ...) with `elem` bytes per entry. */
static int write_coded(const char *path, const char *code, size_t elem, const size_t *shape, int ndim,
                       const void *data)
{
    if (ndim < 0 || ndim > NPY_MAX_DIMS)
        return dmf_fail(DMF_ERR_ARG, "'%s': %d dimensions (expected 0 to %d)", path, ndim,
                        NPY_MAX_DIMS);
    if (ndim > 0 && !shape) return dmf_fail(DMF_ERR_ARG, "'%s': shape is NULL", path);
    size_t count = 1, bytes;
    for (int k = 0; k < ndim; k++)
        if (!dmf_mul_size(count, shape[k], &count))
            return dmf_fail(DMF_ERR_SHAPE, "'%s': array is too large", path);
    if (!dmf_mul_size(count, elem, &bytes))
        return dmf_fail(DMF_ERR_SHAPE, "'%s': array is too large", path);
    if (bytes > 0 && !data) return dmf_fail(DMF_ERR_ARG, "'%s': data is NULL", path);

    /* The dict as numpy's repr writes it, so files compare equal byte for
     * byte; room for 64 dims of 20 digits. */
    char shape_text[NPY_MAX_DIMS * 22 + 8];
    format_shape(shape_text, sizeof shape_text, shape, ndim);
    char dict[sizeof shape_text + 64];
    int dict_len = snprintf(dict, sizeof dict, "{'descr': '%c%s', 'fortran_order': False, 'shape': %s, }",
                            host_is_little_endian() ? '<' : '>', code, shape_text);
    /* Spaces and a final newline pad preamble + header to a multiple of 64
     * bytes, as numpy does, so the data is aligned for memory mapping.
     * Version 1.0 unless the header outgrows its 16-bit length. */
    size_t prefix = 10;
    size_t header_len = (size_t)dict_len + 1;
    header_len += (64 - (prefix + header_len) % 64) % 64;
    if (header_len > 65535) {
        prefix = 12;
        header_len = (size_t)dict_len + 1;
        header_len += (64 - (prefix + header_len) % 64) % 64;
    }
    unsigned char *head = malloc(prefix + header_len);
    if (!head) return dmf_fail(DMF_ERR_NOMEM, "'%s': cannot allocate the .npy header", path);
    memcpy(head, npy_magic, 6);
    head[6] = prefix == 10 ? 1 : 2;
    head[7] = 0;
    for (size_t k = 0; k < prefix - 8; k++) head[8 + k] = (unsigned char)(header_len >> (8 * k));
    memset(head + prefix, ' ', header_len);
    memcpy(head + prefix, dict, (size_t)dict_len);
    head[prefix + header_len - 1] = '\n';

    dmf_out_file o;
    int status = dmf_out_open(&o, path);
    if (status != DMF_OK) {
        free(head);
        return status;
    }
    errno = 0;
    int ok = fwrite(head, 1, prefix + header_len, o.f) == prefix + header_len &&
             (bytes == 0 || fwrite(data, 1, bytes, o.f) == bytes);
    int saved = errno;
    free(head);
    /* Renamed over `path` only when complete: no half-written file. */
    return dmf_out_finish(&o, ok, saved);
}

int dmf_npy_write_array(const char *path, dmf_dtype dtype, const size_t *shape, int ndim,
                        const void *data)
{
    static const char *const codes[] = {"f4", "f8", "c8", "c16"};
    if (!path) return dmf_fail(DMF_ERR_ARG, "dmf_npy_write_array: path is NULL");
    if ((unsigned)dtype > DMF_C128)
        return dmf_fail(DMF_ERR_ARG, "'%s': invalid dtype %d", path, (int)dtype);
    return write_coded(path, codes[dtype], dmf_dtype_size(dtype), shape, ndim, data);
}

int dmf_npy_write_indices(const char *path, size_t count, const size_t *indices)
{
    if (!path || (count && !indices)) return dmf_fail(DMF_ERR_ARG, "dmf_npy_write_indices: NULL argument");
    int64_t *values = malloc((count ? count : 1) * sizeof *values);
    if (!values) return dmf_fail(DMF_ERR_NOMEM, "'%s': cannot allocate %zu indices", path, count);
    for (size_t i = 0; i < count; i++) values[i] = (int64_t)indices[i];
    int status = write_coded(path, "i8", sizeof *values, &count, 1, values);
    free(values);
    return status;
}

int dmf_npy_read_indices(const char *path, size_t count, size_t **out)
{
    if (!path || !out) return dmf_fail(DMF_ERR_ARG, "dmf_npy_read_indices: NULL argument");
    *out = NULL;
    dmf_matrix *v = NULL;
    DMF_TRY(dmf_npy_read(path, &v));
    size_t *idx = NULL;
    int status = DMF_OK;
    if (v->cols != 1 || v->rows != count || dmf_dtype_is_complex(v->dtype))
        status = dmf_fail(DMF_ERR_FORMAT, "'%s': expected a vector of %zu integer indices, found %zu x %zu %s", path,
                          count, v->rows, v->cols, dmf_dtype_name(v->dtype));
    else if (!(idx = malloc((count ? count : 1) * sizeof *idx)))
        status = dmf_fail(DMF_ERR_NOMEM, "'%s': cannot allocate %zu indices", path, count);
    for (size_t i = 0; status == DMF_OK && i < count; i++) {
        double x = creal(dmf_get(v->dtype, v->data, i));
        if (!(x >= 0 && x < (double)count && x == floor(x)))
            status = dmf_fail(DMF_ERR_FORMAT, "'%s': entry %zu (%g) is not an index below %zu", path, i, x, count);
        else idx[i] = (size_t)x;
    }
    dmf_matrix_free(v);
    if (status != DMF_OK) {
        free(idx);
        return status;
    }
    *out = idx;
    return DMF_OK;
}

int dmf_npy_write(const char *path, const dmf_matrix *mat)
{
    if (!mat) return dmf_fail(DMF_ERR_ARG, "dmf_npy_write: matrix is NULL");
    size_t shape[2] = {mat->rows, mat->cols};
    return dmf_npy_write_array(path, mat->dtype, shape, 2, mat->data);
}
