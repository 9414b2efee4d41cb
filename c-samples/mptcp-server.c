// SPDX-License-Identifier: GPL-2.0
/*
 * mptcp-server: accept MPTCP (or TCP) connections, speak the harness
 * protocol (proto.h) with each, verify every received byte against the
 * pattern and report what happened as JSON.  One thread, one epoll loop,
 * non-blocking sockets, so many clients are served at once.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <linux/sockios.h>

#include "clock.h"
#include "json.h"
#include "mptcpinfo.h"
#include "notify.h"
#include "opts.h"
#include "outfile.h"
#include "payload.h"
#include "proto.h"
#include "sock.h"
#include "timeline.h"
#include "util.h"
#include "verify.h"

#define TICK_MS		5	/* < 10 ms so timeline bins close on time */
#define DRAIN_MS	3000	/* how long to wait for EOF after an error */
#define IO_BURST	8	/* syscalls per event before serving others */

static bool cfg_mptcp = true;
static const char *cfg_listen = "::";
static unsigned int cfg_port;
static const char *cfg_ready;
static const char *cfg_json;
static const char *cfg_timeline;
static uint64_t cfg_count;
static unsigned int cfg_header_timeout_ms = 5000;
static unsigned int cfg_timeout_ms;
static unsigned int cfg_info_interval_ms = 100;
static const char *cfg_events;
static const char *cfg_control;
static const char *cfg_cc;
static bool cfg_hold;		/* --hold-result: until "release" */
static bool released;

enum conn_state {
	ST_HEADER,
	ST_DATA,
	ST_DRAIN,	/* told the peer about an error, waiting for its EOF */
	ST_CLOSED,
};

struct conn {
	struct conn *next;
	int fd;
	enum conn_state state;
	char peer[ADDR_STRLEN];
	int64_t start_us, end_us, deadline_us;
	uint32_t events;

	uint8_t hdrbuf[HDR_LEN];
	size_t hdr_have;
	bool hdr_ok;
	struct hdr h;
	uint8_t *tab;

	bool rx_on;		/* the mode sends us payload */
	bool rx_eof;
	struct rx_dir rx;

	bool tx_on;		/* the mode makes us send payload */
	bool tx_done;
	uint64_t tx_bytes;
	int64_t tx_deadline_us;
	uint8_t resbuf[RES_LEN];
	size_t res_len, res_sent;

	bool mptcp;
	bool held;		/* upload verified, its result waits */
	bool close_unread;	/* "close-unread": close once data waits */
	int64_t unread;		/* bytes left unread at that close, -1: unknown */
	const char *fallback_reason;
	char cc[16];		/* congestion control, as the socket says */
	unsigned int max_subflows;
	int64_t next_info_us;

	const char *status;
	char *error;
};

static struct conn *conns, **conns_tail = &conns;
static unsigned int n_active, n_receiving;
static uint64_t n_finished;
static int epfd;
static struct timeline tl;
static struct afile json_out;	/* opened at start: fail before the run */
static bool listener_mptcp;
static char listener_why[128];
static char listen_str[ADDR_STRLEN];
static unsigned int listen_port;
static uint64_t tot_rx, tot_tx;
static int64_t first_rx_us, last_rx_us, first_tx_us, last_tx_us;
static bool timed_out;
static uint64_t cfg_tolerate;

static void __noreturn usage(int code)
{
	FILE *f = code ? stderr : stdout;

	fprintf(f,
"Usage: mptcp-server [options]\n"
"Serve the mptcp-harness protocol: verify uploads, send downloads.\n"
"\n"
"  -t, --type mptcp|tcp      listener protocol (default mptcp; falls back to\n"
"                            TCP if the kernel has no usable MPTCP)\n"
"  -l, --listen ADDR         IPv4 or IPv6 literal (default :: = dual stack)\n"
"  -p, --port N              port (default 0 = chosen by the kernel)\n"
"      --ready FILE          write the bound port to FILE once listening\n"
"  -n, --count N             exit after N connections ended (default 0 =\n"
"                            until SIGTERM/SIGINT)\n"
"  -j, --json FILE           summary JSON at exit (\"-\" = stdout)\n"
"      --timeline FILE       bytes received per 10 ms bin: \"EPOCH_MS BYTES\"\n"
"      --header-timeout MS   drop clients without a header after MS\n"
"                            (default 5000)\n"
"      --timeout MS          stop after MS (default 0 = never)\n"
"      --info-interval MS    subflow polling period (default 100)\n"
"      --cc NAME             TCP congestion control of the sockets\n"
"      --tolerate N          let N bytes per upload differ from the pattern,\n"
"                            counted (corrupt_bytes in the JSON), not failed:\n"
"                            to see what a corruption test's kernel passes up\n"
"      --hold-result         keep an upload's result until 'release' on\n"
"                            --control (the connection stays up meanwhile)\n"
"      --events FILE         progress events, one line each (a FIFO)\n"
"      --control FILE        commands from the harness (a FIFO): mark N, now,\n"
"                            release, abort (close every connection with\n"
"                            SO_LINGER 0: MP_FASTCLOSE), close-unread (stop\n"
"                            reading, and close each upload once data waits\n"
"                            unread in its socket: MP_FASTCLOSE too)\n"
"  -h, --help                this text\n"
"\n"
"Exit codes (first match wins):\n"
"  4 data mismatch on a connection\n"
"  7 a connection was truncated, reset or failed\n"
"  6 --timeout expired with connections unfinished or fewer than --count\n"
"  5 a client sent a bad or incomplete header\n"
"  0 every connection was ok\n"
"  2 usage error, 3 socket/bind/listen error, 1 local error (output files)\n");
	exit(code);
}

