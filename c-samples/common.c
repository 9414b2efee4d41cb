// SPDX-License-Identifier: GPL-2.0
/* Helpers shared by mptcp-client and mptcp-server. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>
#include <linux/tcp.h>

#include "common.h"

/*
 * MPTCP socket options and structures.  We define our own copies instead
 * of using <linux/mptcp.h>: build hosts carry older headers than the
 * kernels we run on, and the kernel only ever copies min(ours, its) bytes.
 */
#ifndef MPTCP_INFO
#define MPTCP_INFO		1
#endif
#ifndef MPTCP_TCPINFO
#define MPTCP_TCPINFO		2
#endif
#ifndef MPTCP_SUBFLOW_ADDRS
#define MPTCP_SUBFLOW_ADDRS	3
#endif
#ifndef MPTCP_INFO_FLAG_FALLBACK
#define MPTCP_INFO_FLAG_FALLBACK	(1u << 0)
#endif

/* struct mptcp_info as of Linux 6.10; the tail is newer than our headers. */
struct mpth_mptcp_info {
	uint8_t subflows;
	uint8_t add_addr_signal;
	uint8_t add_addr_accepted;
	uint8_t subflows_max;
	uint8_t add_addr_signal_max;
	uint8_t add_addr_accepted_max;
	uint32_t flags;
	uint32_t token;
	uint64_t write_seq;
	uint64_t snd_una;
	uint64_t rcv_nxt;
	uint8_t local_addr_used;
	uint8_t local_addr_max;
	uint8_t csum_enabled;
	uint32_t retransmits;		/* 6.5 */
	uint64_t bytes_retrans;
	uint64_t bytes_sent;
	uint64_t bytes_received;
	uint64_t bytes_acked;
	uint8_t subflows_total;		/* 6.8 */
	uint8_t reserved[3];
	uint32_t last_data_sent;	/* 6.10 */
	uint32_t last_data_recv;
	uint32_t last_ack_recv;
};

/* Header of the MPTCP_TCPINFO and MPTCP_SUBFLOW_ADDRS arrays (5.16). */
struct mpth_subflow_data {
	uint32_t size_subflow_data;
	uint32_t num_subflows;
	uint32_t size_kernel;
	uint32_t size_user;
} __attribute__((aligned(8)));

union mpth_sockaddr {
	sa_family_t family;
	struct sockaddr sa;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr_storage ss;
};

struct mpth_subflow_addrs {
	union mpth_sockaddr local;
	union mpth_sockaddr remote;
};

const char *prog_name = "mptcp";
uint8_t *rx_buf;

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

void xepoll_ctl(int epfd, int op, int fd, uint32_t events, void *ptr)
{
	struct epoll_event ev = { .events = events, .data.ptr = ptr };

	if (epoll_ctl(epfd, op, fd, &ev))
		die(EXIT_LOCAL, "epoll_ctl(op %d, fd %d): %s", op, fd,
		    strerror(errno));
}

uint64_t opt_uint(const char *opt, const char *s, uint64_t max)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || *s == '-' || v > max)
		die_usage("%s: invalid value '%s' (expected 0..%llu)", opt, s,
			  (unsigned long long)max);
	return v;
}

/* Sizes take binary K/M/G suffixes: 16M = 16 * 2^20. */
uint64_t opt_size(const char *opt, const char *s)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		goto bad;
	switch (*end) {
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	case '\0':
		break;
	default:
		goto bad;
	}
	if (shift && end[1])
		goto bad;
	if (v > (UINT64_MAX - 1) >> shift)
		goto bad;
	return (uint64_t)v << shift;
bad:
	die_usage("%s: invalid size '%s' (expected N, NK, NM or NG)", opt, s);
}

bool opt_proto(const char *opt, const char *s)
{
	if (!strcmp(s, "mptcp"))
		return true;
	if (!strcmp(s, "tcp"))
		return false;
	die_usage("%s: expected 'mptcp' or 'tcp', got '%s'", opt, s);
}

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

