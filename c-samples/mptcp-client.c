// SPDX-License-Identifier: GPL-2.0
/*
 * mptcp-client: open one or more MPTCP (or TCP) connections to
 * mptcp-server, move pattern bytes in the chosen direction(s), verify what
 * comes back, watch the subflows while it runs and report as JSON.
 * One thread, one epoll loop, non-blocking sockets.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

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
#define IO_BURST	8	/* syscalls per event before serving others */
/*
 * --rate: a token bucket per connection.  It holds at most PACE_BURST
 * bytes, and a paused connection waits for PACE_RESUME of them, which
 * the loop (awake every TICK_MS) hands out.
 */
#define PACE_BURST	(16 * 1024)
#define PACE_RESUME	(4 * 1024)
#define MAX_CONNS	1024	/* each holds a ~192 KiB pattern table */
#define SF_EVENT_CONNS	8	/* connections whose subflows are events */

static bool cfg_mptcp = true;
static const char *cfg_host;
static const char *cfg_port;
static const char *cfg_bind;
static uint64_t cfg_bytes = 16u << 20;
static bool cfg_bytes_set;
static unsigned int cfg_duration_ms;
static uint32_t cfg_seed = 1;
static int cfg_mode = MODE_UPLOAD;
static unsigned int cfg_conns = 1;
static int64_t cfg_corrupt_at = -1;
static int64_t cfg_skip_at = -1;
/* --skip-at leaves this many pattern bytes out: a segment lost for good. */
#define SKIP_LEN	1000
static const char *cfg_json;
static const char *cfg_info;
static const char *cfg_timeline;
static unsigned int cfg_info_interval_ms = 100;
static unsigned int cfg_connect_timeout_ms = 5000;
static unsigned int cfg_timeout_ms;
static bool cfg_require_mptcp;
static bool cfg_stream;
static const char *cfg_events;
static const char *cfg_control;
static const char *cfg_cc;
static uint64_t cfg_rate_bps;	/* --rate: 0 = as fast as the socket takes */

enum cstate {
	CS_CONNECTING,
	CS_ACTIVE,
	CS_DONE,
};

struct cconn {
	int idx;
	int fd;
	enum cstate state;
	uint32_t seed;
	uint32_t events;
	int64_t start_us, est_us, end_us, tx_deadline_us, next_info_us;
	char local[ADDR_STRLEN];

	uint8_t hdr[HDR_LEN];
	size_t hdr_sent;
	uint8_t *tab;

	bool tx_on;		/* we send payload (upload, bidir) */
	bool tx_done;
	uint64_t tx_bytes;
	int64_t pace_tokens;	/* --rate: bytes this connection may send */
	int64_t pace_us;	/* when the bucket was last filled */
	bool paced;		/* paused by --rate: EPOLLOUT off */

	bool rx_on;		/* we receive payload (download, bidir) */
	bool rx_eof;
	struct rx_dir rx;

	uint8_t resbuf[RES_LEN];	/* upload: the server's verdict */
	size_t res_have;
	bool res_done;
	int64_t peer_mismatch;

	bool mptcp;
	const char *fallback_reason;
	char cc[16];		/* congestion control, as the socket says */
	unsigned int max_subflows, end_subflows;
	unsigned int mptcpi_subflows;	/* raw, last seen */
	bool end_sampled;
	uint64_t sf_sig;	/* the live subflows last reported as an event */

	const char *status;
	char *error;
};

static struct cconn *cc;
static unsigned int n_open;
static int epfd;
static struct addrinfo *dst;
static struct sockaddr_storage bind_ss;
static socklen_t bind_len;
static char dst_str[ADDR_STRLEN];
static bool sock_mptcp;
static char sock_why[128];
static struct timeline tl;
static struct afile json_out;	/* opened at start: fail before the run */
static FILE *info_f;
static int64_t stop_us;
static bool finishing;		/* --stream: told to finish */
static uint64_t rx_total, tx_total;

static void __noreturn usage(int code)
{
	FILE *f = code ? stderr : stdout;

	fprintf(f,
"Usage: mptcp-client [options] HOST PORT\n"
"Transfer pattern bytes to/from mptcp-server and verify them.\n"
"\n"
"  -t, --type mptcp|tcp        socket protocol (default mptcp; falls back to\n"
"                              TCP if the kernel has no usable MPTCP)\n"
"  -B, --bind ADDR             local address to bind to\n"
"  -m, --mode MODE             upload, download or bidir (default upload)\n"
"  -b, --bytes N[K|M|G]        payload per direction (default 16M, binary)\n"
"  -d, --duration MS           send for MS instead of a byte count\n"
"      --stream                send until told to finish (control command\n"
"                              'finish'), whatever the count\n"
"  -s, --seed N                pattern seed (default 1; connection i uses N+i)\n"
"  -c, --connections N         parallel connections (default 1)\n"
"      --corrupt-at OFFSET     flip the byte at OFFSET of connection 0's\n"
"                              upload (proves the check can fail)\n"
"      --skip-at OFFSET        leave 1000 bytes of the pattern out at OFFSET\n"
"                              of connection 0's upload, as a lost segment\n"
"  -j, --json FILE             summary JSON at exit (\"-\" = stdout)\n"
"      --info FILE             JSON line per connection per poll\n"
"      --info-interval MS      subflow polling period (default 100)\n"
"      --timeline FILE         download/bidir: bytes received per 10 ms bin\n"
"      --connect-timeout MS    per connection (default 5000)\n"
"      --timeout MS            whole run (default 0 = none)\n"
"      --require-mptcp         exit 8 if a connection ended up plain TCP\n"
"      --cc NAME               TCP congestion control of the sockets\n"
"      --rate R                send at most R bit/s per connection (N,\n"
"                              Nk, Nm, Ng, or Nkbit...; default: no limit),\n"
"                              paced by the application as a slow sender\n"
"                              would be, so that no queue on the paths fills\n"
"      --events FILE           progress events, one line each (a FIFO)\n"
"      --control FILE          commands from the harness (a FIFO): mark N,\n"
"                              now, sample, finish, abort (close every\n"
"                              connection with SO_LINGER 0: MP_FASTCLOSE)\n"
"  -h, --help                  this text\n"
"\n"
"Exit codes (first match wins):\n"
"  4 data mismatch (found here, or reported by the server for an upload)\n"
"  3 socket or connect error\n"
"  7 peer closed early, truncated transfer, reset or other I/O error\n"
"  6 --timeout expired, or interrupted by SIGINT/SIGTERM\n"
"  8 --require-mptcp and a connection is plain TCP\n"
"  0 ok\n"
"  2 usage error, 1 local error (output files, memory)\n");
	exit(code);
}

