/*
 * config.c - settings table, INI reader and writer (see nw/config.h).
 *
 * Adding a setting: a field in struct nw_config and one line in
 * nw_config_defs[]. The reader is line-based and bounded: a line longer
 * than 4 KiB, a value out of bounds, an unknown section or key, or a
 * repeated key is an error naming the file and line, never a silent default.
 */
#include "nw/config.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define OFF(f) offsetof(struct nw_config, f)
#define KIB 1024ull
#define MIB (1024ull * 1024)
#define GIB (1024ull * 1024 * 1024)

const struct nw_config_def nw_config_defs[] = {
    {"general", "data_dir", NW_CFG_STRING, "/var/lib/netwarden", 0, 0, OFF(data_dir),
     "state directory: store, inspection history, spool"},
    {"unit", "name", NW_CFG_STRING, "", 0, 0, OFF(unit_name),
     "the organisation's name, as it appears on reports"},
    {"unit", "code", NW_CFG_STRING, "", 0, 0, OFF(unit_code),
     "the organisation's code (e.g. unified social credit code)"},
    {"unit", "leader", NW_CFG_STRING, "", 0, 0, OFF(unit_leader),
     "the person responsible for network security"},
    {"unit", "contact", NW_CFG_STRING, "", 0, 0, OFF(unit_contact),
     "contact telephone or e-mail"},
    {"audit", "interface", NW_CFG_STRING, "", 0, 0, OFF(interface),
     "interfaces to capture on when `audit` gets neither -r nor -i (\"eth1\" or \"eth1, eth2\")"},
    {"audit", "eve", NW_CFG_STRING, "-", 0, 0, OFF(eve),
     "where records go as JSON lines ('-' = standard output)"},
    {"audit", "static_map", NW_CFG_STRING, "", 0, 0, OFF(static_map),
     "CSV of fixed assignments: ip,mac,account,calling_station,hostname"},
    {"audit", "filter", NW_CFG_STRING, "", 0, 0, OFF(filter),
     "capture filter in tcpdump's syntax, e.g. 'not host 10.0.0.5' for the box's own traffic "
     "('' = every frame)"},
    {"audit", "flow_memcap", NW_CFG_SIZE, "128M", 64 * KIB, 64 * GIB, OFF(flow_memcap),
     "memory for flow entries; past it the least recently active flow is ended"},
    {"audit", "stream_memcap", NW_CFG_SIZE, "64M", 64 * KIB, 64 * GIB, OFF(stream_memcap),
     "memory for out-of-order TCP segments; past it holes become gaps"},
    {"audit", "stream_depth", NW_CFG_SIZE, "0", 0, 64 * GIB, OFF(stream_depth),
     "bytes per TCP direction given to parsers (0 = all)"},
    {"audit", "frag_memcap", NW_CFG_SIZE, "16M", 64 * KIB, 16 * GIB, OFF(frag_memcap),
     "memory for IP fragments awaiting reassembly"},
    {"audit", "identity_memcap", NW_CFG_SIZE, "32M", 64 * KIB, 16 * GIB, OFF(identity_memcap),
     "memory for identity bindings; past it the oldest ended bindings go"},
    {"audit", "tcp_idle_timeout", NW_CFG_DURATION, "600", 1, 7 * 86400, OFF(tcp_idle_timeout),
     "an open TCP flow idle this long ends"},
    {"audit", "tcp_closed_timeout", NW_CFG_DURATION, "10", 1, 3600, OFF(tcp_closed_timeout),
     "a TCP flow lingers this long after FIN/RST"},
    {"audit", "udp_idle_timeout", NW_CFG_DURATION, "60", 1, 86400, OFF(udp_idle_timeout),
     "a UDP or ICMP flow idle this long ends"},
    {"audit", "active_timeout", NW_CFG_DURATION, "3600", 0, 7 * 86400, OFF(active_timeout),
     "a flow older than this is reported and its counters restart (0 = never)"},
    {"audit", "capture_retry", NW_CFG_DURATION, "1", 0, 300, OFF(capture_retry),
     "when the live interface goes away, reopen it this often until it returns, with an "
     "alarm record at loss and return (0 = end the run with an error instead)"},
    {"audit", "stats_interval", NW_CFG_DURATION, "60", 0, 86400, OFF(stats_interval),
     "live: write a `stats` record (packets, kernel drops per interface, flows, records) this "
     "often and at the end, so capture loss is on record (0 = none)"},
    {"store", "retention_days", NW_CFG_UINT, "180", 60, 36500, OFF(store_retention_days),
     "days records are kept; whole expired day partitions are deleted (at least 60: MPS Order "
     "No. 82 art. 13)"},
    {"store", "sign_key", NW_CFG_STRING, "", 0, 0, OFF(store_sign_key),
     "Ed25519 secret key file (outside the store) that signs the chain; '' = unsigned"},
    {"store", "compression_level", NW_CFG_UINT, "1", 1, 19, OFF(store_level),
     "zstd level of store blocks (higher = smaller and slower ingest)"},
    {"store", "block_size", NW_CFG_SIZE, "4M", 64 * KIB, 32 * MIB, OFF(store_block_size),
     "raw JSON bytes per compressed block (the unit of skipping and of compression)"},
    {"store", "flush_interval", NW_CFG_DURATION, "1", 1, 60, OFF(store_flush_interval),
     "pending records are written to disk at least this often (kill -9 loses at most this)"},
    {"store", "fsync", NW_CFG_BOOL, "yes", 0, 1, OFF(store_fsync),
     "fdatasync written blocks once per flush_interval (survive power loss), and on seal"},
    {"inspect", "checks_dir", NW_CFG_STRING, "", 0, 0, OFF(inspect_checks_dir),
     "check files ('' = ./checks if present, else /usr/share/netwarden/checks)"},
    {"inspect", "scope", NW_CFG_STRING, "", 0, 0, OFF(inspect_scope),
     "file of allowed target ranges (CIDR per line); '' = only the targets named"},
    {"inspect", "ports", NW_CFG_STRING, "", 0, 0, OFF(inspect_ports),
     "ports to scan per target, e.g. 1-1024,3306 ('' = the scanner's default list)"},
    {"inspect", "backup_dirs", NW_CFG_STRING, "", 0, 0, OFF(inspect_backup_dirs),
     "colon-separated backup locations for the backup check ('' = the check's defaults)"},
    {"inspect", "backup_max_age", NW_CFG_DURATION, "7d", 3600, 366 * 86400,
     OFF(inspect_backup_max_age), "the newest backup must be younger than this"},
    {"inspect", "dict_dir", NW_CFG_STRING, "", 0, 0, OFF(inspect_dict_dir),
     "built-in credential dictionary ('' = ./data/dict if present, else "
     "/usr/share/netwarden/dict)"},
    {"inspect", "connect_timeout_ms", NW_CFG_UINT, "1500", 10, 60000,
     OFF(inspect_connect_timeout_ms), "network probes: milliseconds per connection attempt"},
    {"inspect", "probe_timeout_ms", NW_CFG_UINT, "60000", 100, 3600000,
     OFF(inspect_probe_timeout_ms), "network probes: milliseconds per probe and target"},
    {"inspect", "rate", NW_CFG_UINT, "5000", 0, 1000000, OFF(inspect_rate),
     "new connections per second while scanning (0 = unlimited)"},
    {"inspect", "attempts_per_account", NW_CFG_UINT, "3", 1, 20, OFF(inspect_attempts),
     "weak-credential probes: at most this many passwords per account (stay below lockout)"},
    {"inspect", "attempt_delay_ms", NW_CFG_UINT, "300", 0, 60000, OFF(inspect_attempt_delay_ms),
     "weak-credential probes: pause between attempts on one service"},
};
const size_t nw_config_ndefs = NW_ARRAY_LEN(nw_config_defs);

