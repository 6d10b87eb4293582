/*
 * fuzz_query.c - the query filter parser on arbitrary text: time
 * expressions, CIDR, MAC, every filter option, the index keys a query
 * implies, and the exact matcher over a fixed record and over the input.
 * Input: NUL- or newline-separated tokens, read as "--name value" pairs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nw/query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char rec[] =
    "{\"timestamp\":\"2026-09-03T14:05:00.000000+08:00\",\"event_type\":\"http\","
    "\"src_ip\":\"10.1.2.3\",\"dest_ip\":\"2001:db8::80\",\"http\":{\"hostname\":\"www.example."
    "com\",\"url\":\"/a?b=c\"},\"dns\":{\"queries\":[{\"rrname\":\"x.example.org\"}]},"
    "\"user\":{\"ip\":\"10.1.2.3\",\"account\":\"alice\",\"mac\":\"02:00:00:00:01:23\"}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy, *argv[64];
    int argc = 0;
    struct nw_query q;
    struct nw_query_keys k;
    struct nw_query_net n;
    struct nw_err e;
    uint64_t t;
    char mac[18];
    size_t start = 0;

    if (size > 4096) return 0;
    copy = malloc(size + 1); /* tokens need a NUL; ASan still sees reads past it */
    if (copy == NULL) return 0;
    memcpy(copy, data, size);
    copy[size] = '\0';
    nw_query_parse_time(copy, 1788415500000000ull, &t, &e);
    nw_query_parse_net(copy, &n, &e);
    nw_query_parse_mac(copy, mac, &e);
    for (size_t i = 0; i <= size && argc < 64; i++) {
        if (i == size || copy[i] == '\0' || copy[i] == '\n') {
            copy[i] = '\0';
            argv[argc++] = copy + start;
            start = i + 1;
        }
    }
    nw_query_init(&q);
    nw_query_parse_args(&q, argc, argv, 1788415500000000ull, &e);
    if (nw_query_keys_build(&q, &k) == 0) nw_query_keys_free(&k);
    nw_query_match(&q, rec, sizeof rec - 1);
    nw_query_match(&q, (const char *)data, size);
    free(copy);
    return 0;
}
