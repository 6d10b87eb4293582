/* test_flow.c - TCP reassembly against a reference model, and flow-table
 * behaviour (direction, timeouts, port reuse, memcap) through the engine. */
#include "nw/flow.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/flow/flow_int.h"
#include "nw/engine.h"
#include "nwtest.h"

struct sink {
    uint8_t out[70000];
    size_t n;
    size_t gaps;
};

static void collect(void *arg, const uint8_t *p, size_t len, size_t gap)
{
    struct sink *s = arg;
    if (gap) {
        s->gaps += gap;
        return;
    }
    memcpy(s->out + s->n, p, len);
    s->n += len;
}

/* Model: any order, duplicates and overlaps of segments of a byte string
 * reassemble to exactly that string, once, when nothing is lost. */
TEST(reassembly_matches_model)
{
    static uint8_t data[60000];
    uint32_t rnd = 12345;

    for (size_t i = 0; i < sizeof data; i++) data[i] = (uint8_t)(i * 7 + i / 251);
    for (int round = 0; round < 200; round++) {
        struct nw_stream st;
        struct sink s;
        size_t used = 0;
        uint64_t gaps = 0, drops = 0;
        struct nw_stream_limits lim = {1u << 20, &used, 8u << 20, &gaps, &drops};
        uint32_t isn = (uint32_t)(0xfffff000u + (uint32_t)round * 97u); /* wraps */
        size_t total = 1000 + (size_t)(round * 293) % (sizeof data - 1000);
        struct { size_t off, len; } segs[400];
        int n = 0;

        memset(&st, 0, sizeof st);
        memset(&s, 0, sizeof s);
        for (size_t off = 0; off < total && n < 380;) {
            rnd = rnd * 1103515245u + 12345u;
            size_t len = 1 + (rnd >> 8) % 1400;
            if (off + len > total) len = total - off;
            segs[n].off = off, segs[n].len = len, n++;
            if ((rnd >> 4) % 5 == 0 && n < 380) { /* overlapping retransmission */
                size_t back = off > 100 ? 100 : off;
                segs[n].off = off - back, segs[n].len = len + back, n++;
            }
            off += len;
        }
        total = segs[n - 1].off + segs[n - 1].len;
        for (int i = n - 1; i > 0; i--) { /* shuffle */
            rnd = rnd * 1103515245u + 12345u;
            int j = (int)((rnd >> 8) % (uint32_t)(i + 1));
            size_t o = segs[i].off, l = segs[i].len;
            segs[i] = segs[j];
            segs[j].off = o, segs[j].len = l;
        }
        nw__stream_segment(&st, &lim, isn, 1, NULL, 0, collect, &s); /* SYN */
        for (int i = 0; i < n; i++)
            nw__stream_segment(&st, &lim, isn + 1 + (uint32_t)segs[i].off, 0, data + segs[i].off,
                               segs[i].len, collect, &s);
        nw__stream_flush(&st, &lim, collect, &s);
        CHECK_EQ(s.gaps, 0);
        CHECK_EQ(s.n, total);
        CHECK(memcmp(s.out, data, total) == 0);
        CHECK_EQ(used, 0);
    }
}

TEST(hole_becomes_gap_at_bound)
{
    struct nw_stream st;
    struct sink s;
    size_t used = 0;
    uint64_t gaps = 0, drops = 0;
    struct nw_stream_limits lim = {3000, &used, 1u << 20, &gaps, &drops};
    uint8_t seg[1000];

    memset(&st, 0, sizeof st);
    memset(&s, 0, sizeof s);
    memset(seg, 'a', sizeof seg);
    nw__stream_segment(&st, &lim, 100, 0, seg, 1000, collect, &s); /* mid-stream pickup */
    /* bytes 1100..1599 lost; later segments wait until the per-direction bound */
    for (uint32_t off = 1600; off < 1600 + 5000; off += 1000)
        nw__stream_segment(&st, &lim, 100 + off, 0, seg, 1000, collect, &s);
    CHECK_EQ(gaps, 1);
    CHECK_EQ(s.gaps, 600);
    CHECK_EQ(s.n, 1000 + 5000);
    CHECK_EQ(used, 0);
}

