/* help.c - a command's help, generated from its option table: the usage line, the description,
 * then the options group by group with their defaults taken from the options struct as the
 * command's defaults() fills it (so the help cannot drift from the code). The same content as
 * Markdown for docs/cli.md. */
#include <stdlib.h>
#include <string.h>

#include "options.h"

enum {
    HELP_WIDTH = 92,  /* wrap help text at this column */
    HELP_COLUMN = 24, /* where an option's description starts */
};

/* Stands for a space that does not break a line: "(default: 256)" stays whole. */
#define NBSP '\x01'

/* Writes n bytes of text from column col, wrapped at HELP_WIDTH, later lines indented by
 * indent; a '\n' in text breaks the line. Ends the line. */
static void wrap(FILE *f, int col, int indent, const char *text, size_t n) {
    int start = 1; /* nothing written on this line yet */
    for (const char *p = text, *end = text + n; p < end;) {
        int len = 0; /* the word at p */
        while (p + len < end && p[len] != ' ' && p[len] != '\n') len++;
        if (*p == ' ') {
            p++;
        } else if (*p == '\n' || (!start && col + 1 + len > HELP_WIDTH)) {
            fprintf(f, "\n%*s", indent, "");
            col = indent;
            start = 1;
            p += *p == '\n';
        } else {
            if (!start) fputc(' ', f), col++;
            for (int k = 0; k < len; k++) fputc(p[k] == NBSP ? ' ' : p[k], f);
            col += len;
            start = 0;
            p += len;
        }
    }
    fputc('\n', f);
}

/* Markdown text (n bytes of s): the characters that would start emphasis or HTML escaped. */
void cli_md_text(FILE *f, const char *s, size_t n) {
    for (size_t k = 0; k < n; k++) {
        if (s[k] == '*' || s[k] == '_' || s[k] == '<') fputc('\\', f);
        fputc(s[k], f);
    }
}

/* The option's default as text, from its field in a defaults-filled options struct (NULL:
 * unknown); 0 when there is none worth showing. */
static int default_text(const cli_option *o, const void *field, char *buf, size_t cap) {
    buf[0] = 0;
    if (!field || (o->flags & CLI_NO_DEFAULT)) return 0;
    return cli_value_text(o, field, buf, cap);
}

/* The command's options struct with its defaults (caller frees; NULL when out of memory, and
 * the help then shows no defaults). */
static void *defaults_of(const cli_command *cmd) {
    void *opts = calloc(1, cmd->size ? cmd->size : 1);
    if (opts && cmd->defaults) cmd->defaults(opts);
    return opts;
}

/* The option's field in opts (NULL when opts is). */
static const void *field_of(const void *opts, const cli_use *use, const cli_option *o) {
    return opts ? (const char *)opts + use->base + o->at : NULL;
}

/* An option that an earlier group's option of the same name hides. */
static int shadowed(const cli_command *cmd, const cli_option *o) {
    return cli_find_option(cmd, o->name, NULL) != o;
}

/* The description: paragraphs wrapped (Markdown: as they are), indented lines verbatim
 * (Markdown: a code block). */
static void print_about(FILE *f, const char *about, int markdown) {
    int in_block = 0;
    for (const char *p = about; *p;) {
        size_t n = strcspn(p, "\n");
        int verbatim = n >= 2 && !strncmp(p, "  ", 2);
        if (markdown && verbatim != in_block) fputs("```\n", f), in_block = verbatim;
        if (verbatim || n == 0) fprintf(f, "%.*s\n", (int)n, p);
        else if (markdown) cli_md_text(f, p, n), fputc('\n', f);
        else wrap(f, 0, 0, p, n);
        p += n + (p[n] == '\n');
    }
    if (in_block) fputs("```\n", f);
}

/* The option's help with its default: "TEXT (default: X)", or "TEXT (default: X):" when the
 * text introduces a list of choices. */
static void with_default(const cli_option *o, const char *def, char *buf, size_t cap) {
    size_t n = strlen(o->help);
    int colon = n && o->help[n - 1] == ':';
    if (!def[0]) snprintf(buf, cap, "%s", o->help);
    else snprintf(buf, cap, "%.*s (default:%c%s)%s", (int)(n - (size_t)colon), o->help, NBSP,
                  def, colon ? ":" : "");
}

/* A CLI_PRESET option's presets under it, each with its help and values. */
static void print_presets(FILE *f, const cli_option *o) {
    int width = 0;
    for (int k = 0; o->presets && o->presets[k].name; k++)
        if ((int)strlen(o->presets[k].name) > width) width = (int)strlen(o->presets[k].name);
    for (int k = 0; o->presets && o->presets[k].name; k++) {
        char values[1024], text[2048];
        int indent = HELP_COLUMN + 2 + width + 2;
        cli_preset_values(&o->presets[k], NBSP, values, sizeof values);
        snprintf(text, sizeof text, "%s: %s", o->presets[k].help, values);
        fprintf(f, "%*s%-*s  ", HELP_COLUMN + 2, "", width, o->presets[k].name);
        wrap(f, indent, indent, text, strlen(text));
    }
}

