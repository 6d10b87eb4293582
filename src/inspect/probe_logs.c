/*
 * probe_logs.c - logging and time: log_retention (logrotate and journald
 * configuration turned into a number of days), auditd (installed, enabled,
 * rules and watched files) and time_sync (chrony, ntpd or timesyncd
 * configured with servers).
 *
 * log_retention: for each named system log, the logrotate block covering it
 * gives rotate x period days (daily 1, weekly 7, monthly 30, yearly 365;
 * capped by maxage; the global settings of logrotate.conf apply where the
 * block says nothing); the weakest log counts. journald counts when its
 * storage is persistent and MaxRetentionSec is set (otherwise only size
 * bounds it, which says nothing about days). days = the larger of the two.
 * Bounds: 64 logrotate files, 8 KiB lines, 256 paths per block.
 */
#include "probe_int.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ logrotate -- */

struct lr_state {
    const char *const *logs;
    size_t nlogs;
    long gperiod, grotate, gmaxage; /* globals (-1 unset) */
    long days[16];                  /* per log, -1 not covered */
    char where[16][128];
    int in_block;
    long bperiod, brotate, bmaxage;
    int bmatch[16];
    int npending;                   /* path lines seen before the block's '{' */
    char bfile[128];
};

static void lr_directive(struct lr_state *s, const char *w, long *period, long *rotate,
                         long *maxage, const char *rest)
{
    if (strcmp(w, "daily") == 0) *period = 1;
    else if (strcmp(w, "weekly") == 0) *period = 7;
    else if (strcmp(w, "monthly") == 0) *period = 30;
    else if (strcmp(w, "yearly") == 0) *period = 365;
    else if (strcmp(w, "rotate") == 0) *rotate = strtol(rest, NULL, 10);
    else if (strcmp(w, "maxage") == 0) *maxage = strtol(rest, NULL, 10);
    (void)s;
}

static int lr_file(void *arg, const char *full, const char *rel)
{
    struct lr_state *s = arg;
    FILE *f = fopen(full, "r");
    char line[8192];

    if (f == NULL) return 0;
    while (fgets(line, sizeof line, f) != NULL) {
        char *p = line, word[64];
        size_t wl;
        while (isspace((unsigned char)*p)) p++;
        if (*p == '#' || *p == '\0') continue;
        if (!s->in_block && (strchr(p, '{') != NULL || *p == '/' || *p == '"')) {
            /* "path path ... {", paths possibly on lines of their own before the '{':
             * which named logs does this block cover? */
            char *q = p;
            int opens = strchr(p, '{') != NULL;
            if (s->npending == 0) memset(s->bmatch, 0, sizeof s->bmatch);
            s->npending++;
            if (opens) {
                s->in_block = 1;
                s->npending = 0;
                s->bperiod = s->brotate = s->bmaxage = -1;
                snprintf(s->bfile, sizeof s->bfile, "%s", rel);
            }
            for (int n = 0; n < 256 && *q && *q != '{'; n++) {
                char path[1024];
                size_t pl = strcspn(q, " \t{\n");
                if (pl == 0) {
                    q++;
                    continue;
                }
                snprintf(path, sizeof path, "%.*s", (int)pl, q);
                if (path[0] == '"') { /* quoted path */
                    memmove(path, path + 1, strlen(path));
                    path[strcspn(path, "\"")] = '\0';
                }
                for (size_t k = 0; k < s->nlogs; k++)
                    if (fnmatch(path, s->logs[k], 0) == 0) s->bmatch[k] = 1;
                q += pl;
            }
            continue;
        }
        if (s->in_block && *p == '}') {
            long period = s->bperiod >= 0 ? s->bperiod : s->gperiod >= 0 ? s->gperiod : 1;
            long rotate = s->brotate >= 0 ? s->brotate : s->grotate >= 0 ? s->grotate : 0;
            long maxage = s->bmaxage >= 0 ? s->bmaxage : s->gmaxage;
            long days = period * rotate;
            if (maxage >= 0 && maxage < days) days = maxage;
            for (size_t k = 0; k < s->nlogs; k++)
                if (s->bmatch[k]) {
                    s->days[k] = days;
                    snprintf(s->where[k], sizeof s->where[k], "%s", s->bfile);
                }
            s->in_block = 0;
            memset(s->bmatch, 0, sizeof s->bmatch);
            continue;
        }
        s->npending = 0;
        wl = strcspn(p, " \t\n");
        if (wl == 0 || wl >= sizeof word) continue;
        memcpy(word, p, wl);
        word[wl] = '\0';
        if (s->in_block) lr_directive(s, word, &s->bperiod, &s->brotate, &s->bmaxage, p + wl);
        else lr_directive(s, word, &s->gperiod, &s->grotate, &s->gmaxage, p + wl);
    }
    fclose(f);
    s->in_block = 0;
    s->npending = 0;
    return 0;
}

