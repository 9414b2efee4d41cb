// SPDX-License-Identifier: GPL-2.0
/*
 * mptcp-pm-ctl: drive the MPTCP userspace path manager and watch its events.
 *
 * With net.mptcp.pm_type=1 (or net.mptcp.path_manager=userspace) the kernel
 * makes no subflow and announces no address by itself: a program does, with
 * the "mptcp_pm" generic netlink family.  This tool sends one command
 * (ANNOUNCE, REMOVE, SUBFLOW_CREATE, SUBFLOW_DESTROY) or listens to the
 * "mptcp_pm_events" multicast group and prints each event as a JSON line.
 * It also adds an endpoint of the in-kernel path manager (ADD_ADDR) with
 * flags that the system's ip(8) may not know: "laminar" (6.18).
 *
 * The userspace PM accepts commands for a connection only while someone
 * listens to its events, so a scenario keeps "mptcp-pm-ctl listen" running
 * in each namespace whose path manager it drives.
 *
 * Exit codes: 0 ok, 1 local error, 2 usage, 3 no netlink or no "mptcp_pm"
 * family (kernel without MPTCP), 4 the kernel refused the command (its
 * reason is printed), 6 listen --timeout expired (not an error for a
 * listener, but distinct so the caller can tell).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#define EXIT_OK		0
#define EXIT_LOCAL	1
#define EXIT_USAGE	2
#define EXIT_NETLINK	3
#define EXIT_REFUSED	4
#define EXIT_TIMEOUT	6

/*
 * The uapi of the "mptcp_pm" family, our own copy: build hosts carry older
 * headers (Debian 12 has 6.1's) than the kernels we run on, and the values
 * are ABI.  Names follow include/uapi/linux/mptcp_pm.h with a PM_ prefix.
 */
#define PM_GENL_NAME		"mptcp_pm"
#define PM_GENL_EV_GRP_NAME	"mptcp_pm_events"
#define PM_GENL_VER		1

enum {
	PM_CMD_ADD_ADDR = 1,
	PM_CMD_ANNOUNCE = 8,
	PM_CMD_REMOVE = 9,
	PM_CMD_SUBFLOW_CREATE = 10,
	PM_CMD_SUBFLOW_DESTROY = 11,
};

enum {
	PM_ATTR_ADDR = 1,		/* nested PM_ADDR_ATTR_* */
	PM_ATTR_TOKEN = 4,		/* u32 */
	PM_ATTR_LOC_ID = 5,		/* u8 */
	PM_ATTR_ADDR_REMOTE = 6,	/* nested PM_ADDR_ATTR_* */
};

enum {
	PM_ADDR_ATTR_FAMILY = 1,	/* u16 */
	PM_ADDR_ATTR_ID = 2,		/* u8 */
	PM_ADDR_ATTR_ADDR4 = 3,		/* be32 */
	PM_ADDR_ATTR_ADDR6 = 4,		/* struct in6_addr */
	PM_ADDR_ATTR_PORT = 5,		/* u16, host order */
	PM_ADDR_ATTR_FLAGS = 6,		/* u32 */
	PM_ADDR_ATTR_IF_IDX = 7,	/* s32 */
};

#define PM_ADDR_FLAG_SIGNAL	(1u << 0)
#define PM_ADDR_FLAG_SUBFLOW	(1u << 1)
#define PM_ADDR_FLAG_BACKUP	(1u << 2)
#define PM_ADDR_FLAG_FULLMESH	(1u << 3)
#define PM_ADDR_FLAG_LAMINAR	(1u << 5)

static const struct {
	const char *name;
	uint32_t flag;
} addr_flags[] = {
	{ "signal", PM_ADDR_FLAG_SIGNAL },
	{ "subflow", PM_ADDR_FLAG_SUBFLOW },
	{ "backup", PM_ADDR_FLAG_BACKUP },
	{ "fullmesh", PM_ADDR_FLAG_FULLMESH },
	{ "laminar", PM_ADDR_FLAG_LAMINAR },
};

