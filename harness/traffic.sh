# shellcheck shell=bash
# shellcheck disable=SC2034 # the live helpers' results (TRAFFIC_*) are read by their callers
# Traffic: the c-samples server in the server namespace and the client in
# the client namespace. A run is named by a tag; its files live in
# $MPTH_RUN_DIR/traffic-<tag>/ and the tag of the latest run is the default
# for the helpers below.
#
# The harness never races its own traffic:
#   - the samples push progress to the harness: both write event lines to
#     one FIFO (events.fifo, see c-samples/notify.h) that the harness
#     blocks on with bash's read; nothing here forks while a transfer runs;
#   - the client streams until the harness tells it to finish (control
#     FIFOs), so a phase can never run out of data however late the
#     harness gets there; --bytes is the least the run carries;
#   - every event carries the sample's own timestamp, and the figures are
#     computed afterwards from timestamped sources (receive timelines,
#     path samplers, marks), never from "now".
#
# The live helpers (traffic_mark, traffic_progress, traffic_wait_*) read
# the FIFO and keep the run's state in this shell: call them in setup_file
# itself, never inside $(...) (a subshell would swallow events; they refuse).
# They set TRAFFIC_* variables instead of printing.

MPTH_SAMPLES=${MPTH_SAMPLES:-$MPTH_ROOT/c-samples/build}

declare -gA __TR_EVFD=() __TR_CTL=() __TR_PID=() __TR_DONE=() __TR_MODE=()
declare -gA __TR_PLAN=() __TR_MARK=() __TR_NOW=() __TR_SF=() __TR_OWNER=()
declare -gA __TR_FINISHED=() __TR_STREAM=() __TR_RECV=() __TR_PART=()

