// SPDX-License-Identifier: GPL-2.0
/* The shared receive and verify path; see verify.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "clock.h"
#include "proto.h"
#include "util.h"
#include "verify.h"

uint8_t *rx_buf;

static void gap_note(struct gap *g, int64_t now)
{
	if (g->last_us && now - g->last_us > g->max_us) {
		g->max_us = now - g->last_us;
		g->max_at_us = g->last_us;
	}
	g->last_us = now;
}

/*
 * pat_explain() for a mismatch found on @fd: @have holds the @n bytes
 * received from payload offset @bad on.
 */
static void mismatch_explain(int fd, const uint8_t *tab, uint64_t bad,
			     const uint8_t *have, size_t n, char *out,
			     size_t len)
{
	uint8_t probe[PAT_EXPLAIN_LEN];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t k = MIN(n, sizeof(probe));
	int64_t deadline = now_us() + MISMATCH_WAIT_MS * 1000LL, left;
	ssize_t r;

	memcpy(probe, have, k);
	while (k < sizeof(probe)) {
		left = (deadline - now_us()) / 1000;
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			break;
		r = recv(fd, probe + k, sizeof(probe) - k, MSG_DONTWAIT);
		if (r <= 0 && !(r < 0 && (errno == EAGAIN || errno == EINTR)))
			break;
		if (r > 0)
			k += r;
	}
	pat_explain(tab, bad, probe, k, out, len);
}

enum rx_verdict rx_verify(struct rx_dir *d, int fd, const uint8_t *tab,
			  const uint8_t *buf, size_t *n, int64_t now,
			  char *msg, size_t msglen)
{
	uint64_t room = d->limit - d->bytes;
	size_t use = *n > room ? room : *n;
	enum rx_verdict v = use < *n ? RX_OVERRUN : RX_OK;
	char what[112] = "";
	int64_t bad = -1;

	if (tab) {
		uint64_t at = d->bytes;

		/* A tolerated bad byte is counted, and the check goes on. */
		for (;;) {
			bad = pat_check(tab, at, buf + (at - d->bytes),
					use - (at - d->bytes));
			if (bad < 0 || d->bad_bytes >= d->tolerate)
				break;
			if (d->first_bad < 0)
				d->first_bad = bad;
			d->bad_bytes++;
			at = bad + 1;
		}
		if (bad >= 0) {
			d->mismatch = bad;
			mismatch_explain(fd, tab, bad, buf + (bad - d->bytes),
					 use - (bad - d->bytes), what,
					 sizeof(what));
			/* The bad byte counts: it did arrive. */
			use = bad - d->bytes + 1;
			v = RX_MISMATCH;
		}
	}
	d->bytes += use;
	gap_note(&d->gap, now);
	*n = use;
	if (v == RX_MISMATCH)
		snprintf(msg, msglen,
			 "data mismatch at payload offset %lld (seed %u): %s",
			 (long long)bad, d->seed, what);
	return v;
}

void json_gap(struct json *j, const struct gap *g)
{
	if (!g || !g->last_us) {
		json_null(j, "max_gap_ms");
		json_null(j, "max_gap_at_ms");
		return;
	}
	json_int(j, "max_gap_ms", g->max_us / 1000);
	json_int(j, "max_gap_at_ms",
		 epoch_ms(g->max_at_us ? g->max_at_us : g->last_us));
}