static void parse_opts(int argc, char **argv)
{
	enum {
		OPT_CORRUPT = 256, OPT_INFO, OPT_INFO_INTERVAL, OPT_TIMELINE,
		OPT_CONNECT_TIMEOUT, OPT_TIMEOUT, OPT_REQUIRE, OPT_STREAM,
		OPT_EVENTS, OPT_CONTROL, OPT_CC, OPT_SKIP, OPT_RATE,
	};
	static const struct option opts[] = {
		{ "type", required_argument, NULL, 't' },
		{ "bind", required_argument, NULL, 'B' },
		{ "mode", required_argument, NULL, 'm' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "duration", required_argument, NULL, 'd' },
		{ "seed", required_argument, NULL, 's' },
		{ "connections", required_argument, NULL, 'c' },
		{ "corrupt-at", required_argument, NULL, OPT_CORRUPT },
		{ "skip-at", required_argument, NULL, OPT_SKIP },
		{ "json", required_argument, NULL, 'j' },
		{ "info", required_argument, NULL, OPT_INFO },
		{ "info-interval", required_argument, NULL, OPT_INFO_INTERVAL },
		{ "timeline", required_argument, NULL, OPT_TIMELINE },
		{ "connect-timeout", required_argument, NULL,
		  OPT_CONNECT_TIMEOUT },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "require-mptcp", no_argument, NULL, OPT_REQUIRE },
		{ "stream", no_argument, NULL, OPT_STREAM },
		{ "events", required_argument, NULL, OPT_EVENTS },
		{ "control", required_argument, NULL, OPT_CONTROL },
		{ "cc", required_argument, NULL, OPT_CC },
		{ "rate", required_argument, NULL, OPT_RATE },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	int c;

	while ((c = getopt_long(argc, argv, "t:B:m:b:d:s:c:j:h", opts,
				NULL)) != -1) {
		switch (c) {
		case 't':
			cfg_mptcp = opt_proto("--type", optarg);
			break;
		case 'B':
			cfg_bind = optarg;
			break;
		case 'm':
			cfg_mode = mode_parse(optarg);
			if (cfg_mode < 0)
				die_usage("--mode: expected upload, download or bidir, got '%s'",
					  optarg);
			break;
		case 'b':
			cfg_bytes = opt_size("--bytes", optarg);
			cfg_bytes_set = true;
			break;
		case 'd':
			cfg_duration_ms = opt_uint("--duration", optarg,
						   UINT32_MAX);
			if (!cfg_duration_ms)
				die_usage("--duration must be > 0");
			break;
		case 's':
			cfg_seed = opt_uint("--seed", optarg, UINT32_MAX);
			break;
		case 'c':
			cfg_conns = opt_uint("--connections", optarg,
					     MAX_CONNS);
			if (!cfg_conns)
				die_usage("--connections must be > 0");
			break;
		case OPT_CORRUPT:
			cfg_corrupt_at = opt_uint("--corrupt-at", optarg,
						  INT64_MAX);
			break;
		case OPT_SKIP:
			cfg_skip_at = opt_uint("--skip-at", optarg, INT64_MAX);
			break;
		case 'j':
			cfg_json = optarg;
			break;
		case OPT_INFO:
			cfg_info = optarg;
			break;
		case OPT_INFO_INTERVAL:
			cfg_info_interval_ms = opt_uint("--info-interval",
							optarg, INT32_MAX);
			if (!cfg_info_interval_ms)
				die_usage("--info-interval must be > 0");
			break;
		case OPT_TIMELINE:
			cfg_timeline = optarg;
			break;
		case OPT_CONNECT_TIMEOUT:
			cfg_connect_timeout_ms = opt_uint("--connect-timeout",
							  optarg, INT32_MAX);
			break;
		case OPT_TIMEOUT:
			cfg_timeout_ms = opt_uint("--timeout", optarg,
						  INT32_MAX);
			break;
		case OPT_REQUIRE:
			cfg_require_mptcp = true;
			break;
		case OPT_STREAM:
			cfg_stream = true;
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
		case OPT_RATE:
			cfg_rate_bps = opt_rate("--rate", optarg);
			break;
		case 'h':
			usage(EXIT_OK);
		default:
			die_usage("bad command line");
		}
	}
	if (argc - optind != 2)
		die_usage("expected HOST PORT, got %d argument(s)",
			  argc - optind);
	cfg_host = argv[optind];
	cfg_port = argv[optind + 1];
	opt_uint("PORT", cfg_port, 65535);

	if (cfg_bytes_set && cfg_duration_ms)
		die_usage("--bytes and --duration are mutually exclusive");
	if (cfg_stream && (cfg_bytes_set || cfg_duration_ms))
		die_usage("--stream excludes --bytes and --duration: the harness ends the transfer");
	if (cfg_stream && !cfg_control)
		die_usage("--stream needs --control: nothing could tell it to finish");
	if (cfg_duration_ms || cfg_stream)
		cfg_bytes = LEN_UNLIMITED;
	if (cfg_skip_at >= 0 && cfg_corrupt_at >= 0)
		die_usage("--skip-at and --corrupt-at exclude each other");
	if (cfg_skip_at >= 0 && cfg_mode == MODE_DOWNLOAD)
		die_usage("--skip-at needs --mode upload or bidir (it alters what we send)");
	if (cfg_corrupt_at >= 0 && cfg_mode == MODE_DOWNLOAD)
		die_usage("--corrupt-at needs --mode upload or bidir (it alters what we send)");
	if (cfg_skip_at >= 0 && (uint64_t)cfg_skip_at >= cfg_bytes)
		die_usage("--skip-at %lld is beyond the %llu bytes sent",
			  (long long)cfg_skip_at, (unsigned long long)cfg_bytes);
	if (cfg_corrupt_at >= 0 && (uint64_t)cfg_corrupt_at >= cfg_bytes)
		die_usage("--corrupt-at %lld is beyond the %llu bytes sent",
			  (long long)cfg_corrupt_at,
			  (unsigned long long)cfg_bytes);
}

