/* dmf fsmf: two-factor fixed-support factorization with its optimality
 * analysis. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

#include "cli.h"
#include "cli_args.h"
#include "butterfly_perm.h"
#include "cli_out.h"

/* ||X||_F ||Y||_F |lambda| / ||A||_F: at least about 1 for a good fit, and
 * growing without bound when the error tends to an infimum that no pair
 * of factors attains. */
static double norm_ratio(const dmf_matrix *a, const dmf_matrix *x, const dmf_matrix *y, double lambda)
{
    double na = dmf_matrix_norm_fro(a);
    return na > 0 ? fabs(lambda) * dmf_matrix_norm_fro(x) * dmf_matrix_norm_fro(y) / na : 0;
}

typedef struct {
    size_t iterations;
    double rel_error, ratio_before, ratio, lambda;
    int diverging;
    int kept_greedy; /* PALM ended above the greedy error: the greedy factors are kept */
} refine_result;

/* Adds 1e-3 ||m||_F / sqrt(entries) times a fixed pseudo-random number in
 * [-1, 1) to every entry of m: the greedy result can be a saddle point of
 * the error (the [[0,1],[1,0]] example is one), where gradient steps do not
 * move; the projections remove what falls outside the supports. */
static void perturb(dmf_matrix *m)
{
    size_t n = dmf_matrix_rows(m) * dmf_matrix_cols(m), reals = n * (dmf_dtype_is_complex(dmf_matrix_dtype(m)) ? 2 : 1);
    double size = 1e-3 * dmf_matrix_norm_fro(m) / sqrt((double)(n ? n : 1));
    unsigned long long state = 0x9E3779B97F4A7C15ull;
    void *d = dmf_matrix_data(m);
    int single = dmf_matrix_dtype(m) == DMF_F32 || dmf_matrix_dtype(m) == DMF_C64;
    for (size_t e = 0; e < reals; e++) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        double u = (double)(state >> 11) / 9007199254740992.0 * 2 - 1;
        if (single) ((float *)d)[e] += (float)(size * u);
        else ((double *)d)[e] += size * u;
    }
}

/* PALM with the supports as fixed, unnormalized constraints, from (x, y),
 * in two halves: the error still falling in the second half while the
 * norm ratio at least doubles is the sign of a non-attained infimum (the
 * two-factor example [[0,1],[1,0]] with LU supports).  Replaces x and y. */
static int refine(dmf_context *ctx, const dmf_matrix *a, const dmf_matrix *sx, const dmf_matrix *sy, size_t iters,
                  double greedy_error, dmf_matrix **x, dmf_matrix **y, refine_result *r)
{
    dmf_constraint cons[2] = {
        {.kind = DMF_CONS_SUPP, .rows = dmf_matrix_rows(sx), .cols = dmf_matrix_cols(sx), .matrix = sx, .normalized = 1},
        {.kind = DMF_CONS_SUPP, .rows = dmf_matrix_rows(sy), .cols = dmf_matrix_cols(sy), .matrix = sy, .normalized = 1}};
    dmf_palm_options o;
    dmf_palm_options_default(&o);
    r->ratio_before = norm_ratio(a, *x, *y, 1);
    /* The greedy factors, kept in case PALM ends above their error (it
     * starts from a perturbed copy and may not have come back in time). */
    dmf_matrix *keep_x = NULL, *keep_y = NULL;
    DMF_TRY(dmf_matrix_convert(*x, dmf_matrix_dtype(*x), &keep_x));
    int status = dmf_matrix_convert(*y, dmf_matrix_dtype(*y), &keep_y);
    if (status != DMF_OK) {
        dmf_matrix_free(keep_x);
        return status;
    }
    perturb(*x);
    perturb(*y);
    double lambda = 1, error_half = 0, ratio_half = r->ratio_before;
    size_t halves[2] = {iters / 2, iters - iters / 2};
    for (int h = 0; h < 2; h++) {
        if (!halves[h]) continue;
        o.stop.num_its = halves[h];
        o.init_lambda = lambda;
        const dmf_matrix *init[2] = {*x, *y};
        dmf_matrix *f[2] = {NULL, NULL};
        dmf_palm_report rep;
        status = dmf_palm4msa(ctx, a, cons, 2, init, &o, f, &rep);
        if (status != DMF_OK) break;
        dmf_matrix_free(*x);
        dmf_matrix_free(*y);
        *x = f[0];
        *y = f[1];
        lambda = rep.lambda;
        r->iterations += rep.iterations;
        r->rel_error = rep.rel_error;
        r->ratio = norm_ratio(a, *x, *y, lambda);
        if (h == 0) {
            error_half = rep.rel_error;
            ratio_half = r->ratio;
        }
    }
    r->lambda = lambda;
    r->diverging = halves[0] && r->rel_error < error_half && r->ratio >= 2 * ratio_half;
    if (status == DMF_OK && !(r->rel_error <= greedy_error)) {
        dmf_matrix_free(*x);
        dmf_matrix_free(*y);
        *x = keep_x;
        *y = keep_y;
        keep_x = keep_y = NULL;
        r->lambda = 1;
        r->rel_error = greedy_error;
        r->ratio = r->ratio_before;
        r->kept_greedy = 1;
    }
    dmf_matrix_free(keep_x);
    dmf_matrix_free(keep_y);
    return status;
}

