/*
 * probe_sys.c - running-system probes: process (proc/<pid>/comm), sysctl
 * (proc/sys, else the sysctl.d configuration), listening (proc/net/tcp and
 * tcp6), and command (run a program, live host only).
 *
 * All read under the root, so a test tree can hold proc/1/comm or
 * proc/net/tcp as plain files. Bounds: 65536 proc entries, 1 MiB of
 * /proc/net/tcp*, 4096 sockets; command output 64 KiB and a timeout
 * (default 10 s, then SIGKILL). The command probe never uses a shell and
 * runs only when the root is "/" (an image's binaries are not run).
 */
#include "probe_int.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int nw__exists(const struct nw_probe_req *req, const char *path)
{
    char full[4096];
    struct stat st;

    return nw_probe_path(req, path, full, sizeof full) == 0 && lstat(full, &st) == 0;
}

/* ---------------------------------------------------------------- process -- */

struct proc_scan {
    const char *const *names;
    size_t nnames;
    int found[32];
    size_t nproc;
};

static void scan_proc(const struct nw_probe_req *req, struct proc_scan *ps)
{
    char dir[4096];
    DIR *d;
    struct dirent *de;
    size_t seen = 0;

    if (nw_probe_path(req, "/proc", dir, sizeof dir) != 0) return;
    d = opendir(dir);
    if (d == NULL) return;
    while ((de = readdir(d)) != NULL && seen++ < 65536) {
        char path[4200], comm[64];
        FILE *f;
        if (!isdigit((unsigned char)de->d_name[0])) continue;
        snprintf(path, sizeof path, "%.3900s/%.64s/comm", dir, de->d_name);
        f = fopen(path, "r");
        if (f == NULL) continue;
        if (fgets(comm, sizeof comm, f) != NULL) {
            comm[strcspn(comm, "\n")] = '\0';
            ps->nproc++;
            for (size_t i = 0; i < ps->nnames && i < 32; i++)
                if (strcmp(comm, ps->names[i]) == 0) ps->found[i] = 1;
        }
        fclose(f);
    }
    closedir(d);
}

int nw__proc_running(const struct nw_probe_req *req, const char *comm)
{
    const char *names[1] = {comm};
    struct proc_scan ps;

    memset(&ps, 0, sizeof ps);
    ps.names = names;
    ps.nnames = 1;
    scan_proc(req, &ps);
    return ps.found[0];
}

static int process_run(const struct nw_probe_req *req, struct nw_probe_res *res)
{
    const struct nw_param *p = nw_probe_param(req, "names");
    const char *one[2] = {NULL, NULL};
    struct proc_scan ps;
    struct nw_buf *b = &res->facts;
    int any = 0;

    memset(&ps, 0, sizeof ps);
    if (p->list) {
        ps.names = p->list;
        ps.nnames = p->nlist;
    } else {
        one[0] = p->value;
        ps.names = one;
        ps.nnames = 1;
    }
    scan_proc(req, &ps);
    if (ps.nproc == 0)
        return nw_probe_error(res, "no process list under %s/proc (not mounted?)",
                              strcmp(req->root, "/") == 0 ? "" : req->root);
    nw_json_karr_open(b, "found");
    for (size_t i = 0; i < ps.nnames && i < 32; i++)
        if (ps.found[i]) {
            nw_json_cstr(b, ps.names[i]);
            if (!any) nw_probe_evidence(res, "process %s is running", ps.names[i]);
            any = 1;
        }
    nw_json_arr_close(b);
    nw_json_kbool(b, "running", any);
    nw_json_kuint(b, "processes", ps.nproc);
    if (!any) nw_probe_evidence(res, "none of the named processes runs (%zu processes seen)",
                                ps.nproc);
    return 0;
}

static const char *const process_params[] = {"names", NULL};
const struct nw_probe nw_probe_process = {
    "process", NW_CHK_LOCAL, process_params, process_run,
    "is any of the named processes running (proc/<pid>/comm)"};

/* ----------------------------------------------------------------- sysctl -- */

struct sysctl_cfg {
    const char *key;
    char value[256];
    char file[256];
    int found;
};

