/*
 * scan.c - asynchronous TCP connect scanner (include/nw/scan.h).
 *
 * Work is the flat job space j in [0, targets * ports): target j % n, port
 * ports[j / n], so consecutive jobs spread over the targets. Worker threads
 * take chunks of jobs from one atomic cursor; each worker owns an epoll set
 * and a fixed slot table (its share of max_inflight). A slot is one socket in
 * one of three states:
 *
 *   CONNECT  non-blocking connect() in flight, EPOLLOUT armed. Ends open
 *            (handshake done), closed (ECONNREFUSED), unreachable
 *            (EHOSTUNREACH/ENETUNREACH/...), or times out after timeout_ms;
 *            a timed-out job goes to the worker's retry ring while it has
 *            retries left, else the port counts as filtered.
 *   BANNER   (opts.banners, open port) waits banner_ms for the service to
 *            speak first; on silence sends "GET / HTTP/1.0" and goes to
 *   PROBED   which waits banner_ms once more.
 *
 * All slots in one state share one timeout, so each state keeps its slots in
 * a FIFO list ordered by deadline: expiry looks at the head only, removal is
 * O(1). Epoll user data carries slot index and a generation number so a stale
 * event can never touch a reused slot.
 *
 * Per-target results are shared between workers: an open-port bitmap (atomic
 * OR) and atomic counters. A target is given up (all its remaining jobs
 * skipped) after a few unreachable errors with no answer at all, or after
 * NOANSWER_LIMIT filtered ports with no answer at all: scanning a dead host
 * should cost seconds, not 65535 timeouts.
 *
 * Open sockets are closed with SO_LINGER 0 (an RST, as nmap does): no
 * TIME_WAIT on our side, no half-served connection on the service side.
 *
 * Workload: 65535 ports of a host on a veth link in well under a second
 * with two threads; every path is bounded by the job count, the slot table
 * and max_total_ms.
 */
#include "nw/scan.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define JOB_CHUNK 128          /* jobs a worker takes from the cursor at a time */
#define UNREACH_LIMIT 3        /* unreachable errors with no answer: host unreachable */
#define NOANSWER_LIMIT 1024    /* filtered ports with no answer at all: host silent */
#define MAX_THREADS 16
#define EVENTS_PER_WAIT 1024
#define LAUNCH_BURST 1024       /* launches between two looks at events and the clock */


int nw_scan_name_check(const char *name, struct nw_err *err)
{
    int digits_dots = 1, name_ok = 1;
    size_t n = 0;

    for (const char *c = name; *c; c++, n++) {
        if (!((*c >= '0' && *c <= '9') || *c == '.')) digits_dots = 0;
        if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
              *c == '.' || *c == '-' || *c == '_'))
            name_ok = 0;
    }
    if (n == 0 || digits_dots || strchr(name, ':'))
        return nw_err_set(err, NW_EINVAL, "target '%s': not a valid IP%s address", name,
                          strchr(name, ':') ? "v6" : "v4");
    if (!name_ok || n > 253 || name[0] == '.' || name[0] == '-' || strstr(name, ".."))
        return nw_err_set(err, NW_EINVAL,
                          "target '%s': not an IP address or host name (letters, digits, '.', "
                          "'-' only)",
                          name);
    return 0;
}

static const char http_probe[] = "GET / HTTP/1.0\r\n\r\n";

enum slot_state { SLOT_FREE = 0, SLOT_CONNECT, SLOT_BANNER, SLOT_PROBED };
enum { LIST_CONN = 0, LIST_BAN = 1 };
enum { REL_KEEP = 0, REL_CLOSE, REL_RST }; /* what slot_release does with the socket */

struct slot {
    int fd;           /* may stay open while FREE: a disconnected socket kept for reuse */
    int fam;          /* address family of fd */
    uint8_t watched;  /* fd is in the epoll set (sockets start unwatched, see launch) */
    uint8_t state;    /* enum slot_state */
    uint8_t tries;    /* attempts made for this job so far (1 = first) */
    uint16_t port;
    uint32_t ti;      /* target index */
    uint32_t gen;     /* bumped on every reuse; checked against epoll data */
    uint32_t prev, next; /* deadline list links (UINT32_MAX = none) */
    uint64_t deadline;   /* monotonic microseconds */
    uint8_t *buf;        /* banner bytes (BANNER/PROBED only) */
    uint16_t blen;
};

struct dlist {
    uint32_t head, tail;
};

struct retry {
    uint32_t ti;
    uint16_t port;
    uint8_t tries;
};

/* Shared per-target state while the run lasts. */
struct tstate {
    uint64_t *open_bm;   /* 65536 bits */
    uint32_t closed, filtered, replies, unreach, finished; /* atomics */
    uint64_t attempts;   /* atomic */
    int skip;            /* atomic: non-zero = remaining jobs are skipped */
    int skip_status;     /* status to report when skip is set (under lock) */
    char why[256];       /* under lock */
    struct nw_scan_banner *banners; /* under lock */
    size_t n_banners, cap_banners;
    uint64_t first_us, last_us;     /* atomic min/max of attempt times */
};

struct run {
    const struct nw_scan_opts *o;
    struct nw_scan_target *t;
    size_t nt;
    const uint16_t *ports;
    size_t np;
    uint64_t total;     /* nt * np */
    uint64_t cursor;    /* atomic: next job to hand out */
    uint64_t done;      /* atomic: jobs finished (any outcome) */
    uint64_t deadline;  /* monotonic us: max_total_ms bound */
    int stop;           /* atomic: time bound or cancel hit */
    int fatal;          /* atomic: a worker could not run */
    char fatal_msg[256];
    struct tstate *ts;
    pthread_mutex_t lock;
};

struct worker {
    struct run *r;
    int id;
    int ep;
    struct slot *slots;
    uint32_t cap;          /* slots owned */
    uint32_t limit;        /* slots usable now (lowered on EMFILE / EADDRNOTAVAIL) */
    uint32_t inflight;
    uint32_t *freel;       /* free slot indices */
    uint32_t nfree;
    struct dlist lists[2];
    struct retry *ring;    /* retry ring, capacity cap + 1 */
    uint32_t rhead, rlen;
    uint64_t jn, je;       /* current chunk [jn, je) */
    int jobs_left;         /* 0 once the cursor is exhausted */
    double tokens, rate, burst;
    uint64_t last_refill;
    uint16_t sport4, sport6; /* the source port all this worker's sockets bind to */
    int nobind;            /* 1 = binding failed once: let connect() pick ports */
    pthread_t thr;
};

