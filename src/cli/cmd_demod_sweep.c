/* dmf demod sweep: the success rate of Algorithm 1 over a grid of latent,
 * hidden and output sizes, on the paper's Gaussian generators. */
#include <stdlib.h>

#include "demod_common.h"
#include "internal.h" /* dmf_alloc, dmf_fail */
#include "memory.h"


#define MAX_CELLS_PER_AXIS 64

/* The seed of one cell's generator or problems: depends on the base seed,
 * the cell's sizes and the purpose only. */
static uint64_t cell_seed(uint64_t seed, size_t latent, size_t hidden, size_t output, uint64_t stream)
{
    uint64_t s = demod_mix64(seed);
    s = demod_mix64(s ^ latent);
    s = demod_mix64(s ^ hidden);
    s = demod_mix64(s ^ output);
    return demod_mix64(s ^ stream);
}

/* Solves r->trials problems of one cell and fills in the rest of *r; a dmf status. */
static int run_cell(dmf_context *ctx, uint64_t seed, size_t latent, size_t hidden, size_t output,
                    const dmf_demod_options *o, const demod_run_options *run, demod_summary *r)
{
    const size_t T = r->trials, sizes[3] = {latent, hidden, output}, networks = run->independent ? T : 1;
    dmf_generator *g1 = NULL, *g2 = NULL;
    /* The cell's problems, refused with the figure before anything is
     * allocated (the generators and the solver's workspace check theirs). */
    int status = dmf_memory_check((double)T * ((4.0 * (double)latent + 2.0 * (double)output) * sizeof(double) +
                                               sizeof(dmf_demod_trial)),
                                  "%zu trials of latent %zu, output %zu", T, latent, output);
    if (status == DMF_OK)
        status = dmf_generator_random_networks(&g1, sizes, 3, networks,
                                               cell_seed(seed, latent, hidden, output, STREAM_G1));
    if (status == DMF_OK)
        status = dmf_generator_random_networks(&g2, sizes, 3, networks,
                                               cell_seed(seed, latent, hidden, output, STREAM_G2));
    if (status == DMF_OK) status = dmf_generator_set_dtype(g1, run->dtype);
    if (status == DMF_OK) status = dmf_generator_set_dtype(g2, run->dtype);
    const size_t A = status == DMF_OK ? T : 0; /* nothing to allocate after a refusal */
    double *h0 = dmf_alloc(A * latent, sizeof *h0), *m0 = dmf_alloc(A * latent, sizeof *m0);
    double *h = dmf_alloc(A * latent, sizeof *h), *m = dmf_alloc(A * latent, sizeof *m);
    double *y0 = dmf_alloc(A * output, sizeof *y0), *b = dmf_alloc(A * output, sizeof *b);
    dmf_demod_trial *res = calloc(A + 1, sizeof *res);
    if (status == DMF_OK && !(h0 && m0 && h && m && y0 && b && res))
        status = dmf_fail(DMF_ERR_NOMEM, "cannot allocate %zu trials of latent %zu, output %zu", T, latent, output);
    if (status == DMF_OK) {
        demod_draw_latents(cell_seed(seed, latent, hidden, output, STREAM_TRUTH), h0, T * latent, m0, T * latent);
        demod_draw_latents(cell_seed(seed, latent, hidden, output, STREAM_STARTS), h, T * latent, m, T * latent);
        status = demod_observe(ctx, g1, g2, h0, m0, T, y0, b);
    }
    if (status == DMF_OK) {
        double t0 = cli_now();
        status = dmf_demod_solve(ctx, g1, g2, y0, T, h, m, h0, m0, o, res, NULL);
        if (status == DMF_OK) demod_summarize(res, T, cli_now() - t0, r);
    }
    free(h0), free(m0), free(h), free(m), free(y0), free(b), free(res);
    demod_release(NULL, g1, g2);
    return status;
}

int cmd_demod_sweep(int argc, char **argv)
{
    static const char cmd[] = "demod sweep";
    cli_args args;
    int parsed = cli_parse_args(cmd, argc, argv, &args);
    if (parsed != EXIT_OK) return parsed == CLI_HELP_SHOWN ? EXIT_OK : parsed;
    size_t latent[MAX_CELLS_PER_AXIS], outputs[MAX_CELLS_PER_AXIS], hidden[MAX_CELLS_PER_AXIS];
    int num_latent = cli_parse_size_list(cli_get(&args, "latent"), latent, MAX_CELLS_PER_AXIS);
    int num_outputs = cli_parse_size_list(cli_get(&args, "outputs"), outputs, MAX_CELLS_PER_AXIS);
    int num_hidden = cli_parse_size_list(cli_get(&args, "hidden"), hidden, MAX_CELLS_PER_AXIS);
    size_t trials = cli_get_size(&args, "trials", 100);
    unsigned long long seed = cli_get_u64(&args, "seed", 0);
    demod_run_options run;
    dmf_demod_options o;
    demod_solver_from(&args, &o, &run);
    dmf_context *ctx = NULL;
    int code = demod_open_context(cmd, run.backend, &ctx);
    if (code != EXIT_OK) return code;
    const size_t cells = (size_t)num_hidden * (size_t)num_latent * (size_t)num_outputs;
    size_t done = 0;
    double start = cli_now();
    for (int k = 0; k < num_hidden && code == EXIT_OK; k++)
        for (int a = 0; a < num_latent && code == EXIT_OK; a++)
            for (int b = 0; b < num_outputs && code == EXIT_OK; b++) {
                demod_summary r = {.trials = trials};
                int status = run_cell(ctx, seed, latent[a], hidden[k], outputs[b], &o, &run, &r);
                if (status != DMF_OK) {
                    code = cli_fail(cmd, dmf_fail_context(status, "cell latent %zu, hidden %zu, output %zu", latent[a],
                                                          hidden[k], outputs[b]));
                    break;
                }
                json_line j;
                json_begin(&j);
                json_int(&j, "latent", (long long)latent[a]);
                json_int(&j, "output", (long long)outputs[b]);
                json_int(&j, "hidden", (long long)hidden[k]);
                json_int(&j, "trials", (long long)r.trials);
                demod_json_summary(&j, &r, 1);
                json_int(&j, "seed", (long long)seed);
                json_str(&j, "backend", dmf_context_backend_name(ctx));
                demod_print_run(&j, &run);
                demod_print_options(&j, &o);
                json_end(&j);
                done++;
                fprintf(stderr, "dmf %s: [%zu/%zu] latent %zu, hidden %zu, output %zu: %zu/%zu recovered, %.2f s "
                                "(%.1f s in all)\n", cmd, done, cells, latent[a], hidden[k], outputs[b], r.successes,
                        r.trials, r.time_s, cli_now() - start);
            }
    dmf_context_free(ctx);
    return code;
}
