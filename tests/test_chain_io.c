/* Factor folders: written whole or not at all, a chain replaces an earlier
 * chain without leaving its extra factors, folders holding other files are
 * refused, links are never written through, and dmf_chain_read refuses a
 * folder whose blocks files belong to different chains. */
#define _GNU_SOURCE
#include <dirent.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static char root[64];

static const char *path_in(const char *a, const char *b)
{
    static char buffers[64][512]; /* rotating: a test keeps a few at once */
    static int next;
    char *buf = buffers[next++ % 64];
    if (b) snprintf(buf, sizeof buffers[0], "%s/%s/%s", root, a, b);
    else snprintf(buf, sizeof buffers[0], "%s/%s", root, a);
    return buf;
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static void put_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        fprintf(stderr, "cannot write test file %s\n", path);
        exit(2);
    }
}

static char *get_text(const char *path)
{
    static char buf[65536];
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static void copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    char buf[4096];
    size_t n;
    if (!in || !out) {
        fprintf(stderr, "cannot copy %s to %s\n", from, to);
        exit(2);
    }
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) fwrite(buf, 1, n, out);
    fclose(in);
    fclose(out);
}

/* Entries of root whose names start with '.': temporary or set-aside
 * folders that a write left behind. */
static int leftovers(void)
{
    DIR *d = opendir(root);
    int count = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        if (e->d_name[0] == '.' && strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            fprintf(stderr, "left behind: %s\n", e->d_name);
            count++;
        }
    if (d) closedir(d);
    return count;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static dmf_chain *make_chain(size_t L, uint64_t seed)
{
    size_t radix[8] = {2, 2, 2, 2, 2, 2, 2, 2};
    dmf_chain *chain = NULL;
    CHECK_OK(dmf_chain_create(&chain, DMF_F64, L, radix, radix, NULL));
    CHECK_OK(dmf_chain_randomize(chain, seed));
    return chain;
}

static int same_chain(const dmf_chain *a, const dmf_chain *b)
{
    if (!a || !b || dmf_chain_num_factors(a) != dmf_chain_num_factors(b)) return 0;
    for (size_t k = 0; k < dmf_chain_num_factors(a); k++) {
        size_t p, q, r, s;
        dmf_chain_support(a, k, &p, &q, &r, &s);
        if (memcmp(dmf_chain_const_blocks(a, k), dmf_chain_const_blocks(b, k), p * q * r * s * sizeof(double)))
            return 0;
    }
    return 1;
}

/* A shorter chain over a longer one: no stale factor_NN files. */
static void test_replace_longer(void)
{
    const char *dir = path_in("replace", NULL);
    dmf_chain *longer = make_chain(5, 1), *shorter = make_chain(2, 2), *back = NULL;
    CHECK_OK(dmf_chain_write(longer, dir));
    CHECK(exists(path_in("replace", "factor_04_blocks.npy")), "the 5-factor chain was not written");
    CHECK_OK(dmf_chain_write(shorter, dir));
    for (int k = 2; k < 5; k++) {
        char name[32];
        snprintf(name, sizeof name, "factor_%02d.mtx", k);
        CHECK(!exists(path_in("replace", name)), "%s of the earlier chain stayed behind", name);
        snprintf(name, sizeof name, "factor_%02d_blocks.npy", k);
        CHECK(!exists(path_in("replace", name)), "%s of the earlier chain stayed behind", name);
    }
    CHECK_OK(dmf_chain_read(dir, &back));
    CHECK(same_chain(shorter, back), "the folder does not read back as the chain written last");
    CHECK(leftovers() == 0, "temporary folders left beside the target");
    dmf_chain_free(back);
    dmf_chain_free(longer);
    dmf_chain_free(shorter);
}

/* Folders that hold anything but a chain are refused and left as they are;
 * an empty folder is fine. */
static void test_refuse_foreign(void)
{
    dmf_chain *chain = make_chain(3, 3);
    const char *dir = path_in("foreign", NULL);
    mkdir(dir, 0777);
    put_text(path_in("foreign", "notes.txt"), "mine\n");
    CHECK_STATUS(dmf_chain_write(chain, dir), DMF_ERR_IO);
    CHECK(strstr(dmf_last_error(), "notes.txt") != NULL, "message '%s' does not name the file", dmf_last_error());
    CHECK_STATUS(dmf_chain_write_check(dir), DMF_ERR_IO);
    CHECK(!exists(path_in("foreign", "chain.json")), "a chain was mixed into a foreign folder");
    CHECK(exists(path_in("foreign", "notes.txt")), "the foreign file was removed");

    /* A chain folder with one more file of the user's: refused too. */
    const char *mixed = path_in("chain_plus", NULL);
    CHECK_OK(dmf_chain_write(chain, mixed));
    put_text(path_in("chain_plus", "README"), "my notes\n");
    CHECK_STATUS(dmf_chain_write(chain, mixed), DMF_ERR_IO);
    CHECK(exists(path_in("chain_plus", "README")), "the user's file was removed");

    /* Factor files without chain.json (not a folder dmf completed). */
    const char *partial = path_in("partial", NULL);
    mkdir(partial, 0777);
    put_text(path_in("partial", "factor_00.mtx"), "x\n");
    CHECK_STATUS(dmf_chain_write(chain, partial), DMF_ERR_IO);

    /* A file where the folder should be. */
    put_text(path_in("plain_file", NULL), "data\n");
    CHECK_STATUS(dmf_chain_write(chain, path_in("plain_file", NULL)), DMF_ERR_IO);
    CHECK(strcmp(get_text(path_in("plain_file", NULL)), "data\n") == 0, "the file was changed");

    /* A missing parent folder: said by the check and by the write. */
    CHECK_STATUS(dmf_chain_write_check(path_in("no_such_dir", "out")), DMF_ERR_IO);
    CHECK(strstr(dmf_last_error(), "does not exist") != NULL, "message '%s'", dmf_last_error());
    CHECK_STATUS(dmf_chain_write(chain, path_in("no_such_dir", "out")), DMF_ERR_IO);
    CHECK_STATUS(dmf_chain_write_check(path_in("plain_file", "out")), DMF_ERR_IO);

    /* An empty folder (say, made by the user beforehand) is replaced. */
    const char *empty = path_in("empty", NULL);
    mkdir(empty, 0777);
    CHECK_OK(dmf_chain_write_check(empty));
    CHECK_OK(dmf_chain_write(chain, empty));
    dmf_chain *back = NULL;
    CHECK_OK(dmf_chain_read(empty, &back));
    CHECK(same_chain(chain, back), "the chain in the empty folder does not read back");
    dmf_chain_free(back);
    CHECK(leftovers() == 0, "temporary folders left beside the target");
    dmf_chain_free(chain);
}

/* Links inside the output folder are never written through. */
static void test_links_not_followed(void)
{
    dmf_chain *chain = make_chain(2, 4);
    const char *dir = path_in("linked", NULL), *victim = path_in("victim.txt", NULL);
    put_text(victim, "precious\n");
    CHECK_OK(dmf_chain_write(chain, dir));
    const char *link = path_in("linked", "factor_00.mtx");
    remove(link);
    CHECK(symlink(victim, link) == 0, "cannot make a link");
    CHECK_STATUS(dmf_chain_write(chain, dir), DMF_ERR_IO);
    CHECK(strstr(dmf_last_error(), "symbolic link") != NULL, "message '%s'", dmf_last_error());
    CHECK(strcmp(get_text(victim), "precious\n") == 0, "the link's target was written");

    /* A single file: a link at the target is replaced, not written through. */
    const char *npy_link = path_in("y.npy", NULL), *mtx_link = path_in("y.mtx", NULL);
    CHECK(symlink(victim, npy_link) == 0 && symlink(victim, mtx_link) == 0, "cannot make links");
    double v[4] = {1, 2, 3, 4};
    dmf_matrix *m = NULL;
    CHECK_OK(dmf_matrix_wrap(&m, DMF_F64, 2, 2, v));
    CHECK_OK(dmf_npy_write(npy_link, m));
    CHECK_OK(dmf_mtx_write_array(mtx_link, m));
    CHECK(strcmp(get_text(victim), "precious\n") == 0, "a file write went through a link");
    struct stat st;
    CHECK(lstat(npy_link, &st) == 0 && S_ISREG(st.st_mode), "y.npy is not a plain file now");
    dmf_matrix *back = NULL;
    CHECK_OK(dmf_npy_read(npy_link, &back));
    CHECK(back && memcmp(dmf_matrix_data(back), v, sizeof v) == 0, "y.npy does not read back");
    dmf_matrix_free(back);
    dmf_matrix_free(m);
    CHECK(leftovers() == 0, "temporary files left beside the target");
    dmf_chain_free(chain);
}

/* A blocks file of another chain (same shape) is refused on reading. */
static void test_mixed_folder(void)
{
    dmf_chain *a = make_chain(3, 5), *b = make_chain(3, 6), *back = (dmf_chain *)1;
    CHECK_OK(dmf_chain_write(a, path_in("chain_a", NULL)));
    CHECK_OK(dmf_chain_write(b, path_in("chain_b", NULL)));
    copy_file(path_in("chain_b", "factor_01_blocks.npy"), path_in("chain_a", "factor_01_blocks.npy"));
    CHECK_STATUS(dmf_chain_read(path_in("chain_a", NULL), &back), DMF_ERR_FORMAT);
    CHECK(back == NULL, "a mixed folder left a chain");
    CHECK(strstr(dmf_last_error(), "factor_01_blocks.npy") && strstr(dmf_last_error(), "does not belong"),
          "message '%s' does not name the file", dmf_last_error());

    /* chain.json with an edited chain id. */
    char *meta = get_text(path_in("chain_b", "chain.json"));
    char *id = strstr(meta, "\"chain_id\"");
    CHECK(id != NULL, "chain.json has no chain_id: %s", meta);
    if (id) {
        char *digit = strchr(id + 10, '"') + 1;
        *digit = *digit == '0' ? '1' : '0';
        put_text(path_in("chain_b", "chain.json"), meta);
        CHECK_STATUS(dmf_chain_read(path_in("chain_b", NULL), &back), DMF_ERR_FORMAT);
        CHECK(strstr(dmf_last_error(), "chain_id") != NULL, "message '%s'", dmf_last_error());
    }

    /* chain.json of an older dmf (no format, id or checksums) still reads. */
    put_text(path_in("chain_a", "chain.json"), "{\"dtype\": \"f64\", \"num_factors\": 3, \"radix_m\": [2, 2, 2], "
                                               "\"radix_n\": [2, 2, 2], \"ranks\": [1, 1]}\n");
    CHECK_OK(dmf_chain_read(path_in("chain_a", NULL), &back));
    dmf_chain_free(back);

    /* A format this dmf does not know. */
    put_text(path_in("chain_a", "chain.json"), "{\"format\": 3, \"dtype\": \"f64\", \"num_factors\": 3, "
                                               "\"radix_m\": [2, 2, 2], \"radix_n\": [2, 2, 2], \"ranks\": [1, 1]}\n");
    CHECK_STATUS(dmf_chain_read(path_in("chain_a", NULL), &back), DMF_ERR_FORMAT);
    CHECK(strstr(dmf_last_error(), "newer") != NULL, "message '%s'", dmf_last_error());
    dmf_chain_free(a);
    dmf_chain_free(b);
}

/* Extra members of chain.json. */
static void test_meta(void)
{
    dmf_chain *chain = make_chain(2, 7), *back = NULL;
    const char *dir = path_in("meta", NULL);
    CHECK_OK(dmf_chain_write_meta(chain, dir, "{\"tree\": \"balanced\", \"tree_nested\": [0, 1], "
                                              "\"rel_error\": 0.25, \"source\": {\"matrix\": \"hadamard\"}}"));
    char *meta = get_text(path_in("meta", "chain.json"));
    CHECK(meta && strstr(meta, "\"tree_nested\"") && strstr(meta, "\"source\"") && strstr(meta, "0.25"),
          "chain.json lacks the extra members: %s", meta ? meta : "(none)");
    CHECK_OK(dmf_chain_read(dir, &back));
    CHECK(same_chain(chain, back), "the chain with extra members does not read back");
    dmf_chain_free(back);
    /* Numbers read back exactly: cJSON alone prints this one with 15
     * digits, 8.77558442841059e-08, which is another double. */
    CHECK_OK(dmf_chain_write_meta(chain, dir, "{\"rel_error\": 8.775584428410591e-08, \"sizes\": [0.1, 3]}"));
    meta = get_text(path_in("meta", "chain.json"));
    const char *value = meta ? strstr(meta, "\"rel_error\":") : NULL;
    CHECK(value && strtod(value + strlen("\"rel_error\":"), NULL) == 8.775584428410591e-08,
          "rel_error does not read back exactly: %s", meta ? meta : "(none)");
    CHECK(meta && strstr(meta, "[0.1, 3]"), "numbers not in their shortest form: %s", meta ? meta : "(none)");
    /* Nested members, a negative zero, a whole number beyond 2^53 and a
     * repeated key each keep their value and their key. */
    CHECK_OK(dmf_chain_write_meta(chain, dir, "{\"source\": {\"noise\": 1e-06, \"seed\": 1e17}, "
                                              "\"z\": -0.0, \"d\": 1, \"d\": 2.5}"));
    meta = get_text(path_in("meta", "chain.json"));
    CHECK(meta && strstr(meta, "\"noise\":\t1e-06") && strstr(meta, "\"seed\":\t1e+17") &&
              strstr(meta, "\"z\":\t-0") && strstr(meta, "\"d\":\t1,") && strstr(meta, "\"d\":\t2.5"),
          "nested, signed, large or repeated numbers changed: %s", meta ? meta : "(none)");
    CHECK_OK(dmf_chain_read(dir, &back));
    dmf_chain_free(back);
    CHECK_STATUS(dmf_chain_write_meta(chain, dir, "{\"dtype\": \"f32\"}"), DMF_ERR_ARG);
    CHECK_STATUS(dmf_chain_write_meta(chain, dir, "[1, 2]"), DMF_ERR_ARG);
    CHECK_STATUS(dmf_chain_write_meta(chain, dir, "{\"tree\": "), DMF_ERR_ARG);
    dmf_chain_free(chain);
}

/* A write that fails part-way (here: the file size limit) leaves the old
 * chain whole and no temporary folder. */
static void test_failed_write_keeps_old(void)
{
    dmf_chain *old = make_chain(2, 8), *big = make_chain(8, 9), *back = NULL;
    const char *dir = path_in("kept", NULL);
    CHECK_OK(dmf_chain_write(old, dir));
    struct rlimit saved, small;
    getrlimit(RLIMIT_FSIZE, &saved);
    small = saved;
    small.rlim_cur = 4096;
    signal(SIGXFSZ, SIG_IGN);
    if (setrlimit(RLIMIT_FSIZE, &small) == 0) {
        CHECK_STATUS(dmf_chain_write(big, dir), DMF_ERR_IO);
        setrlimit(RLIMIT_FSIZE, &saved);
        CHECK_OK(dmf_chain_read(dir, &back));
        CHECK(same_chain(old, back), "a failed write damaged the old chain");
        CHECK(!exists(path_in("kept", "factor_02.mtx")), "a failed write left new files in the folder");
        CHECK(leftovers() == 0, "a failed write left a temporary folder");
        dmf_chain_free(back);
    } else {
        printf("setrlimit(RLIMIT_FSIZE) refused: failed-write check skipped\n");
    }
    dmf_chain_free(old);
    dmf_chain_free(big);
}

int main(void)
{
    snprintf(root, sizeof root, "/tmp/dmf_test_chain_io_XXXXXX");
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 2;
    }
    test_replace_longer();
    test_refuse_foreign();
    test_links_not_followed();
    test_mixed_folder();
    test_meta();
    test_failed_write_keeps_old();
    nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    return check_report("test_chain_io");
}
