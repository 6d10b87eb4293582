/*
 * core.h - what every netwarden module needs: error codes, the accounted
 * allocator, diagnostic logging and time formatting.
 *
 * Error convention: functions return 0 on success or a negative NW_E* code.
 * Detail for users goes into a caller-supplied error buffer (struct nw_err).
 */
#ifndef NW_CORE_H
#define NW_CORE_H

#include <stddef.h>
#include <stdint.h>

#define NW_VERSION "0.1.0"

enum nw_errcode {
    NW_OK = 0,
    NW_ENOMEM = -1,   /* allocation failed or memcap reached */
    NW_EINVAL = -2,   /* bad argument or configuration */
    NW_EIO = -3,      /* read/write failure */
    NW_ETRUNC = -4,   /* input ends early */
    NW_EFORMAT = -5,  /* input is not in the expected format */
    NW_ELIMIT = -6,   /* a configured bound was hit */
    NW_ENOTSUP = -7,  /* valid input we do not handle */
    NW_ENOENT = -8,   /* named thing does not exist */
    NW_ERRCODE_MIN = -8
};

/* Exit codes shared by every command (DESIGN.md). */
enum nw_exit {
    NW_EXIT_OK = 0,
    NW_EXIT_FINDINGS = 1,
    NW_EXIT_USAGE = 2,
    NW_EXIT_RUNTIME = 3
};

const char *nw_strerror(int code);
const char *nw_errname(int code);

/* Error detail: one line saying what happened, where, and what to do. */
struct nw_err {
    char msg[512];
};
/* Format into e (if e is not NULL) and return code; printf-style. */
int nw_err_set(struct nw_err *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Accounted allocator. Every allocation in netwarden goes through these so
 * that usage is measurable and tests can fail the Nth allocation
 * (environment NW_FAIL_ALLOC=N, or nw_alloc_fail_at()). nw_alloc returns
 * NULL on failure; callers handle it (the sensor never aborts at runtime).
 * Thread-safe (the counters are atomic); nw_alloc_fail_at() is for tests.
 * NW_ALLOC_COUNT=1 in the environment prints "nw_alloc: N allocations" to
 * stderr at exit, N counted as NW_FAIL_ALLOC counts (nw_alloc, nw_calloc,
 * nw_realloc and nw_strndup calls), so a test knows the range to sweep.
 */
void *nw_alloc(size_t n);
void *nw_calloc(size_t nmemb, size_t size);
void *nw_realloc(void *p, size_t n);
void nw_free(void *p);
char *nw_strndup(const char *s, size_t n);
size_t nw_alloc_in_use(void);      /* bytes currently allocated */
size_t nw_alloc_peak(void);        /* high-water mark */
void nw_alloc_fail_at(uint64_t n); /* fail the nth allocation from now; 0 = never */
uint64_t nw_alloc_failures(void);  /* allocations that returned NULL so far */

/* Diagnostics (stderr). The level is checked before formatting. */
enum nw_loglevel { NW_LOG_ERROR, NW_LOG_WARN, NW_LOG_NOTICE, NW_LOG_INFO, NW_LOG_DEBUG };
extern int nw_log_level;
void nw_log_emit(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define nw_log(level, ...)                                                                        \
    do {                                                                                          \
        if ((level) <= nw_log_level) nw_log_emit((level), __VA_ARGS__);                           \
    } while (0)

/*
 * Time. Packet times are microseconds since the Unix epoch (UTC).
 * nw_time_rfc3339 writes "2024-05-01T12:00:00.123456+08:00" (RFC 3339,
 * with the local offset) into out (>= 32 bytes); returns
 * length. Thread-compatible: caches the last second per thread.
 */
#define NW_TIME_BUFSZ 40
size_t nw_time_rfc3339(uint64_t ts_us, char *out);
uint64_t nw_time_now_us(void);
/* Days since 1970-01-01 of year y, month m (1-12), day d (1-31). */
int64_t nw_time_days_from_civil(int64_t y, unsigned m, unsigned d);

/* Defensive checks for the impossible; never used on hostile input. */
#ifdef NDEBUG
#define NW_ALWAYS(x) (x)
#define NW_NEVER(x) (x)
#else
#include <assert.h>
#define NW_ALWAYS(x) ((x) ? 1 : (assert(0), 0))
#define NW_NEVER(x) ((x) ? (assert(0), 1) : 0)
#endif

#define NW_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define NW_MIN(a, b) ((a) < (b) ? (a) : (b))
#define NW_MAX(a, b) ((a) > (b) ? (a) : (b))

/*
 * Prefetch p for reading. The empty volatile asm is a side effect: without
 * it GCC's link-time analysis finds that a hint function only reads and
 * prefetches, deems it pure, and deletes every call to it (the result is
 * unused), so the hints silently vanished from LTO builds.
 */
#define NW_PREFETCH(p)                                                                        \
    do {                                                                                      \
        __builtin_prefetch(p);                                                                \
        __asm__ volatile("");                                                                 \
    } while (0)

/* Big-endian loads from packet bytes; the caller has checked the length. */
static inline uint16_t nw_be16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint32_t nw_be24(const uint8_t *p)
{
    return ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2];
}
static inline uint32_t nw_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

#endif /* NW_CORE_H */
