#!/usr/bin/env bats
# The userspace path manager hands a live connection over from path 1 to
# path 2, make-before-break, driven entirely by generic-netlink commands
# from our mptcp-pm-ctl: every byte arrives and the transfer never stalls.
#
# Both ends run net.mptcp.pm_type=1 (the kernel makes no subflow and
# announces nothing by itself) and an `mptcp-pm-ctl listen` that prints
# every MPTCP event as JSON. Then, while a transfer runs:
#   1. the server ANNOUNCEs its path-2 address (id 2) to the client;
#   2. the client, on the ANNOUNCED event, does SUBFLOW_CREATE from its
#      path-2 address to it;
#   3. once SUB_ESTABLISHED, SUBFLOW_DESTROY closes path 1's subflow;
#   4. the client REMOVEs its initial address (id 0) from the server.
# The contract around it: the client also has a kernel `subflow` endpoint
# and limits that allow it, and the kernel makes nothing of them; an
# ANNOUNCE with a token no connection has, and a REMOVE of an id nobody
# announced, are refused with an error.
#
# The server sends (a download), so the one signal the protocol never
# resends, the client's RM_ADDR, rides on acknowledgements, which no
# queue drops; it went missing once in CI when it rode on upload data
# into a full tbf queue. The server's ANNOUNCE rides on data instead, and
# ADD_ADDR is resent until echoed: add_addr_timeout is 1 s on the server.
#
#            +------+                 +------+
#   client --| r1   |-- path 1 -------|      |
#      p1    +------+  20 Mbit/s      |server|
#      p2    +------+                 |      |
#   client --| r2   |-- path 2 -------|      |
#            +------+  20 Mbit/s      +------+
# requires: mptcp ip_mptcp pm_userspace libmnl

load ../harness/harness

# Knobs, so tests/catalogue-b.bats can prove that each check can fail.
# 0: no SUBFLOW_CREATE (and so no DESTROY: nothing to hand over to).
: "${USPM_CREATE:=1}"
# break-first: destroy path 1's subflow, wait 2 s, then create path 2's
# (break-before-make: the transfer stalls, and the gap check must fail).
: "${USPM_ORDER:=make-first}"
: "${USPM_MAX_GAP_MS:=1500}"
: "${USPM_EVENT_MAX_MS:=3000}"
# The client's PM: userspace, or (a sabotage) the kernel's, which then
# acts on the endpoint and the limits set below.
: "${USPM_CLIENT_PM:=userspace}"
# The token the refused ANNOUNCE names (a sabotage: real, the server's).
: "${USPM_BAD_TOKEN:=1}"

# $1: fact, $2: role, $3: jq condition. Waits for the event, records it.
await_event() {
	local ev
	ev=$(uspm_wait_event "$2" "$3" "$USPM_EVENT_MAX_MS") || ev=none
	fact_set "$1" "$ev"
	[[ $ev != none ]]
}

# Send a command to a role's PM; its exit code becomes a fact.
# $1: fact, $2: role, $3...: mptcp-pm-ctl arguments
pm() {
	local f=$1 rc=0
	shift
	uspm_cmd "$@" || rc=$?
	fact_set "$f" "$rc"
}

# $1: fact holding an event, $2: jq field
ev_field() {
	fact_get "$1" | jq -r "$2 // empty" 2>/dev/null
}

