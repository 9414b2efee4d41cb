#!/usr/bin/env bats
# A listener bound to one address takes joins to that address only: the
# server's other addresses, even announced, have no listener, so a join
# to one is refused with a reset, while a join from another client
# address to the bound one is taken. The data arrives intact each time.
#
# The kernel's mptcp_join.sh counterpart is bind_tests (a listener bound
# to the main address: no join to the announced one), with the same
# counters.
#
# announced  the server listens on its path-1 address and announces its
#            path-2 address; the client accepts it: the join to it is
#            refused, no subflow is made
# to-bound   the server listens on its path-1 address; the client has a
#            subflow endpoint for path 2: it joins the bound address
#
#            +------+                 +------+
#   client --| r1   |-- path 1 -------| .1.1 | server, listening on
#      p1    +------+                 |      | 198.19.1.1 only
#      p2 ---| r2   |-- path 2 -------| .2.1 |
#            +------+  20 Mbit/s      +------+
#
# requires: mptcp ip_mptcp

load ../harness/harness

# Knobs, so tests/catalogue-b.bats can prove that each check can fail.
: "${BIND_CASES:=announced to-bound}"
: "${BIND_BYTES:=3M}"
# The path of the address the server listens on (a sabotage: none, i.e.
# every address).
: "${BIND_LISTEN:=1}"

setup_file() {
	harness_init || return 0
	topo_paths 2 --rate 20mbit
	pm_limits server subflows=2 add_addr_accepted=0
	local c listen=()
	[[ $BIND_LISTEN == none ]] || listen=(--listen-path "$BIND_LISTEN")
	for c in $BIND_CASES; do
		pm_flush client
		pm_flush server
		case $c in
		announced)
			pm_limits client subflows=2 add_addr_accepted=1
			pm_endpoint server 2 signal
			# The client's join SYN, then its reset, are the event.
			recipe_counted "$c" 1 --bytes "$BIND_BYTES" "${listen[@]}" \
				--wait-mib client TcpAttemptFails 1
			;;
		to-bound)
			pm_limits client subflows=2 add_addr_accepted=0
			pm_endpoint client 2 subflow
			recipe_counted "$c" 2 --bytes "$BIND_BYTES" "${listen[@]}"
			;;
		esac
	done
}

@test "announced address without a listener: ADD_ADDR received, the join to it refused with a reset, no subflow" {
	harness_case announced BIND_CASES
	fact_sync
	assert_num "most subflows at once (client MPTCP_INFO)" "${FACT[announced.sf_max]-}" -eq 1 &&
		assert_mib announced client MPTcpExtAddAddr -eq 1 &&
		assert_mib announced client MPTcpExtMPJoinSynTx -eq 1 &&
		assert_mib announced client TcpAttemptFails -eq 1 &&
		assert_mib announced client MPTcpExtMPJoinSynAckRx -eq 0 &&
		assert_mib announced server MPTcpExtMPJoinSynRx -eq 0 &&
		assert_mib announced server MPTcpExtMPJoinAckRx -eq 0
}

@test "announced address without a listener: the data arrives intact over the initial subflow" {
	harness_case announced BIND_CASES
	assert_transfer_intact announced
}

@test "a join from another client address to the bound address is taken, and the data arrives intact" {
	harness_case to-bound BIND_CASES
	assert_joins_exact to-bound 1 &&
		assert_pairs to-bound "$(topo_addr 1 client)>$(topo_addr 1 server)" \
			"$(topo_addr 2 client)>$(topo_addr 1 server)" &&
		assert_transfer_intact to-bound
}
