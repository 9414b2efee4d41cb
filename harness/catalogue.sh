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

# How much a counter changed over a tag (0 when it did not). Status 1 when
# the tag's counters were never recorded, 2 when this kernel has no such
# counter (the snapshot taken at obs_mib_mark lists every counter the
# kernel has, zeros included). $1: tag, $2: role, $3: counter
obs_mib_of() {
	local snap=$MPTH_RUN_DIR/mib-$1-$2
	fact_get "$1.mib.$2.recorded" >/dev/null || return 1
	if [[ -s $snap ]] && ! grep -q "^$3 " "$snap"; then
		return 2
	fi
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

# Router i refuses every MP_JOIN SYN (MPTCP option 30, subtype 1, on a
# SYN) that it forwards toward the server: answered with a TCP reset
# (reset) or silently dropped (drop). Other packets pass. Counter
# "refused" (obs_nft_counter). $1: path, $2: reset|drop
fault_refuse_join() {
	local i=$1 verdict
	case $2 in
	reset) verdict='reject with tcp reset' ;;
	drop) verdict=drop ;;
	*)
		log_err "fault_refuse_join: reset or drop, not '$2'"
		return 2
		;;
	esac
	# Called again, it starts afresh: the old table and counter go.
	ip netns exec "$(topo_ns "r$i")" nft -f - <<-NFT || return 1
		table inet mpth_refuse_join { }
		delete table inet mpth_refuse_join
		table inet mpth_refuse_join {
			counter refused { }
			chain forward_to_server {
				type filter hook forward priority -50; policy accept;
				iifname "c" tcp flags & (syn | ack) == syn tcp option mptcp subtype 1 counter name "refused" $verdict
			}
		}
	NFT
	defer ip netns exec "$(topo_ns "r$i")" nft delete table inet mpth_refuse_join
	__fault_event refuse-join "$i" "$2"
}

# Router i lets MP_JOIN SYNs pass again. $1: path
fault_refuse_join_end() {
	ip netns exec "$(topo_ns "r$1")" nft delete table inet mpth_refuse_join &&
		__fault_event refuse-join-end "$1" ''
}

# Router i forwards ADD_ADDRs untouched again. $1: path
fault_drop_add_addr_end() {
	ip netns exec "$(topo_ns "r$1")" nft delete table inet mpth_add_addr &&
		__fault_event drop-add-addr-end "$1" ''
}

# Packets a named nft counter of a router has seen.
# $1: path, $2: table (inet), $3: counter
obs_nft_counter() {
	ip netns exec "$(topo_ns "r$1")" nft -j list counter inet "$2" "$3" 2>/dev/null |
		jq -r '.nftables[] | select(.counter) | .counter.packets' 2>/dev/null || echo 0
}

# --- recipes

# A transfer whose joins are counted. Facts under the tag:
#   sf_max     most subflows the client listed at once (its JSON)
#   ssm        subflows by ss -M once the expected number had joined
#   accepted   add_addr_accepted by the client's ss -M, at the same time
#   pairs      every local>remote address pair (space separated)
#   mib.*      counter deltas (obs_mib_record), path*.up/down bytes
# $1: tag, $2: subflows to wait for before sampling ss -M,
# $3...: traffic_start options, and
#   --wait-mib ROLE COUNTER N   also wait (10 s at most) until the role's
#                               counter moved by N: a refused join leaves
#                               no subflow to wait for
recipe_counted() {
	wait_untraced __recipe_counted "$@"
}

