/* Shared declarations of the dmf extension module (dmf._dmf): a thin layer
 * over include/dmf.h.  Arrays cross without copies, the GIL is released
 * around every computation, statuses become exceptions. */
#ifndef DMFPY_H
#define DMFPY_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#define PY_ARRAY_UNIQUE_SYMBOL dmfpy_ARRAY_API
#ifndef DMFPY_IMPORT_ARRAY
#define NO_IMPORT_ARRAY
#endif
#include <numpy/arrayobject.h>

#include "dmf.h"

/* Raises the exception for a dmf status with dmf_last_error()'s message;
 * returns NULL so callers can `return dmfpy_raise(status);`. */
PyObject *dmfpy_raise(int status);
/* The same, for functions returning int: -1. */
int dmfpy_raise_int(int status);

/* dtype of an array, TypeError for any other. */
int dmfpy_dtype_of(PyArrayObject *array, dmf_dtype *out);
int dmfpy_npy_type(dmf_dtype dtype);
/* A C-contiguous, aligned array of a dmf dtype, or TypeError/ValueError;
 * `what` names the argument in the message. */
PyArrayObject *dmfpy_c_array(PyObject *obj, int ndim, const char *what, dmf_dtype *dtype);

/* A context on "auto", "cpu" or "cuda", created once per process and shared
 * (contexts are immutable). */
dmf_context *dmfpy_context(const char *backend);

/* A sequence of non-negative integers into sizes[capacity]. */
int dmfpy_sizes(PyObject *seq, size_t *sizes, size_t capacity, size_t *count, const char *what);
/* `count` indices in [0, count) from an integer sequence into *out
 * (PyMem_Malloc; NULL for None); -1 with the error set. */
int dmfpy_indices(PyObject *obj, size_t count, const char *what, size_t **out);
PyObject *dmfpy_size_list(const size_t *sizes, size_t count);
/* A new NumPy array holding a copy of a library-owned matrix. */
PyObject *dmfpy_array_from_matrix(const dmf_matrix *mat);
/* Monotonic seconds, for the times the reports carry. */
double dmfpy_now(void);
/* Sets key to value in dict and drops the reference; 0 or -1. */
int dmfpy_set(PyObject *dict, const char *key, PyObject *value);

/* The chain handle type: owns a dmf_chain. */
typedef struct {
    PyObject_HEAD
    dmf_chain *chain;
} dmfpy_chain;
extern PyTypeObject dmfpy_chain_type;
PyObject *dmfpy_chain_new(dmf_chain *chain); /* takes ownership */

/* Method tables of the parts of the module. */
extern PyMethodDef dmfpy_chain_functions[];
extern PyMethodDef dmfpy_butterfly_functions[];
extern PyMethodDef dmfpy_misc_functions[];
extern PyMethodDef dmfpy_fsmf_functions[];
extern PyMethodDef dmfpy_options_functions[];
extern PyMethodDef dmfpy_palm_functions[];
extern PyMethodDef dmfpy_lift_functions[];
extern PyMethodDef dmfpy_demod_functions[];

/* Exception classes, created at import. */
extern PyObject *dmfpy_error, *dmfpy_input_error, *dmfpy_file_error, *dmfpy_memory_error,
    *dmfpy_numerical_error, *dmfpy_device_error;

#endif
