#!/usr/bin/env bats
# Two runs at once, of the same scenario and of different ones, both pass:
# each has its own run id, namespaces, ports and files.

load helpers

# $1: name, $2...: run.sh arguments; env knobs come from the caller
start() {
	local name=$1
	shift
	"$RUN" --no-install --artifacts "$BATS_TEST_TMPDIR/art-$name" "$@" \
		>"$BATS_TEST_TMPDIR/$name.out" 2>&1 &
}

# $1: name. Checks the run passed and used only its own namespaces.
check_run() {
	local out=$BATS_TEST_TMPDIR/$1.out id
	id=$(run_id_of "$out")
	[[ -n $id ]] || fail "$1: no run id: $(cat "$out")"
	run tail -n1 "$out"
	assert_output --regexp '^[1-9][0-9]* passed, 0 failed'
	# Every namespace the run's state dumps name carries its own id.
	run bash -c "grep -rhoE 'mpth-[0-9a-f]{6}-' '$BATS_TEST_TMPDIR/art-$1' | grep -v 'mpth-$id-' || true"
	assert_output ''
	echo "$id" >>"$BATS_TEST_TMPDIR/ids"
}

@test "the same scenario twice at once: both pass, apart" {
	FAILOVER_FAULTS=link-down start a failover
	FAILOVER_FAULTS=link-down start b failover
	wait
	check_run a
	check_run b
	run sort -u "$BATS_TEST_TMPDIR/ids"
	assert_equal "${#lines[@]}" 2
}

@test "two different scenarios at once: both pass" {
	FAILOVER_FAULTS=blackhole start a failover
	start b "$REPO/tests/hostile.bats"
	wait
	check_run a
	check_run b
}
