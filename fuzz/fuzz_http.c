/*
 * fuzz_http.c - libFuzzer harness for the HTTP/1.x parser (proto_http.c).
 * Input: byte 0 picks the chunk size and direction pattern (see
 * fuzz_template.h), the rest is the payload. Seeds in fuzz/corpus/http/ are
 * request and response streams from the corpus captures, plus hand-made
 * pipelined, chunked and hostile exchanges.
 */
#define NW_FUZZ_PARSER "http"
#define NW_FUZZ_PROTO 6
#define NW_FUZZ_PORT 80
#include "fuzz_template.h"
