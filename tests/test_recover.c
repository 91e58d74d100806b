/* Recovery of the parameters of deep structured networks, against known
 * answers (Malgouyres & Landsberg):
 * - d_p between classes on hand-worked pairs (Definition 4.1);
 * - noiseless undecimated Haar paths, K = 3 ... 6: every start reaches the
 *   class of the truth to d_2 <= 1e-10 (>= 19 of 20 required);
 * - the paper's scattered {1,2,3} x {1,10} and a Haar tree (per-path
 *   classes, delta_2) the same;
 * - the paper's non-identifiable {1,2,3} x {1,2,3}: two classes with the
 *   same X built by hand (swapping roots of the product polynomial), and
 *   starts of dmf_recover that reach X exactly in two different classes;
 * - synth: the noise has the requested relative norm;
 * - the lifting's start: one start recovers the class where the lifted
 *   operator is injective, and on an identifiable network where it is not. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "network_specs.h"


static double dist(const dmf_network *net, const double *h, const double *g, double p, int paths)
{
    double d = NAN, delta = NAN;
    if (dmf_param_distance(net, h, g, p, &d, &delta) != DMF_OK) return NAN;
    return paths ? delta : d;
}

/* Two layers of two parameters as a {0, 1} x {0, 2} path. */
static void test_distance(void)
{
    const char *supports[2] = {"[0, 1]", "[0, 2]"};
    dmf_network *net = path_network(8, 2, supports);
    if (!net) return;
    /* (1, 0), (1, 0) against (1, 0), (0, 1): sqrt(0 + 2) and max 1. */
    const double h[4] = {1, 0, 1, 0}, g[4] = {1, 0, 0, 1};
    CHECK(fabs(dist(net, h, g, 2, 0) - sqrt(2.0)) < 1e-15, "d_2 = %.17g, expected sqrt 2", dist(net, h, g, 2, 0));
    CHECK(fabs(dist(net, h, g, INFINITY, 0) - 1) < 1e-15, "d_inf = %.17g, expected 1", dist(net, h, g, INFINITY, 0));
    CHECK(fabs(dist(net, h, g, 1, 0) - 2) < 1e-15, "d_1 = %.17g, expected 2", dist(net, h, g, 1, 0));
    /* A rescaling with signs of product +1 is the same class... */
    const double a[4] = {1, 2, -3, 0.5}, b[4] = {-4, -8, 0.75, -0.125};
    CHECK(dist(net, a, b, 2, 0) < 1e-15, "rescaled: d_2 = %g", dist(net, a, b, 2, 0));
    CHECK(dist(net, a, b, 2, 1) < 1e-15, "rescaled: delta_2 = %g", dist(net, a, b, 2, 1));
    /* ...a sign flip of one layer is not: (1,1),(1,1) vs (-1,-1),(1,1) in
     * R_diag differ by (2, 2) in one layer whichever signs: sqrt 8. */
    const double c[4] = {1, 1, 1, 1}, d[4] = {-1, -1, 1, 1};
    CHECK(fabs(dist(net, c, d, 2, 0) - sqrt(8.0)) < 1e-15, "sign flip: d_2 = %.17g", dist(net, c, d, 2, 0));
    const double zero[4] = {0, 0, 1, 1};
    double dd, delta;
    CHECK(dmf_param_distance(net, c, zero, 2, &dd, &delta) == DMF_ERR_ARG, "a zero layer has no class");
    CHECK(dmf_param_distance(net, c, d, 0.5, &dd, &delta) == DMF_ERR_ARG, "p < 1 is refused");
    dmf_network_free(net);
}

/* Noiseless X from seed-drawn truth, 20 starts; the number within `tol`
 * of the truth's class (per path when `paths`). */
