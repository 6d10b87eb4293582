/*
 * time.c - RFC 3339 timestamps with microseconds and the local UTC offset.
 * localtime_r is slow (it may consult the zone file) and records arrive
 * thousands per second, so recent hours and minutes are cached.
 */
#include "nw/core.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/*
 * Two caches per thread, a few slots each (records interleave "now" with
 * flow start and login times, so one slot would thrash):
 * - hours: the UTC offset, used only when localtime agrees with plain
 *   arithmetic at both ends of the hour (same offset, no leap second, a
 *   four-digit year);
 * - minutes: the text "YYYY-MM-DDTHH:MM:", built by that arithmetic from
 *   its hour's offset, so a record costs a copy and two digits.
 * Any other second (an hour in which the offset changes, an offset with
 * seconds) goes through localtime_r and strftime, one second at a time.
 */
#define TC_SLOTS 4
struct hslot {
    int64_t hour; /* first second of the UTC hour; INT64_MIN = empty */
    long off;     /* seconds east of UTC */
    int exact;
    char off_txt[8]; /* "+08:00" */
    size_t off_len;
};
struct mslot {
    int64_t min; /* first second of the minute; INT64_MIN = empty */
    int ok;      /* 0: this minute takes the C library path */
    char date[20]; /* "YYYY-MM-DDTHH:MM:" */
    char off_txt[8]; /* a copy: the hour slot may be reused for another hour */
    size_t off_len;
};
static _Thread_local struct hslot th[TC_SLOTS] = {
    {.hour = INT64_MIN}, {.hour = INT64_MIN}, {.hour = INT64_MIN}, {.hour = INT64_MIN}};
static _Thread_local struct mslot tm_[TC_SLOTS] = {
    {.min = INT64_MIN}, {.min = INT64_MIN}, {.min = INT64_MIN}, {.min = INT64_MIN}};
static _Thread_local int64_t slow_sec = INT64_MIN; /* the C library path's last second */
static _Thread_local char slow_txt[32];
static _Thread_local size_t slow_len;
static _Thread_local struct hslot slow_off;
static _Thread_local const struct mslot *last_min; /* slot of the last call, or NULL */

struct civil {
    int64_t y;
    unsigned mo, d, h, mi, s;
};

/* Local civil time of sec at offset off (Howard Hinnant's civil_from_days). */
static void civil_of(int64_t sec, long off, struct civil *c)
{
    int64_t t = sec + off, days = (t >= 0 ? t : t - 86399) / 86400, z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned rem = (unsigned)(t - days * 86400), doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;

    c->d = doy - (153 * mp + 2) / 5 + 1;
    c->mo = mp < 10 ? mp + 3 : mp - 9;
    c->y = (int64_t)yoe + era * 400 + (c->mo <= 2);
    c->h = rem / 3600;
    c->mi = rem / 60 % 60;
    c->s = rem % 60;
}

static int agrees(int64_t sec, long off, const struct tm *tm)
{
    struct civil c;

    civil_of(sec, off, &c);
    return tm->tm_gmtoff == off && c.y == (int64_t)tm->tm_year + 1900 &&
           c.mo == (unsigned)tm->tm_mon + 1 && c.d == (unsigned)tm->tm_mday &&
           c.h == (unsigned)tm->tm_hour && c.mi == (unsigned)tm->tm_min &&
           c.s == (unsigned)tm->tm_sec && c.y >= 1000 && c.y <= 9999;
}

static int local(int64_t sec, struct tm *tm)
{
    time_t t = (time_t)sec;

    if (localtime_r(&t, tm) != NULL) return 0;
    memset(tm, 0, sizeof *tm);
    return -1;
}

static void fill_off(struct hslot *s, long gmtoff)
{
    long off = gmtoff < 0 ? -gmtoff : gmtoff;

    s->off_len = (size_t)snprintf(s->off_txt, sizeof s->off_txt, "%c%02d:%02d",
                                  gmtoff < 0 ? '-' : '+', (int)(off / 3600 % 100),
                                  (int)(off % 3600 / 60));
}

/* "00".."99": two digits per lookup (every record writes five pairs) */
static const char pairs[201] = "00010203040506070809101112131415161718192021222324"
                               "25262728293031323334353637383940414243444546474849"
                               "50515253545556575859606162636465666768697071727374"
                               "75767778798081828384858687888990919293949596979899";

/* v < 100 */
static char *put2(char *p, unsigned v)
{
    memcpy(p, pairs + 2 * v, 2);
    return p + 2;
}

/* The minute slot of sec, or NULL when sec takes the C library path. */
static const struct mslot *slot_for(int64_t sec)
{
    int64_t min = sec - (sec % 60 + 60) % 60, hour = sec - (sec % 3600 + 3600) % 3600;
    struct mslot *m = &tm_[(uint64_t)min / 60 % TC_SLOTS];
    struct hslot *h;
    struct civil c;
    struct tm a, z;
    char *p;

    if (m->min == min) return m->ok ? m : NULL;
    h = &th[(uint64_t)hour / 3600 % TC_SLOTS];
    if (h->hour != hour) {
        h->hour = hour;
        h->exact = local(hour, &a) == 0 && local(hour + 3599, &z) == 0 &&
                   agrees(hour, a.tm_gmtoff, &a) && agrees(hour + 3599, a.tm_gmtoff, &z);
        h->off = a.tm_gmtoff;
        fill_off(h, a.tm_gmtoff);
    }
    m->min = min;
    m->ok = 0;
    civil_of(min, h->off, &c);
    if (!h->exact || c.s != 0) return NULL; /* an offset with seconds: no whole minutes */
    p = put2(put2(m->date, (unsigned)(c.y / 100)), (unsigned)(c.y % 100));
    *p++ = '-';
    p = put2(p, c.mo);
    *p++ = '-';
    p = put2(p, c.d);
    *p++ = 'T';
    p = put2(p, c.h);
    *p++ = ':';
    p = put2(p, c.mi);
    *p = ':';
    memcpy(m->off_txt, h->off_txt, sizeof m->off_txt);
    m->off_len = h->off_len;
    m->ok = 1;
    return m;
}

size_t nw_time_rfc3339(uint64_t ts_us, char *out)
{
    int64_t sec = (int64_t)(ts_us / 1000000u);
    unsigned us = (unsigned)(ts_us % 1000000u);
    const struct mslot *m = last_min;
    const char *off;
    size_t off_len;
    char *p = out;

    /* most records fall in the minute of the one before: skip the modulo
     * arithmetic of slot_for (the slot may have been reused: check it) */
    if (m == NULL || !m->ok || (uint64_t)(sec - m->min) >= 60) last_min = m = slot_for(sec);
    if (m != NULL) { /* the per-record part: a copy and two digits */
        memcpy(p, m->date, 17);
        p = put2(p + 17, (unsigned)(sec - m->min));
        off = m->off_txt;
        off_len = m->off_len;
    } else {
        if (sec != slow_sec) {
            struct tm a;
            local(sec, &a);
            slow_len = strftime(slow_txt, sizeof slow_txt, "%Y-%m-%dT%H:%M:%S", &a);
            fill_off(&slow_off, a.tm_gmtoff);
            slow_sec = sec;
        }
        memcpy(p, slow_txt, slow_len);
        p += slow_len;
        off = slow_off.off_txt;
        off_len = slow_off.off_len;
    }
    *p++ = '.';
    p = put2(put2(put2(p, us / 10000), us / 100 % 100), us % 100);
    memcpy(p, off, off_len + 1);
    return (size_t)(p - out) + off_len;
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
