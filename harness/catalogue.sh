# shellcheck shell=bash
# The steps the scenario catalogue shares (subflows, signal, backup,
# fullmesh, aggregation, the failover variants, lifecycle, ipv6, ADD_ADDR
# loss, checksums): transfers whose joins, counters, subflow addresses and
# per-path bytes are recorded under a tag; receive counts and outages that
# follow the direction of the data (upload, download, bidir); endpoint flag
# changes; sysctls; text captures; and the exact checks built on them.

# --- namespaces

# Set sysctls in a role's namespace (never the host's).
# $1: role, $2...: key=value
topo_sysctl() {
	local role=$1 kv
	shift
	for kv in "$@"; do
		in_ns "$role" sysctl -qw "$kv" >/dev/null || {
			log_err "topo_sysctl: cannot set $kv on $role"
			return 1
		}
	done
}

# --- path manager

# Change an endpoint's flags; on a live connection a backup change sends
# MP_PRIO. $1: role, $2: path, $3: backup|nobackup|fullmesh|nofullmesh,
# $4: 4|6 (default 4)
pm_endpoint_change() {
	local id
	id=$(pm_endpoint_id "$1" "$2" "${4:-4}") || {
		log_err "pm_endpoint_change: no endpoint for path $2 on $1"
		return 1
	}
	ip -n "$(topo_ns "$1")" mptcp endpoint change id "$id" "$3"
}

# --- counters per tag

# Baseline of the client's and the server's MIB counters for a tag.
# $1: tag
obs_mib_mark() {
	local role
	for role in client server; do
		obs_mib_save "$role" "$MPTH_RUN_DIR/mib-$1-$role"
	done
}

# Record, as facts <tag>.mib.<role>.<counter>, every counter that changed
# since obs_mib_mark. $1: tag
obs_mib_record() {
	local tag=$1 role name delta
	for role in client server; do
		[[ -s $MPTH_RUN_DIR/mib-$tag-$role ]] || continue
		while read -r name delta; do
			fact_set "$tag.mib.$role.$name" "$delta"
		done < <(obs_mib_delta "$role" "$MPTH_RUN_DIR/mib-$tag-$role")
		fact_set "$tag.mib.$role.recorded" 1
	done
}

# How much a counter changed over a tag (0 when it did not); fails when the
# tag's counters were never recorded. $1: tag, $2: role, $3: counter
obs_mib_of() {
	fact_get "$1.mib.$2.recorded" >/dev/null || return 1
	fact_get "$1.mib.$2.$3" || echo 0
}

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
	for ((i = 1; i <= TOPO_PATHS; i++)); do
		fact_set "$1.path$i.up" $(($(obs_path_bytes "$i" up) - $(fact_get "$1.path$i.up0")))
		fact_set "$1.path$i.down" $(($(obs_path_bytes "$i" down) - $(fact_get "$1.path$i.down0")))
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

# --- text captures

