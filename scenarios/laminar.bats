#!/usr/bin/env bats
# mptcp_join.sh's laminar endpoint table (6.18): a subflow the client
# opens to an address the server announced leaves from a laminar
# endpoint's address, not from the one routing picks; without one it
# takes routing's, which here is refused. Each case gives exactly the
# MP_JOIN and ADD_ADDR counts the kernel's selftest wants, and every byte
# arrives intact.
#
# The cases come from the case table joins.bats uses (joins-table.bash),
# one upload each, with the path manager set up anew. The server
# announces its path-2 address (and in two cases its path-3 one too). The
# client reaches 198.19.2.1 over path 2, from its own path-2 address, as
# over the selftest's direct link, and router 2 refuses MP_JOIN SYNs with
# a reset, as the selftest's filter on that address does: only a laminar
# endpoint (on path 3 or 4, added with mptcp-pm-ctl, since iproute2 6.1
# has no such flag) makes a join. An IPv6 laminar endpoint serves no IPv4
# announcement, and an endpoint that is both subflow and laminar is used
# once.
#
#            +------+
#   client --| r1   |-- path 1 --+ 198.19.1.1
#      p1    +------+            |
#      p2 ---| r2   |-- path 2 --+ .2.1 (announced; r2 refuses MP_JOIN)
#      p3 ---| r3   |-- path 3 --+ .3.1   server
#      p4 ---| r4   |-- path 4 --+ .4.1
#            +------+   20 Mbit/s each
#
# requires: mptcp ip_mptcp nft laminar libmnl

load ../harness/harness
load joins-table

# Knobs, so tests/catalogue-c.bats can prove that each check can fail.
: "${JOINS_CASES:=lamnone lamone lammulti lamsingle lamsub}"

setup_file() {
	harness_init || return 0
	topo_paths 4 --rate 20mbit
	joins_run
}

@test "without a laminar endpoint: the subflow to the announced address leaves from routing's source, whose join is refused: 0 0 0, one MP_JOIN SYN sent, ADD_ADDR 1" {
	harness_case lamnone JOINS_CASES
	joins_as_mptcp_join lamnone
}

@test "with a laminar endpoint: the subflow to the announced address leaves from it: 1 1 1, ADD_ADDR 1" {
	harness_case lamone JOINS_CASES
	joins_as_mptcp_join lamone
}

@test "with multiple laminar endpoints: two addresses announced, one IPv4 laminar endpoint for each (the IPv6 one unused): 2 2 2, ADD_ADDR 2" {
	harness_case lammulti JOINS_CASES
	joins_as_mptcp_join lammulti
}

@test "single laminar endpoint: two addresses announced, one laminar endpoint: 1 1 1, ADD_ADDR 2" {
	harness_case lamsingle JOINS_CASES
	joins_as_mptcp_join lamsingle
}

@test "subflow + laminar endpoints: each endpoint used once: 1 1 1, ADD_ADDR 1" {
	harness_case lamsub JOINS_CASES
	joins_as_mptcp_join lamsub
}
