/* The deep-NSP constant of Ker A (dmf_deep_nsp, paper 001 Definition 7.1),
 * against known answers:
 * - injective A (the undecimated Haar path): gamma = 1, exact;
 * - two-layer networks built so that Ker A is a chosen span of S_1 x S_2
 *   matrices (X = (<C_j, T>)_j, C_j a generic basis of its orthogonal
 *   complement), where the smallest valid gamma is known in closed form:
 *   one matrix U diag(3, 2, 1) V^T (gamma = ||W||_F / sigma_3 = sqrt 14);
 *   the span of U {I, i, j, k} V^T (left multiplications by the
 *   quaternions: every element is a scaled orthogonal matrix, all singular
 *   values equal, gamma = sqrt 2); the span of U diag(a) V^T and
 *   U diag(b) V^T (gamma^-2 = the least over pairs {i, j} of the least
 *   generalised eigenvalue of (sum_{i,j} w w^T, sum_all w w^T), w = (a_l, b_l));
 * - not identifiable: the paper's {1,2,3} x {1,2,3} (two parallel columns),
 *   a Haar tree (zero columns), any two-dimensional kernel in 3 x 3
 *   matrices (det restricted to it is a real binary cubic, so it has a real
 *   root: a matrix of rank <= 2 in Ker A): the property fails;
 * - too large: the operator, its columns or its kernel past the limits;
 * - Thm 7.2 with an estimated gamma on the K = 2 network at Thm 6.4's
 *   threshold (Ker A of dimension 1): flagged, and above the measured d_2. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "network_specs.h"

/* Deterministic Gaussian-ish numbers for the functionals (sum of uniforms). */
static double draw(unsigned long long *s)
{
    double sum = 0;
    for (int i = 0; i < 4; i++) {
        *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
        sum += (double)(*s >> 11) / 9007199254740992.0 - 0.5;
    }
    return sum;
}

/* Two triplet layers: M_1 = (h_1[0] ... h_1[a-1]) (1 x a), M_2[r][j] =
 * sum_p C_j[r][p] h_2[p] (a x m), so X[0][j] = <C_j, h_1 h_2^T> and
 * A T = (<C_j, T>)_j.  The C_j are m generic matrices orthogonal to the
 * `count` matrices w (a x b, row-major): Ker A = span(w) when m = ab - count. */
static dmf_network *kernel_network3(size_t a, size_t b, size_t c3, const double *w, size_t count, size_t m);

static dmf_network *kernel_network(size_t a, size_t b, const double *w, size_t count, size_t m)
{
    return kernel_network3(a, b, 1, w, count, m);
}

/* Three layers when c3 > 1: M_1 = h_1^T (1 x a), M_2[r][r b + p] = h_2[p]
 * (a x ab), M_3[r b + p][j] = sum_s C_j[r][p][s] h_3[s] (ab x m), so again
 * X[0][j] = <C_j, h_1 (x) h_2 (x) h_3>. */
static dmf_network *kernel_network3(size_t a, size_t b, size_t c3, const double *w, size_t count, size_t m)
{
    const size_t n = a * b * c3;
    double *q = malloc(count * n * sizeof *q), *c = malloc(n * sizeof *c);
    size_t cap = 256 + (size_t)60 * (a + a * b + n * m);
    char *json = malloc(cap);
    if (!q || !c || !json) {
        free(q), free(c), free(json);
        return NULL;
    }
    for (size_t i = 0; i < count; i++) { /* Gram-Schmidt on w */
        memcpy(q + i * n, w + i * n, n * sizeof *q);
        for (int pass = 0; pass < 2; pass++)
            for (size_t l = 0; l < i; l++) {
                double d = 0;
                for (size_t t = 0; t < n; t++) d += q[i * n + t] * q[l * n + t];
                for (size_t t = 0; t < n; t++) q[i * n + t] -= d * q[l * n + t];
            }
        double nn = 0;
        for (size_t t = 0; t < n; t++) nn += q[i * n + t] * q[i * n + t];
        for (size_t t = 0; t < n; t++) q[i * n + t] /= sqrt(nn);
    }
    size_t len = (size_t)snprintf(json, cap, "{\"type\": \"triplets\", \"layers\": [{\"rows\": 1, \"cols\": %zu, "
                                             "\"entries\": [", a);
    for (size_t r = 0; r < a; r++) len += (size_t)snprintf(json + len, cap - len, "%s[0, %zu, %zu, 1]", r ? ", " : "", r, r);
    if (c3 > 1) {
        len += (size_t)snprintf(json + len, cap - len, "]}, {\"rows\": %zu, \"cols\": %zu, \"entries\": [", a, a * b);
        for (size_t r = 0; r < a; r++)
            for (size_t p = 0; p < b; p++)
                len += (size_t)snprintf(json + len, cap - len, "%s[%zu, %zu, %zu, 1]", r || p ? ", " : "", r, r * b + p, p);
    }
    len += (size_t)snprintf(json + len, cap - len, "]}, {\"rows\": %zu, \"cols\": %zu, \"entries\": [",
                            c3 > 1 ? a * b : a, m);
    unsigned long long seed = 12345;
    for (size_t j = 0; j < m; j++) {
        for (size_t t = 0; t < n; t++) c[t] = draw(&seed);
        for (size_t i = 0; i < count; i++) {
            double d = 0;
            for (size_t t = 0; t < n; t++) d += c[t] * q[i * n + t];
            for (size_t t = 0; t < n; t++) c[t] -= d * q[i * n + t];
        }
        for (size_t t = 0; t < n; t++)
            len += (size_t)snprintf(json + len, cap - len, "%s[%zu, %zu, %zu, %.17g]", j || t ? ", " : "",
                                    c3 > 1 ? t / c3 : t / b, j, c3 > 1 ? t % c3 : t % b, c[t]);
    }
    snprintf(json + len, cap - len, "]}]}");
    dmf_network *net = parse(json);
    free(q), free(c), free(json);
    return net;
}

