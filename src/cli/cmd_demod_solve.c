/* dmf demod solve: Algorithm 1 on every row of a y0.npy in one batched
 * call, from Gaussian starts, with success judged against the truth when
 * it is given. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli_out.h"
#include "demod_common.h"
#include "internal.h" /* dmf_alloc, dmf_fail */

static const char help_solve[] =
    "usage: dmf demod solve --g1 G1.json --g2 G2.json --y0 Y0.npy\n"
    "                       [--h0 H0.npy --m0 M0.npy] [--start-seed S]\n"
    "                       [--iterations N] [--step ETA]\n"
    "                       [--step-rule fixed|scaled|backtracking] [--momentum MU]\n"
    "                       [--tol T] [--success-tol E] [--no-sign-check]\n"
    "                       [--trace TRACE.npy] [--out DIR] [--backend B]\n"
    "                       [--dtype f32|f64] [--independent-networks]\n"
    "\n"
    "Runs Algorithm 1 on every row of Y0 (T x l, or one 1-D vector of l values)\n"
    "in one batched call, from starts h, m ~ N(0, I) drawn from --start-seed\n"
    "(default 1).  With --h0 and --m0 (T x n1, T x n2: the truth, e.g. from\n"
    "'demod synth') each trial also reports success and the relative error.\n"
    "\n" SOLVER_HELP
    "--trace FILE     writes f(h, m) after every iteration (T x N; a trial that\n"
    "                 stopped repeats its value, NaN once all have stopped)\n"
    "--out DIR        writes the estimates DIR/h.npy (T x n1), DIR/m.npy (T x n2)\n"
    "                 and their outputs DIR/g1.npy = G1(h), DIR/g2.npy = G2(m) (T x l)\n"
    INDEPENDENT_HELP
    "                 (as given to 'demod synth')\n"
    "\n"
    "Prints one JSON line per trial (trial, success, converged, iterations,\n"
    "rel_error, rel_residual, objective; success and rel_error only with the\n"
    "truth) and a summary line (trials, successes, success_rate, converged,\n"
    "median_iterations, time_s, options).  A non-finite y0 is bad input (exit 1).\n";

int cmd_demod_solve(int argc, char **argv)
{
    static const char cmd[] = "demod solve";
    static const struct option opts[] = {GENERATOR_OPTIONS,
                                         {"y0", required_argument, 0, OPT_Y0},
                                         {"h0", required_argument, 0, OPT_H0},
                                         {"m0", required_argument, 0, OPT_M0},
                                         {"start-seed", required_argument, 0, OPT_START_SEED},
                                         {"trace", required_argument, 0, OPT_TRACE},
                                         {"out", required_argument, 0, OPT_OUT},
                                         SOLVER_OPTIONS,
                                         INDEPENDENT_OPTION,
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *p1 = NULL, *p2 = NULL, *py = NULL, *ph = NULL, *pm = NULL, *trace_path = NULL, *dir = NULL;
    demod_run_options run = DEMOD_RUN_DEFAULTS;
    unsigned long long start_seed = 1;
    dmf_demod_options o;
    dmf_demod_options_default(&o);
    int c;
    optind = 0;
    opterr = 0;
    while ((c = cli_getopt(cmd, argc, argv, opts)) != -1) {
        int taken = demod_solver_option(cmd, c, optarg, &o, &run);
        if (taken == EXIT_USAGE) return EXIT_USAGE;
        if (taken) continue;
        switch (c) {
        case OPT_G1: p1 = optarg; break;
        case OPT_G2: p2 = optarg; break;
        case OPT_Y0: py = optarg; break;
        case OPT_H0: ph = optarg; break;
        case OPT_M0: pm = optarg; break;
        case OPT_TRACE: trace_path = optarg; break;
        case OPT_OUT: dir = optarg; break;
        case OPT_START_SEED:
            if (cli_parse_u64(optarg, &start_seed)) return cli_usage_error(cmd, "bad --start-seed '%s'", optarg);
            break;
        case 'h': fputs(help_solve, stdout); return EXIT_OK;
        default: return EXIT_USAGE; /* cli_getopt has said why */
        }
    }
    if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!py) return cli_usage_error(cmd, "--y0 Y0.npy is required");
    if (!ph != !pm) return cli_usage_error(cmd, "give both --h0 and --m0 (the truth), or neither");
    if (demod_check_solver_options(cmd, &o, &run) != EXIT_OK) return EXIT_USAGE;
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
