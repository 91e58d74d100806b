/* File I/O: .npy and Matrix Market round trips in every dtype and at the
 * edge sizes, hand-made files for the variants dmf never writes (Fortran
 * order, format 2.0/3.0 headers, big-endian, symmetric storage), and every
 * malformed input we know of: each must fail with the right status and a
 * message that names the file.  Test files are written byte by byte into a
 * fresh mkdtemp directory, removed at the end. */
#define _POSIX_C_SOURCE 200809L

#include <complex.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "internal.h"
#include "tmp_files.h"

/* An .npy file with the given version and header text (used as is, so
 * malformed headers are possible) followed by `data`. */
static const char *write_npy_raw(const char *name, int major, int minor, const char *header,
                                 const void *data, size_t data_len)
{
    size_t hlen = strlen(header), prefix = major == 1 ? 10 : 12;
    unsigned char *buf = malloc(prefix + hlen + data_len + 1);
    memcpy(buf, "\x93NUMPY", 6);
    buf[6] = (unsigned char)major;
    buf[7] = (unsigned char)minor;
    for (size_t k = 0; k < prefix - 8; k++) buf[8 + k] = (unsigned char)(hlen >> (8 * k));
    memcpy(buf + prefix, header, hlen);
    if (data_len) memcpy(buf + prefix + hlen, data, data_len);
    const char *path = write_bytes(name, buf, prefix + hlen + data_len);
    free(buf);
    return path;
}

/* Reads an .npy with `header` and `data` through a named pipe; 1 when the
 * read fails with a message holding `needle`, or (needle NULL) succeeds. */
static int fifo_read_fails(const char *header, const void *data, size_t data_len, const char *needle)
{
    const char *tmp = write_npy_raw("fifo_source.npy", 1, 0, header, data, data_len);
    char source[sizeof tmp_dir + 32], fifo[sizeof tmp_dir + 32];
    snprintf(source, sizeof source, "%s", tmp);
    snprintf(fifo, sizeof fifo, "%s", tmp_path("pipe.npy"));
    if (mkfifo(fifo, 0600) != 0) return 0;
    pid_t child = fork();
    if (child == 0) { /* the writer: copies the file into the pipe */
        FILE *in = fopen(source, "rb"), *out = fopen(fifo, "wb");
        int c;
        while (in && out && (c = fgetc(in)) != EOF) fputc(c, out);
        if (out) fclose(out); /* _exit does not flush */
        _exit(0);
    }
    dmf_matrix *m = NULL;
    int status = dmf_npy_read(fifo, &m);
    waitpid(child, NULL, 0);
    unlink(fifo);
    dmf_matrix_free(m);
    if (!needle) return status == DMF_OK;
    return status == DMF_ERR_FORMAT && strstr(dmf_last_error(), needle) != NULL;
}

/* A failing call: the status, a message naming the file, and no matrix. */
#define CHECK_FAILS(call, status, path)                                                   \
    do {                                                                                  \
        CHECK_STATUS(call, status);                                                       \
        CHECK(strstr(dmf_last_error(), path) != NULL, "message '%s' does not name '%s'", \
              dmf_last_error(), path);                                                    \
    } while (0)

