#!/usr/bin/env bats
# The harness's computations, on data made up to have a known answer.

load helpers

setup() {
	source "$REPO/harness/harness.bash"
	MPTH_RUN_DIR=$BATS_TEST_TMPDIR
	MPTH_ART_DIR=$BATS_TEST_TMPDIR/art
	mkdir -p "$MPTH_ART_DIR" "$MPTH_RUN_DIR/traffic-t"
	: >"$MPTH_RUN_DIR/facts"
	: >"$MPTH_RUN_DIR/roles"
}

# $1: bins as "start_ms bytes" lines
timeline() {
	printf '%s\n' "$@" >"$MPTH_RUN_DIR/traffic-t/server.timeline"
}

@test "outage is the longest receive gap that ends after the fault" {
	# Data every 10 ms, a 40 ms gap before the fault, 300 ms (30 empty
	# bins) after it.
	timeline "1000 5" "1010 5" "1060 5" "1070 5" "1080 0" "1380 5" "1390 5"
	run traffic_outage_ms t 1075
	assert_output 300
	# A gap wholly before the fault does not count.
	run traffic_outage_ms t 1385
	assert_output 0
}

@test "no byte after the fault is an outage that never ended" {
	timeline "1000 5" "1010 5" "1020 0" "1030 0"
	run traffic_outage_ms t 1015
	assert_output 999999
}

@test "expect compares numbers and says what it wanted" {
	run assert_num "subflows" 2 -ge 3
	assert_failure
	assert_output --partial "subflows: expected at least 3, got 2"
	run assert_num "subflows" 3 -ge 3
	assert_success
	run assert_num "subflows" "" -ge 1
	assert_failure
	assert_output --partial "expected a number"
}

@test "the survivor check fails when the path carried too little" {
	fact_set t.window_recv 1000
	fact_set t.restore_recv 11000
	fact_set t.survivor 2
	fact_set t.survivor_bytes_at_window 0
	fact_set t.survivor_bytes_at_restore 8000
	run assert_survivor_carried t 90
	assert_failure
	assert_output --partial "expected at least 90, got 80"
	fact_set t.survivor_bytes_at_restore 10500
	run assert_survivor_carried t 90
	assert_success
}

@test "sizes with suffixes become bytes" {
	run traffic_size_bytes 24M
	assert_output 25165824
	run traffic_size_bytes 3K
	assert_output 3072
	run traffic_size_bytes 100
	assert_output 100
}

@test "the undo stack runs newest first, once" {
	defer_init "$BATS_TEST_TMPDIR/defer"
	local out=$BATS_TEST_TMPDIR/order
	defer sh -c "echo first >>$out"
	defer sh -c "echo 'second; with quotes' >>$out"
	defer_run_all
	defer_run_all
	run cat "$out"
	assert_output $'second; with quotes\nfirst'
}

@test "busywait returns as soon as the condition holds, and fails at the deadline" {
	local t0
	t0=$(now_ms)
	run busywait 2000 true
	assert_success
	((($(now_ms) - t0) < 1000))
	t0=$(now_ms)
	run busywait 300 false
	assert_failure
	((($(now_ms) - t0) >= 300))
}

# $1: client rc, $2: server rc, $3: server status, $4: bytes received
fake_run() {
	local d=$MPTH_RUN_DIR/traffic-t
	echo "$1" >"$d/client.rc"
	echo "$2" >"$d/server.rc"
	printf '{"bytes_sent":1000}\n' >"$d/client.json"
	printf '{"bytes_received":%s,"mismatch_offset":-1,"conns":[{"mode":"upload","status":"%s"}]}\n' \
		"$4" "$3" >"$d/server.json"
}

@test "intact: a clean run passes; a short or failed one fails with the exit codes" {
	fake_run 0 0 ok 1000
	run assert_transfer_intact t
	assert_success
	fake_run 0 0 ok 999
	run assert_transfer_intact t
	assert_failure
	assert_output --partial "expected exactly 1000, got 999"
	fake_run 7 7 truncated 500
	run assert_transfer_intact t
	assert_failure
	assert_output --partial "client exit 7, server exit 7"
}