setup_file() {
	harness_init || return 0
	topo_paths 2 --rate 20mbit
	topo_sysctl server net.mptcp.add_addr_timeout=1
	uspm_build || return 1
	local role port ctok stok sport t0 t1
	for role in client server; do
		[[ $role == client && $USPM_CLIENT_PM != userspace ]] ||
			uspm_enable "$role" || return 1
		uspm_listen "$role" || return 1
	done
	obs_mib_mark uspm
	# What the kernel's PM would act on at once: a subflow endpoint and
	# limits that allow it. With pm_type=1 it must make nothing of them.
	pm_limits client subflows=2 add_addr_accepted=2
	pm_endpoint client 2 subflow
	# The server streams until the handover is over and measured.
	traffic_start --tag h --bytes 4M --mode download
	port=$(fact_get h.port)
	await_event c.established client '.event == "established"' || return 0
	await_event s.established server '.event == "established"' || return 0
	ctok=$(ev_field c.established .token)
	sport=$(ev_field c.established .sport)
	stok=$(ev_field s.established .token)
	# Let it run on path 1 alone for a while.
	traffic_mark h 1000000 10000 || true
	# The client's subflows now, freshly reported.
	traffic_sample h
	traffic_wait_sf h 1 1000 || true
	fact_set sf_before_create "$TRAFFIC_SF"
	# The contract: a token or id that is not a connection's is refused.
	local bad=$USPM_BAD_TOKEN
	[[ $bad != real ]] || bad=$stok
	pm bad_token.rc server announce --token "$bad" --id 3 --addr "$(topo_addr 2 server)"
	pm bad_id.rc client remove --token "$ctok" --id 77

	pm announce.rc server announce --token "$stok" --id 2 --addr "$(topo_addr 2 server)"
	await_event c.announced client '.event == "announced"' || true

	fact_set create.rc "not sent"
	if [[ $USPM_CREATE == 1 && $USPM_ORDER == break-first ]]; then
		pm destroy.rc client destroy --token "$ctok" --addr "$(topo_addr 1 client)" \
			--port "$sport" --remote "$(topo_addr 1 server)" --rport "$port"
		fact_set create.ms "$(now_ms)"
		wait_nap 2
	fi
	if [[ $USPM_CREATE == 1 ]]; then
		t0=$(now_ms)
		[[ $USPM_ORDER == break-first ]] || fact_set create.ms "$t0"
		pm create.rc client create --token "$ctok" --id 2 \
			--addr "$(topo_addr 2 client)" --remote "$(topo_addr 2 server)" --rport "$port"
		if await_event c.sub_established client \
			"(.event == \"sub_established\") and .saddr == \"$(topo_addr 2 client)\""; then
			fact_set create.took_ms $(($(now_ms) - t0))
		fi
		# Make before break: the new subflow carries data first.
		wait_nap 0.5
		t0=$(now_ms)
		fact_set destroy.ms "$t0"
		[[ $USPM_ORDER == break-first ]] ||
			pm destroy.rc client destroy --token "$ctok" --addr "$(topo_addr 1 client)" \
				--port "$sport" --remote "$(topo_addr 1 server)" --rport "$port"
		await_event c.sub_closed client \
			"(.event == \"sub_closed\") and .saddr == \"$(topo_addr 1 client)\"" || true
		# What each path carried in the two seconds after the break. The
		# destroyed subflow first drains what it had queued (a graceful
		# close), so the window starts a little after SUB_CLOSED. Its
		# ends are timestamps; the bytes are read at them afterwards.
		wait_nap 0.5
		fact_set after.from_ms "$(now_ms)"
		wait_nap 2
		fact_set after.to_ms "$(now_ms)"
	fi

	pm remove.rc client remove --token "$ctok" --id 0
	await_event s.removed server '.event == "removed"' || true

	traffic_wait 30000 h || true
	if [[ -n $(fact_get after.from_ms) ]]; then
		t0=$(fact_get after.from_ms)
		t1=$(fact_get after.to_ms)
		fact_set after.recv $(($(traffic_rx_at h "$t1") - $(traffic_rx_at h "$t0")))
		fact_set after.p1 $(($(obs_path_bytes_at 1 down "$t1") - $(obs_path_bytes_at 1 down "$t0")))
		fact_set after.p2 $(($(obs_path_bytes_at 2 down "$t1") - $(obs_path_bytes_at 2 down "$t0")))
	fi
	fact_set gap_ms "$(traffic_outage_ms h "$(fact_get create.ms || fact_get h.start_ms)" 0 client)"
	harness_figure handover_gap_ms "$(fact_get gap_ms)"
	obs_mib_record uspm
}

# $1: fact holding an event, $2: what it is
expect_event() {
	[[ $(fact_get "$1") != none ]] ||
		assert_fail "$2: no such event within $USPM_EVENT_MAX_MS ms; events seen: $(tr '\n' ' ' <"$MPTH_RUN_DIR/traffic-pm/${1%%.*}"*.events.log 2>/dev/null | cut -c1-600)" || return
	harness_diag "$2: $(fact_get "$1")"
}

@test "both listeners see the connection established, the server's marked server-side, with their tokens" {
	expect_event c.established "client's ESTABLISHED event"
	expect_event s.established "server's ESTABLISHED event"
	assert_num "server_side flag of the server's event" "$(ev_field s.established .server_side)" -eq 1
	[[ -n $(ev_field c.established .token) ]] ||
		assert_fail "the client's event carries no token"
}