static int sysctl_file(void *arg, const char *full, const char *rel)
{
    struct sysctl_cfg *sc = arg;
    FILE *f = fopen(full, "r");
    char line[1024];
    size_t kl = strlen(sc->key);

    if (f == NULL) return 0;
    while (fgets(line, sizeof line, f) != NULL) {
        char *p = line, *e;
        while (*p == ' ' || *p == '\t' || *p == '-') p++;
        if (*p == '#' || *p == ';') continue;
        /* key may be written with '/' instead of '.' */
        {
            size_t i;
            for (i = 0; i < kl && p[i]; i++)
                if (!(p[i] == sc->key[i] || (p[i] == '/' && sc->key[i] == '.'))) break;
            if (i != kl) continue;
            p += kl;
        }
        while (*p == ' ' || *p == '\t') p++;
        if (*p != '=') continue;
        p++;
        while (*p == ' ' || *p == '\t') p++;
        e = p + strcspn(p, "\r\n");
        while (e > p && (e[-1] == ' ' || e[-1] == '\t')) e--;
        snprintf(sc->value, sizeof sc->value, "%.*s", (int)(e - p), p);
        snprintf(sc->file, sizeof sc->file, "%s", rel);
        sc->found = 1; /* later files override earlier ones, as sysctl --system does */
    }
    fclose(f);
    return 0;
}

static int sysctl_run(const struct nw_probe_req *req, struct nw_probe_res *res)
{
    const char *key = nw_probe_param_str(req, "key", "");
    char path[300], *buf = NULL, *end;
    size_t len;
    struct nw_buf *b = &res->facts;
    struct sysctl_cfg sc;
    const char *src = "runtime";
    long long num;
    int rc;

    snprintf(path, sizeof path, "/proc/sys/%s", key);
    for (char *p = path + 10; *p; p++)
        if (*p == '.') *p = '/';
    memset(&sc, 0, sizeof sc);
    rc = nw_probe_read_file(req, path, 4096, &buf, &len, NULL);
    if (rc == NW_ENOMEM) return rc;
    if (rc == 0) {
        size_t n = strcspn(buf, "\n");
        buf[n] = '\0';
        for (char *p = buf; *p; p++)
            if (*p == '\t') *p = ' ';
        snprintf(sc.value, sizeof sc.value, "%s", buf);
        sc.found = 1;
    } else {
        /* no runtime value (an image): the configured one, in sysctl --system order */
        sc.key = key;
        src = "config";
        nw__probe_glob(req, "/usr/lib/sysctl.d/*.conf", sysctl_file, &sc);
        nw__probe_glob(req, "/etc/sysctl.d/*.conf", sysctl_file, &sc);
        nw__probe_glob(req, "/etc/sysctl.conf", sysctl_file, &sc);
    }
    nw_free(buf);
    nw_json_kbool(b, "exists", sc.found);
    nw_json_kcstr(b, "source", src);
    nw_json_key(b, "value");
    if (sc.found) nw_json_cstr(b, sc.value);
    else nw_json_null(b);
    nw_json_key(b, "number");
    errno = 0;
    num = sc.found ? strtoll(sc.value, &end, 10) : 0;
    if (sc.found && errno == 0 && end != sc.value && *end == '\0') nw_json_int(b, num);
    else nw_json_null(b);
    if (sc.found) nw_probe_evidence(res, "%s = %s (%s%s%s)", key, sc.value, src,
                                    sc.file[0] ? " " : "", sc.file);
    else nw_probe_evidence(res, "%s is neither readable at runtime nor configured", key);
    return 0;
}

static const char *const sysctl_params[] = {"key", NULL};
const struct nw_probe nw_probe_sysctl = {
    "sysctl", NW_CHK_LOCAL, sysctl_params, sysctl_run,
    "a kernel parameter: proc/sys at runtime, else sysctl.d/sysctl.conf"};

/* -------------------------------------------------------------- listening -- */

