/*
 * time.c - RFC 3339 timestamps with microseconds and the local UTC offset.
 * localtime_r is slow (it may consult the zone file) and records arrive
 * thousands per second, so the date and time of recent minutes are cached.
 */
#include "nw/core.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/*
 * The local date and time of whole minutes, cached per thread in a few
 * slots: records interleave "now" with flow start and login times, so one
 * slot would thrash. A slot holds "YYYY-MM-DDTHH:MM:" and the offset for
 * [min, min + 60) when localtime agrees at both ends of that minute (same
 * offset, seconds counting 0..59); a minute in which the offset changes or
 * that is not whole (a leap second, an offset with seconds) has exact == 0
 * and is formatted one second at a time.
 */
#define TC_SLOTS 4
struct tslot {
    int64_t min; /* first second of the minute; -1 = empty */
    int exact;
    int64_t sec;  /* !exact: the one second cached */
    char date[24]; /* "YYYY-MM-DDTHH:MM:" or, !exact, "YYYY-MM-DDTHH:MM:SS" */
    char off[8];   /* "+08:00" */
    size_t date_len, off_len;
};
static _Thread_local struct tslot tc[TC_SLOTS] = {{.min = -1}, {.min = -1}, {.min = -1}, {.min = -1}};

static int local(int64_t sec, struct tm *tm)
{
    time_t t = (time_t)sec;

    if (localtime_r(&t, tm) != NULL) return 0;
    memset(tm, 0, sizeof *tm);
    return -1;
}

static void fill_off(struct tslot *s, long gmtoff)
{
    long off = gmtoff < 0 ? -gmtoff : gmtoff;

    s->off_len = (size_t)snprintf(s->off, sizeof s->off, "%c%02d:%02d", gmtoff < 0 ? '-' : '+',
                                  (int)(off / 3600 % 100), (int)(off % 3600 / 60));
}

static struct tslot *slot_for(int64_t sec)
{
    int64_t min = sec - (sec % 60 + 60) % 60;
    struct tslot *s = &tc[(uint64_t)min / 60 % TC_SLOTS];
    struct tm a, z;

    if (s->min == min && (s->exact || s->sec == sec)) return s;
    s->min = min;
    if (local(min, &a) == 0 && local(min + 59, &z) == 0 && a.tm_gmtoff == z.tm_gmtoff &&
        a.tm_sec == 0 && z.tm_sec == 59 && a.tm_min == z.tm_min) {
        s->exact = 1;
        s->date_len = strftime(s->date, sizeof s->date, "%Y-%m-%dT%H:%M:", &a);
    } else { /* not a plain minute: this second alone */
        s->exact = 0;
        s->sec = sec;
        local(sec, &a);
        s->date_len = strftime(s->date, sizeof s->date, "%Y-%m-%dT%H:%M:%S", &a);
    }
    fill_off(s, a.tm_gmtoff);
    return s;
}

size_t nw_time_rfc3339(uint64_t ts_us, char *out)
{
    int64_t sec = (int64_t)(ts_us / 1000000u);
    unsigned us = (unsigned)(ts_us % 1000000u);
    const struct tslot *s = slot_for(sec);
    char *p = out;

    /* the per-record part: no printf on the hot path */
    memcpy(p, s->date, s->date_len);
    p += s->date_len;
    if (s->exact) {
        unsigned ss = (unsigned)(sec - s->min);
        *p++ = (char)('0' + ss / 10);
        *p++ = (char)('0' + ss % 10);
    }
    *p++ = '.';
    for (int i = 5; i >= 0; i--, us /= 10) p[i] = (char)('0' + us % 10);
    p += 6;
    memcpy(p, s->off, s->off_len + 1);
    return (size_t)(p - out) + s->off_len;
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
