# shellcheck shell=bash
# The userspace path manager: a role's connections handed to it (pm_type
# 1), its events heard and its commands sent with c-samples'
# mptcp-pm-ctl (generic netlink, libmnl), built on first use. Commands
# and their results go on the timeline.

USPM_CTL=${USPM_CTL:-$MPTH_SAMPLES/mptcp-pm-ctl}

declare -gA __USPM_FD=()

# Build mptcp-pm-ctl if it is not there or older than its source (it
# needs libmnl-dev).
uspm_build() {
	[[ -x $USPM_CTL && $USPM_CTL -nt $MPTH_ROOT/c-samples/pm-ctl/mptcp-pm-ctl.c ]] && return 0
	local log
	log=$(make -C "$MPTH_ROOT/c-samples/pm-ctl" -s O="$(dirname "$USPM_CTL")" 2>&1) || {
		printf '%s\n' "$log" >&2
		log_err "building mptcp-pm-ctl failed"
		return 1
	}
}

# Hand a role's connections to the userspace path manager.
# $1: role
uspm_enable() {
	local role=$1
	# 6.15 renamed the knob; pm_type still works there.
	in_ns "$role" sysctl -qw net.mptcp.path_manager=userspace 2>/dev/null ||
		in_ns "$role" sysctl -qw net.mptcp.pm_type=1
}

# Listen to a role's MPTCP events: one JSON line each in
# traffic-pm/<role>.events. Returns once subscribed.
# $1: role
uspm_listen() {
	local role=$1 dir=$MPTH_RUN_DIR/traffic-pm
	uspm_build || return 1
	mkdir -p "$dir"
	app_start --tag pm --name "$role-listen" --stdout "$role.events.log" "$role" \
		"$USPM_CTL" listen --ready "$dir/$role.ready" || return 1
	wait_file 5000 "$dir/$role.ready" || {
		log_err "mptcp-pm-ctl listen did not start in $role:"
		sed 's/^/  pm-ctl: /' "$dir/$role-listen.log" >&2
		return 1
	}
}

# Events a role's listener has seen, as JSON lines, filtered by a jq
# condition on each event. $1: role, $2: condition (default: true)
uspm_events() {
	jq -c "select(${2:-true})" "$MPTH_RUN_DIR/traffic-pm/$1.events.log" 2>/dev/null
}

# True when a role's listener wrote something since the last call (always
# on the first): read with bash builtins, so a wait forks only when an
# event came. $1: role
__uspm_new() {
	local fd=${__USPM_FD[$1]:-} line got=1
	if [[ -z $fd ]]; then
		exec {fd}<"$MPTH_RUN_DIR/traffic-pm/$1.events.log" || return 1
		__USPM_FD[$1]=$fd
		got=0
	fi
	while IFS= read -r line <&"$fd"; do
		got=0
	done
	# A line still being written counts once it is whole.
	[[ -z $line ]] || got=0
	return "$got"
}

# $1: role, $2: condition
__uspm_seen() {
	__uspm_new "$1" && [[ -n $(uspm_events "$1" "$2") ]]
}

# Wait for an event and print the first that matches.
# $1: role, $2: jq condition (e.g. '.event == "established"'), $3: ms
uspm_wait_event() {
	busywait "${3:-5000}" __uspm_seen "$1" "$2" || return 1
	uspm_events "$1" "$2" | head -n1
}

# Send one command to a role's userspace PM; logged with its result in
# the event log. $1: role, $2...: mptcp-pm-ctl arguments
uspm_cmd() {
	local role=$1 out rc=0
	shift
	out=$(in_ns "$role" "$USPM_CTL" "$@" 2>&1) || rc=$?
	harness_event "pm-$1" "$role" "${*:2}" "-> exit $rc${out:+: $out}"
	printf '%s\t%s\t%s\n' "$*" "$rc" "$out" >>"$MPTH_RUN_DIR/traffic-pm/commands"
	return "$rc"
}
