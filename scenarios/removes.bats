#!/usr/bin/env bats
# mptcp_join.sh's removal table: endpoints deleted or flushed under a live
# connection, on either end, id 0 included, and announced addresses that
# cannot be used, give exactly the RM_ADDR and subflow-removal counts the
# kernel's selftest wants, with no reset where it counts them, and every
# byte arrives intact.
#
# Each case sets the limits and endpoints its mptcp_join.sh case sets,
# starts one upload, paced below the paths' rate as mptcp_join.sh's slow
# sender is (a full router queue would drop an RM_ADDR, which goes once;
# each case checks that the shapers dropped nothing), waits until its
# joins are up, then removes what the case removes, one step at a time: a
# step waits until the client's own subflow events show the subflows it
# closes gone. Its test checks what chk_join_nr, chk_add_nr, chk_rm_nr,
# chk_rm_tx_nr and chk_rst_nr check there: the joins (SYN, SYN/ACK, ACK),
# the ADD_ADDRs and their echoes, RM_ADDRs received and subflows removed
# on the side each is counted ("invert": the server removed, so the client
# counts the RM_ADDR and the server the subflows; "simult": a flush on
# both ends, whose subflow removals are counted on either side, so their
# sum is bounded), RM_ADDRs the client sent, and no MP_RST.
#
#            +------+
#   client --| r1   |-- path 1 --+ 198.19.1.1
#      p1    +------+            |
#      p2 ---| r2   |-- path 2 --+ .2.1
#      p3 ---| r3   |-- path 3 --+ .3.1   server
#      p4 ---| r4   |-- path 4 --+ .4.1
#            +------+   20 Mbit/s each
#
# requires: mptcp ip_mptcp

load ../harness/harness

# Knobs, so tests/catalogue-c.bats can prove that each check can fail.
: "${REMOVES_CASES:=rmsf rmsfs rmaddr rmsfsig rmsfssig rmaddrs rmbad flushsfsig flushsf flushaddr flushbad rmid0sf rmid0addr rmaddr6 rmsfsig6 rmaddrport rmsfsigport flushsfsigport}"
# The port of the port cases' announced address, as mptcp_join.sh's; each
# case takes the next one: the kernel's listener for a port endpoint cannot
# bind while the previous case's subflow to that port is in TIME-WAIT
# (EADDRINUSE, seen on 6.18).
: "${REMOVES_PORT:=10100}"
: "${REMOVES_BYTES:=2M}"
# The client's pace, below the 20 Mbit/s of a path: as mptcp_join.sh's
# slow sender, it keeps the routers' queues from filling, so that no
# RM_ADDR (sent once, in the upload's direction when the client removes)
# is dropped with the data. '' sends as fast as the paths take (a
# sabotage: the shapers drop).
: "${REMOVES_RATE=10mbit}"
# The addresses the invalid-address cases announce: two the server does
# not have (its kernel drops what is sent to them) and a multicast one (a
# subflow to it cannot even be connected).
: "${REMOVES_BAD:=198.19.12.1 224.0.0.1 198.19.14.1}"
# 0 skips the removals (a sabotage: nothing is removed).
: "${REMOVES_DO:=1}"