@test "intact: a verified upload whose result was lost passes, with a note; unverified does not" {
	fake_run timeout 0 ok 1000
	run assert_transfer_intact t
	assert_success
	run cat "$MPTH_ART_DIR/figures.txt" "$MPTH_ART_DIR/key-figures.tsv"
	assert_output --partial "its result never reached the client"
	assert_output --partial "t.result_lost	1"
	fake_run timeout 7 truncated 1000
	run assert_transfer_intact t
	assert_failure
}

# A snapshot of the sockets at a hang, as obs_snapshot writes it.
# $1: the client's subflow state, $2: its Recv-Q, $3: the server end's
# state, $4: its Send-Q
hung_snapshot() {
	cat >"$MPTH_ART_DIR/state-hung-t.txt" <<EOF
=== client (ns-client)
Netid State      Recv-Q Send-Q Local Address:Port  Peer Address:Port Process
tcp   $1 $2   0         198.18.1.1:36724   198.19.1.1:46169 ino:1 sk:39d <--
tcp   ESTAB      0      0      198.18.2.1%p2:48955   198.19.1.1:46169 ino:1 sk:39e <->
mptcp FIN-WAIT-2 0      0         198.18.1.1:36724   198.19.1.1:46169 ino:1 sk:39c <--
=== server (ns-server)
Netid State      Recv-Q Send-Q       Local Address:Port         Peer Address:Port Process
tcp   $3 0      $4     [::ffff:198.19.1.1]:46169 [::ffff:198.18.1.1]:36724 ino:2 sk:1396 -->
tcp   ESTAB      0      0      [::ffff:198.19.1.1]:46169 [::ffff:198.18.2.1]:48955 ino:2 sk:1397 <->
EOF
}

@test "closes cleanly: both ends at 0 pass; a lost result fails, named a kernel bug only with the half-closed subflow's signature" {
	: >"$MPTH_ART_DIR/failure-dump.txt"
	# bats' skip, stood in for.
	# shellcheck disable=SC2317 # called by assert_closed_cleanly, not here
	skip() { printf 'skipped: %s\n' "$*"; exit 0; }
	fake_run 0 0 ok 1000
	run assert_closed_cleanly t
	assert_success
	refute_output --partial skipped
	# Any other failure is no close at all.
	fake_run 7 7 truncated 500
	run assert_closed_cleanly t
	assert_failure
	assert_output --partial "did not end cleanly: client exit 7, server exit 7"
	# The result lost, no snapshot: a failure.
	fake_run timeout 0 ok 1000
	run assert_closed_cleanly t
	assert_failure
	assert_output --partial "the connection never closed: the server verified every byte"
	refute_output --partial "known kernel bug"
	# The signature: the client's shut-down subflow holds unread bytes,
	# the server's end of it unsent ones. A visible skip, a failure when
	# strict or with MPTH_KNOWN_BUGS=fail.
	hung_snapshot FIN-WAIT-2 6960 CLOSE-WAIT 24
	fact_set t.removal_unseen 1
	run assert_closed_cleanly t
	assert_success
	assert_output --partial "skipped: KNOWN KERNEL BUG (a half-closed initial subflow"
	assert_output --partial "198.18.1.1:36724 is shut down (FIN-WAIT-2) with 6960 bytes"
	assert_output --partial "holds 24 bytes"
	assert_output --partial "RM_ADDR of the removed initial subflow"
	MPTH_STRICT=1 run assert_closed_cleanly t
	assert_failure
	assert_output --partial "the connection never closed (known kernel bug"
	MPTH_KNOWN_BUGS=fail run assert_closed_cleanly t
	assert_failure
	refute_output --partial skipped
	# Half the signature is not the bug: nothing unsent on the server,
	# or the client's end not shut down.
	hung_snapshot FIN-WAIT-2 6960 CLOSE-WAIT 0
	run assert_closed_cleanly t
	assert_failure
	refute_output --partial "known kernel bug"
	hung_snapshot ESTAB 6960 CLOSE-WAIT 24
	run assert_closed_cleanly t
	assert_failure
	refute_output --partial "known kernel bug"
}

