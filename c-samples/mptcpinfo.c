// SPDX-License-Identifier: GPL-2.0
/* MPTCP_INFO and TCP_INFO sampling; see mptcpinfo.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <linux/tcp.h>

#include "json.h"
#include "mptcpinfo.h"
#include "sock.h"
#include "util.h"

/*
 * MPTCP socket options and structures.  We define our own copies instead
 * of using <linux/mptcp.h>: build hosts carry older headers than the
 * kernels we run on, and the kernel only ever copies min(ours, its) bytes.
 */
#ifndef MPTCP_INFO
#define MPTCP_INFO		1
#endif
#ifndef MPTCP_TCPINFO
#define MPTCP_TCPINFO		2
#endif
#ifndef MPTCP_SUBFLOW_ADDRS
#define MPTCP_SUBFLOW_ADDRS	3
#endif
#ifndef MPTCP_INFO_FLAG_FALLBACK
#define MPTCP_INFO_FLAG_FALLBACK	(1u << 0)
#endif

/* struct mptcp_info as of Linux 6.10; the tail is newer than our headers. */
struct mpth_mptcp_info {
	uint8_t subflows;
	uint8_t add_addr_signal;
	uint8_t add_addr_accepted;
	uint8_t subflows_max;
	uint8_t add_addr_signal_max;
	uint8_t add_addr_accepted_max;
	uint32_t flags;
	uint32_t token;
	uint64_t write_seq;
	uint64_t snd_una;
	uint64_t rcv_nxt;
	uint8_t local_addr_used;
	uint8_t local_addr_max;
	uint8_t csum_enabled;
	uint32_t retransmits;		/* 6.5 */
	uint64_t bytes_retrans;
	uint64_t bytes_sent;
	uint64_t bytes_received;
	uint64_t bytes_acked;
	uint8_t subflows_total;		/* 6.8 */
	uint8_t reserved[3];
	uint32_t last_data_sent;	/* 6.10 */
	uint32_t last_data_recv;
	uint32_t last_ack_recv;
};

/* Header of the MPTCP_TCPINFO and MPTCP_SUBFLOW_ADDRS arrays (5.16). */
struct mpth_subflow_data {
	uint32_t size_subflow_data;
	uint32_t num_subflows;
	uint32_t size_kernel;
	uint32_t size_user;
} __attribute__((aligned(8)));

union mpth_sockaddr {
	sa_family_t family;
	struct sockaddr sa;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr_storage ss;
};

struct mpth_subflow_addrs {
	union mpth_sockaddr local;
	union mpth_sockaddr remote;
};

static void sf_from_tcpi(struct sf_info *sf, const struct tcp_info *ti,
			 size_t len)
{
	/* Only trust fields the kernel actually filled in. */
	if (len < offsetof(struct tcp_info, tcpi_bytes_received) +
		  sizeof(ti->tcpi_bytes_received))
		return;
	sf->has_tcpi = true;
	sf->state = ti->tcpi_state;
	sf->bytes_sent = ti->tcpi_bytes_sent;
	sf->bytes_received = ti->tcpi_bytes_received;
	sf->rtt_us = ti->tcpi_rtt;
}

/* A fallen back or plain TCP connection is a list of one. */
static void tcp_sample(int fd, struct mp_sample *s, bool want_list)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	s->subflows = 1;
	if (!want_list)
		return;
	s->nlist = 1;
	sock_names(fd, s->list[0].local, s->list[0].remote, ADDR_STRLEN);
	memset(&ti, 0, sizeof(ti));
	if (!getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		sf_from_tcpi(&s->list[0], &ti, len);
}

static bool addrs_unsupported_noted;

/*
 * MPTCP_SUBFLOW_ADDRS and MPTCP_TCPINFO answer with a header and then one
 * element per subflow, size_user bytes apart: the smaller of our element
 * and the kernel's.  It counts every subflow but copies only what fits.
 * Returns the number of elements copied, or -1 with errno set.
 */
static int subflow_array(int fd, int optname, uint8_t *buf, size_t buflen,
			 size_t elem, unsigned int *total, size_t *stride)
{
	struct mpth_subflow_data d = {
		.size_subflow_data = sizeof(d),
		.size_user = elem,
	};
	socklen_t len = buflen;

	memcpy(buf, &d, sizeof(d));
	if (getsockopt(fd, SOL_MPTCP, optname, buf, &len))
		return -1;
	if (len < sizeof(d)) {
		errno = EPROTO;
		return -1;
	}
	memcpy(&d, buf, sizeof(d));
	*total = d.num_subflows;
	*stride = d.size_user;
	if (!d.size_user)
		return 0;
	return MIN((len - sizeof(d)) / d.size_user, d.num_subflows);
}

/* Room for the header and SF_LIST_MAX of the larger element type. */
static uint8_t sf_buf[sizeof(struct mpth_subflow_data) +
		      SF_LIST_MAX * MAX(sizeof(struct mpth_subflow_addrs),
					sizeof(struct tcp_info))]
	__attribute__((aligned(8)));

