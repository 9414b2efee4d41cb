#!/usr/bin/env bats
# Your own application under failover: `run.sh app --server CMD --client CMD`
# runs this file. The server starts in the server's namespace, the client
# once the server listens; path 1 fails once the client's traffic flows,
# and comes back later. The tests say whether MPTCP was used, how many
# subflows there were before the fault (three ways), whether the client
# survived and with what exit code, the server's exit code, the outage and
# recovery seen on the paths, and what each path carried.
#
#            +------+                 +------+
#   client --| r1   |-- path 1 -------|      |
#      p1    +------+                 |server|
#      ...   +------+                 |      |
#   client --| rN   |-- path N -------|      |
#            +------+                 +------+
#
# The settings come from run.sh app, which has checked them (MPTH_APP_*).
# requires: mptcp ip_mptcp nft

load harness

: "${MPTH_APP_PATHS:=2}"
: "${MPTH_APP_RATE:=20mbit}"
: "${MPTH_APP_FAULT:=link-down}"
: "${MPTH_APP_FAULT_AFTER:=2M}"
: "${MPTH_APP_RESTORE_AFTER_MS:=3000}"
: "${MPTH_APP_CLIENT_TIMEOUT_MS:=120000}"
: "${MPTH_APP_LISTEN_TIMEOUT_MS:=10000}"
: "${MPTH_APP_MPTCPIZE:=0}"
: "${MPTH_APP_MAX_OUTAGE_MS:=}"

WRAP=()
[[ $MPTH_APP_MPTCPIZE == 1 ]] && WRAP=(--mptcpize)

