/*
 * test_web.c - the web probes' URL handling and HTML/link extractor
 * (src/inspect/web_url.c, web_html.c): resolution against RFC 3986
 * examples, hidden-link reasons per CSS source, script-written links,
 * forms, normalisation masking, bounds on hostile input.
 */
#include <string.h>

#include "nw/core.h"
#include "nw/web.h"
#include "nwtest.h"

static const char *resolve(const char *base, const char *ref, char *out, size_t cap)
{
    struct nw_url b, u;
    if (nw_web_url_parse(base, &b) != 0) return "BADBASE";
    if (nw_web_url_resolve(&b, ref, strlen(ref), &u) != 0) return "ERR";
    nw_web_url_format(&u, out, cap);
    return out;
}

TEST(url_resolve)
{
    char o[4096];
    const char *b = "http://a/b/c/d;p?q";
    /* RFC 3986 5.4.1 normal examples (http only) */
    CHECK_STR(resolve(b, "g", o, sizeof o), "http://a/b/c/g");
    CHECK_STR(resolve(b, "./g", o, sizeof o), "http://a/b/c/g");
    CHECK_STR(resolve(b, "g/", o, sizeof o), "http://a/b/c/g/");
    CHECK_STR(resolve(b, "/g", o, sizeof o), "http://a/g");
    CHECK_STR(resolve(b, "//g", o, sizeof o), "http://g/");
    CHECK_STR(resolve(b, "?y", o, sizeof o), "http://a/b/c/d;p?y");
    CHECK_STR(resolve(b, "g?y", o, sizeof o), "http://a/b/c/g?y");
    CHECK_STR(resolve(b, "#s", o, sizeof o), "http://a/b/c/d;p?q");
    CHECK_STR(resolve(b, "..", o, sizeof o), "http://a/b/");
    CHECK_STR(resolve(b, "../g", o, sizeof o), "http://a/b/g");
    CHECK_STR(resolve(b, "../../../g", o, sizeof o), "http://a/g");
    CHECK_STR(resolve(b, "mailto:x@y", o, sizeof o), "ERR");
    CHECK_STR(resolve(b, "javascript:alert(1)", o, sizeof o), "ERR");
    CHECK_STR(resolve(b, "HTTPS://Example.ORG:443/x y", o, sizeof o), "https://example.org/x%20y");
    CHECK_STR(resolve(b, "http://u:p@evil/", o, sizeof o), "ERR"); /* no user info */
    CHECK_STR(resolve("https://[::1]:8443/", "x", o, sizeof o), "https://[::1]:8443/x");
    CHECK_STR(resolve(b, "http://h:0/", o, sizeof o), "ERR");
    CHECK_STR(resolve(b, "http://h:65536/", o, sizeof o), "ERR");
}

static const struct nw_html_link *find(const struct nw_html_doc *d, const char *url)
{
    for (size_t i = 0; i < d->nlinks; i++)
        if (d->links[i].url && strcmp(d->links[i].url, url) == 0) return &d->links[i];
    return NULL;
}

