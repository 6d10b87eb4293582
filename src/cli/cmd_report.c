/*
 * cmd_report.c - `netwarden report`: the network security self-inspection
 * report (网络安全自查报告) of a recorded inspection, in zh or en, as
 * Markdown, HTML or PDF (docs/report.md).
 *
 * Exit codes: 0 written; 2 usage or input error (unknown inspection, none
 * recorded yet, a damaged results file, an output that cannot be written);
 * 3 runtime failure (memory, rendering). Every error is one line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "nw/config.h"
#include "nw/core.h"
#include "nw/jsonscan.h"
#include "nw/report.h"

enum { O_INSP, O_CMP, O_LANG, O_FORMAT, O_OUT, O_DATA, O_STORE, O_PUBKEY, O_NOW, O_CONFIG,
       O_HELP };

static const struct nw_cli_opt report_opts[] = {
    [O_INSP] = {"inspection", 'i', "latest|ID|FILE", "the inspection to report (default latest)"},
    [O_CMP] = {"compare", 0, "ID|FILE", "compare with this inspection (default: the previous one "
               "of the same scope, from the history)"},
    [O_LANG] = {"lang", 0, "zh|en", "language (default zh)"},
    [O_FORMAT] = {"format", 'f', "html|pdf|md", "output format (default: from --out's suffix, "
                  "else md)"},
    [O_OUT] = {"out", 'o', "FILE", "write the report to FILE (default standard output)"},
    [O_DATA] = {"data-dir", 0, "DIR", "state directory holding DIR/inspect/<id>.json"},
    [O_STORE] = {"store", 0, "DIR", "the audit store to describe (default DATA-DIR/store; '' = none)"},
    [O_PUBKEY] = {"pubkey", 0, "FILE", "verify the store's signatures with this public key "
                  "(default [store] sign_key + .pub when readable)"},
    [O_NOW] = {"now", 0, "TIME", "the report's date, RFC 3339 (for tests and replays)"},
    [O_CONFIG] = {"config", 'c', "FILE", "configuration file (default " NW_CONFIG_DEFAULT_PATH
                  "); [unit] gives name, code, leader, contact"},
    [O_HELP] = {"help", 'h', NULL, "show this help"},
    {NULL, 0, NULL, NULL},
};

struct report_args {
    const char *insp, *cmp, *lang, *format, *out, *data, *store, *pubkey, *now, *config;
    int help;
};

static int on_opt(void *arg, int idx, const char *v)
{
    struct report_args *a = arg;
    switch (idx) {
    case O_INSP: a->insp = v; break;
    case O_CMP: a->cmp = v; break;
    case O_LANG: a->lang = v; break;
    case O_FORMAT: a->format = v; break;
    case O_OUT: a->out = v; break;
    case O_DATA: a->data = v; break;
    case O_STORE: a->store = v; break;
    case O_PUBKEY: a->pubkey = v; break;
    case O_NOW: a->now = v; break;
    case O_CONFIG: a->config = v; break;
    case O_HELP: a->help = 1; break;
    default: return -1;
    }
    return 0;
}

static void help(void)
{
    printf("usage: netwarden report [--inspection latest|ID|FILE] [--compare ID] [--lang zh|en]\n"
           "                        [--format html|pdf|md] [--out FILE] [--data-dir DIR]\n\n"
           "The network security self-inspection report (网络安全自查报告) of a recorded\n"
           "inspection: basic information, the work done, the problems found and their risk,\n"
           "rectification against the previous inspection, suggestions, the audit system, and\n"
           "appendices with the checklist (MLPS 2.0 / Order 82 / CSL references) and assets.\n\n"
           "Options:\n");
    nw_cli_print_opts(report_opts);
    printf("\nExit codes: 0 written, 2 usage or input error (unknown inspection, none yet,\n"
           "damaged results, output not writable), 3 runtime failure.\n"
           "See docs/report.md.\n");
}

static int suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), k = strlen(suf);
    return n >= k && strcmp(s + n - k, suf) == 0;
}

/* Write all of buf to out (a path, or "-"/NULL = stdout) through a temporary
 * file renamed into place, so a failed run never leaves half a report. */
static int write_out(const char *out, const struct nw_buf *b)
{
    char tmp[4200];
    int fd;
    size_t done = 0;

    if (out == NULL || strcmp(out, "-") == 0) {
        if (b->len && fwrite(b->data, 1, b->len, stdout) != b->len) {
            fprintf(stderr, "netwarden report: cannot write to standard output: %s\n",
                    strerror(errno));
            return NW_EXIT_RUNTIME;
        }
        return fflush(stdout) == 0 ? NW_EXIT_OK : NW_EXIT_RUNTIME;
    }
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", out, (long)getpid());
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "netwarden report: cannot write %s: %s; choose another --out\n", out,
                strerror(errno));
        return NW_EXIT_USAGE;
    }
    while (done < b->len) {
        ssize_t n = write(fd, b->data + done, b->len - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            fprintf(stderr, "netwarden report: cannot write %s: %s\n", out,
                    n < 0 ? strerror(errno) : "short write");
            close(fd);
            unlink(tmp);
            return NW_EXIT_RUNTIME;
        }
        done += (size_t)n;
    }
    if (close(fd) != 0 || rename(tmp, out) != 0) {
        fprintf(stderr, "netwarden report: cannot write %s: %s; choose another --out\n", out,
                strerror(errno));
        unlink(tmp);
        return NW_EXIT_USAGE;
    }
    return NW_EXIT_OK;
}