static uint64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void set_port(struct sockaddr_storage *ss, int family, uint16_t port)
{
    if (family == AF_INET)
        ((struct sockaddr_in *)ss)->sin_port = htons(port);
    else
        ((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

const char *nw_scan_status_name(int status)
{
    switch (status) {
    case NW_SCAN_PENDING: return "pending";
    case NW_SCAN_DONE: return "done";
    case NW_SCAN_PARTIAL: return "partial";
    case NW_SCAN_UNREACHABLE: return "unreachable";
    case NW_SCAN_REFUSED: return "refused";
    case NW_SCAN_ERROR: return "error";
    default: return "unknown";
    }
}

void nw_scan_opts_init(struct nw_scan_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->timeout_ms = 1000;
    o->retries = 1;
    o->max_total_ms = 600000;
    o->banner_ms = 600;
}

/* ---- targets, ports, scope ------------------------------------------------------------- */

void nw_scan_target_fini(struct nw_scan_target *t)
{
    nw_free(t->open);
    nw_free(t->banners);
    t->open = NULL;
    t->banners = NULL;
    t->n_open = t->n_banners = 0;
}

static void clear_outputs(struct nw_scan_target *t)
{
    nw_scan_target_fini(t);
    t->status = NW_SCAN_PENDING;
    t->why[0] = '\0';
    t->n_closed = t->n_filtered = 0;
    t->attempts = 0;
    t->elapsed_us = 0;
}

int nw_scan_target_set(struct nw_scan_target *t, const char *text, struct nw_err *err)
{
    char buf[256];
    size_t len;
    struct addrinfo hints, *res = NULL;
    int rc;

    memset(t, 0, sizeof(*t));
    if (text == NULL || (len = strlen(text)) == 0)
        return nw_err_set(err, NW_EINVAL, "empty target: give an IP address or host name");
    if (len >= sizeof(buf))
        return nw_err_set(err, NW_EINVAL, "target '%.40s...' is too long (max %zu characters)",
                          text, sizeof(buf) - 1);
    memcpy(buf, text, len + 1);
    /* "[::1]" -> "::1" */
    if (buf[0] == '[') {
        if (buf[len - 1] != ']' || len < 3)
            return nw_err_set(err, NW_EINVAL, "target '%s': unbalanced '[' (write [::1] or ::1)",
                              text);
        memmove(buf, buf + 1, len - 2);
        buf[len - 2] = '\0';
    }
    for (const char *c = buf; *c; c++) {
        if ((unsigned char)*c <= ' ' || *c == '/' || *c == ',')
            return nw_err_set(err, NW_EINVAL,
                              "target '%s': not an address or host name (one per entry; "
                              "ranges and CIDRs belong in --scope)",
                              text);
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST;
    rc = getaddrinfo(buf, NULL, &hints, &res);
    if (rc != 0) {
        /* a broken literal ("10.0.0.300", "fe80::g") or a string that cannot be a
           host name is refused here: it must not become a DNS query */
        if (nw_scan_name_check(buf, err) != 0) return NW_EINVAL;
        /* not a literal: a name, resolved by the system (hosts file first) */
        hints.ai_flags = AI_ADDRCONFIG;
        rc = getaddrinfo(buf, NULL, &hints, &res);
    }
    if (rc != 0 || res == NULL)
        return nw_err_set(err, NW_EINVAL, "target '%s': cannot resolve (%s)", text,
                          gai_strerror(rc));
    if ((res->ai_family != AF_INET && res->ai_family != AF_INET6) ||
        res->ai_addrlen > sizeof(t->addr)) {
        freeaddrinfo(res);
        return nw_err_set(err, NW_EINVAL, "target '%s': not an IPv4 or IPv6 address", text);
    }
    memcpy(&t->addr, res->ai_addr, res->ai_addrlen);
    t->addrlen = (socklen_t)res->ai_addrlen;
    t->family = res->ai_family;
    freeaddrinfo(res);
    memcpy(t->host, text, len + 1);
    return 0;
}

static int cmp_u16(const void *a, const void *b)
{
    uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
    return (x > y) - (x < y);
}

static int parse_port(const char *s, size_t n, unsigned *out)
{
    unsigned v = 0;
    if (n == 0 || n > 5) return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (v < 1 || v > 65535) return -1;
    *out = v;
    return 0;
}

int nw_scan_ports_parse(const char *spec, uint16_t **ports, size_t *n, struct nw_err *err)
{
    uint8_t *seen = NULL;
    uint16_t *out = NULL;
    size_t cnt = 0;
    int rc = 0;
    const char *p = spec;

    *ports = NULL;
    *n = 0;
    if (spec == NULL || *spec == '\0')
        return nw_err_set(err, NW_EINVAL, "empty port list: write e.g. 22,80,8000-8100 or all");
    seen = nw_calloc(65536, 1);
    if (seen == NULL) return nw_err_set(err, NW_ENOMEM, "port list: out of memory");
    if (strcmp(spec, "all") == 0 || strcmp(spec, "-") == 0) {
        for (unsigned v = 1; v <= 65535; v++) seen[v] = 1;
        cnt = 65535;
    } else {
        while (*p) {
            const char *e = strchr(p, ',');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            const char *dash = memchr(p, '-', len);
            unsigned lo, hi;
            if (dash) {
                if (parse_port(p, (size_t)(dash - p), &lo) ||
                    parse_port(dash + 1, len - (size_t)(dash - p) - 1, &hi) || lo > hi) {
                    rc = nw_err_set(err, NW_EINVAL,
                                    "port list: bad range '%.*s' (want LOW-HIGH within 1-65535)",
                                    (int)NW_MIN(len, 40), p);
                    goto out;
                }
            } else if (parse_port(p, len, &lo)) {
                rc = nw_err_set(err, NW_EINVAL, "port list: bad port '%.*s' (want 1-65535)",
                                (int)NW_MIN(len, 40), p);
                goto out;
            } else {
                hi = lo;
            }
            for (unsigned v = lo; v <= hi; v++) {
                if (!seen[v]) cnt++;
                seen[v] = 1;
            }
            if (!e) break;
            p = e + 1;
            if (*p == '\0') {
                rc = nw_err_set(err, NW_EINVAL, "port list: trailing ',' in '%.60s'", spec);
                goto out;
            }
        }
    }
    out = nw_alloc(cnt * sizeof(*out));
    if (out == NULL) {
        rc = nw_err_set(err, NW_ENOMEM, "port list: out of memory");
        goto out;
    }
    cnt = 0;
    for (unsigned v = 1; v <= 65535; v++)
        if (seen[v]) out[cnt++] = (uint16_t)v;
    *ports = out;
    *n = cnt;
out:
    nw_free(seen);
    return rc;
}

int nw_scan_cidr_parse(const char *text, struct nw_scan_cidr *c, struct nw_err *err)
{
    char buf[64];
    const char *slash;
    size_t alen;
    unsigned bits = 0, maxbits;

    memset(c, 0, sizeof(*c));
    if (text == NULL || *text == '\0')
        return nw_err_set(err, NW_EINVAL, "empty network in scope (write 10.0.0.0/8 or ::1)");
    slash = strchr(text, '/');
    alen = slash ? (size_t)(slash - text) : strlen(text);
    if (alen == 0 || alen >= sizeof(buf))
        return nw_err_set(err, NW_EINVAL, "scope entry '%.60s': not an address/prefix", text);
    memcpy(buf, text, alen);
    buf[alen] = '\0';
    if (inet_pton(AF_INET, buf, c->addr) == 1) {
        c->family = AF_INET;
        maxbits = 32;
    } else if (inet_pton(AF_INET6, buf, c->addr) == 1) {
        c->family = AF_INET6;
        maxbits = 128;
    } else {
        return nw_err_set(err, NW_EINVAL, "scope entry '%.60s': '%s' is not an IP address",
                          text, buf);
    }
    if (slash) {
        const char *d = slash + 1;
        size_t i = 0;
        if (*d == '\0') goto badbits;
        for (; d[i]; i++) {
            if (d[i] < '0' || d[i] > '9' || i >= 3) goto badbits;
            bits = bits * 10 + (unsigned)(d[i] - '0');
        }
        if (bits > maxbits) goto badbits;
    } else {
        bits = maxbits;
    }
    c->bits = bits;
    return 0;
badbits:
    return nw_err_set(err, NW_EINVAL, "scope entry '%.60s': prefix length must be 0-%u", text,
                      maxbits);
}

/* The target's address bytes (4 or 16; IPv4-mapped IPv6 counts as IPv4). */
static const uint8_t *target_bytes(const struct nw_scan_target *t, int *family)
{
    if (t->family == AF_INET) {
        *family = AF_INET;
        return (const uint8_t *)&((const struct sockaddr_in *)&t->addr)->sin_addr;
    }
    const uint8_t *a = ((const struct sockaddr_in6 *)&t->addr)->sin6_addr.s6_addr;
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(a, mapped, 12) == 0) {
        *family = AF_INET;
        return a + 12;
    }
    *family = AF_INET6;
    return a;
}

int nw_scan_cidr_contains(const struct nw_scan_cidr *c, const struct nw_scan_target *t)
{
    int fam;
    const uint8_t *a = target_bytes(t, &fam);
    unsigned full, rest;

    if (fam != c->family) return 0;
    full = c->bits / 8;
    rest = c->bits % 8;
    if (memcmp(a, c->addr, full) != 0) return 0;
    if (rest) {
        uint8_t mask = (uint8_t)(0xffu << (8 - rest));
        if ((a[full] & mask) != (c->addr[full] & mask)) return 0;
    }
    return 1;
}

int nw_scan_is_open(const struct nw_scan_target *t, uint16_t port)
{
    size_t lo = 0, hi = t->n_open;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->open[mid] == port) return 1;
        if (t->open[mid] < port)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

const struct nw_scan_banner *nw_scan_banner_get(const struct nw_scan_target *t, uint16_t port)
{
    for (size_t i = 0; i < t->n_banners; i++)
        if (t->banners[i].port == port) return &t->banners[i];
    return NULL;
}

void nw_scan_fmt_endpoint(const struct nw_scan_target *t, uint16_t port, char *out, size_t cap)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    if (t->family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)&t->addr)->sin_addr, ip, sizeof(ip));
        snprintf(out, cap, "%s:%u", ip, port);
    } else {
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)&t->addr)->sin6_addr, ip, sizeof(ip));
        snprintf(out, cap, "[%s]:%u", ip, port);
    }
}

