/* test_http.c - the HTTP/1.x parser: requests and responses, body framing
 * (Content-Length, chunked, close), pipelining, split delivery, gaps, bounds,
 * and Basic credentials that must never leak their password. */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "nw/testctx.h"

#include "nwtest.h"

static const char *recs(struct nw_testctx *t)
{
    nw_buf_putc(&t->records, '\0');
    t->records.len--;
    return t->records.data ? t->records.data : "";
}

static int open_flow(struct nw_testctx *t)
{
    return nw_testctx_init(t, "http", IPPROTO_TCP, "192.0.2.10", 51000, "198.51.100.80", 80);
}

#define S(x) x, sizeof(x) - 1

static const char req_get[] = "GET /index.html?q=1 HTTP/1.1\r\n"
                              "Host: Www.Example.COM:8080\r\n"
                              "User-Agent: curl/8.0\r\n"
                              "Referer: http://example.com/start\r\n"
                              "X-Forwarded-For: 203.0.113.7\r\n"
                              "Accept: */*\r\n"
                              "\r\n";

static const char resp_200[] = "HTTP/1.1 200 OK\r\n"
                               "Content-Type: text/html; charset=utf-8\r\n"
                               "Content-Length: 12\r\n"
                               "\r\n"
                               "hello world\n";

TEST(get_with_length)
{
    struct nw_testctx t;
    CHECK_EQ(open_flow(&t), 0);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOSERVER, S(req_get)), 0);
    CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"http\""), 0); /* waits for the response */
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOCLIENT, S(resp_200)), 0);
    const char *r = recs(&t);
    CHECK_HAS(r, "\"src_ip\":\"192.0.2.10\",\"src_port\":51000,\"dest_ip\":\"198.51.100.80\"");
    CHECK_HAS(r, "\"tx_id\":0,\"http\":{\"hostname\":\"www.example.com\",\"http_port\":8080,"
                 "\"url\":\"/index.html?q=1\",\"http_user_agent\":\"curl/8.0\","
                 "\"xff\":\"203.0.113.7\",\"http_content_type\":\"text/html\","
                 "\"http_refer\":\"http://example.com/start\",\"http_method\":\"GET\","
                 "\"protocol\":\"HTTP/1.1\",\"status\":200,\"length\":12}");
    nw_testctx_end(&t);
    CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"http\""), 1);
    nw_testctx_fini(&t);
}

TEST(one_byte_chunks)
{
    struct nw_testctx t;
    CHECK_EQ(open_flow(&t), 0);
    CHECK_EQ(nw_testctx_feed_chunked(&t, NW_DIR_TOSERVER, S(req_get), 1), 0);
    CHECK_EQ(nw_testctx_feed_chunked(&t, NW_DIR_TOCLIENT, S(resp_200), 1), 0);
    CHECK_HAS(recs(&t), "\"http_user_agent\":\"curl/8.0\"");
    CHECK_HAS(recs(&t), "\"status\":200,\"length\":12}");
    nw_testctx_fini(&t);
}

TEST(split_header_lines)
{
    struct nw_testctx t;
    CHECK_EQ(open_flow(&t), 0);
    /* header names and values cut at awkward places, across three segments */
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOSERVER, S("GET /a HTTP/1.1\r\nHo")), 0);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOSERVER, S("st: split.example\r\nUser-Agent: Moz")), 0);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOSERVER, S("illa/5.0\r")), 0);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOSERVER, S("\n\r\n")), 0);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOCLIENT, S("HTTP/1.1 204 No Content\r\n\r\n")), 0);
    CHECK_HAS(recs(&t), "\"hostname\":\"split.example\",\"url\":\"/a\","
                        "\"http_user_agent\":\"Mozilla/5.0\"");
    CHECK_HAS(recs(&t), "\"status\":204,\"length\":0");
    nw_testctx_fini(&t);
}

static const char resp_chunked[] = "HTTP/1.1 200 OK\r\n"
                                   "Transfer-Encoding: chunked\r\n"
                                   "Content-Type: application/json\r\n"
                                   "\r\n"
                                   "5\r\nhello\r\n"
                                   "1a;ext=1\r\nabcdefghijklmnopqrstuvwxyz\r\n"
                                   "0\r\n"
                                   "X-Trailer: yes\r\n"
                                   "\r\n";

