/*
 * identity.c - the identity table: who had which IP address when.
 *
 * Data: a hash table keyed by (family, address). Each address holds a short
 * list of bindings ordered by start time; a binding is what one source
 * (static map, DHCP, RADIUS, PPPoE) taught about the address for an interval
 * [start, end). At most one binding per (address, source) is open at a time.
 * Ended bindings stay as history, because records are often written after
 * the event they describe (a flow record is written at the flow's end but
 * carries the flow's start time) and must still find the user of that time.
 *
 * Lookup at time T takes every binding in force at T (start <= T < end, where
 * an open DHCP binding also ends at its lease expiry), picks the primary one
 * by source priority (RADIUS = PPPoE > DHCP > static; the newest start breaks
 * ties) and fills the fields the primary does not know from the others, so a
 * RADIUS account and a DHCP hostname for the same address at the same time
 * merge into one `user`.
 *
 * Memory: every binding, address entry and the bucket array are counted
 * against the memcap. When a new binding would pass it, the oldest ended
 * bindings go first (a FIFO in order of ending); if only open bindings are
 * left the login is refused and counted. Each address keeps at most
 * IDENT_MAX_PER_IP bindings (its oldest ended ones are dropped), so one busy
 * address cannot make lookups slow.
 *
 * Session records: one "start" record when a binding opens, one "end" record
 * when it closes (stop, padt, release, expiry, replaced, accounting_on/off)
 * and, at end of input, one "end" record with reason end_of_input and a null
 * logout for each binding still open (docs/records/session.md). Static
 * bindings have no sessions.
 *
 * Workload: a lookup per record written (one hash probe and a walk of a list
 * of at most IDENT_MAX_PER_IP), a login per DHCP ACK / RADIUS accounting
 * packet / PPPoE IPCP ack. Expiry scans the open bindings, but only when the
 * earliest lease expiry has passed. Not thread-safe.
 */
#include "nw/identity.h"

#include <stdio.h>
#include <string.h>

#include "nw/output.h"
#include "nw/pool.h"

#define IDENT_MAX_PER_IP 16
#define IDENT_MIN_BUCKETS 1024u
#define IDENT_MAX_BUCKETS (1u << 24)

struct ipent;

struct binding {
    struct binding *next;          /* this address's list, ordered by start */
    struct binding *lprev, *lnext; /* open list, or the ended FIFO */
    struct ipent *owner;
    uint64_t start;
    uint64_t end;                  /* valid when !open */
    uint64_t expiry;               /* DHCP lease end; 0 = none */
    size_t size;                   /* bytes counted against the memcap */
    uint8_t source;                /* enum nw_ident_source */
    uint8_t open;
    uint8_t finished;              /* end_of_input record written */
    uint8_t estimated;             /* start derived from Acct-Session-Time */
    uint8_t has_mac;
    uint8_t mac[6];
    const char *account, *calling, *hostname, *session_id, *nas; /* into tail; "" = unknown */
    char tail[];
};

/*
 * The "user" object as last written for an address: valid while the
 * address's bindings are unchanged (ver) and the record time stays inside
 * [lo, hi), the span between two binding boundaries (start, end, expiry)
 * in which the merged view cannot change. Records of one address come in
 * bursts, so most lookups copy these bytes instead of walking the bindings.
 */
struct ucache {
    uint32_t ver;
    uint32_t len;
    uint64_t lo, hi;
    size_t size;   /* bytes counted against the memcap */
    char json[];
};

struct ipent {
    struct binding *head;
    struct ucache *uc;
    unsigned n;
    uint32_t ver;  /* bumped on every change to this address's bindings */
    uint8_t family;
    uint8_t ip[16];
};

struct islot {
    uint32_t hash;    /* (uint32_t)hash_key of e */
    struct ipent *e;  /* NULL = free */
};

struct blist {
    struct binding *head, *tail;
};

struct aux {
    void *p;
    size_t size;
    void (*fini)(void *);
};

struct nw_identity {
    struct nw_output *out;
    size_t memcap;
    struct islot *slots; /* open addressing, linear probing; at most half full */
    size_t nslots;       /* power of two */
    size_t nentries;
    struct blist open;   /* open bindings, in order of opening */
    struct blist ended;  /* ended bindings, oldest end first */
    uint64_t next_expiry; /* earliest lease expiry among open bindings; 0 = none */
    struct nw_identity_stats st;
    struct aux aux[NW_IDAUX_MAX];
    /* entries and the usual cached user objects come from pools: every
     * record looks one up, and packed they stay TLB- and cache-friendly */
    struct nw_pool ents, ucs;
};

#define UC_POOLED 256 /* ucache sizes up to this come from id->ucs */

static const char *const source_names[] = {"static", "dhcp", "radius", "pppoe"};

static const char *source_name(int s)
{
    return s >= 0 && s < (int)NW_ARRAY_LEN(source_names) ? source_names[s] : "unknown";
}

