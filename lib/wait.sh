# shellcheck shell=bash
# Deadline polling: wait for a condition instead of sleeping and hoping.

# Milliseconds since the epoch, from bash itself (no fork).
now_ms() {
	local t=${EPOCHREALTIME/./}
	printf '%s\n' "${t:0:-3}"
}

# Run a command until it succeeds or the deadline passes.
# $1: timeout in ms, $2...: command. Returns the command's last status.
busywait() {
	local timeout=$1 deadline rc
	shift
	deadline=$(($(now_ms) + timeout))
	while :; do
		"$@" && return 0
		rc=$?
		(($(now_ms) >= deadline)) && return "$rc"
		sleep 0.05
	done
}

# $1: timeout in ms, $2: file that must exist and be non-empty
wait_file() {
	busywait "$1" test -s "$2"
}
