/* placeholder */
#include "nw/decode.h"

#include <string.h>

static const char *const anom_names[] = {
#define NW_X_NAME(id, text) #id,
    NW_ANOMALIES(NW_X_NAME)
#undef NW_X_NAME
};
static const char *const anom_texts[] = {
#define NW_X_TEXT(id, text) text,
    NW_ANOMALIES(NW_X_TEXT)
#undef NW_X_TEXT
};

const char *nw_anomaly_name(int a) { return a >= 0 && a < NW_ANOM_MAX ? anom_names[a] : "?"; }
const char *nw_anomaly_text(int a) { return a >= 0 && a < NW_ANOM_MAX ? anom_texts[a] : "?"; }

int nw_decoder_init(struct nw_decoder *d, size_t frag_memcap)
{
    (void)frag_memcap;
    memset(d, 0, sizeof *d);
    return 0;
}
void nw_decoder_fini(struct nw_decoder *d) { (void)d; }
void nw_decoder_expire(struct nw_decoder *d, uint64_t now_us) { (void)d, (void)now_us; }
int nw_decode_packet(struct nw_decoder *d, struct nw_pkt *pkt, const uint8_t *frame, size_t caplen)
{
    (void)d, (void)pkt, (void)frame, (void)caplen;
    return 0;
}
