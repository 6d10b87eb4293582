/* test_identity.c - the identity table: bindings over time, merging, history,
 * session records, expiry, memcap, the static CSV map. */
#include "nw/identity.h"

#include <arpa/inet.h>

#include "nw/output.h"
#include "nwtest.h"

#define T0 1700000000000000ull /* 2023-11-14T22:13:20Z */
#define SEC 1000000ull

struct fix {
    struct nw_output out;
    struct nw_buf rec;
    struct nw_identity *id;
};

static int cap_write(void *self, const char *type, const char *line, size_t len)
{
    (void)type;
    nw_buf_append(self, line, len);
    return 0;
}

static int fix_init(struct fix *f, size_t memcap)
{
    struct nw_sink s = {.name = "test", .write = cap_write};
    nw_buf_init(&f->rec, 0);
    nw_output_init(&f->out);
    s.self = &f->rec;
    nw_output_add_sink(&f->out, &s);
    f->id = nw_identity_new(memcap, &f->out);
    return f->id != NULL;
}

static void fix_fini(struct fix *f)
{
    nw_identity_free(f->id);
    nw_output_fini(&f->out);
    nw_buf_fini(&f->rec);
}

static const char *recs(struct fix *f)
{
    nw_buf_putc(&f->rec, '\0');
    f->rec.len--;
    return f->rec.data ? f->rec.data : "";
}

static int count(struct fix *f, const char *needle)
{
    int n = 0;
    const char *p = recs(f);
    while ((p = strstr(p, needle)) != NULL) n++, p++;
    return n;
}

static struct nw_ident_info info(int source, const char *ip)
{
    struct nw_ident_info in;
    memset(&in, 0, sizeof in);
    in.source = source;
    if (inet_pton(AF_INET, ip, in.ip) == 1) in.family = 4;
    else if (inet_pton(AF_INET6, ip, in.ip) == 1) in.family = 6;
    return in;
}

/* The user object written for ip at ts, or "" if none. */
static const char *user_at(struct fix *f, const char *ip, uint64_t ts, struct nw_buf *b)
{
    struct nw_ident_info in = info(0, ip);
    nw_buf_reset(b);
    if (!nw_identity_write_user(f->id, b, in.family, in.ip, ts)) return "";
    nw_buf_putc(b, '\0');
    return b->data;
}

TEST(radius_binding_over_time)
{
    struct fix f;
    struct nw_buf b;
    struct nw_ident_info in = info(NW_IDSRC_RADIUS, "10.1.2.3");
    CHECK(fix_init(&f, 0));
    nw_buf_init(&b, 0);
    strcpy(in.account, "alice");
    strcpy(in.calling_station, "13800138000");
    strcpy(in.session_id, "S1");
    CHECK_EQ(nw_identity_login(f.id, &in, T0 + 5 * SEC), 0);
    CHECK_STR(user_at(&f, "10.1.2.3", T0 + 4 * SEC, &b), "");
    CHECK_STR(user_at(&f, "10.1.2.3", T0 + 5 * SEC, &b),
              "\"user\":{\"ip\":\"10.1.2.3\",\"account\":\"alice\",\"calling_station\":"
              "\"13800138000\",\"source\":\"radius\",\"session_id\":\"S1\"}");
    CHECK_EQ(nw_identity_logout(f.id, &in, T0 + 65 * SEC + 250000, "stop"), 0);
    /* history: a record timed inside the session, written after the Stop */
    CHECK_HAS(user_at(&f, "10.1.2.3", T0 + 30 * SEC, &b), "\"account\":\"alice\"");
    CHECK_STR(user_at(&f, "10.1.2.3", T0 + 65 * SEC + 250000, &b), "");
    CHECK_STR(user_at(&f, "10.1.2.4", T0 + 30 * SEC, &b), "");
    CHECK_EQ(count(&f, "\"event_type\":\"session\""), 2);
    CHECK_HAS(recs(&f), "\"state\":\"start\",\"source\":\"radius\"");
    CHECK_HAS(recs(&f), "\"state\":\"end\",\"source\":\"radius\"");
    CHECK_HAS(recs(&f), "\"duration\":60.250000,\"reason\":\"stop\"");
    CHECK_HAS(recs(&f), "\"src_ip\":\"10.1.2.3\"");
    /* a second stop finds nothing open */
    CHECK_EQ(nw_identity_logout(f.id, &in, T0 + 70 * SEC, "stop"), NW_ENOENT);
    nw_buf_fini(&b);
    fix_fini(&f);
}

