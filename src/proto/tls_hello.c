/* tls_hello.c - placeholder for the ClientHello/ServerHello parsing shared by TLS and QUIC. */
#include "nw/proto.h"
