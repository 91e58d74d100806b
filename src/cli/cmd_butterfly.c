/* dmf butterfly factor|apply|densify. */
#include <math.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "butterfly_perm.h"
#include "cli.h"
#include "cli_args.h"
#include "cli_out.h"
#include "io/json_number.h"
#include "mpi_factor.h"

static const char help_group[] =
    "usage: dmf butterfly factor|apply|densify [options]   (--help on each)\n";

static void print_nodes(const dmf_butterfly_report *rep)
{
    fputs(", \"nodes\": [", stdout);
    for (size_t i = 0; i < rep->num_nodes; i++) {
        const dmf_node_report *n = &rep->nodes[i];
        printf("%s{\"range\": [%zu, %zu], \"split\": %zu, \"blocks\": %zu, \"block\": [%zu, %zu], "
               "\"rel_error\": " JSON_NUM ", \"iterative\": %zu, \"dense_svd\": %zu, \"failed\": %zu, "
               "\"time_s\": " JSON_NUM "}",
               i ? ", " : "", n->p, n->q, n->split, n->num_blocks, n->block_rows, n->block_cols,
               n->rel_error, n->blocks_iterative, n->blocks_dense_svd, n->blocks_failed, n->time_s);
    }
    fputc(']', stdout);
}

/* What chain.json keeps beside the factors: how they were made and how
 * well they fit (a JSON object for dmf_chain_write_meta; NULL when out of
 * memory). */
static char *chain_meta_json(const cli_matrix_source *src, const dmf_matrix *a, const dmf_tree *tree,
                             const dmf_butterfly_options *options, double rel_error)
{
    cJSON *meta = cJSON_CreateObject(), *source = cJSON_CreateObject();
    cJSON_AddStringToObject(meta, "dmf_version", DMF_VERSION_STRING);
    cJSON_AddStringToObject(meta, "tree", dmf_tree_name(tree));
    cJSON *nested = cJSON_Parse(dmf_tree_describe(tree));
    cJSON_AddItemToObject(meta, "tree_nested", nested ? nested : cJSON_CreateString(dmf_tree_describe(tree)));
    cJSON_AddNumberToObject(meta, "rank", (double)options->rank);
    cJSON_AddBoolToObject(meta, "orthonormalize", options->orthonormalize);
    if (isfinite(rel_error)) cJSON_AddNumberToObject(meta, "rel_error", rel_error);
    else cJSON_AddNullToObject(meta, "rel_error");
    if (src->input) {
        cJSON_AddStringToObject(source, "input", src->input);
    } else {
        cJSON_AddStringToObject(source, "matrix", src->matrix);
        cJSON *size = cJSON_AddArrayToObject(source, "size");
        cJSON_AddItemToArray(size, cJSON_CreateNumber((double)dmf_matrix_rows(a)));
        cJSON_AddItemToArray(size, cJSON_CreateNumber((double)dmf_matrix_cols(a)));
        cJSON_AddNumberToObject(source, "noise", src->noise);
        /* JSON numbers are doubles: larger seeds as decimal text. */
        char seed[24];
        snprintf(seed, sizeof seed, "%llu", src->seed);
        if (src->seed <= (1ULL << 53)) cJSON_AddNumberToObject(source, "seed", (double)src->seed);
        else cJSON_AddStringToObject(source, "seed", seed);
    }
    cJSON_AddStringToObject(source, "dtype", dmf_dtype_name(dmf_matrix_dtype(a)));
    cJSON_AddItemToObject(meta, "source", source);
    dmf_json_exact_numbers(meta);
    char *text = cJSON_PrintUnformatted(meta);
    cJSON_Delete(meta);
    return text;
}