/* --- flow table through the engine --------------------------------------- */

static int capture_write(void *self, const char *type, const char *line, size_t len)
{
    (void)type;
    nw_buf_append(self, line, len);
    return 0;
}

/* Raw IPv4 TCP packet a:sp -> b:dp with flags, seq, payload. */
static size_t tcp_pkt(uint8_t *b, uint8_t a, uint16_t sp, uint8_t c, uint16_t dp, uint8_t flags,
                      uint32_t seq, const char *payload)
{
    size_t pl = payload ? strlen(payload) : 0, tl = 40 + pl;
    memset(b, 0, 40);
    b[0] = 0x45, b[2] = (uint8_t)(tl >> 8), b[3] = (uint8_t)tl, b[8] = 64, b[9] = 6;
    b[12] = 10, b[15] = a, b[16] = 10, b[19] = c;
    b[20] = (uint8_t)(sp >> 8), b[21] = (uint8_t)sp, b[22] = (uint8_t)(dp >> 8), b[23] = (uint8_t)dp;
    b[24] = (uint8_t)(seq >> 24), b[25] = (uint8_t)(seq >> 16), b[26] = (uint8_t)(seq >> 8);
    b[27] = (uint8_t)seq, b[32] = 0x50, b[33] = flags;
    if (pl) memcpy(b + 40, payload, pl);
    return tl;
}

struct eng {
    struct nw_output out;
    struct nw_buf recs;
    struct nw_engine *e;
};

static int eng_init(struct eng *g, size_t flow_memcap)
{
    struct nw_engine_config cfg;
    struct nw_sink s = {.name = "t", .write = capture_write};
    nw_buf_init(&g->recs, 0);
    nw_output_init(&g->out);
    s.self = &g->recs;
    nw_output_add_sink(&g->out, &s);
    nw_engine_config_defaults(&cfg);
    if (flow_memcap) cfg.flow_memcap = flow_memcap;
    g->e = nw_engine_new(&cfg, &g->out, NULL);
    if (g->e) nw_engine_set_linktype(g->e, 12 /* DLT_RAW */);
    return g->e ? 0 : -1;
}

static const char *eng_text(struct eng *g)
{
    nw_buf_putc(&g->recs, '\0');
    g->recs.len--;
    return g->recs.data ? g->recs.data : "";
}

static void eng_fini(struct eng *g)
{
    nw_engine_free(g->e);
    nw_output_fini(&g->out);
    nw_buf_fini(&g->recs);
}

static int count(const char *h, const char *n)
{
    int k = 0;
    for (const char *p = h; (p = strstr(p, n)) != NULL; p += strlen(n)) k++;
    return k;
}

TEST(direction_from_synack_and_idle_timeout)
{
    struct eng g;
    uint8_t b[128];
    uint64_t t = 1700000000000000ull;

    CHECK(eng_init(&g, 0) == 0);
    /* first packet seen is the SYN-ACK from the server 10.0.0.2:80 */
    nw_engine_packet(g.e, t, b, tcp_pkt(b, 2, 80, 1, 40000, 0x12, 500, NULL), 40);
    nw_engine_packet(g.e, t + 1000, b, tcp_pkt(b, 1, 40000, 2, 80, 0x10, 101, NULL), 40);
    /* 11 minutes later another packet elsewhere drives the timeout sweep */
    nw_engine_packet(g.e, t + 660000000ull, b, tcp_pkt(b, 5, 1, 6, 2, 0x02, 1, NULL), 40);
    CHECK_HAS(eng_text(&g), "\"src_ip\":\"10.0.0.1\",\"src_port\":40000,\"dest_ip\":\"10.0.0.2\","
                            "\"dest_port\":80");
    CHECK_HAS(eng_text(&g), "\"pkts_toserver\":1,\"pkts_toclient\":1");
    CHECK_HAS(eng_text(&g), "\"reason\":\"timeout\"");
    nw_engine_finish(g.e);
    CHECK_EQ(count(eng_text(&g), "\"event_type\":\"flow\""), 2);
    CHECK_HAS(eng_text(&g), "\"reason\":\"shutdown\"");
    eng_fini(&g);
}

