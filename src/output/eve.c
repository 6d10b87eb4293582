/*
 * eve.c - the EVE JSON-lines file sink. It takes whole batches of records
 * from the output's buffer (NW_OUTPUT_BATCH, 256 KiB: the kernel's copy of
 * the write then finds them in L2; with a 1 MiB stdio buffer that copy cost
 * 17 % of `audit`'s time on the bench capture, and fwrite's own copy 4 %)
 * and write()s them. A write error is reported once with the path and errno
 * text, then only counted, so a full disk does not flood the terminal.
 * Live runs append (a restarted service keeps the records of the run
 * before); reopen (SIGHUP) follows logrotate's rename.
 */
#include "nw/output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* records name people and what they visited: not for every local user (as the store) */
#define EVE_MODE 0640

struct eve {
    int fd;
    int is_stdout;
    int reported;
    char *path;
};

static void report(struct eve *e)
{
    if (e->reported) return;
    e->reported = 1;
    nw_log(NW_LOG_ERROR, "writing records to %s failed: %s; check free space and permissions",
           e->path, strerror(errno));
}

static int eve_write_batch(void *self, const char *data, size_t len)
{
    struct eve *e = self;

    while (len > 0) { /* a pipe or a signal may take part of it */
        ssize_t n = write(e->fd, data, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (n == 0) errno = EIO;
            report(e);
            return NW_EIO;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

static int eve_flush(void *self)
{
    (void)self; /* nothing buffered here: the output hands over whole batches */
    return 0;
}

static int eve_reopen(void *self)
{
    struct eve *e = self;
    int fd;

    if (e->is_stdout) return 0;
    fd = open(e->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, EVE_MODE);
    if (fd < 0) {
        nw_log(NW_LOG_ERROR, "cannot reopen %s: %s; records keep going to the file opened "
               "before", e->path, strerror(errno));
        return NW_EIO;
    }
    if (close(e->fd) != 0) report(e);
    e->fd = fd;
    e->reported = 0; /* a new file: its first error is worth a line again */
    nw_log(NW_LOG_NOTICE, "reopened %s (SIGHUP)", e->path);
    return 0;
}

static void eve_close(void *self)
{
    struct eve *e = self;

    if (!e->is_stdout && close(e->fd) != 0) report(e);
    nw_free(e->path);
    nw_free(e);
}

int nw_eve_sink_open(struct nw_sink *s, const char *path, int append, struct nw_err *err)
{
    struct eve *e = nw_calloc(1, sizeof *e);

    if (e == NULL) return nw_err_set(err, NW_ENOMEM, "out of memory opening %s", path);
    e->path = nw_strndup(path, 4096);
    if (e->path == NULL) {
        nw_free(e);
        return nw_err_set(err, NW_ENOMEM, "out of memory opening %s", path);
    }
    if (strcmp(path, "-") == 0) {
        fflush(stdout); /* what stdio holds goes first: records bypass it */
        e->fd = STDOUT_FILENO;
        e->is_stdout = 1;
    } else {
        int mode = O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC);
        e->fd = open(path, mode, EVE_MODE);
        if (e->fd < 0) {
            int rc = nw_err_set(err, NW_EIO, "cannot open %s for writing: %s; check the path "
                                "and its permissions", path, strerror(errno));
            nw_free(e->path);
            nw_free(e);
            return rc;
        }
    }
    memset(s, 0, sizeof *s);
    s->name = "eve";
    s->write_batch = eve_write_batch;
    s->flush = eve_flush;
    s->reopen = eve_reopen;
    s->close = eve_close;
    s->self = e;
    return 0;
}
