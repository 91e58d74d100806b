/* dmf demod fields: the Gaussian distortion fields of the paper's image
 * experiment as a data set, to train a field generator on. */
#include <stdlib.h>
#include <string.h>

#include "cli_out.h"
#include "demod_common.h"
#include "internal.h" /* dmf_alloc, dmf_fail */

static const char help_fields[] =
    "usage: dmf demod fields --grid G --count N --out FIELDS.npy [--params P.npy]\n"
    "                        [--seed S]\n"
    "\n"
    "Writes N distortion fields exp(-((x - c)^2 + (y - c)^2) / sigma) on a G x G\n"
    "grid over x, y in [-5, 5] (rows y, columns x), c ~ U[-3, 3] and sigma ~\n"
    "U[20, 35] drawn from --seed (default 0), as in Hand & Joshi's image\n"
    "experiment: FIELDS.npy is N x G^2 float64 (one flattened field per row),\n"
    "P.npy (optional) N x 2 with (c, sigma).  Training data for a field\n"
    "generator G2 with G^2 outputs; dmf trains nothing itself.  Prints one\n"
    "JSON line.\n";

int cmd_demod_fields(int argc, char **argv)
{
    static const char cmd[] = "demod fields";
    static const struct option opts[] = {{"grid", required_argument, 0, OPT_GRID},
                                         {"count", required_argument, 0, OPT_COUNT},
                                         {"out", required_argument, 0, OPT_OUT},
                                         {"params", required_argument, 0, OPT_PARAMS},
                                         {"seed", required_argument, 0, OPT_SEED},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    size_t grid = 0, count = 0;
    unsigned long long seed = 0;
    const char *out = NULL, *params_path = NULL;
    int c;
    optind = 0;
    opterr = 0;
    while ((c = cli_getopt(cmd, argc, argv, opts)) != -1) {
        switch (c) {
        case OPT_GRID:
            if (cli_parse_size(optarg, &grid) || grid < 2 || grid > 4096)
                return cli_usage_error(cmd, "bad --grid '%s' (an integer in [2, 4096])", optarg);
            break;
        case OPT_COUNT:
            if (cli_parse_size(optarg, &count) || count < 1)
                return cli_usage_error(cmd, "bad --count '%s' (an integer >= 1)", optarg);
            break;
        case OPT_OUT: out = optarg; break;
        case OPT_PARAMS: params_path = optarg; break;
        case OPT_SEED:
            if (cli_parse_u64(optarg, &seed)) return cli_usage_error(cmd, "bad --seed '%s'", optarg);
            break;
        case 'h': fputs(help_fields, stdout); return EXIT_OK;
        default: return EXIT_USAGE; /* cli_getopt has said why */
        }
    }
    if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!grid || !count || !out) return cli_usage_error(cmd, "--grid, --count and --out are required");
    if (params_path && !strcmp(params_path, out))
        return cli_usage_error(cmd, "--params and --out name the same file '%s'", out);
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
