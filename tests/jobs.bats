#!/usr/bin/env bats
# run.sh -j N, on small made-up .bats files (no namespaces, a few seconds):
# the output, the totals, the JSON and the JUnit report are a serial run's;
# at most N run at once, a file marked "# jobs: alone" runs by itself and
# two runs of one name never overlap; a signal takes every run down; and a
# scenario's teardown never sweeps a neighbour's namespaces.

load helpers

setup() {
	D=$BATS_TEST_TMPDIR
	export JOBS_LOG=$D/intervals
	: >"$JOBS_LOG"
	# Each file logs when it starts and ends, in ms. $T spells the test
	# keyword, so that bats does not take those lines for tests of ours.
	local T=@test
	# shellcheck disable=SC2016 # expanded by the made-up files, not here
	local stamp='echo "$(basename "$BATS_TEST_FILENAME" .bats)${MPTH_ITER:+#$MPTH_ITER}'
	cat >"$D/slow.bats" <<-EOF
		setup_file() { $stamp start \$(date +%s%3N)" >>"\$JOBS_LOG"; }
		teardown_file() { $stamp end \$(date +%s%3N)" >>"\$JOBS_LOG"; }
		$T "slow: takes its time" { sleep 4; }
		$T "slow: passes" { true; }
	EOF
	cat >"$D/mixed.bats" <<-EOF
		setup_file() { $stamp start \$(date +%s%3N)" >>"\$JOBS_LOG"; }
		teardown_file() { $stamp end \$(date +%s%3N)" >>"\$JOBS_LOG"; }
		$T "mixed: passes" { sleep 1; }
		$T "mixed: fails" { echo "failing on purpose"; false; }
		$T "mixed: skips" { skip "no reason at all"; }
	EOF
	# bats dies without a failing test: run.sh adds the failure.
	cat >"$D/crash.bats" <<-EOF
		setup_file() { $stamp start \$(date +%s%3N)" >>"\$JOBS_LOG"; }
		$T "crash: its bats is killed" { sleep 1; kill -KILL \$PPID; }
	EOF
	cat >"$D/lone.bats" <<-EOF
		# jobs: alone (made up: a file that must run by itself)
		setup_file() { $stamp start \$(date +%s%3N)" >>"\$JOBS_LOG"; }
		teardown_file() { $stamp end \$(date +%s%3N)" >>"\$JOBS_LOG"; }
		$T "lone: runs by itself" { sleep 1; }
	EOF
	cat >"$D/quick.bats" <<-EOF
		setup_file() { $stamp start \$(date +%s%3N)" >>"\$JOBS_LOG"; }
		teardown_file() { $stamp end \$(date +%s%3N)" >>"\$JOBS_LOG"; }
		$T "quick: passes" { sleep 2; }
	EOF
}

# Run run.sh; stdout, stderr and the exit code go to $D/<tag>.{out,err,rc}.
# $1: tag, $2...: arguments
runsh() {
	local tag=$1 rc=0
	shift
	"$RUN" --no-install --artifacts "$D/art-$tag" --json "$D/$tag.json" \
		--junit "$D/$tag.xml" "$@" >"$D/$tag.out" 2>"$D/$tag.err" || rc=$?
	echo "$rc" >"$D/$tag.rc"
}

# A run's stdout without what changes from run to run: times, pids.
# $1: file
normal() {
	sed -E 's/ # in [0-9]+ ms$//; s/ in [0-9]+\.[0-9] s$//; s/^(# .{22} +[0-9]+ +[0-9]+ +[0-9]+) +[0-9.]+/\1/
		s/line [0-9]+: +[0-9]+ Killed/line N: N Killed/
		s|^# report: .*/index\.html$|# report: ART/index.html|' "$1"
}

# Intervals from $JOBS_LOG as "name#k start end" lines, by start: the k-th
# start of a name goes with its k-th end (crash.bats has none: it lasts at
# least its 1 s sleep).
intervals() {
	awk '$2 == "start" { s[$1 "#" (++ns[$1])] = $3 } $2 == "end" { e[$1 "#" (++ne[$1])] = $3 }
		END { for (n in s) print n, s[n], (n in e ? e[n] : s[n] + 1000) }' "$JOBS_LOG" | sort -k2n
}

# The most runs at once, from intervals on stdin.
most_at_once() {
	awk '{ print $2, 1; print $3, -1 }' | sort -k1n -k2n | awk '{ c += $2; if (c > m) m = c } END { print m + 0 }'
}

@test "-j 3 prints what a serial run prints, in the same order: TAP, rows, totals, JSON, JUnit, exit code" {
	local files=("$D/slow.bats" "$D/mixed.bats" "$D/crash.bats" "$D/quick.bats")
	runsh serial "${files[@]}"
	runsh par -j 3 "${files[@]}"
	assert_equal "$(cat "$D/serial.rc")" 1
	assert_equal "$(cat "$D/par.rc")" 1
	diff -u <(normal "$D/serial.out") <(normal "$D/par.out")
	run tail -n1 "$D/par.out"
	assert_output "5 passed, 2 failed, 1 skipped"
	# The slow file is first and ends after mixed, yet its TAP comes
	# first, whole: mixed's waited for its turn.
	run grep -c '^# scenario ' "$D/par.out"
	assert_output 4
	run grep -oE '(slow|mixed) ended' "$D/par.err"
	assert_output "$(printf 'mixed ended\nslow ended')"
	local j='del(.run_id, .artifacts, .seed) | .scenarios |= map(del(.seconds) | .tests |= map(del(.seconds)))'
	diff -u <(jq "$j" "$D/serial.json") <(jq "$j" "$D/par.json")
	diff -u <(sed -E 's/ (time|timestamp|hostname)="[^"]*"//g' "$D/serial.xml") \
		<(sed -E 's/ (time|timestamp|hostname)="[^"]*"//g' "$D/par.xml")
	# Runs did overlap, never more than 3 at once.
	run most_at_once < <(intervals)
	((output >= 2 && output <= 3)) || fail "most runs at once: $output; $(intervals)"
	run harness_leftovers "$(run_id_of "$D/par.err")"
	assert_output ''
}

@test "each scenario's TAP is contiguous: the block of each run is its TAP file, whole" {
	runsh par -j 3 "$D/slow.bats" "$D/mixed.bats" "$D/quick.bats"
	local name
	for name in slow mixed quick; do
		# The lines between a run's header and its trailer.
		run diff -u <(tap_as_nested "$D/art-par/$name.tap") \
			<(sed -n "/^# scenario $name\$/,/^# $name: /p" "$D/par.out" | sed '1d;$d')
		assert_success
	done
}

@test "a failing scenario's result says what failed, not why another of its tests skipped" {
	runsh one "$D/mixed.bats"
	assert_equal "$(cat "$D/one.rc")" 1
	run grep -E '^(not )?ok [0-9]+ mixed' "$D/one.out"
	assert_output 'not ok 1 mixed: 1 failed, first: mixed: fails'
}

@test "a file marked alone runs by itself; at most N run at once; one name never twice at once" {
	# quick twice in a row: the second waits for the first, and slow,
	# behind it in the list, starts in its place.
	runsh par -j 2 "$D/quick.bats" "$D/quick.bats" "$D/slow.bats" "$D/lone.bats" "$D/mixed.bats"
	assert_equal "$(cat "$D/par.rc")" 1
	local lone
	lone=$(intervals | awk '$1 == "lone#1"')
	[[ -n $lone ]] || fail "lone never ran: $(cat "$JOBS_LOG")"
	# Nothing else overlaps the lone run.
	run awk -v s="$(cut -d' ' -f2 <<<"$lone")" -v e="$(cut -d' ' -f3 <<<"$lone")" \
		'$1 != "lone#1" && $2 < e && $3 > s' < <(intervals)
	assert_output ''
	run most_at_once < <(intervals)
	assert_output 2
	# quick.bats, listed twice, ran twice, one after the other.
	run awk '$1 == "quick" && $2 == "start" { s[++ns] = $3 }
		$1 == "quick" && $2 == "end" { e[++ne] = $3 }
		END { print ns, ne, (s[2] >= e[1]) }' "$JOBS_LOG"
	assert_output "2 2 1"
	# The output keeps the order of the command line.
	run grep '^# scenario ' "$D/par.out"
	assert_output "$(printf '# scenario %s\n' quick quick slow lone mixed)"
}

@test "--repeat with -j: iterations run at once, apart, and come out in order" {
	runsh par -j 3 --repeat 3 "$D/quick.bats"
	assert_equal "$(cat "$D/par.rc")" 0
	run most_at_once < <(intervals)
	((output >= 2 && output <= 3)) || fail "most runs at once: $output; $(intervals)"
	run grep '^# scenario ' "$D/par.out"
	assert_output "$(printf '# scenario quick (run %d of 3)\n' 1 2 3)"
	run jq -r '.scenarios[] | "\(.name) \(.iteration) \(.passed)"' "$D/par.json"
	assert_output "$(printf 'quick %d 1\n' 1 2 3)"
	run grep -E '^#   |runs passed' "$D/par.out"
	assert_output --partial "quick: 3 of 3 runs passed (100%)"
}

# $1: signal
__signal_case() {
	local sig=$1 i pid id
	for i in 1 2 3 4; do
		printf '%s\n%s "sleeper %d" { sleep 300; }\n' \
			"teardown_file() { echo \"teardown sleeper$i\" >>\"\$JOBS_LOG\"; }" @test "$i" \
			>"$D/sleeper$i.bats"
	done
	env --default-signal=INT,TERM "$RUN" --no-install --artifacts "$D/art" -j 3 --stress 1 \
		"$D"/sleeper{1,2,3,4}.bats >"$D/out" 2>"$D/err" &
	pid=$!
	# Three bats, each with its test's sleep, and the busy loop.
	__count() {
		local p n=0
		for p in $(pgrep -f "$1"); do
			tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "MPTH_RUN_ID=$id" &&
				n=$((n + 1))
		done
		echo "$n"
	}
	__sleeping() {
		id=$(run_id_of "$D/err")
		[[ -n $id && $(__count '^sleep 300$') == 3 ]]
	}
	# shellcheck source=/dev/null # checked on its own: followed from here, its printf -v "$1" makes shellcheck think every variable may change in a subshell
	source "$REPO/lib/wait.sh"
	busywait 20000 __sleeping || fail "the runs did not start: $(cat "$D/err")"
	assert_equal "$(__count '^mpth-stress')" 1
	kill "-$sig" "$pid"
	local rc=0
	wait "$pid" || rc=$?
	# 128 + the signal's number
	assert_equal "$rc" "$([[ $sig == TERM ]] && echo 143 || echo 130)"
	run harness_leftovers "$id"
	assert_output ''
	run grep -c 'sleeper4' "$D/err"
	assert_output 0
	# TERM before KILL: each bats ran its teardown_file.
	run sort "$JOBS_LOG"
	assert_output "$(printf 'teardown sleeper%d\n' 1 2 3)"
}

@test "SIGTERM during a -j run takes down every bats, its tests and the busy loops" {
	__signal_case TERM
}

@test "SIGINT during a -j run takes down every bats, its tests and the busy loops" {
	__signal_case INT
}

@test "a scenario's namespace sweep spares a neighbour whose name it begins" {
	# Not a run id (those are hex), so no run.sh clean beside us takes them.
	local id=jbtest
	ip netns add "mpth-$id-failover-client"
	ip netns add "mpth-$id-failover-mor-client"
	ip netns add "mpth-$id-failover-1-client"
	run bash -c "source '$REPO/lib/log.sh'; source '$REPO/lib/runstate.sh'
		runstate_sweep_prefix mpth-$id-failover-; ip netns list"
	local ns
	for ns in failover-mor failover-1 failover; do
		ip netns del "mpth-$id-$ns-client" 2>/dev/null || true
	done
	refute_line --regexp "^mpth-$id-failover-client( |$)"
	assert_line --regexp "^mpth-$id-failover-mor-client( |$)"
	assert_line --regexp "^mpth-$id-failover-1-client( |$)"
}

@test "matrix: one TAP document, a result per kernel, and under the table each failing test" {
	runsh mx matrix --kernels host "$D/mixed.bats" "$D/quick.bats"
	assert_equal "$(cat "$D/mx.rc")" 1
	run sed -n 1,2p "$D/mx.out"
	assert_output $'TAP version 13\n1..1'
	run grep -E '^(not )?ok ' "$D/mx.out"
	assert_output 'not ok 1 kernel host: exit 1'
	run grep '^# host mixed: ' "$D/mx.out"
	assert_output '# host mixed: not ok 2 mixed: fails'
	run grep -E '^# mixed +\| FAIL 1 of 3' "$D/mx.out"
	assert_success
}

@test "matrix passes -j on to each kernel's run" {
	runsh par matrix --kernels host -j 2 "$D/slow.bats" "$D/quick.bats"
	assert_equal "$(cat "$D/par.rc")" 0
	run grep -c '2 scenarios at once (-j 2)' "$D/par.err"
	assert_output 1
	run most_at_once < <(intervals)
	assert_output 2
}