/* ---- the scan engine ------------------------------------------------------------------- */

static void target_give_up(struct run *r, uint32_t ti, int status, const char *why)
{
    struct tstate *s = &r->ts[ti];
    pthread_mutex_lock(&r->lock);
    if (!__atomic_load_n(&s->skip, __ATOMIC_RELAXED)) {
        s->skip_status = status;
        snprintf(s->why, sizeof(s->why), "%s", why);
        __atomic_store_n(&s->skip, 1, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&r->lock);
}

static void job_finished(struct run *r, uint32_t ti)
{
    __atomic_add_fetch(&r->ts[ti].finished, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&r->done, 1, __ATOMIC_RELAXED);
}

static void list_push(struct worker *w, int l, uint32_t i)
{
    struct slot *s = &w->slots[i];
    s->next = UINT32_MAX;
    s->prev = w->lists[l].tail;
    if (w->lists[l].tail != UINT32_MAX)
        w->slots[w->lists[l].tail].next = i;
    else
        w->lists[l].head = i;
    w->lists[l].tail = i;
}

static void list_del(struct worker *w, int l, uint32_t i)
{
    struct slot *s = &w->slots[i];
    if (s->prev != UINT32_MAX)
        w->slots[s->prev].next = s->next;
    else
        w->lists[l].head = s->next;
    if (s->next != UINT32_MAX)
        w->slots[s->next].prev = s->prev;
    else
        w->lists[l].tail = s->prev;
    s->prev = s->next = UINT32_MAX;
}

static int slot_list(const struct slot *s) { return s->state == SLOT_CONNECT ? LIST_CONN : LIST_BAN; }

/*
 * End a slot's attempt and return the slot to the free list. REL_KEEP keeps
 * the socket: after a refused or unreachable connect, a second connect()
 * has collected the error and left the socket disconnected, and Linux lets
 * it connect again; this saves socket(), epoll_ctl() and close() per port,
 * most of the cost of scanning closed ports. REL_RST closes with an RST
 * (connected sockets), REL_CLOSE just closes.
 */
static void slot_release(struct worker *w, uint32_t i, int how)
{
    struct slot *s = &w->slots[i];
    list_del(w, slot_list(s), i);
    if (how != REL_KEEP) {
        if (how == REL_RST) {
            struct linger lg = {1, 0};
            (void)setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        }
        close(s->fd);
        s->fd = -1;
        s->watched = 0;
        s->gen++;
    }
    s->state = SLOT_FREE;
    nw_free(s->buf);
    s->buf = NULL;
    s->blen = 0;
    w->freel[w->nfree++] = i;
    w->inflight--;
}

static void record_banner(struct run *r, uint32_t ti, uint16_t port, const uint8_t *p,
                          size_t len, int probed)
{
    struct tstate *s = &r->ts[ti];
    pthread_mutex_lock(&r->lock);
    if (s->n_banners == s->cap_banners) {
        size_t nc = s->cap_banners ? s->cap_banners * 2 : 8;
        struct nw_scan_banner *nb = nw_realloc(s->banners, nc * sizeof(*nb));
        if (nb == NULL) goto out; /* banner lost; the port stays open */
        s->banners = nb;
        s->cap_banners = nc;
    }
    struct nw_scan_banner *b = &s->banners[s->n_banners++];
    memset(b, 0, sizeof(*b));
    b->port = port;
    b->len = (uint16_t)NW_MIN(len, (size_t)NW_SCAN_BANNER_MAX);
    b->probed = (uint8_t)probed;
    if (b->len) memcpy(b->data, p, b->len);
out:
    pthread_mutex_unlock(&r->lock);
}

/*
 * A socket whose source port is the port it tries on one of this host's own
 * addresses connects to itself (TCP simultaneous open): nothing listens there,
 * and it must not be reported open. The worker's shared source port makes it
 * certain when that port is scanned; an unbound socket's ephemeral port can
 * hit it too. Two calls per open port, none per closed one.
 */
static int self_connected(const struct slot *s)
{
    struct sockaddr_storage a, b;
    socklen_t al = sizeof(a), bl = sizeof(b);

    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    if (getsockname(s->fd, (struct sockaddr *)&a, &al) != 0 ||
        getpeername(s->fd, (struct sockaddr *)&b, &bl) != 0)
        return 0;
    return al == bl && memcmp(&a, &b, al) == 0;
}

static void outcome_open(struct worker *w, uint32_t i)
{
    struct run *r = w->r;
    struct slot *s = &w->slots[i];
    struct tstate *ts = &r->ts[s->ti];

    if (self_connected(s)) { /* closed, as a plain connect would find it */
        __atomic_add_fetch(&ts->closed, 1, __ATOMIC_RELAXED);
        __atomic_add_fetch(&ts->replies, 1, __ATOMIC_RELAXED);
        job_finished(r, s->ti);
        slot_release(w, i, REL_CLOSE);
        return;
    }
    __atomic_fetch_or(&ts->open_bm[s->port >> 6], (uint64_t)1 << (s->port & 63),
                      __ATOMIC_RELAXED);
    __atomic_add_fetch(&ts->replies, 1, __ATOMIC_RELAXED);
    if (r->o->banners && (s->buf = nw_alloc(NW_SCAN_BANNER_MAX)) != NULL) {
        struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP,
                                 .data.u64 = ((uint64_t)s->gen << 32) | i};
        if (epoll_ctl(w->ep, EPOLL_CTL_MOD, s->fd, &ev) == 0) {
            list_del(w, LIST_CONN, i);
            s->state = SLOT_BANNER;
            s->deadline = mono_us() + (uint64_t)r->o->banner_ms * 1000u;
            list_push(w, LIST_BAN, i);
            return;
        }
    }
    job_finished(r, s->ti);
    slot_release(w, i, REL_RST);
}