#define CHECK_READ_FAILS(reader, path, status, needle)                                       \
    do {                                                                                     \
        dmf_matrix *bad_ = (dmf_matrix *)1;                                                  \
        CHECK_FAILS(reader(path, &bad_), status, path);                                      \
        CHECK(bad_ == NULL, "%s left a matrix behind", #reader);                             \
        CHECK(strstr(dmf_last_error(), needle) != NULL, "message '%s' lacks '%s'",           \
              dmf_last_error(), needle);                                                     \
    } while (0)

static int same_matrix(const dmf_matrix *a, const dmf_matrix *b)
{
    return a->dtype == b->dtype && a->rows == b->rows && a->cols == b->cols &&
           memcmp(a->data, b->data, a->rows * a->cols * dmf_dtype_size(a->dtype)) == 0;
}

static const size_t sizes[][2] = {{1, 1}, {1, 7}, {7, 1}, {33, 31}, {0, 0}, {0, 5}, {5, 0}};
#define NUM_SIZES (sizeof sizes / sizeof sizes[0])

static dmf_matrix *random_matrix(dmf_dtype dtype, size_t rows, size_t cols, uint64_t seed)
{
    dmf_matrix *m;
    if (dmf_matrix_create(&m, dtype, rows, cols) != DMF_OK) exit(2);
    dmf_rng rng;
    dmf_rng_seed(&rng, seed);
    dmf_rng_fill_normal(&rng, dtype, m->data, rows * cols);
    return m;
}

/* ---- .npy ---------------------------------------------------------------- */

static void test_npy_round_trips(void)
{
    for (int d = 0; d < 4; d++)
        for (size_t s = 0; s < NUM_SIZES; s++) {
            dmf_dtype dtype = (dmf_dtype)d;
            dmf_matrix *a = random_matrix(dtype, sizes[s][0], sizes[s][1], 100 + s), *b = NULL,
                       *c = NULL;
            const char *path = tmp_path("round.npy");
            CHECK_OK(dmf_npy_write(path, a));
            if (sizes[s][0] == 0 || sizes[s][1] == 0) {
                /* Written (numpy reads it), but nothing dmf computes takes an
                 * empty matrix: refused on reading, before any use. */
                CHECK_READ_FAILS(dmf_npy_read, path, DMF_ERR_FORMAT, "is empty: dmf needs at least one row");
                CHECK_READ_FAILS(dmf_matrix_read, path, DMF_ERR_FORMAT, "is empty");
                dmf_matrix_free(a);
                continue;
            }
            CHECK_OK(dmf_npy_read(path, &b));
            CHECK(b && same_matrix(a, b), "npy %s %zu x %zu does not round-trip",
                  dmf_dtype_name(dtype), sizes[s][0], sizes[s][1]);
            CHECK_OK(dmf_matrix_read(path, &c));
            CHECK(c && same_matrix(a, c), "dmf_matrix_read of .npy %s %zu x %zu differs",
                  dmf_dtype_name(dtype), sizes[s][0], sizes[s][1]);
            dmf_matrix_free(a);
            dmf_matrix_free(b);
            dmf_matrix_free(c);
        }
}

/* Arrays of 32 MiB and more, in dmf's own layout, are mapped from the file
 * (private): the same values as written, writes to the matrix reach neither
 * the file nor another reader, and a Fortran-order file is still read. */
static void test_npy_mapped(void)
{
    const size_t rows = 1500, cols = 1500; /* 36 MB of c128 */
    dmf_matrix *a = random_matrix(DMF_C128, rows, cols, 7), *b = NULL, *c = NULL;
    const char *path = tmp_path("mapped.npy");
    CHECK_OK(dmf_npy_write(path, a));
    CHECK_OK(dmf_npy_read(path, &b));
    CHECK(b && b->mapping != NULL, "a 36 MB .npy is not mapped");
    CHECK(b && same_matrix(a, b), "the mapped matrix differs from the one written");
    if (b) {
        double complex *v = dmf_matrix_data(b);
        v[0] += 1;
        v[rows * cols - 1] = 0;
    }
    CHECK_OK(dmf_npy_read(path, &c));
    CHECK(c && same_matrix(a, c), "writes to a mapped matrix reached the file");
    dmf_matrix_free(b);
    dmf_matrix_free(c);
    dmf_matrix_free(a);
    /* Small arrays are read into memory as before. */
    a = random_matrix(DMF_F64, 40, 30, 8);
    CHECK_OK(dmf_npy_write(path, a));
    CHECK_OK(dmf_npy_read(path, &b));
    CHECK(b && b->mapping == NULL && same_matrix(a, b), "a small .npy is mapped or differs");
    dmf_matrix_free(a);
    dmf_matrix_free(b);
    remove(path);
}

/* The header is numpy's own, byte for byte, and the data 64-byte aligned. */
static void test_npy_header_layout(void)
{
    static const char *const expected[] = {
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }",
        "{'descr': '<c8', 'fortran_order': False, 'shape': (2, 3), }",
        "{'descr': '<c16', 'fortran_order': False, 'shape': (2, 3), }"};
    for (int d = 0; d < 4; d++) {
        dmf_matrix *a = random_matrix((dmf_dtype)d, 2, 3, 7);
        const char *path = tmp_path("layout.npy");
        CHECK_OK(dmf_npy_write(path, a));
        unsigned char buf[256];
        FILE *f = fopen(path, "rb");
        size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
        if (f) fclose(f);
        size_t hlen = n >= 10 ? (size_t)buf[8] | (size_t)buf[9] << 8 : 0;
        size_t data_bytes = 6 * dmf_dtype_size((dmf_dtype)d);
        CHECK(n >= 10 && memcmp(buf, "\x93NUMPY\x01\x00", 8) == 0, "bad preamble");
        CHECK((10 + hlen) % 64 == 0, "header of %zu bytes leaves the data unaligned", hlen);
        CHECK(n == 10 + hlen + data_bytes, "file is %zu bytes, expected %zu", n,
              10 + hlen + data_bytes);
        CHECK(hlen > 0 && hlen < n && buf[10 + hlen - 1] == '\n', "header does not end in '\\n'");
        CHECK(memcmp(buf + 10, expected[d], strlen(expected[d])) == 0, "header is not '%s'",
              expected[d]);
        dmf_matrix_free(a);
    }
}

static void test_npy_write_array_shapes(void)
{
    double values[24];
    for (int k = 0; k < 24; k++) values[k] = k + 0.5;
    dmf_matrix *m = NULL;

    size_t vec[1] = {5};
    const char *path = tmp_path("vector.npy");
    CHECK_OK(dmf_npy_write_array(path, DMF_F64, vec, 1, values));
    CHECK_OK(dmf_npy_read(path, &m));
    CHECK(m && m->rows == 5 && m->cols == 1 && memcmp(m->data, values, 5 * sizeof(double)) == 0,
          "1-D (5,) must read as a 5 x 1 column");
    dmf_matrix_free(m);

    path = tmp_path("scalar.npy");
    CHECK_OK(dmf_npy_write_array(path, DMF_F64, NULL, 0, values + 3));
    CHECK_OK(dmf_npy_read(path, &m));
    CHECK(m && m->rows == 1 && m->cols == 1 && ((double *)m->data)[0] == 3.5,
          "0-D () must read as 1 x 1");
    dmf_matrix_free(m);

    size_t cube[3] = {2, 3, 4};
    path = tmp_path("cube.npy");
    CHECK_OK(dmf_npy_write_array(path, DMF_F64, cube, 3, values));
    CHECK_READ_FAILS(dmf_npy_read, path, DMF_ERR_FORMAT, "3-D array of shape (2, 3, 4)");

    /* Empty arrays are written but refused on reading; the argument checks. */
    size_t empty[1] = {0};
    path = tmp_path("empty.npy");
    CHECK_OK(dmf_npy_write_array(path, DMF_C64, empty, 1, NULL));
    CHECK_READ_FAILS(dmf_npy_read, path, DMF_ERR_FORMAT, "the array of shape (0,) is empty");
    path = tmp_path("args.npy");
    CHECK_FAILS(dmf_npy_write_array(path, DMF_F64, cube, 3, NULL), DMF_ERR_ARG, path);
    CHECK_FAILS(dmf_npy_write_array(path, (dmf_dtype)9, cube, 3, values), DMF_ERR_ARG, path);
    CHECK_FAILS(dmf_npy_write_array(path, DMF_F64, NULL, 2, values), DMF_ERR_ARG, path);
    CHECK_FAILS(dmf_npy_write_array(path, DMF_F64, cube, -1, values), DMF_ERR_ARG, path);
    CHECK(access(path, F_OK) != 0, "a rejected write must not create the file");
}

