/* dmf._dmf: ReLU generators (as capsules owning a dmf_generator), Algorithm 1
 * of Hand & Joshi, the latents dmf demod draws, and the Gaussian fields. */
#include "dmfpy.h"

#include <math.h>
#include <string.h>

static const char capsule_name[] = "dmf.generator";

static void generator_destroy(PyObject *capsule)
{
    dmf_generator_free(PyCapsule_GetPointer(capsule, capsule_name));
}

static dmf_generator *generator_of(PyObject *obj, const char *what)
{
    if (!PyCapsule_IsValid(obj, capsule_name)) {
        PyErr_Format(PyExc_TypeError, "%s must be a generator handle", what);
        return NULL;
    }
    return PyCapsule_GetPointer(obj, capsule_name);
}

/* Sets the dtype ("f32"/"f64") and wraps; frees gen on failure. */
static PyObject *generator_wrap(dmf_generator *gen, const char *dtype_name)
{
    dmf_dtype dtype;
    int status = dmf_dtype_parse(dtype_name, &dtype);
    if (status == DMF_OK) status = dmf_generator_set_dtype(gen, dtype);
    if (status != DMF_OK) {
        dmf_generator_free(gen);
        return dmfpy_raise(status);
    }
    PyObject *capsule = PyCapsule_New(gen, capsule_name, generator_destroy);
    if (!capsule) dmf_generator_free(gen);
    return capsule;
}

/* generator_random(sizes, networks, seed, dtype) -> handle */
static PyObject *generator_random(PyObject *module, PyObject *args)
{
    PyObject *so;
    Py_ssize_t networks;
    unsigned long long seed;
    const char *dtype;
    if (!PyArg_ParseTuple(args, "OnKs", &so, &networks, &seed, &dtype)) return NULL;
    size_t sizes[64], count;
    if (dmfpy_sizes(so, sizes, 64, &count, "sizes") < 0) return NULL;
    if (networks < 1) {
        PyErr_Format(dmfpy_input_error, "networks must be >= 1 (got %zd)", networks);
        return NULL;
    }
    dmf_generator *gen = NULL;
    int status;
    Py_BEGIN_ALLOW_THREADS
    status = dmf_generator_random_networks(&gen, sizes, count, (size_t)networks, (uint64_t)seed);
    Py_END_ALLOW_THREADS
    if (status != DMF_OK) return dmfpy_raise(status);
    return generator_wrap(gen, dtype);
}

/* generator_read(path, networks, dtype) -> handle */
static PyObject *generator_read(PyObject *module, PyObject *args)
{
    const char *path, *dtype;
    Py_ssize_t networks;
    if (!PyArg_ParseTuple(args, "sns", &path, &networks, &dtype)) return NULL;
    if (networks < 1) {
        PyErr_Format(dmfpy_input_error, "networks must be >= 1 (got %zd)", networks);
        return NULL;
    }
    dmf_generator *gen = NULL;
    int status;
    Py_BEGIN_ALLOW_THREADS
    status = dmf_generator_read_networks(path, (size_t)networks, &gen);
    Py_END_ALLOW_THREADS
    if (status != DMF_OK) return dmfpy_raise(status);
    return generator_wrap(gen, dtype);
}

/* generator_from_weights([W_1, ..., W_d], dtype) -> handle; W_i 2-D C arrays. */
static PyObject *generator_from_weights(PyObject *module, PyObject *args)
{
    PyObject *wo;
    const char *dtype;
    if (!PyArg_ParseTuple(args, "Os", &wo, &dtype)) return NULL;
    PyObject *fast = PySequence_Fast(wo, "weights must be a sequence of arrays");
    if (!fast) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    if (n < 1 || n > 64) {
        Py_DECREF(fast);
        PyErr_Format(dmfpy_input_error, "a generator has 1 to 64 layers, not %zd", n);
        return NULL;
    }
    dmf_matrix *w[64] = {0};
    int status = DMF_OK;
    for (Py_ssize_t i = 0; i < n && status == DMF_OK; i++) {
        char what[32];
        snprintf(what, sizeof what, "weights[%zd]", i);
        dmf_dtype t;
        PyArrayObject *a = dmfpy_c_array(PySequence_Fast_GET_ITEM(fast, i), 2, what, &t);
        if (!a) {
            for (Py_ssize_t k = 0; k < i; k++) dmf_matrix_free(w[k]);
            Py_DECREF(fast);
            return NULL;
        }
        status = dmf_matrix_wrap(&w[i], t, (size_t)PyArray_DIM(a, 0), (size_t)PyArray_DIM(a, 1), PyArray_DATA(a));
    }
    dmf_generator *gen = NULL;
    if (status == DMF_OK) {
        Py_BEGIN_ALLOW_THREADS
        status = dmf_generator_from_weights(&gen, (const dmf_matrix *const *)w, (size_t)n);
        Py_END_ALLOW_THREADS
    }
    for (Py_ssize_t k = 0; k < n; k++) dmf_matrix_free(w[k]);
    Py_DECREF(fast);
    if (status != DMF_OK) return dmfpy_raise(status);
    return generator_wrap(gen, dtype);
}

