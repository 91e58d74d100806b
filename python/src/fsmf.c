/* dmf._dmf.fsmf: two-factor fixed-support factorization. */
#include "dmfpy.h"

#include <stdlib.h>
#include <string.h>

/* The fields of `dmf fsmf`'s JSON line that come from the report. */
/* The inner indices whose flags have `bit`; no field when none (as the CLI). */
static int set_pieces(PyObject *d, const char *key, const unsigned char *flags, size_t K, unsigned bit)
{
    size_t n = 0, *list = malloc((K + 1) * sizeof *list);
    if (!list) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t k = 0; k < K; k++)
        if (flags[k] & bit) list[n++] = k;
    int rc = n ? dmfpy_set(d, key, dmfpy_size_list(list, n)) : 0;
    free(list);
    return rc;
}

static PyObject *report_dict(const dmf_fsmf_report *rep, const dmf_ident_report *ident,
                             const unsigned char *flags, size_t m, size_t k, size_t n, dmf_dtype dtype,
                             double time_s)
{
    PyObject *d = PyDict_New();
    size_t dims[3] = {m, k, n}, pair[2] = {rep->conflict_k1, rep->conflict_k2};
    if (!d) return NULL;
    if (dmfpy_set(d, "dmf_version", PyUnicode_FromString(DMF_VERSION_STRING)) < 0 ||
        dmfpy_set(d, "command", PyUnicode_FromString("fsmf")) < 0 ||
        dmfpy_set(d, "size_m_k_n", dmfpy_size_list(dims, 3)) < 0 ||
        dmfpy_set(d, "dtype", PyUnicode_FromString(dmf_dtype_name(dtype))) < 0 ||
        /* the class SVDs run on the host whatever the context (as the CLI says) */
        dmfpy_set(d, "backend", PyUnicode_FromString("cpu")) < 0 ||
        dmfpy_set(d, "num_classes", PyLong_FromSize_t(rep->num_classes)) < 0 ||
        dmfpy_set(d, "largest_class", PyLong_FromSize_t(rep->largest_class)) < 0 ||
        dmfpy_set(d, "disjoint_or_identical", PyBool_FromLong(rep->disjoint_or_identical)) < 0 ||
        dmfpy_set(d, "optimal", PyBool_FromLong(rep->optimal)) < 0)
        goto fail;
    if (!rep->disjoint_or_identical) {
        if (dmfpy_set(d, "overlapping_k", dmfpy_size_list(pair, 2)) < 0 ||
            dmfpy_set(d, "solver",
                      PyUnicode_FromString(rep->completed
                                               ? "rank-one completion (identifiable supports)"
                                               : "greedy masked rank-one on the residual (may not be optimal)")) < 0)
            goto fail;
    } else if (dmfpy_set(d, "solver", PyUnicode_FromString("truncated SVD per support class (optimal)")) < 0) {
        goto fail;
    }
    PyObject *verdict = ident->identifiable == DMF_IDENT_UNKNOWN ? PyUnicode_FromString("unknown")
                                                                 : PyBool_FromLong(ident->identifiable == DMF_IDENT_YES);
    if (dmfpy_set(d, "identifiable", verdict) < 0 ||
        dmfpy_set(d, "identifiability", PyUnicode_FromString(dmf_ident_reason_string(ident->reason))) < 0 ||
        set_pieces(d, "incomplete_k", flags, k, DMF_PIECE_INCOMPLETE) < 0 ||
        set_pieces(d, "ambiguous_k", flags, k, DMF_PIECE_AMBIGUOUS) < 0 ||
        (ident->extra_dims && dmfpy_set(d, "ambiguity_dims", PyLong_FromSize_t(ident->extra_dims)) < 0))
        goto fail;
    if (dmfpy_set(d, "rel_error", PyFloat_FromDouble(rep->rel_error)) < 0 ||
        dmfpy_set(d, "time_s", PyFloat_FromDouble(time_s)) < 0)
        goto fail;
    return d;
fail:
    Py_DECREF(d);
    return NULL;
}

/* fsmf(A, SX, SY, backend) -> (X, Y, report).  All C-contiguous 2-D arrays
 * of dmf dtypes; X and Y come back in A's dtype. */
