/* Writing chains: one Matrix Market file per factor (support entries only,
 * A ~ F_0 F_1 ... F_{L-1}), the compact blocks as .npy, and chain.json with
 * the radices and ranks needed to read them back, a checksum of every
 * blocks file and a chain id.
 *
 * A factor folder appears whole or not at all: everything is written into a
 * fresh folder beside the target, synced, and renamed into place.  A target
 * that holds a chain is replaced as a whole (no factor_NN files of a longer
 * chain stay behind); one that holds anything else is refused. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/syscall.h>
#endif

#include <cjson/cJSON.h>

#include "chain_internal.h"
#include "io/atomic_out.h"
#include "io/json_number.h"

/* chain.json "format": 1 (or none) had no checksums; 2 adds them. */
#define CHAIN_FORMAT 2

/* ---- checksums ------------------------------------------------------------
 * The checksum of a factor is over its values as a little-endian .npy file
 * stores them: that byte stream, zero-padded to a multiple of 8, is read as
 * little-endian 64-bit words w and folded into h, starting from
 * h = 0x6a09e667f3bcc908 ^ (number of bytes), by
 *     h = rotl64(h ^ (w * 0x9e3779b97f4a7c15), 31) * 0xbf58476d1ce4e5b9,
 * then finished with splitmix64's mixer.  The chain id is the same function
 * over the 64-bit words (format, dtype code, L, radix_m, radix_n, ranks,
 * checksums).  Not cryptographic: it tells files of different chains apart. */

static int host_is_big_endian(void)
{
    const uint16_t one = 1;
    unsigned char first;
    memcpy(&first, &one, 1);
    return first == 0;
}

