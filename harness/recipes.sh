# shellcheck shell=bash
# Recipes: the sequences several scenarios share, built from the modules.
# They record facts under their tag; the scenario's @tests judge them.

# Record what the client, ss -M and the MIB counters say about joins, while
# the connection is known to be alive (the client streams until told).
# $1: tag
__recipe_record_joins() {
	local tag=$1 port cb sb
	fact_var port "$tag.port"
	fact_var cb "$tag.mib_client_joins_base"
	fact_var sb "$tag.mib_server_joins_base"
	fact_set "$tag.info_subflows" "${__TR_SF[$tag]:-0}"
	fact_set "$tag.info_fallback" "$(grep '"conn":0' "$(traffic_dir "$tag")/client.info" 2>/dev/null |
		tail -n1 | jq -r '.fallback' 2>/dev/null)"
	fact_set "$tag.ssm_subflows" "$(obs_ssm_subflows client "$port")"
	fact_set "$tag.ss_subflows" "$(obs_ss_subflows client "$port")"
	# Deltas since the run began: the namespaces may have seen joins of
	# earlier runs.
	fact_set "$tag.mib_client_joins" $(($(obs_mib client MPTcpExtMPJoinSynAckRx) - cb))
	fact_set "$tag.mib_server_joins" $(($(obs_mib server MPTcpExtMPJoinAckRx) - sb))
}

# $1: tag, $2: subflows wanted, $3: bytes at which the fault is due
__recipe_joined_or_due() {
	__traffic_sf_ge "$1" "$2" || __traffic_marked "$1" "$3"
}

