# shellcheck shell=bash
# Recipes: the sequences several scenarios share, built from the modules.
# They record facts under their tag; the scenario's @tests judge them.

# Record what the client, ss -M and the MIB counters say about joins.
# $1: tag
__recipe_record_joins() {
	local tag=$1 dir port
	dir=$(traffic_dir "$tag")
	port=$(fact_get "$tag.port")
	fact_set "$tag.info_subflows" "$(traffic_client_subflows "$tag")"
	fact_set "$tag.info_fallback" "$(grep '"conn":0' "$dir/client.info" 2>/dev/null |
		tail -n1 | jq -r '.fallback' 2>/dev/null)"
	fact_set "$tag.ssm_subflows" "$(obs_ssm_subflows client "$port")"
	fact_set "$tag.ss_subflows" "$(obs_ss_subflows client "$port")"
	# Deltas since the run began: the namespaces may have seen joins of
	# earlier runs.
	fact_set "$tag.mib_client_joins" $(($(obs_mib client MPTcpExtMPJoinSynAckRx) -
		$(fact_get "$tag.mib_client_joins_base")))
	fact_set "$tag.mib_server_joins" $(($(obs_mib server MPTcpExtMPJoinAckRx) -
		$(fact_get "$tag.mib_server_joins_base")))
}

# $1: tag, $2: subflows wanted, $3: bytes at which the fault is due
__recipe_joined_or_due() {
	__traffic_has_subflows "$2" "$1" || __traffic_rx_reached_or_over "$3" "$1"
}

# $1: tag, $2: client address ("198.18.1.1"). True when connection 0 has a
# subflow from that address.
__recipe_has_subflow_from() {
	grep '"conn":0' "$(traffic_dir "$1")/client.info" 2>/dev/null | tail -n1 |
		jq -e --arg a "$2" '[.subflow_list[]? | select(.established != false) |
			.local | ltrimstr("[") | startswith($a + ":") or startswith($a + "]:")] | any' \
			>/dev/null 2>&1
}

