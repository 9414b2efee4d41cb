# shellcheck shell=bash
# Recipes: the sequences several scenarios share, built from the modules
# (the failover, a transfer whose joins are counted, flapping, make after
# break). They record facts under their tag; the scenario's @tests judge
# them with assert.sh.

# Record what the client, ss -M and the MIB counters say about joins, while
# the connection is known to be alive (the client streams until told).
# $1: tag
__recipe_record_joins() {
	local tag=$1 port cb sb sf
	fact_var port "$tag.port"
	fact_var cb "$tag.mib_client_joins_base"
	fact_var sb "$tag.mib_server_joins_base"
	traffic_sf_to sf "$tag"
	fact_set "$tag.info_subflows" "$sf"
	fact_set "$tag.info_fallback" "$(traffic_client_info "$tag" --last -r .fallback)"
	fact_set "$tag.ssm_subflows" "$(obs_ssm_subflows client "$port")"
	fact_set "$tag.ss_subflows" "$(obs_ss_subflows client "$port")"
	# Deltas since the run began: the namespaces may have seen joins of
	# earlier runs.
	fact_set "$tag.mib_client_joins" $(($(obs_mib client MPTcpExtMPJoinSynAckRx) - cb))
	fact_set "$tag.mib_server_joins" $(($(obs_mib server MPTcpExtMPJoinAckRx) - sb))
}

# $1: tag, $2: subflows wanted, $3: bytes at which the fault is due
__recipe_joined_or_due() {
	traffic_has_sf "$1" "$2" || traffic_marked "$1" "$3"
}

# The figures of a failover run, from timestamped sources only: the
# receivers' marks (bytes and time), the path samplers and the receive
# timelines, read at the milestones' timestamps. $1: tag
recipe_failover_figures() {
	local tag=$1 sv mode dir ws we t_fault t_join rate want restore
	fact_var sv "$tag.survivor"
	fact_var mode "$tag.mode"
	dir=$(obs_mode_dir "$mode")
	fact_var ws "$tag.window_ms"
	fact_var we "$tag.window_end_ms"
	fact_var t_fault "$tag.fault_ms"
	fact_var want "$tag.want"
	fact_var restore "$tag.restore_ms"
	fact_set "$tag.survivor_bytes_at_fault" "$(obs_path_bytes_at "$sv" "$dir" "$t_fault")"
	fact_set "$tag.recv_at_fault" "$(traffic_rx_at "$tag" "$t_fault")"
	# The moment every wanted subflow was up: from then until the fault
	# the scheduler could choose among them, however late the joins came.
	t_join=$(traffic_sf_reached_at "$tag" "$want")
	fact_set "$tag.join_ms" "$t_join"
	fact_set "$tag.join_after_ms" "$(traffic_sf_reached_ms "$tag" "$want")"
	if [[ $t_join =~ ^[0-9]+$ ]]; then
		fact_set "$tag.survivor_bytes_at_join" "$(obs_path_bytes_at "$sv" "$dir" "$t_join")"
		fact_set "$tag.recv_at_join" "$(traffic_rx_at "$tag" "$t_join")"
	fi
	fact_set "$tag.survivor_bytes_at_window" "$(obs_path_bytes_at "$sv" "$dir" "$ws")"
	fact_set "$tag.survivor_bytes_at_restore" "$(obs_path_bytes_at "$sv" "$dir" "$we")"
	fact_set "$tag.outage_ms" "$(traffic_outage_rx_ms "$tag" "$t_fault" "$restore")"
	shape_rate_to rate "$sv"
	[[ $mode != bidir ]] || rate=$((rate * 2))
	fact_set "$tag.recovery_ms" "$(traffic_recovery_ms "$tag" "$t_fault" "$rate" "$restore")"
	# Where the fault struck: what the receiver had when the fault's
	# command had returned, by its own timeline. That count jumps with
	# every burst of reordered data the receive queue hands over at once,
	# so the placement is judged on the stream instead: where the mark
	# was crossed, plus what the paths carry at their rate in the time
	# from the mark to the fault in place.
	local mark_ms mark_rx t_done rates
	fact_var mark_ms "$tag.mark_ms"
	fact_var mark_rx "$tag.mark_rx"
	fact_var t_done "$tag.fault_done_ms"
	fact_set "$tag.struck_rx" "$(traffic_rx_at "$tag" "$t_done")"
	shape_rates_total_to rates
	if [[ $mark_ms =~ ^[0-9]+$ ]] && ((rates > 0)); then
		fact_set "$tag.lag_ms" $((t_done - mark_ms))
		fact_set "$tag.placement" $((mark_rx + (t_done - mark_ms) * rates / 8000))
	else
		fact_sync
		fact_set "$tag.placement" "${FACT[$tag.struck_rx]}"
	fi
}

