/* dmf._dmf: module set-up, exceptions, and the array/argument helpers the
 * other files share. */
#define DMFPY_IMPORT_ARRAY
#include "dmfpy.h"

#include <string.h>
#include <time.h>

PyObject *dmfpy_error, *dmfpy_input_error, *dmfpy_file_error, *dmfpy_memory_error, *dmfpy_numerical_error,
    *dmfpy_device_error;

PyObject *dmfpy_raise(int status)
{
    PyObject *type;
    switch (status) {
    case DMF_ERR_ARG:
    case DMF_ERR_SHAPE:
    case DMF_ERR_FORMAT: type = dmfpy_input_error; break;
    case DMF_ERR_IO: type = dmfpy_file_error; break;
    case DMF_ERR_NOMEM: type = dmfpy_memory_error; break;
    case DMF_ERR_NUMERIC: type = dmfpy_numerical_error; break;
    case DMF_ERR_DEVICE:
    case DMF_ERR_NOT_COMPILED: type = dmfpy_device_error; break;
    default: type = dmfpy_error; break;
    }
    const char *detail = dmf_last_error();
    PyErr_SetString(type, detail && *detail ? detail : dmf_status_string(status));
    return NULL;
}

int dmfpy_raise_int(int status)
{
    dmfpy_raise(status);
    return -1;
}

int dmfpy_dtype_of(PyArrayObject *array, dmf_dtype *out)
{
    switch (PyArray_TYPE(array)) {
    case NPY_FLOAT32: *out = DMF_F32; return 0;
    case NPY_FLOAT64: *out = DMF_F64; return 0;
    case NPY_COMPLEX64: *out = DMF_C64; return 0;
    case NPY_COMPLEX128: *out = DMF_C128; return 0;
    default:
        PyErr_Format(PyExc_TypeError, "dtype %S is not one of float32, float64, complex64, complex128",
                     (PyObject *)PyArray_DESCR(array));
        return -1;
    }
}

int dmfpy_npy_type(dmf_dtype dtype)
{
    static const int types[] = {NPY_FLOAT32, NPY_FLOAT64, NPY_COMPLEX64, NPY_COMPLEX128};
    return types[dtype];
}

PyArrayObject *dmfpy_c_array(PyObject *obj, int ndim, const char *what, dmf_dtype *dtype)
{
    if (!PyArray_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "%s must be a NumPy array", what);
        return NULL;
    }
    PyArrayObject *array = (PyArrayObject *)obj;
    if (dmfpy_dtype_of(array, dtype) < 0) return NULL;
    if (PyArray_NDIM(array) != ndim) {
        PyErr_Format(dmfpy_input_error, "%s must have %d dimensions (got %d)", what, ndim, PyArray_NDIM(array));
        return NULL;
    }
    if (!PyArray_IS_C_CONTIGUOUS(array) || !PyArray_ISALIGNED(array) || PyArray_ISBYTESWAPPED(array)) {
        PyErr_Format(PyExc_ValueError, "%s must be C-contiguous, aligned and in native byte order", what);
        return NULL;
    }
    return array;
}

/* A size_t copy of an integer sequence of `count` entries (None: NULL). */
int dmfpy_indices(PyObject *obj, size_t count, const char *what, size_t **out)
{
    *out = NULL;
    if (obj == Py_None) return 0;
    PyArrayObject *arr = (PyArrayObject *)PyArray_FROMANY(obj, NPY_INT64, 1, 1, NPY_ARRAY_CARRAY_RO);
    if (!arr) return -1;
    if ((size_t)PyArray_DIM(arr, 0) != count) {
        PyErr_Format(dmfpy_input_error, "%s: %zd entries, the chain needs %zu", what, (Py_ssize_t)PyArray_DIM(arr, 0), count);
        Py_DECREF(arr);
        return -1;
    }
    const int64_t *v = PyArray_DATA(arr);
    size_t *perm = PyMem_Malloc((count ? count : 1) * sizeof *perm);
    if (!perm) {
        Py_DECREF(arr);
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = 0; i < count; i++) {
        if (v[i] < 0 || (uint64_t)v[i] >= count) {
            PyErr_Format(dmfpy_input_error, "%s: entry %zu (%lld) is not an index below %zu", what, i, (long long)v[i], count);
            PyMem_Free(perm);
            Py_DECREF(arr);
            return -1;
        }
        perm[i] = (size_t)v[i];
    }
    Py_DECREF(arr);
    *out = perm;
    return 0;
}

/* Contexts per backend name: "auto" probes CUDA once per process. */
static dmf_context *contexts[3];

dmf_context *dmfpy_context(const char *backend)
{
    dmf_backend_kind kind;
    int status = dmf_backend_parse(backend, &kind);
    if (status != DMF_OK) return (dmf_context *)dmfpy_raise(status);
    if (!contexts[kind]) {
        dmf_context *ctx;
        status = dmf_context_create(&ctx, backend);
        if (status != DMF_OK) return (dmf_context *)dmfpy_raise(status);
        contexts[kind] = ctx;
    }
    return contexts[kind];
}