/* Event attributes (enum mptcp_event_attr). */
enum {
	EV_ATTR_TOKEN = 1,		/* u32 */
	EV_ATTR_FAMILY,			/* u16 */
	EV_ATTR_LOC_ID,			/* u8 */
	EV_ATTR_REM_ID,			/* u8 */
	EV_ATTR_SADDR4,			/* be32 */
	EV_ATTR_SADDR6,			/* struct in6_addr */
	EV_ATTR_DADDR4,			/* be32 */
	EV_ATTR_DADDR6,			/* struct in6_addr */
	EV_ATTR_SPORT,			/* be16 */
	EV_ATTR_DPORT,			/* be16 */
	EV_ATTR_BACKUP,			/* u8 */
	EV_ATTR_ERROR,			/* u8 */
	EV_ATTR_FLAGS,			/* u16 */
	EV_ATTR_TIMEOUT,		/* u32 */
	EV_ATTR_IF_IDX,			/* s32 */
	EV_ATTR_RESET_REASON,		/* u32 */
	EV_ATTR_RESET_FLAGS,		/* u32 */
	EV_ATTR_SERVER_SIDE,		/* u8 */
	EV_ATTR_MAX = EV_ATTR_SERVER_SIDE,
};

/* Event types (enum mptcp_event_type); 15 and 16 are newer than 6.1. */
static const char *const event_names[] = {
	[1] = "created",
	[2] = "established",
	[3] = "closed",
	[6] = "announced",
	[7] = "removed",
	[10] = "sub_established",
	[11] = "sub_closed",
	[13] = "sub_priority",
	[15] = "listener_created",
	[16] = "listener_closed",
};

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define __noreturn	__attribute__((noreturn))
#define __printf(a, b)	__attribute__((format(printf, a, b)))

static const char *cfg_cmd;
static uint32_t cfg_token;
static bool cfg_have_token;
static int cfg_id = -1;
static const char *cfg_addr;
static int cfg_port = -1;
static const char *cfg_remote;
static int cfg_rport = -1;
static const char *cfg_dev;
static bool cfg_backup;
static uint32_t cfg_flags;
static const char *cfg_ready;
static long cfg_timeout_ms;

static volatile sig_atomic_t stop;

static void __noreturn __printf(2, 3) die(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "mptcp-pm-ctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: mptcp-pm-ctl COMMAND [options]\n"
		"Drive the MPTCP userspace path manager (net.mptcp.pm_type=1) and\n"
		"print its events, over the \"mptcp_pm\" generic netlink family.\n"
		"\n"
		"Commands:\n"
		"  listen    print every MPTCP event as a JSON line, until SIGTERM,\n"
		"            SIGINT or --timeout      [--ready FILE] [--timeout MS]\n"
		"  announce  ANNOUNCE a local address to the peer (ADD_ADDR)\n"
		"            --token T --id N --addr A [--port P] [--dev IF]\n"
		"  remove    REMOVE a local address id (RM_ADDR; closes its subflows)\n"
		"            --token T --id N\n"
		"  create    SUBFLOW_CREATE from a local address to a remote one\n"
		"            --token T --addr A [--id N] [--dev IF] [--backup]\n"
		"            --remote B --rport P\n"
		"  destroy   SUBFLOW_DESTROY the subflow with these four endpoints\n"
		"            --token T --addr A --port P --remote B --rport P\n"
		"  endpoint-add  add an endpoint of the in-kernel path manager, as\n"
		"            ip mptcp endpoint add does, with any flag the kernel\n"
		"            has     --addr A --flags LIST [--id N] [--port P]\n"
		"            [--dev IF]\n"
		"\n"
		"Options:\n"
		"  -t, --token N     connection token, from the created or established\n"
		"                    event (decimal or 0x hex)\n"
		"  -i, --id N        local address id, 1..255 (0: the initial one)\n"
		"  -a, --addr ADDR   local IPv4 or IPv6 address\n"
		"  -p, --port N      local port\n"
		"  -r, --remote ADDR remote address\n"
		"  -P, --rport N     remote port\n"
		"  -d, --dev IFNAME  bind the address to this interface\n"
		"  -b, --backup      create: the new subflow is a backup\n"
		"  -f, --flags LIST  endpoint-add: comma-separated signal, subflow,\n"
		"                    backup, fullmesh, laminar\n"
		"      --ready FILE  listen: write FILE once subscribed\n"
		"      --timeout MS  listen: exit after MS (exit code 6)\n"
		"  -h, --help        this text\n"
		"\n"
		"Exit codes: 0 ok, 1 local error, 2 usage, 3 no netlink or no MPTCP\n"
		"family, 4 the kernel refused the command, 6 listen timed out.\n");
}