static char **str_slot(struct nw_config *c, const struct nw_config_def *d)
{
    return (char **)(void *)((char *)c + d->offset);
}

static uint64_t *num_slot(struct nw_config *c, const struct nw_config_def *d)
{
    return (uint64_t *)(void *)((char *)c + d->offset);
}

/* Parse value for d into c. Returns 0, or NW_EINVAL with a reason in why. */
static int set_value(struct nw_config *c, const struct nw_config_def *d, const char *v,
                     char *why, size_t whylen)
{
    uint64_t n, mult = 1;
    char *end;

    if (d->type == NW_CFG_STRING) {
        char *s = nw_strndup(v, 4096), **slot = str_slot(c, d);
        if (s == NULL) return NW_ENOMEM;
        nw_free(*slot);
        *slot = s;
        return 0;
    }
    if (d->type == NW_CFG_BOOL) {
        static const char *yes[] = {"yes", "true", "on", "1"}, *no[] = {"no", "false", "off", "0"};
        for (int i = 0; i < 4; i++) {
            if (strcasecmp(v, yes[i]) == 0) return (*num_slot(c, d) = 1, 0);
            if (strcasecmp(v, no[i]) == 0) return (*num_slot(c, d) = 0, 0);
        }
        snprintf(why, whylen, "'%s' is not yes or no", v);
        return NW_EINVAL;
    }
    errno = 0;
    if (v[0] < '0' || v[0] > '9') goto bad;
    n = strtoull(v, &end, 10);
    if (errno) goto bad;
    if (d->type == NW_CFG_SIZE) {
        switch (*end) {
        case 'k': case 'K': mult = KIB, end++; break;
        case 'm': case 'M': mult = MIB, end++; break;
        case 'g': case 'G': mult = GIB, end++; break;
        default: break;
        }
        if (*end == 'b' || *end == 'B') end++;
    } else if (d->type == NW_CFG_DURATION) {
        switch (*end) {
        case 's': end++; break;
        case 'm': mult = 60, end++; break;
        case 'h': mult = 3600, end++; break;
        case 'd': mult = 86400, end++; break;
        default: break;
        }
    }
    if (*end != '\0') goto bad;
    if (n > UINT64_MAX / mult) goto range;
    n *= mult;
    if (n < d->min || n > d->max) goto range;
    *num_slot(c, d) = n;
    return 0;
bad:
    snprintf(why, whylen, "'%s' is not a %s", v,
             d->type == NW_CFG_SIZE       ? "size (e.g. 64M, 1G)"
             : d->type == NW_CFG_DURATION ? "duration (e.g. 30s, 10m, 2h, 180d)"
                                          : "whole number");
    return NW_EINVAL;
range:
    if (d->offset == OFF(store_retention_days) && n < d->min) {
        snprintf(why, whylen, "%llu is refused: MPS Order No. 82 art. 13 requires at least 60 "
                 "days of record backup; set 60 or more", (unsigned long long)n);
        return NW_EINVAL;
    }
    snprintf(why, whylen, "%s is out of range: allowed %llu to %llu%s", v,
             (unsigned long long)d->min, (unsigned long long)d->max,
             d->type == NW_CFG_SIZE ? " bytes" : d->type == NW_CFG_DURATION ? " seconds" : "");
    return NW_EINVAL;
}

