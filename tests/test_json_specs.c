/* JSON specs that hold whole numbers: generator specs ({"sizes": ...,
 * "seed": ...}) and a chain's chain.json.  JSON numbers are doubles; each
 * reader must refuse fractions, negatives, huge values and infinities with a
 * message naming the field, before any cast, and report malformed text
 * without touching memory it has already freed. */
#define _POSIX_C_SOURCE 200809L

#include <string.h>

#include "check.h"
#include "tmp_files.h"

#define CHECK_MESSAGE(needle)                                                              \
    CHECK(strstr(dmf_last_error(), needle) != NULL, "message '%s' lacks '%s'", dmf_last_error(), \
          needle)

/* A generator spec file with `text`, which must be refused with `needle`. */
static void generator_fails(const char *text, const char *needle)
{
    const char *path = write_text("gen.json", text);
    dmf_generator *g = (dmf_generator *)1;
    CHECK_STATUS(dmf_generator_read(path, &g), DMF_ERR_FORMAT);
    CHECK(g == NULL, "spec '%s' left a generator behind", text);
    CHECK(strstr(dmf_last_error(), path) != NULL, "spec '%s': message '%s' does not name the file",
          text, dmf_last_error());
    CHECK(strstr(dmf_last_error(), needle) != NULL, "spec '%s': message '%s' lacks '%s'", text,
          dmf_last_error(), needle);
}

static void test_generator_specs(void)
{
    /* Malformed text: the message quotes the text at the error, which was
     * once read after the text had been freed. */
    generator_fails("", "malformed JSON: the text ends too early");
    generator_fails("{\"sizes\": [3,", "malformed JSON: the text ends too early");
    generator_fails("{\"sizes\": [3, x]}", "malformed JSON near 'x]}'");
    generator_fails("{\"sizes\": [3, 4]} trailing", "malformed JSON near 'trailing'");

    /* Sizes: whole numbers >= 1, checked before the cast. */
    generator_fails("{\"sizes\": [3, 4.5]}", "\"sizes\"[1] must be an integer >= 1");
    generator_fails("{\"sizes\": [-1, 4]}", "\"sizes\"[0] must be an integer >= 1");
    generator_fails("{\"sizes\": [3, 1e59]}", "\"sizes\"[1] must be an integer >= 1");
    generator_fails("{\"sizes\": [3, 1e400]}", "\"sizes\"[1] must be an integer >= 1");
    generator_fails("{\"sizes\": [3, -1e400]}", "\"sizes\"[1] must be an integer >= 1");
    generator_fails("{\"sizes\": [3, 18446744073709551616]}", "\"sizes\"[1] must be an integer >= 1");
    generator_fails("{\"sizes\": [3, 0]}", "\"sizes\"[1] must be an integer >= 1");
    generator_fails("{\"sizes\": [3, \"4\"]}", "\"sizes\"[1] must be an integer >= 1");

    /* The seed: a whole number in [0, 2^53]. */
    generator_fails("{\"sizes\": [3, 4], \"seed\": 1.5}", "\"seed\" must be an integer in [0, 2^53]");
    generator_fails("{\"sizes\": [3, 4], \"seed\": -1}", "\"seed\" must be an integer");
    generator_fails("{\"sizes\": [3, 4], \"seed\": 1e300}", "\"seed\" must be an integer");
    generator_fails("{\"sizes\": [3, 4], \"seed\": 1e400}", "\"seed\" must be an integer");
    generator_fails("{\"sizes\": [3, 4], \"seed\": \"7\"}", "\"seed\" must be an integer");

    /* And a good spec still reads, with the same network for the same seed. */
    const char *path = write_text("good.json", "{\"sizes\": [3, 4, 5], \"seed\": 9007199254740992}\n");
    dmf_generator *g = NULL;
    CHECK_OK(dmf_generator_read(path, &g));
    dmf_generator_free(g);
}

