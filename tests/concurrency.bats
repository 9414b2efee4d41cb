#!/usr/bin/env bats
# Two runs at once, of the same scenario and of different ones, both pass:
# each has its own run id, namespaces, ports and files. run.sh -j 4 runs
# scenarios at once, each one's TAP whole, the totals their sum, and
# leaves nothing; --stress runs busy loops that end with the run; a signal
# or SIGKILL (then run.sh clean) during a -j run leaves nothing either.
# jobs: alone (its own runs at once are the load it means to test; more beside
# them would make it a different test)

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
	# On a failure, what the run's failing tests said.
	[[ $output =~ ^[1-9][0-9]*\ passed,\ 0\ failed ]] ||
		grep -E -A12 '^# not ok' "$out" | grep -v '^# # # ' | head -n 40 | sed "s/^/$1: /" >&2
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

# run.sh -j 4 over four short scenarios, run once for the tests below.
j4_run() {
	local d=$BATS_FILE_TMPDIR/j4
	[[ -e $d/rc ]] && return 0
	mkdir -p "$d"
	local rc=0
	"$RUN" --no-install -j 4 --artifacts "$d/art" --json "$d/summary.json" \
		subflows signal fullmesh "$REPO/tests/hostile.bats" >"$d/out" 2>"$d/err" || rc=$?
	echo "$rc" >"$d/rc"
}

@test "-j 4: four scenarios at once, each one's TAP whole and in order, the totals their sum, nothing left" {
	j4_run
	local d=$BATS_FILE_TMPDIR/j4 name id rc
	rc=$(cat "$d/rc")
	id=$(run_id_of "$d/err")
	[[ -n $id ]] || fail "no run id: $(cat "$d/err")"
	# All four started before the first ended: they ran at once.
	run sed -n '/ended:/q; s/.*\] \([a-z]*\)$/\1/p' "$d/err"
	assert_output "$(printf '%s\n' subflows signal fullmesh hostile)"
	run grep '^# scenario ' "$d/out"
	assert_output "$(printf '# scenario %s\n' subflows signal fullmesh hostile)"
	local sum_p=0 sum_f=0 sum_s=0 p f s
	for name in subflows signal fullmesh hostile; do
		# The block between a scenario's header and its trailer is its
		# TAP file, whole: no line of another scenario inside.
		run diff -u <(tap_as_nested "$d/art/$name.tap") \
			<(sed -n "/^# scenario $name\$/,/^# $name: /p" "$d/out" | sed '1d;$d')
		assert_success
		read -r p f s < <(sed -n "s/^# $name: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped.*/\1 \2 \3/p" "$d/out")
		assert_equal "$p" "$(grep -c '^ok ' "$d/art/$name.tap" | tr -d ' ')"
		assert_equal "$f" "$(grep -c '^not ok ' "$d/art/$name.tap" | tr -d ' ')"
		sum_p=$((sum_p + p)) sum_f=$((sum_f + f)) sum_s=$((sum_s + s))
		# Every namespace a run's dumps name is its own.
		run bash -c "grep -rhoE 'mpth-[0-9a-f]{6}-[a-z-]+' '$d/art/$name' | grep -v '^mpth-$id-' || true"
		assert_output ''
	done
	run tail -n1 "$d/out"
	assert_output "$sum_p passed, $sum_f failed, $sum_s skipped"
	run jq -r '"\(.passed) \(.failed) \(.skipped) \([.scenarios[].name] | join(","))"' "$d/summary.json"
	assert_output "$sum_p $sum_f $sum_s subflows,signal,fullmesh,hostile"
	if ((sum_f > 0)); then assert_equal "$rc" 1; else assert_equal "$rc" 0; fi
	run harness_leftovers "$id"
	assert_output ''
}

@test "-j 4: four scenarios at once all pass" {
	j4_run
	run tail -n1 "$BATS_FILE_TMPDIR/j4/out"
	assert_output --regexp '^[1-9][0-9]* passed, 0 failed'
	assert_equal "$(cat "$BATS_FILE_TMPDIR/j4/rc")" 0
}