static uint64_t rotl64(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

static uint64_t fold(uint64_t h, uint64_t w)
{
    return rotl64(h ^ (w * 0x9e3779b97f4a7c15ULL), 31) * 0xbf58476d1ce4e5b9ULL;
}

static uint64_t finish(uint64_t h)
{
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    return h ^ (h >> 31);
}

/* Checksum of `bytes` bytes of values whose scalar parts have `part` bytes
 * (4 or 8), in host order. */
static uint64_t checksum_values(const void *data, size_t bytes, size_t part)
{
    const unsigned char *p = data;
    uint64_t h = 0x6a09e667f3bcc908ULL ^ (uint64_t)bytes;
    int big = host_is_big_endian();
    for (size_t at = 0; at < bytes; at += 8) {
        unsigned char le[8] = {0};
        size_t n = bytes - at < 8 ? bytes - at : 8;
        for (size_t j = 0; j < n; j++) {
            size_t pos = at + j; /* position in the little-endian stream */
            le[j] = big ? p[pos / part * part + (part - 1 - pos % part)] : p[pos];
        }
        uint64_t w = 0;
        for (int j = 7; j >= 0; j--) w = (w << 8) | le[j];
        h = fold(h, w);
    }
    return finish(h);
}

static uint64_t factor_checksum(dmf_dtype dtype, const void *blocks, size_t count)
{
    size_t esize = dmf_dtype_size(dtype);
    size_t part = dmf_dtype_is_complex(dtype) ? esize / 2 : esize;
    return checksum_values(blocks, count * esize, part);
}

/* The checksum of a permutation: of its entries as the int64 words its
 * .npy file holds. */
static uint64_t permutation_checksum(const size_t *perm, size_t count)
{
    uint64_t h = 0x6a09e667f3bcc908ULL ^ (uint64_t)(count * 8);
    for (size_t i = 0; i < count; i++) h = fold(h, (uint64_t)perm[i]);
    return finish(h);
}

/* perm_sums: checksums of the row and column permutations, 0 where the
 * chain has none (the id of a chain without permutations is unchanged). */
static uint64_t chain_id(dmf_dtype dtype, const dmf_chain_shape *s, const uint64_t *sums,
                         const uint64_t perm_sums[2])
{
    uint64_t words[8 + 4 * DMF_MAX_FACTORS];
    size_t n = 0, L = s->num_factors;
    words[n++] = CHAIN_FORMAT;
    words[n++] = (uint64_t)dtype;
    words[n++] = L;
    for (size_t k = 0; k < L; k++) words[n++] = s->m[k];
    for (size_t k = 0; k < L; k++) words[n++] = s->n[k];
    for (size_t k = 0; k + 1 < L; k++) words[n++] = s->rank[k + 1];
    for (size_t k = 0; k < L; k++) words[n++] = sums[k];
    if (perm_sums[0] || perm_sums[1]) {
        words[n++] = 0x7065726d75746564ULL; /* "permuted" */
        words[n++] = perm_sums[0];
        words[n++] = perm_sums[1];
    }
    return checksum_values(words, n * sizeof words[0], sizeof words[0]);
}

static void hex64(char out[17], uint64_t v) { snprintf(out, 17, "%016llx", (unsigned long long)v); }

/* ---- the folder ---------------------------------------------------------- */

/* chain.json, factor_NN.mtx or factor_NN_blocks.npy (NN: digits), and the
 * permutations perm_rows.npy and perm_cols.npy. */
static int is_chain_file(const char *name)
{
    if (!strcmp(name, "chain.json") || !strcmp(name, "perm_rows.npy") || !strcmp(name, "perm_cols.npy")) return 1;
    if (strncmp(name, "factor_", 7) != 0) return 0;
    const char *p = name + 7;
    if (*p < '0' || *p > '9') return 0;
    while (*p >= '0' && *p <= '9') p++;
    return !strcmp(p, ".mtx") || !strcmp(p, "_blocks.npy");
}

enum { TARGET_ABSENT, TARGET_EMPTY, TARGET_CHAIN };

/* What is at `dir` now: nothing, an empty folder, or a factor folder (a
 * chain.json and only the files dmf writes beside it, none a link); anything
 * else is refused. */
static int classify_target(const char *dir, const char *shown, int *kind)
{
    struct stat st;
    if (lstat(dir, &st) != 0) {
        /* A missing or non-folder parent is said by dmf_out_check_parent. */
        if (errno == ENOENT || errno == ENOTDIR) {
            *kind = TARGET_ABSENT;
            return DMF_OK;
        }
        return dmf_fail(DMF_ERR_IO, "cannot examine '%s': %s", shown, strerror(errno));
    }
    if (!S_ISDIR(st.st_mode))
        return dmf_fail(DMF_ERR_IO, "'%s' exists and is not a folder: refusing to replace it with a dmf factor "
                                    "folder", shown);
    DIR *d = opendir(dir);
    if (!d) return dmf_fail(DMF_ERR_IO, "cannot list '%s': %s", shown, strerror(errno));
    int entries = 0, has_meta = 0, status = DMF_OK;
    struct dirent *e;
    while (status == DMF_OK && (e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        entries++;
        struct stat es;
        if (fstatat(dirfd(d), e->d_name, &es, AT_SYMLINK_NOFOLLOW) != 0)
            status = dmf_fail(DMF_ERR_IO, "cannot examine '%s/%s': %s", shown, e->d_name, strerror(errno));
        else if (!is_chain_file(e->d_name) || !S_ISREG(es.st_mode))
            status = dmf_fail(DMF_ERR_IO,
                              "'%s' is not a dmf factor folder: it holds '%s'%s, which dmf did not write; "
                              "refusing to mix files or replace it (a chain replaces only an empty folder "
                              "or an earlier chain: write to a new folder, or remove this one)",
                              shown, e->d_name, S_ISLNK(es.st_mode) ? " (a symbolic link)" : "");
        else if (!strcmp(e->d_name, "chain.json"))
            has_meta = 1;
    }
    closedir(d);
    if (status != DMF_OK) return status;
    if (entries && !has_meta)
        return dmf_fail(DMF_ERR_IO, "'%s' holds factor files but no chain.json: it is not a complete dmf factor "
                                    "folder; refusing to replace it (remove it, or write to a new folder)", shown);
    *kind = entries ? TARGET_CHAIN : TARGET_EMPTY;
    return DMF_OK;
}

/* Removes the files of a folder (all of them, or only those a chain has)
 * without following links, then the folder; best effort. */
static void remove_folder(const char *dir, int chain_files_only)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            if (!chain_files_only || is_chain_file(e->d_name)) unlinkat(dirfd(d), e->d_name, 0);
        }
        closedir(d);
    }
    rmdir(dir);
}

/* The target as a folder name and its parent: a link at the target is
 * followed (a chain goes where `out -> /scratch/out` points); links inside
 * are never followed. */