/* Householder reflection I - 2 v v^T / v^T v, n x n row-major. */
static void householder(size_t n, const double *v, double *h)
{
    double vv = 0;
    for (size_t i = 0; i < n; i++) vv += v[i] * v[i];
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) h[i * n + j] = (i == j) - 2 * v[i] * v[j] / vv;
}

/* w = U m V^T, all n x n. */
static void rotate(size_t n, const double *u, const double *m, const double *v, double *w)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double s = 0;
            for (size_t k = 0; k < n; k++)
                for (size_t l = 0; l < n; l++) s += u[i * n + k] * m[k * n + l] * v[j * n + l];
            w[i * n + j] = s;
        }
}

static dmf_deep_nsp_report run(const dmf_network *net, const char *name, const dmf_deep_nsp_options *o)
{
    dmf_deep_nsp_report r;
    memset(&r, 0, sizeof r);
    if (!net) return r;
    CHECK_OK(dmf_deep_nsp(net, o, &r));
    printf("%-34s columns %4zu kernel %3zu: gamma %-10.6g (median %.4g, worst %.4g) %zu/%zu at best, %zu converged, "
           "%.3f s; %s%s%s\n",
           name, r.columns, r.kernel_dim, r.gamma, r.gamma_median, r.gamma_worst, r.at_best, r.starts, r.converged,
           r.time_s, r.method ? r.method : "-", r.why_not ? ": " : "", r.why_not ? r.why_not : "");
    return r;
}

static void test_injective(void)
{
    dmf_network *path = haar_path(64, 4);
    dmf_deep_nsp_report r = run(path, "Haar path K=4 (injective)", NULL);
    CHECK(r.computed && r.holds && !r.estimated && r.gamma == 1 && r.kernel_dim == 0 && r.rank == 16,
          "injective: gamma %g, kernel %zu, rank %zu", r.gamma, r.kernel_dim, r.rank);
    CHECK(r.method && strstr(r.method, "Ker A = {0}"), "method %s", r.method);
    double sigma_min;
    size_t rank;
    CHECK_OK(dmf_lift_sigma_min(path, 2000000, &sigma_min, &rank));
    CHECK(fabs(r.sigma_min - sigma_min) <= 1e-13 * sigma_min, "sigma_min %.17g, dmf_lift_sigma_min's %.17g",
          r.sigma_min, sigma_min);
    /* Past the columns limit of the search the singular values still
     * decide Ker A = {0}. */
    dmf_deep_nsp_options o = {.max_columns = 8};
    r = run(path, "same, columns limit 8", &o);
    CHECK(r.computed && r.holds && r.gamma == 1 && r.kernel_dim == 0, "columns limit: gamma %g (%s)", r.gamma,
          r.why_not ? r.why_not : "");
    dmf_network_free(path);
}

/* The estimate against the closed form: within 1e-9 relative.  For two
 * layers the distance to rank 2 is exact (Eckart-Young) and the searches
 * converge to rounding on these kernels; 1e-9 leaves room for the
 * computed kernel's basis, accurate to ~ab eps cond(A). */
