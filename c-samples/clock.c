// SPDX-License-Identifier: GPL-2.0
/* Time and rates; see clock.h. */
#include <math.h>
#include <time.h>

#include "clock.h"

static int64_t mono0_us, real0_us;

static int64_t clock_us(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * Timestamps that end up in files are epoch milliseconds, so they can be
 * lined up with the harness's fault injection; intervals must not jump
 * with NTP, so everything is measured on CLOCK_MONOTONIC and converted.
 */
void clock_init(void)
{
	mono0_us = clock_us(CLOCK_MONOTONIC);
	real0_us = clock_us(CLOCK_REALTIME);
}

int64_t now_us(void)
{
	return clock_us(CLOCK_MONOTONIC);
}

int64_t epoch_ms(int64_t mono_us)
{
	return (real0_us + mono_us - mono0_us) / 1000;
}

double mbps(uint64_t bytes, int64_t us)
{
	if (us <= 0)
		return NAN;
	return (double)bytes * 8 / (double)us;
}
