# shellcheck shell=bash
# Observation: MIB counters (nstat), ss -M, per-path byte counters on the
# routers, nft counters, text captures (tcpdump), and state dumps into the
# artifacts directory.
#
# Counter changes are taken one way: obs_mib_mark TAG before, obs_mib_record
# TAG after (the deltas become facts), obs_mib_of TAG ROLE COUNTER to read
# one, which tells an absent counter from 0. Path bytes likewise:
# obs_paths_mark / obs_paths_record.

# A role's MIB counters come from its anchor's /proc/PID/net/{snmp,
# netstat,snmp6}, the namespace's own, with bash builtins only: no fork, no
# namespace to enter. Names are nstat's: the section and the field
# (TcpExtTCPTimeouts, MPTcpExtMPJoinSynAckRx). mapfile reads a file whole,
# as one snapshot: a `read` per line would seek back, and a seek makes
# /proc render the file anew, possibly mid-line. nstat leaves out a few
# settings that are not counters; so do these.
__OBS_MIB_SKIP=' IpForwarding IpDefaultTTL TcpRtoAlgorithm TcpRtoMin TcpRtoMax TcpMaxConn TcpCurrEstab '
# Test hook: MPTH_MIB_ABSENT="MPTcpExtAddAddrTx ..." makes these counters
# absent, as on a kernel older than they are (the self-tests' way to prove
# that a check on a missing counter skips, rather than passes or fails).
__OBS_MIB_ABSENT=" ${MPTH_MIB_ABSENT:-} "