static void parse_opts(int argc, char **argv)
{
	enum {
		OPT_READY = 256, OPT_TIMELINE, OPT_HDR_TIMEOUT, OPT_TIMEOUT,
		OPT_INFO_INTERVAL, OPT_EVENTS, OPT_CONTROL, OPT_CC, OPT_HOLD,
		OPT_TOLERATE,
	};
	static const struct option opts[] = {
		{ "type", required_argument, NULL, 't' },
		{ "listen", required_argument, NULL, 'l' },
		{ "port", required_argument, NULL, 'p' },
		{ "ready", required_argument, NULL, OPT_READY },
		{ "count", required_argument, NULL, 'n' },
		{ "json", required_argument, NULL, 'j' },
		{ "timeline", required_argument, NULL, OPT_TIMELINE },
		{ "header-timeout", required_argument, NULL, OPT_HDR_TIMEOUT },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "info-interval", required_argument, NULL, OPT_INFO_INTERVAL },
		{ "events", required_argument, NULL, OPT_EVENTS },
		{ "control", required_argument, NULL, OPT_CONTROL },
		{ "cc", required_argument, NULL, OPT_CC },
		{ "hold-result", no_argument, NULL, OPT_HOLD },
		{ "tolerate", required_argument, NULL, OPT_TOLERATE },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	int c;

	while ((c = getopt_long(argc, argv, "t:l:p:n:j:h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			cfg_mptcp = opt_proto("--type", optarg);
			break;
		case 'l':
			cfg_listen = optarg;
			break;
		case 'p':
			cfg_port = opt_uint("--port", optarg, 65535);
			break;
		case OPT_READY:
			cfg_ready = optarg;
			break;
		case 'n':
			cfg_count = opt_uint("--count", optarg, UINT64_MAX);
			break;
		case 'j':
			cfg_json = optarg;
			break;
		case OPT_TIMELINE:
			cfg_timeline = optarg;
			break;
		case OPT_HDR_TIMEOUT:
			cfg_header_timeout_ms = opt_uint("--header-timeout",
							 optarg, INT32_MAX);
			break;
		case OPT_TIMEOUT:
			cfg_timeout_ms = opt_uint("--timeout", optarg,
						  INT32_MAX);
			break;
		case OPT_INFO_INTERVAL:
			cfg_info_interval_ms = opt_uint("--info-interval",
							optarg, INT32_MAX);
			if (!cfg_info_interval_ms)
				die_usage("--info-interval must be > 0");
			break;
		case OPT_EVENTS:
			cfg_events = optarg;
			break;
		case OPT_CONTROL:
			cfg_control = optarg;
			break;
		case OPT_CC:
			cfg_cc = optarg;
			break;
		case OPT_HOLD:
			cfg_hold = true;
			break;
		case OPT_TOLERATE:
			cfg_tolerate = opt_uint("--tolerate", optarg, UINT32_MAX);
			break;
		case 'h':
			usage(EXIT_OK);
		default:
			die_usage("bad command line");
		}
	}
	if (optind < argc)
		die_usage("unexpected argument '%s'", argv[optind]);
	if (cfg_hold && !cfg_control)
		die_usage("--hold-result needs --control: nothing could release it");
}

static int listen_socket(void)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *s6 = (void *)&ss;
	struct sockaddr_in *s4 = (void *)&ss;
	socklen_t sl;
	int fd, one = 1, zero = 0;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET6, cfg_listen, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(cfg_port);
		sl = sizeof(*s6);
	} else if (inet_pton(AF_INET, cfg_listen, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(cfg_port);
		sl = sizeof(*s4);
	} else {
		die_usage("--listen: '%s' is not an IPv4 or IPv6 address",
			  cfg_listen);
	}
	sa_str((struct sockaddr *)&ss, listen_str, sizeof(listen_str));

	fd = sock_create(ss.ss_family, cfg_mptcp, &listener_mptcp,
			 listener_why, sizeof(listener_why));
	if (fd < 0)
		die(EXIT_SOCKET, "socket(%s): %s",
		    cfg_mptcp ? "IPPROTO_MPTCP" : "IPPROTO_TCP",
		    strerror(errno));
	if (listener_why[0])
		warnx("MPTCP socket not available, listening with TCP: %s",
		      listener_why);
	if (cfg_cc && (errno = sock_set_cc(fd, cfg_cc)))
		die(EXIT_SOCKET, "--cc %s: %s", cfg_cc, strerror(errno));
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		die(EXIT_SOCKET, "setsockopt(SO_REUSEADDR): %s",
		    strerror(errno));
	/* "::" must take IPv4 clients too, whatever net.ipv6.bindv6only says */
	if (ss.ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)))
		die(EXIT_SOCKET, "setsockopt(IPV6_V6ONLY): %s",
		    strerror(errno));
	if (bind(fd, (struct sockaddr *)&ss, sl))
		die(EXIT_SOCKET, "bind %s: %s", listen_str, strerror(errno));
	if (listen(fd, SOMAXCONN))
		die(EXIT_SOCKET, "listen on %s: %s", listen_str,
		    strerror(errno));

	sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl))
		die(EXIT_SOCKET, "getsockname: %s", strerror(errno));
	sa_str((struct sockaddr *)&ss, listen_str, sizeof(listen_str));
	listen_port = ntohs(ss.ss_family == AF_INET6 ? s6->sin6_port :
			    s4->sin_port);
	return fd;
}

