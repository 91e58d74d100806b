/* libFuzzer harness: reading a chain folder (dmf_chain_read).  The input is
 * the folder in one piece: chain.json, then each factor's blocks file, each
 * starting at the .npy magic "\x93NUMPY" -- so the input is split at every
 * magic into chain.json, factor_00_blocks.npy, factor_01_blocks.npy, ...
 * The last two parts are also written as perm_rows.npy and perm_cols.npy,
 * which a chain.json naming them makes the reader check. */
#include "fuzz_input.h"

static const char magic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

static const uint8_t *find_magic(const uint8_t *p, const uint8_t *end)
{
    for (; end - p >= (ptrdiff_t)sizeof magic; p++)
        if (!memcmp(p, magic, sizeof magic)) return p;
    return end;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static size_t written; /* factor files the last input left behind */
    char buf[4200], name[64];
    const uint8_t *end = data + size, *part = find_magic(data, end);
    fuzz_write_file("chain.json", data, (size_t)(part - data), buf, sizeof buf);
    size_t k = 0;
    while (part < end && k < 80) {
        const uint8_t *next = find_magic(part + sizeof magic, end);
        snprintf(name, sizeof name, "factor_%02zu_blocks.npy", k++);
        fuzz_write_file(name, part, (size_t)(next - part), buf, sizeof buf);
        part = next;
    }
    for (size_t j = k; j < written; j++) {
        snprintf(name, sizeof name, "factor_%02zu_blocks.npy", j);
        unlink(fuzz_path(name, buf, sizeof buf));
    }
    written = k;
    static const char *const perms[2] = {"perm_rows.npy", "perm_cols.npy"};
    for (size_t side = 0; side < 2; side++) {
        const char *path = fuzz_path(perms[side], buf, sizeof buf);
        if (k < 2) {
            unlink(path);
            continue;
        }
        /* Parts k-2 and k-1 again, found by walking the magics once more. */
        const uint8_t *p = find_magic(data, end);
        for (size_t skip = 0; skip < k - 2 + side; skip++) p = find_magic(p + sizeof magic, end);
        const uint8_t *q = find_magic(p + sizeof magic, end);
        fuzz_write_file(perms[side], p, (size_t)(q - p), buf, sizeof buf);
    }

    dmf_chain *chain = NULL;
    if (dmf_chain_read(fuzz_tmp_dir(), &chain) == DMF_OK) {
        size_t L = dmf_chain_num_factors(chain);
        FUZZ_CHECK(L >= 1 && L <= k);
        for (size_t f = 0; f < L; f++) {
            size_t a, b, c, d;
            FUZZ_CHECK(dmf_chain_support(chain, f, &a, &b, &c, &d) == DMF_OK);
        }
        (void)dmf_chain_nnz(chain);
    } else {
        FUZZ_CHECK(!chain && dmf_last_error()[0]);
    }
    dmf_chain_free(chain);
    return 0;
}
