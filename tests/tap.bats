#!/usr/bin/env bats
# stdout is one TAP document that the tools kernel CI uses can read:
# TAP version 13, one plan, one numbered result per scenario run with the
# run's own TAP nested as "# " lines (kselftest's convention), "# SKIP"
# in upper case, every crash numbered and counted, and the plain count
# line last. Read back by Perl's TAP::Parser and by tap2junit.

load helpers

setup_file() {
	local d=$BATS_FILE_TMPDIR
	printf '%s\n' '#!/usr/bin/env bats' \
		'@test "one passes" { true; }' \
		'@test "one skips" { skip "no reason at all"; }' >"$d/mixed.bats"
	printf '%s\n' '#!/usr/bin/env bats' '@test "one fails" { false; }' >"$d/failing.bats"
	# bats itself dies: no test result at all.
	# shellcheck disable=SC2016 # expanded by bats, in the fixture
	printf '%s\n' '#!/usr/bin/env bats' \
		'@test "kills its runner" { kill -9 "$BATS_ROOT_PID"; }' \
		'@test "never runs" { true; }' >"$d/crash.bats"
	printf '%s\n' '#!/usr/bin/env bats' '@test "only skips" { skip "nothing here"; }' >"$d/skipping.bats"
	RC=0
	"$RUN" --no-install --artifacts "$d/art" "$d/mixed.bats" "$d/failing.bats" \
		"$d/crash.bats" "$d/skipping.bats" >"$d/out" 2>"$d/err" || RC=$?
	echo "$RC" >"$d/rc"
}

# Perl's TAP::Parser over the document: one line per fact.
tap_parse() {
	perl -MTAP::Parser -e '
		my $p = TAP::Parser->new({ tap => do { local $/; <STDIN> } });
		while (my $r = $p->next) {
			printf "result %d %s%s\n", $r->number, ($r->is_ok ? "ok" : "not-ok"),
				($r->has_skip ? " skip:" . $r->explanation : "") if $r->is_test;
		}
		printf "version %d\n", $p->version;
		printf "plan %s\n", $p->plan;
		printf "run %d\n", $p->tests_run;
		printf "failed %s\n", join(",", $p->failed);
		printf "skipped %s\n", join(",", $p->skipped);
		printf "errors %s\n", join(" | ", $p->parse_errors);
	' <"$1"
}

@test "the run exits 1 and its document starts with a version line and one plan" {
	assert_equal "$(cat "$BATS_FILE_TMPDIR/rc")" 1
	run head -n2 "$BATS_FILE_TMPDIR/out"
	assert_output $'TAP version 13\n1..4'
	run grep -cE '^1\.\.' "$BATS_FILE_TMPDIR/out"
	assert_output 1
	run grep -c '^TAP version' "$BATS_FILE_TMPDIR/out"
	assert_output 1
}

@test "TAP::Parser reads 4 numbered results: 2 failed (one a crash), one skipped whole, no parse error" {
	run tap_parse "$BATS_FILE_TMPDIR/out"
	assert_success
	assert_line 'version 13'
	assert_line 'plan 1..4'
	assert_line 'run 4'
	assert_line 'failed 2,3'
	assert_line 'skipped 4'
	assert_line 'errors '
	assert_line 'result 4 ok skip:nothing here'
}

@test "each run's own TAP is nested under '# ', its skips in upper case, the crash says why" {
	local out=$BATS_FILE_TMPDIR/out
	run grep -E '^(not )?ok ' "$out"
	assert_output "$(printf '%s\n' 'ok 1 mixed' 'not ok 2 failing: 1 failed, first: one fails' \
		'not ok 3 crash: bats exited 137 without a test result' 'ok 4 skipping # SKIP nothing here')"
	run grep -E '^# (not )?ok [0-9]' "$out"
	assert_line --regexp '^# ok 1 one passes( # in [0-9]+ ms)?$'
	assert_line '# ok 2 one skips # SKIP no reason at all'
	assert_line --regexp '^# not ok 1 one fails'
	refute_output --partial '# skip'
	# The summary table shows the columns it has, nothing of the JSON.
	run grep -E '^# failing +0 +1 +0 +[0-9.]+ *$' "$out"
	assert_success
	# The counts line stays last and counts the crash as a failure.
	run tail -n1 "$out"
	assert_output '1 passed, 2 failed, 2 skipped'
}

@test "tap2junit turns the document into 4 test cases, 2 of them failures" {
	command -v tap2junit >/dev/null ||
		fail "tap2junit is missing (run.sh test installs libtap-formatter-junit-perl)"
	cp "$BATS_FILE_TMPDIR/out" "$BATS_TEST_TMPDIR/run.tap"
	# It writes NAME.xml beside the input.
	cd "$BATS_TEST_TMPDIR" || fail "no test dir"
	run tap2junit run.tap
	assert_success
	run grep -oE '<testsuite [^>]*>' "$BATS_TEST_TMPDIR/run.tap.xml"
	assert_output --regexp 'errors="0"'
	assert_output --regexp 'failures="2"'
	assert_output --regexp 'tests="4"'
	run grep -c '<testcase ' "$BATS_TEST_TMPDIR/run.tap.xml"
	assert_output 4
}

@test "--json lists every test of every run: status, skip reason, seconds, and each check with its bound" {
	local d=$BATS_TEST_TMPDIR
	# The test lines are assembled so that Bats does not take them for ours.
	printf '%s\n' '#!/usr/bin/env bats' "load $REPO/harness/harness" \
		'setup_file() { harness_init || return 0; }' \
		"$(printf '%s' '@' 'test "two checks hold" { assert_num "apples" 5 -ge 3; assert_str "colour" red red; }')" \
		"$(printf '%s' '@' 'test "a check fails" { assert_num "pears" 2 -ge 3; }')" >"$d/checks.bats"
	run "$RUN" --no-install --artifacts "$d/art" --json "$d/run.json" \
		"$BATS_FILE_TMPDIR/mixed.bats" "$d/checks.bats"
	assert_failure 1
	run jq -c '.scenarios[0].tests | map({number, name, status, skip_reason})' "$d/run.json"
	assert_output '[{"number":1,"name":"one passes","status":"pass","skip_reason":null},{"number":2,"name":"one skips","status":"skip","skip_reason":"no reason at all"}]'
	run jq -c '.scenarios[1].tests | map({name, status, checks})' "$d/run.json"
	assert_output '[{"name":"two checks hold","status":"pass","checks":[{"what":"apples","got":5,"op":"-ge","bound":3,"status":"pass"},{"what":"colour","got":"red","op":"==","bound":"red","status":"pass"}]},{"name":"a check fails","status":"fail","checks":[{"what":"pears","got":2,"op":"-ge","bound":3,"status":"fail"}]}]'
	run jq -e '.scenarios[0].tests[0].seconds | type == "number"' "$d/run.json"
	assert_success
}
