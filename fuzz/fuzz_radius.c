/* fuzz_radius.c - RADIUS parser harness (UDP datagrams; see fuzz_template.h). */
#define NW_FUZZ_PARSER "radius"
#define NW_FUZZ_PROTO 17
#define NW_FUZZ_PORT 1813
#include "fuzz_template.h"
