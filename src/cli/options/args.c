/* The arguments of one command line or job, read through the command's
 * table: defaults, typed values, labels for messages, required options and
 * the rules between options. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "tables.h"

const cli_command *const *cli_commands(size_t *count)
{
    static const cli_command *const list[] = {
        &cli_butterfly_factor, &cli_butterfly_apply, &cli_butterfly_densify, &cli_fsmf,
        &cli_palm, &cli_hierarchical, &cli_matrix, &cli_liftrank, &cli_scatter,
        &cli_synth_network, &cli_recover, &cli_demod_synth, &cli_demod_solve, &cli_demod_sweep,
        &cli_demod_landscape, &cli_demod_fields, &cli_demod_image, &cli_run, &cli_merge,
        &cli_jobs_check, &cli_info};
    *count = sizeof list / sizeof *list;
    return list;
}

const cli_command *cli_find_command(const char *name)
{
    size_t n;
    const cli_command *const *c = cli_commands(&n);
    for (size_t k = 0; k < n; k++)
        if (!strcmp(c[k]->name, name)) return c[k];
    return NULL;
}

int cli_option_index(const cli_command *c, const char *name)
{
    for (int k = 0; c->options[k].name; k++)
        if (!strcmp(c->options[k].name, name)) return k;
    return -1;
}

const cli_option *cli_find_option(const cli_command *c, const char *name)
{
    int k = cli_option_index(c, name);
    return k < 0 ? NULL : &c->options[k];
}

void cli_args_init(cli_args *a, const cli_command *c)
{
    memset(a, 0, sizeof *a);
    a->command = c;
}

/* A name the code asks for must be in the table: a typo there is a bug,
 * found by the first test that runs the command. */
static int index_of(const cli_args *a, const char *name)
{
    int k = cli_option_index(a->command, name);
    if (k < 0) {
        fprintf(stderr, "dmf: internal error: '%s' has no option '%s'\n", a->command->name, name);
        abort();
    }
    return k;
}

const char *cli_get(const cli_args *a, const char *name)
{
    int k = index_of(a, name);
    return a->set[k] ? a->value[k] : a->command->options[k].fallback;
}

int cli_given(const cli_args *a, const char *name) { return a->set[index_of(a, name)]; }

int cli_has_option(const cli_args *a, const char *name) { return cli_option_index(a->command, name) >= 0; }

const char *cli_get_if(const cli_args *a, const char *name)
{
    return cli_has_option(a, name) ? cli_get(a, name) : NULL;
}

size_t cli_get_size(const cli_args *a, const char *name, size_t none)
{
    const char *v = cli_get(a, name);
    size_t n;
    return v && !cli_parse_size(v, &n) ? n : none;
}

unsigned long long cli_get_u64(const cli_args *a, const char *name, unsigned long long none)
{
    const char *v = cli_get(a, name);
    unsigned long long n;
    return v && !cli_parse_u64(v, &n) ? n : none;
}

double cli_get_double(const cli_args *a, const char *name, double none)
{
    const char *v = cli_get(a, name);
    double x;
    return v && !cli_parse_double(v, &x) ? x : none;
}

const char *cli_option_label(const cli_args *a, const char *name, char *buf, size_t cap)
{
    snprintf(buf, cap, a->job ? "\"%s\"" : "--%s", name);
    return buf;
}

int cli_args_check(const cli_args *a, char *why, size_t cap)
{
    char label[80];
    for (const cli_option *o = a->command->options; o->name; o++) {
        if (!(o->flags & OPT_REQUIRED) || a->set[o - a->command->options]) continue;
        if (a->job)
            snprintf(why, cap, "'%s' needs \"%s\" in its args", a->command->name, o->name);
        else if (o->kind == ARG_POSITIONAL)
            snprintf(why, cap, "%s is required", o->metavar ? o->metavar : o->name);
        else
            snprintf(why, cap, "%s is required", cli_option_label(a, o->name, label, sizeof label));
        return 1;
    }
    return a->command->rules ? a->command->rules(a, why, cap) : 0;
}
