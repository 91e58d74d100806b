/* dmf._dmf.butterfly_factor and the built-in matrices. */
#include "dmfpy.h"
#include "../../src/host/butterfly/factor_permuted.h"

#include <math.h>

static PyObject *node_dict(const dmf_node_report *n)
{
    PyObject *d = PyDict_New();
    size_t range[2] = {n->p, n->q}, block[2] = {n->block_rows, n->block_cols};
    if (!d) return NULL;
    if (dmfpy_set(d, "range", dmfpy_size_list(range, 2)) < 0 ||
        dmfpy_set(d, "split", PyLong_FromSize_t(n->split)) < 0 ||
        dmfpy_set(d, "blocks", PyLong_FromSize_t(n->num_blocks)) < 0 ||
        dmfpy_set(d, "block", dmfpy_size_list(block, 2)) < 0 ||
        dmfpy_set(d, "rel_error", PyFloat_FromDouble(n->rel_error)) < 0 ||
        dmfpy_set(d, "iterative", PyLong_FromSize_t(n->blocks_iterative)) < 0 ||
        dmfpy_set(d, "dense_svd", PyLong_FromSize_t(n->blocks_dense_svd)) < 0 ||
        dmfpy_set(d, "failed", PyLong_FromSize_t(n->blocks_failed)) < 0 ||
        dmfpy_set(d, "time_s", PyFloat_FromDouble(n->time_s)) < 0) {
        Py_DECREF(d);
        return NULL;
    }
    return d;
}

/* The fields of the command line's JSON line, from the same report. */
static PyObject *report_dict(const dmf_butterfly_report *rep, const dmf_chain *chain, dmf_context *ctx,
                             const dmf_tree *tree, const dmf_butterfly_options *opts, double rel_error,
                             double error_time)
{
    PyObject *d = PyDict_New(), *nodes = PyList_New((Py_ssize_t)rep->num_nodes);
    if (!d || !nodes) goto fail;
    size_t iterative = 0, dense = 0, failed = 0;
    for (size_t i = 0; i < rep->num_nodes; i++) {
        iterative += rep->nodes[i].blocks_iterative;
        dense += rep->nodes[i].blocks_dense_svd;
        failed += rep->nodes[i].blocks_failed;
        PyObject *n = node_dict(&rep->nodes[i]);
        if (!n) goto fail;
        PyList_SET_ITEM(nodes, (Py_ssize_t)i, n);
    }
    size_t L = dmf_chain_num_factors(chain), size[2] = {dmf_chain_rows(chain), dmf_chain_cols(chain)};
    dmf_build_info build;
    dmf_get_build_info(&build);
    if (dmfpy_set(d, "dmf_version", PyUnicode_FromString(DMF_VERSION_STRING)) < 0 ||
        dmfpy_set(d, "command", PyUnicode_FromString("butterfly factor")) < 0 ||
        dmfpy_set(d, "size", dmfpy_size_list(size, 2)) < 0 ||
        dmfpy_set(d, "dtype", PyUnicode_FromString(dmf_dtype_name(dmf_chain_dtype(chain)))) < 0 ||
        dmfpy_set(d, "backend", PyUnicode_FromString(dmf_context_backend_name(ctx))) < 0 ||
        dmfpy_set(d, "tree", PyUnicode_FromString(dmf_tree_name(tree))) < 0 ||
        dmfpy_set(d, "tree_nested", PyUnicode_FromString(dmf_tree_describe(tree))) < 0 ||
        dmfpy_set(d, "radix_m", dmfpy_size_list(dmf_chain_radix_m(chain), L)) < 0 ||
        dmfpy_set(d, "radix_n", dmfpy_size_list(dmf_chain_radix_n(chain), L)) < 0 ||
        dmfpy_set(d, "rank", PyLong_FromSize_t(opts->rank)) < 0 ||
        dmfpy_set(d, "orthonormalize", PyBool_FromLong(opts->orthonormalize)) < 0 ||
        dmfpy_set(d, "rel_error", PyFloat_FromDouble(rel_error)) < 0 ||
        dmfpy_set(d, "time_s", PyFloat_FromDouble(rep->time_s)) < 0 ||
        dmfpy_set(d, "transfer_s", PyFloat_FromDouble(rep->transfer_s)) < 0 ||
        dmfpy_set(d, "device_s", PyFloat_FromDouble(rep->device_s)) < 0 ||
        dmfpy_set(d, "error_time_s", PyFloat_FromDouble(error_time)) < 0 ||
        dmfpy_set(d, "nnz", PyLong_FromSize_t(dmf_chain_nnz(chain))) < 0 ||
        dmfpy_set(d, "threads", PyLong_FromLong(build.openmp_threads)) < 0 ||
        dmfpy_set(d, "blocks_iterative", PyLong_FromSize_t(iterative)) < 0 ||
        dmfpy_set(d, "blocks_dense_svd", PyLong_FromSize_t(dense)) < 0 ||
        dmfpy_set(d, "blocks_failed", PyLong_FromSize_t(failed)) < 0)
        goto fail;
    if (PyDict_SetItemString(d, "nodes", nodes) < 0) goto fail;
    Py_DECREF(nodes);
    return d;
fail:
    Py_XDECREF(d);
    Py_XDECREF(nodes);
    return NULL;
}