/* Accept "[v6]" as well as a bare literal or a name. */
static struct addrinfo *resolve(const char *what, const char *host,
				const char *port, int family, int flags)
{
	struct addrinfo hints = {
		.ai_family = family,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICSERV | flags,
	};
	struct addrinfo *res;
	char buf[256];
	size_t len = strlen(host);
	int rc;

	if (len >= 2 && len < sizeof(buf) && host[0] == '[' &&
	    host[len - 1] == ']') {
		memcpy(buf, host + 1, len - 2);
		buf[len - 2] = '\0';
		host = buf;
	}
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc && family != AF_UNSPEC)
		die_usage("%s '%s': %s (the --bind address is IPv%c)", what,
			  host, gai_strerror(rc),
			  family == AF_INET6 ? '6' : '4');
	if (rc)
		die_usage("%s '%s': %s", what, host, gai_strerror(rc));
	return res;
}

static void setup_addresses(void)
{
	struct addrinfo *b = NULL;
	int family = AF_UNSPEC;

	if (cfg_bind) {
		b = resolve("--bind", cfg_bind, "0", AF_UNSPEC,
			    AI_NUMERICHOST | AI_PASSIVE);
		family = b->ai_family;
		memcpy(&bind_ss, b->ai_addr, b->ai_addrlen);
		bind_len = b->ai_addrlen;
		freeaddrinfo(b);
	}
	dst = resolve("HOST", cfg_host, cfg_port, family, 0);
	sa_str(dst->ai_addr, dst_str, sizeof(dst_str));
}

static void conn_set_events(struct cconn *c, uint32_t events)
{
	if (c->events == events)
		return;
	c->events = events;
	xepoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, events, c);
}

static void write_info(struct cconn *c, const struct mp_sample *s,
		       int64_t now)
{
	struct json j;

	json_init(&j, info_f);
	json_open(&j, NULL, '{');
	json_int(&j, "t_ms", epoch_ms(now));
	json_int(&j, "conn", c->idx);
	json_str(&j, "protocol", s->mptcp ? "mptcp" : "tcp");
	json_bool(&j, "fallback", sock_mptcp && !s->mptcp);
	json_uint(&j, "mptcpi_subflows", s->mptcpi_subflows);
	json_uint(&j, "subflows", s->subflows);
	json_uint(&j, "bytes_sent", c->tx_bytes);
	json_uint(&j, "bytes_received", c->rx.bytes);
	if (s->has_bytes_acked)
		json_uint(&j, "bytes_acked", s->bytes_acked);
	else
		json_null(&j, "bytes_acked");
	json_sf_list(&j, s);
	json_close(&j, '}');
	fputc('\n', info_f);
	/* The harness tails this file while we run. */
	fflush(info_f);
}

/* A subflow is live when established; a closed initial one stays listed. */
static bool sf_live(const struct sf_info *sf)
{
	size_t n = strlen(sf->remote);

	if (sf->has_tcpi && sf->state != MPTH_TCP_ESTABLISHED)
		return false;
	return !(n >= 2 && !strcmp(sf->remote + n - 2, ":0"));
}

/*
 * "subflows T CONN N PAIRS": the live subflows, as local>remote pairs
 * separated by commas ("-" for none), whenever the set changes.
 */
static void sf_event(struct cconn *c, const struct mp_sample *s, int64_t now)
{
	char pairs[SF_LIST_MAX * (2 * ADDR_STRLEN + 2) + 2];
	uint64_t sig = 1469598103934665603ull;	/* FNV-1a */
	unsigned int i, live = 0;
	size_t len = 0;
	const char *p;

	pairs[0] = '\0';
	for (i = 0; i < s->nlist; i++) {
		if (!sf_live(&s->list[i]))
			continue;
		len += snprintf(pairs + len, sizeof(pairs) - len, "%s%s>%s",
				live ? "," : "", s->list[i].local,
				s->list[i].remote);
		live++;
	}
	if (!s->nlist)
		live = s->subflows;
	for (p = pairs; *p; p++)
		sig = (sig ^ (uint8_t)*p) * 1099511628211ull;
	sig ^= live;
	if (sig == c->sf_sig)
		return;
	c->sf_sig = sig;
	ntf_emit(now, "subflows", "%d %u %s", c->idx, live,
		 pairs[0] ? pairs : "-");
}

static void conn_sample(struct cconn *c, int64_t now, bool log)
{
	bool ev = ntf_enabled() && c->idx < SF_EVENT_CONNS;
	struct mp_sample s;

	mp_sample(c->fd, &s, (log && info_f) || ev);
	if (ev)
		sf_event(c, &s, now);
	if (c->mptcp && !s.mptcp) {
		c->mptcp = false;
		c->fallback_reason = "fell back to TCP during the transfer";
	}
	c->max_subflows = MAX(c->max_subflows, s.subflows);
	c->end_subflows = s.subflows;
	c->mptcpi_subflows = s.mptcpi_subflows;
	if (log && info_f)
		write_info(c, &s, now);
}

static void conn_close(struct cconn *c, int64_t now)
{
	if (c->state == CS_DONE)
		return;
	if (c->state == CS_ACTIVE && !c->end_sampled)
		conn_sample(c, now, false);
	close(c->fd);
	c->fd = -1;
	c->state = CS_DONE;
	c->end_us = now;
	free(c->tab);
	c->tab = NULL;
	n_open--;
}

static void __printf(3, 4) conn_fail(struct cconn *c, const char *status,
				     const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	/* The first failure is the one that matters; the rest follow from it. */
	if (c->error)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->status = status;
	c->error = xstrdup(msg);
	warnx("connection %d to %s: %s", c->idx, dst_str, msg);
}