static int resolve_target(const char *dir, char *target, char *parent, char *base)
{
    char resolved[PATH_MAX];
    struct stat st;
    const char *path = dir;
    if (lstat(dir, &st) == 0 && S_ISLNK(st.st_mode)) {
        if (!realpath(dir, resolved))
            return dmf_fail(DMF_ERR_IO, "'%s' is a symbolic link to nowhere (%s)", dir, strerror(errno));
        path = resolved;
    }
    DMF_TRY(dmf_out_split(path, parent, DMF_PATH_MAX, base, DMF_PATH_MAX));
    int len = snprintf(target, DMF_PATH_MAX, "%s/%s", parent, base);
    if (len < 0 || len >= DMF_PATH_MAX) return dmf_fail(DMF_ERR_ARG, "the folder name '%s' is too long", dir);
    return DMF_OK;
}

int dmf_chain_write_check(const char *dir)
{
    if (!dir) return dmf_fail(DMF_ERR_ARG, "dmf_chain_write_check: dir is NULL");
    char target[DMF_PATH_MAX], parent[DMF_PATH_MAX], base[DMF_PATH_MAX];
    int kind;
    DMF_TRY(resolve_target(dir, target, parent, base));
    DMF_TRY(classify_target(target, dir, &kind));
    return dmf_out_check_parent(parent, dir);
}

static int write_factor_mtx(const dmf_chain *chain, size_t k, const char *path)
{
    size_t a, b, c, d;
    dmf_range_support(&chain->shape, k, k, &a, &b, &c, &d);
    size_t nnz = a * b * c * d;
    size_t *rows = malloc(nnz * sizeof *rows), *cols = malloc(nnz * sizeof *cols);
    if (!rows || !cols) {
        free(rows);
        free(cols);
        return dmf_fail(DMF_ERR_NOMEM, "cannot allocate the index lists of factor %zu", k);
    }
    size_t e = 0;
    for (size_t i = 0; i < a; i++)
        for (size_t v = 0; v < d; v++)
            for (size_t beta = 0; beta < b; beta++)
                for (size_t gamma = 0; gamma < c; gamma++, e++) {
                    rows[e] = i * b * d + beta * d + v;
                    cols[e] = i * c * d + gamma * d + v;
                }
    int status = dmf_mtx_write_coordinate(path, chain->dtype, a * b * d, a * c * d, nnz, rows, cols,
                                          chain->blocks[k]);
    free(rows);
    free(cols);
    return status;
}

/* Members of chain.json that dmf writes and reads; extra members may not
 * reuse them. */
static const char *const own_keys[] = {"format", "dtype", "num_factors", "radix_m", "radix_n",
                                       "ranks", "chain_id", "checksums", NULL};

static cJSON *size_array(const size_t *v, size_t count)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t k = 0; arr && k < count; k++) cJSON_AddItemToArray(arr, cJSON_CreateNumber((double)v[k]));
    return arr;
}

/* Parses `extra_json` (NULL: none) into an object of members to add. */
static int parse_extra(const char *extra_json, cJSON **out)
{
    *out = NULL;
    if (!extra_json) return DMF_OK;
    cJSON *extra = cJSON_Parse(extra_json);
    if (!cJSON_IsObject(extra)) {
        cJSON_Delete(extra);
        return dmf_fail(DMF_ERR_ARG, "dmf_chain_write_meta: extra_json is not a JSON object");
    }
    const cJSON *item;
    cJSON_ArrayForEach(item, extra)
    {
        for (size_t k = 0; own_keys[k]; k++)
            if (!strcmp(item->string, own_keys[k])) {
                int status = dmf_fail(DMF_ERR_ARG, "dmf_chain_write_meta: extra_json may not set \"%s\", "
                                                   "which dmf writes itself", own_keys[k]);
                cJSON_Delete(extra);
                return status;
            }
    }
    *out = extra;
    return DMF_OK;
}

static void chain_perm_sums(const dmf_chain *chain, uint64_t perm_sums[2])
{
    perm_sums[0] = chain->perm_rows ? permutation_checksum(chain->perm_rows, dmf_chain_rows(chain)) : 0;
    perm_sums[1] = chain->perm_cols ? permutation_checksum(chain->perm_cols, dmf_chain_cols(chain)) : 0;
}