TEST(merge_radius_and_dhcp)
{
    struct fix f;
    struct nw_buf b;
    struct nw_ident_info d = info(NW_IDSRC_DHCP, "10.0.0.7"), r = info(NW_IDSRC_RADIUS, "10.0.0.7");
    static const uint8_t mac[6] = {0, 0x11, 0x22, 0x33, 0x44, 0x55};
    CHECK(fix_init(&f, 0));
    nw_buf_init(&b, 0);
    d.has_mac = 1;
    memcpy(d.mac, mac, 6);
    strcpy(d.hostname, "laptop-7");
    strcpy(d.session_id, "0x00003d1e");
    d.lease_us = 3600 * SEC;
    CHECK_EQ(nw_identity_login(f.id, &d, T0), 0);
    CHECK_STR(user_at(&f, "10.0.0.7", T0 + SEC, &b),
              "\"user\":{\"ip\":\"10.0.0.7\",\"mac\":\"00:11:22:33:44:55\",\"hostname\":"
              "\"laptop-7\",\"source\":\"dhcp\",\"session_id\":\"0x00003d1e\"}");
    strcpy(r.account, "bob");
    strcpy(r.calling_station, "00-11-22-33-44-55");
    CHECK_EQ(nw_identity_login(f.id, &r, T0 + 10 * SEC), 0);
    CHECK_STR(user_at(&f, "10.0.0.7", T0 + 11 * SEC, &b),
              "\"user\":{\"ip\":\"10.0.0.7\",\"account\":\"bob\",\"mac\":\"00:11:22:33:44:55\","
              "\"calling_station\":\"00-11-22-33-44-55\",\"hostname\":\"laptop-7\","
              "\"source\":\"radius\"}");
    /* before the RADIUS login only the lease applies */
    CHECK_HAS(user_at(&f, "10.0.0.7", T0 + 9 * SEC, &b), "\"source\":\"dhcp\"");
    CHECK_LACKS(user_at(&f, "10.0.0.7", T0 + 9 * SEC, &b), "bob");
    nw_buf_fini(&b);
    fix_fini(&f);
}

TEST(dhcp_renew_release_expiry)
{
    struct fix f;
    struct nw_buf b;
    struct nw_ident_info d = info(NW_IDSRC_DHCP, "192.168.0.10");
    struct nw_identity_stats st;
    CHECK(fix_init(&f, 0));
    nw_buf_init(&b, 0);
    d.has_mac = 1;
    d.mac[5] = 0x42;
    d.lease_us = 100 * SEC;
    CHECK_EQ(nw_identity_login(f.id, &d, T0), 0);
    /* renewal at 50 s: same binding, lease extended to 150 s, no new session */
    CHECK_EQ(nw_identity_login(f.id, &d, T0 + 50 * SEC), 0);
    CHECK_EQ(count(&f, "\"state\":\"start\""), 1);
    CHECK_HAS(user_at(&f, "192.168.0.10", T0 + 120 * SEC, &b), "\"source\":\"dhcp\"");
    nw_identity_expire(f.id, T0 + 140 * SEC);
    CHECK_EQ(count(&f, "\"state\":\"end\""), 0);
    /* between expiry and the sweep the lease no longer applies */
    CHECK_STR(user_at(&f, "192.168.0.10", T0 + 151 * SEC, &b), "");
    nw_identity_expire(f.id, T0 + 151 * SEC);
    CHECK_HAS(recs(&f), "\"reason\":\"expiry\"");
    CHECK_HAS(recs(&f), "\"duration\":150.000000");
    /* new lease, then a RELEASE from another MAC is ignored, the right one ends it */
    CHECK_EQ(nw_identity_login(f.id, &d, T0 + 200 * SEC), 0);
    {
        struct nw_ident_info other = d;
        other.mac[5] = 0x43;
        CHECK_EQ(nw_identity_logout(f.id, &other, T0 + 210 * SEC, "release"), NW_ENOENT);
    }
    CHECK_EQ(nw_identity_logout(f.id, &d, T0 + 220 * SEC, "release"), 0);
    CHECK_HAS(recs(&f), "\"reason\":\"release\"");
    nw_identity_get_stats(f.id, &st);
    CHECK_EQ(st.bindings, 2);
    CHECK_EQ(st.open, 0);
    CHECK_EQ(st.sessions, 4);
    nw_buf_fini(&b);
    fix_fini(&f);
}

