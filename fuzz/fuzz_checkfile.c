/*
 * fuzz_checkfile.c - the check-file loader (libyaml + schema validation),
 * the profile loader and the pass-condition language on arbitrary bytes.
 * The first byte picks the target: 0-3 check file, 4 profile file,
 * 5-7 condition (compiled, then evaluated over fixed facts).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nw/inspect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char facts[] = "{\"value\":\"no\",\"number\":90,\"matched\":true,\"list\":[1,\"a\"],"
                            "\"o\":{\"k\":null}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct nw_checkset cs;
    struct nw_err e;
    unsigned sel;
    char *copy;

    if (size < 1) return 0;
    sel = data[0] % 8;
    data++;
    size--;
    copy = malloc(size + 1); /* exact size (+NUL for the condition) so ASan sees overreads */
    if (copy == NULL) return 0;
    memcpy(copy, data, size);
    copy[size] = '\0';
    memset(&cs, 0, sizeof cs);
    if (sel <= 3) {
        if (nw_checkset_load_buf(&cs, "fuzz.yaml", copy, size, &e) == 0 && cs.n == 1) {
            /* a check that loads must have everything the run relies on */
            const struct nw_check *c = &cs.checks[0];
            if (!c->id || !c->title_zh || !c->title_en || !c->remed_zh || !c->remed_en ||
                !c->probe || !c->cond || !c->mlps2 || !c->mlps2[0])
                abort();
        }
    } else if (sel == 4) {
        nw_checkset_load_profile_buf(&cs, "fuzz.yaml", copy, size, &e);
    } else if (memchr(copy, '\0', size) == NULL) {
        struct nw_cond *c;
        if (nw_cond_compile(copy, &c, &e) == 0) {
            nw_cond_eval(c, facts, sizeof facts - 1, &e);
            nw_cond_free(c);
        }
    }
    nw_checkset_free(&cs);
    free(copy);
    return 0;
}