static void conn_set_events(struct conn *c, uint32_t events)
{
	if (c->events == events)
		return;
	c->events = events;
	xepoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, events, c);
}

static void conn_poll_info(struct conn *c)
{
	struct mp_sample s;

	mp_sample(c->fd, &s, false);
	if (c->mptcp && !s.mptcp) {
		c->mptcp = false;
		c->fallback_reason = "fell back to TCP during the transfer";
	}
	c->max_subflows = MAX(c->max_subflows, s.subflows);
}

/* A connection stopped receiving payload, for whatever reason. */
static void rx_stopped(void)
{
	/* Publish the partial bin now, not when the next client comes. */
	if (!--n_receiving)
		tl_idle(&tl);
}

static void conn_close(struct conn *c, int64_t now)
{
	if (c->state == ST_CLOSED)
		return;
	if (c->rx_on && !c->rx_eof && c->state == ST_DATA)
		rx_stopped();
	conn_poll_info(c);
	close(c->fd);
	c->fd = -1;
	c->state = ST_CLOSED;
	c->end_us = now;
	free(c->tab);
	c->tab = NULL;
	n_active--;
	n_finished++;
}

static void __printf(3, 4) conn_fail(struct conn *c, const char *status,
				     const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* The first failure is the one that matters; the rest follow from it. */
	if (c->error)
		return;
	c->status = status;
	c->error = xstrdup(msg);
	warnx("%s: %s%s", c->peer, !strcmp(status, "bad_header") ?
	      "bad header: " : "", msg);
}

/*
 * Upload results go back to the client, so it learns whether its bytes
 * arrived intact.  After an error we stop reading but keep the socket
 * until the client's EOF: closing with unread data would turn into a
 * reset that destroys the result on its way.
 */
static void conn_send_result(struct conn *c, uint8_t status, int64_t now)
{
	struct res r = {
		.status = status,
		.bytes = c->rx.bytes,
		.mismatch = c->rx.mismatch < 0 ? UINT64_MAX :
			    (uint64_t)c->rx.mismatch,
	};

	res_encode(&r, c->resbuf);
	c->res_len = RES_LEN;
	c->res_sent = 0;
	if (status != RES_OK && c->state == ST_DATA) {
		if (!c->rx_eof)
			rx_stopped();
		c->state = ST_DRAIN;
		c->deadline_us = now + DRAIN_MS * 1000LL;
	}
	/* Once EOF is in, EPOLLIN would fire on every loop. */
	conn_set_events(c, c->rx_eof ? EPOLLOUT : EPOLLIN | EPOLLOUT);
}

static void conn_abort(struct conn *c, int64_t now)
{
	if (c->rx_on && c->h.mode == MODE_UPLOAD && !c->res_len) {
		uint8_t st = RES_ERROR;

		if (!strcmp(c->status, "mismatch"))
			st = RES_MISMATCH;
		else if (!strcmp(c->status, "truncated"))
			st = RES_TRUNCATED;
		conn_send_result(c, st, now);
		return;
	}
	conn_close(c, now);
}