TEST(finish_and_replace)
{
    struct fix f;
    struct nw_ident_info a = info(NW_IDSRC_PPPOE, "2001:db8::1");
    CHECK(fix_init(&f, 0));
    strcpy(a.account, "carol");
    strcpy(a.session_id, "17");
    CHECK_EQ(nw_identity_login(f.id, &a, T0), 0);
    /* another session id for the same address: the old one ends as replaced */
    strcpy(a.account, "dave");
    strcpy(a.session_id, "18");
    CHECK_EQ(nw_identity_login(f.id, &a, T0 + SEC), 0);
    CHECK_HAS(recs(&f), "\"reason\":\"replaced\"");
    nw_identity_finish(f.id, T0 + 10 * SEC);
    nw_identity_finish(f.id, T0 + 11 * SEC); /* twice: no second record */
    CHECK_EQ(count(&f, "\"reason\":\"end_of_input\""), 1);
    CHECK_HAS(recs(&f), "\"logout\":null,\"duration\":9.000000,\"reason\":\"end_of_input\"");
    CHECK_HAS(recs(&f), "\"src_ip\":\"2001:db8::1\"");
    fix_fini(&f);
}

TEST(stop_without_start_and_nas_restart)
{
    struct fix f;
    struct nw_buf b;
    struct nw_ident_info r = info(NW_IDSRC_RADIUS, "10.9.9.9"), s = info(NW_IDSRC_RADIUS, "10.9.9.8");
    CHECK(fix_init(&f, 0));
    nw_buf_init(&b, 0);
    strcpy(r.account, "erin");
    r.since_us = T0;
    CHECK_EQ(nw_identity_logout(f.id, &r, T0 + 100 * SEC, "stop"), 0);
    CHECK_HAS(user_at(&f, "10.9.9.9", T0 + 50 * SEC, &b), "erin");
    CHECK_HAS(recs(&f), "\"login_estimated\":true");
    /* Accounting-On from the NAS ends its sessions only */
    strcpy(s.account, "frank");
    strcpy(s.nas, "10.0.0.1");
    CHECK_EQ(nw_identity_login(f.id, &s, T0 + 10 * SEC), 0);
    CHECK_EQ(nw_identity_logout_nas(f.id, "10.0.0.2", T0 + 20 * SEC, "accounting_on"), 0);
    CHECK_EQ(nw_identity_logout_nas(f.id, "10.0.0.1", T0 + 20 * SEC, "accounting_on"), 1);
    CHECK_STR(user_at(&f, "10.9.9.8", T0 + 21 * SEC, &b), "");
    CHECK_HAS(recs(&f), "\"reason\":\"accounting_on\"");
    nw_buf_fini(&b);
    fix_fini(&f);
}