/* The numbers that matter are those when the data is done, before close. */
static void conn_data_done(struct cconn *c, int64_t now)
{
	conn_sample(c, now, true);
	c->end_sampled = true;
}

static void conn_check_done(struct cconn *c, int64_t now)
{
	if (c->tx_done && c->rx_eof && (c->rx_on || c->res_done))
		conn_close(c, now);
}

static void conn_established(struct cconn *c, int64_t now)
{
	struct mp_sample s;
	struct hdr h = {
		.version = HDR_VERSION,
		.mode = cfg_mode,
		.flags = cfg_stream && cfg_mode != MODE_UPLOAD ?
			 HDR_FLAG_UNTIL_EOF : 0,
		.seed = c->seed,
		.duration_ms = cfg_duration_ms,
		.length = cfg_bytes,
	};
	char remote[ADDR_STRLEN];

	c->state = CS_ACTIVE;
	c->est_us = now;
	c->next_info_us = now;
	sock_names(c->fd, c->local, remote, sizeof(remote));
	sock_get_cc(c->fd, c->cc, sizeof(c->cc));

	/* A client learns about the fallback from the SYN/ACK, i.e. by now. */
	mp_sample(c->fd, &s, false);
	c->mptcp = s.mptcp;
	c->max_subflows = s.subflows;
	if (sock_mptcp && !s.mptcp)
		c->fallback_reason = "peer did not answer MP_CAPABLE";

	hdr_encode(&h, c->hdr);
	c->tab = pat_new(c->seed);
	c->tx_on = cfg_mode != MODE_DOWNLOAD;
	c->rx_on = cfg_mode != MODE_UPLOAD;
	if (cfg_duration_ms)
		c->tx_deadline_us = now + cfg_duration_ms * 1000LL;
	conn_set_events(c, EPOLLIN | EPOLLOUT);
	if (c->idx < SF_EVENT_CONNS)
		ntf_emit(now, "connected", "%d %s %s", c->idx, c->local,
			 c->mptcp ? "mptcp" : "tcp");
}

static void conn_connecting(struct cconn *c, int64_t now)
{
	socklen_t len = sizeof(int);
	int err = 0;

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len))
		err = errno;
	if (err) {
		conn_fail(c, "connect_error", "connect: %s", strerror(err));
		conn_close(c, now);
		return;
	}
	conn_established(c, now);
}

static void conn_tx_finish(struct cconn *c, int64_t now)
{
	c->tx_done = true;
	/*
	 * Download has nothing to send after the header, but we do not
	 * half-close: the connection stays plainly established, as a real
	 * application's would, until the server is done.  In --stream mode
	 * our half-close is what tells the server to finish.
	 */
	if ((c->tx_on || cfg_stream) && shutdown(c->fd, SHUT_WR) &&
	    errno != ENOTCONN) {
		conn_fail(c, "error", "shutdown: %s", strerror(errno));
		conn_close(c, now);
		return;
	}
	conn_set_events(c, EPOLLIN);
	conn_check_done(c, now);
}

/*
 * An abortive close, as an application that gives up does it: SO_LINGER
 * with a zero timeout, then close(). With unsent or unacknowledged data
 * MPTCP answers with MP_FASTCLOSE (RFC 8684 3.5), plain TCP with a RST.
 */
static void conn_abort(struct cconn *c, int64_t now)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg))) {
		conn_fail(c, "error", "SO_LINGER: %s", strerror(errno));
		conn_close(c, now);
		return;
	}
	warnx("connection %d to %s: aborted after %llu bytes, as asked",
	      c->idx, dst_str, (unsigned long long)c->tx_bytes);
	c->status = "aborted";
	conn_data_done(c, now);
	conn_close(c, now);
}

/* --rate: fill the bucket for the time since it was last filled. */
static void pace_fill(struct cconn *c, int64_t now)
{
	int64_t add;

	if (!c->pace_us) {
		c->pace_us = now;
		c->pace_tokens = PACE_BURST;
		return;
	}
	add = (int64_t)(cfg_rate_bps / 8 * (uint64_t)(now - c->pace_us) /
			1000000);
	if (add <= 0)
		return;
	c->pace_tokens = MIN(c->pace_tokens + add, PACE_BURST);
	c->pace_us = now;
}

/* --rate: writable connections whose bucket has refilled send again. */
static void pace_resume(int64_t now)
{
	unsigned int i;
	struct cconn *c;

	for (i = 0; i < cfg_conns; i++) {
		c = &cc[i];
		if (!c->paced || c->state != CS_ACTIVE || c->tx_done)
			continue;
		pace_fill(c, now);
		if (c->pace_tokens < PACE_RESUME)
			continue;
		c->paced = false;
		conn_set_events(c, EPOLLIN | EPOLLOUT);
	}
}

static void conn_writable(struct cconn *c, int64_t now)
{
	int64_t corrupt = c->idx == 0 ? cfg_corrupt_at : -1;
	int64_t skip = c->idx == 0 ? cfg_skip_at : -1;
	uint64_t left, pat_off;
	ssize_t n;
	int i;

	for (i = 0; i < IO_BURST && c->state == CS_ACTIVE && !c->tx_done;
	     i++) {
		if (c->hdr_sent < HDR_LEN) {
			n = send(c->fd, c->hdr + c->hdr_sent,
				 HDR_LEN - c->hdr_sent, MSG_NOSIGNAL);
		} else if (cfg_stream ? finishing :
			   !c->tx_on || c->tx_bytes >= cfg_bytes ||
			   (c->tx_deadline_us && now >= c->tx_deadline_us)) {
			conn_tx_finish(c, now);
			return;
		} else if (!c->tx_on) {
			/* --stream download: nothing to send until finish. */
			conn_set_events(c, EPOLLIN);
			return;
		} else {
			left = cfg_bytes - c->tx_bytes;
			pat_off = c->tx_bytes;
			if (cfg_rate_bps) {
				pace_fill(c, now);
				if (c->pace_tokens <= 0) {
					c->paced = true;
					conn_set_events(c, EPOLLIN);
					return;
				}
				left = MIN(left, (uint64_t)c->pace_tokens);
			}
			if (skip >= 0 && c->tx_bytes < (uint64_t)skip)
				left = MIN(left, (uint64_t)skip - c->tx_bytes);
			else if (skip >= 0)
				pat_off += SKIP_LEN;
			n = pat_send(c->fd, c->tab, pat_off, left, corrupt);
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			conn_fail(c, "error", "send after %llu bytes: %s",
				  (unsigned long long)c->tx_bytes,
				  strerror(errno));
			conn_close(c, now);
			return;
		}
		if (c->hdr_sent < HDR_LEN) {
			c->hdr_sent += n;
		} else {
			c->tx_bytes += n;
			tx_total += n;
			c->pace_tokens -= n;
		}
	}
}

