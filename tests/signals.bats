#!/usr/bin/env bats
# Stop means stop. SIGINT to the process group (a terminal's Ctrl-C),
# SIGTERM to run.sh alone (timeout, CI runners, supervisors) and SIGHUP
# (the terminal closed), at each phase of a run: the c-samples build,
# setup before the traffic, mid-transfer, teardown. Each time run.sh exits
# 128 + the signal's number within SIG_MAX_MS, says it was interrupted,
# and at the moment it returns nothing of the run is left. Also a double
# Ctrl-C, a timeout(1) wrapper, a namespace deleted under the run, and a
# run with no test to run.
# jobs: alone (the build phase rebuilds c-samples; the time to exit is
# measured)

load helpers

: "${SIG_MAX_MS:=3000}"

setup() {
	# shellcheck source=/dev/null # checked on its own: followed from here, its printf -v "$1" makes shellcheck think every variable may change in a subshell
	source "$REPO/lib/wait.sh"
	host_snapshot "$BATS_TEST_TMPDIR/before"
	OUT=$BATS_TEST_TMPDIR/out
	export FAILOVER_FAULTS=link-down
}

# Start run.sh as the leader of its own process group, with default
# signal dispositions (a background job of a script ignores SIGINT).
# $@: run.sh arguments
start_run() {
	setsid env --default-signal=INT,TERM,HUP "$RUN" --no-install \
		--artifacts "$BATS_TEST_TMPDIR/art" "$@" >"$OUT" 2>&1 &
	RUN_PID=$!
}

# Predicates for busywait: the phase a run is in.
__run_id() {
	ID=$(run_id_of "$OUT")
	[[ -n $ID ]]
}
# Builtins only: a fork per process would miss a build under load.
# This run's make (its parent is run.sh: another run's build, of this
# checkout, must not count).
__building() {
	local p a=() st w
	for p in /proc/[0-9]*; do
		{ mapfile -t -d '' a <"$p/cmdline"; } 2>/dev/null || continue
		[[ ${a[0]:-} == make && ${a[2]:-} == "$REPO/c-samples" ]] || continue
		{ read -r st <"$p/stat"; } 2>/dev/null || continue
		read -ra w <<<"${st##*) }"
		[[ ${w[1]} == "$RUN_PID" ]] && return 0
	done
	return 1
}
__namespaces_up() {
	__run_id && ip netns list | grep -q "^mpth-$ID-.*-server"
}
__in_ns() {
	local p
	__run_id || return 1
	for p in $(ip netns pids "mpth-$ID-failover-client" 2>/dev/null); do
		grep -qa "$1" "/proc/$p/cmdline" 2>/dev/null && return 0
	done
	return 1
}
__transferring() {
	__in_ns mptcp-client
}
__tearing_down() {
	grep -q '^# ok 12 ' "$OUT"
}

# Wait for a phase; fail with what the run printed if it never comes.
# $1: predicate, $2: ms
await_phase() {
	busywait "$2" "$1" || {
		kill -KILL -- "-$RUN_PID" 2>/dev/null
		fail "the run never reached $1: $(cat "$OUT")"
	}
}

# $1: signal, $2: group or leader
send() {
	ms_now T0
	if [[ $2 == group ]]; then
		kill "-$1" -- "-$RUN_PID"
	else
		kill "-$1" "$RUN_PID"
	fi
}

# $1: variable to set to the time in ms
ms_now() {
	local t=${EPOCHREALTIME/./}
	printf -v "$1" '%s' "${t:0:-3}"
}

# Wait for run.sh; check its exit code, its time to exit, what it said
# and that nothing of it is left at that moment. $1: wanted exit code,
# $2: what it must have printed
assert_stopped() {
	local rc=0 t1 left
	wait "$RUN_PID" || rc=$?
	ms_now t1
	# At the moment it returned, before anything else.
	__run_id || true
	left=$(harness_leftovers "${ID:-none}")
	echo "# exit $rc, $((t1 - T0)) ms after the signal" >&3
	[[ -z $left ]] || fail "left behind by run ${ID:-?}: $left"
	assert_equal "$rc" "$1"
	((t1 - T0 <= SIG_MAX_MS)) || fail "run.sh took $((t1 - T0)) ms to exit (at most $SIG_MAX_MS)"
	run cat "$OUT"
	assert_output --partial "$2"
	host_snapshot "$BATS_TEST_TMPDIR/after"
	run diff -u "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
	assert_success
	# No stray bats temp dir: bats runs with TMPDIR in the run's own.
	run bash -c "ls -d ${TMPDIR:-/tmp}/bats-run-* 2>/dev/null | grep -v '${BATS_RUN_TMPDIR##*/}' || true"
	assert_output ''
}

# $1: signal, $2: group or leader, $3: phase predicate, $4: exit code
# The interrupted run's own top-level result: a numbered "not ok" that
# says why. $1: signal name
assert_interrupted_result() {
	run grep -E '^(not )?ok [0-9]+ ' "$OUT"
	assert_output "not ok 1 failover: interrupted by SIG$1"
}