static void __noreturn __printf(1, 2) die_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "mptcp-pm-ctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(see mptcp-pm-ctl --help)\n");
	exit(EXIT_USAGE);
}

/* "signal,laminar" as PM_ADDR_FLAG_* bits; an unknown name is a usage error. */
static uint32_t opt_flags(const char *s)
{
	char buf[128], *tok, *save;
	uint32_t flags = 0;
	size_t i;

	if (strlen(s) >= sizeof(buf))
		die_usage("--flags: '%s' is too long", s);
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < ARRAY_SIZE(addr_flags); i++)
			if (!strcmp(tok, addr_flags[i].name))
				break;
		if (i == ARRAY_SIZE(addr_flags))
			die_usage("--flags: unknown flag '%s' (signal, subflow, backup, fullmesh, laminar)",
				  tok);
		flags |= addr_flags[i].flag;
	}
	if (!flags)
		die_usage("--flags: no flag in '%s'", s);
	return flags;
}

/* @opt names the option in the error, @s is its text, @max its bound. */
static unsigned long opt_ulong(const char *opt, const char *s,
			       unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || v > max || *s == '-')
		die_usage("%s wants an integer 0..%lu, got '%s'", opt, max, s);
	return v;
}

static void parse_opts(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "token", required_argument, NULL, 't' },
		{ "id", required_argument, NULL, 'i' },
		{ "addr", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "remote", required_argument, NULL, 'r' },
		{ "rport", required_argument, NULL, 'P' },
		{ "dev", required_argument, NULL, 'd' },
		{ "backup", no_argument, NULL, 'b' },
		{ "flags", required_argument, NULL, 'f' },
		{ "ready", required_argument, NULL, 'R' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "t:i:a:p:r:P:d:bf:h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			cfg_token = opt_ulong("--token", optarg, UINT32_MAX);
			cfg_have_token = true;
			break;
		case 'i':
			cfg_id = opt_ulong("--id", optarg, 255);
			break;
		case 'a':
			cfg_addr = optarg;
			break;
		case 'p':
			cfg_port = opt_ulong("--port", optarg, 65535);
			break;
		case 'r':
			cfg_remote = optarg;
			break;
		case 'P':
			cfg_rport = opt_ulong("--rport", optarg, 65535);
			break;
		case 'd':
			cfg_dev = optarg;
			break;
		case 'b':
			cfg_backup = true;
			break;
		case 'f':
			cfg_flags = opt_flags(optarg);
			break;
		case 'R':
			cfg_ready = optarg;
			break;
		case 'T':
			cfg_timeout_ms = opt_ulong("--timeout", optarg, 86400000);
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_OK);
		default:
			die_usage("unknown option");
		}
	}
	if (optind != argc - 1)
		die_usage("want exactly one command (listen, announce, remove, create, destroy, endpoint-add)");
	cfg_cmd = argv[optind];

	if (!strcmp(cfg_cmd, "listen"))
		return;
	if (!strcmp(cfg_cmd, "endpoint-add")) {
		if (!cfg_addr || !cfg_flags)
			die_usage("endpoint-add needs --addr and --flags");
		if (cfg_have_token)
			die_usage("endpoint-add takes no --token (an endpoint is for every connection)");
		return;
	}
	if (!cfg_have_token)
		die_usage("%s needs --token", cfg_cmd);
	if (!strcmp(cfg_cmd, "announce")) {
		if (cfg_id < 1 || !cfg_addr)
			die_usage("announce needs --id 1..255 and --addr");
	} else if (!strcmp(cfg_cmd, "remove")) {
		if (cfg_id < 0)
			die_usage("remove needs --id");
	} else if (!strcmp(cfg_cmd, "create")) {
		if (!cfg_addr || !cfg_remote || cfg_rport < 0)
			die_usage("create needs --addr, --remote and --rport");
	} else if (!strcmp(cfg_cmd, "destroy")) {
		if (!cfg_addr || cfg_port < 0 || !cfg_remote || cfg_rport < 0)
			die_usage("destroy needs --addr, --port, --remote and --rport");
	} else {
		die_usage("unknown command '%s'", cfg_cmd);
	}
}

