/*
 * cmd_verify.c - `netwarden verify --store DIR [--pubkey F]` (check the
 * store's chain, segments and signatures) and `netwarden store-keygen
 * --out FILE` (an Ed25519 key pair for signing the chain).
 *
 * Exit codes: 0 intact; 1 altered, removed, reordered or truncated (the
 * first such segment or chain line is named); 2 usage error or DIR is not a
 * store; 3 the check could not run (I/O, memory).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "nw/store.h"

enum { V_STORE, V_PUBKEY, V_QUIET, V_HELP };
static const struct nw_cli_opt verify_opts[] = {
    [V_STORE] = {"store", 0, "DIR", "the store to check"},
    [V_PUBKEY] = {"pubkey", 0, "FILE", "public key (from store-keygen): every chain line must "
                                       "carry a valid signature"},
    [V_QUIET] = {"quiet", 'q', NULL, "print only failures"},
    [V_HELP] = {"help", 'h', NULL, "show this help"},
    {NULL, 0, NULL, NULL},
};

struct verify_args {
    const char *store, *pubkey;
    int quiet, help;
};

static int on_verify_opt(void *arg, int idx, const char *v)
{
    struct verify_args *a = arg;

    switch (idx) {
    case V_STORE: a->store = v; break;
    case V_PUBKEY: a->pubkey = v; break;
    case V_QUIET: a->quiet = 1; break;
    case V_HELP: a->help = 1; break;
    }
    return 0;
}

int nw_cmd_verify(int argc, char **argv)
{
    struct verify_args a;
    struct nw_err err;
    int i, rc;

    memset(&a, 0, sizeof a);
    i = nw_cli_parse("verify", verify_opts, argc, argv, on_verify_opt, &a);
    if (i < 0) return NW_EXIT_USAGE;
    if (a.help) {
        printf("usage: netwarden verify --store DIR [--pubkey FILE]\n\n"
               "Check a store: the SHA-256 chain of its segments, every sealed segment's size\n"
               "and hash, the blocks of active segments, and with --pubkey the Ed25519\n"
               "signature of every chain line. Names the first segment (or chain line) that\n"
               "was altered, removed, reordered or truncated.\n\nOptions:\n");
        nw_cli_print_opts(verify_opts);
        printf("\nExit codes: 0 intact; 1 verification failed; 2 usage error or not a store;\n"
               "3 the check could not run (I/O, memory).\n");
        return NW_EXIT_OK;
    }
    if (i < argc || a.store == NULL) {
        fprintf(stderr, "netwarden verify: %s; see 'netwarden verify --help'\n",
                a.store ? "unexpected argument" : "give the store with --store DIR");
        return NW_EXIT_USAGE;
    }
    err.msg[0] = '\0';
    rc = nw_store_verify(a.store, a.pubkey, a.quiet ? NULL : stdout, &err);
    if (rc == 0) return NW_EXIT_OK;
    if (rc == 1) {
        fprintf(stderr, "netwarden verify: FAILED: %s: %s\n", a.store, err.msg);
        return NW_EXIT_FINDINGS;
    }
    fprintf(stderr, "netwarden verify: error: %s\n", err.msg);
    return rc == NW_ENOENT || rc == NW_EFORMAT || rc == NW_EINVAL ? NW_EXIT_USAGE : NW_EXIT_RUNTIME;
}

enum { K_OUT, K_HELP };
static const struct nw_cli_opt keygen_opts[] = {
    [K_OUT] = {"out", 'o', "FILE", "secret key file to create (mode 0600); public key goes "
                                   "to FILE.pub"},
    [K_HELP] = {"help", 'h', NULL, "show this help"},
    {NULL, 0, NULL, NULL},
};

static int on_keygen_opt(void *arg, int idx, const char *v)
{
    const char **out = arg;

    if (idx == K_OUT) out[0] = v;
    else out[1] = "help";
    return 0;
}

int nw_cmd_store_keygen(int argc, char **argv)
{
    const char *a[2] = {NULL, NULL};
    struct nw_err err;
    int i = nw_cli_parse("store-keygen", keygen_opts, argc, argv, on_keygen_opt, a);

    if (i < 0) return NW_EXIT_USAGE;
    if (a[1]) {
        printf("usage: netwarden store-keygen --out FILE\n\n"
               "Make an Ed25519 key pair for signing a store's chain. Keep FILE (the secret\n"
               "key) outside the store and readable only by the writer; give FILE.pub to\n"
               "whoever verifies (netwarden verify --pubkey FILE.pub).\n\nOptions:\n");
        nw_cli_print_opts(keygen_opts);
        return NW_EXIT_OK;
    }
    if (i < argc || a[0] == NULL) {
        fprintf(stderr, "netwarden store-keygen: give the key file with --out FILE; see "
                "'netwarden store-keygen --help'\n");
        return NW_EXIT_USAGE;
    }
    if (nw_store_keygen(a[0], &err) != 0) {
        fprintf(stderr, "netwarden store-keygen: error: %s\n", err.msg);
        return NW_EXIT_USAGE;
    }
    fprintf(stderr, "netwarden store-keygen: secret key %s (keep it outside the store), public "
            "key %s.pub\n", a[0], a[0]);
    return NW_EXIT_OK;
}
