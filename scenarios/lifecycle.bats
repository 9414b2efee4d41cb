#!/usr/bin/env bats
# Endpoints change under a live connection: removing one closes its
# subflow and sends RM_ADDR, adding it back re-creates the subflow,
# removing the server's announced address closes the subflows to it, and
# flushing the client's endpoints leaves the initial subflow carrying the
# data, every byte intact.
#
# One upload, paced below the paths' rate (mptcp_join.sh's slow sender: a
# full router queue would drop the RM_ADDR with the data), with client
# `subflow` endpoints for paths 2 and 3 and a server `signal` endpoint for
# its path 2 address: four subflows. Then, one step at a time, each waited for and counted:
#   rm      ip mptcp endpoint delete (client, path 2)
#   readd   ip mptcp endpoint add (client, path 2)
#   rm-sig  ip mptcp endpoint delete (server, its path 2 address)
#   flush   ip mptcp endpoint flush (client)
#
#            +------+
#   client --| r1   |-- path 1 --+
#   .1.1 p1  +------+            |
#   .2.1 p2 -| r2   |-- path 2 --+-- server .1.1, .2.1 (announced)
#   .3.1 p3 -| r3   |-- path 3 --+
#            +------+  20 Mbit/s each
#
# requires: mptcp ip_mptcp

load ../harness/harness

# Knobs, so tests/catalogue-a.bats can prove that each check can fail.
: "${LIFECYCLE_BYTES:=4M}"
# 0: the removed endpoint is not added back.
: "${LIFECYCLE_READD:=1}"
# The client's pace, below the 20 Mbit/s of a path, so that the routers'
# queues never fill and drop the RM_ADDR the client sends once ('' sends
# as fast as the paths take).
: "${LIFECYCLE_RATE=10mbit}"

# One change to the endpoints, with its counters and an event on the
# timeline. $1: step tag, $2: event, $3: path, $4...: command
step() {
	local tag=$1 ev=$2 path=$3
	shift 3
	obs_mib_mark "$tag"
	fact_set "$tag.running" "$(traffic_running life && echo 1 || echo 0)"
	"$@"
	fault_event "$ev" "$path" "$*"
}

setup_file() {
	harness_init || return 0
	topo_paths 3 --rate 20mbit
	pm_limits all subflows=8 add_addr_accepted=2
	pm_endpoint client 2 subflow
	pm_endpoint client 3 subflow
	pm_endpoint server 2 signal
	local c1 c2 s1 s2 old drops0 drops1
	c1=$(topo_addr 1 client) c2=$(topo_addr 2 client)
	s1=$(topo_addr 1 server) s2=$(topo_addr 2 server)
	obs_mib_mark life
	# The client streams until the harness is done with every step.
	obs_shaper_drops_to drops0
	traffic_start --tag life --bytes "$LIFECYCLE_BYTES" \
		${LIFECYCLE_RATE:+--rate "$LIFECYCLE_RATE"} || return 1
	traffic_wait_sf life 4 5000 || log_warn "life: $TRAFFIC_SF subflows, waited for 4"
	traffic_live_pairs life
	fact_set life.pairs_start "$TRAFFIC_LIVE_PAIRS"

	step rm endpoint-removed 2 pm_endpoint_del client 2
	traffic_wait_pair_gone life "^${c2//./\\.}>"
	fact_set rm.gone_ms "$TRAFFIC_WAITED_MS"
	traffic_sf_locals life
	old=$TRAFFIC_SF_LOCALS
	# The server's RmAddr is counted once it has the RM_ADDR, which may
	# come after the client's subflow is gone.
	recipe_wait_removal_seen life
	obs_mib_record rm
	obs_shaper_drops_to drops1
	fact_set rm.drops $((drops1 - drops0))
	if [[ $LIFECYCLE_READD == 1 ]]; then
		step readd endpoint-added 2 pm_endpoint client 2 subflow
	else
		step readd endpoint-not-added 2 true
	fi
	traffic_wait_new_sf life "$c2" "$old" 5000
	fact_set readd.rejoin_ms "$TRAFFIC_WAITED_MS"
	obs_mib_record readd

	step rm-sig signal-removed 2 pm_endpoint_del server 2
	traffic_wait_pair_gone life ">${s2//./\\.}$"
	fact_set rm-sig.gone_ms "$TRAFFIC_WAITED_MS"
	obs_mib_record rm-sig

	step flush endpoints-flushed all pm_flush client
	traffic_wait_live_pairs life "$c1>$s1"
	fact_set flush.gone_ms "$TRAFFIC_WAITED_MS"
	traffic_live_pairs life
	fact_set flush.pairs "$TRAFFIC_LIVE_PAIRS"
	fact_set flush.endpoints "$(in_ns client ip mptcp endpoint show | grep -c .)"
	traffic_progress life
	fact_set flush.recv "${TRAFFIC_RX:-0}"
	# The initial subflow alone carries on: a further megabyte arrives.
	traffic_mark life $((${TRAFFIC_RX:-0} + 1048576)) 10000 ||
		log_warn "life: no data after the flush"
	fact_set flush.recv_after "${TRAFFIC_MARK_RX:-${TRAFFIC_RX:-0}}"
	obs_mib_record flush
	traffic_wait 60000 life || true
	obs_mib_record life
}

