/*
 * bench_store.c - the store benchmark's driver (bench/store/run.sh runs it).
 *
 *   nw_bench_store gen    [--records N] [--users U] [--days D] [--seed S] [--day K]
 *       writes the generated records as JSON lines to stdout (only day K if given)
 *   nw_bench_store ingest --store DIR [same options] [--sample N] [--level L] [--flush-ms MS]
 *       streams the records straight into a new store (no JSON file is
 *       written), then prints one JSON line of figures: records, JSON bytes
 *       (total and per day), seconds, records/s end to end, and records/s of
 *       the store alone (generation time, measured on a sample, subtracted)
 *   nw_bench_store load   --store DIR --file F [--level L] [--flush-ms MS]
 *       reads the JSON lines file F into memory, then appends every line to a
 *       new store and prints the CPU seconds and records/s of the store alone
 *       (open to close, nothing else running in the process)
 *   --flush-ms: the store's flush interval (default 1000). Blocks are also cut
 *       when their oldest record has waited that long in wall-clock time, so
 *       under valgrind (50x slower) the block boundaries, and with them the
 *       instruction counts, depend on timing; --flush-ms 3600000 makes them
 *       depend on the records only.
 *   nw_bench_store who    [same options] --ip IP --at-us T
 *       prints the account the generator gave IP at T (the expected answer)
 *   nw_bench_store pick   [same options] --n N
 *       prints N deterministic "IP AT_US ACCOUNT" lines for who-latency runs
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <string.h>
#include <time.h>

#include "gen.h"
#include "nw/core.h"
#include "nw/store.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t num(const char *s)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end == 'M') v *= 1000000ull;
    else if (*end == 'k' || *end == 'K') v *= 1000ull;
    return (uint64_t)v;
}

int main(int argc, char **argv)
{
    uint64_t records = 100000000ull, users = 2000, days = 60, seed = 1, day = UINT64_MAX;
    uint64_t sample = 2000000, n = 10, at_us = 0;
    const char *store = NULL, *ip = NULL, *mode, *file = NULL;
    int level = -1;
    long flush_ms = -1;
    struct gen g;

    if (argc < 2) {
        fprintf(stderr, "usage: nw_bench_store gen|ingest|who|pick [options]\n");
        return 2;
    }
    mode = argv[1];
    for (int i = 2; i + 1 < argc; i += 2) {
        const char *o = argv[i], *v = argv[i + 1];
        if (strcmp(o, "--records") == 0) records = num(v);
        else if (strcmp(o, "--users") == 0) users = num(v);
        else if (strcmp(o, "--days") == 0) days = num(v);
        else if (strcmp(o, "--seed") == 0) seed = num(v);
        else if (strcmp(o, "--day") == 0) day = num(v);
        else if (strcmp(o, "--store") == 0) store = v;
        else if (strcmp(o, "--sample") == 0) sample = num(v);
        else if (strcmp(o, "--n") == 0) n = num(v);
        else if (strcmp(o, "--ip") == 0) ip = v;
        else if (strcmp(o, "--at-us") == 0) at_us = num(v);
        else if (strcmp(o, "--file") == 0) file = v;
        else if (strcmp(o, "--level") == 0) level = (int)num(v);
        else if (strcmp(o, "--flush-ms") == 0) flush_ms = (long)num(v);
        else {
            fprintf(stderr, "nw_bench_store: unknown option %s\n", o);
            return 2;
        }
    }
    gen_init(&g, seed, records, users, days);

    if (strcmp(mode, "gen") == 0) {
        static char out[1 << 20];
        setvbuf(stdout, out, _IOFBF, sizeof out);
        while (gen_next(&g)) {
            if (day != UINT64_MAX && g.day != day) {
                if (g.day > day) break;
                continue;
            }
            g.buf[g.len++] = '\n';
            fwrite(g.buf, 1, g.len, stdout);
        }
        return fflush(stdout) == 0 ? 0 : 1;
    }

    if (strcmp(mode, "pick") == 0) {
        /* deterministic targets: day, a time between 02:00 and 22:00, a user */
        uint64_t r = gen_mix(seed * 31 + 7);
        for (uint64_t k = 0; k < n; k++) {
            uint64_t d = (r = gen_mix(r)) % days, u = (r = gen_mix(r)) % users;
            uint64_t t = (GEN_BASE_S + d * 86400 + 2 * 3600) * 1000000ull +
                         (r = gen_mix(r)) % (20ull * 3600 * 1000000);
            uint32_t a = gen_addr(&g, d, u);
            printf("%u.%u.%u.%u %llu u%llu\n", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255,
                   (unsigned long long)t, (unsigned long long)(10000 + u));
        }
        return 0;
    }

    if (strcmp(mode, "who") == 0) {
        unsigned a, b, c, d4;
        uint64_t d;
        if (ip == NULL || sscanf(ip, "%u.%u.%u.%u", &a, &b, &c, &d4) != 4) return 2;
        d = (at_us / 1000000 - GEN_BASE_S) / 86400;
        {
            uint64_t u = gen_holder_on_day(&g, d, (a << 24) | (b << 16) | (c << 8) | d4);
            if (u == UINT64_MAX || at_us < gen_login_us(&g, d, u) + 1000 ||
                at_us >= gen_logout_us(&g, d, u)) {
                printf("nobody\n");
                return 1;
            }
            printf("u%llu\n", (unsigned long long)(10000 + u));
        }
        return 0;
    }

    if (strcmp(mode, "import") == 0) { /* JSON lines from stdin into --store (tests) */
        struct nw_store *s = NULL;
        struct nw_store_opts o;
        struct nw_err err;
        static char line[1 << 20];
        nw_store_opts_defaults(&o);
        o.quiet = 1;
        o.retention_days = 0;
        if (store == NULL || nw_store_open(&s, store, &o, &err) != 0) return 3;
        while (fgets(line, sizeof line, stdin)) {
            size_t len = strlen(line);
            if (len && line[len - 1] == '\n') len--;
            if (len && nw_store_append(s, line, len, &err) != 0)
                fprintf(stderr, "import: %s\n", err.msg);
        }
        return nw_store_close(s, &err) == 0 ? 0 : 3;
    }

    if (strcmp(mode, "load") == 0) { /* the store alone, over a file read into memory first */
        struct nw_store *s = NULL;
        struct nw_store_opts o;
        struct nw_err err;
        struct stat st;
        const char *p, *end, *nl;
        uint64_t nrec = 0, bytes;
        double t0, c0, t1, c1;
        int fd = file ? open(file, O_RDONLY) : -1;
        if (store == NULL || fd < 0 || fstat(fd, &st) != 0) {
            fprintf(stderr, "nw_bench_store load: --store DIR --file F\n");
            return 2;
        }
        bytes = (uint64_t)st.st_size;
        p = mmap(NULL, bytes, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        if (p == MAP_FAILED) return 3;
        end = p + bytes;
        nw_store_opts_defaults(&o);
        o.quiet = 1;
        o.retention_days = 0;
        o.fsync = NW_STORE_FSYNC_NEVER;
        if (level >= 0) o.level = level;
        if (flush_ms >= 0) o.flush_ms = (uint64_t)flush_ms;
        t0 = now_s();
        c0 = cpu_s();
        if (nw_store_open(&s, store, &o, &err) != 0) {
            fprintf(stderr, "nw_bench_store: %s\n", err.msg);
            return 3;
        }
        while (p < end) {
            nl = memchr(p, '\n', (size_t)(end - p));
            if (nl == NULL) nl = end;
            if (nl > p && nw_store_append(s, p, (size_t)(nl - p), &err) != 0) {
                fprintf(stderr, "nw_bench_store: append: %s\n", err.msg);
                return 3;
            }
            nrec++;
            p = nl + 1;
        }
        if (nw_store_close(s, &err) != 0) {
            fprintf(stderr, "nw_bench_store: close: %s\n", err.msg);
            return 3;
        }
        t1 = now_s();
        c1 = cpu_s();
        printf("{\"records\":%llu,\"json_bytes\":%llu,\"seconds\":%.3f,\"cpu_seconds\":%.3f,"
               "\"rate_cpu\":%.0f}\n", (unsigned long long)nrec, (unsigned long long)bytes,
               t1 - t0, c1 - c0, (double)nrec / (c1 - c0));
        return 0;
    }

    if (strcmp(mode, "ingest") == 0) {
        struct nw_store *s = NULL;
        struct nw_store_opts o;
        struct nw_err err;
        uint64_t json_bytes = 0, *day_bytes = nw_calloc(days, sizeof *day_bytes);
        double t0, t1, gen_s, gen_rate, c0, c1;
        struct gen g2;
        uint64_t k = 0;

        if (store == NULL || day_bytes == NULL) {
            fprintf(stderr, "nw_bench_store ingest: --store DIR is required\n");
            return 2;
        }
        /* generation cost alone, on a sample */
        gen_init(&g2, seed, records, users, days);
        t0 = cpu_s();
        while (k < sample && gen_next(&g2)) k++;
        gen_s = cpu_s() - t0; /* CPU time: other processes on the box do not count */
        gen_rate = k ? (double)k / gen_s : 0;

        nw_store_opts_defaults(&o);
        o.quiet = 1;
        o.retention_days = 0; /* the generated days lie in the future/past: no expiry pass */
        if (level >= 0) o.level = level;
        if (flush_ms >= 0) o.flush_ms = (uint64_t)flush_ms;
        if (nw_store_open(&s, store, &o, &err) != 0) {
            fprintf(stderr, "nw_bench_store: %s\n", err.msg);
            return 3;
        }
        t0 = now_s();
        c0 = cpu_s();
        while (gen_next(&g)) {
            json_bytes += g.len + 1; /* as JSON lines: with the newline */
            day_bytes[g.day] += g.len + 1;
            if (nw_store_append(s, g.buf, g.len, &err) != 0) {
                fprintf(stderr, "nw_bench_store: append: %s\n", err.msg);
                return 3;
            }
            if ((g.produced & 0xfffff) == 0) {
                nw_store_tick(s);
                fprintf(stderr, "\ringest: %llu records", (unsigned long long)g.produced);
            }
        }
        if (nw_store_close(s, &err) != 0) {
            fprintf(stderr, "nw_bench_store: close: %s\n", err.msg);
            return 3;
        }
        t1 = now_s();
        c1 = cpu_s();
        fprintf(stderr, "\n");
        {
            double total = t1 - t0, cpu = c1 - c0;
            double gen_total = gen_rate > 0 ? (double)g.produced / gen_rate : 0;
            double store_only = cpu - gen_total;
            printf("{\"records\":%llu,\"json_bytes\":%llu,\"seconds\":%.3f,\"cpu_seconds\":%.3f,"
                   "\"rate_end_to_end\":%.0f,\"rate_cpu\":%.0f,"
                   "\"gen_rate\":%.0f,\"rate_store\":%.0f,\"day_bytes\":[",
                   (unsigned long long)g.produced, (unsigned long long)json_bytes, total, cpu,
                   (double)g.produced / total, (double)g.produced / cpu, gen_rate,
                   store_only > 0 ? (double)g.produced / store_only : 0.0);
            for (uint64_t d = 0; d < days; d++)
                printf("%s%llu", d ? "," : "", (unsigned long long)day_bytes[d]);
            printf("]}\n");
        }
        nw_free(day_bytes);
        return 0;
    }
    fprintf(stderr, "nw_bench_store: unknown mode %s\n", mode);
    return 2;
}