/* Higher wins: an authenticated account beats a lease beats a static entry. */
static int source_rank(int s)
{
    switch (s) {
    case NW_IDSRC_RADIUS:
    case NW_IDSRC_PPPOE: return 3;
    case NW_IDSRC_DHCP: return 2;
    default: return 1;
    }
}

/* ------------------------------------------------------------------ lists */

static void blist_push(struct blist *l, struct binding *b)
{
    b->lnext = NULL;
    b->lprev = l->tail;
    if (l->tail) l->tail->lnext = b;
    else l->head = b;
    l->tail = b;
}

static void blist_remove(struct blist *l, struct binding *b)
{
    if (b->lprev) b->lprev->lnext = b->lnext;
    else l->head = b->lnext;
    if (b->lnext) b->lnext->lprev = b->lprev;
    else l->tail = b->lprev;
    b->lprev = b->lnext = NULL;
}

/* ------------------------------------------------------------------ hash */

static size_t key_len(int family) { return family == 6 ? 16 : 4; }

static uint64_t hash_key(int family, const uint8_t *ip)
{
    uint64_t h = 1469598103934665603ull ^ (uint64_t)family;
    for (size_t i = 0; i < key_len(family); i++) {
        h ^= ip[i];
        h *= 1099511628211ull;
    }
    return h ^ (h >> 29);
}

/* The entry of (family, ip): probe from its home slot; entries whose hash
 * differs are passed over without touching them (a cache miss each). */
static struct ipent *ip_find(struct nw_identity *id, int family, const uint8_t *ip)
{
    uint32_t h = (uint32_t)hash_key(family, ip);

    if (id->nslots == 0) return NULL;
    for (size_t i = h & (id->nslots - 1); id->slots[i].e != NULL; i = (i + 1) & (id->nslots - 1)) {
        struct ipent *e = id->slots[i].e;
        if (id->slots[i].hash == h && e->family == family &&
            memcmp(e->ip, ip, key_len(family)) == 0)
            return e;
    }
    return NULL;
}

/* Put e in the first free slot of its probe run (there is one: the table
 * never fills). */
static void slot_put(struct islot *slots, size_t n, uint32_t h, struct ipent *e)
{
    size_t i = h & (n - 1);

    while (slots[i].e != NULL) i = (i + 1) & (n - 1);
    slots[i].hash = h;
    slots[i].e = e;
}

/* Double the slot array; on failure keep the old one (longer probes only). */
static void ip_grow(struct nw_identity *id)
{
    size_t n = id->nslots * 2, bytes = n * sizeof(struct islot);
    struct islot *ns;

    if (n > IDENT_MAX_BUCKETS || id->st.bytes + bytes / 2 > id->memcap) return;
    ns = nw_calloc(n, sizeof *ns);
    if (ns == NULL) return;
    for (size_t i = 0; i < id->nslots; i++)
        if (id->slots[i].e != NULL) slot_put(ns, n, id->slots[i].hash, id->slots[i].e);
    id->st.bytes += bytes - id->nslots * sizeof(struct islot);
    nw_free(id->slots);
    id->slots = ns;
    id->nslots = n;
}

static struct ipent *ip_get(struct nw_identity *id, int family, const uint8_t *ip)
{
    struct ipent *e = ip_find(id, family, ip);

    if (e != NULL) return e;
    if ((id->nentries + 1) * 2 > id->nslots) ip_grow(id);
    if (id->nentries + 1 >= id->nslots) return NULL; /* full: keep a free slot to end probes */
    e = nw_pool_alloc(&id->ents);
    if (e == NULL) return NULL;
    e->family = (uint8_t)family;
    memcpy(e->ip, ip, key_len(family));
    slot_put(id->slots, id->nslots, (uint32_t)hash_key(family, ip), e);
    id->nentries++;
    id->st.bytes += sizeof *e;
    return e;
}

static void uc_free(struct nw_identity *id, struct ucache *uc)
{
    if (uc == NULL) return;
    id->st.bytes -= uc->size;
    if (uc->size == UC_POOLED) nw_pool_free(&id->ucs, uc);
    else nw_free(uc);
}

/* Free e once its last binding is gone; later entries of its probe run move
 * back into the hole (backward-shift deletion: no tombstones). */
static void ip_release_if_empty(struct nw_identity *id, struct ipent *e)
{
    size_t m = id->nslots - 1, i, j;

    if (e->head != NULL) return;
    i = (uint32_t)hash_key(e->family, e->ip) & m;
    for (size_t n = 0; id->slots[i].e != e; i = (i + 1) & m)
        if (id->slots[i].e == NULL || ++n > m) return; /* not in the table */
    for (j = (i + 1) & m; id->slots[j].e != NULL; j = (j + 1) & m) {
        size_t home = id->slots[j].hash & m;
        if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) {
            id->slots[i] = id->slots[j];
            i = j;
        }
    }
    id->slots[i].e = NULL;
    id->nentries--;
    id->st.bytes -= sizeof *e;
    uc_free(id, e->uc);
    nw_pool_free(&id->ents, e);
}

