/*
 * test_logins.c - the login parsers (FTP, POP3, IMAP, SMTP, Telnet) and
 * the SMTP envelope record, driven through testctx.
 *
 * Every dialogue is written out readably (C: client, S: server) and run
 * three ways: whole steps, 1-byte chunks and 3-byte chunks, directions
 * interleaved in dialogue order. Each test also asserts that the password
 * (as typed and, for SASL, as base64) appears nowhere in the records.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "nw/testctx.h"
#include "../../src/proto/login_common.h"

#include "nwtest.h"

/* Dialogue steps give their length only when it holds NUL bytes. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define C NW_DIR_TOSERVER
#define S NW_DIR_TOCLIENT

struct step {
    int dir;
    const char *s;
    size_t n; /* 0: strlen(s); set it when s holds NUL bytes */
};

/* Feed a string literal (its length taken at compile time). */
#define FEEDS(t, dir, lit) nw_testctx_feed((t), (dir), (lit), sizeof(lit) - 1)

static const size_t chunkings[] = {0, 1, 3};

/* Run a dialogue (terminated by a NULL step) with chunk size chunk (0 = whole steps). */
static const char *run(struct nw_testctx *t, const char *proto, uint16_t port,
                       const struct step *st, size_t chunk, int *rc)
{
    *rc = 0;
    if (nw_testctx_init(t, proto, IPPROTO_TCP, "10.0.0.1", 40000, "10.0.0.2", port) != 0)
        return NULL;
    for (; st->s != NULL; st++) {
        size_t n = st->n ? st->n : strlen(st->s);
        int r = nw_testctx_feed_chunked(t, st->dir, st->s, n, chunk ? chunk : n);
        if (r < 0) *rc = r;
        t->ts_us += 1000;
    }
    nw_testctx_end(t);
    nw_buf_putc(&t->records, '\0');
    t->records.len--;
    return t->records.data ? t->records.data : "";
}

/*
 * FTP, anonymous then a named account:
 *   S: 220-Welcome / 220 ready          (multi-line greeting)
 *   C: USER anonymous   S: 331          C: PASS guest@   S: 230-.../230 ok
 */
static const struct step ftp_anon[] = {
    {S, "220-Welcome to the test FTP\r\n220 ready\r\n"},
    {C, "USER anonymous\r\n"},
    {S, "331 Please specify the password.\r\n"},
    {C, "PASS guest@example.org\r\n"},
    {S, "230-Hello\r\n230-  330 not a code here\r\n230 Login successful.\r\n"},
    {C, "SYST\r\n"},
    {S, "215 UNIX Type: L8\r\n"},
    {C, "QUIT\r\n"},
    {S, "221 Goodbye.\r\n"},
    {0, NULL}};

TEST(ftp_anonymous_success)
{
    for (size_t i = 0; i < sizeof chunkings / sizeof chunkings[0]; i++) {
        struct nw_testctx t;
        int rc;
        const char *r = run(&t, "ftp", 21, ftp_anon, chunkings[i], &rc);
        CHECK(r != NULL);
        CHECK_EQ(rc, 0);
        CHECK_HAS(r, "\"event_type\":\"login\"");
        CHECK_HAS(r, "\"login\":{\"protocol\":\"ftp\",\"username\":\"anonymous\",\"mechanism\":"
                     "\"USER/PASS\",\"result\":\"success\",\"reply_code\":230,"
                     "\"password_seen\":true}");
        CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"login\""), 1);
        CHECK_LACKS(r, "guest@example.org");
        nw_testctx_fini(&t);
    }
}

/*
 * FTP brute force on one connection, the server rejecting USER once:
 *   C: USER bob S: 331  C: PASS wrong1 S: 530
 *   C: USER bob S: 331  C: PASS s3cret S: 230
 *   C: USER root S: 530 (no PASS asked)
 */
static const struct step ftp_retry[] = {
    {S, "220 FTP server ready\r\n"},
    {C, "USER bob\r\n"},
    {S, "331 Password required\r\n"},
    {C, "PASS wrong1\r\n"},
    {S, "530 Login incorrect.\r\n"},
    {C, "USER bob\r\n"},
    {S, "331 Password required\r\n"},
    {C, "PASS s3cret\r\n"},
    {S, "230 User bob logged in\r\n"},
    {C, "USER root\r\n"},
    {S, "530 Not allowed\r\n"},
    {0, NULL}};

TEST(ftp_failure_then_success)
{
    for (size_t i = 0; i < sizeof chunkings / sizeof chunkings[0]; i++) {
        struct nw_testctx t;
        int rc;
        const char *r = run(&t, "ftp", 21, ftp_retry, chunkings[i], &rc);
        CHECK(r != NULL);
        CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"login\""), 3);
        CHECK_HAS(r, "\"username\":\"bob\",\"mechanism\":\"USER/PASS\",\"result\":\"failure\","
                     "\"reply_code\":530,\"password_seen\":true");
        CHECK_HAS(r, "\"username\":\"bob\",\"mechanism\":\"USER/PASS\",\"result\":\"success\","
                     "\"reply_code\":230,\"password_seen\":true");
        CHECK_HAS(r, "\"username\":\"root\",\"mechanism\":\"USER/PASS\",\"result\":\"failure\","
                     "\"reply_code\":530,\"password_seen\":false");
        CHECK_LACKS(r, "wrong1");
        CHECK_LACKS(r, "s3cret");
        nw_testctx_fini(&t);
    }
}

