#!/usr/bin/env bats
# Two paths carry more than the best one alone: MPTCP's goodput exceeds
# the best single path's rate by a clear margin, with equal (20 + 20
# Mbit/s) and unequal (30 + 10 Mbit/s) paths.
#
# One upload per case over two shaped paths (tbf on the routers, both
# directions). The test: goodput above the best path's rate plus a share
# of the other path's (25% with equal paths: 1.25x; 15% with unequal
# ones: 1.05x, as 30 + 10 can at best reach 1.33x), generous for a loaded
# 2-core machine. The goodput as a fraction of the sum of the path rates
# is printed as a diagnostic, whole-transfer and steady state.
#
# Congestion control is pinned (reno) in both namespaces: the figures then
# do not depend on the host's default. With bbr (this host's default) the
# 30 + 10 case measured 18-29 Mbit/s, at or below the best path alone;
# cubic 28-32; reno 33-37.
#
#            +------+                 +------+
#   client --| r1   |-- path 1 -------|      |
#      p1    +------+  20 | 30 Mbit/s |server|
#      p2    +------+                 |      |
#   client --| r2   |-- path 2 -------|      |
#            +------+  20 | 10 Mbit/s +------+
#
# requires: mptcp ip_mptcp tbf

load ../harness/harness

# Knobs, so tests/catalogue-a.bats can prove that each check can fail.
: "${AGG_CASES:=equal unequal}"
: "${AGG_BYTES:=16M}"
: "${AGG_CC:=reno}"
# The share of the other path's rate the goodput must add, in percent.
: "${AGG_EQUAL_PCT:=25}"
: "${AGG_UNEQUAL_PCT:=15}"
# 0: no endpoint for path 2, so MPTCP has one path only.
: "${AGG_JOIN:=1}"

setup_file() {
	harness_init || return 0
	topo_paths 2
	topo_sysctl client net.ipv4.tcp_congestion_control="$AGG_CC"
	topo_sysctl server net.ipv4.tcp_congestion_control="$AGG_CC"
	pm_limits all subflows=2 add_addr_accepted=0
	[[ $AGG_JOIN == 0 ]] || pm_endpoint client 2 subflow
	local c r1 r2
	for c in $AGG_CASES; do
		case $c in
		equal) r1=20mbit r2=20mbit ;;
		unequal) r1=30mbit r2=10mbit ;;
		esac
		shape_paths --rate "$r1" --path 1
		shape_paths --rate "$r2" --path 2
		fact_set "$c.rate1" "$(shape_rate_bps 1)"
		fact_set "$c.rate2" "$(shape_rate_bps 2)"
		recipe_counted "$c" $((AGG_JOIN + 1)) --bytes "$AGG_BYTES"
		fact_set "$c.goodput_kbps" "$(traffic_goodput_kbps "$c")"
		fact_set "$c.goodput_mid_kbps" "$(traffic_goodput_mid_kbps "$c")"
		harness_figure "$c.goodput_pct" "$(traffic_goodput_share "$c")"
	done
}

@test "20 + 20 Mbit/s: both paths used, every byte intact" {
	harness_case equal AGG_CASES
	assert_num "most subflows at once (client MPTCP_INFO)" "$(fact_get equal.sf_max)" -eq 2 &&
		assert_transfer_intact equal
}

@test "20 + 20 Mbit/s: goodput above 1.25x the best single path" {
	harness_case equal AGG_CASES
	assert_aggregates equal "$AGG_EQUAL_PCT"
}

@test "30 + 10 Mbit/s: both paths used, every byte intact" {
	harness_case unequal AGG_CASES
	assert_num "most subflows at once (client MPTCP_INFO)" "$(fact_get unequal.sf_max)" -eq 2 &&
		assert_transfer_intact unequal
}

@test "30 + 10 Mbit/s: goodput above the best single path plus 15% of the other" {
	harness_case unequal AGG_CASES
	assert_aggregates unequal "$AGG_UNEQUAL_PCT"
}
