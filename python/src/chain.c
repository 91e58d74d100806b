/* dmf._dmf.ChainHandle: a dmf_chain owned by Python, its factors as NumPy
 * views, apply in any layout, densify, error, and the factor folders. */
#include "dmfpy.h"

static void chain_dealloc(dmfpy_chain *self)
{
    dmf_chain_free(self->chain);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

PyObject *dmfpy_chain_new(dmf_chain *chain)
{
    dmfpy_chain *self = PyObject_New(dmfpy_chain, &dmfpy_chain_type);
    if (!self) {
        dmf_chain_free(chain);
        return NULL;
    }
    self->chain = chain;
    return (PyObject *)self;
}

static PyObject *chain_info(dmfpy_chain *self, PyObject *unused)
{
    const dmf_chain *c = self->chain;
    size_t L = dmf_chain_num_factors(c), ranks[64];
    for (size_t k = 0; k + 1 < L; k++) {
        size_t a, b, cc, d;
        dmf_chain_support(c, k, &a, &b, &cc, &d);
        ranks[k] = cc / dmf_chain_radix_n(c)[k]; /* c = n_k r_k */
    }
    PyObject *info = PyDict_New();
    if (!info) return NULL;
    if (dmfpy_set(info, "dtype", PyUnicode_FromString(dmf_dtype_name(dmf_chain_dtype(c)))) < 0 ||
        dmfpy_set(info, "rows", PyLong_FromSize_t(dmf_chain_rows(c))) < 0 ||
        dmfpy_set(info, "cols", PyLong_FromSize_t(dmf_chain_cols(c))) < 0 ||
        dmfpy_set(info, "radix_m", dmfpy_size_list(dmf_chain_radix_m(c), L)) < 0 ||
        dmfpy_set(info, "radix_n", dmfpy_size_list(dmf_chain_radix_n(c), L)) < 0 ||
        dmfpy_set(info, "ranks", dmfpy_size_list(ranks, L ? L - 1 : 0)) < 0 ||
        dmfpy_set(info, "nnz", PyLong_FromSize_t(dmf_chain_nnz(c))) < 0) {
        Py_DECREF(info);
        return NULL;
    }
    return info;
}

/* blocks(k): factor k's a x d x b x c blocks as a writable view that keeps
 * the handle alive. */
static PyObject *chain_blocks(dmfpy_chain *self, PyObject *arg)
{
    Py_ssize_t k = PyNumber_AsSsize_t(arg, PyExc_IndexError);
    if (k == -1 && PyErr_Occurred()) return NULL;
    size_t L = dmf_chain_num_factors(self->chain);
    if (k < 0 || (size_t)k >= L) {
        PyErr_Format(PyExc_IndexError, "factor %zd of a chain of %zu factors", k, L);
        return NULL;
    }
    size_t a, b, c, d;
    dmf_chain_support(self->chain, (size_t)k, &a, &b, &c, &d);
    npy_intp dims[4] = {(npy_intp)a, (npy_intp)d, (npy_intp)b, (npy_intp)c};
    PyObject *view = PyArray_SimpleNewFromData(4, dims, dmfpy_npy_type(dmf_chain_dtype(self->chain)),
                                               dmf_chain_blocks(self->chain, (size_t)k));
    if (!view) return NULL;
    Py_INCREF(self);
    if (PyArray_SetBaseObject((PyArrayObject *)view, (PyObject *)self) < 0) {
        Py_DECREF(view);
        return NULL;
    }
    return view;
}

/* Element strides of a 2-D array of the chain's dtype (rows, vectors). */
static int element_strides(PyArrayObject *array, size_t elem, size_t *row_stride, size_t *vec_stride,
                           const char *what)
{
    npy_intp rs = PyArray_STRIDE(array, 0), vs = PyArray_STRIDE(array, 1);
    if (PyArray_DIM(array, 0) <= 1) rs = 0;
    if (PyArray_DIM(array, 1) <= 1) vs = 0;
    if (rs < 0 || vs < 0 || rs % (npy_intp)elem || vs % (npy_intp)elem || !PyArray_ISALIGNED(array) ||
        PyArray_ISBYTESWAPPED(array)) {
        PyErr_Format(PyExc_ValueError, "%s: negative, misaligned or byte-swapped strides are not supported", what);
        return -1;
    }
    *row_stride = (size_t)(rs / (npy_intp)elem);
    *vec_stride = (size_t)(vs / (npy_intp)elem);
    return 0;
}

/* apply(x, y, op, backend): y = op(chain) x for 2-D x and y of the chain's
 * dtype in any non-negative strided layout; the caller allocates y. */
static PyObject *chain_apply(dmfpy_chain *self, PyObject *args)
{
    PyObject *xo, *yo;
    int op;
    const char *backend = "cpu";
    if (!PyArg_ParseTuple(args, "O!O!i|s", &PyArray_Type, &xo, &PyArray_Type, &yo, &op, &backend)) return NULL;
    PyArrayObject *x = (PyArrayObject *)xo, *y = (PyArrayObject *)yo;
    dmf_dtype xt, yt, ct = dmf_chain_dtype(self->chain);
    if (dmfpy_dtype_of(x, &xt) < 0 || dmfpy_dtype_of(y, &yt) < 0) return NULL;
    if (xt != ct || yt != ct || PyArray_NDIM(x) != 2 || PyArray_NDIM(y) != 2 || !PyArray_ISWRITEABLE(y)) {
        PyErr_SetString(PyExc_ValueError, "apply needs 2-D x and writable y of the chain's dtype");
        return NULL;
    }
    size_t in = op == DMF_OP_N ? dmf_chain_cols(self->chain) : dmf_chain_rows(self->chain);
    size_t out = op == DMF_OP_N ? dmf_chain_rows(self->chain) : dmf_chain_cols(self->chain);
    size_t nvec = (size_t)PyArray_DIM(x, 1);
    if ((size_t)PyArray_DIM(x, 0) != in || (size_t)PyArray_DIM(y, 0) != out || (size_t)PyArray_DIM(y, 1) != nvec) {
        PyErr_Format(dmfpy_input_error, "shapes: the operator is %zu x %zu, x is %zd x %zd, y is %zd x %zd", out,
                     in, PyArray_DIM(x, 0), PyArray_DIM(x, 1), PyArray_DIM(y, 0), PyArray_DIM(y, 1));
        return NULL;
    }
    size_t elem = dmf_dtype_size(ct), xrs, xvs, yrs, yvs;
    if (element_strides(x, elem, &xrs, &xvs, "x") < 0 || element_strides(y, elem, &yrs, &yvs, "y") < 0) return NULL;
    dmf_context *ctx = strcmp(backend, "cpu") ? dmfpy_context(backend) : NULL;
    if (!ctx && PyErr_Occurred()) return NULL;
    int status;
    const void *xd = PyArray_DATA(x);
    void *yd = PyArray_DATA(y);
    Py_BEGIN_ALLOW_THREADS
    status = dmf_chain_apply_op(ctx, self->chain, (dmf_op)op, nvec, xd, xrs, xvs, yd, yrs, yvs);
    Py_END_ALLOW_THREADS
    if (status != DMF_OK) return dmfpy_raise(status);
    Py_RETURN_NONE;
}

static PyObject *chain_densify(dmfpy_chain *self, PyObject *unused)
{
    dmf_matrix *m;
    int status;
    Py_BEGIN_ALLOW_THREADS
    status = dmf_chain_densify(self->chain, &m);
    Py_END_ALLOW_THREADS
    if (status != DMF_OK) return dmfpy_raise(status);
    PyObject *array = dmfpy_array_from_matrix(m);
    dmf_matrix_free(m);
    return array;
}

static PyObject *chain_rel_error(dmfpy_chain *self, PyObject *arg)
{
    dmf_dtype dtype;
    PyArrayObject *a = dmfpy_c_array(arg, 2, "A", &dtype);
    if (!a) return NULL;
    dmf_matrix *wrapped;
    int status = dmf_matrix_wrap(&wrapped, dtype, (size_t)PyArray_DIM(a, 0), (size_t)PyArray_DIM(a, 1),
                                 PyArray_DATA(a));
    if (status != DMF_OK) return dmfpy_raise(status);
    double err = 0;
    Py_BEGIN_ALLOW_THREADS
    status = dmf_chain_rel_error(self->chain, wrapped, &err);
    Py_END_ALLOW_THREADS
    dmf_matrix_free(wrapped);
    if (status != DMF_OK) return dmfpy_raise(status);
    return PyFloat_FromDouble(err);
}

/* refine(A, iterations, before, backend) -> {iterations, palm_error, kept}:
 * dmf_chain_refine, the chain's blocks replaced when PALM did better. */
static PyObject *chain_refine(dmfpy_chain *self, PyObject *args)
{
    PyObject *ao;
    Py_ssize_t iters;
    double before;
    const char *backend;
    if (!PyArg_ParseTuple(args, "Ondz", &ao, &iters, &before, &backend)) return NULL;
    if (iters < 1) return PyErr_Format(dmfpy_input_error, "refine must be >= 1 (got %zd)", iters);
    dmf_dtype dtype;
    PyArrayObject *a = dmfpy_c_array(ao, 2, "A", &dtype);
    if (!a) return NULL;
    dmf_context *ctx = dmfpy_context(backend ? backend : "auto");
    if (!ctx) return NULL;
    dmf_matrix *wrapped;
    int status = dmf_matrix_wrap(&wrapped, dtype, (size_t)PyArray_DIM(a, 0), (size_t)PyArray_DIM(a, 1),
                                 PyArray_DATA(a));
    if (status != DMF_OK) return dmfpy_raise(status);
    dmf_refine_report rep = {0};
    Py_BEGIN_ALLOW_THREADS
    status = dmf_chain_refine(ctx, wrapped, self->chain, (size_t)iters, before, &rep);
    Py_END_ALLOW_THREADS
    dmf_matrix_free(wrapped);
    if (status != DMF_OK) return dmfpy_raise(status);
    return Py_BuildValue("{s:n,s:d,s:O}", "iterations", (Py_ssize_t)rep.iterations, "palm_error", rep.palm_error,
                         "kept", rep.kept ? Py_True : Py_False);
}

/* write(dir[, extra_json]): the factor folder, chain.json with the members
 * of extra_json added (dmf_chain_write_meta). */
static PyObject *chain_write(dmfpy_chain *self, PyObject *args)
{
    PyObject *path;
    const char *extra = NULL;
    if (!PyArg_ParseTuple(args, "O&|z", PyUnicode_FSConverter, &path, &extra)) return NULL;
    int status;
    const char *dir = PyBytes_AS_STRING(path);
    Py_BEGIN_ALLOW_THREADS
    status = dmf_chain_write_meta(self->chain, dir, extra);
    Py_END_ALLOW_THREADS
    Py_DECREF(path);
    if (status != DMF_OK) return dmfpy_raise(status);
    Py_RETURN_NONE;
}

/* An int64 NumPy copy of a permutation, or None. */
static PyObject *permutation_array(const size_t *perm, size_t count)
{
    if (!perm) Py_RETURN_NONE;
    npy_intp dims[1] = {(npy_intp)count};
    PyObject *out = PyArray_SimpleNew(1, dims, NPY_INT64);
    if (!out) return NULL;
    int64_t *to = PyArray_DATA((PyArrayObject *)out);
    for (size_t i = 0; i < count; i++) to[i] = (int64_t)perm[i];
    return out;
}

/* permutations(): (rows, cols), each an int64 array or None. */
static PyObject *chain_permutations(dmfpy_chain *self, PyObject *unused)
{
    PyObject *rows = permutation_array(dmf_chain_perm_rows(self->chain), dmf_chain_rows(self->chain));
    PyObject *cols = rows ? permutation_array(dmf_chain_perm_cols(self->chain), dmf_chain_cols(self->chain)) : NULL;
    if (!cols) {
        Py_XDECREF(rows);
        return NULL;
    }
    return Py_BuildValue("NN", rows, cols);
}

/* set_permutations(rows, cols): None or index sequences. */
static PyObject *chain_set_permutations(dmfpy_chain *self, PyObject *args)
{
    PyObject *ro, *co;
    if (!PyArg_ParseTuple(args, "OO", &ro, &co)) return NULL;
    size_t *rows = NULL, *cols = NULL;
    if (dmfpy_indices(ro, dmf_chain_rows(self->chain), "perm_rows", &rows) < 0) return NULL;
    if (dmfpy_indices(co, dmf_chain_cols(self->chain), "perm_cols", &cols) < 0) {
        PyMem_Free(rows);
        return NULL;
    }
    int status = dmf_chain_set_permutations(self->chain, rows, cols);
    PyMem_Free(rows);
    PyMem_Free(cols);
    if (status != DMF_OK) return dmfpy_raise(status);
    Py_RETURN_NONE;
}

static PyMethodDef chain_methods[] = {
    {"permutations", (PyCFunction)chain_permutations, METH_NOARGS, "(perm_rows, perm_cols): int64 arrays or None."},
    {"set_permutations", (PyCFunction)chain_set_permutations, METH_VARARGS, "set_permutations(rows, cols)."},
    {"info", (PyCFunction)chain_info, METH_NOARGS, "dtype, sizes, radices, ranks and nnz as a dict."},
    {"blocks", (PyCFunction)chain_blocks, METH_O, "blocks(k): factor k's blocks (a, d, b, c), a view."},
    {"apply", (PyCFunction)chain_apply, METH_VARARGS, "apply(x, y, op[, backend]): y = op(chain) x."},
    {"densify", (PyCFunction)chain_densify, METH_NOARGS, "The dense product."},
    {"rel_error", (PyCFunction)chain_rel_error, METH_O, "||A - chain||_F / ||A||_F."},
    {"write", (PyCFunction)chain_write, METH_VARARGS, "write(dir[, extra_json]): the factor folder."},
    {"refine", (PyCFunction)chain_refine, METH_VARARGS,
     "refine(A, iterations, before, backend): PALM on the chain's supports (dmf_chain_refine)."},
    {NULL, NULL, 0, NULL},
};

PyTypeObject dmfpy_chain_type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "dmf._dmf.ChainHandle",
    .tp_basicsize = sizeof(dmfpy_chain),
    .tp_dealloc = (destructor)chain_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A butterfly chain owned by dmf (use dmf.Chain).",
    .tp_methods = chain_methods,
};

