#!/usr/bin/env bats
# An abortive close ends the whole MPTCP connection at once: a client that
# closes with SO_LINGER 0 mid-upload sends MP_FASTCLOSE, the server counts
# it, resets every subflow, and its application sees the reset; nothing
# of it is mistaken for a finished transfer.
#
# The kernel's mptcp_join.sh counterpart is fastclose_tests' "fastclose
# test" (the client side), with the same counters: MPFastcloseTx on the
# client, MPFastcloseRx on the server, and MP_RST only where the kernel
# sends it.
#
# Two subflows (a subflow endpoint for path 2) and a streaming upload.
# Once both subflows are up and 1 MiB has arrived, the harness tells the
# client `abort` (traffic_abort); it closes with SO_LINGER 0. The kernel
# sends MP_FASTCLOSE on each subflow; the server may see one or both
# before it resets its side, so its Rx counts are bounded below.
#
#            +------+
#   client --| r1   |-- path 1 --+
#      p1    +------+            +-- server
#      p2 ---| r2   |-- path 2 --+
#            +------+   20 Mbit/s each
#
# requires: mptcp ip_mptcp

load ../harness/harness

# Knobs, so tests/catalogue-b.bats can prove that each check can fail.
# FASTCLOSE_HOW=finish ends the transfer normally instead.
: "${FASTCLOSE_HOW:=abort}"

setup_file() {
	harness_init || return 0
	topo_paths 2 --rate 20mbit
	pm_limits all subflows=2 add_addr_accepted=0
	pm_endpoint client 2 subflow
	obs_mib_mark abort
	traffic_start --tag abort --bytes 8M || return 1
	# The abort comes once both subflows are up and data flows on: events,
	# however slow the machine.
	traffic_wait_sf abort 2 5000 ||
		log_warn "abort: the client lists $TRAFFIC_SF subflows, waited for 2"
	traffic_mark abort $((1 << 20)) 30000 || log_warn "abort: 1 MiB did not arrive in 30 s"
	fact_set abort.sf_at_abort "$TRAFFIC_SF"
	if [[ $FASTCLOSE_HOW == abort ]]; then
		traffic_abort abort
	fi
	traffic_wait 30000 abort || true
	obs_mib_record abort
}

# A counter's change over the abort. $1: role, $2: counter, $3: op, $4: n
mib() {
	assert_mib abort "$1" "MPTcpExt$2" "$3" "$4"
}

@test "both subflows are up when the client aborts" {
	assert_num "subflows the client listed before the abort" "$(fact_get abort.sf_at_abort)" -eq 2
}

@test "the client's SO_LINGER 0 close sends MP_FASTCLOSE on each subflow; the server receives it" {
	mib client MPFastcloseTx -eq 2 &&
		mib server MPFastcloseRx -ge 1 &&
		mib server MPFastcloseTx -eq 0 &&
		mib client MPFastcloseRx -eq 0
}

@test "MP_RST goes with the resets: sent by the client on each subflow, received by the server, none back to the client" {
	mib client MPRstTx -eq 2 &&
		mib server MPRstRx -ge 1 &&
		mib client MPRstRx -eq 0
}

@test "the server's application sees the reset, not an ended transfer; the client reports its abort" {
	local st err rc
	traffic_json_to abort server st '.conns[0].status' err '.conns[0].error'
	read -r rc <"$(traffic_dir abort)/server.rc"
	assert_str "the server's verdict on the connection" "$st" error &&
		assert_num "the server's exit code (7: reset or truncated)" "$rc" -eq 7 &&
		assert_str "what the server's recv() said" "${err##*: }" "Connection reset by peer" &&
		assert_str "the client's status" "$(traffic_json client '.conns[0].status' abort)" aborted &&
		assert_num "the client's exit code" "$(<"$(traffic_dir abort)/client.rc")" -eq 0
}
