# shellcheck shell=bash
# Deadline polling: wait for a condition instead of sleeping and hoping.
# Nothing here forks: the pauses are reads with a timeout on a pipe that
# never delivers, so a poll of bash builtins costs no process.

# Milliseconds since the epoch, from bash itself (no fork).
now_ms() {
	local t=${EPOCHREALTIME/./}
	printf '%s\n' "${t:0:-3}"
}

# Like now_ms, into a variable (no subshell). $1: variable
now_ms_to() {
	local __t=${EPOCHREALTIME/./}
	printf -v "$1" '%s' "${__t:0:-3}"
}

# Pause without forking sleep(1). $1: seconds, fractions allowed
wait_nap() {
	# A pipe we hold both ends of: nothing arrives unless we write it,
	# so the read lasts exactly its timeout.
	__wait_fd
	read -r -t "$1" -u "$__WAIT_FD" _ || true
}

# The pipe of wait_nap, opened once per shell.
__wait_fd() {
	if [[ -z ${__WAIT_FD:-} || ${__WAIT_FD_PID:-} != "$BASHPID" ]]; then
		exec {__WAIT_FD}<> <(:)
		__WAIT_FD_PID=$BASHPID
	fi
}

# Run a command with the shell's DEBUG trap off, and put the trap back
# after. Bats keeps one (set -T) that runs before every simple command,
# in every function: a loop of builtins runs a hundred times slower under
# it (20000 iterations: 11 s in a Bats test, 0.1 s with the trap off).
# No fork: the trap is read back through wait_nap's pipe. A failure under
# set -e ends the shell as it would without this; otherwise the command's
# status is returned. Only for code whose failures carry their own
# message (Bats' stack trace inside it is lost). $@: command
wait_untraced() {
	# Every command before "trap -" pays for the trap (a millisecond
	# each): the pipe is checked, then the trap's text is saved and the
	# trap removed in one group, and only then is anything else done.
	[[ ${__WAIT_FD_PID:-} == "$BASHPID" ]] || __wait_fd
	{
		trap -p DEBUG
		trap - DEBUG
		printf '%s\n' '#end'
	} >&"$__WAIT_FD"
	local __wu_trap='' __wu_line __wu_rc=0
	while IFS= read -r -u "$__WAIT_FD" __wu_line && [[ $__wu_line != '#end' ]]; do
		__wu_trap+=$__wu_line$'\n'
	done
	if [[ -z $__wu_trap ]]; then
		"$@"
		return
	fi
	# Not "|| rc=$?": that would turn set -e off inside the command.
	"$@"
	__wu_rc=$?
	eval "$__wu_trap"
	return "$__wu_rc"
}

# Run a command until it succeeds or the deadline passes (with the DEBUG
# trap off: see wait_untraced). $1: timeout in ms, $2...: command.
# Returns the command's last status.
busywait() {
	wait_untraced __busywait "$@"
}

__busywait() {
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