static size_t recovered_starts(const dmf_network *net, uint64_t seed, int paths, double tol, double *worst_rel)
{
    size_t K = dmf_network_num_layers(net), S = dmf_network_num_params(net), good = 0;
    double truth[64 * 512];
    dmf_matrix *x = NULL;
    double noise_norm;
    CHECK_OK(dmf_network_synth(net, seed, 0, truth, &x, &noise_norm));
    if (!x) return 0;
    dmf_recover_options opt = {20, 200, 0, seed + 1};
    dmf_recover_report rep;
    CHECK_OK(dmf_recover(net, x, &opt, &rep));
    *worst_rel = 0;
    for (size_t s = 0; s < rep.restarts; s++) {
        double d = dist(net, rep.start_h + s * K * S, truth, 2, paths);
        if (d <= tol) good++;
        *worst_rel = fmax(*worst_rel, rep.start_residual[s] / dmf_matrix_norm_fro(x));
    }
    CHECK(rep.rel_residual < 1e-13, "best relative residual %g", rep.rel_residual);
    dmf_recover_report_free(&rep);
    dmf_matrix_free(x);
    return good;
}

static void test_haar_paths(void)
{
    for (size_t K = 3; K <= 6; K++) {
        dmf_network *net = haar_path(64, K);
        if (!net) continue;
        double worst;
        size_t good = recovered_starts(net, 100 + K, 0, 1e-10, &worst);
        printf("Haar path K=%zu N=64: %zu of 20 starts with d_2 <= 1e-10 (worst relative residual %.1e)\n", K, good,
               worst);
        CHECK(good >= 19, "Haar K=%zu: %zu of 20 starts recovered", K, good);
        dmf_network_free(net);
    }
}

static void test_scattered_examples(void)
{
    const char *apart[2] = {"[1, 2, 3]", "[1, 10]"};
    dmf_network *net = path_network(16, 2, apart);
    double worst;
    if (net) {
        size_t good = recovered_starts(net, 7, 0, 1e-10, &worst);
        CHECK(good >= 19, "{1,2,3} x {1,10}: %zu of 20 starts recovered", good);
        dmf_network_free(net);
    }
    /* Haar tree of depth 3 on R^16: per-layer classes are not identified
     * (two edges of a layer scale independently), per-path classes are. */
    dmf_network *tree = parse("{\"type\": \"conv\", \"N\": 16, \"root\": \"r\", \"edges\": ["
                              "{\"from\": \"l\", \"to\": \"r\", \"support\": {\"dilated\": 0}},"
                              "{\"from\": \"h\", \"to\": \"r\", \"support\": {\"dilated\": 0}},"
                              "{\"from\": \"ll\", \"to\": \"l\", \"support\": {\"dilated\": 1}},"
                              "{\"from\": \"lh\", \"to\": \"l\", \"support\": {\"dilated\": 1}},"
                              "{\"from\": \"hl\", \"to\": \"h\", \"support\": {\"dilated\": 1}},"
                              "{\"from\": \"hh\", \"to\": \"h\", \"support\": {\"dilated\": 1}},"
                              "{\"from\": \"lll\", \"to\": \"ll\", \"support\": {\"dilated\": 2}},"
                              "{\"from\": \"llh\", \"to\": \"ll\", \"support\": {\"dilated\": 2}},"
                              "{\"from\": \"lhl\", \"to\": \"lh\", \"support\": {\"dilated\": 2}},"
                              "{\"from\": \"lhh\", \"to\": \"lh\", \"support\": {\"dilated\": 2}},"
                              "{\"from\": \"hll\", \"to\": \"hl\", \"support\": {\"dilated\": 2}},"
                              "{\"from\": \"hlh\", \"to\": \"hl\", \"support\": {\"dilated\": 2}},"
                              "{\"from\": \"hhl\", \"to\": \"hh\", \"support\": {\"dilated\": 2}},"
                              "{\"from\": \"hhh\", \"to\": \"hh\", \"support\": {\"dilated\": 2}}]}");
    if (tree) {
        size_t good = recovered_starts(tree, 11, 1, 1e-10, &worst);
        CHECK(good >= 19, "Haar tree K=3: %zu of 20 starts recovered per path", good);
        dmf_network_free(tree);
    }
}

