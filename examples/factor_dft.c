/* Factors the 1024 x 1024 bit-reversed DFT into 10 butterfly factors, applies
 * the chain to a random vector and compares with the dense product.
 *
 *   cc factor_dft.c $(pkg-config --cflags --libs dmf) -o factor_dft
 */
#include <complex.h>
#include <stdio.h>

#include <dmf.h>

#define TRY(call)                                                                       \
    do {                                                                                \
        int status_ = (call);                                                           \
        if (status_ != DMF_OK) {                                                        \
            fprintf(stderr, "%s: %s: %s\n", #call, dmf_status_string(status_), dmf_last_error()); \
            return 1;                                                                   \
        }                                                                               \
    } while (0)

int main(void)
{
    const size_t n = 1024;
    dmf_matrix_spec spec = {.name = "dft-bitrev", .rows = n, .cols = n, .dtype = DMF_C128};
    dmf_matrix *a, *x, *y;
    TRY(dmf_matrix_builtin(&spec, &a));

    size_t radix_m[64], radix_n[64], num_factors;
    TRY(dmf_default_radices(n, n, radix_m, radix_n, 64, &num_factors));
    dmf_tree *tree;
    TRY(dmf_tree_create(&tree, "balanced", num_factors));
    dmf_context *ctx;
    TRY(dmf_context_create(&ctx, "cpu"));
    dmf_chain *chain;
    dmf_butterfly_report report;
    TRY(dmf_butterfly_factor(ctx, a, radix_m, radix_n, num_factors, tree, NULL, &chain, &report));
    double rel_error;
    TRY(dmf_chain_rel_error(chain, a, &rel_error));

    /* y = chain x against the dense A x. */
    dmf_matrix *ax, *diff;
    TRY(dmf_matrix_create(&x, DMF_C128, n, 1));
    TRY(dmf_matrix_create(&ax, DMF_C128, n, 1));
    TRY(dmf_matrix_create(&diff, DMF_C128, n, 1));
    double complex *xv = dmf_matrix_data(x), *axv = dmf_matrix_data(ax), *dv = dmf_matrix_data(diff);
    for (size_t i = 0; i < n; i++) xv[i] = (double)(i % 7) - 3 + I * ((double)(i % 5) - 2);
    TRY(dmf_chain_apply(chain, x, &y));
    const double complex *av = dmf_matrix_const_data(a), *yv = dmf_matrix_const_data(y);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) axv[i] += av[i * n + j] * xv[j];
        dv[i] = axv[i] - yv[i];
    }
    double apply_error = dmf_matrix_norm_fro(diff) / dmf_matrix_norm_fro(ax);
    printf("dmf %s: %zu factors, %zu nonzeros (dense %zu), rel_error %.3g, apply error %.3g, %.4f s\n",
           DMF_VERSION_STRING, dmf_chain_num_factors(chain), dmf_chain_nnz(chain), n * n, rel_error,
           apply_error, report.time_s);
    int ok = rel_error < 1e-12 && apply_error < 1e-12;
    dmf_matrix_free(diff);
    dmf_matrix_free(ax);
    dmf_matrix_free(y);
    dmf_matrix_free(x);
    dmf_chain_free(chain);
    dmf_context_free(ctx);
    dmf_tree_free(tree);
    dmf_matrix_free(a);
    return ok ? 0 : 1;
}
