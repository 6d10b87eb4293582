/* proto_dns.c - placeholder: parser not written yet (consumes and ignores). */
#include "nw/proto.h"

static int dns_parse(struct nw_proto_ctx *ctx, void *state, const uint8_t *p, size_t len)
{
    (void)ctx, (void)state, (void)p;
    return (int)len;
}

const struct nw_proto_parser nw_proto_dns = {
    .name = "dns",
    .transports = NW_T_UDP | NW_T_TCP,
    .ports = {53},
    .parse = dns_parse,
};
