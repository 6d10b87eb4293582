/*
 * main.c - `netwarden COMMAND [OPTIONS]`: dispatch to a subcommand, in the
 * style of git. Exit codes are shared by every command (see --help).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "nw/config.h"
#include "nw/core.h"

static const struct nw_cli_cmd commands[] = {
    {"audit", "decode traffic (files or a live interface) into user-attributed audit records",
     nw_cmd_audit},
    {"query", "find stored records; who held an IP at a given time", nw_cmd_query},
    {"import", "store EVE JSON lines (ours or Suricata eve.json) in a store", nw_cmd_import},
    {"verify", "check a store: hash chain, segments, signatures", nw_cmd_verify},
    {"store-keygen", "make an Ed25519 key pair for signing a store", nw_cmd_store_keygen},
    {"inspect", "self-inspection: run the checks on this host, the audit store and named targets", nw_cmd_inspect},
    {"report", "the network security self-inspection report (zh/en; md, html, pdf)", nw_cmd_report},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: netwarden [--version] [--help] COMMAND [OPTIONS]\n\n"
                 "netwarden is an Internet security audit and self-inspection system.\n\n"
                 "Commands:\n");
    for (size_t i = 0; i < NW_ARRAY_LEN(commands); i++)
        fprintf(out, "  %-13s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nRun 'netwarden COMMAND --help' for a command's options;\n"
                 "'netwarden --config-reference' lists every configuration setting.\n\n"
                 "Exit codes: 0 success, 1 findings or verification failure, 2 usage, "
                 "configuration or input error, 3 runtime failure (I/O, resources).\n");
}

int nw_cli_parse(const char *cmd, const struct nw_cli_opt *opts, int argc, char **argv,
                 int (*on_opt)(void *arg, int idx, const char *value), void *arg)
{
    int i;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *val = NULL;
        int idx = -1;
        if (a[0] != '-' || a[1] == '\0') break;
        if (strcmp(a, "--") == 0) return i + 1;
        if (a[1] == '-') {
            const char *eq = strchr(a + 2, '=');
            size_t n = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
            for (int k = 0; opts[k].name; k++)
                if (strlen(opts[k].name) == n && strncmp(opts[k].name, a + 2, n) == 0) idx = k;
            if (eq) val = eq + 1;
        } else if (a[2] == '\0') {
            for (int k = 0; opts[k].name; k++)
                if (opts[k].shortname == a[1]) idx = k;
        }
        if (idx < 0) {
            fprintf(stderr, "netwarden %s: unknown option '%s'; see 'netwarden %s --help'\n", cmd,
                    a, cmd);
            return -1;
        }
        if (opts[idx].arg != NULL && val == NULL) {
            if (i + 1 >= argc) {
                fprintf(stderr, "netwarden %s: option '%s' needs a value (%s); see 'netwarden %s "
                        "--help'\n", cmd, a, opts[idx].arg, cmd);
                return -1;
            }
            val = argv[++i];
        } else if (opts[idx].arg == NULL && val != NULL) {
            fprintf(stderr, "netwarden %s: option '--%s' takes no value; see 'netwarden %s "
                    "--help'\n", cmd, opts[idx].name, cmd);
            return -1;
        }
        if (on_opt(arg, idx, val) != 0) return -1;
    }
    return i;
}

void nw_cli_print_opts(const struct nw_cli_opt *opts)
{
    for (int k = 0; opts[k].name; k++) {
        char left[64];
        if (opts[k].shortname)
            snprintf(left, sizeof left, "-%c, --%s%s%s", opts[k].shortname, opts[k].name,
                     opts[k].arg ? " " : "", opts[k].arg ? opts[k].arg : "");
        else
            snprintf(left, sizeof left, "    --%s%s%s", opts[k].name, opts[k].arg ? " " : "",
                     opts[k].arg ? opts[k].arg : "");
        printf("  %-28s %s\n", left, opts[k].help);
    }
}

int nw_cli_config(const char *cmd, struct nw_config *c, const char *path,
                  const struct nw_cli_set *sets)
{
    struct nw_err err;
    int rc;

    if (nw_config_init(c) != 0) {
        fprintf(stderr, "netwarden %s: error: out of memory setting the defaults\n", cmd);
        return NW_EXIT_RUNTIME;
    }
    rc = nw_config_load(c, path ? path : NW_CONFIG_DEFAULT_PATH, path != NULL, &err);
    for (; rc == 0 && sets && sets->key; sets++)
        if (sets->value) rc = nw_config_set(c, sets->key, sets->value, &err);
    if (rc == 0) return 0;
    fprintf(stderr, "netwarden %s: error: %s\n", cmd, err.msg);
    nw_config_fini(c);
    return nw_cli_exit_for(rc);
}

int nw_cli_exit_for(int rc) { return rc == NW_ENOMEM ? NW_EXIT_RUNTIME : NW_EXIT_USAGE; }

/*
 * Run a command; an allocation that failed on the way makes the exit 3 (out of
 * memory), whatever the command concluded. The pipeline tolerates a failed
 * allocation by dropping what needed it (a flow, a record, a check's evidence) and
 * counting it, so a run that lost memory may report success, findings (1) or a
 * refused input (2) over an incomplete result; tests/e2e/alloc_fail.sh found all
 * three. Where the command said nothing about memory, one line says so here.
 */
static int finish(const struct nw_cli_cmd *cmd, int argc, char **argv)
{
    int rc = cmd->run(argc - 1, argv + 1);
    uint64_t failed = nw_alloc_failures();

    if (failed == 0 || rc == NW_EXIT_RUNTIME) return rc;
    fprintf(stderr, "netwarden %s: error: out of memory (%llu allocation%s failed); the result "
            "may be incomplete: free memory or lower the memcaps, then run it again\n", cmd->name,
            (unsigned long long)failed, failed == 1 ? "" : "s");
    return NW_EXIT_RUNTIME;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return NW_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return NW_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("netwarden %s\n", NW_VERSION);
        return NW_EXIT_OK;
    }
    if (strcmp(argv[1], "--config-reference") == 0) {
        nw_config_reference(stdout);
        return NW_EXIT_OK;
    }
    for (size_t i = 0; i < NW_ARRAY_LEN(commands); i++)
        if (strcmp(argv[1], commands[i].name) == 0) return finish(&commands[i], argc, argv);
    fprintf(stderr, "netwarden: '%s' is not a command; see 'netwarden --help'\n", argv[1]);
    return NW_EXIT_USAGE;
}