int nw_config_init(struct nw_config *c)
{
    char why[160];

    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < nw_config_ndefs; i++)
        if (set_value(c, &nw_config_defs[i], nw_config_defs[i].def, why, sizeof why) != 0) {
            nw_config_fini(c); /* the callers that return at once leaked the strings set */
            return NW_ENOMEM;  /* defaults are valid by construction */
        }
    return 0;
}

void nw_config_fini(struct nw_config *c)
{
    for (size_t i = 0; i < nw_config_ndefs; i++)
        if (nw_config_defs[i].type == NW_CFG_STRING) {
            char **slot = str_slot(c, &nw_config_defs[i]);
            nw_free(*slot);
            *slot = NULL;
        }
}

/* Edit distance, bounded, for "did you mean". */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), row[64];

    if (la >= 63 || lb >= 63) return 99;
    for (size_t j = 0; j <= lb; j++) row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cur = row[j];
            size_t sub = prev + (a[i - 1] != b[j - 1]);
            row[j] = NW_MIN(NW_MIN(row[j] + 1, row[j - 1] + 1), sub);
            prev = cur;
        }
    }
    return row[lb];
}

static const char *suggest_key(const char *section, const char *key)
{
    const char *best = NULL;
    size_t bd = 3;

    for (size_t i = 0; i < nw_config_ndefs; i++) {
        size_t d;
        if (section && strcmp(nw_config_defs[i].section, section) != 0) continue;
        d = distance(key, nw_config_defs[i].name);
        if (strncmp(nw_config_defs[i].name, key, strlen(key)) == 0) d = 0; /* a prefix */
        if (d < bd) bd = d, best = nw_config_defs[i].name;
    }
    return best;
}

