/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by mptcp-client and mptcp-server. */
#ifndef MPTH_COMMON_H
#define MPTH_COMMON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "proto.h"

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

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP	262
#endif
#ifndef SOL_MPTCP
#define SOL_MPTCP	284
#endif

#define __noreturn	__attribute__((noreturn))
#define __printf(a, b)	__attribute__((format(printf, a, b)))
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define MIN(a, b)	((a) < (b) ? (a) : (b))
#define MAX(a, b)	((a) > (b) ? (a) : (b))

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

/* Option values; each dies with a usage error naming @opt. */
uint64_t opt_size(const char *opt, const char *s);
uint64_t opt_uint(const char *opt, const char *s, uint64_t max);
bool opt_proto(const char *opt, const char *s);	/* true = mptcp */

/* Time: one monotonic clock, shown as epoch milliseconds. */
void clock_init(void);
int64_t now_us(void);
int64_t epoch_ms(int64_t mono_us);

/* Sockets */
int sock_create(int family, bool mptcp, bool *got_mptcp,
		char *why, size_t whylen);
void sa_str(const struct sockaddr *sa, char *buf, size_t len);
/*
 * TCP congestion control of a socket (on MPTCP, of its subflows): set it
 * (0 or an errno) and read it back ("" when unknown).
 */
int sock_set_cc(int fd, const char *name);
void sock_get_cc(int fd, char *buf, size_t len);
void sock_names(int fd, char *local, char *remote, size_t len);

#define ADDR_STRLEN	64
#define SF_LIST_MAX	16

/* tcpi_state of a live connection (include/net/tcp_states.h) */
#define MPTH_TCP_ESTABLISHED	1

struct sf_info {
	char local[ADDR_STRLEN];
	char remote[ADDR_STRLEN];
	bool has_tcpi;
	uint8_t state;		/* tcpi_state */
	uint64_t bytes_sent;
	uint64_t bytes_received;
	uint32_t rtt_us;
};

struct mp_sample {
	bool mptcp;		/* MPTCP_INFO works and no fallback flag */
	bool fallback_flag;	/* kernel said MPTCP_INFO_FLAG_FALLBACK */
	unsigned int mptcpi_subflows;	/* raw: joins only */
	unsigned int subflows;	/* real count, initial subflow included */
	bool has_bytes_acked;
	uint64_t bytes_acked;
	unsigned int nlist;
	struct sf_info list[SF_LIST_MAX];
};

void mp_sample(int fd, struct mp_sample *s, bool want_list);

/* Payload I/O */
extern uint8_t *rx_buf;
#define RX_BUF_LEN	(128u * 1024)	/* what iperf3 uses too */

uint8_t *pat_new(uint32_t seed);
/*
 * pat_explain() for a mismatch found on @fd: @have holds the @n bytes
 * received from payload offset @bad on.  When they are too few to place,
 * the bytes that follow are read from @fd (waited for with poll(), at most
 * MISMATCH_WAIT_MS; the connection is failing, so nothing else needs them).
 */
#define MISMATCH_WAIT_MS	500
void mismatch_explain(int fd, const uint8_t *tab, uint64_t bad,
		      const uint8_t *have, size_t n, char *out, size_t len);
ssize_t pat_send(int fd, const uint8_t *tab, uint64_t off, uint64_t left,
		 int64_t corrupt_at);

/* Per-direction receive gaps, between recv() calls that returned data. */
struct gap {
	int64_t last_us;	/* 0 = nothing received yet */
	int64_t max_us;
	int64_t max_at_us;	/* start of the longest gap */
};

void gap_note(struct gap *g, int64_t now);

/* --timeline: received bytes per 10 ms bin, zero bins included. */
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

/* Output files */
FILE *out_open(const char *path, const char *opt);

struct afile {
	FILE *f;
	char *path;
	char *tmp;
};

bool afile_open(struct afile *a, const char *path);
bool afile_commit(struct afile *a);
bool write_ready_file(const char *path, unsigned int port);

/* Minimal JSON writer: enough for flat objects and arrays of them. */
#define JSON_DEPTH	8

struct json {
	FILE *f;
	int depth;
	bool need_comma[JSON_DEPTH];
};

void json_init(struct json *j, FILE *f);
void json_open(struct json *j, const char *key, char bracket);
void json_close(struct json *j, char bracket);
void json_str(struct json *j, const char *key, const char *v);
void json_int(struct json *j, const char *key, int64_t v);
void json_uint(struct json *j, const char *key, uint64_t v);
void json_num(struct json *j, const char *key, double v);
void json_bool(struct json *j, const char *key, bool v);
void json_null(struct json *j, const char *key);
void json_sf_list(struct json *j, const struct mp_sample *s);

double mbps(uint64_t bytes, int64_t us);

#endif
