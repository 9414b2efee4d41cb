#!/usr/bin/env bats
# Each check of the failover scenario can fail: break one thing on purpose
# through the scenario's knobs and watch the matching test, and only it,
# report "not ok" with the reason.

load helpers

# Run the failover scenario with knobs, link-down only.
# $@: VAR=value knobs
sabotage() {
	run env FAILOVER_FAULTS=link-down "$@" \
		"$RUN" --no-install --artifacts "$BATS_TEST_TMPDIR/art" failover
}

@test "expecting 3 subflows where there are 2 fails the join check, with the counts" {
	sabotage FAILOVER_SUBFLOWS=3
	assert_failure 1
	assert_output --regexp 'not ok [0-9]+ link-down: a second subflow joins'
	assert_output --partial "expected at least 3, got 2"
	# The rest of the run is unaffected.
	assert_output --regexp 'ok [0-9]+ link-down: path 1 goes down at a quarter'
}

@test "a subflow limit of 0 (no join possible) fails the join check" {
	sabotage FAILOVER_SUBFLOW_LIMIT=0
	assert_failure 1
	assert_output --regexp 'not ok [0-9]+ link-down: a second subflow joins'
	assert_output --regexp 'client MIB MPJoinSynAckRx: expected at least 1, got 0|MPTCP_INFO.*expected at least 2, got 1'
}

@test "a corrupted byte fails the integrity check at its offset" {
	sabotage FAILOVER_CORRUPT_AT=15000000
	assert_failure 1
	assert_output --regexp 'not ok [0-9]+ link-down: path 1 goes down at a quarter of the bytes \(within 2%\), and every byte arrives intact'
	assert_output --partial "first mismatch at byte offset 15000000"
}

@test "a link never restored fails the rejoin check; impossible bounds fail outage, recovery, carriage and fault placement" {
	sabotage FAILOVER_RESTORE=0 FAILOVER_LINKDOWN_MAX_MS=0 FAILOVER_SURVIVOR_PCT=1000 \
		FAILOVER_LINKDOWN_RECOVERY_MS=-1 FAILOVER_FAULT_TOLERANCE_PM=-1
	assert_failure 1
	assert_output --regexp 'not ok [0-9]+ link-down: a new subflow joins over path 1'
	assert_output --partial "no new subflow from path 1"
	assert_output --regexp 'not ok [0-9]+ link-down: the outage after the failure'
	assert_output --regexp 'outage after the fault \(ms, longest receive gap\): expected at most 0, got [1-9]'
	assert_output --regexp 'recovery after the fault \(ms, until 200 ms at half the survivor.s rate\): expected at most -1, got [0-9]+'
	assert_output --regexp 'not ok [0-9]+ link-down: path 2 carries'
	# A fault can never strike before its mark: a negative tolerance fails.
	assert_output --regexp 'not ok [0-9]+ link-down: path 1 goes down at a quarter'
	assert_output --regexp 'beyond its mark \(per mille of [0-9]+\): expected at most -1, got [0-9]+'
	refute_output --partial 'data corrupted'
}

@test "--seed fixes the pattern seed, every run prints its seed, --json and --junit describe the run" {
	run env FAILOVER_FAULTS=link-down "$RUN" --no-install --keep \
		--seed 4242 --artifacts "$BATS_TEST_TMPDIR/art" --json "$BATS_TEST_TMPDIR/s.json" \
		--junit "$BATS_TEST_TMPDIR/j.xml" failover
	assert_success
	assert_output --partial "seed 4242 (reproduce with --seed 4242)"
	run jq -r '.conns[0].seed' "$BATS_TEST_TMPDIR/art/failover/traffic-link-down/server.json"
	assert_output 4242
	# The link-down case's 6 tests pass; a close that hung on the kernel's
	# half-closed initial subflow is the one named skip allowed.
	local want=6
	[[ ! -s $BATS_TEST_TMPDIR/art/failover/state-hung-link-down.txt ]] || want=5
	run jq -r '.seed, .passed, .scenarios[0].name, (.scenarios[0].figures | has("link-down.outage_ms"))' \
		"$BATS_TEST_TMPDIR/s.json"
	assert_output $'4242\n'"$want"$'\nfailover\ntrue'
	# One testcase per @test, in well-formed XML.
	run python3 -c 'import sys, xml.dom.minidom as m; print(len(m.parse(sys.argv[1]).getElementsByTagName("testcase")))' \
		"$BATS_TEST_TMPDIR/j.xml"
	assert_output 12
}
