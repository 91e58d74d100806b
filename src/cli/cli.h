/* Shared pieces of the dmf command line. */
#ifndef DMF_CLI_H
#define DMF_CLI_H

#include <stdio.h>

#include "dmf.h"
#include "options/options.h"

/* Exit codes (documented in `dmf --help` and the README). */
enum { EXIT_OK = 0, EXIT_BAD_INPUT = 1, EXIT_USAGE = 2, EXIT_NUMERIC = 3, EXIT_BACKEND = 4 };
/* dmf run: some job of the shard is recorded failed (the code of a
 * numerical failure, which is what a failed job most often is); a signal
 * stopped the run before the shard was done. */
enum { EXIT_JOB_FAILED = 3, EXIT_INTERRUPTED = 5 };

/* Prints "dmf CMD: message" for a failed library call and maps its status
 * to an exit code. */
int cli_fail(const char *cmd, int status);
/* The exit code of a failed status, printing nothing. */
int cli_exit_code(int status);
/* Prints a usage error with a hint to --help and returns EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One JSON object per line on stdout. */
typedef struct { FILE *out; int items; } json_line;
void json_begin(json_line *j);
void json_key(json_line *j, const char *key);
void json_str(json_line *j, const char *key, const char *value);
/* Numbers are written so that they read back exactly (17 significant
 * digits); NaN and infinities as null. */
#define JSON_NUM "%.17g"

/* Set by --verbose (any command) or DMF_VERBOSE=1: say why "auto" runs on
 * the CPU, which is otherwise silent (no GPU is the common case). */
extern int cli_verbose;
void cli_note_fallback(const char *cmd, const dmf_context *ctx);
void json_num(json_line *j, const char *key, double value);
/* A value that is already JSON text (e.g. a tree's nested list). */
void json_raw(json_line *j, const char *key, const char *json_text);
void json_int(json_line *j, const char *key, long long value);
void json_bool(json_line *j, const char *key, int value);
void json_sizes(json_line *j, const char *key, const size_t *values, size_t count);
void json_end(json_line *j);
void json_write_string(FILE *out, const char *s);

/* Where a command's matrix comes from: --input FILE or --matrix NAME with
 * --size, --dtype, --noise, --seed and the radices of random-chain. */
typedef struct {
    const char *input, *matrix, *dims;
    const char *dtype;
    double noise;
    unsigned long long seed;
    size_t radix_m[64], radix_n[64];
    int num_m, num_n;
    /* The command's library call refuses NaN and infinities itself, from
     * a pass it makes anyway (dmf_butterfly_factor): the loader leaves the
     * input's scan to it, and cli_input_nonfinite names the entry after. */
    int finite_checked_later;
} cli_matrix_source;

/* The matrix source of a command's parsed options (MATRIX_SOURCE_OPTIONS
 * of the table, whose checks it relies on). */
void cli_matrix_source_from(const cli_args *a, cli_matrix_source *src);
/* dmf_matrix_convert, warning on stderr when entries of a double matrix
 * fall below single precision's smallest normal number going to f32/c64
 * (they become subnormal, losing digits, or zero); `what` names the matrix. */
int cli_convert_matrix(const char *cmd, const char *what, const dmf_matrix *src, dmf_dtype dtype, dmf_matrix **out);
/* Loads --input or builds --matrix; checks for NaN/Inf unless the source
 * says the library does. */
int cli_load_matrix(const char *cmd, const cli_matrix_source *src, dmf_matrix **out);
/* EXIT_BAD_INPUT, said on stderr with the source's name and the entry,
 * when the loaded matrix holds a NaN or an infinity; EXIT_OK otherwise. */
int cli_input_nonfinite(const char *cmd, const cli_matrix_source *src, const dmf_matrix *a);

/* getopt_long(argc, argv, "h", opts, NULL) that takes long options only by
 * their full name: "--tre" is refused, not read as "--tree".  On a bad option
 * (unknown, abbreviated, ambiguous or missing its value) it prints why, with
 * a "did you mean" where a name is close, and returns '?'.  Callers reset
 * optind to 0 before the first call, as for getopt_long. */
struct option;
int cli_getopt(const char *cmd, int argc, char **argv, const struct option *opts);
/* Monotonic wall time in seconds. */
double cli_now(void);
/* Creates a directory (fine if it exists); a dmf status. */
int cli_make_dir(const char *dir);

int cmd_butterfly(int argc, char **argv);
int cmd_fsmf(int argc, char **argv);
int cmd_palm(int argc, char **argv);
int cmd_hierarchical(int argc, char **argv);
int cmd_matrix(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_liftrank(int argc, char **argv);
int cmd_scatter(int argc, char **argv);
int cmd_synth_network(int argc, char **argv);
int cmd_recover(int argc, char **argv);
int cmd_demod(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_jobs(int argc, char **argv);

#endif
