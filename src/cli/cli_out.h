/* Outputs of the dmf command line, checked before the work starts (a
 * factorization must not run for minutes to then find its folder
 * unwritable) and written whole (io/atomic_out.h). */
#ifndef DMF_CLI_OUT_H
#define DMF_CLI_OUT_H

#include "dmf.h"

/* A matrix file: .npy or .mtx by its extension (else a usage error), in a
 * writable folder.  Prints the error; returns an exit code. */
int cli_check_out_matrix(const char *cmd, const char *path);
/* Any file output (whatever its name says). */
int cli_check_out_file(const char *cmd, const char *path);
/* A folder that will hold files (created if missing). */
int cli_check_out_dir(const char *cmd, const char *dir);
/* A factor folder for dmf_chain_write. */
int cli_check_out_chain(const char *cmd, const char *dir);
/* Writes .mtx (array) or .npy by the extension; a dmf status. */
int cli_write_matrix(const char *path, const dmf_matrix *m);

#endif