TEST(hidden_reasons)
{
    static const char page[] =
        "<html><head><style>/* c */ .off{position:absolute;left:-9999px}"
        " div.f > p a { display : none !important }"
        " @media screen { #z { font-size: 0 } } a:hover{display:none}"
        " .w{color:#FFF} </style></head><body bgcolor=white>"
        "<a href='/vis'>visible</a>"
        "<span class=off><a href='http://o.test/'>o</a></span>"
        "<div class='x f'><p><b><a href='http://d.test/'>d</a></b></p></div>"
        "<p id=z><a href='http://t.test/'>t</a></p>"
        "<div style='height:0;overflow:hidden'><a href='http://h.test/'>h</a></div>"
        "<a class=w href='http://c.test/'>c</a>"
        "<div hidden><a href='http://a.test/'>a</a></div>"
        "<marquee height=1><a href='http://m.test/'>m</a></marquee>"
        "<iframe src='http://i.test/' width=0 height=0></iframe>"
        "<script>document.write(\"<a hr\" + \"ef='http://s.test/'>\\u516d\\u5408</a>\");</script>"
        "</body></html>";
    struct nw_html_doc d;
    CHECK_EQ(nw_html_extract(page, sizeof page - 1, "http://site.test/dir/", &d), 0);
    CHECK(find(&d, "http://site.test/vis") && find(&d, "http://site.test/vis")->hidden == 0);
    CHECK(find(&d, "http://o.test/") && find(&d, "http://o.test/")->hidden == NW_HIDE_OFFSCREEN);
    CHECK(find(&d, "http://d.test/") && find(&d, "http://d.test/")->hidden == NW_HIDE_DISPLAY);
    CHECK(find(&d, "http://t.test/") && find(&d, "http://t.test/")->hidden == NW_HIDE_TINYFONT);
    CHECK(find(&d, "http://h.test/") && find(&d, "http://h.test/")->hidden == NW_HIDE_ZEROSIZE);
    CHECK(find(&d, "http://c.test/") && find(&d, "http://c.test/")->hidden == NW_HIDE_COLOR);
    CHECK(find(&d, "http://a.test/") && find(&d, "http://a.test/")->hidden == NW_HIDE_ATTR);
    CHECK(find(&d, "http://m.test/") && find(&d, "http://m.test/")->hidden == NW_HIDE_ATTR);
    CHECK(find(&d, "http://i.test/") && find(&d, "http://i.test/")->hidden == NW_HIDE_ZEROSIZE);
    CHECK(find(&d, "http://s.test/") && find(&d, "http://s.test/")->hidden == NW_HIDE_SCRIPT);
    CHECK_STR(find(&d, "http://s.test/")->text, "六合");
    nw_html_doc_free(&d);
}

TEST(forms_and_norm)
{
    static const char page[] =
        "<form action='/s'><input name=q value=abc><input type=hidden name=csrf value=T1>"
        "<select name=c></select></form><form method=post action='/p'><input name=u></form>"
        "<p>Updated 2026-11-21 12:34:56, 2026年11月21日, ts 1763728496,"
        " nonce 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b</p>";
    struct nw_html_doc d;
    CHECK_EQ(nw_html_extract(page, sizeof page - 1, "https://site.test/a/b", &d), 0);
    CHECK_EQ(d.nforms, 2);
    CHECK_STR(d.forms[0].action, "https://site.test/s");
    CHECK(d.forms[0].get && !d.forms[1].get);
    CHECK_EQ(d.forms[0].n, 3);
    CHECK_STR(d.forms[0].names[1], "csrf");
    CHECK(d.norm != NULL);
    CHECK_HAS(d.norm, "Updated <date> <time>, <date>, ts <num>, nonce <tok>");
    CHECK(strstr(d.norm, "T1") == NULL); /* hidden input values are not content */
    nw_html_doc_free(&d);
}

TEST(hostile_bounds)
{
    size_t n = 200000;
    char *p = nw_alloc(n);
    struct nw_html_doc d;
    CHECK(p != NULL);
    if (p == NULL) return;
    for (size_t i = 0; i < n; i++) p[i] = "<a href=x>"[i % 10]; /* 20000 links */
    CHECK_EQ(nw_html_extract(p, n, "http://s.test/", &d), 0);
    CHECK(d.nlinks == NW_HTML_MAX_LINKS && d.limited);
    nw_html_doc_free(&d);
    for (size_t i = 0; i < n; i++) p[i] = "<div>"[i % 5]; /* deep nesting */
    CHECK_EQ(nw_html_extract(p, n, "http://s.test/", &d), 0);
    nw_html_doc_free(&d);
    CHECK_EQ(nw_html_extract("", 0, "http://s.test/", &d), 0);
    nw_html_doc_free(&d);
    CHECK_EQ(nw_html_extract("<a>", 3, "ftp://x/", &d), NW_EFORMAT);
    nw_html_doc_free(&d);
    nw_free(p);
}

NW_TEST_MAIN(NWT_ENTRY(url_resolve) NWT_ENTRY(hidden_reasons) NWT_ENTRY(forms_and_norm)
                 NWT_ENTRY(hostile_bounds))