TEST(chunked_response)
{
    struct nw_testctx t;
    for (size_t chunk = 1; chunk <= 64; chunk *= 4) {
        CHECK_EQ(open_flow(&t), 0);
        CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOSERVER, S("GET /c HTTP/1.1\r\nHost: c\r\n\r\n")), 0);
        CHECK_EQ(nw_testctx_feed_chunked(&t, NW_DIR_TOCLIENT, S(resp_chunked), chunk), 0);
        /* complete at the last chunk's trailers: emitted before the flow ends */
        CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"http\""), 1);
        CHECK_HAS(recs(&t), "\"http_content_type\":\"application/json\"");
        CHECK_HAS(recs(&t), "\"status\":200,\"length\":31}");
        /* the next request on the connection is still understood */
        CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOSERVER, S("GET /d HTTP/1.1\r\nHost: c\r\n\r\n")), 0);
        CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOCLIENT, S(resp_200)), 0);
        CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"http\""), 2);
        CHECK_HAS(recs(&t), "\"url\":\"/d\"");
        nw_testctx_fini(&t);
    }
}

TEST(chunked_request_body)
{
    struct nw_testctx t;
    CHECK_EQ(open_flow(&t), 0);
    CHECK_EQ(nw_testctx_feed_chunked(&t, NW_DIR_TOSERVER,
                                     S("POST /up HTTP/1.1\r\nHost: u\r\n"
                                       "Transfer-Encoding: chunked\r\n\r\n"
                                       "3\r\nGET\r\n0\r\n\r\n"
                                       "GET /after HTTP/1.1\r\nHost: u\r\n\r\n"),
                                     3),
             0);
    nw_testctx_end(&t);
    /* "GET" inside the body is not a request; /after is */
    CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"http\""), 2);
    CHECK_HAS(recs(&t), "\"url\":\"/up\"");
    CHECK_HAS(recs(&t), "\"url\":\"/after\"");
    nw_testctx_fini(&t);
}

TEST(pipelining_pairs_fifo)
{
    struct nw_testctx t;
    CHECK_EQ(open_flow(&t), 0);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOSERVER,
                             S("GET /1 HTTP/1.1\r\nHost: p\r\n\r\n"
                               "HEAD /2 HTTP/1.1\r\nHost: p\r\n\r\n"
                               "POST /3 HTTP/1.1\r\nHost: p\r\nContent-Type: text/plain\r\n"
                               "Content-Length: 4\r\n\r\nbody")),
             0);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOCLIENT,
                             S("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"
                               /* HEAD: Content-Length describes a body that is not sent */
                               "HTTP/1.1 200 OK\r\nContent-Length: 999\r\n\r\n"
                               "HTTP/1.1 100 Continue\r\n\r\n"
                               "HTTP/1.1 201 Created\r\nLocation: /3/new\r\n"
                               "Content-Length: 0\r\n\r\n")),
             0);
    const char *r = recs(&t);
    CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"http\""), 3);
    const char *a = strstr(r, "\"url\":\"/1\""), *b = strstr(r, "\"url\":\"/2\""),
               *c = strstr(r, "\"url\":\"/3\"");
    CHECK(a && b && c && a < b && b < c);
    CHECK_HAS(r, "\"url\":\"/1\",\"http_method\":\"GET\",\"protocol\":\"HTTP/1.1\",\"status\":200,"
                 "\"length\":3}");
    CHECK_HAS(r, "\"url\":\"/2\",\"http_method\":\"HEAD\",\"protocol\":\"HTTP/1.1\","
                 "\"status\":200,\"length\":0}");
    CHECK_HAS(r, "\"status\":201,\"redirect\":\"/3/new\",\"length\":0,"
                 "\"request_content_type\":\"text/plain\",\"request_content_length\":4}");
    CHECK_EQ(nw_testctx_count(&t, "\"tx_id\":2"), 1);
    nw_testctx_fini(&t);
}