/* Netlink plumbing */

/* Big enough for any message of this family; MNL_SOCKET_BUFFER_SIZE is
 * not a constant. */
#define NL_BUF_LEN	32768

static char nl_buf[NL_BUF_LEN];

struct genl_family {
	uint16_t id;
	uint32_t ev_group;	/* 0 = not found */
};

static struct mnl_socket *xnl_open(void)
{
	struct mnl_socket *nl;
	int one = 1;

	nl = mnl_socket_open(NETLINK_GENERIC);
	if (!nl)
		die(EXIT_NETLINK, "netlink socket: %s", strerror(errno));
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		die(EXIT_NETLINK, "netlink bind: %s", strerror(errno));
	/* The kernel's reason for a refusal, as text; best effort. */
	mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
	return nl;
}

static struct nlmsghdr *genl_msg(uint16_t type, uint8_t cmd, uint8_t version,
				 uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl_buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = version;
	return nlh;
}

static int ext_ack_attr(const struct nlattr *a, void *data)
{
	const char **msg = data;

	if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
	    !mnl_attr_validate(a, MNL_TYPE_NUL_STRING))
		*msg = mnl_attr_get_str(a);
	return MNL_CB_OK;
}

/*
 * Send a request and read until its ack.  Replies other than the ack go
 * to @cb.  Returns 0, or -errno from the kernel with @why set to its
 * extended-ack text when it gave one.
 */
static int nl_request(struct mnl_socket *nl, struct nlmsghdr *req,
		      mnl_cb_t cb, void *data, const char **why)
{
	static char rx[NL_BUF_LEN];
	uint32_t seq = req->nlmsg_seq, portid = mnl_socket_get_portid(nl);
	ssize_t n;

	*why = NULL;
	if (mnl_socket_sendto(nl, req, req->nlmsg_len) < 0)
		die(EXIT_NETLINK, "netlink send: %s", strerror(errno));
	for (;;) {
		struct nlmsghdr *nlh;
		int len;

		n = mnl_socket_recvfrom(nl, rx, sizeof(rx));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die(EXIT_NETLINK, "netlink receive: %s", strerror(errno));
		}
		len = n;
		for (nlh = (struct nlmsghdr *)rx; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_seq != seq || nlh->nlmsg_pid != portid)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
				size_t off = sizeof(*e);

				if (!e->error)
					return 0;
				if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
					off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
				if (nlh->nlmsg_flags & NLM_F_ACK_TLVS)
					mnl_attr_parse(nlh, off, ext_ack_attr, why);
				return e->error;
			}
			if (nlh->nlmsg_type == NLMSG_DONE)
				return 0;
			if (cb && cb(nlh, data) < 0)
				return -EPROTO;
		}
	}
}

static int family_group_cb(const struct nlattr *grp, struct genl_family *f)
{
	const struct nlattr *a;
	const char *name = NULL;
	uint32_t id = 0;

	mnl_attr_for_each_nested(a, grp) {
		switch (mnl_attr_get_type(a)) {
		case CTRL_ATTR_MCAST_GRP_NAME:
			if (!mnl_attr_validate(a, MNL_TYPE_NUL_STRING))
				name = mnl_attr_get_str(a);
			break;
		case CTRL_ATTR_MCAST_GRP_ID:
			if (!mnl_attr_validate(a, MNL_TYPE_U32))
				id = mnl_attr_get_u32(a);
			break;
		}
	}
	if (name && !strcmp(name, PM_GENL_EV_GRP_NAME))
		f->ev_group = id;
	return MNL_CB_OK;
}