# After the client removed an endpoint and its subflow is gone from the
# client's view, wait until the server has processed the removal too
# (its RM_ADDR may queue behind the survivor's data): a join made before
# then shares the removed address id, and the server closes it with the
# old subflow (seen with a blackhole: REMOVED came after the new
# SF_ESTABLISHED and closed both). Reads the server's ip mptcp monitor,
# builtins only; without the monitor, returns at once. Call after
# traffic_sf_locals (the client's live subflows). $1: tag
recipe_wait_removal_seen() {
	local live port
	feat_have mptcp_monitor || return 0
	fact_var port "$1.port"
	read -ra live <<<"$TRAFFIC_SF_LOCALS"
	busywait 3000 obs_monitor_at_most server "$port" "${#live[@]}" && return 0
	log_warn "$1: the server still counts the removed subflow after 3 s"
	# Its RM_ADDR went once, and may have been lost: evidence for a
	# connection that then fails to close (assert_closed_cleanly).
	fact_set "$1.removal_unseen" 1
}

# A transfer during which one path fails, then comes back. The client
# streams until the harness is done, so every phase gets its bytes however
# late the harness is: the fault strikes at a quarter of --bytes (armed in
# advance, fault_at), the survivor's share is measured over the next
# three-eighths, the path returns, a new subflow must join over it, and
# the transfer goes on until --bytes at least.
#   --tag T --fault link-down|blackhole --path I --bytes N --mode M
#   --subflows N      subflows to wait for before the fault (default 2)
#   --restore 0|1     bring the path back and re-add its endpoint (default 1)
#   --pm-react 0|1    remove the path's endpoint right after the fault, as
#                     a connection manager does on link down (default 0)
#   --corrupt-at OFF  passed to the client
# Facts: T.total T.due T.fault_recv T.fault_ms T.window_recv T.window_ms
# T.restore_recv T.restore_ms T.survivor_bytes_at_* T.outage_ms
# T.recovery_ms T.rejoin_ms T.join_ms T.recv_at_join T.recv_at_fault,
# join counts.
recipe_failover() {
	wait_untraced __recipe_failover "$@"
}