/* Kernels z (h0 + h1 z + h2 z^2) twice: X's kernel is z^2 times the
 * product of two quadratics, (z-1)(z-2) (z-3)(z+1), which also factors as
 * (z-1)(z-3) (z-2)(z+1): same X, different classes. */
static void test_not_identifiable(void)
{
    const char *twice[2] = {"[1, 2, 3]", "[1, 2, 3]"};
    dmf_network *net = path_network(16, 2, twice);
    if (!net) return;
    const double h[6] = {2, -3, 1, -3, -2, 1}, g[6] = {3, -4, 1, -2, -1, 1};
    dmf_matrix *xh = NULL, *xg = NULL;
    CHECK_OK(dmf_network_apply_params(net, h, &xh));
    CHECK_OK(dmf_network_apply_params(net, g, &xg));
    if (!xh || !xg) return;
    const double *a = dmf_matrix_const_data(xh), *b = dmf_matrix_const_data(xg);
    double diff = 0;
    for (size_t i = 0; i < 16 * 16; i++) diff = fmax(diff, fabs(a[i] - b[i]));
    double d = dist(net, h, g, 2, 0);
    printf("{1,2,3} x {1,2,3}: two classes with max |X_h - X_g| = %g at d_2 = %.3f\n", diff, d);
    CHECK(diff == 0, "the two factorizations give X differing by %g", diff);
    CHECK(d > 0.5, "the two classes are only %g apart", d);
    /* Recovery from that X finds more than one exact class. */
    dmf_recover_options opt = {20, 2000, 0, 3};
    dmf_recover_report rep;
    CHECK_OK(dmf_recover(net, xh, &opt, &rep));
    double norm = dmf_matrix_norm_fro(xh), far = 0;
    size_t exact = 0;
    for (size_t s = 0; s < rep.restarts; s++) {
        if (rep.start_residual[s] > 1e-10 * norm) continue;
        exact++;
        for (size_t t = 0; t < s; t++)
            if (rep.start_residual[t] <= 1e-10 * norm)
                far = fmax(far, dist(net, rep.start_h + s * 6, rep.start_h + t * 6, 2, 0));
    }
    printf("  dmf_recover: %zu of 20 starts fit X to 1e-10, two of them %.3f apart\n", exact, far);
    CHECK(exact >= 2 && far > 0.5, "%zu exact starts, largest distance between them %g", exact, far);
    dmf_recover_report_free(&rep);
    dmf_matrix_free(xh);
    dmf_matrix_free(xg);
    dmf_network_free(net);
}

static void test_synth_noise(void)
{
    dmf_network *net = parse("{\"type\": \"masked\", \"sizes\": [3, 4, 2], \"masks\": [\"dense\", \"dense\"]}");
    if (!net) return;
    double h[2 * 12], h0[2 * 12], noise_norm = 0, noise_free = 0;
    dmf_matrix *x = NULL, *x0 = NULL;
    CHECK_OK(dmf_network_synth(net, 9, 0.25, h, &x, &noise_norm));
    CHECK_OK(dmf_network_synth(net, 9, 0, h0, &x0, &noise_free));
    if (x && x0) {
        CHECK(!memcmp(h, h0, sizeof h), "the noise level changed h");
        double e = 0;
        const double *a = dmf_matrix_const_data(x), *b = dmf_matrix_const_data(x0);
        for (size_t i = 0; i < 6; i++) e += (a[i] - b[i]) * (a[i] - b[i]);
        CHECK(fabs(sqrt(e) - noise_norm) < 1e-12 && fabs(noise_norm - 0.25 * dmf_matrix_norm_fro(x0)) < 1e-12,
              "||e|| = %g, reported %g, expected %g", sqrt(e), noise_norm, 0.25 * dmf_matrix_norm_fro(x0));
        /* A dense 3 x 4 x 2 product is a rank-2 matrix: recovery fits it
         * (its classes are not identified: any invertible 4 x 4 mixes them). */
        dmf_recover_report rep;
        CHECK_OK(dmf_recover(net, x0, NULL, &rep));
        CHECK(rep.rel_residual < 1e-12 && rep.restarts == 10, "dense: residual %g", rep.rel_residual);
        dmf_recover_report_free(&rep);
    }
    dmf_matrix *refused = NULL;
    CHECK(dmf_network_synth(net, 9, -1, h, &refused, &noise_norm) == DMF_ERR_ARG && !refused,
          "negative noise is refused");
    dmf_matrix_free(x);
    dmf_matrix_free(x0);
    dmf_network_free(net);
}

