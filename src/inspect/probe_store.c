/*
 * probe_store.c - audit-self: netwarden's own audit store. store_health
 * verifies the store (nw_store_verify: chain, segments, signatures) and
 * reports the configured retention and how many days of records the store
 * actually holds (oldest day partition to now).
 *
 * The store is set->store_dir (--store, else <data-dir>/store). No store
 * there: skip (nothing to examine yet). Verification reads the whole store
 * once; its cost is that of `netwarden verify`.
 */
#include "probe_int.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "nw/store.h"

static int store_health_run(const struct nw_probe_req *req, struct nw_probe_res *res)
{
    const char *dir = req->set->store_dir;
    char path[4200], oldest[16] = "";
    struct nw_buf *b = &res->facts;
    struct nw_err err;
    DIR *d;
    struct dirent *de;
    size_t parts = 0;
    int rc;
    int64_t covered = -1;

    if (dir == NULL || dir[0] == '\0') return nw_probe_skip(res, "no audit store configured");
    snprintf(path, sizeof path, "%s/STORE", dir);
    if (!nw__exists(&(struct nw_probe_req){.root = "/"}, path))
        return nw_probe_skip(res, "no audit store at %s (give --store DIR)", dir);
    d = opendir(dir);
    while (d && (de = readdir(d)) != NULL) {
        const char *n = de->d_name;
        if (strlen(n) != 10 || n[4] != '-' || n[7] != '-') continue;
        parts++;
        if (oldest[0] == '\0' || strcmp(n, oldest) < 0) snprintf(oldest, sizeof oldest, "%.10s", n);
    }
    if (d) closedir(d);
    if (oldest[0]) {
        struct tm tm;
        memset(&tm, 0, sizeof tm);
        if (sscanf(oldest, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) == 3) {
            tm.tm_year -= 1900;
            tm.tm_mon -= 1;
            covered = ((int64_t)(req->set->now_us / 1000000) - (int64_t)timegm(&tm)) / 86400;
            if (covered < 0) covered = 0;
        }
    }
    err.msg[0] = '\0';
    rc = nw_store_verify(dir, NULL, NULL, &err);
    if (rc < 0 && rc != NW_EFORMAT)
        return nw_probe_error(res, "cannot verify %s: %.200s", dir, err.msg);
    nw_json_kcstr(b, "store", dir);
    nw_json_kbool(b, "verified", rc == 0);
    nw_json_kcstr(b, "verify_error", rc == 0 ? "" : err.msg);
    nw_json_kuint(b, "retention_days", req->set->store_retention_days);
    nw_json_kuint(b, "partitions", parts);
    nw_json_key(b, "oldest_day");
    if (oldest[0]) nw_json_cstr(b, oldest);
    else nw_json_null(b);
    nw_json_key(b, "covered_days");
    if (covered >= 0) nw_json_int(b, covered);
    else nw_json_null(b);
    if (rc == 0)
        nw_probe_evidence(res, "store %s intact; retention %llu days; %zu day partitions%s%s",
                          dir, (unsigned long long)req->set->store_retention_days, parts,
                          oldest[0] ? ", oldest " : "", oldest);
    else
        nw_probe_evidence(res, "store %s FAILED verification: %.300s", dir, err.msg);
    return 0;
}

const struct nw_probe nw_probe_store_health = {
    "store_health", NW_CHK_AUDIT_SELF, NULL, store_health_run,
    "netwarden's audit store: verification, configured retention, days held"};
