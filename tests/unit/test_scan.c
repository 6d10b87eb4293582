/*
 * test_scan.c - the TCP connect scanner (src/inspect/scan.c) on loopback:
 * port-list, scope and target parsing; open/closed/filtered outcomes against
 * listeners the test creates; the retry and give-up state machine (a
 * listener whose accept queue is full drops SYNs: a filtered port without
 * a firewall); banners (service speaks first / answers the HTTP probe);
 * scope refusal, time bound, cancel, rate limit; the blocking exchange.
 * Only 127.0.0.1 and ::1 are contacted.
 */
#include "nw/scan.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "nwtest.h"

/* A listener on 127.0.0.1 (or ::1) at a free port; returns fd, port in *port. */
static int listener(int family, int backlog, uint16_t *port)
{
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    struct sockaddr_storage ss;
    socklen_t sl;

    if (fd < 0) return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    memset(&ss, 0, sizeof(ss));
    if (family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        sl = sizeof(*a);
    } else {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
        sl = sizeof(*a);
    }
    if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, backlog) != 0) {
        close(fd);
        return -1;
    }
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    *port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                    : ((struct sockaddr_in6 *)&ss)->sin6_port);
    return fd;
}

/* A port that nothing listens on (bound, then closed). */
static uint16_t closed_port(void)
{
    uint16_t p = 0;
    int fd = listener(AF_INET, 1, &p);
    close(fd);
    return p;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void set_target(struct nw_scan_target *t, const char *text)
{
    struct nw_err e;
    if (nw_scan_target_set(t, text, &e) != 0) {
        fprintf(stderr, "target %s: %s\n", text, e.msg);
        exit(1);
    }
}

TEST(ports_parse)
{
    struct nw_err e;
    uint16_t *p;
    size_t n;
    CHECK_EQ(nw_scan_ports_parse("80,22,8000-8002,22", &p, &n, &e), 0);
    CHECK_EQ(n, 5);
    CHECK_EQ(p[0], 22);
    CHECK_EQ(p[1], 80);
    CHECK_EQ(p[4], 8002);
    nw_free(p);
    CHECK_EQ(nw_scan_ports_parse("all", &p, &n, &e), 0);
    CHECK_EQ(n, 65535);
    CHECK_EQ(p[0], 1);
    CHECK_EQ(p[65534], 65535);
    nw_free(p);
    static const char *bad[] = {"", "0", "65536", "1-", "-5", "a", "5-3", "22,", "1,,2", "123456"};
    for (size_t i = 0; i < NW_ARRAY_LEN(bad); i++) {
        CHECK_EQ(nw_scan_ports_parse(bad[i], &p, &n, &e), NW_EINVAL);
        CHECK(p == NULL);
        CHECK_HAS(e.msg, "port");
    }
}

TEST(cidr_and_targets)
{
    struct nw_err e;
    struct nw_scan_cidr c;
    struct nw_scan_target t;

    CHECK_EQ(nw_scan_cidr_parse("10.1.0.0/16", &c, &e), 0);
    set_target(&t, "10.1.200.3");
    CHECK(nw_scan_cidr_contains(&c, &t));
    set_target(&t, "10.2.0.1");
    CHECK(!nw_scan_cidr_contains(&c, &t));
    set_target(&t, "::ffff:10.1.2.3"); /* mapped IPv4 counts as IPv4 */
    CHECK(nw_scan_cidr_contains(&c, &t));
    CHECK_EQ(nw_scan_cidr_parse("fd00::/8", &c, &e), 0);
    set_target(&t, "[fdaa::1]");
    CHECK_EQ(t.family, AF_INET6);
    CHECK(nw_scan_cidr_contains(&c, &t));
    CHECK_EQ(nw_scan_cidr_parse("10.0.0.0/33", &c, &e), NW_EINVAL);
    CHECK_HAS(e.msg, "prefix length");
    CHECK_EQ(nw_scan_cidr_parse("10.0.0/8", &c, &e), NW_EINVAL);
    CHECK_EQ(nw_scan_cidr_parse("0.0.0.0/0", &c, &e), 0);
    set_target(&t, "192.0.2.1");
    CHECK(nw_scan_cidr_contains(&c, &t));

    CHECK_EQ(nw_scan_target_set(&t, "", &e), NW_EINVAL);
    CHECK_EQ(nw_scan_target_set(&t, "10.0.0.0/24", &e), NW_EINVAL);
    CHECK_HAS(e.msg, "--scope");
    CHECK_EQ(nw_scan_target_set(&t, "[::1", &e), NW_EINVAL);
    CHECK_EQ(nw_scan_target_set(&t, "a b", &e), NW_EINVAL);
    /* broken literals are refused without a DNS query */
    CHECK_EQ(nw_scan_target_set(&t, "10.0.0.300", &e), NW_EINVAL);
    CHECK_HAS(e.msg, "not a valid IPv4 address");
    CHECK_EQ(nw_scan_target_set(&t, "fe80::g", &e), NW_EINVAL);
    CHECK_HAS(e.msg, "not a valid IPv6 address");
    CHECK_EQ(nw_scan_target_set(&t, "bad_host!", &e), NW_EINVAL);
    CHECK_HAS(e.msg, "not an IP address or host name");
    CHECK_EQ(nw_scan_target_set(&t, "localhost", &e), 0); /* /etc/hosts */
}

TEST(open_closed_exact)
{
    struct nw_err e;
    struct nw_scan_opts o;
    struct nw_scan_target t;
    uint16_t want[3], ports[8];
    int fds[3];

    for (int i = 0; i < 3; i++) fds[i] = listener(AF_INET, 16, &want[i]);
    for (int i = 0; i < 3; i++) CHECK(fds[i] >= 0);
    for (int i = 0; i < 3; i++) ports[i] = want[i];
    for (int i = 3; i < 8; i++) ports[i] = closed_port();
    nw_scan_opts_init(&o);
    o.ports = ports;
    o.n_ports = 8;
    o.timeout_ms = 2000;
    set_target(&t, "127.0.0.1");
    CHECK_EQ(nw_scan_run(&o, &t, 1, &e), 0);
    CHECK_EQ(t.status, NW_SCAN_DONE);
    CHECK_EQ(t.n_open, 3);
    for (int i = 0; i < 3; i++) CHECK(nw_scan_is_open(&t, want[i]));
    for (int i = 3; i < 8; i++) CHECK(!nw_scan_is_open(&t, ports[i]));
    CHECK_EQ(t.n_closed, 5);
    CHECK_EQ(t.n_filtered, 0);
    CHECK_EQ(t.attempts, 8);
    CHECK(t.open[0] < t.open[1] && t.open[1] < t.open[2]); /* sorted */
    nw_scan_target_fini(&t);
    for (int i = 0; i < 3; i++) close(fds[i]);
}

/* Many closed ports: sockets are kept and reconnected; the count must be exact. */
TEST(many_closed_two_threads)
{
    struct nw_err e;
    struct nw_scan_opts o;
    struct nw_scan_target t;
    uint16_t lp;
    int fd = listener(AF_INET, 16, &lp);
    uint16_t *ports;
    size_t n;
    char spec[32];

    CHECK(fd >= 0);
    /* 3000 ports around the listener's */
    unsigned lo = lp > 1500 ? lp - 1500u : 1u;
    snprintf(spec, sizeof(spec), "%u-%u", lo, lo + 2999);
    CHECK_EQ(nw_scan_ports_parse(spec, &ports, &n, &e), 0);
    nw_scan_opts_init(&o);
    o.ports = ports;
    o.n_ports = n;
    o.threads = 2;
    o.max_inflight = 64;
    set_target(&t, "127.0.0.1");
    CHECK_EQ(nw_scan_run(&o, &t, 1, &e), 0);
    CHECK_EQ(t.status, NW_SCAN_DONE);
    CHECK(nw_scan_is_open(&t, lp));
    /* other open ports in the range belong to other processes: count them */
    CHECK_EQ(t.n_open + t.n_closed + t.n_filtered, 3000);
    CHECK_EQ(t.n_filtered, 0);
    nw_scan_target_fini(&t);
    nw_free(ports);
    close(fd);
}

/* A plain connect (no shared source port) to 127.0.0.1:port succeeds. */
static int really_open(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a;
    int ok;

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    if (fd >= 0) close(fd);
    return ok;
}

/*
 * The worker's shared source port lies in the ephemeral range. Scanning that
 * port on this host's own address connected the socket to itself (TCP
 * simultaneous open) and reported a port nothing listens on as open. Scan
 * the whole range on 127.0.0.1 with one worker: every port reported open
 * must take a plain connect.
 */
TEST(no_self_connect)
{
    struct nw_err e;
    struct nw_scan_opts o;
    struct nw_scan_target t;
    uint16_t *ports, lp;
    size_t n;
    int fd = listener(AF_INET, 16, &lp);
    unsigned lo = 32768, hi = 60999;
    FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
    char spec[32];

    CHECK(fd >= 0);
    if (f != NULL) {
        if (fscanf(f, "%u %u", &lo, &hi) != 2 || lo < 1 || hi > 65535 || lo > hi) lo = 32768,
                                                                                  hi = 60999;
        fclose(f);
    }
    snprintf(spec, sizeof(spec), "%u-%u", lo, hi);
    CHECK_EQ(nw_scan_ports_parse(spec, &ports, &n, &e), 0);
    nw_scan_opts_init(&o);
    o.ports = ports;
    o.n_ports = n;
    o.threads = 1;
    set_target(&t, "127.0.0.1");
    CHECK_EQ(nw_scan_run(&o, &t, 1, &e), 0);
    CHECK_EQ(t.status, NW_SCAN_DONE);
    CHECK(lp < lo || lp > hi || nw_scan_is_open(&t, lp));
    for (size_t i = 0; i < t.n_open; i++) {
        if (!really_open(t.open[i])) fprintf(stderr, "  port %u reported open\n", t.open[i]);
        CHECK(really_open(t.open[i]));
    }
    nw_scan_target_fini(&t);
    nw_free(ports);
    close(fd);
}

TEST(ipv6_loopback)
{
    struct nw_err e;
    struct nw_scan_opts o;
    struct nw_scan_target t;
    uint16_t lp, ports[2];
    int fd = listener(AF_INET6, 16, &lp);

    if (fd < 0) {
        printf("     (no IPv6 loopback: skipped)\n");
        return;
    }
    ports[0] = lp;
    ports[1] = closed_port();
    nw_scan_opts_init(&o);
    o.ports = ports;
    o.n_ports = 2;
    set_target(&t, "::1");
    CHECK_EQ(nw_scan_run(&o, &t, 1, &e), 0);
    CHECK_EQ(t.status, NW_SCAN_DONE);
    CHECK_EQ(t.n_open, 1);
    CHECK_EQ(t.open[0], lp);
    nw_scan_target_fini(&t);
    close(fd);
}

/*
 * A listener with backlog 0 and one connection waiting in its accept queue
 * drops further SYNs: our attempt times out, is retried once, times out
 * again, and the port counts as filtered. attempts = retries + 1.
 */
TEST(timeout_retry_filtered)
{
    struct nw_err e;
    struct nw_scan_opts o;
    struct nw_scan_target t;
    uint16_t lp;
    int fd = listener(AF_INET, 0, &lp);
    int c1 = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(lp)};

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(fd >= 0 && c1 >= 0);
    CHECK_EQ(connect(c1, (struct sockaddr *)&a, sizeof(a)), 0);
    usleep(20000);
    nw_scan_opts_init(&o);
    o.ports = &lp;
    o.n_ports = 1;
    o.timeout_ms = 150;
    o.retries = 1;
    set_target(&t, "127.0.0.1");
    uint64_t t0 = now_ms();
    CHECK_EQ(nw_scan_run(&o, &t, 1, &e), 0);
    uint64_t took = now_ms() - t0;
    CHECK_EQ(t.status, NW_SCAN_DONE);
    CHECK_EQ(t.n_open, 0);
    CHECK_EQ(t.n_filtered, 1);
    CHECK_EQ(t.attempts, 2);
    CHECK(took >= 290 && took < 2000);
    /* with retries 0: one attempt */
    o.retries = 0;
    CHECK_EQ(nw_scan_run(&o, &t, 1, &e), 0);
    CHECK_EQ(t.attempts, 1);
    CHECK_EQ(t.n_filtered, 1);
    /* the time bound stops a long wait: PARTIAL, with a reason */
    o.timeout_ms = 5000;
    o.max_total_ms = 200;
    t0 = now_ms();
    CHECK_EQ(nw_scan_run(&o, &t, 1, &e), 0);
    CHECK(now_ms() - t0 < 1500);
    CHECK_EQ(t.status, NW_SCAN_PARTIAL);
    CHECK_HAS(t.why, "time bound");
    nw_scan_target_fini(&t);
    close(c1);
    close(fd);
}

