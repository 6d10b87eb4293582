/*
 * probe_web_headers.c - "web_headers": HTTPS and the security headers of a
 * website's start page (after same-host redirects), and its cookies' flags.
 *
 * Looks for: Strict-Transport-Security (HTTPS only; max-age >= 1 day),
 * Content-Security-Policy, clickjacking protection (X-Frame-Options DENY/
 * SAMEORIGIN or CSP frame-ancestors), X-Content-Type-Options: nosniff,
 * Referrer-Policy. Each Set-Cookie: Secure (on HTTPS) and HttpOnly.
 *
 * Facts: url, final_url, status, https (the final page is HTTPS), hsts,
 *   hsts_max_age, csp, frame_protection, nosniff, referrer_policy,
 *   missing [header names], cookies [{name, secure, httponly}],
 *   insecure_cookies [names], notes [...].
 * Parameters: none. Not a website: skip. No answer: error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web_int.h"

static int headers_run(const struct nw_probe_req *req, struct nw_probe_res *res)
{
    struct nw__web_client c;
    struct nw__web_resp r;
    struct nw_buf *b = &res->facts;
    char why[300], v[2048];
    int rc = 0, https, hsts = 0, csp = 0, frame = 0, nosniff = 0, refpol = 0;
    long maxage = -1;
    struct nw_url fu;

    if (!nw__web_target_ok(req, res)) return 0;
    if ((rc = nw__web_client_init(&c, req, 10, why, sizeof why)) != 0)
        return rc == NW_ENOMEM ? rc : nw_probe_error(res, "%s", why);
    rc = nw__web_get(&c, req->target->host, 256 * 1024, 1, &r);
    if (rc != 0) {
        nw_probe_error(res, "%s: %s", req->target->host, r.note[0] ? r.note : "no HTTP answer");
        rc = 0;
        goto out;
    }
    https = nw_web_url_parse(r.url, &fu) == 0 && strcmp(fu.scheme, "https") == 0;
    if (https && nw__web_header(&r, "Strict-Transport-Security", v, sizeof v)) {
        const char *m = strcasestr(v, "max-age=");
        maxage = m ? strtol(m + 8 + (m[8] == '"'), NULL, 10) : 0;
        hsts = maxage >= 86400;
    }
    if (nw__web_header(&r, "Content-Security-Policy", v, sizeof v)) {
        csp = 1;
        if (strcasestr(v, "frame-ancestors")) frame = 1;
    }
    if (nw__web_header(&r, "X-Frame-Options", v, sizeof v) &&
        (strcasestr(v, "deny") || strcasestr(v, "sameorigin")))
        frame = 1;
    if (nw__web_header(&r, "X-Content-Type-Options", v, sizeof v) && strcasestr(v, "nosniff"))
        nosniff = 1;
    if (nw__web_header(&r, "Referrer-Policy", v, sizeof v) && v[0]) refpol = 1;

    nw_json_kcstr(b, "url", req->target->host);
    nw_json_kcstr(b, "final_url", r.url);
    nw_json_kint(b, "status", r.status);
    nw_json_kbool(b, "https", https);
    nw_json_kbool(b, "hsts", hsts);
    nw_json_kint(b, "hsts_max_age", maxage);
    nw_json_kbool(b, "csp", csp);
    nw_json_kbool(b, "frame_protection", frame);
    nw_json_kbool(b, "nosniff", nosniff);
    nw_json_kbool(b, "referrer_policy", refpol);
    nw_json_karr_open(b, "missing");
    char ev[700];
    size_t o = 0;
    ev[0] = '\0';
#define MISS(cond, name)                                                                  \
    if (!(cond)) {                                                                        \
        nw_json_cstr(b, name);                                                            \
        o += (size_t)snprintf(ev + o, sizeof ev - o, "%s%s", o ? ", " : "", name);        \
        if (o >= sizeof ev) o = sizeof ev - 1;                                            \
    }
    if (https) MISS(hsts, "Strict-Transport-Security");
    MISS(csp, "Content-Security-Policy");
    MISS(frame, "X-Frame-Options");
    MISS(nosniff, "X-Content-Type-Options");
    MISS(refpol, "Referrer-Policy");
#undef MISS
    nw_json_arr_close(b);

    /* cookies: every one, and apart the names of those missing a flag */
    char bad[400], store[512];
    size_t bo = 0;
    struct nw_buf ins;
    bad[0] = '\0';
    nw_buf_init_with(&ins, store, sizeof store, 0);
    nw_json_arr_open(&ins);
    nw_json_karr_open(b, "cookies");
    for (const char *p = r.hdr; p && *p;) {
        const char *e = strchr(p, '\n');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l > 11 && strncasecmp(p, "Set-Cookie:", 11) == 0) {
            char line[2048];
            snprintf(line, sizeof line, "%.*s", (int)(l - 11), p + 11);
            char *nm = line;
            while (*nm == ' ') nm++;
            size_t nl = strcspn(nm, "=;");
            int sec = strcasestr(line, "; secure") != NULL || strcasestr(line, ";secure") != NULL;
            int ho = strcasestr(line, "httponly") != NULL;
            nw_json_obj_open(b);
            nw_json_kstr(b, "name", nm, nl);
            nw_json_kbool(b, "secure", sec);
            nw_json_kbool(b, "httponly", ho);
            nw_json_obj_close(b);
            if ((https && !sec) || !ho) {
                int k = snprintf(bad + bo, sizeof bad - bo, "%s%.*s (%s%s%s)", bo ? ", " : "",
                                 (int)NW_MIN(nl, (size_t)60), nm, https && !sec ? "no Secure" : "",
                                 https && !sec && !ho ? ", " : "", !ho ? "no HttpOnly" : "");
                if (k > 0) bo = NW_MIN(bo + (size_t)k, sizeof bad - 1);
                nw_json_str(&ins, nm, nl);
            }
        }
        if (e == NULL) break;
        p = e + 1;
    }
    nw_json_arr_close(b);
    nw_json_arr_close(&ins);
    nw_json_key(b, "insecure_cookies");
    if (nw_buf_ok(&ins)) nw_json_raw(b, ins.data, ins.len);
    else nw_json_raw(b, "[]", 2); /* out of memory: the names are in the cookies array */
    nw_buf_fini(&ins);
    nw__web_notes_json(NULL, b, r.note);
    nw_probe_evidence(res, "%s (%s, HTTP %ld): %s%s%s%s", r.url, https ? "HTTPS" : "plain HTTP",
                      r.status, o ? "missing " : "all security headers present", ev,
                      bo ? "; cookies: " : "", bad);
out:
    nw__web_resp_free(&r);
    nw__web_client_fini(&c);
    return rc;
}

static const char *const headers_params[] = {NULL};
const struct nw_probe nw_probe_web_headers = {
    "web_headers", NW_CHK_NETWORK, headers_params, headers_run,
    "website start page: HTTPS, HSTS, CSP, frame protection, nosniff, Referrer-Policy, cookie flags"};
