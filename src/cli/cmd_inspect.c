/*
 * cmd_inspect.c - `netwarden inspect`: load the check files, select by
 * profile and mode, check scope, run, write the results JSON, keep it in
 * the state directory compared with the previous run, print a summary.
 *
 * Exit codes: 0 every selected check passed (skips allowed); 1 findings
 * (a fail or an error verdict); 2 could not run as asked (usage, no check
 * loaded or selected, a check file rejected: the rest still ran), 3 the
 * results could not be written.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "nw/config.h"
#include "nw/inspect.h"
#include "nw/scan.h"
#include "nw/jsonscan.h"
#include "nw/web.h"

#define MAX_TARGETS 4096
#define MAX_SCOPE 1024

enum {
    O_PROFILE, O_LOCAL, O_SELF, O_ROOT, O_TARGETS, O_TFILE, O_SCOPE, O_CHECKS, O_OUT, O_DATA,
    O_STORE, O_ONLY, O_PORTS, O_LIST, O_PROBES, O_FORMAT, O_LANG, O_NOHIST, O_NOW, O_PROGRESS,
    O_QUIET, O_CONFIG, O_WEB, O_WEBBASE, O_HELP
};
static const struct nw_cli_opt inspect_opts[] = {
    [O_PROFILE] = {"profile", 'p', "NAME", "baseline, mlps2-level2, mlps2-level3 (default: every "
                                           "check of the selected modes)"},
    [O_LOCAL] = {"local", 0, NULL, "run the local and audit-self checks (the default without "
                                   "--targets)"},
    [O_SELF] = {"self", 0, NULL, "run only the audit-self checks (netwarden's own store)"},
    [O_ROOT] = {"root", 0, "DIR", "local checks examine DIR as the root (a mounted image or a "
                                  "test tree; default /)"},
    [O_TARGETS] = {"targets", 't', "LIST", "network targets: addresses, names or IPv4 CIDRs "
                                           "(/20 or smaller), comma-separated"},
    [O_TFILE] = {"targets-file", 0, "FILE", "network targets, one per line ('#' comments)"},
    [O_SCOPE] = {"scope", 0, "FILE", "allowed ranges (CIDR per line); other targets are refused"},
    [O_CHECKS] = {"checks", 0, "DIR", "check files (default ./checks, else "
                                      "/usr/share/netwarden/checks)"},
    [O_OUT] = {"out", 'o', "FILE", "write the results JSON to FILE ('-' = stdout)"},
    [O_DATA] = {"data-dir", 0, "DIR", "state directory; history goes to DIR/inspect/"},
    [O_STORE] = {"store", 0, "DIR", "the audit store the audit-self checks examine (default "
                                    "DATA-DIR/store)"},
    [O_ONLY] = {"only", 0, "IDS", "run only these check ids (comma-separated)"},
    [O_PORTS] = {"ports", 0, "SPEC", "ports to scan per target, e.g. 1-65535 or 22,80,443"},
    [O_LIST] = {"list-checks", 0, NULL, "list the loaded checks and exit (see --format)"},
    [O_PROBES] = {"list-probes", 0, NULL, "list the probes check files may use and exit"},
    [O_FORMAT] = {"format", 0, "FMT", "for --list-checks: text (default) or md (docs/checks.md)"},
    [O_LANG] = {"lang", 0, "LANG", "summary language: en (default) or zh"},
    [O_NOHIST] = {"no-history", 0, NULL, "do not keep this run in the state directory"},
    [O_NOW] = {"now", 0, "TIME", "evaluate ages as of this RFC 3339 time (tests, replays)"},
    [O_PROGRESS] = {"progress", 0, NULL, "show the progress bar even when not on a terminal"},
    [O_QUIET] = {"quiet", 'q', NULL, "no progress bar and no summary"},
    [O_CONFIG] = {"config", 'c', "FILE", "configuration file (default " NW_CONFIG_DEFAULT_PATH
                                         " if it exists)"},
    [O_WEB] = {"web", 0, "URLS", "websites to check: http(s) URLs, comma-separated (--scope "
                                 "applies to their addresses; docs/inspect-web.md)"},
    [O_WEBBASE] = {"web-baseline", 0, NULL, "record the websites' pages as the tamper baseline"},
    [O_HELP] = {"help", 'h', NULL, "show this help"},
    {NULL, 0, NULL, NULL},
};

struct inspect_args {
    const char *profile, *root, *targets, *tfile, *scope, *checks, *out, *data, *store, *only;
    const char *ports, *format, *lang, *now, *config;
    int local, self, list, probes, nohist, progress, quiet, help;
    const char *web; /* W1 */
    int web_baseline;
};

