/*
 * fsrec.c - LD_PRELOAD recorder of file-system changes, for the power-loss
 * test (tests/e2e/store_powerloss.sh, tests/crash/replay.py).
 *
 * Logs every call that changes the file system below the directory named by
 * NW_FSREC_DIR, with its data, to the file named by NW_FSREC_LOG: open/openat
 * (O_CREAT, O_TRUNC; whether the call created the file), write, pwrite,
 * pwritev, writev, ftruncate, fallocate, fsync, fdatasync, rename, unlink,
 * mkdir, rmdir, close. replay.py rebuilds from the log every crash state the
 * POSIX persistence model allows (the way ALICE and CrashMonkey work, in user
 * space, since this VM has no dm-log-writes).
 *
 * Invariants:
 *  - The log's order is the order the calls took effect: one mutex is held
 *    across the real call and the append of its record. Processes run one at a
 *    time in the test; each appends whole records with one writev (O_APPEND).
 *  - Only what took effect is logged: a failed call is not logged; a short
 *    write logs the bytes written.
 *  - The recorder never writes through the hooked functions (raw syscalls).
 *
 * Record (little-endian, host order): u32 total length, u8 op, u8 flags,
 * u16 path1 length, u16 path2 length, u16 reserved, i32 pid, i32 fd,
 * u64 a, u64 b, then path1, path2, data. Paths are absolute.
 *
 * Limits: test code for Linux/glibc. Not followed: mmap writes, fd passing,
 * dup (netwarden uses neither on the store); stdio writes below the directory
 * are logged as an UNSUPPORTED record so the replay refuses the log instead of
 * silently missing them.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

enum {
    OP_START = 1,  /* a process starts: its fd table is empty */
    OP_OPEN,       /* path1, fd; flags bit 0 created, bit 1 truncated, bit 2 directory */
    OP_WRITE,      /* fd, a = offset, data */
    OP_TRUNCATE,   /* fd, a = new size */
    OP_FALLOCATE,  /* fd, a = offset, b = length (size grows to a + b at least) */
    OP_FSYNC,      /* fd */
    OP_FDATASYNC,  /* fd */
    OP_RENAME,     /* path1 -> path2 */
    OP_UNLINK,     /* path1 */
    OP_MKDIR,      /* path1 */
    OP_RMDIR,      /* path1 */
    OP_CLOSE,      /* fd */
    OP_UNSUPPORTED /* path1: a change the replay cannot model */
};

#define MAX_FD 4096
#define HDR_LEN 40

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static char root[PATH_MAX];    /* NW_FSREC_DIR, resolved */
static size_t rootlen;
static int logfd = -1;
static unsigned char tracked[MAX_FD]; /* fd refers to a file below root */

static void *real(const char *name)
{
    return dlsym(RTLD_NEXT, name);
}

static void put32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); }

