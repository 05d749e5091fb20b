/* SPDX-License-Identifier: BSD-3-Clause */
/* Names of the dataplane counters and drop reasons; summing for readers. */
#include <string.h>

#include "dataplane/core/dp_stats.h"

/* Lower-cased once at load time: the X-macro gives upper-case identifiers. */
static char drop_names[DP_DROP_MAX][32];

static const char *const drop_upper[DP_DROP_MAX] = {
#define DP_DROP_STR(name, help) #name,
	DP_FOREACH_DROP(DP_DROP_STR)
#undef DP_DROP_STR
};

static const char *const drop_helps[DP_DROP_MAX] = {
#define DP_DROP_HELP(name, help) help,
	DP_FOREACH_DROP(DP_DROP_HELP)
#undef DP_DROP_HELP
};

static const char *const counter_names[DP_CNT_MAX] = {
#define DP_CNT_STR(name, help) #name,
	DP_FOREACH_COUNTER(DP_CNT_STR)
#undef DP_CNT_STR
};

static const char *const counter_helps[DP_CNT_MAX] = {
#define DP_CNT_HELP(name, help) help,
	DP_FOREACH_COUNTER(DP_CNT_HELP)
#undef DP_CNT_HELP
};

static void __attribute__((constructor))
dp_stats_names_init(void)
{
	unsigned int d;
	size_t i;

	for (d = 0; d < DP_DROP_MAX; d++) {
		for (i = 0; drop_upper[d][i] != '\0' && i < sizeof(drop_names[d]) - 1; i++) {
			char ch = drop_upper[d][i];

			drop_names[d][i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
		}
		drop_names[d][i] = '\0';
	}
}

const char *
dp_drop_name(enum dp_drop d)
{
	return (unsigned int)d < DP_DROP_MAX ? drop_names[d] : "unknown";
}

const char *
dp_drop_help(enum dp_drop d)
{
	return (unsigned int)d < DP_DROP_MAX ? drop_helps[d] : "unknown";
}

const char *
dp_counter_name(enum dp_counter c)
{
	return (unsigned int)c < DP_CNT_MAX ? counter_names[c] : "unknown";
}

const char *
dp_counter_help(enum dp_counter c)
{
	return (unsigned int)c < DP_CNT_MAX ? counter_helps[c] : "unknown";
}

void
dp_stats_sum(struct dp_stats *out, const struct dp_stats *per_lcore, unsigned int n)
{
	unsigned int i, k;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < n; i++) {
		for (k = 0; k < DP_CNT_MAX; k++)
			out->cnt[k] += per_lcore[i].cnt[k];
		for (k = 0; k < DP_DROP_MAX; k++)
			out->drop[k] += per_lcore[i].drop[k];
		for (k = 0; k < SIP_METHOD__COUNT; k++)
			out->sip.req[k] += per_lcore[i].sip.req[k];
		for (k = 0; k < DP_SIP_CLASSES; k++) {
			out->sip.resp[k] += per_lcore[i].sip.resp[k];
			out->sip.reply[k] += per_lcore[i].sip.reply[k];
		}
		for (k = 0; k < SIP_ERR__COUNT; k++)
			out->sip.invalid[k] += per_lcore[i].sip.invalid[k];
	}
}

uint64_t
dp_stats_drops(const struct dp_stats *st)
{
	uint64_t sum = 0;
	unsigned int k;

	for (k = 0; k < DP_DROP_MAX; k++)
		sum += st->drop[k];
	return sum;
}