/* ------------------------------------------------------------------ bindings */

static size_t field_len(const char *s, size_t cap) { return strnlen(s, cap - 1); }

/* A binding holding info's fields (strings copied into its tail). */
static struct binding *binding_make(const struct nw_ident_info *in)
{
    size_t la = field_len(in->account, sizeof in->account);
    size_t lc = field_len(in->calling_station, sizeof in->calling_station);
    size_t lh = field_len(in->hostname, sizeof in->hostname);
    size_t ls = field_len(in->session_id, sizeof in->session_id);
    size_t ln = field_len(in->nas, sizeof in->nas);
    size_t size = sizeof(struct binding) + la + lc + lh + ls + ln + 5;
    struct binding *b = nw_calloc(1, size);
    char *t;

    if (b == NULL) return NULL;
    b->size = size;
    b->source = (uint8_t)in->source;
    b->has_mac = in->has_mac ? 1 : 0;
    if (b->has_mac) memcpy(b->mac, in->mac, 6);
    t = b->tail;
#define PUT(field, src, n)                                                                        \
    do {                                                                                          \
        memcpy(t, (src), (n));                                                                    \
        t[(n)] = '\0';                                                                            \
        b->field = t;                                                                             \
        t += (n) + 1;                                                                             \
    } while (0)
    PUT(account, in->account, la);
    PUT(calling, in->calling_station, lc);
    PUT(hostname, in->hostname, lh);
    PUT(session_id, in->session_id, ls);
    PUT(nas, in->nas, ln);
#undef PUT
    return b;
}

static void copy_field(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* The binding's fields as an nw_ident_info (family/ip from its owner). */
static void binding_info(const struct binding *b, struct nw_ident_info *o)
{
    memset(o, 0, sizeof *o);
    o->source = b->source;
    o->family = b->owner ? b->owner->family : 0;
    if (b->owner) memcpy(o->ip, b->owner->ip, 16);
    o->has_mac = b->has_mac;
    memcpy(o->mac, b->mac, 6);
    copy_field(o->account, sizeof o->account, b->account);
    copy_field(o->calling_station, sizeof o->calling_station, b->calling);
    copy_field(o->hostname, sizeof o->hostname, b->hostname);
    copy_field(o->session_id, sizeof o->session_id, b->session_id);
    copy_field(o->nas, sizeof o->nas, b->nas);
}

/* Unlink b from its address list and from the global lists, and free it. */
static void binding_drop(struct nw_identity *id, struct binding *b)
{
    struct ipent *e = b->owner;
    struct binding **pp;

    for (pp = &e->head; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == b) {
            *pp = b->next;
            e->n--;
            e->ver++;
            break;
        }
    }
    blist_remove(b->open ? &id->open : &id->ended, b);
    id->st.bytes -= b->size;
    id->st.bindings--;
    if (b->open) id->st.open--;
    nw_free(b);
    ip_release_if_empty(id, e);
}

/* Insert b (not yet linked) into e's list, ordered by start. */
static void binding_link(struct nw_identity *id, struct ipent *e, struct binding *b)
{
    struct binding **pp = &e->head;

    while (*pp != NULL && (*pp)->start <= b->start) pp = &(*pp)->next;
    b->next = *pp;
    *pp = b;
    b->owner = e;
    e->n++;
    e->ver++;
    blist_push(b->open ? &id->open : &id->ended, b);
    id->st.bytes += b->size;
    id->st.bindings++;
    if (b->open) id->st.open++;
}

/* Put nb (same start, open) where open binding old is, and free old. */
static void binding_replace(struct nw_identity *id, struct binding *old, struct binding *nb)
{
    struct ipent *e = old->owner;
    struct binding **pp;

    for (pp = &e->head; *pp != NULL && *pp != old; pp = &(*pp)->next) continue;
    if (NW_NEVER(*pp == NULL)) return;
    nb->next = old->next;
    *pp = nb;
    nb->owner = e;
    nb->start = old->start;
    nb->estimated = old->estimated;
    nb->expiry = old->expiry;
    nb->open = 1;
    e->ver++;
    blist_remove(&id->open, old);
    blist_push(&id->open, nb);
    id->st.bytes += nb->size;
    id->st.bytes -= old->size;
    nw_free(old);
}

/* Make room for need more bytes: drop the oldest ended bindings. keep is an
 * address entry that must survive (it is being filled). 0 or NW_ENOMEM. */
