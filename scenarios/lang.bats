#!/usr/bin/env bats
# Clients written in Python, Perl and Rust open MPTCP sockets their
# language's way, get two subflows and deliver every byte to our server,
# and fall back to TCP by themselves when the kernel says no.
#
# The clients live in c-samples/lang/ and speak the harness's protocol
# (c-samples/proto.h), so our mptcp-server verifies each byte; each one
# reports its own MPTCP_INFO as a JSON line. They run through app_traffic,
# the harness's way to run any command as the client. Rust is built
# offline with Debian's cargo and librust-socket2-dev, and skips with the
# reason when they are missing.
#
#            +------+                 +------+
#   client --| r1   |-- path 1 -------|      |
#      p1    +------+  20 Mbit/s      |server|
#      p2    +------+                 |      |
#   client --| r2   |-- path 2 -------|      |
#            +------+  20 Mbit/s      +------+
# requires: mptcp ip_mptcp python3 perl

load ../harness/harness

# Knobs, so tests/catalogue-b.bats can prove that each check can fail.
: "${LANG_LIST:=python perl rust}"
: "${LANG_BYTES:=6M}"
: "${LANG_SUBFLOWS:=2}"
# 0: no endpoint for path 2, so no second subflow.
: "${LANG_ENDPOINT:=1}"
# The Python client flips the byte at this offset.
: "${LANG_CORRUPT_AT:=}"

LANG_DIR=$MPTH_ROOT/c-samples/lang

# $1: tag. Waits (3 s at most) for ss -M on the server to show 2
# subflows, and records the largest count seen.
record_ssm() {
	local port
	port=$(fact_get "$1.port")
	obs_monitor_wait_subflows server "$port" "$LANG_SUBFLOWS" 3000 || true
	fact_set "$1.ssm" "$(app_ssm_max_subflows server "$port")"
}

# One client run. $1: tag, $2...: the client command
run_lang() {
	local tag=$1 joins
	shift
	obs_mib_mark "$tag" server
	app_traffic --tag "$tag" --bytes "$LANG_BYTES" -- "$@" || return 1
	record_ssm "$tag"
	traffic_wait 30000 "$tag" || true
	obs_mib_record "$tag"
	joins=$(obs_mib_of "$tag" server MPTcpExtMPJoinAckRx)
	fact_set "$tag.joins" "$joins"
	harness_note "$tag: $(app_client_report "$tag" -c)"
}

setup_file() {
	harness_init || return 0
	topo_paths 2 --rate 20mbit
	pm_limits all subflows=2 add_addr_accepted=2
	[[ $LANG_ENDPOINT == 0 ]] || pm_endpoint client 2 subflow
	local l bin
	for l in $LANG_LIST; do
		case $l in
		python)
			run_lang python python3 "$LANG_DIR/mpth_client.py" '{host}' '{port}' '{bytes}' '{seed}' \
				${LANG_CORRUPT_AT:+"$LANG_CORRUPT_AT"}
			;;
		perl) run_lang perl perl "$LANG_DIR/mpth-client.pl" '{host}' '{port}' '{bytes}' '{seed}' ;;
		rust)
			if ! feat_have rust_socket2; then
				fact_set rust.skip "$FEAT_REASON"
				continue
			fi
			if ! bin=$(app_rust_client_build); then
				fact_set rust.build failed
				continue
			fi
			run_lang rust "$bin" '{host}' '{port}' '{bytes}' '{seed}'
			;;
		*)
			log_err "unknown language '$l' in LANG_LIST"
			return 1
			;;
		esac
	done
	# The same clients where the kernel refuses MPTCP sockets.
	in_ns client sysctl -qw net.mptcp.enabled=0
	app_traffic --tag py-off --bytes 1M --server-type tcp -- \
		python3 "$LANG_DIR/mpth_client.py" '{host}' '{port}' '{bytes}' '{seed}'
	traffic_wait 20000 py-off || true
	app_traffic --tag pl-off --bytes 1M --server-type tcp -- \
		perl "$LANG_DIR/mpth-client.pl" '{host}' '{port}' '{bytes}' '{seed}'
	traffic_wait 20000 pl-off || true
	in_ns client sysctl -qw net.mptcp.enabled=1
}

# The checks of one language's run. $1: tag
check_lang() {
	local t=$1
	[[ " $LANG_LIST " == *" $t "* ]] || skip "$t not selected (LANG_LIST)"
	app_assert_verified "$t"
	assert_str "protocol by the $t client's own MPTCP_INFO" "$(app_client_report "$t" .protocol)" mptcp
	assert_num "subflows by the $t client's own MPTCP_INFO" "$(app_client_report "$t" .max_subflows)" -ge "$LANG_SUBFLOWS"
	assert_num "subflows by ss -M on the server" "$(fact_get "$t.ssm")" -ge "$LANG_SUBFLOWS"
	assert_num "server MIB MPJoinAckRx during the run" "$(fact_get "$t.joins")" -ge $((LANG_SUBFLOWS - 1))
	assert_str "the $t client's view of the server's verdict" "$(app_client_report "$t" .status)" ok
}

@test "Python: socket.IPPROTO_MPTCP gets 2 subflows (its MPTCP_INFO, ss -M, MIB) and our server verifies every byte" {
	check_lang python
}

@test "Perl: socket(..., 262) gets 2 subflows (its MPTCP_INFO, ss -M, MIB) and our server verifies every byte" {
	check_lang perl
}

@test "Rust (socket2, built offline from Debian's crates): Protocol::from(262) gets 2 subflows and every byte verified" {
	local why
	why=$(fact_get rust.skip) && skip "Rust: $why"
	[[ $(fact_get rust.build) != failed ]] ||
		assert_fail "the Rust client did not build offline (see the log above)"
	check_lang rust
}

@test "with net.mptcp.enabled=0, the Python and Perl clients fall back to TCP on ENOPROTOOPT and still deliver" {
	local t
	for t in py-off pl-off; do
		assert_str "$t: protocol" "$(app_client_report $t .protocol)" tcp
		[[ $(app_client_report $t .fallback_reason) == ENOPROTOOPT* ]] ||
		assert_fail "$t: fallback reason: expected ENOPROTOOPT..., got '$(app_client_report $t .fallback_reason)'"
		app_assert_verified $t
	done
}