# The client's MPTCP_INFO lines (one JSON object every 50 ms, subflows
# and their MPTCP_TCPINFO included) of its first connection; with --last,
# the latest only; with jq arguments, what that filter makes of each.
# $1: tag, then optionally --last, then jq's arguments (-r FILTER...)
traffic_client_info() {
	local dir last=0
	traffic_dir_to dir "$1"
	shift
	[[ ${1:-} != --last ]] || { last=1 && shift; }
	grep -E '"conn":0[,}]' "$dir/client.info" 2>/dev/null |
		if ((last)); then tail -n1; else cat; fi |
		if (($#)); then jq "$@" 2>/dev/null; else cat; fi
}

# Directory of a traffic run. $1: tag (default: latest)
traffic_dir() {
	local d
	traffic_dir_to d "${1:-}"
	printf '%s\n' "$d"
}

# Like traffic_dir, into a variable (no subshell). $1: variable, $2: tag
traffic_dir_to() {
	local __tag=${2:-}
	[[ -n $__tag ]] || fact_var __tag traffic.last || :
	printf -v "$1" '%s' "$MPTH_RUN_DIR/traffic-$__tag"
}

# Bytes to be transferred in a run, as a number. $1: size with suffix
traffic_size_bytes() {
	local s=$1 n u
	n=${s%[KkMmGg]}
	u=${s:${#n}}
	[[ $n =~ ^[0-9]+$ ]] || { echo 0; return 1; }
	case $u in
	K | k) n=$((n * 1024)) ;;
	M | m) n=$((n * 1048576)) ;;
	G | g) n=$((n * 1073741824)) ;;
	esac
	echo "$n"
}

# Start a server and a client. Options:
#   --tag NAME           name of this run (default t1, t2, ...)
#   --bytes N            the least payload the run carries (K/M/G): the
#                        client streams until traffic_wait (or
#                        traffic_finish) ends it, after N bytes at least
#   --fixed              the client sends exactly --bytes and stops by itself
#   --duration MS        or the client sends for a time (fixed too)
#   --mode M             upload (default), download, bidir
#   --family 4|6|4in6    address family (default 4); 4in6: an IPv6 socket
#                        to the IPv4-mapped address (::ffff:a.b.c.d)
#   --type mptcp|tcp     what the client asks for (default mptcp)
#   --server-type T      what the server listens with (default mptcp)
#   --connections N      parallel connections (default 1)
#   --to-path I          connect to the server's address on path I (default 1)
#   --listen-path I      the server listens on its address on path I only
#                        (default: every address, dual stack)
#   --seed S             pattern seed (default: the run's seed)
#   --corrupt-at OFF     the client corrupts the byte at OFF (self-tests)
#   --server-tolerate N  the server lets N bytes that differ from the
#                        pattern through, counted (corrupt_bytes), to see
#                        what a corruption in flight brought to it
#   --client-env K=V     environment for the client (repeatable)
#   --timeout MS         the client gives up after MS (default 120000)
#   --rate R             the client sends at most R bit/s (10mbit...), paced
#                        by the application: mptcp_join.sh's slow sender,
#                        for a case whose signals (RM_ADDR, MP_PRIO) go
#                        once, in the data's direction, and would be lost
#                        with the data a full path queue drops
traffic_start() {
	local tag='' bytes=16M duration='' mode=upload fam=4 ctype=mptcp stype=mptcp
	local conns=1 to=1 seed=${MPTH_SEED:-1} corrupt='' dir port n cenv=() timeout=120000
	local fixed=0 fd listen=() tolerate=() rate=()
	while (($#)); do
		case $1 in
		--fixed) fixed=1; shift; continue ;;
		--tag) tag=$2 ;;
		--bytes) bytes=$2 ;;
		--duration) duration=$2 ;;
		--mode) mode=$2 ;;
		--family) fam=$2 ;;
		--type) ctype=$2 ;;
		--server-type) stype=$2 ;;
		--connections) conns=$2 ;;
		--to-path) to=$2 ;;
		--listen-path) listen=(-l "$2") ;;
		--server-tolerate) tolerate=(--tolerate "$2") ;;
		--seed) seed=$2 ;;
		--corrupt-at) corrupt=$2 ;;
		--client-env) cenv+=("$2") ;;
		--timeout) timeout=$2 ;;
		--rate) rate=(--rate "$2") ;;
		*)
			log_err "traffic_start: unknown option '$1'"
			return 2
			;;
		esac
		shift 2 || { log_err "traffic_start: $1 needs a value"; return 2; }
	done
	if [[ -z $tag ]]; then
		n=$(($(fact_get traffic.count || echo 0) + 1))
		fact_set traffic.count "$n"
		tag=t$n
	fi
	dir=$MPTH_RUN_DIR/traffic-$tag
	mkdir -p "$dir" || return 1
	# A run under a tag used before: its flat summary goes (see traffic_json).
	rm -f "$dir/summary.flat"
	unset "__TR_FLAT_OK[$dir]"
	[[ -x $MPTH_SAMPLES/mptcp-server && -x $MPTH_SAMPLES/mptcp-client ]] || {
		log_err "c-samples not built in $MPTH_SAMPLES (run: make -C c-samples)"
		return 1
	}
	local dst afam=$fam
	[[ $fam != 4in6 ]] || afam=4
	# The listener bound to one address of the server's, not to all.
	((${#listen[@]} == 0)) || listen[1]=$(topo_addr "${listen[1]}" server "$afam") || return 2
	topo_addr_to dst "$to" server "$afam" || return 2
	[[ $fam != 4in6 ]] || dst=::ffff:$dst
	fact_set traffic.last "$tag"
	fact_set "$tag.connections" "$conns"
	traffic_open_channel "$tag" "$mode" || return 1
	# What the run carries at least, both directions summed (bidir
	# carries --bytes each way).
	__TR_PLAN[$tag]=$(traffic_size_bytes "$bytes")
	[[ $mode != bidir ]] || __TR_PLAN[$tag]=$((2 * __TR_PLAN[$tag]))
	__TR_STREAM[$tag]=1
	[[ $fixed == 0 && -z $duration ]] || __TR_STREAM[$tag]=0
	fact_set "$tag.planned" "${__TR_PLAN[$tag]}"
	fact_set "$tag.stream" "${__TR_STREAM[$tag]}"

	__traffic_pick_cc || return 1
	# Where the receivers' count of rejected DSS mappings starts: a
	# corruption found after it moved is the kernel's (assert.sh).
	local role
	for role in server client; do
		obs_dss_rejected "$role"
		fact_set "$tag.dss_rejected0.$role" "$OBS_DSS_REJECTED"
	done
	# The server binds port 0 and tells us which port it got, so two runs
	# (or a busy port) never collide.
	__traffic_spawn server "$dir/server.log" "$MPTH_SAMPLES/mptcp-server" -t "$stype" -p 0 "${listen[@]}" "${tolerate[@]}" \
		--cc "$TRAFFIC_CC" \
		--ready "$dir/server.port" -n "$conns" \
		--events "$dir/events.fifo" --control "$dir/server.ctl" \
		-j "$dir/server.json" --timeline "$dir/server.timeline"
	__TR_PID[$tag.server]=$BG_PID
	echo "$BG_PID" >"$dir/server.pid"
	if ! traffic_wait_listening "$tag" 5000; then
		log_err "server did not start listening within 5 s; its log:"
		sed 's/^/  server: /' "$dir/server.log" >&2
		return 1
	fi
	port=${__TR_DONE[$tag.port]}
	fact_set "$tag.port" "$port"

	# Always bounded: an MPTCP connection can outlive all its subflows,
	# and a client waiting on it would wait forever.
	local args=(-t "$ctype" -m "$mode" -s "$seed" -c "$conns" --timeout "$timeout" --cc "$TRAFFIC_CC"
		-j "$dir/client.json" --info "$dir/client.info" --info-interval 50
		--events "$dir/events.fifo" --control "$dir/client.ctl")
	if [[ -n $duration ]]; then
		args+=(-d "$duration")
	elif [[ $fixed == 1 ]]; then
		args+=(-b "$bytes")
	else
		args+=(--stream)
	fi
	[[ -z $corrupt ]] || args+=(--corrupt-at "$corrupt")
	args+=("${rate[@]}")
	[[ $mode == upload ]] || args+=(--timeline "$dir/client.timeline")
	fact_set "$tag.start_ms" "$(now_ms)"
	__traffic_spawn client "$dir/client.log" env "${cenv[@]}" "$MPTH_SAMPLES/mptcp-client" \
		"${args[@]}" "$dst" "$port"
	__TR_PID[$tag.client]=$BG_PID
	echo "$BG_PID" >"$dir/client.pid"
	# Whatever a scenario waits for next (a join within 5 s...) counts
	# from the connection, not from a process start that a slow machine
	# (a TCG guest) can take seconds over. A client that cannot connect
	# says so and ends: its checks judge that.
	traffic_until "$tag" 30000 __traffic_connected "$tag" ||
		log_warn "traffic $tag: the client has not connected after 30 s"
	return 0
}

# $1: tag. True once connection 0 is established.
__traffic_connected() {
	[[ -n ${__TR_DONE[$1.connected]:-} ]]
}

# The congestion control of the samples' sockets, into TRAFFIC_CC: the one
# asked for (MPTH_CC, else cubic, the Linux default), set on every socket
# with TCP_CONGESTION. Per socket, root of the namespace may pick any that
# the kernel has, even one it will not take as a namespace's default
# (topology.sh, TOPO_CC), so the data path's congestion control does not
# depend on the host's. Said once per scenario.
__traffic_pick_cc() {
	local want=${MPTH_CC:-cubic} avail='' f=$MPTH_RUN_DIR/traffic-cc
	[[ $want =~ ^[a-z0-9_]+$ ]] || { log_err "MPTH_CC: bad name '$want'"; return 1; }
	read -r avail </proc/sys/net/ipv4/tcp_available_congestion_control || true
	if [[ " $avail " != *" $want "* ]]; then
		log_err "congestion control '$want' is not available on this kernel (available: ${avail:-none})"
		return 1
	fi
	TRAFFIC_CC=$want
	[[ -e $f ]] && return 0
	: >"$f"
	harness_note "congestion control of the samples' sockets: $TRAFFIC_CC (TCP_CONGESTION on each socket)"
}

# The harness's end of a run's channel to the samples: the events FIFO
# both write to, and a control FIFO for each. Our end of every FIFO is
# opened read-write first: the samples' opens then never block, and a
# sample that dies never makes us see EOF. $1: tag, $2: mode
traffic_open_channel() {
	local tag=$1 dir=$MPTH_RUN_DIR/traffic-$1 fd k a
	# A tag used again starts from nothing: no stale port, mark or exit.
	__traffic_close "$tag"
	for a in __TR_DONE __TR_MARK __TR_NOW __TR_SF __TR_PID __TR_FINISHED; do
		local -n __tr_arr=$a
		for k in "${!__tr_arr[@]}"; do
			[[ $k == "$tag" || $k == "$tag".* ]] && unset "__tr_arr[$k]"
		done
		unset -n __tr_arr
	done
	rm -f "$dir/events.fifo" "$dir/server.ctl" "$dir/client.ctl"
	mkdir -p "$dir" || return 1
	mkfifo -m 0600 "$dir/events.fifo" "$dir/server.ctl" "$dir/client.ctl" || return 1
	exec {fd}<>"$dir/events.fifo"
	__TR_EVFD[$tag]=$fd
	__TR_PART[$tag]=
	exec {fd}<>"$dir/server.ctl"
	__TR_CTL[$tag.server]=$fd
	exec {fd}<>"$dir/client.ctl"
	__TR_CTL[$tag.client]=$fd
	: >"$dir/events.log"
	fact_set "$tag.mode" "$2"
	__TR_MODE[$tag]=$2
	case $2 in
	download) __TR_RECV[$tag]=client ;;
	bidir) __TR_RECV[$tag]='server client' ;;
	*) __TR_RECV[$tag]=server ;;
	esac
	__TR_OWNER[$tag]=$BASHPID
	__TR_STREAM[$tag]=0
}