TEST(basic_auth_user_only)
{
    struct nw_testctx t;
    /* Authorization: Basic base64("alice:Secr3t:pw") */
    CHECK_EQ(open_flow(&t), 0);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOSERVER,
                             S("GET /private HTTP/1.1\r\nHost: a\r\n"
                               "authorization:   basic YWxpY2U6U2VjcjN0OnB3\r\n\r\n")),
             0);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOCLIENT, S("HTTP/1.1 401 Unauthorized\r\n\r\n")), 0);
    nw_testctx_end(&t);
    const char *r = recs(&t);
    CHECK_HAS(r, "\"basic_auth_user\":\"alice\"");
    CHECK_LACKS(r, "Secr3t");
    CHECK_LACKS(r, "YWxpY2U6U2VjcjN0OnB3");
    CHECK_LACKS(r, "U2VjcjN0");
    CHECK_LACKS(r, "authorization");
    nw_testctx_fini(&t);

    /* Proxy-Authorization too; a Bearer token is dropped entirely */
    CHECK_EQ(nw_testctx_init(&t, "http", IPPROTO_TCP, "192.0.2.10", 51001, "198.51.100.3", 3128),
             0);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOSERVER,
                             S("GET http://x.test/ HTTP/1.1\r\nHost: x.test\r\n"
                               "Proxy-Authorization: Basic Ym9iOmh1bnRlcjI=\r\n\r\n"
                               "GET http://x.test/2 HTTP/1.1\r\nHost: x.test\r\n"
                               "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.tok\r\n\r\n")),
             0);
    nw_testctx_end(&t);
    r = recs(&t);
    CHECK_HAS(r, "\"basic_auth_user\":\"bob\"");
    CHECK_LACKS(r, "hunter2");
    CHECK_LACKS(r, "eyJhbGciOiJIUzI1NiJ9");
    CHECK_EQ(nw_testctx_count(&t, "basic_auth_user"), 1);
    nw_testctx_fini(&t);
}

TEST(close_delimited_body)
{
    struct nw_testctx t;
    CHECK_EQ(open_flow(&t), 0);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOSERVER, S("GET /old HTTP/1.0\r\n\r\n")), 0);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOCLIENT, S("HTTP/1.0 200 OK\r\n\r\nsome ")), 0);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOCLIENT, S("bytes until close")), 0);
    CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"http\""), 0);
    nw_testctx_end(&t);
    CHECK_HAS(recs(&t), "\"protocol\":\"HTTP/1.0\",\"status\":200,\"length\":22}");
    nw_testctx_fini(&t);
}

TEST(unanswered_requests_at_end)
{
    struct nw_testctx t;
    CHECK_EQ(open_flow(&t), 0);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOSERVER, S("GET /lonely HTTP/1.1\r\nHost: l\r\n\r\n")),
             0);
    nw_testctx_end(&t);
    CHECK_HAS(recs(&t), "\"url\":\"/lonely\",\"http_method\":\"GET\",\"protocol\":\"HTTP/1.1\","
                        "\"length\":0}");
    CHECK_LACKS(recs(&t), "status");
    nw_testctx_fini(&t);
}

TEST(outstanding_requests_bounded)
{
    struct nw_testctx t;
    char line[64];
    CHECK_EQ(open_flow(&t), 0);
    for (int i = 0; i < 40; i++) {
        int n = snprintf(line, sizeof line, "GET /r%d HTTP/1.1\r\n\r\n", i);
        CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOSERVER, line, (size_t)n), 0);
    }
    /* 32 wait; the 8 oldest went out unanswered */
    CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"http\""), 8);
    CHECK_HAS(recs(&t), "\"url\":\"/r7\"");
    CHECK_LACKS(recs(&t), "\"url\":\"/r8\"");
    /* the first response now pairs with the oldest still waiting */
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOCLIENT, S("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")), 0);
    CHECK_HAS(recs(&t), "\"url\":\"/r8\",\"http_method\":\"GET\",\"protocol\":\"HTTP/1.1\","
                        "\"status\":404");
    nw_testctx_end(&t);
    CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"http\""), 40);
    nw_testctx_fini(&t);
}

TEST(long_header_line_is_violation)
{
    struct nw_testctx t;
    static char big[9000];
    CHECK_EQ(open_flow(&t), 0);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOSERVER, S("GET / HTTP/1.1\r\nX-Big: ")), 0);
    memset(big, 'a', sizeof big);
    CHECK(nw_testctx_feed(&t, NW_DIR_TOSERVER, big, sizeof big) < 0);
    nw_testctx_fini(&t);
}

