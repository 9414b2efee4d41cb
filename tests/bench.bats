#!/usr/bin/env bats
# `run.sh bench --quick` runs every section, exits 0, prints the whole table
# and writes JSON with every key, as numbers in plausible ranges. No bound
# here is on timing: a benchmark reports, it does not judge.
# jobs: alone (it measures: CPU per run, build cost, goodput; other runs beside it
# would be in its figures)

load helpers

# MPTH_BENCH_REUSE=DIR: check the out, err, rc and bench.json an earlier
# setup_file left in DIR instead of running the bench again (to develop
# the checks; the leftover check still looks for that run's leftovers).
setup_file() {
	local d=$BATS_FILE_TMPDIR rc=0 f
	if [[ -n ${MPTH_BENCH_REUSE:-} ]]; then
		for f in out err rc bench.json; do
			cp "$MPTH_BENCH_REUSE/$f" "$d/" || return 1
		done
		return 0
	fi
	"$RUN" --no-install --artifacts "$d/art" bench --quick --json "$d/bench.json" \
		>"$d/out" 2>"$d/err" 3>&- || rc=$?
	echo "$rc" >"$d/rc"
}

# $1: jq filter that must be true on the JSON, $2: a jq filter whose
# value the failure shows too (default: none)
json_true() {
	run jq -e "$1" "$BATS_FILE_TMPDIR/bench.json"
	[[ $status == 0 ]] && return
	local seen=''
	[[ -z ${2:-} ]] || seen=$'\n'"$(jq -c "$2" "$BATS_FILE_TMPDIR/bench.json" 2>&1)"
	fail "false in the bench JSON: $1 (jq: $output)$seen"
}

@test "bench --quick exits 0 and writes its JSON" {
	run cat "$BATS_FILE_TMPDIR/rc"
	[[ $output == 0 ]] || fail "exit $output; stderr: $(tail -n 30 "$BATS_FILE_TMPDIR/err")"
	run jq -e 'type == "object"' "$BATS_FILE_TMPDIR/bench.json"
	assert_success
}

@test "the table has every section, the machine and the shaping method" {
	run cat "$BATS_FILE_TMPDIR/out"
	assert_line --index 0 --regexp '^mptcp-harness bench \(quick\)'
	assert_line --regexp '^machine: [0-9]+ CPUs by nproc .*kernel '
	assert_line --regexp '^load average at start: [0-9.]+ [0-9.]+ [0-9.]+'
	assert_line --regexp '^shaping: (netem|tbf \(netem absent: .+\))'
	assert_line --regexp '^1\. Aggregation efficiency'
	assert_line --regexp '^2\. Failover outage'
	assert_line --regexp '^3\. Harness cost'
	assert_line --regexp '^4\. Sample speed'
	local c p
	for c in 20+20 30+10 3x10; do
		for p in mptcp tcp; do
			assert_line --regexp "^   ${c//+/\\+} +$p +[0-9]+ +[0-9]+ +[0-9.]+"
		done
	done
	assert_line --regexp '^   interface down \(pure\) +p1 initial'
	assert_line --regexp '^   interface down \(pure\) +p2 second'
	assert_line --regexp '^   interface down \+ endpoint withdrawn +p1 initial'
	assert_line --regexp '^   interface down \+ endpoint withdrawn +p2 second'
	assert_line --regexp '^   (silent blackhole +p1 initial|skipped: blackhole)'
	for p in 2 4 8; do
		assert_line --regexp "^   $p +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+  <= 50(, over)?$"
	done
	assert_line --regexp '^   growth: '
	assert_line --regexp '^   fixed cost of a scenario apart from its traffic: [0-9]+ ms'
	assert_line --regexp '^   run\.sh all: '
	assert_line --regexp '^   (ours [0-9]+ Mbit/s .*ratio ours / iperf3 = [0-9.]+|skipped: )'
}

@test "the table: time to recovery next to the outage, fault placement on the stream and by the receiver" {
	run cat "$BATS_FILE_TMPDIR/out"
	assert_line --regexp '^   fault +path +n +outage med +max +recovery med +min +max +not +90% med'
	# Outage, then recovery median, min and max: numbers, or "-" with no run.
	assert_line --regexp '^   interface down \(pure\) +p1 initial +[0-9]+/[0-9]+ +[0-9]+ +[0-9]+ +([0-9]+|-) +([0-9]+|-) +([0-9]+|-) +[0-9]+ '
	assert_line --regexp '^   fault placement, due at a quarter +path +n +stream med +min +max +receiver med +min +max +lag med +max +apply med'
	assert_line --regexp '^   interface down \(pure\) +p1 initial +[0-9]+/[0-9]+ +-?[0-9]+ +-?[0-9]+ +-?[0-9]+ +-?[0-9]+ +-?[0-9]+ +-?[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ '
}