/* Pipelined: all commands first, then all replies (ACCT step included). */
TEST(ftp_pipelined_acct_and_end_unknown)
{
    struct nw_testctx t;
    static const char cli[] = "USER carol\r\nPASS pw-carol\r\nACCT acct-secret\r\n";
    static const char srv[] = "220 hi\r\n331 pw\r\n332 need account\r\n230 in\r\n";
    CHECK(nw_testctx_init(&t, "ftp", IPPROTO_TCP, "10.0.0.1", 40000, "10.0.0.2", 21) == 0);
    CHECK_EQ(nw_testctx_feed(&t, S, srv, 8), 0); /* the greeting */
    CHECK_EQ(nw_testctx_feed(&t, C, cli, sizeof cli - 1), 0);
    CHECK_EQ(nw_testctx_feed(&t, S, srv + 8, sizeof srv - 9), 0);
    /* a second attempt that never gets an answer */
    CHECK_EQ(FEEDS(&t, C, "USER dave\r\nPASS pw-dave\r\n"), 0);
    nw_testctx_end(&t);
    nw_buf_putc(&t.records, '\0');
    CHECK_HAS(t.records.data, "\"username\":\"carol\",\"mechanism\":\"USER/PASS\",\"result\":"
                              "\"success\",\"reply_code\":230");
    CHECK_HAS(t.records.data, "\"username\":\"dave\",\"mechanism\":\"USER/PASS\",\"result\":"
                              "\"unknown\",\"password_seen\":true");
    CHECK_LACKS(t.records.data, "pw-carol");
    CHECK_LACKS(t.records.data, "acct-secret");
    CHECK_LACKS(t.records.data, "pw-dave");
    nw_testctx_fini(&t);
}

/* C: AUTH TLS  S: 234 -> the flow goes to the TLS parser. */
TEST(ftp_auth_tls_switches)
{
    struct nw_testctx t;
    CHECK(nw_testctx_init(&t, "ftp", IPPROTO_TCP, "10.0.0.1", 40000, "10.0.0.2", 21) == 0);
    FEEDS(&t, S, "220 ready\r\n");
    FEEDS(&t, C, "AUTH TLS\r\n");
    CHECK(t.al.parser == nw_proto_find("ftp"));
    FEEDS(&t, S, "234 Proceed with negotiation.\r\n");
    CHECK(t.al.parser == nw_proto_find("tls"));
    nw_testctx_fini(&t);
}

/*
 * POP3 USER/PASS (like pop3-user-pass.pcap) with a multi-line CAPA whose
 * body holds "+OK"/"-ERR" lines that must not be taken as status lines.
 */
static const struct step pop3_userpass[] = {
    {S, "+OK example.com POP3-Server\r\n"},
    {C, "CAPA\r\n"},
    {S, "+OK Capability list follows\r\nUSER\r\n-ERR not a status\r\n+OK nor this\r\n.\r\n"},
    {C, "USER zeek@zeek.org\r\n"},
    {S, "+OK Please enter your password\r\n"},
    {C, "PASS zeekpass\r\n"},
    {S, "+OK mailbox locked and ready\r\n"},
    {C, "QUIT\r\n"},
    {S, "+OK Bye\r\n"},
    {0, NULL}};

TEST(pop3_user_pass)
{
    for (size_t i = 0; i < sizeof chunkings / sizeof chunkings[0]; i++) {
        struct nw_testctx t;
        int rc;
        const char *r = run(&t, "pop3", 110, pop3_userpass, chunkings[i], &rc);
        CHECK(r != NULL);
        CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"login\""), 1);
        CHECK_HAS(r, "\"login\":{\"protocol\":\"pop3\",\"username\":\"zeek@zeek.org\",\"mechanism\":"
                     "\"USER/PASS\",\"result\":\"success\",\"reply\":\"+OK\",\"password_seen\":true}");
        CHECK_LACKS(r, "zeekpass");
        nw_testctx_fini(&t);
    }
}

/*
 * POP3 SASL PLAIN as in pop3-auth.pcap: a bare AUTH (-ERR), then
 *   C: AUTH PLAIN  S: "+ "  C: base64("\0digitalinvestigator@networksims.com\0napier")
 *   S: -ERR authentication failed
 */
static const struct step pop3_plain[] = {
    {S, "+OK POP server ready H mimap8\r\n"},
    {C, "AUTH\r\n"},
    {S, "-ERR 1 argument required\r\n"},
    {C, "AUTH PLAIN\r\n"},
    {S, "+ \r\n"},
    {C, "AGRpZ2l0YWxpbnZlc3RpZ2F0b3JAbmV0d29ya3NpbXMuY29tAG5hcGllcg==\r\n"},
    {S, "-ERR authentication failed\r\n"},
    {C, "AUTH PLAIN YWRtaW4AYWxpY2UAd29uZGVybGFuZA==\r\n"}, /* SASL-IR admin\0alice\0wonderland */
    {S, "+OK welcome\r\n"},
    {0, NULL}};