__recipe_counted() {
	local tag=$1 want=$2 port args=() mib=() base=0
	shift 2
	while (($#)); do
		case $1 in
		--wait-mib)
			mib=("$2" "$3" "$4")
			shift 3
			;;
		*) args+=("$1") ;;
		esac
		shift
	done
	obs_mib_mark "$tag"
	obs_paths_mark "$tag"
	((${#mib[@]} == 0)) || obs_mib_to base "${mib[0]}" "${mib[1]}" || base=''
	traffic_start --tag "$tag" "${args[@]}" || return 1
	fact_var port "$tag.port"
	traffic_wait_sf "$tag" "$want" 5000 ||
		log_warn "$tag: the client lists $TRAFFIC_SF subflows, waited for $want"
	# What the kernel refuses leaves no subflow to wait for: its counter
	# is the event (builtins only, the transfer is live).
	if ((${#mib[@]})) && [[ -n $base ]]; then
		busywait 10000 __recipe_mib_moved "${mib[@]}" "$base" ||
			log_warn "$tag: ${mib[0]} ${mib[1]} moved by less than ${mib[2]} in 10 s"
	fi
	# The client streams until told to stop: ss -M sees the connection
	# however long the wait above took.
	fact_set "$tag.ssm" "$(obs_ssm_count client "$port")"
	fact_set "$tag.accepted" "$(obs_ssm_field client "$port" add_addr_accepted)"
	# A run that hangs is killed at the deadline; the tests judge it.
	traffic_wait 60000 "$tag" || true
	fact_set "$tag.sf_max" "$(traffic_json client '.conns[0].max_subflows' "$tag")"
	fact_set "$tag.pairs" "$(traffic_pairs "$tag" | paste -sd' ')"
	obs_mib_record "$tag"
	obs_paths_record "$tag"
	fact_sync
	harness_figure "$tag.subflows" "${FACT[$tag.sf_max]}"
}

# True once a role's counter moved by N since BASE. $1: role, $2: counter,
# $3: N, $4: BASE
__recipe_mib_moved() {
	local v
	obs_mib_to v "$1" "$2" && ((v - $4 >= $3))
}

# One path fails and returns several times during a transfer. With
# link-down its endpoint is withdrawn at each failure and added back at each
# return, as a connection manager does; a blackhole gets no such help. The
# first failure comes once 1/(N+2) of the bytes arrived, each later one
# half a step after the previous return; the path returns once a further
# half step arrived over the other path. Every fault is armed in advance
# (fault_at) and the client streams until the end, so no step can run out
# of data.
#   --tag T --path I --times N --fault link-down|blackhole --bytes B
#   --mode M --corrupt-at OFF
#   --readd 0|1   add the endpoint back at each return (default 1)
# Facts: T.total, T.flap<k>.fault_ms .restore_ms .outage_ms .rejoin_ms
# (none when no new subflow came within 5 s), T.flaps, MIB deltas.
recipe_flap() {
	wait_untraced __recipe_flap "$@"
}

__recipe_flap() {
	local tag=flap path=1 times=3 fault=link-down bytes=16M mode=upload extra=() readd=1
	local total step k addr at
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
	topo_addr_to addr "$path" client
	fact_set "$tag.total" "$total"
	obs_mib_mark "$tag"
	traffic_start --tag "$tag" --bytes "$bytes" --mode "$mode" "${extra[@]}" || return 1
	at=$step
	fault_at "$fault" "$path" "$tag" "$at" || return 1
	traffic_wait_sf "$tag" 2 5000 || log_warn "$tag: no second subflow before the first flap"
	for ((k = 1; k <= times; k++)); do
		((k == 1)) || fault_at "$fault" "$path" "$tag" "$at" || return 1
		traffic_mark "$tag" "$at" 20000 ||
			log_warn "$tag: the transfer did not reach flap $k's mark ($at bytes)"
		fault_wait_struck "$tag" 20000 || { log_err "$tag: flap $k did not strike"; return 1; }
		fact_set "$tag.flap$k.fault_ms" "$FAULT_MS"
		if [[ $fault == link-down ]] && pm_endpoint_id client "$path" >/dev/null; then
			pm_endpoint_del client "$path"
			__fault_event endpoint-removed "$path"
		fi
		traffic_progress "$tag"
		traffic_mark "$tag" $((TRAFFIC_RX + step / 2)) 20000 ||
			log_warn "$tag: the transfer stalled during flap $k"
		traffic_sf_locals "$tag"
		fault_restore "$path" || return 1
		fact_sync
		fact_set "$tag.flap$k.restore_ms" "${FACT[fault.$path.restore_ms]}"
		# In-kernel PM: a closed subflow comes back only through its
		# endpoint; a blackholed one recovers by itself.
		if [[ $fault == link-down ]]; then
			[[ $readd != 1 ]] || pm_endpoint client "$path" subflow
			traffic_wait_new_sf "$tag" "$addr" "$TRAFFIC_SF_LOCALS" 5000
			fact_set "$tag.flap$k.rejoin_ms" "$TRAFFIC_WAITED_MS"
		fi
		fact_set "$tag.flaps" "$k"
		traffic_progress "$tag"
		at=$((TRAFFIC_RX + step / 2))
	done
	# A run that hangs is killed at the deadline; the tests judge it.
	traffic_wait 60000 "$tag" || true
	fact_sync
	for ((k = 1; k <= times; k++)); do
		fact_set "$tag.flap$k.outage_ms" "$(traffic_outage_rx_ms "$tag" \
			"${FACT[$tag.flap$k.fault_ms]}" "${FACT[$tag.flap$k.restore_ms]}")"
		harness_figure "$tag.flap$k.outage_ms" "${FACT[$tag.flap$k.outage_ms]}"
	done
	obs_mib_record "$tag"
}

# $1: tag. True once the client lists no live subflow.
__recipe_no_subflow() {
	[[ -n ${__TR_SF[$1]:-} ]] && ((${__TR_SF[$1]} == 0))
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
	wait_untraced __recipe_make_after_break "$@"
}

__recipe_make_after_break() {
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
	fact_var port "$tag.port"
	traffic_wait_sf "$tag" "$TOPO_PATHS" 5000 || log_warn "$tag: not every path joined"
	fact_set "$tag.sf_before" "$TRAFFIC_SF"
	traffic_mark "$tag" $((${FACT[$tag.total]} / 4)) 20000 ||
		log_warn "$tag: the transfer did not reach a quarter of its bytes"
	for ((i = 1; i <= TOPO_PATHS; i++)); do
		fault_blackhole "$i" || return 1
	done
	fact_var t fault.last_ms
	fact_set "$tag.fault_ms" "$t"
	# The client's own samples say when its last subflow went; ss -M
	# then confirms the connection itself is still there.
	if __traffic_until "$tag" 30000 __recipe_no_subflow "$tag"; then
		fact_set "$tag.zero_ms" $((${__TR_SF[$tag.t]} - t))
	else
		fact_set "$tag.zero_ms" none
	fi
	state=$(in_ns client ss -HMna "( dport = :$port )" 2>/dev/null | awk 'NR == 1 { print $1 }')
	fact_set "$tag.msk_state" "${state:-gone}"
	obs_snapshot "$tag-no-subflow"
	fact_sync
	harness_note "$tag: no subflow left after ${FACT[$tag.zero_ms]} ms; connection ${state:-gone}"
	# The connection stays without any subflow for a while: a gap the
	# scenario chooses, not a wait for something to happen.
	wait_nap "$((gap / 1000)).$(printf '%03d' $((gap % 1000)))"
	fault_restore "$back" || return 1
	fact_sync
	fact_set "$tag.restore_ms" "${FACT[fault.$back.restore_ms]}"
	pm_endpoint_del client "$back" 2>/dev/null || true
	pm_endpoint client "$back" subflow
	traffic_wait_new_sf "$tag" "$(topo_addr "$back" client)" '' 5000
	fact_set "$tag.rejoin_ms" "$TRAFFIC_WAITED_MS"
	# A run that hangs is killed at the deadline; the tests judge it.
	traffic_wait 60000 "$tag" || true
	fact_sync
	fact_set "$tag.outage_ms" "$(traffic_outage_rx_ms "$tag" "${FACT[$tag.fault_ms]}")"
	harness_figure "$tag.outage_ms" "${FACT[$tag.outage_ms]}"
	obs_mib_record "$tag"
	for ((i = 1; i <= TOPO_PATHS; i++)); do
		fault_restore "$i"
	done
}

# --- checks

# A counter's change over a tag. On a kernel without the counter the
# check skips by name, or, given --else, is made on an equivalent that
# kernel has (the scenario knows where one stands for the other: the
# client's AddAddr for the server's AddAddrTx when none is lost), and
# says so.
# $1: tag, $2: role, $3: counter, $4: operator (-eq -ge ...), $5: value,
# then optionally --else ROLE COUNTER
check_mib() {
	local tag=$1 role=$2 name=$3 op=$4 want=$5 v rc=0
	if (($# > 5)) && [[ $6 != --else || $# -ne 8 ]]; then
		__assert_fail "check_mib: after the value, only --else ROLE COUNTER (got: ${*:6})"
		return 1
	fi
	v=$(obs_mib_of "$tag" "$role" "$name") || rc=$?
	if ((rc == 2 && $# == 8)); then
		local alt_role=$7 alt=$8
		rc=0
		v=$(obs_mib_of "$tag" "$alt_role" "$alt") || rc=$?
		if ((rc == 0)); then
			harness_diag "counter $name not in this kernel: $alt_role $alt stands in for $role $name"
			expect "$alt_role $alt (for $role $name)" "$v" "$op" "$want"
			return
		fi
		((rc != 2)) || {
			expect_skip "$role $name $op $want: counter $name not in this kernel, nor its equivalent $alt"
			return
		}
	fi
	case $rc in
	0) expect "$role $name" "$v" "$op" "$want" ;;
	2) expect_skip "$role $name $op $want: counter $name not in this kernel" ;;
	*) expect "$role $name" 'not recorded' "$op" "$want" ;;
	esac
}

# Exactly N joins, counted at both ends (MP_JOIN SYN sent, SYN/ACK received
# by the client; SYN and third ACK received by the server), and N+1
# subflows by MPTCP_INFO and by ss -M; and, as mptcp_join.sh's
# chk_join_nr checks them, none refused, no HMAC failure and no fallback.
# $1: tag, $2: N
check_joins_exact() {
	local tag=$1 n=$2
	fact_sync
	expect "most subflows at once (client MPTCP_INFO)" "${FACT[$tag.sf_max]-}" -eq $((n + 1)) &&
		expect "subflows by ss -M during the transfer" "${FACT[$tag.ssm]-}" -eq $((n + 1)) &&
		check_mib "$tag" client MPTcpExtMPJoinSynTx -eq "$n" --else server MPTcpExtMPJoinSynRx &&
		check_mib "$tag" client MPTcpExtMPJoinSynAckRx -eq "$n" &&
		check_mib "$tag" server MPTcpExtMPJoinSynRx -eq "$n" &&
		check_mib "$tag" server MPTcpExtMPJoinAckRx -eq "$n" &&
		check_join_clean "$tag"
}

# No join refused (or exactly the refusals a scenario causes), none
# failing its HMAC, no token unknown, nothing fallen back to TCP: the
# counters mptcp_join.sh's chk_join_nr and chk_fallback_nr want at 0 when
# no fallback is meant. $1: tag, $2: joins the server refuses (default 0)
check_join_clean() {
	local tag=$1 c
	check_mib "$tag" server MPTcpExtMPJoinRejected -eq "${2:-0}" &&
		check_mib "$tag" server MPTcpExtMPJoinNoTokenFound -eq 0 &&
		check_mib "$tag" server MPTcpExtMPJoinAckHMacFailure -eq 0 &&
		check_mib "$tag" client MPTcpExtMPJoinSynAckHMacFailure -eq 0 || return
	for c in DssFallback MPCapableFallbackACK MPCapableFallbackSYNACK \
		InfiniteMapTx InfiniteMapRx DSSCorruptionFallback; do
		check_mib "$tag" client "MPTcpExt$c" -eq 0 &&
			check_mib "$tag" server "MPTcpExt$c" -eq 0 || return
	done
}

# The subflows used exactly these address pairs, no more, no fewer.
# $1: tag, $2...: local>remote pairs
check_pairs() {
	local tag=$1 want got
	shift
	want=$(printf '%s\n' "$@" | sort -u | paste -sd' ')
	fact_var got "$tag.pairs"
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
	fact_sync
	for p in ${FACT[$tag.pairs]-}; do
		l=${p%%>*} r=${p#*>}
		if [[ $fam == 4 && ($l == *:* || $r == *:*) ]] ||
			[[ $fam == 6 && ($l != *:* || $r != *:*) ]]; then
			bad+=("$p")
		fi
	done
	if ((${#bad[@]})); then
		__assert_fail "subflows not IPv$fam on both ends: ${bad[*]} (all: ${FACT[$tag.pairs]-})"
		return 1
	fi
	harness_diag "every subflow is IPv$fam on both ends: ${FACT[$tag.pairs]-}"
}

# No subflow of a tag pairs an IPv4 address with an IPv6 one. $1: tag
check_pairs_same_family() {
	local p l r bad=()
	fact_sync
	for p in ${FACT[$1.pairs]-}; do
		l=${p%%>*} r=${p#*>}
		if [[ $l == *:* && $r != *:* ]] || [[ $l != *:* && $r == *:* ]]; then
			bad+=("$p")
		fi
	done
	if ((${#bad[@]})); then
		__assert_fail "subflows mixing IPv4 and IPv6: ${bad[*]}"
		return 1
	fi
	harness_diag "no subflow mixes the families: ${FACT[$1.pairs]-}"
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
		fact_var r "$tag.rate$i" || r=0
		sum=$((sum + r / 1000))
		((r / 1000 > best)) && best=$((r / 1000))
	done
	fact_var got "$tag.goodput_kbps"
	fact_var mid "$tag.goodput_mid_kbps"
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
	fact_sync
	assert_transfer_intact "$tag" || return 1
	fact_var mode "$tag.mode"
	[[ $mode == download || $mode == bidir ]] || return 0
	[[ $(traffic_json client '.mismatch_offset' "$tag") == -1 ]] || {
		__assert_fail "download corrupted: the client found the first mismatch at byte offset $(traffic_json client '.mismatch_offset' "$tag")"
		return 1
	}
	sent=$(traffic_json server '.bytes_sent' "$tag")
	got=$(traffic_json client '.bytes_received' "$tag")
	if [[ ${FACT[$tag.stream]-} == 1 ]]; then
		# The harness ended the run: at least what it planned, per direction.
		fact_var want "$tag.planned"
		[[ $mode != bidir ]] || want=$((want / 2))
		expect "bytes the server sent (planned at least $want)" "$sent" -ge "$want" || return 1
	else
		want=$(traffic_json client '.requested_bytes' "$tag")
		expect "bytes the server sent (requested $want)" "$sent" -eq "$want" || return 1
	fi
	expect "bytes the client received and verified (server sent $sent)" "$got" -eq "$sent"
}