@test "time to recovery: the end of the first stall, not the first burst after the fault" {
	local bins=() ms
	# 1 MB/s (10000 bytes per 10 ms bin) until 2000, a 150 kB burst right
	# after the fault at 2000 (reordered data flushed), nothing until
	# 2600, then full rate again. Half of 8 Mbit/s in 200 ms is 100 kB.
	for ((ms = 1000; ms < 2000; ms += 10)); do bins+=("$ms 10000"); done
	bins+=("2000 150000")
	for ((ms = 2010; ms < 2600; ms += 10)); do bins+=("$ms 0"); done
	for ((ms = 2600; ms < 4000; ms += 10)); do bins+=("$ms 10000"); done
	timeline "${bins[@]}"
	fact_set t.mode upload
	run traffic_recovery_ms t 2000 8000000
	# The first healthy window after the stall starts at 2500 (10 bins of
	# 10 kB from 2600 on make it half full).
	assert_output 500
	# A bound below it fails, with the figure.
	fact_set t.recovery_ms 500
	run assert_recovery_below t 400
	assert_failure
	assert_output --partial "expected at most 400, got 500"
}

@test "time to recovery: 0 when goodput never dropped, none when it never came back" {
	local bins=() ms
	for ((ms = 1000; ms < 3000; ms += 10)); do bins+=("$ms 10000"); done
	timeline "${bins[@]}"
	fact_set t.mode upload
	run traffic_recovery_ms t 1500 8000000
	assert_output 0
	bins=()
	for ((ms = 1000; ms < 2000; ms += 10)); do bins+=("$ms 10000"); done
	for ((ms = 2000; ms < 3000; ms += 10)); do bins+=("$ms 100"); done
	timeline "${bins[@]}"
	# A trickle is no recovery.
	run traffic_recovery_ms t 2000 8000000
	assert_output none
}

@test "path bytes at a moment are interpolated between the sampler's lines" {
	mkdir -p "$MPTH_RUN_DIR/samples"
	printf '%s\n' "1000 0 0" "1050 5000 100" "1100 10000 200" >"$MPTH_RUN_DIR/samples/p1"
	run obs_path_bytes_at 1 up 1075
	assert_output 7500
	run obs_path_bytes_at 1 down 1100
	assert_output 200
	run obs_path_bytes_at 1 both 1025
	assert_output 2550
}

@test "the event loop folds the samples' lines into the run's state" {
	__TR_MODE[t]=upload __TR_RECV[t]=server
	__traffic_fold t "server listening 1000 4242"
	__traffic_fold t "client subflows 1001 0 2 198.18.1.1:5>198.19.1.1:4242,198.18.2.1:6>198.19.1.1:4242"
	__traffic_fold t "client subflows 1002 1 1 198.18.1.1:7>198.19.1.1:4242"
	__traffic_fold t "server mark 1003 100 150"
	assert_equal "${__TR_DONE[t.port]}" 4242
	# Connection 1's subflows do not replace connection 0's.
	assert_equal "${__TR_SF[t]}" 2
	traffic_live_pairs t
	assert_equal "$TRAFFIC_LIVE_PAIRS" "198.18.1.1>198.19.1.1 198.18.2.1>198.19.1.1"
	traffic_sf_locals t
	assert_equal "$TRAFFIC_SF_LOCALS" "198.18.1.1:5 198.18.2.1:6"
	traffic_marked t 100
	run traffic_marked t 200
	assert_failure
	__traffic_new_sf_from t 198.18.2.1 "198.18.1.1:5"
	run __traffic_new_sf_from t 198.18.2.1 "198.18.1.1:5 198.18.2.1:6"
	assert_failure
	__traffic_fold t "client subflows 1004 0 0 -"
	traffic_live_pairs t
	assert_equal "$TRAFFIC_LIVE_PAIRS" ""
}

@test "the fault placement check judges the stream, and fails past its tolerance" {
	fact_set t.span 1000000
	fact_set t.due 250000
	fact_set t.mark_rx 251000
	fact_set t.lag_ms 10
	fact_set t.struck_rx 400000
	fact_set t.placement 255000
	run assert_fault_mid_transfer t 20
	assert_success
	# The diagnostics (TAP comments) are kept with the figures too.
	run grep -F "struck at 255000 (+0.50%); the receiver had 400000 by then" "$MPTH_ART_DIR/figures.txt"
	assert_success
	fact_set t.placement 300000
	run assert_fault_mid_transfer t 20
	assert_failure
	assert_output --partial "expected at most 20, got 50"
	# Before its mark is impossible, and fails too.
	fact_set t.placement 200000
	run assert_fault_mid_transfer t 20
	assert_failure
}