# The case's setup, as mptcp_join.sh's. Facts: <case>.want_join "S A K",
# .want_add "ADD ECHO", .want_rm "RM_ADDR RM_SUBFLOW [invert] [simult]",
# .want_rmtx (RM_ADDRs the client sends, or '' when the case does not
# say), .rst (normal|invert, or none where mptcp_join.sh does not count
# the resets: they are then only reported), .want_port (port joins, as
# chk_add_nr counts them, or ''), .want_mib (the case's own counters,
# "ROLE COUNTER N;...": chk_join_nr's join_syn_tx and join_connect_err).
# CASE_STEPS: the removals, each "ACTION:ROLE:PATH:LEFT" (del, flush or
# id0; PATH may be an address an endpoint was given with "addr"; LEFT:
# the client's subflows after it); CASE_WAIT: the subflows to wait for first; CASE_FAM: 4 or 6.
# $1: case
case_setup() {
	local c=$1 join add='0 0' rm rmtx='' rst=normal v6=() bk=(backup) port='' mib=''
	local bad
	read -ra bad <<<"$REMOVES_BAD"
	CASE_FAM=4
	case $c in
	rmsf) # "remove single subflow"
		pm_limits server subflows=1 add_addr_accepted=0
		pm_limits client subflows=1 add_addr_accepted=0
		pm_endpoint client 3 subflow backup nodev
		join='1 1 1' rm='1 1' rmtx=1
		CASE_WAIT=2 CASE_STEPS=(del:client:3:1)
		;;
	rmsfs) # "remove multiple subflows"
		pm_limits server subflows=2 add_addr_accepted=0
		pm_limits client subflows=2 add_addr_accepted=0
		pm_endpoint client 2 subflow backup nodev
		pm_endpoint client 3 subflow backup nodev
		join='2 2 2' rm='2 2'
		CASE_WAIT=3 CASE_STEPS=(del:client:2:2 del:client:3:1)
		;;
	rmaddr | rmaddr6) # "remove single address" (IPv6)
		# The IPv6 case's endpoints are not backup ones, and
		# mptcp_join.sh does not count its resets: on 6.18 the
		# client gets an MP_RST here.
		[[ $c != *6 ]] || CASE_FAM=6 v6=(v6) bk=() rst=none
		pm_limits server subflows=1 add_addr_accepted=0
		pm_endpoint server 2 signal "${bk[@]}" nodev "${v6[@]}"
		pm_limits client subflows=1 add_addr_accepted=1
		join='1 1 1' add='1 1' rm='1 1 invert'
		CASE_WAIT=2 CASE_STEPS=(del:server:2:1)
		;;
	rmsfsig | rmsfsig6) # "remove subflow and signal" (IPv6)
		[[ $c != *6 ]] || CASE_FAM=6 v6=(v6) bk=() rst=none
		pm_limits server subflows=2 add_addr_accepted=0
		pm_endpoint server 2 signal "${bk[@]}" nodev "${v6[@]}"
		pm_limits client subflows=2 add_addr_accepted=1
		pm_endpoint client 3 subflow "${bk[@]}" "${v6[@]}"
		join='2 2 2' add='1 1' rm='1 1'
		CASE_WAIT=3 CASE_STEPS=(del:server:2:2 del:client:3:1)
		;;
	rmsfssig) # "remove subflows and signal"
		pm_limits server subflows=3 add_addr_accepted=0
		pm_endpoint server 2 signal backup nodev
		pm_limits client subflows=3 add_addr_accepted=1
		pm_endpoint client 3 subflow backup nodev
		pm_endpoint client 4 subflow backup nodev
		join='3 3 3' add='1 1' rm='2 2'
		CASE_WAIT=4 CASE_STEPS=(del:server:2:3 del:client:3:2 del:client:4:1)
		;;
	rmaddrs) # "remove addresses"
		pm_limits server subflows=3 add_addr_accepted=3
		pm_endpoint server 2 signal backup nodev id 250
		pm_endpoint server 3 signal backup nodev
		pm_endpoint server 4 signal backup nodev
		pm_limits client subflows=3 add_addr_accepted=3
		join='3 3 3' add='3 3' rm='3 3 invert'
		CASE_WAIT=4 CASE_STEPS=(del:server:2:3 del:server:3:2 del:server:4:1)
		;;
	rmbad) # "remove invalid addresses": two of three unusable
		pm_limits server subflows=3 add_addr_accepted=3
		pm_endpoint server 1 signal backup nodev addr "${bad[0]}"
		pm_endpoint server 1 signal backup nodev addr "${bad[1]}"
		pm_endpoint server 3 signal backup nodev
		# Two accepted: the unconnectable address is not counted as
		# one, so the last, valid one still is.
		pm_limits client subflows=2 add_addr_accepted=2
		join='1 1 1' add='3 3' rm='3 1 invert'
		mib='client MPTcpExtMPJoinSynTx 2;client MPTcpExtMPJoinSynTxConnectErr 1'
		CASE_WAIT=2 CASE_STEPS=("del:server:${bad[0]}:2" "del:server:${bad[1]}:2" del:server:3:1)
		;;
	flushsfsig) # "flush subflows and signal"
		pm_limits server subflows=3 add_addr_accepted=0
		pm_endpoint server 2 signal backup nodev
		pm_limits client subflows=3 add_addr_accepted=1
		pm_endpoint client 3 subflow backup nodev
		pm_endpoint client 4 subflow backup nodev
		join='3 3 3' add='1 1' rm='1 3 invert simult'
		CASE_WAIT=4 CASE_STEPS=(flush:client::2 flush:server::1)
		;;
	flushsf) # "flush subflows"
		pm_limits server subflows=3 add_addr_accepted=3
		pm_limits client subflows=3 add_addr_accepted=3
		pm_endpoint client 2 subflow backup nodev id 150
		pm_endpoint client 3 subflow backup nodev
		pm_endpoint client 4 subflow backup nodev
		join='3 3 3' rm='0 3 simult' rmtx=0
		CASE_WAIT=4 CASE_STEPS=(flush:client::1 flush:server::1)
		;;
	flushaddr) # "flush addresses"
		pm_limits server subflows=3 add_addr_accepted=3
		pm_endpoint server 2 signal backup nodev id 250
		pm_endpoint server 3 signal backup nodev
		pm_endpoint server 4 signal backup nodev
		pm_limits client subflows=3 add_addr_accepted=3
		join='3 3 3' add='3 3' rm='3 3 invert simult'
		CASE_WAIT=4 CASE_STEPS=(flush:client::4 flush:server::1)
		;;
	flushbad) # "flush invalid addresses": two of three unreachable
		pm_limits server subflows=3 add_addr_accepted=3
		pm_endpoint server 1 signal backup nodev addr "${bad[0]}"
		pm_endpoint server 3 signal backup nodev
		pm_endpoint server 1 signal backup nodev addr "${bad[2]}"
		pm_limits client subflows=3 add_addr_accepted=3
		join='1 1 1' add='3 3' rm='3 1 invert'
		mib='client MPTcpExtMPJoinSynTx 3'
		CASE_WAIT=2 CASE_STEPS=(flush:server::1)
		;;
	rmid0sf) # "remove id 0 subflow": the client's initial address
		pm_limits server subflows=1 add_addr_accepted=0
		pm_limits client subflows=1 add_addr_accepted=0
		pm_endpoint client 3 subflow nodev
		join='1 1 1' rm='1 1'
		CASE_WAIT=2 CASE_STEPS=(id0:client::1)
		;;
	rmid0addr) # "remove id 0 address": the server's initial address
		pm_limits server subflows=1 add_addr_accepted=0
		pm_endpoint server 2 signal nodev
		pm_limits client subflows=1 add_addr_accepted=1
		join='1 1 1' add='1 1' rm='1 1 invert' rst=invert
		CASE_WAIT=2 CASE_STEPS=(id0:server::1)
		;;
	rmaddrport) # "remove single address with port"
		pm_limits server subflows=1 add_addr_accepted=0
		pm_endpoint server 2 signal nodev port "$REMOVES_PORT"
		pm_limits client subflows=1 add_addr_accepted=1
		join='1 1 1' add='1 1' port=1 rm='1 1 invert' rst=none
		CASE_WAIT=2 CASE_STEPS=(del:server:2:1)
		;;
	rmsfsigport) # "remove subflow and signal with port"
		pm_limits server subflows=2 add_addr_accepted=0
		pm_endpoint server 2 signal nodev port $((REMOVES_PORT + 1))
		pm_limits client subflows=2 add_addr_accepted=1
		pm_endpoint client 3 subflow nodev
		join='2 2 2' add='1 1' port=1 rm='1 1' rst=none
		CASE_WAIT=3 CASE_STEPS=(del:server:2:2 del:client:3:1)
		;;
	flushsfsigport) # "flush subflows and signal with port"
		# The server flushes, then the client deletes its two
		# endpoints; mptcp_join.sh counts no port join here.
		pm_limits server subflows=3 add_addr_accepted=0
		pm_endpoint server 2 signal nodev port $((REMOVES_PORT + 2))
		pm_limits client subflows=3 add_addr_accepted=1
		pm_endpoint client 3 subflow nodev
		pm_endpoint client 4 subflow nodev
		join='3 3 3' add='1 1' rm='1 3 invert simult' rst=none
		CASE_WAIT=4 CASE_STEPS=(flush:server::3 del:client:3:2 del:client:4:1)
		;;
	*)
		log_err "removes: unknown case '$c'"
		return 2
		;;
	esac
	fact_set "$c.want_join" "$join"
	fact_set "$c.want_add" "$add"
	fact_set "$c.want_rm" "$rm"
	fact_set "$c.want_rmtx" "$rmtx"
	fact_set "$c.rst" "$rst"
	fact_set "$c.want_port" "$port"
	fact_set "$c.want_mib" "$mib"
}

