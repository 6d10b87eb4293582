/* testctx.c - see nw/testctx.h. */
#include "nw/testctx.h"

#include <arpa/inet.h>
#include <string.h>

#include "engine_int.h"

static int capture_write(void *self, const char *type, const char *line, size_t len)
{
    (void)type;
    nw_buf_append(self, line, len);
    return 0;
}

static int parse_addr(const char *s, uint8_t *out, int *family)
{
    memset(out, 0, 16);
    if (inet_pton(AF_INET, s, out) == 1) {
        *family = 4;
        return 0;
    }
    if (inet_pton(AF_INET6, s, out) == 1) {
        *family = 6;
        return 0;
    }
    return NW_EINVAL;
}

int nw_testctx_init(struct nw_testctx *t, const char *name, int ipproto, const char *src,
                    uint16_t sport, const char *dst, uint16_t dport)
{
    struct nw_engine_config cfg;
    struct nw_sink sink = {.name = "test", .write = capture_write};
    const struct nw_proto_parser *p = name ? nw_proto_find(name) : NULL;
    int fam1 = 0, fam2 = 0;

    memset(t, 0, sizeof *t);
    if (name != NULL && p == NULL) return NW_ENOENT;
    nw_buf_init(&t->records, 0);
    nw_output_init(&t->out);
    sink.self = &t->records;
    nw_output_add_sink(&t->out, &sink);
    nw_engine_config_defaults(&cfg);
    cfg.flow_memcap = 1u << 20; /* no packets flow here: keep set-up cheap for fuzzers */
    t->eng = nw_engine_new(&cfg, &t->out, NULL);
    if (t->eng == NULL) goto fail;
    if (parse_addr(src, t->tuple.src, &fam1) || parse_addr(dst, t->tuple.dst, &fam2) ||
        fam1 != fam2)
        goto fail;
    t->tuple.family = (uint8_t)fam1;
    t->tuple.proto = (uint8_t)ipproto;
    t->tuple.sport = sport;
    t->tuple.dport = dport;
    t->pkt.t = t->tuple;
    t->ts_us = 1700000000000000ull;
    t->ctx.tuple = &t->tuple;
    t->ctx.pkt = &t->pkt;
    t->ctx.eng = t->eng;
    t->ctx.ident = nw_engine_identity(t->eng);
    t->ctx.flow_id = 1;
    if (p != NULL && nw_applayer_attach(&t->al, p, ipproto == 6) != 0) goto fail;
    return 0;
fail:
    nw_testctx_fini(t);
    return NW_EINVAL;
}

int nw_testctx_feed(struct nw_testctx *t, int dir, const void *p, size_t len)
{
    t->ctx.dir = dir;
    t->ctx.ts_us = t->ts_us;
    t->pkt.ts_us = t->ts_us;
    return nw_applayer_feed(&t->al, &t->ctx, p, len);
}

int nw_testctx_feed_chunked(struct nw_testctx *t, int dir, const void *p, size_t len,
                            size_t chunk)
{
    const uint8_t *b = p;
    int rc = 0;

    if (chunk == 0) chunk = 1;
    for (size_t off = 0; off < len && rc >= 0; off += chunk)
        rc = nw_testctx_feed(t, dir, b + off, NW_MIN(chunk, len - off));
    return rc;
}

void nw_testctx_gap(struct nw_testctx *t, int dir, size_t len)
{
    t->ctx.dir = dir;
    nw_applayer_gap(&t->al, &t->ctx, len);
}

void nw_testctx_end(struct nw_testctx *t)
{
    t->ctx.pkt = NULL;
    nw_applayer_end(&t->al, &t->ctx);
    t->ctx.pkt = &t->pkt;
}

void nw_testctx_fini(struct nw_testctx *t)
{
    if (t->eng != NULL) {
        nw_applayer_end(&t->al, &t->ctx);
        nw_engine_free(t->eng);
        t->eng = NULL;
    }
    nw_output_fini(&t->out);
    nw_buf_fini(&t->records);
}

int nw_testctx_count(const struct nw_testctx *t, const char *needle)
{
    int n = 0;
    size_t nl = strlen(needle);
    const char *p = t->records.data, *end;

    if (p == NULL || nl == 0) return 0;
    end = p + t->records.len;
    while ((p = memmem(p, (size_t)(end - p), needle, nl)) != NULL) {
        n++;
        p += nl;
    }
    return n;
}
