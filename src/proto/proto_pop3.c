/* proto_pop3.c - placeholder: parser not written yet (consumes and ignores). */
#include "nw/proto.h"

static int pop3_parse(struct nw_proto_ctx *ctx, void *state, const uint8_t *p, size_t len)
{
    (void)ctx, (void)state, (void)p;
    return (int)len;
}

const struct nw_proto_parser nw_proto_pop3 = {
    .name = "pop3",
    .transports = NW_T_TCP,
    .ports = {110},
    .parse = pop3_parse,
};
