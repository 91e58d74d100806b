/* The command line's option table, for the package's keyword checks: the
 * Python functions refuse the values the command line refuses, with the
 * same words. */
#include "dmfpy.h"
#include "options.h"

static const char *const kind_names[] = {"value", "flag", "positional"};
/* By value_type: what the Python side may pass as the value. */
static const char *type_name(value_type t)
{
    switch (t) {
    case V_COUNT:
    case V_SEED: return "integer";
    case V_NUMBER:
    case V_GE0:
    case V_GT0:
    case V_UNIT:
    case V_PNORM: return "number";
    case V_LIST: return "integers";
    case V_NONE: return "flag";
    default: return "text";
    }
}

/* command_options(command) -> [{"name", "kind", "type", "choices",
 * "default", "required", "jobs", "help", "takes"}, ...] */
static PyObject *command_options(PyObject *self, PyObject *args)
{
    (void)self;
    const char *name;
    if (!PyArg_ParseTuple(args, "s", &name)) return NULL;
    const cli_command *c = cli_find_command(name);
    if (!c) return PyErr_Format(PyExc_KeyError, "no command '%s'", name);
    PyObject *list = PyList_New(0);
    for (const cli_option *o = c->options; list && o->name; o++) {
        char takes[512];
        PyObject *choices = Py_None;
        Py_INCREF(Py_None);
        if (o->choices) {
            Py_DECREF(Py_None);
            choices = PyList_New(0);
            for (const char *const *v = o->choices; choices && *v; v++) {
                PyObject *s = PyUnicode_FromString(*v);
                if (!s || PyList_Append(choices, s) < 0) Py_CLEAR(choices);
                Py_XDECREF(s);
            }
        }
        PyObject *item = choices ? Py_BuildValue("{s:s,s:s,s:s,s:N,s:z,s:O,s:O,s:s,s:s}", "name", o->name, "kind",
                                                 kind_names[o->kind], "type", type_name(o->type), "choices", choices, "default", o->fallback,
                                                 "required", o->flags & OPT_REQUIRED ? Py_True : Py_False,
                                                 "jobs", o->flags & OPT_NO_JOBS ? Py_False : Py_True, "help",
                                                 o->help, "takes", cli_value_help(o, takes, sizeof takes))
                                 : NULL;
        if (!item || PyList_Append(list, item) < 0) Py_CLEAR(list);
        Py_XDECREF(item);
    }
    return list;
}

/* check_option(command, option, value) -> None when valid, else why (the
 * command line's message after "--OPTION: "). */
static PyObject *check_option(PyObject *self, PyObject *args)
{
    (void)self;
    const char *name, *option, *value;
    if (!PyArg_ParseTuple(args, "sss", &name, &option, &value)) return NULL;
    const cli_command *c = cli_find_command(name);
    if (!c) return PyErr_Format(PyExc_KeyError, "no command '%s'", name);
    const cli_option *o = cli_find_option(c, option);
    if (!o) return PyErr_Format(PyExc_KeyError, "'%s' has no option '%s'", name, option);
    char why[1024];
    if (o->kind == ARG_FLAG || !cli_check_value(o, value, ".", why, sizeof why)) Py_RETURN_NONE;
    return PyUnicode_FromString(why);
}

PyMethodDef dmfpy_options_functions[] = {
    {"command_options", command_options, METH_VARARGS,
     "command_options(command): the options of a dmf command, as the command line declares them"},
    {"check_option", check_option, METH_VARARGS,
     "check_option(command, option, value): None, or why the command line refuses the value"},
    {NULL, NULL, 0, NULL}};