static void conn_result(struct cconn *c, int64_t now)
{
	char why[128];
	struct res r;

	if (res_parse(c->resbuf, RES_LEN, &r, why, sizeof(why)) != PARSE_OK) {
		conn_fail(c, "error", "bad result from server: %s", why);
		conn_close(c, now);
		return;
	}
	c->res_done = true;
	conn_data_done(c, now);
	switch (r.status) {
	case RES_OK:
		if (r.bytes != c->tx_bytes)
			conn_fail(c, "truncated",
				  "server received %llu of the %llu bytes we sent",
				  (unsigned long long)r.bytes,
				  (unsigned long long)c->tx_bytes);
		break;
	case RES_MISMATCH:
		c->peer_mismatch = r.mismatch;
		conn_fail(c, "mismatch",
			  "server found a data mismatch at payload offset %llu",
			  (unsigned long long)r.mismatch);
		break;
	case RES_TRUNCATED:
		conn_fail(c, "truncated",
			  "server reports a truncated upload (%llu bytes)",
			  (unsigned long long)r.bytes);
		break;
	default:
		conn_fail(c, "error", "server reports an error after %llu bytes",
			  (unsigned long long)r.bytes);
		break;
	}
	/* No point sending more once the server has given up. */
	if (!c->tx_done)
		conn_tx_finish(c, now);
}

static void conn_rx_eof(struct cconn *c, int64_t now)
{
	c->rx_eof = true;
	if (!c->rx_on && !c->res_done) {
		if (c->tx_done)
			conn_fail(c, "truncated",
				  "server closed without a result after we sent %llu bytes",
				  (unsigned long long)c->tx_bytes);
		else
			conn_fail(c, "truncated",
				  "server closed after we sent %llu bytes",
				  (unsigned long long)c->tx_bytes);
		conn_close(c, now);
		return;
	}
	if (c->rx_on) {
		if (cfg_stream && !finishing) {
			conn_fail(c, "truncated",
				  "server closed after %llu bytes, before we finished",
				  (unsigned long long)c->rx.bytes);
			conn_close(c, now);
			return;
		}
		if (cfg_bytes != LEN_UNLIMITED && c->rx.bytes < cfg_bytes) {
			conn_fail(c, "truncated",
				  "server closed after %llu of %llu bytes",
				  (unsigned long long)c->rx.bytes,
				  (unsigned long long)cfg_bytes);
			conn_close(c, now);
			return;
		}
		/*
		 * The server starts its clock when our header arrives, after
		 * we started ours, so a healthy one never ends before us.
		 */
		if (cfg_duration_ms &&
		    now < c->est_us + cfg_duration_ms * 1000LL) {
			conn_fail(c, "truncated",
				  "server closed after %lld of %u ms (%llu bytes)",
				  (long long)(now - c->est_us) / 1000,
				  cfg_duration_ms,
				  (unsigned long long)c->rx.bytes);
			conn_close(c, now);
			return;
		}
		conn_data_done(c, now);
	}
	conn_check_done(c, now);
}

static void conn_rx_data(struct cconn *c, size_t n, int64_t now)
{
	enum rx_verdict rc;
	size_t use = n;
	char why[256];

	rc = rx_verify(&c->rx, c->fd, c->tab, rx_buf, &use, now, why,
		       sizeof(why));
	rx_total += use;
	tl_add(&tl, now, use);
	ntf_rx(rx_total, now);
	if (rc == RX_MISMATCH) {
		conn_fail(c, "mismatch", "%s", why);
		conn_close(c, now);
	} else if (rc == RX_OVERRUN) {
		conn_fail(c, "error", "server sent more than %llu bytes",
			  (unsigned long long)cfg_bytes);
		conn_close(c, now);
	}
}

static void conn_readable(struct cconn *c, int64_t now)
{
	uint8_t *buf;
	size_t want;
	ssize_t n;
	int i;

	for (i = 0; i < IO_BURST && c->state == CS_ACTIVE && !c->rx_eof;
	     i++) {
		/* Upload: read exactly the result record, then expect EOF. */
		if (!c->rx_on && !c->res_done) {
			buf = c->resbuf + c->res_have;
			want = RES_LEN - c->res_have;
		} else {
			buf = rx_buf;
			want = RX_BUF_LEN;
		}
		n = recv(c->fd, buf, want, 0);
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
		if (c->rx_on) {
			conn_rx_data(c, n, now);
			if (n < (ssize_t)want)
				return;
		} else if (!c->res_done) {
			c->res_have += n;
			if (c->res_have == RES_LEN)
				conn_result(c, now);
		} else {
			conn_fail(c, "error",
				  "server sent %zd unexpected bytes after its result",
				  n);
			conn_close(c, now);
			return;
		}
	}
}

