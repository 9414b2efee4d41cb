#!/usr/bin/env bats
# mptcpd, the path-manager daemon, makes the client's MPTCP endpoints from
# its addresses, with none made by hand: the client gets a second subflow,
# an address that appears mid-connection (a phone joining Wi-Fi) becomes
# a new subflow, and one that goes away takes its subflow with it.
#
# mptcpd runs inside the client's namespace (`ip netns exec`), with the
# in-kernel path manager and its addr_adv plugin, --addr-flags=subflow and
# --notify-flags=existing; it needs no D-Bus. It is stopped with SIGTERM at
# the end and must exit cleanly.
#
#            +------+                 +------+
#   client --| r1   |-- path 1 -------|      |
#      p1    +------+  20 Mbit/s      |server|
#      p2    +------+                 |      |
#   client --| r2   |-- path 2 -------|      |
#   (Wi-Fi)  +------+  20 Mbit/s      +------+
#
# Run 1: both addresses exist when mptcpd starts. Run 2: path 2's address
# is added to the client mid-transfer, then removed again.
# requires: mptcp ip_mptcp mptcpd

load ../harness/harness

# Knobs, so tests/catalogue-b.bats can prove that each check can fail.
# 0: do not start mptcpd (nobody makes endpoints: no subflow can join).
: "${MPTCPD_RUN:=1}"
: "${MPTCPD_JOIN_MAX_MS:=5000}"
: "${MPTCPD_CLOSE_MAX_MS:=5000}"

# Path 2's client address leaves: the interface keeps its link.
wifi_leave() {
	in_ns client ip addr del "$(topo_addr 2 client)/24" dev p2
	harness_event addr-removed 2 "$(topo_addr 2 client)"
}

# Path 2's client address comes back. Its source route goes first (onlink:
# the gateway is not reachable yet), so that the new subflow, made the
# moment mptcpd sees the address, already leaves by path 2.
wifi_join() {
	in_ns client ip route replace default via "$(topo_addr 2 rc)" dev p2 onlink table 102
	in_ns client ip addr add "$(topo_addr 2 client)/24" dev p2
	harness_event addr-added 2 "$(topo_addr 2 client)"
}

# $1: address. True when the client has an endpoint for it.
has_endpoint() {
	pm_endpoints client | awk -v a="$1" '$1 == a { f = 1 } END { exit !f }'
}

# $1: address. True once the client has no endpoint for it.
lacks_endpoint() {
	! has_endpoint "$1"
}

setup_file() {
	harness_init || return 0
	topo_paths 2 --rate 20mbit
	pm_limits all subflows=4 add_addr_accepted=4
	local a2 sf
	a2=$(topo_addr 2 client)
	fact_set endpoints_before "$(pm_endpoints client | wc -l)"
	if [[ $MPTCPD_RUN == 1 ]]; then
		mptcpd_start client || return 1
	fi
	# Endpoints appear as mptcpd reads the addresses.
	busywait 3000 has_endpoint "$a2" || true
	fact_set endpoints_started "$(pm_endpoints client | tr '\n' ';')"

	# Run 1: both addresses are there from the start.
	obs_mib_mark t1 client
	traffic_start --tag t1 --bytes 8M
	traffic_wait_sf t1 2 5000 || true
	fact_set t1.info_subflows "$TRAFFIC_SF"
	fact_set t1.ssm_subflows "$(obs_ssm_subflows client "$(fact_get t1.port)")"
	traffic_wait 30000 t1 || true
	obs_mib_record t1
	fact_set t1.joins "$(obs_mib_of t1 client MPTcpExtMPJoinSynAckRx)"

	# Run 2: the Wi-Fi address comes and goes during one connection.
	wifi_leave
	busywait 3000 lacks_endpoint "$a2" || true
	fact_set t2.endpoint_after_leave "$(has_endpoint "$a2" && echo yes || echo no)"
	obs_mib_mark t2 client
	# The client streams until the harness has seen the address come
	# and go; each step waits on the client's subflow events.
	traffic_start --tag t2 --bytes 4M
	traffic_wait_sf t2 1 5000 || true
	# A megabyte over path 1 alone first.
	traffic_mark t2 1048576 10000 || true
	traffic_sample t2 || true
	traffic_sf_to sf t2
	fact_set t2.subflows_before "$sf"
	wifi_join
	traffic_wait_new_sf t2 "$a2" '' "$MPTCPD_JOIN_MAX_MS" || true
	fact_set t2.join_ms "$TRAFFIC_WAITED_MS"
	fact_set t2.endpoint_after_join "$(has_endpoint "$a2" && echo yes || echo no)"
	traffic_sf_to sf t2
	fact_set t2.subflows_joined "$sf"
	obs_snapshot t2-joined
	# A megabyte more with both, then the address goes.
	traffic_progress t2
	traffic_mark t2 $((TRAFFIC_RX + 1048576)) 10000 || true
	wifi_leave
	traffic_wait_pair_gone t2 "^${a2//./\\.}>" "$MPTCPD_CLOSE_MAX_MS" || true
	fact_set t2.close_ms "$TRAFFIC_WAITED_MS"
	fact_set t2.endpoint_after_leave2 "$(has_endpoint "$a2" && echo yes || echo no)"
	traffic_sf_to sf t2
	fact_set t2.subflows_left "$sf"
	traffic_wait 30000 t2 || true
	obs_mib_record t2
	fact_set t2.rm_subflow "$(obs_mib_of t2 client MPTcpExtRmSubflow)"
	fact_set t2.joins "$(obs_mib_of t2 client MPTcpExtMPJoinSynAckRx)"

	if [[ $MPTCPD_RUN == 1 ]]; then
		if mptcpd_stop client; then
			fact_set mptcpd_stop clean
		else
			fact_set mptcpd_stop "not clean: exit $(app_rc mptcpd client)"
		fi
		fact_set mptcpd_rc "$(app_rc mptcpd client)"
	fi
}