static int write_meta(const dmf_chain *chain, const uint64_t *sums, cJSON *extra, const char *path)
{
    uint64_t perm_sums[2];
    chain_perm_sums(chain, perm_sums);
    const dmf_chain_shape *s = &chain->shape;
    size_t L = s->num_factors;
    char hex[17];
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "format", CHAIN_FORMAT);
    cJSON_AddStringToObject(root, "dtype", dmf_dtype_name(chain->dtype));
    cJSON_AddNumberToObject(root, "num_factors", (double)L);
    cJSON_AddItemToObject(root, "radix_m", size_array(s->m, L));
    cJSON_AddItemToObject(root, "radix_n", size_array(s->n, L));
    cJSON_AddItemToObject(root, "ranks", size_array(s->rank + 1, L - 1));
    hex64(hex, chain_id(chain->dtype, s, sums, perm_sums));
    cJSON_AddStringToObject(root, "chain_id", hex);
    if (chain->perm_rows) cJSON_AddStringToObject(root, "perm_rows", "perm_rows.npy");
    if (chain->perm_cols) cJSON_AddStringToObject(root, "perm_cols", "perm_cols.npy");
    cJSON *list = cJSON_AddArrayToObject(root, "checksums");
    for (size_t k = 0; list && k < L; k++) {
        hex64(hex, sums[k]);
        cJSON_AddItemToArray(list, cJSON_CreateString(hex));
    }
    while (extra && extra->child) {
        cJSON *item = cJSON_DetachItemViaPointer(extra, extra->child);
        cJSON_AddItemToObject(root, item->string, item);
    }
    dmf_json_exact_numbers(root);
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text) return dmf_fail(DMF_ERR_NOMEM, "cannot format '%s'", path);
    dmf_out_file o;
    int status = dmf_out_open(&o, path);
    if (status == DMF_OK) {
        errno = 0;
        int ok = fputs(text, o.f) >= 0 && fputc('\n', o.f) != EOF;
        status = dmf_out_finish(&o, ok, errno);
    }
    cJSON_free(text);
    return status;
}

/* Writes every file of the chain into the fresh folder `tmp`. */
static int write_files(const dmf_chain *chain, cJSON *extra, const char *tmp)
{
    char path[DMF_PATH_MAX + 32];
    uint64_t sums[DMF_MAX_FACTORS];
    for (size_t k = 0; k < chain->shape.num_factors; k++) {
        snprintf(path, sizeof path, "%s/factor_%02zu.mtx", tmp, k);
        DMF_TRY(write_factor_mtx(chain, k, path));
        size_t a, b, c, d;
        dmf_range_support(&chain->shape, k, k, &a, &b, &c, &d);
        size_t shape[4] = {a, d, b, c};
        snprintf(path, sizeof path, "%s/factor_%02zu_blocks.npy", tmp, k);
        DMF_TRY(dmf_npy_write_array(path, chain->dtype, shape, 4, chain->blocks[k]));
        sums[k] = factor_checksum(chain->dtype, chain->blocks[k], a * b * c * d);
    }
    if (chain->perm_rows) {
        snprintf(path, sizeof path, "%s/perm_rows.npy", tmp);
        DMF_TRY(dmf_npy_write_indices(path, dmf_chain_rows(chain), chain->perm_rows));
    }
    if (chain->perm_cols) {
        snprintf(path, sizeof path, "%s/perm_cols.npy", tmp);
        DMF_TRY(dmf_npy_write_indices(path, dmf_chain_cols(chain), chain->perm_cols));
    }
    snprintf(path, sizeof path, "%s/chain.json", tmp);
    DMF_TRY(write_meta(chain, sums, extra, path));
    return dmf_out_sync_dir(tmp);
}

/* Moves the complete folder `tmp` to `target`, replacing what is there
 * (nothing, an empty folder, or a chain; see classify_target). */
static int install(const char *tmp, const char *target, const char *parent, const char *base, int kind)
{
    if (kind != TARGET_CHAIN) {
        /* rename(2) replaces an empty folder. */
        if (rename(tmp, target) == 0) return dmf_out_sync_dir(parent);
        return dmf_fail(DMF_ERR_IO, "cannot move the new factor folder to '%s': %s", target, strerror(errno));
    }
#if defined(__linux__) && defined(SYS_renameat2)
    /* Swap the two folders in one step: the target always holds a whole
     * chain, the old or the new.  File systems without the swap say EINVAL. */
    if (syscall(SYS_renameat2, AT_FDCWD, tmp, AT_FDCWD, target, 1 << 1 /* RENAME_EXCHANGE */) == 0) {
        remove_folder(tmp, 1);
        return dmf_out_sync_dir(parent);
    }
#endif
    char aside[DMF_PATH_MAX];
    DMF_TRY(dmf_out_temp_name(aside, sizeof aside, parent, base, "dmf-old"));
    if (rename(target, aside) != 0)
        return dmf_fail(DMF_ERR_IO, "cannot move the old factor folder '%s' aside: %s", target, strerror(errno));
    if (rename(tmp, target) != 0) {
        int saved = errno;
        rename(aside, target); /* put the old chain back */
        return dmf_fail(DMF_ERR_IO, "cannot move the new factor folder to '%s': %s", target, strerror(saved));
    }
    remove_folder(aside, 1);
    return dmf_out_sync_dir(parent);
}

