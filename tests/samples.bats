#!/usr/bin/env bats
# The C samples, end to end in a two-path namespace pair: MPTCP is really
# used with two subflows, fallbacks are detected and explained, corruption
# and bad headers are caught, every mode and many connections verify, and
# the sanitizer build and valgrind find nothing.

load ../harness/harness

setup_file() {
	harness_init || return 0
	# Shaped, so that a transfer lasts long enough for the join to show.
	topo_paths 2 --rate 100mbit
	pm_limits all subflows=2 add_addr_accepted=2
	pm_endpoint client 2 subflow
}

# Start a server in the server namespace; SERVER_CMD (an array) replaces
# the binary, e.g. to run it under valgrind, and SERVER_START_MS bounds
# its start (a hang detector: valgrind on a loaded machine takes seconds).
# $@: extra server options
server() {
	local dir=$BATS_TEST_TMPDIR
	rm -f "$dir/port"
	local cmd=("${SERVER_CMD[@]:-$MPTH_SAMPLES/mptcp-server}")
	in_ns_bg server "${cmd[@]}" -p 0 --ready "$dir/port" \
		-j "$dir/server.json" "$@" >"$dir/server.log" 2>&1 3>&-
	SERVER_PID=$BG_PID
	wait_file "${SERVER_START_MS:-5000}" "$dir/port" || fail "server did not start: $(cat "$dir/server.log")"
	PORT=$(<"$dir/port")
	SRV=$(topo_addr 1 server)
}

# Wait for the server to end and read its exit code into SERVER_RC.
server_wait() {
	SERVER_RC=0
	wait "$SERVER_PID" || SERVER_RC=$?
}

@test "hello: connects with MPTCP and reports 2 subflows" {
	server -n 1
	run in_ns client "$MPTH_SAMPLES/mptcp-hello" "$SRV" "$PORT"
	server_wait
	assert_success
	assert_output --partial "connected with MPTCP"
	assert_output --regexp 'subflows: [12]'
}

@test "client: MPTCP with 2 subflows, each reported with its addresses" {
	server -n 1
	run in_ns client "$MPTH_SAMPLES/mptcp-client" -b 8M --info-interval 20 \
		--info "$BATS_TEST_TMPDIR/info" -j "$BATS_TEST_TMPDIR/c.json" "$SRV" "$PORT"
	server_wait
	assert_success
	run jq -r '.protocol, .max_subflows' "$BATS_TEST_TMPDIR/c.json"
	assert_output $'mptcp\n2'
	# Both client addresses appear as subflow sources, to the server.
	run bash -c "jq -r '.subflow_list[]?.local' '$BATS_TEST_TMPDIR/info' | sed 's/:[0-9]*$//' | sort -u"
	assert_output $'198.18.1.1\n198.18.2.1'
	run bash -c "jq -r '.subflow_list[]?.remote' '$BATS_TEST_TMPDIR/info' | sort -u"
	assert_output "$SRV:$PORT"
}

@test "a TCP-only server: the client detects the fallback and says so" {
	server -n 1 -t tcp
	run in_ns client "$MPTH_SAMPLES/mptcp-client" -b 1M -j "$BATS_TEST_TMPDIR/c.json" "$SRV" "$PORT"
	server_wait
	assert_success
	run jq -r '.protocol, .requested, (.fallback_reason != null)' "$BATS_TEST_TMPDIR/c.json"
	assert_output $'tcp\nmptcp\ntrue'
	run in_ns client "$MPTH_SAMPLES/mptcp-hello" "$SRV" "$PORT"
}

@test "net.mptcp.enabled=0 in the client's namespace: ENOPROTOOPT fallback, explained" {
	server -n 2
	in_ns client sysctl -qw net.mptcp.enabled=0
	run in_ns client "$MPTH_SAMPLES/mptcp-hello" "$SRV" "$PORT"
	local hello=$output hello_rc=$status
	run in_ns client "$MPTH_SAMPLES/mptcp-client" -b 1M -j "$BATS_TEST_TMPDIR/c.json" "$SRV" "$PORT"
	in_ns client sysctl -qw net.mptcp.enabled=1
	server_wait
	[[ $hello_rc == 0 ]] || fail "hello exited $hello_rc: $hello"
	[[ $hello == *ENOPROTOOPT* ]] || fail "hello did not name ENOPROTOOPT: $hello"
	assert_success
	run jq -r '.protocol, .fallback_reason' "$BATS_TEST_TMPDIR/c.json"
	assert_line --index 0 tcp
	assert_line --index 1 --partial ENOPROTOOPT
}

