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

# Start `ip mptcp monitor` in a role's namespace; its events (subflow
# established, closed, announced...) land in the artifacts. $1: role
obs_monitor_start() {
	feat_have mptcp_monitor || return 0
	in_ns_bg "$1" ip mptcp monitor >"$MPTH_ART_DIR/monitor-$1.log" 2>&1 3>&-
	defer kill "$BG_PID"
}

# Sample every router's byte counters every 50 ms, from inside its
# namespace, with bash builtins only (a fork per sample would load the
# machine). Lines: epoch_ms up_bytes down_bytes. Runs until the namespace
# goes. $1: path index
__obs_sampler() {
	local dir=$MPTH_RUN_DIR/samples
	mkdir -p "$dir"
	# shellcheck disable=SC2016 # expanded by the inner bash
	ip netns exec "$(topo_ns "r$1")" bash -c '
		exec 9<> <(:)
		while :; do
			read -r up </sys/class/net/s/statistics/tx_bytes || exit
			read -r down </sys/class/net/c/statistics/tx_bytes || exit
			t=${EPOCHREALTIME/./}
			printf "%s %s %s\n" "${t:0:-3}" "$up" "$down"
			read -r -t 0.05 -u 9 _
		done' >"$dir/p$1" 2>/dev/null 3>&- &
	defer kill "$!"
}

# Start the per-path samplers once per scenario.
obs_samplers_start() {
	local i
	[[ ! -e $MPTH_RUN_DIR/samples ]] || return 0
	for ((i = 1; i <= TOPO_PATHS; i++)); do
		__obs_sampler "$i"
	done
}

# Header-only capture on each path's server-side router interface, size
# bounded, when MPTH_CAPTURE=1 (run.sh --capture).
obs_capture_start() {
	local i
	[[ "${MPTH_CAPTURE:-0}" == 1 ]] || return 0
	feat_have tcpdump || {
		harness_note "capture skipped: $FEAT_REASON"
		return 0
	}
	for ((i = 1; i <= TOPO_PATHS; i++)); do
		# 128 bytes per packet hold every TCP option; 20 MB a path at most.
		# -Z root: tcpdump would drop to its own user, who cannot write
		# into the private artifacts directory.
		in_ns_bg "r$i" tcpdump -Z root -i s -s 128 -U -C 20 -W 1 -w "$MPTH_ART_DIR/path$i.pcap" \
			tcp >/dev/null 2>&1 3>&-
		defer kill "$BG_PID"
	done
}

# Baseline of every namespace's MIB counters, for the deltas at the end.
obs_mib_baseline() {
	local role
	while read -r role; do
		obs_mib_save "$role" "$MPTH_RUN_DIR/mib-base-$role"
	done <"$MPTH_RUN_DIR/roles"
}

# Write each namespace's MPTCP and TCP counter deltas to the artifacts.
obs_mib_deltas() {
	local role
	while read -r role; do
		[[ -s $MPTH_RUN_DIR/mib-base-$role ]] || continue
		obs_mib_delta "$role" "$MPTH_RUN_DIR/mib-base-$role" \
			>"$MPTH_ART_DIR/nstat-$role.txt" 2>/dev/null
	done <"$MPTH_RUN_DIR/roles"
}

# Everything that watches a topology, once it is built.
obs_start() {
	obs_mib_baseline
	obs_monitor_start client
	obs_monitor_start server
	obs_samplers_start
	obs_capture_start
}