/* butterfly_factor(A, radix_m, radix_n, tree, rank, orthonormalize,
 * backend, compute_error[, perm_rows, perm_cols]) -> (handle, report,
 * failure).  A: C-contiguous 2-D.  With permutations (index arrays or
 * None) the chain is of B[i][j] = A[perm_rows[i]][perm_cols[j]], factored
 * without a copy of B, and carries them: it stands for A. */
/* radix_m and radix_n (both or neither; neither: radix 2 for square powers
 * of two); -1 with the Python error set. */
static int parse_radices(PyObject *mo, PyObject *no, size_t rows, size_t cols, size_t *m, size_t *n, size_t *count)
{
    size_t ln = 0;
    *count = 0;
    if ((mo != Py_None && dmfpy_sizes(mo, m, 64, count, "radix_m") < 0) ||
        (no != Py_None && dmfpy_sizes(no, n, 64, &ln, "radix_n") < 0))
        return -1;
    if ((mo == Py_None) != (no == Py_None) || *count != ln) {
        PyErr_SetString(dmfpy_input_error, "give both radix_m and radix_n, of the same length, or neither");
        return -1;
    }
    int status = mo == Py_None ? dmf_default_radices(rows, cols, m, n, 64, count) : DMF_OK;
    if (status != DMF_OK) return dmfpy_raise_int(status);
    if (*count == 0) {
        PyErr_SetString(dmfpy_input_error, "a chain needs at least one factor");
        return -1;
    }
    return 0;
}

static PyObject *butterfly_factor(PyObject *module, PyObject *args)
{
    PyObject *ao, *mo, *no, *po = Py_None, *qo = Py_None;
    const char *tree_spec, *backend;
    Py_ssize_t rank;
    int ortho, compute_error;
    if (!PyArg_ParseTuple(args, "OOOsnpsp|OO", &ao, &mo, &no, &tree_spec, &rank, &ortho, &backend, &compute_error,
                          &po, &qo))
        return NULL;
    dmf_dtype dtype;
    PyArrayObject *a = dmfpy_c_array(ao, 2, "A", &dtype);
    if (!a) return NULL;
    if (rank < 1) {
        PyErr_Format(dmfpy_input_error, "rank must be >= 1 (got %zd)", rank);
        return NULL;
    }
    size_t rows = (size_t)PyArray_DIM(a, 0), cols = (size_t)PyArray_DIM(a, 1);
    size_t m[64], n[64], lm = 0;
    if (parse_radices(mo, no, rows, cols, m, n, &lm) < 0) return NULL;
    /* Permutations: A is factored through them, never copied permuted. */
    size_t *perm_rows = NULL, *perm_cols = NULL;
    if (dmfpy_indices(po, rows, "perm_rows", &perm_rows) < 0) return NULL;
    if (dmfpy_indices(qo, cols, "perm_cols", &perm_cols) < 0) {
        PyMem_Free(perm_rows);
        return NULL;
    }
    const int permuted = perm_rows || perm_cols;
    int status = DMF_OK;
    dmf_context *ctx = dmfpy_context(backend);
    dmf_tree *tree = NULL;
    dmf_matrix *wrapped = NULL;
    if (ctx && (status = dmf_tree_create(&tree, tree_spec, lm)) == DMF_OK)
        status = dmf_matrix_wrap(&wrapped, dtype, rows, cols, PyArray_DATA(a));
    if (!ctx || status != DMF_OK) {
        dmf_tree_free(tree);
        PyMem_Free(perm_rows);
        PyMem_Free(perm_cols);
        return ctx ? dmfpy_raise(status) : NULL;
    }
    dmf_butterfly_options opts;
    dmf_butterfly_options_default(&opts);
    opts.rank = (size_t)rank;
    opts.orthonormalize = ortho;
    dmf_butterfly_report rep;
    dmf_chain *chain = NULL;
    double rel_error = NAN, error_time = 0;
    int error_status = DMF_OK;
    char failure[1024] = "";
    Py_BEGIN_ALLOW_THREADS
    status = permuted ? dmf_butterfly_factor_permuted(ctx, wrapped, perm_rows, perm_cols, m, n, lm, tree, &opts,
                                                      &chain, &rep)
                      : dmf_butterfly_factor(ctx, wrapped, m, n, lm, tree, &opts, &chain, &rep);
    if (status == DMF_ERR_NUMERIC && chain) snprintf(failure, sizeof failure, "%s", dmf_last_error());
    if (chain && compute_error) {
        double start = dmfpy_now();
        error_status = dmf_chain_rel_error(chain, wrapped, &rel_error);
        error_time = dmfpy_now() - start;
    }
    Py_END_ALLOW_THREADS
    dmf_matrix_free(wrapped);
    PyMem_Free(perm_rows);
    PyMem_Free(perm_cols);
    if (!chain) {
        dmf_tree_free(tree);
        return dmfpy_raise(status);
    }
    if (error_status != DMF_OK) {
        dmf_tree_free(tree);
        dmf_chain_free(chain);
        return dmfpy_raise(error_status);
    }
    PyObject *report = report_dict(&rep, chain, ctx, tree, &opts, rel_error, error_time);
    dmf_tree_free(tree);
    PyObject *handle = report ? dmfpy_chain_new(chain) : NULL;
    if (!handle) {
        if (!report) dmf_chain_free(chain);
        Py_XDECREF(report);
        return NULL;
    }
    /* Blocks whose SVD failed: the chain comes back with the message, for
     * the caller to raise with the chain attached (as the CLI exits 3 after
     * printing its line). */
    return Py_BuildValue("NNs", handle, report, failure);
}

