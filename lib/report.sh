# shellcheck shell=bash
# The run's reports, from the results the runner and the VM stage record
# here: TOTAL_PASS, TOTAL_FAIL, TOTAL_SKIP and SUMMARY_ROWS, one row per
# scenario run, tab-separated: name, iteration, passed, failed, skipped,
# ms, key figures ("k=v k=v"), skip or interruption reason, its tests as
# JSON (report_tests_json).
#
# Public: report_finish RUN... (all of the below, at the end of a run),
# report_summary RUN... (the summary table on stdout, the repeat stats and
# where the timelines are), report_json FILE (the JSON summary),
# report_junit FILE (one JUnit file from bats' reports), report_artifacts
# (summary.json and index.html in the artifacts), report_write DIR (the
# HTML report), report_tests_json TAP CHECKS, report_key_figures DIR,
# report_seconds MS. A RUN is "NAME ITERATION" (the iteration empty when
# not repeating). Reads run.sh's OPT_REPEAT, OPT_JUNIT and OPT_JSON, and
# the runner's SIG_NAME.
#
# The HTML report: <artifacts>/index.html, one self-contained page.
# It loads nothing from the network: styles and script are inline, the
# timelines are embedded as data: URIs, and a Content-Security-Policy
# forbids any fetch. The links point into the artifacts directory, so the
# page reads the same from a CI artifact download.
#
# It holds the summary table; per scenario run, every test with its status,
# time and the checks it made (what, got, bound); the timelines; the event
# log; the TAP; and links to the files the run kept (failure dump, pcaps,
# JUnit and JSON).
#
# It is built from the run's summary.json (report_json) and the
# scenario directories once the last run has ended: nothing here runs
# while a transfer does.

TOTAL_PASS=0 TOTAL_FAIL=0 TOTAL_SKIP=0
SUMMARY_ROWS=()
# How long report_junit waits for bats' formatter to finish a report.
REPORT_JUNIT_WAIT_MS=5000

# The directory of a scenario run, relative to the artifacts directory.
# $1: name as in summary.json ("SPEC:name" for a run in a VM), $2: its
# iteration, $3: 1 when the runs were repeated
__report_dir() {
	local name=$1 rel spec
	if [[ $name == *:* ]]; then
		spec=${name%:*}
		rel=vm-${spec//[^A-Za-z0-9.]/_}/run/${name##*:}
	else
		rel=$name
	fi
	(($3)) && rel+=-$2
	printf '%s\n' "$rel"
}

# One JSON object of what a scenario run left: its directory, TAP, event
# log, timelines (base64) and the files in its directory.
# $1: artifacts dir, $2: the run's directory relative to it
__report_extras() {
	local d=$1/$2 f tap=/dev/null events=/dev/null pics=() files=() n=0
	[[ -r $d.tap ]] && tap=$d.tap
	[[ -r $d/events ]] && events=$d/events
	# Each picture is read by jq itself (--rawfile): passed on the command
	# line, a timeline's base64 outgrows what one argument may hold.
	for f in "$d"/timeline-*.svg; do
		[[ -s $f ]] || continue
		pics+=(--rawfile "svg$n" "$f" --arg "name$n" "${f##*/}")
		n=$((n + 1))
	done
	for f in "$d"/*; do
		[[ -e $f ]] || continue
		if [[ -d $f ]]; then
			files+=("${f##*/}/")
		else
			files+=("${f##*/}")
		fi
	done
	[[ -s $1/junit/$2/report.xml ]] && files+=("../junit/$2/report.xml")
	jq -n -c --arg dir "$2" --rawfile tap "$tap" --rawfile events "$events" \
		--argjson n "$n" "${pics[@]}" \
		--args '{dir: $dir, tap: $tap, events: $events,
			pictures: [range(0; $n) as $i | {name: $ARGS.named["name\($i)"], data: ($ARGS.named["svg\($i)"] | @base64)}],
			files: $ARGS.positional, tap_exists: ($tap != "")}' "${files[@]}"
}

# Write <artifacts>/index.html. $1: the artifacts directory, which holds
# summary.json
report_write() {
	local art=$1 name iter repeated=0 extras
	[[ -s $art/summary.json ]] || return 1
	extras=${MPTH_TMP:-$art}/report-extras.jsonl
	jq -e '([.scenarios[].iteration] | max // 1) > 1' "$art/summary.json" >/dev/null && repeated=1
	: >"$extras" || return 1
	while IFS=$'\t' read -r name iter; do
		__report_extras "$art" "$(__report_dir "$name" "$iter" "$repeated")" >>"$extras"
	done < <(jq -r '.scenarios[] | "\(.name)\t\(.iteration)"' "$art/summary.json")
	jq -r -n --slurpfile s "$art/summary.json" --slurpfile x "$extras" \
		--arg kernel "$(uname -r)" --arg when "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" \
		-f "$MPTH_ROOT/lib/report.jq" >"$art/index.html.new" &&
		mv "$art/index.html.new" "$art/index.html"
	local rc=$?
	rm -f "$extras" "$art/index.html.new"
	return $rc
}

