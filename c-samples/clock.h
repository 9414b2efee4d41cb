/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Time: one monotonic clock for every interval, shown as epoch
 * milliseconds wherever a timestamp leaves the program.
 */
#ifndef MPTH_CLOCK_H
#define MPTH_CLOCK_H

#include <stdint.h>

void clock_init(void);
int64_t now_us(void);
int64_t epoch_ms(int64_t mono_us);

/* Payload megabits per second; NaN (printed as null) when no time passed. */
double mbps(uint64_t bytes, int64_t us);

#endif