static void conn_start_data(struct conn *c, int64_t now)
{
	struct hdr *h = &c->h;

	c->hdr_ok = true;
	c->state = ST_DATA;
	c->rx_on = h->mode != MODE_DOWNLOAD;
	c->tx_on = h->mode != MODE_UPLOAD;
	c->rx.seed = h->seed;
	c->rx.limit = h->length;
	if (!(h->flags & HDR_FLAG_NOVERIFY))
		c->tab = pat_new(h->seed);
	if (c->tx_on && h->duration_ms)
		c->tx_deadline_us = now + h->duration_ms * 1000LL;
	if (c->rx_on)
		n_receiving++;
	/* In upload mode the client's EOF is what we wait for. */
	c->tx_done = !c->tx_on;
	conn_set_events(c, EPOLLIN | (c->tx_on ? EPOLLOUT : 0));
}

static void conn_read_header(struct conn *c, int64_t now)
{
	char why[128];
	ssize_t n;
	int rc;

	n = recv(c->fd, c->hdrbuf + c->hdr_have, HDR_LEN - c->hdr_have, 0);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		conn_fail(c, "bad_header", "recv: %s (after %zu header bytes)",
			  strerror(errno), c->hdr_have);
		conn_close(c, now);
		return;
	}
	if (n == 0) {
		conn_fail(c, "bad_header",
			  "connection closed after %zu of %d header bytes",
			  c->hdr_have, HDR_LEN);
		conn_close(c, now);
		return;
	}
	c->hdr_have += n;
	rc = hdr_parse(c->hdrbuf, c->hdr_have, &c->h, why, sizeof(why));
	if (rc == PARSE_SHORT)
		return;
	if (rc != PARSE_OK) {
		conn_fail(c, "bad_header", "%s", why);
		conn_close(c, now);
		return;
	}
	conn_start_data(c, now);
}

static void conn_tx_finish(struct conn *c, int64_t now)
{
	c->tx_done = true;
	if (shutdown(c->fd, SHUT_WR) && errno != ENOTCONN) {
		conn_fail(c, "error", "shutdown: %s", strerror(errno));
		conn_close(c, now);
		return;
	}
	conn_set_events(c, EPOLLIN);
	if (c->rx_eof)
		conn_close(c, now);
}

static void conn_rx_eof(struct conn *c, int64_t now)
{
	c->rx_eof = true;
	if (c->rx_on)
		rx_stopped();
	if (c->rx_on && c->h.length != LEN_UNLIMITED &&
	    c->rx.bytes < c->h.length) {
		conn_fail(c, "truncated",
			  "peer closed after %llu of %llu payload bytes",
			  (unsigned long long)c->rx.bytes,
			  (unsigned long long)c->h.length);
		conn_abort(c, now);
		return;
	}
	/* A streaming client half-closes to say we are done sending. */
	if ((c->h.flags & HDR_FLAG_UNTIL_EOF) && !c->tx_done) {
		conn_tx_finish(c, now);
		return;
	}
	/* In bidir mode the client's EOF only ends its own direction. */
	if (c->h.mode == MODE_DOWNLOAD && !c->tx_done) {
		conn_fail(c, "truncated",
			  "peer closed while we had sent %llu bytes of %s",
			  (unsigned long long)c->tx_bytes,
			  c->h.length == LEN_UNLIMITED ? "a timed transfer" :
			  "the announced length");
		conn_close(c, now);
		return;
	}
	if (c->h.mode == MODE_UPLOAD) {
		/*
		 * Held, the client waits for its verdict with the connection
		 * up: the harness can look at it however late it comes.
		 */
		if (cfg_hold && !released) {
			c->held = true;
			/* EOF stays readable: epoll must not wake on it. */
			conn_set_events(c, 0);
			return;
		}
		conn_send_result(c, RES_OK, now);
		return;
	}
	if (c->tx_done)
		conn_close(c, now);
}

static void conn_rx_data(struct conn *c, ssize_t n, int64_t now)
{
	enum rx_verdict rc;
	size_t use = n;
	char why[256];

	if (!c->rx_on) {
		conn_fail(c, "error", "peer sent %zd unexpected bytes in %s mode",
			  n, mode_name(c->h.mode));
		conn_close(c, now);
		return;
	}
	rc = rx_verify(&c->rx, c->fd, c->tab, rx_buf, &use, now, why,
		       sizeof(why));
	tot_rx += use;
	ntf_rx(tot_rx, now);
	if (!first_rx_us)
		first_rx_us = now;
	last_rx_us = now;
	tl_add(&tl, now, use);

	/* Either way the verdict goes back to an uploading client. */
	if (rc == RX_MISMATCH) {
		conn_fail(c, "mismatch", "%s", why);
		conn_abort(c, now);
	} else if (rc == RX_OVERRUN) {
		conn_fail(c, "error",
			  "peer sent more than the %llu bytes it announced",
			  (unsigned long long)c->h.length);
		conn_abort(c, now);
	}
}

static void conn_readable(struct conn *c, int64_t now);