TEST(too_many_headers_is_violation)
{
    struct nw_testctx t;
    int rc = 0;
    CHECK_EQ(open_flow(&t), 0);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOSERVER, S("GET / HTTP/1.1\r\n")), 0);
    for (int i = 0; i < 300 && rc == 0; i++) rc = nw_testctx_feed(&t, NW_DIR_TOSERVER, S("A: b\r\n"));
    CHECK(rc < 0);
    nw_testctx_fini(&t);
}

TEST(hostile_lengths)
{
    struct nw_testctx t;
    CHECK_EQ(open_flow(&t), 0);
    /* an enormous Content-Length is just a long body to skip */
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOSERVER, S("GET / HTTP/1.1\r\nHost: h\r\n\r\n")), 0);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOCLIENT,
                             S("HTTP/1.1 200 OK\r\nContent-Length: 999999999999999999\r\n\r\nxyz")),
             0);
    nw_testctx_end(&t);
    CHECK_HAS(recs(&t), "\"status\":200,\"length\":3}");
    nw_testctx_fini(&t);

    /* a chunk size that overflows, a negative and a garbage Content-Length */
    CHECK_EQ(open_flow(&t), 0);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOSERVER,
                             S("POST /x HTTP/1.1\r\nContent-Length: -5\r\n\r\n"
                               "POST /y HTTP/1.1\r\nContent-Length: 12abc\r\n\r\n")),
             0);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOCLIENT,
                             S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                               "fffffffffffffffffffffff\r\nzz\r\n"
                               "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n")),
             0);
    nw_testctx_end(&t);
    CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"http\""), 2);
    CHECK_HAS(recs(&t), "\"url\":\"/y\",\"http_method\":\"POST\",\"protocol\":\"HTTP/1.1\","
                        "\"status\":500");
    CHECK_LACKS(recs(&t), "request_content_length");
    nw_testctx_fini(&t);
}

TEST(gaps)
{
    struct nw_testctx t;
    CHECK_EQ(open_flow(&t), 0);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOSERVER, S("GET /g1 HTTP/1.1\r\n\r\nGET /g2 HTTP/1.1\r\n\r\n")),
             0);
    /* a hole inside a Content-Length body is absorbed and counted */
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOCLIENT, S("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nab")),
             0);
    nw_testctx_gap(&t, NW_DIR_TOCLIENT, 900);
    static char rest[98];
    memset(rest, 'r', sizeof rest);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOCLIENT, rest, sizeof rest), 0);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOCLIENT, S("HTTP/1.1 304 Not Modified\r\n\r\n")), 0);
    CHECK_HAS(recs(&t), "\"url\":\"/g1\",\"http_method\":\"GET\",\"protocol\":\"HTTP/1.1\","
                        "\"status\":200,\"length\":1000}");
    CHECK_HAS(recs(&t), "\"url\":\"/g2\",\"http_method\":\"GET\",\"protocol\":\"HTTP/1.1\","
                        "\"status\":304");
    /* a hole in the middle of request headers: resync on the next request line */
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOSERVER, S("GET /g3 HTTP/1.1\r\nHo")), 0);
    nw_testctx_gap(&t, NW_DIR_TOSERVER, 50);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOSERVER,
                             S("ept: lost\r\nGET /g4 HTTP/1.1\r\nHost: back\r\n\r\n")),
             0);
    nw_testctx_end(&t);
    CHECK_HAS(recs(&t), "\"hostname\":\"back\",\"url\":\"/g4\"");
    CHECK_HAS(recs(&t), "\"url\":\"/g3\"");
    nw_testctx_fini(&t);
}

TEST(midstream_start)
{
    struct nw_testctx t;
    CHECK_EQ(open_flow(&t), 0);
    /* the capture starts inside a request body and inside a response body */
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOSERVER,
                             S("tail of a form\r\nfield=2\r\nGET /m HTTP/1.1\r\nHost: m\r\n\r\n")),
             0);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOCLIENT,
                             S("\x89PNG binary\x00\x01 junk\r\nHTTP/1.1 200 OK\r\n"
                               "Content-Length: 0\r\n\r\n")),
             0);
    nw_testctx_end(&t);
    CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"http\""), 1);
    /* the junk was the end of an older response: /m stays unanswered rather
     * than taking a status that was not its own */
    CHECK_HAS(recs(&t), "\"url\":\"/m\"");
    nw_testctx_fini(&t);
}

