#!/usr/bin/env bats
# MPTCP survives a path failure beyond the basic case: when the secondary
# path fails rather than the initial one, and when the failure strikes a
# download or a bidirectional transfer; every byte arrives intact and the
# outage is measured.
#
# secondary: path 2 (the joined subflow) is silently blackholed during an
# upload; the initial subflow on path 1 carries on.
# download: path 1 is blackholed while the server sends: the server's own
# loss detection must move the data; the outage comes from the client's
# receive timeline.
# bidir: path 1 goes down (link-down; the client withdraws its endpoint
# as a connection manager would) while both ends send; the outage is the
# longest gap of either direction.
# Each time the path comes back and a new subflow joins over it.
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

# Knobs, so tests/catalogue-a.bats can prove that each check can fail.
: "${FAILVAR_CASES:=secondary download bidir}"
: "${FAILVAR_BYTES:=24M}"
: "${FAILVAR_CORRUPT_AT:=}"
: "${FAILVAR_BLACKHOLE_MAX_MS:=5000}"
: "${FAILVAR_LINKDOWN_MAX_MS:=2000}"
: "${FAILVAR_SURVIVOR_PCT:=90}"
: "${FAILVAR_RMEM:=1048576}"

setup_file() {
	harness_init || return 0
	topo_paths 2 --rate 20mbit --delay 10ms
	# Receive buffers capped at 1 MiB (4x the path's BDP): the backlog a
	# receiver holds out of order while a dead path's data is missing,
	# and hands over in one burst once it is retransmitted, then stays
	# below the recipe's byte marks, which measure the survivor alone.
	topo_sysctl client net.ipv4.tcp_rmem="4096 131072 $FAILVAR_RMEM"
	topo_sysctl server net.ipv4.tcp_rmem="4096 131072 $FAILVAR_RMEM"
	pm_limits all subflows=2 add_addr_accepted=0
	pm_endpoint client 1 subflow
	pm_endpoint client 2 subflow
	local c
	for c in $FAILVAR_CASES; do
		case $c in
		secondary)
			recipe_failover --tag "$c" --fault blackhole --path 2 \
				--bytes "$FAILVAR_BYTES" \
				${FAILVAR_CORRUPT_AT:+--corrupt-at "$FAILVAR_CORRUPT_AT"}
			;;
		download)
			recipe_failover --tag "$c" --fault blackhole --path 1 \
				--bytes "$FAILVAR_BYTES" --mode download
			;;
		bidir)
			recipe_failover --tag "$c" --fault link-down --path 1 --pm-react 1 \
				--bytes "$FAILVAR_BYTES" --mode bidir \
				${FAILVAR_CORRUPT_AT:+--corrupt-at "$FAILVAR_CORRUPT_AT"}
			;;
		esac
	done
}

@test "secondary: path 2 is blackholed mid-upload, and every byte arrives intact" {
	harness_case secondary FAILVAR_CASES
	assert_joined_before_fault secondary 2 &&
		assert_fault_mid_transfer secondary &&
		assert_transfer_intact secondary
}

@test "secondary: path 1 carries at least 90% of the bytes after the failure, the outage under 5 s" {
	harness_case secondary FAILVAR_CASES
	assert_survivor_carried secondary "$FAILVAR_SURVIVOR_PCT" &&
		assert_outage_below secondary "$FAILVAR_BLACKHOLE_MAX_MS"
}

@test "secondary: a new subflow joins over path 2 within 5 s of its return" {
	harness_case secondary FAILVAR_CASES
	assert_rejoined_within secondary 5000
}

@test "download: path 1 is blackholed while the server sends, and every byte arrives intact" {
	harness_case download FAILVAR_CASES
	assert_joined_before_fault download 2 &&
		assert_fault_mid_transfer download &&
		assert_transfer_intact download
}

@test "download: path 2 carries at least 90% of the bytes after the failure, the outage under 5 s" {
	harness_case download FAILVAR_CASES
	assert_survivor_carried download "$FAILVAR_SURVIVOR_PCT" &&
		assert_outage_below download "$FAILVAR_BLACKHOLE_MAX_MS"
}

@test "download: a new subflow joins over path 1 within 5 s of its return" {
	harness_case download FAILVAR_CASES
	assert_rejoined_within download 5000
}

@test "bidir: path 1 goes down while both ends send, and every byte arrives intact both ways" {
	harness_case bidir FAILVAR_CASES
	assert_joined_before_fault bidir 2 &&
		assert_fault_mid_transfer bidir &&
		assert_transfer_intact bidir
}

@test "bidir: path 2 carries at least 90% of both directions after the failure, the outage under 2 s" {
	harness_case bidir FAILVAR_CASES
	assert_survivor_carried bidir "$FAILVAR_SURVIVOR_PCT" &&
		assert_outage_below bidir "$FAILVAR_LINKDOWN_MAX_MS"
}

@test "bidir: a new subflow joins over path 1 within 5 s of its return" {
	harness_case bidir FAILVAR_CASES
	assert_rejoined_within bidir 5000
}