@test "a corrupted byte is caught at its offset, by both sides" {
	server -n 1
	run in_ns client "$MPTH_SAMPLES/mptcp-client" -b 4M --corrupt-at 123457 \
		-j "$BATS_TEST_TMPDIR/c.json" "$SRV" "$PORT"
	server_wait
	assert_failure 4
	assert_equal "$SERVER_RC" 4
	run jq -r '.mismatch_offset' "$BATS_TEST_TMPDIR/server.json"
	assert_output 123457
	# The bytes after the bad one are read for the report if the bad one
	# ended a recv(), so the report never depends on where that fell.
	run jq -r '.conns[0].error' "$BATS_TEST_TMPDIR/server.json"
	assert_output --partial 'one byte changed, the bytes after it in place'
}

@test "a mismatch says where the bytes found there belong: a lost stretch reads as bytes from further on" {
	server -n 1
	run in_ns client "$MPTH_SAMPLES/mptcp-client" -b 4M --skip-at 200000 \
		-j "$BATS_TEST_TMPDIR/c.json" "$SRV" "$PORT"
	server_wait
	assert_failure 4
	run jq -r '.mismatch_offset' "$BATS_TEST_TMPDIR/server.json"
	assert_output 200000
	run jq -r '.conns[0].error' "$BATS_TEST_TMPDIR/server.json"
	assert_output --partial 'the bytes there are those of offset 201000, 1000 bytes further on'
}

@test "a bad header is rejected with exit 5, and the next client is served" {
	server -n 2
	# bash may write the request in pieces, and the server closes at the
	# first bad byte: a later piece then meets a reset (EPIPE, SIGPIPE),
	# which says nothing of the server.
	in_ns client bash -c "trap '' PIPE; exec 5<>/dev/tcp/$SRV/$PORT; printf 'GET / HTTP/1.0\r\n\r\nxxxxxxxxxxxx' >&5 2>/dev/null; sleep 0.2"
	run in_ns client "$MPTH_SAMPLES/mptcp-client" -b 1M "$SRV" "$PORT"
	server_wait
	assert_success
	assert_equal "$SERVER_RC" 5
	run jq -r '.bad_header, .ok' "$BATS_TEST_TMPDIR/server.json"
	assert_output $'1\n1'
	run grep 'bad header' "$BATS_TEST_TMPDIR/server.log"
	assert_success
}

@test "50 parallel connections from one client all verify" {
	server -n 50
	run in_ns client "$MPTH_SAMPLES/mptcp-client" -c 50 -b 512K -j "$BATS_TEST_TMPDIR/c.json" "$SRV" "$PORT"
	server_wait
	assert_success
	assert_equal "$SERVER_RC" 0
	run jq -r '.ok, .bytes_received' "$BATS_TEST_TMPDIR/server.json"
	assert_output $'50\n26214400'
}

@test "download and bidirectional modes verify on both sides" {
	local mode
	for mode in download bidir; do
		server -n 1
		run in_ns client "$MPTH_SAMPLES/mptcp-client" -m "$mode" -b 4M \
			--timeline "$BATS_TEST_TMPDIR/tl" -j "$BATS_TEST_TMPDIR/c.json" "$SRV" "$PORT"
		server_wait
		assert_success
		assert_equal "$SERVER_RC" 0
		run jq -r '.bytes_received, .mismatch_offset' "$BATS_TEST_TMPDIR/c.json"
		assert_output $'4194304\n-1'
		run awk '{ s += $2 } END { print s }' "$BATS_TEST_TMPDIR/tl"
		assert_output 4194304
	done
}

@test "the server stops cleanly on SIGTERM with its JSON written" {
	server
	kill -TERM "$SERVER_PID"
	server_wait
	assert_equal "$SERVER_RC" 0
	run jq -r .role "$BATS_TEST_TMPDIR/server.json"
	assert_output server
}