# The step ran while the transfer was still going. $1: step
during() {
	[[ $(fact_get "$1.running") == 1 ]] ||
		assert_fail "step $1 came after the transfer had ended (the client exited early: see its log)" || return
}

@test "four subflows to start with: the initial one, two from endpoints, one to the announced address" {
	local c1 c2 c3 s1 s2 want
	c1=$(topo_addr 1 client) c2=$(topo_addr 2 client) c3=$(topo_addr 3 client)
	s1=$(topo_addr 1 server) s2=$(topo_addr 2 server)
	want=$(printf '%s\n' "$c1>$s1" "$c1>$s2" "$c2>$s1" "$c3>$s1" | sort | paste -sd' ')
	[[ $(fact_get life.pairs_start) == "$want" ]] ||
		assert_fail "subflows at the start: expected {$want}, got {$(fact_get life.pairs_start)}"
}

@test "removing the client's path 2 endpoint closes its subflow and sends RM_ADDR" {
	during rm
	[[ $(fact_get rm.gone_ms) != none ]] ||
		assert_fail "the subflow from $(topo_addr 2 client) was still there 3 s after its endpoint went"
	harness_diag "subflow from path 2 gone $(fact_get rm.gone_ms) ms after the removal"
	# The RM_ADDR goes once: a full queue would have dropped it.
	assert_num "packets the paths' shapers dropped until then" "$(fact_get rm.drops)" -eq 0 &&
		assert_mib rm client MPTcpExtRmAddrTx -eq 1 &&
		assert_mib rm client MPTcpExtRmSubflow -eq 1 &&
		assert_mib rm server MPTcpExtRmAddr -eq 1
}

@test "adding it back re-creates the subflow within 5 s (one new join)" {
	during readd
	local v
	v=$(fact_get readd.rejoin_ms)
	[[ $v != none ]] ||
		assert_fail "no new subflow from $(topo_addr 2 client) within 5000 ms of adding its endpoint back"
	assert_num "time until the subflow from path 2 was back (ms)" "$v" -le 5000 &&
		assert_mib readd client MPTcpExtMPJoinSynAckRx -eq 1 &&
		assert_mib readd server MPTcpExtMPJoinAckRx -eq 1
}

@test "removing the server's announced address sends RM_ADDR and closes the subflow to it" {
	during rm-sig
	[[ $(fact_get rm-sig.gone_ms) != none ]] ||
		assert_fail "the subflow to $(topo_addr 2 server) was still there 3 s after its endpoint went"
	assert_mib rm-sig server MPTcpExtRmAddrTx -eq 1 &&
		assert_mib rm-sig server MPTcpExtRmSubflow -eq 1 &&
		assert_mib rm-sig client MPTcpExtRmAddr -eq 1
}

@test "flushing the client's endpoints closes their two subflows; the initial one carries on" {
	during flush
	local want
	want="$(topo_addr 1 client)>$(topo_addr 1 server)"
	[[ $(fact_get flush.pairs) == "$want" ]] ||
		assert_fail "subflows after the flush: expected {$want}, got {$(fact_get flush.pairs)}"
	assert_num "client endpoints after the flush" "$(fact_get flush.endpoints)" -eq 0 &&
		assert_mib flush client MPTcpExtRmSubflow -eq 2 &&
		assert_num "bytes received after the flush" \
			$(($(fact_get flush.recv_after) - $(fact_get flush.recv))) -ge 1048576
}

@test "every byte arrives intact" {
	assert_transfer_intact life
}
