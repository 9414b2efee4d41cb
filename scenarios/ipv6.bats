#!/usr/bin/env bats
# Over IPv6, the client's extra addresses become subflows, the server's
# announced address is joined and a failover keeps every byte; with both
# families configured, no subflow pairs an IPv4 address with an IPv6 one.
#
# The topology gives every interface an address in 2001:db8::/32 next to
# its IPv4 one. subflow: client `subflow` endpoints for the IPv6 addresses
# of paths 2 and 3. signal: the server announces its IPv6 address on path
# 2. failover: path 1 goes down mid-upload over IPv6 (the client withdraws
# its endpoint) and comes back. mixed: both families have endpoints on
# both sides (client: subflow on path 2; server: signal on path 2), and
# one connection of each family runs:
#   - over IPv4, only IPv4 subflows: the IPv6 endpoint and the IPv6
#     ADD_ADDR (received, echoed) make no join;
#   - over IPv6, the IPv6 subflows plus one IPv4 subflow to the announced
#     IPv4 address: Linux lets a dual-stack (not V6ONLY) socket join IPv4
#     addresses (mptcp_pm_addr_families_match()); a subflow never mixes
#     the two families, and the IPv4 endpoint makes no join to the IPv6
#     peer.
# v4mapped: an IPv6 socket connects to the server's IPv4-mapped address
# (::ffff:198.19.1.1) and the client's IPv4 endpoint on path 2 joins, as
# in mptcp_join.sh's v4mapped_tests ("single subflow IPv4-mapped").
#
#            +------+                 +------+
#   client --| r1   |-- path 1 -------|      |
#   2001:db8:1:i::1  2001:db8:2:i::1  |server|
#      p2 ---| r2   |-- path 2 -------|      |
#      p3 ---| r3   |-- path 3 -------|      |
#            +------+  20 Mbit/s each +------+
#
# requires: mptcp ip_mptcp

load ../harness/harness

# Knobs, so tests/catalogue-a.bats can prove that each check can fail.
: "${IPV6_CASES:=subflow signal failover mixed v4mapped}"
: "${IPV6_BYTES:=3M}"
: "${IPV6_FAILOVER_BYTES:=24M}"
# The family the IPv6 cases connect with (4 makes their v6 checks fail).
: "${IPV6_FAMILY:=6}"
# How the v4mapped case connects (4: a plain IPv4 socket, a sabotage).
: "${IPV6_MAPPED_FAMILY:=4in6}"

setup_file() {
	harness_init || return 0
	topo_paths 3 --rate 20mbit
	pm_limits all subflows=8 add_addr_accepted=4
	local c
	for c in $IPV6_CASES; do
		pm_flush client
		pm_flush server
		case $c in
		subflow)
			pm_endpoint client 2 subflow v6
			pm_endpoint client 3 subflow v6
			recipe_counted subflow 3 --bytes "$IPV6_BYTES" --family "$IPV6_FAMILY"
			;;
		signal)
			pm_endpoint server 2 signal v6
			recipe_counted signal 2 --bytes "$IPV6_BYTES" --family "$IPV6_FAMILY"
			;;
		failover)
			topo_sysctl client net.ipv4.tcp_rmem="4096 131072 1048576"
			topo_sysctl server net.ipv4.tcp_rmem="4096 131072 1048576"
			pm_endpoint client 1 subflow v6
			pm_endpoint client 2 subflow v6
			recipe_failover --tag failover --fault link-down --path 1 --pm-react 1 \
				--bytes "$IPV6_FAILOVER_BYTES" --family "$IPV6_FAMILY"
			;;
		v4mapped)
			pm_endpoint client 2 subflow
			recipe_counted v4mapped 2 --bytes "$IPV6_BYTES" --family "$IPV6_MAPPED_FAMILY"
			;;
		mixed)
			pm_endpoint client 2 subflow
			pm_endpoint client 2 subflow v6
			pm_endpoint server 2 signal
			pm_endpoint server 2 signal v6
			recipe_counted mixed4 3 --bytes "$IPV6_BYTES" --family 4
			recipe_counted mixed6 4 --bytes "$IPV6_BYTES" --family "$IPV6_FAMILY"
			;;
		esac
	done
}

