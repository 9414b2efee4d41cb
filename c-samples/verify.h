/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The receive side of a payload direction: the recv() buffer, what a
 * mismatch is, and the gaps between arrivals.
 */
#ifndef MPTH_VERIFY_H
#define MPTH_VERIFY_H

#include <stddef.h>
#include <stdint.h>

/* One recv() buffer for every connection: the loop is single threaded. */
#define RX_BUF_LEN	(128u * 1024)	/* what iperf3 uses too */
extern uint8_t *rx_buf;

/*
 * pat_explain() for a mismatch found on @fd: @have holds the @n bytes
 * received from payload offset @bad on.  When they are too few to place,
 * the bytes that follow are read from @fd (waited for with poll(), at most
 * MISMATCH_WAIT_MS; the connection is failing, so nothing else needs them).
 */
#define MISMATCH_WAIT_MS	500
void mismatch_explain(int fd, const uint8_t *tab, uint64_t bad,
		      const uint8_t *have, size_t n, char *out, size_t len);

/* Per-direction receive gaps, between recv() calls that returned data. */
struct gap {
	int64_t last_us;	/* 0 = nothing received yet */
	int64_t max_us;
	int64_t max_at_us;	/* start of the longest gap */
};

void gap_note(struct gap *g, int64_t now);

#endif
