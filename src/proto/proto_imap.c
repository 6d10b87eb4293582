/* proto_imap.c - placeholder: parser not written yet (consumes and ignores). */
#include "nw/proto.h"

static int imap_parse(struct nw_proto_ctx *ctx, void *state, const uint8_t *p, size_t len)
{
    (void)ctx, (void)state, (void)p;
    return (int)len;
}

const struct nw_proto_parser nw_proto_imap = {
    .name = "imap",
    .transports = NW_T_TCP,
    .ports = {143},
    .parse = imap_parse,
};
