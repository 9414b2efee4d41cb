#!/usr/bin/env bats
# Nothing survives a run: not after success, failure, nor (after `run.sh
# clean`) SIGKILL; tests/signals.bats does SIGINT, SIGTERM and SIGHUP. The host's own namespace never changes,
# and clean never touches a live run or anything that is not ours.
# jobs: alone (every start of run.sh cleans dead runs' leftovers, which these
# tests leave on purpose and then look for)

load helpers

setup() {
	host_snapshot "$BATS_TEST_TMPDIR/before"
	ARGS=(--no-install --artifacts "$BATS_TEST_TMPDIR/art" failover)
	export FAILOVER_FAULTS=link-down
}

# The host is as it was and no namespace, process or temp dir of the run
# is left. $1: file with run.sh's output
assert_clean_host() {
	local id
	id=$(run_id_of "$1")
	[[ -n $id ]] || fail "no run id in $1: $(cat "$1")"
	host_snapshot "$BATS_TEST_TMPDIR/after"
	run diff -u "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
	assert_success
	run harness_leftovers "$id"
	assert_output ''
}

# Start run.sh in the background with default signal handling (a
# background job of a script would otherwise ignore SIGINT).
start_run() {
	env --default-signal=INT,TERM "$RUN" "${ARGS[@]}" >"$BATS_TEST_TMPDIR/out" 2>&1 &
	RUN_PID=$!
	# Mid-transfer: this run's client is running.
	busywait 30000 __client_running
}

__client_running() {
	local id p
	id=$(run_id_of "$BATS_TEST_TMPDIR/out")
	[[ -n $id ]] || return 1
	# The sample client itself, not any process of the namespace.
	for p in $(ip netns pids "mpth-$id-failover-client" 2>/dev/null); do
		grep -qa mptcp-client "/proc/$p/cmdline" 2>/dev/null && return 0
	done
	return 1
}

# $1: pid. Wait for it to exit, whatever its status.
wait_gone() {
	wait "$1" || true
}

@test "a passing run leaves nothing behind" {
	run "$RUN" "${ARGS[@]}"
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/out"
	assert_success
	assert_clean_host "$BATS_TEST_TMPDIR/out"
}

@test "a failing run leaves nothing behind" {
	FAILOVER_SUBFLOWS=3 run "$RUN" "${ARGS[@]}"
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/out"
	assert_failure 1
	assert_clean_host "$BATS_TEST_TMPDIR/out"
}

@test "SIGKILL: the leftovers are found and removed by run.sh clean" {
	# shellcheck source=/dev/null # checked on its own: followed from here, its printf -v "$1" makes shellcheck think every variable may change in a subshell
	source "$REPO/lib/wait.sh"
	start_run
	kill -KILL "$RUN_PID"
	wait_gone "$RUN_PID"
	# A killed run cannot clean up: its namespaces are still there.
	run harness_leftovers "$(run_id_of "$BATS_TEST_TMPDIR/out")"
	assert_output --partial mpth-
	run "$RUN" clean
	assert_success
	assert_output --partial "removed stale run $(run_id_of "$BATS_TEST_TMPDIR/out")"
	assert_clean_host "$BATS_TEST_TMPDIR/out"
}

@test "clean removes only dead runs' namespaces, never a live run's or a stranger's" {
	local live=aaaa01 dead=aaaa02 sleeper state=/run/mptcp-harness
	sleep 300 &
	sleeper=$!
	mkdir -p "$state"
	printf '%s %s\n' "$sleeper" "$(awk '{ print $22 }' "/proc/$sleeper/stat")" >"$state/$live"
	printf '999999 1\n' >"$state/$dead"
	ip netns add "mpth-$live-x-client"
	ip netns add "mpth-$dead-x-client"
	ip netns add "other-$$-notours"
	run "$RUN" clean
	ip netns list | awk '{ print $1 }' >"$BATS_TEST_TMPDIR/ns"
	kill "$sleeper"
	ip netns del "mpth-$live-x-client"
	ip netns del "other-$$-notours"
	rm -f "$state/$live"
	assert_success
	assert_output --partial "removed stale run $dead"
	run grep -c -e "mpth-$live-x-client" -e "other-$$-notours" "$BATS_TEST_TMPDIR/ns"
	assert_output 2
	run grep -c "mpth-$dead-" "$BATS_TEST_TMPDIR/ns"
	assert_output 0
	[[ ! -e $state/$dead ]]
}
