/*
 * fuzz_ftp.c - libFuzzer harness for the ftp login parser (proto_ftp.c).
 * Input: byte 0 picks the chunk size and direction pattern (see
 * fuzz_template.h), the rest is the payload. Seeds in fuzz/corpus/ftp/ are
 * dialogues from the corpus captures, packed as alternating chunks.
 */
#define NW_FUZZ_PARSER "ftp"
#define NW_FUZZ_PROTO 6
#define NW_FUZZ_PORT 21
#include "fuzz_template.h"