static void test_npy_fortran_order(void)
{
    /* A = [[1, 2, 3], [4, 5, 6]] stored column by column. */
    const double col_major[6] = {1, 4, 2, 5, 3, 6};
    const char *path = write_npy_raw(
        "fortran.npy", 1, 0, "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }\n",
        col_major, sizeof col_major);
    dmf_matrix *m = NULL;
    CHECK_OK(dmf_npy_read(path, &m));
    const double row_major[6] = {1, 2, 3, 4, 5, 6};
    CHECK(m && m->rows == 2 && m->cols == 3 && memcmp(m->data, row_major, sizeof row_major) == 0,
          "Fortran-order 2 x 3 not transposed into row-major");
    dmf_matrix_free(m);

    /* Complex single precision, 3 x 2, keys in another order. */
    const float complex zc[6] = {1 + 1 * I, 3 + 3 * I, 5 + 5 * I, 2 + 2 * I, 4 + 4 * I, 6 + 6 * I};
    path = write_npy_raw("fortran_c8.npy", 1, 0,
                         "{'shape': (3, 2), 'fortran_order': True, 'descr': '<c8'}", zc,
                         sizeof zc);
    CHECK_OK(dmf_npy_read(path, &m));
    int ok = m && m->rows == 3 && m->cols == 2 && m->dtype == DMF_C64;
    for (int k = 0; ok && k < 6; k++)
        ok = ((float complex *)m->data)[k] == (float)(k + 1) * (1 + 1 * I);
    CHECK(ok, "Fortran-order c8 3 x 2 read wrong");
    dmf_matrix_free(m);

    /* Fortran order of a vector is the same bytes. */
    path = write_npy_raw("fortran_vec.npy", 1, 0,
                         "{'descr': '<f8', 'fortran_order': True, 'shape': (6,), }", row_major,
                         sizeof row_major);
    CHECK_OK(dmf_npy_read(path, &m));
    CHECK(m && m->rows == 6 && m->cols == 1 && memcmp(m->data, row_major, sizeof row_major) == 0,
          "Fortran-order vector read wrong");
    dmf_matrix_free(m);
}

/* Integer and boolean arrays read as f64, in every width, both byte
 * orders and Fortran order, as integer Matrix Market files do. */
static void test_npy_integers(void)
{
    const double want[6] = {-5, 4, 3, 127, 0, -1}; /* 2 x 3, row-major */
    const int64_t i8[6] = {-5, 4, 3, 127, 0, -1};
    const int8_t i1[6] = {-5, 4, 3, 127, 0, -1};
    const int16_t i2_col[6] = {-5, 127, 4, 0, 3, -1}; /* the same 2 x 3, column by column */
    unsigned char i2_col_be[12];
    for (int k = 0; k < 6; k++) {
        uint16_t u = (uint16_t)i2_col[k];
        i2_col_be[2 * k] = (unsigned char)(u >> 8);
        i2_col_be[2 * k + 1] = (unsigned char)u;
    }
    struct { const char *header; const void *data; size_t len; } cases[] = {
        {"{'descr': '<i8', 'fortran_order': False, 'shape': (2, 3), }", i8, sizeof i8},
        {"{'descr': '|i1', 'fortran_order': False, 'shape': (2, 3), }", i1, sizeof i1},
        {"{'descr': '>i2', 'fortran_order': True, 'shape': (2, 3), }", i2_col_be, sizeof i2_col_be},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const char *path = write_npy_raw("ints.npy", 1, 0, cases[c].header, cases[c].data, cases[c].len);
        dmf_matrix *m = NULL;
        CHECK_OK(dmf_npy_read(path, &m));
        CHECK(m && m->dtype == DMF_F64 && m->rows == 2 && m->cols == 3 && memcmp(m->data, want, sizeof want) == 0,
              "integer case %zu (%s) read wrong", c, cases[c].header);
        dmf_matrix_free(m);
    }
    const uint32_t u4[2] = {4000000000u, 7};
    const unsigned char b1[3] = {0, 1, 2};
    dmf_matrix *m = NULL;
    CHECK_OK(dmf_npy_read(write_npy_raw("u4.npy", 1, 0, "{'descr': '<u4', 'fortran_order': False, 'shape': (2,), }",
                                        u4, sizeof u4), &m));
    CHECK(m && ((double *)m->data)[0] == 4e9 && ((double *)m->data)[1] == 7, "uint32 read wrong");
    dmf_matrix_free(m);
    CHECK_OK(dmf_npy_read(write_npy_raw("b1.npy", 1, 0, "{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }",
                                        b1, sizeof b1), &m));
    CHECK(m && ((double *)m->data)[0] == 0 && ((double *)m->data)[1] == 1 && ((double *)m->data)[2] == 1,
          "bool read wrong");
    dmf_matrix_free(m);
    /* Truncated integer data is named as such, by the file's own width. */
    CHECK_STATUS(dmf_npy_read(write_npy_raw("short.npy", 1, 0, "{'descr': '<i8', 'fortran_order': False, 'shape': (2, 3), }",
                                            i8, sizeof i8 - 8), &m), DMF_ERR_FORMAT);
}

static void test_npy_versions(void)
{
    const float data[4] = {1.5f, -2.0f, 3.25f, 0.0f};
    dmf_matrix *m = NULL;
    for (int major = 2; major <= 3; major++) {
        char name[32];
        snprintf(name, sizeof name, "v%d.npy", major);
        const char *path = write_npy_raw(
            name, major, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }    \n",
            data, sizeof data);
        CHECK_OK(dmf_npy_read(path, &m));
        CHECK(m && m->rows == 2 && m->cols == 2 && m->dtype == DMF_F32 &&
                  memcmp(m->data, data, sizeof data) == 0,
              "version %d.0 file read wrong", major);
        dmf_matrix_free(m);
    }
    /* A 2.0 header longer than 65535 bytes, which needs the 32-bit length. */
    const char *dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }";
    size_t hlen = 70000;
    char *header = malloc(hlen + 1);
    memset(header, ' ', hlen);
    memcpy(header, dict, strlen(dict));
    header[hlen - 1] = '\n';
    header[hlen] = '\0';
    const char *path = write_npy_raw("v2_long.npy", 2, 0, header, data, sizeof data);
    free(header);
    CHECK_OK(dmf_npy_read(path, &m));
    CHECK(m && m->rows == 4 && m->cols == 1 && memcmp(m->data, data, sizeof data) == 0,
          "version 2.0 file with a 70000-byte header read wrong");
    dmf_matrix_free(m);

    /* Python 2 era shapes and double quotes. */
    path = write_npy_raw("py2.npy", 1, 0,
                         "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2L, 2L)}\n",
                         data, sizeof data);
    CHECK_OK(dmf_npy_read(path, &m));
    CHECK(m && m->rows == 2 && m->cols == 2 && memcmp(m->data, data, sizeof data) == 0,
          "shape (2L, 2L) read wrong");
    dmf_matrix_free(m);
}

