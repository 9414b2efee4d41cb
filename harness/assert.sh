# shellcheck shell=bash
# Assertions: the one vocabulary scenarios judge with. Each prints what it
# expected and what it saw, so a failing TAP line explains itself; records
# the check for run.sh --json (checks.tsv); and saves the state dump on the
# first failure.
#
#   assert_num WHAT GOT OP WANT    a number (-eq -ge -le -gt -lt)
#   assert_str WHAT GOT WANT       a string
#   assert_fail MESSAGE...         what no comparison says (a step that
#                                  never came); returns 1
#   assert_skip_check WHY          a check this kernel cannot be asked (a
#                                  counter it lacks): the test goes on
#   assert_known_bug REF WHAT      a known kernel bug's signature: a named skip
#   assert_mib TAG ROLE CTR OP N   a counter's change over a tag
# and the checks built on them: transfers intact, joins, address pairs,
# shares, aggregation, and the failover's phases.

# $1: what, $2: actual, $3: operator (-ge -le -eq -gt -lt), $4: expected
__assert_num() {
	local what=$1 actual=$2 op=$3 want=$4
	if [[ ! $actual =~ ^-?[0-9]+$ ]]; then
		__assert_record "$what" "$actual" "$op" "$want" fail
		__assert_fail "$what: expected a number $op $want, got '${actual}'"
		return 1
	fi
	if ! test "$actual" "$op" "$want"; then
		local words
		case $op in
		-ge) words='at least' ;; -le) words='at most' ;;
		-eq) words='exactly' ;; -gt) words='more than' ;;
		-lt) words='less than' ;; *) words=$op ;;
		esac
		__assert_record "$what" "$actual" "$op" "$want" fail
		__assert_fail "$what: expected $words $want, got $actual"
		return 1
	fi
	__assert_record "$what" "$actual" "$op" "$want" pass
	harness_diag "$what: $actual (want $op $want)"
}

# String equality that says what it expected. $1: what, $2: actual,
# $3: expected
__assert_str() {
	if [[ $2 != "$3" ]]; then
		__assert_record "$1" "$2" == "$3" fail
		__assert_fail "$1: expected '$3', got '$2'"
		return 1
	fi
	__assert_record "$1" "$2" == "$3" pass
	harness_diag "$1: $2"
}

# One check, for the per-test results of run.sh --json: checks.tsv in the
# scenario's artifacts. $1: what, $2: got, $3: operator, $4: bound,
# $5: pass|fail|skip
__assert_record() {
	local t=${BATS_TEST_DESCRIPTION:-setup} l
	l="$t"$'\t'"$1"$'\t'"$2"$'\t'"$3"$'\t'"$4"$'\t'"$5"
	# One line per check, whatever the words contain.
	printf '%s\n' "${l//$'\n'/ }" >>"$MPTH_ART_DIR/checks.tsv"
}

# $@: message
__assert_fail() {
	printf '%s\n' "$*" >>"$MPTH_ART_DIR/assertions-failed.txt"
	printf '# %s\n' "$*" >&2
	# The state dump is printed once per scenario; later failures point
	# to it.
	if [[ -e $MPTH_ART_DIR/failure-dump.txt ]]; then
		printf '# state dump: %s/failure-dump.txt\n' "$MPTH_ART_DIR" >&2
	else
		obs_failure_dump || true
	fi
	printf '# artifacts: %s\n' "$MPTH_ART_DIR" >&2
}

# Fail the test with a message, recorded and printed as every failed
# expectation is. For what no comparison says (a step that never came).
# $@: message. Returns 1.
assert_fail() {
	__assert_fail "$@"
	return 1
}

