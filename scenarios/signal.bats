#!/usr/bin/env bats
# A multi-homed server announces its extra addresses (ADD_ADDR); the
# client accepts as many as add_addr_accepted allows and its subflows go
# to exactly the announced addresses.
#
# The server has `signal` endpoints for its addresses on paths 2 (and 3);
# the client has no endpoint of its own, so each join starts from its
# initial address (routing takes it over path 1, whose router reaches
# every server address). ADD_ADDR and its echo are counted on both ends:
# the server sends (AddAddrTx) and gets the echo (EchoAdd), the client
# receives (AddAddr) and echoes (EchoAddTx), whether it accepts or not.
# The port case announces the address with a port of its own (`signal
# port 10100`): the ADD_ADDR carries it (PortAdd), the kernel listens on
# it, and the join goes there (MPJoinPort*), as in mptcp_join.sh's
# add_addr_ports_tests ("signal address with port").
#
#            +------+                 +------+
#   client --| r1   |-- path 1 -------| .1.1 |
#      p1    +------+                 |      |
#      p2 ---| r2   |-- path 2 -------| .2.1 | server, announces
#      p3 ---| r3   |-- path 3 -------| .3.1 | 198.19.2.1 (and .3.1)
#            +------+  20 Mbit/s      +------+
#
# requires: mptcp ip_mptcp

load ../harness/harness

# Knobs, so tests/catalogue-a.bats can prove that each check can fail.
: "${SIGNAL_CASES:=one two-accept-1 two-accept-2 port}"
# The port the port case announces with its address (a sabotage: none).
: "${SIGNAL_PORT:=10100}"
: "${SIGNAL_BYTES:=3M}"
# The client's add_addr_accepted in the two-accept-1 case.
: "${SIGNAL_LIMITED_ACCEPT:=1}"

setup_file() {
	harness_init || return 0
	topo_paths 3 --rate 20mbit
	pm_limits server subflows=8 add_addr_accepted=0
	local c
	for c in $SIGNAL_CASES; do
		pm_flush server
		case $c in
		one)
			pm_limits client subflows=8 add_addr_accepted=1
			pm_endpoint server 2 signal
			recipe_counted "$c" 2 --bytes "$SIGNAL_BYTES"
			;;
		two-accept-1)
			pm_limits client subflows=8 add_addr_accepted="$SIGNAL_LIMITED_ACCEPT"
			pm_endpoint server 2 signal
			pm_endpoint server 3 signal
			recipe_counted "$c" $((SIGNAL_LIMITED_ACCEPT + 1)) --bytes "$SIGNAL_BYTES"
			;;
		port)
			pm_limits client subflows=8 add_addr_accepted=1
			if [[ $SIGNAL_PORT == none ]]; then
				pm_endpoint server 2 signal
			else
				pm_endpoint server 2 signal port "$SIGNAL_PORT"
			fi
			recipe_counted "$c" 2 --bytes "$SIGNAL_BYTES"
			;;
		two-accept-2)
			pm_limits client subflows=8 add_addr_accepted=2
			pm_endpoint server 2 signal
			pm_endpoint server 3 signal
			recipe_counted "$c" 3 --bytes "$SIGNAL_BYTES"
			;;
		esac
	done
}

# ADD_ADDR sent, received, echoed and its echo received: n each.
# $1: case, $2: n
add_addr_counted() {
	assert_mib "$1" server MPTcpExtAddAddrTx -eq "$2" --else client MPTcpExtAddAddr &&
		assert_mib "$1" client MPTcpExtAddAddr -eq "$2" &&
		assert_mib "$1" client MPTcpExtEchoAddTx -eq "$2" --else server MPTcpExtEchoAdd &&
		assert_mib "$1" server MPTcpExtEchoAdd -eq "$2" &&
		assert_mib "$1" client MPTcpExtAddAddrDrop -eq 0
}

# The client's subflows: the initial one plus one to each of the server's
# paths listed. $1: case, $2...: server paths joined
pairs_to() {
	local tag=$1 i c pairs=()
	c=$(topo_addr 1 client)
	pairs=("$c>$(topo_addr 1 server)")
	shift
	for i in "$@"; do
		pairs+=("$c>$(topo_addr "$i" server)")
	done
	assert_pairs "$tag" "${pairs[@]}"
}

@test "one address announced: ADD_ADDR and its echo counted once on each end" {
	harness_case one SIGNAL_CASES
	add_addr_counted one 1
}

@test "one address announced: exactly 1 join, to the announced address, and the data arrives intact" {
	harness_case one SIGNAL_CASES
	assert_joins_exact one 1 &&
		pairs_to one 2 &&
		assert_transfer_intact one
}

@test "two announced, add_addr_accepted 1: both ADD_ADDRs received and echoed" {
	harness_case two-accept-1 SIGNAL_CASES
	add_addr_counted two-accept-1 2
}

@test "two announced, add_addr_accepted 1: the client accepts 1 (ss -M), exactly 1 join, to the first" {
	harness_case two-accept-1 SIGNAL_CASES
	assert_num "add_addr_accepted by the client's ss -M" "$(fact_get two-accept-1.accepted)" -eq 1 &&
		assert_joins_exact two-accept-1 1 &&
		pairs_to two-accept-1 2 &&
		assert_transfer_intact two-accept-1
}

@test "two announced, add_addr_accepted 2: both accepted, exactly 2 joins, one to each" {
	harness_case two-accept-2 SIGNAL_CASES
	add_addr_counted two-accept-2 2 &&
		assert_num "add_addr_accepted by the client's ss -M" "$(fact_get two-accept-2.accepted)" -eq 2 &&
		assert_joins_exact two-accept-2 2 &&
		pairs_to two-accept-2 2 3 &&
		assert_transfer_intact two-accept-2
}

@test "an address announced with a port: ADD_ADDR carries it, the join goes to that port, counted as a port join at both ends" {
	harness_case port SIGNAL_CASES
	add_addr_counted port 1 &&
		assert_port_joins port 1
}

@test "an address announced with a port: one subflow to that address and port, and the data arrives intact" {
	harness_case port SIGNAL_CASES
	local others
	# Every remote address:port of the client's subflows but the
	# listener's: the join's alone.
	others=$(traffic_client_info port -r '.subflow_list[]?.remote' |
		grep -v ":$(fact_get port.port)$" | sort -u)
	assert_joins_exact port 1 &&
		assert_str "the remote address:port of the join" "$others" "$(topo_addr 2 server):$SIGNAL_PORT" &&
		assert_transfer_intact port
}