static void check_gamma(const dmf_deep_nsp_report *r, const char *name, double want)
{
    CHECK(r->computed && r->holds && r->estimated, "%s: computed %d holds %d (%s)", name, r->computed, r->holds,
          r->why_not ? r->why_not : "");
    CHECK(fabs(r->gamma - want) <= 1e-9 * want, "%s: gamma %.17g, expected %.17g", name, r->gamma, want);
    CHECK(r->gamma <= want * (1 + 1e-12), "%s: the estimate %.17g exceeds the smallest valid gamma %.17g", name,
          r->gamma, want);
    CHECK(r->at_best >= 1 && 2 * r->converged >= r->starts, "%s: %zu at best, %zu of %zu converged", name,
          r->at_best, r->converged, r->starts);
}

static void test_known_gamma(void)
{
    const double v3a[3] = {1, -2, 0.5}, v3b[3] = {0.3, 1, 2};
    double u3[9], w3[9], m[16], w[4 * 16];
    householder(3, v3a, u3);
    householder(3, v3b, w3);
    /* One matrix of singular values (3, 2, 1): gamma = sqrt(9 + 4 + 1) / 1. */
    memset(m, 0, sizeof m);
    m[0] = 3, m[4] = 2, m[8] = 1;
    rotate(3, u3, m, w3, w);
    dmf_network *net = kernel_network(3, 3, w, 1, 8);
    dmf_deep_nsp_report r = run(net, "Ker A = span U diag(3,2,1) V^T", NULL);
    check_gamma(&r, "diag(3,2,1)", sqrt(14.0));
    CHECK(r.kernel_dim == 1 && r.rank == 8, "kernel %zu rank %zu", r.kernel_dim, r.rank);
    dmf_network_free(net);

    /* Quaternions on R^4, rotated: every unit kernel element has four
     * singular values 1/2, so dist = sqrt(2)/2 and gamma = sqrt 2. */
    const double v4a[4] = {1, 2, -1, 0.5}, v4b[4] = {-0.7, 0.2, 1, 1.5};
    double u4[16], w4[16];
    householder(4, v4a, u4);
    householder(4, v4b, w4);
    static const double quat[4][16] = {
        {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1},
        {0, -1, 0, 0, 1, 0, 0, 0, 0, 0, 0, -1, 0, 0, 1, 0},
        {0, 0, -1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, -1, 0, 0},
        {0, 0, 0, -1, 0, 0, -1, 0, 0, 1, 0, 0, 1, 0, 0, 0},
    };
    for (size_t i = 0; i < 4; i++) rotate(4, u4, quat[i], w4, w + 16 * i);
    net = kernel_network(4, 4, w, 4, 12);
    r = run(net, "Ker A = U {1,i,j,k} V^T (dim 4)", NULL);
    check_gamma(&r, "quaternions", sqrt(2.0));
    CHECK(r.kernel_dim == 4, "kernel %zu", r.kernel_dim);
    dmf_network_free(net);

    /* Two rotated diagonals: the element U diag(x a + y b) V^T has singular
     * values |x a_l + y b_l|; dist^2 / norm^2 = the two smallest squares over
     * all, least over (x, y) = the least over pairs of the least root of
     * det(P - lambda N), P and N 2 x 2. */
    const double a[4] = {1, 2, 3, 4}, b[4] = {3, -1, 1, 2};
    for (size_t i = 0; i < 2; i++) {
        memset(m, 0, sizeof m);
        for (size_t l = 0; l < 4; l++) m[l * 5] = i ? b[l] : a[l];
        rotate(4, u4, m, w4, w + 16 * i);
    }
    double nn[3] = {0, 0, 0}, least = INFINITY;
    for (size_t l = 0; l < 4; l++) nn[0] += a[l] * a[l], nn[1] += a[l] * b[l], nn[2] += b[l] * b[l];
    for (size_t i = 0; i < 4; i++)
        for (size_t j = i + 1; j < 4; j++) {
            double p0 = a[i] * a[i] + a[j] * a[j], p1 = a[i] * b[i] + a[j] * b[j], p2 = b[i] * b[i] + b[j] * b[j];
            /* det([p0 - l n0, p1 - l n1; p1 - l n1, p2 - l n2]) = qa l^2 + qb l + qc */
            double qa = nn[0] * nn[2] - nn[1] * nn[1], qb = -(p0 * nn[2] + p2 * nn[0] - 2 * p1 * nn[1]),
                   qc = p0 * p2 - p1 * p1;
            double lo = (-qb - sqrt(qb * qb - 4 * qa * qc)) / (2 * qa);
            least = fmin(least, lo);
        }
    net = kernel_network(4, 4, w, 2, 14);
    r = run(net, "Ker A = U {diag a, diag b} V^T", NULL);
    check_gamma(&r, "two diagonals", 1 / sqrt(least));
    dmf_network_free(net);
}

