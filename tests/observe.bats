#!/usr/bin/env bats
# What a run leaves to read: the failure bundle, timeline plots, pruning
# of bulky files on success, and doctor agreeing with the skips taken.

load helpers

setup_file() {
	# One failing run (3 subflows expected where there are 2), kept whole.
	export ART=$BATS_FILE_TMPDIR/fail
	FAILOVER_FAULTS=link-down FAILOVER_SUBFLOWS=3 \
		"$RUN" --no-install --artifacts "$ART" failover >"$BATS_FILE_TMPDIR/fail.out" 2>&1 || true
}

@test "a forced failure leaves the bundle: expected and actual, state dump, monitor log with subflow events" {
	local d=$ART/failover
	run cat "$d/assertions-failed.txt"
	assert_output --partial "expected at least 3, got 2"
	run cat "$d/failure-dump.txt"
	assert_output --partial "ss -Menita"
	assert_output --partial "MPTcpExtMPJoinSynAckRx"
	run cat "$d/monitor-client.log"
	assert_output --partial "SF_ESTABLISHED"
	assert_output --partial "saddr4=198.18.2.1"
	run cat "$d/nstat-client.txt"
	assert_output --regexp 'MPTcpExtMPJoinSynAckRx [1-9]'
	[[ -s $d/traffic-link-down/server.json && -s $d/traffic-link-down/server.timeline ]]
	[[ -d $d/samples ]]
	# The state right after the fault (taken once nothing waits on it).
	ls "$d"/state-link-down-after-fault.txt
	# The dump went to stderr as well, so a CI log shows it.
	run cat "$BATS_FILE_TMPDIR/fail.out"
	assert_output --partial "state at failure"
}

@test "the timeline plot is a real PNG of non-trivial size, and an SVG" {
	local png=$ART/failover/timeline-link-down.png
	run bash -c "head -c 8 '$png' | od -An -tx1 | tr -d ' \n'"
	assert_output 89504e470d0a1a0a
	(($(stat -c %s "$png") > 10000))
	run grep -c '<svg' "$ART/failover/timeline-link-down.svg"
	assert_output 1
}

@test "a passing run prunes the bulky files; --keep keeps them" {
	FAILOVER_FAULTS=link-down run "$RUN" --no-install \
		--artifacts "$BATS_TEST_TMPDIR/a" failover
	assert_success
	[[ ! -e $BATS_TEST_TMPDIR/a/failover/samples ]]
	[[ ! -e $BATS_TEST_TMPDIR/a/failover/traffic-link-down/client.info ]]
	[[ -s $BATS_TEST_TMPDIR/a/failover/traffic-link-down/server.json ]]
	[[ -s $BATS_TEST_TMPDIR/a/failover/timeline-link-down.png ]]
	# The main job says where its picture is.
	assert_output --partial "# timelines of failover: $BATS_TEST_TMPDIR/a/failover/timeline-link-down.{svg,png}"
	FAILOVER_FAULTS=link-down run "$RUN" --no-install --keep \
		--artifacts "$BATS_TEST_TMPDIR/b" failover
	assert_success
	[[ -d $BATS_TEST_TMPDIR/b/failover/samples ]]
	[[ -s $BATS_TEST_TMPDIR/b/failover/traffic-link-down/client.info ]]
}

@test "doctor's JSON agrees with the skips actually taken" {
	run "$RUN" doctor --json -
	assert_success
	local doc=$output name why f
	# A scenario that needs netem: doctor's verdict must be what happens.
	f=$BATS_TEST_TMPDIR/needs-netem.bats
	# (The test line is assembled so that Bats does not take it for ours.)
	printf '%s\n' '#!/usr/bin/env bats' '# Needs delay.' \
		'# requires: mptcp ip_mptcp netem' "load $REPO/harness/harness" \
		'setup_file() { harness_init || return 0; }' \
		"$(printf '%s' '@' 'test "delay" { true; }')" >"$f"
	run "$RUN" --no-install "$f"
	if jq -e '.features.netem.ok' <<<"$doc" >/dev/null; then
		assert_success
		assert_output --regexp '(^|'$'\n'')# ok 1 delay'
	else
		why=$(jq -r '"needs netem: " + .features.netem.why' <<<"$doc")
		assert_failure 4
		assert_output --partial "# ok 1 delay # SKIP $why"
	fi
	# Every catalogue scenario doctor says will skip does skip, for that reason.
	for name in $(jq -r '.scenarios | to_entries[] | select(.value.will == "skip") | .key' <<<"$doc"); do
		why=$(jq -r --arg n "$name" '.scenarios[$n].reason' <<<"$doc")
		run "$RUN" --no-install "$name"
		assert_failure 4
		assert_output --partial "# SKIP $why"
	done
}

@test "--capture writes a bounded header-only pcap per path that tshark decodes as MPTCP" {
	command -v tshark >/dev/null || skip "tshark not installed (package tshark)"
	FAILOVER_FAULTS=link-down run "$RUN" --no-install --capture --keep \
		--artifacts "$BATS_TEST_TMPDIR/c" failover
	assert_success
	local p
	for p in 1 2; do
		p=$BATS_TEST_TMPDIR/c/failover/path$p.pcap
		[[ -s $p ]] || fail "no capture $p"
		# Headers only: no packet was kept beyond 128 bytes.
		run bash -c "tshark -r '$p' -T fields -e frame.cap_len 2>/dev/null | sort -n | tail -n1"
		((output > 0 && output <= 128)) || fail "largest captured frame: $output bytes, want 1..128"
		run bash -c "tshark -r '$p' -Y 'tcp.options.mptcp.rawdataseqno' 2>/dev/null | wc -l"
		((output > 100)) || fail "packets decoded with an MPTCP data sequence number: $output, want > 100"
	done
	run bash -c "tshark -r '$BATS_TEST_TMPDIR/c/failover/path2.pcap' -Y 'tcp.options.mptcp.subtype == 1' 2>/dev/null | wc -l"
	((output >= 1)) || fail "MP_JOIN packets on path 2: $output, want >= 1"
}