static const struct nw_config_def *find(const char *section, const char *key)
{
    for (size_t i = 0; i < nw_config_ndefs; i++)
        if (strcmp(nw_config_defs[i].section, section) == 0 &&
            strcmp(nw_config_defs[i].name, key) == 0)
            return &nw_config_defs[i];
    return NULL;
}

static int section_known(const char *s)
{
    for (size_t i = 0; i < nw_config_ndefs; i++)
        if (strcmp(nw_config_defs[i].section, s) == 0) return 1;
    return 0;
}

static char *trim(char *s)
{
    char *e;

    while (*s == ' ' || *s == '\t') s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r')) *--e = '\0';
    return s;
}

int nw_config_load_buf(struct nw_config *c, const char *name, const char *text, size_t len,
                       struct nw_err *err)
{
    char section[64] = "", line[4096 + 2], why[200];
    unsigned char seen[64] = {0}; /* per def: set already in this file */
    size_t pos = 0;
    int lineno = 0;

    while (pos < len) {
        size_t n = 0;
        char *s, *eq, *key, *val;
        lineno++;
        while (pos < len && text[pos] != '\n') {
            if (n >= sizeof line - 2)
                return nw_err_set(err, NW_EINVAL, "%s:%d: line longer than 4096 bytes; split "
                                  "it or check that this is a netwarden config file", name, lineno);
            if (text[pos] == '\0')
                return nw_err_set(err, NW_EINVAL, "%s:%d: NUL byte; this is not a text file",
                                  name, lineno);
            line[n++] = text[pos++];
        }
        pos++; /* the newline */
        line[n] = '\0';
        s = trim(line);
        if (*s == '\0' || *s == '#' || *s == ';') continue;
        if (*s == '[') {
            char *e = strchr(s, ']');
            if (e == NULL || trim(e + 1)[0] != '\0')
                return nw_err_set(err, NW_EINVAL, "%s:%d: malformed section header '%s'; write "
                                  "it as [name]", name, lineno, s);
            *e = '\0';
            s = trim(s + 1);
            if (!section_known(s))
                return nw_err_set(err, NW_EINVAL, "%s:%d: unknown section [%s]; sections are "
                                  "[general], [unit], [audit], [store]", name, lineno, s);
            snprintf(section, sizeof section, "%s", s);
            continue;
        }
        eq = strchr(s, '=');
        if (eq == NULL)
            return nw_err_set(err, NW_EINVAL, "%s:%d: '%s' is not 'key = value'", name, lineno, s);
        *eq = '\0';
        key = trim(s);
        val = trim(eq + 1);
        /* optional double quotes keep leading/trailing spaces and '#' */
        if (val[0] == '"') {
            size_t vl = strlen(val);
            if (vl < 2 || val[vl - 1] != '"')
                return nw_err_set(err, NW_EINVAL, "%s:%d: unterminated quote in the value of "
                                  "'%s'", name, lineno, key);
            val[vl - 1] = '\0';
            val++;
        } else {
            char *hash = strstr(val, " #");
            if (hash) *hash = '\0', val = trim(val);
        }
        if (section[0] == '\0')
            return nw_err_set(err, NW_EINVAL, "%s:%d: '%s' comes before any [section]; put it "
                              "under [audit], [unit] or [general]", name, lineno, key);
        const struct nw_config_def *d = find(section, key);
        if (d == NULL) {
            const char *sug = suggest_key(section, key);
            return nw_err_set(err, NW_EINVAL, "%s:%d: unknown key '%s' in [%s]%s%s%s", name,
                              lineno, key, section, sug ? "; did you mean '" : "",
                              sug ? sug : "", sug ? "'?" : "; see docs/config.md");
        }
        size_t idx = (size_t)(d - nw_config_defs);
        if (idx < sizeof seen && seen[idx])
            return nw_err_set(err, NW_EINVAL, "%s:%d: '%s' is set twice in [%s]; keep one",
                              name, lineno, key, section);
        if (idx < sizeof seen) seen[idx] = 1;
        int rc = set_value(c, d, val, why, sizeof why);
        if (rc == NW_ENOMEM) return nw_err_set(err, rc, "%s:%d: out of memory", name, lineno);
        if (rc != 0)
            return nw_err_set(err, rc, "%s:%d: %s.%s: %s", name, lineno, section, key, why);
    }
    return 0;
}