/* generator_info(handle) -> {input, output, depth, networks, dtype, random} */
static PyObject *generator_info(PyObject *module, PyObject *obj)
{
    dmf_generator *gen = generator_of(obj, "generator");
    if (!gen) return NULL;
    return Py_BuildValue("{s:n,s:n,s:n,s:n,s:s,s:N}", "input", (Py_ssize_t)dmf_generator_input_size(gen), "output",
                         (Py_ssize_t)dmf_generator_output_size(gen), "depth", (Py_ssize_t)dmf_generator_depth(gen),
                         "networks", (Py_ssize_t)dmf_generator_networks(gen), "dtype",
                         dmf_dtype_name(dmf_generator_dtype(gen)), "random",
                         PyBool_FromLong(dmf_generator_is_random(gen)));
}

/* A C-contiguous float64 array of `rows` (0: any) x `cols`. */
static PyArrayObject *f64_rows(PyObject *obj, const char *what, size_t rows, size_t cols)
{
    dmf_dtype t;
    PyArrayObject *a = dmfpy_c_array(obj, 2, what, &t);
    if (!a) return NULL;
    if (t != DMF_F64) {
        PyErr_Format(PyExc_TypeError, "%s must be float64", what);
        return NULL;
    }
    if ((size_t)PyArray_DIM(a, 1) != cols || (rows && (size_t)PyArray_DIM(a, 0) != rows)) {
        if (rows)
            PyErr_Format(dmfpy_input_error, "%s is %zd x %zd, expected %zu x %zu", what, PyArray_DIM(a, 0),
                         PyArray_DIM(a, 1), rows, cols);
        else
            PyErr_Format(dmfpy_input_error, "%s has rows of %zd values, the generator needs %zu", what,
                         PyArray_DIM(a, 1), cols);
        return NULL;
    }
    return a;
}

static PyObject *new_rows(size_t rows, size_t cols)
{
    npy_intp dims[2] = {(npy_intp)rows, (npy_intp)cols};
    return PyArray_ZEROS(2, dims, NPY_FLOAT64, 0);
}

/* generator_forward(handle, X, backend) -> G(X); X: batch x n_0 float64. */
static PyObject *generator_forward(PyObject *module, PyObject *args)
{
    PyObject *go, *xo;
    const char *backend;
    if (!PyArg_ParseTuple(args, "OOs", &go, &xo, &backend)) return NULL;
    dmf_generator *gen = generator_of(go, "generator");
    PyArrayObject *x = gen ? f64_rows(xo, "x", 0, dmf_generator_input_size(gen)) : NULL;
    if (!x) return NULL;
    dmf_context *ctx = dmfpy_context(backend);
    if (!ctx) return NULL;
    size_t batch = (size_t)PyArray_DIM(x, 0);
    PyObject *out = new_rows(batch, dmf_generator_output_size(gen));
    if (!out || !batch) return out;
    int status;
    Py_BEGIN_ALLOW_THREADS
    status = dmf_generator_forward(ctx, gen, PyArray_DATA(x), batch, PyArray_DATA((PyArrayObject *)out));
    Py_END_ALLOW_THREADS
    if (status != DMF_OK) {
        Py_DECREF(out);
        return dmfpy_raise(status);
    }
    return out;
}