static int make_room(struct nw_identity *id, size_t need, const struct ipent *keep)
{
    while (id->st.bytes + need > id->memcap) {
        struct binding *old = id->ended.head;
        if (old == NULL) return NW_ENOMEM;
        if (old->owner == keep && keep->n == 1) {
            /* dropping it would free the entry under our feet: unlink it by hand */
            old = old->lnext;
            if (old == NULL) return NW_ENOMEM;
        }
        binding_drop(id, old);
        id->st.dropped++;
    }
    return 0;
}

/* Keep e's list short: drop its oldest ended bindings while it holds more
 * than max (e itself stays, even if emptied: the caller is filling it). */
static void trim_address(struct nw_identity *id, struct ipent *e, unsigned max)
{
    while (e->n > max) {
        struct binding *b = e->head;
        while (b != NULL && b->open) b = b->next;
        if (b == NULL || e->n <= 1) return;
        binding_drop(id, b);
        id->st.dropped++;
    }
}

static void update_next_expiry(struct nw_identity *id, uint64_t expiry)
{
    if (expiry != 0 && (id->next_expiry == 0 || expiry < id->next_expiry))
        id->next_expiry = expiry;
}

/* ------------------------------------------------------------------ records */

/* The user object's value: {"ip":..,"account":..,..}. */
static void write_user_value(struct nw_buf *b, int family, const uint8_t *ip, int source,
                             int has_mac, const uint8_t *mac, const char *account,
                             const char *calling, const char *hostname, const char *session_id)
{
    nw_json_obj_open(b);
    nw_json_kip(b, "ip", family, ip);
    if (account[0]) nw_json_kcstr(b, "account", account);
    if (has_mac) nw_json_kmac(b, "mac", mac);
    if (calling[0]) nw_json_kcstr(b, "calling_station", calling);
    if (hostname[0]) nw_json_kcstr(b, "hostname", hostname);
    nw_json_kcstr(b, "source", source_name(source));
    if (session_id[0]) nw_json_kcstr(b, "session_id", session_id);
    nw_json_obj_close(b);
}

static void write_user_fields(struct nw_buf *b, int family, const uint8_t *ip, int source,
                              int has_mac, const uint8_t *mac, const char *account,
                              const char *calling, const char *hostname, const char *session_id)
{
    nw_json_key(b, "user");
    write_user_value(b, family, ip, source, has_mac, mac, account, calling, hostname, session_id);
}

static void put_duration(struct nw_buf *b, uint64_t from, uint64_t to)
{
    nw_json_kduration(b, "duration", to > from ? to - from : 0);
}

/*
 * One session record for b. state "start": at b->start. state "end": at
 * at_us; logout is at_us, or null when reason is end_of_input.
 */
static void emit_session(struct nw_identity *id, const struct binding *bd, int start,
                         uint64_t at_us, const char *reason)
{
    struct nw_buf *b;
    const struct ipent *e = bd->owner;
    int eoi = reason != NULL && strcmp(reason, "end_of_input") == 0;

    if (id->out == NULL || bd->source == NW_IDSRC_STATIC) return;
    b = nw_output_begin(id->out, "session", start ? bd->start : at_us, 0);
    nw_json_kip(b, "src_ip", e->family, e->ip);
    nw_json_kobj_open(b, "session");
    nw_json_kcstr(b, "state", start ? "start" : "end");
    nw_json_kcstr(b, "source", source_name(bd->source));
    nw_json_ktime(b, "login", bd->start);
    if (bd->estimated) nw_json_kbool(b, "login_estimated", 1);
    if (!start) {
        nw_json_key(b, "logout");
        if (eoi) nw_json_null(b);
        else nw_json_time(b, at_us);
        put_duration(b, bd->start, at_us);
        nw_json_kcstr(b, "reason", reason);
    } else if (bd->expiry) {
        nw_json_ktime(b, "lease_expires", bd->expiry);
    }
    if (bd->nas[0]) nw_json_kcstr(b, "nas", bd->nas);
    nw_json_obj_close(b);
    write_user_fields(b, e->family, e->ip, bd->source, bd->has_mac, bd->mac, bd->account,
                      bd->calling, bd->hostname, bd->session_id);
    nw_output_end(id->out);
    id->st.sessions++;
}

/* Close open binding b at ts and write its end record. */
static void binding_end(struct nw_identity *id, struct binding *b, uint64_t ts, const char *reason)
{
    if (!b->open) return;
    if (ts < b->start) ts = b->start;
    blist_remove(&id->open, b);
    b->open = 0;
    b->end = ts;
    if (b->owner) b->owner->ver++;
    id->st.open--;
    blist_push(&id->ended, b);
    emit_session(id, b, 0, ts, reason);
}

/* ------------------------------------------------------------------ API */

struct nw_identity *nw_identity_new(size_t memcap, struct nw_output *out)
{
    struct nw_identity *id = nw_calloc(1, sizeof *id);