# A sample started by someone else (app_traffic) whose death the event
# loop should notice. $1: tag, $2: role, $3: pid
traffic_watch_pid() {
	__TR_PID[$1.$2]=$3
}

# Wait until a run's server reported its port. $1: tag, $2: timeout ms
traffic_wait_listening() {
	traffic_until "$1" "$2" __traffic_listening "$1"
}

# Start a sample in a role's namespace, in the background, without our
# ends of any run's FIFOs (a sample holding the events FIFO open would
# never learn that the harness went away). BG_PID is the sample's own pid:
# the subshell execs ip, which execs it. $1: role, $2: log, $3...: command
__traffic_spawn() {
	local role=$1 log=$2 ns k fd
	shift 2
	topo_ns_to ns "$role"
	(
		traffic_close_fds
		exec ip netns exec "$ns" "$@" >"$log" 2>&1 3>&-
	) &
	# shellcheck disable=SC2034 # BG_PID is read by the caller
	BG_PID=$!
}

# In a child of the harness: close our ends of every run's FIFOs.
traffic_close_fds() {
	local k fd
	for k in "${!__TR_EVFD[@]}"; do
		fd=${__TR_EVFD[$k]}
		exec {fd}>&-
	done
	for k in "${!__TR_CTL[@]}"; do
		fd=${__TR_CTL[$k]}
		exec {fd}>&-
	done
}

# How many sides receive a run's payload (2 in bidir). $1: tag
traffic_receivers_count() {
	local w
	read -ra w <<<"${__TR_RECV[$1]:-server}"
	echo "${#w[@]}"
}

# --- the event loop: bash builtins only

# Milliseconds since the epoch into NOW_MS, without a fork.
__now_ms() {
	local t=${EPOCHREALTIME/./}
	NOW_MS=${t:0:-3}
}

# $1: tag. True once the server reported its port.
__traffic_listening() {
	[[ -n ${__TR_DONE[$1.port]:-} ]]
}

# Fold one event line into the run's state. $1: tag, $2: line
__traffic_fold() {
	local tag=$1 w
	read -ra w <<<"$2"
	# w: role event epoch_ms args...
	case ${w[1]} in
	listening) __TR_DONE[$tag.port]=${w[3]} ;;
	connected) [[ ${w[3]} != 0 ]] || __TR_DONE[$tag.connected]=${w[2]} ;;
	mark) __TR_MARK[$tag.${w[0]}.${w[3]}]="${w[2]} ${w[4]}" ;;
	now) __TR_NOW[$tag.${w[0]}]="${w[2]} ${w[3]} ${w[4]}" ;;
	subflows)
		# Connection 0 is the one the checks follow.
		[[ ${w[3]} == 0 ]] || return 0
		__TR_SF[$tag]=${w[4]}
		__TR_SF[$tag.t]=${w[2]}
		__TR_SF[$tag.pairs]=${w[5]//,/ }
		[[ ${__TR_SF[$tag.pairs]} != - ]] || __TR_SF[$tag.pairs]=''
		((w[4] <= ${__TR_SF[$tag.max]:-0})) || __TR_SF[$tag.max]=${w[4]}
		;;
	sampled) __TR_SF[$tag.sampled]=${w[2]} ;;
	struck) __TR_DONE[$tag.struck]="${w[3]} ${w[4]}" ;;
	finishing) __TR_FINISHED[$tag]=${w[2]} ;;
	done) __TR_DONE[$tag.${w[0]}]="${w[3]} ${w[4]}" ;;
	esac
}

# A sample that died without saying so (a crash, a kill) counts as done.
# $1: tag
__traffic_reap_dead() {
	local tag=$1 role pid
	for role in server client; do
		[[ -z ${__TR_DONE[$tag.$role]:-} ]] || continue
		pid=${__TR_PID[$tag.$role]:-}
		[[ -n $pid ]] || continue
		wait_pid_gone "$pid" || continue
		__TR_DONE[$tag.$role]="died unknown"
	done
}

# Read events of a run until a condition holds, at most timeout ms.
# Returns 0 when it holds, 1 at the deadline, 2 when the run ended without
# it. The condition is a command of bash builtins over the run's state.
# $1: tag, $2: timeout ms, $3...: condition
traffic_until() {
	local tag=$1 deadline left secs line fd
	fd=${__TR_EVFD[$tag]:-}
	if [[ -z $fd ]]; then
		log_err "traffic: no live run '$tag'"
		return 2
	fi
	if [[ $BASHPID != "${__TR_OWNER[$tag]}" ]]; then
		log_err "traffic: ${FUNCNAME[1]} called in a subshell; its events would be lost"
		return 2
	fi
	__now_ms
	deadline=$((NOW_MS + $2))
	shift 2
	while ! "$@"; do
		# Both samples are done: nothing more will come.
		if [[ -n ${__TR_DONE[$tag.client]:-} && -n ${__TR_DONE[$tag.server]:-} ]]; then
			"$@"
			return $(($? ? 2 : 0))
		fi
		__now_ms
		left=$((deadline - NOW_MS))
		((left > 0)) || return 1
		# Wake up now and then to notice a sample that died silently.
		((left < 500)) || left=500
		printf -v secs '%d.%03d' $((left / 1000)) $((left % 1000))
		if IFS= read -r -t "$secs" -u "$fd" line; then
			line=${__TR_PART[$tag]:-}$line
			__TR_PART[$tag]=''
			printf '%s\n' "$line" >>"$MPTH_RUN_DIR/traffic-$tag/events.log"
			__traffic_fold "$tag" "$line"
		else
			# A timeout can strike in the middle of a line (bash reads a
			# pipe a byte at a time): keep what came for the next read.
			__TR_PART[$tag]+=$line
			__traffic_reap_dead "$tag"
		fi
	done
}

