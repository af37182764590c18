/* options.h - the option tables: each command's options are declared once, as data (name, value
 * syntax, where the value goes, the library setting it sets, help text), in groups that several
 * commands share; one parser, the help, docs/cli.md and the flag names in messages all come
 * from them. */
#ifndef AR_CLI_OPTIONS_H
#define AR_CLI_OPTIONS_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "report.h"

typedef enum cli_kind {
    CLI_FLAG,    /* no value: the int at the field becomes 1 */
    CLI_INT,     /* an integer in min..max, into an int */
    CLI_I64,     /* an integer in min..max (max 0: INT64_MAX), into an int64_t */
    CLI_U64,     /* an integer >= min (max 0: any), into a uint64_t */
    CLI_FLOAT,   /* a finite number within the bounds, into a float */
    CLI_DOUBLE,  /* the same into a double (read at float precision, as every number option) */
    CLI_STRING,  /* the text as given (argv outlives the options), into a const char * */
    CLI_LIST,    /* repeatable: each value appended to a cli_list */
    CLI_CHOICE,  /* one of choices' names (any case); its value into an int */
    CLI_CUSTOM,  /* parse() reads the value into the field; show() gives the default */
    CLI_PRESET,  /* one of presets' names, into a const char *; its option values are read
                    before the command line's (cli_parse), so the options given override them */
    CLI_CONFIG,  /* a settings file (config.c): its path into a const char *; its "key = value"
                    lines set the options named by the keys before the command line is read */
} cli_kind;

/* CLI_FLOAT / CLI_DOUBLE bounds: which of lo and hi apply, and whether they are excluded. */
enum { CLI_MIN = 1, CLI_MAX = 2, CLI_MIN_OPEN = 4, CLI_MAX_OPEN = 8 };

/* Option flags. */
enum {
    CLI_REQUIRED = 1,   /* the command cannot run without it */
    CLI_NONEMPTY = 2,   /* CLI_STRING: an empty value is refused */
    CLI_NO_DEFAULT = 4, /* the field's initial value is no default worth showing */
    CLI_FROM_MODEL = 8, /* a model setting: train --resume takes it from the model file */
};

typedef struct cli_choice {
    const char *name;
    int value;
    const char *help;   /* shown under the option; NULL: the name alone */
} cli_choice;

enum { CLI_LIST_MAX = 64 };
typedef struct cli_list {
    const char *v[CLI_LIST_MAX];
    int n;
} cli_list;

/* A named configuration: option values as argv-style pairs ("--hidden", "500", ...; a flag
 * alone), read through the command's own table, so each is range-checked like a typed one. */
typedef struct cli_preset {
    const char *name;
    const char *help;         /* what it reproduces; help lists its values after it */
    const char *const *args;  /* terminated by NULL */
} cli_preset;

typedef struct cli_option cli_option;
struct cli_option {
    const char *name;         /* "--lr", or a short "-n" */
    const char *meta;         /* the value in help ("X", "FILE.csv"); NULL for flags */
    cli_kind kind;
    size_t at;                /* offsetof the field in the group's struct */
    long long min;            /* integer kinds: the accepted range */
    unsigned long long max;
    double lo, hi;            /* CLI_FLOAT, CLI_DOUBLE: the bounds ... */
    int bounds;               /* ... that apply (CLI_MIN | CLI_MAX | CLI_MIN_OPEN | CLI_MAX_OPEN) */
    /* CLI_CHOICE: the accepted names, terminated by a NULL name; any kind: those with a help
     * text are listed under the option in help */
    const cli_choice *choices;
    /* CLI_CUSTOM: reads val into field; a bad value is AR_ERR_INVALID_ARG with a message
     * recorded by cli_fail that names the option (it becomes a usage error) */
    ar_status (*parse)(const cli_option *o, const char *val, void *field);
    /* CLI_CUSTOM: the field's value as text for help's "(default: ...)", "" (or no show) for
     * none */
    void (*show)(const void *field, char *buf, size_t cap);
    /* CLI_PRESET: the named configurations, terminated by a NULL name */
    const cli_preset *presets;
    /* CLI_CONFIG: the options a key may name; NULL: every option of the command but the
     * settings files' own */
    const struct cli_group *keys;
    int flags;                /* CLI_REQUIRED, CLI_NONEMPTY, CLI_NO_DEFAULT, CLI_FROM_MODEL */
    const char *setting;      /* the library setting(s) it sets, space-separated, for messages:
                                 "ar_train_config.lr"; NULL: none */
    const char *help;         /* one paragraph, wrapped when printed */
};

/* Options under one heading, stored in one struct (at offsets from its start). */
typedef struct cli_group cli_group;
struct cli_group {
    const char *heading;
    const cli_option *options;
    int n;
    const char *note;         /* a paragraph after the options in help, or NULL */
};
#define CLI_GROUP(heading, options, note) {heading, options, sizeof options / sizeof *options, note}

/* A group in a command: where its struct lies within the command's options struct. */
typedef struct cli_use {
    const cli_group *group;
    size_t base;
} cli_use;