# Capture a router's server-side link, decoded as text (tcpdump shows the
# MPTCP options), until count packets or obs_tcpdump_stop. Waits until it
# listens. $1: path, $2: output file, $3: packet count (default 300)
obs_tcpdump_start() {
	local i=$1 out=$2 count=${3:-300}
	in_ns_bg "r$i" tcpdump -i s -nn -l -c "$count" -s 160 tcp >"$out" 2>"$out.err" 3>&-
	echo "$BG_PID" >"$out.pid"
	defer kill "$BG_PID"
	busywait 5000 grep -q 'listening on' "$out.err" || {
		log_err "tcpdump on path $i did not start: $(cat "$out.err")"
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

# --- faults on MPTCP signalling

# Router i drops the first n packets carrying an ADD_ADDR (MPTCP option 30,
# subtype 3) that it forwards toward the client; later ones pass. The
# echoes travel the other way and are never touched. Counters "seen" and
# "dropped" (obs_nft_counter). $1: path, $2: n
fault_drop_add_addr() {
	local i=$1 n=$2
	ip netns exec "$(topo_ns "r$i")" nft -f - <<-NFT || return 1
		table inet mpth_add_addr {
			counter seen { }
			counter dropped { }
			chain forward_to_client {
				type filter hook forward priority -50; policy accept;
				oifname "c" tcp option mptcp subtype 3 counter name "seen" numgen inc mod 1000000000 < $n counter name "dropped" drop
			}
		}
	NFT
	defer ip netns exec "$(topo_ns "r$i")" nft delete table inet mpth_add_addr
	__fault_event drop-add-addr "$i" "first $n"
}

# Packets a named nft counter of a router has seen.
# $1: path, $2: table (inet), $3: counter
obs_nft_counter() {
	ip netns exec "$(topo_ns "r$1")" nft -j list counter inet "$2" "$3" 2>/dev/null |
		jq -r '.nftables[] | select(.counter) | .counter.packets' 2>/dev/null || echo 0
}

# --- traffic, by the direction of the data

# The sides whose timelines count a run's received payload: the server's
# for an upload, the client's for a download, both for bidir. $1: tag
__traffic_rx_sides() {
	case $(fact_get "$1.mode") in
	download) echo client ;;
	bidir) echo server client ;;
	*) echo server ;;
	esac
}

# Payload received so far by the receiving side(s) of a run. $1: tag
traffic_rx_bytes() {
	local tag=${1:-$(fact_get traffic.last)} side n sum=0
	for side in $(__traffic_rx_sides "$tag"); do
		n=$(awk '{ s += $2 } END { printf "%d\n", s }' \
			"$(traffic_dir "$tag")/$side.timeline" 2>/dev/null)
		sum=$((sum + ${n:-0}))
	done
	echo "$sum"
}

# $1: bytes, $2: tag
__traffic_rx_reached() {
	(($(traffic_rx_bytes "$2") >= $1))
}

# $1: bytes, $2: tag
__traffic_rx_reached_or_over() {
	__traffic_rx_reached "$1" "$2" || ! traffic_running "$2"
}

# Wait until the receiving side(s) got a number of bytes; gives up early
# when the client has exited. $1: bytes, $2: timeout ms, $3: tag
traffic_wait_rx() {
	local tag=${3:-$(fact_get traffic.last)}
	busywait "${2:-20000}" __traffic_rx_reached_or_over "$1" "$tag" &&
		__traffic_rx_reached "$1" "$tag"
}

# The longest receive gap after a moment, over every receiving side.
# $1: tag, $2: from (epoch ms), $3: until (epoch ms, optional)
traffic_outage_rx_ms() {
	local side v max=0
	for side in $(__traffic_rx_sides "$1"); do
		v=$(traffic_outage_ms "$1" "$2" "${3:-}" "$side") || { echo "$v"; return 1; }
		((v > max)) && max=$v
	done
	echo "$max"
}

