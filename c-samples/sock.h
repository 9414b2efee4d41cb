/* SPDX-License-Identifier: GPL-2.0 */
/* Sockets: MPTCP with its TCP fallback, addresses, congestion control. */
#ifndef MPTH_SOCK_H
#define MPTH_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP	262
#endif
#ifndef SOL_MPTCP
#define SOL_MPTCP	284
#endif

#define ADDR_STRLEN	64

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

#endif
