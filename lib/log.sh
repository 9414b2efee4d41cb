# shellcheck shell=bash
# Logging for run.sh and the harness. Messages go to stderr so that stdout
# stays pure TAP. Colour only on a TTY, and never when NO_COLOR is set.

__log_colour() {
	[[ -t 2 && -z "${NO_COLOR:-}" && "${TERM:-dumb}" != dumb ]]
}

# $1: colour code, $2: tag, $3...: message
__log() {
	local code=$1 tag=$2
	shift 2
	if __log_colour; then
		printf '\033[%sm%s\033[0m %s\n' "$code" "$tag" "$*" >&2
	else
		printf '%s %s\n' "$tag" "$*" >&2
	fi
}

log_info() { __log 36 "mpth:" "$@"; }
log_warn() { __log 33 "mpth: warning:" "$@"; }
log_err() { __log 31 "mpth: error:" "$@"; }

# Verbose tracing, shown with --verbose (MPTH_VERBOSE=1).
log_debug() {
	[[ "${MPTH_VERBOSE:-0}" == 1 ]] || return 0
	__log 90 "mpth: debug:" "$@"
}

# $1: exit code, $2...: message
die() {
	local rc=$1
	shift
	log_err "$@"
	exit "$rc"
}
