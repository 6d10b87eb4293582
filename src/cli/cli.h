/* cli.h - the subcommands and their shared option parsing (src/cli only). */
#ifndef NW_CLI_CLI_H
#define NW_CLI_CLI_H

#include <stddef.h>

/* One command-line option. Flags with arg == NULL take no value. */
struct nw_cli_opt {
    const char *name;   /* long name without "--" */
    char shortname;     /* 0 if none */
    const char *arg;    /* value placeholder for --help, or NULL */
    const char *help;
};

struct nw_cli_cmd {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
};

/*
 * Parse argv against opts. For each option found calls on_opt(arg, idx,
 * value); returns the index of the first non-option argument, or -1 after
 * printing a usage error naming the bad option and pointing to --help.
 */
int nw_cli_parse(const char *cmd, const struct nw_cli_opt *opts, int argc, char **argv,
                 int (*on_opt)(void *arg, int idx, const char *value), void *arg);
void nw_cli_print_opts(const struct nw_cli_opt *opts);

int nw_cmd_audit(int argc, char **argv);
int nw_cmd_import(int argc, char **argv);
int nw_cmd_verify(int argc, char **argv);
int nw_cmd_store_keygen(int argc, char **argv);
int nw_cmd_inspect(int argc, char **argv);
int nw_cmd_report(int argc, char **argv);
struct nw_config;
struct nw_store_opts;
/* A command-line value for a setting ("section.key"); value NULL = not given. */
struct nw_cli_set {
    const char *key, *value;
};
/*
 * The settings a command runs with: the defaults, then the file (path, or the
 * default path when NULL; a missing default file is no error), then sets (a
 * list ending in {NULL, NULL}; NULL = none). 0, or the exit code after one
 * line on stderr naming cmd; c needs nw_config_fini after 0 only.
 */
int nw_cli_config(const char *cmd, struct nw_config *c, const char *path,
                  const struct nw_cli_set *sets);
/* The exit code for an NW_E* error: 3 for out of memory, else 2 (usage or input). */
int nw_cli_exit_for(int rc);
void nw_cli_store_opts(const struct nw_config *c, struct nw_store_opts *o); /* cmd_import.c */
int nw_cmd_query(int argc, char **argv);

#endif