TEST(port_reuse_after_fin_is_new_flow)
{
    struct eng g;
    uint8_t b[128];
    uint64_t t = 1700000000000000ull;

    CHECK(eng_init(&g, 0) == 0);
    for (int conn = 0; conn < 2; conn++) {
        uint32_t cs = 1000u + (uint32_t)conn * 100000u;
        nw_engine_packet(g.e, t++, b, tcp_pkt(b, 1, 40000, 2, 80, 0x02, cs, NULL), 40);
        nw_engine_packet(g.e, t++, b, tcp_pkt(b, 2, 80, 1, 40000, 0x12, 9, NULL), 40);
        nw_engine_packet(g.e, t++, b, tcp_pkt(b, 1, 40000, 2, 80, 0x11, cs + 1, NULL), 40);
        nw_engine_packet(g.e, t++, b, tcp_pkt(b, 2, 80, 1, 40000, 0x11, 10, NULL), 40);
    }
    nw_engine_finish(g.e);
    CHECK_EQ(count(eng_text(&g), "\"event_type\":\"flow\""), 2);
    CHECK_HAS(eng_text(&g), "\"reason\":\"reuse\"");
    eng_fini(&g);
}

TEST(memcap_evicts_oldest_and_never_grows)
{
    struct eng g;
    uint8_t b[128];
    uint64_t t = 1700000000000000ull;

    CHECK(eng_init(&g, 20 * 1024) == 0); /* room for a few dozen flows */
    for (int i = 0; i < 2000; i++)
        nw_engine_packet(g.e, t + (uint64_t)i, b,
                         tcp_pkt(b, 1, (uint16_t)(1024 + i), 2, 80, 0x02, 1, NULL), 40);
    CHECK(nw_engine_stats(g.e)->flows == 2000);
    CHECK_HAS(eng_text(&g), "\"reason\":\"memcap\"");
    nw_engine_finish(g.e);
    CHECK_EQ(count(eng_text(&g), "\"event_type\":\"flow\""), 2000);
    eng_fini(&g);
}


/*
 * Churn through the slot array: thousands of connections, a third of them
 * closed by RST each round (their flows are swept 10 s later, which frees
 * slots and shifts probe runs) and reopened in the next. A lookup that missed
 * a live flow would open a duplicate, one that found a stale slot would merge
 * two flows: either breaks the per-connection record count or packet total.
 */
