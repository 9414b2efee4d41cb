# shellcheck shell=bash
# Background jobs for run.sh: a pool that runs commands at once and tells
# the caller when each ends (-j), and competing busy loops (--stress).
#
# The pool forks nothing while it waits: each job's wrapper writes its
# index to a FIFO when it ends, and the caller blocks on that FIFO with
# `read -t`, which doubles as a sleep that a finished job cuts short.
#
# Public: jobs_init DIR, jobs_spawn INDEX CMD..., jobs_wait TIMEOUT (fills
# JOBS_DONE, JOBS_RC), jobs_kill_tree PID, jobs_kill_all MS;
# jobs_stress_start COUNT OWNER and jobs_stress_stop (JOBS_STRESS_PIDS).

JOBS_FD=''
# Index -> pid of the job's wrapper, for jobs that are running.
declare -A JOBS_PID=()
# Index -> exit status, for jobs that have ended.
declare -A JOBS_RC=()
# Indices of the jobs that ended during the last jobs_wait.
JOBS_DONE=()
JOBS_STRESS_PIDS=()

# $1: pid. True while the process exists and is not a zombie; reads /proc
# with a builtin, so polling it costs no fork.
__jobs_alive() {
	local s
	{ read -r s <"/proc/$1/stat"; } 2>/dev/null || return 1
	s=${s##*) }
	[[ $s != Z* ]]
}

# Kill a process and all its descendants, the deepest first. $1: pid
jobs_kill_tree() {
	local child
	for child in $(pgrep -P "$1" 2>/dev/null); do
		jobs_kill_tree "$child"
	done
	kill -TERM "$1" 2>/dev/null
}

# $1: directory for the FIFO (removed with it)
jobs_init() {
	local fifo=$1/jobs.fifo
	[[ -n $JOBS_FD ]] && return 0
	mkfifo -m 0600 "$fifo" || return 1
	# Read-write: opening never blocks, and the FIFO never reads EOF.
	exec {JOBS_FD}<>"$fifo"
}

# Start a job in the background. $1: index, $2...: command (a function or
# program; its output is the caller's to redirect inside it)
jobs_spawn() {
	local idx=$1
	shift
	(
		rc=0
		"$@" {JOBS_FD}>&- || rc=$?
		printf '%s\n' "$idx" >&"$JOBS_FD"
		exit "$rc"
	) &
	JOBS_PID[$idx]=$!
}

# $1: index. Collect an ended job's status.
__jobs_reap() {
	local idx=$1 rc=0
	wait "${JOBS_PID[$idx]}" || rc=$?
	unset "JOBS_PID[$idx]"
	# shellcheck disable=SC2034 # read by lib/runner.sh
	JOBS_RC[$idx]=$rc
	JOBS_DONE+=("$idx")
}

# Wait until a job ends or the timeout passes, whichever is first; fills
# JOBS_DONE with the jobs that ended and JOBS_RC with their status.
# $1: timeout in seconds (decimal)
jobs_wait() {
	local line idx
	JOBS_DONE=()
	if read -r -t "$1" -u "$JOBS_FD" line; then
		line=${__JOBS_PART:-}$line
		__JOBS_PART=''
		while :; do
			[[ -n ${JOBS_PID[$line]:-} ]] && __jobs_reap "$line"
			read -r -t 0 -u "$JOBS_FD" || break
			read -r -u "$JOBS_FD" line || break
		done
	else
		# A timeout can strike in the middle of a line (bash reads a
		# pipe a byte at a time): keep what came for the next read.
		__JOBS_PART+=$line
	fi
	# A wrapper killed from outside writes nothing: notice it all the same.
	for idx in "${!JOBS_PID[@]}"; do
		__jobs_alive "${JOBS_PID[$idx]}" || __jobs_reap "$idx"
	done
}

__jobs_all_gone() {
	local idx
	for idx in "${!JOBS_PID[@]}"; do
		__jobs_alive "${JOBS_PID[$idx]}" && return 1
	done
	return 0
}

# Stop every running job: TERM to each job's whole tree (so bats can run
# teardown_file), then wait up to $1 ms for them to go. What is still alive
# after that is the caller's to KILL (runstate_kill_procs).
jobs_kill_all() {
	local idx
	((${#JOBS_PID[@]})) || return 0
	for idx in "${!JOBS_PID[@]}"; do
		jobs_kill_tree "${JOBS_PID[$idx]}"
	done
	busywait "${1:-3000}" __jobs_all_gone
}

# Start N busy loops that compete for the CPU for as long as the owner
# lives. Each is a child of the caller and inherits its environment
# (MPTH_RUN_ID included, so run.sh clean and the leak checks find them);
# each also ends by itself within a fraction of a second once the owner is
# gone, even if the owner was killed with SIGKILL.
# $1: count, $2: owner pid
jobs_stress_start() {
	local i
	# One line, so that ps shows it whole. It checks on its owner (a
	# zombie counts as gone) every 100000 turns.
	# shellcheck disable=SC2016 # the loop's variables belong to the inner bash
	local loop='while :; do for ((i = 0; i < 100000; i++)); do :; done; { read -r s <"/proc/$1/stat"; } 2>/dev/null || exit 0; s=${s##*) }; [[ $s != Z* ]] || exit 0; done'
	for ((i = 0; i < $1; i++)); do
		(exec -a mpth-stress bash -c "$loop" mpth-stress "$2") &
		JOBS_STRESS_PIDS+=("$!")
	done
}

# Stop the busy loops and reap them.
jobs_stress_stop() {
	local pid
	((${#JOBS_STRESS_PIDS[@]})) || return 0
	for pid in "${JOBS_STRESS_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${JOBS_STRESS_PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	JOBS_STRESS_PIDS=()
}