/* Append one record: header, paths, then the data pieces. Caller holds mu. */
static void emit(int op, int flags, int fd, uint64_t a, uint64_t b, const char *p1,
                 const char *p2, const struct iovec *data, int ndata)
{
    unsigned char h[HDR_LEN];
    struct iovec v[3 + 64];
    size_t l1 = p1 ? strlen(p1) : 0, l2 = p2 ? strlen(p2) : 0, total = HDR_LEN + l1 + l2;
    uint16_t s1 = (uint16_t)l1, s2 = (uint16_t)l2, z = 0;
    int32_t pid = (int32_t)getpid(), f = fd;
    int n = 0;

    if (logfd < 0 || ndata > 64) return;
    for (int i = 0; i < ndata; i++) total += data[i].iov_len;
    memset(h, 0, sizeof h);
    put32(h, (uint32_t)total);
    h[4] = (unsigned char)op;
    h[5] = (unsigned char)flags;
    memcpy(h + 6, &s1, 2);
    memcpy(h + 8, &s2, 2);
    memcpy(h + 10, &z, 2);
    memcpy(h + 12, &pid, 4);
    memcpy(h + 16, &f, 4);
    put64(h + 24, a);
    put64(h + 32, b);
    v[n].iov_base = h;
    v[n++].iov_len = HDR_LEN;
    if (l1) {
        v[n].iov_base = (void *)p1;
        v[n++].iov_len = l1;
    }
    if (l2) {
        v[n].iov_base = (void *)p2;
        v[n++].iov_len = l2;
    }
    for (int i = 0; i < ndata; i++) v[n++] = data[i];
    /* one writev per record; a short one is retried from where it stopped */
    for (int guard = 0; guard < 1000 && n > 0; guard++) {
        ssize_t w = syscall(SYS_writev, logfd, v, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        while (n > 0 && (size_t)w >= v[0].iov_len) {
            w -= (ssize_t)v[0].iov_len;
            memmove(v, v + 1, (size_t)(n - 1) * sizeof v[0]);
            n--;
        }
        if (n > 0) {
            v[0].iov_base = (char *)v[0].iov_base + w;
            v[0].iov_len -= (size_t)w;
        }
    }
}

__attribute__((constructor)) static void fsrec_init(void)
{
    const char *d = getenv("NW_FSREC_DIR"), *l = getenv("NW_FSREC_LOG");

    if (d == NULL || l == NULL || realpath(d, root) == NULL) return;
    rootlen = strlen(root);
    logfd = (int)syscall(SYS_openat, AT_FDCWD, l, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
                         0644);
    if (logfd >= 0 && logfd < MAX_FD) tracked[logfd] = 0;
    pthread_mutex_lock(&mu);
    emit(OP_START, 0, -1, 0, 0, NULL, NULL, NULL, 0);
    pthread_mutex_unlock(&mu);
}

/* Absolute, lexically normalised form of (dirfd, path) into out; 0 if below root. */
static int resolve(int dirfd, const char *path, char *out, size_t cap)
{
    char base[PATH_MAX], tmp[PATH_MAX * 2];
    size_t o = 0;

    if (logfd < 0 || path == NULL) return -1;
    if (path[0] == '/') {
        snprintf(tmp, sizeof tmp, "%s", path);
    } else {
        if (dirfd == AT_FDCWD) {
            if (getcwd(base, sizeof base) == NULL) return -1;
        } else {
            char link[64];
            ssize_t n;
            snprintf(link, sizeof link, "/proc/self/fd/%d", dirfd);
            n = readlink(link, base, sizeof base - 1);
            if (n <= 0) return -1;
            base[n] = 0;
        }
        snprintf(tmp, sizeof tmp, "%s/%s", base, path);
    }
    /* drop "." and empty components, resolve ".." lexically */
    for (const char *p = tmp; *p;) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == 0 || (n == 1 && p[0] == '.')) {
        } else if (n == 2 && p[0] == '.' && p[1] == '.') {
            while (o > 0 && out[o - 1] != '/') o--;
            if (o > 0) o--;
        } else {
            if (o + n + 2 >= cap) return -1;
            out[o++] = '/';
            memcpy(out + o, p, n);
            o += n;
        }
        p += n;
        if (*p == '/') p++;
    }
    if (o == 0) out[o++] = '/';
    out[o] = 0;
    if (strncmp(out, root, rootlen) != 0 || (out[rootlen] != 0 && out[rootlen] != '/'))
        return -1;
    return 0;
}

static int is_tracked(int fd)
{
    return logfd >= 0 && fd >= 0 && fd < MAX_FD && tracked[fd];
}

/* ----------------------------------------------------------------- open -- */

static int do_open(int dirfd, const char *path, int flags, mode_t mode, const char *name)
{
    int (*fn)(int, const char *, int, ...) = real(name);
    char abs[PATH_MAX];
    struct stat sb;
    int fd, existed, isdir = 0, tr;

    if (fn == NULL) {
        errno = ENOSYS;
        return -1;
    }
    tr = resolve(dirfd, path, abs, sizeof abs) == 0;
    if (!tr) {
        fd = fn(dirfd, path, flags, mode);
        if (fd >= 0 && fd < MAX_FD) tracked[fd] = 0; /* a number reused after closedir */
        return fd;
    }
    pthread_mutex_lock(&mu);
    existed = lstat(abs, &sb) == 0;
    fd = fn(dirfd, path, flags, mode);
    if (fd >= 0) {
        struct stat fb;
        if (fstat(fd, &fb) == 0 && S_ISDIR(fb.st_mode)) isdir = 1;
        if (fd < MAX_FD) tracked[fd] = 1;
        emit(OP_OPEN, (!existed ? 1 : 0) | (existed && (flags & O_TRUNC) && !isdir ? 2 : 0) |
             (isdir ? 4 : 0), fd, (uint64_t)flags, 0, abs, NULL, NULL, 0);
    }
    pthread_mutex_unlock(&mu);
    return fd;
}