static void outcome_timeout(struct worker *w, uint32_t ti, uint16_t port, uint8_t tries)
{
    struct run *r = w->r;
    struct tstate *ts = &r->ts[ti];
    if (tries <= r->o->retries && w->rlen < w->cap + 1) {
        struct retry *q = &w->ring[(w->rhead + w->rlen) % (w->cap + 1)];
        q->ti = ti;
        q->port = port;
        q->tries = tries;
        w->rlen++;
        return;
    }
    uint32_t f = __atomic_add_fetch(&ts->filtered, 1, __ATOMIC_RELAXED);
    job_finished(r, ti);
    if (f >= NOANSWER_LIMIT && __atomic_load_n(&ts->replies, __ATOMIC_RELAXED) == 0) {
        char why[160];
        snprintf(why, sizeof(why),
                 "no answer on %u ports after %u attempt(s) each (%u ms): host down or "
                 "every port filtered",
                 f, r->o->retries + 1, r->o->timeout_ms);
        target_give_up(r, ti, NW_SCAN_UNREACHABLE, why);
    }
}

static void outcome_unreach(struct worker *w, uint32_t ti, int e)
{
    struct run *r = w->r;
    struct tstate *ts = &r->ts[ti];
    uint32_t u = __atomic_add_fetch(&ts->unreach, 1, __ATOMIC_RELAXED);
    job_finished(r, ti);
    if (u >= UNREACH_LIMIT && __atomic_load_n(&ts->replies, __ATOMIC_RELAXED) == 0) {
        char why[160];
        snprintf(why, sizeof(why), "unreachable: %s (check the route and that the host is up)",
                 strerror(e));
        target_give_up(r, ti, NW_SCAN_UNREACHABLE, why);
    }
}

static int is_unreach_errno(int e)
{
    return e == EHOSTUNREACH || e == ENETUNREACH || e == EHOSTDOWN || e == ENETDOWN ||
           e == EACCES || e == EPERM || e == ENONET;
}

/* End an in-flight connect whose outcome is known (not open). */
static void conn_finish(struct worker *w, uint32_t i, int e, int how)
{
    struct slot *s = &w->slots[i];
    uint32_t ti = s->ti;
    uint16_t port = s->port;
    uint8_t tries = s->tries;
    slot_release(w, i, how);
    if (e == ECONNREFUSED || e == ECONNRESET) {
        __atomic_add_fetch(&w->r->ts[ti].closed, 1, __ATOMIC_RELAXED);
        __atomic_add_fetch(&w->r->ts[ti].replies, 1, __ATOMIC_RELAXED);
        job_finished(w->r, ti);
    } else if (is_unreach_errno(e)) {
        outcome_unreach(w, ti, e);
    } else {
        /* ETIMEDOUT and anything odd: treat as no answer */
        outcome_timeout(w, ti, port, tries);
    }
}

static void ban_finish(struct worker *w, uint32_t i)
{
    struct slot *s = &w->slots[i];
    record_banner(w->r, s->ti, s->port, s->buf, s->blen, s->state == SLOT_PROBED);
    job_finished(w->r, s->ti);
    slot_release(w, i, REL_RST);
}

/*
 * Bind a new socket to the worker's one source port (SO_REUSEADDR), chosen
 * by the kernel for the first socket. Every (target, port) pair is scanned
 * once at a time, so the 4-tuples stay distinct; connect() then only checks
 * that tuple instead of searching the ephemeral range and taking and
 * releasing a bind bucket per attempt (about a tenth of the CPU per closed
 * port). Kept sockets keep the port across reconnects. Failure is harmless:
 * the socket stays unbound and connect() picks a port as usual.
 */
static void bind_shared_port(struct worker *w, int fd, int family)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    int one = 1;
    uint16_t *port = family == AF_INET ? &w->sport4 : &w->sport6;

    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0) return;
    memset(&ss, 0, sizeof(ss));
    ss.ss_family = (sa_family_t)family;
    set_port(&ss, family, *port);
    sl = family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
    if (bind(fd, (struct sockaddr *)&ss, sl) != 0) {
        w->nobind = 1;
        return;
    }
    if (*port == 0 && getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
        *port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                        : ((struct sockaddr_in6 *)&ss)->sin6_port);
}

/*
 * Start one attempt. Returns 1 if a socket was used (in flight or finished
 * at once), 0 if the job was skipped (target given up), -1 if resources ran
 * short (the job went back to the retry ring and the worker lowers its limit).
 */
static int launch(struct worker *w, uint32_t ti, uint16_t port, uint8_t tries)
{
    struct run *r = w->r;
    struct nw_scan_target *t = &r->t[ti];
    struct tstate *ts = &r->ts[ti];
    struct sockaddr_storage ss;
    uint32_t i;
    int fd, e;

    if (__atomic_load_n(&ts->skip, __ATOMIC_ACQUIRE)) {
        job_finished(r, ti);
        return 0;
    }
    i = w->freel[w->nfree - 1];
    struct slot *s = &w->slots[i];
    if (s->fd >= 0 && s->fam != t->family) {
        close(s->fd);
        s->fd = -1;
        s->gen++;
    }
    if (s->fd < 0) {
        fd = socket(t->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            e = errno;
            if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) goto pressure;
            char why[160];
            snprintf(why, sizeof(why), "cannot create a socket: %s", strerror(e));
            target_give_up(r, ti, NW_SCAN_ERROR, why);
            job_finished(r, ti);
            return 0;
        }
        s->fd = fd;
        s->fam = t->family;
        s->watched = 0;
        if (!w->nobind) bind_shared_port(w, fd, t->family);
    }
    fd = s->fd;
    memcpy(&ss, &t->addr, t->addrlen);
    set_port(&ss, t->family, port);
    uint64_t now = mono_us();
    uint64_t zero = 0;
    (void)__atomic_compare_exchange_n(&ts->first_us, &zero, now, 0, __ATOMIC_RELAXED,
                                      __ATOMIC_RELAXED);
    __atomic_store_n(&ts->last_us, now, __ATOMIC_RELAXED);
    if (connect(fd, (struct sockaddr *)&ss, t->addrlen) == 0) {
        e = 0;
    } else {
        e = errno;
        if (e != EINPROGRESS) {
            /* unusual: start the next attempt on a fresh socket */
            close(fd);
            s->fd = -1;
            s->gen++;
            if (e == EADDRNOTAVAIL || e == EAGAIN) {
                /* out of local ports, or (shared source port) this 4-tuple is taken:
                   stop sharing the port and try again */
                w->nobind = 1;
                goto pressure;
            }
            __atomic_add_fetch(&ts->attempts, 1, __ATOMIC_RELAXED);
            if (e == ECONNREFUSED) {
                __atomic_add_fetch(&ts->closed, 1, __ATOMIC_RELAXED);
                __atomic_add_fetch(&ts->replies, 1, __ATOMIC_RELAXED);
                job_finished(r, ti);
            } else if (is_unreach_errno(e)) {
                outcome_unreach(w, ti, e);
            } else {
                outcome_timeout(w, ti, port, tries);
            }
            return 1;
        }
    }
    __atomic_add_fetch(&ts->attempts, 1, __ATOMIC_RELAXED);
    if (!s->watched && e == EINPROGRESS) {
        /*
         * Fast path. On a local link the SYN, the peer's RST and its
         * processing have usually all run in softirq context before
         * connect() returned, so a second connect() already reports the
         * outcome and no epoll registration, wakeup or epoll_wait is needed
         * for this port. Sockets found still pending are put in the epoll
         * set for good (remote targets: every socket ends up watched).
         */
        if (connect(fd, (struct sockaddr *)&ss, t->addrlen) == 0) {
            e = 0;
        } else {
            int e2 = errno;
            if (e2 == ECONNREFUSED) {
                __atomic_add_fetch(&ts->closed, 1, __ATOMIC_RELAXED);
                __atomic_add_fetch(&ts->replies, 1, __ATOMIC_RELAXED);
                job_finished(r, ti);
                return 1; /* the socket stays in the slot, disconnected, for reuse */
            }
            if (is_unreach_errno(e2)) {
                outcome_unreach(w, ti, e2);
                return 1;
            }
            if (e2 == EISCONN) e = 0;
            else if (e2 != EALREADY && e2 != EINPROGRESS) {
                close(fd);
                s->fd = -1;
                s->gen++;
                outcome_timeout(w, ti, port, tries);
                return 1;
            }
        }
    }
    if (!s->watched) {
        /* pending, or connected at once (watched for the banner or the close);
         * edge-triggered: an idle kept socket (TCP_CLOSE polls as HUP) must not wake us */
        struct epoll_event ev = {.events = EPOLLOUT | EPOLLET,
                                 .data.u64 = ((uint64_t)s->gen << 32) | i};
        if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
            close(fd);
            s->fd = -1;
            s->gen++;
            __atomic_sub_fetch(&ts->attempts, 1, __ATOMIC_RELAXED);
            goto pressure;
        }
        s->watched = 1;
    }
    w->nfree--;
    s->state = SLOT_CONNECT;
    s->tries = tries;
    s->port = port;
    s->ti = ti;
    s->deadline = now + (uint64_t)r->o->timeout_ms * 1000u;
    w->inflight++;
    list_push(w, LIST_CONN, i);
    if (e == 0) outcome_open(w, i);
    return 1;