# A check that cannot be made here (a counter this kernel lacks): the rest
# of the test goes on, and the diagnostics say "SKIP check" with why. In
# strict mode (--strict, or the selftests' switch
# SELFTESTS_MPTCP_LIB_EXPECT_ALL_FEATURES=1) it fails. $1: the check and why
__assert_skip_check() {
	if [[ ${MPTH_STRICT:-0} == 1 || ${SELFTESTS_MPTCP_LIB_EXPECT_ALL_FEATURES:-0} == 1 ]]; then
		__assert_fail "$1 (strict: a check that cannot be made fails)"
		return 1
	fi
	__assert_record "$1" '' '' '' skip
	harness_diag "SKIP check: $1"
	printf '%s: %s\n' "${BATS_TEST_DESCRIPTION:-setup}" "$1" >>"$MPTH_ART_DIR/skipped-checks.txt"
}

# A failure with the signature of a kernel bug the harness knows: a
# visible skip of the test that names it and says what happened, so that
# the kernel's bug does not read as the harness's; a failure with
# MPTH_KNOWN_BUGS=fail or in strict mode. $1: reference, $2: what happened,
# $3: what failed, in the failure's words (default: data corrupted)
__assert_known_bug() {
	if [[ ${MPTH_KNOWN_BUGS:-skip} == skip && ${MPTH_STRICT:-0} != 1 ]]; then
		harness_note "KNOWN KERNEL BUG reproduced ($1)"
		skip "KNOWN KERNEL BUG ($1): $2. MPTH_KNOWN_BUGS=fail or --strict makes this fail."
	fi
	__assert_fail "${3:-data corrupted} (known kernel bug, $1): $2"
	return 1
}

# The run's exit codes and the receivers' verdicts show every byte arrived
# and matched, in each direction the mode sends payload: the server checks
# an upload, the client a download, both a bidir. $1: tag
__assert_transfer_verdicts() {
	local tag=${1:-} dir crc=none src=none mode rx tx want got mism what
	local -A j=() mode_of=([client]='.mode // empty' [server]='.conns[0].mode // "upload"')
	traffic_dir_to dir "$tag"
	[[ ! -r $dir/client.rc ]] || read -r crc <"$dir/client.rc" || :
	[[ ! -r $dir/server.rc ]] || read -r src <"$dir/server.rc" || :
	# Every field of both summaries, one jq each: j[SIDE.FIELD].
	for rx in client server; do
		traffic_json_to "$tag" "$rx" "j[$rx.mismatch_offset]" .mismatch_offset \
			"j[$rx.bytes_sent]" .bytes_sent "j[$rx.bytes_received]" .bytes_received \
			"j[$rx.mode]" "${mode_of[$rx]}" \
			"j[$rx.status]" '.conns[0].status' || :
	done
	mode=${j[client.mode]}
	[[ -n $mode && $mode != missing ]] || mode=${j[server.mode]}
	for rx in server client; do
		[[ $rx == server && $mode == download ]] && continue
		[[ $rx == client && $mode != download && $mode != bidir ]] && continue
		mism=${j[$rx.mismatch_offset]}
		if [[ $mism != -1 ]]; then
			what="data corrupted: first mismatch at byte offset $mism, seen by the $rx (client exit $crc, server exit $src)"
			# Seen once on 6.18 in a failover: the server's kernel
			# rejected the DSS mapping of the subflow that joined
			# over the restored path, reset it, and its application
			# then read a wrong byte.
			if obs_dss_rejected_since "$tag" "$rx"; then
				assert_known_bug "a rejected DSS mapping, cf. multipath-tcp/mptcp_net-next#501" \
					"$what, after the $rx's kernel had rejected $OBS_DSS_MOVED DSS mapping(s) that did not match (MPTcpExtDSSNotMatching, DSSNoMatchTCP, DSSCorruptionReset) and reset the subflow: the kernel delivered bytes it should have dropped" ||
					return 1
			fi
			__assert_fail "$what"
			return 1
		fi
	done
	# An upload the server verified in full, whose client then waited in
	# vain for the server's result record: the bytes did arrive intact;
	# what failed is the close, which assert_closed_cleanly judges.
	if __assert_result_lost "$crc" "$src" "$mode" "${j[server.status]}"; then
		harness_diag "note: the server verified every byte, but its result never reached the client (client exit $crc): the connection did not close (see the test of its close)"
		harness_figure "${tag:-run}.result_lost" 1
		crc=0
	fi
	if [[ $crc != 0 || $src != 0 ]]; then
		__assert_fail "transfer failed: client exit $crc, server exit $src" \
			"(see $dir/client.log, server.log)"
		return 1
	fi
	for rx in server client; do
		[[ $rx == server && $mode == download ]] && continue
		[[ $rx == client && $mode != download && $mode != bidir ]] && continue
		tx=client
		[[ $rx == client ]] && tx=server
		want=${j[$tx.bytes_sent]}
		got=${j[$rx.bytes_received]}
		assert_num "payload bytes the $tx sent" "$want" -gt 0 || return 1
		assert_num "bytes received by the $rx (the $tx sent $want)" "$got" -eq "$want" || return 1
	done
}