    if (id == NULL) return NULL;
    id->out = out;
    id->memcap = memcap ? memcap : (32u << 20);
    id->nslots = IDENT_MIN_BUCKETS;
    id->slots = nw_calloc(id->nslots, sizeof *id->slots);
    if (id->slots == NULL) {
        nw_free(id);
        return NULL;
    }
    id->st.bytes = id->nslots * sizeof *id->slots;
    nw_pool_init(&id->ents, sizeof(struct ipent));
    nw_pool_init(&id->ucs, UC_POOLED);
    return id;
}

void nw_identity_free(struct nw_identity *id)
{
    if (id == NULL) return;
    for (size_t i = 0; i < id->nslots; i++) {
        struct ipent *e = id->slots[i].e;
        struct binding *b, *bn;
        if (e == NULL) continue;
        for (b = e->head; b != NULL; b = bn) {
            bn = b->next;
            nw_free(b);
        }
        uc_free(id, e->uc);
        nw_pool_free(&id->ents, e);
    }
    nw_pool_fini(&id->ents);
    nw_pool_fini(&id->ucs);
    for (int i = 0; i < NW_IDAUX_MAX; i++) {
        if (id->aux[i].p == NULL) continue;
        if (id->aux[i].fini) id->aux[i].fini(id->aux[i].p);
        nw_free(id->aux[i].p);
    }
    nw_free(id->slots);
    nw_free(id);
}

static int info_ok(const struct nw_ident_info *in)
{
    return in != NULL && (in->family == 4 || in->family == 6) && in->source >= NW_IDSRC_STATIC &&
           in->source <= NW_IDSRC_PPPOE;
}

static struct binding *open_binding(const struct ipent *e, int source)
{
    for (struct binding *b = e != NULL ? e->head : NULL; b != NULL; b = b->next)
        if (b->open && b->source == source) return b;
    return NULL;
}

/* Does in describe the same session/device as the open binding b? */
static int same_holder(const struct binding *b, const struct nw_ident_info *in)
{
    if (b->source == NW_IDSRC_STATIC) return 1; /* a later static line refines the entry */
    if (b->has_mac && in->has_mac && memcmp(b->mac, in->mac, 6) != 0) return 0;
    if (b->source == NW_IDSRC_DHCP) return 1;   /* the xid changes at every renewal */
    if (b->session_id[0] && in->session_id[0] && strcmp(b->session_id, in->session_id) != 0)
        return 0;
    if (b->account[0] && in->account[0] && strcmp(b->account, in->account) != 0) return 0;
    return 1;
}

/* info with the blanks filled from b (new values win). */
static void merge_into(struct nw_ident_info *m, const struct binding *b)
{
    struct nw_ident_info old;

    binding_info(b, &old);
    if (!m->has_mac && old.has_mac) {
        m->has_mac = 1;
        memcpy(m->mac, old.mac, 6);
    }
    if (!m->account[0]) memcpy(m->account, old.account, sizeof m->account);
    if (!m->calling_station[0])
        memcpy(m->calling_station, old.calling_station, sizeof m->calling_station);
    if (!m->hostname[0]) memcpy(m->hostname, old.hostname, sizeof m->hostname);
    if (!m->session_id[0] || b->source == NW_IDSRC_DHCP)
        memcpy(m->session_id, old.session_id, sizeof m->session_id); /* keep the first xid */
    if (!m->nas[0]) memcpy(m->nas, old.nas, sizeof m->nas);
}

static int same_fields(const struct binding *b, const struct nw_ident_info *m)
{
    return b->has_mac == (m->has_mac ? 1 : 0) && (!b->has_mac || memcmp(b->mac, m->mac, 6) == 0) &&
           strcmp(b->account, m->account) == 0 && strcmp(b->calling, m->calling_station) == 0 &&
           strcmp(b->hostname, m->hostname) == 0 && strcmp(b->session_id, m->session_id) == 0 &&
           strcmp(b->nas, m->nas) == 0;
}

/* Normalised copy of in: NUL-terminated strings, unused address bytes zero. */
static void normalise(struct nw_ident_info *m, const struct nw_ident_info *in)
{
    *m = *in;
    m->account[sizeof m->account - 1] = '\0';
    m->calling_station[sizeof m->calling_station - 1] = '\0';
    m->hostname[sizeof m->hostname - 1] = '\0';
    m->session_id[sizeof m->session_id - 1] = '\0';
    m->nas[sizeof m->nas - 1] = '\0';
    if (m->family == 4) memset(m->ip + 4, 0, 12);
}

/* The latest end among e's ended bindings of source (0 if none). */
static uint64_t last_end(const struct ipent *e, int source)
{
    uint64_t t = 0;
    for (const struct binding *b = e->head; b != NULL; b = b->next)
        if (!b->open && b->source == source && b->end > t) t = b->end;
    return t;
}

