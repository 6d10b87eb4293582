/*
 * probe_web_tls.c - "web_tls": the TLS certificate and protocol versions of
 * an https:// website, by running the tls_service probe (I2) on the URL's
 * port with the URL's host as the name (SNI and name match).
 *
 * Facts: those of tls_service (tls_ports, cert_expired, self_signed,
 *   hostname_mismatch, old_protocols, weak_ciphers, expiring_soon,
 *   min_days_left, ports [...]), plus url. Parameters: warn_days?
 * An http:// site: skip (NW-WEB-HTTPS reports plain HTTP).
 */
#include <stdio.h>
#include <string.h>

#include "web_int.h"

extern const struct nw_probe nw_probe_tls_service;

static int web_tls_run(const struct nw_probe_req *req, struct nw_probe_res *res)
{
    struct nw_url u;
    struct nw_inspect_target t;
    struct nw_probe_req r2;
    uint16_t port;

    if (!nw__web_target_ok(req, res)) return 0;
    if (nw_web_url_parse(req->target->host, &u) != 0)
        return nw_probe_error(res, "%s is not an http(s) URL", req->target->host);
    if (strcmp(u.scheme, "https") != 0)
        return nw_probe_skip(res, "%s is served over plain HTTP (no TLS to examine)",
                             req->target->host);
    /* the same target, seen as a host with one open port named by the URL */
    t = *req->target;
    t.host = u.host;
    port = u.port;
    t.open_ports = &port;
    t.nopen = 1;
    t.banners = NULL;
    t.scanned = 1;
    r2 = *req;
    r2.target = &t;
    nw_json_kcstr(&res->facts, "url", req->target->host);
    return nw_probe_tls_service.run(&r2, res);
}

static const char *const web_tls_params[] = {"warn_days?", NULL};
const struct nw_probe nw_probe_web_tls = {
    "web_tls", NW_CHK_NETWORK, web_tls_params, web_tls_run,
    "https:// website: certificate validity, self-signed, name match, TLS versions, weak ciphers"};