int dmfpy_sizes(PyObject *seq, size_t *sizes, size_t capacity, size_t *count, const char *what)
{
    PyObject *fast = PySequence_Fast(seq, "");
    if (!fast) {
        PyErr_Format(PyExc_TypeError, "%s must be a sequence of integers", what);
        return -1;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    if ((size_t)n > capacity) {
        Py_DECREF(fast);
        PyErr_Format(dmfpy_input_error, "%s has %zd entries, at most %zu are allowed", what, n, capacity);
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(fast, i);
        if (!PyIndex_Check(item)) {
            Py_DECREF(fast);
            PyErr_Format(PyExc_TypeError, "%s[%zd] must be an integer", what, i);
            return -1;
        }
        PyObject *index = PyNumber_Index(item);
        long long v = index ? PyLong_AsLongLong(index) : -1;
        Py_XDECREF(index);
        if (v < 0) {
            Py_DECREF(fast);
            if (!PyErr_Occurred()) PyErr_Format(dmfpy_input_error, "%s[%zd] must be >= 0", what, i);
            return -1;
        }
        sizes[i] = (size_t)v;
    }
    Py_DECREF(fast);
    *count = (size_t)n;
    return 0;
}

PyObject *dmfpy_size_list(const size_t *sizes, size_t count)
{
    PyObject *list = PyList_New((Py_ssize_t)count);
    if (!list) return NULL;
    for (size_t i = 0; i < count; i++) {
        PyObject *v = PyLong_FromSize_t(sizes[i]);
        if (!v) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, v);
    }
    return list;
}

PyObject *dmfpy_array_from_matrix(const dmf_matrix *mat)
{
    dmf_dtype dtype = dmf_matrix_dtype(mat);
    npy_intp dims[2] = {(npy_intp)dmf_matrix_rows(mat), (npy_intp)dmf_matrix_cols(mat)};
    PyObject *array = PyArray_SimpleNew(2, dims, dmfpy_npy_type(dtype));
    if (array && dims[0] && dims[1])
        memcpy(PyArray_DATA((PyArrayObject *)array), dmf_matrix_const_data(mat),
               (size_t)dims[0] * (size_t)dims[1] * dmf_dtype_size(dtype));
    return array;
}

double dmfpy_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int dmfpy_set(PyObject *dict, const char *key, PyObject *value)
{
    if (!value) return -1;
    int rc = PyDict_SetItemString(dict, key, value);
    Py_DECREF(value);
    return rc;
}

static int add_functions(PyObject *module, PyMethodDef *defs)
{
    return PyModule_AddFunctions(module, defs);
}

/* Exceptions are also subclasses of the Python exceptions users expect:
 * bad input is a ValueError, a file problem an OSError, and so on. */
static PyObject *new_error(PyObject *module, const char *name, PyObject *builtin, const char *doc)
{
    PyObject *bases = builtin ? PyTuple_Pack(2, dmfpy_error, builtin) : NULL;
    char qualified[96];
    snprintf(qualified, sizeof qualified, "dmf.%s", name);
    PyObject *type = PyErr_NewExceptionWithDoc(qualified, doc, builtin ? bases : PyExc_Exception, NULL);
    Py_XDECREF(bases);
    if (!type) return NULL;
    Py_INCREF(type);
    if (PyModule_AddObject(module, name, type) < 0) {
        Py_DECREF(type);
        return NULL;
    }
    return type;
}

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "dmf._dmf", "C core of dmf (see the dmf package).", -1, NULL,
};

PyMODINIT_FUNC PyInit__dmf(void)
{
    import_array();
    PyObject *module = PyModule_Create(&module_def);
    if (!module) return NULL;
    if (!(dmfpy_error = new_error(module, "DmfError", NULL, "Base class of the errors dmf raises.")) ||
        !(dmfpy_input_error = new_error(module, "InputError", PyExc_ValueError,
                                        "Invalid argument, shape, or file contents.")) ||
        !(dmfpy_file_error = new_error(module, "FileError", PyExc_OSError, "A file could not be read or written.")) ||
        !(dmfpy_memory_error = new_error(module, "OutOfMemoryError", PyExc_MemoryError,
                                         "A host or device allocation failed.")) ||
        !(dmfpy_numerical_error = new_error(module, "NumericalError", PyExc_ArithmeticError,
                                            "Non-finite input, or a solver that did not converge.")) ||
        !(dmfpy_device_error = new_error(module, "DeviceError", PyExc_RuntimeError,
                                         "No usable GPU, a CUDA error, or a backend not compiled in.")))
        goto fail;
    if (PyType_Ready(&dmfpy_chain_type) < 0) goto fail;
    Py_INCREF(&dmfpy_chain_type);
    if (PyModule_AddObject(module, "ChainHandle", (PyObject *)&dmfpy_chain_type) < 0) {
        Py_DECREF(&dmfpy_chain_type);
        goto fail;
    }
    if (add_functions(module, dmfpy_chain_functions) < 0 || add_functions(module, dmfpy_butterfly_functions) < 0 ||
        add_functions(module, dmfpy_misc_functions) < 0 ||
        add_functions(module, dmfpy_fsmf_functions) < 0 ||
        add_functions(module, dmfpy_options_functions) < 0 ||
        add_functions(module, dmfpy_palm_functions) < 0 ||
        add_functions(module, dmfpy_lift_functions) < 0 ||
        add_functions(module, dmfpy_demod_functions) < 0)
        goto fail;
    if (PyModule_AddStringConstant(module, "__version__", DMF_VERSION_STRING) < 0) goto fail;
    return module;
fail:
    Py_DECREF(module);
    return NULL;
}
