/* dmf liftrank and dmf scatter: identifiability of deep structured linear
 * networks (Malgouyres & Landsberg). */
#include <getopt.h>
#include <math.h>
#include <string.h>

#include "cli.h"

static const char help_liftrank[] =
    "usage: dmf liftrank NETWORK.json [--seed S] [--samples R0] [--spectrum OUT.npy]\n"
    "                    [--sigma-min] [--backend auto|cpu|cuda]\n"
    "\n"
    "Monte Carlo rank of the lifted operator A of X = M_1(h_1)...M_K(h_K)\n"
    "(Prop. 5.3): samples vec(A P(h)) for Gaussian h, in float64, R doubled from\n"
    "R0 (default 16) until the rank stops below R.  The rank is read from the\n"
    "singular values of the D x R sample matrix by three rules (machine\n"
    "precision, largest gap, sqrt(eps)); a warning goes to stderr when they\n"
    "disagree.  Prints one JSON line with the ranks, the gap, the thresholds\n"
    "dim Sigma_2 (Thm 6.4: 4(S-1) for K = 2, 2K(S-1)+2 for K > 2) and 2S\n"
    "(Thm 6.5), the verdicts with their theorems, notions and conditions, and\n"
    "for convolutional networks the scattering verdict (Thm 8.4).  --spectrum writes the singular\n"
    "values; --sigma-min also forms A on the S^K tensor basis (when that has at\n"
    "most 5e7 entries) and reports its smallest nonzero singular value.\n"
    "\n"
    "--seed S         seed of the Gaussian parameters h (default 0)\n"
    "--samples R0     first number of samples, >= 1 (default 16)\n"
    "--spectrum FILE  writes the singular values (1-D float64 .npy)\n"
    "--sigma-min      sigma_min of the explicit operator (see above)\n"
    "--backend B      where the samples are computed: auto (default), cpu or\n"
    "                 cuda; the SVD runs on the CPU in float64\n"
    "\n"
    "Network formats (\"type\"): conv (see 'dmf scatter --help'), triplets,\n"
    "butterfly, masked; docs/liftrank.md in the source tree describes them.\n";

static const char help_scatter[] =
    "usage: dmf scatter NETWORK.json\n"
    "\n"
    "Algorithm 8.1: applies the convolutional network with all kernels set to 1\n"
    "to a Dirac at each leaf, in exact integer arithmetic, and says whether every\n"
    "entry is 0 or 1 (sufficiently scattered, Definition 8.1).  When it is not,\n"
    "the JSON lists the first offending (leaf, position, value) entries and the\n"
    "network is not identifiable (Thm 8.4).\n"
    "\n"
    "A convolutional network is JSON: {\"type\": \"conv\", \"N\": 64, \"root\": \"r\",\n"
    "\"edges\": [{\"from\": \"a\", \"to\": \"r\", \"support\": [0, 1, 2]}, ...]} with\n"
    "supports as lists or {\"contiguous\": S} = {0..S-1} or {\"dilated\": k} = {0, 2^k}.\n";

static void print_scatter(json_line *j, const dmf_network *net, const dmf_scatter_report *sc)
{
    json_bool(j, "scattered", sc->scattered);
    json_int(j, "num_offending", (long long)sc->num_offending);
    json_key(j, "offending");
    fputc('[', stdout);
    size_t shown = sc->num_offending < 16 ? sc->num_offending : 16;
    for (size_t i = 0; i < shown; i++) {
        printf("%s{\"leaf\": ", i ? ", " : "");
        json_write_string(stdout, dmf_network_leaf_name(net, sc->offending[i].leaf));
        printf(", \"position\": %zu, \"value\": %lld}", sc->offending[i].position, sc->offending[i].value);
    }
    fputc(']', stdout);
    json_str(j, "verdict_thm_8_4", sc->scattered ? "sufficiently scattered: stable recovery holds under the "
                                                   "conditions of Thm 8.4"
                                                 : "not sufficiently scattered: not identifiable (Thm 8.4)");
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

static int parse(const char *cmd, const char *help, int argc, char **argv, const char **path,
                 unsigned long long *seed, size_t *samples, const char **spectrum, int *sigma_min,
                 const char **backend)
{
    static const struct option opts[] = {{"seed", required_argument, 0, 'S'},
                                         {"samples", required_argument, 0, 'R'},
                                         {"spectrum", required_argument, 0, 'p'},
                                         {"sigma-min", no_argument, 0, 'm'},
                                         {"backend", required_argument, 0, 'b'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c, lift = !strcmp(cmd, "liftrank");
    optind = 0;
    opterr = 0;
    while ((c = cli_getopt(cmd, argc, argv, opts)) != -1) {
        if (c == 'h') {
            fputs(help, stdout);
            return -1;
        }
        if (!lift && c != '?') return cli_usage_error(cmd, "option '%s' is for liftrank", argv[optind - 1]);
        switch (c) {
        case 'S':
            if (cli_parse_u64(optarg, seed)) return cli_usage_error(cmd, "bad --seed '%s'", optarg);
            break;
        case 'R':
            if (cli_parse_size(optarg, samples) || *samples < 1)
                return cli_usage_error(cmd, "bad --samples '%s' (an integer >= 1)", optarg);
            break;
        case 'p': *spectrum = optarg; break;
        case 'm': *sigma_min = 1; break;
        case 'b': *backend = optarg; break;
        default: return EXIT_USAGE; /* cli_getopt has said why */
        }
    }
    if (optind != argc - 1) return cli_usage_error(cmd, "give exactly one NETWORK.json");
    *path = argv[optind];
    return EXIT_OK;
}

int cmd_scatter(int argc, char **argv)
{
    const char *path = NULL, *spectrum = NULL, *backend = "auto";
    unsigned long long seed = 0;
    size_t samples = 0;
    int sigma = 0;
    int code = parse("scatter", help_scatter, argc, argv, &path, &seed, &samples, &spectrum, &sigma, &backend);
    if (code) return code < 0 ? EXIT_OK : code;
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
    const char *path = NULL, *spectrum = NULL, *backend = "auto";
    unsigned long long seed = 0;
    size_t samples = 16;
    int want_sigma = 0;
    int code = parse("liftrank", help_liftrank, argc, argv, &path, &seed, &samples, &spectrum, &want_sigma,
                     &backend);
    if (code) return code < 0 ? EXIT_OK : code;
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
