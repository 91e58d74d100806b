/* dmf butterfly factor|apply|densify. */
#include <getopt.h>
#include <math.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "butterfly_perm.h"
#include "butterfly_refine.h"
#include "cli.h"
#include "cli_out.h"
#include "mpi_factor.h"

static const char help_factor[] =
    "usage: dmf butterfly factor (--input A.npy|A.mtx | --matrix NAME --size N[xM])\n"
    "           [--radix-m 3,2,4 --radix-n 2,5,3] [--tree l2r|r2l|balanced|TREE.json]\n"
    "           [--rank R] [--orthonormalize] [--dtype f32|f64|c64|c128]\n"
    "           [--noise LEVEL] [--seed S] [--backend auto|cpu|cuda]\n"
    "           [--perm-rows P] [--perm-cols P] [--no-error]\n"
    "           (--out DIR | --no-out) [--mpi]\n"
    "\n"
    "Factors A ~ F_0 F_1 ... F_{L-1} with Kronecker-sparse supports\n"
    "F_k = I_a (x) 1_{b x c} (x) I_d, a = n_0..n_{k-1}, b = m_k, c = n_k,\n"
    "d = m_{k+1}..m_{L-1} (rank R multiplies b by R for k > 0 and c by R for\n"
    "k < L-1).  Power-of-two square sizes default to radix 2; other sizes need\n"
    "--radix-m and --radix-n (same count, products = rows and cols).\n"
    "\n"
    "--input FILE A from .npy or .mtx; or --matrix NAME --size N[xM], a built-in\n"
    "             (see 'dmf matrix --help'), with --noise LEVEL (||E||_F =\n"
    "             LEVEL ||A||_F) and --seed S (default 0) for built-ins only\n"
    "--dtype D    f32, f64, c64 or c128 (default: the file's; c128 for dft and\n"
    "             dft-bitrev, f64 for the other built-ins)\n"
    "--radix-m, --radix-n  comma-separated radices, same count, each >= 1\n"
    "--tree       l2r, r2l, balanced (default), a JSON nested list such as\n"
    "             '[[0,1],[2,3]]', or a file holding one\n"
    "--rank R     keep the best rank-R approximation of every block (default 1)\n"
    "--orthonormalize  before each split, orthonormalize the factors left of the\n"
    "             node (columns) and the ranges right of it (rows), moving the\n"
    "             scale into the node (Le et al.)\n"
    "--perm-rows P, --perm-cols P  factor A[p][:, q] instead of A, for a matrix\n"
    "             that is a chain only up to permutations (the natural-order DFT\n"
    "             is one with --perm-cols bitrev).  P is none (default), bitrev\n"
    "             (the digit reversal in the radices), FILE.npy (indices: row i\n"
    "             of the chain is row p[i] of A), a comma list of these (each pair\n"
    "             is factored, the least error kept), or auto: both permutations\n"
    "             are found from the rank-one blocks every split of a chain has\n"
    "             (rank 1; docs/permutations.md).  The chain keeps them, so apply,\n"
    "             densify and the error are of A itself; the JSON line says which\n"
    "             were kept, with auto the search's scores and a perm_verdict:\n"
    "             exact, approximate (structure found, error left by noise) or\n"
    "             not_a_permuted_chain\n"
    "--out DIR    writes DIR/factor_00.mtx ... (coordinate, support entries),\n"
    "             DIR/factor_00_blocks.npy ... (shape a x d x b x c) and\n"
    "             DIR/chain.json (sizes, checksums, tree, error and source);\n"
    "             checked before the factorization starts.  DIR appears whole\n"
    "             or not at all; an earlier chain in DIR is replaced, a folder\n"
    "             holding other files is refused\n"
    "--no-error   leave out the error pass (one more read of A and the two halves\n"
    "             of the root): rel_error is null and rel_error_how \"skipped\";\n"
    "             by default the error is exact (rel_error_how \"exact\")\n"
    "--no-out     factor and report without writing the factors (one of --out\n"
    "             and --no-out is required)\n"
    "--refine ITER  then ITER iterations of PALM (docs/palm.md) with every factor\n"
    "             held to its support, from the hierarchical result; PALM's\n"
    "             factors (the scale in F_0) replace the chain only when they\n"
    "             lower the error.  The JSON adds rel_error_before_refine,\n"
    "             refine_iterations, refine_rel_error (PALM's), refine_kept,\n"
    "             refine_time_s.  PALM works on\n"
    "             dense factors: meant for sizes up to a few hundred.  Not with\n"
    "             --mpi\n"
    "--mpi        share the work among the ranks of an MPI job (mpirun -n P or\n"
    "             srun -n P): the nodes near the root are split by all ranks\n"
    "             together, the subtrees below by groups of ranks; the factors\n"
    "             are those of one process, bit for bit.  Rank 0 writes --out\n"
    "             and prints the JSON line (plus mpi_ranks and rank_time_s);\n"
    "             every rank loads the input itself.  Not with --orthonormalize\n"
    "             (it couples the whole tree): that combination is refused.\n"
    "             Exit 4 when dmf was built without MPI.\n"
    "--backend B  auto (default: DMF_BACKEND when set, else CUDA when a device\n"
    "             answers, else the CPU), cpu or cuda\n"
    "\n"
    "Prints one JSON line: rel_error = ||A - F_0...F_{L-1}||_F / ||A||_F, time_s\n"
    "(the whole factorization), transfer_s (of which host-device copies),\n"
    "device_s (of which the tree's splits: CUDA events on the device; the host's\n"
    "clock on the CPU, input checks excluded), error_time_s,\n"
    "tree, dtype, backend, radices, and per node\n"
    "the block sizes, error and solver counts.  With --noise, error_to_noise is\n"
    "||A_noisy - F||_F / ||E||_F.  Exit 3 when a block's SVD did not converge\n"
    "(the JSON line is printed first).\n";