static int factor(int argc, char **argv)
{
    const char *cmd = "butterfly factor";
    cli_args args;
    int parsed = cli_parse_args(cmd, argc, argv, &args);
    if (parsed != EXIT_OK) return parsed == CLI_HELP_SHOWN ? EXIT_OK : parsed;
    const char *tree_spec = cli_get(&args, "tree"), *backend = cli_get(&args, "backend"), *out = cli_get(&args, "out");
    const char *perm_rows = cli_get(&args, "perm-rows"), *perm_cols = cli_get(&args, "perm-cols");
    cli_matrix_source src;
    cli_matrix_source_from(&args, &src);
    int use_mpi = cli_given(&args, "mpi"), mpi_rank = 0, mpi_size = 1, no_error = cli_given(&args, "no-error");
    size_t refine_iters = cli_get_size(&args, "refine", 0);
    dmf_butterfly_options options;
    dmf_butterfly_options_default(&options);
    options.rank = cli_get_size(&args, "rank", 1);
    options.orthonormalize = cli_given(&args, "orthonormalize");
    /* "none" is what no option says. */
    if (!cli_given(&args, "perm-rows")) perm_rows = NULL;
    if (!cli_given(&args, "perm-cols")) perm_cols = NULL;
    if (cli_perm_check(cmd, perm_rows, perm_cols) != EXIT_OK) return EXIT_USAGE;
    if (use_mpi) {
        int mpi_status = dmf_mpi_init(&mpi_rank, &mpi_size);
        if (mpi_status != DMF_OK) {
            dmf_mpi_finalize();
            return cli_fail(cmd, mpi_status);
        }
    }
    /* The plain factorization scans the input only when its root's sums
     * say it must (a NaN, an infinity, or entries far from 1); the
     * permutations and the MPI ranks read it before. */
    src.finite_checked_later = !use_mpi && !perm_rows && !perm_cols;
    dmf_matrix *a = NULL;
    /* An unwritable --out is said before the factorization, not after. */
    int code = out && mpi_rank == 0 ? cli_check_out_chain(cmd, out) : EXIT_OK;
    if (code == EXIT_OK) code = cli_load_matrix(cmd, &src, &a);
    if (use_mpi) code = dmf_mpi_max(code); /* a rank that cannot load stops them all */
    if (code != EXIT_OK) {
        dmf_matrix_free(a);
        dmf_mpi_finalize();
        return code;
    }
    size_t L = (size_t)src.num_m, *rm = src.radix_m, *rn = src.radix_n;
    int status = DMF_OK;
    if (L == 0) status = dmf_default_radices(dmf_matrix_rows(a), dmf_matrix_cols(a), rm, rn, 64, &L);
    dmf_context *ctx = NULL;
    dmf_tree *tree = NULL;
    dmf_chain *chain = NULL;
    dmf_butterfly_report rep;
    cli_perm_result perm = {0};
    if (status == DMF_OK) status = dmf_context_create(&ctx, backend);
    if (status == DMF_OK && mpi_rank == 0) cli_note_fallback(cmd, ctx);
    if (status == DMF_OK) status = dmf_tree_create(&tree, tree_spec, L);
    double rank_times[DMF_MPI_MAX_RANKS];
    if (use_mpi) {
        status = dmf_mpi_agree(status);
        if (status == DMF_OK)
            status = dmf_mpi_butterfly_factor(ctx, a, rm, rn, L, tree, &options, &chain, &rep,
                                              rank_times);
    } else if (status == DMF_OK) {
        status = cli_perm_factor(ctx, a, rm, rn, L, tree, &options, perm_rows, perm_cols, &chain, &rep, &perm);
    }
    int numeric_failure = status == DMF_ERR_NUMERIC && chain;
    if (status == DMF_ERR_NUMERIC && !chain && src.finite_checked_later &&
        cli_input_nonfinite(cmd, &src, a) != EXIT_OK) {
        code = EXIT_BAD_INPUT; /* said as the loader would have */
    } else if (mpi_rank != 0) {
        /* Rank 0 reports for the job; the others only agree on the exit code. */
        code = status == DMF_OK ? EXIT_OK : cli_exit_code(status);
    } else if (status != DMF_OK && !numeric_failure) {
        code = cli_fail(cmd, status);
    } else {
        if (numeric_failure) code = cli_fail(cmd, status);
        double rel_error = 0, t0 = rep.time_s, e0 = cli_now();
        dmf_build_info build;
        dmf_get_build_info(&build);
        /* The error pass is timed apart from the factorization; --no-error
         * leaves it out (rel_error null, rel_error_how "skipped"). */
        int err_status = DMF_OK;
        if (no_error) rel_error = NAN;
        else err_status = dmf_chain_rel_error(chain, a, &rel_error);
        double error_time = cli_now() - e0, error_before = rel_error, refine_time = 0;
        dmf_refine_report refined = {0};
        if (err_status == DMF_OK && refine_iters && !numeric_failure) {
            double r0 = cli_now();
            err_status = dmf_chain_refine(ctx, a, chain, refine_iters, rel_error, &refined);
            if (err_status == DMF_OK && refined.kept) err_status = dmf_chain_rel_error(chain, a, &rel_error);
            refine_time = cli_now() - r0;
        }
        if (err_status == DMF_OK && out) {
            /* Out of memory for the description: the factors still go out. */
            char *meta = chain_meta_json(&src, a, tree, &options, rel_error);
            err_status = dmf_chain_write_meta(chain, out, meta);
            cJSON_free(meta);
        }
        if (err_status != DMF_OK) {
            code = cli_fail(cmd, err_status);
        } else {
            json_line j;
            json_begin(&j);
            json_str(&j, "command", "butterfly factor");
            json_str(&j, "input", src.input ? src.input : src.matrix);
            size_t dims[2] = {dmf_matrix_rows(a), dmf_matrix_cols(a)};
            json_sizes(&j, "size", dims, 2);
            json_str(&j, "dtype", dmf_dtype_name(dmf_matrix_dtype(a)));
            json_str(&j, "backend", dmf_context_backend_name(ctx));
            json_str(&j, "tree", dmf_tree_name(tree));
            json_raw(&j, "tree_nested", dmf_tree_describe(tree));
            json_sizes(&j, "radix_m", rm, L);
            json_sizes(&j, "radix_n", rn, L);
            json_int(&j, "rank", (long long)options.rank);
            json_bool(&j, "orthonormalize", options.orthonormalize);
            if (refine_iters && !numeric_failure) {
                json_num(&j, "rel_error_before_refine", error_before);
                json_int(&j, "refine_iterations", (long long)refined.iterations);
                json_num(&j, "refine_rel_error", refined.palm_error); /* PALM's end, kept or not */
                json_bool(&j, "refine_kept", refined.kept);
                json_num(&j, "refine_time_s", refine_time);
            }
            json_num(&j, "rel_error", rel_error);
            /* Exact: ||A - F_0...F_{L-1}||_F from the root's two halves,
             * block by block, against A itself (docs/butterfly.md). */
            json_str(&j, "rel_error_how", no_error ? "skipped" : "exact");
            cli_perm_json(&j, &perm, rel_error, dmf_matrix_dtype(a));
            if (src.noise > 0) {
                json_num(&j, "noise", src.noise);
                /* ||A+E|| rel_error / ||E||, with ||E|| = noise ||A|| and
                 * ||A+E||^2 ~ (1 + noise^2) ||A||^2 for independent noise. */
                json_num(&j, "error_to_noise", rel_error * sqrt(1 + src.noise * src.noise) / src.noise);
            }
            json_num(&j, "time_s", t0);
            json_num(&j, "transfer_s", rep.transfer_s);
            json_num(&j, "device_s", rep.device_s);
            json_num(&j, "error_time_s", error_time);
            json_int(&j, "nnz", (long long)dmf_chain_nnz(chain));
            json_int(&j, "threads", build.openmp_threads);
            size_t iterative = 0, dense = 0, failed = 0;
            for (size_t i = 0; i < rep.num_nodes; i++) {
                iterative += rep.nodes[i].blocks_iterative;
                dense += rep.nodes[i].blocks_dense_svd;
                failed += rep.nodes[i].blocks_failed;
            }
            json_int(&j, "blocks_iterative", (long long)iterative);
            json_int(&j, "blocks_dense_svd", (long long)dense);
            json_int(&j, "blocks_failed", (long long)failed);
            if (out) json_str(&j, "out", out);
            if (use_mpi) {
                json_int(&j, "mpi_ranks", mpi_size);
                json_key(&j, "rank_time_s");
                for (int r = 0; r < mpi_size; r++) printf("%s" JSON_NUM, r ? ", " : "[", rank_times[r]);
                putchar(']');
            }
            print_nodes(&rep);
            json_end(&j);
        }
    }
    dmf_chain_free(chain);
    dmf_tree_free(tree);
    dmf_context_free(ctx);
    dmf_matrix_free(a);
    if (use_mpi) {
        fflush(stdout);
        code = dmf_mpi_max(code); /* e.g. rank 0 could not write --out */
        dmf_mpi_finalize();
    }
    return code;
}

