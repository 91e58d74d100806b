/* dmf matrix: write a built-in test matrix to .npy or .mtx. */
#include <string.h>

#include "cli.h"
#include "cli_args.h"
#include "cli_out.h"

int cmd_matrix(int argc, char **argv)
{
    cli_args args;
    int parsed = cli_parse_args("matrix", argc, argv, &args);
    if (parsed != EXIT_OK) return parsed == CLI_HELP_SHOWN ? EXIT_OK : parsed;
    cli_matrix_source src;
    cli_matrix_source_from(&args, &src);
    const char *out = cli_get(&args, "out");
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