/*
 * Create a binding for m in e: open from ts (or from since_us), or, when
 * closed_at != 0, already ended at closed_at. Writes the start record of an
 * open binding. Returns it, or NULL (memcap or out of memory, counted).
 */
static struct binding *binding_add(struct nw_identity *id, struct ipent *e,
                                   const struct nw_ident_info *m, uint64_t ts, uint64_t closed_at)
{
    struct binding *b = binding_make(m);
    uint64_t floor;

    if (b == NULL || make_room(id, b->size, e) != 0) {
        nw_free(b);
        id->st.refused++;
        return NULL;
    }
    b->start = ts;
    if (m->since_us != 0 && m->since_us < ts) {
        floor = last_end(e, m->source);
        b->start = m->since_us > floor ? m->since_us : (floor < ts ? floor : ts);
        b->estimated = 1;
    }
    if (m->lease_us != 0 && m->source == NW_IDSRC_DHCP) b->expiry = ts + m->lease_us;
    b->open = closed_at == 0;
    b->end = closed_at;
    trim_address(id, e, IDENT_MAX_PER_IP - 1);
    binding_link(id, e, b);
    id->st.logins++;
    if (b->open) {
        update_next_expiry(id, b->expiry);
        emit_session(id, b, 1, 0, NULL);
    }
    return b;
}

int nw_identity_login(struct nw_identity *id, const struct nw_ident_info *info, uint64_t ts_us)
{
    struct nw_ident_info m;
    struct ipent *e;
    struct binding *cur;

    if (id == NULL || !info_ok(info)) return NW_EINVAL;
    normalise(&m, info);
    if (make_room(id, sizeof(struct ipent), NULL) != 0) {
        id->st.refused++;
        return NW_ENOMEM;
    }
    e = ip_get(id, m.family, m.ip);
    if (e == NULL) {
        id->st.refused++;
        return NW_ENOMEM;
    }
    cur = open_binding(e, m.source);
    /* an open lease already past its expiry ends there, before this ACK */
    if (cur != NULL && cur->expiry != 0 && cur->expiry < ts_us) {
        binding_end(id, cur, cur->expiry, "expiry");
        cur = NULL;
    }
    if (cur != NULL && same_holder(cur, &m)) {
        struct binding *nb;
        uint64_t expiry = cur->expiry;

        if (m.lease_us != 0 && m.source == NW_IDSRC_DHCP) expiry = ts_us + m.lease_us;
        merge_into(&m, cur);
        if (!same_fields(cur, &m)) {
            /* refresh with new fields: rebuild in place, keeping start and order */
            nb = binding_make(&m);
            if (nb == NULL || make_room(id, nb->size, e) != 0) {
                nw_free(nb);
                id->st.refused++;
                return NW_ENOMEM;
            }
            binding_replace(id, cur, nb);
            cur = nb;
        }
        cur->expiry = expiry;
        e->ver++;
        update_next_expiry(id, expiry);
        return 0;
    }
    if (cur != NULL) binding_end(id, cur, ts_us, "replaced");
    if (binding_add(id, e, &m, ts_us, 0) == NULL) {
        ip_release_if_empty(id, e);
        return NW_ENOMEM;
    }
    return 0;
}

int nw_identity_logout(struct nw_identity *id, const struct nw_ident_info *info, uint64_t ts_us,
                       const char *reason)
{
    struct nw_ident_info m;
    struct ipent *e;
    struct binding *cur;

    if (id == NULL || !info_ok(info)) return NW_EINVAL;
    if (reason == NULL) reason = "stop";
    normalise(&m, info);
    e = ip_find(id, m.family, m.ip);
    cur = open_binding(e, m.source);
    if (cur != NULL && cur->expiry != 0 && cur->expiry < ts_us) {
        binding_end(id, cur, cur->expiry, "expiry");
        return 0;
    }
    if (cur != NULL && same_holder(cur, &m)) {
        merge_into(&m, cur);
        if (!same_fields(cur, &m)) {
            /* a Stop often carries what the Start lacked: keep it in the history */
            struct binding *nb = binding_make(&m);
            if (nb != NULL && make_room(id, nb->size, e) == 0) {
                binding_replace(id, cur, nb);
                cur = nb;
            } else {
                nw_free(nb); /* end it with what it had */
            }
        }
        binding_end(id, cur, ts_us, reason);
        return 0;
    }
    if (cur == NULL && m.since_us != 0 && m.since_us < ts_us) {
        /* a Stop for a session whose Start we never saw: its length is known, so
         * it still goes into the history (and gets its end record) */
        struct binding *b;
        if (make_room(id, sizeof(struct ipent), NULL) != 0) return NW_ENOMEM;
        e = ip_get(id, m.family, m.ip);
        if (e == NULL) return NW_ENOMEM;
        b = binding_add(id, e, &m, ts_us, ts_us);
        if (b == NULL) {
            ip_release_if_empty(id, e);
            return NW_ENOMEM;
        }
        emit_session(id, b, 0, ts_us, reason);
        return 0;
    }
    return NW_ENOENT;
}