/* journald time span: "6month", "180d", "1y", "3600" (seconds) -> seconds, or -1. */
static long long span_seconds(const char *v)
{
    static const struct { const char *u; long long s; } units[] = {
        {"us", 0}, {"ms", 0}, {"s", 1}, {"sec", 1}, {"m", 60}, {"min", 60}, {"h", 3600},
        {"hr", 3600}, {"d", 86400}, {"day", 86400}, {"days", 86400}, {"w", 604800},
        {"week", 604800}, {"weeks", 604800}, {"month", 2629800}, {"months", 2629800},
        {"M", 2629800}, {"y", 31557600}, {"year", 31557600}, {"years", 31557600}, {"", 1}};
    long long total = 0;
    const char *p = v;
    int parts = 0;

    while (*p && parts < 8) {
        char unit[16];
        size_t ul;
        long long n;
        int found = 0;
        while (*p == ' ') p++;
        if (!isdigit((unsigned char)*p)) return -1;
        n = strtoll(p, (char **)&p, 10);
        while (*p == ' ') p++;
        ul = 0;
        while (ul < sizeof unit - 1 && isalpha((unsigned char)p[ul])) ul++;
        memcpy(unit, p, ul);
        unit[ul] = '\0';
        p += ul;
        for (size_t i = 0; i < NW_ARRAY_LEN(units); i++)
            if (strcmp(unit, units[i].u) == 0) {
                total += n * units[i].s;
                found = 1;
                break;
            }
        if (!found) return -1;
        parts++;
    }
    return parts ? total : -1;
}

struct jd_state {
    char storage[32];
    char maxret[64];
};

static int jd_file(void *arg, const char *full, const char *rel)
{
    struct jd_state *s = arg;
    FILE *f = fopen(full, "r");
    char line[1024];

    (void)rel;
    if (f == NULL) return 0;
    while (fgets(line, sizeof line, f) != NULL) {
        char *p = line;
        p[strcspn(p, "\r\n")] = '\0';
        while (*p == ' ') p++;
        if (strncmp(p, "Storage=", 8) == 0) snprintf(s->storage, sizeof s->storage, "%s", p + 8);
        else if (strncmp(p, "MaxRetentionSec=", 16) == 0)
            snprintf(s->maxret, sizeof s->maxret, "%s", p + 16);
    }
    fclose(f);
    return 0;
}

static int log_retention_run(const struct nw_probe_req *req, struct nw_probe_res *res)
{
    static const char *const deflogs[] = {"/var/log/syslog", "/var/log/messages",
                                          "/var/log/auth.log", "/var/log/secure", NULL};
    const struct nw_param *lp = nw_probe_param(req, "logs");
    struct lr_state *s;
    struct jd_state jd;
    struct nw_buf *b = &res->facts;
    long lr_days = -1, jd_days = -1, days;
    int persistent;
    const char *weakest = NULL;

    s = nw_calloc(1, sizeof *s);
    if (s == NULL) return NW_ENOMEM;
    s->logs = lp && lp->list ? lp->list : deflogs;
    s->nlogs = lp && lp->list ? NW_MIN(lp->nlist, 16) : 4;
    s->gperiod = s->grotate = s->gmaxage = -1;
    for (size_t k = 0; k < 16; k++) s->days[k] = -1;
    nw__probe_glob(req, "/etc/logrotate.conf", lr_file, s);
    nw__probe_glob(req, "/etc/logrotate.d/*", lr_file, s);
    for (size_t k = 0; k < s->nlogs; k++)
        if (s->days[k] >= 0 && (lr_days < 0 || s->days[k] < lr_days)) {
            lr_days = s->days[k];
            weakest = s->logs[k];
        }
    memset(&jd, 0, sizeof jd);
    snprintf(jd.storage, sizeof jd.storage, "auto");
    nw__probe_glob(req, "/etc/systemd/journald.conf", jd_file, &jd);
    nw__probe_glob(req, "/etc/systemd/journald.conf.d/*.conf", jd_file, &jd);
    nw__probe_glob(req, "/usr/lib/systemd/journald.conf.d/*.conf", jd_file, &jd);
    persistent = strcmp(jd.storage, "persistent") == 0 ||
                 (strcmp(jd.storage, "auto") == 0 && nw__exists(req, "/var/log/journal"));
    if (persistent && jd.maxret[0]) {
        long long sec = span_seconds(jd.maxret);
        if (sec > 0) jd_days = (long)(sec / 86400);
    }
    days = NW_MAX(lr_days, jd_days);
    if (days < 0) days = 0;
    nw_json_kint(b, "days", days);
    nw_json_key(b, "logrotate_days");
    if (lr_days >= 0) nw_json_int(b, lr_days);
    else nw_json_null(b);
    nw_json_key(b, "journald_days");
    if (jd_days >= 0) nw_json_int(b, jd_days);
    else nw_json_null(b);
    nw_json_kbool(b, "journald_persistent", persistent);
    {
        char lr[200];
        if (lr_days >= 0) snprintf(lr, sizeof lr, "%ld days for %.150s", lr_days, weakest);
        else snprintf(lr, sizeof lr, "no rotation rule for the system logs");
    nw_probe_evidence(res, "system logs kept about %ld days (logrotate: %s; journald: %s%s)",
                      days, lr,
                      persistent ? "persistent, MaxRetentionSec=" : "not persistent",
                      persistent ? (jd.maxret[0] ? jd.maxret : "unset") : "");
    }
    nw_free(s);
    return 0;
}

