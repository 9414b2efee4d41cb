// SPDX-License-Identifier: GPL-2.0
/* The pattern on a socket, send side; see payload.h. */
#define _GNU_SOURCE
#include <sys/socket.h>

#include "payload.h"
#include "proto.h"
#include "util.h"

uint8_t *pat_new(uint32_t seed)
{
	uint8_t *tab = xmalloc_aligned(PAT_TABLE_LEN);

	pat_fill(tab, seed);
	return tab;
}

/*
 * Send pattern bytes straight out of the table (no copy).  For
 * --corrupt-at, the chunk is cut just before the bad offset and that one
 * byte goes out on its own, inverted.
 */
ssize_t pat_send(int fd, const uint8_t *tab, uint64_t off, uint64_t left,
		 int64_t corrupt_at)
{
	uint64_t n = MIN(left, (uint64_t)PAT_SPAN);
	uint64_t end;
	uint8_t bad;

	/*
	 * End full chunks where the next one starts on a cache line of the
	 * (aligned) table: the kernel copies from there, and a misaligned
	 * source makes that copy measurably slower.
	 */
	end = (off + n) % PAT_PERIOD;
	if (n == PAT_SPAN)
		n -= end & 63;

	if (corrupt_at >= 0 && (uint64_t)corrupt_at >= off &&
	    (uint64_t)corrupt_at < off + n) {
		if ((uint64_t)corrupt_at == off) {
			bad = *pat_at(tab, off) ^ 0xff;
			return send(fd, &bad, 1, MSG_NOSIGNAL);
		}
		n = corrupt_at - off;
	}
	return send(fd, pat_at(tab, off), n, MSG_NOSIGNAL);
}
