/*
 * proto_template.c - the shape of an app-layer parser; copy it to start one.
 * (Built, so it keeps compiling, but not registered.)
 *
 * This toy protocol is line-based over TCP: the client sends "HELLO <name>\r\n"
 * and the server answers "OK\r\n"; we emit one "template" record per HELLO.
 * It shows the stream contract: return bytes consumed, 0 for "need more",
 * <0 for a protocol violation; never read past len.
 */
#include "nw/proto.h"

#include <string.h>

struct template_state {
    unsigned hellos; /* HELLOs seen, bounded by the flow's life */
};

static int template_probe(const uint8_t *p, size_t len, int dir)
{
    if (dir != NW_DIR_TOSERVER) return 0;
    if (len < 6) return memcmp(p, "HELLO ", len) == 0 ? -1 : 0;
    return memcmp(p, "HELLO ", 6) == 0;
}

static int template_parse(struct nw_proto_ctx *ctx, void *state, const uint8_t *p, size_t len)
{
    struct template_state *st = state;
    const uint8_t *eol = memchr(p, '\n', len);
    size_t linelen;

    if (eol == NULL) return len > 1024 ? -1 : 0; /* a line longer than 1 KiB is a violation */
    linelen = (size_t)(eol - p) + 1;
    if (ctx->dir == NW_DIR_TOSERVER && linelen >= 6 && memcmp(p, "HELLO ", 6) == 0) {
        size_t n = linelen - 6;
        while (n && (p[6 + n - 1] == '\n' || p[6 + n - 1] == '\r')) n--;
        struct nw_buf *b = nw_record_begin(ctx, "template", NW_REC_FLOW);
        nw_json_kobj_open(b, "template");
        nw_json_kstr(b, "name", p + 6, n);
        nw_json_obj_close(b);
        nw_record_end(ctx);
        st->hellos++;
    }
    return (int)linelen;
}

const struct nw_proto_parser nw_proto_template = {
    .name = "template",
    .transports = NW_T_TCP,
    .ports = {7},
    .probe = template_probe,
    .state_size = sizeof(struct template_state),
    .parse = template_parse,
};
