// SPDX-License-Identifier: GPL-2.0
/* Sockets; see sock.h. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <linux/tcp.h>

#include "sock.h"

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

/* "ip:port" or "[ip6]:port"; v4-mapped addresses are shown as IPv4. */
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