static void print_option(FILE *f, const cli_option *o, const void *field) {
    char head[128], def[128], text[2048];
    int col = snprintf(head, sizeof head, "  %s%s%s", o->name, o->meta ? " " : "",
                       o->meta ? o->meta : "");
    fputs(head, f);
    if (col + 2 > HELP_COLUMN) fputc('\n', f), col = 0;
    fprintf(f, "%*s", HELP_COLUMN - col, "");
    default_text(o, field, def, sizeof def);
    with_default(o, def, text, sizeof text);
    wrap(f, HELP_COLUMN, HELP_COLUMN, text, strlen(text));
    int width = 0;
    for (int k = 0; o->choices && o->choices[k].name; k++)
        if (o->choices[k].help && (int)strlen(o->choices[k].name) > width)
            width = (int)strlen(o->choices[k].name);
    for (int k = 0; o->choices && o->choices[k].name; k++) {
        if (!o->choices[k].help) continue;
        int indent = HELP_COLUMN + 2 + width + 2;
        fprintf(f, "%*s%-*s  ", HELP_COLUMN + 2, "", width, o->choices[k].name);
        wrap(f, indent, indent, o->choices[k].help, strlen(o->choices[k].help));
    }
    print_presets(f, o);
}

static void markdown_option(FILE *f, const cli_option *o, const void *field) {
    char def[128];
    size_t n = strlen(o->help);
    int colon = n && o->help[n - 1] == ':';
    fprintf(f, "- `%s%s%s`: ", o->name, o->meta ? " " : "", o->meta ? o->meta : "");
    cli_md_text(f, o->help, n - (size_t)colon);
    if (default_text(o, field, def, sizeof def)) fprintf(f, " (default: `%s`)", def);
    fputs(colon ? ":\n" : "\n", f);
    for (int k = 0; o->choices && o->choices[k].name; k++) {
        if (!o->choices[k].help) continue;
        fprintf(f, "  - `%s`: ", o->choices[k].name);
        cli_md_text(f, o->choices[k].help, strlen(o->choices[k].help));
        fputc('\n', f);
    }
    for (int k = 0; o->presets && o->presets[k].name; k++) {
        char values[1024];
        cli_preset_values(&o->presets[k], ' ', values, sizeof values);
        fprintf(f, "  - `%s`: ", o->presets[k].name);
        cli_md_text(f, o->presets[k].help, strlen(o->presets[k].help));
        fprintf(f, ": `%s`\n", values);
    }
}

/* The options group by group (those another group's option hides left out), each group's note
 * after it; the defaults from the options struct the command's defaults() fills. */
static void print_groups(const cli_command *cmd, FILE *f, int markdown) {
    void *opts = defaults_of(cmd);
    for (int g = 0; g < cmd->n_groups; g++) {
        const cli_group *grp = cmd->groups[g].group;
        fprintf(f, markdown ? "\n### %s\n\n" : "\n%s:\n", grp->heading);
        for (int k = 0; k < grp->n; k++) {
            const cli_option *o = &grp->options[k];
            if (shadowed(cmd, o)) continue;
            if (markdown) markdown_option(f, o, field_of(opts, &cmd->groups[g], o));
            else print_option(f, o, field_of(opts, &cmd->groups[g], o));
        }
        if (grp->note && markdown) fputc('\n', f), cli_md_text(f, grp->note, strlen(grp->note));
        if (grp->note && markdown) fputc('\n', f);
        else if (grp->note) wrap(f, 0, 0, grp->note, strlen(grp->note));
    }
    free(opts);
}

/* The usage line(s): cmd->usage, or when it is NULL every option of the table, "[--name META]"
 * ("--name META" when required), wrapped under the first after the command's name, so that the
 * line cannot leave an option out. */
static void print_usage(const cli_command *cmd, FILE *f) {
    if (cmd->usage) {
        fprintf(f, "usage: %s\n", cmd->usage);
        return;
    }
    const int indent = (int)strlen("usage: autorec ") + (int)strlen(cmd->name);
    int col = fprintf(f, "usage: autorec %s", cmd->name);
    for (int g = 0; g < cmd->n_groups; g++) {
        const cli_group *grp = cmd->groups[g].group;
        for (int k = 0; k < grp->n; k++) {
            const cli_option *o = &grp->options[k];
            if (shadowed(cmd, o)) continue;
            char item[160];
            const int req = o->flags & CLI_REQUIRED;
            int n = snprintf(item, sizeof item, "%s%s%s%s%s", req ? "" : "[", o->name,
                             o->meta ? " " : "", o->meta ? o->meta : "", req ? "" : "]");
            if (col + 1 + n > HELP_WIDTH) col = fprintf(f, "\n%*s", indent, "") - 1;
            col += fprintf(f, " %s", item);
        }
    }
    fputc('\n', f);
}

void cli_print_help(const cli_command *cmd, FILE *f) {
    print_usage(cmd, f);
    fputc('\n', f);
    print_about(f, cmd->about, 0);
    print_groups(cmd, f, 0);
}

void cli_print_markdown(const cli_command *cmd, FILE *f) {
    fprintf(f, "## autorec %s\n\n", cmd->name);
    cli_md_text(f, cmd->summary, strlen(cmd->summary));
    fputs("\n\n```\n", f);
    print_usage(cmd, f);
    fputs("```\n\n", f);
    print_about(f, cmd->about, 1);
    print_groups(cmd, f, 1);
    fputc('\n', f);
}