/* lambda into X, so that the files multiply to the approximation. */
static void scale_into(dmf_matrix *x, double lambda)
{
    size_t reals = dmf_matrix_rows(x) * dmf_matrix_cols(x) * (dmf_dtype_is_complex(dmf_matrix_dtype(x)) ? 2 : 1);
    void *d = dmf_matrix_data(x);
    if (dmf_matrix_dtype(x) == DMF_F32 || dmf_matrix_dtype(x) == DMF_C64)
        for (size_t e = 0; e < reals; e++) ((float *)d)[e] *= (float)lambda;
    else
        for (size_t e = 0; e < reals; e++) ((double *)d)[e] *= lambda;
}

/* The inner indices k whose flags have `bit`, as a JSON list (none: no field). */
static void json_pieces(json_line *j, const char *key, const unsigned char *flags, size_t K, unsigned bit)
{
    size_t n = 0;
    for (size_t k = 0; k < K; k++) n += (flags[k] & bit) != 0;
    size_t *list = n ? malloc(n * sizeof *list) : NULL;
    if (!list) return;
    n = 0;
    for (size_t k = 0; k < K; k++)
        if (flags[k] & bit) list[n++] = k;
    json_sizes(j, key, list, n);
    free(list);
}

/* "identifiable": true, false or "unknown", the reason, and the pieces. */
static void json_identifiability(json_line *j, const dmf_ident_report *r, const unsigned char *flags, size_t K)
{
    if (r->identifiable == DMF_IDENT_UNKNOWN) json_str(j, "identifiable", "unknown");
    else json_bool(j, "identifiable", r->identifiable == DMF_IDENT_YES);
    json_str(j, "identifiability", dmf_ident_reason_string(r->reason));
    json_pieces(j, "incomplete_k", flags, K, DMF_PIECE_INCOMPLETE);
    json_pieces(j, "ambiguous_k", flags, K, DMF_PIECE_AMBIGUOUS);
    if (r->extra_dims) json_int(j, "ambiguity_dims", (long long)r->extra_dims);
}

/* A support file: its nonzeros are the support, so a NaN or an infinity
 * is bad input, named with the file. */
static int read_support(const char *path, dmf_matrix **out)
{
    DMF_TRY(dmf_matrix_read(path, out));
    if (dmf_matrix_check_finite(*out) == DMF_OK) return DMF_OK;
    char why[256];
    snprintf(why, sizeof why, "%s", dmf_last_error());
    int status = dmf_fail(DMF_ERR_FORMAT, "support file '%s': %s", path, why);
    dmf_matrix_free(*out);
    *out = NULL;
    return status;
}