# An upload the server verified, whose client timed out waiting for the
# server's result and DATA_FIN. $1: client exit, $2: server exit, $3: the
# mode, $4: the server's status
__assert_result_lost() {
	[[ ($1 == timeout || $1 == 6) && $2 == 0 && $3 == upload && $4 == ok ]]
}

# The connection closed cleanly in both directions: the server's result
# record and DATA_FIN reached the client, and both ends exited 0. An
# upload the server verified whose close then hung fails here, not in
# assert_transfer_intact (the bytes did arrive). Where the sockets at the
# hang (traffic_wait's snapshot) show a subflow the client shut down that
# the server keeps sending on (obs_stuck_half_closed), it is the kernel's
# doing, reported as a known kernel bug (a skip; a failure in strict
# mode). Seen on 6.18 after a failover whose RM_ADDR for the initial
# subflow was lost: the server kept that subflow, got its FIN late and
# went on sending on it. $1: tag
__assert_closed_cleanly() {
	local tag=$1 dir crc=none src=none mode st what
	fact_sync
	traffic_dir_to dir "$tag"
	[[ ! -r $dir/client.rc ]] || read -r crc <"$dir/client.rc" || :
	[[ ! -r $dir/server.rc ]] || read -r src <"$dir/server.rc" || :
	traffic_json_to "$tag" client mode '.mode // "upload"' || :
	traffic_json_to "$tag" server st '.conns[0].status' || :
	if [[ $crc == 0 && $src == 0 ]]; then
		harness_diag "the client got the server's result and DATA_FIN; both ends exited 0"
		return 0
	fi
	if ! __assert_result_lost "$crc" "$src" "$mode" "$st"; then
		__assert_fail "the connection did not end cleanly: client exit $crc, server exit $src (see $dir/client.log, server.log)"
		return 1
	fi
	what="the server verified every byte and closed, but its result and DATA_FIN never reached the client (client exit $crc)"
	[[ ${FACT[$tag.removal_unseen]-} != 1 ]] ||
		what+=", after the server had not processed the RM_ADDR of the removed initial subflow within 3 s"
	if obs_stuck_half_closed "hung-$tag"; then
		assert_known_bug "a half-closed initial subflow the peer keeps sending on, seen on 6.18" \
			"$what: $OBS_STUCK (state-hung-$tag.txt)" "the connection never closed" || return 1
	fi
	__assert_fail "the connection never closed: $what (see state-hung-$tag.txt)"
	return 1
}

