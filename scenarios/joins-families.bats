#!/usr/bin/env bats
# mptcp_join.sh's IPv4-mapped and mixed-family tables: IPv4 endpoints,
# endpoints written ::ffff:a.b.c.d and IPv6 ones, under IPv4 and IPv6
# sockets, give exactly the joins the kernel's selftest wants: a mapped
# address is IPv4 to the path manager, and no subflow crosses families.
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
# requires: mptcp ip_mptcp

load ../harness/harness
load joins-table

# Knobs, so tests/catalogue-c.bats can prove that each check can fail.
: "${JOINS_CASES:=mapsf mapsig v4v6sf v4v6sig v6v4sf v6v4sig diff46 diff64 mix4no6 mix6v4}"

setup_file() {
	harness_init || return 0
	topo_paths 4 --rate 20mbit
	joins_run
}

@test "single subflow IPv4-mapped: a ::ffff: subflow endpoint, an IPv6 socket to the server's ::ffff: address: 1 1 1" {
	harness_case mapsf JOINS_CASES
	joins_as_mptcp_join mapsf
}

@test "signal address IPv4-mapped: a ::ffff: address announced to an IPv6 socket: 1 1 1, ADD_ADDR 1 1" {
	harness_case mapsig JOINS_CASES
	joins_as_mptcp_join mapsig
}

@test "single subflow v4-map-v6: an IPv4 subflow endpoint joins an IPv6 socket's connection to a ::ffff: address: 1 1 1" {
	harness_case v4v6sf JOINS_CASES
	joins_as_mptcp_join v4v6sf
}

@test "signal address v4-map-v6: an IPv4 address announced to an IPv6 socket: 1 1 1, ADD_ADDR 1 1" {
	harness_case v4v6sig JOINS_CASES
	joins_as_mptcp_join v4v6sig
}

@test "single subflow v6-map-v4: a ::ffff: subflow endpoint joins an IPv4 socket's connection: 1 1 1" {
	harness_case v6v4sf JOINS_CASES
	joins_as_mptcp_join v6v4sf
}

@test "signal address v6-map-v4: a ::ffff: address announced to an IPv4 socket: 1 1 1, ADD_ADDR 1 1" {
	harness_case v6v4sig JOINS_CASES
	joins_as_mptcp_join v6v4sig
}

@test "no JOIN with diff families v4-v6: an IPv6 subflow endpoint never joins an IPv4 connection" {
	harness_case diff46 JOINS_CASES
	joins_as_mptcp_join diff46
}

@test "no JOIN with diff families v6-v4: an IPv4 subflow endpoint never joins an IPv6 connection" {
	harness_case diff64 JOINS_CASES
	joins_as_mptcp_join diff64
}

@test "IPv4 sockets do not use IPv6 addresses: an IPv6 address announced to an IPv4 connection is echoed (1 1), never joined" {
	harness_case mix4no6 JOINS_CASES
	joins_as_mptcp_join mix4no6
}

@test "simult IPv4 and IPv6 subflows: an IPv6 connection joins the server's announced IPv4 address: 1 1 1" {
	harness_case mix6v4 JOINS_CASES
	joins_as_mptcp_join mix6v4
}
