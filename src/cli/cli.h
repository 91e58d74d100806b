/* Shared pieces of the dmf command line. */
#ifndef DMF_CLI_H
#define DMF_CLI_H

#include <stdio.h>

#include "dmf.h"

/* Exit codes (documented in `dmf --help` and the README). */
enum { EXIT_OK = 0, EXIT_BAD_INPUT = 1, EXIT_USAGE = 2, EXIT_NUMERIC = 3, EXIT_BACKEND = 4 };

/* Prints "dmf CMD: message" for a failed library call and maps its status
 * to an exit code. */
int cli_fail(const char *cmd, int status);
/* Prints a usage error with a hint to --help and returns EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parsers that reject trailing junk, negatives and overflow. */
int cli_parse_size(const char *text, size_t *out);
int cli_parse_u64(const char *text, unsigned long long *out);
int cli_parse_double(const char *text, double *out);
/* "3,2,4" -> {3, 2, 4}; returns count or -1. */
int cli_parse_size_list(const char *text, size_t *out, int capacity);
/* "N" or "NxM" (rows x cols). */
int cli_parse_dims(const char *text, size_t *rows, size_t *cols);

/* One JSON object per line on stdout. */
typedef struct { FILE *out; int items; } json_line;
void json_begin(json_line *j);
void json_key(json_line *j, const char *key);
void json_str(json_line *j, const char *key, const char *value);
void json_num(json_line *j, const char *key, double value);
void json_int(json_line *j, const char *key, long long value);
void json_bool(json_line *j, const char *key, int value);
void json_sizes(json_line *j, const char *key, const size_t *values, size_t count);
void json_end(json_line *j);
void json_write_string(FILE *out, const char *s);

/* Loads --input or builds --matrix; checks for NaN/Inf. */
typedef struct {
    const char *input, *matrix, *dims;
    const char *dtype;
    double noise;
    unsigned long long seed;
    const size_t *radix_m, *radix_n;
    size_t num_radices;
} cli_matrix_source;
int cli_load_matrix(const char *cmd, const cli_matrix_source *src, dmf_matrix **out);

/* Monotonic wall time in seconds. */
double cli_now(void);
/* Creates a directory (fine if it exists); a dmf status. */
int cli_make_dir(const char *dir);

int cmd_butterfly(int argc, char **argv);
int cmd_fsmf(int argc, char **argv);
int cmd_matrix(int argc, char **argv);
int cmd_info(int argc, char **argv);

#endif
