/* The command table (src/cli/options): every command's declaration is
 * whole (unique names, help, valid defaults and choices), the values a
 * command line or a job gives are judged by one check with known answers,
 * and the rules between options say the same for both, each in its own
 * words (--name on the command line, "name" in a job). */
#include <string.h>

#include "check.h"
#include "options.h"

static void check_declarations(void)
{
    size_t count;
    const cli_command *const *commands = cli_commands(&count);
    CHECK(count >= 21, "%zu commands", count);
    char why[1024];
    for (size_t k = 0; k < count; k++) {
        const cli_command *c = commands[k];
        CHECK(cli_find_command(c->name) == c, "'%s' is not found by its name", c->name);
        CHECK(c->about && c->about[0] && c->about[strlen(c->about) - 1] == '\n', "'%s': about", c->name);
        /* One line of 'dmf --help': 21 columns of name, then the summary. */
        CHECK(c->summary && c->summary[0] && !strchr(c->summary, '\n') && strlen(c->summary) <= 58,
              "'%s': summary '%s'", c->name, c->summary ? c->summary : "");
        int n = 0, positional_many = 0;
        for (const cli_option *o = c->options; o->name; o++, n++) {
            CHECK(cli_option_index(c, o->name) == n, "'%s': option '%s' declared twice", c->name, o->name);
            CHECK(o->help && o->help[0] && !strchr(o->help, '\n'), "'%s --%s': help", c->name, o->name);
            CHECK((o->kind == ARG_FLAG) == (o->type == V_NONE), "'%s --%s': flag or value", c->name, o->name);
            CHECK(o->type != V_CHOICE || (o->choices && o->choices[0]), "'%s --%s': no choices", c->name, o->name);
            CHECK(!(o->flags & OPT_REQUIRED) || !o->fallback, "'%s --%s': required with a default", c->name,
                  o->name);
            CHECK(o->kind != ARG_POSITIONAL || o->metavar, "'%s %s': a positional needs its metavar", c->name,
                  o->name);
            CHECK(!positional_many, "'%s': an argument after the one that takes every word", c->name);
            positional_many |= o->kind == ARG_POSITIONAL && (o->flags & OPT_MANY);
            /* A default is a value the option takes. */
            if (o->fallback)
                CHECK(cli_check_value(o, o->fallback, ".", why, sizeof why) == 0, "'%s --%s': default '%s': %s",
                      c->name, o->name, o->fallback, why);
        }
        CHECK(n < CLI_MAX_OPTIONS, "'%s': %d options", c->name, n);
    }
}

/* Whether option `name` of `command` takes `value`; when not, `needle` is
 * in the reason. */
static void check_value(const char *command, const char *name, const char *value, int ok, const char *needle)
{
    const cli_command *c = cli_find_command(command);
    const cli_option *o = c ? cli_find_option(c, name) : NULL;
    char why[1024] = "";
    CHECK(o != NULL, "'%s' has no option '%s'", command, name);
    if (!o) return;
    int refused = cli_check_value(o, value, ".", why, sizeof why) != 0;
    CHECK(refused == !ok, "'%s --%s %s': %s", command, name, value, refused ? why : "taken");
    if (needle) CHECK(strstr(why, needle) != NULL, "'%s --%s %s': '%s' lacks '%s'", command, name, value, why, needle);
}

static void check_values(void)
{
    check_value("butterfly factor", "tree", "balanced", 1, NULL);
    check_value("butterfly factor", "tree", "[[0,1],[2,3]]", 1, NULL);
    check_value("butterfly factor", "tree", "balnced", 0, "did you mean 'balanced'?");
    check_value("butterfly factor", "tree", "[[0,1],", 0, "malformed JSON");
    check_value("butterfly factor", "tree", "[[0,0],2]", 0, "out of order");
    check_value("butterfly factor", "rank", "0", 0, "an integer >= 1");
    check_value("butterfly factor", "rank", "2x", 0, "an integer >= 1");
    check_value("butterfly factor", "backend", "gpu", 0, "auto, cpu or cuda");
    check_value("butterfly factor", "dtype", "c129", 0, "did you mean 'c128'?");
    check_value("butterfly factor", "matrix", "hadamrd", 0, "did you mean 'hadamard'?");
    check_value("butterfly factor", "size", "16x8", 1, NULL);
    check_value("butterfly factor", "size", "16x0", 0, "N or NxM");
    check_value("butterfly factor", "radix-m", "2,3,0", 0, "comma-separated integers >= 1");
    check_value("butterfly factor", "noise", "-1", 0, "a number >= 0");
    check_value("butterfly factor", "noise", "nan", 0, "a number >= 0");
    char radices[200] = "2";
    for (int k = 1; k < 65; k++) strcat(radices, ",2");
    check_value("butterfly factor", "radix-m", radices, 0, "gives 65 radices: a chain has at most 64 factors");
    check_value("recover", "p", "inf", 1, NULL);
    check_value("recover", "p", "1", 1, NULL);
    check_value("recover", "p", "0.5", 0, "a number >= 1 or inf");
    check_value("demod sweep", "momentum", "1", 0, "a number in [0, 1)");
    check_value("demod sweep", "step-rule", "armijo", 0, "fixed, scaled or backtracking");
    check_value("demod solve", "dtype", "c64", 0, "f32 or f64");
    check_value("liftrank", "seed", "18446744073709551615", 1, NULL);
    check_value("liftrank", "seed", "18446744073709551616", 0, "an integer >= 0");
}