static void conn_event(struct cconn *c, uint32_t events, int64_t now)
{
	if (c->state == CS_CONNECTING) {
		conn_connecting(c, now);
		return;
	}
	/* Errors and hangups surface through the recv()/send() below. */
	if (c->state == CS_ACTIVE && (events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
		conn_readable(c, now);
	if (c->state == CS_ACTIVE && !c->tx_done &&
	    (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
		conn_writable(c, now);
}

static void conn_start(struct cconn *c, int64_t now)
{
	bool got_mptcp;
	int fd;

	c->start_us = now;
	fd = sock_create(dst->ai_family, cfg_mptcp, &got_mptcp, sock_why,
			 sizeof(sock_why));
	if (fd < 0)
		die(EXIT_SOCKET, "socket(%s): %s",
		    cfg_mptcp ? "IPPROTO_MPTCP" : "IPPROTO_TCP",
		    strerror(errno));
	if (c->idx == 0) {
		sock_mptcp = got_mptcp;
		if (sock_why[0])
			warnx("MPTCP socket not available, using TCP: %s",
			      sock_why);
	}
	c->fd = fd;
	n_open++;
	/* Before connect: the first segment already uses it. */
	if (cfg_cc) {
		int err = sock_set_cc(fd, cfg_cc);

		if (err)
			die(EXIT_SOCKET, "--cc %s: %s", cfg_cc, strerror(err));
	}
	if (bind_len && bind(fd, (struct sockaddr *)&bind_ss, bind_len)) {
		char a[ADDR_STRLEN];

		sa_str((struct sockaddr *)&bind_ss, a, sizeof(a));
		conn_fail(c, "connect_error", "bind %s: %s", a,
			  strerror(errno));
		close(fd);
		c->fd = -1;
		c->state = CS_DONE;
		c->end_us = now;
		n_open--;
		return;
	}
	c->events = EPOLLOUT;
	xepoll_ctl(epfd, EPOLL_CTL_ADD, fd, EPOLLOUT, c);
	if (!connect(fd, dst->ai_addr, dst->ai_addrlen)) {
		conn_established(c, now);
		return;
	}
	if (errno != EINPROGRESS) {
		conn_fail(c, "connect_error", "connect: %s", strerror(errno));
		conn_close(c, now);
	}
}

static void tick(int64_t now)
{
	bool receiving = false;
	unsigned int i;
	struct cconn *c;

	for (i = 0; i < cfg_conns; i++) {
		c = &cc[i];
		if (c->state == CS_CONNECTING &&
		    now - c->start_us >= cfg_connect_timeout_ms * 1000LL) {
			conn_fail(c, "connect_error",
				  "connect: timed out after %u ms",
				  cfg_connect_timeout_ms);
			conn_close(c, now);
		}
		if (c->state != CS_ACTIVE)
			continue;
		/* A full send buffer would hide the deadline. */
		if (!c->tx_done && c->hdr_sent == HDR_LEN &&
		    c->tx_deadline_us && now >= c->tx_deadline_us)
			conn_tx_finish(c, now);
		if (c->state == CS_ACTIVE && now >= c->next_info_us) {
			conn_sample(c, now, true);
			c->next_info_us = now + cfg_info_interval_ms * 1000LL;
		}
		if (c->rx_on && !c->rx_eof)
			receiving = true;
	}
	if (receiving)
		tl_tick(&tl, now);
}

/* --stream: stop sending (upload, bidir) or tell the server to (download). */
static void finish_all(int64_t now)
{
	unsigned int i;
	struct cconn *c;

	if (finishing)
		return;
	finishing = true;
	ntf_emit(now, "finishing", "%llu %llu", (unsigned long long)tx_total,
		 (unsigned long long)rx_total);
	for (i = 0; i < cfg_conns; i++) {
		c = &cc[i];
		if (c->state != CS_ACTIVE || c->tx_done)
			continue;
		/* A header still on its way finishes in conn_writable. */
		if (c->hdr_sent < HDR_LEN)
			conn_set_events(c, EPOLLIN | EPOLLOUT);
		else
			conn_tx_finish(c, now);
	}
}

static void control_cmd(const char *cmd, int64_t now)
{
	unsigned int i;

	if (!strcmp(cmd, "finish")) {
		if (!cfg_stream)
			warnx("control: 'finish' needs --stream; ignored");
		else
			finish_all(now);
	} else if (!strcmp(cmd, "abort")) {
		for (i = 0; i < cfg_conns; i++)
			if (cc[i].state == CS_ACTIVE)
				conn_abort(&cc[i], now);
		ntf_emit(now, "aborted", "%llu", (unsigned long long)tx_total);
	} else if (!strcmp(cmd, "sample")) {
		/* Report the subflows now, changed or not. */
		for (i = 0; i < cfg_conns && i < SF_EVENT_CONNS; i++) {
			if (cc[i].state != CS_ACTIVE)
				continue;
			cc[i].sf_sig = 0;
			conn_sample(&cc[i], now, false);
		}
		ntf_emit(now, "sampled", "%s", "");
	} else {
		warnx("control: unknown command '%s'", cmd);
	}
}

static const char *const status_order[] = {
	"mismatch", "connect_error", "truncated", "error", "timeout",
	"not_mptcp",
};

static int status_code(const char *st)
{
	if (!strcmp(st, "mismatch"))
		return EXIT_MISMATCH;
	if (!strcmp(st, "connect_error"))
		return EXIT_SOCKET;
	if (!strcmp(st, "truncated") || !strcmp(st, "error"))
		return EXIT_TRUNCATED;
	if (!strcmp(st, "timeout"))
		return EXIT_TIMEOUT;
	if (!strcmp(st, "not_mptcp"))
		return EXIT_NOT_MPTCP;
	return EXIT_OK;
}

/* The connection whose status decides the exit code. */
static const struct cconn *worst_conn(void)
{
	unsigned int s, i;

	for (s = 0; s < ARRAY_SIZE(status_order); s++)
		for (i = 0; i < cfg_conns; i++)
			if (!strcmp(cc[i].status, status_order[s]))
				return &cc[i];
	return &cc[0];
}

/* NULL (JSON null) when the connection never got established. */
static const char *conn_proto(const struct cconn *c)
{
	if (!c->est_us)
		return NULL;
	return c->mptcp ? "mptcp" : "tcp";
}

static void json_conn(struct json *j, const struct cconn *c)
{
	int64_t dur = c->est_us ? c->end_us - c->est_us : 0;

	json_open(j, NULL, '{');
	json_int(j, "conn", c->idx);
	json_uint(j, "seed", c->seed);
	json_str(j, "local", c->local[0] ? c->local : NULL);
	json_str(j, "protocol", conn_proto(c));
	json_str(j, "congestion_control", c->cc[0] ? c->cc : NULL);
	json_str(j, "fallback_reason",
		 c->fallback_reason ? c->fallback_reason :
		 sock_why[0] ? sock_why : NULL);
	json_uint(j, "bytes_sent", c->tx_bytes);
	json_uint(j, "bytes_received", c->rx.bytes);
	if (c->est_us) {
		json_int(j, "connect_ms", (c->est_us - c->start_us) / 1000);
		json_int(j, "start_ms", epoch_ms(c->est_us));
		json_int(j, "end_ms", epoch_ms(c->end_us));
	} else {
		json_null(j, "connect_ms");
		json_null(j, "start_ms");
		json_null(j, "end_ms");
	}
	json_num(j, "duration_ms", dur / 1000.0);
	json_num(j, "goodput_mbps", mbps(c->tx_bytes + c->rx.bytes, dur));
	json_uint(j, "max_subflows", c->max_subflows);
	json_uint(j, "subflows_at_end", c->end_subflows);
	json_uint(j, "mptcpi_subflows", c->mptcpi_subflows);
	json_gap(j, c->rx_on ? &c->rx.gap : NULL);
	json_int(j, "mismatch_offset", c->rx.mismatch);
	if (c->res_done)
		json_int(j, "peer_mismatch_offset", c->peer_mismatch);
	else
		json_null(j, "peer_mismatch_offset");
	json_str(j, "status", c->status);
	json_str(j, "error", c->error);
	json_close(j, '}');
}

struct totals {
	uint64_t tx, rx;
	int64_t start_us, end_us;
	unsigned int max_sf, end_sf, mptcpi_sf;
	int64_t mismatch;
	const struct cconn *gapc;
};

static void totals(struct totals *t)
{
	const struct cconn *c;
	unsigned int i;

	memset(t, 0, sizeof(*t));
	t->mismatch = -1;
	for (i = 0; i < cfg_conns; i++) {
		c = &cc[i];
		t->tx += c->tx_bytes;
		t->rx += c->rx.bytes;
		if (c->est_us && (!t->start_us || c->est_us < t->start_us))
			t->start_us = c->est_us;
		if (c->est_us && c->end_us > t->end_us)
			t->end_us = c->end_us;
		t->max_sf = MAX(t->max_sf, c->max_subflows);
		t->end_sf = MAX(t->end_sf, c->end_subflows);
		t->mptcpi_sf = MAX(t->mptcpi_sf, c->mptcpi_subflows);
		if (t->mismatch < 0)
			t->mismatch = c->rx.mismatch >= 0 ? c->rx.mismatch :
				      c->peer_mismatch;
		if (c->rx.gap.last_us &&
		    (!t->gapc || c->rx.gap.max_us > t->gapc->rx.gap.max_us))
			t->gapc = c;
	}
}

static bool write_json(const struct totals *t, const struct cconn *w,
		       int code)
{
	const struct cconn *c0 = &cc[0];
	struct afile *a = &json_out;
	struct json j;
	unsigned int i;

	json_init(&j, a->f);
	json_open(&j, NULL, '{');
	json_str(&j, "role", "client");
	json_str(&j, "protocol", conn_proto(c0));
	json_str(&j, "congestion_control", c0->cc[0] ? c0->cc : NULL);
	json_str(&j, "requested", cfg_mptcp ? "mptcp" : "tcp");
	json_str(&j, "fallback_reason",
		 sock_why[0] ? sock_why : c0->fallback_reason);
	json_str(&j, "mode", mode_name(cfg_mode));
	json_str(&j, "family", dst->ai_family == AF_INET6 ? "ipv6" : "ipv4");
	json_str(&j, "server", dst_str);
	json_uint(&j, "connections", cfg_conns);
	json_uint(&j, "seed", cfg_seed);
	if (cfg_bytes == LEN_UNLIMITED)
		json_null(&j, "requested_bytes");
	else
		json_uint(&j, "requested_bytes", cfg_bytes);
	json_uint(&j, "requested_duration_ms", cfg_duration_ms);
	json_bool(&j, "stream", cfg_stream);
	json_uint(&j, "rate_bps", cfg_rate_bps);
	json_uint(&j, "bytes_sent", t->tx);
	json_uint(&j, "bytes_received", t->rx);
	if (t->start_us) {
		json_int(&j, "start_ms", epoch_ms(t->start_us));
		json_int(&j, "end_ms", epoch_ms(t->end_us));
	} else {
		json_null(&j, "start_ms");
		json_null(&j, "end_ms");
	}
	json_num(&j, "duration_ms", (t->end_us - t->start_us) / 1000.0);
	json_num(&j, "goodput_mbps", mbps(t->tx + t->rx,
					  t->end_us - t->start_us));
	json_uint(&j, "max_subflows", t->max_sf);
	json_uint(&j, "subflows_at_end", t->end_sf);
	json_uint(&j, "mptcpi_subflows", t->mptcpi_sf);
	json_gap(&j, cfg_mode == MODE_UPLOAD ? NULL :
		 t->gapc ? &t->gapc->rx.gap : &c0->rx.gap);
	json_int(&j, "mismatch_offset", t->mismatch);
	json_str(&j, "status", w->status);
	json_str(&j, "error", w->error);
	json_int(&j, "exit_code", code);
	json_open(&j, "conns", '[');
	for (i = 0; i < cfg_conns; i++)
		json_conn(&j, &cc[i]);
	json_close(&j, ']');
	json_close(&j, '}');
	fputc('\n', a->f);
	return afile_commit(a);
}

static void run(void)
{
	static int signal_tag, control_tag, events_tag;
	struct epoll_event evs[64];
	int64_t now, last_tick = 0;
	const char *stop_why = NULL;
	int sfd, n, i, timeout;
	unsigned int k;

	sfd = signal_fd();
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		die(EXIT_LOCAL, "epoll_create1: %s", strerror(errno));
	xepoll_ctl(epfd, EPOLL_CTL_ADD, sfd, EPOLLIN, &signal_tag);
	if (ntf_control_fd() >= 0)
		xepoll_ctl(epfd, EPOLL_CTL_ADD, ntf_control_fd(), EPOLLIN,
			   &control_tag);
	/* No events asked for: only EPOLLERR, when its reader goes away. */
	if (ntf_events_fifo_fd() >= 0)
		xepoll_ctl(epfd, EPOLL_CTL_ADD, ntf_events_fifo_fd(), 0,
			   &events_tag);

	now = now_us();
	if (cfg_timeout_ms)
		stop_us = now + cfg_timeout_ms * 1000LL;
	for (k = 0; k < cfg_conns; k++)
		conn_start(&cc[k], now);

	while (n_open && !stop_why) {
		timeout = TICK_MS;
		n = epoll_wait(epfd, evs, ARRAY_SIZE(evs), timeout);
		if (n < 0 && errno != EINTR)
			die(EXIT_LOCAL, "epoll_wait: %s", strerror(errno));
		now = now_us();
		for (i = 0; i < n; i++) {
			if (evs[i].data.ptr == &signal_tag) {
				struct signalfd_siginfo si;

				if (read(sfd, &si, sizeof(si)) == sizeof(si))
					stop_why = si.ssi_signo == SIGINT ?
						   "SIGINT" : "SIGTERM";
				continue;
			}
			if (evs[i].data.ptr == &events_tag) {
				ntf_reader_check();
				xepoll_ctl(epfd, EPOLL_CTL_DEL,
					   ntf_events_fifo_fd(), 0, NULL);
				continue;
			}
			if (evs[i].data.ptr == &control_tag) {
				ntf_control_read(now, rx_total, tx_total,
						 control_cmd);
				continue;
			}
			conn_event(evs[i].data.ptr, evs[i].events, now);
		}
		if (cfg_rate_bps)
			pace_resume(now);
		ntf_flush();
		/* Nobody is left to tell us to finish, or to read the events. */
		if (cfg_stream && ntf_reader_gone())
			finish_all(now);
		if (now - last_tick >= 1000 || n <= 0) {
			tick(now);
			last_tick = now;
		}
		if (stop_us && now >= stop_us)
			stop_why = "timeout";
	}

	for (k = 0; k < cfg_conns; k++) {
		if (cc[k].state == CS_DONE)
			continue;
		if (!strcmp(stop_why, "timeout"))
			conn_fail(&cc[k], "timeout",
				  "not finished after --timeout %u ms (sent %llu, received %llu bytes)",
				  cfg_timeout_ms,
				  (unsigned long long)cc[k].tx_bytes,
				  (unsigned long long)cc[k].rx.bytes);
		else
			conn_fail(&cc[k], "timeout", "interrupted by %s",
				  stop_why);
		conn_close(&cc[k], now);
	}
	close(sfd);
	close(epfd);
}

static void human_size(uint64_t b, char *buf, size_t len)
{
	if (b >= 1u << 20)
		snprintf(buf, len, "%.1f MiB", b / 1048576.0);
	else if (b >= 1u << 10)
		snprintf(buf, len, "%.1f KiB", b / 1024.0);
	else
		snprintf(buf, len, "%llu B", (unsigned long long)b);
}

int main(int argc, char **argv)
{
	const struct cconn *w;
	char tx[32], rx[32];
	struct totals t;
	unsigned int i;
	int code;

	prog_name = "mptcp-client";
	parse_opts(argc, argv);
	clock_init();
	signal(SIGPIPE, SIG_IGN);
	setup_addresses();
	rx_buf = xmalloc_aligned(RX_BUF_LEN);
	if (cfg_info)
		info_f = out_open(cfg_info, "--info");
	/* Created in upload mode too, so it exists; it just stays empty. */
	if (cfg_timeline) {
		tl.f = out_open(cfg_timeline, "--timeline");
		tl.path = cfg_timeline;
	}
	if (cfg_json && !afile_open(&json_out, cfg_json))
		die(EXIT_LOCAL, "--json %s: cannot write", cfg_json);
	ntf_open("client", cfg_events, cfg_control);

	cc = xcalloc(cfg_conns, sizeof(*cc));
	for (i = 0; i < cfg_conns; i++) {
		cc[i].idx = i;
		cc[i].fd = -1;
		cc[i].seed = cfg_seed + i;
		cc[i].rx.seed = cc[i].seed;
		cc[i].rx.limit = cfg_bytes;
		cc[i].rx.mismatch = -1;
		cc[i].rx.first_bad = -1;
		cc[i].peer_mismatch = -1;
		cc[i].status = "ok";
	}

	run();
	tl_close(&tl);
	/*
	 * --require-mptcp is checked after the transfer rather than at
	 * connect: the data is still verified, and the server does not see
	 * a client vanish.
	 */
	for (i = 0; cfg_require_mptcp && i < cfg_conns; i++)
		if (!cc[i].mptcp && !strcmp(cc[i].status, "ok"))
			conn_fail(&cc[i], "not_mptcp",
				  "--require-mptcp: connection is plain TCP (%s)",
				  cc[i].fallback_reason ? cc[i].fallback_reason :
				  sock_why[0] ? sock_why : "--type tcp");
	if (info_f && info_f != stdout && fclose(info_f))
		warnx("--info %s: %s", cfg_info, strerror(errno));

	totals(&t);
	w = worst_conn();
	code = status_code(w->status);
	if (cfg_json && !write_json(&t, w, code) && code == EXIT_OK)
		code = EXIT_LOCAL;

	human_size(t.tx, tx, sizeof(tx));
	human_size(t.rx, rx, sizeof(rx));
	warnx("%s %s x%u to %s: sent %s, received %s in %.1f ms = %.1f Mbit/s, subflows max %u end %u, %s (exit %d)",
	      conn_proto(&cc[0]) ? conn_proto(&cc[0]) : "unconnected",
	      mode_name(cfg_mode), cfg_conns,
	      dst_str, tx, rx, (t.end_us - t.start_us) / 1000.0,
	      t.end_us > t.start_us ?
	      mbps(t.tx + t.rx, t.end_us - t.start_us) : 0.0,
	      t.max_sf, t.end_sf, w->status, code);

	ntf_emit(now_us(), "done", "%d %s %llu %llu", code, w->status,
		 (unsigned long long)t.tx, (unsigned long long)t.rx);
	for (i = 0; i < 200 && ntf_flush(); i++)
		usleep(5000);
	for (i = 0; i < cfg_conns; i++)
		free(cc[i].error);
	free(cc);
	free(rx_buf);
	freeaddrinfo(dst);
	return code;
}
