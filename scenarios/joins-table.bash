# shellcheck shell=bash
# mptcp_join.sh's case table, shared by joins.bats, joins-families.bats and
# joins-options.bats: each case sets the limits, endpoints and sysctls its
# mptcp_join.sh case sets, and joins_as_mptcp_join checks what
# chk_join_nr, chk_add_nr (and chk_csum_nr, chk_cestab_nr) check there.
# JOINS_SLACK: added to both of the client's limits in every case (a
# sabotage: 1 lets the client join where the case's limit forbids it).
# Knobs, so tests/catalogue-c.bats can prove that each check can fail.
: "${JOINS_BYTES:=2M}"
: "${JOINS_SLACK:=0}"
# 0 leaves the ADD_ADDR echoes alone in the timeout cases (a sabotage: the
# first ADD_ADDR is echoed, so it is sent once, not 4 times).
: "${JOINS_ECHO_LOSS:=1}"
# 0 announces the port cases' addresses without their ports (a sabotage).
: "${JOINS_WITH_PORT:=1}"
# The client's pace in the cases whose signal goes once (MP_PRIO), below
# the 20 Mbit/s of a path: mptcp_join.sh's slow sender ('' sends as fast as
# the paths take, a sabotage: the shapers drop).
: "${JOINS_RATE=10mbit}"
# 0 leaves out the cases' direct routes (a sabotage: the client's subflow to
# the announced address leaves from its initial address, which no endpoint
# change reaches, so it sends no MP_PRIO).
: "${JOINS_DIRECT:=1}"
# 0 adds the laminar cases' endpoints without the laminar flag, and 0 lets
# router 2 pass their MP_JOIN SYNs (sabotages: the subflow to the
# announced address then leaves from routing's source, refused, or
# accepted).
: "${JOINS_LAMINAR:=1}"
# 0 leaves the endpoints' flags as they are where a case changes them (a
# sabotage: no MP_PRIO, no subflow made again).
: "${JOINS_CHANGE:=1}"
: "${JOINS_REFUSE:=1}"
# The port the port cases announce their addresses with, as mptcp_join.sh;
# each case takes ports of its own from there (the kernel's listener for a
# port endpoint cannot bind while an earlier case's subflow to that port
# is in TIME-WAIT: EADDRINUSE, seen on 6.18).
: "${JOINS_PORT:=10100}"

# The endpoint flags that give an address a port, into the array P (none
# under the JOINS_WITH_PORT sabotage). $1: port
with_port() {
	P=()
	((JOINS_WITH_PORT)) && P=(port "$1")
	return 0
}

# A laminar endpoint on a path of the client (plain, under the
# JOINS_LAMINAR sabotage). $1: path, $2...: more pm_endpoint words
laminar_endpoint() {
	local path=$1
	shift
	if ((JOINS_LAMINAR)); then
		pm_endpoint client "$path" laminar nodev "$@"
	else
		pm_endpoint client "$path" nodev "$@"
	fi
}

# The client's limits, with the sabotage slack. $1: subflows,
# $2: add_addr_accepted
client_limits() {
	pm_limits client subflows=$(($1 + JOINS_SLACK)) \
		add_addr_accepted=$(($2 + JOINS_SLACK))
}

