/*
 * fuzz_dns.c - libFuzzer harness for the DNS parser (proto_dns.c).
 * Input: byte 0 picks the chunk size and direction pattern (see
 * fuzz_template.h), the rest is the payload. Every input runs twice: once as
 * a UDP datagram (one message) and once as a TCP stream (length-prefixed
 * messages, delivered in chunks), so both framings see every seed. Seeds in
 * fuzz/corpus/dns/ are DNS payloads taken from the corpus captures.
 */
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

static int nw_fuzz_dns_proto; /* IPPROTO_UDP or IPPROTO_TCP for this run */

#define NW_FUZZ_PARSER "dns"
#define NW_FUZZ_PROTO nw_fuzz_dns_proto
#define NW_FUZZ_PORT 53
#define LLVMFuzzerTestOneInput nw_fuzz_dns_one
#include "fuzz_template.h"
#undef LLVMFuzzerTestOneInput

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    nw_fuzz_dns_proto = IPPROTO_UDP;
    nw_fuzz_dns_one(data, size);
    nw_fuzz_dns_proto = IPPROTO_TCP;
    nw_fuzz_dns_one(data, size);
    return 0;
}
