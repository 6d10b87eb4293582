/*
 * inspect.c - the run loop: select checks, run each probe once per target,
 * turn probe status + pass condition into a verdict.
 *
 * Invariants: a probe's failure (error status, NW_ENOMEM, a condition that
 * cannot be evaluated) becomes that check's verdict `error` and the run goes
 * on; results keep the order of the check set (sorted by file path), local
 * and audit-self checks first, then network checks target by target. Facts
 * are capped at 64 KiB per result (a probe that writes more gets its facts
 * cut to "{}" and verdict error), so a run's memory is bounded by
 * checks x targets x 64 KiB.
 */
#include "nw/inspect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FACTS_MAX (64 * 1024)

static int selected(struct nw_inspect_run *r, const struct nw_check *c, struct nw_err *err)
{
    if (!(c->mode & r->modes)) return 0;
    if (r->only) {
        size_t n = strlen(c->id);
        const char *p = r->only;
        int found = 0;
        while (*p) {
            const char *e = strchr(p, ',');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            if (len == n && memcmp(p, c->id, n) == 0) found = 1;
            p += len + (e != NULL);
        }
        if (!found) return 0;
    }
    if (r->profile == NULL) return 1;
    return nw_checkset_in_profile(r->cs, c, r->profile, err);
}

static void make_id(struct nw_inspect_run *r)
{
    time_t t = (time_t)(r->started_us / 1000000);
    struct tm tm;

    char base[24];

    gmtime_r(&t, &tm);
    strftime(base, sizeof base, "%Y%m%dT%H%M%S", &tm);
    snprintf(r->id, sizeof r->id, "%s.%06uZ", base, (unsigned)(r->started_us % 1000000));
}

/* Run one check against one target (or locally) into res. */
static int run_one(struct nw_inspect_run *r, const struct nw_check *c,
                   const struct nw_inspect_target *t, struct nw_inspect_result *out)
{
    struct nw_probe_req req;
    struct nw_probe_res res;
    struct nw_err err;
    uint64_t t0 = nw_time_now_us();
    int rc;

    memset(&req, 0, sizeof req);
    memset(&res, 0, sizeof res);
    req.check = c;
    req.root = r->set.root;
    req.target = t;
    req.set = &r->set;
    req.cancel = r->cancel;
    out->check = c;
    out->target = t ? t->host : NULL;
    nw_buf_init(&res.facts, FACTS_MAX);
    nw_json_obj_open(&res.facts);

    if (t && !t->scanned) {
        out->verdict = NW_VERDICT_ERROR;
        snprintf(out->reason, sizeof out->reason, "%s", t->scan_error);
        goto done;
    }
    if (r->cancel && *r->cancel) {
        out->verdict = NW_VERDICT_ERROR;
        snprintf(out->reason, sizeof out->reason, "interrupted before this check ran");
        goto done;
    }
    rc = c->probe->run(&req, &res);
    nw_json_obj_close(&res.facts);
    snprintf(out->evidence, sizeof out->evidence, "%s", res.evidence);
    if (rc != 0) {
        out->verdict = NW_VERDICT_ERROR;
        snprintf(out->reason, sizeof out->reason, "probe %s failed: %s", c->probe->name,
                 nw_strerror(rc));
    } else if (!nw_buf_ok(&res.facts)) {
        out->verdict = NW_VERDICT_ERROR;
        snprintf(out->reason, sizeof out->reason, "probe %s gave more than %d KiB of facts",
                 c->probe->name, FACTS_MAX / 1024);
    } else if (res.status == NW_PROBE_SKIP) {
        out->verdict = NW_VERDICT_SKIP;
        snprintf(out->reason, sizeof out->reason, "%s", res.reason);
    } else if (res.status == NW_PROBE_ERROR) {
        out->verdict = NW_VERDICT_ERROR;
        snprintf(out->reason, sizeof out->reason, "%s", res.reason);
    } else if (c->skip_cond &&
               (rc = nw_cond_eval(c->skip_cond, res.facts.data, res.facts.len, &err)) != 0) {
        out->verdict = rc > 0 ? NW_VERDICT_SKIP : NW_VERDICT_ERROR;
        snprintf(out->reason, sizeof out->reason, "%s%.200s", rc > 0 ? "not applicable: " :
                 "skip_if: ", rc > 0 ? c->skip_if : err.msg);
    } else {
        err.msg[0] = '\0';
        rc = nw_cond_eval(c->cond, res.facts.data, res.facts.len, &err);
        if (rc < 0) {
            out->verdict = NW_VERDICT_ERROR;
            snprintf(out->reason, sizeof out->reason, "pass condition: %.200s", err.msg);
        } else {
            out->verdict = rc ? NW_VERDICT_PASS : NW_VERDICT_FAIL;
        }
    }
    if (nw_buf_ok(&res.facts) && res.facts.len > 0) {
        out->facts = nw_strndup(res.facts.data, res.facts.len);
        out->facts_len = res.facts.len;
    }
done:
    if (out->facts == NULL) {
        out->facts = nw_strndup("{}", 2);
        out->facts_len = 2;
    }
    nw_buf_fini(&res.facts);
    out->duration_us = nw_time_now_us() - t0;
    if (out->facts == NULL) return NW_ENOMEM;
    r->counts[out->verdict]++;
    return 0;
}

