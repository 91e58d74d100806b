/* dmf demod landscape: the objective f(h, m) on a 2-D grid for
 * one-dimensional latents (the paper's Figure 1). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli_out.h"
#include "demod_common.h"
#include "internal.h" /* dmf_alloc, dmf_fail */


/* "A,B" with A < B into *lo, *hi; -1 when it is not. */
static int parse_range(const char *text, double *lo, double *hi)
{
    char buf[128];
    if (!text || strlen(text) >= sizeof buf) return -1;
    strcpy(buf, text);
    /* The separator is the first comma (the numbers may carry signs). */
    char *comma = strchr(buf, ',');
    if (!comma) return -1;
    *comma = '\0';
    if (cli_parse_double(buf, lo) || cli_parse_double(comma + 1, hi) || !(*lo < *hi)) return -1;
    return 0;
}

int cmd_demod_landscape(int argc, char **argv)
{
    static const char cmd[] = "demod landscape";
    cli_args args;
    int parsed = cli_parse_args(cmd, argc, argv, &args);
    if (parsed != EXIT_OK) return parsed == CLI_HELP_SHOWN ? EXIT_OK : parsed;
    const char *p1 = cli_get(&args, "g1"), *p2 = cli_get(&args, "g2"), *out = cli_get(&args, "out");
    demod_run_options run;
    demod_run_from(&args, &run);
    double h0 = cli_get_double(&args, "h0", 0), m0 = cli_get_double(&args, "m0", 0), lo, hi;
    size_t P = cli_get_size(&args, "points", 101);
    if (parse_range(cli_get(&args, "range"), &lo, &hi))
        return cli_usage_error(cmd, "bad --range '%s' (A,B with A < B, e.g. -2,2)", cli_get(&args, "range"));
    if (P < 2 || P > 100000)
        return cli_usage_error(cmd, "bad --points '%zu' (an integer from 2 to 100000)", P);
    if (out && cli_check_out_file(cmd, out) != EXIT_OK) return EXIT_BAD_INPUT;
    dmf_generator *g1, *g2;
    dmf_context *ctx = NULL;
    int code = demod_load_generators(cmd, p1, p2, 1, run.dtype, &g1, &g2);
    if (code == EXIT_OK && (dmf_generator_input_size(g1) != 1 || dmf_generator_input_size(g2) != 1)) {
        fprintf(stderr, "dmf %s: the landscape needs one-dimensional latents (n = p = 1); '%s' has %zu, '%s' has %zu\n",
                cmd, p1, dmf_generator_input_size(g1), p2, dmf_generator_input_size(g2));
        code = EXIT_BAD_INPUT;
    }
    if (code == EXIT_OK) code = demod_open_context(cmd, run.backend, &ctx);
    if (code != EXIT_OK) {
        demod_release(ctx, g1, g2);
        return code;
    }
    const size_t l = dmf_generator_output_size(g1);
    double *v = dmf_alloc(P, sizeof *v), *a = dmf_alloc(P * l, sizeof *a), *b = dmf_alloc(P * l, sizeof *b);
    double *grid = dmf_alloc(P * P, sizeof *grid), *y0 = dmf_alloc(l, sizeof *y0);
    int status = v && a && b && grid && y0 ? DMF_OK
                                                : dmf_fail(DMF_ERR_NOMEM, "cannot allocate a %zu x %zu grid", P, P);
    /* y0, then G1 and G2 at every grid value in one batched pass each. */
    double truth[2] = {h0, -h0}, truth_m[2] = {m0, -m0};
    if (status == DMF_OK) status = dmf_generator_forward(ctx, g1, truth, 2, a);
    if (status == DMF_OK) status = dmf_generator_forward(ctx, g2, truth_m, 2, b);
    double f_mirror = 0, f_origin = 0;
    if (status == DMF_OK) {
        for (size_t e = 0; e < l; e++) y0[e] = a[e] * b[e];
        for (size_t e = 0; e < l; e++) {
            double r = a[l + e] * b[l + e] - y0[e];
            f_mirror += 0.5 * r * r;
            f_origin += 0.5 * y0[e] * y0[e];
        }
        for (size_t i = 0; i < P; i++) v[i] = i + 1 == P ? hi : lo + (hi - lo) * (double)i / (double)(P - 1);
        status = dmf_generator_forward(ctx, g1, v, P, a);
    }
    if (status == DMF_OK) status = dmf_generator_forward(ctx, g2, v, P, b);
    if (status == DMF_OK) {
        /* f = 1/2 sum (a_i b_j - y)^2 summed directly: expanding the square
         * would lose the small values near the minima to cancellation. */
        for (size_t i = 0; i < P; i++)
            for (size_t jj = 0; jj < P; jj++) {
                const double *ai = a + i * l, *bj = b + jj * l;
                double f = 0;
                for (size_t e = 0; e < l; e++) {
                    double r = ai[e] * bj[e] - y0[e];
                    f += r * r;
                }
                grid[i * P + jj] = 0.5 * f;
            }
        if (out) status = demod_write_rows(out, grid, P, P);
    }
    if (status != DMF_OK) {
        code = cli_fail(cmd, status);
    } else {
        size_t imin = 0, imax = 0;
        for (size_t e = 1; e < P * P; e++) {
            if (grid[e] < grid[imin]) imin = e;
            if (grid[e] > grid[imax]) imax = e;
        }
        /* The smallest value in each sign quadrant (h >= 0 counts as +),
         * best first. */
        static const char *const names[4] = {"++", "+-", "-+", "--"};
        size_t at[4];
        int found[4] = {0}, order[4], count = 0;
        for (size_t i = 0; i < P; i++)
            for (size_t jj = 0; jj < P; jj++) {
                int k = (v[i] < 0) * 2 + (v[jj] < 0);
                size_t e = i * P + jj;
                if (!found[k] || grid[e] < grid[at[k]]) at[k] = e, found[k] = 1;
            }
        for (int k = 0; k < 4; k++) {
            if (!found[k]) continue;
            int x = count++;
            for (; x > 0 && grid[at[k]] < grid[at[order[x - 1]]]; x--) order[x] = order[x - 1];
            order[x] = k;
        }
        json_line j;
        json_begin(&j);
        json_str(&j, "command", cmd);
        json_str(&j, "g1", p1);
        json_str(&j, "g2", p2);
        json_num(&j, "h0", h0);
        json_num(&j, "m0", m0);
        json_int(&j, "output", (long long)l);
        json_int(&j, "points", (long long)P);
        json_key(&j, "range");
        fprintf(j.out, "[" JSON_NUM ", " JSON_NUM "]", lo, hi);
        json_num(&j, "f_min", grid[imin]);
        json_num(&j, "argmin_h", v[imin / P]);
        json_num(&j, "argmin_m", v[imin % P]);
        json_num(&j, "f_max", grid[imax]);
        json_num(&j, "argmax_h", v[imax / P]);
        json_num(&j, "argmax_m", v[imax % P]);
        json_num(&j, "f_mirror", f_mirror);
        json_num(&j, "f_origin", f_origin);
        json_key(&j, "minima");
        fputc('[', j.out);
        for (int x = 0; x < count; x++)
            fprintf(j.out, "%s{\"quadrant\": \"%s\", \"h\": " JSON_NUM ", \"m\": " JSON_NUM ", \"f\": " JSON_NUM "}", x ? ", " : "",
                    names[order[x]], v[at[order[x]] / P], v[at[order[x]] % P], grid[at[order[x]]]);
        fputc(']', j.out);
        if (out) json_str(&j, "out", out);
        json_str(&j, "backend", dmf_context_backend_name(ctx));
        json_str(&j, "dtype", dmf_dtype_name(run.dtype));
        json_end(&j);
    }
    free(v), free(a), free(b), free(grid), free(y0);
    demod_release(ctx, g1, g2);
    return code;
}