static int listening_run(const struct nw_probe_req *req, struct nw_probe_res *res)
{
    static const char *const files[] = {"/proc/net/tcp", "/proc/net/tcp6"};
    const struct nw_param *risky = nw_probe_param(req, "risky_ports");
    uint16_t ports[4096];
    int exposed[4096];
    size_t nports = 0, nfiles = 0;
    struct nw_buf *b = &res->facts;
    size_t nrisky = 0;
    char ev[512];
    size_t evl = 0;

    ev[0] = '\0';
    for (size_t f = 0; f < 2; f++) {
        char *buf = NULL, *line, *next;
        size_t len;
        int rc = nw_probe_read_file(req, files[f], 1u << 20, &buf, &len, NULL);
        if (rc == NW_ENOMEM) return rc;
        if (rc != 0) continue;
        nfiles++;
        for (line = buf; line && *line && nports < 4096; line = next) {
            char local[64], remote[64], st[8];
            unsigned port;
            char *colon;
            int loop;
            next = strchr(line, '\n');
            if (next) *next++ = '\0';
            if (sscanf(line, " %*s %63s %63s %7s", local, remote, st) != 3) continue;
            if (strcmp(st, "0A") != 0) continue; /* LISTEN */
            colon = strrchr(local, ':');
            if (colon == NULL || sscanf(colon + 1, "%x", &port) != 1 || port > 65535) continue;
            *colon = '\0';
            /* 0100007F = 127.0.0.1 (little-endian hex); ::1 in tcp6 */
            loop = (f == 0 && strlen(local) == 8 && strcmp(local + 6, "7F") == 0) ||
                   strcmp(local, "00000000000000000000000001000000") == 0;
            {
                size_t k;
                for (k = 0; k < nports; k++)
                    if (ports[k] == port) break;
                if (k == nports) {
                    ports[nports] = (uint16_t)port;
                    exposed[nports++] = !loop;
                } else if (!loop) {
                    exposed[k] = 1;
                }
            }
        }
        nw_free(buf);
    }
    if (nfiles == 0) return nw_probe_error(res, "cannot read proc/net/tcp under the root");
    nw_json_karr_open(b, "ports");
    for (size_t i = 0; i < nports; i++) nw_json_uint(b, ports[i]);
    nw_json_arr_close(b);
    nw_json_karr_open(b, "exposed");
    for (size_t i = 0; i < nports; i++)
        if (exposed[i]) nw_json_uint(b, ports[i]);
    nw_json_arr_close(b);
    nw_json_karr_open(b, "risky");
    for (size_t i = 0; i < nports; i++) {
        if (!exposed[i] || risky == NULL) continue;
        for (size_t k = 0; k < risky->nlist; k++)
            if (strtoul(risky->list[k], NULL, 10) == ports[i]) {
                int n;
                nw_json_uint(b, ports[i]);
                nrisky++;
                n = snprintf(ev + evl, sizeof ev - evl, "%s%u", evl ? ", " : "", ports[i]);
                if (n > 0 && (size_t)n < sizeof ev - evl) evl += (size_t)n;
            }
    }
    nw_json_arr_close(b);
    nw_json_kuint(b, "risky_count", nrisky);
    if (nrisky) nw_probe_evidence(res, "high-risk ports listening beyond loopback: %s", ev);
    else nw_probe_evidence(res, "%zu listening TCP ports, none of them high-risk beyond loopback",
                           nports);
    return 0;
}

static const char *const listening_params[] = {"risky_ports", NULL};
const struct nw_probe nw_probe_listening = {
    "listening", NW_CHK_LOCAL, listening_params, listening_run,
    "listening TCP sockets (proc/net/tcp, tcp6); which high-risk ports are exposed"};

/* ---------------------------------------------------------------- command -- */

