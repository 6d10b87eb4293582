/*
 * fuzz_resp.c - the reply parsers of the weak-credential probes
 * (src/inspect/weak_wire.c): Redis RESP, FTP replies, HTTP response heads,
 * and the dictionary line parser (src/inspect/cred.c, which reads the
 * operator's files). The first byte picks the target (low 2 bits); the
 * rest of it picks a chunk size, and each parser is called on every
 * growing prefix, the way nw__wire_read drives it, so the "need more"
 * paths meet every cut point.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/inspect/cred.h"
#include "../src/inspect/weak_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int one(int target, const uint8_t *p, size_t n)
{
    struct nw_resp r;
    int code, st, basic, rc = 0;

    switch (target) {
    case 0:
        rc = nw__resp_parse(p, n, &r);
        if (rc > 0 && (r.type == '+' || r.type == '-' || r.type == '$'))
            for (size_t i = 0; i < r.len; i++) code = r.data[i]; /* ASan checks the slice */
        break;
    case 1:
        rc = nw__ftp_reply(p, n, &code);
        break;
    case 2:
        rc = nw__http_head(p, n, &st, &basic);
        break;
    default: {
        struct nw_cred_list l = {0};

        nw__cred_list_parse(&l, (const char *)p, n);
        nw__cred_list_fini(&l);
        break;
    }
    }
    if (rc > (int)n) abort(); /* a parser may never claim more than it was given */
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy;
    size_t step, n;
    int target;

    if (size < 1) return 0;
    target = data[0] & 3;
    step = (size_t)(data[0] >> 2) + 1;
    data++;
    size--;
    copy = malloc(size ? size : 1);
    if (copy == NULL) return 0;
    memcpy(copy, data, size);
    if (target == 3) {
        one(target, copy, size);
    } else {
        /* growing prefixes, each in an exactly sized buffer */
        for (n = step < size ? step : size;; n = n + step < size ? n + step : size) {
            uint8_t *pre = malloc(n ? n : 1);

            if (pre == NULL) break;
            memcpy(pre, copy, n);
            one(target, pre, n);
            free(pre);
            if (n == size) break;
        }
    }
    free(copy);
    return 0;
}
