#!/usr/bin/env bats
# A client with `fullmesh` endpoints and a server with two addresses get
# the full mesh: one subflow per pair of addresses, 2 x 2 = 4, exactly.
#
# The client has `subflow fullmesh` endpoints for both its addresses; the
# server announces its second address (`signal`). The client then opens a
# subflow from each of its addresses to each of the server's: both from
# the endpoints (to the initial address) and on the ADD_ADDR (to the
# announced one). Without fullmesh the announced address would get only
# one subflow, from the initial address.
#
#            +------+                 +------+
#   client --| r1   |-- path 1 -------| .1.1 |
#   .1.1     +------+  (r1 reaches    |      |
#   .2.1     +------+   every server  |server|
#   client --| r2   |-- address) -----| .2.1 |
#            +------+  20 Mbit/s      +------+
#
#   subflows: .1.1>.1.1  .1.1>.2.1  .2.1>.1.1  .2.1>.2.1
#
# requires: mptcp ip_mptcp mptcp_fullmesh

load ../harness/harness

# Knobs, so tests/catalogue-a.bats can prove that each check can fail.
: "${FULLMESH_BYTES:=3M}"
# The client endpoints' extra flag ("" = plain subflow endpoints).
# (Set but empty is a choice, hence - rather than :=.)
FULLMESH_FLAG=${FULLMESH_FLAG-fullmesh}

setup_file() {
	harness_init || return 0
	topo_paths 2 --rate 20mbit
	pm_limits all subflows=8 add_addr_accepted=4
	# shellcheck disable=SC2086 # the flag is a word or nothing
	pm_endpoint client 1 subflow $FULLMESH_FLAG
	# shellcheck disable=SC2086 # the flag is a word or nothing
	pm_endpoint client 2 subflow $FULLMESH_FLAG
	pm_endpoint server 2 signal
	recipe_counted mesh 4 --bytes "$FULLMESH_BYTES"
}

@test "the server's second address is announced and echoed once" {
	assert_mib mesh server MPTcpExtAddAddrTx -eq 1 --else client MPTcpExtAddAddr &&
		assert_mib mesh client MPTcpExtAddAddr -eq 1 &&
		assert_mib mesh client MPTcpExtEchoAddTx -eq 1 --else server MPTcpExtEchoAdd &&
		assert_mib mesh server MPTcpExtEchoAdd -eq 1
}

@test "exactly 4 subflows (3 joins), counted at both ends" {
	assert_joins_exact mesh 3
}

@test "one subflow for each of the 4 address pairs, and the data arrives intact" {
	local c1 c2 s1 s2
	c1=$(topo_addr 1 client) c2=$(topo_addr 2 client)
	s1=$(topo_addr 1 server) s2=$(topo_addr 2 server)
	assert_pairs mesh "$c1>$s1" "$c1>$s2" "$c2>$s1" "$c2>$s2" &&
		assert_transfer_intact mesh
}
