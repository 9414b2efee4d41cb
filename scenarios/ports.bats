#!/usr/bin/env bats
# mptcp_join.sh's add_addr_ports table: addresses the server announces
# with a port of their own give exactly the MP_JOIN, ADD_ADDR and port
# counts the kernel's selftest wants, whether one or two addresses share
# the port or each has its own, and every byte arrives intact; a port
# endpoint's listener takes joins only: an MP_CAPABLE connection to it is
# refused and counted.
#
# The join cases are mptcp_join.sh's, from the case table joins.bats uses
# (joins-table.bash), each one upload with the path manager set up anew.
# Besides chk_join_nr's and chk_add_nr's counters, their tests check the
# port part of chk_add_nr: ADD_ADDRs with a port (PortAdd), the port
# joins' SYN, SYN/ACK and ACK, and no port mismatch. The removal cases
# with a port are in removes.bats.
#
# The last case ("port-based signal endpoint must not accept mpc"): a
# signal endpoint with a port on the server's path 2 address opens a
# listener there; the client connects to that address and port with
# MPTCP, is refused (the connect fails, not times out), and the server
# counts the attempt (MPCapableEndpAttempt).
#
#            +------+
#   client --| r1   |-- path 1 --+ 198.19.1.1
#      p1    +------+            |
#      p2 ---| r2   |-- path 2 --+ .2.1   server
#      p3 ---| r3   |-- path 3 --+ .3.1   (.2.1 and .3.1 announced
#            +------+   20 Mbit/s each     with ports from 10100)
#
# requires: mptcp ip_mptcp

load ../harness/harness
load joins-table

# Knobs, so tests/catalogue-c.bats can prove that each check can fail.
: "${JOINS_CASES:=sigport subsigport portsame ports2 mpc}"
# 0: the mpc case's endpoint has no port, so the client's connection to
# that port finds no listener (a sabotage: refused, but not counted).
: "${PORTS_MPC_ENDPOINT:=1}"

# The mpc case: an MP_CAPABLE connect to a port endpoint's listener.
# Facts: mpc.rc (the client's exit code), mpc.status, mpc.error.
mpc_case() {
	# A port no earlier case used (see JOINS_PORT).
	local dir=$MPTH_RUN_DIR/ports-mpc addr rc=0 port=$((JOINS_PORT + 8))
	mkdir -p "$dir"
	pm_flush client
	pm_flush server
	pm_limits server subflows=0 add_addr_accepted=0
	pm_limits client subflows=0 add_addr_accepted=0
	addr=$(topo_addr 2 server)
	if [[ $PORTS_MPC_ENDPOINT == 1 ]]; then
		# The endpoint's listener is up when the command returns.
		pm_endpoint server 2 signal nodev port "$port" || return 1
	fi
	obs_mib_mark mpc
	# The client itself is bounded: a refused connect ends it at once;
	# an unanswered one, after its connect timeout (a failure).
	in_ns client "$MPTH_SAMPLES/mptcp-client" -b 64K --connect-timeout 5000 \
		--timeout 10000 -j "$dir/client.json" "$addr" "$port" \
		>"$dir/client.log" 2>&1 || rc=$?
	obs_mib_record mpc
	fact_set mpc.rc "$rc"
	fact_set mpc.status "$(jq -r '.conns[0].status // "none"' "$dir/client.json" 2>/dev/null)"
	fact_set mpc.error "$(jq -r '.conns[0].error // ""' "$dir/client.json" 2>/dev/null)"
}

setup_file() {
	harness_init || return 0
	topo_paths 3 --rate 20mbit
	local all=$JOINS_CASES
	JOINS_CASES=${all//mpc/}
	joins_run || return 1
	JOINS_CASES=$all
	[[ " $all " != *" mpc "* ]] || mpc_case
}

@test "signal address with port: limits 1, one address announced with a port: 1 1 1, ADD_ADDR 1 with its port, 1 port join" {
	harness_case sigport JOINS_CASES
	joins_as_mptcp_join sigport
}

@test "subflow and signal with port: a subflow endpoint and an address announced with a port: 2 2 2, ADD_ADDR 1, 1 port join" {
	harness_case subsigport JOINS_CASES
	joins_as_mptcp_join subsigport
}

@test "multiple addresses with port: two addresses announced with the same port: 2 2 2, ADD_ADDR 2, 2 port joins" {
	harness_case portsame JOINS_CASES
	joins_as_mptcp_join portsame
}

@test "multiple addresses with ports: two addresses announced, each with its own port: 2 2 2, ADD_ADDR 2, 2 port joins" {
	harness_case ports2 JOINS_CASES
	joins_as_mptcp_join ports2
}

@test "port-based signal endpoint must not accept mpc: an MP_CAPABLE connect to its port is refused, and counted once" {
	harness_case mpc JOINS_CASES
	harness_diag "the client: $(fact_get mpc.error)"
	assert_num "the client's exit code (3: connect error)" "$(fact_get mpc.rc)" -eq 3 &&
		assert_str "the client's verdict" "$(fact_get mpc.status)" connect_error &&
		assert_mib mpc server MPTcpExtMPCapableEndpAttempt -eq 1
}