/*
 * "close-unread": data waits in the socket (EPOLLIN fired), so close()
 * leaves it unread, which MPTCP answers with MP_FASTCLOSE.  SIOCINQ says
 * how much, where the kernel has it for MPTCP (6.5 on).
 */
static void conn_close_unread(struct conn *c, int64_t now)
{
	int n;

	c->unread = ioctl(c->fd, SIOCINQ, &n) ? -1 : n;
	if (!c->unread) {
		/* Only an EOF or an error woke us: nothing unread. */
		c->close_unread = false;
		conn_readable(c, now);
		return;
	}
	warnx("%s: closed after %llu bytes with %lld unread, as asked",
	      c->peer, (unsigned long long)c->rx.bytes, (long long)c->unread);
	c->status = "closed_unread";
	conn_close(c, now);
}

static void conn_readable(struct conn *c, int64_t now)
{
	ssize_t n;
	int i;

	for (i = 0; i < IO_BURST && c->state == ST_DATA && !c->rx_eof; i++) {
		n = recv(c->fd, rx_buf, RX_BUF_LEN, 0);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			conn_fail(c, "error", "recv after %llu bytes: %s",
				  (unsigned long long)c->rx.bytes,
				  strerror(errno));
			conn_close(c, now);
			return;
		}
		if (n == 0) {
			conn_rx_eof(c, now);
			return;
		}
		conn_rx_data(c, n, now);
		/* A short read means the queue is empty: skip the EAGAIN. */
		if (n < (ssize_t)RX_BUF_LEN)
			return;
	}
}

static void conn_drain(struct conn *c, int64_t now)
{
	ssize_t n;
	int i = 0;

	do {
		n = recv(c->fd, rx_buf, RX_BUF_LEN, 0);
	} while (n > 0 && ++i < IO_BURST);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		c->rx_eof = true;
		if (c->res_sent == c->res_len)
			conn_close(c, now);
	}
}

static void conn_writable(struct conn *c, int64_t now)
{
	ssize_t n;
	int i;

	if (c->res_len) {
		n = send(c->fd, c->resbuf + c->res_sent,
			 c->res_len - c->res_sent, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			conn_fail(c, "error", "sending result: %s",
				  strerror(errno));
			conn_close(c, now);
			return;
		}
		c->res_sent += n;
		if (c->res_sent < c->res_len)
			return;
		if (c->state == ST_DRAIN) {
			shutdown(c->fd, SHUT_WR);
			conn_set_events(c, EPOLLIN);
			if (c->rx_eof)
				conn_close(c, now);
		} else {
			conn_close(c, now);
		}
		return;
	}

	for (i = 0; i < IO_BURST && c->state == ST_DATA && !c->tx_done; i++) {
		if (c->tx_bytes >= c->h.length ||
		    (c->tx_deadline_us && now >= c->tx_deadline_us)) {
			conn_tx_finish(c, now);
			return;
		}
		n = pat_send(c->fd, c->tab, c->tx_bytes,
			     c->h.length - c->tx_bytes, -1);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			conn_fail(c, "error", "send after %llu bytes: %s",
				  (unsigned long long)c->tx_bytes,
				  strerror(errno));
			conn_close(c, now);
			return;
		}
		c->tx_bytes += n;
		tot_tx += n;
		if (!first_tx_us)
			first_tx_us = now;
		last_tx_us = now;
	}
}

static void conn_event(struct conn *c, uint32_t events, int64_t now)
{
	/* Errors and hangups surface through the recv()/send() below. */
	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
		switch (c->state) {
		case ST_HEADER:
			conn_read_header(c, now);
			break;
		case ST_DATA:
			if (c->close_unread)
				conn_close_unread(c, now);
			else if (!c->rx_eof)
				conn_readable(c, now);
			break;
		case ST_DRAIN:
			conn_drain(c, now);
			break;
		case ST_CLOSED:
			return;
		}
	}
	if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) &&
	    (c->state == ST_DATA || c->state == ST_DRAIN))
		conn_writable(c, now);
}