/* generator_vjp(handle, X, V, backend) -> J(X)^T V per row. */
static PyObject *generator_vjp(PyObject *module, PyObject *args)
{
    PyObject *go, *xo, *vo;
    const char *backend;
    if (!PyArg_ParseTuple(args, "OOOs", &go, &xo, &vo, &backend)) return NULL;
    dmf_generator *gen = generator_of(go, "generator");
    PyArrayObject *x = gen ? f64_rows(xo, "x", 0, dmf_generator_input_size(gen)) : NULL;
    PyArrayObject *v = x ? f64_rows(vo, "v", (size_t)PyArray_DIM(x, 0), dmf_generator_output_size(gen)) : NULL;
    if (!v) return NULL;
    dmf_context *ctx = dmfpy_context(backend);
    if (!ctx) return NULL;
    size_t batch = (size_t)PyArray_DIM(x, 0);
    PyObject *out = new_rows(batch, dmf_generator_input_size(gen));
    if (!out || !batch) return out;
    int status;
    Py_BEGIN_ALLOW_THREADS
    status = dmf_generator_vjp(ctx, gen, PyArray_DATA(x), PyArray_DATA(v), batch, PyArray_DATA((PyArrayObject *)out));
    Py_END_ALLOW_THREADS
    if (status != DMF_OK) {
        Py_DECREF(out);
        return dmfpy_raise(status);
    }
    return out;
}

/* draw_latents(seed, nh, nm) -> (h, m), 1-D float64. */
static PyObject *draw_latents(PyObject *module, PyObject *args)
{
    unsigned long long seed;
    Py_ssize_t nh, nm;
    if (!PyArg_ParseTuple(args, "Knn", &seed, &nh, &nm)) return NULL;
    if (nh < 0 || nm < 0) {
        PyErr_SetString(dmfpy_input_error, "counts must be >= 0");
        return NULL;
    }
    npy_intp dh = nh, dm = nm;
    PyObject *h = PyArray_SimpleNew(1, &dh, NPY_FLOAT64), *m = h ? PyArray_SimpleNew(1, &dm, NPY_FLOAT64) : NULL;
    if (!m) {
        Py_XDECREF(h);
        return NULL;
    }
    int status;
    Py_BEGIN_ALLOW_THREADS
    status = dmf_demod_draw_latents((uint64_t)seed, PyArray_DATA((PyArrayObject *)h), (size_t)nh,
                                    PyArray_DATA((PyArrayObject *)m), (size_t)nm);
    Py_END_ALLOW_THREADS
    if (status != DMF_OK) {
        Py_DECREF(h);
        Py_DECREF(m);
        return dmfpy_raise(status);
    }
    return Py_BuildValue("NN", h, m);
}

/* demod_solve(g1, g2, y0, h, m, h0, m0, iterations, step, rule, momentum,
 * tol, sign_check, success_tol, trace, backend) -> (per-trial arrays with
 * the backend's name and the solve's wall time, trace or None).  h and m (T x n1, T x n2, float64, writable) hold
 * the starts and receive the estimates; h0, m0 may be None. */
