/* dmf synth-network and dmf recover: draw X = M_1(h_1)...M_K(h_K) + e for a
 * network, and estimate h back from X (Malgouyres & Landsberg), judged by
 * the distance between parameter classes the theorems use. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_args.h"
#include "cli_out.h"

typedef struct {
    const char *path, *input, *kernels, *truth, *out;
    double noise, tol, p;
    unsigned long long seed;
    size_t restarts, max_iterations;
    int method; /* DMF_RECOVER_* */
    int solver; /* DMF_RECOVER_SOLVER_* */
    int write_kernels; /* synth-network --kernels */
    const char *backend; /* of the lifting's operator */
    int synth;           /* recover --synth-seed: draw h and X here */
    unsigned long long synth_seed;
} options;

static const char *solver_name(int solver)
{
    return solver == DMF_RECOVER_SOLVER_EDGES ? "edges" : solver == DMF_RECOVER_SOLVER_LAYERS ? "layers" : "auto";
}

/* The options of `cmd` (synth-network or recover) from the table. */
static int parse(const char *cmd, int argc, char **argv, options *o)
{
    cli_args args;
    int code = cli_parse_args(cmd, argc, argv, &args);
    if (code != EXIT_OK) return code;
    int recover = !strcmp(cmd, "recover");
    o->path = cli_get(&args, "network");
    o->out = cli_get(&args, "out");
    o->seed = cli_get_u64(&args, "seed", 0);
    if (!recover) {
        o->noise = cli_get_double(&args, "noise", 0);
        o->write_kernels = cli_given(&args, "kernels");
        return EXIT_OK;
    }
    o->input = cli_get(&args, "input");
    o->kernels = cli_get(&args, "kernels");
    o->synth = cli_given(&args, "synth-seed");
    o->synth_seed = cli_get_u64(&args, "synth-seed", 0);
    o->noise = cli_get_double(&args, "noise", 0);
    const char *solver = cli_get(&args, "solver");
    o->solver = !strcmp(solver, "edges")    ? DMF_RECOVER_SOLVER_EDGES
                : !strcmp(solver, "layers") ? DMF_RECOVER_SOLVER_LAYERS
                                            : DMF_RECOVER_SOLVER_AUTO;
    o->truth = cli_get(&args, "truth");
    o->restarts = cli_get_size(&args, "restarts", 0); /* 0: the method's default */
    o->method = strcmp(cli_get(&args, "method"), "lifting") ? DMF_RECOVER_ALS : DMF_RECOVER_LIFTING;
    o->backend = cli_get(&args, "backend");
    o->max_iterations = cli_get_size(&args, "max-iterations", 500);
    o->tol = cli_get_double(&args, "tol", 1e-15);
    o->p = strcmp(cli_get(&args, "p"), "inf") ? cli_get_double(&args, "p", 2) : INFINITY;
    return EXIT_OK;
}

/* What the lifting's start did, as the object "lifting". */
static void print_lifting(json_line *j, const dmf_lifting_report *l)
{
    json_key(j, "lifting");
    printf("{\"operator\": [%zu, %zu], \"rank\": %zu, \"injective\": %s, \"sigma_max\": " JSON_NUM
           ", \"ls_rel_residual\": " JSON_NUM ", \"projected_gradient_steps\": %zu, \"rel_residual\": " JSON_NUM
           ", \"time_s\": " JSON_NUM "}",
           l->sample_length, l->columns, l->rank, l->rank == l->columns ? "true" : "false", l->sigma_max,
           l->ls_rel_residual, l->iterations, l->rel_residual, l->time_s);
}

static int write_params(const char *dir, const dmf_network *net, const double *h, char *path, size_t cap)
{
    size_t shape[2] = {dmf_network_num_layers(net), dmf_network_num_params(net)};
    if ((size_t)snprintf(path, cap, "%s/H.npy", dir) >= cap) return DMF_ERR_ARG;
    int status = cli_make_dir(dir);
    return status == DMF_OK ? dmf_npy_write_array(path, DMF_F64, shape, 2, h) : status;
}