/* The rules of `command` on the options name=value (value NULL: a flag),
 * read as a command line (job 0) or a job (job 1). */
static int broken(const char *command, int job, const char *const *pairs, char *why, size_t cap)
{
    const cli_command *c = cli_find_command(command);
    cli_args a;
    cli_args_init(&a, c);
    a.job = job;
    for (size_t k = 0; pairs[k]; k += 2) {
        int at = cli_option_index(c, pairs[k]);
        CHECK(at >= 0, "'%s' has no option '%s'", command, pairs[k]);
        if (at < 0) return 0;
        a.value[at] = pairs[k + 1];
        a.set[at] = 1;
    }
    why[0] = '\0';
    return cli_args_check(&a, why, cap);
}

static void check_rules(void)
{
    char why[1024];
    const char *both[] = {"matrix", "hadamard", "size", "8", "out", "F", "no-out", NULL, NULL};
    CHECK(broken("butterfly factor", 0, both, why, sizeof why) && strstr(why, "--out and --no-out exclude"),
          "command line: '%s'", why);
    CHECK(broken("butterfly factor", 1, both, why, sizeof why) && strstr(why, "\"out\" and \"no-out\" exclude"),
          "job: '%s'", why);
    /* A job without "out" writes nothing; the command line must say. */
    const char *plain[] = {"matrix", "hadamard", "size", "8", NULL};
    CHECK(broken("butterfly factor", 0, plain, why, sizeof why) && strstr(why, "--no-out"), "'%s'", why);
    CHECK(!broken("butterfly factor", 1, plain, why, sizeof why), "job: '%s'", why);
    const char *leaves[] = {"matrix", "hadamard", "size", "16", "no-out", NULL, "tree", "[[0,1],2]", NULL};
    CHECK(broken("butterfly factor", 0, leaves, why, sizeof why) &&
              strstr(why, "--tree has 3 leaves but the chain has 4 factors (radix 2 for this --size)"),
          "'%s'", why);
    const char *mpi[] = {"matrix", "hadamard", "size", "8", "no-out", NULL, "mpi", NULL, "refine", "3", NULL};
    CHECK(broken("butterfly factor", 0, mpi, why, sizeof why) && strstr(why, "--refine runs in one process"), "'%s'",
          why);
    const char *source[] = {"input", "a.npy", "matrix", "dft", "size", "8", "no-out", NULL, NULL};
    CHECK(broken("butterfly factor", 0, source, why, sizeof why) && strstr(why, "exclude each other"), "'%s'", why);
    const char *missing[] = {"matrix", "hadamard", "size", "4", "support-x", "x.mtx", NULL};
    CHECK(broken("fsmf", 1, missing, why, sizeof why) && strstr(why, "'fsmf' needs \"support-y\""), "'%s'", why);
    CHECK(broken("fsmf", 0, missing, why, sizeof why) && strstr(why, "--support-y is required"), "'%s'", why);
    const char *momentum[] = {"latent", "3", "outputs", "20", "momentum", "0.5", NULL};
    CHECK(broken("demod sweep", 0, momentum, why, sizeof why) && strstr(why, "not backtracking (the default)"),
          "'%s'", why);
    const char *fixed[] = {"latent", "3", "outputs", "20", "momentum", "0.5", "step-rule", "fixed", NULL};
    CHECK(!broken("demod sweep", 0, fixed, why, sizeof why), "'%s'", why);
    const char *hier[] = {"matrix", "hadamard", "size", "8", NULL};
    CHECK(broken("hierarchical", 0, hier, why, sizeof why) && strstr(why, "--preset hadamard"), "'%s'", why);
}

int main(void)
{
    check_declarations();
    check_values();
    check_rules();
    printf("%d passed, %d failed\n", check_passed, check_failed);
    return check_failed ? 1 : 0;
}