TEST(memcap_drops_oldest_ended)
{
    struct fix f;
    struct nw_buf b;
    struct nw_identity_stats st;
    char ip[32];
    CHECK(fix_init(&f, 64 * 1024));
    nw_buf_init(&b, 0);
    for (int i = 0; i < 2000; i++) {
        struct nw_ident_info r;
        snprintf(ip, sizeof ip, "10.%d.%d.1", i / 250, i % 250);
        r = info(NW_IDSRC_RADIUS, ip);
        snprintf(r.account, sizeof r.account, "user%d", i);
        CHECK_EQ(nw_identity_login(f.id, &r, T0 + (uint64_t)i * SEC), 0);
        CHECK_EQ(nw_identity_logout(f.id, &r, T0 + (uint64_t)i * SEC + 1, "stop"), 0);
    }
    nw_identity_get_stats(f.id, &st);
    CHECK(st.bytes <= 64 * 1024);
    CHECK(st.dropped > 0);
    /* the newest history survives, the oldest went first */
    CHECK_HAS(user_at(&f, "10.7.249.1", T0 + 1999 * SEC, &b), "user1999");
    CHECK_STR(user_at(&f, "10.0.0.1", T0, &b), "");
    /* open bindings are never dropped: fill with them until refused */
    {
        int refused = 0;
        for (int i = 0; i < 5000 && !refused; i++) {
            struct nw_ident_info r;
            snprintf(ip, sizeof ip, "172.16.%d.%d", i / 250, i % 250);
            r = info(NW_IDSRC_RADIUS, ip);
            refused = nw_identity_login(f.id, &r, T0 + 3000 * SEC) == NW_ENOMEM;
        }
        CHECK(refused);
    }
    nw_identity_get_stats(f.id, &st);
    CHECK(st.refused > 0);
    CHECK(st.bytes <= 64 * 1024);
    nw_buf_fini(&b);
    fix_fini(&f);
}

TEST(per_address_history_bounded)
{
    struct fix f;
    struct nw_buf b;
    struct nw_identity_stats st;
    CHECK(fix_init(&f, 0));
    nw_buf_init(&b, 0);
    for (int i = 0; i < 100; i++) {
        struct nw_ident_info r = info(NW_IDSRC_RADIUS, "10.5.5.5");
        snprintf(r.session_id, sizeof r.session_id, "s%d", i);
        CHECK_EQ(nw_identity_login(f.id, &r, T0 + (uint64_t)i * 10 * SEC), 0);
        CHECK_EQ(nw_identity_logout(f.id, &r, T0 + (uint64_t)i * 10 * SEC + 5 * SEC, "stop"), 0);
    }
    nw_identity_get_stats(f.id, &st);
    CHECK(st.bindings <= 16);
    CHECK_HAS(user_at(&f, "10.5.5.5", T0 + 991 * SEC, &b), "\"session_id\":\"s99\"");
    CHECK_STR(user_at(&f, "10.5.5.5", T0 + 996 * SEC, &b), "");
    nw_buf_fini(&b);
    fix_fini(&f);
}

TEST(static_map_good)
{
    struct fix f;
    struct nw_buf b;
    struct nw_err err = {{0}};
    static const char csv[] = "# ip,mac,account,calling_station,hostname\n"
                              "10.0.0.5, aa:bb:cc:dd:ee:ff , printer-admin,,printer1\r\n"
                              "\n"
                              "2001:db8::5,,,,srv5   # a server\n"
                              "10.0.0.6,AA-BB-CC-DD-EE-01\n";
    CHECK(fix_init(&f, 0));
    nw_buf_init(&b, 0);
    CHECK_EQ(nw_identity_load_static_buf(f.id, "map.csv", csv, sizeof csv - 1, &err), 0);
    CHECK_STR(user_at(&f, "10.0.0.5", T0, &b),
              "\"user\":{\"ip\":\"10.0.0.5\",\"account\":\"printer-admin\",\"mac\":"
              "\"aa:bb:cc:dd:ee:ff\",\"hostname\":\"printer1\",\"source\":\"static\"}");
    CHECK_HAS(user_at(&f, "2001:db8::5", 1, &b), "\"hostname\":\"srv5\"");
    CHECK_HAS(user_at(&f, "10.0.0.6", T0, &b), "\"mac\":\"aa:bb:cc:dd:ee:01\"");
    /* a RADIUS login wins over the static entry, which still fills the gaps */
    {
        struct nw_ident_info r = info(NW_IDSRC_RADIUS, "10.0.0.5");
        strcpy(r.account, "grace");
        CHECK_EQ(nw_identity_login(f.id, &r, T0), 0);
        CHECK_HAS(user_at(&f, "10.0.0.5", T0, &b), "\"account\":\"grace\",\"mac\":");
        CHECK_HAS(user_at(&f, "10.0.0.5", T0, &b), "\"source\":\"radius\"");
    }
    nw_identity_finish(f.id, T0 + SEC);
    CHECK_EQ(count(&f, "\"source\":\"static\""), 0); /* no sessions for static entries */
    nw_buf_fini(&b);
    fix_fini(&f);
}