# Goodput of a run in kbit/s, by the server (first to last payload byte).
# $1: tag
traffic_goodput_kbps() {
	traffic_json server '.goodput_mbps * 1000 | floor' "$1"
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

# The latest client MPTCP_INFO line of connection 0. $1: tag
__traffic_info_last() {
	grep '"conn":0' "$(traffic_dir "$1")/client.info" 2>/dev/null | tail -n1
}

# Subflows the client lists now for connection 0 (0 before it reports).
# $1: tag
traffic_sf_now() {
	local n
	n=$(__traffic_info_last "$1" | jq -r '.subflows // 0' 2>/dev/null)
	echo "${n:-0}"
}

# $1: count, $2: tag
__traffic_sf_at_least() {
	(($(traffic_sf_now "$2") >= $1))
}

# $1: count, $2: tag
__traffic_sf_at_least_or_over() {
	__traffic_sf_at_least "$1" "$2" || ! traffic_running "$2"
}

# Wait until the client lists at least N subflows; gives up early when
# the client has exited. $1: N, $2: timeout ms, $3: tag
traffic_wait_sf() {
	busywait "${2:-5000}" __traffic_sf_at_least_or_over "$1" "$3" &&
		__traffic_sf_at_least "$1" "$3"
}

# A jq test for a live subflow of the client's subflow_list: established
# (the closed initial subflow stays listed, its address zeroed).
__TRAFFIC_SF_LIVE='(.established != false) and (.remote | endswith(":0") | not)'

# The live subflows of connection 0 as local addr:port words. $1: tag
traffic_sf_locals() {
	__traffic_info_last "$1" |
		jq -r ".subflow_list[]? | select($__TRAFFIC_SF_LIVE) | .local" 2>/dev/null |
		sed 's/[][]//g'
}

# True when connection 0 has a live subflow from an address whose
# addr:port is not in a list. $1: tag, $2: address, $3: old addr:port words
traffic_has_new_sf_from() {
	local l
	while read -r l; do
		[[ ${l%:*} == "$2" ]] || continue
		[[ " $3 " == *" $l "* ]] || return 0
	done < <(traffic_sf_locals "$1")
	return 1
}

# Done waiting for a new subflow: it came, or the client has exited.
# $1: tag, $2: address, $3: old addr:port words
__traffic_new_sf_or_over() {
	traffic_has_new_sf_from "$@" || ! traffic_running "$1"
}

# Wait for a new live subflow from an address (see traffic_has_new_sf_from);
# prints how long it took in ms, or "none". $1: tag, $2: address, $3: old
# addr:port words, $4: timeout ms (default 5000)
traffic_wait_new_sf() {
	local t
	t=$(now_ms)
	if busywait "${4:-5000}" __traffic_new_sf_or_over "$1" "$2" "$3" &&
		traffic_has_new_sf_from "$1" "$2" "$3"; then
		echo $(($(now_ms) - t))
	else
		echo none
	fi
}

# Milliseconds from the client's first MPTCP_INFO line until it first
# listed n subflows, or "none". $1: tag, $2: n
traffic_sf_reached_ms() {
	grep '"conn":0' "$(traffic_dir "$1")/client.info" 2>/dev/null |
		jq -rs --argjson n "$2" 'if length == 0 then "none" else
			(.[0].t_ms) as $t0 | ([.[] | select(.subflows >= $n)][0].t_ms) as $t |
			if $t == null then "none" else $t - $t0 end end' 2>/dev/null || echo none
}

# Every local>remote address pair connection 0 had at any moment, ports
# and brackets dropped, sorted, one per line. $1: tag
traffic_pairs() {
	grep '"conn":0' "$(traffic_dir "$1")/client.info" 2>/dev/null |
		jq -r ".subflow_list[]? | select($__TRAFFIC_SF_LIVE) |
			\"\\(.local)>\\(.remote)\"" 2>/dev/null |
		sed -E 's/:[0-9]+>/>/; s/:[0-9]+$//; s/[][]//g' | sort -u
}

# The live subflows of connection 0 now, as local>remote address pairs.
# $1: tag
traffic_live_pairs() {
	__traffic_info_last "$1" |
		jq -r ".subflow_list[]? | select($__TRAFFIC_SF_LIVE) |
			\"\\(.local)>\\(.remote)\"" 2>/dev/null |
		sed -E 's/:[0-9]+>/>/; s/:[0-9]+$//; s/[][]//g'
}

# True when no live subflow matches an extended regex on local>remote.
# $1: tag, $2: regex
__traffic_no_live_pair() {
	! traffic_live_pairs "$1" | grep -Eq "$2"
}

# Wait until no live subflow matches an extended regex on local>remote
# (e.g. "^198\.18\.2\.1>"); prints how long it took in ms, or "none".
# $1: tag, $2: regex, $3: timeout ms (default 3000)
traffic_wait_pair_gone() {
	local t
	t=$(now_ms)
	if busywait "${3:-3000}" __traffic_no_live_pair "$1" "$2"; then
		echo $(($(now_ms) - t))
	else
		echo none
	fi
}

# True when the live subflows are exactly a set. $1: tag, $2: sorted
# space-separated local>remote pairs
__traffic_live_pairs_are() {
	[[ $(traffic_live_pairs "$1" | sort | paste -sd' ') == "$2" ]]
}

# Wait until the live subflows are exactly a set of address pairs; prints
# how long it took in ms, or "none". $1: tag, $2...: local>remote pairs
traffic_wait_live_pairs() {
	local tag=$1 want t
	shift
	want=$(printf '%s\n' "$@" | sort | paste -sd' ')
	t=$(now_ms)
	if busywait 3000 __traffic_live_pairs_are "$tag" "$want"; then
		echo $(($(now_ms) - t))
	else
		echo none
	fi
}

# --- recipes

# A transfer whose joins are counted. Facts under the tag:
#   sf_max     most subflows the client listed at once (its JSON)
#   ssm        subflows by ss -M once the expected number had joined
#   accepted   add_addr_accepted by the client's ss -M, at the same time
#   pairs      every local>remote address pair (space separated)
#   mib.*      counter deltas (obs_mib_record), path*.up/down bytes
# $1: tag, $2: subflows to wait for before sampling ss -M,
# $3...: traffic_start options
recipe_counted() {
	local tag=$1 want=$2 port
	shift 2
	obs_mib_mark "$tag"
	obs_paths_mark "$tag"
	traffic_start --tag "$tag" "$@" || return 1
	port=$(fact_get "$tag.port")
	traffic_wait_sf "$want" 5000 "$tag" ||
		log_warn "$tag: the client lists $(traffic_sf_now "$tag") subflows, waited for $want"
	fact_set "$tag.ssm" "$(obs_ssm_count client "$port")"
	fact_set "$tag.accepted" "$(obs_ssm_field client "$port" add_addr_accepted)"
	# A run that hangs is killed at the deadline; the tests judge it.
	traffic_wait 60000 "$tag" || true
	fact_set "$tag.sf_max" "$(traffic_json client '.conns[0].max_subflows' "$tag")"
	fact_set "$tag.pairs" "$(traffic_pairs "$tag" | paste -sd' ')"
	obs_mib_record "$tag"
	obs_paths_record "$tag"
	harness_figure "$tag.subflows" "$(fact_get "$tag.sf_max")"
}

# One path fails and returns several times during a transfer. With
# link-down its endpoint is withdrawn at each failure and added back at each
# return, as a connection manager does; a blackhole gets no such help. The
# k-th failure comes once k/(N+2) of the bytes arrived, and the path
# returns once a further half of that step arrived over the other path.
#   --tag T --path I --times N --fault link-down|blackhole --bytes B
#   --mode M --corrupt-at OFF
#   --readd 0|1   add the endpoint back at each return (default 1)
# Facts: T.total, T.flap<k>.fault_ms .restore_ms .outage_ms .rejoin_ms
# (none when no new subflow came within 5 s), T.flaps, MIB deltas.
recipe_flap() {
	local tag=flap path=1 times=3 fault=link-down bytes=16M mode=upload extra=() readd=1
	local total step k addr old
	while (($#)); do
		case $1 in
		--tag) tag=$2 ;;
		--path) path=$2 ;;
		--times) times=$2 ;;
		--fault) fault=$2 ;;
		--bytes) bytes=$2 ;;
		--mode) mode=$2 ;;
		--corrupt-at) extra+=(--corrupt-at "$2") ;;
		--readd) readd=$2 ;;
		*)
			log_err "recipe_flap: unknown option '$1'"
			return 2
			;;
		esac
		shift 2
	done
	total=$(traffic_size_bytes "$bytes")
	[[ $mode != bidir ]] || total=$((total * 2))
	step=$((total / (times + 2)))
	addr=$(topo_addr "$path" client)
	fact_set "$tag.total" "$total"
	obs_mib_mark "$tag"
	traffic_start --tag "$tag" --bytes "$bytes" --mode "$mode" "${extra[@]}" || return 1
	traffic_wait_sf 2 5000 "$tag" || log_warn "$tag: no second subflow before the first flap"
	for ((k = 1; k <= times; k++)); do
		traffic_wait_rx $((k * step)) 20000 "$tag" ||
			log_warn "$tag: only $(traffic_rx_bytes "$tag") bytes before flap $k"
		fault_apply "$fault" "$path" || return 1
		fact_set "$tag.flap$k.fault_ms" "$(fact_get "fault.$path.${fault}_ms")"
		if [[ $fault == link-down ]] && pm_endpoint_id client "$path" >/dev/null; then
			pm_endpoint_del client "$path"
			__fault_event endpoint-removed "$path"
		fi
		traffic_wait_rx $((k * step + step / 2)) 20000 "$tag" ||
			log_warn "$tag: the transfer stalled during flap $k"
		old=$(traffic_sf_locals "$tag" | paste -sd' ')
		fault_restore "$path" || return 1
		fact_set "$tag.flap$k.restore_ms" "$(fact_get "fault.$path.restore_ms")"
		# In-kernel PM: a closed subflow comes back only through its
		# endpoint; a blackholed one recovers by itself.
		if [[ $fault == link-down ]]; then
			[[ $readd != 1 ]] || pm_endpoint client "$path" subflow
			fact_set "$tag.flap$k.rejoin_ms" "$(traffic_wait_new_sf "$tag" "$addr" "$old")"
		fi
		fact_set "$tag.flaps" "$k"
	done
	# A run that hangs is killed at the deadline; the tests judge it.
	traffic_wait 60000 "$tag" || true
	for ((k = 1; k <= times; k++)); do
		fact_set "$tag.flap$k.outage_ms" "$(traffic_outage_rx_ms "$tag" \
			"$(fact_get "$tag.flap$k.fault_ms")" "$(fact_get "$tag.flap$k.restore_ms")")"
		harness_figure "$tag.flap$k.outage_ms" "$(fact_get "$tag.flap$k.outage_ms")"
	done
	obs_mib_record "$tag"
}