static const char *const log_retention_params[] = {"logs?", NULL};
const struct nw_probe nw_probe_log_retention = {
    "log_retention", NW_CHK_LOCAL, log_retention_params, log_retention_run,
    "days the system logs are kept (logrotate rotate x period, journald MaxRetentionSec)"};

/* ----------------------------------------------------------------- auditd -- */

struct audit_rules {
    size_t rules;
    char watched[64][128];
    size_t nwatched;
};

static int audit_file(void *arg, const char *full, const char *rel)
{
    struct audit_rules *a = arg;
    FILE *f = fopen(full, "r");
    char line[4096];

    (void)rel;
    if (f == NULL) return 0;
    while (fgets(line, sizeof line, f) != NULL) {
        char *p = line, *w;
        while (*p == ' ' || *p == '\t') p++;
        if (*p == '#' || strncmp(p, "-D", 2) == 0 || strncmp(p, "-b", 2) == 0 ||
            strncmp(p, "-f", 2) == 0 || strncmp(p, "-e", 2) == 0)
            continue;
        if (strncmp(p, "-w ", 3) == 0 || strncmp(p, "-a ", 3) == 0) a->rules++;
        /* "-w /etc/passwd -p wa" or "-a always,exit -F path=/etc/passwd" */
        w = strncmp(p, "-w ", 3) == 0 ? p + 3 : strstr(p, "path=");
        if (w && strncmp(w, "path=", 5) == 0) w += 5;
        if (w && a->nwatched < 64) {
            while (*w == ' ') w++;
            snprintf(a->watched[a->nwatched], sizeof a->watched[0], "%.*s",
                     (int)strcspn(w, " \t\r\n"), w);
            a->nwatched++;
        }
    }
    fclose(f);
    return 0;
}

static int auditd_run(const struct nw_probe_req *req, struct nw_probe_res *res)
{
    const struct nw_param *reqd = nw_probe_param(req, "required");
    struct audit_rules *a;
    struct nw_buf *b = &res->facts;
    int installed, enabled, running;
    size_t nmissing = 0;

    a = nw_calloc(1, sizeof *a);
    if (a == NULL) return NW_ENOMEM;
    installed = nw__dpkg_installed(req, "auditd", NULL, 0) == 1 || nw__exists(req, "/sbin/auditd")
                || nw__exists(req, "/usr/sbin/auditd");
    running = nw__proc_running(req, "auditd");
    enabled = running ||
              nw__exists(req, "/etc/systemd/system/multi-user.target.wants/auditd.service") ||
              nw__exists(req, "/etc/rc2.d/S01auditd");
    nw__probe_glob(req, "/etc/audit/rules.d/*.rules", audit_file, a);
    if (a->rules == 0) nw__probe_glob(req, "/etc/audit/audit.rules", audit_file, a);
    nw_json_kbool(b, "installed", installed);
    nw_json_kbool(b, "enabled", installed && enabled);
    nw_json_kbool(b, "running", running);
    nw_json_kuint(b, "rules", a->rules);
    nw_json_karr_open(b, "watched");
    for (size_t i = 0; i < a->nwatched; i++) nw_json_cstr(b, a->watched[i]);
    nw_json_arr_close(b);
    nw_json_karr_open(b, "missing");
    for (size_t k = 0; reqd && reqd->list && k < reqd->nlist; k++) {
        size_t i;
        for (i = 0; i < a->nwatched; i++)
            if (strcmp(a->watched[i], reqd->list[k]) == 0) break;
        if (i == a->nwatched) {
            nw_json_cstr(b, reqd->list[k]);
            nmissing++;
        }
    }
    nw_json_arr_close(b);
    nw_json_kuint(b, "missing_count", nmissing);
    nw_probe_evidence(res, "auditd %s, %s; %zu rules, %zu watched paths, %zu required paths "
                      "unwatched", installed ? "installed" : "not installed",
                      enabled ? "enabled" : "not enabled", a->rules, a->nwatched, nmissing);
    nw_free(a);
    return 0;
}