/* With noise: the measured distances stay below the bounds of Thm 8.4
 * (delta_p) and Thm 7.2 (d_p, Ker A = {0} for a scattered path) whenever
 * their conditions hold; a large noise breaks the conditions, and a Haar
 * tree's A has a kernel, so Thm 7.2 has no gamma there. */
static void check_bounds(const dmf_network *net, const char *name, uint64_t seed, double noise, int want_72)
{
    size_t K = dmf_network_num_layers(net), S = dmf_network_num_params(net);
    double truth[64 * 512], noise_norm;
    dmf_matrix *x = NULL;
    CHECK_OK(dmf_network_synth(net, seed, noise, truth, &x, &noise_norm));
    if (!x) return;
    dmf_recover_options opt = {5, 200, 0, seed};
    dmf_recover_report rep;
    CHECK_OK(dmf_recover(net, x, &opt, &rep));
    double d, delta;
    CHECK_OK(dmf_param_distance(net, rep.h, truth, 2, &d, &delta));
    dmf_stability_bound b84, b72;
    CHECK_OK(dmf_stability_thm_8_4(net, truth, noise_norm, rep.residual, 2, &b84));
    CHECK_OK(dmf_stability_thm_7_2(net, truth, rep.h, noise_norm, rep.residual, 2, 10000000, &b72));
    printf("%s noise %.0e: delta_2 %.2e (Thm 8.4 %s %.2e), d_2 %.2e (Thm 7.2 %s %.2e)\n", name, noise, delta,
           b84.holds ? "bound" : "n/a", b84.bound, d, b72.holds ? "bound" : "n/a", b72.bound);
    if (b84.holds) CHECK(delta <= b84.bound, "%s noise %g: delta_2 %g above Thm 8.4's %g", name, noise, delta, b84.bound);
    if (b72.holds) CHECK(d <= b72.bound, "%s noise %g: d_2 %g above Thm 7.2's %g", name, noise, d, b72.bound);
    dmf_stability_bound b43;
    CHECK_OK(dmf_stability_thm_4_3(net, truth, rep.h, 2, 20000000, &b43));
    if (b43.holds) CHECK(d <= b43.bound, "%s noise %g: d_2 %g above Thm 4.3's %g", name, noise, d, b43.bound);
    /* Where X fixes the tensor (A injective), a good estimate has a nearby one. */
    if (noise <= 1e-3 && want_72) CHECK(b43.holds, "%s noise %g: Thm 4.3 should apply (%s)", name, noise, b43.why_not);
    if (noise <= 1e-3) CHECK(b84.holds, "%s noise %g: Thm 8.4 should apply (%s)", name, noise, b84.why_not);
    if (noise >= 1) CHECK(!b84.holds && b84.why_not && strstr(b84.why_not, "eps^K"), "%s noise %g: %s", name, noise,
                          b84.why_not ? b84.why_not : "holds");
    CHECK(b72.holds == want_72 || noise >= 1, "%s: Thm 7.2 holds %d (%s)", name, b72.holds,
          b72.why_not ? b72.why_not : "");
    (void)K, (void)S;
    dmf_recover_report_free(&rep);
    dmf_matrix_free(x);
}