static int family_attr_cb(const struct nlattr *a, void *data)
{
	struct genl_family *f = data;
	const struct nlattr *grp;

	switch (mnl_attr_get_type(a)) {
	case CTRL_ATTR_FAMILY_ID:
		if (!mnl_attr_validate(a, MNL_TYPE_U16))
			f->id = mnl_attr_get_u16(a);
		break;
	case CTRL_ATTR_MCAST_GROUPS:
		mnl_attr_for_each_nested(grp, a)
			family_group_cb(grp, f);
		break;
	}
	return MNL_CB_OK;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), family_attr_cb, data);
}

static void resolve_family(struct mnl_socket *nl, struct genl_family *f)
{
	struct nlmsghdr *nlh;
	const char *why;
	int err;

	memset(f, 0, sizeof(*f));
	nlh = genl_msg(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, time(NULL));
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, PM_GENL_NAME);
	err = nl_request(nl, nlh, family_cb, f, &why);
	if (err || !f->id)
		die(EXIT_NETLINK, "no \"%s\" generic netlink family (%s): kernel without MPTCP?",
		    PM_GENL_NAME, err ? strerror(-err) : "no id");
}

/* Commands */

/* A nested address; @type is PM_ATTR_ADDR or PM_ATTR_ADDR_REMOTE. */
static void put_addr(struct nlmsghdr *nlh, uint16_t type, const char *addr,
		     int id, int port, uint32_t flags, const char *dev)
{
	struct in6_addr a6;
	struct in_addr a4;
	struct nlattr *nest;

	nest = mnl_attr_nest_start(nlh, type);
	if (inet_pton(AF_INET, addr, &a4) == 1) {
		mnl_attr_put_u16(nlh, PM_ADDR_ATTR_FAMILY, AF_INET);
		mnl_attr_put(nlh, PM_ADDR_ATTR_ADDR4, sizeof(a4), &a4);
	} else if (inet_pton(AF_INET6, addr, &a6) == 1) {
		mnl_attr_put_u16(nlh, PM_ADDR_ATTR_FAMILY, AF_INET6);
		mnl_attr_put(nlh, PM_ADDR_ATTR_ADDR6, sizeof(a6), &a6);
	} else {
		die_usage("'%s' is not an IPv4 or IPv6 address", addr);
	}
	if (id >= 0)
		mnl_attr_put_u8(nlh, PM_ADDR_ATTR_ID, id);
	if (port >= 0)
		mnl_attr_put_u16(nlh, PM_ADDR_ATTR_PORT, port);
	if (flags)
		mnl_attr_put_u32(nlh, PM_ADDR_ATTR_FLAGS, flags);
	if (dev) {
		unsigned int idx = if_nametoindex(dev);

		if (!idx)
			die_usage("no interface '%s' here", dev);
		mnl_attr_put_u32(nlh, PM_ADDR_ATTR_IF_IDX, idx);
	}
	mnl_attr_nest_end(nlh, nest);
}

