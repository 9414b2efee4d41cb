#!/usr/bin/env bats
# An abortive close ends the whole MPTCP connection at once, from either
# end: a client or a server that closes with SO_LINGER 0 mid-upload, or a
# server that closes with data still unread, sends MP_FASTCLOSE; the peer
# counts it, resets every subflow, and its application sees the reset;
# nothing of it is mistaken for a finished transfer.
#
# The kernel's mptcp_join.sh counterparts are fastclose_tests' "fastclose
# test" (the client's abort) and "fastclose server test" (the server's),
# with the same counters: MPFastcloseTx on the end that closes,
# MPFastcloseRx on the other, and MP_RST only where the kernel sends it.
# The close with unread data is the kernel's other road to MP_FASTCLOSE
# (the kernel closes an MPTCP socket with data left unread as it does one
# with SO_LINGER 0).
#
# Two subflows (a subflow endpoint for path 2) and a streaming upload per
# case. Once both subflows are up and 1 MiB has arrived, the harness tells
# one end (traffic_abort): the client or the server closes with SO_LINGER
# 0, or the server stops reading and closes once data waits unread. The
# kernel sends MP_FASTCLOSE on each subflow; the peer may see one or both
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

# Knobs, so tests/catalogue-c.bats can prove that each check can fail.
: "${FASTCLOSE_CASES:=abort server unread}"
# FASTCLOSE_HOW=finish ends every case's transfer normally instead.
: "${FASTCLOSE_HOW:=abort}"

setup_file() {
	harness_init || return 0
	topo_paths 2 --rate 20mbit
	pm_limits all subflows=2 add_addr_accepted=0
	pm_endpoint client 2 subflow
	local c who
	for c in $FASTCLOSE_CASES; do
		case $c in
		abort) who=client ;;
		server) who=server ;;
		unread) who=server-unread ;;
		*)
			log_err "fastclose: unknown case '$c'"
			return 1
			;;
		esac
		obs_mib_mark "$c"
		traffic_start --tag "$c" --bytes 8M || return 1
		# The abort comes once both subflows are up and data flows
		# on: events, however slow the machine.
		traffic_wait_sf "$c" 2 5000 ||
			log_warn "$c: the client lists $TRAFFIC_SF subflows, waited for 2"
		traffic_mark "$c" $((1 << 20)) 30000 || log_warn "$c: 1 MiB did not arrive in 30 s"
		fact_set "$c.sf_at_abort" "$TRAFFIC_SF"
		if [[ $FASTCLOSE_HOW == abort ]]; then
			traffic_abort "$c" "$who"
		fi
		traffic_wait 30000 "$c" || true
		obs_mib_record "$c"
	done
}

# A counter's change over a case. $1: case, $2: role, $3: counter, $4: op,
# $5: n
mib() {
	assert_mib "$1" "$2" "MPTcpExt$3" "$4" "$5"
}

# MP_FASTCLOSE and MP_RST from the end that closed to the other, none back.
# $1: case, $2: the end that closed, $3: the other
fastclosed() {
	local c=$1 by=$2 peer=$3
	mib "$c" "$by" MPFastcloseTx -eq 2 &&
		mib "$c" "$peer" MPFastcloseRx -ge 1 &&
		mib "$c" "$peer" MPFastcloseTx -eq 0 &&
		mib "$c" "$by" MPFastcloseRx -eq 0 &&
		mib "$c" "$by" MPRstTx -eq 2 &&
		mib "$c" "$peer" MPRstRx -ge 1 &&
		mib "$c" "$by" MPRstRx -eq 0
}

# Both subflows were up when the end closed, and it fastclosed them both.
# $1: case, $2: the end that closed, $3: the other
fastclosed_both() {
	assert_num "subflows the client listed before the close" "$(fact_get "$1.sf_at_abort")" -eq 2 &&
		fastclosed "$@"
}

# The end that closed reports how it closed, and exits 0.
# $1: case, $2: role, $3: its expected status
closed_as() {
	assert_str "the $2's status" "$(traffic_json "$2" '.conns[0].status' "$1")" "$3" &&
		assert_num "the $2's exit code" "$(<"$(traffic_dir "$1")/$2.rc")" -eq 0
}

# The end that did not close saw the reset, not an ended transfer.
# $1: case, $2: role, $3: its expected error text
saw_reset() {
	local c=$1 role=$2 want=$3 st err rc
	traffic_json_to "$c" "$role" st '.conns[0].status' err '.conns[0].error'
	read -r rc <"$(traffic_dir "$c")/$role.rc"
	assert_str "the $role's verdict on the connection" "$st" error &&
		assert_num "the $role's exit code (7: reset or truncated)" "$rc" -eq 7 &&
		assert_str "what the $role's socket said" "${err##*: }" "$want"
}

@test "both subflows are up when the client aborts" {
	harness_case abort FASTCLOSE_CASES
	assert_num "subflows the client listed before the abort" "$(fact_get abort.sf_at_abort)" -eq 2
}

@test "the client's SO_LINGER 0 close sends MP_FASTCLOSE on each subflow; the server receives it" {
	harness_case abort FASTCLOSE_CASES
	mib abort client MPFastcloseTx -eq 2 &&
		mib abort server MPFastcloseRx -ge 1 &&
		mib abort server MPFastcloseTx -eq 0 &&
		mib abort client MPFastcloseRx -eq 0
}

@test "MP_RST goes with the resets: sent by the client on each subflow, received by the server, none back to the client" {
	harness_case abort FASTCLOSE_CASES
	mib abort client MPRstTx -eq 2 &&
		mib abort server MPRstRx -ge 1 &&
		mib abort client MPRstRx -eq 0
}

@test "the server's application sees the reset, not an ended transfer; the client reports its abort" {
	harness_case abort FASTCLOSE_CASES
	saw_reset abort server "Connection reset by peer" &&
		closed_as abort client aborted
}

@test "fastclose server test: the server's SO_LINGER 0 close sends MP_FASTCLOSE and MP_RST on each subflow; the client receives them" {
	harness_case server FASTCLOSE_CASES
	fastclosed_both server server client
}

@test "fastclose server test: the client's application sees the reset; the server reports its abort" {
	harness_case server FASTCLOSE_CASES
	saw_reset server client "Connection reset by peer" &&
		closed_as server server aborted
}

@test "close with unread data: the server closes with bytes left in its socket: MP_FASTCLOSE and MP_RST on each subflow, as an abort" {
	harness_case unread FASTCLOSE_CASES
	fastclosed_both unread server client
}

@test "close with unread data: the client's application sees the reset; the server left data unread" {
	harness_case unread FASTCLOSE_CASES
	local unread
	unread=$(traffic_json server '.conns[0].unread_at_close' unread)
	harness_diag "bytes unread in the server's socket at its close (-1: no SIOCINQ here): $unread"
	saw_reset unread client "Connection reset by peer" &&
		closed_as unread server closed_unread &&
		assert_num "bytes left unread (-1: SIOCINQ unknown)" "$unread" -ne 0
}