@test "--stress 2: two busy loops of the run's own for its whole length, none after" {
	local d=$BATS_TEST_TMPDIR id rc=0
	# A made-up file that checks the loops from inside the run. ($T: so
	# that bats does not take the line for a test of ours.)
	local T=@test
	cat >"$d/probe.bats" <<-EOF
		# The run's busy loops: mpth-stress processes with our MPTH_RUN_ID.
		loops() {
			local p
			for p in \$(pgrep -f '^mpth-stress'); do
				tr '\0' '\n' <"/proc/\$p/environ" | grep -qx "MPTH_RUN_ID=\$MPTH_RUN_ID" && echo "\$p"
			done
		}
		$T "two loops run, and they are busy" {
			run loops
			[ "\${#lines[@]}" -eq 2 ]
			local p t0 t1
			for p in "\${lines[@]}"; do
				t0=\$(awk '{ print \$14 }' "/proc/\$p/stat")
				sleep 0.5
				t1=\$(awk '{ print \$14 }' "/proc/\$p/stat")
				[ "\$t1" -gt "\$t0" ]
			done
		}
	EOF
	"$RUN" --no-install --stress 2 --artifacts "$d/art" "$d/probe.bats" "$REPO/tests/hostile.bats" \
		>"$d/out" 2>"$d/err" || rc=$?
	id=$(run_id_of "$d/err")
	[[ -n $id ]] || fail "no run id: $(cat "$d/err")"
	((rc == 0 || rc == 1)) || fail "exit $rc: $(cat "$d/err")"
	run grep -E '^# ok 1 two loops run, and they are busy( # in [0-9]+ ms)?$' "$d/out"
	assert_success
	# Announced before any scenario, in the TAP and on stderr.
	run sed -n 3p "$d/out"
	assert_output '# stress: 2 busy loops'
	run grep -c 'mpth: stress: 2 busy loops' "$d/err"
	assert_output 1
	run harness_leftovers "$id"
	assert_output ''
}

@test "SIGTERM during -j 2: both scenarios' namespaces and processes are torn down" {
	local d=$BATS_TEST_TMPDIR pid id rc=0
	env --default-signal=INT,TERM "$RUN" --no-install -j 2 --artifacts "$d/art" signal fullmesh \
		>"$d/out" 2>"$d/err" &
	pid=$!
	__both_built() {
		id=$(run_id_of "$d/err")
		[[ -n $id ]] && ip netns list | grep -q "^mpth-$id-signal-" &&
			ip netns list | grep -q "^mpth-$id-fullmesh-"
	}
	# shellcheck source=/dev/null # checked on its own: followed from here, its printf -v "$1" makes shellcheck think every variable may change in a subshell
	source "$REPO/lib/wait.sh"
	busywait 60000 __both_built || fail "the two scenarios did not build: $(cat "$d/err")"
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	assert_equal "$rc" 143
	run harness_leftovers "$id"
	assert_output ''
	# Both were under way: both are marked cut short, neither judged.
	run grep -c '^# [a-z]*: interrupted by SIGTERM' "$d/out"
	assert_output 2
}

@test "SIGKILL of a -j --stress run: the busy loops end by themselves, run.sh clean takes the rest" {
	# Here, not in tests/jobs.bats: any run.sh starting beside this test
	# would clean the killed run before we look.
	local i pid id D=$BATS_TEST_TMPDIR
	for i in 1 2; do
		printf '%s "sleeper %d" { sleep 300; }\n' @test "$i" >"$D/sleeper$i.bats"
	done
	"$RUN" --no-install --artifacts "$D/art" -j 2 --stress 2 "$D"/sleeper{1,2}.bats \
		>"$D/out" 2>"$D/err" &
	pid=$!
	__started() {
		id=$(run_id_of "$D/err")
		[[ -n $id ]] && (($(grep -c 'sleeper[12]$' "$D/err") == 2)) &&
			harness_leftovers "$id" | grep -q 'sleep 300'
	}
	__no_loops() {
		! harness_leftovers "$id" | grep -q 'mpth-stress'
	}
	# shellcheck source=/dev/null # checked on its own: followed from here, its printf -v "$1" makes shellcheck think every variable may change in a subshell
	source "$REPO/lib/wait.sh"
	busywait 20000 __started || fail "the runs did not start: $(cat "$D/err")"
	run harness_leftovers "$id"
	assert_equal "$(grep -c 'mpth-stress' <<<"$output")" 2
	kill -KILL "$pid"
	wait "$pid" || true
	busywait 3000 __no_loops || fail "busy loops outlived their run: $(harness_leftovers "$id")"
	# The bats runs are orphans now, still going: clean ends them.
	run harness_leftovers "$id"
	assert_output --partial 'sleep 300'
	run "$RUN" clean
	assert_success
	assert_output --partial "removed stale run $id"
	run harness_leftovers "$id"
	assert_output ''
}