static void accept_all(int lfd, int64_t now)
{
	struct sockaddr_storage ss;
	struct mp_sample s;
	struct conn *c;
	socklen_t sl;
	int fd;

	for (;;) {
		sl = sizeof(ss);
		fd = accept4(lfd, (struct sockaddr *)&ss, &sl,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EAGAIN || errno == EINTR ||
			    errno == ECONNABORTED)
				return;
			/* Out of fds or memory: the others can still finish. */
			warnx("accept on %s: %s", listen_str, strerror(errno));
			return;
		}
		c = xcalloc(1, sizeof(*c));
		c->fd = fd;
		/*
		 * The listener's setting is not always inherited by an MPTCP
		 * connection's subflows: set it again, then say what it is.
		 */
		if (cfg_cc && sock_set_cc(fd, cfg_cc))
			warnx("--cc %s on an accepted socket: %s", cfg_cc,
			      strerror(errno));
		sock_get_cc(fd, c->cc, sizeof(c->cc));
		c->rx.mismatch = -1;
		c->rx.first_bad = -1;
		c->rx.tolerate = cfg_tolerate;
		c->start_us = now;
		c->deadline_us = now + cfg_header_timeout_ms * 1000LL;
		c->next_info_us = now + cfg_info_interval_ms * 1000LL;
		c->status = "ok";
		sa_str((struct sockaddr *)&ss, c->peer, sizeof(c->peer));
		mp_sample(fd, &s, false);
		c->mptcp = s.mptcp;
		c->max_subflows = s.subflows;
		if (listener_mptcp && !s.mptcp)
			c->fallback_reason = "client did not send MP_CAPABLE";
		*conns_tail = c;
		conns_tail = &c->next;
		n_active++;
		c->events = EPOLLIN;
		xepoll_ctl(epfd, EPOLL_CTL_ADD, fd, EPOLLIN, c);
	}
}

/* "abort": every open connection closed with SO_LINGER 0. */
static void abort_all(int64_t now)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct conn *c;

	for (c = conns; c; c = c->next) {
		if (c->state == ST_CLOSED)
			continue;
		if (setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg))) {
			conn_fail(c, "error", "SO_LINGER: %s", strerror(errno));
		} else {
			warnx("%s: aborted after %llu bytes, as asked", c->peer,
			      (unsigned long long)c->rx.bytes);
			c->status = "aborted";
		}
		conn_close(c, now);
	}
	ntf_emit(now, "aborted", "%llu", (unsigned long long)tot_rx);
}

/*
 * "close-unread": uploads stop being read; each is closed at its next
 * EPOLLIN, with that data unread.
 */
static void close_unread_all(int64_t now)
{
	struct conn *c;

	for (c = conns; c; c = c->next) {
		if (c->state != ST_DATA || !c->rx_on || c->rx_eof)
			continue;
		c->close_unread = true;
	}
	ntf_emit(now, "closing-unread", "%llu", (unsigned long long)tot_rx);
}

/*
 * "release": the held verdicts go out, and no later one is held; "abort"
 * and "close-unread": see above.
 */
static void control_cmd(const char *cmd, int64_t now)
{
	struct conn *c;

	if (!strcmp(cmd, "abort")) {
		abort_all(now);
		return;
	}
	if (!strcmp(cmd, "close-unread")) {
		close_unread_all(now);
		return;
	}
	if (strcmp(cmd, "release")) {
		warnx("control: unknown command '%s'", cmd);
		return;
	}
	released = true;
	for (c = conns; c; c = c->next) {
		if (c->held && c->state == ST_DATA) {
			c->held = false;
			conn_send_result(c, RES_OK, now);
		}
	}
	ntf_emit(now, "released", "%s", "");
}

static void tick(int64_t now)
{
	struct conn *c;

	for (c = conns; c; c = c->next) {
		switch (c->state) {
		case ST_HEADER:
			if (now < c->deadline_us)
				break;
			conn_fail(c, "bad_header",
				  "no complete header within %u ms (got %zu of %d bytes)",
				  cfg_header_timeout_ms, c->hdr_have, HDR_LEN);
			conn_close(c, now);
			break;
		case ST_DATA:
			/* A full send buffer would hide the deadline. */
			if (c->tx_on && !c->tx_done && c->tx_deadline_us &&
			    now >= c->tx_deadline_us)
				conn_tx_finish(c, now);
			if (c->state == ST_DATA && now >= c->next_info_us) {
				conn_poll_info(c);
				c->next_info_us = now +
					cfg_info_interval_ms * 1000LL;
			}
			break;
		case ST_DRAIN:
			if (now >= c->deadline_us)
				conn_close(c, now);
			break;
		case ST_CLOSED:
			break;
		}
	}
	if (n_receiving)
		tl_tick(&tl, now);
}

static int exit_code(void)
{
	bool mismatch = false, trunc = false, badhdr = false;
	struct conn *c;

	for (c = conns; c; c = c->next) {
		if (!strcmp(c->status, "mismatch"))
			mismatch = true;
		else if (!strcmp(c->status, "truncated") ||
			 !strcmp(c->status, "error"))
			trunc = true;
		else if (!strcmp(c->status, "bad_header"))
			badhdr = true;
	}
	if (mismatch)
		return EXIT_MISMATCH;
	if (trunc)
		return EXIT_TRUNCATED;
	if (timed_out)
		return EXIT_TIMEOUT;
	if (badhdr)
		return EXIT_BADHDR;
	return EXIT_OK;
}