@test "a busy port is refused clearly (exit 3), port 0 never collides" {
	server
	run in_ns server "$MPTH_SAMPLES/mptcp-server" -p "$PORT" -n 1
	kill -TERM "$SERVER_PID"
	server_wait
	assert_failure 3
	assert_output --partial "$PORT"
	assert_output --regexp '[Aa]ddress already in use'
}

@test "the ASan/UBSan build transfers in every mode with no finding" {
	make -C "$MPTH_ROOT/c-samples" -s SANITIZE=1 >/dev/null
	local san=$MPTH_ROOT/c-samples/build-san mode
	[[ -x $san/mptcp-client ]] || fail "no sanitizer build in $san"
	for mode in upload download bidir; do
		SERVER_CMD=("$san/mptcp-server")
		server -n 2
		run in_ns client "$san/mptcp-client" -m "$mode" -c 2 -b 2M "$SRV" "$PORT"
		server_wait
		assert_success
		refute_output --partial "runtime error"
		refute_output --partial "Sanitizer"
		run grep -E 'runtime error|Sanitizer' "$BATS_TEST_TMPDIR/server.log"
		assert_failure
		assert_equal "$SERVER_RC" 0
	done
}

@test "valgrind finds no error in one transfer, client and server" {
	command -v valgrind >/dev/null || skip "valgrind not installed (package valgrind)"
	# valgrind refuses a binary that carries the ASan runtime.
	! ldd "$MPTH_SAMPLES/mptcp-client" 2>/dev/null | grep -q libasan ||
		skip "MPTH_SAMPLES is a sanitizer build; valgrind runs the plain one"
	SERVER_CMD=(valgrind --error-exitcode=99 --leak-check=full
		--errors-for-leak-kinds=definite -q "$MPTH_SAMPLES/mptcp-server")
	SERVER_START_MS=60000 server -n 1
	run in_ns client valgrind --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite -q "$MPTH_SAMPLES/mptcp-client" -b 2M "$SRV" "$PORT"
	server_wait
	assert_success
	assert_equal "$SERVER_RC" 0
}

@test "the header parser survives 20 s of libFuzzer" {
	command -v clang >/dev/null || skip "clang not installed (package clang)"
	make -C "$MPTH_ROOT/c-samples" -s fuzz >/dev/null
	run make -C "$MPTH_ROOT/c-samples" -s fuzz-run FUZZ_SECONDS=20
	assert_success
	assert_output --partial "Done"
	refute_output --partial "ERROR: libFuzzer"
}

# The harness's channel to the samples, as harness/traffic.sh uses it:
# one events FIFO both write to, a control FIFO each.
channel() {
	local d=$BATS_TEST_TMPDIR
	mkfifo "$d/ev" "$d/sctl" "$d/cctl"
	exec {EV}<>"$d/ev" {SCTL}<>"$d/sctl" {CCTL}<>"$d/cctl"
}

# Read events until one matches a regex, 10 s at most; it lands in EVENT.
# $1: regex
next_event() {
	local line
	while IFS= read -r -t 10 -u "$EV" line; do
		echo "$line" >>"$BATS_TEST_TMPDIR/events"
		[[ $line =~ $1 ]] && { EVENT=$line; return 0; }
	done
	fail "no event matching '$1'; got: $(cat "$BATS_TEST_TMPDIR/events" 2>/dev/null)"
}

# $1: mode. A streamed transfer the harness ends: marks, finish, verdicts.
stream_run() {
	local d=$BATS_TEST_TMPDIR w
	channel
	server -n 1 --events "$d/ev" --control "$d/sctl" --timeline "$d/s.tl"
	in_ns_bg client "$MPTH_SAMPLES/mptcp-client" --stream -m "$1" --events "$d/ev" \
		--control "$d/cctl" -j "$d/c.json" --timeline "$d/c.tl" "$SRV" "$PORT" \
		>"$d/client.log" 2>&1 3>&- {EV}>&- {SCTL}>&- {CCTL}>&-
	CLIENT_PID=$BG_PID
	next_event '^client connected [0-9]+ 0 '
	# Marks on whichever side receives (both in bidir).
	[[ $1 == download ]] || printf 'mark 3000000\n' >&"$SCTL"
	[[ $1 == upload ]] || printf 'mark 3000000\n' >&"$CCTL"
	next_event ' mark [0-9]+ 3000000 [0-9]+$'
	read -ra w <<<"$EVENT"
	((w[4] >= 3000000))
	printf 'finish\n' >&"$CCTL"
	next_event '^client done [0-9]+ 0 ok '
	wait "$CLIENT_PID"
	server_wait
	assert_equal "$SERVER_RC" 0
}

