/* placeholder */
#include "nw/flow.h"

#include "nw/core.h"

struct nw_flow_table {
    struct nw_engine *eng;
};
struct nw_flow_table *nw_flow_table_new(struct nw_engine *eng)
{
    struct nw_flow_table *ft = nw_calloc(1, sizeof *ft);
    if (ft) ft->eng = eng;
    return ft;
}
void nw_flow_table_free(struct nw_flow_table *ft) { nw_free(ft); }
void nw_flow_packet(struct nw_flow_table *ft, const struct nw_pkt *pkt) { (void)ft, (void)pkt; }
void nw_flow_expire(struct nw_flow_table *ft, uint64_t now_us) { (void)ft, (void)now_us; }
void nw_flow_flush(struct nw_flow_table *ft) { (void)ft; }
uint64_t nw_flow_active(const struct nw_flow_table *ft) { (void)ft; return 0; }
