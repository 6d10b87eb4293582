/*
 * time.c - RFC 3339 timestamps with microseconds and the local UTC offset.
 * localtime_r is slow (it may consult the zone file), and records arrive
 * thousands per second within the same second, so the formatted date part
 * of the last second is cached per thread.
 */
#include "nw/core.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static _Thread_local int64_t cached_sec = -1;
static _Thread_local char cached_date[24]; /* "YYYY-MM-DDTHH:MM:SS" */
static _Thread_local char cached_off[16];  /* "+08:00" */
static _Thread_local size_t cached_date_len, cached_off_len;

size_t nw_time_rfc3339(uint64_t ts_us, char *out)
{
    int64_t sec = (int64_t)(ts_us / 1000000u);
    unsigned us = (unsigned)(ts_us % 1000000u);

    if (sec != cached_sec) {
        time_t t = (time_t)sec;
        struct tm tm;
        long off;
        if (localtime_r(&t, &tm) == NULL) memset(&tm, 0, sizeof tm);
        strftime(cached_date, sizeof cached_date, "%Y-%m-%dT%H:%M:%S", &tm);
        off = tm.tm_gmtoff < 0 ? -tm.tm_gmtoff : tm.tm_gmtoff;
        snprintf(cached_off, sizeof cached_off, "%c%02d:%02d", tm.tm_gmtoff < 0 ? '-' : '+',
                 (int)(off / 3600 % 100), (int)(off % 3600 / 60));
        cached_date_len = strlen(cached_date);
        cached_off_len = strlen(cached_off);
        cached_sec = sec;
    }
    /* the per-record part: no printf on the hot path */
    memcpy(out, cached_date, cached_date_len);
    char *p = out + cached_date_len;
    *p++ = '.';
    for (int i = 5; i >= 0; i--, us /= 10) p[i] = (char)('0' + us % 10);
    p += 6;
    memcpy(p, cached_off, cached_off_len + 1);
    return (size_t)(p - out) + cached_off_len;
}

uint64_t nw_time_now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil): exact for any year, no time zone, no table. */
int64_t nw_time_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era;
    unsigned yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}
