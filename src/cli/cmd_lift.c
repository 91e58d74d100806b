/* dmf liftrank and dmf scatter: identifiability of deep structured linear
 * networks (Malgouyres & Landsberg). */
#include <math.h>
#include <string.h>

#include "cli.h"
#include "cli_args.h"

static void print_scatter(json_line *j, const dmf_network *net, const dmf_scatter_report *sc)
{
    json_bool(j, "scattered", sc->scattered);
    json_int(j, "num_offending", (long long)sc->num_offending);
    json_key(j, "offending");
    fputc('[', stdout);
    size_t shown = sc->num_offending < 16 ? sc->num_offending : 16;
    for (size_t i = 0; i < shown; i++) {
        /* A leaf's kernel position, or the row and column of X. */
        if (sc->convolutional) {
            printf("%s{\"leaf\": ", i ? ", " : "");
            json_write_string(stdout, dmf_network_leaf_name(net, sc->offending[i].leaf));
            printf(", \"position\": %zu", sc->offending[i].position);
        } else {
            printf("%s{\"row\": %zu, \"column\": %zu", i ? ", " : "", sc->offending[i].position,
                   sc->offending[i].leaf);
        }
        printf(", \"value\": %lld}", sc->offending[i].value);
    }
    fputc(']', stdout);
    if (!sc->convolutional) {
        json_str(j, "verdict_scatter", dmf_scatter_verdict(sc));
        return;
    }
    json_str(j, "verdict_thm_8_4", dmf_scatter_verdict(sc));
    dmf_lift_verdict v;
    if (dmf_lift_verdict_get(net, 0, &v) == DMF_OK && v.has_thm_8_4) {
        json_str(j, "notion_thm_8_4", v.notion_thm_8_4);
        json_str(j, "conditions_thm_8_4", v.conditions_thm_8_4);
    }
}

/* One verdict as an object of the "verdicts" list. */
static void print_verdict(int first, const char *theorem, int holds, const char *says, const char *notion,
                          const char *conditions)
{
    printf("%s{\"theorem\": ", first ? "" : ", ");
    json_write_string(stdout, theorem);
    printf(", \"holds\": %s, \"says\": ", holds ? "true" : "false");
    json_write_string(stdout, says);
    fputs(", \"notion\": ", stdout);
    json_write_string(stdout, notion);
    fputs(", \"conditions\": ", stdout);
    json_write_string(stdout, conditions);
    fputc('}', stdout);
}

/* Every verdict with its theorem, notion and conditions. */
static void print_verdicts(json_line *j, const dmf_lift_verdict *v, const dmf_scatter_report *sc)
{
    json_key(j, "verdicts");
    fputc('[', stdout);
    print_verdict(1, "Thm 6.4", v->identifiable_thm_6_4, "identifiable for almost every A when rk A >= dim Sigma_2",
                  v->notion, v->conditions_thm_6_4);
    print_verdict(0, "Thm 6.5", v->not_identifiable_thm_6_5, "not identifiable when 2S > rk A", v->notion,
                  v->conditions_thm_6_5);
    if (sc && v->has_thm_8_4)
        print_verdict(0, "Thm 8.4", sc->scattered,
                      sc->scattered ? "sufficiently scattered: stable recovery of the path classes"
                                    : "not sufficiently scattered: not identifiable",
                      v->notion_thm_8_4, v->conditions_thm_8_4);
    fputc(']', stdout);
}

int cmd_scatter(int argc, char **argv)
{
    cli_args args;
    int code = cli_parse_args("scatter", argc, argv, &args);
    if (code != EXIT_OK) return code == CLI_HELP_SHOWN ? EXIT_OK : code;
    const char *path = cli_get(&args, "network");
    dmf_network *net = NULL;
    dmf_scatter_report sc;
    int status = dmf_network_read(path, &net);
    if (status == DMF_OK) status = dmf_scatter(net, &sc);
    if (status != DMF_OK) {
        code = cli_fail("scatter", status);
    } else {
        json_line j;
        json_begin(&j);
        json_str(&j, "command", "scatter");
        json_str(&j, "network", path);
        print_scatter(&j, net, &sc);
        json_end(&j);
    }
    dmf_network_free(net);
    return code;
}

