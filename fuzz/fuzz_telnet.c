/*
 * fuzz_telnet.c - libFuzzer harness for the telnet login parser (proto_telnet.c); input
 * layout in fuzz_template.h. Seeds in fuzz/corpus/telnet/ are dialogues from the
 * corpus captures packed as alternating chunks.
 */
#define NW_FUZZ_PARSER "telnet"
#define NW_FUZZ_PROTO IPPROTO_TCP
#define NW_FUZZ_PORT 23
#include "fuzz_template.h"
