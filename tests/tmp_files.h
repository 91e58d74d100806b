/* Test files in a fresh mkdtemp directory, removed at the end (flat: the
 * tests write no subdirectories). */
#ifndef DMF_TEST_TMP_FILES_H
#define DMF_TEST_TMP_FILES_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmp_dir[64];

/* Creates /tmp/<prefix>_XXXXXX; 0 on success. */
static int make_tmp_dir(const char *prefix)
{
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/%s_XXXXXX", prefix);
    if (mkdtemp(tmp_dir)) return 0;
    perror("mkdtemp");
    return -1;
}

/* tmp_dir/name; four rotating buffers so a call can use a few at once. */
static const char *tmp_path(const char *name)
{
    static char buffers[4][sizeof tmp_dir + 256 + 2]; /* dir/d_name */
    static int next;
    char *buf = buffers[next++ % 4];
    snprintf(buf, sizeof buffers[0], "%s/%s", tmp_dir, name);
    return buf;
}

static const char *write_bytes(const char *name, const void *bytes, size_t len)
{
    const char *path = tmp_path(name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(bytes, 1, len, f) != len) {
        fprintf(stderr, "cannot write test file %s\n", path);
        exit(2);
    }
    fclose(f);
    return path;
}

static const char *write_text(const char *name, const char *text)
{
    return write_bytes(name, text, strlen(text));
}

static void remove_tmp_dir(void)
{
    DIR *dir = opendir(tmp_dir);
    if (!dir) return;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL)
        if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0)
            unlink(tmp_path(entry->d_name));
    closedir(dir);
    rmdir(tmp_dir);
}

#endif