# $1: command with {port} {server} {server6}. Prints it filled in.
fill() {
	local c=$1
	c=${c//\{port\}/$(fact_get app.port)}
	c=${c//\{server\}/$(topo_addr 1 server)}
	c=${c//\{server6\}/$(topo_addr 1 server 6)}
	printf '%s\n' "$c"
}

# True once the fault is due (--fault-after: bytes on the paths since the
# client started, or ms after its start), or the client exited
# (APP_GONE=1). Builtins only: it runs while the client's traffic flows.
# $1: client pid
fault_due() {
	APP_GONE=0
	if [[ $MPTH_APP_FAULT_AFTER == *ms ]]; then
		local t=${EPOCHREALTIME/./}
		((${t:0:-3} - APP_START_MS >= ${MPTH_APP_FAULT_AFTER%ms})) && return 0
	else
		obs_paths_moved || return 1
		((OBS_PATHS_MOVED >= MPTH_APP_FAULT_AFTER)) && return 0
	fi
	wait_pid_gone "$1" || return 1
	APP_GONE=1
}

# True once the monitor has seen a second subflow of the connection on
# the port, or the fault is due first. Builtins only. $1: pid, $2: port
joined_or_due() {
	fault_due "$1" && return 0
	feat_have mptcp_monitor || return 0
	obs_monitor_subflows client "$2" && ((OBS_MON_SUBFLOWS >= 2))
}

# The connection's live state, taken once between the join and the fault
# (a link-down takes path 1's subflow away): subflows by ss -M, and
# whether the client has an MPTCP socket at all. $1: port
record_connection() {
	local ss re='subflows:([0-9]+)'
	app_running app client || return 0
	fact_set app.alive_at_sample 1
	ss=$(in_ns client ss -HMni "( dport = :$1 or sport = :$1 )" 2>/dev/null)
	fact_set app.msk "$([[ -n $ss ]] && echo 1 || echo 0)"
	[[ $ss =~ $re ]] || BASH_REMATCH=('' 0)
	fact_set app.ssm $((BASH_REMATCH[1] + 1))
}

# The client's MIB over the run: joins and fallbacks. Counters only grow,
# so they are read after the client ended.
record_mib() {
	local joins fb=0 c v
	obs_mib_record app
	joins=$(obs_mib_of app client MPTcpExtMPJoinSynAckRx) || joins=0
	for c in MPCapableFallbackSYNACK MPCapableFallbackACK; do
		v=$(obs_mib_of app client "MPTcpExt$c") || v=0
		fb=$((fb + v))
	done
	fact_set app.joins "$joins"
	fact_set app.fallback "$fb"
}

# Fire the fault armed in setup_file, the moment fault_due saw the mark
# crossed (OBS_PATHS_MOVED). The bytes on the paths come from the
# samplers, which write every 50 ms: the mark is seen up to a sample
# late.
inject() {
	local seen=$OBS_PATHS_MOVED seen_ms=$(($(now_ms) - APP_START_MS))
	fault_fire 1 || { log_err "the fault on path 1 did not strike"; return 1; }
	fact_set app.fault_ms "$(fact_get "fault.1.${MPTH_APP_FAULT}_ms")"
	if [[ $MPTH_APP_FAULT_AFTER == *ms ]]; then
		fact_set app.due_note "fault due $MPTH_APP_FAULT_AFTER after the client started: fired at $seen_ms ms, in place at $(($(fact_get app.fault_ms) - APP_START_MS)) ms"
	else
		fact_set app.due_note "fault due after $MPTH_APP_FAULT_AFTER bytes on the paths: mark seen at $seen, $seen_ms ms after the client started (samples every 50 ms), fault in place $(($(fact_get app.fault_ms) - APP_START_MS - seen_ms)) ms later"
	fi
	fact_set app.running_at_fault "$(app_running app client && echo 1 || echo 0)"
	# As a connection manager (mptcpd) does on link down; after the live
	# reading of the connection, which sees the subflow on path 1 until
	# then.
	wait "$APP_RECORD_PID" || true
	[[ $MPTH_APP_FAULT != link-down ]] || pm_endpoint_del client 1 || true
}

restore() {
	fault_restore 1
	[[ $MPTH_APP_FAULT != link-down ]] || pm_endpoint client 1 subflow || true
	fact_set app.restore_ms "$(now_ms)"
}

setup_file() {
	harness_init || return 0
	local i port ms pid
	topo_paths "$MPTH_APP_PATHS" --rate "$MPTH_APP_RATE"
	pm_limits all subflows="$MPTH_APP_PATHS" add_addr_accepted="$MPTH_APP_PATHS"
	for ((i = 1; i <= MPTH_APP_PATHS; i++)); do
		pm_endpoint client "$i" subflow
	done
	# A fresh namespace: any port is free; one that no run picks twice.
	port=$((20000 + RANDOM % 20000))
	fact_set app.port "$port"
	obs_mib_mark app client
	# The fault's commands wait, ready, in their namespace.
	[[ $MPTH_APP_FAULT == none ]] || fault_arm "$MPTH_APP_FAULT" 1 app
	app_start --tag app "${WRAP[@]}" server sh -c "$(fill "$MPTH_APP_SERVER")"
	ms=$(now_ms)
	if ! app_wait_listen server "$port" "$MPTH_APP_LISTEN_TIMEOUT_MS"; then
		fact_set app.listen_ms none
		if app_running app server; then
			app_stop app server
		else
			app_wait app server 1000 || true
		fi
		return 0
	fi
	fact_set app.listen_ms $(($(now_ms) - ms))
	app_start --tag app "${WRAP[@]}" client sh -c "$(fill "$MPTH_APP_CLIENT")"
	APP_START_MS=$(now_ms)
	fact_set app.start_ms "$APP_START_MS"
	pid=$(<"$MPTH_RUN_DIR/traffic-app/client.pid")
	obs_paths_baseline || true
	busywait "$MPTH_APP_CLIENT_TIMEOUT_MS" joined_or_due "$pid" "$port" || true
	if feat_have mptcp_monitor && obs_monitor_subflows client "$port"; then
		fact_set app.monitor "$OBS_MON_SUBFLOWS"
	fi
	# In the background: the mark may come while ss runs.
	record_connection "$port" &
	APP_RECORD_PID=$!
	if busywait "$MPTH_APP_CLIENT_TIMEOUT_MS" fault_due "$pid" && ((!APP_GONE)); then
		fact_set app.flowing 1
		if [[ $MPTH_APP_FAULT != none ]]; then
			inject
			# The path comes back after a while, or when the client ends.
			busywait "$MPTH_APP_RESTORE_AFTER_MS" wait_pid_gone "$pid" &&
				fact_set app.ended_before_restore 1
			restore
		fi
	fi
	wait "$APP_RECORD_PID" || true
	app_wait app client "$MPTH_APP_CLIENT_TIMEOUT_MS" || true
	fact_set app.end_ms "$(now_ms)"
	record_mib
	# A server that serves one client may exit; most run on.
	if app_wait app server 2000 2>/dev/null; then
		fact_set app.server_exited 1
	else
		app_stop app server
	fi
	obs_paths_figures "$(fact_get app.fault_ms 2>/dev/null || echo 0)" \
		"$(shape_rate_bps 1)" "$(fact_get app.end_ms)" \
		"$(fact_get app.restore_ms 2>/dev/null || echo 0)" >"$MPTH_RUN_DIR/app-paths"
}

# $1: name. Prints its log's last lines as TAP diagnostics.
show_log() {
	local f=$MPTH_RUN_DIR/traffic-app/$1.log
	[[ -s $f ]] || return 0
	echo "# the $1's output (last lines of $f):"
	tail -n 5 "$f" | sed 's/^/#   /'
}

# The other tests need a server; test 1 says why there is none.
need_listening() {
	[[ $(fact_get app.listen_ms) != none ]] || skip "the server never listened (test 1)"
}

need_fault() {
	[[ $MPTH_APP_FAULT != none ]] || skip "no fault (--fault none)"
}

@test "the server listens on its port" {
	local rc
	if [[ $(fact_get app.listen_ms) == none ]]; then
		show_log server
		rc=$(app_rc app server)
		if [[ $rc == stopped ]]; then
			rc="it was still running; the harness stopped it"
		else
			rc="it exited with code $rc"
		fi
		assert_fail "the server never listened on port $(fact_get app.port) within $MPTH_APP_LISTEN_TIMEOUT_MS ms ($rc); its command: $(fill "$MPTH_APP_SERVER")"
	fi
	harness_note "server listening on $(topo_addr 1 server) port $(fact_get app.port) after $(fact_get app.listen_ms) ms"
}

@test "the client's connection is MPTCP, not plain TCP and not fallen back" {
	need_listening
	[[ $(fact_get app.flowing 2>/dev/null) == 1 ]] ||
		assert_fail "the client's traffic never flowed as --fault-after says ($MPTH_APP_FAULT_AFTER) before it exited (exit code $(app_rc app client))"
	[[ $(fact_get app.alive_at_sample 2>/dev/null) == 1 ]] ||
		assert_fail "the client exited before its connection could be read: make its transfer longer, or --fault-after smaller"
	if (($(fact_get app.msk) == 0)); then
		assert_fail "no MPTCP socket on port $(fact_get app.port) in the client (ss -M): the client uses plain TCP; run it with --mptcpize, or have it open its socket with IPPROTO_MPTCP"
	fi
	assert_num "client MIB MPCapableFallbackSYNACK + MPCapableFallbackACK (fallen back to TCP)" "$(fact_get app.fallback)" -eq 0
}

@test "a second subflow joins before the fault (ss -M, MIB, ip mptcp monitor)" {
	need_listening
	[[ $(fact_get app.alive_at_sample 2>/dev/null) == 1 ]] ||
		assert_fail "the client exited before its connection could be read"
	assert_num "subflows by ss -M (1 + its subflows field)" "$(fact_get app.ssm)" -ge 2
	assert_num "client MIB MPJoinSynAckRx (over the run)" "$(fact_get app.joins)" -ge 1
	if feat_have mptcp_monitor; then
		assert_num "subflows established by ip mptcp monitor" "$(fact_get app.monitor 2>/dev/null || echo 0)" -ge 2
	else
		assert_skip_check "subflows by ip mptcp monitor: $FEAT_REASON"
	fi
}

@test "the client survives the fault and exits 0" {
	need_listening
	if [[ $MPTH_APP_FAULT != none ]]; then
		[[ $(fact_get app.running_at_fault 2>/dev/null) == 1 ]] ||
			assert_fail "the client had exited before the fault struck: make its transfer longer, or --fault-after smaller"
	fi
	show_log client
	assert_str "client exit code" "$(app_rc app client)" 0
}

@test "the server outlives the client, or exits 0" {
	need_listening
	if [[ $(fact_get app.server_exited 2>/dev/null) != 1 ]]; then
		harness_note "the server was still running 2 s after the client ended; the harness stopped it"
		return 0
	fi
	show_log server
	assert_str "server exit code (it exited within 2 s of the client's end)" "$(app_rc app server)" 0
}

@test "traffic resumes after the fault on the other paths: outage and recovery (path samplers), bytes per path" {
	need_listening
	need_fault
	local dir out rec i b during after rest=0
	read -r dir out rec <"$MPTH_RUN_DIR/app-paths"
	if [[ $dir == up ]]; then
		harness_note "main direction: client to server"
	else
		harness_note "main direction: server to client"
	fi
	while read -r i b during after; do
		harness_note "path $i carried $b bytes: $during during the fault, $after after the restore"
		((i == 1)) || rest=$((rest + during + after))
	done < <(tail -n +2 "$MPTH_RUN_DIR/app-paths")
	harness_note "$(fact_get app.due_note)"
	harness_figure outage_ms "$out"
	[[ $rec == none || $rec == - ]] || harness_figure recovery_ms "$rec"
	harness_note "recovery (until 200 ms at half of $MPTH_APP_RATE): ${rec/none/never} ms"
	assert_num "bytes the other paths carried after the fault" "$rest" -gt 0
	if [[ -n $MPTH_APP_MAX_OUTAGE_MS ]]; then
		assert_num "outage after the fault (ms, longest stretch without data on any path)" "$out" -le "$MPTH_APP_MAX_OUTAGE_MS"
	else
		harness_note "outage after the fault: $out ms (longest stretch without data on any path; --max-outage bounds it)"
	fi
}
