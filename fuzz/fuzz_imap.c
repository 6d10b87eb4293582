/*
 * fuzz_imap.c - libFuzzer harness for the imap login parser (proto_imap.c).
 * Input: byte 0 picks the chunk size and direction pattern (see
 * fuzz_template.h), the rest is the payload. Seeds in fuzz/corpus/imap/ are
 * dialogues from the corpus captures, packed as alternating chunks.
 */
#define NW_FUZZ_PARSER "imap"
#define NW_FUZZ_PROTO 6
#define NW_FUZZ_PORT 143
#include "fuzz_template.h"