# Set up one case as mptcp_join.sh does. What it expects becomes facts:
# <case>.want_join "SYN SYN/ACK ACK" (chk_join_nr), .want_add "ADD_ADDR
# ECHO" (chk_add_nr), .want_rejected (the joins the server refuses),
# .want_port (chk_add_nr's port joins, or '').
# CASE_WAIT gets the recipe_counted arguments of what to wait for: the
# subflows, and for a case whose decision leaves no subflow, the counter
# that shows it was made; CASE_FAMILY the socket's family (4, 6, or 4in6:
# an IPv6 socket to the server's IPv4-mapped address) and CASE_TO the
# server path it connects to; CASE_LATE the
# endpoints ("ROLE PATH FLAGS...") added only once the connection is up,
# as mptcp_join.sh's add cases do, and CASE_DEL those ("ROLE PATH")
# deleted once the joins are up; CASE_CHANGE the flags every endpoint of
# both ends takes then (mptcp_join.sh's sflags); CASE_RATE the client's
# pace (a case whose signal goes once in the upload's direction: MP_PRIO);
# CASE_ONCE 1 for a case that counts such a signal (it checks that the
# shapers dropped nothing); CASE_DIRECT the server paths the client
# reaches as over a direct link (topo_direct_route: a subflow to an
# announced address then comes from the client's address on that path, an
# implicit endpoint, as in mptcp_join.sh's topology, where the sflags
# change reaches it); CASE_RENEW the client path whose subflow the
# change closes and opens again (a fullmesh flag flipped), waited for;
# CASE_SFMAX the most subflows at once, where not the joins + 1 (a
# renewed subflow replaces its old one); CASE_REFUSE the paths whose routers refuse MP_JOIN
# SYNs with a reset (mptcp_join.sh's reset_with_tcp_filter); CASE_SYSCTL
# the case's sysctls
# ("ROLE KEY=VALUE", undone before the next case), and the userspace path
# manager ("ROLE uspm"), without a daemon: the role's ip mptcp monitor,
# which the kernel would take for one, is stopped meanwhile. $1: case
case_setup() {
	local c=$1 join add='0 0' rejected=0
	CASE_FAMILY=4 CASE_TO=1 CASE_LATE=() CASE_SYSCTL=() CASE_NOECHO=0
	CASE_CHANGE=() CASE_RATE='' CASE_DIRECT=() CASE_ONCE=0 CASE_REFUSE=()
	CASE_RENEW='' CASE_SFMAX=''
	local addtx='' mib='' port='' P
	CASE_DEL=()
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
		join='2 2 2' add='1 1'
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
	tosig | tosig6) # "signal address, ADD_ADDR timeout" (ADD_ADDR6)
		# Every echo is lost: the server sends its ADD_ADDR 4 times,
		# the retransmission cap, 1 s apart; the client joins anyway.
		# The wait is on what the client got: every kernel counts
		# that, AddAddrTx came later (6.1 has none).
		CASE_SYSCTL=("server net.mptcp.add_addr_timeout=1") CASE_NOECHO=1
		local v6=()
		[[ $c != *6 ]] || CASE_FAMILY=6 v6=(v6)
		pm_limits server subflows=1 add_addr_accepted=0
		pm_endpoint server 2 signal nodev "${v6[@]}"
		client_limits 1 1
		join='1 1 1' add='4 0' addtx='4 4'
		CASE_WAIT=(2 --wait-mib client MPTcpExtAddAddr 4)
		;;
	tosigs) # "signal addresses, ADD_ADDR timeout"
		CASE_SYSCTL=("server net.mptcp.add_addr_timeout=1") CASE_NOECHO=1
		pm_limits server subflows=2 add_addr_accepted=2
		pm_endpoint server 2 signal nodev
		pm_endpoint server 3 signal nodev
		client_limits 2 2
		join='2 2 2' add='8 0'
		CASE_WAIT=(3 --wait-mib client MPTcpExtAddAddr 8)
		;;
	toinvalid) # "invalid address, ADD_ADDR timeout": .12.1 exists nowhere
		CASE_SYSCTL=("server net.mptcp.add_addr_timeout=1") CASE_NOECHO=1
		pm_limits server subflows=2 add_addr_accepted=2
		pm_endpoint server 12 signal nodev
		pm_endpoint server 3 signal nodev
		client_limits 2 2
		join='1 1 1' add='8 0'
		CASE_WAIT=(2 --wait-mib client MPTcpExtAddAddr 8)
		;;
	single6) # "single subflow IPv6"
		pm_limits server subflows=1 add_addr_accepted=0
		client_limits 1 1
		pm_endpoint client 3 subflow v6
		join='1 1 1' CASE_FAMILY=6
		CASE_WAIT=(2)
		;;
	mpcreuse) # "no MPC reuse with single endpoint": an endpoint on the
		# initial subflow's own address makes no subflow, and one on an
		# address the client lacks fails to bind
		pm_limits server subflows=1 add_addr_accepted=0
		client_limits 1 1
		pm_endpoint client 1 subflow nodev
		pm_endpoint client 12 subflow nodev
		join='0 0 0' mib='client MPTcpExtMPJoinSynTxBindErr 1'
		CASE_WAIT=(1 --wait-mib client MPTcpExtMPJoinSynTxBindErr 1)
		;;
	fm2x1) # "fullmesh test 2x1": two fullmesh endpoints first, an
		# address announced during the connection
		pm_limits server subflows=4 add_addr_accepted=0
		client_limits 4 1
		pm_endpoint client 2 subflow fullmesh nodev
		pm_endpoint client 3 subflow fullmesh nodev
		CASE_LATE=("server 2 signal nodev")
		join='4 4 4' add='1 1'
		CASE_WAIT=(5)
		;;
	fm1x1) # "fullmesh test 1x1": a fullmesh endpoint on the initial
		# address first, one more added during the connection
		pm_limits server subflows=3 add_addr_accepted=1
		pm_endpoint server 2 signal nodev
		client_limits 3 1
		pm_endpoint client 1 subflow fullmesh nodev
		CASE_LATE=("client 2 subflow fullmesh nodev")
		join='3 3 3' add='1 1'
		CASE_WAIT=(4)
		;;
	fm1x2 | fm1x2lim) # "fullmesh test 1x2" (", limited": 4 subflows)
		local max=5
		[[ $c != *lim ]] || max=4
		pm_limits server subflows="$max" add_addr_accepted=2
		pm_endpoint server 2 signal nodev
		client_limits "$max" 1
		CASE_LATE=("client 2 subflow fullmesh nodev" "client 3 subflow fullmesh nodev")
		join="$max $max $max" add='1 1'
		CASE_WAIT=($((max + 1)))
		;;
	fmset | fmunset | fmsetbk) # "set fullmesh flag test", "set
		# nofullmesh flag test", "set backup,fullmesh flags test": an
		# endpoint added during the connection, its flags flipped: its
		# subflow is closed and made again
		local fm=()
		[[ $c != fmunset ]] || fm=(fullmesh)
		pm_limits server subflows=4 add_addr_accepted=4
		pm_endpoint server 2 subflow "${fm[@]}" nodev
		client_limits 4 4
		CASE_LATE=("client 3 subflow ${fm[*]} nodev")
		case $c in
		fmset) CASE_CHANGE=(fullmesh) ;;
		fmunset) CASE_CHANGE=(nofullmesh) ;;
		fmsetbk) CASE_CHANGE=(backup fullmesh) ;;
		esac
		CASE_RENEW=3 CASE_SFMAX=2
		join='2 2 2' mib='server MPTcpExtRmAddr 0;client MPTcpExtRmSubflow 1'
		if [[ $c == fmsetbk ]]; then
			CASE_RATE=$JOINS_RATE CASE_ONCE=1
			mib+=";$(prio_mib 0 1 1 0)"
		fi
		CASE_WAIT=(2)
		;;
	fmunsetbk) # "set nobackup,nofullmesh flags test": a backup fullmesh
		# endpoint from the start, both flags dropped
		pm_limits server subflows=4 add_addr_accepted=4
		client_limits 4 4
		pm_endpoint client 2 subflow backup fullmesh nodev
		CASE_CHANGE=(nobackup nofullmesh) CASE_RENEW=2 CASE_SFMAX=2
		CASE_RATE=$JOINS_RATE CASE_ONCE=1
		join='2 2 2' mib="server MPTcpExtRmAddr 0;client MPTcpExtRmSubflow 1;$(prio_mib 0 1 1 0)"
		CASE_WAIT=(2)
		;;
	sigport) # "signal address with port"
		pm_limits server subflows=1 add_addr_accepted=0
		with_port "$JOINS_PORT"
		pm_endpoint server 2 signal nodev "${P[@]}"
		client_limits 1 1
		join='1 1 1' add='1 1' port=1
		CASE_WAIT=(2)
		;;
	subsigport) # "subflow and signal with port"
		pm_limits server subflows=2 add_addr_accepted=0
		with_port $((JOINS_PORT + 1))
		pm_endpoint server 2 signal nodev "${P[@]}"
		client_limits 2 1
		pm_endpoint client 3 subflow nodev
		join='2 2 2' add='1 1' port=1
		CASE_WAIT=(3)
		;;
	portsame | ports2) # "multiple addresses with port" (", ports": two)
		local p1=$((JOINS_PORT + 2)) p2
		[[ $c == portsame ]] || p1=$((JOINS_PORT + 3))
		p2=$p1
		[[ $c == portsame ]] || p2=$((p1 + 1))
		pm_limits server subflows=2 add_addr_accepted=2
		with_port "$p1"
		pm_endpoint server 2 signal nodev "${P[@]}"
		with_port "$p2"
		pm_endpoint server 3 signal nodev "${P[@]}"
		client_limits 2 2
		join='2 2 2' add='2 2' port=2
		CASE_WAIT=(3)
		;;
	sigbk | sigportbk) # "single address, backup" (", with port")
		local P=()
		[[ $c != sigportbk ]] || with_port $((JOINS_PORT + 10))
		pm_limits server subflows=1 add_addr_accepted=0
		pm_endpoint server 2 signal backup nodev "${P[@]}"
		client_limits 1 1
		CASE_CHANGE=(nobackup) CASE_RATE=$JOINS_RATE CASE_ONCE=1 CASE_DIRECT=(2)
		join='1 1 1' add='1 1' mib=$(prio_mib 1 0 0 1)
		CASE_WAIT=(2)
		;;
	sigtobk) # "single address, switch to backup"
		pm_limits server subflows=1 add_addr_accepted=0
		pm_endpoint server 2 signal nodev
		client_limits 1 1
		CASE_CHANGE=(backup) CASE_RATE=$JOINS_RATE CASE_ONCE=1 CASE_DIRECT=(2)
		join='1 1 1' add='1 1' mib=$(prio_mib 1 1 0 0)
		CASE_WAIT=(2)
		;;
	mpcbk) # "mpc backup": an endpoint on the client's initial address
		pm_limits server subflows=2 add_addr_accepted=0
		client_limits 2 0
		pm_endpoint client 1 subflow backup nodev
		CASE_RATE=$JOINS_RATE CASE_ONCE=1
		join='0 0 0' mib=$(prio_mib 0 1 0 0)
		CASE_WAIT=(1)
		;;
	mpctobk2) # "mpc switch to backup both sides"
		pm_limits server subflows=2 add_addr_accepted=0
		client_limits 2 0
		pm_endpoint server 1 subflow nodev
		pm_endpoint client 1 subflow nodev
		CASE_CHANGE=(backup) CASE_RATE=$JOINS_RATE CASE_ONCE=1
		join='0 0 0' mib=$(prio_mib 1 1 0 0)
		CASE_WAIT=(1)
		;;
	lamnone | lamone | lammulti | lamsingle | lamsub)
		# laminar_endp_tests: the server announces its path-2 address;
		# the client's route to it (the direct link) leaves from its
		# own path-2 address, whose MP_JOIN SYNs router 2 refuses, as
		# the selftest's filter does. A laminar endpoint gives the
		# subflow to an announced address its source instead.
		CASE_DIRECT=(2) CASE_REFUSE=(2)
		((JOINS_REFUSE)) || CASE_REFUSE=()
		pm_limits server subflows=2 add_addr_accepted=0
		client_limits 2 2
		pm_endpoint server 2 signal nodev
		join='1 1 1' add='1 1'
		CASE_WAIT=(2)
		case $c in
		lamnone) # "without a laminar endpoint": routing's source, refused
			join='0 0 0' mib='client MPTcpExtMPJoinSynTx 1'
			CASE_WAIT=(1 --wait-mib client MPTcpExtMPJoinSynTx 1)
			;;
		lamone) # "with a laminar endpoint"
			laminar_endpoint 3
			;;
		lammulti) # "with multiple laminar endpoints": the IPv6 one unused
			pm_endpoint server 3 signal nodev
			laminar_endpoint 3 v6
			laminar_endpoint 3
			laminar_endpoint 4
			join='2 2 2' add='2 2'
			CASE_WAIT=(3)
			;;
		lamsingle) # "single laminar endpoint": two announced, one used
			pm_endpoint server 3 signal nodev
			laminar_endpoint 3
			CASE_WAIT=(2 --wait-mib server MPTcpExtEchoAdd 2)
			add='2 2'
			;;
		lamsub) # "sublow + laminar endpoints": each used once
			pm_limits server subflows=4 add_addr_accepted=0
			client_limits 4 2
			laminar_endpoint 1 subflow
			laminar_endpoint 3 subflow
			;;
		esac
		;;
	usnorm) # "userspace pm type prevents rm_addr": both ends' PMs
		CASE_SYSCTL=("server uspm" "client uspm")
		pm_limits server subflows=1 add_addr_accepted=0
		client_limits 1 0
		pm_endpoint client 3 subflow nodev
		CASE_DEL=("client 3")
		join='0 0 0' mib='server MPTcpExtRmAddr 0;client MPTcpExtRmSubflow 0'
		CASE_WAIT=(1)
		;;
	*)
		log_err "joins: unknown case '$c'"
		return 2
		;;
	esac
	fact_set "$c.want_join" "$join"
	fact_set "$c.want_add" "$add"
	fact_set "$c.want_rejected" "$rejected"
	fact_set "$c.want_addtx" "$addtx"
	fact_set "$c.want_mib" "$mib"
	fact_set "$c.want_port" "$port"
	fact_set "$c.want_sfmax" "$CASE_SFMAX"
}

