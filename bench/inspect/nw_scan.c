/*
 * nw_scan.c - the scanner on its own, for the benchmark (bench/inspect/
 * scan_bench.sh) and the end-to-end test (tests/e2e/inspect_scan.sh):
 *
 *   nw_scan [--ports SPEC] [--rate PPS] [--timeout MS] [--retries N]
 *           [--threads N] [--inflight N] [--max-time MS] [--banners]
 *           [--scope CIDR[,CIDR...]] TARGET...
 *
 * One line per target on stdout:
 *   TARGET status=done open=22,80 closed=65533 filtered=0 attempts=65535 ms=412
 * then, with --banners, one line per banner: "  PORT probed|first TEXT".
 * A malformed target is reported on stderr and skipped; the others are
 * scanned. Exit 0 when the run completed, 2 on bad usage, 3 when the
 * scanner could not run.
 */
#include "nw/scan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int num(const char *s, unsigned *out)
{
    char *e;
    unsigned long v;
    if (s == NULL || *s < '0' || *s > '9') return -1;
    v = strtoul(s, &e, 10);
    if (*e || v > 100000000ul) return -1;
    *out = (unsigned)v;
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: nw_scan [--ports SPEC] [--rate PPS] [--timeout MS] [--retries N] "
                    "[--threads N] [--inflight N] [--max-time MS] [--banners] "
                    "[--scope CIDR,...] TARGET...\n");
}

int main(int argc, char **argv)
{
    struct nw_scan_opts o;
    struct nw_err err = {{0}};
    struct nw_scan_target *ts = NULL;
    struct nw_scan_cidr scope[64];
    uint16_t *ports = NULL;
    size_t nports = 0, nt = 0, nscope = 0;
    int rc = 0, i;

    nw_scan_opts_init(&o);
    for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int bad = 0;
        if (strcmp(a, "--banners") == 0) {
            o.banners = 1;
            continue;
        }
        if (v == NULL) {
            usage();
            return 2;
        }
        i++;
        if (strcmp(a, "--ports") == 0) {
            nw_free(ports);
            if (nw_scan_ports_parse(v, &ports, &nports, &err) != 0) {
                fprintf(stderr, "nw_scan: %s\n", err.msg);
                return 2;
            }
        } else if (strcmp(a, "--rate") == 0) {
            bad = num(v, &o.rate_pps);
        } else if (strcmp(a, "--timeout") == 0) {
            bad = num(v, &o.timeout_ms);
        } else if (strcmp(a, "--retries") == 0) {
            bad = num(v, &o.retries);
        } else if (strcmp(a, "--threads") == 0) {
            bad = num(v, &o.threads);
        } else if (strcmp(a, "--inflight") == 0) {
            bad = num(v, &o.max_inflight);
        } else if (strcmp(a, "--max-time") == 0) {
            bad = num(v, &o.max_total_ms);
        } else if (strcmp(a, "--scope") == 0) {
            char buf[1024];
            snprintf(buf, sizeof(buf), "%s", v);
            for (char *s = buf, *e; s && *s && nscope < 64; s = e ? e + 1 : NULL) {
                e = strchr(s, ',');
                if (e) *e = '\0';
                if (nw_scan_cidr_parse(s, &scope[nscope], &err) != 0) {
                    fprintf(stderr, "nw_scan: %s\n", err.msg);
                    return 2;
                }
                nscope++;
            }
        } else {
            bad = 1;
        }
        if (bad) {
            fprintf(stderr, "nw_scan: bad option %s %s\n", a, v);
            usage();
            return 2;
        }
    }
    if (i >= argc) {
        usage();
        return 2;
    }
    ts = nw_calloc((size_t)(argc - i), sizeof(*ts));
    if (ts == NULL) return 3;
    for (; i < argc; i++) {
        if (nw_scan_target_set(&ts[nt], argv[i], &err) != 0) {
            fprintf(stderr, "nw_scan: %s; skipped\n", err.msg);
            continue;
        }
        nt++;
    }
    o.ports = ports;
    o.n_ports = nports;
    o.scope = nscope ? scope : NULL;
    o.n_scope = nscope;
    if (nw_scan_run(&o, ts, nt, &err) != 0) {
        fprintf(stderr, "nw_scan: %s\n", err.msg);
        rc = 3;
        goto out;
    }
    for (size_t k = 0; k < nt; k++) {
        struct nw_scan_target *t = &ts[k];
        printf("%s status=%s open=", t->host, nw_scan_status_name(t->status));
        for (size_t j = 0; j < t->n_open; j++) printf("%s%u", j ? "," : "", t->open[j]);
        printf(" closed=%u filtered=%u attempts=%llu ms=%llu", t->n_closed, t->n_filtered,
               (unsigned long long)t->attempts, (unsigned long long)(t->elapsed_us / 1000));
        if (t->why[0]) printf(" why=\"%s\"", t->why);
        printf("\n");
        for (size_t j = 0; j < t->n_banners; j++) {
            const struct nw_scan_banner *b = &t->banners[j];
            printf("  %u %s ", b->port, b->probed ? "probed" : "first");
            for (size_t c = 0; c < b->len && c < 80; c++) {
                unsigned char ch = b->data[c];
                if (ch >= 0x20 && ch < 0x7f)
                    putchar(ch);
                else
                    printf("\\x%02x", ch);
            }
            printf("\n");
        }
    }
out:
    for (size_t k = 0; k < nt; k++) nw_scan_target_fini(&ts[k]);
    nw_free(ts);
    nw_free(ports);
    return rc;
}
