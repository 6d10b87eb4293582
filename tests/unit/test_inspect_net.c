/*
 * test_inspect_net.c - the network probes (tcp_ports, banner, risky_service,
 * tls_service; a web probe under failed allocations) driven directly, against
 * stand-in servers on 127.0.0.1 that answer correctly, badly or with garbage.
 * Checks the facts, and (under ASan) that no answer can make a probe read out
 * of bounds or hang.
 */
#include "nw/inspect.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nw/web.h"
#include "nwtest.h"

extern const struct nw_probe nw_probe_banner, nw_probe_risky_service, nw_probe_tcp_ports,
    nw_probe_tls_service, nw_probe_web_hidden_links;

/* A server that accepts up to `conns` connections and writes `reply` to each
   (after reading what the client sends first when `read_first`). */
struct stub {
    int fd;
    uint16_t port;
    const uint8_t *reply;
    size_t len;
    int read_first;
    int conns;
    pthread_t th;
};

static void *stub_main(void *arg)
{
    struct stub *s = arg;
    for (int i = 0; i < s->conns; i++) {
        int c = accept(s->fd, NULL, NULL);
        if (c < 0) break;
        struct timeval tv = {0, 300000};
        setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        if (s->read_first) {
            char buf[2048];
            (void)!read(c, buf, sizeof(buf));
        }
        if (s->len) (void)!send(c, s->reply, s->len, MSG_NOSIGNAL);
        usleep(20000);
        close(c);
    }
    return NULL;
}

static int stub_start_fn(struct stub *s, const void *reply, size_t len, int read_first,
                         int conns, void *(*fn)(void *))
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t sl = sizeof(a);
    int one = 1;
    memset(s, 0, sizeof(*s));
    s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(s->fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(s->fd, 16) != 0) return -1;
    getsockname(s->fd, (struct sockaddr *)&a, &sl);
    s->port = ntohs(a.sin_port);
    s->reply = reply;
    s->len = len;
    s->read_first = read_first;
    s->conns = conns;
    return pthread_create(&s->th, NULL, fn, s);
}

static int stub_start(struct stub *s, const void *reply, size_t len, int read_first, int conns)
{
    return stub_start_fn(s, reply, len, read_first, conns, stub_main);
}

static void stub_stop(struct stub *s)
{
    shutdown(s->fd, SHUT_RDWR);
    close(s->fd);
    pthread_join(s->th, NULL);
}

struct run {
    struct nw_check check;
    struct nw_param params[2];
    struct nw_inspect_settings set;
    struct nw_inspect_target tgt;
    uint16_t open[4];
    char *banners[4];
    struct nw_probe_req req;
    struct nw_probe_res res;
};

static void run_init(struct run *r)
{
    memset(r, 0, sizeof(*r));
    r->tgt.host = "127.0.0.1";
    r->tgt.family = 4;
    r->tgt.addr[0] = 127;
    r->tgt.addr[3] = 1;
    snprintf(r->tgt.addr_text, sizeof(r->tgt.addr_text), "127.0.0.1");
    r->tgt.open_ports = r->open;
    r->tgt.banners = r->banners;
    r->tgt.scanned = 1;
    r->set.connect_timeout_ms = 500;
    r->check.id = "TEST";
    r->check.params = r->params;
    r->req.check = &r->check;
    r->req.target = &r->tgt;
    r->req.set = &r->set;
}

static void add_port(struct run *r, uint16_t port, char *banner)
{
    r->open[r->tgt.nopen] = port;
    r->banners[r->tgt.nopen] = banner;
    r->tgt.nopen++;
}

static void add_param(struct run *r, const char *name, const char *value)
{
    r->params[r->check.nparams].name = name;
    r->params[r->check.nparams].value = value;
    r->check.nparams++;
}

