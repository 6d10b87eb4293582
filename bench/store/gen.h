/*
 * gen.h - deterministic generator of realistic audit records for the store
 * benchmark: a unit of USERS people over DAYS days, in time order.
 *
 * Each user u has a fixed account (u0001), MAC, calling number and hostname.
 * Every day d each user gets an address from 10.20.0.0/16 (a per-day
 * permutation, so addresses move between people from day to day, as DHCP
 * pools do), logs in during the first hour (dhcp ACK, radius Accounting
 * Start, session start) and out during the last (radius Stop, session end).
 * Between 01:00 and 23:00 the records are traffic of random users: dns
 * (request/response, 44 %), flow (25 %), tls (15 %), http (9 %), quic (5 %),
 * login (1 %), smtp (1 %), each with the `user` object of its holder, over
 * ~400 site names with a skewed popularity. Random fields (flow ids, ports,
 * byte counts, query ids, URL ids) carry the entropy real records have.
 *
 * One rare URL token (NEEDLE) appears in about 1 of 50,000 http records:
 * the target of the URL search benchmark. gen_holder() answers "who had
 * this address at this time" for checking `query who`.
 *
 * Everything is a pure function of (seed, records, users, days): the same
 * options give the same bytes. Single-threaded; ~0.2 us per record.
 */
#ifndef NW_BENCH_STORE_GEN_H
#define NW_BENCH_STORE_GEN_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define GEN_NEEDLE "report-7f3a9c"
#define GEN_BASE_S 1783267200ull /* 2026-07-06T00:00:00+08:00 */
#define GEN_OFF_S (8 * 3600)      /* records are written with +08:00 */

struct gen {
    uint64_t seed, records, users, days;
    uint64_t per_day;   /* traffic records per day */
    uint64_t day, i;    /* position: day, index of the next event inside the day */
    uint64_t phase;     /* 0 logins, 1 traffic, 2 logouts */
    uint64_t rng;
    uint64_t produced;
    char buf[4096];
    size_t len;
    /* timestamp cache */
    uint64_t ts_sec;
    char ts_txt[32]; /* "2026-07-06T00:00:00" */
};

static inline uint64_t gen_mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

static inline uint64_t gen_rand(struct gen *g)
{
    g->rng ^= g->rng << 13;
    g->rng ^= g->rng >> 7;
    g->rng ^= g->rng << 17;
    return g->rng * 0x2545f4914f6cdd1dull;
}

/* Login/logout records per user-day: dhcp ack, radius start, session start; radius stop, session end. */
#define GEN_LOGIN_RECS 3
#define GEN_LOGOUT_RECS 2

static inline void gen_init(struct gen *g, uint64_t seed, uint64_t records, uint64_t users,
                            uint64_t days)
{
    memset(g, 0, sizeof *g);
    g->seed = seed;
    g->records = records;
    g->users = users ? users : 1;
    g->days = days ? days : 1;
    {
        uint64_t fixed = g->users * (GEN_LOGIN_RECS + GEN_LOGOUT_RECS) * g->days;
        g->per_day = records > fixed ? (records - fixed) / g->days : 0;
    }
    g->rng = gen_mix(seed ^ 0x9e3779b97f4a7c15ull) | 1;
    g->ts_sec = UINT64_MAX;
}

/* The address user u holds on day d: 10.20.x.y, a permutation of users per day. */
static inline uint32_t gen_addr(const struct gen *g, uint64_t d, uint64_t u)
{
    /* affine permutation mod a prime >= users; walk until inside */
    const uint64_t p = 65521; /* prime, > 2000 users; addresses 10.20.0.0 .. 10.20.255.240 */
    uint64_t a = 1 + gen_mix(g->seed + d * 7919) % (p - 1), b = gen_mix(g->seed ^ (d + 1)) % p;
    uint64_t x = (a * u + b) % p;
    return (10u << 24) | (20u << 16) | (uint32_t)(x + 2); /* 10.20.0.1 is the router */
}

