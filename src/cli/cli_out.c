/* Output checks made before the work, and matrix files by extension. */
#include <string.h>

#include "cli.h"
#include "cli_out.h"
#include "io/atomic_out.h"

static int has_suffix(const char *path, const char *suffix)
{
    size_t n = strlen(path), k = strlen(suffix);
    return n > k && !strcmp(path + n - k, suffix);
}

int cli_check_out_matrix(const char *cmd, const char *path)
{
    if (!has_suffix(path, ".npy") && !has_suffix(path, ".mtx"))
        return cli_usage_error(cmd, "--out '%s': the file name must end in .npy or .mtx (the format written)",
                               path);
    int status = dmf_out_check_file(path);
    return status == DMF_OK ? EXIT_OK : cli_fail(cmd, status);
}

int cli_check_out_file(const char *cmd, const char *path)
{
    int status = dmf_out_check_file(path);
    return status == DMF_OK ? EXIT_OK : cli_fail(cmd, status);
}

int cli_check_out_dir(const char *cmd, const char *dir)
{
    int status = dmf_out_check_dir(dir);
    return status == DMF_OK ? EXIT_OK : cli_fail(cmd, status);
}

int cli_check_out_chain(const char *cmd, const char *dir)
{
    int status = dmf_chain_write_check(dir);
    return status == DMF_OK ? EXIT_OK : cli_fail(cmd, status);
}

int cli_write_matrix(const char *path, const dmf_matrix *m)
{
    return has_suffix(path, ".mtx") ? dmf_mtx_write_array(path, m) : dmf_npy_write(path, m);
}
