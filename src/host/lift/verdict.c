/* Identifiability verdicts from the rank of the lifted operator
 * (Malgouyres & Landsberg, Theorems 6.4, 6.5 and 8.4), each with the
 * theorem, the equivalence it identifies parameters up to, and the
 * conditions under which it speaks.
 *
 * Theorem 6.4 compares rk A with dim Sigma_2, the set of tensors of rank at
 * most 2 in R^{S_1} (x) ... (x) R^{S_K}.  Its dimension (Landsberg, Tensors,
 * ch. 5; Standard Fact 3 of the paper when every S_k = S) is that of the
 * secant variety of the Segre product, which for two or more factors of
 * size >= 2 is never defective except for matrices:
 *   K' = 0:  1                               (scalars)
 *   K' = 1:  S_a                             (every vector has rank 1)
 *   K' = 2:  min(2(S_a + S_b - 2), S_a S_b)  (matrices of rank <= 2; 4(S-1))
 *   K' > 2:  min(2 sum (S_k - 1) + 2, prod S_k)         (2K(S-1)+2)
 * where K' counts the layers with S_k >= 2: a layer with one parameter
 * only scales the product and adds no dimension. */
#include <string.h>

#include "network.h"

static size_t add_sat(size_t a, size_t b) { return b > SIZE_MAX - a ? SIZE_MAX : a + b; }

static void dim_sigma2(const dmf_network *net, size_t *dim, const char **rule)
{
    size_t wide = 0, sum = 0, prod = 1, first = 1;
    for (size_t k = 0; k < net->num_layers; k++) {
        size_t s = net->layers[k].params;
        if (s < 2) continue;
        if (!wide) first = s;
        wide++;
        sum = add_sat(sum, s - 1);
        if (!dmf_mul_size(prod, s, &prod)) prod = SIZE_MAX;
    }
    size_t twice = sum > SIZE_MAX / 2 - 1 ? SIZE_MAX : 2 * sum;
    if (wide == 0) {
        *dim = 1;
        *rule = "1 (every layer has one parameter: X is a scalar multiple of a fixed matrix)";
    } else if (wide == 1) {
        *dim = first;
        *rule = "S_k of the only layer with S_k >= 2 (K' = 1: every vector has rank 1)";
    } else if (wide == 2) {
        *dim = twice < prod ? twice : prod;
        *rule = "min(2(S_a + S_b - 2), S_a S_b) over the two layers with S_k >= 2 "
                "(K' = 2: matrices of rank <= 2, 4(S-1) when S_a = S_b = S)";
    } else {
        size_t d = add_sat(twice, 2);
        *dim = d < prod ? d : prod;
        *rule = "min(2 sum_k (S_k - 1) + 2, prod_k S_k) over the layers with S_k >= 2 "
                "(K' > 2: 2K(S-1)+2 when every S_k = S)";
    }
}

int dmf_lift_verdict_get(const dmf_network *net, size_t rank, dmf_lift_verdict *out)
{
    memset(out, 0, sizeof *out);
    DMF_TRY(dmf_network_valid_monomials(net, &out->valid_monomials, &out->upper_bound_rule));
    dim_sigma2(net, &out->dim_sigma2, &out->dim_sigma2_rule);
    out->twice_s = 2 * net->num_params;
    out->identifiable_thm_6_4 = rank >= out->dim_sigma2;
    out->not_identifiable_thm_6_5 = out->twice_s > rank;
    out->verdict = out->identifiable_thm_6_4 ? "identifiable for almost every A (Thm 6.4)"
                   : out->not_identifiable_thm_6_5 ? "not identifiable (Thm 6.5)"
                                                   : "inconclusive (2S <= rk A < dim Sigma_2)";
    out->notion = "up to scale rearrangement (paper 001, (3.2)): h ~ g when h_k = lambda_k g_k for every "
                  "layer k with prod_k lambda_k = 1; per-layer scaling only, no permutation of entries";
    out->conditions_thm_6_4 = "model h in R^{S_1} x ... x R^{S_K} (no constraint); sufficient for almost every "
                              "A with rk A >= dim Sigma_2: this A is structured, not generic, so it may be an "
                              "exception (for convolutional networks Thm 8.4 decides exactly)";
    out->conditions_thm_6_5 = "necessary: P(M) holds the linear space {g_1 (x) h_2 (x) ... (x) h_K} of "
                              "dimension S = max_k S_k, and two of its points differ by a kernel element "
                              "of A when 2S > rk A";
    if (net->conv) {
        out->has_thm_8_4 = 1;
        out->notion_thm_8_4 = "up to per-path scaling (paper 001, Section 8): on every leaf-root path the "
                              "edge kernels may be rescaled by factors whose product is 1";
        out->conditions_thm_8_4 = "exact for the topology: not sufficiently scattered => not identifiable; "
                                  "sufficiently scattered and every edge kernel of the truth with "
                                  "||h_e||_inf >= eps and delta + eta <= sqrt(N) eps^K / 2 => "
                                  "delta_p <= 7 (K S')^(1/p) eps^(1-K) (delta + eta) / sqrt(N), "
                                  "S' the largest kernel support";
    }
    return DMF_OK;
}
