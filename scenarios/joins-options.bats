#!/usr/bin/env bats
# mptcp_join.sh's cases under other settings: SYN cookies on the server,
# DSS checksums on either end, joins to the initial address forbidden
# (allow_join_initial_addr_port=0) on either end, the userspace path
# manager without a daemon, and every ADD_ADDR echo lost: each gives
# exactly the joins and ADD_ADDRs the kernel's selftest wants.
#
# Each case is one upload over the same four paths, with the path manager
# flushed and set up anew: the limits of both ends, the client's subflow
# endpoints and the server's signal endpoints, as in mptcp_join.sh. Its
# test checks what chk_join_nr and chk_add_nr check there: MP_JOIN SYNs
# the server got, SYN/ACKs the client got, third ACKs the server got
# (MPJoinSynRx, MPJoinSynAckRx, MPJoinAckRx), the joins it refused, no
# HMAC failure and no fallback; ADD_ADDRs the client got and echoes the
# server got (AddAddr, EchoAdd); the most subflows at once; and every
# byte intact. A case that wants no join waits for the event that would
# have made one (the connection, or the echo of the ADD_ADDR), then
# streams on for the rest of the transfer.
#
#            +------+
#   client --| r1   |-- path 1 --+ 198.19.1.1
#      p1    +------+            |
#      p2 ---| r2   |-- path 2 --+ .2.1
#      p3 ---| r3   |-- path 3 --+ .3.1   server
#      p4 ---| r4   |-- path 4 --+ .4.1
#            +------+   20 Mbit/s each
#
# requires: mptcp ip_mptcp nft

load ../harness/harness
load joins-table

# Knobs, so tests/catalogue-c.bats can prove that each check can fail.
: "${JOINS_CASES:=ckmulti cksignal cksubsig cksubsigs csum00 csum11 csum01 csum10 id0s1 id0s2 id0a1 id0a2 id0sa1 id0def usnoadd usnojoin usnorm tosig tosig6 tosigs toinvalid}"

setup_file() {
	harness_init || return 0
	topo_paths 4 --rate 20mbit
	joins_run
}

@test "multiple subflows with syn cookies: two subflow endpoints, SYN cookies on the server: 2 2 2" {
	harness_case ckmulti JOINS_CASES
	joins_as_mptcp_join ckmulti
}

@test "signal address with syn cookies: one announced address joined under SYN cookies: 1 1 1, ADD_ADDR 1 1" {
	harness_case cksignal JOINS_CASES
	joins_as_mptcp_join cksignal
}

@test "subflow and signal w cookies: a subflow endpoint and an announced address under SYN cookies: 2 2 2, ADD_ADDR 1 1" {
	harness_case cksubsig JOINS_CASES
	joins_as_mptcp_join cksubsig
}

@test "subflows and signal w. cookies: two subflow endpoints and an announced address under SYN cookies: 3 3 3, ADD_ADDR 1 1" {
	harness_case cksubsigs JOINS_CASES
	joins_as_mptcp_join cksubsigs
}

@test "checksum test 0 0: DSS checksums off at both ends: no join, no checksum error" {
	harness_case csum00 JOINS_CASES
	joins_as_mptcp_join csum00
}

@test "checksum test 1 1: DSS checksums on at both ends: no join, no checksum error" {
	harness_case csum11 JOINS_CASES
	joins_as_mptcp_join csum11
}

@test "checksum test 0 1: DSS checksums on at the client only: no join, no checksum error" {
	harness_case csum01 JOINS_CASES
	joins_as_mptcp_join csum01
}

@test "checksum test 1 0: DSS checksums on at the server only: no join, no checksum error" {
	harness_case csum10 JOINS_CASES
	joins_as_mptcp_join csum10
}

@test "single subflow allow join id0 ns1: only the client forbids joins to its initial address: the join to the server's is made, 1 1 1" {
	harness_case id0s1 JOINS_CASES
	joins_as_mptcp_join id0s1
}

@test "single subflow allow join id0 ns2: the server forbids joins to its initial address: no join, 0 0 0" {
	harness_case id0s2 JOINS_CASES
	joins_as_mptcp_join id0s2
}

@test "signal address allow join id0 ns1: the client forbids, the announced address is joined: 1 1 1, ADD_ADDR 1 1" {
	harness_case id0a1 JOINS_CASES
	joins_as_mptcp_join id0a1
}

@test "signal address allow join id0 ns2: the server forbids, but an announced address is not id 0: 1 1 1, ADD_ADDR 1 1" {
	harness_case id0a2 JOINS_CASES
	joins_as_mptcp_join id0a2
}

@test "subflow and address allow join id0 1: the client forbids: both joins made, 2 2 2" {
	harness_case id0sa1 JOINS_CASES
	joins_as_mptcp_join id0sa1
}

@test "default limits, server deny join id 0: the server forbids, announces one address, two client endpoints join it: 2 2 2, ADD_ADDR 1 1" {
	harness_case id0def JOINS_CASES
	joins_as_mptcp_join id0def
}

@test "userspace pm type prevents add_addr: the server's signal endpoint is not announced under the userspace PM: 0 0 0, ADD_ADDR 0 0" {
	harness_case usnoadd JOINS_CASES
	joins_as_mptcp_join usnoadd
}

@test "userspace pm type does not send join: the client under the userspace PM makes nothing of its endpoint: 0 0 0" {
	harness_case usnojoin JOINS_CASES
	joins_as_mptcp_join usnojoin
}

@test "userspace pm type prevents rm_addr: under the userspace PM on both ends, deleting the client's endpoint sends no RM_ADDR: 0 0 0" {
	harness_case usnorm JOINS_CASES
	joins_as_mptcp_join usnorm
}

@test "signal address, ADD_ADDR timeout: every echo lost: the server sends its ADD_ADDR 4 times (the cap), the client still joins, 1 1 1" {
	harness_case tosig JOINS_CASES
	joins_as_mptcp_join tosig
}

@test "signal address, ADD_ADDR6 timeout: the same over IPv6: 4 sent, none echoed back, 1 1 1" {
	harness_case tosig6 JOINS_CASES
	joins_as_mptcp_join tosig6
}

@test "signal addresses, ADD_ADDR timeout: two addresses, every echo lost: 8 ADD_ADDRs received, 2 2 2" {
	harness_case tosigs JOINS_CASES
	joins_as_mptcp_join tosigs
}

@test "invalid address, ADD_ADDR timeout: one of two addresses exists nowhere, every echo lost: 8 received, one join" {
	harness_case toinvalid JOINS_CASES
	joins_as_mptcp_join toinvalid
}