# A transfer during which one path fails, then comes back.
#   --tag T --fault link-down|blackhole --path I --bytes N --mode M
#   --subflows N      subflows to wait for before the fault (default 2)
#   --restore 0|1     bring the path back and re-add its endpoint (default 1)
#   --pm-react 0|1    remove the path's endpoint right after the fault, as
#                     a connection manager does on link down (default 0)
#   --corrupt-at OFF  passed to the client
# Facts: T.total T.fault_recv T.fault_ms T.window_recv T.restore_ms
# T.restore_recv T.survivor_bytes_at_* T.outage_ms T.rejoin_ms, join counts.
recipe_failover() {
	local tag=failover fault=link-down path=1 bytes=24M mode=upload want=2
	local restore=1 extra=() total q i survivor fam=4 v6=() react=0
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
	# In bidir both directions carry the bytes; the received counts and
	# the path bytes below follow the data's direction (catalogue.sh).
	[[ $mode != bidir ]] || total=$((total * 2))
	q=$((total / 4))
	fact_set "$tag.total" "$total"
	fact_set "$tag.path" "$path"
	# The surviving path is the lowest other one.
	survivor=1
	((path == 1)) && survivor=2
	fact_set "$tag.survivor" "$survivor"

	fact_set "$tag.mib_client_joins_base" "$(obs_mib client MPTcpExtMPJoinSynAckRx)"
	fact_set "$tag.mib_server_joins_base" "$(obs_mib server MPTcpExtMPJoinAckRx)"
	traffic_start --tag "$tag" --bytes "$bytes" --mode "$mode" \
		--family "$fam" "${extra[@]}" || return 1
	# Wait for the joins, but not past the moment the fault is due: a
	# missing join must fail its own check, not shift the fault.
	busywait 5000 __recipe_joined_or_due "$tag" "$want" "$q" ||
		log_warn "$tag: client reports $(traffic_client_subflows "$tag") subflows, waited for $want"
	__recipe_record_joins "$tag"
	obs_snapshot "$tag-joined"

	# The fault comes only once a quarter of the bytes has arrived.
	traffic_wait_rx "$q" 20000 "$tag" ||
		log_warn "$tag: only $(traffic_rx_bytes "$tag") of $q bytes before the fault"
	fault_apply "$fault" "$path" || return 1
	fact_set "$tag.fault_ms" "$(fact_get "fault.$path.${fault}_ms")"
	# Counted once the fault is in place: fault_apply first snapshots
	# every namespace, which takes long enough on a loaded machine for
	# megabytes to arrive, and the windows below start from this count.
	fact_set "$tag.fault_recv" "$(traffic_rx_bytes "$tag")"
	fact_set "$tag.survivor_bytes_at_fault" "$(obs_path_bytes_mode "$survivor" "$mode")"
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
	# fault. Then the survivor carries another quarter alone.
	traffic_wait_rx "$(($(fact_get "$tag.fault_recv") + q / 2))" 20000 "$tag" ||
		log_warn "$tag: transfer stalled after the fault"
	fact_set "$tag.window_recv" "$(traffic_rx_bytes "$tag")"
	fact_set "$tag.survivor_bytes_at_window" "$(obs_path_bytes_mode "$survivor" "$mode")"
	traffic_wait_rx "$(($(fact_get "$tag.fault_recv") + q + q / 2))" 20000 "$tag" ||
		log_warn "$tag: transfer stalled after the fault"
	fact_set "$tag.survivor_bytes_at_restore" "$(obs_path_bytes_mode "$survivor" "$mode")"
	fact_set "$tag.restore_recv" "$(traffic_rx_bytes "$tag")"
	fact_set "$tag.restore_ms" "$(now_ms)"
	if [[ $restore == 1 ]]; then
		fault_restore "$path"
		# The in-kernel PM does not re-create a closed subflow by
		# itself: take the endpoint out (closing the dead subflow) and
		# put it back, as a connection manager would on link up.
		if pm_endpoint_id client "$path" "$fam" >/dev/null; then
			pm_endpoint_del client "$path" "$fam"
		fi
		pm_endpoint client "$path" subflow "${v6[@]}"
		i=$(now_ms)
		if busywait 5000 __recipe_has_subflow_from "$tag" "$(topo_addr "$path" client "$fam")"; then
			fact_set "$tag.rejoin_ms" $(($(now_ms) - i))
		else
			fact_set "$tag.rejoin_ms" none
		fi
		obs_snapshot "$tag-rejoined"
	else
		fact_set "$tag.rejoin_ms" none
	fi
	# A run that hangs is judged by the checks (its exit code is
	# "timeout"), not by aborting the whole scenario.
	traffic_wait 60000 "$tag" || log_warn "$tag: the transfer did not end within 60 s"
	fact_set "$tag.outage_ms" "$(traffic_outage_rx_ms "$tag" "$(fact_get "$tag.fault_ms")" \
		"$(fact_get "$tag.restore_ms")")"
	harness_figure "$tag.subflows" "$(traffic_json client '.max_subflows' "$tag")"
	harness_figure "$tag.outage_ms" "$(fact_get "$tag.outage_ms")"
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
	expect "subflows in the client's MPTCP_INFO (MPTCP_SUBFLOW_ADDRS)" \
		"$(fact_get "$tag.info_subflows")" -ge "$want"
	[[ $(fact_get "$tag.info_fallback") == false ]] || {
		__assert_fail "client's MPTCP_INFO reports fallback to TCP"
		return 1
	}
	expect "subflows by ss -M (1 + its subflows field)" \
		"$(fact_get "$tag.ssm_subflows")" -ge "$want"
	expect "client MIB MPJoinSynAckRx" "$(fact_get "$tag.mib_client_joins")" -ge $((want - 1))
	expect "server MIB MPJoinAckRx" "$(fact_get "$tag.mib_server_joins")" -ge $((want - 1))
}

# $1: tag
check_fault_mid_transfer() {
	local tag=$1 total
	total=$(fact_get "$tag.total")
	expect "bytes received when the fault struck" "$(fact_get "$tag.fault_recv")" -ge $((total / 4))
	expect "bytes received when the fault struck" "$(fact_get "$tag.fault_recv")" -lt "$total"
}

# The bytes the server got after the failover, up to the restore, crossed
# the surviving path: its router forwarded at least pct% of them (headers
# make it more than 100% when all did). $1: tag, $2: percent required
check_survivor_carried() {
	local tag=$1 pct=${2:-90} moved wire
	moved=$(($(fact_get "$tag.restore_recv") - $(fact_get "$tag.window_recv")))
	wire=$(($(fact_get "$tag.survivor_bytes_at_restore") - $(fact_get "$tag.survivor_bytes_at_window")))
	harness_diag "payload received in the window after failover: $moved bytes; path $(fact_get "$tag.survivor") forwarded $wire bytes"
	((moved > 0)) || {
		__assert_fail "no byte arrived between the failover and the restore"
		return 1
	}
	expect "path $(fact_get "$tag.survivor") bytes after the failover, % of payload received" \
		$((wire * 100 / moved)) -ge "$pct"
}

# $1: tag, $2: bound in ms
check_outage_below() {
	expect "outage after the fault (ms, longest receive gap)" \
		"$(fact_get "$1.outage_ms")" -le "$2"
}

# $1: tag, $2: bound in ms
check_rejoined_within() {
	local v
	v=$(fact_get "$1.rejoin_ms")
	if [[ $v == none ]]; then
		__assert_fail "no new subflow from path $(fact_get "$1.path") within 5000 ms of re-adding its endpoint"
		return 1
	fi
	expect "time until a new subflow joined over the restored path (ms)" "$v" -le "$2"
}