TEST(pop3_sasl_plain)
{
    for (size_t i = 0; i < sizeof chunkings / sizeof chunkings[0]; i++) {
        struct nw_testctx t;
        int rc;
        const char *r = run(&t, "pop3", 110, pop3_plain, chunkings[i], &rc);
        CHECK(r != NULL);
        CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"login\""), 2);
        CHECK_HAS(r, "\"username\":\"digitalinvestigator@networksims.com\",\"mechanism\":\"PLAIN\","
                     "\"result\":\"failure\",\"reply\":\"-ERR\",\"password_seen\":true");
        CHECK_HAS(r, "\"username\":\"alice\",\"authzid\":\"admin\",\"mechanism\":\"PLAIN\","
                     "\"result\":\"success\"");
        CHECK_LACKS(r, "napier");
        CHECK_LACKS(r, "wonderland");
        CHECK_LACKS(r, "AGRpZ2l0");
        nw_testctx_fini(&t);
    }
}

/* APOP, then AUTH LOGIN; RETR body with an overlong line and a "+OK" line. */
TEST(pop3_apop_login_retr_stls)
{
    static const struct step d[] = {
        {S, "+OK ready <1896.697170952@dbc.mtview.ca.us>\r\n"},
        {C, "APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n"},
        {S, "-ERR permission denied\r\n"},
        {C, "AUTH LOGIN\r\n"},
        {S, "+ VXNlcm5hbWU6\r\n"},
        {C, "ZnJlZA==\r\n"}, /* fred */
        {S, "+ UGFzc3dvcmQ6\r\n"},
        {C, "aHVudGVyMg==\r\n"}, /* hunter2 */
        {S, "+OK logged in\r\n"},
        {C, "RETR 1\r\n"},
        {S, "+OK message follows\r\n"},
        {S, NULL}};
    struct nw_testctx t;
    int rc;
    const char *r;
    char big[9000];

    r = run(&t, "pop3", 110, d, 1, &rc);
    CHECK(r != NULL);
    nw_testctx_fini(&t);
    CHECK(nw_testctx_init(&t, "pop3", IPPROTO_TCP, "10.0.0.1", 40000, "10.0.0.2", 110) == 0);
    for (size_t i = 0; d[i].s; i++) nw_testctx_feed(&t, d[i].dir, d[i].s, strlen(d[i].s));
    memset(big, 'x', sizeof big);
    CHECK_EQ(nw_testctx_feed(&t, S, big, sizeof big), 0);
    CHECK_EQ(FEEDS(&t, S, "\r\n+OK fake\r\n.\r\n"), 0);
    FEEDS(&t, C, "STLS\r\n");
    FEEDS(&t, S, "+OK begin TLS\r\n");
    CHECK(t.al.parser == nw_proto_find("tls"));
    nw_testctx_end(&t);
    nw_buf_putc(&t.records, '\0');
    CHECK_HAS(t.records.data, "\"username\":\"mrose\",\"mechanism\":\"APOP\",\"result\":\"failure\"");
    CHECK_HAS(t.records.data, "\"username\":\"fred\",\"mechanism\":\"LOGIN\",\"result\":\"success\","
                              "\"reply\":\"+OK\",\"password_seen\":true");
    CHECK_LACKS(t.records.data, "c4c9334bac560ecc979e58001b3e22fb");
    CHECK_LACKS(t.records.data, "hunter2");
    CHECK_LACKS(t.records.data, "aHVudGVyMg");
    CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"login\""), 2);
    nw_testctx_fini(&t);
}

/*
 * SMTP as in smtp-auth-login.pcap: multi-line greeting and EHLO reply,
 * AUTH LOGIN with two 334 challenges, then one mail transaction.
 */
static const struct step smtp_login[] = {
    {S, "220-xc90.websitewelcome.com ESMTP Exim 4.69\r\n220-We do not authorize\r\n"
        "220 and/or bulk e-mail.\r\n"},
    {C, "EHLO GP\r\n"},
    {S, "250-xc90.websitewelcome.com Hello GP\r\n250-SIZE 52428800\r\n250-PIPELINING\r\n"
        "250-AUTH PLAIN LOGIN\r\n250-STARTTLS\r\n250 HELP\r\n"},
    {C, "AUTH LOGIN\r\n"},
    {S, "334 VXNlcm5hbWU6\r\n"},
    {C, "Z3VycGFydGFwQHBhdHJpb3RzLmlu\r\n"},
    {S, "334 UGFzc3dvcmQ6\r\n"},
    {C, "cHVuamFiQDEyMw==\r\n"},
    {S, "235 Authentication succeeded\r\n"},
    {C, "MAIL FROM: <gurpartap@patriots.in>\r\n"},
    {S, "250 OK\r\n"},
    {C, "RCPT TO: <raj_deol2002in@yahoo.co.in>\r\n"},
    {S, "250 Accepted\r\n"},
    {C, "DATA\r\n"},
    {S, "354 Enter message, ending with \".\" on a line by itself\r\n"},
    {C, "From: x\r\nSubject: AUTH PLAIN\r\n\r\nMAIL FROM:<fake@x>\r\n..dot\r\n.\r\n"},
    {S, "250 OK id=1Mugho-0003Dg-Un\r\n"},
    {C, "QUIT\r\n"},
    {S, "221 closing\r\n"},
    {0, NULL}};