static int run_command(void)
{
	struct mnl_socket *nl = xnl_open();
	struct genl_family fam;
	struct nlmsghdr *nlh;
	const char *why;
	uint8_t cmd;
	int err;

	resolve_family(nl, &fam);
	if (!strcmp(cfg_cmd, "endpoint-add"))
		cmd = PM_CMD_ADD_ADDR;
	else if (!strcmp(cfg_cmd, "announce"))
		cmd = PM_CMD_ANNOUNCE;
	else if (!strcmp(cfg_cmd, "remove"))
		cmd = PM_CMD_REMOVE;
	else if (!strcmp(cfg_cmd, "create"))
		cmd = PM_CMD_SUBFLOW_CREATE;
	else
		cmd = PM_CMD_SUBFLOW_DESTROY;

	nlh = genl_msg(fam.id, cmd, PM_GENL_VER, time(NULL));
	if (cmd != PM_CMD_ADD_ADDR)
		mnl_attr_put_u32(nlh, PM_ATTR_TOKEN, cfg_token);
	switch (cmd) {
	case PM_CMD_ADD_ADDR:
		put_addr(nlh, PM_ATTR_ADDR, cfg_addr, cfg_id, cfg_port,
			 cfg_flags, cfg_dev);
		break;
	case PM_CMD_ANNOUNCE:
		put_addr(nlh, PM_ATTR_ADDR, cfg_addr, cfg_id, cfg_port,
			 PM_ADDR_FLAG_SIGNAL, cfg_dev);
		break;
	case PM_CMD_REMOVE:
		mnl_attr_put_u8(nlh, PM_ATTR_LOC_ID, cfg_id);
		break;
	case PM_CMD_SUBFLOW_CREATE:
		put_addr(nlh, PM_ATTR_ADDR, cfg_addr, cfg_id, -1,
			 cfg_backup ? PM_ADDR_FLAG_BACKUP : 0, cfg_dev);
		put_addr(nlh, PM_ATTR_ADDR_REMOTE, cfg_remote, -1, cfg_rport,
			 0, NULL);
		break;
	case PM_CMD_SUBFLOW_DESTROY:
		put_addr(nlh, PM_ATTR_ADDR, cfg_addr, -1, cfg_port, 0, NULL);
		put_addr(nlh, PM_ATTR_ADDR_REMOTE, cfg_remote, -1, cfg_rport,
			 0, NULL);
		break;
	}
	err = nl_request(nl, nlh, NULL, NULL, &why);
	mnl_socket_close(nl);
	if (err) {
		fprintf(stderr, "mptcp-pm-ctl: %s refused: %s%s%s\n", cfg_cmd,
			strerror(-err), why ? ": " : "", why ? why : "");
		return EXIT_REFUSED;
	}
	return EXIT_OK;
}

/* Events */

struct event {
	const struct nlattr *tb[EV_ATTR_MAX + 1];
};

static int event_attr_cb(const struct nlattr *a, void *data)
{
	struct event *ev = data;
	int type = mnl_attr_get_type(a);

	/* Attributes newer than this tool are skipped, not fatal. */
	if (type > 0 && type <= EV_ATTR_MAX)
		ev->tb[type] = a;
	return MNL_CB_OK;
}

static int64_t epoch_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The payload of attribute @type, if it has at least @len bytes. */
static const void *ev_get(const struct event *ev, int type, size_t len)
{
	const struct nlattr *a = ev->tb[type];

	if (!a || mnl_attr_get_payload_len(a) < len)
		return NULL;
	return mnl_attr_get_payload(a);
}

static void print_addr(const struct event *ev, const char *key, int t4, int t6)
{
	char s[INET6_ADDRSTRLEN];
	const void *p;

	if ((p = ev_get(ev, t4, 4)))
		inet_ntop(AF_INET, p, s, sizeof(s));
	else if ((p = ev_get(ev, t6, 16)))
		inet_ntop(AF_INET6, p, s, sizeof(s));
	else
		return;
	printf(",\"%s\":\"%s\"", key, s);
}

static void print_uint(const struct event *ev, const char *key, int type)
{
	const struct nlattr *a = ev->tb[type];
	uint64_t v;

	if (!a)
		return;
	switch (mnl_attr_get_payload_len(a)) {
	case 1:
		v = mnl_attr_get_u8(a);
		break;
	case 2:
		v = mnl_attr_get_u16(a);
		break;
	case 4:
		v = mnl_attr_get_u32(a);
		break;
	default:
		return;
	}
	printf(",\"%s\":%llu", key, (unsigned long long)v);
}

static void print_port(const struct event *ev, const char *key, int type)
{
	const uint16_t *p = ev_get(ev, type, 2);

	if (p)
		printf(",\"%s\":%u", key, ntohs(*p));
}

