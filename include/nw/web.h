/*
 * web.h - website checks for `netwarden inspect --web URL` (issue 5, W1):
 * URL handling, the HTML/link extractor (libxml2's HTML parser) and the
 * run-wide web options. The probes themselves are src/inspect/probe_web_*.c
 * (docs/inspect-web.md).
 *
 * A website is an inspection target whose host text is the URL as the user
 * wrote it ("https://www.example.org/"); its address is the URL host's,
 * checked against the --scope file like any target. Web probes skip any
 * other target.
 *
 * Thread safety: the extractor is reentrant; the options and the per-run
 * site cache (src/inspect/web_site.c) are process-wide and meant for the
 * run loop, which calls probes one at a time.
 */
#ifndef NW_WEB_H
#define NW_WEB_H

#include <stddef.h>
#include <stdint.h>

/* Run-wide options set by `netwarden inspect` before the run. */
struct nw_web_options {
    int baseline; /* --web-baseline: web_tamper records the baseline instead of comparing */
};
void nw_web_configure(const struct nw_web_options *o);
/* The options in force (zeroed until configured). */
const struct nw_web_options *nw_web_options_get(void);
/* Free the per-run site cache (pages crawled for the web probes). Idempotent. */
void nw_web_fini(void);

struct nw_checkset;
/*
 * The ids of the loaded checks whose probe is a web probe (name web_*),
 * comma-separated, for a run given only --web. nw_alloc'ed (caller frees
 * with nw_free); NULL when there is none or no memory.
 */
char *nw_web_check_ids(const struct nw_checkset *cs);
/*
 * The ports of the http(s) URLs in list (comma/space separated) as
 * "80,8443" into out, for the scan of a --web-only run. Returns how many
 * URLs parsed.
 */
int nw_web_url_ports(const char *list, char *out, size_t cap);

/* ------------------------------------------------------------------ URLs -- */

#define NW_URL_HOST_MAX 256
#define NW_URL_PATH_MAX 2048

/* An http(s) URL split up. path always starts with '/' and keeps the query; no fragment. */
struct nw_url {
    char scheme[8];              /* "http" or "https" */
    char host[NW_URL_HOST_MAX];  /* lower case; IPv6 literals without brackets */
    uint16_t port;               /* explicit or the scheme's default */
    char path[NW_URL_PATH_MAX];
};

/* Does s start like an http:// or https:// URL? */
int nw_web_is_url(const char *s);
/*
 * Parse an absolute http(s) URL (no user info). Returns 0, or NW_EFORMAT
 * (not http/https, bad port, no host, too long).
 */
int nw_web_url_parse(const char *s, struct nw_url *u);
/*
 * Resolve reference ref (ref_len bytes, from an href/src attribute) against
 * base. Returns 0 and out, or NW_EFORMAT when ref is not an http(s)
 * location (mailto:, javascript:, data:, a bad URL) or too long.
 */
int nw_web_url_resolve(const struct nw_url *base, const char *ref, size_t ref_len,
                       struct nw_url *out);
/* Format u as text ("https://h:8443/p?q"; default ports left out). */
void nw_web_url_format(const struct nw_url *u, char *out, size_t cap);

/* ------------------------------------------------------------- extractor -- */

/* Why a link is not visible (bits, OR-ed over the element and its ancestors). */
enum nw_html_hide {
    NW_HIDE_DISPLAY = 1u << 0,    /* display:none */
    NW_HIDE_VISIBILITY = 1u << 1, /* visibility:hidden|collapse */
    NW_HIDE_OFFSCREEN = 1u << 2,  /* left/top/margin/text-indent <= -500 */
    NW_HIDE_ZEROSIZE = 1u << 3,   /* width/height <= 1px (with overflow hidden, or both) */
    NW_HIDE_TINYFONT = 1u << 4,   /* font-size <= 2px */
    NW_HIDE_COLOR = 1u << 5,      /* text colour equals the background colour */
    NW_HIDE_OPACITY = 1u << 6,    /* opacity:0 */
    NW_HIDE_ATTR = 1u << 7,       /* the hidden attribute, or a 0/1-pixel marquee */
    NW_HIDE_SCRIPT = 1u << 8      /* written by script (document.write, innerHTML, ...) */
};

struct nw_html_link {
    char *url;       /* absolute http(s) URL, or NULL (mailto:, javascript:, bad) */
    char *href;      /* the attribute as written (<= 512 bytes) */
    char *text;      /* visible text, whitespace collapsed (<= 256 bytes) */
    const char *tag; /* "a", "iframe", "meta-refresh", "script" (static) */
    unsigned hidden; /* enum nw_html_hide bits */
};

struct nw_html_form {
    char *action;    /* absolute URL (the page's when absent) */
    int get;         /* method GET (the only forms the injection probes submit) */
    char **names;    /* field names (<= 64) */
    char **values;   /* their default values ("" when none) */
    size_t n;
};

struct nw_html_doc {
    struct nw_html_link *links;
    size_t nlinks, caplinks;
    struct nw_html_form *forms;
    size_t nforms, capforms;
    char **scripts;  /* absolute URLs of external scripts */
    size_t nscripts, capscripts;
    char **res;      /* absolute URLs of images, styles, scripts, frames (for directory probes) */
    size_t nres, capres;
    char *norm;      /* normalised content, one item per line (docs/inspect-web.md) */
    size_t normlen;
    char title[256];
    int limited;     /* a bound was hit (links, forms, depth, normalised size) */
};

#define NW_HTML_MAX_LINKS 4096
#define NW_HTML_MAX_FORMS 128
#define NW_HTML_MAX_FIELDS 64
#define NW_HTML_MAX_RES 1024
#define NW_HTML_MAX_NORM (1024 * 1024)
#define NW_HTML_MAX_DEPTH 256
#define NW_HTML_MAX_RULES 512

/*
 * Parse html (len bytes, any bytes: libxml2's recovering HTML parser, no
 * network) relative to base_url and fill d: links with their hidden bits
 * (inline style, <style> rules with simple selectors, attributes; links in
 * inline scripts that write HTML), forms, scripts, resources, normalised
 * content. Returns 0 (d filled; free with nw_html_doc_free even on error),
 * NW_EFORMAT (base_url is not an http(s) URL), NW_ENOMEM. Bounded by the
 * NW_HTML_MAX_* limits above.
 */
int nw_html_extract(const char *html, size_t len, const char *base_url, struct nw_html_doc *d);
/*
 * Links written by script text js (len bytes): when it writes HTML
 * (document.write[ln], innerHTML/outerHTML, insertAdjacentHTML) every
 * <a href>/<iframe src> in its strings, and location assignments; each is
 * appended to d with NW_HIDE_SCRIPT. Returns how many were added.
 */
size_t nw_html_script_links(const char *js, size_t len, const char *base_url,
                            struct nw_html_doc *d);
void nw_html_doc_free(struct nw_html_doc *d);

#endif /* NW_WEB_H */