TEST(smtp_auth_login_and_envelope)
{
    for (size_t i = 0; i < sizeof chunkings / sizeof chunkings[0]; i++) {
        struct nw_testctx t;
        int rc;
        const char *r = run(&t, "smtp", 25, smtp_login, chunkings[i], &rc);
        CHECK(r != NULL);
        CHECK_EQ(rc, 0);
        CHECK_HAS(r, "\"login\":{\"protocol\":\"smtp\",\"username\":\"gurpartap@patriots.in\","
                     "\"mechanism\":\"LOGIN\",\"result\":\"success\",\"reply_code\":235,"
                     "\"password_seen\":true}");
        CHECK_HAS(r, "\"smtp\":{\"helo\":\"GP\",\"mail_from\":\"<gurpartap@patriots.in>\","
                     "\"rcpt_to\":[\"<raj_deol2002in@yahoo.co.in>\"]}");
        CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"smtp\""), 1);
        CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"login\""), 1);
        CHECK_LACKS(r, "cHVuamFi");
        CHECK_LACKS(r, "punjab@123");
        CHECK_LACKS(r, "fake@x");
        nw_testctx_fini(&t);
    }
}

/* Pipelined envelope (RFC 2920), two transactions, RSET, PLAIN failure, CRAM-MD5. */
TEST(smtp_pipelining_plain_crammd5)
{
    static const struct step d[] = {
        {S, "220 mx ESMTP\r\n"},
        {C, "EHLO client.example\r\n"},
        {S, "250-mx\r\n250 PIPELINING\r\n"},
        {C, "AUTH PLAIN AGJvYgBzZWNyZXRwdw==\r\n"}, /* \0bob\0secretpw */
        {S, "535 5.7.8 Authentication credentials invalid\r\n"},
        {C, "AUTH CRAM-MD5\r\n"},
        {S, "334 PDQxOTI5NDIzNDEuMTI4Mjg0NzJAc291cmNlZm91ci5hbmRyZXcuY211LmVkdT4=\r\n"},
        /* "tim b913a602c7eda7a495b4e6e7334d3890" */
        {C, "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\r\n"},
        {S, "235 2.7.0 Authentication successful\r\n"},
        {C, "MAIL FROM:<a@example.org> SIZE=100\r\nRCPT TO:<b@example.org>\r\n"
            "RCPT TO:<c@example.org>\r\nDATA\r\n"},
        {S, "250 ok\r\n250 ok\r\n550 no such user\r\n354 go\r\n"},
        {C, "Subject: hi\r\n\r\nbody\r\n.\r\n"},
        {S, "250 queued\r\n"},
        {C, "MAIL FROM:<>\r\nRSET\r\n"},
        {S, "250 ok\r\n250 reset\r\n"},
        {0, NULL}};
    for (size_t i = 0; i < sizeof chunkings / sizeof chunkings[0]; i++) {
        struct nw_testctx t;
        int rc;
        const char *r = run(&t, "smtp", 587, d, chunkings[i], &rc);
        CHECK(r != NULL);
        CHECK_HAS(r, "\"username\":\"bob\",\"mechanism\":\"PLAIN\",\"result\":\"failure\","
                     "\"reply_code\":535");
        CHECK_HAS(r, "\"username\":\"tim\",\"mechanism\":\"CRAM-MD5\",\"result\":\"success\","
                     "\"reply_code\":235");
        CHECK_HAS(r, "\"smtp\":{\"helo\":\"client.example\",\"mail_from\":\"<a@example.org>\","
                     "\"rcpt_to\":[\"<b@example.org>\",\"<c@example.org>\"]}");
        CHECK_HAS(r, "\"smtp\":{\"helo\":\"client.example\",\"mail_from\":\"<>\"}");
        CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"smtp\""), 2);
        CHECK_LACKS(r, "secretpw");
        CHECK_LACKS(r, "b913a602c7eda7a495b4e6e7334d3890");
        nw_testctx_fini(&t);
    }
}

