#!/usr/bin/env bats
# mptcp_join.sh's join and announce tables: for each of its subflow,
# signal, add and IPv4-mapped cases, the same limits and endpoints give
# exactly the MP_JOIN and ADD_ADDR counts the kernel's selftest wants, at
# both ends.
#
# Each case is one upload over the same four paths, with the path manager
# flushed and set up anew: the limits of both ends, the client's subflow
# endpoints and the server's signal endpoints, as in mptcp_join.sh. Its
# test checks what chk_join_nr and chk_add_nr check there: MP_JOIN SYNs
# the server got, SYN/ACKs the client got, third ACKs the server got
# (MPJoinSynRx, MPJoinSynAckRx, MPJoinAckRx), the joins it refused, no
# HMAC failure and no fallback; ADD_ADDRs the client got and echoes the
# server got (AddAddr, EchoAdd); the most subflows at once; and every
# byte intact. A case that wants no join waits for the event that would
# have made one (the connection, or the echo of the ADD_ADDR), then
# streams on for the rest of the transfer.
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
: "${JOINS_CASES:=nojoin climit0 slimit0 single dev unused subsig multisig sigaddrs siginvalid mapsf mapsig v4v6sf v4v6sig v6v4sf v6v4sig diff46 diff64 unused6 addsf addsig addsfs addsfs6 addaddrs6 ckmulti cksignal cksubsig cksubsigs csum00 csum11 csum01 csum10 id0s1 id0s2 id0a1 id0a2 id0sa1 id0def usnoadd usnojoin mix4no6 mix6v4}"
: "${JOINS_BYTES:=2M}"
# Added to both of the client's limits in every case (a sabotage: 1 lets
# the client join where the case's limit forbids it).
: "${JOINS_SLACK:=0}"

# The client's limits, with the sabotage slack. $1: subflows,
# $2: add_addr_accepted
client_limits() {
	pm_limits client subflows=$(($1 + JOINS_SLACK)) \
		add_addr_accepted=$(($2 + JOINS_SLACK))
}