# Every path fails silently; the client's subflows time out one by one
# (tcp_retries2 kept low) until the connection has none, yet stays open;
# one path returns before net.mptcp.close_timeout and its endpoint is
# added back: make-after-break.
#   --tag T --bytes B --return I (path that returns) --gap MS (how long
#   the connection stays without any subflow before the return)
# Facts: T.zero_ms (from the failure until no subflow is left, or none),
# T.msk_state (of the client's connection then), T.fault_ms, T.restore_ms,
# T.rejoin_ms, T.outage_ms, MIB deltas.
recipe_make_after_break() {
	local tag=mab bytes=8M back=2 gap=1000 port i t state
	while (($#)); do
		case $1 in
		--tag) tag=$2 ;;
		--bytes) bytes=$2 ;;
		--return) back=$2 ;;
		--gap) gap=$2 ;;
		*)
			log_err "recipe_make_after_break: unknown option '$1'"
			return 2
			;;
		esac
		shift 2
	done
	fact_set "$tag.total" "$(traffic_size_bytes "$bytes")"
	obs_mib_mark "$tag"
	traffic_start --tag "$tag" --bytes "$bytes" || return 1
	port=$(fact_get "$tag.port")
	traffic_wait_sf "$TOPO_PATHS" 5000 "$tag" || log_warn "$tag: not every path joined"
	fact_set "$tag.sf_before" "$(traffic_sf_now "$tag")"
	traffic_wait_rx $(($(fact_get "$tag.total") / 4)) 20000 "$tag" ||
		log_warn "$tag: only $(traffic_rx_bytes "$tag") bytes before the failure"
	for ((i = 1; i <= TOPO_PATHS; i++)); do
		fault_blackhole "$i" || return 1
	done
	t=$(fact_get fault.last_ms)
	fact_set "$tag.fault_ms" "$t"
	if busywait 30000 obs_ssm_is_zero client "$port"; then
		fact_set "$tag.zero_ms" $(($(now_ms) - t))
	else
		fact_set "$tag.zero_ms" none
	fi
	state=$(in_ns client ss -HMna "( dport = :$port )" 2>/dev/null | awk 'NR == 1 { print $1 }')
	fact_set "$tag.msk_state" "${state:-gone}"
	obs_snapshot "$tag-no-subflow"
	harness_note "$tag: no subflow left after $(fact_get "$tag.zero_ms") ms; connection ${state:-gone}"
	# The connection stays without any subflow for a while: a gap the
	# scenario chooses, not a wait for something to happen.
	sleep "$(awk -v ms="$gap" 'BEGIN { printf "%.3f", ms / 1000 }')"
	fault_restore "$back" || return 1
	fact_set "$tag.restore_ms" "$(fact_get "fault.$back.restore_ms")"
	pm_endpoint_del client "$back" 2>/dev/null || true
	pm_endpoint client "$back" subflow
	fact_set "$tag.rejoin_ms" "$(traffic_wait_new_sf "$tag" "$(topo_addr "$back" client)" '')"
	# A run that hangs is killed at the deadline; the tests judge it.
	traffic_wait 60000 "$tag" || true
	fact_set "$tag.outage_ms" "$(traffic_outage_rx_ms "$tag" "$(fact_get "$tag.fault_ms")")"
	harness_figure "$tag.outage_ms" "$(fact_get "$tag.outage_ms")"
	obs_mib_record "$tag"
	for ((i = 1; i <= TOPO_PATHS; i++)); do
		fault_restore "$i"
	done
}

