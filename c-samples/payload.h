/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pattern (proto.h) on a socket, send side: a connection's table, and
 * chunks of it sent straight out of it.  The receive side is verify.h.
 */
#ifndef MPTH_PAYLOAD_H
#define MPTH_PAYLOAD_H

#include <stdint.h>
#include <sys/types.h>

/* PAT_TABLE_LEN bytes for @seed, cache line aligned; free() it. */
uint8_t *pat_new(uint32_t seed);
/*
 * Send up to @left pattern bytes from payload offset @off: one send(),
 * its result.  @corrupt_at >= 0 (--corrupt-at): the byte at that offset
 * goes out inverted.
 */
ssize_t pat_send(int fd, const uint8_t *tab, uint64_t off, uint64_t left,
		 int64_t corrupt_at);

#endif
