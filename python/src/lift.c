/* dmf._dmf.liftrank, scatter: identifiability of deep structured linear
 * networks (Malgouyres & Landsberg).  Networks come as JSON text (a Python
 * dict the package serialized) or as the path of a JSON file. */
#include "dmfpy.h"

#include <math.h>
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

/* scattered, num_offending, offending and the verdict: the fields of `dmf
 * scatter` (src/cli/cmd_lift.c). */
static int scatter_fields(PyObject *d, const dmf_network *net, const dmf_scatter_report *sc)
{
    size_t shown = sc->num_offending < 16 ? sc->num_offending : 16;
    PyObject *list = PyList_New((Py_ssize_t)shown);
    if (!list) return -1;
    for (size_t i = 0; i < shown; i++) {
        Py_ssize_t position = (Py_ssize_t)sc->offending[i].position, leaf = (Py_ssize_t)sc->offending[i].leaf;
        long long value = sc->offending[i].value;
        PyObject *o = sc->convolutional ? Py_BuildValue("{s:s,s:n,s:L}", "leaf", dmf_network_leaf_name(net, (size_t)leaf),
                                                        "position", position, "value", value)
                                        : Py_BuildValue("{s:n,s:n,s:L}", "row", position, "column", leaf, "value", value);
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
    if (!sc->convolutional) return dmfpy_set(d, "verdict_scatter", PyUnicode_FromString(dmf_scatter_verdict(sc)));
    dmf_lift_verdict v;
    if (dmfpy_set(d, "verdict_thm_8_4", PyUnicode_FromString(dmf_scatter_verdict(sc))) < 0 ||
        dmf_lift_verdict_get(net, 0, &v) != DMF_OK ||
        dmfpy_set(d, "notion_thm_8_4", PyUnicode_FromString(v.notion_thm_8_4)) < 0 ||
        dmfpy_set(d, "conditions_thm_8_4", PyUnicode_FromString(v.conditions_thm_8_4)) < 0)
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
        dmfpy_set(d, "params_rescaled", PyBool_FromLong(rep.params_rescaled)) < 0 ||
        dmfpy_set(d, "coef_spread_log2", PyLong_FromLong(rep.residual_spread_log2)) < 0 ||
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

/* synth_network(spec, is_path, seed, noise, kernels) -> (X or its leaf
 * kernels, H, noise_norm). */
static PyObject *synth_network(PyObject *module, PyObject *args)
{
    const char *spec;
    int is_path, kernels = 0;
    unsigned long long seed;
    double noise;
    if (!PyArg_ParseTuple(args, "spKd|p", &spec, &is_path, &seed, &noise, &kernels)) return NULL;
    dmf_network *net = network_of(spec, is_path);
    if (!net) return NULL;
    npy_intp dims[2] = {(npy_intp)dmf_network_num_layers(net), (npy_intp)dmf_network_num_params(net)};
    PyObject *h = PyArray_ZEROS(2, dims, NPY_FLOAT64, 0), *result = NULL;
    dmf_matrix *x = NULL;
    double noise_norm = 0;
    int status = DMF_OK;
    if (h) {
        double *hd = PyArray_DATA((PyArrayObject *)h);
        Py_BEGIN_ALLOW_THREADS
        status = kernels ? dmf_network_synth_kernels(net, (uint64_t)seed, noise, hd, &x, &noise_norm)
                         : dmf_network_synth(net, (uint64_t)seed, noise, hd, &x, &noise_norm);
        Py_END_ALLOW_THREADS
        if (status != DMF_OK) {
            dmfpy_raise(status);
        } else {
            PyObject *xa = dmfpy_array_from_matrix(x);
            if (xa) result = Py_BuildValue("(NOd)", xa, h, noise_norm);
        }
    }
    Py_XDECREF(h);
    dmf_matrix_free(x);
    dmf_network_free(net);
    return result;
}

/* param_distance(spec, is_path, h, g, p) -> (d_p, delta_p or None). */
static PyObject *param_distance(PyObject *module, PyObject *args)
{
    const char *spec;
    int is_path;
    PyObject *ho, *go;
    double p;
    if (!PyArg_ParseTuple(args, "spOOd", &spec, &is_path, &ho, &go, &p)) return NULL;
    dmf_dtype th, tg;
    PyArrayObject *ha = dmfpy_c_array(ho, 2, "h", &th), *ga = ha ? dmfpy_c_array(go, 2, "g", &tg) : NULL;
    if (!ha || !ga) return NULL;
    dmf_network *net = network_of(spec, is_path);
    if (!net) return NULL;
    PyObject *result = NULL;
    npy_intp K = (npy_intp)dmf_network_num_layers(net), S = (npy_intp)dmf_network_num_params(net);
    if (th != DMF_F64 || tg != DMF_F64 || PyArray_DIM(ha, 0) != K || PyArray_DIM(ha, 1) != S ||
        PyArray_DIM(ga, 0) != K || PyArray_DIM(ga, 1) != S) {
        PyErr_Format(dmfpy_input_error, "h and g must be float64 arrays of shape (K, S) = (%zd, %zd)", (Py_ssize_t)K,
                     (Py_ssize_t)S);
    } else {
        double d, delta;
        int status = dmf_param_distance(net, PyArray_DATA(ha), PyArray_DATA(ga), p, &d, &delta);
        if (status != DMF_OK) dmfpy_raise(status);
        else if (isnan(delta)) result = Py_BuildValue("(dO)", d, Py_None);
        else result = Py_BuildValue("(dd)", d, delta);
    }
    dmf_network_free(net);
    return result;
}

/* One evaluated stability bound as a dict (the CLI's "bounds" entries). */
static PyObject *bound_dict(const dmf_stability_bound *b, const char *metric, double measured)
{
    PyObject *d = Py_BuildValue("{s:s,s:N,s:s}", "theorem", b->theorem, "holds", PyBool_FromLong(b->holds), "metric",
                                metric);
    if (!d) return NULL;
    if ((!b->holds && dmfpy_set(d, "why_not", PyUnicode_FromString(b->why_not)) < 0) ||
        (b->holds && dmfpy_set(d, "bound", PyFloat_FromDouble(b->bound)) < 0) ||
        (isfinite(measured) && dmfpy_set(d, "measured", PyFloat_FromDouble(measured)) < 0) ||
        (isfinite(b->error_limit) && dmfpy_set(d, "error_limit", PyFloat_FromDouble(b->error_limit)) < 0) ||
        (isfinite(b->epsilon) && dmfpy_set(d, "epsilon", PyFloat_FromDouble(b->epsilon)) < 0) ||
        (isfinite(b->sigma_min) && dmfpy_set(d, "sigma_min", PyFloat_FromDouble(b->sigma_min)) < 0) ||
        (isfinite(b->gamma) && dmfpy_set(d, "gamma", PyFloat_FromDouble(b->gamma)) < 0) ||
        (isinf(b->gamma) && dmfpy_set(d, "gamma", PyUnicode_FromString("inf")) < 0) ||
        (b->gamma_estimated && dmfpy_set(d, "gamma_estimated", PyBool_FromLong(1)) < 0) ||
        (isfinite(b->tensor_distance) && dmfpy_set(d, "tensor_distance", PyFloat_FromDouble(b->tensor_distance)) < 0))
        Py_CLEAR(d);
    return d;
}

/* A float, or "inf" as the command line writes an infinite one. */
static PyObject *num_or_inf(double v)
{
    return isinf(v) ? PyUnicode_FromString("inf") : PyFloat_FromDouble(v);
}

/* The deep-NSP report as a dict (the CLI's "deep_nsp" object, same keys). */
static PyObject *deep_nsp_dict(const dmf_deep_nsp_report *r)
{
    PyObject *d = Py_BuildValue("{s:N,s:N}", "computed", PyBool_FromLong(r->computed), "holds",
                                PyBool_FromLong(r->holds));
    if (!d) return NULL;
    if ((isfinite(r->gamma) && dmfpy_set(d, "gamma", PyFloat_FromDouble(r->gamma)) < 0) ||
        (isinf(r->gamma) && dmfpy_set(d, "gamma", PyUnicode_FromString("inf")) < 0) ||
        dmfpy_set(d, "estimated", PyBool_FromLong(r->estimated)) < 0 ||
        (r->method && dmfpy_set(d, "method", PyUnicode_FromString(r->method)) < 0) ||
        (r->why_not && dmfpy_set(d, "why_not", PyUnicode_FromString(r->why_not)) < 0) ||
        dmfpy_set(d, "columns", PyLong_FromSize_t(r->columns)) < 0 ||
        ((r->rank || r->kernel_dim) && (dmfpy_set(d, "rank", PyLong_FromSize_t(r->rank)) < 0 ||
                                        dmfpy_set(d, "kernel_dim", PyLong_FromSize_t(r->kernel_dim)) < 0)) ||
        (r->estimated && (dmfpy_set(d, "distance", PyFloat_FromDouble(r->distance)) < 0 ||
                          dmfpy_set(d, "tolerance", PyFloat_FromDouble(r->tolerance)) < 0 ||
                          dmfpy_set(d, "starts", PyLong_FromSize_t(r->starts)) < 0 ||
                          dmfpy_set(d, "converged", PyLong_FromSize_t(r->converged)) < 0 ||
                          dmfpy_set(d, "at_best", PyLong_FromSize_t(r->at_best)) < 0 ||
                          dmfpy_set(d, "gamma_median", num_or_inf(r->gamma_median)) < 0 ||
                          dmfpy_set(d, "gamma_worst", num_or_inf(r->gamma_worst)) < 0)) ||
        dmfpy_set(d, "time_s", PyFloat_FromDouble(r->time_s)) < 0)
        Py_CLEAR(d);
    return d;
}

/* recover(spec, is_path, X, truth or None, restarts, seed, max_iterations,
 * tol, p, method, solver, kernels) -> dict: the report of dmf_recover (of
 * dmf_recover_kernels when `kernels`: X is then the leaves' kernels), the
 * estimate (K, S) and every start's (R, K, S), and with the truth d_p,
 * delta_p, data_error and the bounds of Thm 8.4 / Thm 7.2 (as `dmf
 * recover`). */
/* The command line's "lifting" object. */
static PyObject *lifting_dict(const dmf_lifting_report *l)
{
    return Py_BuildValue("{s:[n,n],s:n,s:O,s:d,s:d,s:n,s:d,s:d}", "operator", (Py_ssize_t)l->sample_length,
                         (Py_ssize_t)l->columns, "rank", (Py_ssize_t)l->rank, "injective",
                         l->rank == l->columns ? Py_True : Py_False, "sigma_max", l->sigma_max, "ls_rel_residual",
                         l->ls_rel_residual, "projected_gradient_steps", (Py_ssize_t)l->iterations, "rel_residual",
                         l->rel_residual, "time_s", l->time_s);
}

static PyObject *recover(PyObject *module, PyObject *args)
{
    const char *spec;
    int is_path;
    PyObject *xo, *to;
    Py_ssize_t restarts, max_iterations;
    unsigned long long seed;
    double tol, p;
    int method, solver = DMF_RECOVER_SOLVER_AUTO, kernels = 0;
    const char *backend = "cpu";
    if (!PyArg_ParseTuple(args, "spOOnKnddi|ips", &spec, &is_path, &xo, &to, &restarts, &seed, &max_iterations, &tol,
                          &p, &method, &solver, &kernels, &backend))
        return NULL;
    dmf_context *ctx = dmfpy_context(backend);
    if (!ctx) return NULL;
    dmf_dtype tx, tt = DMF_F64;
    PyArrayObject *xa = dmfpy_c_array(xo, 2, "X", &tx), *ta = NULL;
    if (!xa) return NULL;
    if (to != Py_None && !(ta = dmfpy_c_array(to, 2, "truth", &tt))) return NULL;
    if (tx != DMF_F64 || tt != DMF_F64) {
        PyErr_SetString(dmfpy_input_error, "X and truth must be float64");
        return NULL;
    }
    dmf_network *net = network_of(spec, is_path);
    if (!net) return NULL;
    const size_t K = dmf_network_num_layers(net), S = dmf_network_num_params(net);
    if (ta && ((size_t)PyArray_DIM(ta, 0) != K || (size_t)PyArray_DIM(ta, 1) != S)) {
        PyErr_Format(dmfpy_input_error, "truth is (%zd, %zd); this network's parameters are (K, S) = (%zu, %zu)",
                     (Py_ssize_t)PyArray_DIM(ta, 0), (Py_ssize_t)PyArray_DIM(ta, 1), K, S);
        dmf_network_free(net);
        return NULL;
    }
    dmf_matrix *x = NULL;
    dmf_recover_report rep;
    dmf_stability_bound b84, b72, b43;
    dmf_deep_nsp_report nsp;
    double d_p = NAN, delta_p = NAN, delta = NAN;
    const double *th = ta ? PyArray_DATA(ta) : NULL;
    int status = dmf_matrix_wrap(&x, DMF_F64, (size_t)PyArray_DIM(xa, 0), (size_t)PyArray_DIM(xa, 1), PyArray_DATA(xa));
    int have_rep = 0;
    Py_BEGIN_ALLOW_THREADS
    dmf_recover_options opt = {.restarts = (size_t)restarts, .max_iterations = (size_t)max_iterations, .tol = tol,
                               .seed = (uint64_t)seed, .method = method, .solver = solver, .ctx = ctx};
    if (status == DMF_OK) status = kernels ? dmf_recover_kernels(net, x, &opt, &rep) : dmf_recover(net, x, &opt, &rep);
    have_rep = status == DMF_OK;
    if (status == DMF_OK && th && dmf_param_distance(net, rep.h, th, p, &d_p, &delta_p) != DMF_OK) d_p = delta_p = NAN;
    if (status == DMF_OK && th)
        status = kernels ? dmf_network_residual_kernels(net, x, th, &delta) : dmf_network_residual(net, x, th, &delta);
    if (status == DMF_OK && th) status = dmf_stability_thm_8_4(net, th, delta, rep.residual, p, &b84);
    dmf_deep_nsp_options nsp_opt = {.max_entries = 2000000}; /* as dmf recover */
    if (status == DMF_OK && th) status = dmf_deep_nsp(net, &nsp_opt, &nsp);
    if (status == DMF_OK && th)
        status = dmf_stability_thm_7_2_nsp(net, th, rep.h, delta, rep.residual, p, 2000000, &nsp, &b72);
    if (status == DMF_OK && th) status = dmf_stability_thm_4_3(net, th, rep.h, p, 20000000, &b43);
    Py_END_ALLOW_THREADS
    PyObject *d = NULL;
    if (status != DMF_OK) {
        dmfpy_raise(status);
        goto done;
    }
    npy_intp hd[2] = {(npy_intp)K, (npy_intp)S}, sd[3] = {(npy_intp)rep.restarts, (npy_intp)K, (npy_intp)S},
             rd[1] = {(npy_intp)rep.restarts};
    PyObject *h = PyArray_SimpleNew(2, hd, NPY_FLOAT64), *hs = PyArray_SimpleNew(3, sd, NPY_FLOAT64);
    PyObject *res = PyArray_SimpleNew(1, rd, NPY_FLOAT64), *its = PyList_New((Py_ssize_t)rep.restarts);
    if (!h || !hs || !res || !its) {
        Py_XDECREF(h), Py_XDECREF(hs), Py_XDECREF(res), Py_XDECREF(its);
        goto done;
    }
    memcpy(PyArray_DATA((PyArrayObject *)h), rep.h, K * S * sizeof(double));
    memcpy(PyArray_DATA((PyArrayObject *)hs), rep.start_h, rep.restarts * K * S * sizeof(double));
    memcpy(PyArray_DATA((PyArrayObject *)res), rep.start_residual, rep.restarts * sizeof(double));
    for (size_t s = 0; s < rep.restarts; s++) PyList_SET_ITEM(its, (Py_ssize_t)s, PyLong_FromSize_t(rep.start_iterations[s]));
    d = PyDict_New();
    if (!d || dmfpy_set(d, "h", h) < 0 || dmfpy_set(d, "start_h", hs) < 0 || dmfpy_set(d, "start_residual", res) < 0 ||
        dmfpy_set(d, "start_iterations", its) < 0 ||
        dmfpy_set(d, "best_start", PyLong_FromSize_t(rep.best)) < 0 ||
        dmfpy_set(d, "iterations", PyLong_FromSize_t(rep.iterations)) < 0 ||
        dmfpy_set(d, "total_iterations", PyLong_FromSize_t(rep.total_iterations)) < 0 ||
        dmfpy_set(d, "restarts", PyLong_FromSize_t(rep.restarts)) < 0 ||
        dmfpy_set(d, "residual", PyFloat_FromDouble(rep.residual)) < 0 ||
        dmfpy_set(d, "rel_residual", PyFloat_FromDouble(rep.rel_residual)) < 0 ||
        dmfpy_set(d, "backend", PyUnicode_FromString(dmf_context_backend_name(ctx))) < 0 ||
        dmfpy_set(d, "time_s", PyFloat_FromDouble(rep.time_s)) < 0 ||
        dmfpy_set(d, "solver", PyUnicode_FromString(rep.solver == DMF_RECOVER_SOLVER_EDGES ? "edges" : "layers")) < 0 ||
        (rep.lifting.used && dmfpy_set(d, "lifting", lifting_dict(&rep.lifting)) < 0)) {
        if (!d) Py_XDECREF(h), Py_XDECREF(hs), Py_XDECREF(res), Py_XDECREF(its);
        Py_CLEAR(d);
        goto done;
    }
    if (th) {
        int conv = !strcmp(dmf_network_type(net), "conv");
        PyObject *bounds = PyList_New(0), *item;
        int bad = !bounds;
        if (!bad && conv) {
            item = bound_dict(&b84, "delta_p", delta_p);
            bad = !item || PyList_Append(bounds, item) < 0;
            Py_XDECREF(item);
        }
        if (!bad) {
            item = bound_dict(&b72, "d_p", d_p);
            bad = !item || PyList_Append(bounds, item) < 0;
            Py_XDECREF(item);
        }
        if (!bad) {
            item = bound_dict(&b43, "d_p", d_p);
            bad = !item || PyList_Append(bounds, item) < 0;
            Py_XDECREF(item);
        }
        if (bad || dmfpy_set(d, "d_p", PyFloat_FromDouble(d_p)) < 0 ||
            (!isnan(delta_p) && dmfpy_set(d, "delta_p", PyFloat_FromDouble(delta_p)) < 0) ||
            dmfpy_set(d, "data_error", PyFloat_FromDouble(delta)) < 0 || dmfpy_set(d, "bounds", bounds) < 0 ||
            dmfpy_set(d, "deep_nsp", deep_nsp_dict(&nsp)) < 0) {
            if (bad) Py_XDECREF(bounds);
            Py_CLEAR(d);
        }
    }
done:
    if (have_rep) dmf_recover_report_free(&rep);
    dmf_matrix_free(x);
    dmf_network_free(net);
    return d;
}

PyMethodDef dmfpy_lift_functions[] = {
    {"synth_network", synth_network, METH_VARARGS,
     "synth_network(spec, is_path, seed, noise, kernels=False) -> (X or kernels, H, noise_norm)"},
    {"recover", recover, METH_VARARGS,
     "recover(spec, is_path, X, truth, restarts, seed, max_iterations, tol, p, method, solver=0, kernels=False) -> dict"},
    {"param_distance", param_distance, METH_VARARGS, "param_distance(spec, is_path, h, g, p) -> (d_p, delta_p)"},
    {"liftrank", liftrank, METH_VARARGS, "liftrank(spec, is_path, seed, initial_samples, backend, sigma_min) -> dict"},
    {"scatter", scatter, METH_VARARGS, "scatter(spec, is_path) -> dict"},
    {NULL, NULL, 0, NULL},
};