int nw_config_load(struct nw_config *c, const char *path, int required, struct nw_err *err)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc;

    if (f == NULL) {
        if (!required && errno == ENOENT) return 0;
        return nw_err_set(err, errno == ENOENT ? NW_ENOENT : NW_EIO,
                          "cannot read config %s: %s; give an existing file with --config",
                          path, strerror(errno));
    }
    for (;;) {
        size_t n;
        if (len == cap) {
            char *nb;
            if (cap >= (1u << 20)) {
                fclose(f);
                nw_free(buf);
                return nw_err_set(err, NW_ELIMIT, "%s: larger than 1 MiB; this is not a "
                                  "netwarden config file", path);
            }
            cap = cap ? cap * 2 : 8192;
            nb = nw_realloc(buf, cap);
            if (nb == NULL) {
                fclose(f);
                nw_free(buf);
                return nw_err_set(err, NW_ENOMEM, "out of memory reading %s", path);
            }
            buf = nb;
        }
        n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) break;
    }
    fclose(f);
    rc = nw_config_load_buf(c, path, buf ? buf : "", len, err);
    nw_free(buf);
    return rc;
}

int nw_config_set(struct nw_config *c, const char *key, const char *value, struct nw_err *err)
{
    const struct nw_config_def *d = NULL;
    const char *dot = strchr(key, '.');
    char why[200];
    int rc;

    for (size_t i = 0; i < nw_config_ndefs; i++) {
        const struct nw_config_def *x = &nw_config_defs[i];
        if (dot ? (strncmp(x->section, key, (size_t)(dot - key)) == 0 &&
                   x->section[dot - key] == '\0' && strcmp(x->name, dot + 1) == 0)
                : strcmp(x->name, key) == 0)
            d = x;
    }
    if (d == NULL) return nw_err_set(err, NW_EINVAL, "unknown setting '%s'", key);
    rc = set_value(c, d, value, why, sizeof why);
    if (rc == NW_ENOMEM) /* why is not set then: it printed stack bytes */
        return nw_err_set(err, rc, "out of memory setting %s.%s", d->section, d->name);
    if (rc != 0) return nw_err_set(err, rc, "%s.%s: %s", d->section, d->name, why);
    return 0;
}

void nw_config_reference(FILE *out)
{
    static const char *types[] = {"text", "integer", "size", "duration", "boolean"};

    fprintf(out, "# netwarden configuration reference\n\n"
                 "Generated by `netwarden --config-reference` from the settings table in\n"
                 "src/config/config.c. The file is `%s` unless `--config FILE`\n"
                 "is given; without a file every setting has its default. Sizes take K, M, G\n"
                 "(powers of 1024); durations take s, m, h, d. Command-line options override\n"
                 "the file. `netwarden audit --check-config` validates a file,\n"
                 "`--dump-config` prints the effective settings in this syntax.\n\n"
                 "| section | key | type | default | range | meaning |\n"
                 "|---|---|---|---|---|---|\n", NW_CONFIG_DEFAULT_PATH);
    for (size_t i = 0; i < nw_config_ndefs; i++) {
        const struct nw_config_def *d = &nw_config_defs[i];
        char range[64] = "";
        if (d->type != NW_CFG_STRING && d->type != NW_CFG_BOOL)
            snprintf(range, sizeof range, "%llu – %llu", (unsigned long long)d->min,
                     (unsigned long long)d->max);
        fprintf(out, "| [%s] | `%s` | %s | `%s` | %s | %s |\n", d->section, d->name,
                types[d->type], d->def, range, d->doc);
    }
}

void nw_config_dump(const struct nw_config *c, FILE *out)
{
    const char *cur = "";

    fprintf(out, "# netwarden effective configuration (netwarden %s)\n", NW_VERSION);
    for (size_t i = 0; i < nw_config_ndefs; i++) {
        const struct nw_config_def *d = &nw_config_defs[i];
        if (strcmp(cur, d->section) != 0) {
            fprintf(out, "\n[%s]\n", d->section);
            cur = d->section;
        }
        fprintf(out, "# %s\n", d->doc);
        if (d->type == NW_CFG_STRING) {
            const char *v = *str_slot((struct nw_config *)c, d);
            fprintf(out, "%s = \"%s\"\n", d->name, v ? v : "");
        } else {
            fprintf(out, "%s = %llu\n", d->name,
                    (unsigned long long)*num_slot((struct nw_config *)c, d));
        }
    }
}
