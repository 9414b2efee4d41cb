/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The receive side of a payload direction, the same for the client
 * (download, bidir) and the server (upload, bidir): every byte is compared
 * with the pattern as it arrives (nothing is stored), the first bad one is
 * placed and explained, and the gaps between arrivals are kept.
 *
 * What a program does about a verdict (close, or send a result first),
 * and its own totals, timeline and events, stay with the program.
 */
#ifndef MPTH_VERIFY_H
#define MPTH_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "json.h"

/* One recv() buffer for every connection: the loop is single threaded. */
#define RX_BUF_LEN	(128u * 1024)	/* what iperf3 uses too */
extern uint8_t *rx_buf;

/* Receive gaps, between recv() calls that returned data. */
struct gap {
	int64_t last_us;	/* 0 = nothing received yet */
	int64_t max_us;
	int64_t max_at_us;	/* start of the longest gap */
};

/*
 * One direction's receive state; zeroed, then seed, limit, mismatch and
 * first_bad set (and tolerate, to pass some bad bytes).
 */
struct rx_dir {
	uint32_t seed;		/* named in a mismatch report */
	uint64_t limit;		/* most the peer may send, or LEN_UNLIMITED */
	uint64_t bytes;		/* payload received, up to a bad byte */
	int64_t mismatch;	/* first bad payload offset, -1 = none */
	uint64_t tolerate;	/* bad bytes counted and let through */
	uint64_t bad_bytes;	/* how many were */
	int64_t first_bad;	/* the first of them, -1 = none */
	struct gap gap;
};

enum rx_verdict {
	RX_OK,
	RX_MISMATCH,	/* a byte differs from the pattern */
	RX_OVERRUN,	/* the peer sent more than the limit */
};

/*
 * Take the *@n bytes a recv() on @fd has put in @buf: payload up to
 * d->limit, compared with @tab unless it is NULL (NOVERIFY).  The first
 * d->tolerate bytes that differ are only counted; the next is a mismatch.
 * On return *@n is how many count as payload (up to and including a bad
 * byte).  On
 * RX_MISMATCH, @msg says where and what the bytes there are: when they
 * are too few to tell, more are read from @fd (for at most
 * MISMATCH_WAIT_MS; the connection is failing, nothing else needs them).
 */
#define MISMATCH_WAIT_MS	500
enum rx_verdict rx_verify(struct rx_dir *d, int fd, const uint8_t *tab,
			  const uint8_t *buf, size_t *n, int64_t now,
			  char *msg, size_t msglen);

/* "max_gap_ms" and "max_gap_at_ms"; null for a NULL @g or nothing received. */
void json_gap(struct json *j, const struct gap *g);

#endif