static const char *const auditd_params[] = {"required?", NULL};
const struct nw_probe nw_probe_auditd = {
    "auditd", NW_CHK_LOCAL, auditd_params, auditd_run,
    "auditd installed and enabled; its rules and the files they watch"};

/* -------------------------------------------------------------- time_sync -- */

struct srv_count {
    size_t n;
    const char *prefix[3];
};

static int srv_file(void *arg, const char *full, const char *rel)
{
    struct srv_count *c = arg;
    FILE *f = fopen(full, "r");
    char line[1024];

    (void)rel;
    if (f == NULL) return 0;
    while (fgets(line, sizeof line, f) != NULL) {
        char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        for (int i = 0; i < 3 && c->prefix[i]; i++) {
            size_t l = strlen(c->prefix[i]);
            if (strncmp(p, c->prefix[i], l) == 0 && p[l] != '\0' && p[l] != '\n' &&
                !(p[l - 1] == '=' && (p[l] == ' ' || p[l] == '\n')))
                c->n++;
        }
    }
    fclose(f);
    return 0;
}

static int time_sync_run(const struct nw_probe_req *req, struct nw_probe_res *res)
{
    struct nw_buf *b = &res->facts;
    struct srv_count chrony = {0, {"server ", "pool ", NULL}};
    struct srv_count ntp = {0, {"server ", "pool ", NULL}};
    struct srv_count tsd = {0, {"NTP=", "FallbackNTP=", NULL}};
    const char *daemon = NULL;
    size_t servers = 0;
    int running, tsd_enabled;

    nw__probe_glob(req, "/etc/chrony/chrony.conf", srv_file, &chrony);
    nw__probe_glob(req, "/etc/chrony/sources.d/*.sources", srv_file, &chrony);
    nw__probe_glob(req, "/etc/chrony.conf", srv_file, &chrony);
    nw__probe_glob(req, "/etc/ntp.conf", srv_file, &ntp);
    nw__probe_glob(req, "/etc/ntpsec/ntp.conf", srv_file, &ntp);
    nw__probe_glob(req, "/etc/systemd/timesyncd.conf", srv_file, &tsd);
    nw__probe_glob(req, "/etc/systemd/timesyncd.conf.d/*.conf", srv_file, &tsd);
    tsd_enabled = nw__exists(req, "/etc/systemd/system/sysinit.target.wants/"
                                  "systemd-timesyncd.service");
    running = nw__proc_running(req, "chronyd") || nw__proc_running(req, "ntpd") ||
              nw__proc_running(req, "systemd-timesyn");
    if (chrony.n && (nw__exists(req, "/usr/sbin/chronyd") ||
                     nw__dpkg_installed(req, "chrony", NULL, 0) == 1))
        daemon = "chrony", servers = chrony.n;
    else if (ntp.n && (nw__exists(req, "/usr/sbin/ntpd") ||
                       nw__dpkg_installed(req, "ntp", NULL, 0) == 1 ||
                       nw__dpkg_installed(req, "ntpsec", NULL, 0) == 1))
        daemon = "ntpd", servers = ntp.n;
    else if (tsd_enabled)
        daemon = "systemd-timesyncd", servers = tsd.n;
    nw_json_kbool(b, "configured", daemon != NULL && (servers > 0 ||
                                                      strcmp(daemon, "systemd-timesyncd") == 0));
    nw_json_key(b, "daemon");
    if (daemon) nw_json_cstr(b, daemon);
    else nw_json_null(b);
    nw_json_kuint(b, "servers", servers);
    nw_json_kbool(b, "running", running);
    if (daemon) nw_probe_evidence(res, "%s with %zu configured servers%s", daemon, servers,
                                  running ? ", running" : "");
    else nw_probe_evidence(res, "no chrony, ntpd or systemd-timesyncd configured");
    return 0;
}

const struct nw_probe nw_probe_time_sync = {
    "time_sync", NW_CHK_LOCAL, NULL, time_sync_run,
    "a time synchronisation daemon (chrony, ntpd, timesyncd) installed and configured"};
