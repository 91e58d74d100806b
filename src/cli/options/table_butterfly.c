/* The table of dmf butterfly factor|apply|densify, fsmf, palm,
 * hierarchical and matrix. */
#include <stdio.h>
#include <string.h>

#include "dmf.h"
#include "tables.h"

const char *const cli_dtypes[] = {"f32", "f64", "c64", "c128", NULL};
const char *const cli_real_dtypes[] = {"f32", "f64", NULL};
const char *const cli_backends[] = {"auto", "cpu", "cuda", NULL};

static int items(const char *list)
{
    int n = list ? 1 : 0;
    for (const char *p = list; p && *p; p++) n += *p == ',';
    return n;
}

static int excluded(const cli_args *a, const char *one, const char *other, char *why, size_t cap)
{
    char l1[64], l2[64];
    if (!cli_given(a, one) || !cli_given(a, other)) return 0;
    snprintf(why, cap, "%s and %s exclude each other", cli_option_label(a, one, l1, sizeof l1),
             cli_option_label(a, other, l2, sizeof l2));
    return 1;
}

int cli_matrix_source_rules(const cli_args *a, char *why, size_t cap)
{
    char li[64], lm[64], ls[64], lr[64], ln[64], lz[64];
    const char *input = cli_get_if(a, "input"), *matrix = cli_get(a, "matrix");
    const char *rm = cli_get(a, "radix-m"), *rn = cli_get(a, "radix-n");
    cli_option_label(a, "input", li, sizeof li);
    cli_option_label(a, "matrix", lm, sizeof lm);
    if (!input == !matrix)
        snprintf(why, cap, input ? "%s and %s exclude each other" : "give %s (a .npy or .mtx file) or %s (a built-in name)",
                 li, lm);
    else if (matrix && !cli_get(a, "size"))
        snprintf(why, cap, "%s needs %s (N or NxM)", lm, cli_option_label(a, "size", ls, sizeof ls));
    else if (items(rm) != items(rn))
        snprintf(why, cap, "%s has %d radices but %s has %d: give both, with the same count",
                 cli_option_label(a, "radix-m", lr, sizeof lr), items(rm),
                 cli_option_label(a, "radix-n", ln, sizeof ln), items(rn));
    else if (input && cli_get_double(a, "noise", 0) > 0)
        snprintf(why, cap, "%s applies to %s only", cli_option_label(a, "noise", lz, sizeof lz), lm);
    else return 0;
    return 1;
}

static int factor_rules(const cli_args *a, char *why, size_t cap)
{
    char l1[64], l2[64];
    if (cli_matrix_source_rules(a, why, cap) || excluded(a, "out", "no-out", why, cap)) return 1;
    if (!a->job && !cli_given(a, "out") && !cli_given(a, "no-out")) {
        snprintf(why, cap, "--out DIR is required (where the factors go); give --no-out to factor without "
                           "writing them");
        return 1;
    }
    if (cli_given(a, "no-error") && cli_given(a, "refine")) {
        snprintf(why, cap, "%s reports the error before and after: it needs the error pass that %s leaves out",
                 cli_option_label(a, "refine", l1, sizeof l1), cli_option_label(a, "no-error", l2, sizeof l2));
        return 1;
    }
    if (cli_given(a, "mpi")) {
        const char *clash = cli_given(a, "orthonormalize") ? "--orthonormalize couples the whole tree and cannot be "
                                                             "combined with --mpi; factor in one process"
                            : cli_given(a, "refine") ? "--refine runs in one process; it is not combined with --mpi"
                            : cli_given(a, "perm-rows") || cli_given(a, "perm-cols")
                                ? "--perm-rows and --perm-cols are not combined with --mpi; factor in one process"
                                : NULL;
        if (clash) {
            snprintf(why, cap, "%s", clash);
            return 1;
        }
    }
    /* A nested-list tree has as many leaves as the chain has factors: the
     * radices given, or radix 2 of a built-in's size where that is the
     * default. */
    const char *tree = cli_get(a, "tree"), *rm = cli_get(a, "radix-m"), *size = cli_get(a, "size");
    size_t leaves = tree ? cli_tree_leaves(tree) : 0, factors = 0, rows, cols;
    size_t radix_m[CLI_MAX_FACTORS], radix_n[CLI_MAX_FACTORS];
    if (!leaves) return 0;
    if (rm) factors = (size_t)items(rm);
    else if (size && cli_get(a, "matrix") && !cli_parse_dims(size, &rows, &cols) &&
             dmf_default_radices(rows, cols, radix_m, radix_n, CLI_MAX_FACTORS, &factors) != DMF_OK)
        factors = 0;
    if (factors && factors != leaves) {
        snprintf(why, cap, "%s has %zu leaves but the chain has %zu factors (%s%s)",
                 cli_option_label(a, "tree", l1, sizeof l1), leaves, factors,
                 rm ? "the radices of " : "radix 2 for this ", cli_option_label(a, rm ? "radix-m" : "size", l2, sizeof l2));
        return 1;
    }
    return 0;
}

