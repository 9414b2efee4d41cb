#!/usr/bin/env bats
# A path that goes down and comes back three times during one transfer:
# each time MPTCP carries on over the other path, a new subflow joins when
# it returns, every byte arrives intact, and each outage is measured.
#
# Path 1 (the initial subflow's) flaps by link-down; at each failure its
# endpoint is withdrawn and at each return added back, as a connection
# manager would. The k-th failure comes once k/5 of the bytes arrived;
# the path returns once a further tenth arrived over path 2.
#
#            +------+                 +------+
#   client --| r1   |-- path 1 -------|      |
#      p1    +------+  down/up x3     |server|
#      p2    +------+                 |      |
#   client --| r2   |-- path 2 -------|      |
#            +------+  20 Mbit/s each +------+
#
# requires: mptcp ip_mptcp

load ../harness/harness

# Knobs, so tests/catalogue-a.bats can prove that each check can fail.
: "${FLAP_BYTES:=24M}"
: "${FLAP_TIMES:=3}"
: "${FLAP_CORRUPT_AT:=}"
: "${FLAP_MAX_OUTAGE_MS:=2000}"
# 0: the path's endpoint is not added back when it returns.
: "${FLAP_READD:=1}"

setup_file() {
	harness_init || return 0
	topo_paths 2 --rate 20mbit
	# Receive buffers capped at 1 MiB (4x the path's BDP), so the
	# out-of-order backlog released after each failure stays small next
	# to the byte marks that time the flaps.
	topo_sysctl client net.ipv4.tcp_rmem="4096 131072 1048576"
	topo_sysctl server net.ipv4.tcp_rmem="4096 131072 1048576"
	pm_limits all subflows=2 add_addr_accepted=0
	pm_endpoint client 1 subflow
	pm_endpoint client 2 subflow
	recipe_flap --tag flap --path 1 --times "$FLAP_TIMES" --fault link-down \
		--bytes "$FLAP_BYTES" --readd "$FLAP_READD" \
		${FLAP_CORRUPT_AT:+--corrupt-at "$FLAP_CORRUPT_AT"}
}

@test "path 1 went down and came back 3 times during the transfer" {
	assert_num "flaps done" "$(fact_get flap.flaps)" -eq "$FLAP_TIMES"
	local k
	for ((k = 1; k <= FLAP_TIMES; k++)); do
		[[ -n $(fact_get "flap.flap$k.restore_ms") ]] ||
		assert_fail "flap $k: path 1 never came back"
	done
}

@test "every byte arrives intact" {
	assert_transfer_intact flap
}

@test "each time path 1 returns a new subflow joins within 5 s: 1 + 3 joins in all" {
	local k v
	for ((k = 1; k <= FLAP_TIMES; k++)); do
		v=$(fact_get "flap.flap$k.rejoin_ms")
		if [[ $v == none ]]; then
			assert_fail "flap $k: no new subflow from path 1 within 5000 ms of its return"
		fi
		assert_num "flap $k: time until a new subflow joined over path 1 (ms)" "$v" -le 5000 || return
	done
	assert_mib flap client MPTcpExtMPJoinSynAckRx -eq $((1 + FLAP_TIMES)) &&
		assert_mib flap server MPTcpExtMPJoinAckRx -eq $((1 + FLAP_TIMES))
}

@test "each outage (longest receive gap while path 1 is down) is at most 2 s" {
	local k
	for ((k = 1; k <= FLAP_TIMES; k++)); do
		assert_num "flap $k: outage (ms)" "$(fact_get "flap.flap$k.outage_ms")" \
			-le "$FLAP_MAX_OUTAGE_MS" || return
	done
}