static void test_npy_byte_orders(void)
{
    /* 1.0 and -2.5 as big-endian doubles. */
    const unsigned char be[16] = {0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0xc0, 0x04, 0, 0, 0, 0, 0, 0};
    const char *path = write_npy_raw(
        "big.npy", 1, 0, "{'descr': '>f8', 'fortran_order': False, 'shape': (1, 2), }", be,
        sizeof be);
    dmf_matrix *m = NULL;
    CHECK_OK(dmf_npy_read(path, &m));
    CHECK(m && ((double *)m->data)[0] == 1.0 && ((double *)m->data)[1] == -2.5,
          "big-endian f8 not byte-swapped");
    dmf_matrix_free(m);

    /* 1 + 2i as a big-endian c8: each float swapped on its own. */
    const unsigned char bez[8] = {0x3f, 0x80, 0, 0, 0x40, 0, 0, 0};
    path = write_npy_raw("big_c8.npy", 1, 0,
                         "{'descr': '>c8', 'fortran_order': False, 'shape': (), }", bez,
                         sizeof bez);
    CHECK_OK(dmf_npy_read(path, &m));
    CHECK(m && m->dtype == DMF_C64 && ((float complex *)m->data)[0] == 1 + 2 * I,
          "big-endian c8 not byte-swapped per part");
    dmf_matrix_free(m);

    /* '|', '=' and no prefix mean the native order, as in numpy. */
    const double native[2] = {3.0, -4.0};
    static const char *const descrs[] = {"|f8", "=f8", "f8"};
    for (int k = 0; k < 3; k++) {
        char header[128];
        snprintf(header, sizeof header,
                 "{'descr': '%s', 'fortran_order': False, 'shape': (2,), }", descrs[k]);
        path = write_npy_raw("native.npy", 1, 0, header, native, sizeof native);
        CHECK_OK(dmf_npy_read(path, &m));
        CHECK(m && memcmp(m->data, native, sizeof native) == 0, "descr '%s' read wrong",
              descrs[k]);
        dmf_matrix_free(m);
    }
}

/* NaN and Inf are data, not format errors: the caller checks them. */
static void test_npy_non_finite(void)
{
    dmf_matrix *a = random_matrix(DMF_F64, 2, 2, 3), *b = NULL;
    ((double *)a->data)[1] = NAN;
    ((double *)a->data)[2] = -INFINITY;
    const char *path = tmp_path("nan.npy");
    CHECK_OK(dmf_npy_write(path, a));
    CHECK_OK(dmf_npy_read(path, &b));
    CHECK(b && same_matrix(a, b), "NaN/Inf do not round-trip");
    if (b) CHECK_STATUS(dmf_matrix_check_finite(b), DMF_ERR_NUMERIC);
    dmf_matrix_free(a);
    dmf_matrix_free(b);
}

static void test_npy_errors(void)
{
    const double data[6] = {0};
    const char *path = tmp_path("does_not_exist.npy");
    CHECK_READ_FAILS(dmf_npy_read, path, DMF_ERR_IO, "No such file");
    CHECK_READ_FAILS(dmf_npy_read, tmp_dir, DMF_ERR_IO, "directory");

    path = write_text("magic.npy", "\x93NUMPZ\x01\x00\x10\x00{}");
    CHECK_READ_FAILS(dmf_npy_read, path, DMF_ERR_FORMAT, "bad magic");
    path = write_text("tiny.npy", "\x93NU");
    CHECK_READ_FAILS(dmf_npy_read, path, DMF_ERR_FORMAT, "bad magic");
    path = write_bytes("empty_file.npy", "", 0);
    CHECK_READ_FAILS(dmf_npy_read, path, DMF_ERR_FORMAT, "bad magic");
    path = write_bytes("preamble.npy", "\x93NUMPY\x01", 7);
    CHECK_READ_FAILS(dmf_npy_read, path, DMF_ERR_FORMAT, "truncated");
    path = write_bytes("nolen.npy", "\x93NUMPY\x02\x00\x10", 9);
    CHECK_READ_FAILS(dmf_npy_read, path, DMF_ERR_FORMAT, "truncated");

    const char *good = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }\n";
    path = write_npy_raw("version.npy", 4, 0, good, data, sizeof data);
    CHECK_READ_FAILS(dmf_npy_read, path, DMF_ERR_FORMAT, "version 4.0");
    path = write_npy_raw("truncated.npy", 1, 0, good, data, sizeof data - 1);
    CHECK_READ_FAILS(dmf_npy_read, path, DMF_ERR_FORMAT, "truncated data");

    /* Bytes after the data: the header does not describe the file. */
    double more[7] = {0};
    path = write_npy_raw("trailing.npy", 1, 0, good, more, sizeof more);
    CHECK_READ_FAILS(dmf_npy_read, path, DMF_ERR_FORMAT,
                     "trailing bytes after the data: shape (2, 3) of f64 is 48 bytes, the file has 56");
    path = write_npy_raw("trailing1.npy", 1, 0, good, more, sizeof data + 1);
    CHECK_READ_FAILS(dmf_npy_read, path, DMF_ERR_FORMAT, "trailing bytes");
    path = write_npy_raw("trailing_empty.npy", 1, 0,
                         "{'descr': '<f8', 'fortran_order': False, 'shape': (0, 3), }\n", more, 8);
    CHECK_READ_FAILS(dmf_npy_read, path, DMF_ERR_FORMAT, "is empty");
    /* The same through a pipe, which has no size to compare. */
    CHECK(fifo_read_fails(good, more, sizeof more, "the stream has more"),
          "trailing bytes through a pipe: %s", dmf_last_error());
    CHECK(fifo_read_fails(good, data, sizeof data, NULL), "a whole .npy through a pipe: %s",
          dmf_last_error());

    /* Sizes whose bytes do not fit in size_t. */
    path = write_npy_raw("huge.npy", 1, 0,
                         "{'descr': '<c16', 'fortran_order': False, 'shape': (4294967296, 268435457), }\n",
                         data, sizeof data);
    CHECK_READ_FAILS(dmf_npy_read, path, DMF_ERR_FORMAT, "is too large");

    /* A header length that points past the end of the file. */
    unsigned char past[20] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0xff, 0x00, '{'};
    path = write_bytes("past_eof.npy", past, sizeof past);
    CHECK_READ_FAILS(dmf_npy_read, path, DMF_ERR_FORMAT, "past the end");

    static const struct {
        const char *header, *needle;
    } bad[] = {
        {"{'descr': '<i3', 'fortran_order': False, 'shape': (2, 3), }",
         "unsupported dtype '<i3'; dmf reads f32, f64, c64, c128"},
        {"{'descr': '|b2', 'fortran_order': False, 'shape': (2, 3), }", "unsupported dtype '|b2'"},
        {"{'descr': '|O', 'fortran_order': False, 'shape': (2, 3), }", "unsupported dtype '|O'"},
        {"{'descr': '<f2', 'fortran_order': False, 'shape': (2, 3), }", "unsupported dtype '<f2'"},
        {"{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (2, 3), }",
         "unsupported structured dtype"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2, 3), }", "3-D"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), ", "malformed"},
        {"{'descr': '<f8', 'fortran_order': Maybe, 'shape': (2, 3), }", "True or False"},
        {"{'descr': '<f8', 'shape': (2, 3), }", "missing key 'fortran_order'"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (2, -3), }", "non-negative"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (2 3), }", "expected ',' or ')'"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': [2, 3], }", "tuple"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), 'x': 1}", "unexpected key 'x'"},
        {"{'descr': '<f8' 'fortran_order': False, 'shape': (2, 3), }", "expected ',' or '}'"},
        {"{'descr: '<f8', 'fortran_order': False, 'shape': (2, 3), }", "expected ':'"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), } junk", "after the closing"},
        {"['descr', '<f8']", "expected a dict"},
        {"", "expected a dict"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        char name[32];
        snprintf(name, sizeof name, "bad_header_%zu.npy", k);
        path = write_npy_raw(name, 1, 0, bad[k].header, data, sizeof data);
        CHECK_READ_FAILS(dmf_npy_read, path, DMF_ERR_FORMAT, bad[k].needle);
    }

    /* Writing into a directory that does not exist. */
    dmf_matrix *a = random_matrix(DMF_F32, 2, 2, 1);
    path = tmp_path("no_such_dir/out.npy");
    CHECK_FAILS(dmf_npy_write(path, a), DMF_ERR_IO, path);
    dmf_matrix_free(a);
}

