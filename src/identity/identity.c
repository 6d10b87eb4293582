/* identity.c - placeholder: bindings are not kept yet. */
#include "nw/identity.h"

struct nw_identity {
    struct nw_output *out;
};

struct nw_identity *nw_identity_new(size_t memcap, struct nw_output *out)
{
    struct nw_identity *id = nw_calloc(1, sizeof *id);

    (void)memcap;
    if (id) id->out = out;
    return id;
}

void nw_identity_free(struct nw_identity *id) { nw_free(id); }

int nw_identity_login(struct nw_identity *id, const struct nw_ident_info *info, uint64_t ts_us)
{
    (void)id, (void)info, (void)ts_us;
    return 0;
}

int nw_identity_logout(struct nw_identity *id, const struct nw_ident_info *info, uint64_t ts_us,
                       const char *reason)
{
    (void)id, (void)info, (void)ts_us, (void)reason;
    return 0;
}

void nw_identity_expire(struct nw_identity *id, uint64_t now_us) { (void)id, (void)now_us; }
void nw_identity_finish(struct nw_identity *id, uint64_t now_us) { (void)id, (void)now_us; }

int nw_identity_load_static(struct nw_identity *id, const char *path, struct nw_err *err)
{
    (void)id;
    return nw_err_set(err, NW_ENOTSUP, "%s: static maps not supported yet", path);
}

int nw_identity_write_user(struct nw_identity *id, struct nw_buf *b, int family,
                           const uint8_t *addr, uint64_t ts_us)
{
    (void)id, (void)b, (void)family, (void)addr, (void)ts_us;
    return 0;
}