static int sample_addrs(int fd, struct mp_sample *s)
{
	const uint8_t *elems = sf_buf + sizeof(struct mpth_subflow_data);
	struct mpth_subflow_addrs a;
	unsigned int total;
	size_t stride;
	int i, n;

	n = subflow_array(fd, MPTCP_SUBFLOW_ADDRS, sf_buf,
			  sizeof(struct mpth_subflow_data) +
			  SF_LIST_MAX * sizeof(a), sizeof(a), &total, &stride);
	if (n < 0)
		return -1;
	s->subflows = total;
	s->nlist = n;
	for (i = 0; i < n; i++) {
		memset(&a, 0, sizeof(a));
		memcpy(&a, elems + i * stride, MIN(stride, sizeof(a)));
		sa_str(&a.local.sa, s->list[i].local, ADDR_STRLEN);
		sa_str(&a.remote.sa, s->list[i].remote, ADDR_STRLEN);
	}
	return 0;
}

static void sample_tcpinfo(int fd, struct mp_sample *s)
{
	const uint8_t *elems = sf_buf + sizeof(struct mpth_subflow_data);
	struct tcp_info ti;
	unsigned int total;
	size_t stride;
	int i, n;

	n = subflow_array(fd, MPTCP_TCPINFO, sf_buf,
			  sizeof(struct mpth_subflow_data) +
			  SF_LIST_MAX * sizeof(ti), sizeof(ti), &total, &stride);
	/*
	 * Both lists walk the same subflow list in the same order; if a
	 * subflow came or went between the two calls the pairing is off,
	 * and we would rather print no numbers than wrong ones.
	 */
	if (n < 0 || total != s->subflows || (unsigned int)n < s->nlist)
		return;
	for (i = 0; i < (int)s->nlist; i++) {
		memset(&ti, 0, sizeof(ti));
		memcpy(&ti, elems + i * stride, MIN(stride, sizeof(ti)));
		sf_from_tcpi(&s->list[i], &ti, MIN(stride, sizeof(ti)));
	}
	/*
	 * The initial subflow stays in the list after it closed (the MPTCP
	 * socket keeps it until the end): count only the live ones.
	 */
	if (s->nlist == s->subflows) {
		unsigned int live = 0;

		for (i = 0; i < (int)s->nlist; i++)
			if (!s->list[i].has_tcpi ||
			    s->list[i].state == MPTH_TCP_ESTABLISHED)
				live++;
		s->subflows = live;
	}
}

void mp_sample(int fd, struct mp_sample *s, bool want_list)
{
	struct mpth_mptcp_info mi;
	socklen_t len = sizeof(mi);

	memset(s, 0, sizeof(*s));
	memset(&mi, 0, sizeof(mi));
	/*
	 * On a TCP socket, or an MPTCP one that fell back, SOL_MPTCP options
	 * fail (EOPNOTSUPP); a fallback can also be flagged in mptcpi_flags.
	 */
	if (getsockopt(fd, SOL_MPTCP, MPTCP_INFO, &mi, &len)) {
		tcp_sample(fd, s, want_list);
		return;
	}
	if (mi.flags & MPTCP_INFO_FLAG_FALLBACK) {
		s->fallback_flag = true;
		tcp_sample(fd, s, want_list);
		return;
	}
	s->mptcp = true;
	s->mptcpi_subflows = mi.subflows;
	if (len >= offsetof(struct mpth_mptcp_info, bytes_acked) +
		   sizeof(mi.bytes_acked)) {
		s->has_bytes_acked = true;
		s->bytes_acked = mi.bytes_acked;
	}

	if (!sample_addrs(fd, s)) {
		if (s->nlist)
			sample_tcpinfo(fd, s);
		return;
	}
	if (!addrs_unsupported_noted) {
		addrs_unsupported_noted = true;
		warnx("note: MPTCP_SUBFLOW_ADDRS unsupported (%s, kernel < 5.16?); counting subflows as mptcpi_subflows + 1",
		      strerror(errno));
	}
	if (len > offsetof(struct mpth_mptcp_info, subflows_total) &&
	    mi.subflows_total)
		s->subflows = mi.subflows_total;
	else
		s->subflows = mi.subflows + 1;
}

void json_sf_list(struct json *j, const struct mp_sample *s)
{
	const struct sf_info *sf;
	unsigned int i;

	json_open(j, "subflow_list", '[');
	for (i = 0; i < s->nlist; i++) {
		sf = &s->list[i];
		json_open(j, NULL, '{');
		json_str(j, "local", sf->local);
		json_str(j, "remote", sf->remote);
		if (sf->has_tcpi) {
			json_uint(j, "bytes_sent", sf->bytes_sent);
			json_uint(j, "bytes_received", sf->bytes_received);
			json_uint(j, "rtt_us", sf->rtt_us);
			json_bool(j, "established",
				  sf->state == MPTH_TCP_ESTABLISHED);
		} else {
			json_null(j, "bytes_sent");
			json_null(j, "bytes_received");
			json_null(j, "rtt_us");
		}
		json_close(j, '}');
	}
	json_close(j, ']');
}
