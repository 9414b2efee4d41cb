/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --timeline: received bytes per 10 ms bin, "EPOCH_MS BYTES", zero bins
 * included, each bin written (and flushed) as soon as it is over.
 */
#ifndef MPTH_TIMELINE_H
#define MPTH_TIMELINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* All zero = no --timeline: every call does nothing. */
struct timeline {
	FILE *f;
	const char *path;
	bool started;
	int64_t bin;		/* epoch ms of the open bin */
	uint64_t acc;
};

void tl_add(struct timeline *t, int64_t now, uint64_t bytes);
void tl_tick(struct timeline *t, int64_t now);
void tl_idle(struct timeline *t);
void tl_close(struct timeline *t);

#endif
