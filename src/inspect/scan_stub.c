/*
 * scan_stub.c - stands in for the TCP scanner (I2: src/inspect/scan.c)
 * until it lands: every target reports "scanner not built", so network
 * checks get verdict error and the run goes on. When scan.c lands, it
 * replaces this file in NW_INSPECT_SRC.
 */
#include "nw/inspect.h"

int nw_inspect_scan(struct nw_inspect_target *t, const struct nw_inspect_settings *set,
                    const volatile int *cancel, struct nw_err *err)
{
    (void)set;
    (void)cancel;
    return nw_err_set(err, NW_ENOTSUP, "%s: the TCP scanner is not built into this netwarden "
                      "(src/inspect/scan.c); network checks cannot run", t->host);
}