int nw__run_capture(char *const argv[], char *out, size_t cap, size_t *outlen, int timeout_s,
                    const volatile int *cancel, int *exit_code)
{
    int pipefd[2] = {-1, -1}, status = 0, timed_out = 0;
    struct timespec t0, now;
    pid_t pid;

    *outlen = 0;
    if (pipe(pipefd) != 0) return NW_EIO;
    pid = fork();
    if (pid < 0) {
        close(pipefd[0]);
        close(pipefd[1]);
        return NW_EIO;
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0) dup2(devnull, 0);
        dup2(pipefd[1], 1);
        dup2(pipefd[1], 2);
        close(pipefd[0]);
        execv(argv[0], argv);
        _exit(127);
    }
    close(pipefd[1]);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        struct pollfd pfd = {pipefd[0], POLLIN, 0};
        long left;
        ssize_t r;
        clock_gettime(CLOCK_MONOTONIC, &now);
        left = (long)timeout_s * 1000 - ((now.tv_sec - t0.tv_sec) * 1000 +
                                         (now.tv_nsec - t0.tv_nsec) / 1000000);
        if (left <= 0 || (cancel && *cancel)) {
            timed_out = 1;
            kill(pid, SIGKILL);
            break;
        }
        if (poll(&pfd, 1, (int)NW_MIN(left, 200)) <= 0) continue;
        if (*outlen < cap) r = read(pipefd[0], out + *outlen, cap - *outlen);
        else { /* output beyond the cap: drain and drop */
            char sink[4096];
            r = read(pipefd[0], sink, sizeof sink);
            if (r > 0) continue;
        }
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        *outlen += (size_t)r;
    }
    close(pipefd[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    out[*outlen] = '\0';
    if (timed_out) return NW_ELIMIT;
    *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return 0;
}

static int command_run(const struct nw_probe_req *req, struct nw_probe_res *res)
{
    const struct nw_param *argv_p = nw_probe_param(req, "argv");
    const char *pattern = nw_probe_param_str(req, "pattern", NULL);
    uint64_t timeout_s = nw_probe_param_uint(req, "timeout", 10);
    char *argv[33];
    char *out = NULL;
    size_t outlen = 0, cap = 65536;
    struct nw_buf *b = &res->facts;
    char value[512];
    int matched = 0, code = 0, rc;

    if (strcmp(req->root, "/") != 0)
        return nw_probe_skip(res, "commands run only on the live host (root is %s)", req->root);
    if (argv_p == NULL || argv_p->list == NULL || argv_p->nlist == 0 || argv_p->nlist > 32)
        return nw_probe_error(res, "argv must be a list of 1 to 32 words");
    for (size_t i = 0; i < argv_p->nlist; i++) argv[i] = (char *)argv_p->list[i];
    argv[argv_p->nlist] = NULL;
    if (argv[0][0] != '/') return nw_probe_error(res, "argv[0] must be an absolute path");
    if (access(argv[0], X_OK) != 0) return nw_probe_skip(res, "%s is not installed", argv[0]);
    out = nw_alloc(cap + 1);
    if (out == NULL) return NW_ENOMEM;
    rc = nw__run_capture(argv, out, cap, &outlen, (int)NW_MIN(timeout_s, 600), req->cancel,
                         &code);
    value[0] = '\0';
    if (rc == NW_ELIMIT) {
        nw_free(out);
        return nw_probe_error(res, "%s did not finish within %llu s", argv[0],
                              (unsigned long long)timeout_s);
    }
    if (rc != 0) {
        nw_free(out);
        return nw_probe_error(res, "cannot run %s: %s", argv[0], strerror(errno));
    }
    if (pattern) {
        regex_t re;
        regmatch_t m[2];
        if (regcomp(&re, pattern, REG_EXTENDED | REG_NEWLINE) != 0) {
            nw_free(out);
            return nw_probe_error(res, "pattern does not compile");
        }
        if (regexec(&re, out, 2, m, 0) == 0) {
            regoff_t so = m[1].rm_so >= 0 ? m[1].rm_so : m[0].rm_so;
            regoff_t eo = m[1].rm_so >= 0 ? m[1].rm_eo : m[0].rm_eo;
            snprintf(value, sizeof value, "%.*s", (int)(eo - so), out + so);
            matched = 1;
        }
        regfree(&re);
    }
    if (code != 0 && nw__truthy(nw_probe_param_str(req, "skip_on_failure", "no"))) {
        size_t n = strcspn(out, "\n");
        nw_probe_skip(res, "%s exited with %d: %.*s", argv[0], code, (int)NW_MIN(n, 160), out);
        nw_free(out);
        return 0;
    }
    nw_json_kint(b, "exit_code", code);
    nw_json_kbool(b, "matched", matched);
    nw_json_key(b, "value");
    if (matched) nw_json_cstr(b, value);
    else nw_json_null(b);
    if (matched) nw_probe_evidence(res, "%s: %s", argv[0], value);
    else nw_probe_evidence(res, "%s: no match in %zu bytes of output", argv[0], outlen);
    nw_free(out);
    return 0;
}

static const char *const command_params[] = {"argv", "pattern?", "timeout?", "skip_on_failure?",
                                              NULL};
const struct nw_probe nw_probe_command = {
    "command", NW_CHK_LOCAL, command_params, command_run,
    "run a program (no shell, live host only) and match its output"};