pressure:
    if (w->rlen < w->cap + 1) {
        /* back to the front of the ring: next_job hands it out again first */
        w->rhead = (w->rhead + w->cap) % (w->cap + 1);
        struct retry *q = &w->ring[w->rhead];
        q->ti = ti;
        q->port = port;
        q->tries = (uint8_t)(tries - 1); /* this attempt never happened */
        w->rlen++;
    } else {
        outcome_timeout(w, ti, port, (uint8_t)(r->o->retries + 1));
    }
    if (w->limit > 16 && w->inflight > 0) w->limit = NW_MAX(16u, w->inflight);
    return -1;
}

/* Next job: retries first, then the current chunk, then a new chunk. */
static int next_job(struct worker *w, uint32_t *ti, uint16_t *port, uint8_t *tries)
{
    struct run *r = w->r;
    if (w->rlen) {
        struct retry *q = &w->ring[w->rhead];
        *ti = q->ti;
        *port = q->port;
        *tries = (uint8_t)(q->tries + 1);
        w->rhead = (w->rhead + 1) % (w->cap + 1);
        w->rlen--;
        return 1;
    }
    if (w->jn == w->je) {
        if (!w->jobs_left) return 0;
        uint64_t j = __atomic_fetch_add(&r->cursor, JOB_CHUNK, __ATOMIC_RELAXED);
        if (j >= r->total) {
            w->jobs_left = 0;
            return 0;
        }
        w->jn = j;
        w->je = NW_MIN(j + JOB_CHUNK, r->total);
    }
    uint64_t j = w->jn++;
    *ti = (uint32_t)(j % r->nt);
    *port = r->ports[j / r->nt];
    *tries = 1;
    return 1;
}

static void refill(struct worker *w, uint64_t now)
{
    if (w->rate <= 0) return;
    double dt = (double)(now - w->last_refill) / 1e6;
    w->last_refill = now;
    w->tokens += dt * w->rate;
    if (w->tokens > w->burst) w->tokens = w->burst;
}

static void handle_event(struct worker *w, const struct epoll_event *ev)
{
    uint32_t i = (uint32_t)ev->data.u64;
    uint32_t gen = (uint32_t)(ev->data.u64 >> 32);
    if (i >= w->cap) return;
    struct slot *s = &w->slots[i];
    if (s->state == SLOT_FREE || s->gen != gen) return;

    if (s->state == SLOT_CONNECT) {
        if (ev->events & (EPOLLERR | EPOLLHUP)) {
            /* a second connect() returns the pending error and disconnects the
               socket, which can then be reused (see slot_release) */
            const struct nw_scan_target *t = &w->r->t[s->ti];
            struct sockaddr_storage ss;
            memcpy(&ss, &t->addr, t->addrlen);
            set_port(&ss, t->family, s->port);
            if (connect(s->fd, (struct sockaddr *)&ss, t->addrlen) == 0) {
                outcome_open(w, i); /* connected after all */
                return;
            }
            int e = errno;
            if (e == EALREADY || e == EINPROGRESS || e == EINTR) return; /* still going */
            if (e == EISCONN) {
                outcome_open(w, i);
                return;
            }
            conn_finish(w, i, e, e == ECONNREFUSED || is_unreach_errno(e) ? REL_KEEP : REL_CLOSE);
            return;
        }
        if (ev->events & EPOLLOUT) outcome_open(w, i);
        return;
    }
    /* BANNER or PROBED: read what the service sent */
    if (s->blen < NW_SCAN_BANNER_MAX) {
        ssize_t k = read(s->fd, s->buf + s->blen, NW_SCAN_BANNER_MAX - s->blen);
        if (k > 0) s->blen = (uint16_t)(s->blen + k);
        if (k < 0 && (errno == EAGAIN || errno == EINTR)) return;
    }
    ban_finish(w, i);
}

static void expire(struct worker *w, uint64_t now)
{
    struct run *r = w->r;
    uint32_t i;
    while ((i = w->lists[LIST_CONN].head) != UINT32_MAX && w->slots[i].deadline <= now)
        conn_finish(w, i, ETIMEDOUT, REL_CLOSE);
    while ((i = w->lists[LIST_BAN].head) != UINT32_MAX && w->slots[i].deadline <= now) {
        struct slot *s = &w->slots[i];
        if (s->state == SLOT_BANNER) {
            /* silent service: ask as if it were HTTP, once */
            (void)send(s->fd, http_probe, sizeof(http_probe) - 1, MSG_NOSIGNAL);
            list_del(w, LIST_BAN, i);
            s->state = SLOT_PROBED;
            s->deadline = now + (uint64_t)r->o->banner_ms * 1000u;
            list_push(w, LIST_BAN, i);
        } else {
            ban_finish(w, i);
        }
    }
}