@test "mptcpd makes the client's endpoints from its addresses, none by hand" {
	assert_num "endpoints before mptcpd started" "$(fact_get endpoints_before)" -eq 0
	harness_diag "endpoints made by mptcpd: $(fact_get endpoints_started)"
	[[ $(fact_get endpoints_started) == *"$(topo_addr 2 client) "*subflow* ]] ||
		assert_fail "no subflow endpoint for $(topo_addr 2 client) after mptcpd started; endpoints: '$(fact_get endpoints_started)'"
}

@test "the client gets a second subflow over path 2 (MPTCP_INFO, ss -M, MIB) and every byte arrives" {
	assert_num "subflows in the client's MPTCP_INFO" "$(fact_get t1.info_subflows)" -ge 2
	assert_num "subflows by ss -M" "$(fact_get t1.ssm_subflows)" -ge 2
	assert_num "client MIB MPJoinSynAckRx" "$(fact_get t1.joins)" -ge 1
	assert_transfer_intact t1
}

@test "an address added mid-connection becomes an endpoint and a new subflow within 5 s" {
	assert_num "subflows before the address appeared" "$(fact_get t2.subflows_before)" -eq 1
	assert_str "endpoint for the new address" "$(fact_get t2.endpoint_after_join)" yes
	local v
	v=$(fact_get t2.join_ms)
	[[ $v != none ]] ||
		assert_fail "no subflow from $(topo_addr 2 client) within $MPTCPD_JOIN_MAX_MS ms of adding the address"
	assert_num "time from the address to its subflow (ms)" "$v" -le "$MPTCPD_JOIN_MAX_MS"
	assert_num "client MIB MPJoinSynAckRx during run 2" "$(fact_get t2.joins)" -ge 1
}

@test "a removed address loses its endpoint and its subflow within 5 s, and every byte still arrives" {
	assert_str "endpoint after the address went" "$(fact_get t2.endpoint_after_leave2)" no
	local v
	v=$(fact_get t2.close_ms)
	[[ $v != none ]] ||
		assert_fail "the subflow from $(topo_addr 2 client) was still there $MPTCPD_CLOSE_MAX_MS ms after its address went"
	assert_num "time from the address removal to its subflow's end (ms)" "$v" -le "$MPTCPD_CLOSE_MAX_MS"
	assert_num "client MIB RmSubflow during run 2" "$(fact_get t2.rm_subflow)" -ge 1
	assert_transfer_intact t2
}

@test "mptcpd exits cleanly on SIGTERM" {
	[[ $MPTCPD_RUN == 1 ]] || skip "mptcpd not started (MPTCPD_RUN=0)"
	assert_str "mptcpd stop" "$(fact_get mptcpd_stop)" clean
	assert_num "mptcpd exit code" "$(fact_get mptcpd_rc)" -eq 0
}
