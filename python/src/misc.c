/* dmf._dmf.info: build and run-time facts, as `dmf info` prints them. */
#include "dmfpy.h"

static PyObject *info(PyObject *module, PyObject *unused)
{
    dmf_build_info build;
    dmf_get_build_info(&build);
    dmf_cuda_info cuda;
    Py_BEGIN_ALLOW_THREADS
    dmf_cuda_query(&cuda);
    Py_END_ALLOW_THREADS
    PyObject *d = PyDict_New(), *gpus = PyList_New(0);
    if (!d || !gpus) goto fail;
    for (int i = 0; i < cuda.device_count && i < 8; i++) {
        PyObject *g = Py_BuildValue("{s:s,s:d}", "name", cuda.device_names[i], "memory_gib", cuda.device_memory_gib[i]);
        if (!g || PyList_Append(gpus, g) < 0) {
            Py_XDECREF(g);
            goto fail;
        }
        Py_DECREF(g);
    }
    if (dmfpy_set(d, "version", PyUnicode_FromString(build.version)) < 0 ||
        dmfpy_set(d, "build_type", PyUnicode_FromString(build.build_type)) < 0 ||
        dmfpy_set(d, "compiler", PyUnicode_FromString(build.compiler)) < 0 ||
        dmfpy_set(d, "blas", PyUnicode_FromString(build.blas)) < 0 ||
        dmfpy_set(d, "cuda_compiled", PyBool_FromLong(build.cuda_compiled)) < 0 ||
        dmfpy_set(d, "openmp_threads", PyLong_FromLong(build.openmp_threads)) < 0 ||
        dmfpy_set(d, "cuda_runtime_version", PyLong_FromLong(cuda.runtime_version)) < 0 ||
        dmfpy_set(d, "cuda_driver_version", PyLong_FromLong(cuda.driver_version)) < 0 ||
        dmfpy_set(d, "cuda_message", PyUnicode_FromString(cuda.message)) < 0 ||
        PyDict_SetItemString(d, "gpus", gpus) < 0)
        goto fail;
    Py_DECREF(gpus);
    return d;
fail:
    Py_XDECREF(d);
    Py_XDECREF(gpus);
    return NULL;
}

PyMethodDef dmfpy_misc_functions[] = {
    {"info", info, METH_NOARGS, "Build and run-time facts (dmf info)."},
    {NULL, NULL, 0, NULL},
};