@test "the table: harness CPU per run against the data path, with its goals and its method" {
	run cat "$BATS_FILE_TMPDIR/out"
	if jq -e '.harness.cpu.method == null' "$BATS_FILE_TMPDIR/bench.json" >/dev/null; then
		assert_line --regexp '^   harness CPU per run: not measured \(.+\)$'
		return
	fi
	assert_line --regexp '^   harness CPU per run, cgroup v[12]: '
	assert_line --regexp '^     run\.sh failover, whole: +[0-9.]+ CPU-s in [0-9.]+ s = [0-9.]+ cores \(goal <= 0\.15\)'
	assert_line --regexp '^     data path alone: +[0-9.]+ CPU-s in [0-9.]+ s = [0-9.]+ cores '
	assert_line --regexp '^     above the data path: +-?[0-9.]+ cores \(goal <= 0\.10\); -?[0-9.]+ CPU-s more'
	assert_line --regexp '^     \(a cgroup per run counts every task'
}

@test "progress goes to stderr, not into the table" {
	run grep -c '^mpth: bench \[' "$BATS_FILE_TMPDIR/err"
	(( output > 10 )) || fail "only $output progress lines on stderr"
	run grep -c '^mpth' "$BATS_FILE_TMPDIR/out"
	assert_output 0
}

@test "JSON: the machine, with the shaping method" {
	json_true '.machine | (.nproc | type == "number" and . >= 1) and (.kernel | type == "string")
		and (.loadavg_start | length == 3 and all(type == "number"))
		and (.shaping == "netem" or .shaping == "tbf") and .quick == 1'
	json_true '.shaping.method == .machine.shaping'
	json_true '.overhead | [.ethernet, .ip, .tcp, .timestamps, .mptcp_option] | all(type == "number")'
}

@test "JSON: aggregation efficiency in (0, 1.1], ceilings in (0.8, 1), from the MSS in use" {
	json_true '.aggregation.cases | map(.case) == ["20+20", "30+10", "3x10"]'
	json_true '[.aggregation.cases[] | .mptcp, .tcp] | length == 6 and all(
		(.efficiency | (.median, .min, .max) | type == "number" and . > 0 and . <= 1.1)
		and (.ceiling > 0.8 and .ceiling < 1) and (.mss >= 500 and .mss <= 9000)
		and (.runs | length >= 1) and (.goodput_mbps.median > 0))'
	json_true '[.aggregation.cases[] | .mptcp.ceiling < .tcp.ceiling] | all'
}

@test "JSON: failover outage, recovery and RTO for every fault and path" {
	json_true '(.failover.cases | length) + (.failover.skipped | length) * 2 == 6'
	json_true '.failover.cases | all(
		(.runs | length >= 1)
		and (.rto_ms.median | . == null or (type == "number" and . > 0 and . < 120000))
		and ([.outage_ms.median, .outage_ms.max, .recovery90_ms.median] | all(. == null or (type == "number" and . >= 0)))
		and ([.runs[] | select(.valid and .ok) | .outage_ms] | all(type == "number" and . >= 0)))'
	# ss can miss a subflow on a loaded machine: the RTO of a case may be
	# null, never all of them.
	json_true '[.failover.cases[].rto_ms.median | numbers] | length >= 1'
	json_true '[.failover.cases[] | [.fault, .withdraw, .path]] | contains([["link-down", false, 1],
		["link-down", false, 2], ["link-down", true, 1], ["link-down", true, 2]])'
}

@test "JSON: time to recovery for every fault and path, next to the outage" {
	# A number (0: it never stalled) or null, and then counted as never
	# recovered; at least one case has a number, so the field is real.
	json_true '.failover.cases | all(
		([.recovery_ms.median, .recovery_ms.min, .recovery_ms.max] | all(. == null or (type == "number" and . >= 0)))
		and (.recovery_none | type == "number")
		and ((.recovery_ms.n + .recovery_none) == .ok))'
	json_true '[.failover.cases[].recovery_ms.median | numbers] | length >= 1'
	json_true '[.raw[] | select(.section == "failover" and .valid and .ok) | .recovery_ms]
		| length >= 1 and all(. == null or (type == "number" and . >= 0))'
}

