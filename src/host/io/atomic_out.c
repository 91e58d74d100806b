/* Temporary files renamed into place, and the checks of output paths. */
#include "io/atomic_out.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#ifndef O_CLOEXEC
#define O_CLOEXEC 0
#endif
#ifndef O_NOFOLLOW
#define O_NOFOLLOW 0
#endif

int dmf_out_split(const char *path, char *dir, size_t dir_size, char *base, size_t base_size)
{
    if (!path || !path[0]) return dmf_fail(DMF_ERR_ARG, "the output path is empty");
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/') len--;
    size_t start = len;
    while (start > 0 && path[start - 1] != '/') start--;
    size_t base_len = len - start;
    if (base_len == 0 || (base_len == 1 && path[start] == '.') ||
        (base_len == 2 && path[start] == '.' && path[start + 1] == '.'))
        return dmf_fail(DMF_ERR_ARG, "'%s' does not end in a file or folder name", path);
    /* The folder: everything before the last name, without its slashes. */
    size_t dir_len = start;
    while (dir_len > 1 && path[dir_len - 1] == '/') dir_len--;
    const char *d = dir_len ? path : ".";
    if (!dir_len) dir_len = 1;
    if (dir_len >= dir_size || base_len >= base_size)
        return dmf_fail(DMF_ERR_ARG, "the output path '%s' is too long", path);
    memcpy(dir, d, dir_len);
    dir[dir_len] = '\0';
    memcpy(base, path + start, base_len);
    base[base_len] = '\0';
    return DMF_OK;
}

int dmf_out_check_parent(const char *dir, const char *what)
{
    struct stat st;
    if (stat(dir, &st) != 0)
        return dmf_fail(DMF_ERR_IO, "cannot write '%s': folder '%s' %s", what, dir,
                        errno == ENOENT ? "does not exist" : strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return dmf_fail(DMF_ERR_IO, "cannot write '%s': '%s' is not a folder", what, dir);
    if (access(dir, W_OK | X_OK) != 0)
        return dmf_fail(DMF_ERR_IO, "cannot write '%s': folder '%s' is not writable (%s)", what, dir,
                        strerror(errno));
    return DMF_OK;
}

int dmf_out_check_file(const char *path)
{
    char dir[DMF_PATH_MAX], base[DMF_PATH_MAX];
    DMF_TRY(dmf_out_split(path, dir, sizeof dir, base, sizeof base));
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return dmf_fail(DMF_ERR_IO, "cannot write '%s': it is a folder", path);
    return dmf_out_check_parent(dir, path);
}

int dmf_out_check_dir(const char *path)
{
    char dir[DMF_PATH_MAX], base[DMF_PATH_MAX];
    DMF_TRY(dmf_out_split(path, dir, sizeof dir, base, sizeof base));
    struct stat st;
    if (stat(path, &st) != 0) return dmf_out_check_parent(dir, path);
    if (!S_ISDIR(st.st_mode)) return dmf_fail(DMF_ERR_IO, "'%s' exists and is not a folder", path);
    if (access(path, W_OK | X_OK) != 0)
        return dmf_fail(DMF_ERR_IO, "cannot write into '%s': %s", path, strerror(errno));
    return DMF_OK;
}

int dmf_out_temp_name(char *buf, size_t size, const char *dir, const char *base, const char *tag)
{
    /* Unique within the process by the counter, between processes by the
     * pid; callers create the name with O_EXCL or mkdir and retry on EEXIST
     * (a pid reused after a crash). */
    static atomic_ulong counter;
    unsigned long n = atomic_fetch_add(&counter, 1);
    int len = snprintf(buf, size, "%s/.%.64s.%s.%ld.%lu", dir, base, tag, (long)getpid(), n);
    if (len < 0 || (size_t)len >= size)
        return dmf_fail(DMF_ERR_ARG, "the output path '%s/%s' is too long", dir, base);
    return DMF_OK;
}

int dmf_out_sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return dmf_fail(DMF_ERR_IO, "cannot open folder '%s': %s", dir, strerror(errno));
    /* Some file systems cannot sync a folder (EINVAL): nothing to flush. */
    int failed = fsync(fd) != 0 && errno != EINVAL && errno != EROFS;
    int saved = errno;
    close(fd);
    if (failed) return dmf_fail(DMF_ERR_IO, "cannot sync folder '%s': %s", dir, strerror(saved));
    return DMF_OK;
}

int dmf_out_open(dmf_out_file *o, const char *path)
{
    o->f = NULL;
    o->tmp[0] = '\0';
    if (!path) return dmf_fail(DMF_ERR_ARG, "the output path is NULL");
    if (strlen(path) >= sizeof o->path) return dmf_fail(DMF_ERR_ARG, "the output path '%s' is too long", path);
    strcpy(o->path, path);
    char base[DMF_PATH_MAX];
    DMF_TRY(dmf_out_split(path, o->dir, sizeof o->dir, base, sizeof base));
    int fd = -1;
    for (int attempt = 0; attempt < 100 && fd < 0; attempt++) {
        DMF_TRY(dmf_out_temp_name(o->tmp, sizeof o->tmp, o->dir, base, "tmp"));
        fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST) break;
    }
    if (fd < 0) {
        int saved = errno;
        o->tmp[0] = '\0';
        if ((saved == ENOENT || saved == ENOTDIR) && dmf_out_check_parent(o->dir, path) != DMF_OK)
            return DMF_ERR_IO;
        return dmf_fail(DMF_ERR_IO, "cannot open '%s' for writing: cannot create a file in '%s': %s", path,
                        o->dir, strerror(saved));
    }
    o->f = fdopen(fd, "wb");
    if (!o->f) {
        int saved = errno;
        close(fd);
        unlink(o->tmp);
        return dmf_fail(DMF_ERR_IO, "cannot open '%s' for writing: %s", path, strerror(saved));
    }
    setvbuf(o->f, NULL, _IOFBF, 1 << 16);
    return DMF_OK;
}

int dmf_out_finish(dmf_out_file *o, int ok, int saved_errno)
{
    if (!o->f) return dmf_fail(DMF_ERR_IO, "cannot write '%s': not open", o->path);
    int saved = saved_errno;
    if (ok && ferror(o->f)) ok = 0;
    if (ok && fflush(o->f) != 0) ok = 0, saved = errno;
    if (ok && fsync(fileno(o->f)) != 0 && errno != EINVAL) ok = 0, saved = errno;
    if (fclose(o->f) != 0 && ok) ok = 0, saved = errno;
    o->f = NULL;
    if (ok && rename(o->tmp, o->path) != 0) {
        saved = errno;
        ok = 0;
        if (saved == EISDIR || saved == ENOTEMPTY || saved == EEXIST) {
            unlink(o->tmp);
            return dmf_fail(DMF_ERR_IO, "cannot write '%s': it is a folder", o->path);
        }
    }
    if (!ok) {
        unlink(o->tmp); /* leave no half-written file behind */
        return dmf_fail(DMF_ERR_IO, "cannot write '%s': %s", o->path, strerror(saved ? saved : EIO));
    }
    return dmf_out_sync_dir(o->dir);
}
