#!/usr/bin/env bats
# A backup path carries (almost) nothing while the primary works and
# carries the transfer once the primary fails; a path turned backup
# mid-connection (MP_PRIO) stops carrying data, and one turned back
# (nobackup) carries its share again; a server's backup address (signal
# backup) is marked so in its SYN/ACK and kept idle by the client.
#
# backup: the client's endpoint for path 2 is `subflow backup`, so its
# MP_JOIN SYN asks for backup priority (the server counts
# MPJoinSynBackupRx). Path 1 is then silently blackholed after a quarter
# of the bytes: the client marks its subflow stale (SubflowStale) and the
# scheduler moves to the backup.
# mp-prio: both endpoints start as plain `subflow`; after a quarter of
# the bytes `ip mptcp endpoint change ... backup` sends MP_PRIO (MPPrioTx
# on the client, MPPrioRx on the server) and path 2 falls silent.
# nobackup: the other way round: path 2 starts as `subflow backup`,
# carries nothing, and `... nobackup` (MP_PRIO again) gives it its share.
# prio-initial: as mp-prio, but the endpoint of path 1, the initial
# subflow's address, turns backup: MP_PRIO goes out on the initial
# subflow, and path 1 falls silent.
# signal-backup: the server announces its path-2 address from a `signal
# backup` endpoint; its SYN/ACK to the client's join carries the backup
# bit (MPJoinSynAckBackupRx) and the client sends nothing over it.
#
#            +------+                 +------+
#   client --| r1   |-- path 1 -------|      |
#      p1    +------+  primary        |server|
#      p2    +------+                 |      |
#   client --| r2   |-- path 2 -------|      |
#            +------+  backup         +------+
#                      20 Mbit/s each
#
# requires: mptcp ip_mptcp nft

load ../harness/harness

# Knobs, so tests/catalogue-a.bats can prove that each check can fail.
: "${BACKUP_CASES:=backup mp-prio nobackup prio-initial signal-backup}"
: "${BACKUP_BYTES:=24M}"
# The flag path 2's endpoint gets in the backup case ("" = a plain path).
# (Set but empty is a choice, hence - rather than :=.)
BACKUP_FLAG=${BACKUP_FLAG-backup}
# What `ip mptcp endpoint change` sets in the mp-prio case.
: "${BACKUP_PRIO_CHANGE:=backup}"
# What the change sets in the nobackup case.
: "${BACKUP_NOBACKUP_CHANGE:=nobackup}"
# The flag of the server's signal endpoint in the signal-backup case.
BACKUP_SIGNAL_FLAG=${BACKUP_SIGNAL_FLAG-backup}
: "${BACKUP_SIGNAL_BYTES:=6M}"
# The share of the payload a backup path may carry, in percent.
: "${BACKUP_MAX_PCT:=5}"

# The mp-prio case: path 2 turns backup after a quarter of the bytes; its
# share is measured before, and in a window from 1/2 to 7/8 of the bytes
# after the change: the data the scheduler had already queued on its
# subflow (over 1 MB here) still drains at the path's rate right after the
# change. The window's ends are the receiver's marks (bytes and time), and
# path 2's bytes are read from its sampler at those times.
# The facts name the changed path's bytes p2_*: path 2, or $4.
# $1: tag, $2: path 2's flag at the start ("" or backup), $3: the change,
# $4: the path whose endpoint changes (default 2)
run_mp_prio() {
	local tag=$1 total t0 tc tw te p=${4:-2}
	pm_flush client
	pm_endpoint client 1 subflow
	# shellcheck disable=SC2086 # the flag is a word or nothing
	pm_endpoint client 2 subflow $2
	total=$(traffic_size_bytes "$BACKUP_BYTES")
	obs_mib_mark "$tag"
	traffic_start --tag "$tag" --bytes "$BACKUP_BYTES" || return 1
	t0=$(now_ms)
	traffic_wait_sf "$tag" 2 5000 || log_warn "$tag: no second subflow"
	traffic_mark "$tag" $((total / 4)) 20000 || log_warn "$tag: stalled before the change"
	fact_set "$tag.change_recv" "$TRAFFIC_MARK_RX"
	tc=$TRAFFIC_MARK_T
	pm_endpoint_change client "$p" "$3"
	fault_event "endpoint-$3" "$p"
	traffic_progress "$tag"
	traffic_mark "$tag" $((TRAFFIC_RX + total / 4)) 20000 || log_warn "$tag: stalled after the change"
	fact_set "$tag.window_recv" "$TRAFFIC_MARK_RX"
	tw=$TRAFFIC_MARK_T
	traffic_mark "$tag" $((TRAFFIC_MARK_RX + total * 3 / 8)) 20000 ||
		log_warn "$tag: stalled after the change"
	fact_set "$tag.end_recv" "$TRAFFIC_MARK_RX"
	te=$TRAFFIC_MARK_T
	traffic_wait 60000 "$tag" || true
	fact_set "$tag.p2_start" "$(obs_path_bytes_at "$p" up "$t0")"
	fact_set "$tag.p2_change" "$(obs_path_bytes_at "$p" up "$tc")"
	fact_set "$tag.p2_window" "$(obs_path_bytes_at "$p" up "$tw")"
	fact_set "$tag.p2_end" "$(obs_path_bytes_at "$p" up "$te")"
	obs_mib_record "$tag"
}