# mptcp_join.sh's chk_prio_nr: MP_PRIO sent and received as the server
# counts them, MP_JOIN SYNs with the backup bit the server got, SYN/ACKs
# with it the client got, as a want_mib list. $1..$4: those four
prio_mib() {
	printf '%s' "server MPTcpExtMPPrioTx $1;server MPTcpExtMPPrioRx $2;server MPTcpExtMPJoinSynBackupRx $3;client MPTcpExtMPJoinSynAckBackupRx $4"
}

# Every case of JOINS_CASES, one after the other, over the same topology.
joins_run() {
	local c kv i undo=()
	for c in $JOINS_CASES; do
		# The previous case's sysctls go back to the kernel's defaults.
		for kv in "${undo[@]}"; do
			if [[ $kv == *" monitor" ]]; then
				obs_monitor_start "${kv% *}"
				continue
			fi
			if [[ $kv == "echo "* ]]; then
				fault_drop_add_addr_echo_end "${kv#echo }"
				continue
			fi
			if [[ $kv == "direct "* ]]; then
				topo_direct_route "${kv#direct }" del
				continue
			fi
			if [[ $kv == "refuse "* ]]; then
				fault_refuse_join_end "${kv#refuse }"
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
		((JOINS_DIRECT)) || CASE_DIRECT=()
		((JOINS_CHANGE)) || CASE_CHANGE=()
		for i in "${CASE_DIRECT[@]}"; do
			topo_direct_route "$i" add || return 1
			undo+=("direct $i")
		done
		for i in "${CASE_REFUSE[@]}"; do
			fault_refuse_join "$i" reset || return 1
			undo+=("refuse $i")
		done
		if ((CASE_NOECHO && JOINS_ECHO_LOSS)); then
			for ((i = 1; i <= TOPO_PATHS; i++)); do
				fault_drop_add_addr_echo "$i" || return 1
				undo+=("echo $i")
			done
		fi
		if ((${#CASE_LATE[@]} || ${#CASE_DEL[@]} || ${#CASE_CHANGE[@]} || CASE_ONCE)); then
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
	net.mptcp.add_addr_timeout) echo 120 ;;
	*) echo 0 ;;
	esac
}

# A case whose endpoints come once the connection is up: the facts and
# counters recipe_counted records, with the endpoints added between the
# connection and the wait for its joins. $1: case
late_case() {
	local c=$1 ep role drops0 drops1
	obs_mib_mark "$c"
	obs_shaper_drops_to drops0
	traffic_start --tag "$c" --family "$CASE_FAMILY" --bytes "$JOINS_BYTES" \
		${CASE_RATE:+--rate "$CASE_RATE"} || return 1
	traffic_wait_sf "$c" 1 20000 || log_warn "$c: the client never listed its first subflow"
	for ep in "${CASE_LATE[@]}"; do
		# shellcheck disable=SC2086 # "ROLE PATH FLAGS...": words
		pm_endpoint $ep || log_warn "$c: cannot add endpoint '$ep'"
	done
	# A gate, not a bound: it returns once the joins are up, and waits
	# long enough for them in a TCG guest.
	traffic_wait_sf "$c" "${CASE_WAIT[0]}" 20000 ||
		log_warn "$c: the client lists $TRAFFIC_SF subflows, waited for ${CASE_WAIT[0]}"
	for ep in "${CASE_DEL[@]}"; do
		# shellcheck disable=SC2086 # "ROLE PATH": words
		pm_endpoint_del $ep || log_warn "$c: cannot delete endpoint '$ep'"
	done
	local old=''
	if [[ -n $CASE_RENEW ]]; then
		traffic_sf_locals "$c"
		old=$TRAFFIC_SF_LOCALS
	fi
	if ((${#CASE_CHANGE[@]})); then
		for role in server client; do
			pm_endpoint_change_all "$role" "${CASE_CHANGE[@]}" ||
				log_warn "$c: cannot change the endpoints of the $role to '${CASE_CHANGE[*]}'"
		done
	fi
	if [[ -n $CASE_RENEW ]]; then
		traffic_wait_new_sf "$c" "$(topo_addr "$CASE_RENEW" client)" "$old" 10000
		fact_set "$c.renewed_ms" "$TRAFFIC_WAITED_MS"
		[[ $TRAFFIC_WAITED_MS != none ]] ||
			log_warn "$c: no new subflow from path $CASE_RENEW within 10 s of the change"
	fi
	# What a deletion or a change would send, it sends at once: more of
	# the stream gives it the time to arrive.
	if ((${#CASE_DEL[@]} || ${#CASE_CHANGE[@]})); then
		traffic_progress "$c"
		traffic_mark "$c" $((TRAFFIC_RX + 262144)) 10000 || log_warn "$c: stalled after the deletions"
	fi
	traffic_wait 60000 "$c" || true
	fact_set "$c.sf_max" "$(traffic_json client '.conns[0].max_subflows' "$c")"
	obs_mib_record "$c"
	if ((CASE_ONCE)); then
		obs_shaper_drops_to drops1
		fact_set "$c.drops" $((drops1 - drops0))
	fi
}

# chk_add_tx_nr: ADD_ADDRs the server sent, echoes the client sent.
# $1: case, $2: ADD_ADDR, $3: echoes
add_tx_counted() {
	assert_mib "$1" server MPTcpExtAddAddrTx -eq "$2" &&
		assert_mib "$1" client MPTcpExtEchoAddTx -eq "$3"
}

# The case's counts against mptcp_join.sh's. $1: case
joins_as_mptcp_join() {
	local c=$1 syn synack ack add echo rejected addtx port sfmax
	read -r syn synack ack <<<"$(fact_get "$c.want_join")"
	read -r add echo <<<"$(fact_get "$c.want_add")"
	rejected=$(fact_get "$c.want_rejected")
	read -ra addtx <<<"$(fact_get "$c.want_addtx")"
	port=$(fact_get "$c.want_port")
	sfmax=$(fact_get "$c.want_sfmax")
	# A paced case counts signals that go once: a full queue would have
	# dropped one.
	local drops
	if fact_var drops "$c.drops"; then
		assert_num "packets the paths' shapers dropped during the case" "$drops" -eq 0 || return
	fi
	# A case's own counters, where mptcp_join.sh checks more.
	assert_mib_list "$c" "$(fact_get "$c.want_mib")" || return
	assert_mib "$c" server MPTcpExtMPJoinSynRx -eq "$syn" &&
		assert_mib "$c" client MPTcpExtMPJoinSynAckRx -eq "$synack" &&
		assert_mib "$c" server MPTcpExtMPJoinAckRx -eq "$ack" &&
		assert_join_clean "$c" "$rejected" &&
		assert_mib "$c" client MPTcpExtAddAddr -eq "$add" &&
		assert_mib "$c" server MPTcpExtEchoAdd -eq "$echo" &&
		{ [[ -z ${addtx[*]} ]] || add_tx_counted "$c" "${addtx[@]}"; } &&
		{ [[ -z $port ]] || assert_port_joins "$c" "$port"; } &&
		assert_num "most subflows at once (client MPTCP_INFO)" "$(fact_get "$c.sf_max")" -eq "${sfmax:-$((ack + 1))}" &&
		assert_transfer_intact "$c" || return
	# chk_cestab_nr: no connection is left counted as established.
	[[ $c != add* ]] || assert_mib "$c" client MPTcpExtMPCurrEstab -eq 0 || return
	# chk_csum_nr: no DSS checksum failed, at either end.
	[[ $c != csum* ]] || {
		assert_mib "$c" server MPTcpExtDataCsumErr -eq 0 &&
			assert_mib "$c" client MPTcpExtDataCsumErr -eq 0
	}
}