static PyObject *fsmf(PyObject *module, PyObject *args)
{
    PyObject *ao, *xo, *yo;
    const char *backend;
    if (!PyArg_ParseTuple(args, "OOOs", &ao, &xo, &yo, &backend)) return NULL;
    dmf_dtype ta, tx, ty;
    PyArrayObject *a = dmfpy_c_array(ao, 2, "A", &ta), *sx = a ? dmfpy_c_array(xo, 2, "support_x", &tx) : NULL,
                  *sy = sx ? dmfpy_c_array(yo, 2, "support_y", &ty) : NULL;
    if (!sy) return NULL;
    dmf_context *ctx = dmfpy_context(backend);
    if (!ctx) return NULL;
    dmf_matrix *wa = NULL, *wx = NULL, *wy = NULL, *x = NULL, *y = NULL;
    int status = dmf_matrix_wrap(&wa, ta, (size_t)PyArray_DIM(a, 0), (size_t)PyArray_DIM(a, 1), PyArray_DATA(a));
    if (status == DMF_OK)
        status = dmf_matrix_wrap(&wx, tx, (size_t)PyArray_DIM(sx, 0), (size_t)PyArray_DIM(sx, 1), PyArray_DATA(sx));
    if (status == DMF_OK)
        status = dmf_matrix_wrap(&wy, ty, (size_t)PyArray_DIM(sy, 0), (size_t)PyArray_DIM(sy, 1), PyArray_DATA(sy));
    dmf_fsmf_report rep;
    dmf_ident_report ident;
    double time_s = 0;
    unsigned char *flags = status == DMF_OK ? calloc((size_t)PyArray_DIM(sx, 1) + 1, 1) : NULL;
    if (status == DMF_OK && !flags) status = DMF_ERR_NOMEM;
    if (status == DMF_OK) {
        Py_BEGIN_ALLOW_THREADS
        double start = dmfpy_now();
        status = dmf_fsmf(ctx, wa, wx, wy, &x, &y, &rep);
        time_s = dmfpy_now() - start;
        /* The pieces the verdict is about (the report has the verdict only). */
        if (status == DMF_OK) status = dmf_fsmf_identifiability(wx, wy, flags, &ident);
        Py_END_ALLOW_THREADS
    }
    PyObject *result = NULL;
    if (status != DMF_OK) {
        dmfpy_raise(status);
    } else {
        PyObject *xa = dmfpy_array_from_matrix(x), *ya = xa ? dmfpy_array_from_matrix(y) : NULL;
        PyObject *report = ya ? report_dict(&rep, &ident, flags, dmf_matrix_rows(wa), dmf_matrix_cols(wx), dmf_matrix_cols(wa), ta,
                                            time_s)
                              : NULL;
        if (report) {
            result = PyTuple_Pack(3, xa, ya, report);
        }
        Py_XDECREF(xa);
        Py_XDECREF(ya);
        Py_XDECREF(report);
    }
    free(flags);
    dmf_matrix_free(wa);
    dmf_matrix_free(wx);
    dmf_matrix_free(wy);
    dmf_matrix_free(x);
    dmf_matrix_free(y);
    return result;
}

/* find_supports(A, radix_m, radix_n, backend) -> (SX, SY, report):
 * dmf_fsmf_find_supports (radix_m, radix_n None: the two 2-sparse classes). */
static PyObject *find_supports(PyObject *module, PyObject *args)
{
    PyObject *ao, *mo, *no;
    const char *backend;
    if (!PyArg_ParseTuple(args, "OOOs", &ao, &mo, &no, &backend)) return NULL;
    size_t rm[64], rn[64], count_m = 0, count_n = 0;
    if (mo != Py_None && dmfpy_sizes(mo, rm, 64, &count_m, "radix_m") < 0) return NULL;
    if (no != Py_None && dmfpy_sizes(no, rn, 64, &count_n, "radix_n") < 0) return NULL;
    if ((mo != Py_None && count_m != 2) || (no != Py_None && count_n != 2) || (mo == Py_None) != (no == Py_None))
        return PyErr_Format(dmfpy_input_error, "radix_m and radix_n give the two-factor class: two radices each");
    dmf_dtype ta;
    PyArrayObject *a = dmfpy_c_array(ao, 2, "A", &ta);
    if (!a) return NULL;
    dmf_context *ctx = dmfpy_context(backend);
    if (!ctx) return NULL;
    dmf_matrix *wa = NULL, *sx = NULL, *sy = NULL;
    dmf_support_report rep;
    int status = dmf_matrix_wrap(&wa, ta, (size_t)PyArray_DIM(a, 0), (size_t)PyArray_DIM(a, 1), PyArray_DATA(a));
    if (status == DMF_OK) {
        Py_BEGIN_ALLOW_THREADS
        status = dmf_fsmf_find_supports(ctx, wa, mo == Py_None ? NULL : rm, no == Py_None ? NULL : rn, &sx, &sy, &rep);
        Py_END_ALLOW_THREADS
    }
    PyObject *result = NULL;
    if (status != DMF_OK) {
        dmfpy_raise(status);
    } else {
        PyObject *xa = dmfpy_array_from_matrix(sx), *ya = xa ? dmfpy_array_from_matrix(sy) : NULL;
        PyObject *report = ya ? Py_BuildValue("{s:N,s:N,s:n,s:d,s:d}", "support_radix_m", dmfpy_size_list(rep.radix_m, 2),
                                              "support_radix_n", dmfpy_size_list(rep.radix_n, 2),
                                              "support_classes_tried", (Py_ssize_t)rep.classes_tried,
                                              "support_score", rep.min_score, "support_time_s", rep.time_s)
                              : NULL;
        if (report) result = PyTuple_Pack(3, xa, ya, report);
        Py_XDECREF(xa);
        Py_XDECREF(ya);
        Py_XDECREF(report);
    }
    dmf_matrix_free(wa);
    dmf_matrix_free(sx);
    dmf_matrix_free(sy);
    return result;
}

PyMethodDef dmfpy_fsmf_functions[] = {
    {"fsmf", fsmf, METH_VARARGS, "fsmf(A, support_x, support_y, backend) -> (X, Y, report)"},
    {"find_supports", find_supports, METH_VARARGS,
     "find_supports(A, radix_m, radix_n, backend) -> (SX, SY, report): the supports of a two-factor class"},
    {NULL, NULL, 0, NULL},
};
