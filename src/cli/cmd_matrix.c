/* dmf matrix: write a built-in test matrix to .npy or .mtx. */
#include <getopt.h>
#include <string.h>

#include "cli.h"
#include "cli_out.h"

static const char help[] =
    "usage: dmf matrix --matrix NAME --size N[xM] --out FILE.npy|FILE.mtx\n"
    "                  [--dtype f32|f64|c64|c128] [--noise LEVEL] [--seed S]\n"
    "                  [--radix-m 3,2,4 --radix-n 2,5,3]\n"
    "\n"
    "NAME: hadamard, dft (unitary), dft-bitrev (columns bit-reversed), dct2,\n"
    "dst2 (orthonormal), random-chain (product of chain factors with Gaussian\n"
    "nonzeros; radix 2 unless --radix-m/--radix-n), gaussian.\n"
    "--noise adds Gaussian noise E with ||E||_F = LEVEL * ||A||_F.\n"
    "dtype defaults to c128 for dft*, f64 otherwise.  Prints one JSON line.\n";

int cmd_matrix(int argc, char **argv)
{
    static const struct option opts[] = {CLI_MATRIX_OPTIONS,
                                         {"out", required_argument, 0, 'o'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    cli_matrix_source src = {0};
    const char *out = NULL;
    int c;
    optind = 0;
    opterr = 0;
    while ((c = cli_getopt("matrix", argc, argv, opts)) != -1) {
        int taken = cli_matrix_option("matrix", c, optarg, &src);
        if (taken == EXIT_USAGE) return EXIT_USAGE;
        if (taken) continue;
        switch (c) {
        case 'o': out = optarg; break;
        case 'h': fputs(help, stdout); return EXIT_OK;
        default: return EXIT_USAGE; /* cli_getopt has said why */
        }
    }
    if (optind < argc) return cli_usage_error("matrix", "unexpected argument '%s'", argv[optind]);
    if (!src.matrix || !out) return cli_usage_error("matrix", "--matrix and --out are required");
    if (src.input) return cli_usage_error("matrix", "--input does not apply: matrix writes built-ins");
    dmf_matrix *a;
    int code = cli_check_out_matrix("matrix", out);
    if (code != EXIT_OK) return code;
    code = cli_load_matrix("matrix", &src, &a);
    if (code != EXIT_OK) return code;
    int status = cli_write_matrix(out, a);
    if (status != DMF_OK) {
        dmf_matrix_free(a);
        return cli_fail("matrix", status);
    }
    json_line j;
    json_begin(&j);
    json_str(&j, "matrix", src.matrix);
    size_t dims[2] = {dmf_matrix_rows(a), dmf_matrix_cols(a)};
    json_sizes(&j, "size", dims, 2);
    json_str(&j, "dtype", dmf_dtype_name(dmf_matrix_dtype(a)));
    json_num(&j, "noise", src.noise);
    json_int(&j, "seed", (long long)src.seed);
    json_str(&j, "out", out);
    json_end(&j);
    dmf_matrix_free(a);
    return EXIT_OK;
}
