/* SPDX-License-Identifier: BSD-3-Clause */
/* SIP datagrams into the shard layer. See dp_sip.h. */
#include "dataplane/dp_sip.h"

/* ---- worker lcore ---- */

void
dp_sip_input(struct dp_lcore *lc, struct rte_mbuf *m)
{
	DP_DROP_INC(&lc->stats, SIP_UNHANDLED);
	rte_pktmbuf_free(m);
}