int nw_identity_logout_nas(struct nw_identity *id, const char *nas, uint64_t ts_us,
                           const char *reason)
{
    struct binding *b, *next;
    int n = 0;

    if (id == NULL || nas == NULL || nas[0] == '\0') return 0;
    for (b = id->open.head; b != NULL; b = next) {
        next = b->lnext;
        if (b->source == NW_IDSRC_RADIUS && strcmp(b->nas, nas) == 0) {
            binding_end(id, b, ts_us, reason);
            n++;
        }
    }
    return n;
}

void nw_identity_expire(struct nw_identity *id, uint64_t now_us)
{
    struct binding *b, *next;
    uint64_t soonest = 0;

    if (id == NULL || id->next_expiry == 0 || now_us < id->next_expiry) return;
    for (b = id->open.head; b != NULL; b = next) {
        next = b->lnext;
        if (b->expiry == 0) continue;
        if (b->expiry <= now_us) binding_end(id, b, b->expiry, "expiry");
        else if (soonest == 0 || b->expiry < soonest) soonest = b->expiry;
    }
    id->next_expiry = soonest;
}

void nw_identity_finish(struct nw_identity *id, uint64_t now_us)
{
    if (id == NULL) return;
    nw_identity_expire(id, now_us);
    for (struct binding *b = id->open.head; b != NULL; b = b->lnext) {
        if (b->finished || b->source == NW_IDSRC_STATIC) continue;
        b->finished = 1;
        emit_session(id, b, 0, now_us > b->start ? now_us : b->start, "end_of_input");
    }
}

/* Is b in force at ts? An open lease past its expiry no longer is. */
static int in_force(const struct binding *b, uint64_t ts)
{
    if (ts < b->start) return 0;
    if (!b->open) return ts < b->end;
    return b->expiry == 0 || ts < b->expiry;
}

/* The merged view at ts. */
struct view {
    const struct binding *primary;
    const char *account, *calling, *hostname, *session_id;
    const uint8_t *mac;
};

/* The merged view of e's bindings at ts; 0 when none is in force. */
static int entry_view(const struct ipent *e, uint64_t ts, struct view *v)
{
    const struct binding *cand[IDENT_MAX_PER_IP + 4];
    int n = 0;

    for (const struct binding *b = e->head; b != NULL && n < (int)NW_ARRAY_LEN(cand); b = b->next)
        if (in_force(b, ts)) cand[n++] = b;
    if (n == 0) return 0;
    /* order: rank desc, then newest start first (insertion sort; n is tiny) */
    for (int i = 1; i < n; i++) {
        const struct binding *x = cand[i];
        int j = i - 1;
        while (j >= 0 && (source_rank(cand[j]->source) < source_rank(x->source) ||
                          (source_rank(cand[j]->source) == source_rank(x->source) &&
                           cand[j]->start < x->start))) {
            cand[j + 1] = cand[j];
            j--;
        }
        cand[j + 1] = x;
    }
    memset(v, 0, sizeof *v);
    v->primary = cand[0];
    v->account = v->calling = v->hostname = v->session_id = "";
    v->session_id = cand[0]->session_id;
    for (int i = 0; i < n; i++) {
        const struct binding *b = cand[i];
        if (!v->account[0]) v->account = b->account;
        if (!v->calling[0]) v->calling = b->calling;
        if (!v->hostname[0]) v->hostname = b->hostname;
        if (v->mac == NULL && b->has_mac) v->mac = b->mac;
    }
    return 1;
}

static int lookup(struct nw_identity *id, int family, const uint8_t *addr, uint64_t ts,
                  struct view *v, const struct ipent **ep)
{
    const struct ipent *e;

    if (id == NULL || addr == NULL || (family != 4 && family != 6)) return 0;
    e = ip_find(id, family, addr);
    if (e == NULL || !entry_view(e, ts, v)) return 0;
    *ep = e;
    return 1;
}

/* [*lo, *hi): the span around ts in which none of e's bindings starts, ends
 * or expires, so the view at ts holds all through it (see in_force). */
static void stable_span(const struct ipent *e, uint64_t ts, uint64_t *lo, uint64_t *hi)
{
    uint64_t l = 0, h = UINT64_MAX;

    for (const struct binding *b = e->head; b != NULL; b = b->next) {
        uint64_t edge[2] = {b->start, b->open ? b->expiry : b->end};
        for (int k = 0; k < 2; k++) {
            uint64_t x = edge[k];
            if (k == 1 && b->open && x == 0) continue; /* no expiry */
            if (x <= ts) {
                if (x > l) l = x;
            } else if (x < h) {
                h = x;
            }
        }
    }
    *lo = l;
    *hi = h;
}