_Static_assert(sizeof(npy_intp) == sizeof(size_t), "index arrays are filled as size_t");

/* identify_permutations(A, radix_m, radix_n): (rows, cols, report). */
static PyObject *identify_permutations(PyObject *module, PyObject *args)
{
    PyObject *ao, *mo, *no;
    if (!PyArg_ParseTuple(args, "OOO", &ao, &mo, &no)) return NULL;
    dmf_dtype dtype;
    PyArrayObject *a = dmfpy_c_array(ao, 2, "A", &dtype);
    if (!a) return NULL;
    size_t rows = (size_t)PyArray_DIM(a, 0), cols = (size_t)PyArray_DIM(a, 1), m[64], n[64], lm = 0;
    int status = DMF_OK;
    if (parse_radices(mo, no, rows, cols, m, n, &lm) < 0) return NULL;
    npy_intp rdim[1] = {(npy_intp)rows}, cdim[1] = {(npy_intp)cols};
    PyObject *ro = PyArray_SimpleNew(1, rdim, NPY_INTP), *co = PyArray_SimpleNew(1, cdim, NPY_INTP);
    dmf_matrix *wrapped = NULL;
    if (ro && co) status = dmf_matrix_wrap(&wrapped, dtype, rows, cols, PyArray_DATA(a));
    if (!ro || !co || status != DMF_OK) {
        Py_XDECREF(ro);
        Py_XDECREF(co);
        return ro && co ? dmfpy_raise(status) : NULL;
    }
    /* NPY_INTP is size_t wide on the platforms NumPy supports. */
    size_t *pr = PyArray_DATA((PyArrayObject *)ro), *pc = PyArray_DATA((PyArrayObject *)co);
    dmf_perm_report rep;
    Py_BEGIN_ALLOW_THREADS
    status = dmf_butterfly_identify_permutations(wrapped, lm, m, n, pr, pc, &rep);
    Py_END_ALLOW_THREADS
    dmf_matrix_free(wrapped);
    if (status != DMF_OK) {
        Py_DECREF(ro);
        Py_DECREF(co);
        return dmfpy_raise(status);
    }
    PyObject *levels = PyList_New((Py_ssize_t)rep.num_levels);
    for (size_t k = 0; levels && k < rep.num_levels; k++)
        PyList_SET_ITEM(levels, (Py_ssize_t)k, Py_BuildValue("{s:d,s:d}", "group_score", rep.levels[k].group_score,
                                                             "column_score", rep.levels[k].column_score));
    PyObject *report = levels ? Py_BuildValue("{s:d,s:d,s:N}", "time_s", rep.time_s, "min_score", rep.min_score,
                                              "levels", levels) : NULL;
    if (!report) {
        Py_DECREF(ro);
        Py_DECREF(co);
        return NULL;
    }
    return Py_BuildValue("NNN", ro, co, report);
}

/* permute(A, rows, cols): A[rows][:, cols] in one parallel pass (None: the
 * identity on that side). */
