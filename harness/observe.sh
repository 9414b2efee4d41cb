# shellcheck shell=bash
# Observation: MIB counters (nstat), ss -M, per-path byte counters on the
# routers, and state dumps into the artifacts directory.

# Absolute value of a MIB counter in a role's namespace. $1: role, $2: name
obs_mib() {
	local v
	# -a absolute, -s leave no history, -z print zeros; a private history
	# file keeps nstat away from the one in the user's home.
	v=$(in_ns "$1" env NSTAT_HISTORY="$MPTH_RUN_DIR/nstat.hist" \
		nstat -asz "$2" 2>/dev/null | awk -v n="$2" '$1 == n { print $2 }')
	printf '%s\n' "${v:-0}"
}

# Snapshot counters of a role into a file, for deltas. $1: role, $2: file
obs_mib_save() {
	in_ns "$1" env NSTAT_HISTORY="$MPTH_RUN_DIR/nstat.hist" nstat -asz \
		2>/dev/null | awk '/^(MPTcp|Tcp)/ { print $1, $2 }' >"$2"
}

# Counter deltas between a saved snapshot and now, non-zero only.
# $1: role, $2: saved file
obs_mib_delta() {
	local now
	now=$(mktemp "$MPTH_RUN_DIR/mib.XXXXXX")
	obs_mib_save "$1" "$now"
	awk 'NR == FNR { a[$1] = $2; next } $2 - a[$1] != 0 { print $1, $2 - a[$1] }' \
		"$2" "$now"
	rm -f "$now"
}

# Number of subflows of MPTCP connections in a role's namespace, by
# counting the TCP sockets that carry the mptcp ULP. $1: role, $2: port
obs_ss_subflows() {
	in_ns "$1" ss -tniH state established "( dport = :$2 or sport = :$2 )" 2>/dev/null |
		grep -c 'tcp-ulp-mptcp'
}

# The extra-subflow count ss -M reports for the connection (joins), plus
# the initial one. $1: role, $2: port
obs_ssm_subflows() {
	local n
	n=$(in_ns "$1" ss -HMni "( dport = :$2 or sport = :$2 )" 2>/dev/null |
		grep -o 'subflows:[0-9]*' | head -n1 | cut -d: -f2)
	echo $((${n:-0} + 1))
}

# Bytes a router has sent on a path, in one direction.
# $1: path, $2: up (client to server) or down
obs_path_bytes() {
	local dev=s
	[[ ${2:-up} == down ]] && dev=c
	ip -n "$(topo_ns "r$1")" -s -j link show dev "$dev" 2>/dev/null |
		jq -r '.[0].stats64.tx.bytes // 0'
}

# Dump the state of every namespace of the scenario. $1: label
obs_snapshot() {
	local label=$1 role out
	out=$MPTH_ART_DIR/state-$label.txt
	{
		while read -r role; do
			printf '=== %s (%s)\n' "$role" "$(topo_ns "$role")"
			in_ns "$role" ss -Menita 2>&1
			in_ns "$role" ip mptcp endpoint show 2>&1
			in_ns "$role" ip mptcp limits show 2>&1
		done <"$MPTH_RUN_DIR/roles"
	} >"$out" 2>&1
}

# Everything a reader of a failure needs, to stderr and the artifacts.
obs_failure_dump() {
	local role f=$MPTH_ART_DIR/failure-dump.txt
	{
		printf '### state at failure (%s)\n' "$MPTH_SCENARIO"
		while read -r role; do
			printf '=== %s: ss -Menita\n' "$role"
			in_ns "$role" ss -Menita 2>&1
			printf '=== %s: MPTCP counters\n' "$role"
			in_ns "$role" env NSTAT_HISTORY="$MPTH_RUN_DIR/nstat.hist" nstat -as 2>/dev/null |
				grep -E '^MPTcp' || true
		done <"$MPTH_RUN_DIR/roles"
		[[ ! -s $MPTH_RUN_DIR/events ]] || {
			echo '=== events'
			cat "$MPTH_RUN_DIR/events"
		}
	} >"$f" 2>&1
	sed 's/^/# /' "$f" >&2
}
