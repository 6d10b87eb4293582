/*
 * fuzz_ftp.c - libFuzzer harness for the ftp login parser (proto_ftp.c); input
 * layout in fuzz_template.h. Seeds in fuzz/corpus/ftp/ are dialogues from the
 * corpus captures packed as alternating chunks.
 */
#define NW_FUZZ_PARSER "ftp"
#define NW_FUZZ_PROTO IPPROTO_TCP
#define NW_FUZZ_PORT 21
#include "fuzz_template.h"