static const char *no_mptcp_reason(int err, int family)
{
	switch (err) {
	case ENOPROTOOPT:
		return "ENOPROTOOPT: MPTCP disabled (net.mptcp.enabled=0)";
	case EPROTONOSUPPORT:
		return family == AF_INET6 ?
			"EPROTONOSUPPORT: kernel without MPTCP for IPv6 (CONFIG_MPTCP_IPV6)" :
			"EPROTONOSUPPORT: kernel without MPTCP (CONFIG_MPTCP)";
	case EINVAL:
		return "EINVAL: kernel too old for MPTCP (< 5.6)";
	}
	return NULL;
}

/*
 * Create a stream socket, MPTCP if asked and possible.  The three errnos
 * that mean "no MPTCP on this host" fall back to TCP and explain why in
 * @why; anything else is a real error (-1, errno set).
 */
int sock_create(int family, bool mptcp, bool *got_mptcp,
		char *why, size_t whylen)
{
	const char *reason;
	int fd;

	why[0] = '\0';
	*got_mptcp = false;
	if (mptcp) {
		fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    IPPROTO_MPTCP);
		if (fd >= 0) {
			*got_mptcp = true;
			return fd;
		}
		reason = no_mptcp_reason(errno, family);
		if (!reason)
			return -1;
		snprintf(why, whylen, "%s", reason);
	}
	return socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		      IPPROTO_TCP);
}

/* "ip:port" or "[ip6]:port"; v4-mapped addresses are shown as IPv4. */
int sock_set_cc(int fd, const char *name)
{
	if (setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, strlen(name)))
		return errno;
	return 0;
}

void sock_get_cc(int fd, char *buf, size_t len)
{
	socklen_t l = len - 1;

	memset(buf, 0, len);
	if (getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, buf, &l))
		buf[0] = '\0';
}

void sa_str(const struct sockaddr *sa, char *buf, size_t len)
{
	const struct sockaddr_in6 *s6 = (const void *)sa;
	const struct sockaddr_in *s4 = (const void *)sa;
	char ip[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, ntohs(s4->sin_port));
	} else if (sa->sa_family == AF_INET6 &&
		   IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, ntohs(s6->sin6_port));
	} else if (sa->sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, ntohs(s6->sin6_port));
	} else {
		snprintf(buf, len, "(family %u)", sa->sa_family);
	}
}

void sock_names(int fd, char *local, char *remote, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl;

	sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl))
		snprintf(local, len, "?");
	else
		sa_str((struct sockaddr *)&ss, local, len);
	sl = sizeof(ss);
	if (getpeername(fd, (struct sockaddr *)&ss, &sl))
		snprintf(remote, len, "?");
	else
		sa_str((struct sockaddr *)&ss, remote, len);
}

static void sf_from_tcpi(struct sf_info *sf, const struct tcp_info *ti,
			 size_t len)
{
	/* Only trust fields the kernel actually filled in. */
	if (len < offsetof(struct tcp_info, tcpi_bytes_received) +
		  sizeof(ti->tcpi_bytes_received))
		return;
	sf->has_tcpi = true;
	sf->state = ti->tcpi_state;
	sf->bytes_sent = ti->tcpi_bytes_sent;
	sf->bytes_received = ti->tcpi_bytes_received;
	sf->rtt_us = ti->tcpi_rtt;
}

/* A fallen back or plain TCP connection is a list of one. */
static void tcp_sample(int fd, struct mp_sample *s, bool want_list)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	s->subflows = 1;
	if (!want_list)
		return;
	s->nlist = 1;
	sock_names(fd, s->list[0].local, s->list[0].remote, ADDR_STRLEN);
	memset(&ti, 0, sizeof(ti));
	if (!getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		sf_from_tcpi(&s->list[0], &ti, len);
}

static bool addrs_unsupported_noted;

/*
 * MPTCP_SUBFLOW_ADDRS and MPTCP_TCPINFO answer with a header and then one
 * element per subflow, size_user bytes apart: the smaller of our element
 * and the kernel's.  It counts every subflow but copies only what fits.
 * Returns the number of elements copied, or -1 with errno set.
 */
static int subflow_array(int fd, int optname, uint8_t *buf, size_t buflen,
			 size_t elem, unsigned int *total, size_t *stride)
{
	struct mpth_subflow_data d = {
		.size_subflow_data = sizeof(d),
		.size_user = elem,
	};
	socklen_t len = buflen;

	memcpy(buf, &d, sizeof(d));
	if (getsockopt(fd, SOL_MPTCP, optname, buf, &len))
		return -1;
	if (len < sizeof(d)) {
		errno = EPROTO;
		return -1;
	}
	memcpy(&d, buf, sizeof(d));
	*total = d.num_subflows;
	*stride = d.size_user;
	if (!d.size_user)
		return 0;
	return MIN((len - sizeof(d)) / d.size_user, d.num_subflows);
}

