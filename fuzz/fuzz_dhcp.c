/* fuzz_dhcp.c - DHCPv4 parser harness (UDP datagrams; see fuzz_template.h). */
#define NW_FUZZ_PARSER "dhcp"
#define NW_FUZZ_PROTO 17
#define NW_FUZZ_PORT 67
#include "fuzz_template.h"