/* Run the probe; facts become a NUL-terminated JSON object. */
static int run_probe(struct run *r, const struct nw_probe *p)
{
    nw_buf_init(&r->res.facts, 0);
    nw_buf_putc(&r->res.facts, '{');
    int rc = p->run(&r->req, &r->res);
    nw_buf_putc(&r->res.facts, '}');
    nw_buf_putc(&r->res.facts, '\0');
    return rc;
}

TEST(tcp_ports_sorts_ports)
{
    struct run r;
    run_init(&r);
    add_port(&r, 22, NULL);
    add_port(&r, 23, NULL);
    add_port(&r, 3306, NULL);
    add_param(&r, "allowed", "22,3306");
    CHECK_EQ(run_probe(&r, &nw_probe_tcp_ports), 0);
    CHECK_EQ(r.res.status, NW_PROBE_OK);
    CHECK_HAS(r.res.facts.data, "\"open_ports\":[22,23,3306]");
    CHECK_HAS(r.res.facts.data, "\"high_risk_open\":[23]");
    CHECK_HAS(r.res.facts.data, "\"high_risk_services\":[\"telnet/23\"]");
    CHECK_HAS(r.res.facts.data, "\"database_open\":[3306]");
    CHECK_HAS(r.res.facts.data, "\"unexpected_open\":[23]");
    CHECK_HAS(r.res.evidence, "high-risk: telnet/23");
    nw_buf_fini(&r.res.facts);
    /* a bad port list is an error naming the parameter */
    run_init(&r);
    add_param(&r, "high_risk", "22,99999");
    CHECK_EQ(run_probe(&r, &nw_probe_tcp_ports), 0);
    CHECK_EQ(r.res.status, NW_PROBE_ERROR);
    CHECK_HAS(r.res.reason, "high_risk");
    nw_buf_fini(&r.res.facts);
    /* not scanned: error with the scan's reason */
    run_init(&r);
    r.tgt.scanned = 0;
    snprintf(r.tgt.scan_error, sizeof(r.tgt.scan_error), "unreachable: No route to host");
    CHECK_EQ(run_probe(&r, &nw_probe_tcp_ports), 0);
    CHECK_EQ(r.res.status, NW_PROBE_ERROR);
    CHECK_HAS(r.res.reason, "No route to host");
    nw_buf_fini(&r.res.facts);
}

TEST(banner_versions)
{
    struct run r;
    char b1[] = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\\r\\n";
    char b2[] = "HTTP/1.1 200 OK\\r\\nServer: web\\r\\n";
    char b3[] = "RFB 003.008\\n";
    char b4[] = "J\\x00\\x00\\x00\\x0a5.5.5-10.11.6-MariaDB-0+deb12u1\\x00";
    char b5[] = "HTTP/1.0 200 OK\\r\\nServer: nginx/1.22.1\\r\\n";
    char b6[] = "@RSYNCD: 31.0\\n";
    run_init(&r);
    add_port(&r, 22, b1);
    add_port(&r, 80, b2);
    add_port(&r, 3306, b4);
    add_port(&r, 5900, b3);
    CHECK_EQ(run_probe(&r, &nw_probe_banner), 0);
    CHECK_HAS(r.res.facts.data, "\"version_disclosed\":[22,3306]");
    nw_buf_fini(&r.res.facts);
    run_init(&r);
    add_port(&r, 80, b5);
    add_port(&r, 873, b6);
    CHECK_EQ(run_probe(&r, &nw_probe_banner), 0);
    CHECK_HAS(r.res.facts.data, "\"version_disclosed\":[80]");
    nw_buf_fini(&r.res.facts);
}