TEST(static_map_errors)
{
    static const struct {
        const char *csv, *msg;
    } cases[] = {
        {"10.0.0.1,aa:bb:cc:dd:ee:ff\nnot-an-ip,x\n", "m.csv:2: bad IP address \"not-an-ip\""},
        {"10.0.0.1,aa:bb:cc\n", "m.csv:1: bad MAC address \"aa:bb:cc\""},
        {"# c\n\n10.0.0.1,,a,b,c,d\n", "m.csv:3: more than 5 fields"},
        {"10.0.0.1\n", "m.csv:1: entry names only an address"},
        {"10.0.0.1,,a\"b\n", "m.csv:1: account is longer than"},
    };
    for (size_t i = 0; i < NW_ARRAY_LEN(cases); i++) {
        struct fix f;
        struct nw_err err = {{0}};
        CHECK(fix_init(&f, 0));
        CHECK_EQ(nw_identity_load_static_buf(f.id, "m.csv", cases[i].csv, strlen(cases[i].csv),
                                             &err),
                 NW_EFORMAT);
        CHECK_HAS(err.msg, cases[i].msg);
        CHECK_HAS(err.msg, "expected ip,mac,account,calling_station,hostname");
        fix_fini(&f);
    }
}

TEST(static_map_missing_file)
{
    struct fix f;
    struct nw_err err = {{0}};
    CHECK(fix_init(&f, 0));
    CHECK_EQ(nw_identity_load_static(f.id, "/nonexistent/map.csv", &err), NW_EIO);
    CHECK_HAS(err.msg, "cannot open static map /nonexistent/map.csv");
    fix_fini(&f);
}

/* Reference model: random logins/logouts on a few addresses, checked against a
 * plain list of intervals (no memcap pressure). */
TEST(random_against_model)
{
    struct fix f;
    struct nw_buf b;
    struct iv {
        int ip, src;
        uint64_t start, end; /* end 0 = open */
        char acct[16];
    } ivs[512];
    int niv = 0;
    uint32_t seed = 12345;
    CHECK(fix_init(&f, 0));
    nw_buf_init(&b, 0);
    for (int step = 0; step < 400; step++) {
        uint64_t ts = T0 + (uint64_t)step * SEC;
        char ip[16];
        struct nw_ident_info in;
        int k, open = -1;
        seed = seed * 1103515245u + 12345u;
        k = (int)((seed >> 16) % 4);
        snprintf(ip, sizeof ip, "10.0.0.%d", k);
        in = info(NW_IDSRC_RADIUS, ip);
        for (int i = 0; i < niv; i++)
            if (ivs[i].ip == k && ivs[i].end == 0) open = i;
        if (open >= 0 && (seed >> 8) % 2) {
            snprintf(in.account, sizeof in.account, "%s", ivs[open].acct);
            CHECK_EQ(nw_identity_logout(f.id, &in, ts, "stop"), 0);
            ivs[open].end = ts;
        } else if (open < 0 && niv < 512) {
            snprintf(in.account, sizeof in.account, "u%d", step);
            CHECK_EQ(nw_identity_login(f.id, &in, ts), 0);
            ivs[niv] = (struct iv){k, NW_IDSRC_RADIUS, ts, 0, ""};
            snprintf(ivs[niv].acct, sizeof ivs[niv].acct, "u%d", step);
            niv++;
        }
    }
    /* every address at every half second of the last 60 s agrees with the model
     * (older history may be trimmed per address) */
    for (int k = 0; k < 4; k++) {
        for (uint64_t t = T0 + 340 * SEC; t < T0 + 400 * SEC; t += SEC / 2) {
            char ip[24], want[32] = "";
            const char *got;
            snprintf(ip, sizeof ip, "10.0.0.%d", k);
            for (int i = 0; i < niv; i++)
                if (ivs[i].ip == k && ivs[i].start <= t && (ivs[i].end == 0 || t < ivs[i].end))
                    snprintf(want, sizeof want, "\"account\":\"%s\"", ivs[i].acct);
            got = user_at(&f, ip, t, &b);
            if (want[0]) CHECK_HAS(got, want);
            else CHECK_STR(got, "");
        }
    }
    nw_buf_fini(&b);
    fix_fini(&f);
}