static PyObject *demod_solve(PyObject *module, PyObject *args)
{
    PyObject *g1o, *g2o, *yo, *ho, *mo, *h0o, *m0o;
    Py_ssize_t iterations;
    int rule, sign_check, want_trace;
    double step, momentum, tol, success_tol;
    const char *backend;
    if (!PyArg_ParseTuple(args, "OOOOOOOndiddpdps", &g1o, &g2o, &yo, &ho, &mo, &h0o, &m0o, &iterations, &step, &rule,
                          &momentum, &tol, &sign_check, &success_tol, &want_trace, &backend))
        return NULL;
    dmf_generator *g1 = generator_of(g1o, "g1"), *g2 = g1 ? generator_of(g2o, "g2") : NULL;
    if (!g2) return NULL;
    size_t n1 = dmf_generator_input_size(g1), n2 = dmf_generator_input_size(g2), l = dmf_generator_output_size(g1);
    PyArrayObject *y0 = f64_rows(yo, "y0", 0, l);
    if (!y0) return NULL;
    size_t T = (size_t)PyArray_DIM(y0, 0);
    PyArrayObject *h = f64_rows(ho, "h", T, n1), *m = h ? f64_rows(mo, "m", T, n2) : NULL, *h0 = NULL, *m0 = NULL;
    if (!m) return NULL;
    if (!PyArray_ISWRITEABLE(h) || !PyArray_ISWRITEABLE(m)) {
        PyErr_SetString(PyExc_ValueError, "h and m must be writable");
        return NULL;
    }
    if ((h0o == Py_None) != (m0o == Py_None)) {
        PyErr_SetString(dmfpy_input_error, "give both h0 and m0 (the truth), or neither");
        return NULL;
    }
    if (h0o != Py_None && (!(h0 = f64_rows(h0o, "h0", T, n1)) || !(m0 = f64_rows(m0o, "m0", T, n2)))) return NULL;
    if (iterations < 1) {
        PyErr_Format(dmfpy_input_error, "iterations must be >= 1 (got %zd)", iterations);
        return NULL;
    }
    if (rule < DMF_STEP_FIXED || rule > DMF_STEP_BACKTRACKING) {
        PyErr_Format(dmfpy_input_error, "unknown step rule %d", rule);
        return NULL;
    }
    dmf_context *ctx = dmfpy_context(backend);
    if (!ctx) return NULL;
    dmf_demod_options o;
    dmf_demod_options_default(&o);
    o.iterations = (size_t)iterations;
    o.step = step;
    o.step_rule = (dmf_step_rule)rule;
    o.momentum = momentum;
    o.tol = tol;
    o.sign_check = sign_check;
    o.success_tol = success_tol;
    npy_intp tdims[2] = {(npy_intp)T, (npy_intp)o.iterations};
    PyObject *trace = want_trace ? PyArray_SimpleNew(2, tdims, NPY_FLOAT64) : NULL;
    if (want_trace && !trace) return NULL;
    double *tr = trace ? PyArray_DATA((PyArrayObject *)trace) : NULL;
    for (size_t e = 0; tr && e < T * o.iterations; e++) tr[e] = NAN;
    dmf_demod_trial *res = PyMem_Calloc(T ? T : 1, sizeof *res);
    if (!res) {
        Py_XDECREF(trace);
        return PyErr_NoMemory();
    }
    int status;
    double time_s;
    Py_BEGIN_ALLOW_THREADS
    double start = dmfpy_now();
    status = dmf_demod_solve(ctx, g1, g2, PyArray_DATA(y0), T, PyArray_DATA(h), PyArray_DATA(m),
                             h0 ? PyArray_DATA(h0) : NULL, m0 ? PyArray_DATA(m0) : NULL, &o, res, tr);
    time_s = dmfpy_now() - start;
    Py_END_ALLOW_THREADS
    if (status != DMF_OK) {
        PyMem_Free(res);
        Py_XDECREF(trace);
        return dmfpy_raise(status);
    }
    npy_intp dim = (npy_intp)T;
    PyObject *success = PyArray_SimpleNew(1, &dim, NPY_BOOL), *converged = PyArray_SimpleNew(1, &dim, NPY_BOOL),
             *iters = PyArray_SimpleNew(1, &dim, NPY_INT64), *rel_error = PyArray_SimpleNew(1, &dim, NPY_FLOAT64),
             *rel_residual = PyArray_SimpleNew(1, &dim, NPY_FLOAT64), *objective = PyArray_SimpleNew(1, &dim, NPY_FLOAT64);
    PyObject *d = NULL;
    if (success && converged && iters && rel_error && rel_residual && objective) {
        for (size_t t = 0; t < T; t++) {
            ((npy_bool *)PyArray_DATA((PyArrayObject *)success))[t] = res[t].success != 0;
            ((npy_bool *)PyArray_DATA((PyArrayObject *)converged))[t] = res[t].converged != 0;
            ((npy_int64 *)PyArray_DATA((PyArrayObject *)iters))[t] = (npy_int64)res[t].iterations;
            ((double *)PyArray_DATA((PyArrayObject *)rel_error))[t] = res[t].rel_error;
            ((double *)PyArray_DATA((PyArrayObject *)rel_residual))[t] = res[t].rel_residual;
            ((double *)PyArray_DATA((PyArrayObject *)objective))[t] = res[t].objective;
        }
        d = Py_BuildValue("{s:O,s:O,s:O,s:O,s:O,s:O,s:s,s:d}", "success", success, "converged", converged,
                          "iterations", iters, "rel_error", rel_error, "rel_residual", rel_residual, "objective",
                          objective, "backend", dmf_context_backend_name(ctx), "time_s", time_s);
    }
    Py_XDECREF(success);
    Py_XDECREF(converged);
    Py_XDECREF(iters);
    Py_XDECREF(rel_error);
    Py_XDECREF(rel_residual);
    Py_XDECREF(objective);
    PyMem_Free(res);
    if (!d) {
        Py_XDECREF(trace);
        return NULL;
    }
    return Py_BuildValue("NN", d, trace ? trace : (Py_INCREF(Py_None), Py_None));
}