/* Room for the header and SF_LIST_MAX of the larger element type. */
static uint8_t sf_buf[sizeof(struct mpth_subflow_data) +
		      SF_LIST_MAX * MAX(sizeof(struct mpth_subflow_addrs),
					sizeof(struct tcp_info))]
	__attribute__((aligned(8)));

static int sample_addrs(int fd, struct mp_sample *s)
{
	const uint8_t *elems = sf_buf + sizeof(struct mpth_subflow_data);
	struct mpth_subflow_addrs a;
	unsigned int total;
	size_t stride;
	int i, n;

	n = subflow_array(fd, MPTCP_SUBFLOW_ADDRS, sf_buf,
			  sizeof(struct mpth_subflow_data) +
			  SF_LIST_MAX * sizeof(a), sizeof(a), &total, &stride);
	if (n < 0)
		return -1;
	s->subflows = total;
	s->nlist = n;
	for (i = 0; i < n; i++) {
		memset(&a, 0, sizeof(a));
		memcpy(&a, elems + i * stride, MIN(stride, sizeof(a)));
		sa_str(&a.local.sa, s->list[i].local, ADDR_STRLEN);
		sa_str(&a.remote.sa, s->list[i].remote, ADDR_STRLEN);
	}
	return 0;
}

static void sample_tcpinfo(int fd, struct mp_sample *s)
{
	const uint8_t *elems = sf_buf + sizeof(struct mpth_subflow_data);
	struct tcp_info ti;
	unsigned int total;
	size_t stride;
	int i, n;

	n = subflow_array(fd, MPTCP_TCPINFO, sf_buf,
			  sizeof(struct mpth_subflow_data) +
			  SF_LIST_MAX * sizeof(ti), sizeof(ti), &total, &stride);
	/*
	 * Both lists walk the same subflow list in the same order; if a
	 * subflow came or went between the two calls the pairing is off,
	 * and we would rather print no numbers than wrong ones.
	 */
	if (n < 0 || total != s->subflows || (unsigned int)n < s->nlist)
		return;
	for (i = 0; i < (int)s->nlist; i++) {
		memset(&ti, 0, sizeof(ti));
		memcpy(&ti, elems + i * stride, MIN(stride, sizeof(ti)));
		sf_from_tcpi(&s->list[i], &ti, MIN(stride, sizeof(ti)));
	}
	/*
	 * The initial subflow stays in the list after it closed (the MPTCP
	 * socket keeps it until the end): count only the live ones.
	 */
	if (s->nlist == s->subflows) {
		unsigned int live = 0;

		for (i = 0; i < (int)s->nlist; i++)
			if (!s->list[i].has_tcpi ||
			    s->list[i].state == MPTH_TCP_ESTABLISHED)
				live++;
		s->subflows = live;
	}
}