int cmd_synth_network(int argc, char **argv)
{
    const char *cmd = "synth-network";
    options o = {0};
    int code = parse(cmd, argc, argv, &o);
    if (code) return code == CLI_HELP_SHOWN ? EXIT_OK : code;
    if (cli_check_out_dir(cmd, o.out) != EXIT_OK) return EXIT_BAD_INPUT;
    dmf_network *net = NULL;
    dmf_matrix *x = NULL;
    double *h = NULL, noise_norm = 0;
    char path_x[4096], path_h[4096];
    int status = dmf_network_read(o.path, &net);
    if (status == DMF_OK) {
        h = calloc(dmf_network_num_layers(net) * dmf_network_num_params(net), sizeof *h);
        if (!h) status = DMF_ERR_NOMEM;
    }
    if (status == DMF_OK && o.write_kernels && strcmp(dmf_network_type(net), "conv")) {
        fprintf(stderr, "dmf %s: --kernels needs a convolutional network ('%s' is %s): its X is then its leaves' "
                        "kernels\n", cmd, o.path, dmf_network_type(net));
        free(h);
        dmf_network_free(net);
        return EXIT_BAD_INPUT;
    }
    if (status == DMF_OK)
        status = o.write_kernels ? dmf_network_synth_kernels(net, o.seed, o.noise, h, &x, &noise_norm)
                                 : dmf_network_synth(net, o.seed, o.noise, h, &x, &noise_norm);
    if (status == DMF_OK) status = write_params(o.out, net, h, path_h, sizeof path_h);
    if (status == DMF_OK) {
        snprintf(path_x, sizeof path_x, "%s/%s", o.out, o.write_kernels ? "Y.npy" : "X.npy");
        status = dmf_npy_write(path_x, x);
    }
    if (status != DMF_OK) {
        code = cli_fail(cmd, status);
    } else {
        json_line j;
        json_begin(&j);
        json_str(&j, "command", cmd);
        json_str(&j, "network", o.path);
        json_int(&j, "K", (long long)dmf_network_num_layers(net));
        json_int(&j, "S", (long long)dmf_network_num_params(net));
        /* rows and cols of X in both forms; with --kernels also the array's */
        size_t rows = dmf_matrix_rows(x), cols = dmf_matrix_cols(x), n = cols;
        if (o.write_kernels) {
            rows = n;
            cols = n * dmf_matrix_rows(x);
        }
        json_int(&j, "rows", (long long)rows);
        json_int(&j, "cols", (long long)cols);
        json_int(&j, "seed", (long long)o.seed);
        json_num(&j, "noise", o.noise);
        json_num(&j, "noise_norm", noise_norm);
        json_num(&j, "x_norm", o.write_kernels ? sqrt((double)n) * dmf_matrix_norm_fro(x) : dmf_matrix_norm_fro(x));
        if (o.write_kernels) {
            size_t shape[2] = {dmf_matrix_rows(x), dmf_matrix_cols(x)};
            json_sizes(&j, "kernels_shape", shape, 2);
            json_str(&j, "kernels", path_x);
        } else {
            json_str(&j, "x", path_x);
        }
        json_str(&j, "h", path_h);
        json_end(&j);
    }
    free(h);
    dmf_matrix_free(x);
    dmf_network_free(net);
    return code;
}

/* A real matrix file as float64; prints the error (exit code). */
static int read_f64(const char *cmd, const char *what, const char *path, dmf_matrix **out)
{
    dmf_matrix *raw = NULL;
    *out = NULL;
    int status = dmf_matrix_read(path, &raw);
    if (status != DMF_OK) return cli_fail(cmd, status);
    dmf_dtype t = dmf_matrix_dtype(raw);
    if (t == DMF_C64 || t == DMF_C128) {
        fprintf(stderr, "dmf %s: %s '%s' is complex; networks have real parameters\n", cmd, what, path);
        dmf_matrix_free(raw);
        return EXIT_BAD_INPUT;
    }
    if (t == DMF_F64) {
        *out = raw;
        return EXIT_OK;
    }
    status = dmf_matrix_convert(raw, DMF_F64, out);
    dmf_matrix_free(raw);
    return status == DMF_OK ? EXIT_OK : cli_fail(cmd, status);
}

/* The metric of the identifiable classes: delta_2 over paths for a
 * convolutional network, d_2 over layers otherwise; NAN when undefined
 * (a zero layer). */
static double class_metric(const dmf_network *net, const double *h, const double *g)
{
    double d, delta;
    if (dmf_param_distance(net, h, g, 2, &d, &delta) != DMF_OK) return NAN;
    return isnan(delta) ? d : delta;
}