# One removal step of a case. $1: tag, $2: ACTION:ROLE:PATH:LEFT
remove_step() {
	local tag=$1 act role path left fam=()
	IFS=: read -r act role path left <<<"$2"
	[[ $CASE_FAM != 6 ]] || fam=(6)
	case $act in
	del)
		if [[ $path == *.* ]]; then
			pm_endpoint_del_addr "$role" "$path"
		else
			pm_endpoint_del "$role" "$path" "${fam[@]}"
		fi
		;;
	flush) pm_flush "$role" ;;
	id0) pm_endpoint_del_id0 "$role" "${fam[@]}" ;;
	esac || log_warn "$tag: removal '$2' failed"
	harness_event "endpoint-$act" "$role" "${path:+path $path}"
	traffic_until "$tag" 20000 traffic_sf_at_most "$tag" "$left" ||
		log_warn "$tag: after '$2' the client still lists more than $left subflows"
}

setup_file() {
	harness_init || return 0
	topo_paths 4 --rate 20mbit
	local c step drops0 drops1
	for c in $REMOVES_CASES; do
		pm_flush client
		pm_flush server
		case_setup "$c" || return 1
		obs_mib_mark "$c"
		obs_shaper_drops_to drops0
		traffic_start --tag "$c" --family "$CASE_FAM" --bytes "$REMOVES_BYTES" \
			${REMOVES_RATE:+--rate "$REMOVES_RATE"} || return 1
		# A gate, not a bound: it returns once the joins are up, and
		# waits long enough for them in a TCG guest.
		traffic_wait_sf "$c" "$CASE_WAIT" 20000 ||
			log_warn "$c: the client lists $TRAFFIC_SF subflows, waited for $CASE_WAIT"
		if [[ $REMOVES_DO == 1 ]]; then
			for step in "${CASE_STEPS[@]}"; do
				remove_step "$c" "$step"
			done
		fi
		# The client streams on after the removals: a RM_ADDR still
		# on its way arrives before the end.
		traffic_progress "$c"
		traffic_mark "$c" $((TRAFFIC_RX + 262144)) 10000 || log_warn "$c: stalled after the removals"
		traffic_wait 60000 "$c" || true
		obs_mib_record "$c"
		obs_shaper_drops_to drops1
		fact_set "$c.drops" $((drops1 - drops0))
	done
}

