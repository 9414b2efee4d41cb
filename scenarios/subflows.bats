#!/usr/bin/env bats
# The client's extra addresses become exactly one subflow each, with 2, 3
# and 4 paths, and never more than the subflow limit allows.
#
# Each case is one upload with `subflow` endpoints on the client for paths
# 2..N; the counts are exact, from both ends: the client's MPTCP_INFO and
# ss -M, MP_JOIN counters on each side, and the routers' byte counters
# (each used path carries data, the others none). The limit case has
# endpoints for paths 2 and 3 but `subflows 1`: exactly one join.
#
#            +------+
#   client --| r1   |-- path 1 --+
#      p1    +------+            |
#      p2 ---| r2   |-- path 2 --+
#      p3 ---| r3   |-- path 3 --+-- server
#      p4 ---| r4   |-- path 4 --+
#            +------+   20 Mbit/s each
#
# requires: mptcp ip_mptcp

load ../harness/harness

# Knobs, so tests/catalogue-a.bats can prove that each check can fail.
: "${SUBFLOWS_CASES:=paths2 paths3 paths4 limit}"
: "${SUBFLOWS_BYTES:=3M}"
# The client's subflow limit in the limit case.
: "${SUBFLOWS_LIMIT:=1}"
# Joins the limit case must see.
: "${SUBFLOWS_LIMIT_JOINS:=1}"

setup_file() {
	harness_init || return 0
	topo_paths 4 --rate 20mbit
	pm_limits server subflows=8 add_addr_accepted=0
	local c n i
	for c in $SUBFLOWS_CASES; do
		pm_flush client
		case $c in
		paths[2-4])
			n=${c#paths}
			# A limit well above what the endpoints ask for: the
			# count must come from the endpoints alone.
			pm_limits client subflows=8 add_addr_accepted=0
			for ((i = 2; i <= n; i++)); do
				pm_endpoint client "$i" subflow
			done
			recipe_counted "$c" "$n" --bytes "$SUBFLOWS_BYTES"
			;;
		limit)
			pm_limits client subflows="$SUBFLOWS_LIMIT" add_addr_accepted=0
			pm_endpoint client 2 subflow
			pm_endpoint client 3 subflow
			recipe_counted "$c" $((SUBFLOWS_LIMIT + 1)) --bytes "$SUBFLOWS_BYTES"
			;;
		esac
	done
}

# Paths 1..N each carried at least 5% of the payload, the others at most
# 1%. $1: case, $2: N
paths_used() {
	local tag=$1 n=$2 i total
	total=$(traffic_size_bytes "$SUBFLOWS_BYTES")
	for ((i = 1; i <= TOPO_PATHS; i++)); do
		if ((i <= n)); then
			assert_num "path $i bytes, % of the payload" \
				$(($(fact_get "$tag.path$i.up") * 100 / total)) -ge 5 || return
		else
			assert_num "path $i bytes (no endpoint), % of the payload" \
				$(($(fact_get "$tag.path$i.up") * 100 / total)) -le 1 || return
		fi
	done
}

# $1: case, $2: N paths
subflow_case() {
	local tag=$1 n=$2 i pairs=()
	for ((i = 1; i <= n; i++)); do
		pairs+=("$(topo_addr "$i" client)>$(topo_addr 1 server)")
	done
	assert_joins_exact "$tag" $((n - 1)) &&
		assert_pairs "$tag" "${pairs[@]}" &&
		assert_transfer_intact "$tag"
}

@test "2 paths: exactly 2 subflows, one from each address, and the data arrives intact" {
	harness_case paths2 SUBFLOWS_CASES
	subflow_case paths2 2
}

@test "2 paths: both paths carry data, paths 3 and 4 none" {
	harness_case paths2 SUBFLOWS_CASES
	paths_used paths2 2
}

@test "3 paths: exactly 3 subflows, one from each address, and the data arrives intact" {
	harness_case paths3 SUBFLOWS_CASES
	subflow_case paths3 3
}

@test "3 paths: every path carries data, path 4 none" {
	harness_case paths3 SUBFLOWS_CASES
	paths_used paths3 3
}

@test "4 paths: exactly 4 subflows, one from each address, and the data arrives intact" {
	harness_case paths4 SUBFLOWS_CASES
	subflow_case paths4 4
}

@test "4 paths: every path carries data" {
	harness_case paths4 SUBFLOWS_CASES
	paths_used paths4 4
}

@test "subflow limit 1 with 3 paths: exactly 1 join, and the data arrives intact" {
	harness_case limit SUBFLOWS_CASES
	# The first endpoint (path 2) gets the one subflow the limit allows.
	assert_joins_exact limit "$SUBFLOWS_LIMIT_JOINS" &&
		assert_pairs limit "$(topo_addr 1 client)>$(topo_addr 1 server)" \
			"$(topo_addr 2 client)>$(topo_addr 1 server)" &&
		assert_transfer_intact limit
}
