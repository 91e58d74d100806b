/* dmf demod solve: Algorithm 1 on every row of a y0.npy in one batched
 * call, from Gaussian starts, with success judged against the truth when
 * it is given. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli_out.h"
#include "demod_common.h"
#include "internal.h" /* dmf_alloc, dmf_fail */


int cmd_demod_solve(int argc, char **argv)
{
    static const char cmd[] = "demod solve";
    cli_args args;
    int parsed = cli_parse_args(cmd, argc, argv, &args);
    if (parsed != EXIT_OK) return parsed == CLI_HELP_SHOWN ? EXIT_OK : parsed;
    const char *p1 = cli_get(&args, "g1"), *p2 = cli_get(&args, "g2"), *py = cli_get(&args, "y0");
    const char *ph = cli_get(&args, "h0"), *pm = cli_get(&args, "m0"), *trace_path = cli_get(&args, "trace");
    const char *dir = cli_get(&args, "out");
    demod_run_options run;
    dmf_demod_options o;
    demod_solver_from(&args, &o, &run);
    unsigned long long start_seed = cli_get_u64(&args, "start-seed", 1);
    if ((dir && cli_check_out_dir(cmd, dir) != EXIT_OK) || (trace_path && cli_check_out_file(cmd, trace_path) != EXIT_OK))
        return EXIT_BAD_INPUT;

    dmf_generator *g1, *g2;
    dmf_context *ctx = NULL;
    double *y0 = NULL, *h0 = NULL, *m0 = NULL, *h = NULL, *m = NULL, *trace = NULL;
    dmf_demod_trial *res = NULL;
    size_t T = 0;
    int code = demod_load_generators(cmd, p1, p2, 1, run.dtype, &g1, &g2);
    const size_t n1 = code ? 0 : dmf_generator_input_size(g1), n2 = code ? 0 : dmf_generator_input_size(g2),
                 l = code ? 0 : dmf_generator_output_size(g1);
    if (code == EXIT_OK) code = demod_load_rows(cmd, "y0", py, l, &T, &y0);
    if (code == EXIT_OK && run.independent) { /* T networks, now that T is known */
        demod_release(NULL, g1, g2);
        code = demod_load_generators(cmd, p1, p2, T, run.dtype, &g1, &g2);
    }
    if (code == EXIT_OK && ph) code = demod_load_rows(cmd, "h0", ph, n1, &T, &h0);
    if (code == EXIT_OK && pm) code = demod_load_rows(cmd, "m0", pm, n2, &T, &m0);
    if (code == EXIT_OK) code = demod_open_context(cmd, run.backend, &ctx);
    int status = DMF_OK;
    double time_s = 0;
    if (code == EXIT_OK) {
        h = dmf_alloc(T * n1, sizeof *h);
        m = dmf_alloc(T * n2, sizeof *m);
        res = calloc(T, sizeof *res);
        if (trace_path) {
            trace = dmf_alloc(T * o.iterations, sizeof *trace);
            for (size_t e = 0; trace && e < T * o.iterations; e++) trace[e] = NAN;
        }
        if (!h || !m || !res || (trace_path && !trace))
            status = dmf_fail(DMF_ERR_NOMEM, "cannot allocate the state of %zu trials", T);
    }
    if (code == EXIT_OK && status == DMF_OK) {
        demod_draw_latents(demod_stream_seed(start_seed, STREAM_STARTS), h, T * n1, m, T * n2);
        double t0 = cli_now();
        status = dmf_demod_solve(ctx, g1, g2, y0, T, h, m, h0, m0, &o, res, trace);
        time_s = cli_now() - t0;
    }
    char path_h[4096], path_m[4096], path_g1[4096], path_g2[4096];
    if (code == EXIT_OK && status == DMF_OK && dir) {
        double *out = dmf_alloc(T * l, sizeof *out);
        status = out ? cli_make_dir(dir) : dmf_fail(DMF_ERR_NOMEM, "cannot allocate %zu outputs", T);
        if (status == DMF_OK) status = demod_join_path(path_h, sizeof path_h, dir, "h.npy");
        if (status == DMF_OK) status = demod_join_path(path_m, sizeof path_m, dir, "m.npy");
        if (status == DMF_OK) status = demod_join_path(path_g1, sizeof path_g1, dir, "g1.npy");
        if (status == DMF_OK) status = demod_join_path(path_g2, sizeof path_g2, dir, "g2.npy");
        if (status == DMF_OK) status = demod_write_rows(path_h, h, T, n1);
        if (status == DMF_OK) status = demod_write_rows(path_m, m, T, n2);
        if (status == DMF_OK) status = dmf_generator_forward(ctx, g1, h, T, out);
        if (status == DMF_OK) status = demod_write_rows(path_g1, out, T, l);
        if (status == DMF_OK) status = dmf_generator_forward(ctx, g2, m, T, out);
        if (status == DMF_OK) status = demod_write_rows(path_g2, out, T, l);
        free(out);
    }
    if (code == EXIT_OK && status == DMF_OK && trace_path)
        status = demod_write_rows(trace_path, trace, T, o.iterations);
    if (code == EXIT_OK && status != DMF_OK) code = cli_fail(cmd, status);
    if (code == EXIT_OK) {
        for (size_t t = 0; t < T; t++) {
            json_line j;
            json_begin(&j);
            json_int(&j, "trial", (long long)t);
            if (h0) json_bool(&j, "success", res[t].success);
            json_bool(&j, "converged", res[t].converged);
            json_int(&j, "iterations", (long long)res[t].iterations);
            if (h0) json_num(&j, "rel_error", res[t].rel_error);
            json_num(&j, "rel_residual", res[t].rel_residual);
            json_num(&j, "objective", res[t].objective);
            json_end(&j);
        }
        demod_summary s;
        demod_summarize(res, T, time_s, &s);
        json_line j;
        json_begin(&j);
        json_str(&j, "command", cmd);
        json_bool(&j, "summary", 1);
        json_int(&j, "trials", (long long)T);
        json_int(&j, "n1", (long long)n1);
        json_int(&j, "n2", (long long)n2);
        json_int(&j, "output", (long long)l);
        demod_json_summary(&j, &s, h0 != NULL);
        json_str(&j, "backend", dmf_context_backend_name(ctx));
        demod_print_run(&j, &run);
        json_int(&j, "start_seed", (long long)start_seed);
        if (dir) {
            json_str(&j, "h", path_h);
            json_str(&j, "m", path_m);
            json_str(&j, "g1_output", path_g1);
            json_str(&j, "g2_output", path_g2);
        }
        if (trace_path) json_str(&j, "trace", trace_path);
        demod_print_options(&j, &o);
        json_end(&j);
    }
    free(y0), free(h0), free(m0), free(h), free(m), free(trace), free(res);
    demod_release(ctx, g1, g2);
    return code;
}
