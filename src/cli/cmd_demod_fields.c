/* dmf demod fields: the Gaussian distortion fields of the paper's image
 * experiment as a data set, to train a field generator on. */
#include <stdlib.h>
#include <string.h>

#include "cli_out.h"
#include "demod_common.h"
#include "internal.h" /* dmf_alloc, dmf_fail */


int cmd_demod_fields(int argc, char **argv)
{
    static const char cmd[] = "demod fields";
    cli_args args;
    int parsed = cli_parse_args(cmd, argc, argv, &args);
    if (parsed != EXIT_OK) return parsed == CLI_HELP_SHOWN ? EXIT_OK : parsed;
    size_t grid = cli_get_size(&args, "grid", 0), count = cli_get_size(&args, "count", 0);
    unsigned long long seed = cli_get_u64(&args, "seed", 0);
    const char *out = cli_get(&args, "out"), *params_path = cli_get(&args, "params");
    if (grid < 2 || grid > 4096) return cli_usage_error(cmd, "bad --grid '%zu' (an integer in [2, 4096])", grid);
    if (cli_check_out_file(cmd, out) != EXIT_OK || (params_path && cli_check_out_file(cmd, params_path) != EXIT_OK))
        return EXIT_BAD_INPUT;
    double *fields = dmf_alloc(count, grid * grid * sizeof *fields), *params = dmf_alloc(count * 2, sizeof *params);
    int status = fields && params ? dmf_gaussian_fields(grid, count, seed, fields, params)
                                  : dmf_fail(DMF_ERR_NOMEM, "cannot allocate %zu fields of %zu x %zu", count, grid, grid);
    /* The small parameter file first: a bad --params path then leaves no
     * fields file behind that looks complete. */
    if (status == DMF_OK && params_path) status = demod_write_rows(params_path, params, count, 2);
    if (status == DMF_OK) status = demod_write_rows(out, fields, count, grid * grid);
    int code = EXIT_OK;
    if (status != DMF_OK) {
        code = cli_fail(cmd, status);
    } else {
        json_line j;
        json_begin(&j);
        json_str(&j, "command", cmd);
        json_int(&j, "grid", (long long)grid);
        json_int(&j, "count", (long long)count);
        json_int(&j, "seed", (long long)seed);
        json_str(&j, "fields", out);
        if (params_path) json_str(&j, "params", params_path);
        json_end(&j);
    }
    free(fields), free(params);
    return code;
}
