#!/usr/bin/env bats
# The server's announced address comes and goes under a live connection:
# removing its signal endpoint sends RM_ADDR and closes the subflow to it,
# adding it back announces it again (ADD_ADDR counted again) and the
# client joins it again, and so does a flush of the server's endpoints
# followed by a re-add. The data arrives intact through all of it.
#
# It is close to mptcp_join.sh's endpoint_tests "delete re-add signal"
# and "flush re-add", with the same counters, but not either: that case
# also removes and re-adds id 0 and announces an address nowhere
# (224.0.0.1), this one does neither.
#
# One streaming upload. The server has a `signal` endpoint for its path-2
# address; the client accepts announcements and has no endpoint of its
# own, so its join to the announced address leaves from its path-1
# address. Then: delete the endpoint, add it back, flush, add it back;
# each step waits for the client's subflows to show it.
#
#            +------+                 +------+
#   client --| r1   |-- path 1 -------| .1.1 |
#      p1    +------+                 |      | server, announces
#      p2 ---| r2   |-- path 2 -------| .2.1 | 198.19.2.1
#            +------+  20 Mbit/s      +------+
#
# requires: mptcp ip_mptcp

load ../harness/harness

# Knobs, so tests/catalogue-b.bats can prove that each check can fail.
: "${READD_BYTES:=8M}"
# How the endpoint comes back after each removal (a sabotage: none).
: "${READD_HOW:=signal}"

# $1: step name. Waits until the client's live subflows are exactly the
# initial one plus, with $2 = joined, the one to the announced address.
step() {
	local c s1 s2
	c=$(topo_addr 1 client) s1=$(topo_addr 1 server) s2=$(topo_addr 2 server)
	if [[ $2 == joined ]]; then
		traffic_wait_live_pairs readd "$c>$s1" "$c>$s2"
	else
		traffic_wait_live_pairs readd "$c>$s1"
	fi
	fact_set "readd.$1_ms" "$TRAFFIC_WAITED_MS"
}

# Add the server's path-2 endpoint back, as READD_HOW says.
readd() {
	[[ $READD_HOW == none ]] || pm_endpoint server 2 "$READD_HOW"
}

setup_file() {
	harness_init || return 0
	topo_paths 2 --rate 20mbit
	pm_limits server subflows=4 add_addr_accepted=0
	pm_limits client subflows=4 add_addr_accepted=4
	pm_endpoint server 2 signal
	obs_mib_mark readd
	traffic_start --tag readd --bytes "$READD_BYTES" || return 1
	step join1 joined
	pm_endpoint_del server 2
	step removed1 gone
	readd
	step join2 joined
	pm_flush server
	step removed2 gone
	readd
	step join3 joined
	traffic_wait 60000 readd || true
	obs_mib_record readd
}

# A step's wait, in ms: a number unless it never came. $1: step, $2: what
waited() {
	assert_num "$2 (ms)" "$(fact_get "readd.$1_ms")" -le 5000
}

@test "the join to the announced address is made" {
	waited join1 "the client joined the announced address after"
}

@test "deleting the signal endpoint sends RM_ADDR (the client counts it) and the server removes the subflow to it (RmSubflow)" {
	waited removed1 "the subflow to the removed address closed after" &&
		assert_mib readd client MPTcpExtRmAddr -eq 2 &&
		assert_mib readd server MPTcpExtRmAddrTx -eq 2 --else client MPTcpExtRmAddr &&
		assert_mib readd server MPTcpExtRmSubflow -eq 2
}

@test "adding it back announces it again and the client joins it again" {
	waited join2 "the client joined the re-added address after"
}

@test "a flush and a re-add: removed, announced and joined once more" {
	waited removed2 "the subflow closed after the flush, after" &&
		waited join3 "the client joined the address added after the flush, after"
}

@test "three announcements and three joins in all, counted at both ends" {
	assert_mib readd server MPTcpExtAddAddrTx -eq 3 --else client MPTcpExtAddAddr &&
		assert_mib readd client MPTcpExtAddAddr -eq 3 &&
		assert_mib readd server MPTcpExtEchoAdd -eq 3 &&
		assert_mib readd client MPTcpExtMPJoinSynAckRx -eq 3 &&
		assert_mib readd server MPTcpExtMPJoinAckRx -eq 3
}

@test "every byte arrives intact" {
	assert_transfer_intact readd
}
