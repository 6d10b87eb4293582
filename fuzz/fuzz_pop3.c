/*
 * fuzz_pop3.c - libFuzzer harness for the pop3 login parser (proto_pop3.c).
 * Input: byte 0 picks the chunk size and direction pattern (see
 * fuzz_template.h), the rest is the payload. Seeds in fuzz/corpus/pop3/ are
 * dialogues from the corpus captures, packed as alternating chunks.
 */
#define NW_FUZZ_PARSER "pop3"
#define NW_FUZZ_PROTO 6
#define NW_FUZZ_PORT 110
#include "fuzz_template.h"
