/* SPDX-License-Identifier: GPL-2.0 */
/*
 * MPTCP_INFO and TCP_INFO sampling: is a connection (still) MPTCP, how
 * many subflows does it have, and what does each carry.
 */
#ifndef MPTH_MPTCPINFO_H
#define MPTH_MPTCPINFO_H

#include <stdbool.h>
#include <stdint.h>

#include "json.h"
#include "sock.h"

#define SF_LIST_MAX	16

/* tcpi_state of a live connection (include/net/tcp_states.h) */
#define MPTH_TCP_ESTABLISHED	1

struct sf_info {
	char local[ADDR_STRLEN];
	char remote[ADDR_STRLEN];
	bool has_tcpi;
	uint8_t state;		/* tcpi_state */
	uint64_t bytes_sent;
	uint64_t bytes_received;
	uint32_t rtt_us;
};

struct mp_sample {
	bool mptcp;		/* MPTCP_INFO works and no fallback flag */
	bool fallback_flag;	/* kernel said MPTCP_INFO_FLAG_FALLBACK */
	unsigned int mptcpi_subflows;	/* raw: joins only */
	unsigned int subflows;	/* real count, initial subflow included */
	bool has_bytes_acked;
	uint64_t bytes_acked;
	unsigned int nlist;
	struct sf_info list[SF_LIST_MAX];
};

/* @want_list: fill in list[] too (costs one or two more getsockopt()s). */
void mp_sample(int fd, struct mp_sample *s, bool want_list);

/* "subflow_list":[{...},...], as --info writes it. */
void json_sf_list(struct json *j, const struct mp_sample *s);

#endif
