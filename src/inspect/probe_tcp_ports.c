/*
 * probe_tcp_ports.c - "tcp_ports": the open TCP ports the scan found on a
 * target, sorted into high-risk ports, database ports and ports outside an
 * allowed list. It sends nothing itself: the framework scanned the target
 * once (nw_inspect_scan) before any network check runs.
 *
 * Parameters (all optional):
 *   high_risk  ports whose exposure is a finding by itself (default: the
 *              table below: remote shells, Windows file sharing and remote
 *              desktop, unauthenticated-by-design services)
 *   allowed    ports the operator expects; others land in unexpected_open
 * Facts: open_ports [n], n_open, high_risk_open [n], high_risk_services
 *        ["telnet/23", ...], database_open [n], unexpected_open [n] (all
 *        open ports when `allowed` is absent), scanned (bool).
 */
#include "netprobe.h"

#include <stdio.h>
#include <string.h>

struct named_port {
    uint16_t port;
    const char *name;
};

/* Exposure alone is the risk: cleartext remote login, file sharing, remote
   desktops, and services that have no authentication by default. */
static const struct named_port high_risk[] = {
    {23, "telnet"},      {69, "tftp"},      {111, "rpcbind"},
    {135, "msrpc"},      {137, "netbios-ns"}, {138, "netbios-dgm"}, {139, "netbios-ssn"},
    {445, "smb"},        {512, "rexec"},    {513, "rlogin"},       {514, "rsh"},
    {873, "rsync"},      {2049, "nfs"},     {2375, "docker"},      {3389, "rdp"},
    {5800, "vnc-http"},  {5900, "vnc"},     {5901, "vnc"},         {6000, "x11"},
    {11211, "memcached"},
};

static const struct named_port databases[] = {
    {1433, "mssql"},     {1521, "oracle"},      {3306, "mysql"},   {5432, "postgresql"},
    {5984, "couchdb"},   {6379, "redis"},       {7000, "cassandra"}, {8086, "influxdb"},
    {9042, "cassandra"}, {9200, "elasticsearch"}, {27017, "mongodb"}, {50000, "db2"},
};

static const char *port_name(uint16_t p)
{
    for (size_t i = 0; i < NW_ARRAY_LEN(high_risk); i++)
        if (high_risk[i].port == p) return high_risk[i].name;
    for (size_t i = 0; i < NW_ARRAY_LEN(databases); i++)
        if (databases[i].port == p) return databases[i].name;
    return "unknown";
}

static int tcp_ports_run(const struct nw_probe_req *req, struct nw_probe_res *res)
{
    const struct nw_inspect_target *t = req->target;
    struct nw_buf *b = &res->facts;
    uint64_t *risk = NULL, *allowed = NULL;
    int nrisk, nallowed, rc = 0;
    char list[512];
    size_t ll = 0;

    if (t == NULL) return nw_probe_error(res, "tcp_ports is a network probe: no target");
    if (!t->scanned)
        return nw_probe_error(res, "%s was not scanned: %s", t->host,
                              t->scan_error[0] ? t->scan_error : "unknown reason");
    risk = nw_calloc(1024, sizeof(uint64_t));
    allowed = nw_calloc(1024, sizeof(uint64_t));
    if (risk == NULL || allowed == NULL) {
        rc = NW_ENOMEM;
        goto out;
    }
    nrisk = nw__netprobe_ports_param(req, "high_risk", risk, res);
    if (nrisk < 0) goto out;
    if (nrisk == 0)
        for (size_t i = 0; i < NW_ARRAY_LEN(high_risk); i++)
            risk[high_risk[i].port >> 6] |= (uint64_t)1 << (high_risk[i].port & 63);
    nallowed = nw__netprobe_ports_param(req, "allowed", allowed, res);
    if (nallowed < 0) goto out;

    nw_json_kbool(b, "scanned", 1);
    nw_json_kuint(b, "n_open", t->nopen);
    nw_json_karr_open(b, "open_ports");
    for (size_t i = 0; i < t->nopen; i++) nw_json_uint(b, t->open_ports[i]);
    nw_json_arr_close(b);
    nw_json_karr_open(b, "high_risk_open");
    for (size_t i = 0; i < t->nopen; i++)
        if (nw__bm_has(risk, t->open_ports[i])) nw_json_uint(b, t->open_ports[i]);
    nw_json_arr_close(b);
    nw_json_karr_open(b, "high_risk_services");
    list[0] = '\0';
    for (size_t i = 0; i < t->nopen; i++) {
        uint16_t p = t->open_ports[i];
        char item[48];
        if (!nw__bm_has(risk, p)) continue;
        snprintf(item, sizeof(item), "%s/%u", port_name(p), p);
        nw_json_cstr(b, item);
        if (ll + strlen(item) + 3 < sizeof(list))
            ll += (size_t)snprintf(list + ll, sizeof(list) - ll, "%s%s", ll ? ", " : "", item);
    }
    nw_json_arr_close(b);
    nw_json_karr_open(b, "database_open");
    for (size_t i = 0; i < t->nopen; i++)
        for (size_t k = 0; k < NW_ARRAY_LEN(databases); k++)
            if (databases[k].port == t->open_ports[i]) nw_json_uint(b, t->open_ports[i]);
    nw_json_arr_close(b);
    nw_json_karr_open(b, "unexpected_open");
    for (size_t i = 0; i < t->nopen; i++)
        if (nallowed == 0 || !nw__bm_has(allowed, t->open_ports[i]))
            nw_json_uint(b, t->open_ports[i]);
    nw_json_arr_close(b);

    {
        /* one line: high-risk, database, then all open ports, as far as they fit */
        char db[160] = "", all[256] = "";
        size_t dl = 0, al = 0;
        for (size_t i = 0; i < t->nopen; i++) {
            uint16_t p = t->open_ports[i];
            for (size_t k = 0; k < NW_ARRAY_LEN(databases); k++)
                if (databases[k].port == p && dl + 24 < sizeof(db))
                    dl += (size_t)snprintf(db + dl, sizeof(db) - dl, "%s%s/%u", dl ? ", " : "",
                                           databases[k].name, p);
            if (al + 8 < sizeof(all))
                al += (size_t)snprintf(all + al, sizeof(all) - al, "%s%u", al ? "," : "", p);
        }
        nw_probe_evidence(res, "%s: %zu open TCP port(s)%s%s; high-risk: %s; databases: %s",
                          t->addr_text, t->nopen, t->nopen ? " " : "", all,
                          ll ? list : "none", dl ? db : "none");
    }
out:
    nw_free(risk);
    nw_free(allowed);
    return rc;
}

static const char *const tcp_ports_params[] = {"high_risk?", "allowed?", NULL};
const struct nw_probe nw_probe_tcp_ports = {
    "tcp_ports", NW_CHK_NETWORK, tcp_ports_params, tcp_ports_run,
    "open TCP ports from the scan: high-risk, database and unexpected ones"};