static void report_progress(struct run *r)
{
    if (r->o->progress)
        r->o->progress(r->o->progress_arg, __atomic_load_n(&r->done, __ATOMIC_RELAXED),
                       r->total);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct run *r = w->r;
    struct epoll_event evs[EVENTS_PER_WAIT];
    uint64_t last_progress = 0;

    w->last_refill = mono_us();
    for (;;) {
        uint64_t now = mono_us();
        /* cancel: set by a signal handler on any thread (atomic: every worker reads it) */
        if (__atomic_load_n(&r->stop, __ATOMIC_RELAXED) ||
            (r->o->cancel && __atomic_load_n(r->o->cancel, __ATOMIC_RELAXED)) ||
            now >= r->deadline) {
            __atomic_store_n(&r->stop, 1, __ATOMIC_RELAXED);
            break;
        }
        refill(w, now);
        int starved = 0, pressure = 0, burst = 0;
        unsigned launched = 0;
        while (w->inflight < w->limit && w->nfree > 0) {
            if (++launched > LAUNCH_BURST) {
                /* ports that finish inside launch() never raise inflight: come up for air
                   (deadline, cancel, events, progress) every LAUNCH_BURST of them */
                burst = 1;
                break;
            }
            if (w->rate > 0 && w->tokens < 1.0) {
                starved = 1;
                break;
            }
            uint32_t ti;
            uint16_t port;
            uint8_t tries;
            if (!next_job(w, &ti, &port, &tries)) break;
            int k = launch(w, ti, port, tries);
            if (k > 0 && w->rate > 0) w->tokens -= 1.0;
            if (k < 0) {
                pressure = 1;
                break;
            }
        }
        if (w->inflight == 0 && w->rlen == 0 && !w->jobs_left && w->jn == w->je) break;

        /* sleep until the next deadline, token, or progress tick */
        uint64_t wake = now + 100000;
        if (w->lists[LIST_CONN].head != UINT32_MAX)
            wake = NW_MIN(wake, w->slots[w->lists[LIST_CONN].head].deadline);
        if (w->lists[LIST_BAN].head != UINT32_MAX)
            wake = NW_MIN(wake, w->slots[w->lists[LIST_BAN].head].deadline);
        if (starved) wake = NW_MIN(wake, now + (uint64_t)(1e6 / w->rate) + 1);
        if (pressure && w->inflight == 0) wake = NW_MIN(wake, now + 10000); /* let ports free */
        int ms = wake > now && !burst ? (int)((wake - now + 999) / 1000) : 0;
        int n = epoll_wait(w->ep, evs, EVENTS_PER_WAIT, ms);
        if (n < 0 && errno != EINTR) {
            pthread_mutex_lock(&r->lock);
            snprintf(r->fatal_msg, sizeof(r->fatal_msg), "epoll_wait: %s", strerror(errno));
            pthread_mutex_unlock(&r->lock);
            __atomic_store_n(&r->fatal, 1, __ATOMIC_RELAXED);
            __atomic_store_n(&r->stop, 1, __ATOMIC_RELAXED);
            break;
        }
        for (int k = 0; k < n; k++) handle_event(w, &evs[k]);
        now = mono_us();
        expire(w, now);
        if (pressure && w->limit < w->cap && w->inflight < w->limit / 2)
            w->limit = NW_MIN(w->cap, w->limit + w->limit / 4 + 1);
        if (w->id == 0 && now - last_progress >= 100000) {
            report_progress(r);
            last_progress = now;
        }
    }
    /* stopped early: drop what is in flight (those ports stay unknown) */
    for (uint32_t i = 0; i < w->cap; i++)
        if (w->slots[i].state != SLOT_FREE)
            slot_release(w, i, w->slots[i].state == SLOT_CONNECT ? REL_CLOSE : REL_RST);
    for (uint32_t i = 0; i < w->cap; i++) /* kept idle sockets */
        if (w->slots[i].fd >= 0) {
            close(w->slots[i].fd);
            w->slots[i].fd = -1;
        }
    return NULL;
}

static unsigned raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1024;
    if (rl.rlim_cur < rl.rlim_max) {
        rlim_t want = rl.rlim_max == RLIM_INFINITY ? 1048576 : rl.rlim_max;
        struct rlimit nr = {want, rl.rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &nr) == 0) rl.rlim_cur = want;
    }
    return rl.rlim_cur > 1048576 ? 1048576u : (unsigned)rl.rlim_cur;
}

static unsigned online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1u : (unsigned)n;
}

static void worker_fini(struct worker *w)
{
    if (w->ep >= 0) close(w->ep);
    nw_free(w->slots);
    nw_free(w->freel);
    nw_free(w->ring);
}

static int worker_init(struct worker *w, struct run *r, int id, uint32_t cap, double rate)
{
    memset(w, 0, sizeof(*w));
    w->r = r;
    w->id = id;
    w->cap = w->limit = cap;
    w->ep = epoll_create1(EPOLL_CLOEXEC);
    w->slots = nw_calloc(cap, sizeof(*w->slots));
    w->freel = nw_alloc(cap * sizeof(*w->freel));
    w->ring = nw_alloc((cap + 1) * sizeof(*w->ring));
    if (w->ep < 0 || !w->slots || !w->freel || !w->ring) return -1;
    for (uint32_t i = 0; i < cap; i++) {
        w->slots[i].fd = -1;
        w->slots[i].prev = w->slots[i].next = UINT32_MAX;
        w->freel[i] = cap - 1 - i;
    }
    w->nfree = cap;
    w->lists[0].head = w->lists[0].tail = UINT32_MAX;
    w->lists[1].head = w->lists[1].tail = UINT32_MAX;
    w->jobs_left = 1;
    w->rate = rate;
    w->burst = rate > 0 ? NW_MAX(1.0, rate / 100.0) : 0; /* 10 ms worth */
    w->tokens = w->burst;
    return 0;
}

static void collect(struct run *r, size_t ti)
{
    struct nw_scan_target *t = &r->t[ti];
    struct tstate *s = &r->ts[ti];
    size_t cnt = 0;

    for (size_t k = 0; k < 1024; k++) cnt += (size_t)__builtin_popcountll(s->open_bm[k]);
    t->n_closed = s->closed;
    t->n_filtered = s->filtered;
    t->attempts = s->attempts;
    t->elapsed_us = s->last_us > s->first_us ? s->last_us - s->first_us : 0;
    if (cnt) {
        t->open = nw_alloc(cnt * sizeof(*t->open));
        if (t->open == NULL) {
            t->status = NW_SCAN_ERROR;
            snprintf(t->why, sizeof(t->why), "out of memory for %zu open ports", cnt);
            return;
        }
        for (unsigned p = 0; p < 65536; p++)
            if (s->open_bm[p >> 6] & ((uint64_t)1 << (p & 63))) t->open[t->n_open++] = (uint16_t)p;
    }
    if (s->n_banners) {
        qsort(s->banners, s->n_banners, sizeof(*s->banners), cmp_u16); /* port is first */
        t->banners = s->banners;
        t->n_banners = s->n_banners;
        s->banners = NULL;
    }
    if (s->skip) {
        t->status = s->skip_status;
        snprintf(t->why, sizeof(t->why), "%s", s->why);
    } else if (s->finished >= r->np) {
        t->status = NW_SCAN_DONE;
    } else {
        t->status = NW_SCAN_PARTIAL;
        snprintf(t->why, sizeof(t->why),
                 "stopped after %u of %zu ports (time bound of %u ms or cancelled): the open "
                 "list may be incomplete",
                 s->finished, r->np, r->o->max_total_ms);
    }
}

int nw_scan_run(const struct nw_scan_opts *opts, struct nw_scan_target *targets, size_t n,
                struct nw_err *err)
{
    struct run r;
    struct worker *ws = NULL;
    uint16_t *allports = NULL;
    unsigned nthreads, started = 0;
    int rc = 0;