int cmd_fsmf(int argc, char **argv)
{
    const char *cmd = "fsmf";
    cli_args args;
    int parsed = cli_parse_args(cmd, argc, argv, &args);
    if (parsed != EXIT_OK) return parsed == CLI_HELP_SHOWN ? EXIT_OK : parsed;
    const char *sx_path = cli_get(&args, "support-x"), *sy_path = cli_get(&args, "support-y");
    const char *backend = cli_get(&args, "backend"), *out = cli_get(&args, "out");
    cli_matrix_source src;
    cli_matrix_source_from(&args, &src);
    size_t refine_iters = cli_get_size(&args, "refine", 0);
    dmf_matrix *a = NULL, *sx = NULL, *sy = NULL, *x = NULL, *y = NULL;
    int code = out ? cli_check_out_dir(cmd, out) : EXIT_OK;
    if (code != EXIT_OK) return code;
    code = cli_load_matrix(cmd, &src, &a);
    if (code != EXIT_OK) return code;
    dmf_context *ctx = NULL;
    dmf_fsmf_report rep;
    dmf_support_report found = {0};
    const int auto_supports = !strcmp(sx_path, "auto");
    int status = dmf_context_create(&ctx, backend);
    if (status == DMF_OK && auto_supports)
        status = dmf_fsmf_find_supports(ctx, a, src.num_m == 2 ? src.radix_m : NULL,
                                        src.num_m == 2 ? src.radix_n : NULL, &sx, &sy, &found);
    if (status == DMF_OK && !auto_supports) status = read_support(sx_path, &sx);
    if (status == DMF_OK && !auto_supports) status = read_support(sy_path, &sy);
    double start = cli_now();
    if (status == DMF_OK) status = dmf_fsmf(ctx, a, sx, sy, &x, &y, &rep);
    refine_result ref = {0};
    double greedy_error = status == DMF_OK ? rep.rel_error : 0;
    if (status == DMF_OK && refine_iters) {
        if (dmf_matrix_cols(sx) == 0)
            status = dmf_fail(DMF_ERR_SHAPE, "--refine needs an inner size K >= 1");
        else
            status = refine(ctx, a, sx, sy, refine_iters, greedy_error, &x, &y, &ref);
        if (status == DMF_OK) scale_into(x, ref.lambda);
    }
    double elapsed = cli_now() - start;
    /* Which pieces the verdict is about: the report has only the verdict. */
    unsigned char *flags = status == DMF_OK ? calloc(dmf_matrix_cols(sx) + 1, 1) : NULL;
    dmf_ident_report ident = {0};
    if (status == DMF_OK && !flags) status = dmf_fail(DMF_ERR_NOMEM, "cannot allocate piece flags");
    /* Identifiable: no piece to name, and the verdict is the report's. */
    if (status == DMF_OK && rep.identifiable == DMF_IDENT_YES) ident.identifiable = DMF_IDENT_YES;
    else if (status == DMF_OK) status = dmf_fsmf_identifiability(sx, sy, flags, &ident);
    if (status == DMF_OK && out) {
        char path[4096];
        status = cli_make_dir(out);
        snprintf(path, sizeof path, "%s/X.npy", out);
        if (status == DMF_OK) status = dmf_npy_write(path, x);
        snprintf(path, sizeof path, "%s/Y.npy", out);
        if (status == DMF_OK) status = dmf_npy_write(path, y);
        snprintf(path, sizeof path, "%s/support_x.npy", out);
        if (status == DMF_OK && auto_supports) status = dmf_npy_write(path, sx);
        snprintf(path, sizeof path, "%s/support_y.npy", out);
        if (status == DMF_OK && auto_supports) status = dmf_npy_write(path, sy);
    }
    if (status != DMF_OK) {
        code = cli_fail(cmd, status);
    } else {
        json_line j;
        json_begin(&j);
        json_str(&j, "command", "fsmf");
        size_t dims[3] = {dmf_matrix_rows(a), dmf_matrix_cols(sx), dmf_matrix_cols(a)};
        json_sizes(&j, "size_m_k_n", dims, 3);
        json_str(&j, "dtype", dmf_dtype_name(dmf_matrix_dtype(a)));
        json_str(&j, "backend", "cpu");
        json_int(&j, "num_classes", (long long)rep.num_classes);
        json_int(&j, "largest_class", (long long)rep.largest_class);
        json_bool(&j, "disjoint_or_identical", rep.disjoint_or_identical);
        json_bool(&j, "optimal", rep.optimal);
        if (!rep.disjoint_or_identical) {
            size_t pair[2] = {rep.conflict_k1, rep.conflict_k2};
            json_sizes(&j, "overlapping_k", pair, 2);
            json_str(&j, "solver", rep.completed ? "rank-one completion (identifiable supports)"
                                                 : "greedy masked rank-one on the residual (may not be optimal)");
        } else {
            json_str(&j, "solver", "truncated SVD per support class (optimal)");
        }
        json_identifiability(&j, &ident, flags, dmf_matrix_cols(sx));
        if (refine_iters) {
            json_num(&j, "rel_error_before_refine", greedy_error);
            json_int(&j, "refine_iterations", (long long)ref.iterations);
            json_num(&j, "rel_error", ref.rel_error);
            json_num(&j, "norm_ratio_before_refine", ref.ratio_before);
            json_num(&j, "norm_ratio", ref.ratio);
            json_bool(&j, "norms_diverging", ref.diverging);
            if (ref.kept_greedy) json_bool(&j, "kept_greedy", 1);
            if (ref.diverging)
                json_str(&j, "note", "the error falls while ||X|| ||Y|| / ||A|| grows: the infimum is likely "
                                     "not attained by any X, Y on these supports");
        } else {
            json_num(&j, "rel_error", rep.rel_error);
        }
        json_num(&j, "time_s", elapsed);
        if (auto_supports) {
            json_str(&j, "supports", "auto");
            json_sizes(&j, "support_radix_m", found.radix_m, 2);
            json_sizes(&j, "support_radix_n", found.radix_n, 2);
            json_int(&j, "support_classes_tried", (long long)found.classes_tried);
            json_num(&j, "support_score", found.min_score);
            json_num(&j, "support_time_s", found.time_s);
            /* As butterfly factor's perm_verdict, on the error reached. */
            double reached = refine_iters ? ref.rel_error : rep.rel_error;
            json_str(&j, "support_verdict",
                     cli_search_verdict(dmf_matrix_dtype(a), reached, found.min_score, "not_of_the_class"));
        }
        if (out) json_str(&j, "out", out);
        json_end(&j);
    }
    free(flags);
    dmf_matrix_free(a);
    dmf_matrix_free(sx);
    dmf_matrix_free(sy);
    dmf_matrix_free(x);
    dmf_matrix_free(y);
    dmf_context_free(ctx);
    return code;
}