__recipe_failover() {
	local tag=failover fault=link-down path=1 bytes=24M mode=upload want=2
	local restore=1 extra=() total q survivor fam=4 v6=() react=0 fault_rx sf
	while (($#)); do
		case $1 in
		--tag) tag=$2 ;;
		--fault) fault=$2 ;;
		--path) path=$2 ;;
		--bytes) bytes=$2 ;;
		--mode) mode=$2 ;;
		--family) fam=$2 ;;
		--subflows) want=$2 ;;
		--restore) restore=$2 ;;
		--pm-react) react=$2 ;;
		--corrupt-at) extra+=(--corrupt-at "$2") ;;
		*)
			log_err "recipe_failover: unknown option '$1'"
			return 2
			;;
		esac
		shift 2
	done
	[[ $fam == 6 ]] && v6=(v6)
	total=$(traffic_size_bytes "$bytes")
	# In bidir both directions carry the bytes; the marks and the path
	# bytes follow the data's direction(s).
	[[ $mode != bidir ]] || total=$((total * 2))
	q=$((total / 4))
	fact_set "$tag.total" "$total"
	fact_set "$tag.due" "$q"
	fact_set "$tag.path" "$path"
	# The surviving path is the lowest other one.
	survivor=1
	((path == 1)) && survivor=2
	fact_set "$tag.survivor" "$survivor"
	fact_set "$tag.want" "$want"

	fact_set "$tag.mib_client_joins_base" "$(obs_mib client MPTcpExtMPJoinSynAckRx)"
	fact_set "$tag.mib_server_joins_base" "$(obs_mib server MPTcpExtMPJoinAckRx)"
	traffic_start --tag "$tag" --bytes "$bytes" --mode "$mode" \
		--family "$fam" "${extra[@]}" || return 1
	# Armed before anything else, so that nothing the harness does below
	# can make it late.
	fault_at "$fault" "$path" "$tag" "$q" || return 1
	# Wait for the joins, but not past the moment the fault is due: a
	# missing join must fail its own check, not shift the fault.
	traffic_until "$tag" 5000 __recipe_joined_or_due "$tag" "$want" "$q" || {
		traffic_sf_to sf "$tag"
		log_warn "$tag: client reports $sf subflows, waited for $want"
	}
	__recipe_record_joins "$tag"

	traffic_mark "$tag" "$q" 30000 ||
		log_warn "$tag: the transfer did not reach the fault's mark ($q bytes)"
	if ! fault_wait_struck "$tag" 20000; then
		# The run ended (or stalled) before its mark: nothing to fail
		# over. Its checks judge what it did; no figure is made up.
		log_warn "$tag: the $fault fault did not strike: the transfer ended or stalled before its mark"
		fact_set "$tag.fault_ms" none
		fact_set "$tag.rejoin_ms" none
		traffic_wait 20000 "$tag" || true
		return 0
	fi
	fact_set "$tag.fault_ms" "$FAULT_MS"
	fact_set "$tag.fault_done_ms" "$FAULT_DONE_MS"
	traffic_record_mark "$tag" "$q"
	# What the receiver has now: where the windows below start from.
	traffic_progress "$tag"
	fault_rx=${TRAFFIC_RX:-$q}
	fact_set "$tag.fault_recv" "$fault_rx"
	if [[ $react == 1 ]]; then
		# What a connection manager (mptcpd, NetworkManager) does when
		# an interface goes down: the in-kernel PM has no link watcher,
		# so the endpoint goes, and with it the dead subflow.
		pm_endpoint_del client "$path" "$fam"
		fault_event endpoint-removed "$path"
	fi

	# The survivor's share is measured once the transfer is moving again:
	# right after the outage the receiver hands the application data it
	# had buffered out of order, which crossed the network before the
	# fault. Then the survivor carries another quarter alone. Both ends
	# of the window are the receiver's own marks: bytes and time.
	# A transfer that stalls for good (no surviving subflow) is not
	# waited for phase after phase: its checks fail on what it did.
	local stalled=0 end_wait=60000
	if ! traffic_mark "$tag" $((fault_rx + q / 2)) 20000; then
		log_warn "$tag: transfer stalled after the fault"
		stalled=1 end_wait=20000
	fi
	fact_set "$tag.window_recv" "${TRAFFIC_MARK_RX:-$fault_rx}"
	fact_set "$tag.window_ms" "${TRAFFIC_MARK_T:-$(now_ms)}"
	obs_snapshot "$tag-after-fault"
	if ((stalled == 0)) && ! traffic_mark "$tag" $((fault_rx + q + q / 2)) 20000; then
		log_warn "$tag: transfer stalled after the fault"
		stalled=1 end_wait=20000
	fi
	fact_sync
	fact_set "$tag.restore_recv" "${TRAFFIC_MARK_RX:-${FACT[$tag.window_recv]}}"
	fact_set "$tag.window_end_ms" "${TRAFFIC_MARK_T:-$(now_ms)}"
	fact_set "$tag.restore_ms" "$(now_ms)"
	if [[ $restore == 1 ]]; then
		fault_restore "$path"
		# The in-kernel PM does not re-create a closed subflow by
		# itself: take the endpoint out (closing the dead subflow) and
		# put it back, as a connection manager would on link up.
		if pm_endpoint_id client "$path" "$fam" >/dev/null; then
			pm_endpoint_del client "$path" "$fam"
		fi
		# The address comes back once its old subflow is gone: a join
		# racing the old subflow's close (same address, same id) is
		# reset by the peer.
		local a
		topo_addr_to a "$path" client "$fam"
		a=${a//./\.}
		traffic_wait_pair_gone "$tag" "^${a}>" 3000
		traffic_sf_locals "$tag"
		recipe_wait_removal_seen "$tag"
		pm_endpoint client "$path" subflow "${v6[@]}"
		traffic_wait_new_sf "$tag" "$(topo_addr "$path" client "$fam")" "$TRAFFIC_SF_LOCALS" 5000
		fact_set "$tag.rejoin_ms" "$TRAFFIC_WAITED_MS"
		obs_snapshot "$tag-rejoined"
		# Data flows after the return too, before the run may end.
		((stalled == 1)) ||
			traffic_mark "$tag" $((${FACT[$tag.restore_recv]} + q / 2)) 20000 ||
			log_warn "$tag: transfer stalled after the restore"
	else
		fact_set "$tag.rejoin_ms" none
	fi
	# A run that hangs is judged by the checks (its exit code is
	# "timeout"), not by aborting the whole scenario.
	traffic_wait "$end_wait" "$tag" || log_warn "$tag: the transfer did not end in time"
	recipe_failover_figures "$tag"
	harness_figure "$tag.subflows" "$(traffic_json client '.max_subflows' "$tag")"
	fact_sync
	harness_figure "$tag.outage_ms" "${FACT[$tag.outage_ms]}"
	harness_figure "$tag.recovery_ms" "${FACT[$tag.recovery_ms]}"
	harness_figure "$tag.fault_late_pm" \
		$(((${FACT[$tag.placement]} - ${FACT[$tag.due]}) * 1000 / ${FACT[$tag.span]}))
	harness_figure "$tag.goodput_pct" "$(traffic_goodput_share "$tag")"
	# Leave the path as it was for whatever runs next.
	fault_restore "$path"
	if ! pm_endpoint_id client "$path" "$fam" >/dev/null; then
		pm_endpoint client "$path" subflow "${v6[@]}"
	fi
}

# The checks of a failover run, one per property.

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
			fault_event endpoint-removed "$path"
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
	local tag=mab bytes=8M back=2 gap=1000 port i t state sf
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
	if traffic_until "$tag" 30000 traffic_no_sf "$tag"; then
		traffic_sf_to sf "$tag"
		fact_set "$tag.zero_ms" $((TRAFFIC_SF_MS - t))
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