struct srv {
    int fd;
    int mode; /* 0: speak first, 1: answer after a request */
};

static void *serve_one(void *arg)
{
    struct srv *s = arg;
    int c = accept(s->fd, NULL, NULL);
    if (c < 0) return NULL;
    if (s->mode == 0) {
        static const char b[] = "SSH-2.0-nwtest_1.0\r\n";
        (void)!write(c, b, sizeof(b) - 1);
    } else {
        char buf[256];
        ssize_t k = read(c, buf, sizeof(buf));
        if (k > 0 && memcmp(buf, "GET ", 4) == 0) {
            static const char r[] = "HTTP/1.0 200 OK\r\nServer: nwtest\r\n\r\n";
            (void)!write(c, r, sizeof(r) - 1);
        }
    }
    usleep(100000);
    close(c);
    return NULL;
}

TEST(banners_first_and_probed)
{
    struct nw_err e;
    struct nw_scan_opts o;
    struct nw_scan_target t;
    struct srv s1, s2;
    uint16_t ports[2];
    pthread_t th1, th2;

    s1.fd = listener(AF_INET, 4, &ports[0]);
    s1.mode = 0;
    s2.fd = listener(AF_INET, 4, &ports[1]);
    s2.mode = 1;
    CHECK(s1.fd >= 0 && s2.fd >= 0);
    pthread_create(&th1, NULL, serve_one, &s1);
    pthread_create(&th2, NULL, serve_one, &s2);
    nw_scan_opts_init(&o);
    o.ports = ports;
    o.n_ports = 2;
    o.banners = 1;
    o.banner_ms = 200;
    set_target(&t, "127.0.0.1");
    CHECK_EQ(nw_scan_run(&o, &t, 1, &e), 0);
    pthread_join(th1, NULL);
    pthread_join(th2, NULL);
    CHECK_EQ(t.n_open, 2);
    const struct nw_scan_banner *b1 = nw_scan_banner_get(&t, ports[0]);
    const struct nw_scan_banner *b2 = nw_scan_banner_get(&t, ports[1]);
    CHECK(b1 != NULL && b2 != NULL);
    CHECK_EQ(b1->probed, 0);
    CHECK(b1->len >= 8 && memcmp(b1->data, "SSH-2.0-", 8) == 0);
    CHECK_EQ(b2->probed, 1);
    CHECK(b2->len >= 8 && memcmp(b2->data, "HTTP/1.0", 8) == 0);
    nw_scan_target_fini(&t);
    close(s1.fd);
    close(s2.fd);
}

