#!/usr/bin/env bats
# A subflow that cannot be made costs only itself: an MP_JOIN SYN refused
# on one path (reset, or dropped) leaves that path without a subflow while
# the path manager goes on with the next endpoint, and an endpoint on the
# initial subflow's own address never makes a second subflow from it, nor
# does one whose address the client lacks (its bind fails). The
# data arrives intact each time.
#
# The kernel's mptcp_join.sh counterparts are subflows_error_tests' "no
# MPC reuse with single endpoint", "multi subflows, with failing
# subflow" and "multi subflows, with subflow timeout", with the same
# counters, and the join-tx error counters (MPJoinSynTx*Err, 2024).
#
# reset      the client has subflow endpoints for paths 2 and 3; router 2
#            answers every MP_JOIN SYN with a TCP reset
# drop       the same, router 2 drops them silently
# bind-err   the client has a subflow endpoint for an address none of its
#            interfaces has, and one for path 3
# mpc-reuse  the client has subflow endpoints for its path-1 address (the
#            initial subflow's) and for path 2
#
#            +------+
#   client --| r1   |-- path 1 --+
#      p1    +------+            |
#      p2 ---| r2   |-- path 2 --+-- server
#      p3 ---| r3   |-- path 3 --+
#            +------+   20 Mbit/s each
#
# requires: mptcp ip_mptcp nft

load ../harness/harness

# Knobs, so tests/catalogue-b.bats can prove that each check can fail.
: "${JOINERR_CASES:=reset drop bind-err mpc-reuse}"
: "${JOINERR_BYTES:=3M}"
# The path whose joins router refuses (a sabotage: one with no endpoint).
: "${JOINERR_PATH:=2}"
# The bind-err case's endpoint address, on no interface of the client.
: "${JOINERR_FOREIGN:=198.18.200.1}"

setup_file() {
	harness_init || return 0
	topo_paths 3 --rate 20mbit
	pm_limits server subflows=4 add_addr_accepted=0
	pm_limits client subflows=4 add_addr_accepted=0
	local c
	for c in $JOINERR_CASES; do
		pm_flush client
		case $c in
		reset | drop)
			fault_refuse_join "$JOINERR_PATH" "$c"
			pm_endpoint client 2 subflow
			pm_endpoint client 3 subflow
			# Both joins were tried once the client sent both SYNs.
			recipe_counted "$c" 2 --bytes "$JOINERR_BYTES" \
				--wait-mib client MPTcpExtMPJoinSynTx 2
			fact_set "$c.refused" "$(obs_nft_counter "$JOINERR_PATH" mpth_refuse_join refused)"
			fault_refuse_join_end "$JOINERR_PATH"
			;;
		bind-err)
			# An address no interface of the client has.
			ip -n "$(topo_ns client)" mptcp endpoint add "$JOINERR_FOREIGN" dev p2 subflow
			pm_endpoint client 3 subflow
			recipe_counted "$c" 2 --bytes "$JOINERR_BYTES" \
				--wait-mib client MPTcpExtMPJoinSynTxBindErr 1
			;;
		mpc-reuse)
			pm_endpoint client 1 subflow
			pm_endpoint client 2 subflow
			# The path-2 join is the event: by then the client's PM
			# has been through both endpoints.
			recipe_counted "$c" 2 --bytes "$JOINERR_BYTES"
			;;
		esac
	done
}

# The join over path 3 made, the other one not; nothing else failed.
# $1: case
path3_joined() {
	local tag=$1
	fact_sync
	assert_num "most subflows at once (client MPTCP_INFO)" "${FACT[$tag.sf_max]-}" -eq 2 &&
		assert_mib "$tag" client MPTcpExtMPJoinSynAckRx -eq 1 &&
		assert_mib "$tag" server MPTcpExtMPJoinSynRx -eq 1 &&
		assert_mib "$tag" server MPTcpExtMPJoinAckRx -eq 1 &&
		assert_join_clean "$tag" &&
		assert_pairs "$tag" "$(topo_addr 1 client)>$(topo_addr 1 server)" \
			"$(topo_addr 3 client)>$(topo_addr 1 server)"
}

# Two join SYNs sent, the one over path 2 refused by its router, the one
# over path 3 answered. The MPJoinSynTx*Err counters count what fails on
# the client itself (socket, bind, connect()): a refusal on the way is
# none of them; a reset shows as a failed TCP connection attempt (a drop
# leaves the SYN retrying until the connection closes, and whether that
# close counts as a failed attempt is not the point: not checked).
# $1: case, $2: TcpAttemptFails wanted, or '' for no check
one_refused() {
	local tag=$1
	fact_sync
	assert_num "MP_JOIN SYNs router $JOINERR_PATH refused ($tag)" "${FACT[$tag.refused]-}" -ge 1 &&
		assert_mib "$tag" client MPTcpExtMPJoinSynTx -eq 2 &&
		assert_mib "$tag" client MPTcpExtMPJoinSynTxConnectErr -eq 0 &&
		assert_mib "$tag" client MPTcpExtMPJoinSynTxBindErr -eq 0 &&
		assert_mib "$tag" client MPTcpExtMPJoinSynTxCreatSkErr -eq 0 &&
		{ [[ -z $2 ]] || assert_mib "$tag" client TcpAttemptFails -eq "$2"; } &&
		path3_joined "$tag"
}

@test "a join reset by router 2: path 3 still joins, path 2 gets no subflow (the kernel's join counters)" {
	harness_case reset JOINERR_CASES
	one_refused reset 1
}

@test "a join reset by router 2: the data arrives intact" {
	harness_case reset JOINERR_CASES
	assert_transfer_intact reset
}

@test "a join dropped by router 2: path 3 still joins, path 2 gets no subflow, and the data arrives intact" {
	harness_case drop JOINERR_CASES
	one_refused drop '' &&
		assert_transfer_intact drop
}

@test "an endpoint whose address the client lacks: its bind fails (MPJoinSynTxBindErr), no SYN goes out, path 3 still joins, and the data arrives intact" {
	harness_case bind-err JOINERR_CASES
	assert_mib bind-err client MPTcpExtMPJoinSynTxBindErr -eq 1 &&
		assert_mib bind-err client MPTcpExtMPJoinSynTx -eq 1 &&
		path3_joined bind-err &&
		assert_transfer_intact bind-err
}

@test "an endpoint on the initial subflow's address makes no second subflow from it; path 2 joins once" {
	harness_case mpc-reuse JOINERR_CASES
	assert_joins_exact mpc-reuse 1 &&
		assert_pairs mpc-reuse "$(topo_addr 1 client)>$(topo_addr 1 server)" \
			"$(topo_addr 2 client)>$(topo_addr 1 server)" &&
		assert_transfer_intact mpc-reuse
}

