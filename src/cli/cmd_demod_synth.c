/* dmf demod synth: random demodulation problems h0, m0 ~ N(0, I) and their
 * observations y0 = G1(h0) . G2(m0), written as .npy. */
#include <stdlib.h>

#include "cli_out.h"
#include "demod_common.h"
#include "internal.h" /* dmf_alloc, dmf_fail */


int cmd_demod_synth(int argc, char **argv)
{
    static const char cmd[] = "demod synth";
    cli_args args;
    int parsed = cli_parse_args(cmd, argc, argv, &args);
    if (parsed != EXIT_OK) return parsed == CLI_HELP_SHOWN ? EXIT_OK : parsed;
    const char *p1 = cli_get(&args, "g1"), *p2 = cli_get(&args, "g2"), *dir = cli_get(&args, "out");
    demod_run_options run;
    demod_run_from(&args, &run);
    unsigned long long seed = cli_get_u64(&args, "seed", 0);
    size_t trials = cli_get_size(&args, "trials", 1);
    if (cli_check_out_dir(cmd, dir) != EXIT_OK) return EXIT_BAD_INPUT;
    dmf_generator *g1, *g2;
    dmf_context *ctx = NULL;
    int code = demod_load_generators(cmd, p1, p2, run.independent ? trials : 1, run.dtype, &g1, &g2);
    if (code == EXIT_OK) code = demod_open_context(cmd, run.backend, &ctx);
    if (code != EXIT_OK) {
        demod_release(ctx, g1, g2);
        return code;
    }
    const size_t T = trials, n1 = dmf_generator_input_size(g1), n2 = dmf_generator_input_size(g2),
                 l = dmf_generator_output_size(g1);
    double *h0 = dmf_alloc(T * n1, sizeof *h0), *m0 = dmf_alloc(T * n2, sizeof *m0);
    double *y0 = dmf_alloc(T * l, sizeof *y0), *b = dmf_alloc(T * l, sizeof *b);
    char path_y[4096], path_h[4096], path_m[4096];
    int status = h0 && m0 && y0 && b ? DMF_OK : dmf_fail(DMF_ERR_NOMEM, "cannot allocate %zu problems", T);
    if (status == DMF_OK) {
        demod_draw_latents(demod_stream_seed(seed, STREAM_TRUTH), h0, T * n1, m0, T * n2);
        status = demod_observe(ctx, g1, g2, h0, m0, T, y0, b);
    }
    if (status == DMF_OK) status = cli_make_dir(dir);
    if (status == DMF_OK) status = demod_join_path(path_y, sizeof path_y, dir, "y0.npy");
    if (status == DMF_OK) status = demod_join_path(path_h, sizeof path_h, dir, "h0.npy");
    if (status == DMF_OK) status = demod_join_path(path_m, sizeof path_m, dir, "m0.npy");
    if (status == DMF_OK) status = demod_write_rows(path_y, y0, T, l);
    if (status == DMF_OK) status = demod_write_rows(path_h, h0, T, n1);
    if (status == DMF_OK) status = demod_write_rows(path_m, m0, T, n2);
    if (status != DMF_OK) {
        code = cli_fail(cmd, status);
    } else {
        json_line j;
        json_begin(&j);
        json_str(&j, "command", cmd);
        json_str(&j, "g1", p1);
        json_str(&j, "g2", p2);
        json_int(&j, "trials", (long long)T);
        json_int(&j, "n1", (long long)n1);
        json_int(&j, "n2", (long long)n2);
        json_int(&j, "output", (long long)l);
        json_int(&j, "seed", (long long)seed);
        demod_print_run(&j, &run);
        json_str(&j, "y0", path_y);
        json_str(&j, "h0", path_h);
        json_str(&j, "m0", path_m);
        json_end(&j);
    }
    free(h0), free(m0), free(y0), free(b);
    demod_release(ctx, g1, g2);
    return code;
}