TEST(scope_refuses_and_cancel)
{
    struct nw_err e;
    struct nw_scan_opts o;
    struct nw_scan_target t[3];
    struct nw_scan_cidr sc;
    uint16_t lp;
    int fd = listener(AF_INET, 4, &lp);
    volatile int cancel = 0;

    CHECK(fd >= 0);
    CHECK_EQ(nw_scan_cidr_parse("127.0.0.1/32", &sc, &e), 0);
    set_target(&t[0], "127.0.0.1");
    set_target(&t[1], "127.0.0.2"); /* outside the scope: never contacted */
    set_target(&t[2], "::1");
    nw_scan_opts_init(&o);
    o.ports = &lp;
    o.n_ports = 1;
    o.scope = &sc;
    o.n_scope = 1;
    CHECK_EQ(nw_scan_run(&o, t, 3, &e), 0);
    CHECK_EQ(t[0].status, NW_SCAN_DONE);
    CHECK_EQ(t[0].n_open, 1);
    CHECK_EQ(t[1].status, NW_SCAN_REFUSED);
    CHECK_EQ(t[1].attempts, 0);
    CHECK_HAS(t[1].why, "outside the scope");
    CHECK_EQ(t[2].status, NW_SCAN_REFUSED);
    /* cancelled before the start: nothing finished */
    cancel = 1;
    o.cancel = &cancel;
    o.n_scope = 0;
    CHECK_EQ(nw_scan_run(&o, t, 1, &e), 0);
    CHECK_EQ(t[0].status, NW_SCAN_PARTIAL);
    for (int i = 0; i < 3; i++) nw_scan_target_fini(&t[i]);
    /* a target never set up is an error for that target only */
    memset(&t[0], 0, sizeof(t[0]));
    set_target(&t[1], "127.0.0.1");
    o.cancel = NULL;
    CHECK_EQ(nw_scan_run(&o, t, 2, &e), 0);
    CHECK_EQ(t[0].status, NW_SCAN_ERROR);
    CHECK_EQ(t[1].status, NW_SCAN_DONE);
    for (int i = 0; i < 2; i++) nw_scan_target_fini(&t[i]);
    close(fd);
}

