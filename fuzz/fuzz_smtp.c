/*
 * fuzz_smtp.c - libFuzzer harness for the smtp login parser (proto_smtp.c).
 * Input: byte 0 picks the chunk size and direction pattern (see
 * fuzz_template.h), the rest is the payload. Seeds in fuzz/corpus/smtp/ are
 * dialogues from the corpus captures, packed as alternating chunks.
 */
#define NW_FUZZ_PARSER "smtp"
#define NW_FUZZ_PROTO 6
#define NW_FUZZ_PORT 25
#include "fuzz_template.h"
