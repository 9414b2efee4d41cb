# shellcheck shell=bash
# Deadline polling: wait for a condition instead of sleeping and hoping.
# Nothing here forks: the pauses are reads with a timeout on a pipe that
# never delivers, so a poll of bash builtins costs no process.

# Milliseconds since the epoch, from bash itself (no fork).
now_ms() {
	local t=${EPOCHREALTIME/./}
	printf '%s\n' "${t:0:-3}"
}

# Pause without forking sleep(1). $1: seconds, fractions allowed
wait_nap() {
	# A pipe we hold both ends of: nothing ever arrives, so the read
	# lasts exactly its timeout. Opened once per shell.
	if [[ -z ${__WAIT_FD:-} || ${__WAIT_FD_PID:-} != "$BASHPID" ]]; then
		exec {__WAIT_FD}<> <(:)
		__WAIT_FD_PID=$BASHPID
	fi
	read -r -t "$1" -u "$__WAIT_FD" _ || true
}

# Run a command until it succeeds or the deadline passes.
# $1: timeout in ms, $2...: command. Returns the command's last status.
busywait() {
	local timeout=$1 deadline rc t
	shift
	t=${EPOCHREALTIME/./}
	deadline=$((${t:0:-3} + timeout))
	while :; do
		"$@" && return 0
		rc=$?
		t=${EPOCHREALTIME/./}
		((${t:0:-3} >= deadline)) && return "$rc"
		wait_nap 0.05
	done
}

# True once a process has exited: gone, or a zombie not yet reaped (a
# process started in setup_file is no child of the shell that waits for it
# in teardown_file). Builtins only. $1: pid
wait_pid_gone() {
	local st
	{ read -r st <"/proc/$1/stat"; } 2>/dev/null || return 0
	st=${st##*) }
	[[ ${st%% *} == Z ]]
}

# $1: timeout in ms, $2: file that must exist and be non-empty
wait_file() {
	busywait "$1" test -s "$2"
}