void mp_sample(int fd, struct mp_sample *s, bool want_list)
{
	struct mpth_mptcp_info mi;
	socklen_t len = sizeof(mi);

	memset(s, 0, sizeof(*s));
	memset(&mi, 0, sizeof(mi));
	/*
	 * On a TCP socket, or an MPTCP one that fell back, SOL_MPTCP options
	 * fail (EOPNOTSUPP); a fallback can also be flagged in mptcpi_flags.
	 */
	if (getsockopt(fd, SOL_MPTCP, MPTCP_INFO, &mi, &len)) {
		tcp_sample(fd, s, want_list);
		return;
	}
	if (mi.flags & MPTCP_INFO_FLAG_FALLBACK) {
		s->fallback_flag = true;
		tcp_sample(fd, s, want_list);
		return;
	}
	s->mptcp = true;
	s->mptcpi_subflows = mi.subflows;
	if (len >= offsetof(struct mpth_mptcp_info, bytes_acked) +
		   sizeof(mi.bytes_acked)) {
		s->has_bytes_acked = true;
		s->bytes_acked = mi.bytes_acked;
	}

	if (!sample_addrs(fd, s)) {
		if (s->nlist)
			sample_tcpinfo(fd, s);
		return;
	}
	if (!addrs_unsupported_noted) {
		addrs_unsupported_noted = true;
		warnx("note: MPTCP_SUBFLOW_ADDRS unsupported (%s, kernel < 5.16?); counting subflows as mptcpi_subflows + 1",
		      strerror(errno));
	}
	if (len > offsetof(struct mpth_mptcp_info, subflows_total) &&
	    mi.subflows_total)
		s->subflows = mi.subflows_total;
	else
		s->subflows = mi.subflows + 1;
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

/* Cache line aligned, so pat_send() can keep the kernel's copies aligned. */
void *xmalloc_aligned(size_t len)
{
	void *p;

	if (posix_memalign(&p, 64, len))
		die(EXIT_LOCAL, "out of memory allocating %zu bytes", len);
	return p;
}

uint8_t *pat_new(uint32_t seed)
{
	uint8_t *tab = xmalloc_aligned(PAT_TABLE_LEN);

	pat_fill(tab, seed);
	return tab;
}

void mismatch_explain(int fd, const uint8_t *tab, uint64_t bad,
		      const uint8_t *have, size_t n, char *out, size_t len)
{
	uint8_t probe[PAT_EXPLAIN_LEN];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t k = MIN(n, sizeof(probe));
	int64_t deadline = now_us() + MISMATCH_WAIT_MS * 1000LL, left;
	ssize_t r;

	memcpy(probe, have, k);
	while (k < sizeof(probe)) {
		left = (deadline - now_us()) / 1000;
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			break;
		r = recv(fd, probe + k, sizeof(probe) - k, MSG_DONTWAIT);
		if (r <= 0 && !(r < 0 && (errno == EAGAIN || errno == EINTR)))
			break;
		if (r > 0)
			k += r;
	}
	pat_explain(tab, bad, probe, k, out, len);
}

/*
 * Send pattern bytes straight out of the table (no copy).  For
 * --corrupt-at, the chunk is cut just before the bad offset and that one
 * byte goes out on its own, inverted.
 */
ssize_t pat_send(int fd, const uint8_t *tab, uint64_t off, uint64_t left,
		 int64_t corrupt_at)
{
	uint64_t n = MIN(left, (uint64_t)PAT_SPAN);
	uint64_t end;
	uint8_t bad;

	/*
	 * End full chunks where the next one starts on a cache line of the
	 * (aligned) table: the kernel copies from there, and a misaligned
	 * source makes that copy measurably slower.
	 */
	end = (off + n) % PAT_PERIOD;
	if (n == PAT_SPAN)
		n -= end & 63;

	if (corrupt_at >= 0 && (uint64_t)corrupt_at >= off &&
	    (uint64_t)corrupt_at < off + n) {
		if ((uint64_t)corrupt_at == off) {
			bad = *pat_at(tab, off) ^ 0xff;
			return send(fd, &bad, 1, MSG_NOSIGNAL);
		}
		n = corrupt_at - off;
	}
	return send(fd, pat_at(tab, off), n, MSG_NOSIGNAL);
}

void gap_note(struct gap *g, int64_t now)
{
	if (g->last_us && now - g->last_us > g->max_us) {
		g->max_us = now - g->last_us;
		g->max_at_us = g->last_us;
	}
	g->last_us = now;
}

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

FILE *out_open(const char *path, const char *opt)
{
	FILE *f;

	if (!strcmp(path, "-"))
		return stdout;
	f = fopen(path, "w");
	if (!f)
		die(EXIT_LOCAL, "%s %s: %s", opt, path, strerror(errno));
	return f;
}

/*
 * Files the harness polls (--ready, --json) appear complete or not at all:
 * write a temporary file next to the target and rename it into place.
 */
static struct afile *afile_pending;

/* A die() between open and commit must not leave a temporary file behind. */
static void afile_cleanup(void)
{
	if (afile_pending && afile_pending->tmp)
		unlink(afile_pending->tmp);
}

bool afile_open(struct afile *a, const char *path)
{
	static bool registered;

	memset(a, 0, sizeof(*a));
	if (!strcmp(path, "-")) {
		a->f = stdout;
		return true;
	}
	if (!registered) {
		atexit(afile_cleanup);
		registered = true;
	}
	a->path = xstrdup(path);
	a->tmp = xmalloc(strlen(path) + 32);
	sprintf(a->tmp, "%s.tmp.%ld", path, (long)getpid());
	a->f = fopen(a->tmp, "w");
	if (!a->f) {
		warnx("cannot create %s: %s", a->tmp, strerror(errno));
		free(a->path);
		free(a->tmp);
		return false;
	}
	/* Only one is ever open at a time: the JSON summary. */
	if (!afile_pending)
		afile_pending = a;
	return true;
}

bool afile_commit(struct afile *a)
{
	bool ok = true, werr;

	if (a->f == stdout) {
		fflush(stdout);
		return !ferror(stdout);
	}
	/* fclose() even after a write error, or the FILE leaks. */
	werr = ferror(a->f);
	if (fclose(a->f) || werr) {
		warnx("writing %s: %s", a->tmp, strerror(errno));
		ok = false;
	} else if (rename(a->tmp, a->path)) {
		warnx("rename %s to %s: %s", a->tmp, a->path, strerror(errno));
		ok = false;
	}
	if (!ok)
		unlink(a->tmp);
	if (afile_pending == a)
		afile_pending = NULL;
	free(a->path);
	free(a->tmp);
	return ok;
}

bool write_ready_file(const char *path, unsigned int port)
{
	struct afile a;

	if (!afile_open(&a, path))
		return false;
	fprintf(a.f, "%u\n", port);
	return afile_commit(&a);
}

void json_init(struct json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
}

static void json_key(struct json *j, const char *key)
{
	if (j->need_comma[j->depth])
		fputc(',', j->f);
	j->need_comma[j->depth] = true;
	if (key)
		fprintf(j->f, "\"%s\":", key);
}

void json_open(struct json *j, const char *key, char bracket)
{
	json_key(j, key);
	fputc(bracket, j->f);
	if (j->depth < JSON_DEPTH - 1)
		j->depth++;
	j->need_comma[j->depth] = false;
}

void json_close(struct json *j, char bracket)
{
	fputc(bracket, j->f);
	if (j->depth > 0)
		j->depth--;
}

void json_str(struct json *j, const char *key, const char *v)
{
	const unsigned char *p;

	if (!v) {
		json_null(j, key);
		return;
	}
	json_key(j, key);
	fputc('"', j->f);
	for (p = (const unsigned char *)v; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(j->f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(j->f, "\\u%04x", *p);
		else
			fputc(*p, j->f);
	}
	fputc('"', j->f);
}

void json_int(struct json *j, const char *key, int64_t v)
{
	json_key(j, key);
	fprintf(j->f, "%lld", (long long)v);
}

void json_uint(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	fprintf(j->f, "%llu", (unsigned long long)v);
}

void json_num(struct json *j, const char *key, double v)
{
	if (!isfinite(v)) {
		json_null(j, key);
		return;
	}
	json_key(j, key);
	fprintf(j->f, "%.3f", v);
}

void json_bool(struct json *j, const char *key, bool v)
{
	json_key(j, key);
	fputs(v ? "true" : "false", j->f);
}

void json_null(struct json *j, const char *key)
{
	json_key(j, key);
	fputs("null", j->f);
}

void json_sf_list(struct json *j, const struct mp_sample *s)
{
	const struct sf_info *sf;
	unsigned int i;

	json_open(j, "subflow_list", '[');
	for (i = 0; i < s->nlist; i++) {
		sf = &s->list[i];
		json_open(j, NULL, '{');
		json_str(j, "local", sf->local);
		json_str(j, "remote", sf->remote);
		if (sf->has_tcpi) {
			json_uint(j, "bytes_sent", sf->bytes_sent);
			json_uint(j, "bytes_received", sf->bytes_received);
			json_uint(j, "rtt_us", sf->rtt_us);
			json_bool(j, "established",
				  sf->state == MPTH_TCP_ESTABLISHED);
		} else {
			json_null(j, "bytes_sent");
			json_null(j, "bytes_received");
			json_null(j, "rtt_us");
		}
		json_close(j, '}');
	}
	json_close(j, ']');
}

/* Payload megabits per second; NaN (printed as null) when no time passed. */
double mbps(uint64_t bytes, int64_t us)
{
	if (us <= 0)
		return NAN;
	return (double)bytes * 8 / (double)us;
}