@test "busywait and wait_nap pause without forking sleep" {
	local t0 t1
	t0=${EPOCHREALTIME/./}
	wait_nap 0.2
	t1=${EPOCHREALTIME/./}
	(((t1 - t0) / 1000 >= 190))
	# The harness never needs sleep(1) to wait: grep its modules.
	run grep -nE '(^|[^_a-z])sleep [0-9]' "$REPO"/harness/traffic.sh "$REPO"/harness/recipes.sh \
		"$REPO"/harness/faults.sh "$REPO"/harness/observe.sh "$REPO"/harness/assert.sh \
		"$REPO"/harness/facts.sh "$REPO"/harness/uspm.sh "$REPO"/harness/mptcpd.sh "$REPO"/lib/wait.sh
	assert_output ''
}

@test "a tag used again starts from nothing: no stale port, mark or subflows" {
	traffic_open_channel t upload
	__traffic_fold t "server listening 1000 4242"
	__traffic_fold t "server mark 1003 100 150"
	__traffic_fold t "client subflows 1001 0 2 a:1>b:2,c:3>b:2"
	__traffic_fold tx "server listening 1000 9999"
	traffic_open_channel t upload
	assert_equal "${__TR_DONE[t.port]:-}" ''
	assert_equal "${__TR_SF[t]:-}" ''
	run traffic_marked t 100
	assert_failure
	# Another tag's state stays.
	assert_equal "${__TR_DONE[tx.port]}" 9999
}

# $1: role, $2: JSON of its record, $3: exit code
record() {
	printf '%s\n' "$2" >"$MPTH_RUN_DIR/traffic-t/$1.json"
	printf '%s\n' "$3" >"$MPTH_RUN_DIR/traffic-t/$1.rc"
}

@test "an intact transfer is judged by the receiver of each direction: the client for a download" {
	: >"$MPTH_ART_DIR/failure-dump.txt"
	record server '{"bytes_sent":5000,"bytes_received":0,"mismatch_offset":-1,"conns":[{"mode":"download","status":"ok"}]}' 0
	record client '{"mode":"download","bytes_sent":0,"bytes_received":5000,"mismatch_offset":-1}' 0
	run assert_transfer_intact t
	assert_success
	# One byte short, at the client: an upload-only check saw 0 = 0.
	record client '{"mode":"download","bytes_sent":0,"bytes_received":4999,"mismatch_offset":-1}' 0
	run assert_transfer_intact t
	assert_failure
	assert_output --partial "expected exactly 5000, got 4999"
	# A byte the client found corrupted.
	record client '{"mode":"download","bytes_sent":0,"bytes_received":5000,"mismatch_offset":77}' 0
	run assert_transfer_intact t
	assert_failure
	assert_output --partial "first mismatch at byte offset 77, seen by the client"
	# Nothing sent at all is no transfer.
	record server '{"bytes_sent":0,"bytes_received":0,"mismatch_offset":-1,"conns":[{"mode":"download","status":"ok"}]}' 0
	record client '{"mode":"download","bytes_sent":0,"bytes_received":0,"mismatch_offset":-1}' 0
	run assert_transfer_intact t
	assert_failure
	assert_output --partial "payload bytes the server sent: expected more than 0, got 0"
}

@test "a corruption after the receiver's kernel rejected a DSS mapping is named a kernel bug: a skip, a failure with MPTH_KNOWN_BUGS=fail or strict" {
	: >"$MPTH_ART_DIR/failure-dump.txt"
	record server '{"bytes_sent":0,"bytes_received":900,"mismatch_offset":77,"conns":[{"mode":"upload","status":"mismatch"}]}' 4
	record client '{"mode":"upload","bytes_sent":1000,"bytes_received":0,"mismatch_offset":-1}' 4
	fact_set t.dss_rejected0.server 3
	# The kernel's counters, and bats' skip, stood in for.
	# shellcheck disable=SC2317 # called by assert_transfer_intact, not here
	obs_dss_rejected() { OBS_DSS_REJECTED=4; }
	skip() { printf 'skipped: %s\n' "$*"; exit 0; }
	run assert_transfer_intact t
	assert_success
	assert_output --partial "skipped: KNOWN KERNEL BUG (a rejected DSS mapping"
	assert_output --partial "first mismatch at byte offset 77, seen by the server"
	assert_output --partial "had rejected 1 DSS mapping(s)"
	MPTH_KNOWN_BUGS=fail run assert_transfer_intact t
	assert_failure
	assert_output --partial "data corrupted (known kernel bug, a rejected DSS mapping"
	refute_output --partial skipped
	MPTH_STRICT=1 run assert_transfer_intact t
	assert_failure
	refute_output --partial skipped
	# No mapping rejected during the run: a plain corruption.
	# shellcheck disable=SC2317 # called by assert_transfer_intact, not here
	obs_dss_rejected() { OBS_DSS_REJECTED=3; }
	run assert_transfer_intact t
	assert_failure
	assert_output --partial "data corrupted: first mismatch at byte offset 77, seen by the server"
	refute_output --partial KNOWN
}