/* Three layers: the ALS distances.  Ker A = span of the diagonal tensor
 * sum_i e_i (x) e_i (x) e_i of R^3 (x) R^3 (x) R^3, rotated in each mode: a
 * tensor of rank <= 2 has a mode-1 unfolding of rank <= 2, so the distance
 * of the unit tensor to Sigma_2 is at least the third singular value of its
 * unfolding, 1/sqrt 3, and dropping a term attains it: gamma = sqrt 3.
 * ALS gives distances from above, so the estimate can only fall short of
 * it: required within 1e-8.  A generic tensor of rank 2 in Ker A: fails. */
static void test_three_layers(void)
{
    const double va[3] = {1, -2, 0.5}, vb[3] = {0.3, 1, 2}, vc[3] = {-1, 0.4, 1.2};
    double u[3][9], w[27];
    householder(3, va, u[0]), householder(3, vb, u[1]), householder(3, vc, u[2]);
    for (size_t i = 0; i < 27; i++) {
        size_t x = i / 9, y = i / 3 % 3, z = i % 3;
        w[i] = 0;
        for (size_t l = 0; l < 3; l++) w[i] += u[0][x * 3 + l] * u[1][y * 3 + l] * u[2][z * 3 + l];
    }
    dmf_network *net = kernel_network3(3, 3, 3, w, 1, 26);
    dmf_deep_nsp_report r = run(net, "K=3, Ker A = rotated diagonal", NULL);
    CHECK(r.computed && r.holds && r.estimated && r.kernel_dim == 1 && r.columns == 27, "K=3 diagonal: %s",
          r.why_not ? r.why_not : "");
    CHECK(r.gamma <= sqrt(3.0) * (1 + 1e-12) && r.gamma >= sqrt(3.0) * (1 - 1e-8),
          "K=3 diagonal: gamma %.17g, expected sqrt 3", r.gamma);
    CHECK(r.method && strstr(r.method, "ALS"), "method %s", r.method);
    dmf_network_free(net);
    /* u_1 (x) v_1 (x) w_1 + u_2 (x) v_2 (x) w_2 with generic vectors */
    const double f[2][9] = {{1, 0.5, -0.3, 0.2, 1.4, 0.7, -0.8, 0.1, 1.1}, {0.4, -1.2, 0.9, 1.3, 0.2, -0.6, 0.5, 0.9, 0.3}};
    for (size_t i = 0; i < 27; i++) {
        size_t x = i / 9, y = i / 3 % 3, z = i % 3;
        w[i] = f[0][x] * f[0][3 + y] * f[0][6 + z] + f[1][x] * f[1][3 + y] * f[1][6 + z];
    }
    net = kernel_network3(3, 3, 3, w, 1, 26);
    r = run(net, "K=3, Ker A = a rank-2 tensor", NULL);
    CHECK(r.computed && !r.holds && isinf(r.gamma) && r.distance <= r.tolerance, "K=3 rank 2: holds %d distance %g",
          r.holds, r.distance);
    dmf_network_free(net);
}

static void test_fails(void)
{
    const char *twice[2] = {"[1, 2, 3]", "[1, 2, 3]"};
    dmf_network *net = path_network(16, 2, twice);
    dmf_deep_nsp_report r = run(net, "conv {1,2,3} x {1,2,3}", NULL);
    CHECK(r.computed && !r.holds && isinf(r.gamma) && r.distance == 0, "{1,2,3}^2: holds %d gamma %g", r.holds,
          r.gamma);
    CHECK(r.method && strstr(r.method, "parallel"), "{1,2,3}^2: %s", r.method);
    CHECK(r.why_not && strstr(r.why_not, "fails"), "{1,2,3}^2: %s", r.why_not);
    dmf_network_free(net);

    net = haar_tree_8();
    r = run(net, "Haar tree of depth 2", NULL);
    CHECK(r.computed && !r.holds && isinf(r.gamma), "tree: holds %d gamma %g", r.holds, r.gamma);
    CHECK(r.method && strstr(r.method, "zero column"), "tree: %s", r.method);
    dmf_network_free(net);

    /* A generic two-dimensional kernel in 3 x 3 matrices meets det = 0. */
    const double w[18] = {1, 0.3, -2, 0.7, 1.1, 0.4, -0.5, 2, 1.3, 0.2, -1, 0.9, 1.7, -0.3, 0.8, 0.6, 1.2, -1.4};
    net = kernel_network(3, 3, w, 2, 7);
    r = run(net, "generic 2-d kernel in 3 x 3", NULL);
    CHECK(r.computed && r.estimated && !r.holds && isinf(r.gamma) && r.distance <= r.tolerance,
          "2-d kernel: holds %d, distance %g (tolerance %g)", r.holds, r.distance, r.tolerance);
    CHECK(r.why_not && strstr(r.why_not, "fails"), "2-d kernel: %s", r.why_not);
    dmf_network_free(net);
}

