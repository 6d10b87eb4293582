/*
 * fuzz_html.c - the web probes' HTML/link extractor (libxml2 HTML parser,
 * CSS rule reader, hidden-link logic, normaliser), the script link finder
 * and URL resolution on arbitrary bytes. The first byte picks the target:
 * 0-5 nw_html_extract, 6 nw_html_script_links, 7 nw_web_url_resolve.
 * Checks: every link has href and text, a resolved URL parses again, the
 * normalised text has exactly normlen bytes and no NUL inside.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nw/core.h"
#include "nw/web.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_doc(const struct nw_html_doc *d)
{
    struct nw_url u;
    for (size_t i = 0; i < d->nlinks; i++) {
        if (d->links[i].href == NULL || d->links[i].text == NULL || d->links[i].tag == NULL)
            abort();
        if (d->links[i].url && nw_web_url_parse(d->links[i].url, &u) != 0) abort();
    }
    if (d->nlinks > NW_HTML_MAX_LINKS || d->nforms > NW_HTML_MAX_FORMS) abort();
    if (d->norm && strlen(d->norm) != d->normlen) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct nw_html_doc d;
    unsigned sel;
    char *copy;

    if (size < 1) return 0;
    sel = data[0] % 8;
    data++;
    size--;
    copy = malloc(size ? size : 1); /* exact size: ASan sees overreads */
    if (copy == NULL) return 0;
    if (size) memcpy(copy, data, size);
    if (sel <= 5) {
        if (nw_html_extract(copy, size, "http://www.example.org/a/b.html?x=1", &d) == 0)
            check_doc(&d);
        nw_html_doc_free(&d);
    } else if (sel == 6) {
        memset(&d, 0, sizeof d);
        nw_html_script_links(copy, size, "https://example.org:8443/dir/", &d);
        check_doc(&d);
        nw_html_doc_free(&d);
    } else {
        struct nw_url base, out;
        char text[NW_URL_PATH_MAX + NW_URL_HOST_MAX + 32];
        nw_web_url_parse("https://[2001:db8::1]:8443/p/q/r?s", &base);
        if (nw_web_url_resolve(&base, copy, size, &out) == 0) {
            nw_web_url_format(&out, text, sizeof text);
            if (nw_web_url_parse(text, &base) != 0) abort();
        }
    }
    free(copy);
    return 0;
}
