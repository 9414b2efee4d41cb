// SPDX-License-Identifier: GPL-2.0
/* Messages, exit on failure, and the x*() wrappers; see util.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>

#include "util.h"

const char *prog_name = "mptcp";

static void vwarn(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", prog_name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
}

void die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	exit(code);
}

void die_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try '%s --help' for more information.\n", prog_name);
	exit(EXIT_USAGE);
}

void *xmalloc(size_t len)
{
	void *p = malloc(len);

	if (!p)
		die(EXIT_LOCAL, "out of memory allocating %zu bytes", len);
	return p;
}

void *xcalloc(size_t n, size_t len)
{
	void *p = calloc(n, len);

	if (!p)
		die(EXIT_LOCAL, "out of memory allocating %zu x %zu bytes",
		    n, len);
	return p;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		die(EXIT_LOCAL, "out of memory copying a string");
	return p;
}

/* Cache line aligned, so pat_send() can keep the kernel's copies aligned. */
void *xmalloc_aligned(size_t len)
{
	void *p;

	if (posix_memalign(&p, 64, len))
		die(EXIT_LOCAL, "out of memory allocating %zu bytes", len);
	return p;
}

void xepoll_ctl(int epfd, int op, int fd, uint32_t events, void *ptr)
{
	struct epoll_event ev = { .events = events, .data.ptr = ptr };

	if (epoll_ctl(epfd, op, fd, &ev))
		die(EXIT_LOCAL, "epoll_ctl(op %d, fd %d): %s", op, fd,
		    strerror(errno));
}

/*
 * SIGINT and SIGTERM as events on a descriptor, so the epoll loop stops
 * cleanly and still writes its JSON.
 */
int signal_fd(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		die(EXIT_LOCAL, "sigprocmask: %s", strerror(errno));
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		die(EXIT_LOCAL, "signalfd: %s", strerror(errno));
	return fd;
}