int dmf_chain_write_meta(const dmf_chain *chain, const char *dir, const char *extra_json)
{
    if (!chain) return dmf_fail(DMF_ERR_ARG, "dmf_chain_write: chain is NULL");
    if (!dir) return dmf_fail(DMF_ERR_ARG, "dmf_chain_write: dir is NULL");
    cJSON *extra = NULL;
    DMF_TRY(parse_extra(extra_json, &extra));
    char target[DMF_PATH_MAX], parent[DMF_PATH_MAX], base[DMF_PATH_MAX], tmp[DMF_PATH_MAX];
    int kind = TARGET_ABSENT;
    int status = resolve_target(dir, target, parent, base);
    if (status == DMF_OK) status = classify_target(target, dir, &kind);
    if (status == DMF_OK) status = dmf_out_check_parent(parent, dir);
    /* A fresh folder beside the target: same file system, so the final
     * rename is atomic. */
    int made = 0;
    for (int attempt = 0; status == DMF_OK && !made && attempt < 100; attempt++) {
        status = dmf_out_temp_name(tmp, sizeof tmp, parent, base, "dmf-tmp");
        if (status == DMF_OK && mkdir(tmp, 0777) == 0) made = 1;
        else if (status == DMF_OK && errno != EEXIST)
            status = dmf_fail(DMF_ERR_IO, "cannot create a folder beside '%s': %s", dir, strerror(errno));
    }
    if (status == DMF_OK && !made)
        status = dmf_fail(DMF_ERR_IO, "cannot create a folder beside '%s': every name tried exists", dir);
    if (status == DMF_OK) {
        status = write_files(chain, extra, tmp);
        if (status == DMF_OK) status = install(tmp, target, parent, base, kind);
        /* The files' own messages name the temporary folder. */
        if (status != DMF_OK) status = dmf_fail_context(status, "writing the chain to '%s'", dir);
    }
    if (status != DMF_OK && made) remove_folder(tmp, 0);
    cJSON_Delete(extra);
    return status;
}

int dmf_chain_write(const dmf_chain *chain, const char *dir) { return dmf_chain_write_meta(chain, dir, NULL); }

static int json_sizes(const cJSON *root, const char *key, size_t *out, size_t expect,
                      const char *path)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!cJSON_IsArray(arr) || (size_t)cJSON_GetArraySize(arr) != expect)
        return dmf_fail(DMF_ERR_FORMAT, "'%s': \"%s\" must be a list of %zu integers", path, key, expect);
    size_t k = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, arr)
    {
        if (!cJSON_IsNumber(item) || !dmf_json_whole(item->valuedouble, 1, SIZE_MAX, &out[k]))
            return dmf_fail(DMF_ERR_FORMAT, "'%s': \"%s\"[%zu] is not an integer >= 1", path, key, k);
        k++;
    }
    return DMF_OK;
}

/* What chain.json says; has_sums is 0 for files written before format 2. */
typedef struct {
    dmf_dtype dtype;
    size_t L, m[DMF_MAX_FACTORS], n[DMF_MAX_FACTORS], ranks[DMF_MAX_FACTORS];
    int has_sums;
    uint64_t id, sums[DMF_MAX_FACTORS];
    int has_perm[2]; /* chain.json names perm_rows.npy / perm_cols.npy */
} chain_meta;

/* Exactly 16 hex digits. */
static int parse_hex64(const cJSON *item, uint64_t *out)
{
    if (!cJSON_IsString(item) || strlen(item->valuestring) != 16) return 0;
    uint64_t v = 0;
    for (const char *p = item->valuestring; *p; p++) {
        int d = *p >= '0' && *p <= '9' ? *p - '0' : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 : -1;
        if (d < 0) return 0;
        v = (v << 4) | (uint64_t)d;
    }
    *out = v;
    return 1;
}