/* One evaluated bound with the distance it bounds, measured. */
static void print_bound(int first, const dmf_stability_bound *b, const char *metric, double measured)
{
    printf("%s{\"theorem\": ", first ? "" : ", ");
    json_write_string(stdout, b->theorem);
    printf(", \"holds\": %s", b->holds ? "true" : "false");
    if (!b->holds) {
        fputs(", \"why_not\": ", stdout);
        json_write_string(stdout, b->why_not);
    }
    fputs(", \"metric\": ", stdout);
    json_write_string(stdout, metric);
    if (b->holds) printf(", \"bound\": " JSON_NUM, b->bound);
    if (isfinite(measured)) printf(", \"measured\": " JSON_NUM, measured);
    if (isfinite(b->error_limit)) printf(", \"error_limit\": " JSON_NUM, b->error_limit);
    if (isfinite(b->epsilon)) printf(", \"epsilon\": " JSON_NUM, b->epsilon);
    if (isfinite(b->sigma_min)) printf(", \"sigma_min\": " JSON_NUM, b->sigma_min);
    if (isfinite(b->gamma)) printf(", \"gamma\": " JSON_NUM, b->gamma);
    else if (isinf(b->gamma)) fputs(", \"gamma\": \"inf\"", stdout);
    if (b->gamma_estimated) fputs(", \"gamma_estimated\": true", stdout);
    if (isfinite(b->tensor_distance)) printf(", \"tensor_distance\": " JSON_NUM, b->tensor_distance);
    fputc('}', stdout);
}

/* The deep-NSP constant of Ker A, as the object "deep_nsp" (python/src/lift.c
 * writes the same keys). */
static void print_deep_nsp(json_line *j, const dmf_deep_nsp_report *r)
{
    json_key(j, "deep_nsp");
    printf("{\"computed\": %s, \"holds\": %s", r->computed ? "true" : "false", r->holds ? "true" : "false");
    if (isfinite(r->gamma)) printf(", \"gamma\": " JSON_NUM, r->gamma);
    else if (isinf(r->gamma)) fputs(", \"gamma\": \"inf\"", stdout);
    printf(", \"estimated\": %s", r->estimated ? "true" : "false");
    if (r->method) {
        fputs(", \"method\": ", stdout);
        json_write_string(stdout, r->method);
    }
    if (r->why_not) {
        fputs(", \"why_not\": ", stdout);
        json_write_string(stdout, r->why_not);
    }
    printf(", \"columns\": %zu", r->columns);
    if (r->rank || r->kernel_dim) printf(", \"rank\": %zu, \"kernel_dim\": %zu", r->rank, r->kernel_dim);
    if (r->estimated) {
        printf(", \"distance\": " JSON_NUM ", \"tolerance\": " JSON_NUM ", \"starts\": %zu, \"converged\": %zu"
               ", \"at_best\": %zu", r->distance, r->tolerance, r->starts, r->converged, r->at_best);
        /* 1 / distance: "inf" where a search met Sigma_2 exactly */
        if (isfinite(r->gamma_median)) printf(", \"gamma_median\": " JSON_NUM, r->gamma_median);
        else fputs(", \"gamma_median\": \"inf\"", stdout);
        if (isfinite(r->gamma_worst)) printf(", \"gamma_worst\": " JSON_NUM, r->gamma_worst);
        else fputs(", \"gamma_worst\": \"inf\"", stdout);
    }
    printf(", \"time_s\": " JSON_NUM "}", r->time_s);
}

/* Geometric mean of the layers' sup norms: the size of one entry of h in
 * R_diag, the scale of the distances. */
static double diag_size(const dmf_network *net, const double *h)
{
    size_t K = dmf_network_num_layers(net), S = dmf_network_num_params(net);
    double log_sum = 0;
    for (size_t k = 0; k < K; k++) {
        double top = 0;
        for (size_t j = 0; j < S; j++) top = fmax(top, fabs(h[k * S + j]));
        log_sum += log(top);
    }
    return exp(log_sum / (double)K);
}

/* Starts whose residual is the best one up to rounding, grouped into
 * classes that differ by more than 1e-6 relative: more than one class
 * means X does not identify h (within the starts tried). */