static const cli_option factor_options[] = {
    MATRIX_SOURCE_OPTIONS,
    VALUE("tree", V_TREE, "TREE", "balanced",
          "the order of the splits: l2r, r2l, balanced, a JSON nested list over the factors 0..L-1 such as "
          "'[[0,1],[2,3]]', or a file holding one"),
    VALUE("rank", V_COUNT, "R", "1", "keep the best rank-R approximation of every block"),
    FLAG("orthonormalize",
         "before each split, orthonormalize the factors left of the node (columns) and the ranges right of it "
         "(rows), moving the scale into the node (Le et al.)"),
    VALUE("perm-rows", V_PERM, "P", "none",
          "factor A[p][:, q] instead of A, for a matrix that is a chain only up to permutations (the "
          "natural-order DFT is one with --perm-cols bitrev).  P is none, bitrev (the digit reversal in the "
          "radices), FILE.npy (indices: row i of the chain is row p[i] of A), a comma list of these (each pair "
          "is factored, the least error kept), or auto: both permutations are found from the rank-one blocks "
          "every split of a chain has (rank 1; docs/permutations.md).  The chain keeps them, so apply, densify "
          "and the error are of A itself; the JSON line says which were kept, with auto the search's scores and "
          "a perm_verdict: exact, approximate (structure found, error left by noise) or not_a_permuted_chain"),
    VALUE("perm-cols", V_PERM, "P", "none", "the columns' permutation q, as --perm-rows"),
    VALUE("out", V_OUTPUT, "DIR", NULL,
          "writes DIR/factor_00.mtx ... (coordinate, support entries), DIR/factor_00_blocks.npy ... (shape a x d "
          "x b x c) and DIR/chain.json (sizes, checksums, tree, error and source); checked before the "
          "factorization starts.  DIR appears whole or not at all; an earlier chain in DIR is replaced, a folder "
          "holding other files is refused"),
    FLAG("no-out", "factor and report without writing the factors (one of --out and --no-out is required)"),
    FLAG("no-error",
         "leave out the error pass (one more read of A and the two halves of the root): rel_error is null and "
         "rel_error_how \"skipped\"; by default the error is exact (rel_error_how \"exact\")"),
    VALUE("refine", V_COUNT, "ITER", NULL,
          "then ITER iterations of PALM (docs/palm.md) with every factor held to its support, from the "
          "hierarchical result; PALM's factors (the scale in F_0) replace the chain only when they lower the "
          "error.  The JSON adds rel_error_before_refine, refine_iterations, refine_rel_error (PALM's), "
          "refine_kept, refine_time_s.  PALM works on dense factors: meant for sizes up to a few hundred"),
    {"mpi", ARG_FLAG, V_NONE, NULL, OPT_NO_JOBS, NULL, NULL,
     "share the work among the ranks of an MPI job (mpirun -n P or srun -n P): the nodes near the root are split "
     "by all ranks together, the subtrees below by groups of ranks; the factors are those of one process, bit for "
     "bit.  Rank 0 writes --out and prints the JSON line (plus mpi_ranks and rank_time_s); every rank loads the "
     "input itself.  Not with --orthonormalize, --refine or permutations.  Exit 4 when dmf was built without MPI"},
    BACKEND_OPTION("where it runs; auto: DMF_BACKEND when set, else CUDA when a device answers, else the CPU"),
    END_OPTIONS};

