/* fuzz_config.c - the configuration reader on arbitrary text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nw/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct nw_config c;
    struct nw_err e;
    char *copy = malloc(size ? size : 1); /* exact size: ASan sees overreads */

    if (copy == NULL) return 0;
    memcpy(copy, data, size);
    if (nw_config_init(&c) == 0) nw_config_load_buf(&c, "fuzz", copy, size, &e);
    nw_config_fini(&c);
    free(copy);
    return 0;
}