/* Keep the user object just written (json, len bytes; 0 = none in force) as
 * e's cache for the span around ts. Skipped when the memcap has no room. */
static void cache_user(struct nw_identity *id, struct ipent *e, uint64_t ts, const char *json,
                       size_t len)
{
    struct ucache *uc = e->uc;
    size_t need = sizeof *uc + len;

    if (len > UINT32_MAX) return;
    if (uc == NULL || uc->size < need) {
        size_t size = need <= UC_POOLED ? UC_POOLED : (need + 63) & ~(size_t)63;
        uc_free(id, uc);
        e->uc = NULL;
        if (id->st.bytes + size > id->memcap) return;
        uc = size == UC_POOLED ? nw_pool_alloc(&id->ucs) : nw_alloc(size);
        if (uc == NULL) return;
        uc->size = size;
        id->st.bytes += size;
        e->uc = uc;
    }
    uc->ver = e->ver;
    uc->len = (uint32_t)len;
    if (len) memcpy(uc->json, json, len);
    stable_span(e, ts, &uc->lo, &uc->hi);
}

int nw_identity_lookup(struct nw_identity *id, int family, const uint8_t *addr, uint64_t ts_us,
                       struct nw_ident_info *out)
{
    struct view v;
    const struct ipent *e;

    if (out == NULL || !lookup(id, family, addr, ts_us, &v, &e)) return 0;
    memset(out, 0, sizeof *out);
    out->source = v.primary->source;
    out->family = e->family;
    memcpy(out->ip, e->ip, 16);
    if (v.mac) {
        out->has_mac = 1;
        memcpy(out->mac, v.mac, 6);
    }
    copy_field(out->account, sizeof out->account, v.account);
    copy_field(out->calling_station, sizeof out->calling_station, v.calling);
    copy_field(out->hostname, sizeof out->hostname, v.hostname);
    copy_field(out->session_id, sizeof out->session_id, v.session_id);
    copy_field(out->nas, sizeof out->nas, v.primary->nas);
    return 1;
}

uint32_t nw_identity_hash(int family, const uint8_t *addr)
{
    return family == 4 || family == 6 ? (uint32_t)hash_key(family, addr) : 0;
}

void nw_identity_prefetch(const struct nw_identity *id, uint32_t h, int stage)
{
    size_t i;

    if (id == NULL || id->nslots == 0) return;
    i = h & (id->nslots - 1);
    if (stage == 0) {
        NW_PREFETCH(&id->slots[i]);
        return;
    }
    /* the first entry with this hash in the probe run (4 slots per cache line) */
    for (int n = 0; n < 4 && id->slots[i].e != NULL; n++, i = (i + 1) & (id->nslots - 1)) {
        const struct ipent *e = id->slots[i].e;
        if (id->slots[i].hash != h) continue;
        if (stage == 1) NW_PREFETCH(e);
        else if (e->uc != NULL) NW_PREFETCH(e->uc);
        return;
    }
}

int nw_identity_write_user(struct nw_identity *id, struct nw_buf *b, int family,
                           const uint8_t *addr, uint64_t ts_us)
{
    struct view v;
    struct ipent *e;
    const struct ucache *uc;
    size_t at;

    if (id == NULL || b == NULL || addr == NULL || (family != 4 && family != 6)) return 0;
    e = ip_find(id, family, addr);
    if (e == NULL) return 0;
    uc = e->uc;
    if (uc != NULL && uc->ver == e->ver && ts_us >= uc->lo && ts_us < uc->hi) {
        if (uc->len == 0) return 0;
        nw_json_key(b, "user");
        nw_json_raw(b, uc->json, uc->len);
        return 1;
    }
    if (!entry_view(e, ts_us, &v)) {
        cache_user(id, e, ts_us, NULL, 0);
        return 0;
    }
    nw_json_key(b, "user");
    at = b->len;
    write_user_value(b, e->family, e->ip, v.primary->source, v.mac != NULL, v.mac, v.account,
                     v.calling, v.hostname, v.session_id);
    if (nw_buf_ok(b)) cache_user(id, e, ts_us, b->data + at, b->len - at);
    return 1;
}

void *nw_identity_aux(struct nw_identity *id, int slot, size_t size, void (*fini)(void *))
{
    struct aux *a;

    if (id == NULL || slot < 0 || slot >= NW_IDAUX_MAX || size == 0) return NULL;
    a = &id->aux[slot];
    if (a->p != NULL) return a->size == size ? a->p : NULL;
    a->p = nw_calloc(1, size);
    if (a->p == NULL) return NULL;
    a->size = size;
    a->fini = fini;
    return a->p;
}

void nw_identity_get_stats(const struct nw_identity *id, struct nw_identity_stats *st)
{
    if (st == NULL) return;
    if (id == NULL) memset(st, 0, sizeof *st);
    else *st = id->st;
}