/* "format", "chain_id" and "checksums" (format 2); older files have none. */
static int json_checksums(const cJSON *root, chain_meta *meta, const char *path)
{
    const cJSON *format = cJSON_GetObjectItemCaseSensitive(root, "format");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "chain_id");
    const cJSON *sums = cJSON_GetObjectItemCaseSensitive(root, "checksums");
    size_t version = 1;
    if (format && (!cJSON_IsNumber(format) || !dmf_json_whole(format->valuedouble, 1, SIZE_MAX, &version)))
        return dmf_fail(DMF_ERR_FORMAT, "'%s': \"format\" must be an integer >= 1", path);
    if (version > CHAIN_FORMAT)
        return dmf_fail(DMF_ERR_FORMAT, "'%s': format %zu is newer than this dmf reads (%d): update dmf", path,
                        version, CHAIN_FORMAT);
    meta->has_sums = version >= 2 || id || sums;
    if (!meta->has_sums) return DMF_OK;
    if (!parse_hex64(id, &meta->id))
        return dmf_fail(DMF_ERR_FORMAT, "'%s': \"chain_id\" must be 16 lowercase hex digits", path);
    if (!cJSON_IsArray(sums) || (size_t)cJSON_GetArraySize(sums) != meta->L)
        return dmf_fail(DMF_ERR_FORMAT, "'%s': \"checksums\" must be a list of %zu checksums (one per factor)",
                        path, meta->L);
    size_t k = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, sums)
    {
        if (!parse_hex64(item, &meta->sums[k]))
            return dmf_fail(DMF_ERR_FORMAT, "'%s': \"checksums\"[%zu] must be 16 lowercase hex digits", path, k);
        k++;
    }
    return DMF_OK;
}

static int read_meta(const char *path, chain_meta *meta)
{
    dmf_dtype *dtype = &meta->dtype;
    size_t *L = &meta->L, *m = meta->m, *n = meta->n, *ranks = meta->ranks;
    FILE *f = fopen(path, "rb");
    if (!f) return dmf_fail(DMF_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    char text[65536];
    size_t len = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[len] = '\0';
    const char *where = NULL;
    cJSON *root = cJSON_ParseWithOpts(text, &where, 1);
    if (!root)
        return dmf_fail(DMF_ERR_FORMAT, "'%s': malformed JSON near '%.20s'", path, where ? where : "");
    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(root, "dtype");
    const cJSON *nf = cJSON_GetObjectItemCaseSensitive(root, "num_factors");
    int status = DMF_OK;
    if (!cJSON_IsString(dt) || dmf_dtype_parse(dt->valuestring, dtype) != DMF_OK)
        status = dmf_fail(DMF_ERR_FORMAT, "'%s': \"dtype\" must be f32, f64, c64 or c128", path);
    else if (!cJSON_IsNumber(nf))
        status = dmf_fail(DMF_ERR_FORMAT, "'%s': \"num_factors\" must be an integer in 1..%d", path,
                          DMF_MAX_FACTORS);
    else if (!dmf_json_whole(nf->valuedouble, 1, DMF_MAX_FACTORS, L))
        status = dmf_fail(DMF_ERR_FORMAT, "'%s': \"num_factors\" must be an integer in 1..%d, not %g",
                          path, DMF_MAX_FACTORS, nf->valuedouble);
    if (status == DMF_OK) {
        status = json_sizes(root, "radix_m", m, *L, path);
        if (status == DMF_OK) status = json_sizes(root, "radix_n", n, *L, path);
        if (status == DMF_OK) status = json_sizes(root, "ranks", ranks, *L - 1, path);
        if (status == DMF_OK) status = json_checksums(root, meta, path);
        static const char *const keys[2] = {"perm_rows", "perm_cols"};
        for (int side = 0; side < 2 && status == DMF_OK; side++) {
            const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, keys[side]);
            char want[32];
            snprintf(want, sizeof want, "%s.npy", keys[side]);
            meta->has_perm[side] = item != NULL;
            if (item && (!cJSON_IsString(item) || strcmp(item->valuestring, want)))
                status = dmf_fail(DMF_ERR_FORMAT, "'%s': \"%s\" must be \"%s\"", path, keys[side], want);
        }
    }
    cJSON_Delete(root);
    return status;
}

