/* dmf._dmf.liftrank, scatter: identifiability of deep structured linear
 * networks (Malgouyres & Landsberg).  Networks come as JSON text (a Python
 * dict the package serialized) or as the path of a JSON file. */
#include "dmfpy.h"

#include <string.h>

/* Parses (spec, is_path): the file is read by dmf_network_read so that
 * relative mask paths start at its folder. */
static dmf_network *network_of(const char *spec, int is_path)
{
    dmf_network *net = NULL;
    int status;
    Py_BEGIN_ALLOW_THREADS
    status = is_path ? dmf_network_read(spec, &net) : dmf_network_parse(spec, "network", &net);
    Py_END_ALLOW_THREADS
    if (status != DMF_OK) return (dmf_network *)dmfpy_raise(status);
    return net;
}

/* scattered, num_offending, offending: the fields of `dmf scatter`. */
static int scatter_fields(PyObject *d, const dmf_network *net, const dmf_scatter_report *sc)
{
    size_t shown = sc->num_offending < 16 ? sc->num_offending : 16;
    PyObject *list = PyList_New((Py_ssize_t)shown);
    if (!list) return -1;
    for (size_t i = 0; i < shown; i++) {
        PyObject *o = Py_BuildValue("{s:s,s:n,s:L}", "leaf", dmf_network_leaf_name(net, sc->offending[i].leaf),
                                    "position", (Py_ssize_t)sc->offending[i].position, "value",
                                    (long long)sc->offending[i].value);
        if (!o) {
            Py_DECREF(list);
            return -1;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, o);
    }
    if (dmfpy_set(d, "scattered", PyBool_FromLong(sc->scattered)) < 0 ||
        dmfpy_set(d, "num_offending", PyLong_FromSize_t(sc->num_offending)) < 0 ||
        dmfpy_set(d, "offending", list) < 0)
        return -1;
    return 0;
}

/* scatter(spec, is_path) -> {scattered, num_offending, offending}. */
static PyObject *scatter(PyObject *module, PyObject *args)
{
    const char *spec;
    int is_path;
    if (!PyArg_ParseTuple(args, "sp", &spec, &is_path)) return NULL;
    dmf_network *net = network_of(spec, is_path);
    if (!net) return NULL;
    dmf_scatter_report sc;
    int status;
    Py_BEGIN_ALLOW_THREADS
    status = dmf_scatter(net, &sc);
    Py_END_ALLOW_THREADS
    PyObject *d = status == DMF_OK ? PyDict_New() : dmfpy_raise(status);
    if (d && scatter_fields(d, net, &sc) < 0) Py_CLEAR(d);
    dmf_network_free(net);
    return d;
}

/* liftrank(spec, is_path, seed, initial_samples, backend, sigma_min) ->
 * dict of the report's fields, the spectrum as an array, the scattering
 * fields for convolutional networks, and sigma_min / sigma_min_rank (or
 * sigma_min_error, the reason there is none) when asked. */
