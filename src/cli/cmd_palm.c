/* dmf palm and dmf hierarchical: PALM4MSA and hierarchical PALM with the
 * parameters of pyfaust's ParamsPalm4MSA / ParamsHierarchical as JSON.
 * One driver for both: they differ only in the schema of the parameters
 * and the library call. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_out.h"
#include "error.h"
#include "palm/palm_spec.h"

static const char palm_help[] =
    "usage: dmf palm (--input A.npy|A.mtx | --matrix NAME --size N[xM]) --params P.json\n"
    "                [--dtype f32|f64|c64|c128] [--noise LEVEL] [--seed S]\n"
    "                [--backend auto|cpu|cuda] [--out DIR]\n"
    "\n"
    "PALM4MSA (Le Magoarou & Gribonval): A ~ lambda S_0 S_1 ... S_{J-1} with each\n"
    "S_j in a constraint set, by projected gradient steps.  P.json maps onto\n"
    "pyfaust's ParamsPalm4MSA:\n"
    "  {\"constraints\": [{\"name\": \"splincol\", \"nrows\": 32, \"ncols\": 32, \"value\": 2},\n"
    "                   ...],\n"
    "   \"stop_crit\": {\"num_its\": 200}  (or {\"tol\": 1e-6, \"relerr\": true,\n"
    "                                    \"maxiter\": 10000, \"erreps\": 0}),\n"
    "   \"init_facts\": [\"S0.npy\", null, ...], \"init_lambda\": 1,\n"
    "   \"is_update_way_R2L\": false, \"constant_step_size\": false, \"step_size\": 0,\n"
    "   \"norm2_max_iter\": 100, \"norm2_threshold\": 1e-6}\n"
    "Constraint names: sp, splin, spcol, splincol (value: k), normcol, normlin\n"
    "(value: the norm), supp, const (value: a .npy/.mtx file or a nested list),\n"
    "blockdiag (value: [[rows, cols], ...]); \"normalized\": false keeps a sparsity\n"
    "projection's scale (default true, as pyfaust).  Files are relative to P.json.\n"
    "\n"
    "--out DIR   writes DIR/factor_00.npy ... (lambda multiplied into factor 0,\n"
    "            so their product approximates A)\n"
    "--backend   accepted for uniformity: PALM runs on the CPU (BLAS)\n"
    "\n"
    "Prints one JSON line: rel_error = ||A - lambda S_0...S_{J-1}||_F / ||A||_F,\n"
    "lambda, iterations, stopped_by, nnz per factor, time_s.\n";

static const char hier_help[] =
    "usage: dmf hierarchical (--input A.npy|A.mtx | --matrix NAME --size N[xM])\n"
    "                (--params P.json | --preset hadamard)\n"
    "                [--dtype f32|f64|c64|c128] [--noise LEVEL] [--seed S]\n"
    "                [--backend auto|cpu|cuda] [--out DIR]\n"
    "\n"
    "Hierarchical PALM (pyfaust.fact.hierarchical): step i splits the residual\n"
    "factor in two by PALM (fact_constraints[i], res_constraints[i]), then\n"
    "refines all factors against A by PALM.  P.json maps onto ParamsHierarchical:\n"
    "  {\"fact_constraints\": [{\"name\": \"splincol\", \"nrows\": 32, \"ncols\": 32,\n"
    "                         \"value\": 2}, ...],\n"
    "   \"res_constraints\": [...],            (as many as fact_constraints)\n"
    "   \"stop_crit1\": {\"num_its\": 30},       (the two-factor splits)\n"
    "   \"stop_crit2\": {\"num_its\": 30},       (the refinements)\n"
    "   \"is_fact_side_left\": false, \"is_update_way_R2L\": false, \"init_lambda\": 1,\n"
    "   \"constant_step_size\": false, \"step_size\": 0}\n"
    "Constraints as for 'dmf palm' (see 'dmf palm --help').\n"
    "--preset hadamard  pyfaust's hierarchical(H, 'hadamard'): N = 2^n into n\n"
    "                   factors, splincol 2 and residuals splincol N/2^(i+1), 30\n"
    "                   iterations each, sweeps right to left\n"
    "--out DIR          writes DIR/factor_00.npy ... (lambda in factor 0)\n"
    "\n"
    "Prints one JSON line as 'dmf palm' does (iterations: all PALM sweeps).\n";

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
    static const struct option opts[] = {
        CLI_MATRIX_OPTIONS,
        {"params", required_argument, 0, 'p'}, {"preset", required_argument, 0, 'P'},
        {"backend", required_argument, 0, 'b'}, {"out", required_argument, 0, 'o'},
        {"help", no_argument, 0, 'h'},          {0, 0, 0, 0}};
    const char *params = NULL, *preset = NULL, *backend = "auto", *out = NULL;
    cli_matrix_source src = {0};
    int c;
    optind = 0;
    opterr = 0;
    while ((c = cli_getopt(cmd, argc, argv, opts)) != -1) {
        int taken = cli_matrix_option(cmd, c, optarg, &src);
        if (taken == EXIT_USAGE) return EXIT_USAGE;
        if (taken) continue;
        switch (c) {
        case 'p': params = optarg; break;
        case 'P': preset = optarg; break;
        case 'b': backend = optarg; break;
        case 'o': out = optarg; break;
        case 'h': fputs(hierarchical ? hier_help : palm_help, stdout); return EXIT_OK;
        default: return EXIT_USAGE; /* cli_getopt has said why */
        }
    }
    if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (preset && !hierarchical) return cli_usage_error(cmd, "--preset applies to dmf hierarchical only");
    if (preset && strcmp(preset, "hadamard"))
        return cli_usage_error(cmd, "unknown --preset '%s' (dmf knows hadamard)", preset);
    if (!!params == !!preset)
        return cli_usage_error(cmd, hierarchical ? "give exactly one of --params FILE or --preset hadamard"
                                                 : "--params FILE is required");
    dmf_backend_kind kind;
    if (dmf_backend_parse(backend, &kind) != DMF_OK) return cli_usage_error(cmd, "%s", dmf_last_error());
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
        json_str(&j, "backend", "cpu");
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