TEST(risky_redis_and_unknown)
{
    struct run r;
    struct stub s;
    CHECK_EQ(stub_start(&s, "+PONG\r\n", 7, 1, 1), 0);
    run_init(&r);
    add_port(&r, s.port, NULL);
    add_param(&r, "service", "redis");
    char ports[8];
    snprintf(ports, sizeof(ports), "%u", s.port);
    add_param(&r, "ports", ports);
    CHECK_EQ(run_probe(&r, &nw_probe_risky_service), 0);
    stub_stop(&s);
    CHECK_HAS(r.res.facts.data, "\"open\":true");
    CHECK_HAS(r.res.facts.data, "\"unauthenticated\":true");
    CHECK_HAS(r.res.evidence, "answers without credentials");
    nw_buf_fini(&r.res.facts);

    CHECK_EQ(stub_start(&s, "-NOAUTH Authentication required.\r\n", 34, 1, 1), 0);
    run_init(&r);
    add_port(&r, s.port, NULL);
    add_param(&r, "service", "redis");
    add_param(&r, "ports", ports);
    snprintf(ports, sizeof(ports), "%u", s.port);
    CHECK_EQ(run_probe(&r, &nw_probe_risky_service), 0);
    stub_stop(&s);
    CHECK_HAS(r.res.facts.data, "\"unauthenticated\":false");
    nw_buf_fini(&r.res.facts);

    run_init(&r);
    add_param(&r, "service", "gopher");
    CHECK_EQ(run_probe(&r, &nw_probe_risky_service), 0);
    CHECK_EQ(r.res.status, NW_PROBE_ERROR);
    CHECK_HAS(r.res.reason, "unknown service 'gopher'");
    nw_buf_fini(&r.res.facts);

    /* closed service port: not exposed */
    run_init(&r);
    add_param(&r, "service", "telnet");
    CHECK_EQ(run_probe(&r, &nw_probe_risky_service), 0);
    CHECK_HAS(r.res.facts.data, "\"open\":false");
    nw_buf_fini(&r.res.facts);
}

/* Every service's question answered with hostile bytes: no crash, no claim. */
TEST(risky_hostile_answers)
{
    static const char *const services[] = {"docker", "elasticsearch", "ftp", "memcached",
                                           "mongodb", "postgresql", "redis", "rsync", "vnc",
                                           "mysql", "telnet"};
    uint8_t junk[3000];
    srand(7);
    for (size_t i = 0; i < sizeof(junk); i++) junk[i] = (uint8_t)(rand() & 0xff);
    /* a VNC-looking start with a huge type count and no types */
    static const uint8_t vnc_trunc[] = "RFB 003.008\n\xff";
    /* answers: random bytes, a truncated VNC, an HTTP 200 without the marker, nothing */
    const struct {
        const void *p;
        size_t n;
    } answers[] = {{junk, sizeof(junk)},
                   {vnc_trunc, sizeof(vnc_trunc) - 1},
                   {"HTTP/1.1 200 OK\r\n\r\n{\"number\":\"", 31},
                   {"", 0}};
    for (size_t a = 0; a < NW_ARRAY_LEN(answers); a++) {
        for (size_t k = 0; k < NW_ARRAY_LEN(services); k++) {
            struct run r;
            struct stub s;
            char ports[8];
            CHECK_EQ(stub_start(&s, answers[a].p, answers[a].n, 0, 1), 0);
            run_init(&r);
            add_port(&r, s.port, NULL);
            add_param(&r, "service", services[k]);
            snprintf(ports, sizeof(ports), "%u", s.port);
            add_param(&r, "ports", ports);
            CHECK_EQ(run_probe(&r, &nw_probe_risky_service), 0);
            stub_stop(&s);
            CHECK_HAS(r.res.facts.data, "\"open\":true");
            CHECK_HAS(r.res.facts.data, "\"unauthenticated\":false");
            nw_buf_fini(&r.res.facts);
        }
    }
}