static void test_too_large(void)
{
    /* 12 x 12 with 10 functionals: a kernel of dimension 134 > 128. */
    double w[144];
    unsigned long long s = 7;
    for (size_t i = 0; i < 144; i++) w[i] = draw(&s);
    dmf_network *net = kernel_network(12, 12, w, 1, 10);
    dmf_deep_nsp_report r = run(net, "12 x 12, 10 functionals", NULL);
    CHECK(!r.computed && isnan(r.gamma) && r.kernel_dim == 134 && r.why_not && strstr(r.why_not, "dim Ker A"),
          "kernel 134: computed %d kernel %zu: %s", r.computed, r.kernel_dim, r.why_not ? r.why_not : "");
    dmf_deep_nsp_options o = {.max_entries = 1000};
    r = run(net, "same, operator limit 1000", &o);
    CHECK(!r.computed && r.why_not && strstr(r.why_not, "too large"), "limit: %s", r.why_not ? r.why_not : "");
    o = (dmf_deep_nsp_options){.max_columns = 100};
    r = run(net, "same, columns limit 100", &o);
    CHECK(!r.computed && r.why_not && strstr(r.why_not, "columns"), "columns: %s", r.why_not ? r.why_not : "");
    dmf_network_free(net);
}

/* Thm 7.2 where Ker A has dimension 1: gamma estimated, flagged, and the
 * bound holds over the measured d_2 at small noise. */
static void test_thm_7_2(void)
{
    dmf_network *net = k2_threshold_network();
    if (!net) return;
    dmf_deep_nsp_report r = run(net, "K=2 at Thm 6.4's threshold", NULL);
    CHECK(r.computed && r.holds && r.estimated && r.kernel_dim == 1 && isfinite(r.gamma) && r.gamma >= 1,
          "threshold network: gamma %g kernel %zu", r.gamma, r.kernel_dim);
    double truth[2 * 3], noise_norm;
    dmf_matrix *x = NULL;
    CHECK_OK(dmf_network_synth(net, 3, 1e-6, truth, &x, &noise_norm));
    dmf_recover_options opt = {.restarts = 5, .max_iterations = 300, .seed = 3};
    dmf_recover_report rep;
    if (x && dmf_recover(net, x, &opt, &rep) == DMF_OK) {
        double d, delta;
        CHECK_OK(dmf_param_distance(net, rep.h, truth, 2, &d, &delta));
        dmf_stability_bound b, c;
        CHECK_OK(dmf_stability_thm_7_2_nsp(net, truth, rep.h, noise_norm, rep.residual, 2, 2000000, &r, &b));
        CHECK_OK(dmf_stability_thm_7_2(net, truth, rep.h, noise_norm, rep.residual, 2, 2000000, &c));
        printf("threshold network, noise 1e-6: d_2 %.3g, Thm 7.2 bound %.3g (gamma %.6g estimated)\n", d, b.bound,
               b.gamma);
        CHECK(b.holds && b.gamma_estimated && b.gamma == r.gamma && d <= b.bound, "Thm 7.2: holds %d (%s), d %g bound %g",
              b.holds, b.why_not ? b.why_not : "", d, b.bound);
        CHECK(c.holds == b.holds && c.bound == b.bound && c.gamma_estimated, "Thm 7.2 without the report: %g vs %g",
              c.bound, b.bound);
        dmf_recover_report_free(&rep);
    } else {
        CHECK(0, "recover failed: %s", dmf_last_error());
    }
    dmf_matrix_free(x);
    /* Injective: gamma exact, not flagged. */
    dmf_network *path = haar_path(64, 3);
    double h[6] = {1, 0.5, 1, -0.5, 1, 0.25};
    dmf_stability_bound b;
    CHECK_OK(dmf_stability_thm_7_2(path, h, h, 1e-9, 1e-9, 2, 2000000, &b));
    CHECK(b.holds && b.gamma == 1 && !b.gamma_estimated, "injective: gamma %g estimated %d", b.gamma, b.gamma_estimated);
    dmf_network_free(path);
    dmf_network_free(net);
}

int main(void)
{
    test_injective();
    test_known_gamma();
    test_three_layers();
    test_fails();
    test_too_large();
    test_thm_7_2();
    return check_report("test_deep_nsp");
}
