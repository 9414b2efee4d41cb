#!/usr/bin/env bats
# The server decides which joins it takes: a subflow limit below what the
# client asks for refuses the extra join (MPJoinRejected), with SYN
# cookies too, and net.mptcp.allow_join_initial_addr_port=0 keeps every
# join away from the server's initial address while an announced one is
# still joined. The data arrives intact each time.
#
# The kernel's mptcp_join.sh counterparts: "multiple subflows limited by
# server" (subflows_tests), "subflows limited by server w cookies"
# (syncookies_tests) and "subflow and address allow join id0 2"
# (deny_join_id0_tests), with the same counters.
#
# server-limit  the client has subflow endpoints for paths 2 and 3, the
#               server's subflow limit is 1: two MP_JOIN SYNs get a
#               SYN/ACK, one third ACK is taken, the other refused
# cookies       the same, with net.ipv4.tcp_syncookies=2 on the server:
#               the refused join is dropped at its SYN, as mptcp_join.sh
#               expects (2 SYNs, 1 SYN/ACK, 1 ACK, 1 rejected)
# deny-id0      the server sets allow_join_initial_addr_port=0 and
#               announces its path-3 address; the client has a subflow
#               endpoint for path 2: it never joins the initial address,
#               and joins the announced one once
#
#            +------+                 +------+
#   client --| r1   |-- path 1 -------| .1.1 |
#      p1    +------+                 |      |
#      p2 ---| r2   |-- path 2 -------| .2.1 | server
#      p3 ---| r3   |-- path 3 -------| .3.1 |
#            +------+  20 Mbit/s      +------+
#
# requires: mptcp ip_mptcp

load ../harness/harness

# Knobs, so tests/catalogue-b.bats can prove that each check can fail.
: "${LIMITS_CASES:=server-limit cookies deny-id0}"
: "${LIMITS_BYTES:=3M}"
# The server's subflow limit in the server-limit and cookies cases.
: "${LIMITS_SERVER_SUBFLOWS:=1}"
# The server's allow_join_initial_addr_port in the deny-id0 case.
: "${LIMITS_ALLOW_ID0:=0}"

DENY_SYSCTL=${MPTH_PROC_SYS:-/proc/sys}/net/mptcp/allow_join_initial_addr_port

# The client asks for two joins, the server takes LIMITS_SERVER_SUBFLOWS.
# $1: case, $2: the server's tcp_syncookies
limited_case() {
	topo_sysctl server net.ipv4.tcp_syncookies="$2"
	pm_limits server subflows="$LIMITS_SERVER_SUBFLOWS" add_addr_accepted=0
	pm_limits client subflows=2 add_addr_accepted=0
	pm_endpoint client 2 subflow
	pm_endpoint client 3 subflow
	# The refusal comes last (at the third ACK); a kernel without its
	# counter is waited for at the second SYN.
	local event=(MPTcpExtMPJoinRejected 1)
	obs_mib_has server MPTcpExtMPJoinRejected || event=(MPTcpExtMPJoinSynRx 2)
	recipe_counted "$1" $((LIMITS_SERVER_SUBFLOWS + 1)) --bytes "$LIMITS_BYTES" \
		--wait-mib server "${event[@]}"
}

setup_file() {
	harness_init || return 0
	topo_paths 3 --rate 20mbit
	local c
	for c in $LIMITS_CASES; do
		pm_flush client
		pm_flush server
		case $c in
		server-limit) limited_case "$c" 1 ;;
		cookies) limited_case "$c" 2 ;;
		deny-id0)
			[[ -e $DENY_SYSCTL ]] || continue
			topo_sysctl server net.ipv4.tcp_syncookies=1 \
				net.mptcp.allow_join_initial_addr_port="$LIMITS_ALLOW_ID0"
			pm_limits server subflows=2 add_addr_accepted=0
			pm_limits client subflows=2 add_addr_accepted=1
			pm_endpoint server 3 signal
			pm_endpoint client 2 subflow
			# The join to the announced address is the event: by
			# then the client's PM has been through its endpoints.
			recipe_counted "$c" 2 --bytes "$LIMITS_BYTES"
			;;
		esac
	done
}

# Two joins asked for, one taken: both SYNs counted, the third ACK of
# one, and one refusal by the server. Without cookies the server answers
# both SYNs and refuses at the third ACK; with cookies it refuses at the
# SYN, which it drops, so the client gets one SYN/ACK and its refused
# join waits in SYN_SENT, still counted by ss -M (mptcpi_subflows).
# $1: case, $2: SYN/ACKs the client gets, $3: subflows by ss -M
one_of_two_taken() {
	local tag=$1
	fact_sync
	assert_num "most live subflows at once (client MPTCP_INFO)" "${FACT[$tag.sf_max]-}" -eq 2 &&
		assert_num "subflows by ss -M after the refusal" "${FACT[$tag.ssm]-}" -eq "$3" &&
		assert_mib "$tag" client MPTcpExtMPJoinSynTx -eq 2 --else server MPTcpExtMPJoinSynRx &&
		assert_mib "$tag" server MPTcpExtMPJoinSynRx -eq 2 &&
		assert_mib "$tag" client MPTcpExtMPJoinSynAckRx -eq "$2" &&
		assert_mib "$tag" server MPTcpExtMPJoinAckRx -eq 1 &&
		assert_join_clean "$tag" 1
}

@test "server subflow limit 1, two joins asked: both SYNs answered, one join taken, one refused (MPJoinRejected)" {
	harness_case server-limit LIMITS_CASES
	one_of_two_taken server-limit 2 2
}

@test "server subflow limit 1: the data arrives intact over the subflows it took" {
	harness_case server-limit LIMITS_CASES
	assert_transfer_intact server-limit
}

@test "the same with SYN cookies: refused at the SYN, one join taken, and the data arrives intact" {
	harness_case cookies LIMITS_CASES
	one_of_two_taken cookies 1 3 &&
		assert_transfer_intact cookies
}

@test "allow_join_initial_addr_port=0: no join to the server's initial address, one to the announced address" {
	harness_case deny-id0 LIMITS_CASES
	[[ -e $DENY_SYSCTL ]] || skip "no net.mptcp.allow_join_initial_addr_port in this kernel"
	local c s3
	c=$(topo_addr 1 client) s3=$(topo_addr 3 server)
	assert_joins_exact deny-id0 1 &&
		assert_pairs deny-id0 "$c>$(topo_addr 1 server)" "$c>$s3" &&
		assert_mib deny-id0 client MPTcpExtAddAddr -eq 1 &&
		assert_transfer_intact deny-id0
}
