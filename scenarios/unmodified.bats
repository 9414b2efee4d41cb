#!/usr/bin/env bats
# Unmodified TCP programs (iperf3 and socat) run under `mptcpize run` on
# both ends get two subflows and survive the loss of path 1 mid-transfer.
#
# mptcpize (from mptcpd) preloads a library that turns the program's TCP
# sockets into MPTCP ones; nothing in iperf3 3.12 or socat knows. iperf3
# reports what it moved (-J); for socat, our pattern is piped through it
# to our mptcp-server, which verifies every byte. The path fails by link
# down, and its endpoint is withdrawn as a connection manager would.
#
#            +------+                 +------+
#   client --| r1   |-- path 1 -------|      |
#      p1    +------+  20 Mbit/s      |server|
#      p2    +------+                 |      |
#   client --| r2   |-- path 2 -------|      |
#            +------+  20 Mbit/s      +------+
# requires: mptcp ip_mptcp mptcpize iperf3 socat python3

load ../harness/harness

# Knobs, so tests/catalogue-b.bats can prove that each check can fail.
# 0: run the programs as they are, plain TCP.
: "${UNMOD_MPTCPIZE:=1}"
: "${UNMOD_APPS:=iperf3 socat}"
: "${UNMOD_OUTAGE_MAX_MS:=3000}"
# How long a transfer may take (a plain TCP one stalls on the dead path).
: "${UNMOD_WAIT_MS:=30000}"

WRAP=()
[[ $UNMOD_MPTCPIZE == 1 ]] && WRAP=(--mptcpize)

# Path 1 fails; its endpoint goes, as mptcpd would do on link down.
# $1: tag
fail_path1() {
	fault_link_down 1
	fact_set "$1.fault_ms" "$(now_ms)"
	pm_endpoint_del client 1 || true
}

# Path 1 comes back, with its endpoint, for the next program.
restore_path1() {
	fault_restore 1
	pm_endpoint_id client 1 >/dev/null || pm_endpoint client 1 subflow
}

# $1: tag, $2: port. Records the subflow counts ss shows on the client.
record_subflows() {
	obs_monitor_wait_subflows client "$2" 2 3000 || true
	fact_set "$1.ssm" "$(app_ssm_max_subflows client "$2")"
	fact_set "$1.ss_ulp" "$(obs_ss_subflows client "$2")"
}

run_iperf3() {
	local t=iperf3 port=5201 f
	obs_mib_mark $t client
	app_start --tag $t "${WRAP[@]}" server iperf3 -s -1 -p $port
	app_wait_listen server $port || return 1
	fact_set $t.start_ms "$(now_ms)"
	app_start --tag $t "${WRAP[@]}" --stdout client.json client \
		iperf3 -c "$(topo_addr 1 server)" -p $port -t 10 -i 0.5 -J
	record_subflows $t $port
	# iperf3 runs for a time of its own (10 s: room for a late harness to
	# fail path 1 and still see 4 intervals after it).
	wait_nap 1.5
	fail_path1 $t
	app_wait $t client "$UNMOD_WAIT_MS" || true
	app_wait $t server 5000 || true
	fact_set $t.end_ms "$(now_ms)"
	obs_mib_record $t
	fact_set $t.joins "$(obs_mib_of $t client MPTcpExtMPJoinSynAckRx)"
	f=$MPTH_RUN_DIR/traffic-$t/client.json
	fact_set $t.error "$(jq -r '.error // "none"' "$f" 2>/dev/null)"
	fact_set $t.received "$(jq -r '.end.sum_received.bytes // 0 | floor' "$f" 2>/dev/null)"
	# Intervals that end more than 1 s after the failure (iperf3's clock
	# starts a little after ours: the bound errs on the late side); each
	# must move data.
	local rel
	rel=$(($(fact_get $t.fault_ms) - $(fact_get $t.start_ms) + 1000))
	fact_set $t.after "$(jq -r --argjson r "$rel" \
		'[.intervals[].sum | select(.end * 1000 > $r)] | length' "$f" 2>/dev/null)"
	fact_set $t.after_idle "$(jq -r --argjson r "$rel" \
		'[.intervals[].sum | select(.end * 1000 > $r) | select(.bytes == 0)] | length' "$f" 2>/dev/null)"
	restore_path1
}

run_socat() {
	local t=socat stream=$MPTH_RUN_DIR/socat.in q
	# Header and pattern, as mptcp-client would send them.
	python3 "$MPTH_ROOT/c-samples/lang/mpth_client.py" --emit 16777216 "${MPTH_SEED:-1}" >"$stream" || return 1
	app_traffic --tag $t --bytes 16M "${WRAP[@]}" -- sh -c \
		"exec socat -t 10 STDIO TCP:{host}:{port} <'$stream' >'$MPTH_RUN_DIR/socat.out'" || return 1
	record_subflows $t "$(fact_get $t.port)"
	q=$((16777216 / 4))
	traffic_mark $t $q "$UNMOD_WAIT_MS" || true
	fail_path1 $t
	traffic_wait "$UNMOD_WAIT_MS" $t || true
	fact_set $t.outage_ms "$(traffic_outage_ms $t "$(fact_get $t.fault_ms)")"
	harness_figure socat_outage_ms "$(fact_get $t.outage_ms)"
	fact_set $t.result_status "$(od -An -tu1 -j5 -N1 "$MPTH_RUN_DIR/socat.out" 2>/dev/null | tr -d ' ')"
	restore_path1
}

setup_file() {
	harness_init || return 0
	topo_paths 2 --rate 20mbit
	pm_limits all subflows=2 add_addr_accepted=2
	pm_endpoint client 1 subflow
	pm_endpoint client 2 subflow
	local a
	for a in $UNMOD_APPS; do
		"run_$a"
	done
}

@test "iperf3 under mptcpize: its connections get 2 subflows (ss -M, ss -tni, MIB joins)" {
	harness_case iperf3 UNMOD_APPS
	assert_num "subflows of iperf3's connections by ss -M" "$(fact_get iperf3.ssm)" -ge 2
	# The control and the data connection each have two subflows.
	assert_num "TCP sockets with the mptcp ULP (ss -tni)" "$(fact_get iperf3.ss_ulp)" -ge 3
	assert_num "client MIB MPJoinSynAckRx" "$(fact_get iperf3.joins)" -ge 1
}

@test "iperf3 under mptcpize survives path 1 going down: exit 0, data in every interval after the failure" {
	harness_case iperf3 UNMOD_APPS
	assert_num "iperf3 client exit code" "$(app_rc iperf3 client)" -eq 0
	assert_str "iperf3 error" "$(fact_get iperf3.error)" none
	assert_num "iperf3 intervals after the failure (+1 s)" "$(fact_get iperf3.after)" -ge 4
	assert_num "of which moved no byte" "$(fact_get iperf3.after_idle)" -eq 0
	assert_num "bytes iperf3 received" "$(fact_get iperf3.received)" -gt 0
}

@test "socat under mptcpize: its connection gets 2 subflows (ss -M)" {
	harness_case socat UNMOD_APPS
	assert_num "subflows of socat's connection by ss -M" "$(fact_get socat.ssm)" -ge 2
}

@test "socat under mptcpize survives path 1 going down: our server verifies every byte, the outage stays under 3 s" {
	harness_case socat UNMOD_APPS
	app_assert_verified socat
	assert_num "server's result status relayed by socat (0 = ok)" "$(fact_get socat.result_status)" -eq 0
	assert_num "outage after the failure (ms, longest receive gap)" "$(fact_get socat.outage_ms)" -le "$UNMOD_OUTAGE_MAX_MS"
}