static PyObject *permute(PyObject *module, PyObject *args)
{
    PyObject *ao, *ro, *co;
    if (!PyArg_ParseTuple(args, "OOO", &ao, &ro, &co)) return NULL;
    dmf_dtype dtype;
    PyArrayObject *a = dmfpy_c_array(ao, 2, "A", &dtype);
    if (!a) return NULL;
    const size_t rows = (size_t)PyArray_DIM(a, 0), cols = (size_t)PyArray_DIM(a, 1);
    size_t *r = NULL, *c = NULL;
    if (dmfpy_indices(ro, rows, "perm_rows", &r) < 0) return NULL;
    if (dmfpy_indices(co, cols, "perm_cols", &c) < 0) {
        PyMem_Free(r);
        return NULL;
    }
    dmf_matrix *wrapped = NULL, *b = NULL;
    int status = dmf_matrix_wrap(&wrapped, dtype, rows, cols, PyArray_DATA(a));
    if (status == DMF_OK) {
        Py_BEGIN_ALLOW_THREADS
        status = dmf_matrix_permute(wrapped, r, c, &b);
        Py_END_ALLOW_THREADS
    }
    dmf_matrix_free(wrapped);
    PyMem_Free(r);
    PyMem_Free(c);
    PyObject *result = status == DMF_OK ? dmfpy_array_from_matrix(b) : dmfpy_raise(status);
    dmf_matrix_free(b);
    return result;
}

static PyObject *matrix_builtin(PyObject *module, PyObject *args)
{
    const char *name, *dtype_name;
    Py_ssize_t rows, cols;
    double noise;
    unsigned long long seed;
    PyObject *mo, *no;
    if (!PyArg_ParseTuple(args, "snnsdKOO", &name, &rows, &cols, &dtype_name, &noise, &seed, &mo, &no)) return NULL;
    if (rows < 0 || cols < 0) {
        PyErr_SetString(dmfpy_input_error, "sizes must be >= 0");
        return NULL;
    }
    dmf_dtype dtype;
    int status = dmf_dtype_parse(dtype_name, &dtype);
    if (status != DMF_OK) return dmfpy_raise(status);
    size_t m[64], n[64], lm = 0, ln = 0;
    if ((mo != Py_None && dmfpy_sizes(mo, m, 64, &lm, "radix_m") < 0) ||
        (no != Py_None && dmfpy_sizes(no, n, 64, &ln, "radix_n") < 0))
        return NULL;
    if (lm != ln) {
        PyErr_SetString(dmfpy_input_error, "radix_m and radix_n must have the same length");
        return NULL;
    }
    dmf_matrix_spec spec = {.name = name, .rows = (size_t)rows, .cols = (size_t)cols, .dtype = dtype,
                            .noise = noise, .seed = seed, .radix_m = lm ? m : NULL, .radix_n = lm ? n : NULL,
                            .num_radices = lm};
    dmf_matrix *mat;
    Py_BEGIN_ALLOW_THREADS
    status = dmf_matrix_builtin(&spec, &mat);
    Py_END_ALLOW_THREADS
    if (status != DMF_OK) return dmfpy_raise(status);
    PyObject *array = dmfpy_array_from_matrix(mat);
    dmf_matrix_free(mat);
    return array;
}

static PyObject *matrix_names(PyObject *module, PyObject *unused)
{
    const char *const *names = dmf_matrix_builtin_names();
    PyObject *list = PyList_New(0);
    for (size_t i = 0; list && names[i]; i++) {
        PyObject *s = PyUnicode_FromString(names[i]);
        if (!s || PyList_Append(list, s) < 0) {
            Py_XDECREF(s);
            Py_DECREF(list);
            return NULL;
        }
        Py_DECREF(s);
    }
    return list;
}

PyMethodDef dmfpy_butterfly_functions[] = {
    {"butterfly_factor", butterfly_factor, METH_VARARGS,
     "butterfly_factor(A, radix_m, radix_n, tree, rank, orthonormalize, backend, compute_error)"},
    {"matrix_builtin", matrix_builtin, METH_VARARGS, "matrix_builtin(name, rows, cols, dtype, noise, seed, m, n)"},
    {"matrix_names", matrix_names, METH_NOARGS, "Names of the built-in matrices."},
    {"permute", permute, METH_VARARGS, "permute(A, rows, cols): A[rows][:, cols] (None: identity)"},
    {"identify_permutations", identify_permutations, METH_VARARGS,
     "identify_permutations(A, radix_m, radix_n): (perm_rows, perm_cols, report)"},
    {NULL, NULL, 0, NULL},
};