int cmd_liftrank(int argc, char **argv)
{
    cli_args args;
    int code = cli_parse_args("liftrank", argc, argv, &args);
    if (code != EXIT_OK) return code == CLI_HELP_SHOWN ? EXIT_OK : code;
    const char *path = cli_get(&args, "network"), *spectrum = cli_get(&args, "spectrum");
    const char *backend = cli_get(&args, "backend");
    unsigned long long seed = cli_get_u64(&args, "seed", 0);
    size_t samples = cli_get_size(&args, "samples", 16);
    int want_sigma = cli_given(&args, "sigma-min");
    dmf_network *net = NULL;
    dmf_context *ctx = NULL;
    dmf_liftrank_report rep = {0};
    dmf_scatter_report sc;
    double sigma_min = 0;
    size_t sigma_rank = 0;
    int status = dmf_network_read(path, &net);
    if (status == DMF_OK) status = dmf_context_create(&ctx, backend);
    if (status == DMF_OK) cli_note_fallback("liftrank", ctx);
    if (status == DMF_OK) status = dmf_liftrank(ctx, net, seed, samples, &rep);
    if (status == DMF_OK && spectrum) {
        size_t shape[1] = {rep.spectrum_length};
        status = dmf_npy_write_array(spectrum, DMF_F64, shape, 1, rep.spectrum);
    }
    int have_scatter = status == DMF_OK && dmf_scatter(net, &sc) == DMF_OK;
    int have_sigma = status == DMF_OK && want_sigma && dmf_lift_sigma_min(net, 50000000, &sigma_min, &sigma_rank) == DMF_OK;
    if (status == DMF_OK && want_sigma && !have_sigma)
        fprintf(stderr, "dmf liftrank: no sigma_min: %s\n", dmf_last_error());
    if (status != DMF_OK) {
        code = cli_fail("liftrank", status);
    } else {
        size_t K = dmf_network_num_layers(net), S = dmf_network_num_params(net);
        dmf_lift_verdict v;
        dmf_lift_verdict_get(net, rep.rank, &v); /* counted once already by dmf_liftrank */
        if (!rep.rules_agree)
            fprintf(stderr, "dmf liftrank: the rank rules disagree (eps %zu, gap %zu, sqrt-eps %zu): "
                            "look at the spectrum\n", rep.rank_eps, rep.rank_gap, rep.rank_sqrt_eps);
        if (rep.residual_spread_log2 > 26)
            fprintf(stderr, "dmf liftrank: the coefficients of one parameter span 2^%d: what the small ones "
                            "add is lost in double, so the rank may be too low\n", rep.residual_spread_log2);
        json_line j;
        json_begin(&j);
        json_str(&j, "command", "liftrank");
        json_str(&j, "network", path);
        json_int(&j, "K", (long long)K);
        json_int(&j, "S", (long long)S);
        json_str(&j, "backend", dmf_context_backend_name(ctx));
        json_int(&j, "rank", (long long)rep.rank);
        json_int(&j, "rank_eps", (long long)rep.rank_eps);
        json_int(&j, "rank_gap", (long long)rep.rank_gap);
        json_int(&j, "rank_sqrt_eps", (long long)rep.rank_sqrt_eps);
        json_bool(&j, "rules_agree", rep.rules_agree);
        json_num(&j, "gap", rep.gap);
        json_int(&j, "samples", (long long)rep.samples);
        json_int(&j, "sample_length", (long long)rep.sample_length);
        json_int(&j, "upper_bound", (long long)rep.upper_bound);
        json_str(&j, "upper_bound_rule", v.upper_bound_rule);
        json_num(&j, "sigma_max", rep.spectrum_length ? rep.spectrum[0] : 0);
        json_bool(&j, "params_rescaled", rep.params_rescaled);
        json_int(&j, "coef_spread_log2", rep.residual_spread_log2);
        json_int(&j, "threshold_thm_6_4", (long long)v.dim_sigma2);
        json_str(&j, "threshold_thm_6_4_rule", v.dim_sigma2_rule);
        json_bool(&j, "identifiable_thm_6_4", v.identifiable_thm_6_4);
        json_int(&j, "threshold_thm_6_5", (long long)v.twice_s);
        json_bool(&j, "not_identifiable_thm_6_5", v.not_identifiable_thm_6_5);
        json_str(&j, "verdict", v.verdict);
        json_str(&j, "identifiability_notion", v.notion);
        print_verdicts(&j, &v, have_scatter ? &sc : NULL);
        if (have_scatter) print_scatter(&j, net, &sc);
        if (have_sigma) {
            json_num(&j, "sigma_min", sigma_min);
            json_int(&j, "sigma_min_rank", (long long)sigma_rank);
        }
        if (spectrum) json_str(&j, "spectrum", spectrum);
        json_num(&j, "time_s", rep.time_s);
        json_end(&j);
    }
    dmf_liftrank_report_free(&rep);
    dmf_context_free(ctx);
    dmf_network_free(net);
    return code;
}
