/*
 * fuzz_report.c - the report model's reader (nw_report_load_buf) and the
 * Markdown/HTML renderers on arbitrary bytes: a results document is
 * untrusted input (copied from other machines, hand-edited). The first byte
 * picks the language; the rest is the document, copied into a buffer of
 * exact size so ASan sees overreads. When it loads, it is also compared
 * with itself (the --compare path). PDF is not fuzzed here (cairo/pango are
 * slow per input); the e2e test feeds it hostile evidence instead.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nw/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct nw_report m;
    struct nw_err err;
    struct nw_buf b;
    char *copy;
    int lang;

    if (size < 1) return 0;
    lang = data[0] & 1 ? NW_LANG_EN : NW_LANG_ZH;
    copy = malloc(size - 1 ? size - 1 : 1);
    if (copy == NULL) return 0;
    memcpy(copy, data + 1, size - 1);
    memset(&m, 0, sizeof m);
    nw_buf_init(&b, 64u << 20);
    if (nw_report_load_buf(&m, "fuzz", copy, size - 1, &err) == 0 &&
        nw_report_compare_buf(&m, "fuzz", copy, size - 1, &err) == 0) {
        m.unit_name = m.unit_code = m.unit_leader = m.unit_contact = "";
        nw_report_md(&m, lang, &b);
        nw_buf_reset(&b);
        nw_report_html(&m, lang, &b);
    }
    nw_buf_fini(&b);
    nw_report_free(&m);
    free(copy);
    return 0;
}