    memset(&r, 0, sizeof(r));
    if (opts == NULL || (n > 0 && targets == NULL))
        return nw_err_set(err, NW_EINVAL, "scan: no options or targets given");
    if (n > UINT32_MAX / 2) return nw_err_set(err, NW_EINVAL, "scan: too many targets (%zu)", n);
    if (opts->timeout_ms == 0 || opts->retries > 10 || (opts->banners && opts->banner_ms == 0))
        return nw_err_set(err, NW_EINVAL,
                          "scan: timeout_ms must be > 0, retries <= 10, banner_ms > 0 "
                          "(use nw_scan_opts_init for defaults)");
    pthread_mutex_init(&r.lock, NULL);
    r.o = opts;
    r.t = targets;
    r.nt = n;
    if (opts->ports) {
        r.ports = opts->ports;
        r.np = opts->n_ports;
    } else {
        allports = nw_alloc(65535 * sizeof(*allports));
        if (allports == NULL) {
            rc = nw_err_set(err, NW_ENOMEM, "scan: out of memory");
            goto out;
        }
        for (unsigned p = 1; p <= 65535; p++) allports[p - 1] = (uint16_t)p;
        r.ports = allports;
        r.np = 65535;
    }
    for (size_t k = 0; k < r.np; k++)
        if (r.ports[k] == 0) {
            rc = nw_err_set(err, NW_EINVAL, "scan: port 0 in the port list");
            goto out;
        }
    r.ts = nw_calloc(n ? n : 1, sizeof(*r.ts));
    if (r.ts == NULL) {
        rc = nw_err_set(err, NW_ENOMEM, "scan: out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        clear_outputs(&targets[i]);
        r.ts[i].open_bm = nw_calloc(1024, sizeof(uint64_t));
        if (r.ts[i].open_bm == NULL) {
            rc = nw_err_set(err, NW_ENOMEM, "scan: out of memory");
            goto out;
        }
        if (targets[i].family != AF_INET && targets[i].family != AF_INET6) {
            r.ts[i].skip = 1;
            r.ts[i].skip_status = NW_SCAN_ERROR;
            snprintf(r.ts[i].why, sizeof(r.ts[i].why),
                     "target %zu was not set up (nw_scan_target_set)", i);
            continue;
        }
        if (opts->n_scope > 0) {
            int in = 0;
            for (size_t k = 0; k < opts->n_scope && !in; k++)
                in = nw_scan_cidr_contains(&opts->scope[k], &targets[i]);
            if (!in) {
                r.ts[i].skip = 1;
                r.ts[i].skip_status = NW_SCAN_REFUSED;
                snprintf(r.ts[i].why, sizeof(r.ts[i].why),
                         "%.120s is outside the scope: not scanned (add its network to the scope "
                         "file if it is yours to test)",
                         targets[i].host);
            }
        }
    }
    r.total = (uint64_t)n * r.np;
    if (r.total == 0) goto finish;

    unsigned fdlim = raise_nofile();
    unsigned inflight = opts->max_inflight;
    unsigned room = fdlim > 256 ? fdlim - 128 : fdlim / 2;
    if (inflight == 0) inflight = NW_MIN(room, 8192u);
    if (inflight > room) inflight = room;
    if (inflight < 1) inflight = 1;
    nthreads = opts->threads ? opts->threads : NW_MIN(online_cpus(), 4u);
    if (nthreads > MAX_THREADS) nthreads = MAX_THREADS;
    if (r.total < 2048) nthreads = 1;
    if (nthreads > inflight) nthreads = inflight;
    ws = nw_calloc(nthreads, sizeof(*ws));
    if (ws == NULL) {
        rc = nw_err_set(err, NW_ENOMEM, "scan: out of memory");
        goto out;
    }
    r.deadline = mono_us() + (uint64_t)(opts->max_total_ms ? opts->max_total_ms : 600000) * 1000u;
    for (unsigned k = 0; k < nthreads; k++) {
        uint32_t cap = inflight / nthreads + (k < inflight % nthreads);
        double rate = opts->rate_pps ? (double)opts->rate_pps / nthreads : 0;
        if (worker_init(&ws[k], &r, (int)k, cap, rate) != 0) {
            for (unsigned q = 0; q <= k; q++) worker_fini(&ws[q]);
            nw_free(ws);
            ws = NULL;
            rc = nw_err_set(err, NW_ENOMEM, "scan: cannot set up worker %u (%s)", k,
                            strerror(errno));
            goto out;
        }
    }
    for (unsigned k = 1; k < nthreads; k++) {
        if (pthread_create(&ws[k].thr, NULL, worker_main, &ws[k]) != 0) break;
        started++;
    }
    worker_main(&ws[0]);
    for (unsigned k = 1; k <= started; k++) pthread_join(ws[k].thr, NULL);
    /* workers that failed to start: run their share here, serially */
    for (unsigned k = started + 1; k < nthreads; k++) worker_main(&ws[k]);
    report_progress(&r);
    for (unsigned k = 0; k < nthreads; k++) worker_fini(&ws[k]);
    if (r.fatal) {
        rc = nw_err_set(err, NW_EIO, "scan: %s", r.fatal_msg);
        goto out;
    }
finish:
    for (size_t i = 0; i < n; i++) collect(&r, i);
out:
    if (r.ts) {
        for (size_t i = 0; i < n; i++) {
            nw_free(r.ts[i].open_bm);
            nw_free(r.ts[i].banners);
        }
        nw_free(r.ts);
    }
    nw_free(ws);
    nw_free(allports);
    pthread_mutex_destroy(&r.lock);
    return rc;
}

/* ---- single blocking exchanges for probes ---------------------------------------------- */

int nw_scan_connect(const struct nw_scan_target *t, uint16_t port, unsigned timeout_ms,
                    struct nw_err *err)
{
    struct sockaddr_storage ss;
    char ep[80];
    int fd, e = 0;

