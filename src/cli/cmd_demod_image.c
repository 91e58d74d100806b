/* dmf demod image: the shape of Hand & Joshi's image experiment.  An image
 * (G1's output on a G x G grid) is multiplied by a distortion field and
 * Algorithm 1 recovers both from the product with the generators given.
 *
 * Algorithm 1 applies when the image lies in the range of G1 and the field
 * in the range of G2.  With trained weights (user-supplied .npy layers) the
 * images come from --image and the fields are the paper's Gaussian fields.
 * dmf ships no trained weights: with random generators the honest
 * demonstration draws the image and the field from the generators, and the
 * output says so. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli_out.h"
#include "demod_common.h"
#include "internal.h" /* dmf_alloc, dmf_fail */


/* ||a x - b|| / ||b|| for the best a >= 0: the error up to the scale that
 * moves between the two factors. */
static double scaled_error(const double *x, const double *b, size_t n)
{
    double xb = 0, xx = 0, bb = 0;
    for (size_t i = 0; i < n; i++) xb += x[i] * b[i], xx += x[i] * x[i], bb += b[i] * b[i];
    double a = xx > 0 && xb > 0 ? xb / xx : 0, r = 0;
    for (size_t i = 0; i < n; i++) r += (a * x[i] - b[i]) * (a * x[i] - b[i]);
    return bb > 0 ? sqrt(r / bb) : NAN;
}

typedef struct {
    const char *p1, *p2, *dir, *image_path;
    size_t grid, trials;
    int gaussian;
    unsigned long long seed, start_seed;
    dmf_demod_options o;
    demod_run_options run;
} image_args;

static int parse(int argc, char **argv, const char *cmd, image_args *a)
{
    cli_args args;
    int parsed = cli_parse_args(cmd, argc, argv, &args);
    if (parsed != EXIT_OK) return parsed;
    a->p1 = cli_get(&args, "g1");
    a->p2 = cli_get(&args, "g2");
    a->dir = cli_get(&args, "out");
    a->image_path = cli_get(&args, "image");
    a->grid = cli_get_size(&args, "grid", 0);
    a->trials = cli_get_size(&args, "trials", 0);
    a->gaussian = !strcmp(cli_get(&args, "field"), "gaussian");
    a->seed = cli_get_u64(&args, "seed", 0);
    a->start_seed = cli_get_u64(&args, "start-seed", 1);
    demod_solver_from(&args, &a->o, &a->run);
    if (a->grid < 2 || a->grid > 4096)
        return cli_usage_error(cmd, "bad --grid '%zu' (an integer in [2, 4096])", a->grid);
    return cli_check_out_dir(cmd, a->dir);
}

/* What the summary says about the generators and the truth. */
static const char *note_for(int random1, int random2, int gaussian, int own_image)
{
    if (random1 && random2 && !gaussian && !own_image)
        return "untrained random generators: the image and the field are both drawn from them, so this shows "
               "Algorithm 1 on random networks, not on real images; bring trained weights for that";
    if (gaussian && random2)
        return "the Gaussian field is not in the range of an untrained random field generator, so Algorithm 1 "
               "does not apply; train G2 on 'dmf demod fields' data and give its weights";
    if (own_image && random1)
        return "the given images are not in the range of an untrained random image generator, so Algorithm 1 "
               "does not apply; give trained weights for G1";
    return "recovery depends on the image and field lying in the ranges of the given generators";
}

