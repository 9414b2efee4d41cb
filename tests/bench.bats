#!/usr/bin/env bats
# `run.sh bench --quick` runs every section, exits 0, prints the whole table
# and writes JSON with every key, as numbers in plausible ranges. No bound
# here is on timing: a benchmark reports, it does not judge.

load helpers

setup_file() {
	local d=$BATS_FILE_TMPDIR rc=0
	"$RUN" --no-install --artifacts "$d/art" bench --quick --json "$d/bench.json" \
		>"$d/out" 2>"$d/err" 3>&- || rc=$?
	echo "$rc" >"$d/rc"
}

# $1: jq filter that must be true on the JSON
json_true() {
	run jq -e "$1" "$BATS_FILE_TMPDIR/bench.json"
	[[ $status == 0 ]] || fail "false in the bench JSON: $1 (jq: $output)"
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
		assert_line --regexp "^   $p +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+$"
	done
	assert_line --regexp '^   growth: '
	assert_line --regexp '^   fixed cost of a scenario apart from its traffic: [0-9]+ ms'
	assert_line --regexp '^   run\.sh all: '
	assert_line --regexp '^   (ours [0-9]+ Mbit/s .*ratio ours / iperf3 = [0-9.]+|skipped: )'
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
		and (.rto_ms.median | type == "number" and . > 0 and . < 120000)
		and ([.outage_ms.median, .outage_ms.max, .recovery90_ms.median] | all(. == null or (type == "number" and . >= 0)))
		and ([.runs[] | select(.valid and .ok) | .outage_ms] | all(type == "number" and . >= 0)))'
	json_true '[.failover.cases[] | [.fault, .withdraw, .path]] | contains([["link-down", false, 1],
		["link-down", false, 2], ["link-down", true, 1], ["link-down", true, 2]])'
}

@test "JSON: harness cost for 2, 4 and 8 paths, the fixed cost, run.sh all" {
	json_true '.harness.topology | map(.paths) == [2, 4, 8]'
	json_true '.harness.topology | all(.build_ms.median > 0 and .teardown_ms.median > 0 and .per_path_ms > 0)'
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
	json_true '[.raw[].section] | unique | contains(["aggregation", "failover", "machine",
		"scenario_fixed", "topology", "run_all"])'
	json_true '[.raw[] | select(.section == "aggregation") | .goodput_mbps] | all(type == "number")'
}

@test "the bench leaves no namespace, process or temp dir behind" {
	local id
	id=$(jq -r '.machine.run_id' "$BATS_FILE_TMPDIR/bench.json")
	[[ $id =~ ^[0-9a-f]{6}$ ]] || fail "no run id in the JSON: '$id'"
	run harness_leftovers "$id"
	assert_output ''
}
