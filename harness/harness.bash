# shellcheck shell=bash
# Entry point for scenarios: `load ../harness/harness` in a .bats file.
# Sources lib/ and every harness module, and gives each scenario a private
# set of namespaces, a work directory and an undo stack.

# The checkout: harness/.., without a fork when run.sh already said so.
__f=${BASH_SOURCE[0]%/*}/..
[[ ${BASH_SOURCE[0]} == */* ]] || __f=..
if [[ -z ${MPTH_ROOT:-} || ! $__f -ef $MPTH_ROOT ]]; then
	MPTH_ROOT=$(cd "$__f" && pwd)
fi
unset __f
export MPTH_ROOT

# shellcheck source=lib/log.sh
source "$MPTH_ROOT/lib/log.sh"
# shellcheck source=lib/wait.sh
source "$MPTH_ROOT/lib/wait.sh"
# shellcheck source=lib/defer.sh
source "$MPTH_ROOT/lib/defer.sh"
# shellcheck source=lib/features.sh
source "$MPTH_ROOT/lib/features.sh"
# shellcheck source=lib/runstate.sh
source "$MPTH_ROOT/lib/runstate.sh"
# shellcheck source=harness/topology.sh
source "$MPTH_ROOT/harness/topology.sh"
# shellcheck source=harness/shape.sh
source "$MPTH_ROOT/harness/shape.sh"
# shellcheck source=harness/pm.sh
source "$MPTH_ROOT/harness/pm.sh"
# shellcheck source=harness/facts.sh
source "$MPTH_ROOT/harness/facts.sh"
# shellcheck source=harness/traffic.sh
source "$MPTH_ROOT/harness/traffic.sh"
# shellcheck source=harness/faults.sh
source "$MPTH_ROOT/harness/faults.sh"
# shellcheck source=harness/observe.sh
source "$MPTH_ROOT/harness/observe.sh"
# shellcheck source=harness/recipes.sh
source "$MPTH_ROOT/harness/recipes.sh"
# shellcheck source=harness/uspm.sh
source "$MPTH_ROOT/harness/uspm.sh"
# shellcheck source=harness/mptcpd.sh
source "$MPTH_ROOT/harness/mptcpd.sh"
# shellcheck source=harness/apps.sh
source "$MPTH_ROOT/harness/apps.sh"
# shellcheck source=harness/plot.sh
source "$MPTH_ROOT/harness/plot.sh"
# shellcheck source=harness/assert.sh
source "$MPTH_ROOT/harness/assert.sh"