/* ---- Matrix Market ------------------------------------------------------- */

/* The reader gives f64/c128; back in the written dtype it must be exact,
 * since %.9g and %.17g round-trip float and double. */
static int same_after_convert(const dmf_matrix *written, const dmf_matrix *read)
{
    dmf_dtype wide = dmf_dtype_is_complex(written->dtype) ? DMF_C128 : DMF_F64;
    if (!read || read->dtype != wide) return 0;
    dmf_matrix *back = NULL;
    if (dmf_matrix_convert(read, written->dtype, &back) != DMF_OK) return 0;
    int same = same_matrix(written, back);
    dmf_matrix_free(back);
    return same;
}

static void test_mtx_array_round_trips(void)
{
    for (int d = 0; d < 4; d++)
        for (size_t s = 0; s < NUM_SIZES; s++) {
            dmf_dtype dtype = (dmf_dtype)d;
            dmf_matrix *a = random_matrix(dtype, sizes[s][0], sizes[s][1], 200 + s), *b = NULL,
                       *c = NULL;
            const char *path = tmp_path("round.mtx");
            CHECK_OK(dmf_mtx_write_array(path, a));
            if (sizes[s][0] == 0 || sizes[s][1] == 0) {
                CHECK_READ_FAILS(dmf_mtx_read, path, DMF_ERR_FORMAT, "the matrix is empty");
                CHECK_READ_FAILS(dmf_matrix_read, path, DMF_ERR_FORMAT, "the matrix is empty");
                dmf_matrix_free(a);
                continue;
            }
            CHECK_OK(dmf_mtx_read(path, &b));
            CHECK(same_after_convert(a, b), "mtx array %s %zu x %zu does not round-trip",
                  dmf_dtype_name(dtype), sizes[s][0], sizes[s][1]);
            CHECK_OK(dmf_matrix_read(path, &c));
            CHECK(same_after_convert(a, c), "dmf_matrix_read of .mtx %s %zu x %zu differs",
                  dmf_dtype_name(dtype), sizes[s][0], sizes[s][1]);
            dmf_matrix_free(a);
            dmf_matrix_free(b);
            dmf_matrix_free(c);
        }
}

