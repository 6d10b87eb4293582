/*
 * probe_banner.c - "banner": what the open services of a target say about
 * themselves. Uses the banners the scan grabbed (the first bytes a service
 * sends, or its answer to "GET / HTTP/1.0"); sends nothing itself.
 *
 * A banner "discloses a version" when it names software with a version
 * number: "SSH-2.0-OpenSSH_9.2p1", "Server: nginx/1.22.1", "220 (vsFTPd
 * 3.0.3)", "5.5.5-10.11.6-MariaDB". The test is a bounded scan for a letter
 * run followed by '/', '_', ' ', '-' or '(' and then digit '.' digit;
 * protocol versions ("HTTP/1.1", "SSH-2.0-", "RFB 003.008") do not count.
 *
 * Parameters: ignore? (ports not to report). Facts: banners [{port, text}],
 * version_disclosed [ports], n_banners.
 */
#include "netprobe.h"

#include <stdio.h>
#include <string.h>

static int is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* 1 if s holds "<letters><sep><digits>.<digit>" somewhere (bounded by len). */
/* Protocol names followed by a protocol version, not a software version. */
static const char *const proto_tokens[] = {"HTTP/", "RFB ", "SSH-", "RTSP/", "SIP/", "ESMTP ",
                                           "IMAP4rev", "@RSYNCD: "};

static size_t proto_token_at(const char *s, size_t len)
{
    for (size_t k = 0; k < NW_ARRAY_LEN(proto_tokens); k++) {
        size_t n = strlen(proto_tokens[k]);
        if (n <= len && memcmp(s, proto_tokens[k], n) == 0) {
            /* skip the version digits and dots too */
            while (n < len && (is_digit(s[n]) || s[n] == '.')) n++;
            return n;
        }
    }
    return 0;
}

static int discloses_version(const char *s, size_t len)
{
    for (size_t i = 0; i + 4 < len; i++) {
        size_t skip = proto_token_at(s + i, len - i);
        if (skip) {
            i += skip - 1;
            continue;
        }
        if (!is_alpha(s[i]) || (i > 0 && is_alpha(s[i - 1]))) continue;
        size_t j = i;
        while (j < len && (is_alpha(s[j]) || s[j] == '-')) j++;
        if (j - i < 2 || j >= len) continue;
        if (s[j] == '/' || s[j] == '_' || s[j] == ' ' || s[j] == '(') j++;
        else if (s[j - 1] != '-') continue;
        size_t d = j;
        while (d < len && is_digit(s[d])) d++;
        if (d > j && d + 1 < len && s[d] == '.' && is_digit(s[d + 1])) return 1;
        i = j > i ? j - 1 : i;
    }
    /* MySQL/MariaDB greetings: length, sequence, protocol 10 (escaped "\x0a"),
       then the bare version: "...\x0a5.5.5-10.11.6-MariaDB" */
    const char *g = NULL;
    for (size_t i = 0; i + 7 < len && i < 24 && g == NULL; i++)
        if (memcmp(s + i, "\\x0a", 4) == 0) g = s + i + 4;
    if (g && is_digit(g[0]) && g[1] == '.' && is_digit(g[2])) return 1;
    return 0;
}

static int banner_run(const struct nw_probe_req *req, struct nw_probe_res *res)
{
    const struct nw_inspect_target *t = req->target;
    struct nw_buf *b = &res->facts;
    uint64_t *ign;
    size_t nb = 0, nv = 0;
    char first[160] = "";

    if (t == NULL) return nw_probe_error(res, "banner is a network probe: no target");
    if (!t->scanned)
        return nw_probe_error(res, "%s was not scanned: %s", t->host, t->scan_error);
    ign = nw_calloc(1024, sizeof(uint64_t));
    if (ign == NULL) return NW_ENOMEM;
    if (nw__netprobe_ports_param(req, "ignore", ign, res) < 0) goto out;
    nw_json_karr_open(b, "banners");
    for (size_t i = 0; i < t->nopen; i++) {
        const char *txt = nw__netprobe_banner(t, t->open_ports[i]);
        if (!*txt || nw__bm_has(ign, t->open_ports[i])) continue;
        nw_json_obj_open(b);
        nw_json_kuint(b, "port", t->open_ports[i]);
        nw_json_kstr(b, "text", txt, NW_MIN(strlen(txt), 256u));
        nw_json_obj_close(b);
        nb++;
    }
    nw_json_arr_close(b);
    nw_json_karr_open(b, "version_disclosed");
    for (size_t i = 0; i < t->nopen; i++) {
        const char *txt = nw__netprobe_banner(t, t->open_ports[i]);
        if (!*txt || nw__bm_has(ign, t->open_ports[i])) continue;
        if (!discloses_version(txt, strlen(txt))) continue;
        nw_json_uint(b, t->open_ports[i]);
        if (nv++ == 0) snprintf(first, sizeof(first), "port %u: %.120s", t->open_ports[i], txt);
    }
    nw_json_arr_close(b);
    nw_json_kuint(b, "n_banners", nb);
    if (nv)
        nw_probe_evidence(res, "%s: %zu service(s) announce software and version; %s",
                          t->addr_text, nv, first);
    else
        nw_probe_evidence(res, "%s: %zu banner(s), none names a software version", t->addr_text,
                          nb);
out:
    nw_free(ign);
    return 0;
}

static const char *const banner_params[] = {"ignore?", NULL};
const struct nw_probe nw_probe_banner = {
    "banner", NW_CHK_NETWORK, banner_params, banner_run,
    "service banners from the scan; which of them disclose software versions"};