static int on_opt(void *arg, int idx, const char *v)
{
    struct inspect_args *a = arg;

    switch (idx) {
    case O_PROFILE: a->profile = v; break;
    case O_LOCAL: a->local = 1; break;
    case O_SELF: a->self = 1; break;
    case O_ROOT: a->root = v; break;
    case O_TARGETS: a->targets = v; break;
    case O_TFILE: a->tfile = v; break;
    case O_SCOPE: a->scope = v; break;
    case O_CHECKS: a->checks = v; break;
    case O_OUT: a->out = v; break;
    case O_DATA: a->data = v; break;
    case O_STORE: a->store = v; break;
    case O_ONLY: a->only = v; break;
    case O_PORTS: a->ports = v; break;
    case O_LIST: a->list = 1; break;
    case O_PROBES: a->probes = 1; break;
    case O_FORMAT: a->format = v; break;
    case O_LANG: a->lang = v; break;
    case O_NOHIST: a->nohist = 1; break;
    case O_NOW: a->now = v; break;
    case O_PROGRESS: a->progress = 1; break;
    case O_QUIET: a->quiet = 1; break;
    case O_CONFIG: a->config = v; break;
    case O_WEB: a->web = v; break;
    case O_WEBBASE: a->web_baseline = 1; break;
    case O_HELP: a->help = 1; break;
    }
    return 0;
}

static void help(void)
{
    printf("usage: netwarden inspect [--profile NAME] [--local] [--root DIR]\n"
           "                         [--targets LIST | --targets-file FILE] [--scope FILE]\n"
           "                         [--checks DIR] [--out FILE] [--data-dir DIR] [OPTIONS]\n\n"
           "Self-inspection: run the checks (checks/<mode>/*.yaml) against this host (or an\n"
           "image under --root), netwarden's own audit store, and the network targets you\n"
           "name. Results: JSON (--out; schema in docs/inspect.md), kept in DATA-DIR/inspect/\n"
           "and compared with the previous run of the same selection (new / still open /\n"
           "fixed). Checks and their MLPS 2.0 / Order 82 / CSL references: docs/checks.md.\n\n"
           "Options:\n");
    nw_cli_print_opts(inspect_opts);
    printf("\nExit codes: 0 every check passed (or was not applicable); 1 findings (a check\n"
           "failed or could not run); 2 usage error, no check loaded or selected, or a check\n"
           "file rejected (the others still ran); 3 the results could not be written.\n");
}

/* Read by the port scanner's worker threads while the handler may run on any
 * thread: stored atomically (lock-free, so async-signal-safe), read so by them. */
static volatile int cancel_flag;

static void on_signal(int sig)
{
    (void)sig;
    __atomic_store_n(&cancel_flag, 1, __ATOMIC_RELAXED);
}

/* ---------------------------------------------------------------- loading -- */

static int load_errors;

static void on_load_error(void *arg, const char *msg)
{
    (void)arg;
    load_errors++;
    fprintf(stderr, "netwarden inspect: %s\n", msg);
}