static const char *exit_status(int code)
{
	switch (code) {
	case EXIT_MISMATCH:
		return "mismatch";
	case EXIT_TRUNCATED:
		return "truncated";
	case EXIT_TIMEOUT:
		return "timeout";
	case EXIT_BADHDR:
		return "bad_header";
	case EXIT_LOCAL:
		return "local_error";
	}
	return "ok";
}

static void json_opt_ms(struct json *j, const char *key, int64_t us)
{
	if (us)
		json_int(j, key, epoch_ms(us));
	else
		json_null(j, key);
}

static void json_conn(struct json *j, const struct conn *c)
{
	json_open(j, NULL, '{');
	json_str(j, "peer", c->peer);
	json_str(j, "protocol", c->mptcp ? "mptcp" : "tcp");
	json_str(j, "congestion_control", c->cc[0] ? c->cc : NULL);
	json_str(j, "fallback_reason", c->fallback_reason);
	if (c->hdr_ok) {
		json_str(j, "mode", mode_name(c->h.mode));
		json_uint(j, "seed", c->h.seed);
		if (c->h.length == LEN_UNLIMITED)
			json_null(j, "length");
		else
			json_uint(j, "length", c->h.length);
		json_uint(j, "duration_ms", c->h.duration_ms);
		json_bool(j, "verify", !(c->h.flags & HDR_FLAG_NOVERIFY));
	} else {
		json_null(j, "mode");
		json_null(j, "seed");
	}
	json_uint(j, "bytes_received", c->rx.bytes);
	json_uint(j, "bytes_sent", c->tx_bytes);
	json_int(j, "mismatch_offset", c->rx.mismatch);
	if (cfg_tolerate) {
		json_uint(j, "corrupt_bytes", c->rx.bad_bytes);
		json_int(j, "first_corrupt_offset", c->rx.first_bad);
	}
	json_uint(j, "max_subflows", c->max_subflows);
	json_gap(j, &c->rx.gap);
	json_int(j, "start_ms", epoch_ms(c->start_us));
	json_opt_ms(j, "end_ms", c->end_us);
	if (c->close_unread)
		json_int(j, "unread_at_close", c->unread);
	json_str(j, "status", c->status);
	json_str(j, "error", c->error);
	json_close(j, '}');
}

static bool write_json(int code)
{
	uint64_t n = 0, ok = 0, failed = 0, badhdr = 0, intr = 0, asked = 0;
	int64_t first, last, mismatch = -1;
	const struct conn *c, *gapc = NULL;
	unsigned int max_sf = 0;
	struct afile *a = &json_out;
	struct json j;
	uint64_t bytes;

	for (c = conns; c; c = c->next) {
		n++;
		if (!strcmp(c->status, "ok"))
			ok++;
		else if (!strcmp(c->status, "bad_header"))
			badhdr++;
		else if (!strcmp(c->status, "interrupted"))
			intr++;
		else if (!strcmp(c->status, "aborted") ||
			 !strcmp(c->status, "closed_unread"))
			asked++;
		else
			failed++;
		if (mismatch < 0)
			mismatch = c->rx.mismatch;
		max_sf = MAX(max_sf, c->max_subflows);
		if (c->rx.gap.last_us &&
		    (!gapc || c->rx.gap.max_us > gapc->rx.gap.max_us))
			gapc = c;
	}
	/* Goodput is measured on what we received, or sent if nothing was. */
	first = tot_rx ? first_rx_us : first_tx_us;
	last = tot_rx ? last_rx_us : last_tx_us;
	bytes = tot_rx ? tot_rx : tot_tx;

	json_init(&j, a->f);
	json_open(&j, NULL, '{');
	json_str(&j, "role", "server");
	json_str(&j, "protocol", listener_mptcp ? "mptcp" : "tcp");
	json_str(&j, "requested", cfg_mptcp ? "mptcp" : "tcp");
	json_str(&j, "fallback_reason", listener_why[0] ? listener_why : NULL);
	json_str(&j, "listen", listen_str);
	json_uint(&j, "connections", n);
	json_uint(&j, "ok", ok);
	json_uint(&j, "failed", failed);
	json_uint(&j, "bad_header", badhdr);
	json_uint(&j, "interrupted", intr);
	json_uint(&j, "closed_as_asked", asked);
	json_uint(&j, "bytes_received", tot_rx);
	json_uint(&j, "bytes_sent", tot_tx);
	json_opt_ms(&j, "first_byte_ms", first);
	json_opt_ms(&j, "last_byte_ms", last);
	json_num(&j, "duration_ms", (last - first) / 1000.0);
	json_num(&j, "goodput_mbps", mbps(bytes, last - first));
	json_gap(&j, gapc ? &gapc->rx.gap : NULL);
	json_uint(&j, "max_subflows", max_sf);
	json_int(&j, "mismatch_offset", mismatch);
	json_str(&j, "status", exit_status(code));
	json_int(&j, "exit_code", code);
	json_open(&j, "conns", '[');
	for (c = conns; c; c = c->next)
		json_conn(&j, c);
	json_close(&j, ']');
	json_close(&j, '}');
	fputc('\n', a->f);
	return afile_commit(a);
}