int nw_inspect_run_checks(struct nw_inspect_run *r, struct nw_err *err)
{
    const struct nw_check **sel = NULL;
    size_t nsel = 0, nlocal = 0, total, done = 0;
    int rc = 0, any_net = 0;

    r->started_us = nw_time_now_us();
    if (r->set.now_us == 0) r->set.now_us = r->started_us;
    make_id(r);
    sel = nw_calloc(r->cs->n ? r->cs->n : 1, sizeof *sel);
    if (sel == NULL) return nw_err_set(err, NW_ENOMEM, "out of memory");
    for (size_t i = 0; i < r->cs->n; i++) {
        int s = selected(r, &r->cs->checks[i], err);
        if (s < 0) {
            rc = s;
            goto out;
        }
        if (s) sel[nsel++] = &r->cs->checks[i];
    }
    /* local and audit-self first (stable), network after */
    for (size_t i = 0; i < nsel; i++)
        if (sel[i]->mode != NW_CHK_NETWORK) nlocal++;
        else any_net = 1;
    if (nsel == 0) {
        rc = nw_err_set(err, NW_EINVAL, "no check selected (profile %s, modes %s%s%s)%s",
                        r->profile ? r->profile : "all",
                        r->modes & NW_CHK_LOCAL ? "local " : "",
                        r->modes & NW_CHK_AUDIT_SELF ? "audit-self " : "",
                        r->modes & NW_CHK_NETWORK ? "network" : "",
                        r->modes & NW_CHK_NETWORK && r->ntargets == 0
                            ? "; network checks need --targets" : "");
        goto out;
    }
    total = nlocal + (nsel - nlocal) * r->ntargets + (any_net ? r->ntargets : 0);
    r->results = nw_calloc(total ? total : 1, sizeof *r->results);
    if (r->results == NULL) {
        rc = nw_err_set(err, NW_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < nsel; i++) {
        if (sel[i]->mode == NW_CHK_NETWORK) continue;
        if (r->on_progress) r->on_progress(r->progress_arg, done, total, sel[i]->id);
        if ((rc = run_one(r, sel[i], NULL, &r->results[r->nresults])) != 0) goto oom;
        r->nresults++;
        done++;
    }
    for (size_t t = 0; any_net && t < r->ntargets; t++) {
        struct nw_inspect_target *tg = &r->targets[t];
        struct nw_err se;
        if (r->on_progress) r->on_progress(r->progress_arg, done, total, tg->host);
        se.msg[0] = '\0';
        if (r->cancel && *r->cancel) {
            snprintf(tg->scan_error, sizeof tg->scan_error, "interrupted before the scan");
        } else if (nw_inspect_scan(tg, &r->set, r->cancel, &se) == 0) {
            tg->scanned = 1;
        } else {
            snprintf(tg->scan_error, sizeof tg->scan_error, "%.250s", se.msg[0] ? se.msg :
                     "scan failed");
        }
        done++;
        for (size_t i = 0; i < nsel; i++) {
            if (sel[i]->mode != NW_CHK_NETWORK) continue;
            if (r->on_progress) r->on_progress(r->progress_arg, done, total, sel[i]->id);
            if ((rc = run_one(r, sel[i], tg, &r->results[r->nresults])) != 0) goto oom;
            r->nresults++;
            done++;
        }
    }
    if (r->on_progress) r->on_progress(r->progress_arg, total, total, NULL);
    r->finished_us = nw_time_now_us();
    rc = 0;
    goto out;
oom:
    rc = nw_err_set(err, NW_ENOMEM, "out of memory while running checks");
out:
    nw_free(sel);
    return rc;
}

void nw_inspect_run_fini(struct nw_inspect_run *r)
{
    for (size_t i = 0; i < r->nresults; i++) nw_free(r->results[i].facts);
    nw_free(r->results);
    nw_free(r->fixed);
    r->results = NULL;
    r->fixed = NULL;
    r->nresults = r->nfixed = 0;
    for (size_t t = 0; t < r->ntargets; t++) {
        struct nw_inspect_target *tg = &r->targets[t];
        if (tg->banners)
            for (size_t k = 0; k < tg->nopen; k++) nw_free(tg->banners[k]);
        nw_free(tg->banners);
        nw_free(tg->open_ports);
        tg->banners = NULL;
        tg->open_ports = NULL;
        tg->nopen = 0;
    }
}