static int dir_exists(const char *p)
{
    struct stat st;
    return p && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* ------------------------------------------------------------------ ports -- */

/* Default scan list: the well-known range plus the high-risk services above it. */
static const char default_ports[] =
    "1-1024,1080,1433,1521,1723,2049,2181,2375,2376,3000,3306,3389,4369,5000,5432,5601,5672,"
    "5900-5903,5984,6000,6379,6443,7001,8000,8008,8080,8081,8443,8888,9000,9042,9090,9092,9200,"
    "9300,10250,11211,15672,27017,50000";

static int parse_ports(const char *spec, uint16_t **out, size_t *n)
{
    static uint8_t seen[65536];
    const char *p = spec;
    size_t cnt = 0, k = 0;

    memset(seen, 0, sizeof seen);
    while (*p) {
        char *end;
        unsigned long a, b;
        while (*p == ',' || *p == ' ') p++;
        if (*p == '\0') break;
        if (*p < '0' || *p > '9') return -1;
        a = strtoul(p, &end, 10);
        b = a;
        if (*end == '-') {
            if (end[1] < '0' || end[1] > '9') return -1;
            b = strtoul(end + 1, &end, 10);
        }
        if (a < 1 || b > 65535 || a > b || (*end != '\0' && *end != ',')) return -1;
        for (unsigned long x = a; x <= b; x++)
            if (!seen[x]) seen[x] = 1, cnt++;
        p = end;
    }
    if (cnt == 0) return -1;
    *out = nw_calloc(cnt, sizeof **out);
    if (*out == NULL) return -1;
    for (unsigned x = 1; x < 65536; x++)
        if (seen[x]) (*out)[k++] = (uint16_t)x;
    *n = cnt;
    return 0;
}

/* ---------------------------------------------------------------- targets -- */

struct cidr {
    int family;
    uint8_t addr[16];
    int bits;
};

static int parse_cidr(const char *s, struct cidr *c)
{
    char buf[128];
    char *slash;

    snprintf(buf, sizeof buf, "%s", s);
    slash = strchr(buf, '/');
    if (slash) *slash = '\0';
    memset(c, 0, sizeof *c);
    if (inet_pton(AF_INET, buf, c->addr) == 1) c->family = 4, c->bits = 32;
    else if (inet_pton(AF_INET6, buf, c->addr) == 1) c->family = 6, c->bits = 128;
    else return -1;
    if (slash) {
        char *end;
        long b = strtol(slash + 1, &end, 10);
        if (*end || slash[1] == '\0' || b < 0 || b > c->bits) return -1;
        c->bits = (int)b;
    }
    return 0;
}

static int cidr_contains(const struct cidr *c, int family, const uint8_t *addr)
{
    int full = c->bits / 8, rest = c->bits % 8;

    if (c->family != family) return 0;
    if (memcmp(c->addr, addr, (size_t)full) != 0) return 0;
    if (rest == 0) return 1;
    return ((c->addr[full] ^ addr[full]) & (0xff << (8 - rest))) == 0;
}

struct tctx {
    struct nw_inspect_target *t;
    size_t n;
    char **refused;
    size_t nrefused;
    struct cidr scope[MAX_SCOPE];
    size_t nscope;
    int have_scope;
    const char *scope_file;
    char **hosts; /* owned host strings */
    size_t nhosts;
};

static char *keep(struct tctx *x, const char *s)
{
    char *d = nw_strndup(s, 1024);
    char **nh;
    if (d == NULL) return NULL;
    nh = nw_realloc(x->hosts, (x->nhosts + 1) * sizeof *nh);
    if (nh == NULL) {
        nw_free(d);
        return NULL;
    }
    x->hosts = nh;
    x->hosts[x->nhosts++] = d;
    return d;
}

static void refuse(struct tctx *x, const char *host, const char *why)
{
    char line[600], **nr;

    snprintf(line, sizeof line, "%.200s: %.390s", host, why);
    fprintf(stderr, "netwarden inspect: target %s; skipped, the run goes on\n", line);
    nr = nw_realloc(x->refused, (x->nrefused + 1) * sizeof *nr);
    if (nr == NULL) return;
    x->refused = nr;
    if ((x->refused[x->nrefused] = nw_strndup(line, sizeof line)) != NULL) x->nrefused++;
}

static void add_addr(struct tctx *x, const char *host, int family, const uint8_t *addr)
{
    struct nw_inspect_target *t;
    int in = !x->have_scope;

    for (size_t i = 0; i < x->nscope && !in; i++) in = cidr_contains(&x->scope[i], family, addr);
    if (!in) {
        char why[300];
        snprintf(why, sizeof why, "outside the scope in %.200s (refused)", x->scope_file);
        refuse(x, host, why);
        return;
    }
    for (size_t i = 0; i < x->n; i++) /* once per address */
        if (x->t[i].family == family && memcmp(x->t[i].addr, addr, family == 4 ? 4 : 16) == 0)
            return;
    if (x->n >= MAX_TARGETS) {
        refuse(x, host, "more than 4096 targets");
        return;
    }
    t = &x->t[x->n];
    memset(t, 0, sizeof *t);
    t->host = keep(x, host);
    if (t->host == NULL) return;
    t->family = family;
    memcpy(t->addr, addr, family == 4 ? 4 : 16);
    inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, t->addr_text, sizeof t->addr_text);
    x->n++;
}

