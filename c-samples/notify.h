/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The harness channel: progress pushed to the harness as event lines, and
 * commands read from it, so that the harness blocks on what the samples
 * tell it instead of polling their files.
 *
 * Events (--events FILE, usually a FIFO the harness holds open), one line
 * each, written in one write() so lines from several writers never mix:
 *
 *	ROLE EVENT EPOCH_MS [ARGS...]
 *
 * Commands (--control FILE, a FIFO), one per line:
 *	mark N [FILE]	event "mark T N RX" once RX >= N bytes were received
 *			(all connections summed); with FILE, that line goes
 *			to FILE too (a FIFO whose reader waits for the moment)
 *	now		event "now T RX TX" at once
 * and whatever the program adds (the client: "finish", "sample").
 */
#ifndef MPTH_NOTIFY_H
#define MPTH_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "util.h"

/* Open the channel; either path may be NULL. Dies on a bad path. */
void ntf_open(const char *role, const char *events, const char *control);
bool ntf_enabled(void);
void ntf_emit(int64_t now, const char *event, const char *fmt, ...)
	__printf(3, 4);
/* Retry what a full pipe refused; true while something is still queued. */
bool ntf_flush(void);
/* True once the reader of the events is gone (EPIPE). */
bool ntf_reader_gone(void);
/*
 * The events FIFO, to watch with epoll (events 0: EPOLLERR comes when its
 * reader closes); -1 when the events go to a regular file or nowhere.
 * Call ntf_reader_check() on that EPOLLERR.
 */
int ntf_events_fifo_fd(void);
void ntf_reader_check(void);

/* -1 when there is no control channel; add it to epoll for EPOLLIN. */
int ntf_control_fd(void);
/*
 * Read the commands that have arrived.  "mark N" and "now" are handled
 * here (with @rx and @tx, the bytes received and sent so far); every
 * other command is passed to @cb.
 */
void ntf_control_read(int64_t now, uint64_t rx, uint64_t tx,
		      void (*cb)(const char *cmd, int64_t now));

/*
 * Call whenever the bytes received (all connections summed) grow: emits
 * "mark T N RX" for every requested mark N that RX has reached.
 */
void ntf_rx(uint64_t rx, int64_t now);

#endif
