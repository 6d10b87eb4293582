/*
 * fuzz_telnet.c - libFuzzer harness for the telnet login parser (proto_telnet.c).
 * Input: byte 0 picks the chunk size and direction pattern (see
 * fuzz_template.h), the rest is the payload. Seeds in fuzz/corpus/telnet/ are
 * dialogues from the corpus captures, packed as alternating chunks.
 */
#define NW_FUZZ_PARSER "telnet"
#define NW_FUZZ_PROTO 6
#define NW_FUZZ_PORT 23
#include "fuzz_template.h"