static void add_target(struct tctx *x, const char *item)
{
    struct cidr c;

    if (strchr(item, '/') && parse_cidr(item, &c) == 0) {
        uint32_t base, count;
        if (c.family != 4 || c.bits < 20) {
            refuse(x, item, "range too large (IPv4 /20 or smaller; IPv6 ranges are not swept)");
            return;
        }
        base = ((uint32_t)c.addr[0] << 24 | (uint32_t)c.addr[1] << 16 | (uint32_t)c.addr[2] << 8 |
                c.addr[3]) & (c.bits == 0 ? 0 : ~0u << (32 - c.bits));
        count = 1u << (32 - c.bits);
        for (uint32_t i = 0; i < count; i++) {
            uint32_t a = base + i;
            uint8_t b[4] = {(uint8_t)(a >> 24), (uint8_t)(a >> 16), (uint8_t)(a >> 8), (uint8_t)a};
            char txt[16];
            if (count > 2 && (i == 0 || i == count - 1)) continue; /* network, broadcast */
            inet_ntop(AF_INET, b, txt, sizeof txt);
            add_addr(x, txt, 4, b);
        }
        return;
    }
    if (parse_cidr(item, &c) == 0 && !strchr(item, '/')) {
        add_addr(x, item, c.family, c.addr);
        return;
    }
    {
        struct addrinfo hints, *ai = NULL;
        int rc;
        struct nw_err nerr;
        if (nw_scan_name_check(item, &nerr) != 0) { /* never a DNS query for garbage */
            refuse(x, item, strchr(nerr.msg, ':') ? strchr(nerr.msg, ':') + 2 : nerr.msg);
            return;
        }
        memset(&hints, 0, sizeof hints);
        hints.ai_socktype = SOCK_STREAM;
        rc = getaddrinfo(item, NULL, &hints, &ai);
        if (rc != 0 || ai == NULL) {
            char why[300];
            snprintf(why, sizeof why, "cannot resolve (%s)", gai_strerror(rc));
            refuse(x, item, why);
            return;
        }
        if (ai->ai_family == AF_INET)
            add_addr(x, item, 4, (const uint8_t *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr);
        else if (ai->ai_family == AF_INET6)
            add_addr(x, item, 6,
                     (const uint8_t *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr);
        freeaddrinfo(ai);
    }
}

static void add_list(struct tctx *x, const char *list)
{
    const char *p = list;
    while (*p) {
        char item[256];
        size_t l;
        while (*p == ',' || *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
        l = strcspn(p, ", \t\r\n");
        if (l == 0) break;
        if (l < sizeof item) {
            memcpy(item, p, l);
            item[l] = '\0';
            if (item[0] != '#') add_target(x, item);
        }
        p += l;
    }
}

/*
 * --web (W1): each URL is a target of its own, host text = the URL, checked
 * against the scope by its host's address (no merging with other targets).
 */
static void add_web_list(struct tctx *x, const char *list)
{
    for (const char *p = list; *p;) {
        char item[2048];
        struct nw_url u;
        struct cidr c;
        uint8_t addr[16];
        int family = 0, in = !x->have_scope;
        size_t l;
        while (*p == ',' || *p == ' ') p++;
        l = strcspn(p, ", ");
        if (l == 0) break;
        snprintf(item, sizeof item, "%.*s", (int)l, p);
        p += l;
        if (nw_web_url_parse(item, &u) != 0) {
            refuse(x, item, "not an http:// or https:// URL");
            continue;
        }
        if (parse_cidr(u.host, &c) == 0) {
            family = c.family;
            memcpy(addr, c.addr, 16);
        } else {
            struct addrinfo hints, *ai = NULL;
            struct nw_err nerr;
            memset(&hints, 0, sizeof hints);
            hints.ai_socktype = SOCK_STREAM;
            if (nw_scan_name_check(u.host, &nerr) == 0 &&
                getaddrinfo(u.host, NULL, &hints, &ai) == 0 && ai) {
                family = ai->ai_family == AF_INET6 ? 6 : 4;
                memcpy(addr, family == 4 ? (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr
                                         : (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr,
                       family == 4 ? 4 : 16);
            }
            if (ai) freeaddrinfo(ai);
            if (family == 0) {
                refuse(x, item, "cannot resolve its host");
                continue;
            }
        }
        for (size_t i = 0; i < x->nscope && !in; i++) in = cidr_contains(&x->scope[i], family, addr);
        if (!in || x->n >= MAX_TARGETS) {
            refuse(x, item, !in ? "its address is outside the scope (refused)" : "too many targets");
            continue;
        }
        struct nw_inspect_target *t = &x->t[x->n];
        memset(t, 0, sizeof *t);
        if ((t->host = keep(x, item)) == NULL) return;
        t->family = family;
        memcpy(t->addr, addr, family == 4 ? 4 : 16);
        inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, t->addr_text, sizeof t->addr_text);
        x->n++;
    }
}

/* Read a small text file: lines, '#' comments dropped. Caller frees. */
static char *read_lines(const char *path, const char *what)
{
    FILE *f = fopen(path, "r");
    char line[1024], *out;
    size_t len = 0, cap = 65536;

    if (f == NULL) {
        fprintf(stderr, "netwarden inspect: cannot open the %s %s: %s\n", what, path,
                strerror(errno));
        return NULL;
    }
    out = nw_alloc(cap);
    if (out == NULL) {
        fclose(f);
        return NULL;
    }
    out[0] = '\0';
    while (fgets(line, sizeof line, f) != NULL) {
        size_t l;
        line[strcspn(line, "#\r\n")] = '\0';
        l = strlen(line);
        if (len + l + 2 > cap) {
            char *n = nw_realloc(out, cap * 2);
            if (n == NULL) break;
            out = n;
            cap *= 2;
        }
        memcpy(out + len, line, l);
        len += l;
        out[len++] = '\n';
        out[len] = '\0';
    }
    fclose(f);
    return out;
}

/* --------------------------------------------------------------- listing -- */

static void md_escape(const char *s)
{
    for (; *s; s++) {
        if (*s == '|') fputs("\\|", stdout);
        else if (*s == '\n') fputc(' ', stdout);
        else fputc(*s, stdout);
    }
}

static void md_list(const char *const *l)
{
    if (l == NULL || l[0] == NULL) {
        fputs("—", stdout);
        return;
    }
    for (size_t i = 0; l[i]; i++) {
        if (i) fputs("; ", stdout);
        md_escape(l[i]);
    }
}

static void list_checks(const struct nw_checkset *cs, const char *format)
{
    static const int modes[] = {NW_CHK_LOCAL, NW_CHK_AUDIT_SELF, NW_CHK_NETWORK};
    static const char *const heads[] = {"Local checks", "Audit-self checks", "Network checks"};

    if (format == NULL || strcmp(format, "text") == 0) {
        for (size_t i = 0; i < cs->n; i++) {
            const struct nw_check *c = &cs->checks[i];
            printf("%-34s %-8s %-10s %s\n", c->id, nw_severity_name(c->severity),
                   nw_chk_mode_name(c->mode), c->title_en);
        }
        return;
    }
    printf("# Checks\n\n"
           "<!-- Generated by `netwarden inspect --checks checks --list-checks --format md`;\n"
           "     do not edit. The ctest docs_checks_current fails when this file is stale. -->\n\n"
           "%zu checks, one file each under `checks/<mode>/`. Profiles: ", cs->n);
    for (size_t i = 0; i < cs->nprofiles; i++)
        printf("%s`%s` (%s)", i ? ", " : "", cs->profiles[i].name, cs->profiles[i].title_en);
    printf(".\n\n"
           "References: **MLPS 2.0** = GB/T 22239-2019 clause (level 2 requirements are numbered "
           "7.1.x, level 3 8.1.x); **Order 82** = MPS Order No. 82 (互联网安全保护技术措施规定, in "
           "force 2006-03-01); **CSL** = Cybersecurity Law of the PRC (in force 2017-06-01; the "
           "amendment in force 2026-01-01), with the date each cited text took effect.\n\n"
           "> The clause mapping was made by the developers from the published standard and "
           "should be reviewed by a qualified MLPS assessor (测评机构) before it is relied on in a "
           "filing.\n");
    for (size_t m = 0; m < NW_ARRAY_LEN(modes); m++) {
        size_t n = 0;
        for (size_t i = 0; i < cs->n; i++) n += cs->checks[i].mode == modes[m];
        if (n == 0) continue;
        printf("\n## %s (%zu)\n\n| ID | Title | Severity | Probe | MLPS 2.0 | Order 82 | CSL | "
               "Profiles |\n|---|---|---|---|---|---|---|---|\n", heads[m], n);
        for (size_t i = 0; i < cs->n; i++) {
            const struct nw_check *c = &cs->checks[i];
            if (c->mode != modes[m]) continue;
            printf("| `%s` | ", c->id);
            md_escape(c->title_zh);
            fputs("<br>", stdout);
            md_escape(c->title_en);
            printf(" | %s | `%s` | ", nw_severity_name(c->severity), c->probe->name);
            md_list(c->mlps2);
            fputs(" | ", stdout);
            md_list(c->order82);
            fputs(" | ", stdout);
            if (c->ncsl == 0) fputs("—", stdout);
            for (size_t k = 0; k < c->ncsl; k++) {
                if (k) fputs("; ", stdout);
                md_escape(c->csl[k].article);
                printf(" (%s)", c->csl[k].effective);
            }
            fputs(" | ", stdout);
            md_list(c->profiles);
            fputs(" |\n", stdout);
        }
    }
}

static void list_probes(void)
{
    for (size_t i = 0; nw_inspect_probes[i]; i++) {
        const struct nw_probe *p = nw_inspect_probes[i];
        printf("%-18s %-10s %s\n", p->name, nw_chk_mode_name(p->mode), p->doc ? p->doc : "");
        printf("%-18s %-10s params:", "", "");
        if (p->params == NULL || p->params[0] == NULL) printf(" none");
        for (size_t k = 0; p->params && p->params[k]; k++) printf(" %s", p->params[k]);
        printf("\n");
    }
}

/* -------------------------------------------------------------- progress -- */

struct progress {
    int on;
};

static void on_progress(void *arg, size_t done, size_t total, const char *what)
{
    struct progress *pg = arg;
    char bar[31];
    size_t fill = total ? done * 30 / total : 30;

    if (!pg->on) return;
    for (size_t i = 0; i < 30; i++) bar[i] = i < fill ? '#' : '.';
    bar[30] = '\0';
    fprintf(stderr, "\r[%s] %3zu/%-3zu %-40.40s", bar, done, total, what ? what : "done");
    if (what == NULL) fputc('\n', stderr);
    fflush(stderr);
}

/* ---------------------------------------------------------------- summary -- */

static void summary(FILE *o, const struct nw_inspect_run *r, int zh, const char *out,
                    const char *saved)
{
    static const char *const vname_zh[] = {"通过", "不符合", "不适用", "无法检查"};

    fprintf(o, "netwarden inspect %s: %s %s, %zu %s: %zu %s, %zu %s, %zu %s, %zu %s\n", r->id,
            zh ? "配置" : "profile", r->profile ? r->profile : (zh ? "全部" : "all"),
            r->nresults, zh ? "项检查" : "checks",
            r->counts[0], zh ? vname_zh[0] : "pass", r->counts[1], zh ? vname_zh[1] : "fail",
            r->counts[2], zh ? vname_zh[2] : "skip", r->counts[3], zh ? vname_zh[3] : "error");
    for (int pass = 0; pass < 2; pass++) {
        int want = pass == 0 ? NW_VERDICT_FAIL : NW_VERDICT_ERROR;
        int header = 0;
        for (int sev = NW_SEV_CRITICAL; sev >= NW_SEV_INFO; sev--) {
            for (size_t i = 0; i < r->nresults; i++) {
                const struct nw_inspect_result *x = &r->results[i];
                if (x->verdict != want || x->check->severity != sev) continue;
                if (!header) {
                    fprintf(o, "\n%s\n", want == NW_VERDICT_FAIL
                                             ? (zh ? "发现的问题:" : "Findings:")
                                             : (zh ? "无法完成的检查:" : "Could not check:"));
                    header = 1;
                }
                fprintf(o, "  %-8s %-32s %s%s%s%s%s\n", nw_severity_name(sev), x->check->id,
                        zh ? x->check->title_zh : x->check->title_en, x->target ? " @ " : "",
                        x->target ? x->target : "",
                        x->cmp == NW_CMP_NEW ? (zh ? "  [新]" : "  [new]")
                        : x->cmp == NW_CMP_STILL_OPEN ? (zh ? "  [仍存在]" : "  [still open]") : "",
                        "");
                fprintf(o, "           %s\n", want == NW_VERDICT_FAIL ? x->evidence : x->reason);
            }
        }
    }
    if (r->previous[0]) {
        size_t nn = 0, so = 0;
        for (size_t i = 0; i < r->nresults; i++) {
            nn += r->results[i].cmp == NW_CMP_NEW;
            so += r->results[i].cmp == NW_CMP_STILL_OPEN;
        }
        fprintf(o, "\n%s %s: %zu %s, %zu %s, %zu %s\n", zh ? "与上次检查比较" : "Compared with",
                r->previous, nn, zh ? "新发现" : "new", so, zh ? "仍存在" : "still open",
                r->nfixed, zh ? "已整改" : "fixed");
        for (size_t i = 0; i < r->nfixed; i++)
            fprintf(o, "  %s %-32s %s%s%s\n", zh ? "已整改" : "fixed", r->fixed[i].id,
                    zh ? r->fixed[i].title_zh : r->fixed[i].title_en,
                    r->fixed[i].target[0] ? " @ " : "", r->fixed[i].target);
    }
    if (out && strcmp(out, "-") != 0) fprintf(o, "\n%s %s\n", zh ? "结果:" : "Results:", out);
    if (saved) fprintf(o, "%s %s\n", zh ? "历史:" : "History:", saved);
}

/* ------------------------------------------------------------------- main -- */

int nw_cmd_inspect(int argc, char **argv)
{
    struct inspect_args a;
    struct nw_config cfg;
    struct nw_checkset cs;
    struct nw_inspect_run run;
    struct nw_err err;
    struct tctx *tx = NULL;
    struct progress pg = {0};
    struct nw_buf out;
    char checks_dir[4096], store_dir[4096], dict_dir[4096 + 32], saved[4400];
    const char *data_dir;
    uint16_t *ports = NULL;
    size_t nports = 0;
    int i, rc, exit_code = NW_EXIT_OK, cfg_ok = 0, have_net;
    char web_ports[256] = "", *web_only = NULL; /* W1 */
    struct nw_web_options web_opts = {0};

    memset(&a, 0, sizeof a);
    memset(&cs, 0, sizeof cs);
    memset(&run, 0, sizeof run);
    nw_buf_init(&out, 0);
    i = nw_cli_parse("inspect", inspect_opts, argc, argv, on_opt, &a);
    if (i < 0) return NW_EXIT_USAGE;
    if (a.help) {
        help();
        return NW_EXIT_OK;
    }
    if (i < argc) {
        fprintf(stderr, "netwarden inspect: unexpected argument '%s'; see 'netwarden inspect "
                "--help'\n", argv[i]);
        return NW_EXIT_USAGE;
    }
    if ((exit_code = nw_cli_config("inspect", &cfg, a.config, NULL)) != 0) return exit_code;
    cfg_ok = 1;
    err.msg[0] = '\0';
    if (a.lang && strcmp(a.lang, "en") != 0 && strcmp(a.lang, "zh") != 0) {
        fprintf(stderr, "netwarden inspect: --lang is en or zh\n");
        exit_code = NW_EXIT_USAGE;
        goto out;
    }
    if (a.format && strcmp(a.format, "text") != 0 && strcmp(a.format, "md") != 0) {
        fprintf(stderr, "netwarden inspect: --format is text or md\n");
        exit_code = NW_EXIT_USAGE;
        goto out;
    }
    if (a.probes) {
        list_probes();
        goto out;
    }
    /* where the checks are */
    if (a.checks) snprintf(checks_dir, sizeof checks_dir, "%s", a.checks);
    else if (cfg.inspect_checks_dir[0])
        snprintf(checks_dir, sizeof checks_dir, "%s", cfg.inspect_checks_dir);
    else if (dir_exists("checks")) snprintf(checks_dir, sizeof checks_dir, "checks");
    else snprintf(checks_dir, sizeof checks_dir, "/usr/share/netwarden/checks");
    load_errors = 0;
    rc = nw_checkset_load_dir(&cs, checks_dir, on_load_error, NULL);
    if (rc == NW_ENOENT) {
        fprintf(stderr, "netwarden inspect: no check directory %s; give --checks DIR\n",
                checks_dir);
        exit_code = NW_EXIT_USAGE;
        goto out;
    }
    if (rc == NW_ENOMEM) {
        fprintf(stderr, "netwarden inspect: out of memory loading checks\n");
        exit_code = NW_EXIT_RUNTIME;
        goto out;
    }
    if (cs.n == 0) {
        fprintf(stderr, "netwarden inspect: no check loaded from %s%s\n", checks_dir,
                load_errors ? " (every file was rejected, see above)" : "");
        exit_code = NW_EXIT_USAGE;
        goto out;
    }
    if (a.list) {
        list_checks(&cs, a.format);
        exit_code = load_errors ? NW_EXIT_USAGE : NW_EXIT_OK;
        goto out;
    }
    if (a.profile && nw_checkset_profile(&cs, a.profile) == NULL) {
        nw_checkset_in_profile(&cs, &cs.checks[0], a.profile, &err);
        fprintf(stderr, "netwarden inspect: %s\n", err.msg);
        exit_code = NW_EXIT_USAGE;
        goto out;
    }

    /* settings */
    data_dir = a.data ? a.data : cfg.data_dir;
    if (a.store) snprintf(store_dir, sizeof store_dir, "%s", a.store);
    else snprintf(store_dir, sizeof store_dir, "%s/store", data_dir);
    /* the dictionary and the web lists sit beside the checks (source tree:
     * checks/ and data/; installed: /usr/share/netwarden/{checks,dict,web}) */
    if (cfg.inspect_dict_dir[0]) {
        snprintf(dict_dir, sizeof dict_dir, "%s", cfg.inspect_dict_dir);
    } else {
        snprintf(dict_dir, sizeof dict_dir, "%s/../data/dict", checks_dir);
        if (!dir_exists(dict_dir)) snprintf(dict_dir, sizeof dict_dir, "%s/../dict", checks_dir);
        if (!dir_exists(dict_dir)) snprintf(dict_dir, sizeof dict_dir, "/usr/share/netwarden/dict");
    }
    run.cs = &cs;
    run.profile = a.profile;
    run.only = a.only;
    run.cancel = &cancel_flag;
    run.set.root = a.root ? a.root : "/";
    run.set.data_dir = data_dir;
    run.set.store_dir = store_dir;
    run.set.backup_max_age_s = cfg.inspect_backup_max_age;
    run.set.backup_dirs = cfg.inspect_backup_dirs;
    run.set.store_retention_days = cfg.store_retention_days;
    run.set.connect_timeout_ms = cfg.inspect_connect_timeout_ms;
    run.set.probe_timeout_ms = cfg.inspect_probe_timeout_ms;
    run.set.rate = cfg.inspect_rate;
    run.set.attempts_per_account = cfg.inspect_attempts;
    run.set.attempt_delay_ms = cfg.inspect_attempt_delay_ms;
    run.set.dict_dir = dict_dir;
    if (a.root && !dir_exists(a.root)) {
        fprintf(stderr, "netwarden inspect: --root %s is not a directory\n", a.root);
        exit_code = NW_EXIT_USAGE;
        goto out;
    }
    if (a.now) {
        uint64_t us;
        if (nw_json_parse_time(a.now, strlen(a.now), &us) != 0) {
            fprintf(stderr, "netwarden inspect: --now '%s' is not an RFC 3339 time like "
                    "2026-11-21T12:00:00Z\n", a.now);
            exit_code = NW_EXIT_USAGE;
            goto out;
        }
        run.set.now_us = us;
    }

    /* targets and scope */
    have_net = a.targets || a.tfile || a.web;
    run.modes = 0;
    if (a.local || !have_net) run.modes |= NW_CHK_LOCAL | NW_CHK_AUDIT_SELF;
    if (a.self && !a.local) run.modes = NW_CHK_AUDIT_SELF;
    if (have_net) {
        const char *scope = a.scope ? a.scope : cfg.inspect_scope[0] ? cfg.inspect_scope : NULL;
        run.modes |= NW_CHK_NETWORK;
        tx = nw_calloc(1, sizeof *tx);
        if (tx) tx->t = nw_calloc(MAX_TARGETS, sizeof *tx->t);
        if (tx == NULL || tx->t == NULL) {
            fprintf(stderr, "netwarden inspect: out of memory for the target list\n");
            exit_code = NW_EXIT_RUNTIME;
            goto out;
        }
        if (a.web && !a.targets && !a.tfile && !a.ports) /* W1: scan only the sites' ports */
            nw_web_url_ports(a.web, web_ports, sizeof web_ports);
        if (parse_ports(a.ports ? a.ports : web_ports[0] ? web_ports : cfg.inspect_ports[0] ? cfg.inspect_ports
                                                                 : default_ports,
                        &ports, &nports) != 0) {
            fprintf(stderr, "netwarden inspect: bad port list '%s'; e.g. 1-1024,3306\n",
                    a.ports ? a.ports : cfg.inspect_ports);
            exit_code = NW_EXIT_USAGE;
            goto out;
        }
        run.set.ports = ports;
        run.set.nports = nports;
        if (scope) {
            char *text = read_lines(scope, "scope file"), *p;
            if (text == NULL) {
                exit_code = NW_EXIT_USAGE;
                goto out;
            }
            tx->have_scope = 1;
            tx->scope_file = scope;
            p = text;
            for (int ln = 1; *p; ln++) {
                char *nl = strchr(p, '\n');
                char item[128];
                size_t l;
                if (nl) *nl = '\0';
                while (*p == ' ' || *p == '\t') p++;
                l = strcspn(p, " \t");
                if (l > 0 && l < sizeof item) {
                    memcpy(item, p, l);
                    item[l] = '\0';
                    if (tx->nscope >= MAX_SCOPE || parse_cidr(item, &tx->scope[tx->nscope]) != 0) {
                        fprintf(stderr, "netwarden inspect: %s:%d: '%s' is not a CIDR range "
                                "(e.g. 10.0.0.0/24)\n", scope, ln, item);
                        nw_free(text);
                        exit_code = NW_EXIT_USAGE;
                        goto out;
                    }
                    tx->nscope++;
                }
                if (nl == NULL) break;
                p = nl + 1;
            }
            nw_free(text);
        }
        if (a.targets) add_list(tx, a.targets);
        if (a.tfile) {
            char *text = read_lines(a.tfile, "targets file");
            if (text == NULL) {
                exit_code = NW_EXIT_USAGE;
                goto out;
            }
            add_list(tx, text);
            nw_free(text);
        }
        if (a.web) add_web_list(tx, a.web);
        run.targets = tx->t;
        run.ntargets = tx->n;
        run.refused = (const char *const *)tx->refused;
        run.nrefused = tx->nrefused;
        if (tx->n == 0) {
            fprintf(stderr, "netwarden inspect: no target left in scope%s\n",
                    run.modes & NW_CHK_LOCAL ? "; running the local checks only" : "");
            run.modes &= ~NW_CHK_NETWORK;
            if (run.modes == 0) {
                exit_code = NW_EXIT_USAGE;
                goto out;
            }
        }
    }

    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    pg.on = !a.quiet && (a.progress || isatty(2));
    run.on_progress = on_progress;
    run.progress_arg = &pg;
    if (a.web && !a.targets && !a.tfile && !a.only) run.only = web_only = nw_web_check_ids(&cs);
    web_opts.baseline = a.web_baseline;
    nw_web_configure(&web_opts);
    rc = nw_inspect_run_checks(&run, &err);
    if (rc != 0) {
        fprintf(stderr, "netwarden inspect: %s\n", err.msg);
        exit_code = nw_cli_exit_for(rc);
        goto out;
    }
    saved[0] = '\0';
    if (nw_inspect_history(&run, data_dir, !a.nohist, &err) != 0)
        fprintf(stderr, "netwarden inspect: warning: history not kept: %s\n", err.msg);
    else if (!a.nohist)
        snprintf(saved, sizeof saved, "%s/inspect/%s.json", data_dir, run.id);
    nw_inspect_results_json(&run, &out);
    if (a.out) {
        FILE *f = strcmp(a.out, "-") == 0 ? stdout : fopen(a.out, "w");
        int bad = f == NULL || !nw_buf_ok(&out) || fwrite(out.data, 1, out.len, f) != out.len;
        if (f && f != stdout && fclose(f) != 0) bad = 1; /* closed once, whatever happened */
        if (bad && !nw_buf_ok(&out)) { /* said "cannot write -" with a stray errno */
            fprintf(stderr, "netwarden inspect: out of memory building the results for %s\n",
                    a.out);
            exit_code = NW_EXIT_RUNTIME;
            goto out;
        }
        if (bad) {
            fprintf(stderr, "netwarden inspect: cannot write %s: %s\n", a.out, strerror(errno));
            exit_code = NW_EXIT_RUNTIME;
            goto out;
        }
        if (f == stdout) fflush(stdout);
    }
    if (!a.quiet)
        summary(a.out && strcmp(a.out, "-") == 0 ? stderr : stdout, &run,
                a.lang && strcmp(a.lang, "zh") == 0, a.out, saved[0] ? saved : NULL);
    if (load_errors) {
        fprintf(stderr, "netwarden inspect: %d check file%s rejected (see above); the others "
                "ran\n", load_errors, load_errors == 1 ? " was" : "s were");
        exit_code = NW_EXIT_USAGE;
    } else if (run.counts[NW_VERDICT_FAIL] || run.counts[NW_VERDICT_ERROR]) {
        exit_code = NW_EXIT_FINDINGS;
    }
out:
    nw_inspect_run_fini(&run);
    nw_web_fini();
    nw_free(web_only);
    if (tx) {
        for (size_t k = 0; k < tx->nhosts; k++) nw_free(tx->hosts[k]);
        for (size_t k = 0; k < tx->nrefused; k++) nw_free(tx->refused[k]);
        nw_free(tx->hosts);
        nw_free(tx->refused);
        nw_free(tx->t);
        nw_free(tx);
    }
    nw_free(ports);
    nw_buf_fini(&out);
    nw_checkset_free(&cs);
    if (cfg_ok) nw_config_fini(&cfg);
    return exit_code;
}