# Set up one case as mptcp_join.sh does. What it expects becomes facts:
# <case>.want_join "SYN SYN/ACK ACK" (chk_join_nr), .want_add "ADD_ADDR
# ECHO" (chk_add_nr), .want_rejected (the joins the server refuses).
# CASE_WAIT gets the recipe_counted arguments of what to wait for: the
# subflows, and for a case whose decision leaves no subflow, the counter
# that shows it was made; CASE_FAMILY the socket's family (4, 6, or 4in6:
# an IPv6 socket to the server's IPv4-mapped address) and CASE_TO the
# server path it connects to; CASE_LATE the
# endpoints ("ROLE PATH FLAGS...") added only once the connection is up,
# as mptcp_join.sh's add cases do; CASE_SYSCTL the case's sysctls
# ("ROLE KEY=VALUE", undone before the next case), and the userspace path
# manager ("ROLE uspm"), without a daemon: the role's ip mptcp monitor,
# which the kernel would take for one, is stopped meanwhile. $1: case
case_setup() {
	local c=$1 join add='0 0' rejected=0
	CASE_FAMILY=4 CASE_TO=1 CASE_LATE=() CASE_SYSCTL=()
	case $c in
	nojoin) # "no JOIN"
		pm_limits server subflows=0 add_addr_accepted=0
		client_limits 0 0
		join='0 0 0'
		CASE_WAIT=(1)
		;;
	climit0) # "single subflow, limited by client"
		pm_limits server subflows=0 add_addr_accepted=0
		client_limits 0 0
		pm_endpoint client 3 subflow nodev
		join='0 0 0'
		CASE_WAIT=(1)
		;;
	slimit0) # "single subflow, limited by server"
		pm_limits server subflows=0 add_addr_accepted=0
		client_limits 1 0
		pm_endpoint client 3 subflow nodev
		join='1 1 0' rejected=1
		CASE_WAIT=(1 --wait-mib server MPTcpExtMPJoinRejected 1)
		;;
	single) # "single subflow"
		pm_limits server subflows=1 add_addr_accepted=0
		client_limits 1 0
		pm_endpoint client 3 subflow nodev
		join='1 1 1'
		CASE_WAIT=(2)
		;;
	dev) # "single subflow, dev"
		pm_limits server subflows=1 add_addr_accepted=0
		client_limits 1 0
		pm_endpoint client 3 subflow
		join='1 1 1'
		CASE_WAIT=(2)
		;;
	unused) # "unused signal address": the kernel's default limits
		pm_limits server subflows=2 add_addr_accepted=0
		client_limits 2 0
		pm_endpoint server 2 signal nodev
		join='0 0 0' add='1 1'
		CASE_WAIT=(1 --wait-mib server MPTcpExtEchoAdd 1)
		;;
	subsig) # "subflow and signal"
		pm_limits server subflows=2 add_addr_accepted=0
		pm_endpoint server 2 signal nodev
		client_limits 2 1
		pm_endpoint client 3 subflow nodev
		join='2 2 2' add='1 1'
		CASE_WAIT=(3)
		;;
	multisig) # "multiple subflows and signal"
		pm_limits server subflows=3 add_addr_accepted=0
		pm_endpoint server 2 signal nodev
		client_limits 3 1
		pm_endpoint client 3 subflow nodev
		pm_endpoint client 4 subflow nodev
		join='3 3 3' add='1 1'
		CASE_WAIT=(4)
		;;
	sigaddrs) # "signal addresses"
		pm_limits server subflows=3 add_addr_accepted=3
		pm_endpoint server 2 signal nodev
		pm_endpoint server 3 signal nodev
		pm_endpoint server 4 signal nodev
		client_limits 3 3
		join='3 3 3' add='3 3'
		CASE_WAIT=(4)
		;;
	siginvalid) # "signal invalid addresses": .12.1 and .14.1 exist nowhere
		pm_limits server subflows=3 add_addr_accepted=3
		pm_endpoint server 12 signal nodev
		pm_endpoint server 3 signal nodev
		pm_endpoint server 14 signal nodev
		client_limits 3 3
		join='1 1 1' add='3 3'
		CASE_WAIT=(2 --wait-mib server MPTcpExtEchoAdd 3)
		;;
	mapsf) # "single subflow IPv4-mapped": to and from ::ffff: addresses
		pm_limits server subflows=1 add_addr_accepted=0
		client_limits 1 0
		pm_endpoint client 3 subflow mapped nodev
		join='1 1 1' CASE_FAMILY=4in6
		CASE_WAIT=(2)
		;;
	mapsig) # "signal address IPv4-mapped"
		pm_limits server subflows=1 add_addr_accepted=0
		pm_endpoint server 2 signal mapped nodev
		client_limits 1 1
		join='1 1 1' add='1 1' CASE_FAMILY=4in6
		CASE_WAIT=(2)
		;;
	v4v6sf) # "single subflow v4-map-v6": an IPv4 endpoint, a mapped socket
		pm_limits server subflows=1 add_addr_accepted=0
		client_limits 1 0
		pm_endpoint client 3 subflow nodev
		join='1 1 1' CASE_FAMILY=4in6
		CASE_WAIT=(2)
		;;
	v4v6sig) # "signal address v4-map-v6"
		pm_limits server subflows=1 add_addr_accepted=0
		pm_endpoint server 2 signal nodev
		client_limits 1 1
		join='1 1 1' add='1 1' CASE_FAMILY=4in6
		CASE_WAIT=(2)
		;;
	v6v4sf) # "single subflow v6-map-v4": a mapped endpoint, an IPv4 socket
		pm_limits server subflows=1 add_addr_accepted=0
		client_limits 1 0
		pm_endpoint client 3 subflow mapped nodev
		join='1 1 1'
		CASE_WAIT=(2)
		;;
	v6v4sig) # "signal address v6-map-v4"
		pm_limits server subflows=1 add_addr_accepted=0
		pm_endpoint server 2 signal mapped nodev
		client_limits 1 1
		join='1 1 1' add='1 1'
		CASE_WAIT=(2)
		;;
	diff46) # "no JOIN with diff families v4-v6": an IPv6 endpoint, an IPv4 socket
		pm_limits server subflows=1 add_addr_accepted=0
		client_limits 1 0
		pm_endpoint client 2 subflow v6 nodev
		join='0 0 0'
		CASE_WAIT=(1)
		;;
	diff64) # "no JOIN with diff families v6-v4": an IPv4 endpoint, an IPv6 socket
		pm_limits server subflows=1 add_addr_accepted=0
		client_limits 1 0
		pm_endpoint client 3 subflow nodev
		join='0 0 0' CASE_FAMILY=6
		CASE_WAIT=(1)
		;;
	unused6) # "unused signal address IPv6"
		pm_limits server subflows=2 add_addr_accepted=0
		client_limits 2 0
		pm_endpoint server 2 signal v6 nodev
		join='0 0 0' add='1 1' CASE_FAMILY=6
		CASE_WAIT=(1 --wait-mib server MPTcpExtEchoAdd 1)
		;;
	addsf) # "add single subflow": the endpoint comes once connected
		pm_limits server subflows=1 add_addr_accepted=0
		client_limits 1 0
		CASE_LATE=("client 3 subflow nodev")
		join='1 1 1'
		CASE_WAIT=(2)
		;;
	addsig) # "add signal address"
		pm_limits server subflows=1 add_addr_accepted=0
		client_limits 1 1
		CASE_LATE=("server 2 signal nodev")
		join='1 1 1' add='1 1'
		CASE_WAIT=(2)
		;;
	addsfs | addsfs6) # "add multiple subflows" (IPv6)
		pm_limits server subflows=2 add_addr_accepted=0
		client_limits 2 0
		CASE_LATE=("client 2 subflow nodev" "client 3 subflow nodev")
		if [[ $c == *6 ]]; then
			CASE_FAMILY=6
			CASE_LATE=("${CASE_LATE[@]/%/ v6}")
		fi
		join='2 2 2'
		CASE_WAIT=(3)
		;;
	addaddrs6) # "add multiple addresses IPv6"
		pm_limits server subflows=2 add_addr_accepted=0
		client_limits 2 2
		CASE_LATE=("server 2 signal nodev v6" "server 3 signal nodev v6")
		join='2 2 2' add='2 2' CASE_FAMILY=6
		CASE_WAIT=(3)
		;;
	ckmulti) # "multiple subflows with syn cookies"
		CASE_SYSCTL=("server net.ipv4.tcp_syncookies=2")
		pm_limits server subflows=2 add_addr_accepted=0
		client_limits 2 0
		pm_endpoint client 3 subflow nodev
		pm_endpoint client 2 subflow nodev
		join='2 2 2'
		CASE_WAIT=(3)
		;;
	cksignal) # "signal address with syn cookies"
		CASE_SYSCTL=("server net.ipv4.tcp_syncookies=2")
		pm_limits server subflows=1 add_addr_accepted=0
		client_limits 1 1
		pm_endpoint server 2 signal nodev
		join='1 1 1' add='1 1'
		CASE_WAIT=(2)
		;;
	cksubsig) # "subflow and signal w cookies"
		CASE_SYSCTL=("server net.ipv4.tcp_syncookies=2")
		pm_endpoint server 2 signal nodev
		pm_limits server subflows=2 add_addr_accepted=0
		client_limits 2 1
		pm_endpoint client 3 subflow nodev
		join='2 2 2' add='1 1'
		CASE_WAIT=(3)
		;;
	cksubsigs) # "subflows and signal w. cookies"
		CASE_SYSCTL=("server net.ipv4.tcp_syncookies=2")
		pm_limits server subflows=3 add_addr_accepted=0
		pm_endpoint server 2 signal nodev
		client_limits 3 1
		pm_endpoint client 3 subflow nodev
		pm_endpoint client 4 subflow nodev
		join='3 3 3' add='1 1'
		CASE_WAIT=(4)
		;;
	csum[01][01]) # "checksum test 0 0", "1 1", "0 1", "1 0": server, client
		CASE_SYSCTL=("server net.mptcp.checksum_enabled=${c:4:1}"
			"client net.mptcp.checksum_enabled=${c:5:1}")
		pm_limits server subflows=1 add_addr_accepted=0
		client_limits 1 0
		join='0 0 0'
		CASE_WAIT=(1)
		;;
	id0s1) # "single subflow allow join id0 ns1": only the client forbids
		CASE_SYSCTL=("client net.mptcp.allow_join_initial_addr_port=0")
		pm_limits server subflows=1 add_addr_accepted=1
		client_limits 1 1
		pm_endpoint client 3 subflow nodev
		join='1 1 1'
		CASE_WAIT=(2)
		;;
	id0s2) # "single subflow allow join id0 ns2": the server forbids
		CASE_SYSCTL=("server net.mptcp.allow_join_initial_addr_port=0")
		pm_limits server subflows=1 add_addr_accepted=1
		client_limits 1 1
		pm_endpoint client 3 subflow nodev
		join='0 0 0'
		CASE_WAIT=(1)
		;;
	id0a1 | id0a2) # "signal address allow join id0 ns1" / "ns2": ADD_ADDR unaffected
		if [[ $c == id0a1 ]]; then
			CASE_SYSCTL=("client net.mptcp.allow_join_initial_addr_port=0")
		else
			CASE_SYSCTL=("server net.mptcp.allow_join_initial_addr_port=0")
		fi
		pm_limits server subflows=1 add_addr_accepted=1
		client_limits 1 1
		pm_endpoint server 2 signal nodev
		join='1 1 1' add='1 1'
		CASE_WAIT=(2)
		;;
	id0sa1) # "subflow and address allow join id0 1": the server allows
		CASE_SYSCTL=("client net.mptcp.allow_join_initial_addr_port=0")
		pm_limits server subflows=2 add_addr_accepted=2
		client_limits 2 2
		pm_endpoint server 2 signal nodev
		pm_endpoint client 3 subflow nodev
		join='2 2 2' add='1 1'
		CASE_WAIT=(3)
		;;
	id0def) # "default limits, server deny join id 0"
		CASE_SYSCTL=("server net.mptcp.allow_join_initial_addr_port=0")
		pm_limits server subflows=2 add_addr_accepted=0
		client_limits 2 0
		pm_endpoint server 2 signal nodev
		pm_endpoint client 3 subflow nodev
		pm_endpoint client 4 subflow nodev
		join='2 2 2'
		CASE_WAIT=(3)
		;;
	usnoadd) # "userspace pm type prevents add_addr": the server's PM
		CASE_SYSCTL=("server uspm")
		pm_limits server subflows=2 add_addr_accepted=0
		client_limits 2 0
		pm_endpoint server 2 signal nodev
		join='0 0 0'
		CASE_WAIT=(1)
		;;
	usnojoin) # "userspace pm type does not send join": the client's PM
		CASE_SYSCTL=("client uspm")
		pm_limits server subflows=1 add_addr_accepted=1
		client_limits 1 1
		pm_endpoint client 3 subflow nodev
		join='0 0 0'
		CASE_WAIT=(1)
		;;
	mix4no6) # "IPv4 sockets do not use IPv6 addresses"
		pm_limits server subflows=1 add_addr_accepted=0
		client_limits 1 1
		pm_endpoint server 2 signal v6 nodev
		join='0 0 0' add='1 1'
		CASE_WAIT=(1 --wait-mib server MPTcpExtEchoAdd 1)
		;;
	mix6v4) # "simult IPv4 and IPv6 subflows": an IPv6 connection to the
		# server's path-2 address, its IPv4 initial address announced
		pm_limits server subflows=1 add_addr_accepted=0
		client_limits 1 1
		pm_endpoint server 1 signal nodev
		join='1 1 1' add='1 1' CASE_FAMILY=6 CASE_TO=2
		CASE_WAIT=(2)
		;;
	*)
		log_err "joins: unknown case '$c'"
		return 2
		;;
	esac
	fact_set "$c.want_join" "$join"
	fact_set "$c.want_add" "$add"
	fact_set "$c.want_rejected" "$rejected"
}