static const char help_apply[] =
    "usage: dmf butterfly apply --factors DIR --input X.npy|X.mtx --out Y.npy\n"
    "           [--backend auto|cpu|cuda]\n"
    "\n"
    "Y = F_0 F_1 ... F_{L-1} X for the factors written by 'butterfly factor',\n"
    "X of (cols) x (number of vectors), in O(nnz) per vector, on the chosen\n"
    "backend (auto: CUDA when a device answers, else the CPU).\n";

static const char help_densify[] =
    "usage: dmf butterfly densify --factors DIR --out A.npy|A.mtx\n"
    "\n"
    "Writes the dense product F_0 F_1 ... F_{L-1} of written factors.\n";

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
    char *text = cJSON_PrintUnformatted(meta);
    cJSON_Delete(meta);
    return text;
}

static int factor(int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_MATRIX_OPTIONS,
        {"tree", required_argument, 0, 'T'},  {"rank", required_argument, 0, 'r'},
        {"orthonormalize", no_argument, 0, 'O'}, {"backend", required_argument, 0, 'b'},
        {"out", required_argument, 0, 'o'},   {"help", no_argument, 0, 'h'},
        {"mpi", no_argument, 0, 'P'},         {"no-out", no_argument, 0, 'X'},
        {"perm-rows", required_argument, 0, 'R'}, {"perm-cols", required_argument, 0, 'C'},
        {"refine", required_argument, 0, 'F'}, {"no-error", no_argument, 0, 'E'},
        {0, 0, 0, 0}};
    const char *cmd = "butterfly factor", *tree_spec = "balanced", *backend = "auto", *out = NULL;
    const char *perm_rows = NULL, *perm_cols = NULL;
    cli_matrix_source src = {0};
    int c, use_mpi = 0, mpi_rank = 0, mpi_size = 1, no_out = 0;
    size_t refine_iters = 0;
    int no_error = 0;
    dmf_butterfly_options options;
    dmf_butterfly_options_default(&options);
    optind = 0;
    opterr = 0;
    while ((c = cli_getopt(cmd, argc, argv, opts)) != -1) {
        int taken = cli_matrix_option(cmd, c, optarg, &src);
        if (taken == EXIT_USAGE) return EXIT_USAGE;
        if (taken) continue;
        switch (c) {
        case 'T': tree_spec = optarg; break;
        case 'r':
            if (cli_parse_size(optarg, &options.rank) || options.rank < 1)
                return cli_usage_error(cmd, "bad --rank '%s' (an integer >= 1)", optarg);
            break;
        case 'O': options.orthonormalize = 1; break;
        case 'b': backend = optarg; break;
        case 'o': out = optarg; break;
        case 'P': use_mpi = 1; break;
        case 'X': no_out = 1; break;
        case 'R': perm_rows = optarg; break;
        case 'C': perm_cols = optarg; break;
        case 'F':
            if (cli_parse_size(optarg, &refine_iters) || refine_iters == 0)
                return cli_usage_error(cmd, "--refine needs a number of iterations >= 1, not '%s'", optarg);
            break;
        case 'E': no_error = 1; break;
        case 'h': fputs(help_factor, stdout); return EXIT_OK;
        default: return EXIT_USAGE; /* cli_getopt has said why */
        }
    }
    if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!out && !no_out)
        return cli_usage_error(cmd, "--out DIR is required (where the factors go); give --no-out to factor "
                                    "without writing them");
    if (out && no_out) return cli_usage_error(cmd, "--out and --no-out exclude each other");
    if (no_error && refine_iters)
        return cli_usage_error(cmd, "--refine reports the error before and after: it needs the error pass that "
                                    "--no-error leaves out");
    dmf_backend_kind kind;
    if (dmf_backend_parse(backend, &kind) != DMF_OK) return cli_usage_error(cmd, "%s", dmf_last_error());
    if (use_mpi && options.orthonormalize)
        return cli_usage_error(cmd, "--orthonormalize couples the whole tree and cannot be "
                                    "combined with --mpi; factor in one process");
    if (use_mpi && refine_iters)
        return cli_usage_error(cmd, "--refine runs in one process; it is not combined with --mpi");
    if (cli_perm_check(cmd, perm_rows, perm_cols) != EXIT_OK) return EXIT_USAGE;
    if (use_mpi && (perm_rows || perm_cols))
        return cli_usage_error(cmd, "--perm-rows and --perm-cols are not combined with --mpi; factor in one "
                                    "process");
    if (use_mpi) {
        int mpi_status = dmf_mpi_init(&mpi_rank, &mpi_size);
        if (mpi_status != DMF_OK) {
            dmf_mpi_finalize();
            return cli_fail(cmd, mpi_status);
        }
    }
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
    if (mpi_rank != 0) {
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
        cli_refine_result refined = {0};
        if (err_status == DMF_OK && refine_iters && !numeric_failure) {
            double r0 = cli_now();
            err_status = cli_butterfly_refine(ctx, a, chain, refine_iters, rel_error, &refined);
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

/* Options shared by apply and densify. */
static int parse_io(const char *cmd, const char *help, int argc, char **argv, const char **factors,
                    const char **input, const char **out, const char **backend)
{
    static const struct option opts[] = {{"factors", required_argument, 0, 'f'},
                                         {"input", required_argument, 0, 'i'},
                                         {"out", required_argument, 0, 'o'},
                                         {"backend", required_argument, 0, 'b'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    optind = 0;
    opterr = 0;
    while ((c = cli_getopt(cmd, argc, argv, opts)) != -1) {
        switch (c) {
        case 'f': *factors = optarg; break;
        case 'i': *input = optarg; break;
        case 'o': *out = optarg; break;
        case 'b': *backend = optarg; break;
        case 'h': fputs(help, stdout); return -1;
        default: return EXIT_USAGE; /* cli_getopt has said why */
        }
    }
    if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!*factors || !*out) return cli_usage_error(cmd, "--factors and --out are required");
    return EXIT_OK;
}

static int apply_or_densify(int argc, char **argv, int apply)
{
    const char *cmd = apply ? "butterfly apply" : "butterfly densify";
    const char *factors = NULL, *input = NULL, *out = NULL, *backend = NULL;
    int code = parse_io(cmd, apply ? help_apply : help_densify, argc, argv, &factors, &input, &out, &backend);
    if (code == -1) return EXIT_OK;
    if (code != EXIT_OK) return code;
    if (apply && !input) return cli_usage_error(cmd, "--input is required");
    if (!apply && input) return cli_usage_error(cmd, "densify takes no --input");
    if (!apply && backend) return cli_usage_error(cmd, "densify takes no --backend");
    if ((code = cli_check_out_matrix(cmd, out)) != EXIT_OK) return code;
    dmf_backend_kind kind;
    if (backend && dmf_backend_parse(backend, &kind) != DMF_OK) return cli_usage_error(cmd, "%s", dmf_last_error());
    dmf_chain *chain = NULL;
    dmf_matrix *x = NULL, *x_typed = NULL, *y = NULL;
    dmf_context *ctx = NULL;
    int status = apply ? dmf_context_create(&ctx, backend ? backend : "auto") : DMF_OK;
    if (status == DMF_OK) cli_note_fallback(cmd, ctx);
    if (status == DMF_OK) status = dmf_chain_read(factors, &chain);
    if (status == DMF_OK && apply) status = dmf_matrix_read(input, &x);
    if (status == DMF_OK && apply) status = cli_convert_matrix(cmd, input, x, dmf_chain_dtype(chain), &x_typed);
    if (status == DMF_OK) status = apply ? dmf_chain_apply_ctx(ctx, chain, x_typed, &y) : dmf_chain_densify(chain, &y);
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
        json_str(&j, "dtype", dmf_dtype_name(dmf_chain_dtype(chain)));
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
