#!/usr/bin/env bats
# run.sh app: real programs (curl and Python's http.server, iperf3) over the
# failover topology; each of its verdicts seen both ways, and bad input
# refused before anything is built.

load helpers

setup_file() {
	WWW=$BATS_FILE_TMPDIR/www
	mkdir -p "$WWW"
	head -c 24M /dev/urandom >"$WWW/file"
	export WWW
}

setup() {
	host_snapshot "$BATS_TEST_TMPDIR/before"
}

teardown() {
	host_snapshot "$BATS_TEST_TMPDIR/after"
	diff -u "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
}

# Run `run.sh app` with options; sets RC, OUT (stdout and stderr), J (its
# JSON summary) and ID (its run id), and checks it left nothing behind.
# $@: options of app
app_run() {
	OUT=$BATS_TEST_TMPDIR/out
	J=$BATS_TEST_TMPDIR/summary.json
	RC=0
	"$RUN" --no-install --artifacts "$BATS_TEST_TMPDIR/art" --json "$J" app "$@" \
		>"$OUT" 2>&1 || RC=$?
	ID=$(run_id_of "$OUT")
	run harness_leftovers "$ID"
	assert_output ''
}

# Status of test N of the run ($J). $1: N
status_of() {
	jq -r --argjson n "$1" '.scenarios[0].tests[] | select(.number == $n) | .status' "$J"
}

HTTP_SERVER="python3 -m http.server {port} --bind {server} --directory"

@test "curl from Python's http.server under mptcpize, a download, path 1 blackholed: 6 verdicts pass and the file arrives whole" {
	app_run --mptcpize --fault blackhole --server "$HTTP_SERVER $WWW" \
		--client "curl -sS -o $BATS_TEST_TMPDIR/got http://{server}:{port}/file"
	assert_equal "$RC" 0
	cmp "$WWW/file" "$BATS_TEST_TMPDIR/got"
	run jq -r '"\(.passed) \(.failed) \(.skipped)"' "$J"
	assert_output "6 0 0"
	run cat "$OUT"
	assert_output --partial "# event: blackhole on path 1"
	assert_output --partial "# event: restore on path 1"
	assert_output --regexp "# subflows by ss -M \(1 \+ its subflows field\): [2-9] "
	assert_output --regexp "# path 2 carried [0-9]+ bytes: [1-9][0-9]* during the fault"
	# A download.
	assert_output --partial "# main direction: server to client"
	assert_output --regexp "# fault due after 2097152 bytes on the paths: mark seen at [0-9]+"
	assert_output --partial "# report: $BATS_TEST_TMPDIR/art/index.html"
}

@test "iperf3 under mptcpize, an upload, path 1 link down and back: the server serves one client and exits 0" {
	app_run --mptcpize --server 'iperf3 -s -1 -p {port} -B {server}' \
		--client 'iperf3 -c {server} -p {port} -t 6'
	assert_equal "$RC" 0
	run cat "$OUT"
	assert_output --partial "# event: link-down on path 1"
	# An upload.
	assert_output --partial "# main direction: client to server"
	assert_output --partial "# server exit code (it exited within 2 s of the client's end): 0"
	assert_output --partial "# client exit code: 0"
}

@test "plain TCP (no --mptcpize): the MPTCP and subflow verdicts fail and say what to do" {
	app_run --fault none --server "$HTTP_SERVER $WWW" \
		--client 'curl -sS -o /dev/null http://{server}:{port}/file'
	assert_equal "$RC" 1
	assert_equal "$(status_of 2)" fail
	assert_equal "$(status_of 3)" fail
	assert_equal "$(status_of 4)" pass
	assert_equal "$(status_of 6)" skip
	run cat "$OUT"
	assert_output --partial "the client uses plain TCP; run it with --mptcpize"
}

@test "a client that exits 3, and an outage over --max-outage: those two verdicts fail, with the figures" {
	app_run --mptcpize --fault blackhole --max-outage 1 --server "$HTTP_SERVER $WWW" \
		--client 'curl -sS -o /dev/null http://{server}:{port}/file; exit 3'
	assert_equal "$RC" 1
	assert_equal "$(status_of 2)" pass
	assert_equal "$(status_of 4)" fail
	assert_equal "$(status_of 6)" fail
	run cat "$OUT"
	assert_output --partial "client exit code: expected '0', got '3'"
	assert_output --regexp "# outage after the fault \(ms, longest stretch without data on any path\): expected at most 1, got [0-9]+"
}

@test "a server that never listens: test 1 fails within the listen timeout, says why, and the rest skip" {
	local t0=$SECONDS
	app_run --listen-timeout 1500 --server 'sleep 60 # {port}' \
		--client 'curl -sS http://{server}:{port}/'
	assert_equal "$RC" 1
	((SECONDS - t0 < 40))
	assert_equal "$(status_of 1)" fail
	run jq -r '"\(.passed) \(.failed) \(.skipped)"' "$J"
	assert_output "0 1 5"
	run cat "$OUT"
	assert_output --regexp "the server never listened on port [0-9]+ within 1500 ms \(it was still running; the harness stopped it\)"
	app_run --listen-timeout 1500 --server 'echo nothing here {port}; exit 7' --client 'true'
	run cat "$OUT"
	assert_output --partial "(it exited with code 7)"
	assert_output --partial "#   nothing here"
}

@test "bad app input: exit 2, a clear message, refused before a run begins" {
	local args msg
	while IFS='|' read -r args msg; do
		eval "set -- $args"
		run "$RUN" --no-install "$@"
		assert_failure 2
		assert_output --partial "$msg"
		# No run id: nothing was built (every namespace, process and
		# temp dir of a run carries its id), whatever runs beside.
		refute_output --partial "mpth: run "
	done <<'EOF'
app --client 'curl {server}'|app needs --server
app --server 'nc -l {port}'|app needs --client
app --server 'nc -l 80' --client x|--server must contain {port}
app --server 'nc -l {port}' --client 'curl {host}'|unknown placeholder
app --server 'x {port}' --client x --fault flood|--fault wants link-down, blackhole or none
app --server 'x {port}' --client x --paths 9|--paths
app --server 'x {port}' --client x --rate fast|--rate wants a tc rate
app --server 'x {port}' --client x --fault-after 3s|--fault-after wants bytes
app --server 'x {port}' --client x --restore-after soon|--restore-after
app --server 'x {port}' --client x --max-outage -1|--max-outage
app --server 'x {port}' --client x failover|takes no scenario names
failover --server 'x {port}'|--server
app --server 'x {port}' --client x --filter y|--filter
EOF
}
