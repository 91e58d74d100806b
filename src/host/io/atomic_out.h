/* Outputs that appear whole or not at all: a file is written under a fresh
 * name beside its target (created with O_EXCL | O_NOFOLLOW, so no symlink
 * planted there is followed), flushed to disk and renamed over the target,
 * which replaces a symlink at the target instead of writing through it.
 * Also the checks the command line makes before a long computation. */
#ifndef DMF_ATOMIC_OUT_H
#define DMF_ATOMIC_OUT_H

#include <stddef.h>
#include <stdio.h>

#define DMF_PATH_MAX 4096

/* Splits `path` into its folder and last name, ignoring trailing slashes:
 * "a/b/" -> "a", "b"; "b" -> ".", "b"; "/b" -> "/", "b".  DMF_ERR_ARG for
 * an empty path, "/", "." or ".." as the last name, or a path too long. */
int dmf_out_split(const char *path, char *dir, size_t dir_size, char *base, size_t base_size);

/* DMF_OK when `dir` is an existing folder this process may create files
 * in; else DMF_ERR_IO with a message naming `what` (the output) and why. */
int dmf_out_check_parent(const char *dir, const char *what);
/* `path` can be written as a file: its folder exists and is writable, and
 * path is not a folder. */
int dmf_out_check_file(const char *path);
/* `dir` can hold output files: it is a writable folder, or it does not
 * exist and its parent is a writable folder. */
int dmf_out_check_dir(const char *dir);

/* dir/.BASE.TAG.PID.N: a name nobody else uses now (BASE cut to 64 bytes);
 * DMF_ERR_ARG when it does not fit in `size`. */
int dmf_out_temp_name(char *buf, size_t size, const char *dir, const char *base, const char *tag);

/* Flushes a folder's entries (a rename inside it) to disk. */
int dmf_out_sync_dir(const char *dir);

typedef struct {
    FILE *f;
    char path[DMF_PATH_MAX];
    char tmp[DMF_PATH_MAX];
    char dir[DMF_PATH_MAX];
} dmf_out_file;

/* Opens a fresh temporary file beside `path` for writing. */
int dmf_out_open(dmf_out_file *o, const char *path);
/* Closes the file: with ok != 0 and no write error it is synced and renamed
 * to the target (DMF_OK); otherwise it is removed and DMF_ERR_IO says why
 * (`saved_errno` is the error of a failed write, 0 when unknown). */
int dmf_out_finish(dmf_out_file *o, int ok, int saved_errno);

#endif
