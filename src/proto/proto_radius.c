/* proto_radius.c - placeholder: parser not written yet (consumes and ignores). */
#include "nw/proto.h"

static int radius_parse(struct nw_proto_ctx *ctx, void *state, const uint8_t *p, size_t len)
{
    (void)ctx, (void)state, (void)p;
    return (int)len;
}

const struct nw_proto_parser nw_proto_radius = {
    .name = "radius",
    .transports = NW_T_UDP,
    .ports = {1812, 1813},
    .parse = radius_parse,
};