static void test_noise_bounds(void)
{
    dmf_network *path = haar_path(64, 4);
    dmf_network *tree = haar_tree_8();
    const double levels[] = {1e-6, 1e-4, 1e-3, 1e-2, 1};
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
        if (path) check_bounds(path, "Haar path K=4", 21, levels[i], 1);
        if (tree) check_bounds(tree, "Haar tree K=2", 22, levels[i], 0);
    }
    dmf_stability_bound b;
    if (tree) {
        double h[2 * 8] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
        CHECK_OK(dmf_stability_thm_7_2(tree, h, h, 0, 0, 2, 10000000, &b));
        CHECK(!b.holds && strstr(b.why_not, "Ker A"), "tree: Thm 7.2 %s", b.why_not ? b.why_not : "holds");
    }
    const char *twice[2] = {"[1, 2, 3]", "[1, 2, 3]"};
    dmf_network *bad = path_network(16, 2, twice);
    if (bad) {
        double h[6] = {1, 2, 3, 4, 5, 6};
        CHECK_OK(dmf_stability_thm_8_4(bad, h, 0, 0, 2, &b));
        CHECK(!b.holds && strstr(b.why_not, "scattered"), "{1,2,3} twice: Thm 8.4 %s",
              b.why_not ? b.why_not : "holds");
    }
    dmf_network_free(bad);
    dmf_network_free(path);
    dmf_network_free(tree);
}

/* The lifting's start (DMF_RECOVER_LIFTING).  Where the lifted operator is
 * injective (undecimated Haar paths: rank 2^K = S^K; {1,2,3} x {1,10}:
 * rank 6 = 3 x 2) the least-squares tensor is the truth's and one start
 * recovers its class to rounding.  A K = 2 triplet network with rk A = 8 =
 * 4(S - 1) < 9 = S^2 columns is identifiable (Thm 6.4) but A has a kernel:
 * the projected gradient steps on the rank-one tensors still reach the
 * truth's class from the single lifted start, on every seed tried. */
static void check_lifted(const dmf_network *net, uint64_t seed, size_t restarts, int want_injective, const char *name)
{
    size_t K = dmf_network_num_layers(net), S = dmf_network_num_params(net);
    double truth[64 * 64], noise_norm;
    dmf_matrix *x = NULL;
    CHECK_OK(dmf_network_synth(net, seed, 0, truth, &x, &noise_norm));
    if (!x) return;
    dmf_recover_options opt = {.restarts = restarts, .seed = seed, .method = DMF_RECOVER_LIFTING};
    dmf_recover_report rep;
    CHECK_OK(dmf_recover(net, x, &opt, &rep));
    if (rep.h) {
        int injective = rep.lifting.rank == rep.lifting.columns;
        double d = dist(net, rep.start_h, truth, 2, 0);
        CHECK(rep.lifting.used && injective == want_injective && rep.restarts == (restarts ? restarts : 1),
              "%s: used %d, rank %zu of %zu columns, %zu starts", name, rep.lifting.used, rep.lifting.rank,
              rep.lifting.columns, rep.restarts);
        CHECK(d <= 1e-10 && rep.rel_residual < 1e-12, "%s seed %llu: the lifted start is at d_2 = %.3g (residual %.3g)",
              name, (unsigned long long)seed, d, rep.rel_residual);
        (void)K, (void)S;
    }
    dmf_recover_report_free(&rep);
    dmf_matrix_free(x);
}

