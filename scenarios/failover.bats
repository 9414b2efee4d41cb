#!/usr/bin/env bats
# The path of the initial subflow fails mid-transfer, by interface down and
# by a silent blackhole; MPTCP carries on over the second path with every
# byte intact, a new subflow joins when the path comes back, and the
# connection then closes cleanly: the server's result and DATA_FIN reach
# the client.
#
# link-down: the client's interface goes down and, as a connection manager
# (mptcpd, NetworkManager) does, its endpoint is withdrawn, closing the dead
# subflow. blackhole: router 1 drops everything; the client's link stays up
# and only the stack's own loss detection can notice.
#
#            +------+                 +------+
#   client --| r1   |-- path 1 -------|      |
#      p1    +------+  20 Mbit/s      |server|
#      p2    +------+                 |      |
#   client --| r2   |-- path 2 -------|      |
#            +------+  20 Mbit/s      +------+
#
# Shaping sits on the routers; 10 ms delay where the kernel has netem.
# requires: mptcp ip_mptcp nft

load ../harness/harness

# Knobs, so tests/failover.bats can prove that each check can fail.
: "${FAILOVER_FAULTS:=link-down blackhole}"
: "${FAILOVER_BYTES:=24M}"
: "${FAILOVER_SUBFLOWS:=2}"
: "${FAILOVER_SUBFLOW_LIMIT:=2}"
: "${FAILOVER_RESTORE:=1}"
: "${FAILOVER_CORRUPT_AT:=}"
: "${FAILOVER_LINKDOWN_MAX_MS:=1000}"
: "${FAILOVER_BLACKHOLE_MAX_MS:=5000}"
: "${FAILOVER_SURVIVOR_PCT:=90}"
: "${FAILOVER_PM_REACT:=1}"
: "${FAILOVER_LINKDOWN_RECOVERY_MS:=2000}"
: "${FAILOVER_BLACKHOLE_RECOVERY_MS:=5000}"
: "${FAILOVER_FAULT_TOLERANCE_PM:=20}"

setup_file() {
	harness_init || return 0
	topo_paths 2 --rate 20mbit --delay 10ms
	pm_limits all subflows="$FAILOVER_SUBFLOW_LIMIT" add_addr_accepted=2
	# An endpoint for path 1 too: it names the initial subflow's address,
	# so the subflow can be closed and re-created after the failure.
	pm_endpoint client 1 subflow
	pm_endpoint client 2 subflow
	local fault react
	for fault in $FAILOVER_FAULTS; do
		# On link down the client knows, and withdraws the endpoint as
		# mptcpd would; a blackhole gives it nothing to react to.
		react=0
		[[ $fault == link-down ]] && react=$FAILOVER_PM_REACT
		recipe_failover --tag "$fault" --fault "$fault" --path 1 \
			--bytes "$FAILOVER_BYTES" --subflows "$FAILOVER_SUBFLOWS" \
			--restore "$FAILOVER_RESTORE" --pm-react "$react" \
			${FAILOVER_CORRUPT_AT:+--corrupt-at "$FAILOVER_CORRUPT_AT"}
	done
}

@test "link-down: a second subflow joins before the fault (MIB, ss -M, MPTCP_INFO)" {
	harness_case link-down FAILOVER_FAULTS
	assert_joined_before_fault link-down "$FAILOVER_SUBFLOWS"
}

@test "link-down: path 1 goes down at a quarter of the bytes (within 2%), and every byte arrives intact" {
	harness_case link-down FAILOVER_FAULTS
	assert_fault_mid_transfer link-down "$FAILOVER_FAULT_TOLERANCE_PM"
	assert_transfer_intact link-down
}

@test "link-down: path 2 carries at least 90% of the bytes after the failure" {
	harness_case link-down FAILOVER_FAULTS
	assert_survivor_carried link-down "$FAILOVER_SURVIVOR_PCT"
}

@test "link-down: the outage after the failure is at most 1 s, and the transfer recovers within 2 s" {
	harness_case link-down FAILOVER_FAULTS
	# Both figures are judged (and printed), whichever fails.
	local rc=0
	assert_outage_below link-down "$FAILOVER_LINKDOWN_MAX_MS" || rc=1
	assert_recovery_below link-down "$FAILOVER_LINKDOWN_RECOVERY_MS" || rc=1
	((rc == 0))
}

@test "link-down: a new subflow joins over path 1 within 5 s of its return" {
	harness_case link-down FAILOVER_FAULTS
	assert_rejoined_within link-down 5000
}

@test "link-down: the connection closes cleanly in both directions: the server's result and DATA_FIN reach the client" {
	harness_case link-down FAILOVER_FAULTS
	assert_closed_cleanly link-down
}

@test "blackhole: a second subflow joins before the fault (MIB, ss -M, MPTCP_INFO)" {
	harness_case blackhole FAILOVER_FAULTS
	assert_joined_before_fault blackhole "$FAILOVER_SUBFLOWS"
}

@test "blackhole: path 1 is silently dropped at a quarter of the bytes (within 2%), and every byte arrives intact" {
	harness_case blackhole FAILOVER_FAULTS
	assert_fault_mid_transfer blackhole "$FAILOVER_FAULT_TOLERANCE_PM"
	assert_transfer_intact blackhole
}

@test "blackhole: path 2 carries at least 90% of the bytes after the failure" {
	harness_case blackhole FAILOVER_FAULTS
	assert_survivor_carried blackhole "$FAILOVER_SURVIVOR_PCT"
}

@test "blackhole: the outage after the failure is at most 5 s, and the transfer recovers within 5 s" {
	harness_case blackhole FAILOVER_FAULTS
	# Both figures are judged (and printed), whichever fails.
	local rc=0
	assert_outage_below blackhole "$FAILOVER_BLACKHOLE_MAX_MS" || rc=1
	assert_recovery_below blackhole "$FAILOVER_BLACKHOLE_RECOVERY_MS" || rc=1
	((rc == 0))
}

@test "blackhole: a new subflow joins over path 1 within 5 s of its return" {
	harness_case blackhole FAILOVER_FAULTS
	assert_rejoined_within blackhole 5000
}

@test "blackhole: the connection closes cleanly in both directions: the server's result and DATA_FIN reach the client" {
	harness_case blackhole FAILOVER_FAULTS
	assert_closed_cleanly blackhole
}