/* perm_rows.npy / perm_cols.npy where chain.json names them: integer
 * vectors holding each index once. */
static int read_permutations(const char *dir, const chain_meta *meta, dmf_chain *chain)
{
    static const char *const names[2] = {"perm_rows.npy", "perm_cols.npy"};
    size_t *perm[2] = {NULL, NULL};
    int status = DMF_OK;
    for (int side = 0; side < 2 && status == DMF_OK; side++) {
        if (!meta->has_perm[side]) continue;
        char path[DMF_PATH_MAX + 32];
        snprintf(path, sizeof path, "%s/%s", dir, names[side]);
        status = dmf_npy_read_indices(path, side ? dmf_chain_cols(chain) : dmf_chain_rows(chain), &perm[side]);
        if (status != DMF_OK) dmf_fail_context(status, "reading the permutations of '%s'", dir);
    }
    if (status == DMF_OK) status = dmf_chain_set_permutations(chain, perm[0], perm[1]);
    free(perm[0]);
    free(perm[1]);
    return status;
}

int dmf_chain_read(const char *dir, dmf_chain **out)
{
    if (!out) return dmf_fail(DMF_ERR_ARG, "dmf_chain_read: out is NULL");
    *out = NULL;
    if (!dir) return dmf_fail(DMF_ERR_ARG, "dmf_chain_read: dir is NULL");
    char path[DMF_PATH_MAX + 32];
    chain_meta meta;
    snprintf(path, sizeof path, "%s/chain.json", dir);
    DMF_TRY(read_meta(path, &meta));
    dmf_dtype dtype = meta.dtype;
    size_t L = meta.L;
    dmf_chain *chain;
    DMF_TRY(dmf_chain_create(&chain, dtype, L, meta.m, meta.n, meta.ranks));
    int status = read_permutations(dir, &meta, chain);
    uint64_t perm_sums[2];
    chain_perm_sums(chain, perm_sums);
    if (status == DMF_OK && meta.has_sums && chain_id(dtype, &chain->shape, meta.sums, perm_sums) != meta.id)
        status = dmf_fail(DMF_ERR_FORMAT, "'%s': \"chain_id\" does not match the chain's sizes and checksums "
                                          "(the file was edited or damaged)", path);
    for (size_t k = 0; k < L && status == DMF_OK; k++) {
        snprintf(path, sizeof path, "%s/factor_%02zu_blocks.npy", dir, k);
        dmf_matrix *blocks = NULL;
        size_t shape[DMF_NPY_MAX_DIMS], a, b, c, d;
        int ndim = 0;
        status = dmf_npy_read_nd(path, &blocks, shape, &ndim);
        dmf_range_support(&chain->shape, k, k, &a, &b, &c, &d);
        if (status == DMF_OK &&
            (ndim != 4 || shape[0] != a || shape[1] != d || shape[2] != b || shape[3] != c))
            status = dmf_fail(DMF_ERR_FORMAT, "'%s': expected shape (%zu, %zu, %zu, %zu) from chain.json",
                              path, a, d, b, c);
        if (status == DMF_OK && blocks->dtype != dtype)
            status = dmf_fail(DMF_ERR_FORMAT, "'%s' is %s but chain.json says %s", path,
                              dmf_dtype_name(blocks->dtype), dmf_dtype_name(dtype));
        if (status == DMF_OK && meta.has_sums) {
            uint64_t sum = factor_checksum(dtype, blocks->data, a * b * c * d);
            char got[17], want[17];
            hex64(got, sum);
            hex64(want, meta.sums[k]);
            if (sum != meta.sums[k])
                status = dmf_fail(DMF_ERR_FORMAT, "'%s' does not belong to this chain: its checksum is %s but "
                                                  "chain.json lists %s (the folder mixes files of different "
                                                  "chains, or the file is damaged)", path, got, want);
        }
        if (status == DMF_OK) status = dmf_matrix_check_finite(blocks);
        if (status == DMF_OK) memcpy(chain->blocks[k], blocks->data, a * b * c * d * dmf_dtype_size(dtype));
        else status = dmf_fail_context(status, "reading factors from '%s'", dir);
        dmf_matrix_free(blocks);
    }
    if (status != DMF_OK) {
        dmf_chain_free(chain);
        return status;
    }
    *out = chain;
    return DMF_OK;
}