static void count_classes(const dmf_network *net, const dmf_recover_report *rep, double norm_x, size_t *optimal,
                          size_t *classes)
{
    size_t KS = dmf_network_num_layers(net) * dmf_network_num_params(net);
    size_t reps[64], num_reps = 0;
    double size = diag_size(net, rep->h) * sqrt((double)KS);
    *optimal = *classes = 0;
    for (size_t s = 0; s < rep->restarts; s++) {
        if (rep->start_residual[s] > rep->residual * (1 + 1e-6) + 1e-9 * norm_x) continue;
        (*optimal)++;
        int known = 0;
        for (size_t c = 0; c < num_reps && !known; c++) {
            double d = class_metric(net, rep->start_h + s * KS, rep->start_h + reps[c] * KS);
            known = !(d > 1e-6 * size);
        }
        if (known) continue;
        (*classes)++;
        if (num_reps < 64) reps[num_reps++] = s;
    }
}

int cmd_recover(int argc, char **argv)
{
    const char *cmd = "recover";
    options o = {0};
    int code = parse(cmd, argc, argv, &o);
    if (code) return code == CLI_HELP_SHOWN ? EXIT_OK : code;
    if (o.out && cli_check_out_dir(cmd, o.out) != EXIT_OK) return EXIT_BAD_INPUT;
    dmf_network *net = NULL;
    int status = dmf_network_read(o.path, &net);
    if (status != DMF_OK) return cli_fail(cmd, status);
    const size_t K = dmf_network_num_layers(net), S = dmf_network_num_params(net);
    dmf_matrix *x = NULL, *truth = NULL;
    /* x: X itself, or with --kernels the leaves' kernels that stand for it;
     * with --synth-seed X and the truth drawn here. */
    double noise_norm = 0;
    if (o.synth) {
        status = dmf_matrix_create(&truth, DMF_F64, K, S);
        if (status == DMF_OK)
            status = dmf_network_synth(net, o.synth_seed, o.noise, dmf_matrix_data(truth), &x, &noise_norm);
        if (status != DMF_OK) {
            dmf_matrix_free(truth);
            dmf_network_free(net);
            return cli_fail(cmd, status);
        }
    } else {
        code = o.kernels ? read_f64(cmd, "the kernels", o.kernels, &x) : read_f64(cmd, "X", o.input, &x);
    }
    if (code == EXIT_OK && o.truth) code = read_f64(cmd, "the truth", o.truth, &truth);
    if (code == EXIT_OK && truth && (dmf_matrix_rows(truth) != K || dmf_matrix_cols(truth) != S)) {
        fprintf(stderr, "dmf %s: the truth '%s' is %zu x %zu; this network's parameters are K x S = %zu x %zu\n",
                cmd, o.truth, dmf_matrix_rows(truth), dmf_matrix_cols(truth), K, S);
        code = EXIT_BAD_INPUT;
    }
    if (code != EXIT_OK) {
        dmf_matrix_free(x);
        dmf_matrix_free(truth);
        dmf_network_free(net);
        return code;
    }
    dmf_context *ctx = NULL;
    status = dmf_context_create(&ctx, o.backend);
    if (status == DMF_OK) cli_note_fallback(cmd, ctx);
    dmf_recover_options opt = {.restarts = o.restarts, .max_iterations = o.max_iterations, .tol = o.tol,
                               .seed = o.seed, .method = o.method, .solver = o.solver, .ctx = ctx};
    dmf_recover_report rep;
    char path_h[4096] = "";
    if (status == DMF_OK)
        status = o.kernels ? dmf_recover_kernels(net, x, &opt, &rep) : dmf_recover(net, x, &opt, &rep);
    int have_rep = status == DMF_OK;
    double d_p = NAN, delta_p = NAN, delta = NAN;
    const double *th = truth ? dmf_matrix_const_data(truth) : NULL;
    if (status == DMF_OK && truth && dmf_param_distance(net, rep.h, th, o.p, &d_p, &delta_p) != DMF_OK)
        fprintf(stderr, "dmf %s: no distance to the truth: %s\n", cmd, dmf_last_error());
    if (status == DMF_OK && truth) /* the data's error */
        status = o.kernels ? dmf_network_residual_kernels(net, x, th, &delta) : dmf_network_residual(net, x, th, &delta);
    /* The explicit A of Thm 7.2's sigma_min and deep-NSP constant: at most
     * 2e6 entries, so that the bound never costs more than the recovery of
     * a small network. */
    dmf_stability_bound b84, b72, b43;
    dmf_deep_nsp_report nsp;
    dmf_deep_nsp_options nsp_opt = {.max_entries = 2000000};
    if (status == DMF_OK && truth) status = dmf_stability_thm_8_4(net, th, delta, rep.residual, o.p, &b84);
    if (status == DMF_OK && truth) status = dmf_deep_nsp(net, &nsp_opt, &nsp);
    if (status == DMF_OK && truth)
        status = dmf_stability_thm_7_2_nsp(net, th, rep.h, delta, rep.residual, o.p, 2000000, &nsp, &b72);
    if (status == DMF_OK && truth) status = dmf_stability_thm_4_3(net, th, rep.h, o.p, 20000000, &b43);
    if (status == DMF_OK && o.out) status = write_params(o.out, net, rep.h, path_h, sizeof path_h);
    if (status != DMF_OK) {
        code = cli_fail(cmd, status);
    } else {
        double norm_x = dmf_matrix_norm_fro(x) * (o.kernels ? sqrt((double)dmf_matrix_cols(x)) : 1);
        size_t optimal, classes;
        count_classes(net, &rep, norm_x, &optimal, &classes);
        json_line j;
        json_begin(&j);
        json_str(&j, "command", cmd);
        json_str(&j, "network", o.path);
        if (o.kernels) json_str(&j, "kernels", o.kernels);
        else if (o.input) json_str(&j, "input", o.input);
        if (o.synth) {
            json_key(&j, "synth");
            printf("{\"seed\": %llu, \"noise\": " JSON_NUM ", \"noise_norm\": " JSON_NUM "}", o.synth_seed, o.noise,
                   noise_norm);
        }
        json_int(&j, "K", (long long)K);
        json_int(&j, "S", (long long)S);
        json_str(&j, "method", o.method == DMF_RECOVER_LIFTING ? "lifting" : "als");
        json_str(&j, "solver", solver_name(rep.solver));
        json_str(&j, "backend", dmf_context_backend_name(ctx));
        if (rep.lifting.used) print_lifting(&j, &rep.lifting);
        json_int(&j, "restarts", (long long)rep.restarts);
        json_int(&j, "seed", (long long)o.seed);
        json_int(&j, "best_start", (long long)rep.best);
        json_int(&j, "iterations", (long long)rep.iterations);
        json_int(&j, "total_iterations", (long long)rep.total_iterations);
        json_num(&j, "residual", rep.residual);
        json_num(&j, "rel_residual", rep.rel_residual);
        json_int(&j, "optimal_starts", (long long)optimal);
        json_int(&j, "classes_found", (long long)classes);
        json_str(&j, "class_metric", !strcmp(dmf_network_type(net), "conv") ? "delta_2 (per-path scaling)"
                                                               : "d_2 (per-layer scaling)");
        if (truth) {
            if (o.truth) json_str(&j, "truth", o.truth);
            if (isinf(o.p)) json_str(&j, "p", "inf");
            else json_num(&j, "p", o.p);
            json_num(&j, "d_p", d_p);
            if (!isnan(delta_p)) json_num(&j, "delta_p", delta_p);
            json_num(&j, "data_error", delta);
            json_key(&j, "bounds");
            fputc('[', stdout);
            int conv = !strcmp(dmf_network_type(net), "conv");
            if (conv) print_bound(1, &b84, "delta_p", delta_p);
            print_bound(!conv, &b72, "d_p", d_p);
            print_bound(0, &b43, "d_p", d_p);
            fputc(']', stdout);
            print_deep_nsp(&j, &nsp);
        }
        json_key(&j, "starts");
        fputc('[', stdout);
        for (size_t s = 0; s < rep.restarts; s++) {
            printf("%s{\"residual\": " JSON_NUM ", \"iterations\": %zu", s ? ", " : "", rep.start_residual[s],
                   rep.start_iterations[s]);
            double sd, sdelta;
            if (truth && dmf_param_distance(net, rep.start_h + s * K * S, th, o.p, &sd, &sdelta) == DMF_OK) {
                printf(", \"d_p\": " JSON_NUM, sd);
                if (!isnan(sdelta)) printf(", \"delta_p\": " JSON_NUM, sdelta);
            }
            fputc('}', stdout);
        }
        fputc(']', stdout);
        if (o.out) json_str(&j, "out", path_h);
        json_num(&j, "time_s", rep.time_s);
        json_end(&j);
    }
    if (have_rep) dmf_recover_report_free(&rep);
    dmf_context_free(ctx);
    dmf_matrix_free(x);
    dmf_matrix_free(truth);
    dmf_network_free(net);
    return code;
}