setup_file() {
	harness_init || return 0
	topo_paths 2 --rate 20mbit
	pm_limits all subflows=4 add_addr_accepted=0
	if [[ " $BACKUP_CASES " == *" backup "* ]]; then
		# An endpoint for path 1 names the initial subflow's address, so
		# the recipe can re-create its subflow after the blackhole.
		pm_endpoint client 1 subflow
		# shellcheck disable=SC2086 # the flag is a word or nothing
		pm_endpoint client 2 subflow $BACKUP_FLAG
		obs_mib_mark backup
		recipe_failover --tag backup --fault blackhole --path 1 --bytes "$BACKUP_BYTES"
		obs_mib_record backup
	fi
	if [[ " $BACKUP_CASES " == *" mp-prio "* ]]; then
		run_mp_prio mp-prio '' "$BACKUP_PRIO_CHANGE"
	fi
	if [[ " $BACKUP_CASES " == *" nobackup "* ]]; then
		run_mp_prio nobackup backup "$BACKUP_NOBACKUP_CHANGE"
	fi
	if [[ " $BACKUP_CASES " == *" prio-initial "* ]]; then
		run_mp_prio prio-initial '' "$BACKUP_PRIO_CHANGE" 1
	fi
	if [[ " $BACKUP_CASES " == *" signal-backup "* ]]; then
		pm_flush client
		pm_limits client subflows=4 add_addr_accepted=1
		# shellcheck disable=SC2086 # the flag is a word or nothing
		pm_endpoint server 2 signal $BACKUP_SIGNAL_FLAG
		recipe_counted signal-backup 2 --bytes "$BACKUP_SIGNAL_BYTES"
	fi
}

@test "backup: path 2 joins as a backup subflow (MP_JOIN with the backup bit)" {
	harness_case backup BACKUP_CASES
	assert_joined_before_fault backup 2 &&
		assert_mib backup server MPTcpExtMPJoinSynBackupRx -eq 1
}

@test "backup: while path 1 works, path 2 carries at most 5% of the bytes" {
	harness_case backup BACKUP_CASES
	assert_survivor_idle_before_fault backup "$BACKUP_MAX_PCT"
}

@test "backup: once path 1 is blackholed it is marked stale, and every byte arrives intact" {
	harness_case backup BACKUP_CASES
	assert_fault_mid_transfer backup &&
		assert_mib backup client MPTcpExtSubflowStale -ge 1 &&
		assert_transfer_intact backup
}

@test "backup: after the failure path 2 carries at least 90% of the bytes, the outage under 5 s" {
	harness_case backup BACKUP_CASES
	assert_survivor_carried backup 90 &&
		assert_outage_below backup 5000
}

@test "mp-prio: path 2 carries data until it is turned backup" {
	harness_case mp-prio BACKUP_CASES
	assert_num "path 2 bytes before the change, % of the payload" \
		$((($(fact_get mp-prio.p2_change) - $(fact_get mp-prio.p2_start)) * 100 /
			$(fact_get mp-prio.change_recv))) -ge 20
}

@test "mp-prio: the client sends MP_PRIO, the server receives it" {
	harness_case mp-prio BACKUP_CASES
	assert_mib mp-prio client MPTcpExtMPPrioTx -eq 1 &&
		assert_mib mp-prio server MPTcpExtMPPrioRx -eq 1
}

