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

/* One verdict of the "verdicts" list, as the command line prints it. */
static PyObject *verdict_item(const char *theorem, int holds, const char *says, const char *notion,
                              const char *conditions)
{
    return Py_BuildValue("{s:s,s:N,s:s,s:s,s:s}", "theorem", theorem, "holds", PyBool_FromLong(holds), "says", says,
                         "notion", notion, "conditions", conditions);
}

/* The verdict fields of src/cli/cmd_lift.c from dmf_lift_verdict_get. */
static int verdict_fields(PyObject *d, const dmf_network *net, size_t rank, const dmf_scatter_report *sc)
{
    dmf_lift_verdict v;
    int status = dmf_lift_verdict_get(net, rank, &v);
    if (status != DMF_OK) {
        dmfpy_raise(status);
        return -1;
    }
    PyObject *list = PyList_New(0);
    if (!list) return -1;
    PyObject *items[3] = {
        verdict_item("Thm 6.4", v.identifiable_thm_6_4, "identifiable for almost every A when rk A >= dim Sigma_2",
                     v.notion, v.conditions_thm_6_4),
        verdict_item("Thm 6.5", v.not_identifiable_thm_6_5, "not identifiable when 2S > rk A", v.notion,
                     v.conditions_thm_6_5),
        sc && v.has_thm_8_4 ? verdict_item("Thm 8.4", sc->scattered,
                                           sc->scattered ? "sufficiently scattered: stable recovery of the path classes"
                                                         : "not sufficiently scattered: not identifiable",
                                           v.notion_thm_8_4, v.conditions_thm_8_4)
                            : NULL};
    int bad = !items[0] || !items[1] || (sc && v.has_thm_8_4 && !items[2]);
    for (int i = 0; i < 3; i++) {
        if (items[i] && !bad && PyList_Append(list, items[i]) < 0) bad = 1;
        Py_XDECREF(items[i]);
    }
    if (bad) {
        Py_DECREF(list);
        return -1;
    }
    if (dmfpy_set(d, "upper_bound_rule", PyUnicode_FromString(v.upper_bound_rule)) < 0 ||
        dmfpy_set(d, "threshold_thm_6_4", PyLong_FromSize_t(v.dim_sigma2)) < 0 ||
        dmfpy_set(d, "threshold_thm_6_4_rule", PyUnicode_FromString(v.dim_sigma2_rule)) < 0 ||
        dmfpy_set(d, "identifiable_thm_6_4", PyBool_FromLong(v.identifiable_thm_6_4)) < 0 ||
        dmfpy_set(d, "threshold_thm_6_5", PyLong_FromSize_t(v.twice_s)) < 0 ||
        dmfpy_set(d, "not_identifiable_thm_6_5", PyBool_FromLong(v.not_identifiable_thm_6_5)) < 0 ||
        dmfpy_set(d, "verdict", PyUnicode_FromString(v.verdict)) < 0 ||
        dmfpy_set(d, "identifiability_notion", PyUnicode_FromString(v.notion)) < 0 ||
        dmfpy_set(d, "verdicts", list) < 0)
        return -1;
    if (v.has_thm_8_4 && (dmfpy_set(d, "notion_thm_8_4", PyUnicode_FromString(v.notion_thm_8_4)) < 0 ||
                          dmfpy_set(d, "conditions_thm_8_4", PyUnicode_FromString(v.conditions_thm_8_4)) < 0))
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
    dmf_lift_verdict v;
    if (d && (scatter_fields(d, net, &sc) < 0 || dmf_lift_verdict_get(net, 0, &v) != DMF_OK ||
              dmfpy_set(d, "notion_thm_8_4", PyUnicode_FromString(v.notion_thm_8_4)) < 0 ||
              dmfpy_set(d, "conditions_thm_8_4", PyUnicode_FromString(v.conditions_thm_8_4)) < 0))
        Py_CLEAR(d);
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
        (have_scatter && scatter_fields(d, net, &sc) < 0) ||
        verdict_fields(d, net, rep.rank, have_scatter ? &sc : NULL) < 0)
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