enum { CLI_MAX_GIVEN = 96, CLI_MAX_CONFIGS = 4 };
/* What cli_parse saw besides the values. */
typedef struct cli_parsed {
    int help;                 /* --help (or -h) was given: print the help, run nothing */
    const char *operand;      /* the command's operand, when given */
    const cli_option *given[CLI_MAX_GIVEN]; /* the options given (on the command line or in a
                                               settings file), each once */
    int from_file[CLI_MAX_GIVEN];  /* given[k]'s value is settings file from_file[k] - 1's ... */
    int from_line[CLI_MAX_GIVEN];  /* ... at this line; 0: the command line's */
    /* the preset whose value given[k] holds; NULL when the command line or a file gave it */
    const char *from_preset[CLI_MAX_GIVEN];
    int n_given;
    /* The settings files read (CLI_CONFIG options), in command-line order, and their text,
     * which the values read from them point into (freed by cli_parsed_free). */
    const char *config[CLI_MAX_CONFIGS];
    const cli_option *config_option[CLI_MAX_CONFIGS];
    char *config_text[CLI_MAX_CONFIGS];
    int n_config;
} cli_parsed;

typedef struct cli_command cli_command;
struct cli_command {
    const char *name;
    const char *summary;      /* one line for 'autorec --help' */
    const char *usage;        /* the usage line(s), after "usage: "; NULL: generated from the
                                 option table (help.c), every option listed */
    /* Paragraphs separated by blank lines, wrapped when printed; lines that start with two
     * spaces are printed as they are (tables, lists). */
    const char *about;
    const cli_use *groups;    /* in help order; an option shadows a later one of its name */
    int n_groups;
    const char *operand;      /* the one argument that is no option (help's COMMAND), or NULL */
    size_t size;              /* the options struct */
    void (*defaults)(void *opts); /* fills a zeroed options struct with the defaults; NULL: none */
    /* Runs the command on its parsed options (opts: size bytes, what cli_parse filled) */
    ar_status (*run)(const cli_command *self, void *opts, const cli_parsed *p);
};
/* A command's groups: .groups and .n_groups from one array. */
#define CLI_USES(uses) .groups = uses, .n_groups = (int)(sizeof uses / sizeof *uses)

/* Fills opts (cmd->size bytes) with the defaults, then reads argv with cmd's options: "--name
 * value" (a value that starts with "--" is taken for a forgotten value), "--name=value", flags
 * alone, and cmd's operand if it has one; the last of a repeated option wins (CLI_LIST: all
 * add). A CLI_PRESET option's values are read first, wherever it stands in argv (the last one
 * given wins): defaults < preset < settings files < the command line. They count as given
 * (p->from_preset names the preset) until a file or the command line gives the option again.
 * Values are checked against the table; a bad or unknown option, a missing value or a missing
 * CLI_REQUIRED option is a usage error naming it. --help stops the reading and sets p->help.
 * Settings files (CLI_CONFIG options, e.g. --config FILE) are read before the rest of argv, in
 * the order given, so that a flag on the command line overrides a file's value (config.c).
 * Call cli_parsed_free(p) when the options are no longer used, whatever the status. */
ar_status cli_parse(const cli_command *cmd, int argc, char **argv, void *opts, cli_parsed *p);
/* Frees what cli_parse kept for p (the settings files' text): after the options are used. */
void cli_parsed_free(cli_parsed *p);
/* 1 when the option called name was given (on the command line or in a settings file). */
int cli_given(const cli_parsed *p, const char *name);
/* The option cmd reads for name (the first group's, where several have it), or NULL. */
const cli_option *cli_find_option(const cli_command *cmd, const char *name, size_t *base);

/* Reads val into field as o says (the parser's one reader, also of settings files); a refusal
 * is a usage error of cmd naming the option. */
ar_status cli_read_value(const cli_command *cmd, const cli_option *o, const char *val,
                         void *field);
/* Notes o as given in p, on the command line (file 0) or at line of settings file file - 1;
 * the last one counts. Returns its index in p->given (-1: no room). */
int cli_note_given(cli_parsed *p, const cli_option *o, int file, int line);
/* A usage error s whose message names an option (its flag, or a library setting it sets) whose
 * value came from a settings file gets "FILE:LINE: " before its message: the line to fix. */
ar_status cli_config_blame(const cli_command *cmd, const cli_parsed *p, ar_status s);
/* Reads p's k-th settings file (p->config[k], for the CLI_CONFIG option p->config_option[k])
 * into opts (config.c): one "key = value" per line, the key an option's name without its
 * "--", '#' starting a comment; an unknown key or a bad value is a usage error naming
 * FILE:LINE. Its text is kept in p->config_text[k]. */
ar_status cli_config_read(const cli_command *cmd, cli_parsed *p, int k, void *opts);

/* For CLI_CUSTOM parsers around a library parser: s, after recording "--flag: <the library's
 * message>" when it is a failure. */
ar_status cli_library_value(const cli_option *o, ar_status s);

/* The value in an option's field as text, as help shows defaults and as the option would be
 * given ("%g" for numbers, a choice's name, show() for CLI_CUSTOM); 0 when there is none (flags,
 * lists, an empty string). */
int cli_value_text(const cli_option *o, const void *field, char *buf, size_t cap);

/* A preset's values as a command line would give them: "--hidden 500 --epochs 100 ...", each
 * value after its option's name with join instead of a space (help: one that does not break). */
void cli_preset_values(const cli_preset *ps, char join, char *buf, size_t cap);

/* The help of a command, generated from its table (defaults from cmd->defaults). */
void cli_print_help(const cli_command *cmd, FILE *f);
/* The same as a Markdown section (docs/cli.md). */
void cli_print_markdown(const cli_command *cmd, FILE *f);
/* n bytes of s as Markdown text: the characters that would start emphasis or HTML escaped. */
void cli_md_text(FILE *f, const char *s, size_t n);

/* Strict number parsers: the whole string, in range; return 1 on success. */
int cli_parse_int(const char *s, long long lo, long long hi, long long *out);
int cli_parse_u64(const char *s, uint64_t *out);
int cli_parse_float(const char *s, float *out);

#endif
