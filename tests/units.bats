#!/usr/bin/env bats
# The harness's computations, on data made up to have a known answer.

load helpers

setup() {
	source "$REPO/harness/harness.bash"
	MPTH_RUN_DIR=$BATS_TEST_TMPDIR
	MPTH_ART_DIR=$BATS_TEST_TMPDIR/art
	mkdir -p "$MPTH_ART_DIR" "$MPTH_RUN_DIR/traffic-t"
	: >"$MPTH_RUN_DIR/facts"
	: >"$MPTH_RUN_DIR/roles"
}

# $1: bins as "start_ms bytes" lines
timeline() {
	printf '%s\n' "$@" >"$MPTH_RUN_DIR/traffic-t/server.timeline"
}

@test "outage is the longest receive gap that ends after the fault" {
	# Data every 10 ms, a 40 ms gap before the fault, 300 ms (30 empty
	# bins) after it.
	timeline "1000 5" "1010 5" "1060 5" "1070 5" "1080 0" "1380 5" "1390 5"
	run traffic_outage_ms t 1075
	assert_output 300
	# A gap wholly before the fault does not count.
	run traffic_outage_ms t 1385
	assert_output 0
}

@test "no byte after the fault is an outage that never ended" {
	timeline "1000 5" "1010 5" "1020 0" "1030 0"
	run traffic_outage_ms t 1015
	assert_output 999999
}

@test "expect compares numbers and says what it wanted" {
	run expect "subflows" 2 -ge 3
	assert_failure
	assert_output --partial "subflows: expected at least 3, got 2"
	run expect "subflows" 3 -ge 3
	assert_success
	run expect "subflows" "" -ge 1
	assert_failure
	assert_output --partial "expected a number"
}

@test "the survivor check fails when the path carried too little" {
	fact_set t.window_recv 1000
	fact_set t.restore_recv 11000
	fact_set t.survivor 2
	fact_set t.survivor_bytes_at_window 0
	fact_set t.survivor_bytes_at_restore 8000
	run check_survivor_carried t 90
	assert_failure
	assert_output --partial "expected at least 90, got 80"
	fact_set t.survivor_bytes_at_restore 10500
	run check_survivor_carried t 90
	assert_success
}

@test "sizes with suffixes become bytes" {
	run traffic_size_bytes 24M
	assert_output 25165824
	run traffic_size_bytes 3K
	assert_output 3072
	run traffic_size_bytes 100
	assert_output 100
}

@test "the undo stack runs newest first, once" {
	defer_init "$BATS_TEST_TMPDIR/defer"
	local out=$BATS_TEST_TMPDIR/order
	defer sh -c "echo first >>$out"
	defer sh -c "echo 'second; with quotes' >>$out"
	defer_run_all
	defer_run_all
	run cat "$out"
	assert_output $'second; with quotes\nfirst'
}

@test "busywait returns as soon as the condition holds, and fails at the deadline" {
	local t0
	t0=$(now_ms)
	run busywait 2000 true
	assert_success
	((($(now_ms) - t0) < 1000))
	t0=$(now_ms)
	run busywait 300 false
	assert_failure
	((($(now_ms) - t0) >= 300))
}

# $1: client rc, $2: server rc, $3: server status, $4: bytes received
fake_run() {
	local d=$MPTH_RUN_DIR/traffic-t
	echo "$1" >"$d/client.rc"
	echo "$2" >"$d/server.rc"
	printf '{"bytes_sent":1000}\n' >"$d/client.json"
	printf '{"bytes_received":%s,"mismatch_offset":-1,"conns":[{"mode":"upload","status":"%s"}]}\n' \
		"$4" "$3" >"$d/server.json"
}

@test "intact: a clean run passes; a short or failed one fails with the exit codes" {
	fake_run 0 0 ok 1000
	run assert_transfer_intact t
	assert_success
	fake_run 0 0 ok 999
	run assert_transfer_intact t
	assert_failure
	assert_output --partial "expected exactly 1000, got 999"
	fake_run 7 7 truncated 500
	run assert_transfer_intact t
	assert_failure
	assert_output --partial "client exit 7, server exit 7"
}

@test "intact: a verified upload whose result was lost passes, with a note; unverified does not" {
	fake_run timeout 0 ok 1000
	run assert_transfer_intact t
	assert_success
	run cat "$MPTH_ART_DIR/figures.txt" "$MPTH_ART_DIR/key-figures.tsv"
	assert_output --partial "its result never reached the client"
	assert_output --partial "t.result_lost	1"
	fake_run timeout 7 truncated 1000
	run assert_transfer_intact t
	assert_failure
}
