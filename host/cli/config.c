/* config.c - settings files (train --config FILE, tune --space FILE): one "key = value" per
 * line, where a key is an option's name without its "--" and the value is read by the same
 * reader as on the command line, so the keys are the flags and cannot drift from them. '#'
 * starts a comment; blank lines are skipped; a value is the rest of the line, trimmed (no
 * quoting). A flag's value is true or false. An unknown key or a bad value is a usage error
 * "FILE:LINE: ...". */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "options.h"

static char *trim(char *s) {
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) s[--n] = 0;
    return s;
}

/* May a key name o in a file read for the settings-file option cfg? */
static int allowed(const cli_option *cfg, const cli_option *o) {
    if (o->kind == CLI_CONFIG) return 0; /* files do not nest */
    if (o->kind == CLI_PRESET) return 0; /* a preset is the command line's: it sits under files */
    const cli_group *g = cfg->keys;
    return !g || (o >= g->options && o < g->options + g->n);
}

/* The keys a restricted file may hold, "a, b, c", for the message on an unknown one. */
static void key_list(const cli_option *cfg, char *buf, size_t cap) {
    size_t len = 0;
    buf[0] = 0;
    for (int k = 0; cfg->keys && k < cfg->keys->n && len < cap; k++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", k ? ", " : "",
                                cfg->keys->options[k].name + 2);
}

/* A flag's value: true or false (also yes / no, on / off, 1 / 0). */
static int read_flag(const char *v, int *out) {
    static const char *const yes[] = {"true", "yes", "on", "1"}, *const no[] = {"false", "no",
                                                                                "off", "0"};
    for (int k = 0; k < 4; k++) {
        if (!strcasecmp(v, yes[k])) return *out = 1, 1;
        if (!strcasecmp(v, no[k])) return *out = 0, 1;
    }
    return 0;
}

/* One "key = value" line (line is its number) of settings file file into opts. */
static ar_status read_line(const cli_command *cmd, const cli_option *cfg, const char *path,
                           int file, int line, char *text, void *opts, cli_parsed *p) {
    char *eq = strchr(text, '=');
    if (!eq)
        return cli_usage(cmd->name, "%s:%d: expected KEY = VALUE (an option's name without "
                         "'--'), got '%s'", path, line, text);
    *eq = 0;
    char *key = trim(text), *val = trim(eq + 1), name[64];
    snprintf(name, sizeof name, "%s%s", strncmp(key, "--", 2) ? "--" : "", key);
    size_t base = 0;
    const cli_option *o = *key && strlen(key) < 60 ? cli_find_option(cmd, name, &base) : NULL;
    if (!o || !allowed(cfg, o)) {
        char keys[1024];
        key_list(cfg, keys, sizeof keys);
        if (cfg->keys)
            return cli_usage(cmd->name, "%s:%d: unknown key '%s' (%s takes %s)", path, line, key,
                             cfg->name, keys);
        return cli_usage(cmd->name, "%s:%d: unknown key '%s' (a key is one of the options of "
                         "'autorec %s' without its '--', e.g. 'lr = 0.001')", path, line, key,
                         cmd->name);
    }
    void *field = (char *)opts + base + o->at;
    ar_status st = AR_OK;
    if (o->kind == CLI_FLAG) {
        if (!read_flag(val, field))
            st = cli_usage(cmd->name, "%s expects true or false, got '%s'", o->name, val);
    } else {
        st = cli_read_value(cmd, o, val, field);
    }
    if (st != AR_OK) return cli_usage(cmd->name, "%s:%d: %s", path, line, cli_message());
    cli_note_given(p, o, file + 1, line);
    return AR_OK;
}

ar_status cli_config_read(const cli_command *cmd, cli_parsed *p, int k, void *opts) {
    const cli_option *cfg = p->config_option[k];
    const char *path = p->config[k];
    char *text = NULL;
    size_t len = 0;
    ar_status st = ar_read_file(path, &text, &len);
    if (st != AR_OK) return cli_fail(st, "%s: %s", cfg->name, ar_last_error());
    free(p->config_text[k]);
    p->config_text[k] = text; /* the values point into it: kept until cli_parsed_free */
    if (memchr(text, 0, len))
        return cli_usage(cmd->name, "%s: %s is not a text file (it holds a NUL byte)", cfg->name,
                         path);
    int line = 0;
    for (char *s = text, *next; st == AR_OK && s; s = next) {
        next = strchr(s, '\n');
        if (next) *next++ = 0;
        line++;
        char *hash = strchr(s, '#');
        if (hash) *hash = 0;
        char *t = trim(s);
        if (*t) st = read_line(cmd, cfg, path, k, line, t, opts, p);
    }
    return st;
}

/* ---- blaming a file's line ------------------------------------------------------------------ */

static int word_char(char c) { return isalnum((unsigned char)c) || c == '_' || c == '-'; }

/* Does word (n bytes) stand in text as a whole word? ("--lr" is not in "--lr-decay",
 * "ar_train_config.lr" not in "ar_train_config.lr_decay".) */
static int has_word(const char *text, const char *word, size_t n) {
    for (const char *p = strstr(text, word); p; p = strstr(p + 1, word)) {
        char before = p > text ? p[-1] : ' ', after = p[n];
        if (!word_char(before) && before != '.' && !word_char(after)) return 1;
    }
    return 0;
}

/* Does the message name o, by its flag or by one of the library settings it sets? */
static int names_option(const char *m, const cli_option *o) {
    if (has_word(m, o->name, strlen(o->name))) return 1;
    for (const char *s = o->setting; s && *s;) {
        size_t n = strcspn(s, " ");
        char word[128];
        snprintf(word, sizeof word, "%.*s", (int)n, s);
        if (n < sizeof word && has_word(m, word, n)) return 1;
        s += n + strspn(s + n, " ");
    }
    return 0;
}

ar_status cli_config_blame(const cli_command *cmd, const cli_parsed *p, ar_status s) {
    if (s == AR_OK || !ar_status_is_usage_error(s) || !p->n_config) return s;
    const char *m = cli_message();
    for (int k = 0; k < p->n_given; k++) {
        if (!p->from_line[k] || !names_option(m, p->given[k])) continue;
        if (strstr(m, p->config[p->from_file[k] - 1]) == m) return s; /* already blamed */
        return cli_usage(cmd->name, "%s:%d: %s", p->config[p->from_file[k] - 1],
                         p->from_line[k], m);
    }
    return s;
}