# The sides that receive a run's payload (after the run: from its facts).
# $1: tag
__traffic_receivers() {
	local mode
	fact_var mode "$1.mode" || :
	case $mode in
	download) echo client ;;
	bidir) echo server client ;;
	*) echo server ;;
	esac
}

# $1: tag, $2: bytes. True once every receiver reported the mark.
traffic_marked() {
	local tag=$1 n=$2
	case ${__TR_MODE[$tag]} in
	download) [[ -n ${__TR_MARK[$tag.client.$n]:-} ]] ;;
	bidir) [[ -n ${__TR_MARK[$tag.server.$((n / 2))]:-} && -n ${__TR_MARK[$tag.client.$((n / 2))]:-} ]] ;;
	*) [[ -n ${__TR_MARK[$tag.server.$n]:-} ]] ;;
	esac
}

# Where a mark was crossed (a fault's, say): the first receiver to reach its
# share (in bidir each direction's share is half), its time and its count.
# Facts T.mark_ms T.mark_rx, T.due and T.span (the bytes of one direction
# the placement is judged against). $1: tag, $2: bytes the fault was due at
traffic_record_mark() {
	local tag=$1 each=$2 span role t rx best_t='' best_rx=''
	fact_var span "$tag.total"
	if [[ ${__TR_MODE[$tag]} == bidir ]]; then
		each=$((each / 2)) span=$((span / 2))
	fi
	for role in ${__TR_RECV[$tag]}; do
		[[ -n ${__TR_MARK[$tag.$role.$each]:-} ]] || continue
		read -r t rx <<<"${__TR_MARK[$tag.$role.$each]}"
		if [[ -z $best_t ]] || ((t < best_t)); then
			best_t=$t best_rx=$rx
		fi
	done
	fact_set "$tag.due" "$each"
	fact_set "$tag.span" "$span"
	fact_set "$tag.mark_ms" "${best_t:-none}"
	fact_set "$tag.mark_rx" "${best_rx:-none}"
}

# Ask the receiving side(s) to report when they got a number of payload
# bytes (in bidir, half of it each way), without waiting; with a file, the
# report goes there too (fault_at). $1: tag, $2: bytes, $3: FIFO (optional)
traffic_arm() {
	local tag=$1 each=$2 role
	[[ ${__TR_MODE[$tag]:-} != bidir ]] || each=$(($2 / 2))
	for role in ${__TR_RECV[$tag]}; do
		printf 'mark %d%s\n' "$each" "${3:+ $3}" >&"${__TR_CTL[$tag.$role]}"
	done
	__TR_MARK[$tag.asked.$each]=1
}

# Wait until the receiving side(s) got a number of payload bytes (in
# bidir, half of it each way). Sets TRAFFIC_MARK_T (the receiver's
# epoch ms when it crossed the mark, the later side in bidir) and
# TRAFFIC_MARK_RX (what it had then). Returns 0, 1 at the deadline, 2 when
# the run ended short of the mark. $1: tag, $2: bytes, $3: timeout ms
traffic_mark() {
	local tag=$1 n=$2 role each=$2 t rx sum=0 last=0 rc=0
	TRAFFIC_MARK_T='' TRAFFIC_MARK_RX=''
	if [[ ! $n =~ ^[0-9]+$ ]]; then
		log_err "traffic_mark: '$n' is not a byte count (no K/M/G suffix here)"
		return 2
	fi
	[[ ${__TR_MODE[$tag]:-} != bidir ]] || each=$((n / 2))
	[[ -n ${__TR_MARK[$tag.asked.$each]:-} ]] || traffic_arm "$tag" "$n"
	traffic_until "$tag" "${3:-20000}" traffic_marked "$tag" "$n" || rc=$?
	((rc == 0)) || return "$rc"
	for role in ${__TR_RECV[$tag]}; do
		read -r t rx <<<"${__TR_MARK[$tag.$role.$each]}"
		((t > last)) && last=$t
		sum=$((sum + rx))
	done
	TRAFFIC_MARK_T=$last TRAFFIC_MARK_RX=$sum
}

# $1: tag. True once every receiver answered "now".
__traffic_now_seen() {
	local role
	for role in ${__TR_RECV[$1]}; do
		[[ -n ${__TR_NOW[$1.$role]:-} ]] || return 1
	done
}

# The payload the receiving side(s) have right now, asked of them (a round
# trip through the control FIFOs, no fork). Sets TRAFFIC_RX and TRAFFIC_T
# (the receiver's epoch ms), both empty (and a warning) when no answer
# came within 5 s. $1: tag
traffic_progress() {
	local tag=$1 role t rx sum=0 last=0
	TRAFFIC_RX='' TRAFFIC_T=''
	for role in ${__TR_RECV[$tag]}; do
		__TR_NOW[$tag.$role]=''
		printf 'now\n' >&"${__TR_CTL[$tag.$role]}"
	done
	if ! traffic_until "$tag" 5000 __traffic_now_seen "$tag"; then
		log_warn "traffic $tag: no answer to 'now' from ${__TR_RECV[$tag]}"
		return 0
	fi
	for role in ${__TR_RECV[$tag]}; do
		read -r t rx _ <<<"${__TR_NOW[$tag.$role]}"
		((t > last)) && last=$t
		sum=$((sum + rx))
	done
	TRAFFIC_RX=$sum TRAFFIC_T=$last
}

# The client's latest subflow count (0 before its first report) into a
# variable, and that report's time (the client's clock, ms) into
# TRAFFIC_SF_MS. Builtins only. $1: variable, $2: tag
traffic_sf_to() {
	printf -v "$1" '%s' "${__TR_SF[$2]:-0}"
	TRAFFIC_SF_MS=${__TR_SF[$2.t]:-}
}

# $1: tag. True once the client has reported and lists no live subflow.
traffic_no_sf() {
	[[ -n ${__TR_SF[$1]:-} ]] && ((${__TR_SF[$1]} == 0))
}

# $1: tag, $2: count. True once the client lists at most that many.
traffic_sf_at_most() {
	((${__TR_SF[$1]:-0} <= $2))
}