/* BDAT chunks are skipped by count, whatever they contain. */
TEST(smtp_bdat)
{
    static const struct step d[] = {
        {S, "220 mx ESMTP\r\n"},
        {C, "EHLO c\r\n"},
        {S, "250 CHUNKING\r\n"},
        {C, "MAIL FROM:<x@y>\r\nRCPT TO:<z@y>\r\n"},
        {S, "250 ok\r\n250 ok\r\n"},
        {C, "BDAT 22\r\nAUTH PLAIN AGEAYgBj\r\n"},
        {C, "BDAT 5 LAST\r\nABCDE"},
        {S, "250 got 22\r\n250 done\r\n"},
        {0, NULL}};
    for (size_t i = 0; i < sizeof chunkings / sizeof chunkings[0]; i++) {
        struct nw_testctx t;
        int rc;
        const char *r = run(&t, "smtp", 25, d, chunkings[i], &rc);
        CHECK(r != NULL);
        CHECK_EQ(rc, 0);
        CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"login\""), 0);
        CHECK_HAS(r, "\"smtp\":{\"helo\":\"c\",\"mail_from\":\"<x@y>\",\"rcpt_to\":[\"<z@y>\"]}");
        nw_testctx_fini(&t);
    }
}

/* As in smtp-starttls.pcap: STARTTLS answered 220 -> TLS parser. */
TEST(smtp_starttls_switches)
{
    struct nw_testctx t;
    static const char ehlo[] = "EHLO openssl.client.net\r\n";
    static const char caps[] = "250-mx.google.com at your service\r\n250-STARTTLS\r\n250 CHUNKING\r\n";
    CHECK(nw_testctx_init(&t, "smtp", IPPROTO_TCP, "10.0.0.1", 40000, "10.0.0.2", 25) == 0);
    FEEDS(&t, S, "220 mx.google.com ESMTP\r\n");
    nw_testctx_feed(&t, C, ehlo, sizeof ehlo - 1);
    nw_testctx_feed(&t, S, caps, sizeof caps - 1);
    FEEDS(&t, C, "STARTTLS\r\n");
    CHECK(t.al.parser == nw_proto_find("smtp"));
    nw_testctx_feed_chunked(&t, S, "220 2.0.0 Ready to start TLS\r\n", 30, 1); /* 30 = its length */
    CHECK(t.al.parser == nw_proto_find("tls"));
    nw_testctx_fini(&t);
}

/* IMAP as in imap-login.pcap: LOGIN with atoms. */
static const struct step imap_atoms[] = {
    {S, "* OK IMAP4Rev1 Server Version 4.9.04.012\r\n"},
    {C, "C00000 CAPABILITY\r\n"},
    {S, "* CAPABILITY IMAP4rev1 IDLE AUTH=LOGIN AUTH=PLAIN AUTH=CRAM-MD5\r\n"
        "C00000 OK CAPABILITY completed\r\n"},
    {C, "C00001 LOGIN samir pfres\r\n"},
    {S, "C00001 OK LOGIN completed\r\n"},
    {C, "C00002 LIST \"\" \"*\"\r\n"},
    {S, "* LIST () \"/\" INBOX\r\nC00002 OK LIST Completed\r\n"},
    {0, NULL}};

TEST(imap_login_atoms)
{
    for (size_t i = 0; i < sizeof chunkings / sizeof chunkings[0]; i++) {
        struct nw_testctx t;
        int rc;
        const char *r = run(&t, "imap", 143, imap_atoms, chunkings[i], &rc);
        CHECK(r != NULL);
        CHECK_HAS(r, "\"login\":{\"protocol\":\"imap\",\"username\":\"samir\",\"mechanism\":"
                     "\"LOGIN(IMAP)\",\"result\":\"success\",\"reply\":\"OK\",\"password_seen\":true}");
        CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"login\""), 1);
        CHECK_LACKS(r, "pfres");
        nw_testctx_fini(&t);
    }
}

/*
 * IMAP quoted and literal arguments, pipelined tags, a FETCH literal that
 * contains a fake tagged reply, and an APPEND literal with a fake LOGIN:
 *   C: a1 LOGIN "we \"ird\"" "pa ss"          S: a1 NO
 *   C: a2 LOGIN {5}  S: + ready  C: alice {9+} C: wonderla!  S: a2 OK
 */
static const struct step imap_lits[] = {
    {S, "* OK ready\r\n"},
    {C, "a1 LOGIN \"we \\\"ird\\\"\" \"quoted-secret\"\r\n"},
    {S, "a1 NO [AUTHENTICATIONFAILED] Invalid credentials\r\n"},
    {C, "a2 LOGIN {5}\r\n"},
    {S, "+ ready\r\n"},
    {C, "alice {13+}\r\nliteral-secret\r\n"},
    {C, "a3 FETCH 1 BODY[]\r\n"},
    {S, "a2 OK LOGIN done\r\n* 1 FETCH (BODY[] {17}\r\na3 NO fake reply)\r\na3 OK done\r\n"},
    {C, "a4 APPEND INBOX {26}\r\n"},
    {S, "+ go\r\n"},
    {C, "a5 LOGIN fake other-pw\r\n\r\n"},
    {S, "a4 OK appended\r\n"},
    {0, NULL}};

