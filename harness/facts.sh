# shellcheck shell=bash
# Facts: what setup_file learned about a scenario (counts, figures, byte
# marks), for its @tests to read back. setup_file and each @test run in
# different processes, so facts live in one append-only file of
# "key<TAB>value" lines, $MPTH_RUN_DIR/facts; the latest line for a key
# wins. Reading is builtins only, so a wait that runs during a transfer
# may read facts too.

# Begin a scenario's facts anew: an empty file, nothing cached.
fact_reset() {
	: >"$MPTH_RUN_DIR/facts"
	FACT=()
	__FACT_FILE=''
}

# Record a fact about the scenario, for the @tests to read back.
# $1: key, $2: value
fact_set() {
	printf '%s\t%s\n' "$1" "$2" >>"$MPTH_RUN_DIR/facts"
	FACT[$1]=$2
}

# The facts, as this shell last read them: FACT[key] is a key's latest
# value. fact_sync brings FACT up to date; read it directly after that
# (${FACT[$k]-}) to take a fact without a fork.
declare -gA FACT=()
__FACT_FILE='' __FACT_OFF=0

# Read what was appended to the facts file since this shell last looked
# (whole lines only: a line still being written waits for the next call).
# No fork, and it works in a subshell too: each call opens the file anew
# and skips the bytes already read, so no offset is shared between
# processes.
fact_sync() {
	wait_untraced __fact_sync
}

__fact_sync() {
	local LC_ALL=C f=$MPTH_RUN_DIR/facts fd line
	if [[ $f != "$__FACT_FILE" ]]; then
		FACT=()
		__FACT_FILE=$f __FACT_OFF=0
	fi
	[[ -r $f ]] || return 0
	exec {fd}<"$f"
	((__FACT_OFF == 0)) || read -r -N "$__FACT_OFF" -u "$fd" _ || :
	while IFS= read -r -u "$fd" line; do
		__FACT_OFF=$((__FACT_OFF + ${#line} + 1))
		FACT[${line%%$'\t'*}]=${line#*$'\t'}
	done
	exec {fd}<&-
}

# Print the latest value of a fact; false when it was never set. $1: key
fact_get() {
	fact_sync
	[[ -n ${FACT[$1]+set} ]] || return 1
	printf '%s\n' "${FACT[$1]}"
}

# The latest value of a fact into a variable of the caller's, without the
# fork of $(fact_get); false (and empty) when it was never set.
# $1: variable, $2: key
fact_var() {
	fact_sync
	printf -v "$1" '%s' "${FACT[$2]-}"
	[[ -n ${FACT[$2]+set} ]]
}