@test "a bidir transfer is judged in both directions" {
	: >"$MPTH_ART_DIR/failure-dump.txt"
	record server '{"bytes_sent":700,"bytes_received":900,"mismatch_offset":-1,"conns":[{"mode":"bidir","status":"ok"}]}' 0
	record client '{"mode":"bidir","bytes_sent":900,"bytes_received":700,"mismatch_offset":-1}' 0
	run assert_transfer_intact t
	assert_success
	record client '{"mode":"bidir","bytes_sent":900,"bytes_received":699,"mismatch_offset":-1}' 0
	run assert_transfer_intact t
	assert_failure
	assert_output --partial "bytes received by the client (the server sent 700): expected exactly 700, got 699"
	record client '{"mode":"bidir","bytes_sent":901,"bytes_received":700,"mismatch_offset":-1}' 0
	run assert_transfer_intact t
	assert_failure
	assert_output --partial "bytes received by the server (the client sent 901)"
}

@test "a check on a counter this kernel lacks is a named skip, not a pass or a fail; strict fails it" {
	# The snapshot at obs_mib_mark lists every counter the kernel has.
	printf 'MPTcpExtAddAddr 0\nMPTcpExtEchoAdd 0\n' >"$MPTH_RUN_DIR/mib-t-server"
	fact_set t.mib.server.recorded 1
	fact_set t.mib.server.MPTcpExtEchoAdd 1
	run assert_mib t server MPTcpExtAddAddrTx -eq 1
	assert_success
	run cat "$MPTH_ART_DIR/skipped-checks.txt"
	assert_output --partial "server MPTcpExtAddAddrTx -eq 1: counter MPTcpExtAddAddrTx not in this kernel"
	# A counter the kernel has, at 0, is judged: 0 is not 1.
	: >"$MPTH_ART_DIR/failure-dump.txt"
	run assert_mib t server MPTcpExtAddAddr -eq 1
	assert_failure
	assert_output --partial "expected exactly 1, got 0"
	run assert_mib t server MPTcpExtEchoAdd -eq 1
	assert_success
	MPTH_STRICT=1 run assert_mib t server MPTcpExtAddAddrTx -eq 1
	assert_failure
	assert_output --partial "not in this kernel (strict"
	SELFTESTS_MPTCP_LIB_EXPECT_ALL_FEATURES=1 run assert_mib t server MPTcpExtAddAddrTx -eq 1
	assert_failure
}

@test "a clean join set: any join refusal, HMAC failure, unknown token or fallback counted fails it, each by name" {
	local c role all=(MPJoinRejected MPJoinNoTokenFound MPJoinAckHMacFailure
		MPJoinSynAckHMacFailure DssFallback MPCapableFallbackACK
		MPCapableFallbackSYNACK InfiniteMapTx InfiniteMapRx DSSCorruptionFallback)
	for role in client server; do
		printf 'MPTcpExt%s 0\n' "${all[@]}" >"$MPTH_RUN_DIR/mib-t-$role"
		fact_set "t.mib.$role.recorded" 1
	done
	: >"$MPTH_ART_DIR/failure-dump.txt"
	run assert_join_clean t
	assert_success
	# A scenario that causes one refusal wants exactly that one.
	run assert_join_clean t 1
	assert_failure
	assert_output --partial "server MPTcpExtMPJoinRejected: expected exactly 1, got 0"
	for c in MPJoinRejected:server MPJoinNoTokenFound:server MPJoinAckHMacFailure:server \
		MPJoinSynAckHMacFailure:client DssFallback:client DssFallback:server \
		InfiniteMapTx:server DSSCorruptionFallback:client; do
		fact_set "t.mib.${c#*:}.MPTcpExt${c%:*}" 1
		run assert_join_clean t
		assert_failure
		assert_output --partial "${c#*:} MPTcpExt${c%:*}: expected exactly 0, got 1"
		fact_set "t.mib.${c#*:}.MPTcpExt${c%:*}" 0
	done
}

