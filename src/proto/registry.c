/*
 * registry.c - every app-layer parser, in probe order. Adding a protocol:
 * write src/proto/proto_<name>.c (start from proto_template.c), add one
 * line to NW_PARSERS below and one to src/CMakeLists.txt, and its tests.
 */
#include "nw/proto.h"

#include <string.h>

#define NW_PARSERS(X)                                                                             \
    X(dns)                                                                                        \
    X(http)                                                                                       \
    X(tls)                                                                                        \
    X(quic)                                                                                       \
    X(dhcp)                                                                                       \
    X(radius)                                                                                     \
    X(smtp)                                                                                       \
    X(pop3)                                                                                       \
    X(imap)                                                                                       \
    X(ftp)                                                                                        \
    X(telnet)

#define NW_X_DECL(n) extern const struct nw_proto_parser nw_proto_##n;
NW_PARSERS(NW_X_DECL)
#undef NW_X_DECL

const struct nw_proto_parser *const nw_proto_parsers[] = {
#define NW_X_REF(n) &nw_proto_##n,
    NW_PARSERS(NW_X_REF)
#undef NW_X_REF
};
const size_t nw_proto_nparsers = sizeof nw_proto_parsers / sizeof nw_proto_parsers[0];

const struct nw_proto_parser *nw_proto_find(const char *name)
{
    if (name == NULL) return NULL;
    for (size_t i = 0; i < nw_proto_nparsers; i++)
        if (strcmp(nw_proto_parsers[i]->name, name) == 0) return nw_proto_parsers[i];
    return NULL;
}