@test "JSON: fault placement on the stream and by the receiver's count, lag and apply time" {
	# Every case with a valid run has numbers; one without says why per run.
	json_true '.failover.cases | all(
		if .valid == 0 then (.runs | all(.why | type == "string"))
		else ([.placement_pm, .placement_rx_pm, .lag_ms, .apply_ms] | all(.median | . == null or type == "number"))
			and ([.apply_ms.min, .lag_ms.min] | all(. == null or . >= 0)) end)'
	# A run can lose its mark event on a loaded machine; never every case.
	json_true '[.failover.cases[] | select(.valid > 0) | .placement_pm.median | numbers] | length >= 1'
	# Each valid run: placed on the stream from its mark, as recipes.sh does.
	json_true '[.raw[] | select(.section == "failover" and .valid)] | length >= 1 and all(
		(.placement_source == "stream") and (.placement >= .mark_rx) and (.mark_rx >= .due)
		and (.fault_late_pm | type == "number") and (.fault_late_rx_pm | type == "number")
		and (.struck_rx | type == "number"))'
	json_true '.failover.how | [.placement_pm, .placement_rx_pm, .recovery_ms, .apply_ms] | all(type == "string")'
}

@test "JSON: harness CPU per run and the data path alone, in cores, or a reason" {
	json_true '.harness.cpu | .goal_cores == 0.15 and .goal_above_data_cores == 0.10'
	json_true '.harness.cpu | if .why then (.why | type == "string" and length > 0) else
		(.method | test("^cgroup v[12]$"))
		and ([.run, .data_path] | all(.cores > 0 and .cpu_s > 0 and .wall_s > 0
			and (.machine_cores | type == "number") and (.user_s | type == "number")))
		and (.above_data_cores | type == "number") and (.extra_cpu_s | type == "number")
		and (.cpu_ratio > 0)
		and ((.above_data_cores - (.run.cores - .data_path.cores)) | fabs < 0.001)
		and (.data_path.ok and .data_path.uploads == .uploads and .run.uploads == .uploads) end' \
		'.harness.cpu | {run, data_path}'
	# Without a reason, the machine can measure: this one, as root, can.
	json_true '.harness.cpu | .why != null or .method != null'
}

@test "JSON: harness cost for 2, 4 and 8 paths, the fixed cost, run.sh all" {
	json_true '.harness.topology | map(.paths) == [2, 4, 8]'
	json_true '.harness.topology | all(.build_ms.median > 0 and .teardown_ms.median > 0 and .per_path_ms > 0)'
	json_true '.harness.topology | all(.build_per_path_ms > 0 and .build_per_path_goal_ms == 50
		and (.build_per_path_within_goal | type == "boolean"))'
	json_true '.harness.growth | (.per_added_path_2_to_8_ms | type == "number") and (.linear_or_better | type == "boolean")'
	json_true '.harness.scenario_fixed.fixed_ms.median > 0'
	json_true '.harness.run_all.source | IN("measured", "artifacts", "stopped", "none")'
	json_true '.harness.run_all | .source == "none" or .wall_s > 0'
	json_true '.harness.run_all | .source != "artifacts" or (.scenarios | length) >= 3'
}

@test "JSON: our sample against iperf3 as a ratio, or a reason to skip" {
	json_true '.speed | (.skipped | type == "string") or
		(.ratio > 0 and .ours_mbps.median > 0 and .iperf3_mbps.median > 0 and .iperf3_mptcp)'
}

@test "JSON: every raw value is kept" {
	# Array subtraction: contains() would match "failover" in "failover_setup".
	json_true '["aggregation", "failover", "machine", "scenario_fixed", "topology", "run_all"]
		- [.raw[].section] == []'
	json_true '(["cpu_setup", "cpu"] - [.raw[].section] == []) or (["cpu_skip"] - [.raw[].section] == [])'
	json_true '[.raw[] | select(.section == "aggregation") | .goodput_mbps] | all(type == "number")'
}

@test "the bench leaves no namespace, process or temp dir behind" {
	local id
	id=$(jq -r '.machine.run_id' "$BATS_FILE_TMPDIR/bench.json")
	[[ $id =~ ^[0-9a-f]{6}$ ]] || fail "no run id in the JSON: '$id'"
	run harness_leftovers "$id"
	assert_output ''
	# Nor a cgroup of the harness CPU section.
	run compgen -G "/sys/fs/cgroup/*/mpth-$id-*"
	assert_output ''
	run compgen -G "/sys/fs/cgroup/mpth-$id-*"
	assert_output ''
}