TEST(connect_tunnel_stops_parsing)
{
    struct nw_testctx t;
    CHECK_EQ(nw_testctx_init(&t, "http", IPPROTO_TCP, "192.0.2.10", 51002, "198.51.100.3", 3128),
             0);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOSERVER,
                             S("CONNECT x.test:443 HTTP/1.1\r\nHost: x.test:443\r\n\r\n")),
             0);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOCLIENT,
                             S("HTTP/1.1 200 Connection established\r\n\r\n")),
             0);
    /* TLS bytes follow: ignored, no error */
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOSERVER, S("\x16\x03\x01\x02\x00\x01\x00\x01\xfc")), 0);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOSERVER, S("GET /not-http HTTP/1.1\r\n\r\n")), 0);
    nw_testctx_end(&t);
    CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"http\""), 1);
    CHECK_HAS(recs(&t), "\"hostname\":\"x.test\",\"http_port\":443,\"url\":\"x.test:443\"");
    nw_testctx_fini(&t);
}

TEST(lenient_request_lines)
{
    struct nw_testctx t;
    CHECK_EQ(open_flow(&t), 0);
    CHECK_EQ(nw_testctx_feed(&t, NW_DIR_TOSERVER,
                             S("OPTIONS\nHost: a\n\n"
                               "GET / HTTP/1.\nHost: b\n\n"
                               "CCM_POST /HTTP/1.1\nHost: c\n\n"
                               "hello there\n")),
             0);
    nw_testctx_end(&t);
    const char *r = recs(&t);
    CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"http\""), 3);
    CHECK_HAS(r, "\"hostname\":\"a\",\"url\":\"\",\"http_method\":\"OPTIONS\",\"length\":0}");
    CHECK_HAS(r, "\"url\":\"/\",\"http_method\":\"GET\",\"protocol\":\"HTTP/1.\"");
    CHECK_HAS(r, "\"url\":\"/HTTP/1.1\",\"http_method\":\"CCM_POST\",\"length\":0}");
    nw_testctx_fini(&t);
}

TEST(probe)
{
    const struct nw_proto_parser *p = nw_proto_find("http");
    CHECK(p != NULL && p->probe != NULL);
    CHECK_EQ(p->probe((const uint8_t *)"GET / HTTP/1.1\r\n", 16, NW_DIR_TOSERVER), 1);
    CHECK_EQ(p->probe((const uint8_t *)"POS", 3, NW_DIR_TOSERVER), -1);
    CHECK_EQ(p->probe((const uint8_t *)"HTTP/1.1 200", 12, NW_DIR_TOCLIENT), 1);
    CHECK_EQ(p->probe((const uint8_t *)"HTTP", 4, NW_DIR_TOCLIENT), -1);
    CHECK_EQ(p->probe((const uint8_t *)"SSH-2.0-OpenSSH", 15, NW_DIR_TOCLIENT), 0);
    CHECK_EQ(p->probe((const uint8_t *)"\x16\x03\x01", 3, NW_DIR_TOSERVER), 0);
    CHECK_EQ(p->probe((const uint8_t *)"EHLO mail", 9, NW_DIR_TOSERVER), -1); /* port decides */
    CHECK_EQ(p->selftest(), 0);
}

NW_TEST_MAIN(NWT_ENTRY(get_with_length) NWT_ENTRY(one_byte_chunks) NWT_ENTRY(split_header_lines)
                 NWT_ENTRY(chunked_response) NWT_ENTRY(chunked_request_body)
                 NWT_ENTRY(pipelining_pairs_fifo) NWT_ENTRY(basic_auth_user_only)
                 NWT_ENTRY(close_delimited_body) NWT_ENTRY(unanswered_requests_at_end)
                 NWT_ENTRY(outstanding_requests_bounded) NWT_ENTRY(long_header_line_is_violation)
                 NWT_ENTRY(too_many_headers_is_violation) NWT_ENTRY(hostile_lengths)
                 NWT_ENTRY(gaps) NWT_ENTRY(midstream_start) NWT_ENTRY(connect_tunnel_stops_parsing)
                 NWT_ENTRY(lenient_request_lines) NWT_ENTRY(probe))
