# shellcheck shell=bash
# Scenario files for run.sh: the catalogue (scenarios/*.bats), a user's
# name for one mapped to its file, its one-line title, and the checks made
# before anything runs (syntax, --filter).
#
# Public: scenario_files, scenario_resolve NAME, scenario_title FILE,
# scenario_syntax_check FILE, scenario_filter_check REGEX FILE...,
# scenario_needing FEATURE FILE...
# Uses run.sh's EXIT_USAGE.

# Scenario files, sorted.
scenario_files() {
	local f
	for f in "$MPTH_ROOT"/scenarios/*.bats; do
		[[ -e $f ]] && printf '%s\n' "$f"
	done
}

# Map a user's name for a scenario to its file. $1: name
scenario_resolve() {
	local name=$1 base
	# Names are plain words and paths; anything a shell could interpret,
	# or a climb out of a directory, is refused before it is used.
	if [[ ! $name =~ ^[A-Za-z0-9._/+-]+$ || $name == *..* ]]; then
		log_err "invalid scenario name '$name' (letters, digits, . _ / + - only; no '..')"
		return 1
	fi
	if [[ $name == *.bats && -f $name ]]; then
		realpath "$name"
		return
	fi
	base=${name%/}
	base=${base##*/}
	base=${base%.bats}
	case $name in
	*/*) [[ ${name%/*} =~ ^(\./)?(scenarios?|$MPTH_ROOT/scenarios)$ ]] || base='' ;;
	esac
	if [[ -n $base && -f $MPTH_ROOT/scenarios/$base.bats ]]; then
		printf '%s\n' "$MPTH_ROOT/scenarios/$base.bats"
		return
	fi
	log_err "unknown scenario '$name'. Known scenarios:"
	scenario_files | sed 's|.*/||; s|\.bats$||; s|^|  |' >&2
	return 1
}

# The one-line description of a scenario: the first comment sentence.
# $1: file
scenario_title() {
	awk 'NR > 1 && /^# / { sub(/^# /, ""); t = t (t ? " " : "") $0
		if ($0 ~ /\.$/) { print t; exit } next }
		NR > 1 && t { print t; exit }' "$1"
}

# A .bats file is bash once each "@test NAME {" line is a function header,
# which is what Bats itself does; bash -n then finds syntax errors without
# running anything. $1: file
scenario_syntax_check() {
	local err
	err=$(sed -E 's/^[[:blank:]]*@test[[:blank:]]+.*[^[:blank:]][[:blank:]]+\{(.*)$/__t() {\1/' "$1" |
		bash -n 2>&1) && return 0
	log_err "$1 does not parse: ${err//bash: line /line }"
	return 1
}

# --filter must be a valid regex (bats matches it with [[ =~ ]]) that
# matches the name of some test of the selected files; else exit 2 before
# anything runs. Names are read as written: a name built from a variable
# is matched on its text. $1: the regex, $2...: files
scenario_filter_check() {
	local re=$1 f line name rc
	shift
	[[ '' =~ $re ]]
	rc=$?
	((rc != 2)) || die "$EXIT_USAGE" "--filter '$re' is not a valid extended regular expression"
	for f in "$@"; do
		while IFS= read -r line; do
			[[ $line =~ ^[[:space:]]*@test[[:space:]]+[\"\'](.*)[\"\'][[:space:]]*\{ ]] || continue
			name=${BASH_REMATCH[1]}
			[[ $name =~ $re ]] && return 0
		done <"$f"
	done
	die "$EXIT_USAGE" "--filter '$re' matches no test in the $# file(s) selected (names as written after @test)"
}

# The files of a list whose "# requires:" line names a feature.
# $1: feature, $2...: files
scenario_needing() {
	local feat=$1 f
	shift
	for f in "$@"; do
		[[ " $(feat_requires "$f") " == *" $feat "* ]] &&
			printf '%s\n' "$f"
	done
}