const cli_command cli_butterfly_factor = {
    "butterfly factor",
    "hierarchical butterfly / Kronecker-sparse factorization",
    "Factors A ~ F_0 F_1 ... F_{L-1} with Kronecker-sparse supports\n"
    "F_k = I_a (x) 1_{b x c} (x) I_d, a = n_0..n_{k-1}, b = m_k, c = n_k,\n"
    "d = m_{k+1}..m_{L-1} (rank R multiplies b by R for k > 0 and c by R for\n"
    "k < L-1).  Power-of-two square sizes default to radix 2; other sizes need\n"
    "--radix-m and --radix-n (same count, products = rows and cols).\n",
    factor_options,
    "Prints one JSON line: rel_error = ||A - F_0...F_{L-1}||_F / ||A||_F, time_s\n"
    "(the whole factorization), transfer_s (of which host-device copies),\n"
    "device_s (of which the tree's splits: CUDA events on the device; the host's\n"
    "clock on the CPU, input checks excluded), error_time_s, tree, dtype,\n"
    "backend, radices, and per node the block sizes, error and solver counts.\n"
    "With --noise, error_to_noise is ||A_noisy - F||_F / ||E||_F.  Exit 3 when a\n"
    "block's SVD did not converge (the JSON line is printed first).\n",
    1,
    factor_rules};

static const cli_option apply_options[] = {
    {"factors", ARG_VALUE, V_TEXT, NULL, OPT_REQUIRED, "DIR", NULL, "the folder 'butterfly factor' wrote"},
    {"input", ARG_VALUE, V_TEXT, NULL, OPT_REQUIRED, "X", NULL,
     "the vectors: a .npy or .mtx matrix of (cols) x (number of vectors)"},
    {"out", ARG_VALUE, V_OUTPUT, NULL, OPT_REQUIRED, "Y.npy", NULL, "where Y goes (.npy or .mtx)"},
    BACKEND_OPTION("where it runs (auto: CUDA when a device answers, else the CPU)"),
    END_OPTIONS};

const cli_command cli_butterfly_apply = {
    "butterfly apply",
    "multiply written factors with a block of vectors",
    "Y = F_0 F_1 ... F_{L-1} X for the factors written by 'butterfly factor',\n"
    "in O(nnz) per vector, on the chosen backend; with the chain's permutations\n"
    "Y = A X for the A that was factored.  X is converted to the chain's dtype;\n"
    "a real chain on complex X works on its real and imaginary parts and Y is\n"
    "complex.\n",
    apply_options,
    "Prints one JSON line: factors, size, dtype, backend, out.\n",
    0,
    NULL};

static const cli_option densify_options[] = {
    {"factors", ARG_VALUE, V_TEXT, NULL, OPT_REQUIRED, "DIR", NULL, "the folder 'butterfly factor' wrote"},
    {"out", ARG_VALUE, V_OUTPUT, NULL, OPT_REQUIRED, "A.npy", NULL, "where the product goes (.npy or .mtx)"},
    END_OPTIONS};

const cli_command cli_butterfly_densify = {
    "butterfly densify",
    "dense product of written factors",
    "Writes the dense product F_0 F_1 ... F_{L-1} of written factors (with the\n"
    "chain's permutations: A itself).\n",
    densify_options,
    "Prints one JSON line: factors, size, dtype, out.\n",
    0,
    NULL};