static void test_mtx_coordinate_round_trips(void)
{
    for (int d = 0; d < 4; d++)
        for (size_t s = 0; s < NUM_SIZES; s++) {
            dmf_dtype dtype = (dmf_dtype)d;
            size_t rows = sizes[s][0], cols = sizes[s][1];
            /* One entry in each run of three positions: distinct, so the
             * dense image has no sums. */
            size_t nnz = (rows * cols + 2) / 3;
            dmf_matrix *values = random_matrix(dtype, 1, nnz, 300 + s), *dense, *b = NULL;
            dmf_matrix_create(&dense, dtype, rows, cols);
            size_t *ri = malloc((nnz + 1) * sizeof *ri), *ci = malloc((nnz + 1) * sizeof *ci);
            dmf_rng rng;
            dmf_rng_seed(&rng, 400 + s);
            for (size_t k = 0; k < nnz; k++) {
                size_t run = rows * cols - 3 * k < 3 ? rows * cols - 3 * k : 3;
                size_t pos = 3 * k + (size_t)(dmf_rng_next(&rng) % run);
                ri[k] = pos / cols;
                ci[k] = pos % cols;
                dmf_set(dtype, dense->data, pos, dmf_get(dtype, values->data, k));
            }
            const char *path = tmp_path("coord.mtx");
            CHECK_OK(dmf_mtx_write_coordinate(path, dtype, rows, cols, nnz, ri, ci,
                                              values->data));
            if (rows == 0 || cols == 0) {
                CHECK_READ_FAILS(dmf_mtx_read, path, DMF_ERR_FORMAT, "the matrix is empty");
            } else {
                CHECK_OK(dmf_mtx_read(path, &b));
                CHECK(same_after_convert(dense, b), "mtx coordinate %s %zu x %zu does not round-trip",
                      dmf_dtype_name(dtype), rows, cols);
            }
            dmf_matrix_free(b);
            free(ri);
            free(ci);
            dmf_matrix_free(values);
            dmf_matrix_free(dense);
        }

    /* values == NULL writes a pattern: ones on the support. */
    const size_t ri[3] = {0, 2, 1}, ci[3] = {1, 0, 1};
    const char *path = tmp_path("pattern_out.mtx");
    dmf_matrix *m = NULL;
    CHECK_OK(dmf_mtx_write_coordinate(path, DMF_F64, 3, 2, 3, ri, ci, NULL));
    CHECK_OK(dmf_mtx_read(path, &m));
    const double expect[6] = {0, 1, 0, 1, 1, 0};
    CHECK(m && m->rows == 3 && m->cols == 2 && memcmp(m->data, expect, sizeof expect) == 0,
          "pattern coordinate file read wrong");
    dmf_matrix_free(m);
}

static dmf_matrix *read_mtx_text(const char *name, const char *text)
{
    dmf_matrix *m = NULL;
    const char *path = write_text(name, text);
    CHECK_OK(dmf_mtx_read(path, &m));
    return m;
}

static int equals_f64(const dmf_matrix *m, size_t rows, size_t cols, const double *expect)
{
    return m && m->dtype == DMF_F64 && m->rows == rows && m->cols == cols &&
           memcmp(m->data, expect, rows * cols * sizeof(double)) == 0;
}

static void test_mtx_variants(void)
{
    /* Comments, blank lines, CRLF, mixed case and a duplicate that sums. */
    dmf_matrix *m = read_mtx_text("general.mtx",
                                  "%%MatrixMarket Matrix Coordinate REAL General\r\n"
                                  "% a comment\r\n"
                                  "\r\n"
                                  "%another\r\n"
                                  "2 3 4\r\n"
                                  "1 1 1.5\r\n"
                                  "2 3 -2e1\r\n"
                                  "  1 1   0.25 \r\n"
                                  "2 1 7\r\n");
    const double general[6] = {1.75, 0, 0, 7, 0, -20};
    CHECK(equals_f64(m, 2, 3, general), "general coordinate read wrong");
    dmf_matrix_free(m);

    m = read_mtx_text("symmetric.mtx",
                      "%%MatrixMarket matrix coordinate real symmetric\n3 3 3\n1 1 1\n3 1 2\n3 2 "
                      "3\n");
    const double symmetric[9] = {1, 0, 2, 0, 0, 3, 2, 3, 0};
    CHECK(equals_f64(m, 3, 3, symmetric), "symmetric coordinate read wrong");
    dmf_matrix_free(m);

    m = read_mtx_text("skew.mtx",
                      "%%MatrixMarket matrix coordinate double skew-symmetric\n3 3 2\n2 1 4\n3 2 "
                      "-1\n");
    const double skew[9] = {0, -4, 0, 4, 0, 1, 0, -1, 0};
    CHECK(equals_f64(m, 3, 3, skew), "skew-symmetric coordinate read wrong");
    dmf_matrix_free(m);

    m = read_mtx_text("integer.mtx",
                      "%%MatrixMarket matrix coordinate integer general\n2 2 2\n1 2 -3\n2 2 +12\n");
    const double integer[4] = {0, -3, 0, 12};
    CHECK(equals_f64(m, 2, 2, integer), "integer coordinate read wrong");
    dmf_matrix_free(m);

    m = read_mtx_text("pattern.mtx",
                      "%%MatrixMarket matrix coordinate pattern symmetric\n2 2 2\n1 1\n2 1\n");
    const double pattern[4] = {1, 1, 1, 0};
    CHECK(equals_f64(m, 2, 2, pattern), "symmetric pattern read wrong");
    dmf_matrix_free(m);

    m = read_mtx_text("hermitian.mtx",
                      "%%MatrixMarket matrix coordinate complex hermitian\n2 2 2\n1 1 3 0\n2 1 1 "
                      "2\n");
    int ok = m && m->dtype == DMF_C128 && m->rows == 2 && m->cols == 2;
    const double complex herm[4] = {3, 1 - 2 * I, 1 + 2 * I, 0};
    for (int k = 0; ok && k < 4; k++) ok = ((double complex *)m->data)[k] == herm[k];
    CHECK(ok, "hermitian coordinate read wrong");
    dmf_matrix_free(m);

    /* Array files are column-major. */
    m = read_mtx_text("array.mtx",
                      "%%MatrixMarket matrix array real general\n% c\n2 3\n1\n4\n2\n5\n3\n6\n");
    const double array[6] = {1, 2, 3, 4, 5, 6};
    CHECK(equals_f64(m, 2, 3, array), "general array read wrong");
    dmf_matrix_free(m);

    m = read_mtx_text("array_sym.mtx",
                      "%%MatrixMarket matrix array real symmetric\n3 3\n1\n2\n3\n4\n5\n6\n");
    const double array_sym[9] = {1, 2, 3, 2, 4, 5, 3, 5, 6};
    CHECK(equals_f64(m, 3, 3, array_sym), "symmetric array read wrong");
    dmf_matrix_free(m);

    m = read_mtx_text("array_skew.mtx",
                      "%%MatrixMarket matrix array real skew-symmetric\n3 3\n1\n2\n3\n");
    const double array_skew[9] = {0, -1, -2, 1, 0, -3, 2, 3, 0};
    CHECK(equals_f64(m, 3, 3, array_skew), "skew-symmetric array read wrong");
    dmf_matrix_free(m);

    m = read_mtx_text("array_herm.mtx",
                      "%%MatrixMarket matrix array complex hermitian\n2 2\n1 0\n2 -1\n3 0\n");
    ok = m && m->dtype == DMF_C128;
    const double complex array_herm[4] = {1, 2 + 1 * I, 2 - 1 * I, 3};
    for (int k = 0; ok && k < 4; k++) ok = ((double complex *)m->data)[k] == array_herm[k];
    CHECK(ok, "hermitian array read wrong");
    dmf_matrix_free(m);

    /* A size with nothing to list. */
    m = read_mtx_text("one_skew.mtx", "%%MatrixMarket matrix array real skew-symmetric\n1 1\n");
    const double zero[1] = {0};
    CHECK(equals_f64(m, 1, 1, zero), "1 x 1 skew array (no entries) read wrong");
    dmf_matrix_free(m);

    /* Non-finite values are read, not rejected. */
    m = read_mtx_text("inf.mtx", "%%MatrixMarket matrix array real general\n2 1\nnan\n-inf\n");
    CHECK(m && isnan(((double *)m->data)[0]) && isinf(((double *)m->data)[1]),
          "nan/inf tokens read wrong");
    dmf_matrix_free(m);
    m = read_mtx_text("inf_c.mtx", "%%MatrixMarket matrix array complex general\n1 1\n1 inf\n");
    CHECK(m && creal(((double complex *)m->data)[0]) == 1.0 &&
              isinf(cimag(((double complex *)m->data)[0])),
          "an infinite imaginary part must leave the real part alone");
    dmf_matrix_free(m);
}

