/*
 * applayer.c - drives one parser over one flow (see nw_applayer in proto.h).
 *
 * TCP bytes the parser did not consume are kept per direction and offered
 * again, joined with the next bytes, so parsers never buffer partial
 * messages themselves. The pending buffer is bounded by NW_PROTO_MAX_PENDING:
 * a parser that keeps asking for more beyond that is detached and counted
 * ("<name>.pending_limit"), which bounds memory per flow whatever the input.
 */
#include "nw/proto.h"

#include <string.h>

#include "nw/core.h"

/* al must be zeroed before the first attach; a switch re-attaches and keeps
 * the pending buffers, whose bytes the new parser is about to read. */
int nw_applayer_attach(struct nw_applayer *al, const struct nw_proto_parser *p, int is_tcp)
{
    if (p->state_size) {
        al->state = nw_calloc(1, p->state_size);
        if (al->state == NULL) return NW_ENOMEM;
    }
    al->parser = p;
    al->is_tcp = (uint8_t)(is_tcp != 0);
    al->pending[0].max = NW_PROTO_MAX_PENDING;
    al->pending[1].max = NW_PROTO_MAX_PENDING;
    return 0;
}

static void detach(struct nw_applayer *al, struct nw_proto_ctx *ctx)
{
    const struct nw_proto_parser *p = al->parser;

    if (p == NULL) return;
    ctx->parser_name = p->name;
    if (p->end) p->end(ctx, al->state);
    nw_free(al->state);
    al->state = NULL;
    al->parser = NULL;
}

static void release(struct nw_applayer *al, struct nw_proto_ctx *ctx)
{
    detach(al, ctx);
    nw_buf_fini(&al->pending[0]);
    nw_buf_fini(&al->pending[1]);
}

/* Perform a requested switch (STARTTLS): the new parser starts fresh. */
static int do_switch(struct nw_applayer *al, struct nw_proto_ctx *ctx)
{
    const struct nw_proto_parser *np = nw_proto_find(ctx->switch_to);

    ctx->switch_to = NULL;
    detach(al, ctx);
    al->pending[!(ctx->dir & 1)].len = 0; /* the old protocol's leftovers */
    if (np == NULL) return 0;
    if (nw_applayer_attach(al, np, 1) != 0) {
        nw_proto_anomaly(ctx, "switch_nomem");
        return NW_ENOMEM;
    }
    return 0;
}

/* Run the consume loop over p/len; returns bytes consumed or <0. */
static long run(struct nw_applayer *al, struct nw_proto_ctx *ctx, const uint8_t *p, size_t len)
{
    size_t off = 0;

    while (off < len && al->parser != NULL) {
        ctx->parser_name = al->parser->name;
        int n = al->parser->parse(ctx, al->state, p + off, len - off);
        if (n < 0) return n;
        if (ctx->switch_to) {
            /* bytes after the switch point belong to the new protocol */
            off += (size_t)n;
            if (do_switch(al, ctx) != 0) return NW_ENOMEM;
            continue;
        }
        if (n == 0) break;
        if ((size_t)n > len - off) n = (int)(len - off); /* parser over-reported */
        off += (size_t)n;
    }
    return (long)off;
}

int nw_applayer_feed(struct nw_applayer *al, struct nw_proto_ctx *ctx, const uint8_t *p,
                     size_t len)
{
    struct nw_buf *pend;
    long n;
    int dir = ctx->dir & 1;

    if (al->parser == NULL || len == 0) return 0;
    ctx->parser_name = al->parser->name;
    if (!al->is_tcp) {
        int rc = al->parser->parse(ctx, al->state, p, len);
        if (rc < 0) nw_proto_anomaly(ctx, "malformed");
        return 0;
    }
    pend = &al->pending[dir];
    if (pend->len == 0) {
        n = run(al, ctx, p, len);
        if (n < 0) goto fail;
        if (al->parser == NULL || (size_t)n == len) return 0;
        nw_buf_append(pend, p + n, len - (size_t)n);
    } else {
        nw_buf_append(pend, p, len);
        if (!nw_buf_ok(pend)) goto limit;
        n = run(al, ctx, (const uint8_t *)pend->data, pend->len);
        if (n < 0) goto fail;
        if (al->parser == NULL) return 0;
        if (n > 0 && (size_t)n <= pend->len) {
            memmove(pend->data, pend->data + n, pend->len - (size_t)n);
            pend->len -= (size_t)n;
        }
    }
    if (!nw_buf_ok(pend)) goto limit;
    return 0;
limit:
    nw_proto_anomaly(ctx, "pending_limit");
    al->failed = 1;
    release(al, ctx);
    return NW_ELIMIT;
fail:
    nw_proto_anomaly(ctx, "malformed");
    al->failed = 1;
    release(al, ctx);
    return (int)n;
}

void nw_applayer_gap(struct nw_applayer *al, struct nw_proto_ctx *ctx, size_t len)
{
    if (al->parser == NULL) return;
    if (al->parser->gap == NULL) {
        release(al, ctx);
        return;
    }
    ctx->parser_name = al->parser->name;
    al->pending[ctx->dir & 1].len = 0; /* bytes before a hole cannot be joined to after it */
    al->parser->gap(ctx, al->state, len);
}

void nw_applayer_end(struct nw_applayer *al, struct nw_proto_ctx *ctx)
{
    release(al, ctx);
}