/* chain.json in tmp_dir, which dmf_chain_read must refuse with `needle`. */
static void chain_fails(const char *text, const char *needle)
{
    write_text("chain.json", text);
    dmf_chain *chain = (dmf_chain *)1;
    CHECK_STATUS(dmf_chain_read(tmp_dir, &chain), DMF_ERR_FORMAT);
    CHECK(chain == NULL, "chain.json '%s' left a chain behind", text);
    CHECK(strstr(dmf_last_error(), "chain.json") != NULL, "message '%s' does not name the file",
          dmf_last_error());
    CHECK(strstr(dmf_last_error(), needle) != NULL, "chain.json '%s': message '%s' lacks '%s'", text,
          dmf_last_error(), needle);
}

static void test_chain_json(void)
{
    chain_fails("", "malformed JSON");
    chain_fails("{\"dtype\": \"f64\", \"num_factors\": 2,", "malformed JSON");
    chain_fails("{\"dtype\": \"f64\", \"num_factors\": 3.5, \"radix_m\": [2, 2, 2], \"radix_n\": [2, 2, 2], "
                "\"ranks\": [1, 1]}",
                "\"num_factors\" must be an integer in 1..64, not 3.5");
    chain_fails("{\"dtype\": \"f64\", \"num_factors\": 1e300, \"radix_m\": [2], \"radix_n\": [2], \"ranks\": []}",
                "\"num_factors\" must be an integer in 1..64, not 1e+300");
    chain_fails("{\"dtype\": \"f64\", \"num_factors\": 65, \"radix_m\": [2], \"radix_n\": [2], \"ranks\": []}",
                "\"num_factors\" must be an integer in 1..64, not 65");
    chain_fails("{\"dtype\": \"f64\", \"num_factors\": \"2\", \"radix_m\": [2, 2], \"radix_n\": [2, 2], "
                "\"ranks\": [1]}",
                "\"num_factors\" must be an integer in 1..64");
    chain_fails("{\"dtype\": \"f64\", \"num_factors\": 2, \"radix_m\": [2, 1e59], \"radix_n\": [2, 2], "
                "\"ranks\": [1]}",
                "\"radix_m\"[1] is not an integer >= 1");
    chain_fails("{\"dtype\": \"f64\", \"num_factors\": 2, \"radix_m\": [2, 2], \"radix_n\": [2.5, 2], "
                "\"ranks\": [1]}",
                "\"radix_n\"[0] is not an integer >= 1");
    chain_fails("{\"dtype\": \"f64\", \"num_factors\": 2, \"radix_m\": [2, 2], \"radix_n\": [2, 2], "
                "\"ranks\": [-1]}",
                "\"ranks\"[0] is not an integer >= 1");
    chain_fails("{\"dtype\": \"f64\", \"num_factors\": 2, \"radix_m\": [2, 2], \"radix_n\": [2, 2], "
                "\"ranks\": [1e400]}",
                "\"ranks\"[0] is not an integer >= 1");

    /* A chain written by dmf reads back (into a folder of its own: dmf
     * refuses to write a chain among other files). */
    remove(tmp_path("chain.json"));
    size_t two[2] = {2, 2}, one[1] = {1};
    dmf_chain *chain = NULL, *back = NULL;
    char dir[sizeof tmp_dir + 16];
    snprintf(dir, sizeof dir, "%s/chain", tmp_dir);
    CHECK_OK(dmf_chain_create(&chain, DMF_F64, 2, two, two, one));
    CHECK_OK(dmf_chain_write(chain, dir));
    CHECK_OK(dmf_chain_read(dir, &back));
    dmf_chain_free(chain);
    dmf_chain_free(back);
    const char *files[] = {"chain.json", "factor_00.mtx", "factor_01.mtx", "factor_00_blocks.npy",
                           "factor_01_blocks.npy"};
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
        char path[sizeof dir + 32];
        snprintf(path, sizeof path, "%s/%s", dir, files[k]);
        remove(path);
    }
    rmdir(dir);
}

int main(void)
{
    if (make_tmp_dir("dmf_test_json_specs") != 0) return 2;
    test_generator_specs();
    test_chain_json();
    remove_tmp_dir();
    return check_report("test_json_specs");
}
