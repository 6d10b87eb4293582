/*
 * probe_persist.c - basic rootkit and persistence indicators: ld_preload
 * (etc/ld.so.preload naming libraries: every process loads them, a classic
 * user-land rootkit hook) and cron_suspicious (cron entries that fetch and
 * run code, open reverse shells, decode base64 payloads or run from /tmp,
 * /dev/shm or /var/tmp).
 *
 * These are indicators, not proof: evidence names the file and line so an
 * administrator can judge. Bounds: 64 cron files, 8 KiB lines.
 */
#include "probe_int.h"

#include <regex.h>
#include <stdio.h>
#include <string.h>

static int ld_preload_run(const struct nw_probe_req *req, struct nw_probe_res *res)
{
    struct nw_buf *b = &res->facts;
    char *buf = NULL;
    size_t len, n = 0;
    char first[256] = "";
    int rc = nw_probe_read_file(req, "/etc/ld.so.preload", 65536, &buf, &len, NULL);

    if (rc == NW_ENOMEM) return rc;
    nw_json_kbool(b, "exists", rc == 0);
    nw_json_karr_open(b, "libraries");
    for (char *line = rc == 0 ? buf : NULL; line && *line;) {
        char *next = strchr(line, '\n'), *p = line;
        if (next) *next = '\0';
        while (*p == ' ' || *p == '\t') p++;
        if (*p && *p != '#') {
            /* entries are separated by spaces or newlines */
            while (*p && n < 32) {
                size_t l = strcspn(p, " \t\r");
                if (l) {
                    nw_json_str(b, p, l);
                    if (n == 0) snprintf(first, sizeof first, "%.*s", (int)l, p);
                    n++;
                }
                p += l;
                while (*p == ' ' || *p == '\t' || *p == '\r') p++;
            }
        }
        line = next ? next + 1 : NULL;
    }
    nw_json_arr_close(b);
    nw_json_kuint(b, "count", n);
    if (n) nw_probe_evidence(res, "etc/ld.so.preload loads %s into every process", first);
    else nw_probe_evidence(res, "no library preloaded through etc/ld.so.preload");
    nw_free(buf);
    return 0;
}

const struct nw_probe nw_probe_ld_preload = {
    "ld_preload", NW_CHK_LOCAL, NULL, ld_preload_run,
    "libraries forced into every process by etc/ld.so.preload"};

struct cron_ctx {
    regex_t re;
    size_t n;
    char hits[32][256];
};

static int cron_file(void *arg, const char *full, const char *rel)
{
    struct cron_ctx *c = arg;
    FILE *f = fopen(full, "r");
    char line[8192];
    int ln = 0;

    if (f == NULL) return 0;
    while (fgets(line, sizeof line, f) != NULL && ln < 100000) {
        char *p = line;
        ln++;
        line[strcspn(line, "\r\n")] = '\0';
        while (*p == ' ' || *p == '\t') p++;
        if (*p == '#' || *p == '\0') continue;
        if (regexec(&c->re, p, 0, NULL, 0) != 0) continue;
        if (c->n < 32) snprintf(c->hits[c->n], sizeof c->hits[0], "%s:%d: %.200s", rel, ln, p);
        c->n++;
    }
    fclose(f);
    return 0;
}

/* fetch-and-run, reverse shells, encoded payloads, code in scratch directories */
#define CRON_PATTERN                                                                              \
    "(curl|wget)[^|;]*\\|[[:space:]]*(ba|da|z)?sh|/dev/tcp/|/dev/udp/|nc(at)?[[:space:]].*-e"     \
    "[[:space:]]|base64[[:space:]]+(-d|--decode)|(^|[[:space:]])(/tmp|/dev/shm|/var/tmp)/"        \
    "|python[23]?[[:space:]]+-c[[:space:]].*socket|mkfifo"

static int cron_run(const struct nw_probe_req *req, struct nw_probe_res *res)
{
    static const char *const where[] = {"/etc/crontab", "/etc/cron.d/*",
                                        "/var/spool/cron/crontabs/*", "/var/spool/cron/*",
                                        "/etc/cron.hourly/*", "/etc/cron.daily/*"};
    struct cron_ctx *c = nw_calloc(1, sizeof *c);
    struct nw_buf *b = &res->facts;

    if (c == NULL) return NW_ENOMEM;
    if (regcomp(&c->re, CRON_PATTERN, REG_EXTENDED | REG_NOSUB) != 0) {
        nw_free(c);
        return nw_probe_error(res, "internal pattern does not compile");
    }
    for (size_t i = 0; i < NW_ARRAY_LEN(where); i++) nw__probe_glob(req, where[i], cron_file, c);
    regfree(&c->re);
    nw_json_kuint(b, "count", c->n);
    nw_json_karr_open(b, "entries");
    for (size_t i = 0; i < c->n && i < 32; i++) nw_json_cstr(b, c->hits[i]);
    nw_json_arr_close(b);
    if (c->n) nw_probe_evidence(res, "%s", c->hits[0]);
    else nw_probe_evidence(res, "no suspicious cron entry");
    nw_free(c);
    return 0;
}

const struct nw_probe nw_probe_cron_suspicious = {
    "cron_suspicious", NW_CHK_LOCAL, NULL, cron_run,
    "cron entries that download and run code, open reverse shells or run from /tmp"};