# $1: tag, $2: count. True once the client lists that many subflows.
traffic_has_sf() {
	((${__TR_SF[$1]:-0} >= $2))
}

# Wait until the client lists at least N live subflows on connection 0.
# Sets TRAFFIC_SF (the count then). $1: tag, $2: N, $3: timeout ms
traffic_wait_sf() {
	local rc=0
	traffic_until "$1" "${3:-5000}" traffic_has_sf "$1" "$2" || rc=$?
	TRAFFIC_SF=${__TR_SF[$1]:-0}
	return "$rc"
}

# $1: tag
__traffic_sampled() {
	[[ -n ${__TR_SF[$1.sampled]:-} ]]
}

# Have the client report its subflows now, changed or not, so that the
# state below is fresh. $1: tag
traffic_sample() {
	__TR_SF[$1.sampled]=''
	printf 'sample\n' >&"${__TR_CTL[$1.client]}"
	traffic_until "$1" 3000 __traffic_sampled "$1"
}

# The live subflows of connection 0 now (from the latest event), as
# local>remote words with ports. Sets TRAFFIC_SF_PAIRS. $1: tag
traffic_sf_pairs() {
	TRAFFIC_SF_PAIRS=${__TR_SF[$1.pairs]:-}
}

# True when connection 0 has a live subflow from an address whose
# local addr:port is not in a list. $1: tag, $2: address, $3: old
# local addr:port words
__traffic_new_sf_from() {
	local p l
	for p in ${__TR_SF[$1.pairs]:-}; do
		l=${p%%>*}
		l=${l//[][]/}
		[[ ${l%:*} == "$2" ]] || continue
		[[ " $3 " == *" $l "* ]] || return 0
	done
	return 1
}

# The local addr:port words of connection 0's live subflows, brackets
# dropped. Sets TRAFFIC_SF_LOCALS. $1: tag
traffic_sf_locals() {
	local p l out=''
	for p in ${__TR_SF[$1.pairs]:-}; do
		l=${p%%>*}
		out+="${out:+ }${l//[][]/}"
	done
	TRAFFIC_SF_LOCALS=$out
}

# $1: start epoch ms. Sets TRAFFIC_WAITED_MS from the latest subflow event.
__traffic_waited() {
	local t=${__TR_SF[$2.t]:-0}
	((t >= $1)) || { __now_ms; t=$NOW_MS; }
	TRAFFIC_WAITED_MS=$((t - $1))
}

# Wait for a new live subflow from an address (not one of the old
# addr:port words). Sets TRAFFIC_WAITED_MS: from the call until the
# client's sample that showed it, or "none" (the result is the variable:
# this returns 0 either way). $1: tag, $2: address, $3: old addr:port
# words, $4: timeout ms (5000)
traffic_wait_new_sf() {
	local t0
	__now_ms
	t0=$NOW_MS
	TRAFFIC_WAITED_MS=none
	traffic_until "$1" "${4:-5000}" __traffic_new_sf_from "$1" "$2" "$3" || return 0
	__traffic_waited "$t0" "$1"
}

# $1: tag, $2: extended regex on local>remote (no ports, no brackets)
__traffic_no_pair() {
	local p
	for p in ${__TR_SF[$1.pairs]:-}; do
		__traffic_strip_ports "$p"
		[[ ! $TRAFFIC_PAIR =~ $2 ]] || return 1
	done
	return 0
}

# local:port>remote:port (brackets for v6) into TRAFFIC_PAIR as
# local>remote. $1: pair
__traffic_strip_ports() {
	local l=${1%%>*} r=${1#*>}
	l=${l%:*} r=${r%:*}
	TRAFFIC_PAIR="${l//[][]/}>${r//[][]/}"
}

# Wait until no live subflow matches an extended regex on local>remote
# (e.g. "^198\.18\.2\.1>"). Sets TRAFFIC_WAITED_MS or "none" (returns 0
# either way).
# $1: tag, $2: regex, $3: timeout ms (3000)
traffic_wait_pair_gone() {
	local t0
	__now_ms
	t0=$NOW_MS
	TRAFFIC_WAITED_MS=none
	traffic_until "$1" "${3:-3000}" __traffic_no_pair "$1" "$2" || return 0
	__traffic_waited "$t0" "$1"
}

# The live subflows now as sorted local>remote address pairs (no ports),
# space separated. Sets TRAFFIC_LIVE_PAIRS. $1: tag
traffic_live_pairs() {
	local p out=()
	for p in ${__TR_SF[$1.pairs]:-}; do
		__traffic_strip_ports "$p"
		out+=("$TRAFFIC_PAIR")
	done
	# A handful of words: sorted by the builtin printf and a tiny insertion sort.
	local i j x
	for ((i = 1; i < ${#out[@]}; i++)); do
		x=${out[i]}
		for ((j = i - 1; j >= 0; j--)); do
			[[ ${out[j]} > $x ]] || break
			out[j + 1]=${out[j]}
		done
		out[j + 1]=$x
	done
	TRAFFIC_LIVE_PAIRS="${out[*]}"
}

# $1: tag, $2: sorted space-separated local>remote pairs
__traffic_pairs_are() {
	traffic_live_pairs "$1"
	[[ $TRAFFIC_LIVE_PAIRS == "$2" ]]
}

# Wait until the live subflows are exactly a set of address pairs. Sets
# TRAFFIC_WAITED_MS or "none" (returns 0 either way). $1: tag, $2...:
# local>remote pairs
traffic_wait_live_pairs() {
	local tag=$1 want t0 p
	shift
	local sorted=()
	for p in "$@"; do sorted+=("$p"); done
	TRAFFIC_LIVE_PAIRS=''
	want=$(printf '%s\n' "${sorted[@]}" | sort | paste -sd' ')
	__now_ms
	t0=$NOW_MS
	TRAFFIC_WAITED_MS=none
	traffic_until "$tag" 3000 __traffic_pairs_are "$tag" "$want" || return 0
	__traffic_waited "$t0" "$tag"
}

# True while the client of a run has not finished. $1: tag
traffic_running() {
	[[ -n ${__TR_PID[$1.client]:-} && -z ${__TR_DONE[$1.client]:-} ]] &&
		kill -0 "${__TR_PID[$1.client]}" 2>/dev/null
}

# End a streaming run now: the client stops sending (and in download and
# bidir tells the server to stop too). $1: tag
traffic_finish() {
	local tag=$1
	[[ ${__TR_STREAM[$tag]:-0} == 1 && -z ${__TR_FINISHED[$tag.asked]:-} ]] || return 0
	__now_ms
	__TR_FINISHED[$tag.asked]=$NOW_MS
	printf 'finish\n' >&"${__TR_CTL[$tag.client]}"
	fact_set "$tag.finish_ms" "$NOW_MS"
}

# Abort a streaming run instead of finishing it, and traffic_wait then
# waits for the samples to end, not for --bytes. Who closes, and how:
#   client         the client, with SO_LINGER 0 (the default)
#   server         the server, with SO_LINGER 0
#   server-unread  the server stops reading and closes each upload once
#                  data waits unread in its socket
# MPTCP answers each with MP_FASTCLOSE; the other end sees the reset, and
# its exit code says so (7). $1: tag, $2: who
traffic_abort() {
	local tag=$1 who=${2:-client} role=client cmd=abort
	if [[ ${__TR_STREAM[$tag]:-0} != 1 || -n ${__TR_FINISHED[$tag.asked]:-} ]]; then
		log_err "traffic_abort: $tag is not a streaming run still going"
		return 1
	fi
	case $who in
	client) ;;
	server) role=server ;;
	server-unread) role=server cmd=close-unread ;;
	*)
		log_err "traffic_abort: expected client, server or server-unread, got '$who'"
		return 2
		;;
	esac
	__now_ms
	__TR_FINISHED[$tag.asked]=$NOW_MS
	__TR_FINISHED[$tag.aborted]=$NOW_MS
	printf '%s\n' "$cmd" >&"${__TR_CTL[$tag.$role]}"
	fact_set "$tag.abort_ms" "$NOW_MS"
	fact_set "$tag.aborted_by" "$who"
}

# $1: tag
__traffic_both_done() {
	[[ -n ${__TR_DONE[$1.client]:-} && -n ${__TR_DONE[$1.server]:-} ]]
}

# Reap one sample: its exit code into ROLE.rc ("timeout" when it had to
# be killed). $1: tag, $2: role, $3: killed (1) or not
__traffic_reap() {
	local dir=$MPTH_RUN_DIR/traffic-$1 pid=${__TR_PID[$1.$2]:-} rc=0
	[[ -n $pid ]] || return 0
	if [[ $3 == 1 ]]; then
		kill -TERM "$pid" 2>/dev/null
		# A SIGTERMed sample writes its JSON and leaves at once.
		busywait 300 wait_pid_gone "$pid" || kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null || rc=$?
	if [[ $3 == 1 ]]; then
		echo timeout >"$dir/$2.rc"
	else
		echo "$rc" >"$dir/$2.rc"
	fi
	rm -f "$dir/$2.pid"
	__TR_PID[$1.$2]=''
}

# End a run and wait for both samples: a streaming run first carries its
# --bytes (at most timeout ms), then the client is told to finish. Exit
# codes land in client.rc and server.rc ("timeout" when killed); the
# assertions judge them, so this only fails when the deadline passed.
# $1: timeout ms (default 60000), $2: tag
traffic_wait() {
	local timeout=${1:-60000} tag=${2:-$(fact_get traffic.last)} rc=0 t0 role
	# Someone else's client (app_traffic): its pid files say when it ends,
	# once our server lets its verdict go.
	if [[ -z ${__TR_EVFD[$tag]:-} || -z ${__TR_PID[$tag.client]:-} ]]; then
		[[ -z ${__TR_CTL[$tag.server]:-} ]] || printf 'release\n' >&"${__TR_CTL[$tag.server]}"
		__traffic_wait_pids "$timeout" "$tag" || rc=$?
		__traffic_close "$tag"
		return "$rc"
	fi
	__now_ms
	t0=$NOW_MS
	if [[ ${__TR_STREAM[$tag]} == 1 && -z ${__TR_FINISHED[$tag.aborted]:-} ]]; then
		traffic_mark "$tag" "${__TR_PLAN[$tag]}" "$timeout" ||
			log_warn "$tag: only part of the ${__TR_PLAN[$tag]} bytes arrived in time"
		traffic_finish "$tag"
	fi
	__now_ms
	timeout=$((timeout - (NOW_MS - t0)))
	((timeout > 5000)) || timeout=5000
	if ! traffic_until "$tag" "$timeout" __traffic_both_done "$tag"; then
		rc=1
		# What the sockets looked like when it hung, for the report.
		obs_snapshot "hung-$tag" 2>/dev/null
	fi
	# The server ends once its connections are done; give it a moment
	# after the client.
	[[ $rc == 1 ]] || traffic_until "$tag" 5000 __traffic_both_done "$tag" || rc=1
	for role in client server; do
		if [[ -n ${__TR_DONE[$tag.$role]:-} ]]; then
			__traffic_reap "$tag" "$role" 0
		else
			__traffic_reap "$tag" "$role" 1
		fi
	done
	__traffic_close "$tag"
	fact_set "$tag.end_ms" "$(now_ms)"
	((rc == 0)) || log_warn "traffic $tag did not finish in time"
	return "$rc"
}

# Close our ends of a run's FIFOs. $1: tag
__traffic_close() {
	local k fd
	for k in "$1" "$1.server" "$1.client"; do
		if [[ $k == "$1" ]]; then
			fd=${__TR_EVFD[$k]:-}
			unset "__TR_EVFD[$k]"
		else
			fd=${__TR_CTL[$k]:-}
			unset "__TR_CTL[$k]"
		fi
		[[ -z $fd ]] || exec {fd}>&-
	done
}

# A run without events (app_traffic): wait for its pid files.
# $1: timeout ms, $2: tag
__traffic_wait_pids() {
	local dir=$MPTH_RUN_DIR/traffic-$2 f name rc=0
	for f in "$dir"/client.pid "$dir"/*.pid; do
		[[ -s $f ]] || continue
		name=$(basename "$f" .pid)
		app_wait "$2" "$name" "$1" || rc=1
	done
	fact_set "$2.end_ms" "$(now_ms)"
	return "$rc"
}

# Stop every run that is still going (teardown).
traffic_stop() {
	local f
	for f in "$MPTH_RUN_DIR"/traffic-*/client.pid "$MPTH_RUN_DIR"/traffic-*/server.pid; do
		[[ -s $f ]] || continue
		kill -TERM "$(<"$f")" 2>/dev/null
		rm -f "$f"
	done
}

# --- after the run: figures from the timestamped files

# The summaries' scalar fields, both sides flattened by one jq per run
# and kept beside them (summary.flat: "side<TAB>a.b.0.c<TAB>value", each
# value as jq -r prints it), so that the checks read them with builtins:
# a scenario's @tests read the same few fields in a process each.
# Rebuilt when a summary is newer. $1: traffic dir
declare -gA __TR_FLAT=() __TR_FLAT_OK=()
__traffic_flat_load() {
	local d=$1 f=$1/summary.flat side key val files=()
	for side in client server; do
		[[ ! -s $d/$side.json ]] || files+=("$d/$side.json")
	done
	# Loaded already, from the same summaries (one may come later).
	[[ ${__TR_FLAT_OK[$d]:-} != "${files[*]}" ]] || return 0
	if ((${#files[@]})) && [[ ! -s $f || ${files[0]} -nt $f || ${files[-1]} -nt $f ]]; then
		# shellcheck disable=SC2016 # a jq program: $p is its variable
		# Objects, arrays and strings that hold a tab or a newline get
		# \x01: a filter that names one of them is left to jq.
		if jq -r 'paths as $p
			| [(input_filename | sub(".*/"; "") | sub("[.]json$"; "")),
			   ($p | map(tostring) | join(".")),
			   (getpath($p) | if type == "string"
				then (if test("[\t\n]") then "\u0001" else . end)
				elif type == "object" or type == "array" then "\u0001"
				else tojson end)]
			| join("\t")' "${files[@]}" >"$f.$$" 2>/dev/null; then
			mv -f "$f.$$" "$f"
		else
			rm -f "$f.$$"
		fi
	fi
	for key in "${!__TR_FLAT[@]}"; do
		[[ $key != "$d|"* ]] || unset "__TR_FLAT[$key]"
	done
	if [[ -s $f ]]; then
		while IFS=$'\t' read -r side key val; do
			__TR_FLAT[$d|$side|$key]=$val
		done <"$f"
	fi
	__TR_FLAT_OK[$d]="${files[*]}"
}

# What jq -r would print first for a filter made of plain paths, literals
# and "//" alternatives (.a.b, .conns[0].status // "upload", .x // empty),
# from the flat summary, into a variable; "missing" with status 1 when the
# summary is absent, status 2 for any other filter (jq's to judge).
# $1: variable, $2: traffic dir, $3: client|server, $4: filter
__traffic_flat_get() {
	local __alt __k __v __rest=$4 __re='^\.[A-Za-z_][A-Za-z0-9_]*(\[[0-9]+\]|\.[A-Za-z_][A-Za-z0-9_]*)*$'
	local -a __alts=()
	[[ -s $2/$3.json ]] || { printf -v "$1" missing; return 1; }
	while [[ $__rest == *' // '* ]]; do
		__alts+=("${__rest%% // *}")
		__rest=${__rest#* // }
	done
	__alts+=("$__rest")
	for __alt in "${__alts[@]}"; do
		[[ $__alt =~ $__re || $__alt =~ ^\"[^\"\\]*\"$ || $__alt =~ ^-?[0-9]+$ || $__alt == empty ]] ||
			return 2
	done
	__traffic_flat_load "$2"
	for __alt in "${__alts[@]}"; do
		case $__alt in
		empty) __v='' ;;
		\"*) __v=${__alt:1:-1} ;;
		.*)
			__k=${__alt#.}
			__k=${__k//[/.}
			__v=${__TR_FLAT[$2|$3|${__k//]/}]-null}
			[[ $__v != $'\001' ]] || return 2
			;;
		*) __v=$__alt ;;
		esac
		[[ $__v == null || $__v == false ]] || break
	done
	# jq prints nothing for "empty": not even a line.
	__TR_FLAT_NONE=0
	[[ $__alt != empty ]] || __TR_FLAT_NONE=1
	printf -v "$1" '%s' "$__v"
}

# A JSON field of a traffic run's summary: what jq -r prints for the
# filter (read from the flat summary where it can be). $1: client|server,
# $2: jq filter, $3: tag
traffic_json() {
	local f v rc=0
	traffic_dir_to f "${3:-}"
	__traffic_flat_get v "$f" "$1" "$2" || rc=$?
	case $rc in
	0) ((__TR_FLAT_NONE)) || printf '%s\n' "$v" ;;
	1) echo missing; return 1 ;;
	*) jq -r "$2" "$f/$1.json" 2>/dev/null ;;
	esac
}

# Several JSON fields of a run's summary at once, each into a variable of
# the caller's: what traffic_json would print for its filter (its first
# line; "missing" for every one when the summary is not there; false then).
# Filters the flat summary cannot answer go to one jq together.
# $1: tag, $2: client|server, then pairs: variable, jq filter
traffic_json_to() {
	local __d __f __prog='' __i __rc
	local -a __vars=() __vals=() __jq=()
	traffic_dir_to __d "$1"
	__f=$__d/$2.json
	[[ -s $__f ]] || {
		shift 2
		while (($# >= 2)); do
			printf -v "$1" missing
			shift 2
		done
		return 1
	}
	local __side=$2
	shift 2
	while (($# >= 2)); do
		__rc=0
		__traffic_flat_get "$1" "$__d" "$__side" "$2" || __rc=$?
		if ((__rc == 2)); then
			__vars+=("$1")
			# Each filter gives one line: its first output as jq -r
			# prints it, or an empty line when it outputs nothing.
			__prog+="${__prog:+, }([$2] | if length == 0 then \"\" else (.[0] | if type == \"string\" then . else tojson end) end)"
		fi
		shift 2
	done
	((${#__vars[@]})) || return 0
	mapfile -t __vals < <(jq -r "$__prog" "$__f" 2>/dev/null)
	for __i in "${!__vars[@]}"; do
		printf -v "${__vars[__i]}" '%s' "${__vals[__i]:-}"
	done
}

# The receive timelines of a run's receiving side(s). $1: tag
__traffic_timelines() {
	local side d
	traffic_dir_to d "$1"
	for side in $(__traffic_receivers "$1"); do
		printf '%s\n' "$d/$side.timeline"
	done
}

# Payload the receiving side(s) had received by a moment (10 ms bins that
# began before it). $1: tag, $2: epoch ms
traffic_rx_at() {
	# shellcheck disable=SC2046 # one file name per receiving side
	awk -v t="$2" '$1 < t { s += $2 } END { printf "%d\n", s }' $(__traffic_timelines "$1") 2>/dev/null
}

# Longest gap in a receive timeline that ends after a moment. Prints ms.
# $1: tag, $2: from (epoch ms), $3: until (epoch ms, optional),
# $4: whose timeline, server (default) or client (download, bidir)
traffic_outage_ms() {
	local f
	traffic_dir_to f "$1"
	f+=/${4:-server}.timeline
	[[ -s $f ]] || { echo missing; return 1; }
	awk -v from="$2" -v until="${3:-0}" '
		$2 > 0 {
			if (prev != "" && $1 > from && (until == 0 || prev < until)) {
				gap = $1 - prev - 10
				if (gap > max) max = gap
			}
			prev = $1
			if ($1 > from) seen = 1
		}
		END {
			# No byte after the fault at all: the outage never ended.
			if (!seen) { print 999999; exit }
			printf "%d\n", max
		}' "$f"
}

# The longest receive gap after a moment, over every receiving side.
# $1: tag, $2: from (epoch ms), $3: until (epoch ms, optional)
traffic_outage_rx_ms() {
	local side v max=0
	for side in $(__traffic_receivers "$1"); do
		v=$(traffic_outage_ms "$1" "$2" "${3:-}" "$side") || { echo "$v"; return 1; }
		((v > max)) && max=$v
	done
	echo "$max"
}

# Time to recovery: from a moment (the fault) to the end of the first stall
# it causes, in the receiving side(s)' 10 ms timelines. A 200 ms window
# (sliding by 10 ms) is healthy when it holds at least half of a rate.
# The stall is the first unhealthy window after the fault, and the
# recovery the start of the first healthy one after it; 0 when goodput
# never dropped below half the rate, "none" when it never came back
# (before the optional end). Unlike the longest gap, RTO-paced trickles
# do not end a stall, and data flushed from the receive queue right after
# the fault does not hide one.
# $1: tag, $2: from (epoch ms), $3: rate in bit/s, $4: until (epoch ms)
traffic_recovery_ms() {
	((${3:-0} > 0)) || { echo none; return 1; }
	# shellcheck disable=SC2046 # one file name per receiving side
	awk -v from="$2" -v need="$(($3 / 8 / 5 / 2))" -v until="${4:-0}" '
		# Bins by their index from the fault: epoch ms as array keys
		# would go through CONVFMT (%.6g in mawk) and never match.
		BEGIN { base = from - from % 10 + 10 }
		{ i = ($1 - base) / 10; if (i >= 0) { b[i] += $2; if (i > last) last = i } }
		END {
			if (until > 0 && (until - base) / 10 < last) last = int((until - base) / 10)
			stalled = 0
			for (t = 0; t + 19 <= last; t++) {
				s = 0
				for (u = t; u < t + 20; u++) s += b[u]
				if (!stalled && s < need) stalled = 1
				if (stalled && s >= need) { printf "%d\n", base + t * 10 - from; exit }
			}
			print (stalled ? "none" : 0)
		}' $(__traffic_timelines "$1")
}

# Goodput of a run in kbit/s, by the server (first to last payload byte).
# $1: tag
traffic_goodput_kbps() {
	local mbps
	mbps=$(traffic_json server '.goodput_mbps' "$1") || { echo "$mbps"; return 1; }
	__traffic_milli "$mbps"
}

# floor(N * 1000) of a non-negative decimal as the samples write it
# (digits, a dot, digits), with builtins; anything else goes to awk.
# $1: number
__traffic_milli() {
	local i f
	if [[ $1 =~ ^([0-9]+)(\.([0-9]*))?$ ]]; then
		i=${BASH_REMATCH[1]} f=${BASH_REMATCH[3]}000
		echo $((10#$i * 1000 + 10#${f:0:3}))
	else
		awk -v g="$1" 'BEGIN { x = g * 1000; printf "%d\n", x - (x < int(x)) }'
	fi
}

# Goodput in kbit/s over the middle 60% of the receive timeline, without
# the slow start and the last in-flight bytes. $1: tag
traffic_goodput_mid_kbps() {
	awk '{ t[NR] = $1; b[NR] = $2 }
		END {
			a = int(NR * 0.2) + 1; z = int(NR * 0.8)
			if (z <= a) { print 0; exit }
			for (i = a; i <= z; i++) s += b[i]
			printf "%d\n", s * 8 / (t[z] - t[a] + 10)
		}' "$(traffic_dir "$1")/server.timeline" 2>/dev/null
}

# Goodput of a run as a percentage of the sum of the shaped path rates.
# $1: tag
traffic_goodput_share() {
	local sum mbps
	shape_rates_total_to sum
	mbps=$(traffic_json server '.goodput_mbps' "$1") || return 1
	((sum > 0)) || return 1
	# Rounded: kbit/s * 1000 * 100 / sum, plus a half.
	mbps=$(__traffic_milli "$mbps") || return 1
	echo $(((mbps * 100000 * 2 / sum + 1) / 2))
}

# The client's subflow events of connection 0, one per line:
# "epoch_ms count pairs". $1: tag
__traffic_sf_events() {
	local d
	traffic_dir_to d "$1"
	awk '$1 == "client" && $2 == "subflows" && $4 == 0 { print $3, $5, $6 }' \
		"$d/events.log" 2>/dev/null
}

# Milliseconds from the client's connection until it first listed n live
# subflows, or "none". $1: tag, $2: n
traffic_sf_reached_ms() {
	local at t0 _
	at=$(traffic_sf_reached_at "$1" "$2")
	if [[ $at == none ]]; then
		echo none
		return
	fi
	read -r t0 _ < <(__traffic_sf_events "$1")
	echo $((at - t0))
}

# When connection 0 first listed n live subflows (epoch ms), or "none".
# $1: tag, $2: n
traffic_sf_reached_at() {
	__traffic_sf_events "$1" | awk -v n="$2" '
		$2 >= n { print $1; f = 1; exit }
		END { if (!f) print "none" }'
}

# Every local>remote address pair connection 0 had at any moment, ports
# and brackets dropped, sorted, one per line. $1: tag
traffic_pairs() {
	__traffic_sf_events "$1" | awk '$3 != "-" { n = split($3, p, ","); for (i = 1; i <= n; i++) print p[i] }' |
		sed -E 's/:[0-9]+>/>/; s/:[0-9]+$//; s/[][]//g' | sort -u
}

# Most live subflows connection 0 had at once, by its events. $1: tag
traffic_sf_max() {
	__traffic_sf_events "$1" | awk '$2 > m { m = $2 } END { print m + 0 }'
}