# A counter's change over a tag. On a kernel without the counter the
# check skips by name, or, given --else, is made on an equivalent that
# kernel has (the scenario knows where one stands for the other: the
# client's AddAddr for the server's AddAddrTx when none is lost), and
# says so.
# $1: tag, $2: role, $3: counter, $4: operator (-eq -ge ...), $5: value,
# then optionally --else ROLE COUNTER
__assert_mib() {
	local tag=$1 role=$2 name=$3 op=$4 want=$5 v rc=0
	if (($# > 5)) && [[ $6 != --else || $# -ne 8 ]]; then
		__assert_fail "assert_mib: after the value, only --else ROLE COUNTER (got: ${*:6})"
		return 1
	fi
	obs_mib_of_to v "$tag" "$role" "$name" || rc=$?
	if ((rc == 2 && $# == 8)); then
		local alt_role=$7 alt=$8
		rc=0
		obs_mib_of_to v "$tag" "$alt_role" "$alt" || rc=$?
		if ((rc == 0)); then
			harness_diag "counter $name not in this kernel: $alt_role $alt stands in for $role $name"
			assert_num "$alt_role $alt (for $role $name)" "$v" "$op" "$want"
			return
		fi
		((rc != 2)) || {
			assert_skip_check "$role $name $op $want: counter $name not in this kernel, nor its equivalent $alt"
			return
		}
	fi
	case $rc in
	0) assert_num "$role $name" "$v" "$op" "$want" ;;
	2) assert_skip_check "$role $name $op $want: counter $name not in this kernel" ;;
	*) assert_num "$role $name" 'not recorded' "$op" "$want" ;;
	esac
}

# Exactly N joins, counted at both ends (MP_JOIN SYN sent, SYN/ACK received
# by the client; SYN and third ACK received by the server), and N+1
# subflows by MPTCP_INFO and by ss -M; and, as mptcp_join.sh's
# chk_join_nr checks them, none refused, no HMAC failure and no fallback.
# $1: tag, $2: N
__assert_joins_exact() {
	local tag=$1 n=$2
	fact_sync
	assert_num "most subflows at once (client MPTCP_INFO)" "${FACT[$tag.sf_max]-}" -eq $((n + 1)) &&
		assert_num "subflows by ss -M during the transfer" "${FACT[$tag.ssm]-}" -eq $((n + 1)) &&
		assert_mib "$tag" client MPTcpExtMPJoinSynTx -eq "$n" --else server MPTcpExtMPJoinSynRx &&
		assert_mib "$tag" client MPTcpExtMPJoinSynAckRx -eq "$n" &&
		assert_mib "$tag" server MPTcpExtMPJoinSynRx -eq "$n" &&
		assert_mib "$tag" server MPTcpExtMPJoinAckRx -eq "$n" &&
		assert_join_clean "$tag"
}

# No join refused (or exactly the refusals a scenario causes), none
# failing its HMAC, no token unknown, nothing fallen back to TCP: the
# counters mptcp_join.sh's chk_join_nr and chk_fallback_nr want at 0 when
# no fallback is meant. $1: tag, $2: joins the server refuses (default 0)
__assert_join_clean() {
	local tag=$1 c
	assert_mib "$tag" server MPTcpExtMPJoinRejected -eq "${2:-0}" &&
		assert_mib "$tag" server MPTcpExtMPJoinNoTokenFound -eq 0 &&
		assert_mib "$tag" server MPTcpExtMPJoinAckHMacFailure -eq 0 &&
		assert_mib "$tag" client MPTcpExtMPJoinSynAckHMacFailure -eq 0 || return
	for c in DssFallback MPCapableFallbackACK MPCapableFallbackSYNACK \
		InfiniteMapTx InfiniteMapRx DSSCorruptionFallback; do
		assert_mib "$tag" client "MPTcpExt$c" -eq 0 &&
			assert_mib "$tag" server "MPTcpExt$c" -eq 0 || return
	done
}

# Counters that changed by exactly so much, from a list a case table
# keeps: "ROLE COUNTER N;ROLE COUNTER N..." (empty: nothing to check).
# $1: tag, $2: the list
__assert_mib_list() {
	local tag=$1 item role ctr n
	local -a items
	IFS=';' read -ra items <<<"$2"
	for item in "${items[@]}"; do
		read -r role ctr n <<<"$item"
		assert_mib "$tag" "$role" "$ctr" -eq "$n" || return
	done
}

# Addresses announced with a port and the joins to that port, as
# chk_add_nr's port part counts them: ADD_ADDRs with a port the client got
# (PortAdd), the port joins' SYN, SYN/ACK and ACK, and no port mismatch.
# $1: tag, $2: port joins (and ADD_ADDRs with a port)
__assert_port_joins() {
	local tag=$1 n=$2
	assert_mib "$tag" client MPTcpExtPortAdd -eq "$n" &&
		assert_mib "$tag" server MPTcpExtMPJoinPortSynRx -eq "$n" &&
		assert_mib "$tag" client MPTcpExtMPJoinPortSynAckRx -eq "$n" &&
		assert_mib "$tag" server MPTcpExtMPJoinPortAckRx -eq "$n" &&
		assert_mib "$tag" server MPTcpExtMismatchPortSynRx -eq 0 &&
		assert_mib "$tag" server MPTcpExtMismatchPortAckRx -eq 0
}

# The subflows used exactly these address pairs, no more, no fewer.
# $1: tag, $2...: local>remote pairs
__assert_pairs() {
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
__assert_pairs_family() {
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
__assert_pairs_same_family() {
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
__assert_share_at_most() {
	(($3 > 0)) || {
		__assert_fail "$1: no payload arrived in the window"
		return 1
	}
	assert_num "$1, % of the payload received meanwhile ($2 of $3 bytes)" $(($2 * 100 / $3)) -le "$4"
}

# MPTCP beat the best single path by a clear margin: goodput above the
# best path's rate plus pct% of what the other paths add. Prints the
# goodput as a share of the sum of the path rates. $1: tag, $2: percent
__assert_aggregates() {
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
	assert_num "$tag goodput (kbit/s), best path $best + $pct% of the other $((sum - best))" \
		"$got" -gt "$bound"
}

# Every byte arrived intact, in each direction the run sent payload: the
# exit codes and the receivers' verdicts (__assert_transfer_verdicts), and,
# for a download or bidir run, what the server sent against what was asked
# for (the request, or for a run the harness ended, at least its plan).
# $1: tag (default: the latest run)
__assert_transfer_intact() {
	local tag=${1:-} mode want sent
	fact_sync
	__assert_transfer_verdicts "$tag" || return 1
	mode=${FACT[$tag.mode]-}
	[[ $mode == download || $mode == bidir ]] || return 0
	sent=$(traffic_json server '.bytes_sent' "$tag")
	if [[ ${FACT[$tag.stream]-} == 1 ]]; then
		want=${FACT[$tag.planned]-}
		[[ $mode != bidir ]] || want=$((want / 2))
		assert_num "bytes the server sent (planned at least $want)" "$sent" -ge "$want"
	else
		want=$(traffic_json client '.requested_bytes' "$tag")
		assert_num "bytes the server sent (requested $want)" "$sent" -eq "$want"
	fi
}

# $1: tag, $2: expected subflows
__assert_joined_before_fault() {
	local tag=$1 want=${2:-2}
	fact_sync
	assert_num "subflows in the client's MPTCP_INFO (MPTCP_SUBFLOW_ADDRS)" \
		"${FACT[$tag.info_subflows]-}" -ge "$want"
	[[ ${FACT[$tag.info_fallback]-} == false ]] || {
		__assert_fail "client's MPTCP_INFO reports fallback to TCP"
		return 1
	}
	assert_num "subflows by ss -M (1 + its subflows field)" \
		"${FACT[$tag.ssm_subflows]-}" -ge "$want"
	assert_num "client MIB MPJoinSynAckRx" "${FACT[$tag.mib_client_joins]-}" -ge $((want - 1))
	assert_num "server MIB MPJoinAckRx" "${FACT[$tag.mib_server_joins]-}" -ge $((want - 1))
}

# The fault struck at its mark: due at a quarter of the bytes, it came
# within a tolerance of it and never before. Judged on the stream: where
# the receiver crossed the mark plus what the paths carry at their rate
# until the fault was in place (the receiver's own count at that moment is
# printed too: it jumps with bursts of reordered data).
# $1: tag, $2: tolerance in per mille of the bytes (default 20, i.e. 2%)
__assert_fault_mid_transfer() {
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
	assert_num "bytes into the stream when the fault struck" "$at" -ge "$due" &&
		assert_num "bytes into the stream when the fault struck, beyond its mark (per mille of $span)" \
			$(((at - due) * 1000 / span)) -le "$tol"
}

# The bytes the server got after the failover, up to the restore, crossed
# the surviving path: its router forwarded at least pct% of them (headers
# make it more than 100% when all did). $1: tag, $2: percent required
__assert_survivor_carried() {
	local tag=$1 pct=${2:-90} moved wire
	fact_sync
	moved=$((${FACT[$tag.restore_recv]-} - ${FACT[$tag.window_recv]-}))
	wire=$((${FACT[$tag.survivor_bytes_at_restore]-} - ${FACT[$tag.survivor_bytes_at_window]-}))
	harness_diag "payload received in the window after failover: $moved bytes; path ${FACT[$tag.survivor]-} forwarded $wire bytes"
	((moved > 0)) || {
		__assert_fail "no byte arrived between the failover and the restore"
		return 1
	}
	assert_num "path ${FACT[$tag.survivor]-} bytes after the failover, % of payload received" \
		$((wire * 100 / moved)) -ge "$pct"
}

# While the failing path worked, the survivor (a backup) carried at most
# pct% of the payload: judged from the moment every wanted subflow was up
# (before it the scheduler had no choice) until the fault, both ends read
# from timestamped sources. $1: tag, $2: percent allowed
__assert_survivor_idle_before_fault() {
	local tag=$1 pct=$2 t_join sv
	fact_sync
	fact_var t_join "$tag.join_ms"
	fact_var sv "$tag.survivor"
	[[ $t_join =~ ^[0-9]+$ ]] || {
		__assert_fail "the client never had ${FACT[$tag.want]-} subflows: no window to judge path $sv in"
		return 1
	}
	harness_diag "the joins were up ${FACT[$tag.join_after_ms]-} ms after the connection, $((${FACT[$tag.fault_ms]-} - t_join)) ms before the fault"
	assert_share_at_most "path $sv bytes between the joins and the failure" \
		$((${FACT[$tag.survivor_bytes_at_fault]-} - ${FACT[$tag.survivor_bytes_at_join]-})) \
		$((${FACT[$tag.recv_at_fault]-} - ${FACT[$tag.recv_at_join]-})) "$pct"
}

# $1: tag, $2: bound in ms
__assert_outage_below() {
	fact_sync
	assert_num "outage after the fault (ms, longest receive gap)" \
		"${FACT[$1.outage_ms]-}" -le "$2"
}

# Time to recovery: from the fault to the first 200 ms in which the
# receiver got at least half of the surviving path's rate again, after the
# stall (traffic_recovery_ms). $1: tag, $2: bound in ms
__assert_recovery_below() {
	fact_sync
	assert_num "recovery after the fault (ms, until 200 ms at half the survivor's rate)" \
		"${FACT[$1.recovery_ms]-}" -le "$2"
}

# $1: tag, $2: bound in ms
__assert_rejoined_within() {
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
			assert_known_bug "a rejected DSS mapping, cf. multipath-tcp/mptcp_net-next#501" \
				"$what: the $role's kernel rejected $OBS_DSS_MOVED DSS mapping(s) that did not match during the run and reset the subflow" ||
				return 1
		done
		__assert_fail "$what"
		return 1
	fi
	assert_num "time until a new subflow joined over the restored path (ms)" "$v" -le "$2"
}

# Each check above runs with Bats' DEBUG trap off (wait_untraced): the
# trap runs some forty lines of bash before every command, which made the
# checks of a scenario cost more than its traffic. A failing check says
# what failed in its own words, and Bats still names the @test's line
# that called it. assert_fail stays traced: it is where a failure is.
for __f in num str skip_check known_bug closed_cleanly mib joins_exact join_clean mib_list port_joins pairs pairs_family pairs_same_family share_at_most aggregates transfer_intact joined_before_fault fault_mid_transfer survivor_carried survivor_idle_before_fault outage_below recovery_below rejoined_within ; do
	eval "assert_$__f() { wait_untraced __assert_$__f \"\$@\"; }"
done
unset __f