TEST(rate_limit)
{
    struct nw_err e;
    struct nw_scan_opts o;
    struct nw_scan_target t;
    uint16_t ports[300];

    for (int i = 0; i < 300; i++) ports[i] = (uint16_t)(40000 + i);
    nw_scan_opts_init(&o);
    o.ports = ports;
    o.n_ports = 300;
    o.rate_pps = 1000; /* 300 attempts: about 0.3 s */
    set_target(&t, "127.0.0.1");
    uint64_t t0 = now_ms();
    CHECK_EQ(nw_scan_run(&o, &t, 1, &e), 0);
    uint64_t took = now_ms() - t0;
    CHECK_EQ(t.status, NW_SCAN_DONE);
    CHECK(took >= 250 && took < 3000);
    nw_scan_target_fini(&t);
}

static int http_done(const uint8_t *p, size_t len)
{
    return len >= 4 && memcmp(p + len - 4, "\r\n\r\n", 4) == 0;
}

TEST(exchange)
{
    struct nw_err e;
    struct nw_scan_target t;
    struct srv s;
    uint16_t lp;
    pthread_t th;
    uint8_t buf[128];
    size_t n;

    s.fd = listener(AF_INET, 4, &lp);
    s.mode = 1;
    CHECK(s.fd >= 0);
    pthread_create(&th, NULL, serve_one, &s);
    set_target(&t, "127.0.0.1");
    CHECK_EQ(nw_scan_exchange(&t, lp, "GET / HTTP/1.0\r\n\r\n", 18, buf, sizeof(buf), &n, 2000,
                              http_done, &e),
             0);
    pthread_join(th, NULL);
    CHECK(n > 12 && memcmp(buf, "HTTP/1.0 200", 12) == 0);
    CHECK_EQ(nw_scan_exchange(&t, closed_port(), "x", 1, buf, sizeof(buf), &n, 500, NULL, &e),
             NW_EIO);
    CHECK_HAS(e.msg, "127.0.0.1:");
    CHECK_HAS(e.msg, "refused");
    close(s.fd);
}

NW_TEST_MAIN(NWT_ENTRY(ports_parse) NWT_ENTRY(cidr_and_targets) NWT_ENTRY(open_closed_exact)
                 NWT_ENTRY(many_closed_two_threads) NWT_ENTRY(no_self_connect)
                 NWT_ENTRY(ipv6_loopback)
                 NWT_ENTRY(timeout_retry_filtered) NWT_ENTRY(banners_first_and_probed)
                 NWT_ENTRY(scope_refuses_and_cancel) NWT_ENTRY(rate_limit) NWT_ENTRY(exchange))