TEST(imap_quoted_and_literals)
{
    for (size_t i = 0; i < sizeof chunkings / sizeof chunkings[0]; i++) {
        struct nw_testctx t;
        int rc;
        const char *r = run(&t, "imap", 143, imap_lits, chunkings[i], &rc);
        CHECK(r != NULL);
        CHECK_EQ(rc, 0);
        CHECK_HAS(r, "\"username\":\"we \\\"ird\\\"\",\"mechanism\":\"LOGIN(IMAP)\",\"result\":"
                     "\"failure\",\"reply\":\"NO\",\"password_seen\":true");
        CHECK_HAS(r, "\"username\":\"alice\",\"mechanism\":\"LOGIN(IMAP)\",\"result\":\"success\","
                     "\"reply\":\"OK\",\"password_seen\":true");
        CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"login\""), 2);
        CHECK_LACKS(r, "fake");
        CHECK_LACKS(r, "quoted-secret");
        CHECK_LACKS(r, "literal-secret");
        nw_testctx_fini(&t);
    }
}

/* IMAP AUTHENTICATE PLAIN (continuation and SASL-IR), then STARTTLS. */
TEST(imap_authenticate_starttls)
{
    static const struct step d[] = {
        {S, "* OK [CAPABILITY IMAP4rev1 SASL-IR STARTTLS] ready\r\n"},
        {C, "x1 AUTHENTICATE PLAIN\r\n"},
        {S, "+ \r\n"},
        {C, "AGpvZQBqb2VzLXB3\r\n"}, /* \0joe\0joes-pw */
        {S, "x1 NO authentication failed\r\n"},
        {C, "x2 AUTHENTICATE PLAIN AGFubgBhbm5zLXB3\r\n"}, /* \0ann\0anns-pw */
        {S, "x2 OK done\r\n"},
        {C, "x3 AUTHENTICATE XOAUTH2\r\n"},
        {S, "+ \r\n"},
        {C, "*\r\n"},
        {S, "x3 BAD cancelled\r\n"},
        {0, NULL}};
    struct nw_testctx t;
    int rc;
    const char *r = run(&t, "imap", 143, d, 1, &rc);
    CHECK(r != NULL);
    CHECK_HAS(r, "\"username\":\"joe\",\"mechanism\":\"PLAIN\",\"result\":\"failure\"");
    CHECK_HAS(r, "\"username\":\"ann\",\"mechanism\":\"PLAIN\",\"result\":\"success\"");
    CHECK_HAS(r, "\"mechanism\":\"XOAUTH2\",\"result\":\"failure\",\"reply\":\"BAD\","
                 "\"password_seen\":false");
    CHECK_LACKS(r, "joes-pw");
    CHECK_LACKS(r, "anns-pw");
    nw_testctx_fini(&t);

    CHECK(nw_testctx_init(&t, "imap", IPPROTO_TCP, "10.0.0.1", 40000, "10.0.0.2", 143) == 0);
    FEEDS(&t, S, "* OK ready\r\n");
    FEEDS(&t, C, ". STARTTLS\r\n");
    CHECK(t.al.parser == nw_proto_find("imap"));
    FEEDS(&t, S, ". OK Begin TLS negotiation now\r\n");
    CHECK(t.al.parser == nw_proto_find("tls"));
    nw_testctx_fini(&t);
}

/*
 * Telnet as in telnet-login.pcap: option negotiation, server echo,
 * one keystroke per packet, "Last login" -> success.
 */
static const struct step telnet_ok[] = {
    {S, "\xff\xfd\x18\xff\xfd\x20\xff\xfd\x23\xff\xfd\x27"},
    {C, "\xff\xfb\x18\xff\xfb\x20\xff\xfb\x23\xff\xfb\x27"},
    {S, "\xff\xfa\x20\x01\xff\xf0\xff\xfb\x03\xff\xfb\x01"},
    {C, "\xff\xfa\x18\x00XTERM\xff\xf0", 11},
    {S, "\r\nOpenBSD/i386 (oof) (ttyp2)\r\n\r\nlogin: "},
    {C, "f"}, {S, "f"}, {C, "a"}, {S, "a"}, {C, "k"}, {S, "k"}, {C, "x"}, {S, "x"},
    {C, "\x7f"}, {S, "\b \b"}, {C, "e"}, {S, "e"},
    {C, "\r\0", 2},
    {S, "\r\nPassword:"},
    {C, "q"}, {C, "p"}, {C, "w"}, {C, "9"}, {C, "\r\0", 2},
    {S, "\r\nLast login: Sat Nov 27 20:11:43 on ttyp2 from bam.zing.org\r\n$ "},
    {C, "ls\r\n"},
    {S, "ls\r\nfoo\r\n$ "},
    {0, NULL}};

TEST(telnet_success_last_login)
{
    for (size_t i = 0; i < sizeof chunkings / sizeof chunkings[0]; i++) {
        struct nw_testctx t;
        int rc;
        const char *r = run(&t, "telnet", 23, telnet_ok, chunkings[i], &rc);
        CHECK(r != NULL);
        CHECK_HAS(r, "\"login\":{\"protocol\":\"telnet\",\"username\":\"fake\",\"mechanism\":"
                     "\"LOGIN-PROMPT\",\"result\":\"success\",\"reply\":\"last login\","
                     "\"password_seen\":true}");
        CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"login\""), 1);
        CHECK_LACKS(r, "qpw9");
        nw_testctx_fini(&t);
    }
}

