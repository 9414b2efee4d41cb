#!/usr/bin/env bats
# The server survives hostile clients: a stream of garbage, a connection
# that opens and stalls, a thousand connections opened and dropped. It
# keeps serving well-formed clients and reports each bad one.

load ../harness/harness

setup_file() {
	harness_init || return 0
	topo_paths 1
	local dir=$MPTH_RUN_DIR/hostile srv
	mkdir -p "$dir"
	srv=$(topo_addr 1 server)
	in_ns_bg server "$MPTH_SAMPLES/mptcp-server" -p 0 --ready "$dir/port" \
		--header-timeout 2000 -j "$dir/server.json" >"$dir/server.log" 2>&1 3>&-
	echo "$BG_PID" >"$dir/server.pid"
	wait_file 5000 "$dir/port"
	local port
	port=$(<"$dir/port")
	# Garbage: a wrong magic, then the connection closes.
	in_ns client bash -c "exec 5<>/dev/tcp/$srv/$port; head -c 4096 /dev/urandom >&5; exec 5>&-"
	# A client that connects and never says anything.
	in_ns_bg client bash -c "exec 5<>/dev/tcp/$srv/$port; sleep 4" 3>&-
	local staller=$BG_PID
	# A thousand connections opened and dropped at once, from one shell.
	in_ns client bash -c "for i in {1..1000}; do exec 5<>/dev/tcp/$srv/$port || exit 1; exec 5>&-; done" \
		>"$dir/flood.log" 2>&1
	echo $? >"$dir/flood.rc"
	# Meanwhile a well-formed client gets served.
	in_ns client "$MPTH_SAMPLES/mptcp-client" -b 4M -j "$dir/good.json" "$srv" "$port" \
		>"$dir/good.log" 2>&1
	echo $? >"$dir/good.rc"
	wait "$staller"
	kill -TERM "$(<"$dir/server.pid")"
	busywait 5000 test -s "$dir/server.json"
	fact_set dir "$dir"
}

@test "a well-formed client is served in full during the abuse" {
	local dir
	dir=$(fact_get dir)
	assert_num "well-formed client exit code" "$(<"$dir/good.rc")" -eq 0
	assert_num "bytes the server verified from it" \
		"$(jq '[.conns[] | select(.status == "ok") | .bytes_received] | max' "$dir/server.json")" -eq 4194304
}

@test "the garbage stream is reported as a bad header" {
	local dir
	dir=$(fact_get dir)
	assert_num "connections reported with a bad header" "$(jq .bad_header "$dir/server.json")" -ge 1
	run grep -i "header" "$dir/server.log"
	assert_success
}

@test "the stalled client and the dropped connections are each reported, and the server lived" {
	local dir
	dir=$(fact_get dir)
	assert_num "flood exit code (all 1000 connects accepted)" "$(<"$dir/flood.rc")" -eq 0
	assert_num "connections the server saw" "$(jq .connections "$dir/server.json")" -ge 1003
	# Garbage, the staller (dropped at --header-timeout) and the thousand
	# that closed before a header: each one is a bad header.
	assert_num "connections reported with a bad header" "$(jq .bad_header "$dir/server.json")" -ge 1002
	run grep -c 'bad header' "$dir/server.log"
	assert_num "bad-header lines in the server's log" "$output" -ge 1002
	# The staller is told apart: it timed out.
	run grep -c 'no complete header within' "$dir/server.log"
	assert_num "clients dropped at the header timeout" "$output" -eq 1
}
