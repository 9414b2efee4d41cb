# shellcheck shell=bash
# Run identity and stale-run cleanup. Every run gets a random id; its
# namespaces are named mpth-<id>-..., its temp dir /tmp/mpth-<id>.XXXXXX,
# and a marker in $MPTH_STATE_DIR/<id> records the owning process (pid and
# start time, so a recycled pid is not mistaken for the owner). Cleanup only
# ever removes what carries the prefix AND whose owner is dead.

MPTH_STATE_DIR=${MPTH_STATE_DIR:-/run/mptcp-harness}
MPTH_TMPBASE=${MPTH_TMPBASE:-${TMPDIR:-/tmp}}

# $1: pid. Prints the process start time in clock ticks since boot. Bash
# builtins only: run.sh asks this while a run streams.
__runstate_starttime() {
	local stat f
	{ IFS= read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
	stat=${stat##*) }
	# A zombie is dead, whatever its parent's delay in reaping it.
	[[ $stat != Z* ]] || return 1
	# Field 22 overall is field 20 after "pid (comm)".
	read -ra f <<<"$stat"
	[[ -n ${f[19]:-} ]] || return 1
	printf '%s\n' "${f[19]}"
}

# Start a new run owned by a process. $1: owner pid
runstate_new() {
	local owner=$1 start
	start=$(__runstate_starttime "$owner") || return 1
	[[ -d $MPTH_STATE_DIR ]] || mkdir -m 0700 "$MPTH_STATE_DIR" || {
		log_err "cannot create state directory $MPTH_STATE_DIR"
		return 1
	}
	MPTH_RUN_ID=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
	printf '%s %s\n' "$owner" "$start" >"$MPTH_STATE_DIR/$MPTH_RUN_ID"
	MPTH_TMP=$(mktemp -d "$MPTH_TMPBASE/mpth-$MPTH_RUN_ID.XXXXXX") || return 1
	export MPTH_RUN_ID MPTH_TMP
}

# Make sure a run exists (a scenario run by bats directly owns its own run,
# tied to the bats process).
runstate_ensure() {
	[[ -n "${MPTH_RUN_ID:-}" && -d "${MPTH_TMP:-}" ]] && return 0
	runstate_new "$$" || return 1
	MPTH_RUN_OWNED=1
	export MPTH_RUN_OWNED
}

# $1: run id. True if the run's owner is still alive.
runstate_alive() {
	local marker=$MPTH_STATE_DIR/$1 pid start now
	[[ -r $marker ]] || return 1
	read -r pid start <"$marker" || return 1
	now=$(__runstate_starttime "$pid") || return 1
	[[ $now == "$start" ]]
}

# Kill what runs in every namespace with a prefix, and delete them. A
# run's prefix (mpth-<id>-) takes all of the run's namespaces; a
# scenario's (mpth-<id>-<scenario>[-<iter>]-) only the names it completes
# with one word, a role (client, server, r1), never those of a scenario
# running beside it whose name it begins: failover- begins failover-mor-.
# $1: prefix
runstate_sweep_prefix() {
	local ns pids
	[[ -n $1 ]] || return 0
	for ns in $(ip netns list 2>/dev/null | awk '{ print $1 }'); do
		[[ $ns == "$1"* ]] || continue
		[[ $1 =~ ^mpth-[0-9a-f]{6}-$ || ${ns#"$1"} != *-* ]] || continue
		pids=$(ip netns pids "$ns" 2>/dev/null) || true
		# shellcheck disable=SC2086 # a list of numbers
		[[ -z $pids ]] || kill -KILL $pids 2>/dev/null || true
		ip netns del "$ns" 2>/dev/null || true
	done
}

# Kill the host-side processes of a run (an orphaned bats, its helpers):
# they carry MPTH_RUN_ID=<id> in their environment. $1: run id
runstate_kill_procs() {
	local p pid
	for pid in $(runstate_procs "$1"); do
		[[ $pid != "$$" && $pid != "$BASHPID" ]] || continue
		kill -KILL "$pid" 2>/dev/null
	done
	return 0
}

# The pids of the processes with MPTH_RUN_ID=<id> in their environment.
# Builtins only: a fork per process made each run's cleanup take seconds.
# $1: run id
runstate_procs() {
	local p env=() IFS=$'\n'
	for p in /proc/[0-9]*; do
		{ mapfile -t -d '' env <"$p/environ"; } 2>/dev/null || continue
		[[ $'\n'"${env[*]}"$'\n' == *$'\n'"MPTH_RUN_ID=$1"$'\n'* ]] && echo "${p#/proc/}"
	done
	return 0
}

# Wait until nothing of a run is left: no process carrying its id (but
# this shell) and no namespace with its prefix. What is still there is
# killed and swept again. A process killed a moment ago may still be
# exiting. Fails, naming what is left, if something outlives the
# deadline. $1: run id, $2: ms
runstate_settle() {
	local id=$1 t end pid ns left
	t=${EPOCHREALTIME/./}
	end=$((t / 1000 + $2))
	while :; do
		left=''
		for pid in $(runstate_procs "$id"); do
			[[ $pid != "$$" && $pid != "$BASHPID" ]] || continue
			kill -KILL "$pid" 2>/dev/null
			left+=" process $pid"
		done
		for ns in $(ip netns list 2>/dev/null | awk '{ print $1 }'); do
			[[ $ns == "mpth-$id-"* ]] || continue
			runstate_sweep_prefix "mpth-$id-"
			left+=" namespace $ns"
		done
		[[ -n $left ]] || return 0
		t=${EPOCHREALTIME/./}
		if ((t / 1000 > end)); then
			log_warn "run $id: still there after cleanup:$left"
			return 1
		fi
		wait_nap 0.05
	done
}

# Remove one run's leftovers. $1: run id
runstate_remove() {
	local id=$1
	[[ $id =~ ^[0-9a-f]{6}$ ]] || return 1
	runstate_kill_procs "$id"
	runstate_sweep_prefix "mpth-$id-"
	rm -rf "$MPTH_TMPBASE/mpth-$id."* 2>/dev/null
	rm -f "$MPTH_STATE_DIR/$id"
}

# Find runs whose owner is dead and remove what they left. Prints one line
# per removed run. Never touches a live run or a name without our prefix.
runstate_clean_stale() {
	local ids id ns f
	ids=$(
		for ns in $(ip netns list 2>/dev/null | awk '{ print $1 }'); do
			[[ $ns =~ ^mpth-([0-9a-f]{6})- ]] && echo "${BASH_REMATCH[1]}"
		done
		for f in "$MPTH_STATE_DIR"/* "$MPTH_TMPBASE"/mpth-*; do
			f=${f##*/}
			f=${f#mpth-}
			[[ $f =~ ^([0-9a-f]{6})(\.|$) ]] && echo "${BASH_REMATCH[1]}"
		done
	)
	while read -r id; do
		[[ -n $id && $id != "${MPTH_RUN_ID:-}" ]] || continue
		runstate_alive "$id" && continue
		runstate_remove "$id" && echo "removed stale run $id"
	done < <(sort -u <<<"$ids")
}

# End the current run: remove its namespaces, temp dir and marker.
# $1: keep temp dir (1) or not (0)
runstate_finish() {
	[[ -n "${MPTH_RUN_ID:-}" ]] || return 0
	runstate_sweep_prefix "mpth-$MPTH_RUN_ID-"
	if [[ "${1:-0}" != 1 ]]; then
		rm -rf "${MPTH_TMP:?}"
	fi
	rm -f "$MPTH_STATE_DIR/$MPTH_RUN_ID"
}