/*
 * Lookups interleaved with changes, at the current time and a little in the
 * past, against a model: catches a cached user object that outlives a login,
 * logout, renewal or lease expiry (the cache is per address, keyed by its
 * change count and the span between binding boundaries).
 */
TEST(cached_user_follows_changes)
{
    struct fix f;
    struct nw_buf b;
    struct iv {
        uint64_t start, end; /* RADIUS: end 0 = open; DHCP: end = lease expiry */
        int step;
    } ivs[8][64];
    int niv[8] = {0};
    uint32_t seed = 777;

    CHECK(fix_init(&f, 0));
    nw_buf_init(&b, 0);
    for (int step = 0; step < 300; step++) {
        uint64_t ts = T0 + (uint64_t)step * SEC / 2;
        int k;
        char ip[24];
        struct nw_ident_info in;
        struct iv *cur;

        seed = seed * 1103515245u + 12345u;
        k = (int)((seed >> 16) % 8);
        snprintf(ip, sizeof ip, k < 4 ? "10.0.0.%d" : "10.0.1.%d", k);
        cur = niv[k] ? &ivs[k][niv[k] - 1] : NULL;
        if (k < 4) { /* RADIUS: alternate login and logout */
            in = info(NW_IDSRC_RADIUS, ip);
            if (cur && cur->end == 0) {
                snprintf(in.account, sizeof in.account, "r%d", cur->step);
                CHECK_EQ(nw_identity_logout(f.id, &in, ts, "stop"), 0);
                cur->end = ts;
            } else if (niv[k] < 64) {
                snprintf(in.account, sizeof in.account, "r%d", step);
                CHECK_EQ(nw_identity_login(f.id, &in, ts), 0);
                ivs[k][niv[k]++] = (struct iv){ts, 0, step};
            }
        } else if (niv[k] < 64 || (cur && ts <= cur->end)) { /* DHCP ACK: renew or new lease */
            uint64_t lease = (1 + (seed >> 8) % 4) * SEC; /* a renewal may also shorten it */
            in = info(NW_IDSRC_DHCP, ip);
            in.has_mac = 1;
            in.mac[5] = (uint8_t)k;
            in.lease_us = lease;
            if (cur && ts <= cur->end) { /* an ACK at the expiry instant still renews */
                snprintf(in.hostname, sizeof in.hostname, "h%d", cur->step);
                cur->end = ts + lease;
            } else {
                snprintf(in.hostname, sizeof in.hostname, "h%d", step);
                ivs[k][niv[k]++] = (struct iv){ts, ts + lease, step};
            }
            CHECK_EQ(nw_identity_login(f.id, &in, ts), 0);
        }
        /* every address, now and up to 2 s back */
        for (int a = 0; a < 8; a++) {
            for (int back = 0; back < 5; back++) {
                uint64_t t = ts - (uint64_t)back * SEC / 2 - (back ? 1 : 0);
                char want[40] = "", aip[24];
                snprintf(aip, sizeof aip, a < 4 ? "10.0.0.%d" : "10.0.1.%d", a);
                if (t < T0) continue;
                for (int i = 0; i < niv[a]; i++) {
                    const struct iv *v = &ivs[a][i];
                    if (v->start <= t && (v->end == 0 || t < v->end))
                        snprintf(want, sizeof want, a < 4 ? "\"account\":\"r%d\"" : "\"hostname\":\"h%d\"",
                                 v->step);
                }
                if (want[0]) CHECK_HAS(user_at(&f, aip, t, &b), want);
                else CHECK_STR(user_at(&f, aip, t, &b), "");
            }
        }
    }
    nw_buf_fini(&b);
    fix_fini(&f);
}