static int event_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct genl_family *fam = data;
	const struct genlmsghdr *g;
	struct event ev;
	const char *name = NULL;
	const uint16_t *fam_p;

	if (nlh->nlmsg_type != fam->id)
		return MNL_CB_OK;
	g = mnl_nlmsg_get_payload(nlh);
	memset(&ev, 0, sizeof(ev));
	if (mnl_attr_parse(nlh, sizeof(*g), event_attr_cb, &ev) < 0)
		return MNL_CB_OK;
	if (g->cmd < ARRAY_SIZE(event_names))
		name = event_names[g->cmd];

	printf("{\"t_ms\":%lld,\"event\":\"%s\",\"type\":%u",
	       (long long)epoch_ms(), name ? name : "unknown", g->cmd);
	print_uint(&ev, "token", EV_ATTR_TOKEN);
	fam_p = ev_get(&ev, EV_ATTR_FAMILY, 2);
	if (fam_p)
		printf(",\"family\":%d", *fam_p == AF_INET6 ? 6 : 4);
	print_uint(&ev, "loc_id", EV_ATTR_LOC_ID);
	print_uint(&ev, "rem_id", EV_ATTR_REM_ID);
	print_addr(&ev, "saddr", EV_ATTR_SADDR4, EV_ATTR_SADDR6);
	print_addr(&ev, "daddr", EV_ATTR_DADDR4, EV_ATTR_DADDR6);
	print_port(&ev, "sport", EV_ATTR_SPORT);
	print_port(&ev, "dport", EV_ATTR_DPORT);
	print_uint(&ev, "backup", EV_ATTR_BACKUP);
	print_uint(&ev, "error", EV_ATTR_ERROR);
	print_uint(&ev, "flags", EV_ATTR_FLAGS);
	print_uint(&ev, "timeout", EV_ATTR_TIMEOUT);
	print_uint(&ev, "if_idx", EV_ATTR_IF_IDX);
	print_uint(&ev, "reset_reason", EV_ATTR_RESET_REASON);
	print_uint(&ev, "reset_flags", EV_ATTR_RESET_FLAGS);
	print_uint(&ev, "server_side", EV_ATTR_SERVER_SIDE);
	printf("}\n");
	/* A reader tails this while we run. */
	fflush(stdout);
	return MNL_CB_OK;
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void write_ready(void)
{
	char tmp[4096];
	FILE *f;

	if (!cfg_ready)
		return;
	/* Written whole, then renamed: a poller never sees half a file. */
	snprintf(tmp, sizeof(tmp), "%s.tmp", cfg_ready);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "ready\n") < 0 || fclose(f) || rename(tmp, cfg_ready))
		die(EXIT_LOCAL, "--ready %s: %s", cfg_ready, strerror(errno));
}

static int run_listen(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct mnl_socket *nl = xnl_open();
	struct genl_family fam;
	int64_t deadline = 0;
	struct pollfd pfd;
	int grp, fd;

	resolve_family(nl, &fam);
	if (!fam.ev_group)
		die(EXIT_NETLINK, "family \"%s\" has no \"%s\" group",
		    PM_GENL_NAME, PM_GENL_EV_GRP_NAME);
	grp = fam.ev_group;
	if (mnl_socket_setsockopt(nl, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp)) < 0)
		die(EXIT_NETLINK, "join group %s: %s", PM_GENL_EV_GRP_NAME,
		    strerror(errno));
	/* No SA_RESTART: the signal must interrupt poll(). */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	write_ready();
	if (cfg_timeout_ms)
		deadline = epoch_ms() + cfg_timeout_ms;

	fd = mnl_socket_get_fd(nl);
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (!stop) {
		int wait = -1, n;
		ssize_t len;

		if (deadline) {
			int64_t left = deadline - epoch_ms();

			if (left <= 0) {
				mnl_socket_close(nl);
				return EXIT_TIMEOUT;
			}
			wait = left;
		}
		n = poll(&pfd, 1, wait);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die(EXIT_NETLINK, "poll: %s", strerror(errno));
		}
		if (!n)
			continue;
		len = mnl_socket_recvfrom(nl, nl_buf, sizeof(nl_buf));
		if (len < 0) {
			if (errno == EINTR)
				continue;
			/* Events came faster than we read: say so, go on. */
			if (errno == ENOBUFS) {
				printf("{\"t_ms\":%lld,\"event\":\"overrun\"}\n",
				       (long long)epoch_ms());
				fflush(stdout);
				continue;
			}
			die(EXIT_NETLINK, "netlink receive: %s", strerror(errno));
		}
		mnl_cb_run(nl_buf, len, 0, 0, event_cb, &fam);
	}
	mnl_socket_close(nl);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	parse_opts(argc, argv);
	if (!strcmp(cfg_cmd, "listen"))
		return run_listen();
	return run_command();
}
