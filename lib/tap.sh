# shellcheck shell=bash
# run.sh's stdout is one TAP document: TAP version 13 with kselftest's
# conventions. Each scenario run is one numbered top-level result, and its
# own TAP (bats') is nested above it as "# " lines, the way kselftest's
# runner nests each selftest's output. A crash is a numbered "not ok".
#
# Public: tap_begin N, tap_nested LINE, tap_result OK DESCRIPTION [SKIP].
# TAP_BEGUN is 1 once the plan is printed.

TAP_SEQ=0 TAP_BEGUN=0

# $1: the number of top-level results that will follow
tap_begin() {
	# shellcheck disable=SC2034 # read by lib/runner.sh
	TAP_BEGUN=1
	printf 'TAP version 13\n1..%d\n' "$1"
}

# One line of a run's own TAP, nested, its skip directive in upper case.
# $1: the line
tap_nested() {
	local l=$1
	case $l in
	'ok '*' # skip'*) l=${l/ \# skip/ \# SKIP} ;;
	esac
	printf '# %s\n' "$l"
}

# A top-level result. $1: ok|not ok, $2: description, $3: skip reason
tap_result() {
	TAP_SEQ=$((TAP_SEQ + 1))
	printf '%s %d %s%s\n' "$1" "$TAP_SEQ" "$2" "${3:+ # SKIP $3}"
}
