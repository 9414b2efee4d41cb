#!/usr/bin/env bats
# What a run leaves to read: the failure bundle, timeline plots, the HTML
# report (in a real browser), pruning of bulky files on success, and
# doctor agreeing with the skips taken.

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

# Each test of a TAP file, "STATUS<tab>NAME" (pass, fail or skip). $1: file
tap_tests() {
	sed -n -E -e 's/^ok [0-9]+ (.*) # skip.*$/skip\t\1/p; t' \
		-e 's/^ok [0-9]+ (.*) # in [0-9]+ ms$/pass\t\1/p; t' -e 's/^ok [0-9]+ (.*)$/pass\t\1/p; t' \
		-e 's/^not ok [0-9]+ (.*) # in [0-9]+ ms$/fail\t\1/p; t' -e 's/^not ok [0-9]+ (.*)$/fail\t\1/p' "$1" | sort
}

# The same, from the report as chromium rendered it. $1: the dumped DOM
dom_tests() {
	grep -o '<tr class="test [a-z]*" data-status="[a-z]*" data-name="[^"]*"' "$1" |
		sed -E 's/.* data-status="([a-z]*)" data-name="([^"]*)"$/\1\t\2/' |
		sed -e 's/&quot;/"/g' -e "s/&#39;/'/g" -e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&amp;/\&/g' | sort
}

@test "the run's HTML report, read by chromium: each test with its TAP status, the timeline loaded, nothing fetched" {
	local dom=$BATS_TEST_TMPDIR/dom.html pics
	run grep -F "# report: $ART/index.html" "$BATS_FILE_TMPDIR/fail.out"
	assert_success
	# A fresh profile; no sandbox, as root in a container has none to use.
	chromium --headless --no-sandbox --disable-gpu --user-data-dir="$BATS_TEST_TMPDIR/profile" \
		--virtual-time-budget=5000 --dump-dom "file://$ART/index.html" >"$dom" 2>/dev/null
	# Every test of the scenario's TAP, with the same status.
	run diff <(tap_tests "$ART/failover.tap") <(dom_tests "$dom")
	assert_success
	run tap_tests "$ART/failover.tap"
	assert_line --regexp '^fail	'
	assert_line --regexp '^pass	'
	# Every picture the page has loaded (the page marks them once loaded),
	# under a policy that lets it fetch nothing.
	pics=$(grep -c '<img ' "$ART/index.html" || true)
	((pics >= 1))
	run grep -o 'data-images="[0-9]*/[0-9]*"' "$dom"
	assert_output "data-images=\"$pics/$pics\""
	run grep -c "Content-Security-Policy\" content=\"default-src 'none'" "$dom"
	assert_output 1
	# The totals are the run's, and the figures checked are there.
	run grep -o 'data-passed="[0-9]*" data-failed="[0-9]*" data-skipped="[0-9]*"' "$dom"
	assert_output "$(sed -n -E 's/^([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped$/data-passed="\1" data-failed="\2" data-skipped="\3"/p' "$BATS_FILE_TMPDIR/fail.out")"
	run grep -c 'at least 3</td><td>fail' "$dom"
	assert_output 1
	# The failure bundle is linked, and the event log is shown.
	grep -q 'href="failover/failure-dump.txt"' "$dom"
	grep -q '<td>link-down</td><td>1</td>' "$dom"
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
	# And where its report is, which a passing run writes too.
	assert_output --partial "# report: $BATS_TEST_TMPDIR/a/index.html"
	[[ -s $BATS_TEST_TMPDIR/a/index.html ]]
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