/* Y = chain X for a real chain and complex X: the chain applied to the
 * real parts and to the imaginary parts, read and written in place through
 * strides (a complex entry is two reals). */
static int apply_real_to_complex(dmf_context *ctx, const dmf_chain *chain, const dmf_matrix *x, dmf_matrix **y)
{
    const size_t nvec = dmf_matrix_cols(x);
    int status = dmf_matrix_create(y, dmf_matrix_dtype(x), dmf_chain_rows(chain), nvec);
    const size_t real = dmf_dtype_size(dmf_chain_dtype(chain));
    const char *in = dmf_matrix_const_data(x);
    char *out = status == DMF_OK ? dmf_matrix_data(*y) : NULL;
    for (size_t part = 0; part < 2 && status == DMF_OK; part++)
        status = dmf_chain_apply_op(ctx, chain, DMF_OP_N, nvec, in + part * real, 2 * nvec, 2, out + part * real,
                                    2 * nvec, 2);
    if (status != DMF_OK) {
        dmf_matrix_free(*y);
        *y = NULL;
    }
    return status;
}

static int apply_or_densify(int argc, char **argv, int apply)
{
    const char *cmd = apply ? "butterfly apply" : "butterfly densify";
    cli_args args;
    int code = cli_parse_args(cmd, argc, argv, &args);
    if (code != EXIT_OK) return code == CLI_HELP_SHOWN ? EXIT_OK : code;
    const char *factors = cli_get(&args, "factors"), *out = cli_get(&args, "out");
    const char *input = apply ? cli_get(&args, "input") : NULL, *backend = apply ? cli_get(&args, "backend") : NULL;
    if ((code = cli_check_out_matrix(cmd, out)) != EXIT_OK) return code;
    dmf_chain *chain = NULL;
    dmf_matrix *x = NULL, *x_typed = NULL, *y = NULL;
    dmf_context *ctx = NULL;
    int status = apply ? dmf_context_create(&ctx, backend ? backend : "auto") : DMF_OK;
    if (status == DMF_OK) cli_note_fallback(cmd, ctx);
    if (status == DMF_OK) status = dmf_chain_read(factors, &chain);
    if (status == DMF_OK && apply) status = dmf_matrix_read(input, &x);
    /* A real chain on complex vectors works on their real and imaginary
     * parts, and the result is complex. */
    const dmf_dtype chain_dt = status == DMF_OK ? dmf_chain_dtype(chain) : DMF_F64;
    const int split = status == DMF_OK && apply && !dmf_dtype_is_complex(chain_dt) &&
                      dmf_dtype_is_complex(dmf_matrix_dtype(x));
    if (status == DMF_OK && apply)
        status = cli_convert_matrix(cmd, input, x, split ? (chain_dt == DMF_F32 ? DMF_C64 : DMF_C128) : chain_dt,
                                    &x_typed);
    if (status == DMF_OK && split) status = apply_real_to_complex(ctx, chain, x_typed, &y);
    else if (status == DMF_OK)
        status = apply ? dmf_chain_apply_ctx(ctx, chain, x_typed, &y) : dmf_chain_densify(chain, &y);
    if (status == DMF_OK) status = cli_write_matrix(out, y);
    if (status != DMF_OK) {
        code = cli_fail(cmd, status);
    } else {
        json_line j;
        json_begin(&j);
        json_str(&j, "command", cmd);
        json_str(&j, "factors", factors);
        size_t dims[2] = {dmf_matrix_rows(y), dmf_matrix_cols(y)};
        json_sizes(&j, "size", dims, 2);
        json_str(&j, "dtype", dmf_dtype_name(dmf_matrix_dtype(y))); /* complex for complex X on a real chain */
        if (ctx) json_str(&j, "backend", dmf_context_backend_name(ctx));
        json_str(&j, "out", out);
        json_end(&j);
    }
    dmf_matrix_free(x);
    dmf_matrix_free(x_typed);
    dmf_matrix_free(y);
    dmf_chain_free(chain);
    dmf_context_free(ctx);
    return code;
}

int cmd_butterfly(int argc, char **argv)
{
    if (argc < 2) {
        fputs(help_group, stderr);
        return EXIT_USAGE;
    }
    const char *sub = argv[1];
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h")) {
        fputs(help_group, stdout);
        return EXIT_OK;
    }
    if (!strcmp(sub, "factor")) return factor(argc - 1, argv + 1);
    if (!strcmp(sub, "apply")) return apply_or_densify(argc - 1, argv + 1, 1);
    if (!strcmp(sub, "densify")) return apply_or_densify(argc - 1, argv + 1, 0);
    static const char *const subs[] = {"factor", "apply", "densify", NULL};
    char hint[256];
    fprintf(stderr, "dmf butterfly: unknown subcommand '%s'%s\n%s", sub,
            cli_did_you_mean(hint, sizeof hint, sub, strlen(sub), subs, ""), help_group);
    return EXIT_USAGE;
}
