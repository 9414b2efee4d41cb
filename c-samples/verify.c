// SPDX-License-Identifier: GPL-2.0
/* The receive side of a payload direction; see verify.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include "clock.h"
#include "proto.h"
#include "util.h"
#include "verify.h"

uint8_t *rx_buf;

void mismatch_explain(int fd, const uint8_t *tab, uint64_t bad,
		      const uint8_t *have, size_t n, char *out, size_t len)
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

void gap_note(struct gap *g, int64_t now)
{
	if (g->last_us && now - g->last_us > g->max_us) {
		g->max_us = now - g->last_us;
		g->max_at_us = g->last_us;
	}
	g->last_us = now;
}
