/* proto_dhcp.c - placeholder: parser not written yet (consumes and ignores). */
#include "nw/proto.h"

static int dhcp_parse(struct nw_proto_ctx *ctx, void *state, const uint8_t *p, size_t len)
{
    (void)ctx, (void)state, (void)p;
    return (int)len;
}

const struct nw_proto_parser nw_proto_dhcp = {
    .name = "dhcp",
    .transports = NW_T_UDP,
    .ports = {67, 68},
    .parse = dhcp_parse,
};
