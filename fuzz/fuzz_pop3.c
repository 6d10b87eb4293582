/*
 * fuzz_pop3.c - libFuzzer harness for the pop3 login parser (proto_pop3.c); input
 * layout in fuzz_template.h. Seeds in fuzz/corpus/pop3/ are dialogues from the
 * corpus captures packed as alternating chunks.
 */
#define NW_FUZZ_PARSER "pop3"
#define NW_FUZZ_PROTO IPPROTO_TCP
#define NW_FUZZ_PORT 110
#include "fuzz_template.h"
