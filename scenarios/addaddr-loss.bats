#!/usr/bin/env bats
# A lost ADD_ADDR is sent again: router 1 drops the server's first
# announcement, the server retransmits it within
# net.mptcp.add_addr_timeout, and the join to the announced address still
# happens.
#
# The server announces its path 2 address (`signal`) over the initial
# subflow, which crosses router 1; an nftables rule there drops the first
# packet carrying an ADD_ADDR toward the client (`tcp option mptcp subtype
# 3`, the first one only, by `numgen inc`). With no echo, the server's
# ADD_ADDR timer fires: add_addr_timeout is set to 1 s in the server's
# namespace (default 120 s); Linux may retransmit sooner, from the
# connection's RTO, never later. Counted: the router's drops, the server's
# ADD_ADDRs sent (2), the client's received (1), the echo, the join.
# Then, on a second connection, router 1 drops every ADD_ADDR: the server
# gives up after 3 retransmissions (4 sent), as mptcp_join.sh's
# add_addr_timeout_tests count them, and no join is made.
#
#            +------+                 +------+
#   client --| r1   |-- path 1 -------| .1.1 |
#      p1    | drops the first        |      |
#            | ADD_ADDR to the client |server|
#            +------+                 |      |
#      p2 ---| r2   |-- path 2 -------| .2.1 | announced
#            +------+  20 Mbit/s each +------+
#
# requires: mptcp ip_mptcp nft nft_numgen

load ../harness/harness

# Knobs, so tests/catalogue-a.bats can prove that each check can fail.
: "${ADDLOSS_BYTES:=6M}"
# net.mptcp.add_addr_timeout (s) on the server; 0 means never resend.
: "${ADDLOSS_TIMEOUT:=1}"
# How many ADD_ADDR packets router 1 drops.
: "${ADDLOSS_DROP:=1}"
# The capped case: every ADD_ADDR dropped (0: not run).
: "${ADDLOSS_CAPPED:=1}"

setup_file() {
	harness_init || return 0
	topo_paths 2 --rate 20mbit
	topo_sysctl server net.mptcp.add_addr_timeout="$ADDLOSS_TIMEOUT"
	pm_limits all subflows=4 add_addr_accepted=1
	pm_endpoint server 2 signal
	fault_drop_add_addr 1 "$ADDLOSS_DROP"
	recipe_counted loss 2 --bytes "$ADDLOSS_BYTES"
	fact_set loss.seen "$(obs_nft_counter 1 mpth_add_addr seen)"
	fact_set loss.dropped "$(obs_nft_counter 1 mpth_add_addr dropped)"
	fact_set loss.join_ms "$(traffic_sf_reached_ms loss 2)"
	harness_note "loss: router 1 saw $(fact_get loss.seen) ADD_ADDR, dropped $(fact_get loss.dropped); second subflow after $(fact_get loss.join_ms) ms"
	[[ $ADDLOSS_CAPPED == 1 ]] || return 0
	fault_drop_add_addr_end 1
	run_capped
}

# True once the server sent N ADD_ADDRs since BASE. $1: N, $2: BASE
sent_add_addrs() {
	local v
	obs_mib_to v server MPTcpExtAddAddrTx && ((v - $2 >= $1))
}

# Every ADD_ADDR lost: the server sends it, then again at each
# add_addr_timeout until its retransmission cap (3, ADD_ADDR_RETRANS_MAX),
# and no more. The wait is for the fourth, then for three more timeouts:
# the kernel's own timer is the clock of an absence.
run_capped() {
	local base=0
	fault_drop_add_addr 1 999999999
	obs_mib_mark capped
	obs_mib_to base server MPTcpExtAddAddrTx || base=''
	traffic_start --tag capped --bytes "$ADDLOSS_BYTES" || return 1
	if [[ -n $base ]]; then
		busywait $(((ADDLOSS_TIMEOUT * 4 + 5) * 1000)) sent_add_addrs 4 "$base" ||
			log_warn "capped: fewer than 4 ADD_ADDRs sent"
	fi
	wait_nap $((ADDLOSS_TIMEOUT * 3))
	traffic_wait 60000 capped || true
	obs_mib_record capped
	fact_set capped.dropped "$(obs_nft_counter 1 mpth_add_addr dropped)"
	fact_set capped.sf_max "$(traffic_json client '.conns[0].max_subflows' capped)"
}

@test "router 1 drops the first ADD_ADDR toward the client, and only that one" {
	assert_num "ADD_ADDR packets dropped by router 1" "$(fact_get loss.dropped)" -eq 1 &&
		assert_num "ADD_ADDR packets router 1 forwarded toward the client" "$(fact_get loss.seen)" -ge 2
}

@test "the server sends the ADD_ADDR again; the client receives and echoes it once" {
	assert_mib loss server MPTcpExtAddAddrTx -eq 2 &&
		assert_mib loss client MPTcpExtAddAddr -eq 1 &&
		assert_mib loss client MPTcpExtEchoAddTx -eq 1 &&
		assert_mib loss server MPTcpExtEchoAdd -eq 1
}

@test "the join to the announced address still happens, within add_addr_timeout + 2 s" {
	local v
	v=$(fact_get loss.join_ms)
	[[ $v != none ]] ||
		assert_fail "the client never got a second subflow"
	assert_joins_exact loss 1 &&
		assert_pairs loss "$(topo_addr 1 client)>$(topo_addr 1 server)" \
			"$(topo_addr 1 client)>$(topo_addr 2 server)" &&
		assert_num "time from the connection until the join (ms)" "$v" -le $((ADDLOSS_TIMEOUT * 1000 + 2000))
}

@test "every byte arrives intact" {
	assert_transfer_intact loss
}

@test "every ADD_ADDR lost: the server sends it 4 times (3 retransmissions, the cap) and no more" {
	[[ $ADDLOSS_CAPPED == 1 ]] || skip "capped case not selected (ADDLOSS_CAPPED)"
	assert_num "ADD_ADDR packets router 1 dropped" "$(fact_get capped.dropped)" -eq 4 &&
		assert_mib capped server MPTcpExtAddAddrTx -eq 4 &&
		assert_mib capped client MPTcpExtAddAddr -eq 0 &&
		assert_mib capped server MPTcpExtEchoAdd -eq 0
}

@test "every ADD_ADDR lost: no join, and every byte arrives intact over the initial subflow" {
	[[ $ADDLOSS_CAPPED == 1 ]] || skip "capped case not selected (ADDLOSS_CAPPED)"
	assert_num "most subflows at once (client MPTCP_INFO)" "$(fact_get capped.sf_max)" -eq 1 &&
		assert_mib capped client MPTcpExtMPJoinSynTx -eq 0 &&
		assert_transfer_intact capped
}