static mode_t mode_arg(int flags, va_list ap)
{
    return (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

/* open and the variants glibc may call instead: one body under each name */
#define OPEN_BODY(dirfd)                                                                       \
    {                                                                                          \
        va_list ap;                                                                            \
        va_start(ap, flags);                                                                   \
        mode_t m = mode_arg(flags, ap);                                                        \
        va_end(ap);                                                                            \
        return do_open(dirfd, path, flags, m, "openat");                                       \
    }
int open(const char *path, int flags, ...) OPEN_BODY(AT_FDCWD)
int open64(const char *path, int flags, ...) OPEN_BODY(AT_FDCWD)
int openat(int dirfd, const char *path, int flags, ...) OPEN_BODY(dirfd)
int openat64(int dirfd, const char *path, int flags, ...) OPEN_BODY(dirfd)

int __open_2(const char *path, int flags)
{
    return do_open(AT_FDCWD, path, flags, 0, "openat");
}

int __open64_2(const char *path, int flags)
{
    return do_open(AT_FDCWD, path, flags, 0, "openat");
}

int creat(const char *path, mode_t mode)
{
    return do_open(AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC, mode, "openat");
}

/* stdio writing below root is not modelled: say so in the log */
FILE *fopen(const char *path, const char *mode)
{
    FILE *(*fn)(const char *, const char *) = real("fopen");
    char abs[PATH_MAX];
    FILE *f = fn ? fn(path, mode) : NULL;

    if (f && strpbrk(mode, "wa+") && resolve(AT_FDCWD, path, abs, sizeof abs) == 0) {
        pthread_mutex_lock(&mu);
        emit(OP_UNSUPPORTED, 0, -1, 0, 0, abs, NULL, NULL, 0);
        pthread_mutex_unlock(&mu);
    }
    return f;
}

FILE *fopen64(const char *path, const char *mode)
{
    return fopen(path, mode);
}

/* ---------------------------------------------------------------- write -- */

/* The record of a write that returned w > 0 at offset off (pos < 0: the file position). */
static void log_write(int fd, const struct iovec *iov, int n, ssize_t w, off_t off)
{
    struct iovec v[64];
    int k = 0;
    size_t left = (size_t)w;

    if (off < 0) off = lseek(fd, 0, SEEK_CUR) - w; /* O_APPEND too: the position is the end */
    for (int i = 0; i < n && left && k < 64; i++) {
        v[k].iov_base = iov[i].iov_base;
        v[k].iov_len = iov[i].iov_len < left ? iov[i].iov_len : left;
        left -= v[k++].iov_len;
    }
    if (left) {
        emit(OP_UNSUPPORTED, 0, fd, 0, 0, NULL, NULL, NULL, 0); /* more than 64 pieces */
        return;
    }
    emit(OP_WRITE, 0, fd, (uint64_t)off, 0, NULL, NULL, v, k);
}

ssize_t write(int fd, const void *buf, size_t len)
{
    ssize_t (*fn)(int, const void *, size_t) = real("write");
    struct iovec v = {(void *)buf, len};
    ssize_t w;

    if (!is_tracked(fd)) return fn(fd, buf, len);
    pthread_mutex_lock(&mu);
    w = fn(fd, buf, len);
    if (w > 0) log_write(fd, &v, 1, w, -1);
    pthread_mutex_unlock(&mu);
    return w;
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
    ssize_t (*fn)(int, const void *, size_t, off_t) = real("pwrite");
    struct iovec v = {(void *)buf, len};
    ssize_t w;

    if (!is_tracked(fd)) return fn(fd, buf, len, off);
    pthread_mutex_lock(&mu);
    w = fn(fd, buf, len, off);
    if (w > 0) log_write(fd, &v, 1, w, off);
    pthread_mutex_unlock(&mu);
    return w;
}

ssize_t pwrite64(int fd, const void *buf, size_t len, off_t off)
{
    return pwrite(fd, buf, len, off);
}

ssize_t writev(int fd, const struct iovec *iov, int n)
{
    ssize_t (*fn)(int, const struct iovec *, int) = real("writev");
    ssize_t w;

    if (!is_tracked(fd)) return fn(fd, iov, n);
    pthread_mutex_lock(&mu);
    w = fn(fd, iov, n);
    if (w > 0) log_write(fd, iov, n, w, -1);
    pthread_mutex_unlock(&mu);
    return w;
}

ssize_t pwritev(int fd, const struct iovec *iov, int n, off_t off)
{
    ssize_t (*fn)(int, const struct iovec *, int, off_t) = real("pwritev");
    ssize_t w;

    if (!is_tracked(fd)) return fn(fd, iov, n, off);
    pthread_mutex_lock(&mu);
    w = fn(fd, iov, n, off);
    if (w > 0) log_write(fd, iov, n, w, off);
    pthread_mutex_unlock(&mu);
    return w;
}

ssize_t pwritev64(int fd, const struct iovec *iov, int n, off_t off)
{
    return pwritev(fd, iov, n, off);
}

ssize_t pwritev2(int fd, const struct iovec *iov, int n, off_t off, int fl)
{
    ssize_t (*fn)(int, const struct iovec *, int, off_t, int) = real("pwritev2");
    ssize_t w;

    if (!is_tracked(fd)) return fn(fd, iov, n, off, fl);
    pthread_mutex_lock(&mu);
    w = fn(fd, iov, n, off, fl);
    if (w > 0) log_write(fd, iov, n, w, off);
    pthread_mutex_unlock(&mu);
    return w;
}

/* ---------------------------------------------------- size, sync, close -- */

int ftruncate(int fd, off_t len)
{
    int (*fn)(int, off_t) = real("ftruncate");
    int rc;

    if (!is_tracked(fd)) return fn(fd, len);
    pthread_mutex_lock(&mu);
    rc = fn(fd, len);
    if (rc == 0) emit(OP_TRUNCATE, 0, fd, (uint64_t)len, 0, NULL, NULL, NULL, 0);
    pthread_mutex_unlock(&mu);
    return rc;
}

int ftruncate64(int fd, off_t len)
{
    return ftruncate(fd, len);
}

int posix_fallocate(int fd, off_t off, off_t len)
{
    int (*fn)(int, off_t, off_t) = real("posix_fallocate");
    int rc;

    if (!is_tracked(fd)) return fn(fd, off, len);
    pthread_mutex_lock(&mu);
    rc = fn(fd, off, len);
    if (rc == 0) emit(OP_FALLOCATE, 0, fd, (uint64_t)off, (uint64_t)len, NULL, NULL, NULL, 0);
    pthread_mutex_unlock(&mu);
    return rc;
}

int posix_fallocate64(int fd, off_t off, off_t len)
{
    return posix_fallocate(fd, off, len);
}

static int do_sync(int fd, int op, const char *name)
{
    int (*fn)(int) = real(name);
    int rc;

    if (!is_tracked(fd)) return fn(fd);
    pthread_mutex_lock(&mu);
    rc = fn(fd);
    if (rc == 0) emit(op, 0, fd, 0, 0, NULL, NULL, NULL, 0);
    pthread_mutex_unlock(&mu);
    return rc;
}

int fsync(int fd)
{
    return do_sync(fd, OP_FSYNC, "fsync");
}

int fdatasync(int fd)
{
    return do_sync(fd, OP_FDATASYNC, "fdatasync");
}

int close(int fd)
{
    int (*fn)(int) = real("close");
    int rc;

    if (!is_tracked(fd)) return fn(fd);
    pthread_mutex_lock(&mu);
    rc = fn(fd);
    tracked[fd] = 0;
    emit(OP_CLOSE, 0, fd, 0, 0, NULL, NULL, NULL, 0);
    pthread_mutex_unlock(&mu);
    return rc;
}

/* fds closed inside libc (fdopendir + closedir) must not stay tracked */
int closedir(DIR *d)
{
    int (*fn)(DIR *) = real("closedir");
    int fd = dirfd(d);

    if (is_tracked(fd)) {
        pthread_mutex_lock(&mu);
        tracked[fd] = 0;
        emit(OP_CLOSE, 0, fd, 0, 0, NULL, NULL, NULL, 0);
        pthread_mutex_unlock(&mu);
    }
    return fn(d);
}

/* ------------------------------------------------------------ namespace -- */

static int do_path_op(int dirfd, const char *path, int op, int rc_of_call)
{
    char abs[PATH_MAX];

    if (rc_of_call == 0 && resolve(dirfd, path, abs, sizeof abs) == 0)
        emit(op, 0, -1, 0, 0, abs, NULL, NULL, 0);
    return rc_of_call;
}

int unlink(const char *path)
{
    int (*fn)(const char *) = real("unlink");
    int rc;

    pthread_mutex_lock(&mu);
    rc = do_path_op(AT_FDCWD, path, OP_UNLINK, fn(path));
    pthread_mutex_unlock(&mu);
    return rc;
}

int unlinkat(int dirfd, const char *path, int flags)
{
    int (*fn)(int, const char *, int) = real("unlinkat");
    int rc;

    pthread_mutex_lock(&mu);
    rc = do_path_op(dirfd, path, (flags & AT_REMOVEDIR) ? OP_RMDIR : OP_UNLINK,
                    fn(dirfd, path, flags));
    pthread_mutex_unlock(&mu);
    return rc;
}

int rmdir(const char *path)
{
    int (*fn)(const char *) = real("rmdir");
    int rc;

    pthread_mutex_lock(&mu);
    rc = do_path_op(AT_FDCWD, path, OP_RMDIR, fn(path));
    pthread_mutex_unlock(&mu);
    return rc;
}

int mkdir(const char *path, mode_t mode)
{
    int (*fn)(const char *, mode_t) = real("mkdir");
    int rc;

    pthread_mutex_lock(&mu);
    rc = do_path_op(AT_FDCWD, path, OP_MKDIR, fn(path, mode));
    pthread_mutex_unlock(&mu);
    return rc;
}

int mkdirat(int dirfd, const char *path, mode_t mode)
{
    int (*fn)(int, const char *, mode_t) = real("mkdirat");
    int rc;

    pthread_mutex_lock(&mu);
    rc = do_path_op(dirfd, path, OP_MKDIR, fn(dirfd, path, mode));
    pthread_mutex_unlock(&mu);
    return rc;
}

static int do_rename(int od, const char *op, int nd, const char *np, int rc)
{
    char a[PATH_MAX], b[PATH_MAX];
    int ta, tb;

    if (rc != 0) return rc;
    ta = resolve(od, op, a, sizeof a) == 0;
    tb = resolve(nd, np, b, sizeof b) == 0;
    if (ta && tb) emit(OP_RENAME, 0, -1, 0, 0, a, b, NULL, 0);
    else if (ta || tb) emit(OP_UNSUPPORTED, 0, -1, 0, 0, ta ? a : b, NULL, NULL, 0);
    return rc;
}

int rename(const char *op, const char *np)
{
    int (*fn)(const char *, const char *) = real("rename");
    int rc;

    pthread_mutex_lock(&mu);
    rc = do_rename(AT_FDCWD, op, AT_FDCWD, np, fn(op, np));
    pthread_mutex_unlock(&mu);
    return rc;
}

int renameat(int od, const char *op, int nd, const char *np)
{
    int (*fn)(int, const char *, int, const char *) = real("renameat");
    int rc;

    pthread_mutex_lock(&mu);
    rc = do_rename(od, op, nd, np, fn(od, op, nd, np));
    pthread_mutex_unlock(&mu);
    return rc;
}