# RM_ADDR received on one side, subflows removed on the other, as
# chk_rm_nr counts them. $1: case, $2: RM_ADDR, $3: RM_SUBFLOW, $4...:
# invert, simult
rm_counted() {
	local c=$1 addr=$2 sf=$3 addr_side=server sf_side=client mode a b
	shift 3
	[[ " $* " != *" invert "* ]] || addr_side=client sf_side=server
	assert_mib "$c" "$addr_side" MPTcpExtRmAddr -eq "$addr" || return
	if [[ " $* " == *" simult "* ]]; then
		# A flush on both ends: each subflow is removed by one end or
		# by both.
		a=$(obs_mib_of "$c" "$sf_side" MPTcpExtRmSubflow) || a=''
		b=$(obs_mib_of "$c" "$addr_side" MPTcpExtRmSubflow) || b=''
		mode="subflows removed, both ends ($sf_side $a, $addr_side $b)"
		assert_num "$mode" $((a + b)) -ge "$sf" &&
			assert_num "$mode" $((a + b)) -le $((sf * 2))
		return
	fi
	assert_mib "$c" "$sf_side" MPTcpExtRmSubflow -eq "$sf"
}

# The case's counts against mptcp_join.sh's. $1: case
removed_as_mptcp_join() {
	local c=$1 syn synack ack add echo rm rmtx rst tx=server rx=client port
	read -r syn synack ack <<<"$(fact_get "$c.want_join")"
	read -r add echo <<<"$(fact_get "$c.want_add")"
	read -ra rm <<<"$(fact_get "$c.want_rm")"
	rmtx=$(fact_get "$c.want_rmtx")
	rst=$(fact_get "$c.rst")
	port=$(fact_get "$c.want_port")
	[[ $rst != invert ]] || tx=client rx=server
	# What follows counts signals that go once: a full queue would have
	# dropped one.
	assert_num "packets the paths' shapers dropped during the case" \
		"$(fact_get "$c.drops")" -eq 0 &&
		assert_mib "$c" server MPTcpExtMPJoinSynRx -eq "$syn" &&
		assert_mib "$c" client MPTcpExtMPJoinSynAckRx -eq "$synack" &&
		assert_mib "$c" server MPTcpExtMPJoinAckRx -eq "$ack" &&
		assert_join_clean "$c" &&
		assert_mib_list "$c" "$(fact_get "$c.want_mib")" &&
		assert_mib "$c" client MPTcpExtAddAddr -eq "$add" &&
		assert_mib "$c" server MPTcpExtEchoAdd -eq "$echo" &&
		{ [[ -z $port ]] || assert_port_joins "$c" "$port"; } &&
		rm_counted "$c" "${rm[@]}" &&
		{ [[ -z $rmtx ]] || assert_mib "$c" client MPTcpExtRmAddrTx -eq "$rmtx"; } &&
		if [[ $rst == none ]]; then
			harness_diag "MP_RST not judged, as in mptcp_join.sh: client received" \
				"$(obs_mib_of "$c" client MPTcpExtMPRstRx), server received $(obs_mib_of "$c" server MPTcpExtMPRstRx)"
		else
			assert_mib "$c" "$tx" MPTcpExtMPRstTx -eq 0 &&
				assert_mib "$c" "$rx" MPTcpExtMPRstRx -eq 0
		fi &&
		assert_transfer_intact "$c"
}