TEST(slot_churn_matches_model)
{
    enum { HOSTS = 100, PORTS = 30, N = HOSTS * PORTS, ROUNDS = 6 };
    static int sent[N], want_recs[N], seen_recs[N], seen_pkts[N];
    static unsigned char open[N], rst[N];
    struct eng g;
    uint8_t b[128];
    uint64_t t = 1700000000000000ull, rng = 42;
    const char *p;
    int bad = 0;

    memset(sent, 0, sizeof sent);
    memset(want_recs, 0, sizeof want_recs);
    memset(seen_recs, 0, sizeof seen_recs);
    memset(seen_pkts, 0, sizeof seen_pkts);
    memset(open, 0, sizeof open);
    CHECK(eng_init(&g, 0) == 0);
    for (int r = 0; r < ROUNDS; r++) {
        memset(rst, 0, sizeof rst);
        for (int k = 0; k < 3 * N; k++) {
            int i;
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            i = (int)((rng >> 33) % N);
            nw_engine_packet(g.e, t++, b,
                             tcp_pkt(b, (uint8_t)(1 + i / PORTS), (uint16_t)(20000 + i % PORTS),
                                     250, 80, 0x10, 1, NULL),
                             40);
            sent[i]++;
            if (!open[i]) want_recs[i]++;
            open[i] = 1;
        }
        for (int i = 0; i < N; i++) {
            if (!open[i] || (i + r) % 3 != 0) continue;
            nw_engine_packet(g.e, t++, b,
                             tcp_pkt(b, (uint8_t)(1 + i / PORTS), (uint16_t)(20000 + i % PORTS),
                                     250, 80, 0x14, 1, NULL),
                             40);
            sent[i]++;
            rst[i] = 1;
        }
        t += 11000000ull; /* past tcp_closed_s: the next packet sweeps the reset flows */
        for (int i = 0; i < N; i++)
            if (rst[i]) open[i] = 0;
    }
    nw_engine_finish(g.e);
    for (p = eng_text(&g); (p = strstr(p, "\"src_ip\":\"10.0.0.")) != NULL;) {
        unsigned a = 0, port = 0, pk = 0;
        p += strlen("\"src_ip\":\"10.0.0.");
        while (*p >= '0' && *p <= '9') a = a * 10 + (unsigned)(*p++ - '0');
        p = strstr(p, "\"src_port\":");
        if (p == NULL) break;
        for (p += strlen("\"src_port\":"); *p >= '0' && *p <= '9'; p++)
            port = port * 10 + (unsigned)(*p - '0');
        p = strstr(p, "\"pkts_toserver\":");
        if (p == NULL) break;
        for (p += strlen("\"pkts_toserver\":"); *p >= '0' && *p <= '9'; p++)
            pk = pk * 10 + (unsigned)(*p - '0');
        if (a < 1 || a > HOSTS || port < 20000 || port >= 20000 + PORTS) {
            bad++;
            continue;
        }
        seen_recs[(a - 1) * PORTS + (port - 20000)]++;
        seen_pkts[(a - 1) * PORTS + (port - 20000)] += (int)pk;
    }
    for (int i = 0; i < N; i++)
        if (seen_pkts[i] != sent[i] || seen_recs[i] != want_recs[i]) bad++;
    CHECK_EQ(bad, 0);
    CHECK(nw_engine_stats(g.e)->flows > (uint64_t)N); /* reopened flows were created */
    eng_fini(&g);
}

/*
 * The end-of-input flush clears the slot array at once instead of removing
 * flows one by one: afterwards the table must be empty and usable, so the
 * same connections start new flows, each ended exactly once by a second
 * flush (a stale slot would merge them into a freed flow; ASan sees that).
 */
TEST(flush_leaves_table_empty_and_usable)
{
    enum { N = 300 };
    struct eng g;
    uint8_t b[128];
    uint64_t t = 1700000000000000ull;

    CHECK(eng_init(&g, 0) == 0);
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < N; i++)
            for (int k = 0; k < 2; k++)
                nw_engine_packet(g.e, t++, b,
                                 tcp_pkt(b, (uint8_t)(1 + i % 50), (uint16_t)(30000 + i), 250,
                                         443, 0x10, 1, NULL),
                                 40);
        nw_engine_finish(g.e);
        CHECK_EQ(count(eng_text(&g), "\"event_type\":\"flow\""), (size_t)N * (round + 1));
        CHECK_EQ(count(eng_text(&g), "\"pkts_toserver\":2,"), (size_t)N * (round + 1));
    }
    CHECK_EQ(nw_engine_stats(g.e)->flows, (uint64_t)2 * N);
    eng_fini(&g);
}

NW_TEST_MAIN(NWT_ENTRY(reassembly_matches_model) NWT_ENTRY(hole_becomes_gap_at_bound)
                 NWT_ENTRY(direction_from_synack_and_idle_timeout)
                 NWT_ENTRY(port_reuse_after_fin_is_new_flow)
                 NWT_ENTRY(memcap_evicts_oldest_and_never_grows)
                 NWT_ENTRY(slot_churn_matches_model)
                 NWT_ENTRY(flush_leaves_table_empty_and_usable))
