/*
 * store_lines.h - what the store unit tests' scan callbacks share: each
 * delivered record appended to one buffer as a '\n'-terminated line, so a
 * scan's whole output compares with one memcmp/strcmp.
 */
#ifndef NW_TEST_STORE_LINES_H
#define NW_TEST_STORE_LINES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Append line[0..len) + '\n' to *all (length *n, capacity *cap), kept NUL-terminated. */
static inline void store_lines_add(char **all, size_t *n, size_t *cap, const char *line,
                                   size_t len)
{
    if (*n + len + 2 > *cap) {
        char *na = realloc(*all, (*n + len + 2) * 2);
        if (na == NULL) { /* a test process: nothing to recover */
            fprintf(stderr, "store_lines_add: out of memory\n");
            abort();
        }
        *all = na;
        *cap = (*n + len + 2) * 2;
    }
    memcpy(*all + *n, line, len);
    (*all)[*n + len] = '\n';
    *n += len + 1;
    (*all)[*n] = '\0';
}

#endif