static void test_lifting(void)
{
    for (size_t K = 3; K <= 6; K++) {
        dmf_network *net = haar_path(64, K);
        if (net) check_lifted(net, 200 + K, 0, 1, "Haar path");
        dmf_network_free(net);
    }
    const char *apart[2] = {"[1, 2, 3]", "[1, 10]"};
    dmf_network *net = path_network(16, 2, apart);
    if (net) check_lifted(net, 9, 0, 1, "{1,2,3} x {1,10}");
    dmf_network_free(net);
    net = k2_threshold_network();
    for (uint64_t seed = 1; net && seed <= 8; seed++) check_lifted(net, seed, 1, 0, "K=2 S=3, rank 8 of 9");
    /* Past the size of the explicit operator: refused, naming the way out. */
    if (net) {
        double truth[64], noise_norm;
        dmf_matrix *x = NULL;
        CHECK_OK(dmf_network_synth(net, 1, 0, truth, &x, &noise_norm));
        dmf_recover_options opt = {.method = DMF_RECOVER_LIFTING, .max_lifting_entries = 10};
        dmf_recover_report rep;
        CHECK_STATUS(dmf_recover(net, x, &opt, &rep), DMF_ERR_SHAPE);
        CHECK(strstr(dmf_last_error(), "alternating least squares") != NULL, "%s", dmf_last_error());
        dmf_matrix_free(x);
    }
    dmf_network_free(net);
}

/* Thm 4.3 on hand-worked tensors: h = ([1, 2], [3, 1]) and g = ([1, 2],
 * [3, 1.1]) have P(h) = [[3, 1], [6, 2]], P(g) = [[3, 1.1], [6, 2.2]],
 * ||P(h) - P(g)||_inf = 0.2 <= max sup norm 6 / 2, so
 * d_2 <= 7 (2 * 2)^(1/2) 6^(-1/2) 0.2 = 2.8 / sqrt(6); g = -h flips the
 * tensor (difference 12 > 3): no bound; and the entries' limit. */
static void test_thm_4_3(void)
{
    dmf_network *net = parse("{\"type\": \"triplets\", \"layers\": ["
                             "{\"rows\": 2, \"cols\": 2, \"entries\": [[0, 0, 0, 1], [1, 1, 1, 1]]},"
                             "{\"rows\": 2, \"cols\": 1, \"entries\": [[0, 0, 0, 1], [1, 0, 1, 1]]}]}");
    if (!net) return;
    double h[4] = {1, 2, 3, 1}, g[4] = {1, 2, 3, 1.1}, flip[4] = {1, 2, -3, -1};
    dmf_stability_bound b;
    CHECK_OK(dmf_stability_thm_4_3(net, h, g, 2, 1000, &b));
    CHECK(b.holds && fabs(b.tensor_distance - 0.2) < 1e-15 && fabs(b.error_limit - 3) < 1e-15 &&
              fabs(b.bound - 2.8 / sqrt(6.0)) < 1e-14,
          "Thm 4.3 by hand: holds %d, distance %.17g, limit %.17g, bound %.17g", b.holds, b.tensor_distance,
          b.error_limit, b.bound);
    double d, delta;
    CHECK_OK(dmf_param_distance(net, g, h, 2, &d, &delta));
    CHECK(d <= b.bound, "d_2 %.3g above Thm 4.3's %.3g", d, b.bound);
    CHECK_OK(dmf_stability_thm_4_3(net, h, flip, 2, 1000, &b));
    CHECK(!b.holds && isnan(b.bound) && fabs(b.tensor_distance - 12) < 1e-15 && b.why_not &&
              strstr(b.why_not, "/ 2"),
          "Thm 4.3 with the tensor flipped: holds %d (%s)", b.holds, b.why_not ? b.why_not : "");
    CHECK_OK(dmf_stability_thm_4_3(net, h, g, 2, 3, &b));
    CHECK(!b.holds && b.why_not && strstr(b.why_not, "limit"), "Thm 4.3 past the entries' limit: %s",
          b.why_not ? b.why_not : "holds");
    CHECK_STATUS(dmf_stability_thm_4_3(net, h, g, 0.5, 1000, &b), DMF_ERR_ARG);
    dmf_network_free(net);
}

int main(void)
{
    test_thm_4_3();
    test_distance();
    test_haar_paths();
    test_scattered_examples();
    test_not_identifiable();
    test_synth_noise();
    test_noise_bounds();
    test_lifting();
    return check_report("test_recover");
}
