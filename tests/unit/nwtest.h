/*
 * nwtest.h - the unit-test harness: a test file defines TEST(name) cases and
 * lists them in NW_TESTS; main() runs them all (or those named on the
 * command line) and exits non-zero on the first failing check of any case.
 *
 *   TEST(parses_query) { CHECK(x == 1); CHECK_STR(s, "a"); }
 *   NW_TEST_MAIN(NWT_ENTRY(parses_query) NWT_ENTRY(other_case))
 */
#ifndef NW_TESTS_NWTEST_H
#define NW_TESTS_NWTEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int nwt_failed;

#define TEST(name) static void test_##name(void)

#define CHECK(cond)                                                                               \
    do {                                                                                          \
        if (!(cond)) {                                                                            \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);              \
            nwt_failed = 1;                                                                       \
            return;                                                                               \
        }                                                                                         \
    } while (0)

#define CHECK_EQ(a, b)                                                                            \
    do {                                                                                          \
        long long nwt_a = (long long)(a), nwt_b = (long long)(b);                                 \
        if (nwt_a != nwt_b) {                                                                     \
            fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %lld, expected %lld\n", __FILE__,     \
                    __LINE__, #a, nwt_a, nwt_b);                                                  \
            nwt_failed = 1;                                                                       \
            return;                                                                               \
        }                                                                                         \
    } while (0)

#define CHECK_STR(a, b)                                                                           \
    do {                                                                                          \
        const char *nwt_a = (a), *nwt_b = (b);                                                    \
        if (nwt_a == NULL || strcmp(nwt_a, nwt_b) != 0) {                                         \
            fprintf(stderr, "%s:%d: CHECK_STR failed: %s is \"%s\", expected \"%s\"\n", __FILE__, \
                    __LINE__, #a, nwt_a ? nwt_a : "(null)", nwt_b);                               \
            nwt_failed = 1;                                                                       \
            return;                                                                               \
        }                                                                                         \
    } while (0)

/* Checks that haystack (NUL-terminated) contains needle. */
#define CHECK_HAS(hay, needle)                                                                    \
    do {                                                                                          \
        const char *nwt_h = (hay);                                                                \
        if (nwt_h == NULL || strstr(nwt_h, (needle)) == NULL) {                                   \
            fprintf(stderr, "%s:%d: CHECK_HAS failed: %s lacks \"%s\"; it is:\n%s\n", __FILE__,   \
                    __LINE__, #hay, (needle), nwt_h ? nwt_h : "(null)");                          \
            nwt_failed = 1;                                                                       \
            return;                                                                               \
        }                                                                                         \
    } while (0)

#define CHECK_LACKS(hay, needle)                                                                  \
    do {                                                                                          \
        const char *nwt_h = (hay);                                                                \
        if (nwt_h != NULL && strstr(nwt_h, (needle)) != NULL) {                                   \
            fprintf(stderr, "%s:%d: CHECK_LACKS failed: %s has \"%s\"\n", __FILE__, __LINE__,     \
                    #hay, (needle));                                                              \
            nwt_failed = 1;                                                                       \
            return;                                                                               \
        }                                                                                         \
    } while (0)

struct nwt_case {
    const char *name;
    void (*fn)(void);
};

#define NWT_ENTRY(name) {#name, test_##name},
#define NW_TEST_MAIN(LIST)                                                                        \
    int main(int argc, char **argv)                                                               \
    {                                                                                             \
        static const struct nwt_case cases[] = {LIST};                                            \
        int failures = 0, ran = 0;                                                                \
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {                             \
            int want = argc < 2;                                                                  \
            for (int a = 1; a < argc; a++) want |= strcmp(argv[a], cases[i].name) == 0;          \
            if (!want) continue;                                                                  \
            nwt_failed = 0;                                                                       \
            cases[i].fn();                                                                        \
            ran++;                                                                                \
            printf("%s %s\n", nwt_failed ? "FAIL" : "ok  ", cases[i].name);                       \
            failures += nwt_failed;                                                               \
        }                                                                                         \
        printf("%d/%d passed\n", ran - failures, ran);                                            \
        return failures ? 1 : 0;                                                                  \
    }

#endif