# One counter into __OBS_MIB_VALUE. Status 0 found, 1 absent, 2 no anchor
# (the caller falls back to nstat). $1: role, $2: name
__obs_mib_find() {
	local want=$2 dir f i prefix before
	local -a lines names vals
	__OBS_MIB_VALUE=''
	topo_anchor "$1" || return 2
	[[ $__OBS_MIB_SKIP != *" $want "* && $__OBS_MIB_ABSENT != *" $want "* ]] || return 1
	dir=/proc/$TOPO_ANCHOR/net
	for f in snmp netstat; do
		mapfile -t lines <"$dir/$f" 2>/dev/null || return 2
		# Pairs of lines: "Prefix: name name ..." then "Prefix: v v ...".
		for ((i = 0; i + 1 < ${#lines[@]}; i += 2)); do
			prefix=${lines[i]%%:*}
			[[ $want == "$prefix"?* && "${lines[i]} " == *" ${want#"$prefix"} "* ]] || continue
			# The field's position is the number of words before it.
			before="${lines[i]} "
			before=${before%% "${want#"$prefix"}" *}
			# shellcheck disable=SC2206 # words of numbers and names, no globs
			names=($before) vals=(${lines[i + 1]})
			__OBS_MIB_VALUE=${vals[${#names[@]}]}
			return 0
		done
	done
	# snmp6: one "name value" per line.
	[[ $want == @(Ip6|Icmp6|Udp6|UdpLite6)* ]] || return 1
	mapfile -t lines <"$dir/snmp6" 2>/dev/null || return 1
	for f in "${lines[@]}"; do
		[[ $f == "$want"[[:space:]]* ]] || continue
		__OBS_MIB_VALUE=${f##*[[:space:]]}
		return 0
	done
	return 1
}

# The Tcp* and MPTcp* counters of a role (what __obs_mib_snapshot keeps), in
# nstat's order, into __OBS_MIBN (names) and __OBS_MIBV (values, same
# index). Fails when the role has no anchor. $1: role
__obs_mib_load() {
	local dir f i k prefix
	local -a lines names vals
	topo_anchor "$1" || return 1
	dir=/proc/$TOPO_ANCHOR/net
	__OBS_MIBN=() __OBS_MIBV=()
	for f in snmp netstat; do
		mapfile -t lines <"$dir/$f" 2>/dev/null || return 1
		for ((i = 0; i + 1 < ${#lines[@]}; i += 2)); do
			prefix=${lines[i]%%:*}
			[[ $prefix == Tcp* || $prefix == MPTcp* ]] || continue
			# shellcheck disable=SC2206 # words of numbers and names, no globs
			names=(${lines[i]}) vals=(${lines[i + 1]})
			if [[ $prefix == Tcp ]]; then
				for ((k = 1; k < ${#names[@]}; k++)); do
					[[ $__OBS_MIB_SKIP == *" Tcp${names[k]} "* ]] && continue
					__OBS_MIBN+=("Tcp${names[k]}")
					__OBS_MIBV+=("${vals[k]}")
				done
				continue
			fi
			# A whole section at once: every name gets its prefix.
			names=("${names[@]:1}")
			if [[ $__OBS_MIB_ABSENT == '  ' ]]; then
				__OBS_MIBN+=("${names[@]/#/$prefix}")
				__OBS_MIBV+=("${vals[@]:1}")
				continue
			fi
			for ((k = 0; k < ${#names[@]}; k++)); do
				[[ $__OBS_MIB_ABSENT == *" $prefix${names[k]} "* ]] && continue
				__OBS_MIBN+=("$prefix${names[k]}")
				__OBS_MIBV+=("${vals[k + 1]}")
			done
		done
	done
}

# The old way, for a namespace without an anchor (made by hand): -a
# absolute, -s leave no history, -z print zeros; a private history file
# keeps nstat away from the one in the user's home. $1: role
__obs_nstat() {
	in_ns "$1" env NSTAT_HISTORY="$MPTH_RUN_DIR/nstat.hist" nstat -asz 2>/dev/null
}

# The DSS mappings a role's kernel has rejected, summed over the counters
# it has (their names changed over the kernels), into
# OBS_DSS_REJECTED. No fork. $1: role
obs_dss_rejected() {
	local c
	OBS_DSS_REJECTED=0
	for c in DSSNotMatching DSSNoMatchTCP DSSCorruptionReset; do
		__obs_mib_find "$1" "MPTcpExt$c" ||
			continue
		OBS_DSS_REJECTED=$((OBS_DSS_REJECTED + __OBS_MIB_VALUE))
	done
}

# The DSS mappings a role's kernel rejected since a traffic run began
# (traffic_start records where it started), into OBS_DSS_MOVED; true if
# any. $1: tag, $2: role
obs_dss_rejected_since() {
	local base
	fact_var base "$1.dss_rejected0.$2" || base=0
	obs_dss_rejected "$2"
	OBS_DSS_MOVED=$((OBS_DSS_REJECTED - base))
	((OBS_DSS_MOVED > 0))
}

# Absolute value of a MIB counter in a role's namespace; 0 when the
# kernel has no such counter (obs_mib_has tells the two apart).
# $1: role, $2: name
obs_mib() {
	local v
	__obs_mib_find "$1" "$2"
	case $? in
	0) printf '%s\n' "$__OBS_MIB_VALUE" ;;
	1) echo 0 ;;
	*)
		v=$(__obs_nstat "$1" | awk -v n="$2" '$1 == n { print $2 }')
		printf '%s\n' "${v:-0}"
		;;
	esac
}

# A role's MIB counter into a variable, builtins only (a wait may read it
# while a transfer is live); status 1 when the kernel has no such counter
# or the role no anchor. $1: variable, $2: role, $3: name
obs_mib_to() {
	__obs_mib_find "$2" "$3" || return 1
	printf -v "$1" '%s' "$__OBS_MIB_VALUE"
}

# True when the kernel has this MIB counter in a role's namespace (a
# counter newer than the kernel reads as 0 in obs_mib). $1: role, $2: name
obs_mib_has() {
	__obs_mib_find "$1" "$2"
	case $? in
	0) return 0 ;;
	1) return 1 ;;
	esac
	__obs_nstat "$1" | awk -v n="$2" '$1 == n { f = 1 } END { exit !f }'
}

# Snapshot counters of a role into a file, for deltas. $1: role, $2: file
__obs_mib_snapshot() {
	wait_untraced __obs_mib_save "$@"
}

__obs_mib_save() {
	local k out=''
	if __obs_mib_load "$1"; then
		for k in "${!__OBS_MIBN[@]}"; do
			out+="${__OBS_MIBN[k]} ${__OBS_MIBV[k]}"$'\n'
		done
		printf '%s' "$out" >"$2"
		return
	fi
	__obs_nstat "$1" | awk -v absent="$__OBS_MIB_ABSENT" '
		/^(MPTcp|Tcp)/ && index(absent, " " $1 " ") == 0 { print $1, $2 }' >"$2"
}

# Counter deltas between a saved snapshot and now, non-zero only.
# $1: role, $2: saved file
__obs_mib_changes() {
	wait_untraced __obs_mib_delta "$@"
}

__obs_mib_delta() {
	local now k v name line out=''
	local -a saved
	local -A old=()
	if __obs_mib_load "$1"; then
		mapfile -t saved <"$2"
		for k in "${!__OBS_MIBN[@]}"; do
			name=${__OBS_MIBN[k]} line=${saved[k]:-}
			# The same kernel lists the same counters in the same
			# order: most lines are found at their own index, and
			# most are unchanged.
			[[ $line != "$name ${__OBS_MIBV[k]}" ]] || continue
			if [[ ${line%% *} == "$name" ]]; then
				v=${line#* }
			else
				if ((${#old[@]} == 0)); then
					for line in "${saved[@]}"; do
						old[${line%% *}]=${line#* }
					done
				fi
				v=${old[$name]:-0}
			fi
			v=$((__OBS_MIBV[k] - v))
			((v == 0)) || out+="$name $v"$'\n'
		done
		printf '%s' "$out"
		return
	fi
	now=$(mktemp "$MPTH_RUN_DIR/mib.XXXXXX")
	__obs_mib_snapshot "$1" "$now"
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

# Packets router i's shaper dropped in one direction, its queue full: a
# signal one of them carried (RM_ADDR, MP_PRIO go once) is lost for good.
# $1: path, $2: up (client to server) or down
obs_shaper_drops() {
	local dev=s
	[[ ${2:-up} == down ]] && dev=c
	tc -n "$(topo_ns "r$1")" -s -j qdisc show dev "$dev" 2>/dev/null |
		jq -r '[.[].drops // 0] | add // 0'
}

# Packets the routers' shapers have dropped so far, both ways, every path:
# taken before and after a case whose checks count such signals.
# $1: variable
obs_shaper_drops_to() {
	local __i __n __sum=0
	for ((__i = 1; __i <= TOPO_PATHS; __i++)); do
		__n=$(obs_shaper_drops "$__i" up) && __sum=$((__sum + __n))
		__n=$(obs_shaper_drops "$__i" down) && __sum=$((__sum + __n))
	done
	printf -v "$1" '%s' "$__sum"
}

# Dump the state of every namespace of the scenario. $1: label
obs_snapshot() {
	local label=$1 role out ns
	out=$MPTH_ART_DIR/state-$label.txt
	{
		while read -r role; do
			# Routers forward; they hold no socket and no endpoint.
			[[ $role == client || $role == server ]] || continue
			topo_ns_to ns "$role"
			printf '=== %s (%s)\n' "$role" "$ns"
			# ss needs no /sys: nsenter spares ip netns exec's mount
			# namespace; one ip for endpoints and limits.
			nsenter --net="/run/netns/$ns" ss -Menita 2>&1
			ip -n "$ns" -batch - <<<$'mptcp endpoint show\nmptcp limits show' 2>&1
		done <"$MPTH_RUN_DIR/roles"
	} >"$out" 2>&1
}

# A subflow the client shut down whose server side still sends, from a
# snapshot (obs_snapshot): on the client a tcp subflow in FIN-WAIT-2 with
# bytes waiting in its receive queue that the MPTCP socket never takes,
# on the server that subflow's other end in CLOSE-WAIT with bytes unsent.
# The data is acked at the TCP level and never at the MPTCP level, and
# nothing moves it to another subflow: the connection cannot complete.
# Sets OBS_STUCK (what was seen, in words). $1: the snapshot's label
obs_stuck_half_closed() {
	local f=$MPTH_ART_DIR/state-$1.txt line role='' w a p k
	local -A fin=() cw=()
	# shellcheck disable=SC2034 # read by assert_closed_cleanly (assert.sh)
	OBS_STUCK=''
	[[ -r $f ]] || return 1
	while IFS= read -r line; do
		if [[ $line == '=== '* ]]; then
			read -r _ role _ <<<"$line"
			continue
		fi
		[[ $line == tcp* ]] || continue
		read -ra w <<<"$line"
		((${#w[@]} >= 6)) || continue
		# Addresses as "a.b.c.d:port": no v4-mapped brackets, no %dev.
		for k in 4 5; do
			a=${w[k]#"[::ffff:"}
			a=${a/]/}
			[[ $a != *%* ]] || a=${a%%\%*}:${a##*:}
			w[k]=$a
		done
		if [[ $role == client && ${w[1]} == FIN-WAIT-2 ]] && ((w[2] > 0)); then
			fin[${w[4]}]=${w[2]}
		elif [[ $role == server && ${w[1]} == CLOSE-WAIT ]] && ((w[3] > 0)); then
			cw[${w[5]}]=${w[3]}
		fi
	done <"$f"
	for p in "${!fin[@]}"; do
		[[ -n ${cw[$p]:-} ]] || continue
		# shellcheck disable=SC2034 # read by assert_closed_cleanly
		OBS_STUCK="the client's subflow $p is shut down (FIN-WAIT-2) with ${fin[$p]} bytes received that its MPTCP socket never took; its server end (CLOSE-WAIT) holds ${cw[$p]} bytes the MPTCP level never saw acked, and sends them on that subflow alone"
		return 0
	done
	return 1
}

# Everything a reader of a failure needs, to stderr and the artifacts.
obs_failure_dump() {
	local role gone f=$MPTH_ART_DIR/failure-dump.txt
	{
		printf '### state at failure (%s)\n' "$MPTH_SCENARIO"
		gone=$(topo_vanished)
		[[ -z $gone ]] || printf '!!! namespaces deleted from outside the harness during the run: %s\n' "${gone//$'\n'/ }"
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
# established, closed, announced...) land in the artifacts. `ip -n` enters
# the namespace itself: one exec, where ip netns exec would be two.
# $1: role
obs_monitor_start() {
	local ns
	# Asked once per process: a cached feat_have still forks.
	if [[ -z ${__OBS_HAVE_MONITOR:-} ]]; then
		__OBS_HAVE_MONITOR=0
		feat_have mptcp_monitor && __OBS_HAVE_MONITOR=1
	fi
	((__OBS_HAVE_MONITOR)) || return 0
	topo_ns_to ns "$1"
	ip -n "$ns" mptcp monitor >>"$MPTH_ART_DIR/monitor-$1.log" 2>&1 3>&- &
	__OBS_MONITOR_PID[$1]=$!
	defer obs_monitor_stop "$1"
}

declare -gA __OBS_MONITOR_PID=()

# Stop a role's ip mptcp monitor (obs_monitor_start starts it again). A
# running monitor listens to the MPTCP netlink events, and the kernel
# takes any such listener for a userspace path manager's daemon: a case
# that wants the userspace PM without one stops it first. $1: role
obs_monitor_stop() {
	local pid=${__OBS_MONITOR_PID[$1]:-}
	[[ -n $pid ]] || return 0
	__OBS_MONITOR_PID[$1]=''
	kill "$pid" 2>/dev/null || return 0
	wait "$pid" 2>/dev/null || :
}

# Sample every router's byte counters every 50 ms, with bash builtins only
# (a fork per sample would load the machine): one process for all paths,
# reading each router's /proc/<anchor>/net/dev, the same counters as
# /sys/class/net/*/statistics but with no need to enter the namespace (and
# remount /sys) per router. Lines in samples/p<i>: epoch_ms up_bytes
# down_bytes (the router's tx on s, and on c). Ends when a router's anchor
# goes (its namespace is deleted) or at the undo.
__obs_sampler() {
	local dir=$MPTH_RUN_DIR/samples i
	local -a anchor=()
	mkdir -p "$dir"
	for ((i = 1; i <= TOPO_PATHS; i++)); do
		topo_anchor "r$i" || {
			log_err "samplers: router $i has no anchor"
			return 1
		}
		anchor[i]=$TOPO_ANCHOR
	done
	(
		local fd line name t up down
		local -a out=() lines f
		# A subshell inherits the caller's set -e (a read that times
		# out would end the loop) and, under bats (set -ET), its DEBUG
		# and ERR traps, which would run for every command.
		trap - ERR DEBUG RETURN
		set +eETu
		for ((i = 1; i <= TOPO_PATHS; i++)); do
			exec {fd}>"$dir/p$i"
			out[i]=$fd
		done
		# A pipe nobody writes to: read -t on it sleeps without a fork.
		exec 9<> <(:)
		while :; do
			for ((i = 1; i <= TOPO_PATHS; i++)); do
				mapfile -t lines <"/proc/${anchor[i]}/net/dev" || exit
				up='' down=''
				# "  name: rx_bytes ... (8 rx fields) tx_bytes ..."
				for line in "${lines[@]:2}"; do
					name=${line%%:*}
					name=${name##* }
					[[ $name == [cs] ]] || continue
					# shellcheck disable=SC2206 # numbers only: no glob
					f=(${line#*:})
					if [[ $name == s ]]; then up=${f[8]}; else down=${f[8]}; fi
				done
				[[ -n $up && -n $down ]] || exit
				t=${EPOCHREALTIME/./}
				printf '%s %s %s\n' "${t:0:-3}" "$up" "$down" >&"${out[i]}"
			done
			read -r -t 0.05 -u 9 _ || :
		done
	) </dev/null >/dev/null 2>&1 3>&- &
	defer kill "$!"
}

# Start the per-path samplers once per scenario.
obs_samplers_start() {
	[[ ! -e $MPTH_RUN_DIR/samples ]] || return 0
	__obs_sampler
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
		__obs_mib_snapshot "$role" "$MPTH_RUN_DIR/mib-base-$role"
	done <"$MPTH_RUN_DIR/roles"
}

# Write each namespace's MPTCP and TCP counter deltas to the artifacts.
obs_mib_deltas() {
	local role
	while read -r role; do
		[[ -s $MPTH_RUN_DIR/mib-base-$role ]] || continue
		__obs_mib_changes "$role" "$MPTH_RUN_DIR/mib-base-$role" \
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

# --- figures read at a moment, from the path samplers' timestamped lines

# Bytes a router had forwarded by a moment, interpolated between the two
# samples around it (the samplers write "epoch_ms up down" every 50 ms).
# Prints nothing when the samples do not cover the moment.
# $1: path, $2: up|down|both, $3: epoch ms
obs_path_bytes_at() {
	awk -v t="$3" -v dir="$2" '
		function v() { return dir == "up" ? $2 : dir == "down" ? $3 : $2 + $3 }
		$1 <= t { t0 = $1; v0 = v(); have = 1; next }
		have { t1 = $1; v1 = v(); if (t1 == t0) { print v0 } else { printf "%d\n", v0 + (v1 - v0) * (t - t0) / (t1 - t0) }; done = 1; exit }
		END { if (have && !done) print v0 }' "$MPTH_RUN_DIR/samples/p$1" 2>/dev/null
}

# The direction(s) a mode's payload takes on a path. $1: upload|download|bidir
obs_mode_dir() {
	case $1 in
	download) echo down ;;
	bidir) echo both ;;
	*) echo up ;;
	esac
}

# --- subflows by `ip mptcp monitor`, read as its log grows (no fork)

declare -gA __OBS_MON_FD=() __OBS_MON_PART=() __OBS_MON_SF=() __OBS_MON_PORTS=()

# Fold one monitor line: per connection (token), its ports and how many
# subflows are established. $1: role, $2: line
__obs_monitor_fold() {
	local role=$1 w ev tok='' sport='' dport='' k
	read -ra w <<<"${2//[][]/ }"
	ev=${w[0]:-}
	for k in "${w[@]:1}"; do
		case $k in
		token=*) tok=${k#token=} ;;
		sport=*) sport=${k#sport=} ;;
		dport=*) dport=${k#dport=} ;;
		esac
	done
	[[ -n $tok ]] || return 0
	k=$role.$tok
	case $ev in
	CREATED) __OBS_MON_PORTS[$k]=" $sport $dport " __OBS_MON_SF[$k]=0 ;;
	ESTABLISHED) __OBS_MON_PORTS[$k]=" $sport $dport " __OBS_MON_SF[$k]=1 ;;
	SF_ESTABLISHED) __OBS_MON_SF[$k]=$((${__OBS_MON_SF[$k]:-0} + 1)) ;;
	SF_CLOSED) __OBS_MON_SF[$k]=$((${__OBS_MON_SF[$k]:-1} - 1)) ;;
	CLOSED) __OBS_MON_SF[$k]=0 ;;
	esac
}

# Read what the monitor of a role wrote since the last call. $1: role
__obs_monitor_read() {
	local role=$1 fd line
	fd=${__OBS_MON_FD[$role]:-}
	if [[ -z $fd ]]; then
		[[ -r $MPTH_ART_DIR/monitor-$role.log ]] || return 1
		exec {fd}<"$MPTH_ART_DIR/monitor-$role.log"
		__OBS_MON_FD[$role]=$fd
	fi
	while :; do
		if IFS= read -r line <&"$fd"; then
			line=${__OBS_MON_PART[$role]:-}$line
			__OBS_MON_PART[$role]=''
			__obs_monitor_fold "$role" "$line"
		else
			# A line still being written: keep its start.
			__OBS_MON_PART[$role]+=$line
			return 0
		fi
	done
}

# Established subflows of a role's connection on a port, by its monitor.
# Sets OBS_MON_SUBFLOWS (the most over connections on that port).
# $1: role, $2: port
obs_monitor_subflows() {
	wait_untraced __obs_monitor_subflows "$@"
}

__obs_monitor_subflows() {
	local k n=0
	__obs_monitor_read "$1" || return 1
	for k in "${!__OBS_MON_PORTS[@]}"; do
		[[ $k == "$1".* && ${__OBS_MON_PORTS[$k]} == *" $2 "* ]] || continue
		((${__OBS_MON_SF[$k]:-0} > n)) && n=${__OBS_MON_SF[$k]}
	done
	# shellcheck disable=SC2034 # the result, read by the caller
	OBS_MON_SUBFLOWS=$n
}

# $1: role, $2: port, $3: count
__obs_monitor_has() {
	obs_monitor_subflows "$1" "$2" && ((OBS_MON_SUBFLOWS >= $3))
}

# True when a role's monitor counts at most N live subflows of the
# connection on a port (also when it never saw it). Builtins only.
# $1: role, $2: port, $3: N
obs_monitor_at_most() {
	obs_monitor_subflows "$1" "$2" || return 0
	((OBS_MON_SUBFLOWS <= $3))
}

# Wait until a role's connection on a port has at least N established
# subflows, by `ip mptcp monitor` (any program's connection, not only our
# samples'); polls the monitor's log with bash builtins only. Without the
# monitor, falls back to ss -M. $1: role, $2: port, $3: N, $4: timeout ms
obs_monitor_wait_subflows() {
	if feat_have mptcp_monitor && [[ -r $MPTH_ART_DIR/monitor-$1.log ]]; then
		busywait "${4:-3000}" __obs_monitor_has "$1" "$2" "$3"
	else
		busywait "${4:-3000}" app_ssm_reached "$1" "$2" "$3"
	fi
}

# --- any program's traffic, from the path samplers

declare -gA __OBS_PB_FD=() __OBS_PB_FIRST=() __OBS_PB_LAST=() __OBS_PB_PART=()

# Read what the samplers wrote since the last call; keeps, per path, the
# first and the latest "up down" byte pair. A line still being written
# is kept for the next call, as __obs_monitor_read does. Builtins only.
__obs_paths_read() {
	local i fd line
	for ((i = 1; i <= TOPO_PATHS; i++)); do
		fd=${__OBS_PB_FD[$i]:-}
		if [[ -z $fd ]]; then
			[[ -r $MPTH_RUN_DIR/samples/p$i ]] || return 1
			exec {fd}<"$MPTH_RUN_DIR/samples/p$i"
			__OBS_PB_FD[$i]=$fd
		fi
		while :; do
			if ! IFS= read -r line <&"$fd"; then
				__OBS_PB_PART[$i]+=$line
				break
			fi
			line=${__OBS_PB_PART[$i]:-}$line
			__OBS_PB_PART[$i]=''
			[[ $line == *' '*' '* ]] || continue
			line=${line#* }
			[[ -n ${__OBS_PB_FIRST[$i]:-} ]] || __OBS_PB_FIRST[$i]=$line
			__OBS_PB_LAST[$i]=$line
		done
	done
}

# True once path I's router has forwarded at least N bytes in a direction
# (its counter, as the sampler last wrote it). Builtins only: a condition
# for busywait while a transfer runs. $1: path, $2: up|down, $3: bytes
obs_path_forwarded_at_least() {
	local up down
	__obs_paths_read || return 1
	read -r up down <<<"${__OBS_PB_LAST[$1]:-0 0}"
	[[ $2 == down ]] && up=$down
	((up >= $3))
}

# Bytes the routers forwarded, both directions and all paths, since the
# first call or obs_paths_baseline (which take the baseline). Builtins only.
# Sets OBS_PATHS_MOVED.
obs_paths_moved() {
	wait_untraced __obs_paths_moved
}

__obs_paths_moved() {
	local i a b n=0
	__obs_paths_read || return 1
	for ((i = 1; i <= TOPO_PATHS; i++)); do
		read -r a b <<<"${__OBS_PB_FIRST[$i]:-0 0}"
		n=$((n - a - b))
		read -r a b <<<"${__OBS_PB_LAST[$i]:-0 0}"
		n=$((n + a + b))
	done
	# shellcheck disable=SC2034 # the result, read by the caller
	OBS_PATHS_MOVED=$n
}

# Take the baseline of obs_paths_moved anew: it counts from now.
obs_paths_baseline() {
	wait_untraced __obs_paths_baseline
}

__obs_paths_baseline() {
	local i
	__obs_paths_read || return 1
	for ((i = 1; i <= TOPO_PATHS; i++)); do
		__OBS_PB_FIRST[$i]=${__OBS_PB_LAST[$i]:-}
	done
}

# After a run (it forks awk): figures of the traffic the paths carried in
# its main direction, the one that moved more bytes. Prints
# "dir outage_ms recovery_ms" then one line per path, "i bytes during
# after":
# dir is up or down; outage_ms the longest stretch after the fault (or
# after the start, when no fault: $1 is 0) in which all paths together
# moved less than 3000 bytes per 50 ms sample; recovery_ms the time from
# the fault until a 200 ms window at half of $2 bit/s ("none" if never,
# "-" without a fault); bytes, during and after, the path's bytes in
# that direction over the run, from the fault to the restore, and from
# the restore on.
# A stall still going on when the program ended counts up to its end.
# $1: fault epoch ms (0: none), $2: one path's rate in bit/s, $3: epoch
# ms at which the program ended, $4: restore epoch ms (0: none)
obs_paths_figures() {
	local i files=()
	for ((i = 1; i <= TOPO_PATHS; i++)); do
		files+=("$MPTH_RUN_DIR/samples/p$i")
	done
	paste -d' ' "${files[@]}" 2>/dev/null | awk -v n="$TOPO_PATHS" -v tf="$1" -v bps="$2" -v te="$3" -v tr="${4:-0}" '
		NF >= 3 * n {
			k++; t[k] = $1
			for (i = 1; i <= n; i++) { up[k, i] = $(3 * i - 1); dn[k, i] = $(3 * i) }
		}
		END {
			if (k < 2) { print "up 0 none"; exit }
			su = 0; sd = 0
			for (i = 1; i <= n; i++) { su += up[k, i] - up[1, i]; sd += dn[k, i] - dn[1, i] }
			d = (sd > su) ? "down" : "up"
			for (j = 1; j <= k; j++) {
				tot[j] = 0
				for (i = 1; i <= n; i++) { b[j, i] = (d == "up") ? up[j, i] : dn[j, i]; tot[j] += b[j, i] }
			}
			from = tf > 0 ? tf : t[1]
			# Sample index at the fault.
			jf = 1
			for (j = 1; j <= k; j++) if (t[j] <= from) jf = j
			# And at the restore (no restore: all after the fault is during).
			jr = tf > 0 && tr <= 0 ? k : jf
			if (tr > 0) for (j = 1; j <= k; j++) if (t[j] <= tr) jr = j
			# Longest stretch without movement after the fault.
			last = t[jf]; gap = 0
			for (j = jf + 1; j <= k; j++) {
				if (tot[j] - tot[j - 1] >= 3000) {
					g = t[j - 1] - last; if (g > gap) gap = g
					last = t[j]
				}
			}
			end = (te > 0 && te < t[k]) ? te : t[k]
			if (end - last > gap) gap = end - last
			rec = "-"
			if (tf > 0) {
				rec = "none"; want = bps / 8 / 2 * 0.2
				for (j = jf; j <= k; j++) {
					for (m = j; m <= k && t[m] - t[j] < 200; m++) ;
					if (m > k) break
					if (tot[m] - tot[j] >= want * (t[m] - t[j]) / 200) { rec = t[m] - tf; break }
				}
			}
			print d, gap, rec
			for (i = 1; i <= n; i++) print i, b[k, i] - b[1, i], b[jr, i] - b[jf, i], b[k, i] - b[jr, i]
		}'
}

# Baseline of MIB counters for a tag: every counter the kernel has, zeros
# included, so that a counter it lacks is known to be absent.
# $1: tag, $2...: roles (default: client server)
obs_mib_mark() {
	local tag=$1 role
	shift
	(($#)) || set -- client server
	for role; do
		__obs_mib_snapshot "$role" "$MPTH_RUN_DIR/mib-$tag-$role"
		__OBS_SNAP_READ[$tag.$role]=''
	done
	fact_set "$tag.mib.roles" "$*"
}

# Record, as facts <tag>.mib.<role>.<counter>, every counter that changed
# since obs_mib_mark. $1: tag
obs_mib_record() {
	local tag=$1 role name delta roles
	fact_var roles "$tag.mib.roles" || roles='client server'
	for role in $roles; do
		[[ -s $MPTH_RUN_DIR/mib-$tag-$role ]] || continue
		while read -r name delta; do
			fact_set "$tag.mib.$role.$name" "$delta"
		done < <(__obs_mib_changes "$role" "$MPTH_RUN_DIR/mib-$tag-$role")
		fact_set "$tag.mib.$role.recorded" 1
	done
}

# How much a counter changed over a tag (0 when it did not). Status 1 when
# the tag's counters were never recorded, 2 when this kernel has no such
# counter (the snapshot taken at obs_mib_mark lists every counter the
# kernel has, zeros included). $1: tag, $2: role, $3: counter
obs_mib_of() {
	local v
	obs_mib_of_to v "$@" || return
	printf '%s\n' "$v"
}

# Like obs_mib_of, into a variable, with builtins only: the checks of a
# case with many counters fork nothing for them.
# $1: variable, $2: tag, $3: role, $4: counter
obs_mib_of_to() {
	local key=$2.$3 line
	fact_sync
	[[ -n ${FACT[$2.mib.$3.recorded]+set} ]] || return 1
	# The counters the snapshot lists, read once per process.
	if [[ -z ${__OBS_SNAP_READ[$key]:-} ]]; then
		__OBS_SNAP_READ[$key]=1
		if [[ -s $MPTH_RUN_DIR/mib-$2-$3 ]]; then
			while IFS= read -r line; do
				__OBS_SNAP_HAS[$key.${line%% *}]=1
			done <"$MPTH_RUN_DIR/mib-$2-$3"
		else
			__OBS_SNAP_READ[$key]=none
		fi
	fi
	[[ ${__OBS_SNAP_READ[$key]} == none || -n ${__OBS_SNAP_HAS[$key.$4]:-} ]] || return 2
	printf -v "$1" '%s' "${FACT[$2.mib.$3.$4]:-0}"
}

declare -gA __OBS_SNAP_READ=() __OBS_SNAP_HAS=()

# Bytes every router forwarded, per direction, at the start of a tag.
# $1: tag
obs_paths_mark() {
	local i
	for ((i = 1; i <= TOPO_PATHS; i++)); do
		fact_set "$1.path$i.up0" "$(obs_path_bytes "$i" up)"
		fact_set "$1.path$i.down0" "$(obs_path_bytes "$i" down)"
	done
}

# Facts <tag>.path<i>.up and .down: bytes forwarded since obs_paths_mark.
# $1: tag
obs_paths_record() {
	local i
	fact_sync
	for ((i = 1; i <= TOPO_PATHS; i++)); do
		fact_set "$1.path$i.up" $(($(obs_path_bytes "$i" up) - ${FACT[$1.path$i.up0]}))
		fact_set "$1.path$i.down" $(($(obs_path_bytes "$i" down) - ${FACT[$1.path$i.down0]}))
	done
}

# Bytes a router has forwarded in the direction(s) the data of a mode
# takes. $1: path, $2: upload|download|bidir
obs_path_bytes_mode() {
	case $2 in
	download) obs_path_bytes "$1" down ;;
	bidir) echo $(($(obs_path_bytes "$1" up) + $(obs_path_bytes "$1" down))) ;;
	*) obs_path_bytes "$1" up ;;
	esac
}

# Subflows of the connection on a port by ss -M: its joins ("subflows:",
# absent when none) plus the initial one; "none" when there is no such
# connection. $1: role, $2: port
obs_ssm_count() {
	local line n
	line=$(in_ns "$1" ss -HMni "( dport = :$2 or sport = :$2 )" 2>/dev/null) || return 1
	[[ -n $line ]] || { echo none; return 0; }
	n=$(grep -o 'subflows:[0-9]*' <<<"$line" | head -n1 | cut -d: -f2)
	echo $((${n:-0} + 1))
}

# A numeric field of the ss -M line of a connection (add_addr_accepted,
# subflows_max...), 0 when absent. $1: role, $2: port, $3: field
obs_ssm_field() {
	local n
	n=$(in_ns "$1" ss -HMni "( dport = :$2 or sport = :$2 )" 2>/dev/null |
		grep -o "[[:space:]]$3:[0-9]*" | head -n1 | cut -d: -f2)
	echo "${n:-0}"
}

# True when the MPTCP connection on a port still exists but has no
# established subflow left (ss -M cannot tell one from none: it counts
# joins only). $1: role, $2: port
obs_ssm_is_zero() {
	[[ $(obs_ssm_count "$1" "$2") != none ]] &&
		(($(obs_ss_subflows "$1" "$2") == 0))
}

# Capture a router's server-side link, decoded as text (tcpdump shows the
# MPTCP options), until count packets or obs_tcpdump_stop. Waits until it
# listens. $1: path, $2: output file, $3: packet count (default 300)
obs_tcpdump_start() {
	local i=$1 file=$2 count=${3:-300}
	in_ns_bg "r$i" tcpdump -i s -nn -l -c "$count" -s 160 tcp >"$file" 2>"$file.err" 3>&-
	echo "$BG_PID" >"$file.pid"
	defer kill "$BG_PID"
	busywait 5000 grep -q 'listening on' "$file.err" || {
		log_err "tcpdump on path $i did not start: $(cat "$file.err")"
		return 1
	}
}

# $1: output file of obs_tcpdump_start
obs_tcpdump_stop() {
	local pid
	[[ -s $1.pid ]] || return 0
	pid=$(<"$1.pid")
	# It may have stopped by itself at its packet count.
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	rm -f "$1.pid"
}

# Packets a named nft counter of a router has seen.
# $1: path, $2: table (inet), $3: counter
obs_nft_counter() {
	ip netns exec "$(topo_ns "r$1")" nft -j list counter inet "$2" "$3" 2>/dev/null |
		jq -r '.nftables[] | select(.counter) | .counter.packets' 2>/dev/null || echo 0
}
