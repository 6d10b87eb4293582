/* log.c - diagnostics to stderr, one line each, prefixed by the level.
 * Thread-safe: the ClickHouse sender and the pipeline both log, and each line
 * is written under stderr's lock so that their lines never interleave. */
#include "nw/core.h"

#include <stdarg.h>
#include <stdio.h>

int nw_log_level = NW_LOG_NOTICE;

void nw_log_emit(int level, const char *fmt, ...)
{
    static const char *names[] = {"error", "warning", "notice", "info", "debug"};
    va_list ap;

    if (level < 0 || level > NW_LOG_DEBUG) level = NW_LOG_ERROR;
    flockfile(stderr); /* three writes, one line */
    fprintf(stderr, "netwarden: %s: ", names[level]);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    funlockfile(stderr);
}