static int fsmf_rules(const cli_args *a, char *why, size_t cap)
{
    if (cli_matrix_source_rules(a, why, cap)) return 1;
    int auto_x = !strcmp(cli_get(a, "support-x"), "auto"), auto_y = !strcmp(cli_get(a, "support-y"), "auto");
    char lx[64], ly[64], lm[64];
    if (auto_x != auto_y) {
        snprintf(why, cap, "%s auto and %s auto go together (the two supports are found as a pair)",
                 cli_option_label(a, "support-x", lx, sizeof lx), cli_option_label(a, "support-y", ly, sizeof ly));
        return 1;
    }
    if (auto_x && cli_get(a, "radix-m") && items(cli_get(a, "radix-m")) != 2) {
        snprintf(why, cap, "with auto supports, %s m0,m1 and --radix-n n0,n1 give the two-factor class: two "
                           "radices each", cli_option_label(a, "radix-m", lm, sizeof lm));
        return 1;
    }
    return 0;
}

static const cli_option fsmf_options[] = {
    MATRIX_SOURCE_OPTIONS,
    {"support-x", ARG_VALUE, V_TEXT, NULL, OPT_REQUIRED, "SX", NULL,
     "the pattern of X (rows x K), a 0/1 .npy or .mtx matrix (nonzero = allowed); or auto, with --support-y "
     "auto: both found from A for a two-factor class, a two-factor chain with its rows and columns in an unknown "
     "order: --radix-m m0,m1 --radix-n n0,n1 (X has n0 nonzeros per row and m0 per column, Y n1 and m1), by "
     "default both classes with factors of 2 and half the size nonzeros per row and column (the DFT's, the DCT's "
     "and the DST's); the JSON adds supports, support_radix_m/_n, support_score, support_time_s and --out "
     "writes support_x.npy, support_y.npy (docs/fsmf.md)"},
    {"support-y", ARG_VALUE, V_TEXT, NULL, OPT_REQUIRED, "SY", NULL, "the pattern of Y (K x cols), or auto"},
    VALUE("refine", V_COUNT, "ITER", NULL,
          "then ITER iterations of PALM on the same supports from the greedy/SVD result (docs/palm.md); the JSON "
          "gives the error before and after, and says when the error keeps falling while the factors' norms grow "
          "(an infimum not attained)"),
    VALUE("out", V_OUTPUT, "DIR", NULL, "writes DIR/X.npy and DIR/Y.npy (refined: lambda in X)"),
    BACKEND_OPTION("accepted for uniformity: the class SVDs run on the CPU"),
    END_OPTIONS};

const cli_command cli_fsmf = {
    "fsmf",
    "two-factor fixed-support factorization A ~ X Y",
    "A ~ X Y with supp(X) in SX (rows x K) and supp(Y) in SY (K x cols).  Inner\n"
    "indices are grouped by their rank-one support supp(X[:,k]) x supp(Y[k,:]).\n"
    "When the groups are pairwise disjoint or identical, the truncated SVD per\n"
    "group is optimal (\"optimal\": true); otherwise the greedy masked rank-one\n"
    "algorithm runs on the residual and the JSON names two overlapping inner\n"
    "indices.  The JSON also says whether the supports are identifiable (every\n"
    "exact factorization on them has the same rank-one pieces X[:,k] Y[k,:]) by\n"
    "the rank-one completion of Zheng, Riccietti and Gribonval, naming the\n"
    "pieces it could not complete; on identifiable overlapping supports the\n"
    "completion of A is the answer when its error is below the greedy one\n"
    "(docs/fsmf.md).\n",
    fsmf_options,
    "Prints one JSON line: the classes, disjoint_or_identical, optimal,\n"
    "overlapping_k (when not), the solver, identifiable (true, false or\n"
    "\"unknown\"), identifiability (why), incomplete_k and ambiguous_k (the\n"
    "pieces concerned), rel_error = ||A - X Y||_F / ||A||_F.\n",
    1,
    fsmf_rules};

#define PALM_OUT_BACKEND                                                                                     \
    VALUE("out", V_OUTPUT, "DIR", NULL,                                                                      \
          "writes DIR/factor_00.npy ... (lambda multiplied into factor 0, so their product approximates A)"), \
        CHOICE("backend", cli_backends, "cpu",                                                             \
               "where PALM's products, projections and reductions run (docs/palm.md); the sweeps are the "   \
               "host's on either")