static void test_mtx_errors(void)
{
    const char *path = tmp_path("does_not_exist.mtx");
    CHECK_READ_FAILS(dmf_mtx_read, path, DMF_ERR_IO, "No such file");
    CHECK_READ_FAILS(dmf_mtx_read, tmp_dir, DMF_ERR_IO, "directory");

    static const struct {
        const char *text, *needle;
    } bad[] = {
        {"", "empty file"},
        {"2 2\n1\n2\n3\n4\n", ":1: bad banner"},
        {"%MatrixMarket matrix array real general\n1 1\n1\n", ":1: bad banner"},
        {"%%MatrixMarket matrix array real\n1 1\n1\n", ":1: bad banner"},
        {"%%MatrixMarket vector array real general\n1\n1\n", "unsupported object 'vector'"},
        {"%%MatrixMarket matrix list real general\n1 1\n1\n", "unsupported format 'list'"},
        {"%%MatrixMarket matrix array quaternion general\n1 1\n1\n", "unsupported field"},
        {"%%MatrixMarket matrix array real upper\n1 1\n1\n", "unsupported symmetry 'upper'"},
        {"%%MatrixMarket matrix array pattern general\n1 1\n", "coordinate format"},
        {"%%MatrixMarket matrix coordinate pattern skew-symmetric\n2 2 0\n", "skew"},
        {"%%MatrixMarket matrix coordinate real general\n% only comments\n", ":2: truncated"},
        {"%%MatrixMarket matrix coordinate real general\n2 2\n1 1 1\n", ":2: bad size line"},
        {"%%MatrixMarket matrix coordinate real general\n2 x 1\n1 1 1\n", ":2: bad size line"},
        {"%%MatrixMarket matrix array real general\n-2 2\n", ":2: bad size line"},
        {"%%MatrixMarket matrix array real symmetric\n2 3\n1\n", "must be square"},
        /* Empty matrices, refused at the size line: an array file of 0
         * rows once walked every one of its columns (2^64 - 1 here). */
        {"%%MatrixMarket matrix array real general\n0 18446744073709551615\n",
         ":2: the matrix is empty (0 x 18446744073709551615): dmf needs at least one row and one column"},
        {"%%MatrixMarket matrix array real general\n0 9999999999\n", "the matrix is empty (0 x 9999999999)"},
        {"%%MatrixMarket matrix array complex general\n5 0\n", "the matrix is empty (5 x 0)"},
        {"%%MatrixMarket matrix array real symmetric\n0 0\n", "the matrix is empty (0 x 0)"},
        {"%%MatrixMarket matrix coordinate real general\n0 4 0\n", ":2: the matrix is empty (0 x 4)"},
        {"%%MatrixMarket matrix coordinate pattern general\n3 0 1\n1 1\n", "the matrix is empty (3 x 0)"},
        /* Sizes whose entries or bytes do not fit in size_t. */
        {"%%MatrixMarket matrix array real general\n4294967296 4294967297\n", ":2: matrix 4294967296 x 4294967297 is too large"},
        {"%%MatrixMarket matrix array complex general\n4294967296 268435457\n", ":2: matrix 4294967296 x 268435457 is too large"},
        {"%%MatrixMarket matrix coordinate real general\n18446744073709551616 2 1\n", ":2: bad size line"},
        {"%%MatrixMarket matrix coordinate real general\n2 2 1\n3 1 1\n",
         ":3: row index '3' out of range 1..2"},
        {"%%MatrixMarket matrix coordinate real general\n2 2 1\n1 0 1\n",
         ":3: column index '0' out of range 1..2"},
        {"%%MatrixMarket matrix coordinate real general\n2 2 1\n-1 1 1\n", "row index '-1'"},
        {"%%MatrixMarket matrix coordinate real general\n2 2 3\n1 1 1\n2 2 2\n",
         ":4: truncated: expected 3 entries"},
        {"%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 1\n2 2 2\n",
         ":4: more entries than the 1"},
        {"%%MatrixMarket matrix array real general\n2 1\n1\n", "truncated: expected 2 entries"},
        {"%%MatrixMarket matrix array real general\n1 1\n1\n2\n", ":4: more entries"},
        {"%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 abc\n",
         ":3: non-numeric value 'abc'"},
        {"%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 1.5x\n",
         "non-numeric value '1.5x'"},
        {"%%MatrixMarket matrix array complex general\n1 1\n1 i\n", "non-numeric value 'i'"},
        {"%%MatrixMarket matrix coordinate integer general\n2 2 1\n1 1 1.5\n",
         "expected an integer value"},
        {"%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1\n",
         ":3: expected 'row col value'"},
        {"%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 1 1\n",
         "found more than 3"},
        {"%%MatrixMarket matrix coordinate complex general\n2 2 1\n1 1 1\n",
         "expected 'row col real imag'"},
        {"%%MatrixMarket matrix coordinate real skew-symmetric\n2 2 1\n1 1 1\n",
         ":3: diagonal entry (1, 1)"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        char name[32];
        snprintf(name, sizeof name, "bad_%zu.mtx", k);
        path = write_text(name, bad[k].text);
        CHECK_READ_FAILS(dmf_mtx_read, path, DMF_ERR_FORMAT, bad[k].needle);
    }

    /* Writing: indices outside the matrix, a directory that does not exist. */
    const size_t ri[2] = {0, 2}, ci[2] = {0, 0};
    const double v[2] = {1, 2};
    path = tmp_path("bad_write.mtx");
    CHECK_FAILS(dmf_mtx_write_coordinate(path, DMF_F64, 2, 2, 2, ri, ci, v), DMF_ERR_ARG, path);
    CHECK(access(path, F_OK) != 0, "a rejected write must not create the file");
    CHECK_FAILS(dmf_mtx_write_coordinate(path, DMF_F64, 2, 2, 2, NULL, ci, v), DMF_ERR_ARG, path);
    dmf_matrix *a = random_matrix(DMF_F64, 2, 2, 1);
    path = tmp_path("no_such_dir/out.mtx");
    CHECK_FAILS(dmf_mtx_write_array(path, a), DMF_ERR_IO, path);
    CHECK_FAILS(dmf_mtx_write_coordinate(path, DMF_F64, 2, 2, 1, ri, ci, v), DMF_ERR_IO, path);
    dmf_matrix_free(a);
}

/* ---- dispatch ------------------------------------------------------------ */

static void test_read_any(void)
{
    dmf_matrix *a = random_matrix(DMF_F32, 3, 2, 9), *b = NULL;
    const char *path = tmp_path("UPPER.NPY");
    CHECK_OK(dmf_npy_write(path, a));
    CHECK_OK(dmf_matrix_read(path, &b));
    CHECK(b && same_matrix(a, b), ".NPY not dispatched to the npy reader");
    dmf_matrix_free(b);
    b = NULL;
    path = tmp_path("Mixed.Mtx");
    CHECK_OK(dmf_mtx_write_array(path, a));
    CHECK_OK(dmf_matrix_read(path, &b));
    CHECK(same_after_convert(a, b), ".Mtx not dispatched to the mtx reader");
    dmf_matrix_free(b);
    dmf_matrix_free(a);

    CHECK_READ_FAILS(dmf_matrix_read, "data.txt", DMF_ERR_ARG,
                     "unknown file type for 'data.txt': expected .npy or .mtx");
    CHECK_READ_FAILS(dmf_matrix_read, "no_extension", DMF_ERR_ARG, "unknown file type");
    CHECK_READ_FAILS(dmf_matrix_read, "dir.npy/file", DMF_ERR_ARG, "unknown file type");
    CHECK_READ_FAILS(dmf_matrix_read, "archive.npy.gz", DMF_ERR_ARG, "unknown file type");
    /* The extension picks the reader, whose errors name the file. */
    path = tmp_path("missing.mtx");
    CHECK_READ_FAILS(dmf_matrix_read, path, DMF_ERR_IO, "cannot open");
}

/* Double to single precision: values that round to FLT_MAX convert, the
 * first that rounds to infinity (FLT_MAX plus half its ulp) is refused
 * naming the entry, in either part of a complex entry; non-finite values
 * pass through for the finiteness checks to report; tiny values round. */
static void test_convert_to_single(void)
{
    const double fits = 0x1.fffffefffffffp+127, overflows = 0x1.ffffffp+127;
    dmf_matrix *m = NULL, *out = NULL;
    CHECK_OK(dmf_matrix_create(&m, DMF_F64, 2, 2));
    double *x = m->data;
    x[0] = 1.0, x[1] = -fits, x[2] = 1e-40, x[3] = 1e-50;
    CHECK_OK(dmf_matrix_convert(m, DMF_F32, &out));
    const float *y = out ? out->data : NULL;
    CHECK(y && y[1] == -FLT_MAX && y[2] > 0 && y[2] < FLT_MIN && y[3] == 0.0f, "f32 edges converted wrong");
    dmf_matrix_free(out);
    x[3] = -overflows;
    out = NULL;
    CHECK(dmf_matrix_convert(m, DMF_F32, &out) == DMF_ERR_NUMERIC && !out, "f64 beyond f32 must be refused");
    CHECK(strstr(dmf_last_error(), "entry (1, 1)") && strstr(dmf_last_error(), "beyond its range"),
          "message: %s", dmf_last_error());
    x[3] = INFINITY;
    CHECK_OK(dmf_matrix_convert(m, DMF_F32, &out));
    dmf_matrix_free(out);
    dmf_matrix_free(m);
    CHECK_OK(dmf_matrix_create(&m, DMF_C128, 1, 2));
    double complex *z = m->data;
    z[0] = 1.0, z[1] = CMPLX(1.0, 1e39);
    out = NULL;
    CHECK(dmf_matrix_convert(m, DMF_C64, &out) == DMF_ERR_NUMERIC && !out, "c128 beyond c64 must be refused");
    CHECK(strstr(dmf_last_error(), "entry (0, 1)"), "message: %s", dmf_last_error());
    z[1] = CMPLX(fits, 1e39);
    CHECK_OK(dmf_matrix_convert(m, DMF_C128, &out));
    dmf_matrix_free(out);
    dmf_matrix_free(m);
}

int main(void)
{
    if (make_tmp_dir("dmf_test_io") != 0) return 2;
    test_convert_to_single();
    test_npy_round_trips();
    test_npy_mapped();
    test_npy_header_layout();
    test_npy_write_array_shapes();
    test_npy_fortran_order();
    test_npy_integers();
    test_npy_versions();
    test_npy_byte_orders();
    test_npy_non_finite();
    test_npy_errors();
    test_mtx_array_round_trips();
    test_mtx_coordinate_round_trips();
    test_mtx_variants();
    test_mtx_errors();
    test_read_any();
    remove_tmp_dir();
    return check_report("test_io");
}
