/* Reading a matrix from whichever format its file name says. */
#define _POSIX_C_SOURCE 200809L

#include <string.h>
#include <strings.h>

#include "internal.h"

int dmf_matrix_read(const char *path, dmf_matrix **out)
{
    if (!out) return dmf_fail(DMF_ERR_ARG, "dmf_matrix_read: out is NULL");
    *out = NULL;
    if (!path) return dmf_fail(DMF_ERR_ARG, "dmf_matrix_read: path is NULL");
    /* The extension of the last path component only: "a.npy/b" has none. */
    const char *base = strrchr(path, '/');
    const char *dot = strrchr(base ? base + 1 : path, '.');
    if (dot && strcasecmp(dot, ".npy") == 0) return dmf_npy_read(path, out);
    if (dot && strcasecmp(dot, ".mtx") == 0) return dmf_mtx_read(path, out);
    return dmf_fail(DMF_ERR_ARG, "unknown file type for '%s': expected .npy or .mtx", path);
}