/*
 * Thousands of addresses logging in and out under a small memcap: ended
 * bindings are dropped, their address entries freed, and the open-addressing
 * table shifts probe runs back into the holes. Every open session must stay
 * findable and every closed one must not answer.
 */
TEST(address_table_churn)
{
    enum { N = 3000 };
    static unsigned char open[N];
    struct fix f;
    struct nw_buf b;
    uint32_t seed = 99;
    int bad = 0;

    memset(open, 0, sizeof open);
    CHECK(fix_init(&f, 256 * 1024)); /* room for a few hundred bindings: drops happen */
    nw_buf_init(&b, 0);
    for (int step = 0; step < 20000; step++) {
        uint64_t ts = T0 + (uint64_t)step * 1000;
        char ip[24];
        int k;
        struct nw_ident_info in;
        seed = seed * 1103515245u + 12345u;
        k = (int)((seed >> 12) % N);
        snprintf(ip, sizeof ip, "10.%d.%d.%d", k >> 16, (k >> 8) & 255, k & 255);
        in = info(NW_IDSRC_RADIUS, ip);
        snprintf(in.account, sizeof in.account, "a%d", k);
        if (open[k]) {
            if (nw_identity_logout(f.id, &in, ts, "stop") == 0) open[k] = 0;
        } else if (nw_identity_login(f.id, &in, ts) == 0) {
            open[k] = 1;
        }
        if (step % 100 == 99) { /* check every address */
            for (int a = 0; a < N; a++) {
                char aip[24], want[40];
                const char *got;
                snprintf(aip, sizeof aip, "10.%d.%d.%d", a >> 16, (a >> 8) & 255, a & 255);
                snprintf(want, sizeof want, "\"account\":\"a%d\"", a);
                got = user_at(&f, aip, ts, &b);
                if (open[a] ? strstr(got, want) == NULL : got[0] != '\0') bad++;
            }
        }
    }
    CHECK_EQ(bad, 0);
    {
        struct nw_identity_stats st;
        nw_identity_get_stats(f.id, &st);
        CHECK(st.dropped > 0); /* the memcap did free entries */
    }
    nw_buf_fini(&b);
    fix_fini(&f);
}

TEST(alloc_failures)
{
    /* fail the nth allocation for every n: no crash, no leak, clean errors */
    for (uint64_t n = 1; n < 40; n++) {
        struct nw_output out;
        struct nw_identity *id;
        struct nw_ident_info r = info(NW_IDSRC_RADIUS, "10.1.1.1");
        nw_output_init(&out);
        nw_alloc_fail_at(n);
        id = nw_identity_new(0, &out);
        if (id != NULL) {
            strcpy(r.account, "x");
            nw_identity_login(id, &r, T0);
            strcpy(r.calling_station, "y");
            nw_identity_login(id, &r, T0 + 1);
            nw_identity_logout(id, &r, T0 + 2, "stop");
            r.since_us = T0;
            nw_identity_logout(id, &r, T0 + 3, "stop");
            nw_identity_finish(id, T0 + 4);
        }
        nw_alloc_fail_at(0);
        nw_identity_free(id);
        nw_output_fini(&out);
    }
    CHECK(1);
}

#define X NWT_ENTRY
NW_TEST_MAIN(X(radius_binding_over_time) X(merge_radius_and_dhcp) X(dhcp_renew_release_expiry)
                 X(finish_and_replace) X(stop_without_start_and_nas_restart)
                     X(memcap_drops_oldest_ended) X(per_address_history_bounded)
                         X(static_map_good) X(static_map_errors) X(static_map_missing_file)
                             X(random_against_model) X(cached_user_follows_changes) X(address_table_churn)
                                 X(alloc_failures))
