/* proto_pppoe.c - placeholder: PPPoE discovery and PPP control not parsed yet. */
#include "nw/proto.h"

void nw_pppoe_frame(struct nw_proto_ctx *ctx, uint16_t ethertype, const uint8_t *p, size_t len)
{
    (void)ctx, (void)ethertype, (void)p, (void)len;
}
