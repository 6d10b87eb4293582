/* err.c - names and texts for NW_E* codes, and the error-detail buffer. */
#include "nw/core.h"

#include <stdarg.h>
#include <stdio.h>

static const struct {
    int code;
    const char *name;
    const char *text;
} errtab[] = {
    {NW_OK, "NW_OK", "success"},
    {NW_ENOMEM, "NW_ENOMEM", "out of memory or memcap reached"},
    {NW_EINVAL, "NW_EINVAL", "invalid argument or configuration"},
    {NW_EIO, "NW_EIO", "input/output error"},
    {NW_ETRUNC, "NW_ETRUNC", "input truncated"},
    {NW_EFORMAT, "NW_EFORMAT", "input not in the expected format"},
    {NW_ELIMIT, "NW_ELIMIT", "configured limit reached"},
    {NW_ENOTSUP, "NW_ENOTSUP", "not supported"},
    {NW_ENOENT, "NW_ENOENT", "no such file or object"},
};

const char *nw_strerror(int code)
{
    for (size_t i = 0; i < NW_ARRAY_LEN(errtab); i++)
        if (errtab[i].code == code) return errtab[i].text;
    return "unknown error";
}

const char *nw_errname(int code)
{
    for (size_t i = 0; i < NW_ARRAY_LEN(errtab); i++)
        if (errtab[i].code == code) return errtab[i].name;
    return "NW_E?";
}

int nw_err_set(struct nw_err *e, int code, const char *fmt, ...)
{
    va_list ap;

    if (e == NULL) return code;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return code;
}