# Where the fault's mark was crossed: the first receiver to reach its
# share (in bidir each direction's share is half), its time and its count.
# Facts T.mark_ms T.mark_rx, T.due and T.span (the bytes of one direction
# the placement is judged against). $1: tag, $2: bytes the fault was due at
__recipe_fault_mark() {
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

# The figures of a failover run, from timestamped sources only: the
# receivers' marks (bytes and time), the path samplers and the receive
# timelines, read at the milestones' timestamps. $1: tag
__recipe_failover_figures() {
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
	busywait 3000 obs_monitor_at_most server "$port" "${#live[@]}" ||
		log_warn "$1: the server still counts the removed subflow after 3 s"
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
	local restore=1 extra=() total q survivor fam=4 v6=() react=0 fault_rx
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
	__traffic_until "$tag" 5000 __recipe_joined_or_due "$tag" "$want" "$q" ||
		log_warn "$tag: client reports ${__TR_SF[$tag]:-0} subflows, waited for $want"
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
	__recipe_fault_mark "$tag" "$q"
	# What the receiver has now: where the windows below start from.
	traffic_progress "$tag"
	fault_rx=${TRAFFIC_RX:-$q}
	fact_set "$tag.fault_recv" "$fault_rx"
	if [[ $react == 1 ]]; then
		# What a connection manager (mptcpd, NetworkManager) does when
		# an interface goes down: the in-kernel PM has no link watcher,
		# so the endpoint goes, and with it the dead subflow.
		pm_endpoint_del client "$path" "$fam"
		__fault_event endpoint-removed "$path"
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
	__recipe_failover_figures "$tag"
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

# $1: tag, $2: expected subflows
check_joined_before_fault() {
	local tag=$1 want=${2:-2}
	fact_sync
	expect "subflows in the client's MPTCP_INFO (MPTCP_SUBFLOW_ADDRS)" \
		"${FACT[$tag.info_subflows]-}" -ge "$want"
	[[ ${FACT[$tag.info_fallback]-} == false ]] || {
		__assert_fail "client's MPTCP_INFO reports fallback to TCP"
		return 1
	}
	expect "subflows by ss -M (1 + its subflows field)" \
		"${FACT[$tag.ssm_subflows]-}" -ge "$want"
	expect "client MIB MPJoinSynAckRx" "${FACT[$tag.mib_client_joins]-}" -ge $((want - 1))
	expect "server MIB MPJoinAckRx" "${FACT[$tag.mib_server_joins]-}" -ge $((want - 1))
}

# The fault struck at its mark: due at a quarter of the bytes, it came
# within a tolerance of it and never before. Judged on the stream: where
# the receiver crossed the mark plus what the paths carry at their rate
# until the fault was in place (the receiver's own count at that moment is
# printed too: it jumps with bursts of reordered data).
# $1: tag, $2: tolerance in per mille of the bytes (default 20, i.e. 2%)
check_fault_mid_transfer() {
	local tag=$1 tol=${2:-20} span due at
	fact_sync
	fact_var span "$tag.span"
	fact_var due "$tag.due"
	fact_var at "$tag.placement"
	harness_diag "fault due at $due bytes of $span:" \
		"mark crossed at ${FACT[$tag.mark_rx]-}, fault in place ${FACT[$tag.lag_ms]-} ms later:" \
		"struck at $at ($(awk -v g="$at" -v d="$due" -v t="$span" \
			'BEGIN { printf "%+.2f%%", (g - d) * 100 / t }'));" \
		"the receiver had ${FACT[$tag.struck_rx]-} by then"
	expect "bytes into the stream when the fault struck" "$at" -ge "$due" &&
		expect "bytes into the stream when the fault struck, beyond its mark (per mille of $span)" \
			$(((at - due) * 1000 / span)) -le "$tol"
}

# The bytes the server got after the failover, up to the restore, crossed
# the surviving path: its router forwarded at least pct% of them (headers
# make it more than 100% when all did). $1: tag, $2: percent required
check_survivor_carried() {
	local tag=$1 pct=${2:-90} moved wire
	fact_sync
	moved=$((${FACT[$tag.restore_recv]-} - ${FACT[$tag.window_recv]-}))
	wire=$((${FACT[$tag.survivor_bytes_at_restore]-} - ${FACT[$tag.survivor_bytes_at_window]-}))
	harness_diag "payload received in the window after failover: $moved bytes; path ${FACT[$tag.survivor]-} forwarded $wire bytes"
	((moved > 0)) || {
		__assert_fail "no byte arrived between the failover and the restore"
		return 1
	}
	expect "path ${FACT[$tag.survivor]-} bytes after the failover, % of payload received" \
		$((wire * 100 / moved)) -ge "$pct"
}

# While the failing path worked, the survivor (a backup) carried at most
# pct% of the payload: judged from the moment every wanted subflow was up
# (before it the scheduler had no choice) until the fault, both ends read
# from timestamped sources. $1: tag, $2: percent allowed
check_survivor_idle_before_fault() {
	local tag=$1 pct=$2 t_join sv
	fact_sync
	fact_var t_join "$tag.join_ms"
	fact_var sv "$tag.survivor"
	[[ $t_join =~ ^[0-9]+$ ]] || {
		__assert_fail "the client never had ${FACT[$tag.want]-} subflows: no window to judge path $sv in"
		return 1
	}
	harness_diag "the joins were up ${FACT[$tag.join_after_ms]-} ms after the connection, $((${FACT[$tag.fault_ms]-} - t_join)) ms before the fault"
	check_share_at_most "path $sv bytes between the joins and the failure" \
		$((${FACT[$tag.survivor_bytes_at_fault]-} - ${FACT[$tag.survivor_bytes_at_join]-})) \
		$((${FACT[$tag.recv_at_fault]-} - ${FACT[$tag.recv_at_join]-})) "$pct"
}

# $1: tag, $2: bound in ms
check_outage_below() {
	fact_sync
	expect "outage after the fault (ms, longest receive gap)" \
		"${FACT[$1.outage_ms]-}" -le "$2"
}

# Time to recovery: from the fault to the first 200 ms in which the
# receiver got at least half of the surviving path's rate again, after the
# stall (traffic_recovery_ms). $1: tag, $2: bound in ms
check_recovery_below() {
	fact_sync
	expect "recovery after the fault (ms, until 200 ms at half the survivor's rate)" \
		"${FACT[$1.recovery_ms]-}" -le "$2"
}

# $1: tag, $2: bound in ms
check_rejoined_within() {
	local v
	fact_sync
	fact_var v "$1.rejoin_ms"
	if [[ $v == none ]]; then
		local what role
		what="no new subflow from path ${FACT[$1.path]-} within 5000 ms of re-adding its endpoint"
		# The subflow that joined was reset by a kernel that rejected
		# its DSS mapping (assert_transfer_intact names that bug).
		for role in server client; do
			obs_dss_rejected_since "$1" "$role" || continue
			expect_known_bug "a rejected DSS mapping, cf. multipath-tcp/mptcp_net-next#501" \
				"$what: the $role's kernel rejected $OBS_DSS_MOVED DSS mapping(s) that did not match during the run and reset the subflow" ||
				return 1
		done
		__assert_fail "$what"
		return 1
	fi
	expect "time until a new subflow joined over the restored path (ms)" "$v" -le "$2"
}
