/* dmf palm and dmf hierarchical: PALM4MSA and hierarchical PALM with the
 * parameters of pyfaust's ParamsPalm4MSA / ParamsHierarchical as JSON.
 * One driver for both: they differ only in the schema of the parameters
 * and the library call. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_args.h"
#include "cli_out.h"
#include "error.h"
#include "palm/palm_spec.h"

static const char *stop_name(dmf_stop_reason r)
{
    switch (r) {
    case DMF_STOP_TOL: return "tol";
    case DMF_STOP_ERREPS: return "erreps";
    case DMF_STOP_MAXITER: return "maxiter";
    default: return "num_its";
    }
}

static int write_factors(const char *dir, dmf_matrix **f, size_t J, double lambda)
{
    /* lambda goes into (a copy of) factor 0 so the files multiply to the
     * approximation, as a pyfaust Faust does. */
    dmf_matrix *first = NULL;
    int status = dmf_matrix_convert(f[0], dmf_matrix_dtype(f[0]), &first);
    if (status != DMF_OK) return status;
    size_t reals = dmf_matrix_rows(first) * dmf_matrix_cols(first) * (dmf_dtype_is_complex(dmf_matrix_dtype(first)) ? 2 : 1);
    void *d = dmf_matrix_data(first);
    if (dmf_matrix_dtype(first) == DMF_F32 || dmf_matrix_dtype(first) == DMF_C64)
        for (size_t e = 0; e < reals; e++) ((float *)d)[e] *= (float)lambda;
    else
        for (size_t e = 0; e < reals; e++) ((double *)d)[e] *= lambda;
    status = cli_make_dir(dir);
    char path[4096];
    for (size_t j = 0; status == DMF_OK && j < J; j++) {
        snprintf(path, sizeof path, "%s/factor_%02zu.npy", dir, j);
        status = dmf_npy_write(path, j ? f[j] : first);
    }
    dmf_matrix_free(first);
    return status;
}

static size_t nonzeros(const dmf_matrix *m)
{
    size_t n = dmf_matrix_rows(m) * dmf_matrix_cols(m), reals = n * (dmf_dtype_is_complex(dmf_matrix_dtype(m)) ? 2 : 1);
    size_t count = 0;
    const void *d = dmf_matrix_const_data(m);
    int single = dmf_matrix_dtype(m) == DMF_F32 || dmf_matrix_dtype(m) == DMF_C64;
    int step = dmf_dtype_is_complex(dmf_matrix_dtype(m)) ? 2 : 1;
    for (size_t e = 0; e < reals; e += (size_t)step) {
        int nz = 0;
        for (int t = 0; t < step; t++)
            nz |= single ? ((const float *)d)[e + (size_t)t] != 0 : ((const double *)d)[e + (size_t)t] != 0;
        count += (size_t)nz;
    }
    return count;
}

static int palm_main(const char *cmd, int hierarchical, int argc, char **argv)
{
    cli_args args;
    int parsed = cli_parse_args(cmd, argc, argv, &args);
    if (parsed != EXIT_OK) return parsed == CLI_HELP_SHOWN ? EXIT_OK : parsed;
    const char *params = cli_get(&args, "params"), *backend = cli_get(&args, "backend"), *out = cli_get(&args, "out");
    const char *preset = hierarchical ? cli_get(&args, "preset") : NULL;
    cli_matrix_source src;
    cli_matrix_source_from(&args, &src);
    int code = out ? cli_check_out_dir(cmd, out) : EXIT_OK;
    if (code != EXIT_OK) return code;
    dmf_matrix *a = NULL;
    code = cli_load_matrix(cmd, &src, &a);
    if (code != EXIT_OK) return code;
    dmf_palm_spec *spec = NULL;
    int status = preset ? (dmf_matrix_rows(a) == dmf_matrix_cols(a)
                               ? dmf_palm_spec_hadamard(dmf_matrix_rows(a), &spec)
                               : dmf_fail(DMF_ERR_SHAPE, "--preset hadamard needs a square matrix, not %zu x %zu",
                                          dmf_matrix_rows(a), dmf_matrix_cols(a)))
                        : dmf_palm_spec_read(params, hierarchical, dmf_matrix_dtype(a), &spec);
    dmf_context *ctx = NULL;
    if (status == DMF_OK) status = dmf_context_create(&ctx, backend);
    size_t J = spec ? spec->num_factors : 0;
    dmf_matrix **factors = calloc(J ? J : 1, sizeof *factors);
    if (status == DMF_OK && !factors) status = dmf_fail(DMF_ERR_NOMEM, "cannot allocate %zu factors", J);
    dmf_palm_report rep = {0};
    if (status == DMF_OK) {
        if (hierarchical)
            status = dmf_hierarchical(ctx, a, spec->cons, spec->res, J, &spec->hier, factors, &rep);
        else
            status = dmf_palm4msa(ctx, a, spec->cons, J, (const dmf_matrix *const *)spec->init, &spec->palm,
                                  factors, &rep);
    }
    if (status == DMF_OK && out) status = write_factors(out, factors, J, rep.lambda);
    if (status != DMF_OK) {
        code = cli_fail(cmd, status);
    } else {
        json_line j;
        json_begin(&j);
        json_str(&j, "command", cmd);
        size_t dims[2] = {dmf_matrix_rows(a), dmf_matrix_cols(a)};
        json_sizes(&j, "size", dims, 2);
        json_str(&j, "dtype", dmf_dtype_name(dmf_matrix_dtype(a)));
        json_str(&j, "backend", dmf_context_backend_name(ctx));
        if (preset) json_str(&j, "preset", preset);
        json_int(&j, "num_factors", (long long)J);
        size_t *nnz = malloc(J * sizeof *nnz);
        for (size_t f = 0; nnz && f < J; f++) nnz[f] = nonzeros(factors[f]);
        if (nnz) json_sizes(&j, "nnz", nnz, J);
        free(nnz);
        json_num(&j, "rel_error", rep.rel_error);
        json_num(&j, "lambda", rep.lambda);
        json_int(&j, "iterations", (long long)rep.iterations);
        json_str(&j, "stopped_by", stop_name(rep.stopped_by));
        json_num(&j, "time_s", rep.time_s);
        if (out) json_str(&j, "out", out);
        json_end(&j);
    }
    for (size_t f = 0; factors && f < J; f++) dmf_matrix_free(factors[f]);
    free(factors);
    dmf_palm_spec_free(spec);
    dmf_context_free(ctx);
    dmf_matrix_free(a);
    return code;
}

int cmd_palm(int argc, char **argv) { return palm_main("palm", 0, argc, argv); }

int cmd_hierarchical(int argc, char **argv) { return palm_main("hierarchical", 1, argc, argv); }
