// SPDX-License-Identifier: GPL-2.0
/*
 * The harness channel (see notify.h).  Writes never block the data path:
 * the events file is non-blocking, and what a full pipe refuses waits in a
 * small queue for the next ntf_flush().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "notify.h"
#include "util.h"

#define LINE_MAX_LEN	4000	/* < PIPE_BUF: one write() is atomic */
#define QUEUE_LEN	(256u * 1024)
#define MARKS_MAX	256
#define CTL_BUF_LEN	4096

static const char *ntf_role = "?";
static int ev_fd = -1;
static int ctl_fd = -1;
static bool reader_gone;
static bool dropped_noted;

static char queue[QUEUE_LEN];
static size_t queued;

struct mark {
	uint64_t n;
	char *also;	/* a FIFO that gets the event line too, or NULL */
};

static struct mark marks[MARKS_MAX];	/* ascending */
static unsigned int n_marks;

static char ctl_buf[CTL_BUF_LEN];
static size_t ctl_have;

void ntf_open(const char *role, const char *events, const char *control)
{
	ntf_role = role;
	if (events) {
		/*
		 * O_NONBLOCK: a FIFO without a reader fails at once (ENXIO)
		 * instead of hanging, and a full one never stalls the data.
		 */
		ev_fd = open(events, O_WRONLY | O_NONBLOCK | O_APPEND |
			     O_CREAT | O_CLOEXEC, 0600);
		if (ev_fd < 0)
			die(EXIT_LOCAL, "--events %s: %s%s", events,
			    strerror(errno), errno == ENXIO ?
			    " (a FIFO needs its reader first)" : "");
	}
	if (control) {
		/*
		 * O_RDWR keeps a writer on the FIFO (ourselves), so it never
		 * reports EOF between the harness's commands.
		 */
		ctl_fd = open(control, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (ctl_fd < 0)
			die(EXIT_LOCAL, "--control %s: %s", control,
			    strerror(errno));
	}
}

bool ntf_enabled(void)
{
	return ev_fd >= 0;
}

bool ntf_reader_gone(void)
{
	return reader_gone;
}

int ntf_events_fifo_fd(void)
{
	struct stat st;

	if (ev_fd < 0 || fstat(ev_fd, &st) || !S_ISFIFO(st.st_mode))
		return -1;
	return ev_fd;
}

void ntf_reader_check(void)
{
	if (reader_gone)
		return;
	reader_gone = true;
	queued = 0;
	warnx("events: the reader went away");
}

int ntf_control_fd(void)
{
	return ctl_fd;
}

/* Write as much of the queue as the pipe takes, whole lines only. */
bool ntf_flush(void)
{
	size_t off = 0, end;
	ssize_t n;

	while (off < queued && !reader_gone) {
		end = off;
		while (end < queued && queue[end] != '\n')
			end++;
		end++;
		n = write(ev_fd, queue + off, end - off);
		if (n < 0 && errno == EPIPE) {
			reader_gone = true;
			warnx("events: the reader went away");
			break;
		}
		/* A pipe takes a line of < PIPE_BUF whole or not at all. */
		if (n != (ssize_t)(end - off))
			break;
		off = end;
	}
	if (reader_gone)
		off = queued;
	memmove(queue, queue + off, queued - off);
	queued -= off;
	return queued > 0;
}

void ntf_emit(int64_t now, const char *event, const char *fmt, ...)
{
	char line[LINE_MAX_LEN];
	va_list ap;
	int len, n;

	if (ev_fd < 0 || reader_gone)
		return;
	len = snprintf(line, sizeof(line), "%s %s %lld", ntf_role, event,
		       (long long)epoch_ms(now));
	if (fmt && fmt[0] && len < (int)sizeof(line) - 1) {
		line[len++] = ' ';
		va_start(ap, fmt);
		n = vsnprintf(line + len, sizeof(line) - len - 1, fmt, ap);
		va_end(ap);
		len += MIN(n, (int)sizeof(line) - len - 2);
	}
	line[len++] = '\n';

	if (queued + len > sizeof(queue)) {
		if (!dropped_noted)
			warnx("events: the reader is not reading; dropping events");
		dropped_noted = true;
		return;
	}
	memcpy(queue + queued, line, len);
	queued += len;
	ntf_flush();
}

/*
 * A mark reached: the event, and the same line to the mark's own FIFO if
 * it has one.  That FIFO belongs to a process of the harness blocked on it
 * (a fault waiting for its moment), so the fault strikes at the mark even
 * when the harness's main loop is busy elsewhere.
 */
static void mark_reached(struct mark *m, uint64_t rx, int64_t now)
{
	char line[128];
	int fd, len;

	ntf_emit(now, "mark", "%llu %llu", (unsigned long long)m->n,
		 (unsigned long long)rx);
	if (!m->also)
		return;
	len = snprintf(line, sizeof(line), "%s mark %lld %llu %llu\n", ntf_role,
		       (long long)epoch_ms(now), (unsigned long long)m->n,
		       (unsigned long long)rx);
	fd = open(m->also, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || write(fd, line, len) != len)
		warnx("control: mark %llu: cannot write to %s: %s",
		      (unsigned long long)m->n, m->also, strerror(errno));
	if (fd >= 0)
		close(fd);
	free(m->also);
	m->also = NULL;
}

static void mark_add(uint64_t n, const char *also, uint64_t rx, int64_t now)
{
	struct mark m = { .n = n, .also = also ? xstrdup(also) : NULL };
	unsigned int i;

	if (rx >= n) {
		mark_reached(&m, rx, now);
		return;
	}
	if (n_marks == MARKS_MAX) {
		warnx("control: more than %d marks pending; 'mark %llu' ignored",
		      MARKS_MAX, (unsigned long long)n);
		free(m.also);
		return;
	}
	for (i = n_marks; i > 0 && marks[i - 1].n > n; i--)
		marks[i] = marks[i - 1];
	marks[i] = m;
	n_marks++;
}

void ntf_rx(uint64_t rx, int64_t now)
{
	unsigned int i = 0;

	if (!n_marks || rx < marks[0].n)
		return;
	while (i < n_marks && marks[i].n <= rx) {
		mark_reached(&marks[i], rx, now);
		i++;
	}
	memmove(marks, marks + i, (n_marks - i) * sizeof(marks[0]));
	n_marks -= i;
}

static void ctl_command(char *cmd, int64_t now, uint64_t rx, uint64_t tx,
			void (*cb)(const char *cmd, int64_t now))
{
	unsigned long long n;
	char *end;

	if (!strncmp(cmd, "mark ", 5)) {
		/* "mark N" or "mark N FILE" */
		errno = 0;
		n = strtoull(cmd + 5, &end, 10);
		if (errno || end == cmd + 5 || (*end && *end != ' ') ||
		    (*end == ' ' && !end[1]))
			warnx("control: bad mark '%s'", cmd + 5);
		else
			mark_add(n, *end ? end + 1 : NULL, rx, now);
	} else if (!strcmp(cmd, "now")) {
		ntf_emit(now, "now", "%llu %llu", (unsigned long long)rx,
			 (unsigned long long)tx);
	} else if (cb) {
		cb(cmd, now);
	} else {
		warnx("control: unknown command '%s'", cmd);
	}
}

void ntf_control_read(int64_t now, uint64_t rx, uint64_t tx,
		      void (*cb)(const char *cmd, int64_t now))
{
	char *nl, *line;
	ssize_t n;

	for (;;) {
		n = read(ctl_fd, ctl_buf + ctl_have,
			 sizeof(ctl_buf) - ctl_have - 1);
		if (n <= 0)
			break;
		ctl_have += n;
		ctl_buf[ctl_have] = '\0';
		line = ctl_buf;
		while ((nl = strchr(line, '\n'))) {
			*nl = '\0';
			if (*line)
				ctl_command(line, now, rx, tx, cb);
			line = nl + 1;
		}
		ctl_have -= line - ctl_buf;
		memmove(ctl_buf, line, ctl_have);
		if (ctl_have == sizeof(ctl_buf) - 1) {
			warnx("control: line too long, dropped");
			ctl_have = 0;
		}
	}
}
