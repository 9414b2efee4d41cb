#!/usr/bin/env bats
# Make-after-break: both paths fail until the connection has no subflow at
# all, one path returns within net.mptcp.close_timeout, a new subflow joins
# over it and the transfer completes with every byte intact.
#
# Both routers silently drop everything mid-upload. The client's subflows
# time out (net.ipv4.tcp_retries2 is lowered in the client's namespace so
# this takes seconds, not a quarter of an hour) and are closed one by one;
# the MPTCP connection itself stays established, without any subflow, for
# up to close_timeout. Path 2 then comes back and its endpoint is added
# again, as a connection manager would on link up: the path manager joins
# a new subflow and the data flows again.
#
#            +------+                 +------+
#   client --| r1   |-- path 1 --X----|      |
#      p1    +------+  fails          |server|
#      p2    +------+                 |      |
#   client --| r2   |-- path 2 --X----|      |
#            +------+  fails, returns +------+
#                      20 Mbit/s each
#
# requires: mptcp ip_mptcp nft

load ../harness/harness

# Knobs, so tests/catalogue-a.bats can prove that each check can fail.
: "${MAB_BYTES:=8M}"
# net.mptcp.close_timeout (s) on both ends.
: "${MAB_CLOSE_TIMEOUT:=20}"
# How long the connection stays without any subflow before path 2 returns.
: "${MAB_GAP_MS:=1000}"
# net.ipv4.tcp_retries2 on the client: how soon a dead subflow times out.
: "${MAB_RETRIES2:=2}"

setup_file() {
	harness_init || return 0
	topo_paths 2 --rate 20mbit
	topo_sysctl client net.mptcp.close_timeout="$MAB_CLOSE_TIMEOUT" \
		net.ipv4.tcp_retries2="$MAB_RETRIES2"
	topo_sysctl server net.mptcp.close_timeout="$MAB_CLOSE_TIMEOUT"
	pm_limits all subflows=4 add_addr_accepted=0
	pm_endpoint client 1 subflow
	pm_endpoint client 2 subflow
	recipe_make_after_break --tag mab --bytes "$MAB_BYTES" --return 2 --gap "$MAB_GAP_MS"
}

@test "both paths carry a subflow before the failure" {
	assert_num "subflows the client listed before the failure" "$(fact_get mab.sf_before)" -eq 2
}

@test "every subflow times out, and the connection stays established without any" {
	local z
	z=$(fact_get mab.zero_ms)
	if [[ $z == none ]]; then
		assert_fail "the client still had a subflow 30 s after both paths failed"
	fi
	harness_diag "no subflow left $z ms after the failure"
	[[ $(fact_get mab.msk_state) == ESTAB ]] ||
		assert_fail "the client's MPTCP connection with no subflow: expected ESTAB, got $(fact_get mab.msk_state)"
	assert_mib mab client TcpExtTCPAbortOnTimeout -ge 2
}

@test "path 2 returns within close_timeout and a new subflow joins within 5 s" {
	local v
	v=$(fact_get mab.rejoin_ms)
	if [[ $v == none ]]; then
		assert_fail "no new subflow from path 2 within 5000 ms of its return"
	fi
	assert_num "time until a new subflow joined over path 2 (ms)" "$v" -le 5000
}

@test "every byte arrives intact" {
	assert_transfer_intact mab
}

@test "the outage is reported, and shorter than close_timeout" {
	assert_num "outage from the failure (ms, longest receive gap)" "$(fact_get mab.outage_ms)" \
		-lt $((MAB_CLOSE_TIMEOUT * 1000))
}