static int parse_dtype(PyObject *name, dmf_dtype *dtype)
{
    const char *s = PyUnicode_AsUTF8(name);
    if (!s) return -1;
    int status = dmf_dtype_parse(s, dtype);
    return status == DMF_OK ? 0 : dmfpy_raise_int(status);
}

/* chain_create(dtype, radix_m, radix_n, ranks): a zero chain. */
static PyObject *chain_create(PyObject *module, PyObject *args)
{
    PyObject *dtype_name, *mo, *no, *ro;
    if (!PyArg_ParseTuple(args, "UOOO", &dtype_name, &mo, &no, &ro)) return NULL;
    dmf_dtype dtype;
    size_t m[64], n[64], r[64], lm, ln, lr;
    if (parse_dtype(dtype_name, &dtype) < 0 || dmfpy_sizes(mo, m, 64, &lm, "radix_m") < 0 ||
        dmfpy_sizes(no, n, 64, &ln, "radix_n") < 0 || dmfpy_sizes(ro, r, 64, &lr, "ranks") < 0)
        return NULL;
    if (ln != lm || (lm && lr != lm - 1)) {
        PyErr_Format(dmfpy_input_error, "radix_m has %zu entries, radix_n %zu and ranks %zu (expected %zu)", lm, ln,
                     lr, lm ? lm - 1 : 0);
        return NULL;
    }
    dmf_chain *chain;
    int status = dmf_chain_create(&chain, dtype, lm, m, n, r);
    if (status != DMF_OK) return dmfpy_raise(status);
    return dmfpy_chain_new(chain);
}

static PyObject *chain_read(PyObject *module, PyObject *args)
{
    PyObject *path;
    if (!PyArg_ParseTuple(args, "O&", PyUnicode_FSConverter, &path)) return NULL;
    dmf_chain *chain;
    int status;
    const char *dir = PyBytes_AS_STRING(path);
    Py_BEGIN_ALLOW_THREADS
    status = dmf_chain_read(dir, &chain);
    Py_END_ALLOW_THREADS
    Py_DECREF(path);
    if (status != DMF_OK) return dmfpy_raise(status);
    return dmfpy_chain_new(chain);
}

PyMethodDef dmfpy_chain_functions[] = {
    {"chain_create", chain_create, METH_VARARGS, "chain_create(dtype, radix_m, radix_n, ranks)"},
    {"chain_read", chain_read, METH_VARARGS, "chain_read(dir)"},
    {NULL, NULL, 0, NULL},
};