/* Not TLS at all, and a truncated ServerHello: no TLS service, no weak suite. */
TEST(tls_garbage)
{
    static const uint8_t trunc_hello[] = {0x16, 0x03, 0x03, 0x00, 0x30, 0x02, 0x00, 0x00,
                                          0x2c, 0x03, 0x03, 0x11};
    const struct {
        const void *p;
        size_t n;
    } answers[] = {{"220 hello\r\n", 11}, {trunc_hello, sizeof(trunc_hello)}, {"", 0}};
    for (size_t a = 0; a < NW_ARRAY_LEN(answers); a++) {
        struct run r;
        struct stub s;
        char ports[8];
        CHECK_EQ(stub_start(&s, answers[a].p, answers[a].n, 1, 16), 0);
        run_init(&r);
        add_port(&r, s.port, NULL);
        snprintf(ports, sizeof(ports), "%u", s.port);
        add_param(&r, "ports", ports);
        CHECK_EQ(run_probe(&r, &nw_probe_tls_service), 0);
        stub_stop(&s);
        CHECK_EQ(r.res.status, NW_PROBE_SKIP);
        CHECK_HAS(r.res.reason, "no TLS service");
        nw_buf_fini(&r.res.facts);
    }
}

/* An HTTP server answering every request at once with the same page, until stopped. */
static void *web_main(void *arg)
{
    struct stub *s = arg;
    for (int i = 0; i < s->conns; i++) {
        char buf[4096];
        size_t have = 0;
        ssize_t k;
        int c = accept(s->fd, NULL, NULL);
        if (c < 0) break;
        struct timeval tv = {0, 100000}; /* a client that failed before sending its request */
        setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        while (have < sizeof(buf) - 1 && (k = read(c, buf + have, sizeof(buf) - 1 - have)) > 0) {
            have += (size_t)k;
            buf[have] = '\0';
            if (strstr(buf, "\r\n\r\n")) break;
        }
        (void)!send(c, s->reply, s->len, MSG_NOSIGNAL);
        close(c);
    }
    return NULL;
}

/* Fail each allocation of a web probe's run in turn (the crawl keeps each form field as
   a test point): no crash, no leak. A point whose copy failed used to be kept with NULL
   names, which the duplicate check of the next form (same action), the URL builder and
   the probes read (tests/e2e/alloc_fail.sh inspect_web found it). One page, no links:
   two requests a run. */
TEST(web_points_alloc_failure)
{
    static const char html[] =
        "<html><body><form action=\"/f\"><input name=\"q\" value=\"a\"><input name=\"r\">"
        "</form><form action=\"/f\"><input name=\"t\" value=\"b\"><input name=\"u\"></form>"
        "</body></html>\n";
    char page[512], url[64];
    struct stub s;
    size_t before = nw_alloc_in_use();
    uint64_t n;
    int len = snprintf(page, sizeof(page), "HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n"
                       "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", strlen(html), html);

    CHECK_EQ(stub_start_fn(&s, page, (size_t)len, 1, 1 << 20, web_main), 0);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/", s.port);
    for (n = 1; n < 2000; n++) {
        struct run r;
        uint64_t failed = nw_alloc_failures();
        run_init(&r);
        r.tgt.host = url;
        r.set.now_us = n; /* a new run: crawled again */
        nw_alloc_fail_at(n);
        run_probe(&r, &nw_probe_web_hidden_links);
        nw_alloc_fail_at(0);
        nw_buf_fini(&r.res.facts);
        nw_web_fini();
        CHECK_EQ(nw_alloc_in_use(), before);
        if (nw_alloc_failures() == failed) break; /* the run made fewer than n allocations */
    }
    printf("web_points_alloc_failure: %llu allocations\n", (unsigned long long)n - 1);
    CHECK(n > 20 && n < 2000);
    stub_stop(&s);
}

NW_TEST_MAIN(NWT_ENTRY(tcp_ports_sorts_ports) NWT_ENTRY(banner_versions)
                 NWT_ENTRY(risky_redis_and_unknown) NWT_ENTRY(risky_hostile_answers)
                 NWT_ENTRY(tls_garbage) NWT_ENTRY(web_points_alloc_failure))