@test "--stream upload: the harness's mark comes with the count, and finish ends it, every byte verified" {
	stream_run upload
	run jq -r '.bytes_sent > 3000000, .stream' "$BATS_TEST_TMPDIR/c.json"
	assert_output $'true\ntrue'
	# What the client sent is what the server verified.
	assert_equal "$(jq -r .bytes_sent "$BATS_TEST_TMPDIR/c.json")" \
		"$(jq -r .bytes_received "$BATS_TEST_TMPDIR/server.json")"
}

@test "--stream download and bidir: the client's half-close tells the server to stop; both directions verified" {
	local m
	for m in download bidir; do
		stream_run "$m"
		assert_equal "$(jq -r .bytes_received "$BATS_TEST_TMPDIR/c.json")" \
			"$(jq -r .bytes_sent "$BATS_TEST_TMPDIR/server.json")"
		run jq -r '.mismatch_offset, .status' "$BATS_TEST_TMPDIR/c.json"
		assert_output $'-1\nok'
		exec {EV}>&- {SCTL}>&- {CCTL}>&-
		rm -f "$BATS_TEST_TMPDIR"/{ev,sctl,cctl,events}
	done
	# bidir: the server verified its direction too.
	run jq -r '.bytes_received > 0, .mismatch_offset' "$BATS_TEST_TMPDIR/server.json"
	assert_output $'true\n-1'
}

@test "the control channel: now answers at once, a reached mark fires at once, bad commands are refused" {
	local d=$BATS_TEST_TMPDIR
	channel
	server -n 1 --events "$d/ev" --control "$d/sctl"
	in_ns_bg client "$MPTH_SAMPLES/mptcp-client" --stream --events "$d/ev" --control "$d/cctl" \
		"$SRV" "$PORT" >"$d/client.log" 2>&1 3>&- {EV}>&- {SCTL}>&- {CCTL}>&-
	CLIENT_PID=$BG_PID
	printf 'mark 1000000\n' >&"$SCTL"
	next_event '^server mark [0-9]+ 1000000 '
	printf 'now\n' >&"$SCTL"
	next_event '^server now [0-9]+ [0-9]+ 0$'
	# Already passed: answered at once.
	printf 'mark 10\n' >&"$SCTL"
	next_event '^server mark [0-9]+ 10 '
	printf 'mark x\nbogus\n' >&"$SCTL"
	printf 'sample\n' >&"$CCTL"
	next_event '^client sampled '
	printf 'finish\n' >&"$CCTL"
	next_event '^client done [0-9]+ 0 '
	wait "$CLIENT_PID"
	server_wait
	run cat "$d/server.log"
	assert_output --partial "control: bad mark 'x'"
	assert_output --partial "control: unknown command 'bogus'"
	# --stream alone could never end: refused.
	run "$MPTH_SAMPLES/mptcp-client" --stream 127.0.0.1 1
	assert_failure 2
	assert_output --partial "--stream needs --control"
}

@test "a streaming client whose harness went away finishes by itself, its bytes verified" {
	local d=$BATS_TEST_TMPDIR rc=0
	# The server first: it must not inherit our end of the events FIFO.
	server -n 1
	channel
	in_ns_bg client "$MPTH_SAMPLES/mptcp-client" --stream --events "$d/ev" --control "$d/cctl" \
		-j "$d/c.json" "$SRV" "$PORT" >"$d/client.log" 2>&1 3>&- {EV}>&- {SCTL}>&- {CCTL}>&-
	CLIENT_PID=$BG_PID
	next_event '^client connected '
	# The only reader of the events closes: as if the harness died.
	exec {EV}<&-
	timeout 10 bash -c "while kill -0 $CLIENT_PID 2>/dev/null; do sleep 0.1; done" || rc=$?
	assert_equal "$rc" 0
	wait "$CLIENT_PID" || rc=$?
	assert_equal "$rc" 0
	server_wait
	assert_equal "$SERVER_RC" 0
	run cat "$d/client.log"
	assert_output --partial "events: the reader went away"
}