int cmd_demod_image(int argc, char **argv)
{
    static const char cmd[] = "demod image";
    image_args a = {.start_seed = 1, .run = DEMOD_RUN_DEFAULTS};
    dmf_demod_options_default(&a.o);
    int code = parse(argc, argv, cmd, &a);
    if (code < 0) return EXIT_OK; /* --help */
    if (code != EXIT_OK) return code;

    dmf_generator *g1 = NULL, *g2 = NULL;
    dmf_context *ctx = NULL;
    double *image = NULL, *field = NULL, *y0 = NULL, *h0 = NULL, *m0 = NULL, *h = NULL, *m = NULL;
    double *image_rec = NULL, *field_rec = NULL, *params = NULL;
    dmf_demod_trial *res = NULL;
    const size_t pixels = a.grid * a.grid;
    size_t T = a.trials ? a.trials : 0;
    code = demod_load_generators(cmd, a.p1, a.p2, 1, a.run.dtype, &g1, &g2);
    if (code == EXIT_OK && dmf_generator_output_size(g1) != pixels) {
        fprintf(stderr, "dmf %s: the generators give %zu values but a %zu x %zu grid has %zu\n", cmd,
                dmf_generator_output_size(g1), a.grid, a.grid, pixels);
        code = EXIT_BAD_INPUT;
    }
    if (code == EXIT_OK && a.image_path) code = demod_load_rows(cmd, "image", a.image_path, pixels, &T, &image);
    if (!T) T = 1;
    if (code == EXIT_OK) code = demod_open_context(cmd, a.run.backend, &ctx);
    if (code != EXIT_OK) {
        free(image);
        demod_release(ctx, g1, g2);
        return code;
    }
    const size_t n1 = dmf_generator_input_size(g1), n2 = dmf_generator_input_size(g2);
    const int random1 = dmf_generator_is_random(g1), random2 = dmf_generator_is_random(g2);
    if (!image) image = dmf_alloc(T * pixels, sizeof *image);
    field = dmf_alloc(T * pixels, sizeof *field);
    y0 = dmf_alloc(T * pixels, sizeof *y0);
    image_rec = dmf_alloc(T * pixels, sizeof *image_rec);
    field_rec = dmf_alloc(T * pixels, sizeof *field_rec);
    h0 = dmf_alloc(T * n1, sizeof *h0), m0 = dmf_alloc(T * n2, sizeof *m0);
    h = dmf_alloc(T * n1, sizeof *h), m = dmf_alloc(T * n2, sizeof *m);
    params = dmf_alloc(T * 2, sizeof *params);
    res = calloc(T, sizeof *res);
    int status = image && field && y0 && image_rec && field_rec && h0 && m0 && h && m && params && res
                     ? DMF_OK
                     : dmf_fail(DMF_ERR_NOMEM, "cannot allocate %zu images of %zu x %zu", T, a.grid, a.grid);
    /* The truth: latents from --seed's stream, fields from a stream of their own. */
    if (status == DMF_OK) {
        demod_draw_latents(demod_stream_seed(a.seed, STREAM_TRUTH), h0, T * n1, m0, T * n2);
        if (!a.image_path) status = dmf_generator_forward(ctx, g1, h0, T, image);
    }
    if (status == DMF_OK)
        status = a.gaussian ? dmf_gaussian_fields(a.grid, T, demod_stream_seed(a.seed, STREAM_G2), field, params)
                            : dmf_generator_forward(ctx, g2, m0, T, field);
    for (size_t e = 0; status == DMF_OK && e < T * pixels; e++) y0[e] = image[e] * field[e];
    /* Both latents are known only when the image and the field came from them. */
    const int latents_known = !a.image_path && !a.gaussian;
    double time_s = 0;
    if (status == DMF_OK) {
        demod_draw_latents(demod_stream_seed(a.start_seed, STREAM_STARTS), h, T * n1, m, T * n2);
        double t0 = cli_now();
        status = dmf_demod_solve(ctx, g1, g2, y0, T, h, m, latents_known ? h0 : NULL, latents_known ? m0 : NULL,
                                 &a.o, res, NULL);
        time_s = cli_now() - t0;
    }
    if (status == DMF_OK) status = dmf_generator_forward(ctx, g1, h, T, image_rec);
    if (status == DMF_OK) status = dmf_generator_forward(ctx, g2, m, T, field_rec);
    static const char *const names[5] = {"image.npy", "field.npy", "y0.npy", "image_rec.npy", "field_rec.npy"};
    const double *arrays[5] = {image, field, y0, image_rec, field_rec};
    char path[4096];
    if (status == DMF_OK) status = cli_make_dir(a.dir);
    for (int k = 0; k < 5 && status == DMF_OK; k++) {
        status = demod_join_path(path, sizeof path, a.dir, names[k]);
        if (status == DMF_OK) status = demod_write_rows(path, arrays[k], T, pixels);
    }
    if (status == DMF_OK && a.gaussian) {
        status = demod_join_path(path, sizeof path, a.dir, "field_params.npy");
        if (status == DMF_OK) status = demod_write_rows(path, params, T, 2);
    }
    if (status != DMF_OK) code = cli_fail(cmd, status);
    const char *note = note_for(random1, random2, a.gaussian, a.image_path != NULL);
    for (size_t t = 0; code == EXIT_OK && t < T; t++) {
        json_line j;
        json_begin(&j);
        json_int(&j, "trial", (long long)t);
        if (latents_known) {
            json_bool(&j, "success", res[t].success);
            json_num(&j, "rel_error", res[t].rel_error);
        }
        json_num(&j, "image_rel_error", scaled_error(image_rec + t * pixels, image + t * pixels, pixels));
        json_num(&j, "field_rel_error", scaled_error(field_rec + t * pixels, field + t * pixels, pixels));
        json_num(&j, "rel_residual", res[t].rel_residual);
        json_int(&j, "iterations", (long long)res[t].iterations);
        if (a.gaussian) {
            json_num(&j, "c", params[2 * t]);
            json_num(&j, "sigma", params[2 * t + 1]);
        }
        json_end(&j);
    }
    if (code == EXIT_OK) {
        demod_summary s;
        demod_summarize(res, T, time_s, &s);
        json_line j;
        json_begin(&j);
        json_str(&j, "command", cmd);
        json_bool(&j, "summary", 1);
        json_int(&j, "grid", (long long)a.grid);
        json_int(&j, "trials", (long long)T);
        json_str(&j, "image", a.image_path ? a.image_path : "G1(h0)");
        json_str(&j, "field", a.gaussian ? "gaussian" : "G2(m0)");
        json_str(&j, "generators", random1 && random2 ? "random" : !random1 && !random2 ? "files" : "mixed");
        json_str(&j, "note", note);
        demod_json_summary(&j, &s, latents_known);
        json_str(&j, "backend", dmf_context_backend_name(ctx));
        demod_print_run(&j, &a.run);
        json_str(&j, "out", a.dir);
        demod_print_options(&j, &a.o);
        json_end(&j);
        fprintf(stderr, "dmf %s: note: %s\n", cmd, note);
    }
    free(image), free(field), free(y0), free(image_rec), free(field_rec), free(h0), free(m0), free(h), free(m);
    free(params), free(res);
    demod_release(ctx, g1, g2);
    return code;
}