int main(int argc, char **argv)
{
	static int listen_tag, signal_tag, control_tag;
	struct epoll_event evs[64];
	int64_t now, stop_us = 0, last_tick = 0;
	int lfd, sfd, n, i, timeout, code;
	const char *stop_why = NULL;
	struct conn *c;

	prog_name = "mptcp-server";
	parse_opts(argc, argv);
	clock_init();
	signal(SIGPIPE, SIG_IGN);
	rx_buf = xmalloc_aligned(RX_BUF_LEN);
	if (cfg_timeline) {
		tl.f = out_open(cfg_timeline, "--timeline");
		tl.path = cfg_timeline;
	}
	if (cfg_json && !afile_open(&json_out, cfg_json))
		die(EXIT_LOCAL, "--json %s: cannot write", cfg_json);

	sfd = signal_fd();
	lfd = listen_socket();
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		die(EXIT_LOCAL, "epoll_create1: %s", strerror(errno));
	xepoll_ctl(epfd, EPOLL_CTL_ADD, lfd, EPOLLIN, &listen_tag);
	xepoll_ctl(epfd, EPOLL_CTL_ADD, sfd, EPOLLIN, &signal_tag);
	ntf_open("server", cfg_events, cfg_control);
	if (ntf_control_fd() >= 0)
		xepoll_ctl(epfd, EPOLL_CTL_ADD, ntf_control_fd(), EPOLLIN,
			   &control_tag);
	warnx("listening on %s (%s)", listen_str,
	      listener_mptcp ? "mptcp" : "tcp");
	/* Last, so the harness never connects before we can accept. */
	if (cfg_ready && !write_ready_file(cfg_ready, listen_port))
		die(EXIT_LOCAL, "--ready %s: cannot write the port", cfg_ready);
	now = now_us();
	ntf_emit(now, "listening", "%u", listen_port);
	if (cfg_timeout_ms)
		stop_us = now + cfg_timeout_ms * 1000LL;

	while (!stop_why) {
		/* Events a full pipe refused are retried on the tick. */
		timeout = n_active || ntf_flush() ? TICK_MS : -1;
		if (stop_us) {
			int64_t left = (stop_us - now + 999) / 1000;

			if (timeout < 0 || left < timeout)
				timeout = left > 0 ? left : 0;
		}
		n = epoll_wait(epfd, evs, ARRAY_SIZE(evs), timeout);
		if (n < 0 && errno != EINTR)
			die(EXIT_LOCAL, "epoll_wait: %s", strerror(errno));
		now = now_us();
		for (i = 0; i < n; i++) {
			if (evs[i].data.ptr == &listen_tag) {
				accept_all(lfd, now);
			} else if (evs[i].data.ptr == &control_tag) {
				ntf_control_read(now, tot_rx, tot_tx,
						 control_cmd);
			} else if (evs[i].data.ptr == &signal_tag) {
				struct signalfd_siginfo si;

				if (read(sfd, &si, sizeof(si)) == sizeof(si))
					stop_why = si.ssi_signo == SIGINT ?
						   "SIGINT" : "SIGTERM";
			} else {
				conn_event(evs[i].data.ptr, evs[i].events, now);
			}
		}
		if (now - last_tick >= 1000 || !n) {
			tick(now);
			last_tick = now;
		}
		if (cfg_count && n_finished >= cfg_count)
			break;
		if (stop_us && now >= stop_us) {
			stop_why = "timeout";
			timed_out = n_active || (cfg_count &&
						 n_finished < cfg_count);
		}
	}

	now = now_us();
	for (c = conns; c; c = c->next) {
		if (c->state == ST_CLOSED)
			continue;
		if (timed_out)
			conn_fail(c, "timeout", "still running at --timeout %u ms",
				  cfg_timeout_ms);
		else
			c->status = "interrupted";
		conn_close(c, now);
	}
	tl_close(&tl);
	close(lfd);

	code = exit_code();
	if (cfg_json && !write_json(code) && code == EXIT_OK)
		code = EXIT_LOCAL;
	ntf_emit(now_us(), "done", "%d %s %llu %llu", code, exit_status(code),
		 (unsigned long long)tot_rx, (unsigned long long)tot_tx);
	for (i = 0; i < 200 && ntf_flush(); i++)
		usleep(5000);
	warnx("%llu connections: %llu received, %llu sent, exit %d (%s)%s%s",
	      (unsigned long long)n_finished, (unsigned long long)tot_rx,
	      (unsigned long long)tot_tx, code, exit_status(code),
	      stop_why ? ", stopped by " : "", stop_why ? stop_why : "");
	return code;
}
