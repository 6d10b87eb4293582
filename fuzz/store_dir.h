/*
 * store_dir.h - an empty store directory for the store harnesses
 * (fuzz_segment, fuzz_chain): a fresh mkdtemp under /tmp holding only a
 * STORE file with an all-zero id. Aborts if it cannot be made.
 */
#ifndef NW_FUZZ_STORE_DIR_H
#define NW_FUZZ_STORE_DIR_H

#include <stdio.h>
#include <stdlib.h>

/* dir (at least 64 bytes) receives the path; tag names the harness. */
static void fuzz_store_dir(char *dir, size_t dirsz, const char *tag)
{
    char p[128];
    FILE *f;

    snprintf(dir, dirsz, "/tmp/nwfuzz%sXXXXXX", tag);
    if (mkdtemp(dir) == NULL) abort();
    snprintf(p, sizeof p, "%s/STORE", dir);
    f = fopen(p, "w");
    if (f == NULL) abort();
    fputs("netwarden-store 1\nid 00000000000000000000000000000000\n", f);
    fclose(f);
}

#endif