@test "mp-prio: once backup, path 2 carries at most 5% of the bytes, and every byte arrives intact" {
	harness_case mp-prio BACKUP_CASES
	assert_share_at_most "path 2 bytes after the change" \
		$(($(fact_get mp-prio.p2_end) - $(fact_get mp-prio.p2_window))) \
		$(($(fact_get mp-prio.end_recv) - $(fact_get mp-prio.window_recv))) "$BACKUP_MAX_PCT" &&
		assert_transfer_intact mp-prio
}

@test "nobackup: path 2 starts as backup and carries at most 5% until the change" {
	harness_case nobackup BACKUP_CASES
	assert_share_at_most "path 2 bytes before the change" \
		$(($(fact_get nobackup.p2_change) - $(fact_get nobackup.p2_start))) \
		"$(fact_get nobackup.change_recv)" "$BACKUP_MAX_PCT"
}

@test "nobackup: the change sends MP_PRIO, the server receives it" {
	harness_case nobackup BACKUP_CASES
	assert_mib nobackup client MPTcpExtMPPrioTx -eq 1 &&
		assert_mib nobackup server MPTcpExtMPPrioRx -eq 1
}

@test "nobackup: path 2 then carries its share (at least 20%), and every byte arrives intact" {
	harness_case nobackup BACKUP_CASES
	assert_num "path 2 bytes after the change, % of the payload" \
		$((($(fact_get nobackup.p2_end) - $(fact_get nobackup.p2_window)) * 100 /
			($(fact_get nobackup.end_recv) - $(fact_get nobackup.window_recv)))) -ge 20 &&
		assert_transfer_intact nobackup
}

@test "signal,backup: the server's SYN/ACK to the join carries the backup bit (MPJoinSynAckBackupRx)" {
	harness_case signal-backup BACKUP_CASES
	assert_mib signal-backup client MPTcpExtAddAddr -eq 1 &&
		assert_joins_exact signal-backup 1 &&
		assert_mib signal-backup client MPTcpExtMPJoinSynAckBackupRx -eq 1 &&
		assert_mib signal-backup server MPTcpExtMPJoinSynBackupRx -eq 0
}

@test "signal,backup: the client keeps its data off the server's backup address (at most 5%), every byte intact" {
	harness_case signal-backup BACKUP_CASES
	local total to2
	total=$(traffic_json server '.bytes_received' signal-backup)
	# The join leaves from the client's path-1 address (routing takes
	# it over router 1): the subflow's own count, from the client's last
	# MPTCP_TCPINFO line, not a path's.
	# shellcheck disable=SC2016 # a jq filter: $r is its variable
	to2=$(traffic_client_info signal-backup --last -r --arg r "$(topo_addr 2 server):" \
		'[.subflow_list[]? | select(.remote | startswith($r)) | .bytes_sent] | add // "none"')
	assert_num "bytes sent on the client's subflow to the server's backup address" "$to2" -ge 0 &&
		assert_share_at_most "bytes the client sent on its subflow to the server's backup address" \
		"$to2" "$total" "$BACKUP_MAX_PCT" &&
		assert_transfer_intact signal-backup
}

@test "prio-initial: the initial subflow turned backup: MP_PRIO sent and received" {
	harness_case prio-initial BACKUP_CASES
	assert_mib prio-initial client MPTcpExtMPPrioTx -eq 1 &&
		assert_mib prio-initial server MPTcpExtMPPrioRx -eq 1
}

@test "prio-initial: path 1 carries data until then, at most 5% after, and every byte arrives intact" {
	harness_case prio-initial BACKUP_CASES
	assert_num "path 1 bytes before the change, % of the payload" \
		$((($(fact_get prio-initial.p2_change) - $(fact_get prio-initial.p2_start)) * 100 /
			$(fact_get prio-initial.change_recv))) -ge 20 &&
		assert_share_at_most "path 1 bytes after the change" \
			$(($(fact_get prio-initial.p2_end) - $(fact_get prio-initial.p2_window))) \
			$(($(fact_get prio-initial.end_recv) - $(fact_get prio-initial.window_recv))) "$BACKUP_MAX_PCT" &&
		assert_transfer_intact prio-initial
}
