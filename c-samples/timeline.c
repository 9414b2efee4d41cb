// SPDX-License-Identifier: GPL-2.0
/* --timeline; see timeline.h. */
#include <errno.h>
#include <string.h>

#include "clock.h"
#include "timeline.h"
#include "util.h"

static void tl_write_to(struct timeline *t, int64_t bin)
{
	fprintf(t->f, "%lld %llu\n", (long long)t->bin,
		(unsigned long long)t->acc);
	for (t->bin += 10; t->bin < bin; t->bin += 10)
		fprintf(t->f, "%lld 0\n", (long long)t->bin);
	t->acc = 0;
	fflush(t->f);
}

void tl_add(struct timeline *t, int64_t now, uint64_t bytes)
{
	int64_t ms = epoch_ms(now), bin = ms - ms % 10;

	if (!t->f)
		return;
	if (!t->started) {
		t->started = true;
		t->bin = bin;
	}
	/* After tl_idle() the open bin may be ahead of the clock: add there. */
	if (bin > t->bin)
		tl_write_to(t, bin);
	t->acc += bytes;
}

/* Close every bin that has ended, so a stall shows up while it lasts. */
void tl_tick(struct timeline *t, int64_t now)
{
	int64_t ms = epoch_ms(now), bin = ms - ms % 10;

	if (t->f && t->started && bin > t->bin)
		tl_write_to(t, bin);
}

/*
 * Nothing is being received any more: publish the partial bin now rather
 * than at exit, and move on so it is never written twice.
 */
void tl_idle(struct timeline *t)
{
	if (t->f && t->started && t->acc)
		tl_write_to(t, t->bin + 10);
}

void tl_close(struct timeline *t)
{
	if (!t->f)
		return;
	tl_idle(t);
	if (fclose(t->f))
		warnx("--timeline %s: %s", t->path, strerror(errno));
	t->f = NULL;
}