    nw_scan_fmt_endpoint(t, port, ep, sizeof(ep));
    if (t->family != AF_INET && t->family != AF_INET6) {
        nw_err_set(err, NW_EINVAL, "%s: target has no address", t->host);
        return -1;
    }
    fd = socket(t->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        nw_err_set(err, NW_EIO, "%s: cannot create a socket: %s", ep, strerror(errno));
        return -1;
    }
    memcpy(&ss, &t->addr, t->addrlen);
    set_port(&ss, t->family, port);
    if (connect(fd, (struct sockaddr *)&ss, t->addrlen) != 0) {
        if (errno != EINPROGRESS) {
            e = errno;
            goto fail;
        }
        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
        int k;
        do {
            k = poll(&pfd, 1, (int)timeout_ms);
        } while (k < 0 && errno == EINTR);
        if (k == 0) {
            e = ETIMEDOUT;
            goto fail;
        }
        socklen_t el = sizeof(e);
        if (k < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) != 0) e = errno;
        if (e) goto fail;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    struct timeval tv = {(time_t)(timeout_ms / 1000), (suseconds_t)(timeout_ms % 1000) * 1000};
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
fail:
    close(fd);
    nw_err_set(err, NW_EIO, "%s: cannot connect: %s", ep,
               e == ETIMEDOUT ? "timed out" : strerror(e));
    return -1;
}

int nw_scan_exchange(const struct nw_scan_target *t, uint16_t port, const void *req,
                     size_t req_len, uint8_t *resp, size_t resp_cap, size_t *resp_len,
                     unsigned timeout_ms, nw_scan_complete_fn complete, struct nw_err *err)
{
    int fd = nw_scan_connect(t, port, timeout_ms, err);
    size_t got = 0;
    uint64_t deadline;

    *resp_len = 0;
    if (fd < 0) return NW_EIO;
    if (req_len > 0) {
        size_t off = 0;
        int guard = 0;
        while (off < req_len && guard++ < 1000) {
            ssize_t k = send(fd, (const uint8_t *)req + off, req_len - off, MSG_NOSIGNAL);
            if (k < 0 && errno == EINTR) continue;
            if (k <= 0) break; /* the reply so far (maybe an error banner) still counts */
            off += (size_t)k;
        }
    }
    deadline = mono_us() + (uint64_t)timeout_ms * 1000u;
    while (got < resp_cap) {
        uint64_t now = mono_us();
        if (now >= deadline) break;
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int k = poll(&pfd, 1, (int)((deadline - now + 999) / 1000));
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        ssize_t m = recv(fd, resp + got, resp_cap - got, MSG_DONTWAIT);
        if (m < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (m <= 0) break;
        got += (size_t)m;
        if (complete && complete(resp, got)) break;
    }
    *resp_len = got;
    struct linger lg = {1, 0};
    (void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    close(fd);
    return 0;
}

/* ---- the inspect framework's hook (include/nw/inspect.h) ------------------------------- */

#include "netprobe.h"

int nw__netprobe_target(const struct nw_inspect_target *it, struct nw_scan_target *st)
{
    memset(st, 0, sizeof(*st));
    snprintf(st->host, sizeof(st->host), "%s", it->host ? it->host : it->addr_text);
    if (it->family == 4) {
        struct sockaddr_in *a = (struct sockaddr_in *)&st->addr;
        a->sin_family = AF_INET;
        memcpy(&a->sin_addr, it->addr, 4);
        st->addrlen = sizeof(*a);
        st->family = AF_INET;
    } else if (it->family == 6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&st->addr;
        a->sin6_family = AF_INET6;
        memcpy(&a->sin6_addr, it->addr, 16);
        st->addrlen = sizeof(*a);
        st->family = AF_INET6;
    } else {
        return NW_EINVAL;
    }
    return 0;
}

long nw__netprobe_open_idx(const struct nw_inspect_target *it, uint16_t port)
{
    for (size_t i = 0; i < it->nopen; i++)
        if (it->open_ports[i] == port) return (long)i;
    return -1;
}

const char *nw__netprobe_banner(const struct nw_inspect_target *it, uint16_t port)
{
    long i = nw__netprobe_open_idx(it, port);
    if (i < 0 || it->banners == NULL || it->banners[i] == NULL) return "";
    return it->banners[i];
}

char *nw__netprobe_printable(const uint8_t *p, size_t len, char *out, size_t cap)
{
    size_t o = 0;
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        char tmp[4];
        size_t k = 0;
        uint8_t c = p[i];
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            tmp[k++] = (char)c;
        } else if (c == '\r' || c == '\n' || c == '\t' || c == '\\') {
            tmp[k++] = '\\';
            tmp[k++] = c == '\r' ? 'r' : c == '\n' ? 'n' : c == '\t' ? 't' : '\\';
        } else {
            tmp[k++] = '\\';
            tmp[k++] = 'x';
            tmp[k++] = hex[c >> 4];
            tmp[k++] = hex[c & 15];
        }
        if (o + k + 4 > cap) {
            if (cap >= 4) {
                memcpy(out + o, "...", 3);
                o += 3;
            }
            break;
        }
        memcpy(out + o, tmp, k);
        o += k;
    }
    if (cap) out[NW_MIN(o, cap - 1)] = '\0';
    return out;
}

unsigned nw__netprobe_timeout(const struct nw_probe_req *req)
{
    uint64_t ms = req->set ? req->set->connect_timeout_ms : 0;
    if (ms == 0) ms = 2000;
    if (ms > 60000) ms = 60000;
    return (unsigned)ms;
}

int nw_inspect_scan(struct nw_inspect_target *t, const struct nw_inspect_settings *set,
                    const volatile int *cancel, struct nw_err *err)
{
    struct nw_scan_opts o;
    struct nw_scan_target st;
    int rc;

    t->scanned = 0;
    t->scan_error[0] = '\0';
    if (nw__netprobe_target(t, &st) != 0)
        return nw_err_set(err, NW_EINVAL, "%s: no IPv4/IPv6 address to scan", t->host);
    nw_scan_opts_init(&o);
    if (set) {
        o.ports = set->nports ? set->ports : NULL;
        o.n_ports = set->nports;
        if (set->connect_timeout_ms) o.timeout_ms = (unsigned)NW_MIN(set->connect_timeout_ms, 60000u);
        o.rate_pps = (unsigned)NW_MIN(set->rate, 10000000u);
        if (set->probe_timeout_ms)
            o.max_total_ms = (unsigned)NW_MAX(NW_MIN(set->probe_timeout_ms, 3600000u), 1000u);
    }
    o.banners = 1;
    o.banner_ms = NW_MIN(o.timeout_ms, 600u);
    o.cancel = cancel;
    rc = nw_scan_run(&o, &st, 1, err);
    if (rc != 0) goto out;
    if (st.status != NW_SCAN_DONE && st.status != NW_SCAN_PARTIAL) {
        rc = nw_err_set(err, st.status == NW_SCAN_ERROR ? NW_EIO : NW_ENOENT, "%s: %s", t->host,
                        st.why);
        goto out;
    }
    if (st.status == NW_SCAN_PARTIAL)
        nw_log(NW_LOG_WARN, "scan of %s: %s", t->host, st.why);
    t->open_ports = st.open; /* the framework frees */
    t->nopen = st.n_open;
    st.open = NULL;
    if (t->nopen && st.n_banners) {
        t->banners = nw_calloc(t->nopen, sizeof(char *));
        for (size_t i = 0; t->banners && i < t->nopen; i++) {
            const struct nw_scan_banner *b = nw_scan_banner_get(&st, t->open_ports[i]);
            char txt[NW_SCAN_BANNER_MAX * 4 + 4];
            if (b == NULL || b->len == 0) continue;
            nw__netprobe_printable(b->data, b->len, txt, sizeof(txt));
            t->banners[i] = nw_strndup(txt, strlen(txt));
        }
    }
    t->scanned = 1;
out:
    if (rc != 0) snprintf(t->scan_error, sizeof(t->scan_error), "%.255s", err ? err->msg : "");
    nw_scan_target_fini(&st);
    return rc;
}

static int ports_into(const char *spec, uint64_t *bm, struct nw_err *e)
{
    uint16_t *ps;
    size_t n;
    int rc = nw_scan_ports_parse(spec, &ps, &n, e);
    if (rc != 0) return rc;
    for (size_t i = 0; i < n; i++) bm[ps[i] >> 6] |= (uint64_t)1 << (ps[i] & 63);
    nw_free(ps);
    return (int)n;
}

int nw__netprobe_ports_param(const struct nw_probe_req *req, const char *name, uint64_t bm[1024],
                             struct nw_probe_res *res)
{
    const struct nw_param *p = nw_probe_param(req, name);
    struct nw_err e;
    int rc;

    if (p == NULL) return 0;
    if (p->value) {
        rc = ports_into(p->value, bm, &e);
        if (rc < 0) {
            nw_probe_error(res, "parameter %s (line %d): %s", name, p->line, e.msg);
            return NW_EINVAL;
        }
    } else {
        for (size_t i = 0; i < p->nlist && p->list[i]; i++) {
            rc = ports_into(p->list[i], bm, &e);
            if (rc < 0) {
                nw_probe_error(res, "parameter %s (line %d): %s", name, p->line, e.msg);
                return NW_EINVAL;
            }
        }
    }
    int cnt = 0;
    for (size_t k = 0; k < 1024; k++) cnt += __builtin_popcountll(bm[k]);
    return cnt;
}

void nw__netprobe_sigpipe_hold(struct nw__sigpipe *s)
{
    sigset_t block, pend;
    sigemptyset(&pend);
    sigpending(&pend);
    s->pending_before = sigismember(&pend, SIGPIPE) == 1;
    sigemptyset(&block);
    sigaddset(&block, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &block, &s->old);
}

void nw__netprobe_sigpipe_release(struct nw__sigpipe *s)
{
    sigset_t pend, only;
    struct timespec zero = {0, 0};
    sigemptyset(&pend);
    sigpending(&pend);
    if (!s->pending_before && sigismember(&pend, SIGPIPE) == 1) {
        sigemptyset(&only);
        sigaddset(&only, SIGPIPE);
        (void)sigtimedwait(&only, NULL, &zero); /* ours: drop it */
    }
    pthread_sigmask(SIG_SETMASK, &s->old, NULL);
}