@test "remove single subflow: the client's endpoint deleted: RM_ADDR sent (1) and received, its subflow removed" {
	harness_case rmsf REMOVES_CASES
	removed_as_mptcp_join rmsf
}

@test "remove multiple subflows: two client endpoints deleted, one after the other: RM_ADDR 2, subflows removed 2" {
	harness_case rmsfs REMOVES_CASES
	removed_as_mptcp_join rmsfs
}

@test "remove single address: the server's announced address deleted: the client counts RM_ADDR 1, the server removes 1 subflow" {
	harness_case rmaddr REMOVES_CASES
	removed_as_mptcp_join rmaddr
}

@test "remove subflow and signal: one endpoint deleted on each end: RM_ADDR 1, subflows removed 1" {
	harness_case rmsfsig REMOVES_CASES
	removed_as_mptcp_join rmsfsig
}

@test "remove subflows and signal: the server's address and two client endpoints deleted: RM_ADDR 2, subflows removed 2" {
	harness_case rmsfssig REMOVES_CASES
	removed_as_mptcp_join rmsfssig
}

@test "remove addresses: three announced addresses deleted (one with id 250): RM_ADDR 3, subflows removed 3 (invert)" {
	harness_case rmaddrs REMOVES_CASES
	removed_as_mptcp_join rmaddrs
}

@test "remove invalid addresses: two of the three announced addresses unusable (one the server does not have, one multicast), all three deleted: 1 join, 2 MP_JOIN SYNs sent, 1 connect error, RM_ADDR 3, 1 subflow removed (invert)" {
	harness_case rmbad REMOVES_CASES
	removed_as_mptcp_join rmbad
}

@test "flush subflows and signal: both ends flushed: RM_ADDR 1, subflows removed 3 to 6 over both ends" {
	harness_case flushsfsig REMOVES_CASES
	removed_as_mptcp_join flushsfsig
}

@test "flush subflows: the client's three endpoints flushed: no RM_ADDR sent, subflows removed 3 to 6" {
	harness_case flushsf REMOVES_CASES
	removed_as_mptcp_join flushsf
}

@test "flush addresses: the server's three announced addresses flushed: RM_ADDR 3, subflows removed 3 to 6" {
	harness_case flushaddr REMOVES_CASES
	removed_as_mptcp_join flushaddr
}

@test "flush invalid addresses: two of the three announced addresses the server does not have, all flushed: 1 join, 3 MP_JOIN SYNs sent, RM_ADDR 3, 1 subflow removed (invert)" {
	harness_case flushbad REMOVES_CASES
	removed_as_mptcp_join flushbad
}

@test "remove id 0 subflow: the client's initial address removed: RM_ADDR 1, the initial subflow removed, the join carries on" {
	harness_case rmid0sf REMOVES_CASES
	removed_as_mptcp_join rmid0sf
}

@test "remove id 0 address: the server's initial address removed: the client counts RM_ADDR 1, the announced address carries on" {
	harness_case rmid0addr REMOVES_CASES
	removed_as_mptcp_join rmid0addr
}

@test "remove single address IPv6: the server's announced IPv6 address deleted: RM_ADDR 1, 1 subflow removed (invert)" {
	harness_case rmaddr6 REMOVES_CASES
	removed_as_mptcp_join rmaddr6
}

@test "remove subflow and signal IPv6: one IPv6 endpoint deleted on each end: RM_ADDR 1, subflows removed 1" {
	harness_case rmsfsig6 REMOVES_CASES
	removed_as_mptcp_join rmsfsig6
}

@test "remove single address with port: the server's address announced with a port deleted: RM_ADDR 1, 1 subflow removed (invert), 1 port join" {
	harness_case rmaddrport REMOVES_CASES
	removed_as_mptcp_join rmaddrport
}

@test "remove subflow and signal with port: one endpoint deleted on each end, the server's with a port: RM_ADDR 1, subflows removed 1, 1 port join" {
	harness_case rmsfsigport REMOVES_CASES
	removed_as_mptcp_join rmsfsigport
}

@test "flush subflows and signal with port: the server flushed, then two client endpoints deleted: RM_ADDR 1, subflows removed 3 to 6 over both ends" {
	harness_case flushsfsigport REMOVES_CASES
	removed_as_mptcp_join flushsfsigport
}
