/*
 * fuzz_smtp.c - libFuzzer harness for the smtp login parser (proto_smtp.c); input
 * layout in fuzz_template.h. Seeds in fuzz/corpus/smtp/ are dialogues from the
 * corpus captures packed as alternating chunks.
 */
#define NW_FUZZ_PARSER "smtp"
#define NW_FUZZ_PROTO IPPROTO_TCP
#define NW_FUZZ_PORT 25
#include "fuzz_template.h"