@test "a named scenario's requirements name the optional packages run.sh installs for it" {
	source "$REPO/lib/deps.sh"
	run deps_for_requires "mptcp ip_mptcp pm_userspace libmnl socat mptcpize mptcpd"
	assert_output "$(printf '%s\n' /usr/include/libmnl/libmnl.h:libmnl-dev /usr/libexec/mptcpd:mptcpd socat:socat)"
	run deps_for_requires "mptcp ip_mptcp tbf"
	assert_output ''
}

@test "no function is defined twice in the modules a scenario or run.sh sources" {
	local f files=() dups
	for f in "$REPO"/lib/*.sh "$REPO"/harness/*.sh "$REPO"/harness/*/*.sh "$REPO"/harness/harness.bash "$REPO"/run.sh; do
		# vm-init.sh is the guest's init, a program of its own.
		[[ $f == */vm-init.sh ]] || files+=("$f")
	done
	dups=$(grep -ho '^[A-Za-z_][A-Za-z0-9_]*()' "${files[@]}" | sort | uniq -d)
	assert_equal "$dups" ''
}

# The modules a scenario sources, by the prefix of their public functions.
# A few short verbs carry none, as in the anchors (net/lib.sh's busywait,
# a die), and are listed here by name; the bats hooks too.
declare -gA MODULE_PREFIX=([topology]=topo [facts]=fact [traffic]=traffic
	[faults]=fault [observe]=obs [assert]=assert [recipes]=recipe [apps]=app
	[uspm]=uspm [mptcpd]=mptcpd [pm]=pm [shape]=shape [plot]=plot
	[harness]=harness [log]=log [wait]=wait [defer]=defer [deps]=deps
	[features]=feat [jobs]=jobs [runstate]=runstate [report]=report
	[bench]=bench [vm]=vm [runner]=runner [cli]=cli)
MODULE_VERBS=' in_ns in_ns_bg die busywait now_ms now_ms_to setup teardown_file '