int nw_cmd_report(int argc, char **argv)
{
    struct report_args a;
    struct nw_config cfg;
    struct nw_report m;
    struct nw_report_opts o;
    struct nw_err err;
    struct nw_buf out;
    char pub[4200];
    int i, rc, lang, exit_code = NW_EXIT_OK, cfg_ok = 0;
    const char *fmt;

    memset(&a, 0, sizeof a);
    memset(&m, 0, sizeof m);
    memset(&o, 0, sizeof o);
    nw_buf_init(&out, 0);
    err.msg[0] = '\0';
    i = nw_cli_parse("report", report_opts, argc, argv, on_opt, &a);
    if (i < 0) return NW_EXIT_USAGE;
    if (a.help) {
        help();
        return NW_EXIT_OK;
    }
    if (i < argc) {
        fprintf(stderr, "netwarden report: unexpected argument '%s'; see 'netwarden report "
                "--help'\n", argv[i]);
        return NW_EXIT_USAGE;
    }
    if (a.lang && strcmp(a.lang, "zh") != 0 && strcmp(a.lang, "en") != 0) {
        fprintf(stderr, "netwarden report: --lang is zh or en, not '%s'\n", a.lang);
        return NW_EXIT_USAGE;
    }
    lang = a.lang && strcmp(a.lang, "en") == 0 ? NW_LANG_EN : NW_LANG_ZH;
    fmt = a.format;
    if (fmt == NULL && a.out)
        fmt = suffix(a.out, ".pdf") ? "pdf" : suffix(a.out, ".html") || suffix(a.out, ".htm")
                                                  ? "html" : "md";
    if (fmt == NULL) fmt = "md";
    if (strcmp(fmt, "md") != 0 && strcmp(fmt, "html") != 0 && strcmp(fmt, "pdf") != 0) {
        fprintf(stderr, "netwarden report: --format is html, pdf or md, not '%s'\n", fmt);
        return NW_EXIT_USAGE;
    }
    if (strcmp(fmt, "pdf") == 0 && (a.out == NULL || strcmp(a.out, "-") == 0) &&
        isatty(STDOUT_FILENO)) {
        fprintf(stderr, "netwarden report: a PDF is not written to a terminal; give --out FILE\n");
        return NW_EXIT_USAGE;
    }
    if (a.now) {
        if (nw_json_parse_time(a.now, strlen(a.now), &o.now_us) != 0) {
            fprintf(stderr, "netwarden report: --now '%s' is not an RFC 3339 time like "
                    "2026-11-21T12:00:00Z\n", a.now);
            return NW_EXIT_USAGE;
        }
    }
    if ((exit_code = nw_cli_config("report", &cfg, a.config, NULL)) != 0) return exit_code;
    cfg_ok = 1;
    o.data_dir = a.data ? a.data : cfg.data_dir;
    o.inspection = a.insp ? a.insp : "latest";
    o.compare = a.cmp;
    o.store_dir = a.store;
    o.pubkey = a.pubkey;
    if (o.pubkey == NULL && cfg.store_sign_key && cfg.store_sign_key[0]) {
        snprintf(pub, sizeof pub, "%s.pub", cfg.store_sign_key);
        o.pubkey = pub; /* used only when readable */
    }
    if (a.pubkey && access(a.pubkey, R_OK) != 0) {
        fprintf(stderr, "netwarden report: cannot read --pubkey %s: %s\n", a.pubkey,
                strerror(errno));
        exit_code = NW_EXIT_USAGE;
        goto out;
    }
    o.unit_name = cfg.unit_name;
    o.unit_code = cfg.unit_code;
    o.unit_leader = cfg.unit_leader;
    o.unit_contact = cfg.unit_contact;
    o.store_retention_days = cfg.store_retention_days;
    rc = nw_report_build(&m, &o, &err);
    if (rc != 0) {
        fprintf(stderr, "netwarden report: %s\n", err.msg);
        exit_code = nw_cli_exit_for(rc);
        goto out;
    }
    if (strcmp(fmt, "md") == 0) rc = nw_report_md(&m, lang, &out);
    else if (strcmp(fmt, "html") == 0) rc = nw_report_html(&m, lang, &out);
    else rc = nw_report_pdf(&m, lang, &out, &err);
    if (rc != 0 || !nw_buf_ok(&out)) {
        fprintf(stderr, "netwarden report: %s\n",
                rc == NW_EIO ? err.msg : "out of memory composing the report");
        exit_code = NW_EXIT_RUNTIME;
        goto out;
    }
    exit_code = write_out(a.out, &out);
out:
    nw_report_free(&m);
    nw_buf_fini(&out);
    if (cfg_ok) nw_config_fini(&cfg);
    return exit_code;
}