/* As in telnet-loopback-login.pcap: a failure, then success seen by the shell prompt. */
static const struct step telnet_fail_ok[] = {
    {S, "\r\nLinux 6.18 (localhost) (pts/0)\r\n\r\nvm login: "},
    {C, "auditdemo\r\n"},
    {S, "Password: "},
    {C, "letmein\r\n"},
    {S, "\r\n\r\nLogin incorrect\r\nvm login: "},
    {C, "auditdemo\r\n"},
    {S, "auditdemo\r\nPassword: "},
    {C, "Tr0ub4dor\r\n"},
    {S, "\r\nThe programs included with the Debian GNU/Linux system are free software;\r\n$ "},
    {C, "id\r\n"},
    {0, NULL}};

TEST(telnet_failure_then_shell_prompt)
{
    for (size_t i = 0; i < sizeof chunkings / sizeof chunkings[0]; i++) {
        struct nw_testctx t;
        int rc;
        const char *r = run(&t, "telnet", 23, telnet_fail_ok, chunkings[i], &rc);
        CHECK(r != NULL);
        CHECK_HAS(r, "\"username\":\"auditdemo\",\"mechanism\":\"LOGIN-PROMPT\",\"result\":"
                     "\"failure\",\"reply\":\"login incorrect\"");
        CHECK_HAS(r, "\"username\":\"auditdemo\",\"mechanism\":\"LOGIN-PROMPT\",\"result\":"
                     "\"success\",\"reply\":\"shell prompt\"");
        CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"login\""), 2);
        CHECK_LACKS(r, "letmein");
        CHECK_LACKS(r, "Tr0ub4dor");
        nw_testctx_fini(&t);
    }
}

/* telnet -l: NEW-ENVIRON USER, the server asks only for the password; flow ends undecided. */
TEST(telnet_new_environ_user)
{
    static const struct step d[] = {
        {S, "\xff\xfd\x27"},
        {C, "\xff\xfb\x27"},
        {S, "\xff\xfa\x27\x01\xff\xf0"},
        {C, "\xff\xfa\x27\x00\x00USER\x01" "eve\xff\xf0", 15},
        {S, "Password: "},
        {C, "evepass\r\n"},
        {0, NULL}};
    struct nw_testctx t;
    int rc;
    const char *r = run(&t, "telnet", 23, d, 1, &rc);
    CHECK(r != NULL);
    CHECK_HAS(r, "\"username\":\"eve\",\"mechanism\":\"LOGIN-PROMPT\",\"result\":\"unknown\","
                 "\"password_seen\":true");
    CHECK_LACKS(r, "evepass");
    nw_testctx_fini(&t);
}

/*
 * Capture gaps: FTP resynchronises at the next line and still logs the
 * attempt; a hole inside an SMTP DATA body keeps looking for the "." line.
 */
TEST(gaps_resync)
{
    struct nw_testctx t;
    CHECK(nw_testctx_init(&t, "ftp", IPPROTO_TCP, "10.0.0.1", 40000, "10.0.0.2", 21) == 0);
    FEEDS(&t, S, "220 ready\r\n");
    FEEDS(&t, C, "USER gina\r\n");
    nw_testctx_gap(&t, S, 100);
    FEEDS(&t, S, "tail of a lost line\r\n331 ok\r\n");
    FEEDS(&t, C, "PASS gpw\r\n");
    FEEDS(&t, S, "230 in\r\n");
    CHECK(t.al.parser != NULL);
    nw_testctx_end(&t);
    nw_buf_putc(&t.records, '\0');
    CHECK_HAS(t.records.data, "\"username\":\"gina\",\"mechanism\":\"USER/PASS\",\"result\":"
                              "\"success\",\"reply_code\":230");
    nw_testctx_fini(&t);

    CHECK(nw_testctx_init(&t, "smtp", IPPROTO_TCP, "10.0.0.1", 40000, "10.0.0.2", 25) == 0);
    FEEDS(&t, S, "220 mx ESMTP\r\n");
    FEEDS(&t, C, "MAIL FROM:<h@x>\r\nDATA\r\n");
    FEEDS(&t, S, "250 ok\r\n354 go\r\n");
    FEEDS(&t, C, "line one\r\nhalf a li");
    nw_testctx_gap(&t, C, 5000);
    FEEDS(&t, C, "ne\r\nAUTH PLAIN AGEAYgBj\r\n.\r\nQUIT\r\n");
    FEEDS(&t, S, "250 queued\r\n221 bye\r\n");
    CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"smtp\""), 1);
    CHECK_EQ(nw_testctx_count(&t, "\"event_type\":\"login\""), 0);
    nw_testctx_fini(&t);
}

