/* dmf._dmf.palm: PALM4MSA and hierarchical PALM with the parameters of
 * `dmf palm` / `dmf hierarchical` (pyfaust's schema) as JSON text, parsed
 * by the library's own reader so both interfaces accept the same files. */
#include "dmfpy.h"

#include <stdlib.h>
#include <string.h>

#include "../../src/host/palm/palm_spec.h"

static const char *stop_name(dmf_stop_reason r)
{
    switch (r) {
    case DMF_STOP_TOL: return "tol";
    case DMF_STOP_ERREPS: return "erreps";
    case DMF_STOP_MAXITER: return "maxiter";
    default: return "num_its";
    }
}

/* palm(A, params, hierarchical, init, backend) -> (factors, report).
 * params: JSON text, or "hadamard" for the preset (hierarchical only);
 * init: None or a list of J arrays / None (PALM4MSA only). */
static PyObject *palm(PyObject *module, PyObject *args)
{
    PyObject *ao, *init_obj;
    const char *params, *backend;
    int hierarchical;
    if (!PyArg_ParseTuple(args, "OspOs", &ao, &params, &hierarchical, &init_obj, &backend)) return NULL;
    dmf_dtype ta;
    PyArrayObject *a = dmfpy_c_array(ao, 2, "A", &ta);
    if (!a) return NULL;
    dmf_context *ctx = dmfpy_context(backend);
    if (!ctx) return NULL;
    dmf_matrix *wa = NULL;
    dmf_palm_spec *spec = NULL;
    size_t rows = (size_t)PyArray_DIM(a, 0), cols = (size_t)PyArray_DIM(a, 1);
    int status = dmf_matrix_wrap(&wa, ta, rows, cols, PyArray_DATA(a));
    if (status == DMF_OK) {
        if (hierarchical && !strcmp(params, "hadamard") && rows != cols) {
            dmf_matrix_free(wa);
            PyErr_Format(dmfpy_input_error, "the hadamard preset needs a square matrix, not %zu x %zu", rows, cols);
            return NULL;
        }
        if (hierarchical && !strcmp(params, "hadamard"))
            status = dmf_palm_spec_hadamard(rows, &spec);
        else
            status = dmf_palm_spec_parse(params, "params", NULL, hierarchical, ta, &spec);
    }
    if (status != DMF_OK) {
        dmf_matrix_free(wa);
        return dmfpy_raise(status);
    }
    size_t J = spec->num_factors;
    dmf_matrix **out = calloc(J, sizeof *out), **init = calloc(J, sizeof *init);
    PyArrayObject **init_arrays = calloc(J, sizeof *init_arrays); /* borrowed, as A */
    PyObject *result = NULL;
    if (!out || !init || !init_arrays) {
        PyErr_NoMemory();
        goto done;
    }
    int have_init = init_obj != Py_None;
    if (have_init) {
        if (!PyList_Check(init_obj) || (size_t)PyList_Size(init_obj) != J) {
            PyErr_Format(dmfpy_input_error, "init_facts must be a list of %zu arrays or None", J);
            goto done;
        }
        for (size_t j = 0; j < J; j++) {
            PyObject *item = PyList_GetItem(init_obj, (Py_ssize_t)j);
            if (item == Py_None) continue;
            dmf_dtype tj;
            init_arrays[j] = dmfpy_c_array(item, 2, "init_facts[j]", &tj);
            if (!init_arrays[j]) goto done;
            status = dmf_matrix_wrap(&init[j], tj, (size_t)PyArray_DIM(init_arrays[j], 0),
                                     (size_t)PyArray_DIM(init_arrays[j], 1), PyArray_DATA(init_arrays[j]));
            if (status != DMF_OK) {
                dmfpy_raise(status);
                goto done;
            }
        }
    }
    dmf_palm_report rep = {0};
    Py_BEGIN_ALLOW_THREADS
    if (hierarchical)
        status = dmf_hierarchical(ctx, wa, spec->cons, spec->res, J, &spec->hier, out, &rep);
    else
        status = dmf_palm4msa(ctx, wa, spec->cons, J,
                              (const dmf_matrix *const *)(have_init ? init : spec->init), &spec->palm, out, &rep);
    Py_END_ALLOW_THREADS
    if (status != DMF_OK) {
        dmfpy_raise(status);
        goto done;
    }
    PyObject *list = PyList_New((Py_ssize_t)J), *report = PyDict_New();
    size_t dims[2] = {rows, cols};
    int ok = list && report;
    for (size_t j = 0; ok && j < J; j++) {
        PyObject *f = dmfpy_array_from_matrix(out[j]);
        ok = f != NULL;
        if (ok) PyList_SET_ITEM(list, (Py_ssize_t)j, f);
    }
    ok = ok && dmfpy_set(report, "dmf_version", PyUnicode_FromString(DMF_VERSION_STRING)) == 0 &&
         dmfpy_set(report, "command", PyUnicode_FromString(hierarchical ? "hierarchical" : "palm")) == 0 &&
         dmfpy_set(report, "size", dmfpy_size_list(dims, 2)) == 0 &&
         dmfpy_set(report, "dtype", PyUnicode_FromString(dmf_dtype_name(ta))) == 0 &&
         dmfpy_set(report, "backend", PyUnicode_FromString(dmf_context_backend_name(ctx))) == 0 &&
         dmfpy_set(report, "num_factors", PyLong_FromSize_t(J)) == 0 &&
         dmfpy_set(report, "rel_error", PyFloat_FromDouble(rep.rel_error)) == 0 &&
         dmfpy_set(report, "lambda", PyFloat_FromDouble(rep.lambda)) == 0 &&
         dmfpy_set(report, "iterations", PyLong_FromSize_t(rep.iterations)) == 0 &&
         dmfpy_set(report, "stopped_by", PyUnicode_FromString(stop_name(rep.stopped_by))) == 0 &&
         dmfpy_set(report, "time_s", PyFloat_FromDouble(rep.time_s)) == 0;
    if (ok) result = PyTuple_Pack(2, list, report);
    Py_XDECREF(list);
    Py_XDECREF(report);
done:
    for (size_t j = 0; j < J; j++) {
        if (out) dmf_matrix_free(out[j]);
        if (init) dmf_matrix_free(init[j]);
    }
    free(out);
    free(init);
    free(init_arrays);
    dmf_palm_spec_free(spec);
    dmf_matrix_free(wa);
    return result;
}

PyMethodDef dmfpy_palm_functions[] = {
    {"palm", palm, METH_VARARGS, "palm(A, params_json, hierarchical, init_facts, backend) -> (factors, report)"},
    {NULL, NULL, 0, NULL},
};