# bats-support and bats-assert, their files sourced directly: their
# load.bash forks a dirname for each file, and a scenario loads them once
# per test. A package whose files differ is loaded its own way.
if [[ -n "${BATS_TEST_FILENAME:-}" ]]; then
	__libs=(/usr/lib/bats/bats-support/src/{output,error,lang}.bash
		/usr/lib/bats/bats-assert/src/{assert,refute,assert_equal,assert_not_equal,assert_success,assert_failure,assert_output,refute_output,assert_line,refute_line,assert_regex,refute_regex}.bash)
	for __f in "${__libs[@]}"; do
		[[ -r $__f ]] || __libs=()
	done
	if ((${#__libs[@]})); then
		for __f in "${__libs[@]}"; do
			# shellcheck source=/dev/null # Debian's bats-support and bats-assert
			source "$__f"
		done
	else
		load '/usr/lib/bats/bats-support/load'
		load '/usr/lib/bats/bats-assert/load'
	fi
	unset __f __libs
	# Bats 1.8 times each test with $(date +%s%N), twice per test: a
	# fork and an exec that bash's own clock makes needless. Same name,
	# same output (ms since the epoch), so bats' "in N ms" is unchanged.
	if declare -F get_mills_since_epoch >/dev/null && [[ -n ${EPOCHREALTIME:-} ]]; then
		get_mills_since_epoch() {
			local t=${EPOCHREALTIME/./}
			printf '%d\n' "${t:0:-3}"
		}
	fi
fi

# A timed event on the scenario's timeline ($MPTH_RUN_DIR/events: the
# outage figures and the plots line it up with the traffic), and a note.
# The time is now, or the "at MS" given first in the detail (a moment
# already past). Its time goes to HARNESS_EVENT_MS.
# $1: kind, $2: where (a path index or a role), $3...: detail
harness_event() {
	local t=${EPOCHREALTIME/./} where=$2
	t=${t:0:-3}
	if [[ ${3:-} == "at "* ]]; then
		t=${3#at }
		set -- "$1" "$2" "${@:4}"
	fi
	printf '%s\t%s\t%s\t%s\n' "$t" "$1" "$2" "${*:3}" >>"$MPTH_RUN_DIR/events"
	HARNESS_EVENT_MS=$t
	[[ ! $where =~ ^[0-9]+$ ]] || where="path $where"
	harness_note "event: $1 on $where${3:+ (${*:3})}"
}

# Skip the current test unless setup_file ran its case: a scenario's knob
# (FAILOVER_FAULTS, LIMITS_CASES...) names the cases it runs, and a test
# of one left out says so instead of failing. $1: case, $2: the knob's name
harness_case() {
	[[ " ${!2-} " == *" $1 "* ]] || skip "case $1 not selected ($2)"
}

# A diagnostic line under the current test, in TAP. $@: text
harness_diag() {
	if { true >&3; } 2>/dev/null; then
		printf '# %s\n' "$*" >&3
	fi
	printf '%s: %s\n' "${BATS_TEST_DESCRIPTION:-setup}" "$*" >>"$MPTH_ART_DIR/figures.txt"
}

# A key figure of the scenario: shown in run.sh's summary table and JSON,
# and summarised over --repeat runs. $1: name, $2: number
harness_figure() {
	printf '%s\t%s\n' "$1" "$2" >>"$MPTH_ART_DIR/key-figures.tsv"
}

# A TAP comment line (shown by Bats) that is also kept with the artifacts.
# $@: text
harness_note() {
	if { true >&3; } 2>/dev/null; then
		printf '# %s\n' "$*" >&3
	else
		printf '# %s\n' "$*" >&2
	fi
	[[ -z "${MPTH_RUN_DIR:-}" ]] || printf '%s\n' "$*" >>"$MPTH_RUN_DIR/notes"
}

# Set up this scenario's private state. Call first in setup_file, as
#	harness_init || return 0
# It returns non-zero when a requirement is missing: the reason is recorded
# and every @test of the file then skips with it (Bats 1.8 cannot skip from
# setup_file itself).
harness_init() {
	wait_untraced __harness_init
}

__harness_init() {
	local scn
	scn=$(basename "${BATS_TEST_FILENAME:-adhoc}" .bats)
	MPTH_SCENARIO=$scn
	runstate_ensure || return 1
	# Namespace names carry the run id, so concurrent runs never collide
	# and `run.sh clean` can tell whose they are.
	MPTH_NS_PREFIX="mpth-$MPTH_RUN_ID-${scn:0:12}${MPTH_ITER:+-$MPTH_ITER}-"
	MPTH_RUN_DIR=$(mktemp -d "$MPTH_TMP/$scn.XXXXXX") || return 1
	MPTH_ART_DIR=${MPTH_ARTIFACTS:-$MPTH_RUN_DIR/artifacts}/$scn${MPTH_ITER:+-$MPTH_ITER}
	mkdir -p "$MPTH_ART_DIR" || return 1
	# An artifacts directory used again: what an earlier run recorded
	# would add to this run's figures, and an old failure dump would stand
	# for this run's.
	rm -f "$MPTH_ART_DIR"/{key-figures.tsv,figures.txt,checks.tsv,assertions-failed.txt,failure-dump.txt}
	: >"$MPTH_RUN_DIR/roles"
	fact_reset
	defer_init "$MPTH_RUN_DIR/defer"
	export MPTH_SCENARIO MPTH_NS_PREFIX MPTH_RUN_DIR MPTH_ART_DIR
	harness_require mptcp ip_mptcp || return 1
	# shellcheck disable=SC2046 # the header lists words
	harness_require $(harness_header_requires "${BATS_TEST_FILENAME:-}")
}

# The features a scenario declares in its header line "# requires: a b c".
# $1: scenario file
harness_header_requires() {
	feat_requires "$1"
}

# Undo everything this scenario made. Call from teardown_file; safe twice.
harness_teardown() {
	wait_untraced __harness_teardown
}

__harness_teardown() {
	[[ -n "${MPTH_RUN_DIR:-}" ]] || return 0
	local gone
	gone=$(topo_vanished)
	[[ -z $gone ]] || harness_note "the namespaces of ${gone//$'\n'/, } disappeared during the run (deleted from outside the harness): what needed them failed for that reason"
	traffic_stop 2>/dev/null
	# Collect while the namespaces still exist: counters live in them.
	harness_collect
	defer_run_all
	# Backstop: whatever still carries our prefix goes too.
	runstate_sweep_prefix "$MPTH_NS_PREFIX"
	[[ "${MPTH_RUN_OWNED:-0}" != 1 ]] || runstate_finish "${MPTH_KEEP:-0}"
}

# Copy what the run produced into the artifacts directory: the samples'
# JSON, timelines and logs, the events and the facts.
harness_collect() {
	local d
	obs_mib_deltas
	for d in "$MPTH_RUN_DIR"/traffic-*; do
		[[ -d $d ]] || continue
		# A stopped run leaves at once: gnuplot takes a second or more
		# on a loaded machine, and the data is kept anyway.
		[[ -e ${MPTH_TMP:-/nonexistent}/interrupted ]] || plot_traffic "${d##*/traffic-}"
		mkdir -p "$MPTH_ART_DIR/${d##*/}"
		cp -p "$d"/*.json "$d"/*.timeline "$d"/*.info "$d"/*.log "$d"/*.rc \
			"$MPTH_ART_DIR/${d##*/}/" 2>/dev/null
	done
	cp -p "$MPTH_RUN_DIR/events" "$MPTH_RUN_DIR/facts" "$MPTH_RUN_DIR/notes" \
		"$MPTH_ART_DIR/" 2>/dev/null
	[[ ! -d $MPTH_RUN_DIR/samples ]] || cp -rp "$MPTH_RUN_DIR/samples" "$MPTH_ART_DIR/"
	return 0
}

# Record a skip (or, in strict mode, a failure) unless every feature exists.
# $@: feature names (see lib/features.sh)
harness_require() {
	local f
	for f in "$@"; do
		feat_have "$f" && continue
		printf 'needs %s: %s\n' "$f" "$FEAT_REASON" >"$MPTH_RUN_DIR/skip"
		harness_note "skip: needs $f: $FEAT_REASON"
		return 1
	done
}

# Per-test setup: skip (or fail in strict mode) when setup_file found a
# missing requirement.
harness_setup() {
	local why
	[[ -s "${MPTH_RUN_DIR:-}/skip" ]] || return 0
	why=$(<"$MPTH_RUN_DIR/skip")
	if [[ "${MPTH_STRICT:-0}" == 1 ]]; then
		echo "strict mode: a skip is a failure: $why" >&2
		return 1
	fi
	skip "$why"
}

# Scenarios may override these; an override must call the harness_ one.
setup() { harness_setup; }
teardown_file() { harness_teardown; }
