/* Parsing a command line and printing --help, both from the command table
 * (options/): getopt's table, every value check, the required options and
 * the rules between options come from the one declaration. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_args.h"

/* Writes `text` word by word from column `col`, wrapping at 79 columns to
 * `indent`; returns the column reached. */
static size_t wrap(FILE *out, const char *text, size_t col, size_t indent)
{
    const char *p = text;
    while (*p) {
        size_t len = strcspn(p, " ");
        if (len == 0) {
            p++;
            continue;
        }
        if (col > indent && col + 1 + len > 79) {
            fprintf(out, "\n%*s", (int)indent, "");
            col = indent;
        } else if (col > indent) {
            fputc(' ', out);
            col++;
        }
        fwrite(p, 1, len, out);
        col += len;
        p += len;
    }
    return col;
}

/* Writes `item` whole (it may hold spaces) at `col`, or on a new line at
 * `indent` when it does not fit in 79 columns; returns the column reached. */
static size_t put_item(FILE *out, const char *item, size_t col, size_t indent)
{
    size_t len = strlen(item);
    if (col > indent && col + 1 + len > 79) {
        fprintf(out, "\n%*s", (int)indent, "");
        col = indent;
    } else {
        fputc(' ', out);
        col++;
    }
    fputs(item, out);
    return col + len;
}

/* "auto|cpu|cuda" for a choice, the metavar, or "V". */
static const char *value_name(const cli_option *o, char *buf, size_t cap)
{
    if (o->metavar) return o->metavar;
    if (o->type != V_CHOICE) return "V";
    size_t used = 0;
    buf[0] = '\0';
    for (size_t k = 0; o->choices[k] && used < cap; k++)
        used += (size_t)snprintf(buf + used, cap - used, "%s%s", k ? "|" : "", o->choices[k]);
    return buf;
}

void cli_print_help(const cli_command *c, FILE *out)
{
    char head[64], item[160], vbuf[96];
    snprintf(head, sizeof head, "usage: dmf %s", c->name);
    fputs(head, out);
    size_t indent = strlen(head) + 1, col = strlen(head);
    for (const cli_option *o = c->options; o->name; o++) {
        const char *v = value_name(o, vbuf, sizeof vbuf);
        int required = o->flags & OPT_REQUIRED;
        if (o->kind == ARG_POSITIONAL)
            snprintf(item, sizeof item, required ? "%s%s" : "[%s%s]", o->metavar, o->flags & OPT_MANY ? "..." : "");
        else if (o->kind == ARG_FLAG) snprintf(item, sizeof item, "[--%s]", o->name);
        else snprintf(item, sizeof item, required ? "--%s %s" : "[--%s %s]", o->name, v);
        col = put_item(out, item, col, indent);
    }
    fputs("\n\n", out);
    fputs(c->about, out);
    if (c->options[0].name) fputs("\noptions:\n", out);
    for (const cli_option *o = c->options; o->name; o++) {
        const char *v = value_name(o, vbuf, sizeof vbuf);
        if (o->kind == ARG_POSITIONAL) snprintf(item, sizeof item, "  %s", o->metavar);
        else if (o->kind == ARG_FLAG) snprintf(item, sizeof item, "  --%s", o->name);
        else snprintf(item, sizeof item, "  --%s %s", o->name, v);
        fputs(item, out);
        size_t at = strlen(item);
        enum { HELP_COLUMN = 22 };
        if (at + 2 > HELP_COLUMN) {
            fprintf(out, "\n%*s", HELP_COLUMN, "");
        } else {
            fprintf(out, "%*s", (int)(HELP_COLUMN - at), "");
        }
        col = wrap(out, o->help, HELP_COLUMN, HELP_COLUMN);
        char extra[160] = "";
        if (o->flags & OPT_REQUIRED) snprintf(extra, sizeof extra, "(required)");
        else if (o->fallback) snprintf(extra, sizeof extra, "(default %s)", o->fallback);
        if (extra[0]) wrap(out, extra, col, HELP_COLUMN);
        fputc('\n', out);
    }
    if (c->epilog) {
        fputc('\n', out);
        fputs(c->epilog, out);
    }
    fputs("\n--verbose and --max-memory SIZE work with every command (see 'dmf --help').\n", out);
}

int cli_parse_args(const char *name, int argc, char **argv, cli_args *a)
{
    const cli_command *c = cli_find_command(name);
    if (!c) {
        fprintf(stderr, "dmf: internal error: '%s' is not in the command table\n", name);
        abort();
    }
    cli_args_init(a, c);
    struct option opts[CLI_MAX_OPTIONS + 2];
    size_t n = 0;
    for (int k = 0; c->options[k].name; k++)
        if (c->options[k].kind != ARG_POSITIONAL)
            opts[n++] = (struct option){c->options[k].name,
                                        c->options[k].kind == ARG_FLAG ? no_argument : required_argument, 0,
                                        256 + k};
    opts[n++] = (struct option){"help", no_argument, 0, 'h'};
    opts[n] = (struct option){0, 0, 0, 0};
    char why[1024];
    int code;
    optind = 0;
    opterr = 0;
    while ((code = cli_getopt(name, argc, argv, opts)) != -1) {
        if (code == 'h') {
            cli_print_help(c, stdout);
            return CLI_HELP_SHOWN;
        }
        if (code < 256) return EXIT_USAGE; /* cli_getopt has said why */
        const cli_option *o = &c->options[code - 256];
        if (o->kind == ARG_VALUE && cli_check_value(o, optarg, ".", why, sizeof why))
            return cli_usage_error(name, "--%s: %s", o->name, why);
        a->value[code - 256] = o->kind == ARG_VALUE ? optarg : NULL;
        a->set[code - 256] = 1;
    }
    /* The words left are the positional arguments, in the table's order;
     * an OPT_MANY one takes all that remain. */
    for (int k = 0; c->options[k].name && optind < argc; k++) {
        const cli_option *o = &c->options[k];
        if (o->kind != ARG_POSITIONAL) continue;
        int last = o->flags & OPT_MANY ? argc : optind + 1;
        for (int w = optind; w < last; w++)
            if (cli_check_value(o, argv[w], ".", why, sizeof why))
                return cli_usage_error(name, "%s: %s", o->metavar, why);
        a->value[k] = argv[optind];
        a->set[k] = 1;
        if (o->flags & OPT_MANY) {
            a->rest = argv + optind;
            a->num_rest = argc - optind;
        }
        optind = last;
    }
    if (optind < argc) return cli_usage_error(name, "unexpected argument '%s'", argv[optind]);
    if (cli_args_check(a, why, sizeof why)) return cli_usage_error(name, "%s", why);
    return EXIT_OK;
}