static const cli_option palm_options[] = {
    MATRIX_SOURCE_OPTIONS,
    {"params", ARG_VALUE, V_TEXT, NULL, OPT_REQUIRED, "P.json", NULL,
     "the constraints and stopping rule, in the schema of pyfaust's ParamsPalm4MSA (above)"},
    PALM_OUT_BACKEND,
    END_OPTIONS};

const cli_command cli_palm = {
    "palm",
    "PALM4MSA: A ~ lambda S_0...S_{J-1}, sparsity constraints",
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
    "projection's scale (default true, as pyfaust).  Files are relative to P.json.\n",
    palm_options,
    "Prints one JSON line: rel_error = ||A - lambda S_0...S_{J-1}||_F / ||A||_F,\n"
    "lambda, iterations, stopped_by, nnz per factor, time_s.\n",
    0,
    cli_matrix_source_rules};

static const char *const presets[] = {"hadamard", NULL};

static int hierarchical_rules(const cli_args *a, char *why, size_t cap)
{
    if (cli_matrix_source_rules(a, why, cap) || excluded(a, "params", "preset", why, cap)) return 1;
    if (cli_given(a, "params") || cli_given(a, "preset")) return 0;
    snprintf(why, cap, "give --params P.json or --preset hadamard");
    return 1;
}

static const cli_option hierarchical_options[] = {
    MATRIX_SOURCE_OPTIONS,
    VALUE("params", V_TEXT, "P.json", NULL, "the constraints and stopping rules, in the schema of pyfaust's "
                                            "ParamsHierarchical (above)"),
    CHOICE("preset", presets, NULL,
           "pyfaust's hierarchical(H, 'hadamard'): N = 2^n into n factors, splincol 2 and residuals splincol "
           "N/2^(i+1), 30 iterations each, sweeps right to left"),
    PALM_OUT_BACKEND,
    END_OPTIONS};

const cli_command cli_hierarchical = {
    "hierarchical",
    "hierarchical PALM (pyfaust.fact.hierarchical)",
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
    "Constraints as for 'dmf palm' (see 'dmf palm --help').\n",
    hierarchical_options,
    "Prints one JSON line as 'dmf palm' does (iterations: all PALM sweeps).\n",
    0,
    hierarchical_rules};

static const cli_option matrix_options[] = {
    {"matrix", ARG_VALUE, V_MATRIX, NULL, OPT_REQUIRED, "NAME", NULL,
     "hadamard, dft (unitary), dft-bitrev (columns bit-reversed), dct2, dst2 (orthonormal), random-chain "
     "(product of chain factors with Gaussian nonzeros; radix 2 unless --radix-m/--radix-n), gaussian"},
    {"size", ARG_VALUE, V_DIMS, NULL, OPT_REQUIRED, "N[xM]", NULL, "N (square) or NxM"},
    {"out", ARG_VALUE, V_OUTPUT, NULL, OPT_REQUIRED, "FILE", NULL, "FILE.npy or FILE.mtx, by its extension"},
    CHOICE("dtype", cli_dtypes, NULL, "c128 for dft and dft-bitrev, f64 otherwise (default)"),
    VALUE("noise", V_GE0, "LEVEL", "0", "adds Gaussian noise E with ||E||_F = LEVEL ||A||_F"),
    VALUE("seed", V_SEED, "S", "0", "seed of the random entries and the noise"),
    VALUE("radix-m", V_LIST, "3,2,4", NULL, "row radices of random-chain, same count as --radix-n"),
    VALUE("radix-n", V_LIST, "2,5,3", NULL, "column radices of random-chain"),
    END_OPTIONS};

const cli_command cli_matrix = {"matrix", "write a built-in test matrix to .npy or .mtx", "Writes a built-in test matrix to .npy or .mtx.\n", matrix_options,
                                "Prints one JSON line: matrix, size, dtype, noise, seed, out.\n", 0, cli_matrix_source_rules};