@test "ANNOUNCE from the server's PM: the client's PM hears the path-2 address (ANNOUNCED, MIB AddAddr)" {
	assert_num "mptcp-pm-ctl announce exit code" "$(fact_get announce.rc)" -eq 0
	expect_event c.announced "client's ANNOUNCED event"
	assert_str "announced address" "$(ev_field c.announced .daddr)" "$(topo_addr 2 server)"
	assert_num "announced address id" "$(ev_field c.announced .rem_id)" -eq 2
	assert_mib uspm server MPTcpExtAddAddrTx -ge 1
	assert_mib uspm client MPTcpExtAddAddr -ge 1
}

@test "SUBFLOW_CREATE from the client's PM: a subflow over path 2 is established within 3 s (SUB_ESTABLISHED, MIB joins)" {
	assert_num "mptcp-pm-ctl create exit code" "$(fact_get create.rc)" -eq 0
	expect_event c.sub_established "client's SUB_ESTABLISHED event from $(topo_addr 2 client)"
	assert_num "local id of the new subflow" "$(ev_field c.sub_established .loc_id)" -eq 2
	assert_num "time from SUBFLOW_CREATE to SUB_ESTABLISHED (ms)" "$(fact_get create.took_ms)" -le "$USPM_EVENT_MAX_MS"
	assert_mib uspm client MPTcpExtMPJoinSynAckRx -ge 1
	assert_mib uspm server MPTcpExtMPJoinAckRx -ge 1
}

@test "SUBFLOW_DESTROY of path 1's subflow: it closes and path 2 carries what follows" {
	assert_num "mptcp-pm-ctl destroy exit code" "$(fact_get destroy.rc)" -eq 0
	expect_event c.sub_closed "client's SUB_CLOSED event for $(topo_addr 1 client)"
	local recv p1 p2
	recv=$(fact_get after.recv) p1=$(fact_get after.p1) p2=$(fact_get after.p2)
	harness_diag "in the 2 s after the break: $recv payload bytes received; path 1 forwarded $p1, path 2 $p2 bytes down"
	assert_num "payload received in the 2 s after the break" "$recv" -gt 0
	assert_num "path 2 bytes after the break, % of the payload received" $((p2 * 100 / (recv > 0 ? recv : 1))) -ge 90
	assert_num "path 1 bytes after the break, % of the payload received" $((p1 * 100 / (recv > 0 ? recv : 1))) -le 2
}

@test "make-before-break: the transfer never stalls more than 1.5 s, and every byte arrives" {
	assert_num "longest receive gap from SUBFLOW_CREATE on (ms)" "$(fact_get gap_ms)" -le "$USPM_MAX_GAP_MS"
	assert_transfer_intact h
}

@test "REMOVE of the client's initial address: the server's PM hears it is gone (REMOVED, MIB RmAddr)" {
	assert_num "mptcp-pm-ctl remove exit code" "$(fact_get remove.rc)" -eq 0
	expect_event s.removed "server's REMOVED event"
	assert_num "removed address id" "$(ev_field s.removed .rem_id)" -eq 0
	assert_mib uspm client MPTcpExtRmAddrTx -ge 1
	assert_mib uspm server MPTcpExtRmAddr -ge 1
}

@test "the kernel's PM makes nothing by itself: a subflow endpoint and free limits leave one subflow until SUBFLOW_CREATE" {
	assert_num "subflows the client listed after 1 MB, before any command" "$(fact_get sf_before_create)" -eq 1
}

@test "an unknown token and an unknown address id are refused, with an error" {
	local out
	assert_num "mptcp-pm-ctl announce with token $USPM_BAD_TOKEN: exit code" "$(fact_get bad_token.rc)" -gt 0 &&
		assert_num "mptcp-pm-ctl remove of id 77: exit code" "$(fact_get bad_id.rc)" -gt 0 || return
	out=$(awk -F'\t' '$1 ~ /^announce --token [0-9]+ --id 3 / { print $3 }' "$MPTH_RUN_DIR/traffic-pm/commands")
	harness_diag "announce with token $USPM_BAD_TOKEN said: $out"
	[[ -n $out ]] || fail "mptcp-pm-ctl refused token $USPM_BAD_TOKEN without saying why"
}