@test "--cc sets the congestion control of both ends' sockets, and the JSON says which" {
	local cc
	for cc in reno cubic; do
		server -n 1 --cc "$cc"
		run in_ns client "$MPTH_SAMPLES/mptcp-client" --cc "$cc" -b 1M \
			-j "$BATS_TEST_TMPDIR/c.json" "$SRV" "$PORT"
		server_wait
		assert_success
		run jq -r '.conns[0].congestion_control' "$BATS_TEST_TMPDIR/c.json" "$BATS_TEST_TMPDIR/server.json"
		assert_output "$cc"$'\n'"$cc"
	done
}

@test "--rate paces the sender: 2 MiB at 8 Mbit/s takes at least 2 s, every byte verified; a bad rate is refused" {
	local ms
	server -n 1
	run in_ns client "$MPTH_SAMPLES/mptcp-client" --rate 8mbit -b 2M \
		-j "$BATS_TEST_TMPDIR/c.json" "$SRV" "$PORT"
	server_wait
	assert_success
	ms=$(jq -r '.end_ms - .start_ms' "$BATS_TEST_TMPDIR/c.json")
	# 2 MiB is 16.8 Mbit: 2.1 s at 8 Mbit/s, less the 16 KiB the bucket
	# starts with. A lower bound holds however loaded the machine is.
	assert_num "duration of 2 MiB at 8 Mbit/s, ms" "$ms" -ge 2000
	run jq -r '.rate_bps, .status' "$BATS_TEST_TMPDIR/c.json"
	assert_output $'8000000\nok'
	for bad in 0 10x -5 8mbits; do
		run in_ns client "$MPTH_SAMPLES/mptcp-client" --rate "$bad" "$SRV" "$PORT"
		assert_failure 2
		assert_output --partial "--rate: invalid rate '$bad'"
	done
}

@test "--hold-result keeps an upload's verdict (and the connection) until release" {
	local d=$BATS_TEST_TMPDIR
	channel
	server -n 1 --hold-result --events "$d/ev" --control "$d/sctl"
	in_ns_bg client "$MPTH_SAMPLES/mptcp-client" -b 2M -j "$d/c.json" "$SRV" "$PORT" \
		>"$d/client.log" 2>&1 3>&- {EV}>&- {SCTL}>&- {CCTL}>&-
	CLIENT_PID=$BG_PID
	printf 'mark 2097152\n' >&"$SCTL"
	next_event '^server mark [0-9]+ 2097152 '
	# All bytes in, verdict held: the client still waits, the connection is up.
	wait_nap 1
	kill -0 "$CLIENT_PID"
	run in_ns client ss -HMn "( dport = :$PORT )"
	assert_output --regexp '^(ESTAB|FIN-WAIT-2) '
	printf 'release\n' >&"$SCTL"
	next_event '^server released '
	wait "$CLIENT_PID"
	server_wait
	assert_equal "$SERVER_RC" 0
	run jq -r '.status' "$d/c.json"
	assert_output ok
	run "$MPTH_SAMPLES/mptcp-server" --hold-result
	assert_failure 2
}

@test "mptcp-pm-ctl endpoint-add: the flags as asked, laminar among them; a bad flag exits 2, a duplicate 4 with the kernel's reason" {
	uspm_build
	run in_ns server "$USPM_CTL" endpoint-add --addr 198.51.100.7 --id 42 --flags signal,laminar
	assert_success
	run in_ns server ip mptcp endpoint show id 42
	# iproute2 6.1 prints the bit it has no name for as rawflags.
	assert_output --regexp '^198\.51\.100\.7 id 42 signal (laminar|rawflags 20)'
	run in_ns server "$USPM_CTL" endpoint-add --addr 198.51.100.7 --flags signal
	assert_failure 4
	assert_output --partial "endpoint-add refused: File exists"
	run in_ns server "$USPM_CTL" endpoint-add --addr 198.51.100.8 --flags signal,laminar,bogus
	assert_failure 2
	assert_output --partial "unknown flag 'bogus'"
	pm_flush server
}