# --- checks

# A counter's change over a tag. $1: tag, $2: role, $3: counter,
# $4: operator (-eq -ge ...), $5: value
check_mib() {
	local v
	v=$(obs_mib_of "$1" "$2" "$3") || v='not recorded'
	expect "$2 $3" "$v" "$4" "$5"
}

# Exactly N joins, counted at both ends (MP_JOIN SYN sent, SYN/ACK received
# by the client; SYN and third ACK received by the server), and N+1
# subflows by MPTCP_INFO and by ss -M. $1: tag, $2: N
check_joins_exact() {
	local tag=$1 n=$2
	expect "most subflows at once (client MPTCP_INFO)" "$(fact_get "$tag.sf_max")" -eq $((n + 1)) &&
		expect "subflows by ss -M during the transfer" "$(fact_get "$tag.ssm")" -eq $((n + 1)) &&
		check_mib "$tag" client MPTcpExtMPJoinSynTx -eq "$n" &&
		check_mib "$tag" client MPTcpExtMPJoinSynAckRx -eq "$n" &&
		check_mib "$tag" server MPTcpExtMPJoinSynRx -eq "$n" &&
		check_mib "$tag" server MPTcpExtMPJoinAckRx -eq "$n"
}

# The subflows used exactly these address pairs, no more, no fewer.
# $1: tag, $2...: local>remote pairs
check_pairs() {
	local tag=$1 want got
	shift
	want=$(printf '%s\n' "$@" | sort -u | paste -sd' ')
	got=$(fact_get "$tag.pairs")
	if [[ $got != "$want" ]]; then
		__assert_fail "subflow address pairs (local>remote): expected {$want}, got {$got}"
		return 1
	fi
	harness_diag "subflow address pairs (local>remote): {$got}"
}

