/*
 * fuzz_imap.c - libFuzzer harness for the imap login parser (proto_imap.c); input
 * layout in fuzz_template.h. Seeds in fuzz/corpus/imap/ are dialogues from the
 * corpus captures packed as alternating chunks.
 */
#define NW_FUZZ_PARSER "imap"
#define NW_FUZZ_PROTO IPPROTO_TCP
#define NW_FUZZ_PORT 143
#include "fuzz_template.h"
