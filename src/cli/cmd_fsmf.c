/* dmf fsmf: two-factor fixed-support factorization with its optimality
 * analysis. */
#include <getopt.h>
#include <string.h>

#include "cli.h"
#include "cli_out.h"

static const char help[] =
    "usage: dmf fsmf (--input A.npy|A.mtx | --matrix NAME --size N[xM])\n"
    "                --support-x SX.npy|SX.mtx --support-y SY.npy|SY.mtx\n"
    "                [--dtype f32|f64|c64|c128] [--noise LEVEL] [--seed S]\n"
    "                [--radix-m 2,2 --radix-n 2,2] [--backend auto|cpu|cuda]\n"
    "                [--out DIR]\n"
    "\n"
    "A ~ X Y with supp(X) in SX (rows x K) and supp(Y) in SY (K x cols); the\n"
    "patterns are 0/1 matrices (nonzero = allowed).  Inner indices are grouped\n"
    "by their rank-one support supp(X[:,k]) x supp(Y[k,:]).  When the groups are\n"
    "pairwise disjoint or identical, the truncated SVD per group is optimal\n"
    "(\"optimal\": true); otherwise the greedy masked rank-one algorithm runs on\n"
    "the residual and the JSON names two overlapping inner indices.\n"
    "\n"
    "--input FILE      A from .npy or .mtx; or --matrix NAME --size N[xM], a\n"
    "                  built-in (see 'dmf matrix --help')\n"
    "--noise, --seed   noise level and seed of a built-in (default 0 and 0)\n"
    "--radix-m/--radix-n  the chain of '--matrix random-chain'\n"
    "--dtype D         f32, f64, c64 or c128 (default: the file's; c128 for dft\n"
    "                  and dft-bitrev, f64 for the other built-ins)\n"
    "--backend B       accepted for uniformity: the class SVDs run on the CPU\n"
    "--out DIR         writes DIR/X.npy and DIR/Y.npy\n"
    "\n"
    "Prints one JSON line: the classes, disjoint_or_identical, optimal,\n"
    "overlapping_k (when not), the solver, rel_error = ||A - X Y||_F / ||A||_F.\n";

int cmd_fsmf(int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_MATRIX_OPTIONS,
        {"support-x", required_argument, 0, 'x'}, {"support-y", required_argument, 0, 'y'},
        {"backend", required_argument, 0, 'b'},   {"out", required_argument, 0, 'o'},
        {"help", no_argument, 0, 'h'},            {0, 0, 0, 0}};
    const char *cmd = "fsmf", *sx_path = NULL, *sy_path = NULL, *backend = "auto", *out = NULL;
    cli_matrix_source src = {0};
    int c;
    optind = 0;
    opterr = 0;
    while ((c = cli_getopt(cmd, argc, argv, opts)) != -1) {
        int taken = cli_matrix_option(cmd, c, optarg, &src);
        if (taken == EXIT_USAGE) return EXIT_USAGE;
        if (taken) continue;
        switch (c) {
        case 'x': sx_path = optarg; break;
        case 'y': sy_path = optarg; break;
        case 'b': backend = optarg; break;
        case 'o': out = optarg; break;
        case 'h': fputs(help, stdout); return EXIT_OK;
        default: return EXIT_USAGE; /* cli_getopt has said why */
        }
    }
    if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!sx_path || !sy_path) return cli_usage_error(cmd, "--support-x and --support-y are required");
    dmf_matrix *a = NULL, *sx = NULL, *sy = NULL, *x = NULL, *y = NULL;
    int code = out ? cli_check_out_dir(cmd, out) : EXIT_OK;
    if (code != EXIT_OK) return code;
    code = cli_load_matrix(cmd, &src, &a);
    if (code != EXIT_OK) return code;
    dmf_context *ctx = NULL;
    dmf_fsmf_report rep;
    int status = dmf_matrix_read(sx_path, &sx);
    if (status == DMF_OK) status = dmf_matrix_read(sy_path, &sy);
    if (status == DMF_OK) status = dmf_context_create(&ctx, backend);
    double start = cli_now();
    if (status == DMF_OK) status = dmf_fsmf(ctx, a, sx, sy, &x, &y, &rep);
    double elapsed = cli_now() - start;
    if (status == DMF_OK && out) {
        char path[4096];
        status = cli_make_dir(out);
        snprintf(path, sizeof path, "%s/X.npy", out);
        if (status == DMF_OK) status = dmf_npy_write(path, x);
        snprintf(path, sizeof path, "%s/Y.npy", out);
        if (status == DMF_OK) status = dmf_npy_write(path, y);
    }
    if (status != DMF_OK) {
        code = cli_fail(cmd, status);
    } else {
        json_line j;
        json_begin(&j);
        json_str(&j, "command", "fsmf");
        size_t dims[3] = {dmf_matrix_rows(a), dmf_matrix_cols(sx), dmf_matrix_cols(a)};
        json_sizes(&j, "size_m_k_n", dims, 3);
        json_str(&j, "dtype", dmf_dtype_name(dmf_matrix_dtype(a)));
        json_str(&j, "backend", "cpu");
        json_int(&j, "num_classes", (long long)rep.num_classes);
        json_int(&j, "largest_class", (long long)rep.largest_class);
        json_bool(&j, "disjoint_or_identical", rep.disjoint_or_identical);
        json_bool(&j, "optimal", rep.optimal);
        if (!rep.disjoint_or_identical) {
            size_t pair[2] = {rep.conflict_k1, rep.conflict_k2};
            json_sizes(&j, "overlapping_k", pair, 2);
            json_str(&j, "solver", "greedy masked rank-one on the residual (may not be optimal)");
        } else {
            json_str(&j, "solver", "truncated SVD per support class (optimal)");
        }
        json_num(&j, "rel_error", rep.rel_error);
        json_num(&j, "time_s", elapsed);
        if (out) json_str(&j, "out", out);
        json_end(&j);
    }
    dmf_matrix_free(a);
    dmf_matrix_free(sx);
    dmf_matrix_free(sy);
    dmf_matrix_free(x);
    dmf_matrix_free(y);
    dmf_context_free(ctx);
    return code;
}
