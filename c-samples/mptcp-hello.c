// SPDX-License-Identifier: GPL-2.0
/*
 * mptcp-hello: the smallest useful MPTCP client, to copy from.
 *
 * Usage: mptcp-hello HOST PORT
 *
 * Enabling MPTCP is one word: IPPROTO_MPTCP instead of 0 in socket().
 * The rest shows the two places where it can quietly become plain TCP:
 * the local kernel (socket() fails, we fall back ourselves) and the peer
 * (the kernel falls back during the handshake; MPTCP_INFO tells us).
 *
 * It sends "hello" with a minimal harness header so that mptcp-server
 * accepts it (upload, NOVERIFY flag, length 5; see proto.h) and reads the
 * server's 24-byte result.  Exit: 0 ok, 1 failure, 2 usage.
 */
#include <errno.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP	262	/* Linux 5.6 */
#endif
#ifndef SOL_MPTCP
#define SOL_MPTCP	284
#endif
#define MPTCP_INFO			1
#define MPTCP_INFO_FLAG_FALLBACK	1

/* The head of struct mptcp_info; the kernel copies only what we ask for. */
struct mptcp_info_head {
	uint8_t subflows;	/* additional subflows, the first not counted */
	uint8_t unused[5];
	uint32_t flags;
};

static int socket_mptcp_or_tcp(int family, int *is_mptcp)
{
	int fd = socket(family, SOCK_STREAM, IPPROTO_MPTCP);
	const char *why;

	*is_mptcp = fd >= 0;
	if (fd >= 0)
		return fd;
	switch (errno) {
	case ENOPROTOOPT:
		why = "ENOPROTOOPT: MPTCP disabled by sysctl net.mptcp.enabled=0";
		break;
	case EPROTONOSUPPORT:
		why = "EPROTONOSUPPORT: kernel built without MPTCP";
		break;
	case EINVAL:
		why = "EINVAL: kernel older than 5.6";
		break;
	default:
		return -1;
	}
	printf("mptcp-hello: no MPTCP socket (%s), using TCP\n", why);
	return socket(family, SOCK_STREAM, IPPROTO_TCP);
}

int main(int argc, char **argv)
{
	/* magic, version 1, mode upload, flags NOVERIFY, seed 0, duration 0 */
	uint8_t hdr[24] = { 'M', 'P', 'T', 'H', 1, 0, 0, 1 };
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	struct mptcp_info_head info;
	socklen_t len = sizeof(info);
	uint8_t reply[64];
	int fd, rc, is_mptcp, ok;
	ssize_t n, got = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: mptcp-hello HOST PORT\n");
		return 2;
	}
	rc = getaddrinfo(argv[1], argv[2], &hints, &ai);
	if (rc) {
		fprintf(stderr, "mptcp-hello: %s: %s\n", argv[1],
			gai_strerror(rc));
		return 2;
	}
	fd = socket_mptcp_or_tcp(ai->ai_family, &is_mptcp);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen)) {
		fprintf(stderr, "mptcp-hello: %s to %s port %s: %s\n",
			fd < 0 ? "socket" : "connect", argv[1], argv[2],
			strerror(errno));
		return 1;
	}
	freeaddrinfo(ai);

	hdr[23] = 5;	/* length, a big-endian u64 */
	if (send(fd, hdr, sizeof(hdr), MSG_NOSIGNAL) != sizeof(hdr) ||
	    send(fd, "hello", 5, MSG_NOSIGNAL) != 5) {
		fprintf(stderr, "mptcp-hello: send: %s\n", strerror(errno));
		return 1;
	}
	shutdown(fd, SHUT_WR);
	while ((n = recv(fd, reply + got, sizeof(reply) - got, 0)) > 0)
		got += n;
	ok = got >= 6 && !memcmp(reply, "MPTR", 4) && reply[5] == 0;
	printf("mptcp-hello: server says %s\n",
	       ok ? "ok, 5 bytes received" : "nothing good");

	/*
	 * Fails (EOPNOTSUPP) once the connection fell back to TCP, i.e. the
	 * peer or a middlebox did not do MPTCP; newer kernels may also say
	 * so in mptcpi_flags.
	 */
	if (!getsockopt(fd, SOL_MPTCP, MPTCP_INFO, &info, &len) &&
	    !(info.flags & MPTCP_INFO_FLAG_FALLBACK))
		printf("mptcp-hello: connected with MPTCP (subflows: %d)\n",
		       info.subflows + 1);
	else if (is_mptcp)
		printf("mptcp-hello: fell back to TCP: peer does not support MPTCP\n");
	else
		printf("mptcp-hello: connected with plain TCP\n");
	close(fd);
	return ok ? 0 : 1;
}