setup_file() {
	harness_init || return 0
	topo_paths 4 --rate 20mbit
	local c kv undo=()
	for c in $JOINS_CASES; do
		# The previous case's sysctls go back to the kernel's defaults.
		for kv in "${undo[@]}"; do
			if [[ $kv == *" monitor" ]]; then
				obs_monitor_start "${kv% *}"
				continue
			fi
			# shellcheck disable=SC2086 # "ROLE KEY=VALUE": two words
			topo_sysctl $kv
		done
		undo=()
		pm_flush client
		pm_flush server
		case_setup "$c" || return 1
		for kv in "${CASE_SYSCTL[@]}"; do
			if [[ $kv == *" uspm" ]]; then
				# Without a daemon: the role's event monitor
				# would pass for one.
				obs_monitor_stop "${kv% *}"
				uspm_enable "${kv% *}" || return 1
				undo+=("${kv% *} net.mptcp.pm_type=0" "${kv% *} monitor")
				continue
			fi
			# shellcheck disable=SC2086 # "ROLE KEY=VALUE": two words
			topo_sysctl $kv || return 1
			undo+=("${kv%%=*}=$(case_default "${kv#* }")")
		done
		if ((${#CASE_LATE[@]})); then
			late_case "$c"
		else
			recipe_counted "$c" "${CASE_WAIT[@]}" --family "$CASE_FAMILY" \
				--to-path "$CASE_TO" --bytes "$JOINS_BYTES"
		fi
	done
}

# The kernel's default of a sysctl a case changes. $1: KEY=VALUE
case_default() {
	case ${1%%=*} in
	net.ipv4.tcp_syncookies | net.mptcp.allow_join_initial_addr_port) echo 1 ;;
	*) echo 0 ;;
	esac
}

# A case whose endpoints come once the connection is up: the facts and
# counters recipe_counted records, with the endpoints added between the
# connection and the wait for its joins. $1: case
late_case() {
	local c=$1 ep
	obs_mib_mark "$c"
	traffic_start --tag "$c" --family "$CASE_FAMILY" --bytes "$JOINS_BYTES" || return 1
	traffic_wait_sf "$c" 1 5000 || log_warn "$c: the client never listed its first subflow"
	for ep in "${CASE_LATE[@]}"; do
		# shellcheck disable=SC2086 # "ROLE PATH FLAGS...": words
		pm_endpoint $ep || log_warn "$c: cannot add endpoint '$ep'"
	done
	traffic_wait_sf "$c" "${CASE_WAIT[0]}" 5000 ||
		log_warn "$c: the client lists $TRAFFIC_SF subflows, waited for ${CASE_WAIT[0]}"
	traffic_wait 60000 "$c" || true
	fact_set "$c.sf_max" "$(traffic_json client '.conns[0].max_subflows' "$c")"
	obs_mib_record "$c"
}

# The case's counts against mptcp_join.sh's. $1: case
joins_as_mptcp_join() {
	local c=$1 syn synack ack add echo rejected
	read -r syn synack ack <<<"$(fact_get "$c.want_join")"
	read -r add echo <<<"$(fact_get "$c.want_add")"
	rejected=$(fact_get "$c.want_rejected")
	assert_mib "$c" server MPTcpExtMPJoinSynRx -eq "$syn" &&
		assert_mib "$c" client MPTcpExtMPJoinSynAckRx -eq "$synack" &&
		assert_mib "$c" server MPTcpExtMPJoinAckRx -eq "$ack" &&
		assert_join_clean "$c" "$rejected" &&
		assert_mib "$c" client MPTcpExtAddAddr -eq "$add" &&
		assert_mib "$c" server MPTcpExtEchoAdd -eq "$echo" &&
		assert_num "most subflows at once (client MPTCP_INFO)" "$(fact_get "$c.sf_max")" -eq $((ack + 1)) &&
		assert_transfer_intact "$c" || return
	# chk_cestab_nr: no connection is left counted as established.
	[[ $c != add* ]] || assert_mib "$c" client MPTcpExtMPCurrEstab -eq 0 || return
	# chk_csum_nr: no DSS checksum failed, at either end.
	[[ $c != csum* ]] || {
		assert_mib "$c" server MPTcpExtDataCsumErr -eq 0 &&
			assert_mib "$c" client MPTcpExtDataCsumErr -eq 0
	}
}

@test "no JOIN: no endpoint, no limit: no join at all" {
	harness_case nojoin JOINS_CASES
	joins_as_mptcp_join nojoin
}

@test "single subflow, limited by client: a subflow endpoint, client limit 0: no join" {
	harness_case climit0 JOINS_CASES
	joins_as_mptcp_join climit0
}

@test "single subflow, limited by server: server limit 0: the join's SYN answered, its ACK refused (1 1 0, 1 rejected)" {
	harness_case slimit0 JOINS_CASES
	joins_as_mptcp_join slimit0
}

@test "single subflow: one subflow endpoint, limits 1: 1 1 1" {
	harness_case single JOINS_CASES
	joins_as_mptcp_join single
}

@test "single subflow, dev: the endpoint bound to its device: 1 1 1" {
	harness_case dev JOINS_CASES
	joins_as_mptcp_join dev
}

@test "unused signal address: announced and echoed (1 1), but add_addr_accepted 0: no join" {
	harness_case unused JOINS_CASES
	joins_as_mptcp_join unused
}

@test "subflow and signal: one subflow endpoint and one announced address: 2 2 2, ADD_ADDR 1 1" {
	harness_case subsig JOINS_CASES
	joins_as_mptcp_join subsig
}

@test "multiple subflows and signal: two subflow endpoints and one announced address: 3 3 3, ADD_ADDR 1 1" {
	harness_case multisig JOINS_CASES
	joins_as_mptcp_join multisig
}

@test "signal addresses: three announced, three accepted: 3 3 3, ADD_ADDR 3 3" {
	harness_case sigaddrs JOINS_CASES
	joins_as_mptcp_join sigaddrs
}

@test "signal invalid addresses: three announced, two of them nowhere: all echoed (3 3), one join (1 1 1)" {
	harness_case siginvalid JOINS_CASES
	joins_as_mptcp_join siginvalid
}

@test "single subflow IPv4-mapped: a ::ffff: subflow endpoint, an IPv6 socket to the server's ::ffff: address: 1 1 1" {
	harness_case mapsf JOINS_CASES
	joins_as_mptcp_join mapsf
}

@test "signal address IPv4-mapped: a ::ffff: address announced to an IPv6 socket: 1 1 1, ADD_ADDR 1 1" {
	harness_case mapsig JOINS_CASES
	joins_as_mptcp_join mapsig
}

@test "single subflow v4-map-v6: an IPv4 subflow endpoint joins an IPv6 socket's connection to a ::ffff: address: 1 1 1" {
	harness_case v4v6sf JOINS_CASES
	joins_as_mptcp_join v4v6sf
}

@test "signal address v4-map-v6: an IPv4 address announced to an IPv6 socket: 1 1 1, ADD_ADDR 1 1" {
	harness_case v4v6sig JOINS_CASES
	joins_as_mptcp_join v4v6sig
}

@test "single subflow v6-map-v4: a ::ffff: subflow endpoint joins an IPv4 socket's connection: 1 1 1" {
	harness_case v6v4sf JOINS_CASES
	joins_as_mptcp_join v6v4sf
}

@test "signal address v6-map-v4: a ::ffff: address announced to an IPv4 socket: 1 1 1, ADD_ADDR 1 1" {
	harness_case v6v4sig JOINS_CASES
	joins_as_mptcp_join v6v4sig
}

@test "no JOIN with diff families v4-v6: an IPv6 subflow endpoint never joins an IPv4 connection" {
	harness_case diff46 JOINS_CASES
	joins_as_mptcp_join diff46
}

@test "no JOIN with diff families v6-v4: an IPv4 subflow endpoint never joins an IPv6 connection" {
	harness_case diff64 JOINS_CASES
	joins_as_mptcp_join diff64
}

@test "unused signal address IPv6: an IPv6 address announced and echoed (1 1), but add_addr_accepted 0: no join" {
	harness_case unused6 JOINS_CASES
	joins_as_mptcp_join unused6
}

@test "add single subflow: a subflow endpoint added once connected: 1 1 1, nothing left established" {
	harness_case addsf JOINS_CASES
	joins_as_mptcp_join addsf
}

@test "add signal address: a signal endpoint added once connected: announced (1 1) and joined (1 1 1)" {
	harness_case addsig JOINS_CASES
	joins_as_mptcp_join addsig
}

@test "add multiple subflows: two subflow endpoints added once connected: 2 2 2" {
	harness_case addsfs JOINS_CASES
	joins_as_mptcp_join addsfs
}

@test "add multiple subflows IPv6: two IPv6 subflow endpoints added once connected: 2 2 2" {
	harness_case addsfs6 JOINS_CASES
	joins_as_mptcp_join addsfs6
}

@test "add multiple addresses IPv6: two IPv6 signal endpoints added once connected: announced (2 2) and joined (2 2 2)" {
	harness_case addaddrs6 JOINS_CASES
	joins_as_mptcp_join addaddrs6
}

@test "multiple subflows with syn cookies: two subflow endpoints, SYN cookies on the server: 2 2 2" {
	harness_case ckmulti JOINS_CASES
	joins_as_mptcp_join ckmulti
}

@test "signal address with syn cookies: one announced address joined under SYN cookies: 1 1 1, ADD_ADDR 1 1" {
	harness_case cksignal JOINS_CASES
	joins_as_mptcp_join cksignal
}

@test "subflow and signal w cookies: a subflow endpoint and an announced address under SYN cookies: 2 2 2, ADD_ADDR 1 1" {
	harness_case cksubsig JOINS_CASES
	joins_as_mptcp_join cksubsig
}

@test "subflows and signal w. cookies: two subflow endpoints and an announced address under SYN cookies: 3 3 3, ADD_ADDR 1 1" {
	harness_case cksubsigs JOINS_CASES
	joins_as_mptcp_join cksubsigs
}

@test "checksum test 0 0: DSS checksums off at both ends: no join, no checksum error" {
	harness_case csum00 JOINS_CASES
	joins_as_mptcp_join csum00
}

@test "checksum test 1 1: DSS checksums on at both ends: no join, no checksum error" {
	harness_case csum11 JOINS_CASES
	joins_as_mptcp_join csum11
}

@test "checksum test 0 1: DSS checksums on at the client only: no join, no checksum error" {
	harness_case csum01 JOINS_CASES
	joins_as_mptcp_join csum01
}

@test "checksum test 1 0: DSS checksums on at the server only: no join, no checksum error" {
	harness_case csum10 JOINS_CASES
	joins_as_mptcp_join csum10
}

@test "single subflow allow join id0 ns1: only the client forbids joins to its initial address: the join to the server's is made, 1 1 1" {
	harness_case id0s1 JOINS_CASES
	joins_as_mptcp_join id0s1
}

@test "single subflow allow join id0 ns2: the server forbids joins to its initial address: no join, 0 0 0" {
	harness_case id0s2 JOINS_CASES
	joins_as_mptcp_join id0s2
}

@test "signal address allow join id0 ns1: the client forbids, the announced address is joined: 1 1 1, ADD_ADDR 1 1" {
	harness_case id0a1 JOINS_CASES
	joins_as_mptcp_join id0a1
}

@test "signal address allow join id0 ns2: the server forbids, but an announced address is not id 0: 1 1 1, ADD_ADDR 1 1" {
	harness_case id0a2 JOINS_CASES
	joins_as_mptcp_join id0a2
}

@test "subflow and address allow join id0 1: the client forbids: both joins made, 2 2 2" {
	harness_case id0sa1 JOINS_CASES
	joins_as_mptcp_join id0sa1
}

@test "default limits, server deny join id 0: the server forbids, announces one address, two client endpoints join it: 2 2 2" {
	harness_case id0def JOINS_CASES
	joins_as_mptcp_join id0def
}

@test "userspace pm type prevents add_addr: the server's signal endpoint is not announced under the userspace PM: 0 0 0, ADD_ADDR 0 0" {
	harness_case usnoadd JOINS_CASES
	joins_as_mptcp_join usnoadd
}

@test "userspace pm type does not send join: the client under the userspace PM makes nothing of its endpoint: 0 0 0" {
	harness_case usnojoin JOINS_CASES
	joins_as_mptcp_join usnojoin
}

@test "IPv4 sockets do not use IPv6 addresses: an IPv6 address announced to an IPv4 connection is echoed (1 1), never joined" {
	harness_case mix4no6 JOINS_CASES
	joins_as_mptcp_join mix4no6
}

@test "simult IPv4 and IPv6 subflows: an IPv6 connection joins the server's announced IPv4 address: 1 1 1" {
	harness_case mix6v4 JOINS_CASES
	joins_as_mptcp_join mix6v4
}