static PyObject *liftrank(PyObject *module, PyObject *args)
{
    const char *spec, *backend;
    int is_path, want_sigma;
    unsigned long long seed;
    Py_ssize_t samples;
    if (!PyArg_ParseTuple(args, "spKnsp", &spec, &is_path, &seed, &samples, &backend, &want_sigma)) return NULL;
    if (samples < 1) {
        PyErr_Format(dmfpy_input_error, "initial_samples must be >= 1 (got %zd)", samples);
        return NULL;
    }
    dmf_context *ctx = dmfpy_context(backend);
    if (!ctx) return NULL;
    dmf_network *net = network_of(spec, is_path);
    if (!net) return NULL;
    dmf_liftrank_report rep = {0};
    dmf_scatter_report sc;
    double sigma_min = 0;
    size_t sigma_rank = 0;
    int status, have_scatter = 0, sigma_status = DMF_OK;
    char sigma_error[1024] = "";
    Py_BEGIN_ALLOW_THREADS
    status = dmf_liftrank(ctx, net, (uint64_t)seed, (size_t)samples, &rep);
    if (status == DMF_OK) have_scatter = dmf_scatter(net, &sc) == DMF_OK;
    if (status == DMF_OK && want_sigma) {
        /* the CLI's limit on the explicit matrix: 5e7 entries */
        sigma_status = dmf_lift_sigma_min(net, 50000000, &sigma_min, &sigma_rank);
        if (sigma_status != DMF_OK) snprintf(sigma_error, sizeof sigma_error, "%s", dmf_last_error());
    }
    Py_END_ALLOW_THREADS
    PyObject *d = NULL, *spectrum = NULL;
    if (status != DMF_OK) {
        dmfpy_raise(status);
        goto done;
    }
    npy_intp len = (npy_intp)rep.spectrum_length;
    spectrum = PyArray_SimpleNew(1, &len, NPY_FLOAT64);
    if (!spectrum) goto done;
    if (len) memcpy(PyArray_DATA((PyArrayObject *)spectrum), rep.spectrum, (size_t)len * sizeof(double));
    d = PyDict_New();
    if (!d) goto done;
    if (dmfpy_set(d, "K", PyLong_FromSize_t(dmf_network_num_layers(net))) < 0 ||
        dmfpy_set(d, "S", PyLong_FromSize_t(dmf_network_num_params(net))) < 0 ||
        dmfpy_set(d, "backend", PyUnicode_FromString(dmf_context_backend_name(ctx))) < 0 ||
        dmfpy_set(d, "rank", PyLong_FromSize_t(rep.rank)) < 0 ||
        dmfpy_set(d, "rank_eps", PyLong_FromSize_t(rep.rank_eps)) < 0 ||
        dmfpy_set(d, "rank_gap", PyLong_FromSize_t(rep.rank_gap)) < 0 ||
        dmfpy_set(d, "rank_sqrt_eps", PyLong_FromSize_t(rep.rank_sqrt_eps)) < 0 ||
        dmfpy_set(d, "rules_agree", PyBool_FromLong(rep.rules_agree)) < 0 ||
        dmfpy_set(d, "gap", PyFloat_FromDouble(rep.gap)) < 0 ||
        dmfpy_set(d, "samples", PyLong_FromSize_t(rep.samples)) < 0 ||
        dmfpy_set(d, "sample_length", PyLong_FromSize_t(rep.sample_length)) < 0 ||
        dmfpy_set(d, "upper_bound", PyLong_FromSize_t(rep.upper_bound)) < 0 ||
        dmfpy_set(d, "reached_bound", PyBool_FromLong(rep.reached_bound)) < 0 ||
        dmfpy_set(d, "sigma_max", PyFloat_FromDouble(rep.spectrum_length ? rep.spectrum[0] : 0)) < 0 ||
        PyDict_SetItemString(d, "spectrum", spectrum) < 0 ||
        dmfpy_set(d, "time_s", PyFloat_FromDouble(rep.time_s)) < 0 ||
        (have_scatter && scatter_fields(d, net, &sc) < 0))
        goto fail;
    if (want_sigma) {
        if (sigma_status == DMF_OK) {
            if (dmfpy_set(d, "sigma_min", PyFloat_FromDouble(sigma_min)) < 0 ||
                dmfpy_set(d, "sigma_min_rank", PyLong_FromSize_t(sigma_rank)) < 0)
                goto fail;
        } else if (dmfpy_set(d, "sigma_min_error", PyUnicode_FromString(sigma_error)) < 0) {
            goto fail;
        }
    }
    goto done;
fail:
    Py_CLEAR(d);
done:
    Py_XDECREF(spectrum);
    dmf_liftrank_report_free(&rep);
    dmf_network_free(net);
    return d;
}

PyMethodDef dmfpy_lift_functions[] = {
    {"liftrank", liftrank, METH_VARARGS, "liftrank(spec, is_path, seed, initial_samples, backend, sigma_min) -> dict"},
    {"scatter", scatter, METH_VARARGS, "scatter(spec, is_path) -> dict"},
    {NULL, NULL, 0, NULL},
};