/* Which user holds address on day d (inverse of gen_addr); UINT64_MAX if none. */
static inline uint64_t gen_holder_on_day(const struct gen *g, uint64_t d, uint32_t addr)
{
    for (uint64_t u = 0; u < g->users; u++)
        if (gen_addr(g, d, u) == addr) return u;
    return UINT64_MAX;
}

/* Login and logout times of user u on day d (us since the epoch). */
static inline uint64_t gen_login_us(const struct gen *g, uint64_t d, uint64_t u)
{
    return (GEN_BASE_S + d * 86400) * 1000000ull + (3600000000ull * u) / g->users;
}
static inline uint64_t gen_logout_us(const struct gen *g, uint64_t d, uint64_t u)
{
    return (GEN_BASE_S + d * 86400 + 23 * 3600) * 1000000ull + (3600000000ull * u) / g->users +
           500000;
}

/* ---- output helpers ---- */
static inline void P(struct gen *g, const char *s)
{
    size_t n = strlen(s);
    memcpy(g->buf + g->len, s, n);
    g->len += n;
}
static inline void PN(struct gen *g, const char *s, size_t n)
{
    memcpy(g->buf + g->len, s, n);
    g->len += n;
}
static inline void PU(struct gen *g, uint64_t v)
{
    char t[24];
    int n = 0;
    do {
        t[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n) g->buf[g->len++] = t[--n];
}
static inline void PIP(struct gen *g, uint32_t a)
{
    PU(g, a >> 24);
    g->buf[g->len++] = '.';
    PU(g, (a >> 16) & 255);
    g->buf[g->len++] = '.';
    PU(g, (a >> 8) & 255);
    g->buf[g->len++] = '.';
    PU(g, a & 255);
}
static inline void P2(struct gen *g, unsigned v)
{
    g->buf[g->len++] = (char)('0' + v / 10 % 10);
    g->buf[g->len++] = (char)('0' + v % 10);
}
static inline void PTS(struct gen *g, uint64_t us)
{
    uint64_t sec = us / 1000000;
    unsigned frac = (unsigned)(us % 1000000);
    if (sec != g->ts_sec) {
        /* civil date of local time (+08:00) */
        int64_t z = (int64_t)((sec + GEN_OFF_S) / 86400) + 719468;
        uint64_t sod = (sec + GEN_OFF_S) % 86400;
        int64_t era = z / 146097;
        unsigned doe = (unsigned)(z - era * 146097);
        unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        int64_t y = (int64_t)yoe + era * 400;
        unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        unsigned mp = (5 * doy + 2) / 153;
        unsigned dd = doy - (153 * mp + 2) / 5 + 1;
        unsigned mm = mp < 10 ? mp + 3 : mp - 9;
        y += mm <= 2;
        snprintf(g->ts_txt, sizeof g->ts_txt, "%04d-%02u-%02uT%02u:%02u:%02u", (int)y, mm, dd,
                 (unsigned)(sod / 3600), (unsigned)(sod / 60 % 60), (unsigned)(sod % 60));
        g->ts_sec = sec;
    }
    g->buf[g->len++] = '"';
    PN(g, g->ts_txt, 19);
    g->buf[g->len++] = '.';
    {
        char t[6];
        for (int k = 5; k >= 0; k--) {
            t[k] = (char)('0' + frac % 10);
            frac /= 10;
        }
        PN(g, t, 6);
    }
    P(g, "+08:00\"");
}
static inline void PHEX(struct gen *g, uint64_t v, int n)
{
    static const char hx[] = "0123456789abcdef";
    for (int k = n - 1; k >= 0; k--) g->buf[g->len++] = hx[(v >> (4 * k)) & 15];
}

/* ---- the unit's world ---- */
static const char *const gen_sites[] = {
    "baidu.com", "qq.com", "weixin.qq.com", "taobao.com", "tmall.com", "jd.com", "163.com",
    "sina.com.cn", "weibo.com", "bilibili.com", "douyin.com", "zhihu.com", "alipay.com",
    "aliyun.com", "csdn.net", "sohu.com", "ifeng.com", "xinhuanet.com", "people.com.cn",
    "gov.cn", "12306.cn", "ctrip.com", "meituan.com", "dianping.com", "pinduoduo.com",
    "iqiyi.com", "youku.com", "kuaishou.com", "toutiao.com", "microsoft.com", "apple.com",
    "icloud.com", "windowsupdate.com", "office.com", "github.com", "bing.com", "amap.com",
    "ximalaya.com", "xiaohongshu.com", "huawei.com", "mi.com", "vivo.com.cn", "oppo.com",
    "cnki.net", "edu.cn", "chinamobile.com", "10086.cn", "189.cn", "wps.cn", "dingtalk.com",
};
static const char *const gen_sub[] = {"www", "api", "img", "static", "m", "cdn", "s1",
                                      "login", "pan", "video", "mail", "news"};
static const char *const gen_ua[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47",
    "Mozilla/5.0 (Linux; Android 14; 23116PN5BC) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.0.0 Mobile Safari/537.36",
    "okhttp/4.9.3", "Microsoft-CryptoAPI/10.0", "WeChat/8.0.47 CFNetwork/1494.0.7 Darwin/23.4.0",
};
static const char *const gen_ja3[] = {"cd08e31494f9531f560d64c695473da9",
                                      "773906b0efdefa24a7f2b8eb6985bf37",
                                      "b32309a26951912be7dba376398abc3b",
                                      "579ccef312d18482fc42e2b822ca2430"};
static const char *const gen_ja4[] = {"t13d1516h2_8daaf6152771_e5627efa2ab1",
                                      "t13d1715h2_5b57614c22b0_3d5424432f57",
                                      "t12d1209h2_d34a8e72043a_b39be8c56a14",
                                      "q13d0312h3_55b375c5d22e_06cda9e17597"};
static const char *const gen_path[] = {"/", "/index.html", "/api/v2/feed", "/s", "/search",
                                       "/static/js/app.js", "/img/banner.jpg", "/news/detail",
                                       "/item", "/video/play", "/download", "/login"};

/* Skewed pick in [0, n): popular names first. */
static inline unsigned gen_skew(struct gen *g, unsigned n)
{
    uint64_t r = gen_rand(g) >> 40; /* 24 bits */
    return (unsigned)(((r * r) >> 24) * n >> 24);
}

static inline void gen_site(struct gen *g, unsigned *si, unsigned *sub)
{
    *si = gen_skew(g, (unsigned)(sizeof gen_sites / sizeof gen_sites[0]));
    *sub = (unsigned)(gen_rand(g) >> 60) % (unsigned)(sizeof gen_sub / sizeof gen_sub[0]);
}
static inline void PHOST(struct gen *g, unsigned si, unsigned sub)
{
    P(g, gen_sub[sub]);
    g->buf[g->len++] = '.';
    P(g, gen_sites[si]);
}
static inline uint32_t gen_site_ip(unsigned si, unsigned sub)
{
    uint64_t h = gen_mix(si * 131 + sub + 1);
    return (uint32_t)((h & 0x7fffffff) | 0x01000000u) & 0xdfffffffu;
}

static inline void PUSER(struct gen *g, uint64_t d, uint64_t u, int src)
{
    P(g, ",\"user\":{\"ip\":\"");
    PIP(g, gen_addr(g, d, u));
    P(g, "\",\"account\":\"u");
    PU(g, 10000 + u);
    P(g, "\",\"mac\":\"02:4e:57:");
    PHEX(g, (u >> 16) & 255, 2);
    g->buf[g->len++] = ':';
    PHEX(g, (u >> 8) & 255, 2);
    g->buf[g->len++] = ':';
    PHEX(g, u & 255, 2);
    P(g, "\",\"calling_station\":\"1380013");
    PU(g, 1000 + u);
    P(g, "\",\"hostname\":\"pc-");
    PU(g, 10000 + u);
    P(g, src ? "\",\"source\":\"radius\",\"session_id\":\"S" : "\",\"source\":\"radius\",\"session_id\":\"S");
    PU(g, d * 100000 + u);
    P(g, "\"}");
}

static inline void PHEAD(struct gen *g, uint64_t ts, const char *type, int with_flow)
{
    P(g, "{\"timestamp\":");
    PTS(g, ts);
    if (with_flow) {
        P(g, ",\"flow_id\":");
        PU(g, gen_rand(g) >> 13);
    }
    P(g, ",\"event_type\":\"");
    P(g, type);
    g->buf[g->len++] = '"';
}
static inline void PEP(struct gen *g, uint32_t src, unsigned sport, uint32_t dst, unsigned dport,
                       const char *proto)
{
    P(g, ",\"src_ip\":\"");
    PIP(g, src);
    P(g, "\",\"src_port\":");
    PU(g, sport);
    P(g, ",\"dest_ip\":\"");
    PIP(g, dst);
    P(g, "\",\"dest_port\":");
    PU(g, dport);
    P(g, ",\"proto\":\"");
    P(g, proto);
    g->buf[g->len++] = '"';
}

static inline void gen_login(struct gen *g, uint64_t d, uint64_t u, int k)
{
    uint64_t t = gen_login_us(g, d, u) + (uint64_t)k * 1000;
    uint32_t ip = gen_addr(g, d, u);
    if (k == 0) {
        PHEAD(g, t, "dhcp", 1);
        PEP(g, 0x0a140001u, 67, ip, 68, "UDP");
        P(g, ",\"dhcp\":{\"type\":\"reply\",\"id\":");
        PU(g, gen_rand(g) >> 32);
        P(g, ",\"client_mac\":\"02:4e:57:");
        PHEX(g, (u >> 16) & 255, 2);
        g->buf[g->len++] = ':';
        PHEX(g, (u >> 8) & 255, 2);
        g->buf[g->len++] = ':';
        PHEX(g, u & 255, 2);
        P(g, "\",\"assigned_ip\":\"");
        PIP(g, ip);
        P(g, "\",\"client_ip\":\"0.0.0.0\",\"relay_ip\":\"0.0.0.0\",\"next_server_ip\":\"0.0.0.0\","
             "\"dhcp_type\":\"ack\",\"client_hostname\":\"pc-");
        PU(g, 10000 + u);
        P(g, "\",\"server_id\":\"10.20.0.1\",\"lease_time\":86400,\"subnet_mask\":\"255.255.0.0\","
             "\"routers\":[\"10.20.0.1\"],\"dns_servers\":[\"10.0.0.53\"]}}");
    } else if (k == 1) {
        PHEAD(g, t, "radius", 1);
        PEP(g, 0x0a000001u, 40001, 0x0a000002u, 1813, "UDP");
        P(g, ",\"radius\":{\"code\":4,\"code_name\":\"Accounting-Request\",\"id\":");
        PU(g, gen_rand(g) >> 56);
        P(g, ",\"user_name\":\"u");
        PU(g, 10000 + u);
        P(g, "\",\"calling_station_id\":\"1380013");
        PU(g, 1000 + u);
        P(g, "\",\"framed_ip\":\"");
        PIP(g, ip);
        P(g, "\",\"nas_ip\":\"10.0.0.1\",\"nas_identifier\":\"bras-1\",\"acct_status_type\":1,"
             "\"acct_status_name\":\"Start\",\"acct_session_id\":\"S");
        PU(g, d * 100000 + u);
        P(g, "\"}");
        PUSER(g, d, u, 1);
        g->buf[g->len++] = '}';
    } else {
        PHEAD(g, t, "session", 0);
        P(g, ",\"src_ip\":\"");
        PIP(g, ip);
        P(g, "\",\"session\":{\"state\":\"start\",\"source\":\"radius\",\"login\":");
        PTS(g, gen_login_us(g, d, u) + 1000);
        P(g, ",\"nas\":\"10.0.0.1\"}");
        PUSER(g, d, u, 1);
        g->buf[g->len++] = '}';
    }
}

static inline void gen_logout(struct gen *g, uint64_t d, uint64_t u, int k)
{
    uint64_t t = gen_logout_us(g, d, u) + (uint64_t)k * 1000;
    uint32_t ip = gen_addr(g, d, u);
    if (k == 0) {
        PHEAD(g, t, "radius", 1);
        PEP(g, 0x0a000001u, 40001, 0x0a000002u, 1813, "UDP");
        P(g, ",\"radius\":{\"code\":4,\"code_name\":\"Accounting-Request\",\"id\":");
        PU(g, gen_rand(g) >> 56);
        P(g, ",\"user_name\":\"u");
        PU(g, 10000 + u);
        P(g, "\",\"calling_station_id\":\"1380013");
        PU(g, 1000 + u);
        P(g, "\",\"framed_ip\":\"");
        PIP(g, ip);
        P(g, "\",\"nas_ip\":\"10.0.0.1\",\"acct_status_type\":2,\"acct_status_name\":\"Stop\","
             "\"acct_session_id\":\"S");
        PU(g, d * 100000 + u);
        P(g, "\",\"acct_input_octets\":");
        PU(g, gen_rand(g) >> 34);
        P(g, ",\"acct_output_octets\":");
        PU(g, gen_rand(g) >> 31);
        P(g, ",\"acct_session_time\":");
        PU(g, (gen_logout_us(g, d, u) - gen_login_us(g, d, u)) / 1000000);
        P(g, ",\"acct_terminate_cause\":1,\"acct_terminate_cause_name\":\"User-Request\"}");
        PUSER(g, d, u, 1);
        g->buf[g->len++] = '}';
    } else {
        uint64_t lo = gen_login_us(g, d, u) + 1000, lg = gen_logout_us(g, d, u);
        PHEAD(g, t, "session", 0);
        P(g, ",\"src_ip\":\"");
        PIP(g, ip);
        P(g, "\",\"session\":{\"state\":\"end\",\"source\":\"radius\",\"login\":");
        PTS(g, lo);
        P(g, ",\"logout\":");
        PTS(g, lg);
        P(g, ",\"duration\":");
        PU(g, (lg - lo) / 1000000);
        P(g, ".");
        {
            unsigned f = (unsigned)((lg - lo) % 1000000);
            char t6[6];
            for (int q = 5; q >= 0; q--) {
                t6[q] = (char)('0' + f % 10);
                f /= 10;
            }
            PN(g, t6, 6);
        }
        P(g, ",\"reason\":\"stop\",\"nas\":\"10.0.0.1\"}");
        PUSER(g, d, u, 1);
        g->buf[g->len++] = '}';
    }
}

static inline void gen_traffic(struct gen *g, uint64_t d, uint64_t i)
{
    /* traffic spread over [01:00, 23:00) of the day, increasing with i */
    uint64_t span = 22ull * 3600 * 1000000;
    uint64_t t = (GEN_BASE_S + d * 86400 + 3600) * 1000000ull + (i * span) / (g->per_day + 1);
    uint64_t u = gen_rand(g) % g->users;
    uint32_t ip = gen_addr(g, d, u);
    unsigned r = (unsigned)(gen_rand(g) % 100), si, sub;
    unsigned sport = 1024 + (unsigned)(gen_rand(g) % 64000);

    gen_site(g, &si, &sub);
    if (r < 44) { /* dns request or response */
        int resp = (int)(gen_rand(g) & 1);
        uint64_t id = gen_rand(g) >> 48;
        PHEAD(g, t, "dns", 1);
        if (resp)
            PEP(g, 0x0a000035u, 53, ip, sport, "UDP");
        else
            PEP(g, ip, sport, 0x0a000035u, 53, "UDP");
        P(g, ",\"app_proto\":\"dns\",\"dns\":{\"version\":3,\"type\":\"");
        P(g, resp ? "response" : "request");
        P(g, "\",\"tx_id\":0,\"id\":");
        PU(g, id);
        P(g, resp ? ",\"flags\":\"8180\",\"qr\":true,\"rd\":true,\"ra\":true,\"opcode\":0,"
                    "\"rcode\":\"NOERROR\",\"queries\":[{\"rrname\":\""
                  : ",\"flags\":\"100\",\"rd\":true,\"opcode\":0,\"queries\":[{\"rrname\":\"");
        PHOST(g, si, sub);
        P(g, "\",\"rrtype\":\"A\"}]");
        if (resp) {
            P(g, ",\"answers\":[{\"rrname\":\"");
            PHOST(g, si, sub);
            P(g, "\",\"rrtype\":\"A\",\"ttl\":");
            PU(g, 60 + gen_rand(g) % 540);
            P(g, ",\"rdata\":\"");
            PIP(g, gen_site_ip(si, sub));
            P(g, "\"}]");
        }
        g->buf[g->len++] = '}';
    } else if (r < 69) { /* flow */
        int udp = (gen_rand(g) & 7) == 0;
        uint64_t ps = 3 + gen_rand(g) % 40, pc = 2 + gen_rand(g) % 60;
        uint64_t age = gen_rand(g) % 120;
        PHEAD(g, t, "flow", 1);
        PEP(g, ip, sport, gen_site_ip(si, sub), udp ? 443 : ((gen_rand(g) & 3) ? 443 : 80),
            udp ? "UDP" : "TCP");
        P(g, udp ? ",\"app_proto\":\"quic\"" : ",\"app_proto\":\"tls\"");
        P(g, ",\"flow\":{\"pkts_toserver\":");
        PU(g, ps);
        P(g, ",\"pkts_toclient\":");
        PU(g, pc);
        P(g, ",\"bytes_toserver\":");
        PU(g, ps * (60 + gen_rand(g) % 900));
        P(g, ",\"bytes_toclient\":");
        PU(g, pc * (60 + gen_rand(g) % 1400));
        P(g, ",\"start\":");
        PTS(g, t);
        P(g, ",\"end\":");
        PTS(g, t + age * 1000000 + gen_rand(g) % 1000000);
        P(g, ",\"age\":");
        PU(g, age);
        P(g, udp ? ",\"state\":\"closed\",\"reason\":\"timeout\",\"alerted\":false}"
                 : ",\"state\":\"closed\",\"reason\":\"timeout\",\"alerted\":false},\"tcp\":{"
                   "\"tcp_flags\":\"1b\",\"tcp_flags_ts\":\"1b\",\"tcp_flags_tc\":\"1b\",\"syn\":true,"
                   "\"fin\":true,\"psh\":true,\"ack\":true,\"state\":\"closed\"}");
    } else if (r < 84) { /* tls */
        unsigned c = (unsigned)(gen_rand(g) >> 62);
        PHEAD(g, t, "tls", 1);
        PEP(g, ip, sport, gen_site_ip(si, sub), 443, "TCP");
        P(g, ",\"tls\":{\"sni\":\"");
        PHOST(g, si, sub);
        P(g, "\",\"version\":\"TLS 1.3\",\"client_alpns\":[\"h2\",\"http/1.1\"],\"ja3\":{\"hash\":\"");
        P(g, gen_ja3[c]);
        P(g, "\"},\"ja4\":\"");
        P(g, gen_ja4[c]);
        P(g, "\",\"ja3s\":{\"hash\":\"f4febc55ea12b31ae17cfb7e614afda8\"},\"server_alpns\":[\"h2\"]}");
    } else if (r < 93) { /* http */
        unsigned pth = (unsigned)(gen_rand(g) % (sizeof gen_path / sizeof gen_path[0]));
        unsigned ua = (unsigned)(gen_rand(g) % (sizeof gen_ua / sizeof gen_ua[0]));
        PHEAD(g, t, "http", 1);
        PEP(g, ip, sport, gen_site_ip(si, sub), 80, "TCP");
        P(g, ",\"tx_id\":0,\"http\":{\"hostname\":\"");
        PHOST(g, si, sub);
        P(g, "\",\"url\":\"");
        if (gen_rand(g) % 50000 == 0) {
            P(g, "/docs/" GEN_NEEDLE ".pdf");
        } else {
            P(g, gen_path[pth]);
            P(g, "?id=");
            PU(g, gen_rand(g) >> 40);
            P(g, "&t=");
            PU(g, t / 1000000);
        }
        P(g, "\",\"http_user_agent\":\"");
        P(g, gen_ua[ua]);
        P(g, "\",\"http_content_type\":\"text/html\",\"http_method\":\"GET\",\"protocol\":\"HTTP/1.1\","
             "\"status\":200,\"length\":");
        PU(g, gen_rand(g) >> 46);
        g->buf[g->len++] = '}';
    } else if (r < 98) { /* quic */
        PHEAD(g, t, "quic", 1);
        PEP(g, ip, sport, gen_site_ip(si, sub), 443, "UDP");
        P(g, ",\"quic\":{\"version\":\"1\",\"version_name\":\"v1\",\"sni\":\"");
        PHOST(g, si, sub);
        P(g, "\",\"client_alpns\":[\"h3\"],\"ja4\":\"q13d0312h3_55b375c5d22e_06cda9e17597\"}");
    } else if (r < 99) { /* login */
        PHEAD(g, t, "login", 1);
        PEP(g, ip, sport, 0x0a00001au, 993, "TCP");
        P(g, ",\"login\":{\"protocol\":\"imap\",\"username\":\"u");
        PU(g, 10000 + u);
        P(g, "@unit.example.cn\",\"mechanism\":\"PLAIN\",\"result\":\"success\",\"reply\":\"OK\","
             "\"password_seen\":true}");
    } else { /* smtp */
        PHEAD(g, t, "smtp", 1);
        PEP(g, ip, sport, 0x0a000019u, 587, "TCP");
        P(g, ",\"smtp\":{\"helo\":\"pc-");
        PU(g, 10000 + u);
        P(g, "\",\"mail_from\":\"<u");
        PU(g, 10000 + u);
        P(g, "@unit.example.cn>\",\"rcpt_to\":[\"<u");
        PU(g, 10000 + gen_rand(g) % g->users);
        P(g, "@unit.example.cn>\"]}");
    }
    PUSER(g, d, u, 1);
    g->buf[g->len++] = '}';
}

/*
 * Next record into g->buf/g->len (no newline). Returns 1, or 0 when all
 * records of all days were produced.
 */
static inline int gen_next(struct gen *g)
{
    for (;;) {
        if (g->day >= g->days) return 0;
        g->len = 0;
        if (g->phase == 0) {
            if (g->i < g->users * GEN_LOGIN_RECS) {
                gen_login(g, g->day, g->i / GEN_LOGIN_RECS, (int)(g->i % GEN_LOGIN_RECS));
                g->i++;
                break;
            }
            g->phase = 1;
            g->i = 0;
        }
        if (g->phase == 1) {
            if (g->i < g->per_day) {
                gen_traffic(g, g->day, g->i);
                g->i++;
                break;
            }
            g->phase = 2;
            g->i = 0;
        }
        if (g->i < g->users * GEN_LOGOUT_RECS) {
            gen_logout(g, g->day, g->i / GEN_LOGOUT_RECS, (int)(g->i % GEN_LOGOUT_RECS));
            g->i++;
            break;
        }
        g->phase = 0;
        g->i = 0;
        g->day++;
    }
    g->produced++;
    return 1;
}

#endif