# $1: path, $2: client|server, $3: family (default 6)
a() {
	topo_addr "$1" "$2" "${3:-6}"
}

@test "subflow: exactly 3 IPv6 subflows, one from each address, and the data arrives intact" {
	harness_case subflow IPV6_CASES
	assert_joins_exact subflow 2 &&
		assert_pairs_family subflow 6 &&
		assert_pairs subflow "$(a 1 client)>$(a 1 server)" "$(a 2 client)>$(a 1 server)" \
			"$(a 3 client)>$(a 1 server)" &&
		assert_transfer_intact subflow
}

@test "signal: the server's IPv6 address is announced, echoed, and joined once" {
	harness_case signal IPV6_CASES
	assert_mib signal server MPTcpExtAddAddrTx -eq 1 --else client MPTcpExtAddAddr &&
		assert_mib signal client MPTcpExtAddAddr -eq 1 &&
		assert_mib signal server MPTcpExtEchoAdd -eq 1 &&
		assert_joins_exact signal 1 &&
		assert_pairs signal "$(a 1 client)>$(a 1 server)" "$(a 1 client)>$(a 2 server)" &&
		assert_transfer_intact signal
}

@test "failover: a second IPv6 subflow joins, path 1 goes down, every byte arrives intact" {
	harness_case failover IPV6_CASES
	assert_joined_before_fault failover 2 &&
		assert_fault_mid_transfer failover &&
		assert_transfer_intact failover
}

@test "failover: path 2 carries at least 90% after the failure, the outage under 2 s, and path 1 rejoins" {
	harness_case failover IPV6_CASES
	assert_survivor_carried failover 90 &&
		assert_outage_below failover 2000 &&
		assert_rejoined_within failover 5000
}

@test "mixed over IPv4: only IPv4 subflows; the IPv6 endpoint and ADD_ADDR make no join" {
	harness_case mixed IPV6_CASES
	assert_mib mixed4 client MPTcpExtAddAddr -eq 2 &&
		assert_joins_exact mixed4 2 &&
		assert_pairs_family mixed4 4 &&
		assert_pairs mixed4 "$(a 1 client 4)>$(a 1 server 4)" "$(a 2 client 4)>$(a 1 server 4)" \
			"$(a 1 client 4)>$(a 2 server 4)" &&
		assert_transfer_intact mixed4
}

@test "mixed over IPv6: no subflow mixes the families; the IPv4 endpoint makes no join" {
	harness_case mixed IPV6_CASES
	assert_joins_exact mixed6 3 &&
		assert_pairs_same_family mixed6 &&
		assert_pairs mixed6 "$(a 1 client)>$(a 1 server)" "$(a 2 client)>$(a 1 server)" \
			"$(a 1 client)>$(a 2 server)" "$(a 1 client 4)>$(a 2 server 4)" &&
		assert_transfer_intact mixed6
}

@test "v4mapped: an IPv6 socket to ::ffff:198.19.1.1 is MPTCP, and the IPv4 endpoint joins once" {
	harness_case v4mapped IPV6_CASES
	local s1
	s1=$(topo_addr 1 server 4)
	# The kernel lists the subflows by their own (IPv4) sockets; the
	# client's socket is IPv6.
	assert_str "the client's socket family" "$(traffic_json client '.family' v4mapped)" ipv6 &&
		assert_joins_exact v4mapped 1 &&
		assert_pairs v4mapped "$(topo_addr 1 client 4)>$s1" "$(topo_addr 2 client 4)>$s1" &&
		assert_transfer_intact v4mapped
}