/* gaussian_field(grid, c, sigma) -> grid x grid */
static PyObject *gaussian_field(PyObject *module, PyObject *args)
{
    Py_ssize_t grid;
    double c, sigma;
    if (!PyArg_ParseTuple(args, "ndd", &grid, &c, &sigma)) return NULL;
    if (grid < 2) {
        PyErr_Format(dmfpy_input_error, "a field grid needs at least 2 points per side (got %zd)", grid);
        return NULL;
    }
    PyObject *out = new_rows((size_t)grid, (size_t)grid);
    if (!out) return NULL;
    int status = dmf_gaussian_field((size_t)grid, c, sigma, PyArray_DATA((PyArrayObject *)out));
    if (status != DMF_OK) {
        Py_DECREF(out);
        return dmfpy_raise(status);
    }
    return out;
}

/* gaussian_fields(grid, count, seed) -> (count x grid^2 fields, count x 2 params) */
static PyObject *gaussian_fields(PyObject *module, PyObject *args)
{
    Py_ssize_t grid, count;
    unsigned long long seed;
    if (!PyArg_ParseTuple(args, "nnK", &grid, &count, &seed)) return NULL;
    if (grid < 2 || count < 0) {
        PyErr_Format(dmfpy_input_error, "a field grid needs at least 2 points per side (got %zd) and count >= 0",
                     grid);
        return NULL;
    }
    PyObject *fields = new_rows((size_t)count, (size_t)grid * (size_t)grid), *params = fields ? new_rows((size_t)count, 2) : NULL;
    if (!params) {
        Py_XDECREF(fields);
        return NULL;
    }
    int status = DMF_OK;
    if (count) {
        Py_BEGIN_ALLOW_THREADS
        status = dmf_gaussian_fields((size_t)grid, (size_t)count, (uint64_t)seed, PyArray_DATA((PyArrayObject *)fields),
                                     PyArray_DATA((PyArrayObject *)params));
        Py_END_ALLOW_THREADS
    }
    if (status != DMF_OK) {
        Py_DECREF(fields);
        Py_DECREF(params);
        return dmfpy_raise(status);
    }
    return Py_BuildValue("NN", fields, params);
}

PyMethodDef dmfpy_demod_functions[] = {
    {"generator_random", generator_random, METH_VARARGS, "generator_random(sizes, networks, seed, dtype) -> handle"},
    {"generator_read", generator_read, METH_VARARGS, "generator_read(path, networks, dtype) -> handle"},
    {"generator_from_weights", generator_from_weights, METH_VARARGS, "generator_from_weights(weights, dtype) -> handle"},
    {"generator_info", generator_info, METH_O, "generator_info(handle) -> dict"},
    {"generator_forward", generator_forward, METH_VARARGS, "generator_forward(handle, x, backend) -> G(x)"},
    {"generator_vjp", generator_vjp, METH_VARARGS, "generator_vjp(handle, x, v, backend) -> J(x)^T v"},
    {"draw_latents", draw_latents, METH_VARARGS, "draw_latents(seed, nh, nm) -> (h, m)"},
    {"demod_solve", demod_solve, METH_VARARGS, "demod_solve(g1, g2, y0, h, m, h0, m0, ...) -> (trials, trace)"},
    {"gaussian_field", gaussian_field, METH_VARARGS, "gaussian_field(grid, c, sigma) -> grid x grid"},
    {"gaussian_fields", gaussian_fields, METH_VARARGS, "gaussian_fields(grid, count, seed) -> (fields, params)"},
    {NULL, NULL, 0, NULL},
};
