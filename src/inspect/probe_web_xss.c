/*
 * probe_web_xss.c - "web_xss": reflected cross-site scripting, tested with
 * a harmless canary. For each injection point (a parameter of a same-host
 * link or GET form found by the crawl; POST forms are never submitted) one
 * GET with the parameter set to
 *     nw<8 hex>"'><nwx<8 hex>>
 * (an unknown, inert element: nothing runs even where it is reflected). The
 * point is vulnerable when the answer contains "<nwx<8 hex>>" as sent, i.e.
 * the angle brackets came back unencoded; a canary that came back encoded
 * is counted as reflected_encoded only.
 *
 * Parameters: rate? (requests per second, default 5), max_points? (20).
 * Facts: tested, requests, xss [{url, param}], count, reflected_encoded,
 *   notes.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/rand.h>

#include "web_int.h"

static int xss_run(const struct nw_probe_req *req, struct nw_probe_res *res)
{
    const struct nw__web_site *s;
    struct nw__web_client c;
    struct nw_buf *b = &res->facts;
    char why[300], url[NW_WEB_URL_MAX * 2], canary[64], tag[32], ev[800];
    unsigned char rnd[4];
    size_t maxp = nw_probe_param_uint(req, "max_points", 20), tested = 0, enc = 0, o = 0;
    double rate = (double)nw_probe_param_uint(req, "rate", 5);
    size_t *hit = NULL, nh = 0;
    int rc = 0;

    s = nw__web_site_get(req, res, &rc);
    if (s == NULL) return rc;
    if (s->npoints == 0) {
        nw_json_kuint(b, "tested", 0);
        nw_json_kuint(b, "requests", 0);
        nw_json_karr_open(b, "xss");
        nw_json_arr_close(b);
        nw_json_kuint(b, "count", 0);
        nw_json_kuint(b, "reflected_encoded", 0);
        nw__web_notes_json(NULL, b, "no parameter found on the crawled pages (links, GET forms)");
        nw_probe_evidence(res, "%s: no parameter to test among %zu pages", s->start, s->npages);
        return 0;
    }
    if (RAND_bytes(rnd, sizeof rnd) != 1) memcpy(rnd, "\x4e\x57\x58\x53", 4);
    snprintf(tag, sizeof tag, "<nwx%02x%02x%02x%02x>", rnd[0], rnd[1], rnd[2], rnd[3]);
    snprintf(canary, sizeof canary, "nw%02x%02x%02x%02x\"'>%s", rnd[0], rnd[1], rnd[2], rnd[3], tag);
    if ((rc = nw__web_client_init(&c, req, rate, why, sizeof why)) != 0)
        return rc == NW_ENOMEM ? rc : nw_probe_error(res, "%s", why);
    hit = nw_calloc(s->npoints + 1, sizeof *hit);
    if (hit == NULL) {
        nw__web_client_fini(&c);
        return NW_ENOMEM;
    }
    ev[0] = '\0';
    for (size_t i = 0; i < s->npoints && tested < maxp; i++) {
        const struct nw__web_point *p = &s->points[i];
        struct nw__web_resp r;
        nw__web_point_url(p, canary, url, sizeof url);
        int g = nw__web_get(&c, url, 1024 * 1024, 1, &r);
        if (g == NW_ELIMIT) {
            nw__web_resp_free(&r);
            break;
        }
        tested++;
        if (g == 0 && r.body) {
            if (strstr(r.body, tag)) {
                hit[nh++] = i;
                int k = snprintf(ev + o, sizeof ev - o, "%s%s?%s=", o ? "; " : "", p->url,
                                 p->names[p->which]);
                if (k > 0) o = NW_MIN(o + (size_t)k, sizeof ev - 1);
            } else if (strstr(r.body, canary + 0) == NULL && memmem(r.body, r.len, canary, 10)) {
                enc++;
            }
        }
        nw__web_resp_free(&r);
    }
    nw_json_kuint(b, "tested", tested);
    nw_json_kuint(b, "requests", c.requests);
    nw_json_karr_open(b, "xss");
    for (size_t k = 0; k < nh; k++) {
        nw_json_obj_open(b);
        nw_json_kcstr(b, "url", s->points[hit[k]].url);
        nw_json_kcstr(b, "param", s->points[hit[k]].names[s->points[hit[k]].which]);
        nw_json_obj_close(b);
    }
    nw_json_arr_close(b);
    nw_json_kuint(b, "count", nh);
    nw_json_kuint(b, "reflected_encoded", enc);
    nw__web_notes_json(NULL, b, c.stopped ? c.stop_note : "");
    if (nh)
        nw_probe_evidence(res, "canary element reflected unencoded at %s (parameter shown)", ev);
    else
        nw_probe_evidence(res, "%s: %zu parameter(s) tested, none reflects markup", s->start,
                          tested);
    nw_free(hit);
    nw__web_client_fini(&c);
    return 0;
}

static const char *const xss_params[] = {"rate?", "max_points?", NULL};
const struct nw_probe nw_probe_web_xss = {
    "web_xss", NW_CHK_NETWORK, xss_params, xss_run,
    "website: reflected XSS on link/GET-form parameters, with an inert canary element"};