# $@: module files. Prints "file: function" for each public function whose
# prefix is not its module's, and "file: no prefix known" for a module not
# in MODULE_PREFIX.
misplaced_functions() {
	local f m p fn
	for f; do
		m=${f##*/} m=${m%.*}
		p=${MODULE_PREFIX[$m]:-}
		[[ -n $p ]] || { echo "$f: no prefix known"; continue; }
		while read -r fn; do
			fn=${fn%'()'}
			[[ $fn == __* || $fn == "$p" || $fn == "$p"_* ]] && continue
			[[ $MODULE_VERBS == *" $fn "* ]] && continue
			echo "${f#"$REPO"/}: $fn"
		done < <(grep -o '^[A-Za-z_][A-Za-z0-9_]*()' "$f")
	done
}

@test "every public function lives in the module its prefix names, and no scenario calls a private one" {
	local f files=()
	# The programs (topo-build, topo-anchor, the VM's init) are not
	# sourced: they have no public functions.
	for f in "$REPO"/lib/*.sh "$REPO"/harness/*.sh "$REPO"/harness/*/*.sh "$REPO"/harness/harness.bash; do
		[[ $f == */topo-build.sh || $f == */topo-anchor.sh || $f == */vm-init.sh || ! -e $f ]] ||
			files+=("$f")
	done
	run misplaced_functions "${files[@]}"
	assert_output ''
	# A private name (__x) of a module is not a scenario's to call.
	run grep -nE '(^|[^A-Za-z0-9_])__[A-Za-z]' "$REPO"/scenarios/*.bats "$REPO"/harness/app.bats
	assert_output ''
	# The check can fail: a function with another module's prefix.
	printf 'obs_misplaced() { :; }\n' >"$BATS_TEST_TMPDIR/traffic.sh"
	run misplaced_functions "$BATS_TEST_TMPDIR/traffic.sh"
	assert_output "$BATS_TEST_TMPDIR/traffic.sh: obs_misplaced"
}

@test "wait_untraced: a loop runs with the DEBUG trap off, which comes back; status and set -e kept" {
	loop() {
		local i n=0
		for ((i = 0; i < 5000; i++)); do n=$((n + 1)); done
	}
	[[ $(trap -p DEBUG) == *bats_debug_trap* ]] || skip "no Bats DEBUG trap here"
	local t0 t1 t2
	t0=${EPOCHREALTIME/./}
	loop
	t1=${EPOCHREALTIME/./}
	wait_untraced loop
	t2=${EPOCHREALTIME/./}
	[[ $(trap -p DEBUG) == *bats_debug_trap* ]]
	echo "# traced $(((t1 - t0) / 1000)) ms, untraced $(((t2 - t1) / 1000)) ms" >&3
	# Measured together, on the same machine: 100 times apart when idle.
	(((t1 - t0) > 10 * (t2 - t1)))
	run wait_untraced false
	assert_failure 1
	run wait_untraced sh -c 'exit 3'
	assert_failure 3
	run bash -c "source '$REPO/lib/wait.sh'; set -eT; trap : DEBUG
		f() { false; echo reached; }; wait_untraced f; echo after"
	assert_failure
	refute_output --partial reached
	# The nap pipe it reads the trap through still only times out.
	t0=${EPOCHREALTIME/./}
	wait_nap 0.2
	t1=${EPOCHREALTIME/./}
	(((t1 - t0) >= 190000))
}

@test "an event line cut by a read timeout is kept and folded whole with its end" {
	local fd
	mkdir -p "$MPTH_RUN_DIR/traffic-t"
	mkfifo "$MPTH_RUN_DIR/ev"
	exec {fd}<>"$MPTH_RUN_DIR/ev"
	__TR_EVFD[t]=$fd
	__TR_OWNER[t]=$BASHPID
	__TR_PART[t]=''
	mark_seen() { [[ -n ${__TR_MARK[t.server.1000]:-} ]]; }
	# Half a line, then nothing: the wait times out in the middle of it.
	printf 'server m' >&"$fd"
	traffic_until t 300 mark_seen || true
	assert_equal "${__TR_PART[t]}" 'server m'
	printf 'ark 1796222483711 1000 1042\n' >&"$fd"
	traffic_until t 2000 mark_seen
	assert_equal "${__TR_MARK[t.server.1000]}" "1796222483711 1042"
	run cat "$MPTH_RUN_DIR/traffic-t/events.log"
	assert_output 'server mark 1796222483711 1000 1042'
	exec {fd}>&-
}

@test "the path byte reader keeps a half-written sampler line and reads it whole with its end" {
	TOPO_PATHS=1
	mkdir -p "$MPTH_RUN_DIR/samples"
	printf '1000 100 10\n1050 2' >"$MPTH_RUN_DIR/samples/p1"
	obs_paths_moved
	assert_equal "$OBS_PATHS_MOVED" 0
	printf '00 20\n' >>"$MPTH_RUN_DIR/samples/p1"
	obs_paths_moved
	# From "100 10" to "200 20": 110 bytes.
	assert_equal "$OBS_PATHS_MOVED" 110
	obs_paths_baseline
	printf '1100 250 30\n' >>"$MPTH_RUN_DIR/samples/p1"
	obs_paths_moved
	assert_equal "$OBS_PATHS_MOVED" 60
}

@test "facts: the cache sees what another process appended, the latest value wins, a half-written line waits" {
	fact_set a 1
	fact_var v a
	assert_equal "$v" 1
	# Another process appends: the next read sees it, without a reload.
	(printf 'a\t2\nb\tx y\tz\n' >>"$MPTH_RUN_DIR/facts")
	fact_var v a
	assert_equal "$v" 2
	fact_var v b
	assert_equal "$v" $'x y\tz'
	# A line still being written is not taken until its end arrives.
	printf 'c\tpart' >>"$MPTH_RUN_DIR/facts"
	run fact_get c
	assert_failure
	printf 'ial\n' >>"$MPTH_RUN_DIR/facts"
	fact_var v c
	assert_equal "$v" partial
	# In a subshell too, and the subshell's reads take nothing from ours.
	(printf 'd\t4\n' >>"$MPTH_RUN_DIR/facts")
	run fact_get d
	assert_output 4
	fact_var v d
	assert_equal "$v" 4
	# Never set: false, and empty.
	v=stale
	run fact_var v never
	assert_failure
	fact_var v never || :
	assert_equal "$v" ''
	# A facts file begun anew (harness_init) is read from its start.
	fact_reset
	printf 'a\t9\n' >>"$MPTH_RUN_DIR/facts"
	fact_var v a
	assert_equal "$v" 9
	run fact_get b
	assert_failure
}

@test "the *_to helpers set the caller's variable whatever its name, and match their printing twins" {
	# The names their locals had before they carried a prefix (read
	# through ${!name}).
	# shellcheck disable=SC2034 # each is set by name and read as ${!name}
	local r n u w f m i t tag addr ns name p
	declare -gA SHAPE_RATE=([1]=20mbit [2]=1.5mbit [3]=800kbit [4]=100000 [5]=2Gbit [6]=0.25mbit)
	local -A bps=([1]=20000000 [2]=1500000 [3]=800000 [4]=100000 [5]=2000000000 [6]=250000)
	for p in 1 2 3 4 5 6; do
		for name in r n u w f m; do
			shape_rate_to "$name" "$p"
			assert_equal "${!name}" "${bps[$p]}"
		done
		assert_equal "$(__shape_bps "${SHAPE_RATE[$p]}")" "${bps[$p]}"
	done
	shape_rate_to r 9
	assert_equal "$r" 0
	TOPO_PATHS=3
	shape_rates_total_to t
	assert_equal "$t" 22300000
	for name in i addr; do
		topo_addr_to "$name" 3 server 6
		assert_equal "${!name}" "$(topo_addr 3 server 6)"
	done
	MPTH_NS_PREFIX=mpth-x-
	topo_ns_to ns r2
	assert_equal "$ns" mpth-x-r2
	now_ms_to t
	[[ $t =~ ^[0-9]{13}$ ]]
	fact_set traffic.last t
	traffic_dir_to tag
	assert_equal "$tag" "$MPTH_RUN_DIR/traffic-t"
	traffic_dir_to tag other
	assert_equal "$tag" "$MPTH_RUN_DIR/traffic-other"
}

@test "traffic_json_to reads several fields in one jq, as traffic_json prints each" {
	local j1 j2 j3 j4 j5
	printf '%s\n' '{"mode":"upload","bytes_sent":26541105,"gone":null,"ok":true,"conns":[{"status":"ok"}]}' \
		>"$MPTH_RUN_DIR/traffic-t/client.json"
	traffic_json_to t client j1 .mode j2 .bytes_sent j3 '.nothing // empty' j4 .gone j5 '.conns[0].status'
	assert_equal "$j1" "$(traffic_json client .mode t)"
	assert_equal "$j2" 26541105
	assert_equal "$j3" ''
	assert_equal "$j4" "$(traffic_json client .gone t)"
	assert_equal "$j5" ok
	run traffic_json_to t server j1 .mode
	assert_failure
	traffic_json_to t server j1 .mode j2 .bytes_sent || :
	assert_equal "$j1/$j2" missing/missing
}

@test "the report embeds a timeline bigger than one command-line argument may be" {
	source "$REPO/lib/report.sh"
	local art=$BATS_TEST_TMPDIR/rep
	mkdir -p "$art/scn"
	# 300 KB of SVG: 400 KB in base64, past the 128 KiB one argument may hold.
	{
		printf '<svg xmlns="http://www.w3.org/2000/svg"><!-- '
		head -c 300000 /dev/zero | tr '\0' x
		printf ' --></svg>\n'
	} >"$art/scn/timeline-big.svg"
	printf '<svg xmlns="http://www.w3.org/2000/svg"/>\n' >"$art/scn/timeline-small.svg"
	printf 'ok 1 x\n' >"$art/scn.tap"
	run __report_extras "$art" scn
	assert_success
	run jq -r '.pictures | map("\(.name) \(.data | @base64d | length)") | .[]' <<<"$output"
	assert_output "timeline-big.svg $(wc -c <"$art/scn/timeline-big.svg")"$'\n'"timeline-small.svg 42"
}