interrupt_at() {
	start_run failover
	await_phase "$3" 60000
	send "$1" "$2"
	assert_stopped "$4" "interrupted by SIG$1"
	# What it printed before stands, marked; the artifacts say so too.
	run cat "$BATS_TEST_TMPDIR/art/INTERRUPTED"
	assert_output --partial "interrupted by SIG$1"
}

@test "SIGINT to the group during the c-samples build: exit 130, nothing left" {
	rm -f "$REPO"/c-samples/build/*.o
	# A run started by another run inherits its MPTH_ARTIFACTS: it must
	# not write there.
	export MPTH_ARTIFACTS=$BATS_TEST_TMPDIR/parent-art
	mkdir -p "$MPTH_ARTIFACTS"
	start_run failover
	await_phase __building 30000
	send INT group
	assert_stopped 130 "interrupted by SIGINT before any test ran"
	run ls -A "$MPTH_ARTIFACTS"
	assert_output ''
}

@test "SIGTERM to run.sh alone during the c-samples build: exit 143, make stopped too" {
	rm -f "$REPO"/c-samples/build/*.o
	start_run failover
	await_phase __building 30000
	send TERM leader
	assert_stopped 143 "interrupted by SIGTERM before any test ran"
	run __building
	assert_failure
}

@test "SIGINT to the group in setup, before the traffic: exit 130, nothing left" {
	interrupt_at INT group __namespaces_up 130
}

@test "SIGTERM to run.sh alone in setup: exit 143, nothing left" {
	interrupt_at TERM leader __namespaces_up 143
}

@test "SIGHUP to the group in setup: exit 129, nothing left" {
	interrupt_at HUP group __namespaces_up 129
}

@test "SIGINT to the group mid-transfer: exit 130, no transfer judged, nothing left" {
	interrupt_at INT group __transferring 130
	# The cut transfer is not judged as an MPTCP failure: no test of it
	# failed, and the run's own result says it was interrupted.
	run grep -c '^# not ok' "$OUT"
	assert_output 0
	assert_interrupted_result INT
}

@test "SIGTERM to run.sh alone mid-transfer: exit 143, nothing left" {
	interrupt_at TERM leader __transferring 143
	run grep -c '^# not ok' "$OUT"
	assert_output 0
	assert_interrupted_result TERM
}

@test "SIGHUP to run.sh alone mid-transfer: exit 129, nothing left" {
	interrupt_at HUP leader __transferring 129
}

@test "SIGINT to the group in teardown: exit 130, the verdicts printed stand" {
	interrupt_at INT group __tearing_down 130
	# Every test of the scenario had printed its verdict before teardown.
	local tests
	tests=$(grep -c '^@test' "$REPO/scenarios/failover.bats")
	run grep -c '^# ok ' "$OUT"
	assert_output "$tests"
}

@test "SIGTERM to run.sh alone in teardown: exit 143, nothing left" {
	interrupt_at TERM leader __tearing_down 143
}

@test "a second Ctrl-C during the cleanup still leaves nothing" {
	start_run failover
	await_phase __transferring 60000
	send INT group
	wait_nap 0.15
	kill -INT -- "-$RUN_PID" 2>/dev/null || true
	wait_nap 0.3
	kill -INT -- "-$RUN_PID" 2>/dev/null || true
	assert_stopped 130 "interrupted by SIGINT"
}

@test "timeout 8 run.sh: timeout's 124, and nothing left when it returns" {
	local rc=0 t0 t1
	ms_now t0
	timeout 8 "$RUN" --no-install --artifacts "$BATS_TEST_TMPDIR/art" failover >"$OUT" 2>&1 || rc=$?
	ms_now t1
	__run_id
	run harness_leftovers "$ID"
	assert_output ''
	assert_equal "$rc" 124
	echo "# timeout returned $((t1 - t0)) ms after the start" >&3
	((t1 - t0 <= 8000 + SIG_MAX_MS))
	run grep -c 'interrupted by SIGTERM' "$OUT"
	refute_output 0
}

@test "a namespace deleted under the run: the tests fail saying so, and nothing hangs or is left" {
	start_run failover
	await_phase __transferring 60000
	ip netns del "mpth-$ID-failover-client"
	local rc=0
	# Bounded: a hang here used to last for ever.
	busywait 60000 wait_pid_gone "$RUN_PID" || kill -KILL -- "-$RUN_PID"
	wait "$RUN_PID" || rc=$?
	assert_equal "$rc" 1
	run harness_leftovers "$ID"
	assert_output ''
	run cat "$OUT"
	assert_output --partial "the namespaces of client disappeared during the run"
	assert_output --partial "not ok"
}

@test "a run in which no test runs is no pass" {
	# A plan of 1..0: nothing passed, failed or skipped.
	local f=$BATS_TEST_TMPDIR/empty.bats
	printf '#!/usr/bin/env bats\n# nothing here\n' >"$f"
	run "$RUN" --no-install --artifacts "$BATS_TEST_TMPDIR/art" "$f"
	assert_failure 1
	assert_output --partial "no test ran"
}