# $1: ms. Prints them as seconds with one decimal.
report_seconds() {
	printf '%d.%d' $(($1 / 1000)) $(($1 % 1000 / 100))
}

# The key figures a scenario recorded (harness_figure), as "k=v k=v".
# $1: artifacts dir of the scenario
report_key_figures() {
	[[ -s $1/key-figures.tsv ]] || return 0
	awk -F'\t' '{ printf "%s%s=%s", sep, $1, $2; sep = " " }' "$1/key-figures.tsv"
}

# A run's tests as one line of JSON: number, name, status (pass, fail,
# skip), skip reason, seconds, and the checks each made (what, got, the
# operator and bound, and whether it held), from its TAP and the checks
# the harness recorded (checks.tsv). $1: TAP file, $2: checks file
report_tests_json() {
	local checks=$2
	[[ -r $checks ]] || checks=/dev/null
	jq -R -s -c --rawfile checks "$checks" '
		def num: tonumber? // .;
		($checks | split("\n") | map(select(length > 0) | split("\t") |
			{test: .[0], what: .[1], got: (.[2] | num), op: .[3],
			 bound: (.[4] | num), status: .[5]})) as $c
		| split("\n") | map(select(test("^(not )?ok [0-9]+ ")) |
			capture("^(?<st>(not )?ok) (?<n>[0-9]+) (?<rest>.*)$") |
			(.rest | capture(" # skip ?(?<why>.*)$")? // null) as $sk |
			(.rest | capture(" # in (?<ms>[0-9]+) ms$")? // null) as $t |
			(.rest | sub(" # skip.*$"; "") | sub(" # in [0-9]+ ms$"; "")) as $name |
			{number: (.n | tonumber), name: $name,
			 status: (if $sk then "skip" elif .st == "ok" then "pass" else "fail" end),
			 skip_reason: (if $sk then $sk.why else null end),
			 seconds: (if $t then ($t.ms | tonumber) / 1000 else null end),
			 checks: [$c[] | select(.test == $name) | del(.test)]})' "$1" 2>/dev/null || echo '[]'
}

# Every report, once the runs have ended or a signal cut them short: the
# artifacts' own, the summary on stdout, and what --junit and --json ask.
# $@: the runs (see above)
report_finish() {
	report_artifacts
	report_summary "$@"
	[[ -z $OPT_JUNIT ]] || report_junit "$OPT_JUNIT"
	[[ -z $OPT_JSON ]] || report_json "$OPT_JSON"
}

# The summary table, the repeat stats, the timelines, the totals.
# $@: the runs (see above), for their timelines
report_summary() {
	local row name iter pass fail skip dur keys why
	echo "#"
	printf '# %-22s %6s %6s %7s %7s  %s\n' SCENARIO PASSED FAILED SKIPPED SECONDS 'KEY FIGURES'
	for row in "${SUMMARY_ROWS[@]}"; do
		# A tab is whitespace to read: empty fields would collapse.
		IFS=$'\x1f' read -r name iter pass fail skip dur keys why _ <<<"${row//$'\t'/$'\x1f'}"
		((OPT_REPEAT > 1)) && name="$name#$iter"
		[[ -z $why ]] || keys+="${keys:+  }$why"
		printf '# %-22s %6d %6d %7d %7s  %s\n' "$name" "$pass" "$fail" "$skip" \
			"$(report_seconds "$dur")" "$keys"
	done
	((OPT_REPEAT > 1)) && __report_repeat_stats
	__report_pictures "$@"
	[[ ! -s $MPTH_ARTIFACTS/index.html ]] || printf '# report: %s\n' "$MPTH_ARTIFACTS/index.html"
	printf '%d passed, %d failed, %d skipped\n' "$TOTAL_PASS" "$TOTAL_FAIL" "$TOTAL_SKIP"
}

# Where the timelines the runs drew are (an SVG and a PNG per traffic run
# of a fault), a line per scenario run that drew some. $@: the runs
__report_pictures() {
	local run name iter art pic drew=0
	local -a svgs
	for run; do
		name=${run% *} iter=${run##* }
		art=$MPTH_ARTIFACTS/$name${iter:+-$iter}
		svgs=("$art"/timeline-*.svg)
		[[ -e ${svgs[0]} ]] || continue
		((drew++)) || echo "#"
		printf '# timelines of %s:' "$name${iter:+#$iter}"
		for pic in "${svgs[@]}"; do
			printf ' %s' "${pic%.svg}.{svg,png}"
		done
		echo
	done
}

# For --repeat: per scenario, the share of runs with no failure, and the
# spread (min, median, max) of each key figure.
__report_repeat_stats() {
	echo "#"
	printf '%s\n' "${SUMMARY_ROWS[@]}" | awk -F'\t' '
		{
			n[$1]++
			if ($4 == 0) ok[$1]++
			k = split($7, kv, " ")
			for (i = 1; i <= k; i++) {
				split(kv[i], p, "=")
				if (p[2] !~ /^-?[0-9.]+$/) continue
				key = $1 SUBSEP p[1]
				cnt[key]++
				val[key, cnt[key]] = p[2]
				names[$1] = names[$1] " " p[1]
			}
		}
		END {
			for (s in n) {
				printf "# %s: %d of %d runs passed (%.0f%%)\n", s, ok[s], n[s], 100 * ok[s] / n[s]
				split(names[s], ks, " ")
				delete seen
				for (j in ks) {
					key = s SUBSEP ks[j]
					if (ks[j] == "" || seen[ks[j]]++) continue
					m = cnt[key]
					for (a = 1; a <= m; a++) v[a] = val[key, a] + 0
					for (a = 1; a <= m; a++) for (b = a + 1; b <= m; b++)
						if (v[b] < v[a]) { t = v[a]; v[a] = v[b]; v[b] = t }
					med = m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
					printf "#   %-28s min %s  median %s  max %s  (n=%d)\n", ks[j], v[1], med, v[m], m
				}
			}
		}'
}

# $1: a bats JUnit report. True once bats' formatter has finished it: it
# writes after bats itself has exited, so a report can still be growing.
# shellcheck disable=SC2317 # called through busywait
__report_junit_complete() {
	grep -q '</testsuites>' "$1" 2>/dev/null
}

# One JUnit file from each run's report. $1: output file
report_junit() {
	local f
	for f in "$MPTH_ARTIFACTS"/junit/*/; do
		[[ -d $f ]] || continue
		busywait "$REPORT_JUNIT_WAIT_MS" __report_junit_complete "$f/report.xml" ||
			log_warn "junit: $f/report.xml is incomplete"
	done
	{
		echo '<?xml version="1.0" encoding="UTF-8"?>'
		echo '<testsuites>'
		for f in "$MPTH_ARTIFACTS"/junit/*/report.xml; do
			[[ -s $f ]] || continue
			# Name the suite after its run, so repeats stay apart.
			sed -n '/<testsuite /,/<\/testsuite>/p' "$f" |
				sed "s|<testsuite name=\"[^\"]*\"|<testsuite name=\"$(basename "$(dirname "$f")")\"|"
		done
		echo '</testsuites>'
	} >"$1"
}

# The run's own summary.json and HTML report, in its artifacts directory,
# whatever options were given. A report that cannot be written (a full
# disk) is said, and changes no verdict.
report_artifacts() {
	rm -f "$MPTH_ARTIFACTS/index.html"
	if ! report_json "$MPTH_ARTIFACTS/summary.json" || ! report_write "$MPTH_ARTIFACTS"; then
		log_warn "report: could not write $MPTH_ARTIFACTS/index.html"
	fi
}

# The JSON summary. $1: output file ("-" for stdout)
report_json() {
	local out=$1
	[[ $out == - ]] && out=/dev/stdout
	printf '%s\n' "${SUMMARY_ROWS[@]}" | jq -R -s \
		--arg run "$MPTH_RUN_ID" --arg seed "$MPTH_SEED" --arg art "$MPTH_ARTIFACTS" \
		--argjson p "$TOTAL_PASS" --argjson f "$TOTAL_FAIL" --argjson s "$TOTAL_SKIP" \
		--arg sig "${SIG_NAME:+SIG$SIG_NAME}" '
		{
			run_id: $run, seed: ($seed | tonumber), artifacts: $art,
			passed: $p, failed: $f, skipped: $s,
			interrupted: (if $sig == "" then null else $sig end),
			scenarios: [split("\n")[] | select(length > 0) | split("\t") | {
				name: .[0], iteration: (.[1] | tonumber),
				passed: (.[2] | tonumber), failed: (.[3] | tonumber),
				skipped: (.[4] | tonumber), seconds: ((.[5] | tonumber) / 1000),
				figures: ((.[6] // "") | split(" ") | map(select(length > 0) | split("=") |
					{key: .[0], value: (.[1] | tonumber? // .[1])}) | from_entries),
				skip_reason: (if (.[7] // "") == "" then null else .[7] end),
				tests: ((.[8] // "[]") | fromjson? // [])
			}]
		}' >"$out"
}
