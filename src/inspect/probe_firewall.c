/*
 * probe_firewall.c - is there a host firewall, and does it drop inbound
 * traffic by default?
 *
 * Sources, all under the root: nftables (etc/nftables.conf: a chain with
 * "hook input" and "policy drop"), iptables-persistent / RHEL
 * (etc/iptables/rules.v4, etc/sysconfig/iptables: ":INPUT DROP"), ufw
 * (etc/ufw/ufw.conf ENABLED=yes with DEFAULT_INPUT_POLICY DROP or REJECT in
 * etc/default/ufw), firewalld (enabled unit; its zones reject what they do
 * not allow). On the live host ("/") the loaded ruleset from
 * `/usr/sbin/nft list ruleset` counts too (needs root; if it cannot run it
 * is simply not a source). Whether the saved files are loaded at boot is
 * not checked (documented limit).
 */
#include "probe_int.h"

#include <stdio.h>
#include <string.h>

/* Does nftables text hold an input-hook chain whose policy is drop? */
static int nft_input_drop(const char *t)
{
    const char *p = t;
    for (int n = 0; n < 256 && (p = strstr(p, "hook input")) != NULL; n++) {
        const char *end = strchr(p, '}');
        const char *pol = strstr(p, "policy drop");
        if (pol && (end == NULL || pol < end)) return 1;
        p += 10;
    }
    return 0;
}

static int firewall_run(const struct nw_probe_req *req, struct nw_probe_res *res)
{
    struct nw_buf *b = &res->facts;
    const char *src[8];
    size_t nsrc = 0;
    int present = 0, deny = 0;
    char *buf = NULL;
    size_t len;

    if (nw_probe_read_file(req, "/etc/nftables.conf", 1u << 20, &buf, &len, NULL) == 0) {
        if (strstr(buf, "table ") != NULL) {
            present = 1;
            src[nsrc++] = "nftables.conf";
            if (nft_input_drop(buf)) deny = 1;
        }
        nw_free(buf);
    }
    static const char *const ipt[] = {"/etc/iptables/rules.v4", "/etc/sysconfig/iptables"};
    for (size_t i = 0; i < 2; i++) {
        if (nw_probe_read_file(req, ipt[i], 1u << 20, &buf, &len, NULL) != 0) continue;
        if (strstr(buf, ":INPUT") != NULL) {
            present = 1;
            src[nsrc++] = i == 0 ? "iptables rules.v4" : "sysconfig/iptables";
            if (strstr(buf, ":INPUT DROP") != NULL) deny = 1;
        }
        nw_free(buf);
    }
    if (nw_probe_read_file(req, "/etc/ufw/ufw.conf", 65536, &buf, &len, NULL) == 0) {
        int enabled = strstr(buf, "\nENABLED=yes") != NULL || strncmp(buf, "ENABLED=yes", 11) == 0;
        nw_free(buf);
        if (enabled) {
            present = 1;
            src[nsrc++] = "ufw";
            if (nw_probe_read_file(req, "/etc/default/ufw", 65536, &buf, &len, NULL) == 0) {
                if (strstr(buf, "DEFAULT_INPUT_POLICY=\"DROP\"") ||
                    strstr(buf, "DEFAULT_INPUT_POLICY=\"REJECT\""))
                    deny = 1;
                nw_free(buf);
            }
        }
    }
    if (nw__exists(req, "/etc/systemd/system/multi-user.target.wants/firewalld.service")) {
        present = 1;
        deny = 1;
        src[nsrc++] = "firewalld";
    }
    if (strcmp(req->root, "/") == 0 && nw__exists(req, "/usr/sbin/nft") && nsrc < 8) {
        char *argv[] = {"/usr/sbin/nft", "list", "ruleset", NULL};
        char *out = nw_alloc((1u << 20) + 1);
        size_t ol = 0;
        int code = -1;
        if (out == NULL) return NW_ENOMEM;
        if (nw__run_capture(argv, out, 1u << 20, &ol, 5, req->cancel, &code) == 0 && code == 0 &&
            strstr(out, "table ") != NULL) {
            present = 1;
            src[nsrc++] = "nft ruleset";
            if (nft_input_drop(out)) deny = 1;
        }
        nw_free(out);
    }
    nw_json_kbool(b, "present", present);
    nw_json_kbool(b, "default_deny_input", deny);
    nw_json_karr_open(b, "sources");
    for (size_t i = 0; i < nsrc; i++) nw_json_cstr(b, src[i]);
    nw_json_arr_close(b);
    if (!present) nw_probe_evidence(res, "no nftables, iptables, ufw or firewalld configuration "
                                    "found");
    else nw_probe_evidence(res, "firewall from %s%s; inbound default %s", src[0],
                           nsrc > 1 ? " and others" : "", deny ? "drop" : "accept");
    return 0;
}

const struct nw_probe nw_probe_firewall = {
    "firewall", NW_CHK_LOCAL, NULL, firewall_run,
    "host firewall present (nftables, iptables, ufw, firewalld) with default-deny input"};
