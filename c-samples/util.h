/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every program here needs first: exit codes, messages that name the
 * program, and allocation and system call wrappers that die instead of
 * returning an error no caller could handle.
 */
#ifndef MPTH_UTIL_H
#define MPTH_UTIL_H

#include <stddef.h>
#include <stdint.h>

/*
 * Exit codes, shared so the shell can tell failures apart.  When several
 * apply, the first one in this order wins:
 *   4 mismatch > 3 connect > 7 truncated/error > 6 timeout > 5 bad header >
 *   8 not MPTCP > 0
 */
#define EXIT_OK		0
#define EXIT_LOCAL	1	/* cannot write an output file, no memory */
#define EXIT_USAGE	2
#define EXIT_SOCKET	3	/* socket/bind/listen/connect */
#define EXIT_MISMATCH	4
#define EXIT_BADHDR	5
#define EXIT_TIMEOUT	6
#define EXIT_TRUNCATED	7	/* peer closed early, reset, I/O error */
#define EXIT_NOT_MPTCP	8	/* --require-mptcp and it fell back */

#define __noreturn	__attribute__((noreturn))
#define __printf(a, b)	__attribute__((format(printf, a, b)))
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define MIN(a, b)	((a) < (b) ? (a) : (b))
#define MAX(a, b)	((a) > (b) ? (a) : (b))

/* Prefix of every message: set by main() before anything can fail. */
extern const char *prog_name;

void warnx(const char *fmt, ...) __printf(1, 2);
void __noreturn die(int code, const char *fmt, ...) __printf(2, 3);
void __noreturn die_usage(const char *fmt, ...) __printf(1, 2);

void *xmalloc(size_t len);
void *xcalloc(size_t n, size_t len);
char *xstrdup(const char *s);
void *xmalloc_aligned(size_t len);
void xepoll_ctl(int epfd, int op, int fd, uint32_t events, void *ptr);
int signal_fd(void);

#endif
