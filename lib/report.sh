# shellcheck shell=bash
# The run's HTML report: <artifacts>/index.html, one self-contained page.
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
# It is built from the run's summary.json (run.sh's write_json) and the
# scenario directories once the last run has ended: nothing here runs
# while a transfer does.

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