# Every subflow of a tag pairs two addresses of one family, and that
# family. $1: tag, $2: 4|6
check_pairs_family() {
	local tag=$1 fam=$2 p l r bad=()
	for p in $(fact_get "$tag.pairs"); do
		l=${p%%>*} r=${p#*>}
		if [[ $fam == 4 && ($l == *:* || $r == *:*) ]] ||
			[[ $fam == 6 && ($l != *:* || $r != *:*) ]]; then
			bad+=("$p")
		fi
	done
	if ((${#bad[@]})); then
		__assert_fail "subflows not IPv$fam on both ends: ${bad[*]} (all: $(fact_get "$tag.pairs"))"
		return 1
	fi
	harness_diag "every subflow is IPv$fam on both ends: $(fact_get "$tag.pairs")"
}

# No subflow of a tag pairs an IPv4 address with an IPv6 one. $1: tag
check_pairs_same_family() {
	local p l r bad=()
	for p in $(fact_get "$1.pairs"); do
		l=${p%%>*} r=${p#*>}
		if [[ $l == *:* && $r != *:* ]] || [[ $l != *:* && $r == *:* ]]; then
			bad+=("$p")
		fi
	done
	if ((${#bad[@]})); then
		__assert_fail "subflows mixing IPv4 and IPv6: ${bad[*]}"
		return 1
	fi
	harness_diag "no subflow mixes the families: $(fact_get "$1.pairs")"
}

# A path carried at most pct% of a window's payload. $1: what, $2: wire
# bytes, $3: payload bytes, $4: percent
check_share_at_most() {
	(($3 > 0)) || {
		__assert_fail "$1: no payload arrived in the window"
		return 1
	}
	expect "$1, % of the payload received meanwhile ($2 of $3 bytes)" $(($2 * 100 / $3)) -le "$4"
}

# MPTCP beat the best single path by a clear margin: goodput above the
# best path's rate plus pct% of what the other paths add. Prints the
# goodput as a share of the sum of the path rates. $1: tag, $2: percent
check_aggregates() {
	local tag=$1 pct=$2 i r best=0 sum=0 got mid bound
	for ((i = 1; i <= TOPO_PATHS; i++)); do
		r=$(fact_get "$tag.rate$i") || r=0
		sum=$((sum + r / 1000))
		((r / 1000 > best)) && best=$((r / 1000))
	done
	got=$(fact_get "$tag.goodput_kbps")
	mid=$(fact_get "$tag.goodput_mid_kbps")
	((sum > 0)) || {
		__assert_fail "no path rate recorded for $tag"
		return 1
	}
	bound=$((best + (sum - best) * pct / 100))
	harness_diag "$tag: goodput ${got:-?} kbit/s = $(awk -v g="${got:-0}" -v s="$sum" \
		'BEGIN { printf "%.1f", g * 100 / s }')% of the sum of the path rates ($sum kbit/s);" \
		"steady state ${mid:-?} kbit/s = $(awk -v g="${mid:-0}" -v s="$sum" \
		'BEGIN { printf "%.1f", g * 100 / s }')%; best single path $best kbit/s" \
		"(goodput $(awk -v g="${got:-0}" -v b="$best" 'BEGIN { printf "%.2f", g / b }')x)"
	expect "$tag goodput (kbit/s), best path $best + $pct% of the other $((sum - best))" \
		"$got" -gt "$bound"
}

# Every byte arrived intact in the run's direction(s): the upload checks
# of assert_transfer_intact, plus for a download or bidir run the client's
# own verification and its byte count against what the server sent and
# what was asked for. $1: tag
check_transfer_intact() {
	local tag=$1 mode want sent got
	assert_transfer_intact "$tag" || return 1
	mode=$(fact_get "$tag.mode")
	[[ $mode == download || $mode == bidir ]] || return 0
	[[ $(traffic_json client '.mismatch_offset' "$tag") == -1 ]] || {
		__assert_fail "download corrupted: the client found the first mismatch at byte offset $(traffic_json client '.mismatch_offset' "$tag")"
		return 1
	}
	want=$(traffic_json client '.requested_bytes' "$tag")
	sent=$(traffic_json server '.bytes_sent' "$tag")
	got=$(traffic_json client '.bytes_received' "$tag")
	expect "bytes the server sent (requested $want)" "$sent" -eq "$want" &&
		expect "bytes the client received and verified (server sent $sent)" "$got" -eq "$sent"
}