/* Lines longer than 8 KiB without LF are an error for the line parsers. */
TEST(overlong_lines_fail)
{
    static const char *const names[] = {"ftp", "pop3", "imap", "smtp"};
    static char big[NW_LOGIN_MAX_LINE + 10];
    memset(big, 'A', sizeof big);
    for (size_t i = 0; i < 4; i++) {
        struct nw_testctx t;
        CHECK(nw_testctx_init(&t, names[i], IPPROTO_TCP, "10.0.0.1", 40000, "10.0.0.2", 1) == 0);
        CHECK(nw_testctx_feed_chunked(&t, C, big, sizeof big, 1000) < 0);
        CHECK(t.al.parser == NULL);
        nw_testctx_fini(&t);
    }
}

/* Random and adversarial bytes: nothing crashes, leaks or hangs (ASan/UBSan build). */
TEST(hostile_input)
{
    static const char *const names[] = {"ftp", "pop3", "imap", "smtp", "telnet"};
    static const char *const seeds[] = {
        "a LOGIN {999999999999999999}\r\n", "a LOGIN {5}\r\n\xff\xff", "* 1 FETCH {18446744073709551615}\r\n",
        "BDAT 999999999999999999999\r\n", "AUTH PLAIN ====\r\n", "AUTH PLAIN AAAA\r\n*\r\n",
        "\xff\xfa\x27\x00\x00USER\x01", "\xff\xff\xff\xfa\xff", "USER \r\nPASS\r\n",
        "230-\r\n230\r\n", "+OK\r\n.\r\n", "x AUTHENTICATE PLAIN\r\nAGFhAGJi\r\n"};
    uint32_t x = 12345;
    uint8_t buf[4096];

    for (size_t p = 0; p < 5; p++) {
        for (int round = 0; round < 40; round++) {
            struct nw_testctx t;
            CHECK(nw_testctx_init(&t, names[p], IPPROTO_TCP, "10.0.0.1", 40000, "10.0.0.2", 1) ==
                  0);
            for (int k = 0; k < 30; k++) {
                size_t n = 0;
                const char *sd = seeds[(x >> 3) % (sizeof seeds / sizeof seeds[0])];
                x = x * 1103515245u + 12345u;
                if (x & 0x100) {
                    n = strlen(sd);
                    memcpy(buf, sd, n);
                }
                for (size_t m = (x >> 8) % 200; m > 0 && n < sizeof buf; m--) {
                    x = x * 1103515245u + 12345u;
                    buf[n++] = (uint8_t)("\r\n {}\"\\+*.=AUTH0123\xff\xfa\xf0\x01"[(x >> 16) % 24]);
                }
                nw_testctx_feed_chunked(&t, (int)((x >> 20) & 1), buf, n, (x >> 24) % 7 + 1);
            }
            nw_testctx_end(&t);
            nw_testctx_fini(&t);
        }
    }
}

TEST(base64_and_sasl_helpers)
{
    uint8_t out[16];
    struct nw__login a;
    CHECK_EQ(nw__b64_decode((const uint8_t *)"Zm9vYmFy", 8, out, sizeof out), 6);
    CHECK(memcmp(out, "foobar", 6) == 0);
    CHECK_EQ(nw__b64_decode((const uint8_t *)"Zm9vYg==", 8, out, sizeof out), 4);
    CHECK_EQ(nw__b64_decode((const uint8_t *)"Zm9v!", 5, out, sizeof out), -1);
    CHECK_EQ(nw__b64_decode((const uint8_t *)"Zg==Zg", 6, out, sizeof out), -1);
    CHECK_EQ(nw__b64_decode((const uint8_t *)"Zm9vYmFyZm9vYmFyZm9vYmFy", 24, out, 4), -1);
    nw__login_start(&a, "x", NULL, 0);
    nw__sasl_begin(&a, (const uint8_t *)"SCRAM-SHA-256", 13);
    nw__sasl_response(&a, (const uint8_t *)"biwsbj11c2VyLHI9ZnlrbytkMmxiYkZnT05Sdjlxa3hkYXdM", 48);
    CHECK_EQ(a.user_len, 4);
    CHECK(memcmp(a.user, "user", 4) == 0);
    CHECK_EQ(a.password_seen, 0);
    nw__sasl_response(&a, (const uint8_t *)"Yz1iaXdzLHI9,cD1wcm9vZg==", 25);
    CHECK_EQ(a.password_seen, 1);
}

#define X NWT_ENTRY
NW_TEST_MAIN(X(ftp_anonymous_success) X(ftp_failure_then_success)
                 X(ftp_pipelined_acct_and_end_unknown) X(ftp_auth_tls_switches) X(pop3_user_pass)
                     X(pop3_sasl_plain) X(pop3_apop_login_retr_stls)
                         X(smtp_auth_login_and_envelope) X(smtp_pipelining_plain_crammd5)
                             X(smtp_bdat) X(smtp_starttls_switches) X(imap_login_atoms)
                                 X(imap_quoted_and_literals) X(imap_authenticate_starttls)
                                     X(telnet_success_last_login)
                                         X(telnet_failure_then_shell_prompt)
                                             X(telnet_new_environ_user) X(gaps_resync) X(overlong_lines_fail)
                                                 X(hostile_input) X(base64_and_sasl_helpers))
