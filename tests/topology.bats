#!/usr/bin/env bats
# The topology as the scenarios get it, built the cheap way: every address,
# route, rule, table, device and sysctl of the plan; the congestion control
# pinned in every namespace and noted once; MIB counters read from the
# namespaces' anchors equal to nstat's; the samplers' byte counts equal to
# /sys; a path that does not answer is reported; and nothing is left on
# the host. Each check is shown to fail once on purpose.

load helpers
load ../harness/harness

setup_file() {
	harness_init || return 0
	topo_paths 3 --rate 20mbit
	# Some TCP, UDP, ICMP and MPTCP traffic, so that the counters compared
	# below are not all zero.
	__traffic
}

setup() {
	harness_setup
	bats_require_minimum_version 1.5.0
	# A test that builds a topology of its own tears it down, and only
	# it: the run (and setup_file's topology) ends with the file.
	# shellcheck disable=SC2034 # read by harness_teardown
	MPTH_RUN_OWNED=0
}

# Every namespace uses the congestion control TOPO_CC.
cc_pinned() {
	local role cc rc=0
	while read -r role; do
		cc=$(in_ns "$role" cat /proc/sys/net/ipv4/tcp_congestion_control)
		[[ $cc == "$TOPO_CC" ]] || { echo "$role uses $cc, not $TOPO_CC"; rc=1; }
	done <"$MPTH_RUN_DIR/roles"
	return "$rc"
}

# A short MPTCP connection from the client to the server (python3, when
# there is one), a refused TCP connection and a ping.
__traffic() {
	local srv pid
	srv=$(topo_addr 1 server)
	in_ns client ping -c2 -i0.2 -q "$srv" >/dev/null
	in_ns client bash -c "exec 3<>/dev/tcp/$srv/9" 2>/dev/null || true
	command -v python3 >/dev/null || return 0
	in_ns server python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 5201)); s.listen(1)
print("ready", flush=True)
c, _ = s.accept()
while c.recv(65536): pass
' >"$MPTH_RUN_DIR/py-server.out" 2>&1 3>&- &
	pid=$!
	# python3 can be slow to start on a loaded machine (a pyenv shim
	# even more): without it, the MPTCP counters just stay at zero.
	wait_file 20000 "$MPTH_RUN_DIR/py-server.out" || { kill "$pid"; return 0; }
	in_ns client python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
s.connect(("'"$srv"'", 5201)); s.sendall(b"x" * 200000); s.close()
'
	# Not a bare `wait`: the samplers are children of this shell too.
	wait "$pid" && : >"$MPTH_RUN_DIR/mptcp-traffic"
}

# The saved counters of a role, as the pre-anchor code made them: nstat
# in the namespace. $1: role
nstat_save() {
	in_ns "$1" env NSTAT_HISTORY="$MPTH_RUN_DIR/nstat.hist" nstat -asz 2>/dev/null |
		awk '/^(MPTcp|Tcp)/ { print $1, $2 }'
}

# Our counters of role $1 equal nstat's of role $2, in a quiet moment:
# read ours, nstat's, ours again, and retry while ours moved meanwhile.
mib_equal() {
	local _
	for _ in 1 2 3; do
		__obs_mib_snapshot "$1" "$BATS_TEST_TMPDIR/a"
		nstat_save "$2" >"$BATS_TEST_TMPDIR/n"
		__obs_mib_snapshot "$1" "$BATS_TEST_TMPDIR/b"
		cmp -s "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b" || continue
		diff "$BATS_TEST_TMPDIR/n" "$BATS_TEST_TMPDIR/a"
		return
	done
	echo "counters of $1 kept moving"
	return 1
}

@test "every namespace has its anchor, and a reused pid is refused" {
	local role
	while read -r role; do
		topo_anchor "$role"
		[[ /proc/$TOPO_ANCHOR/ns/net -ef /var/run/netns/$(topo_ns "$role") ]]
	done <"$MPTH_RUN_DIR/roles"
	run wc -l <"$MPTH_RUN_DIR/roles"
	assert_output 5
	# On purpose: the client's file names the server's anchor.
	cp "$MPTH_RUN_DIR/anchor-client" "$BATS_TEST_TMPDIR/saved"
	cp "$MPTH_RUN_DIR/anchor-server" "$MPTH_RUN_DIR/anchor-client"
	run topo_anchor client
	cp "$BATS_TEST_TMPDIR/saved" "$MPTH_RUN_DIR/anchor-client"
	assert_failure
	topo_anchor client
}

# CPU ticks (user + system) of some processes, summed. $@: pids
cpu_ticks() {
	local p sum=0
	local -a a
	for p; do
		read -ra a <"/proc/$p/stat"
		sum=$((sum + a[13] + a[14]))
	done
	echo "$sum"
}

# The processes use (almost) no CPU over a second. $@: pids
idle() {
	local t0 t1
	t0=$(cpu_ticks "$@")
	sleep 1
	t1=$(cpu_ticks "$@")
	((t1 - t0 <= 2)) || { echo "$((t1 - t0)) ticks in 1 s"; return 1; }
}

@test "the anchors wait without using the CPU" {
	local role pids=()
	while read -r role; do
		topo_anchor "$role"
		pids+=("$TOPO_ANCHOR")
	done <"$MPTH_RUN_DIR/roles"
	idle "${pids[@]}"
	# On purpose: a busy process is not idle.
	in_ns_bg client sh -c 'while :; do :; done' 3>&-
	local busy=$BG_PID
	run idle "${pids[@]}" "$busy"
	kill "$busy"
	assert_failure
}

@test "addresses, routes, rules, tables and devices follow the plan" {
	local i cns rns sns
	cns=$(topo_ns client) sns=$(topo_ns server)
	for ((i = 1; i <= 3; i++)); do
		rns=$(topo_ns "r$i")
		run ip -n "$cns" -br addr show dev "p$i"
		assert_output --regexp " 198\.18\.$i\.1/24 2001:db8:1:$i::1/64 fe80:"
		run ip -n "$sns" -br addr show dev "p$i"
		assert_output --regexp " 198\.19\.$i\.1/24 2001:db8:2:$i::1/64 fe80:"
		run ip -n "$rns" -br addr show dev c
		assert_output --regexp " 198\.18\.$i\.254/24 2001:db8:1:$i::fe/64 "
		run ip -n "$rns" -br addr show dev s
		assert_output --regexp " 198\.19\.$i\.254/24 2001:db8:2:$i::fe/64 "
		run ip -n "$cns" route show table $((100 + i))
		assert_output "default via 198.18.$i.254 dev p$i "
		run ip -n "$cns" -6 route show table $((100 + i))
		assert_output "default via 2001:db8:1:$i::fe dev p$i metric 1024 pref medium"
		run ip -n "$cns" rule show pref $((100 + i))
		assert_output "$((100 + i)):	from 198.18.$i.1 lookup $((100 + i))"
		run ip -n "$cns" -6 rule show pref $((100 + i))
		assert_output "$((100 + i)):	from 2001:db8:1:$i::1 lookup $((100 + i))"
		run ip -n "$sns" route show 198.18.$i.0/24
		assert_output "198.18.$i.0/24 via 198.19.$i.254 dev p$i "
		run ip -n "$sns" -6 route show 2001:db8:1:$i::/64
		assert_output "2001:db8:1:$i::/64 via 2001:db8:2:$i::fe dev p$i metric 1024 pref medium"
		run ip -n "$rns" route show 198.19.0.0/16
		assert_output "198.19.0.0/16 via 198.19.$i.1 dev s "
		run ip -n "$rns" -6 route show 2001:db8:1::/48
		assert_output "2001:db8:1::/48 via 2001:db8:1:$i::1 dev c metric 1024 pref medium"
		run tc -n "$rns" qdisc show dev s
		assert_output --regexp "^qdisc tbf [0-9a-f]+: root .*rate 20Mbit burst 64Kb lat 25ms"
		run in_ns "r$i" cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv6/conf/s/forwarding \
			/proc/sys/net/ipv4/conf/c/rp_filter /proc/sys/net/ipv6/conf/c/accept_dad \
			/proc/sys/net/ipv6/neigh/s/retrans_time_ms
		assert_output "$(printf '1\n1\n0\n0\n100')"
		run in_ns client cat "/proc/sys/net/ipv6/conf/p$i/accept_dad" \
			"/proc/sys/net/ipv6/neigh/p$i/retrans_time_ms" "/proc/sys/net/ipv4/conf/p$i/forwarding"
		assert_output "$(printf '0\n100\n0')"
	done
	run ip -n "$cns" route show default
	assert_output "default via 198.18.1.254 dev p1 "
	run ip -n "$cns" -6 route show default
	assert_output "default via 2001:db8:1:1::fe dev p1 metric 1024 pref medium"
}

@test "the congestion control is pinned in every namespace, and noted once" {
	[[ -n $TOPO_CC ]]
	cc_pinned
	run grep -c '^congestion control: ' "$MPTH_RUN_DIR/notes"
	assert_output 1
	run grep '^congestion control: ' "$MPTH_RUN_DIR/notes"
	assert_output --regexp "^congestion control: $TOPO_CC \(pinned; .*the host uses [a-z0-9_]+( too)?\)$"
	# cubic, the Linux default, unless the kernel does not allow it in a
	# namespace: then reno, and the note says why.
	if [[ " $(</proc/sys/net/ipv4/tcp_allowed_congestion_control) " == *" cubic "* ]]; then
		[[ $TOPO_CC == cubic ]]
	else
		[[ $TOPO_CC == reno ]]
		assert_output --partial "cubic is not allowed in a namespace here"
	fi
	# On purpose: a router switched to another allowed one is caught.
	local other
	for other in $(</proc/sys/net/ipv4/tcp_allowed_congestion_control); do
		[[ $other == "$TOPO_CC" ]] || break
	done
	[[ $other != "$TOPO_CC" ]] || skip "no second congestion control allowed"
	in_ns r2 sh -c "echo $other >/proc/sys/net/ipv4/tcp_congestion_control"
	run cc_pinned
	in_ns r2 sh -c "echo $TOPO_CC >/proc/sys/net/ipv4/tcp_congestion_control"
	assert_failure
	assert_output "r2 uses $other, not $TOPO_CC"
	cc_pinned
}

@test "a congestion control that is missing or not allowed fails the build, clearly" {
	# shellcheck disable=SC2034 # read by harness_init and topo_paths
	MPTH_ITER=cc1 MPTH_CC=nosuchcc
	harness_init
	run topo_paths 1
	assert_failure 2
	assert_output --partial "congestion control 'nosuchcc' is not available on this kernel (available: "
	run ip netns list
	refute_output --partial "$MPTH_NS_PREFIX"
	# Its copy of artifacts fails on what a topology without traffic lacks.
	harness_teardown || true
	local allowed
	allowed=$(</proc/sys/net/ipv4/tcp_allowed_congestion_control)
	[[ " $allowed " != *" cubic "* ]] || skip "cubic is allowed in a namespace here"
	# shellcheck disable=SC2034 # read by harness_init and topo_paths
	MPTH_ITER=cc2 MPTH_CC=cubic
	harness_init
	run topo_paths 1
	assert_failure 2
	assert_output --partial "congestion control 'cubic' is not allowed in a network namespace on this host"
	# Its copy of artifacts fails on what a topology without traffic lacks.
	harness_teardown || true
}

@test "a congestion control asked for is what every namespace gets" {
	# shellcheck disable=SC2034 # read by harness_init
	MPTH_ITER=cc3
	harness_init
	topo_paths 1 --cc reno
	[[ $TOPO_CC == reno ]]
	cc_pinned
	run grep '^congestion control: ' "$MPTH_RUN_DIR/notes"
	assert_output --regexp '^congestion control: reno \(pinned; the host uses '
	# Its copy of artifacts fails on what a topology without traffic lacks.
	harness_teardown || true
}

@test "MIB counters read from the anchors equal nstat's, in every namespace" {
	local role
	while read -r role; do
		run mib_equal "$role" "$role"
		assert_success
	done <"$MPTH_RUN_DIR/roles"
	# Not all zero: the traffic of setup_file shows.
	(($(obs_mib client TcpActiveOpens) > 0))
	(($(obs_mib server TcpOutRsts) > 0))
	if [[ -e $MPTH_RUN_DIR/mptcp-traffic ]]; then
		(($(obs_mib server MPTcpExtMPCapableSYNRX) > 0))
	fi
	# On purpose: the client's counters against the server's nstat.
	run mib_equal client server
	assert_failure
}

@test "obs_mib gives nstat's value of a counter of any section, and 0 for one the kernel lacks" {
	local n want
	for n in IpInReceives IpExtInOctets IcmpOutMsgs IcmpMsgOutType8 TcpActiveOpens \
		TcpExtTCPTimeouts UdpInDatagrams Ip6InReceives Icmp6OutMsgs MPTcpExtMPCapableSYNTX \
		TcpCurrEstab IpForwarding; do
		want=$(in_ns client env NSTAT_HISTORY="$MPTH_RUN_DIR/nstat.hist" nstat -asz "$n" 2>/dev/null |
			awk -v n="$n" '$1 == n { print $2 }')
		run obs_mib client "$n"
		assert_output "${want:-0}"
	done
	run obs_mib client MPTcpExtNoSuchCounter
	assert_output 0
	run obs_mib_has client MPTcpExtNoSuchCounter
	assert_failure
	# A counter at zero is there all the same.
	obs_mib_has client MPTcpExtMPJoinSynRx
	# Without an anchor, the same through nstat.
	mv "$MPTH_RUN_DIR/anchor-client" "$BATS_TEST_TMPDIR/anchor"
	run obs_mib client IpExtInOctets
	mv "$BATS_TEST_TMPDIR/anchor" "$MPTH_RUN_DIR/anchor-client"
	assert_output "$(obs_mib client IpExtInOctets)"
}

@test "__obs_mib_changes lists what moved, as the nstat-based one does" {
	local srv
	srv=$(topo_addr 2 server)
	__obs_mib_snapshot client "$BATS_TEST_TMPDIR/before"
	in_ns client bash -c "exec 3<>/dev/tcp/$srv/9" 2>/dev/null || true
	run __obs_mib_changes client "$BATS_TEST_TMPDIR/before"
	assert_line "TcpActiveOpens 1"
	assert_line "TcpAttemptFails 1"
	local ours=$output
	# The same deltas through nstat (no anchor).
	mv "$MPTH_RUN_DIR/anchor-client" "$BATS_TEST_TMPDIR/anchor"
	run __obs_mib_changes client "$BATS_TEST_TMPDIR/before"
	mv "$BATS_TEST_TMPDIR/anchor" "$MPTH_RUN_DIR/anchor-client"
	assert_output "$ours"
	# On purpose: a saved file from another namespace shows differences.
	__obs_mib_snapshot server "$BATS_TEST_TMPDIR/other"
	run __obs_mib_changes client "$BATS_TEST_TMPDIR/other"
	refute_output ''
}

@test "the samplers count each router's bytes as /sys does" {
	local i line a_s a_c b_s b_c up down
	wait_file 2000 "$MPTH_RUN_DIR/samples/p3"
	# The counters may move meanwhile (IPv6 neighbour discovery, router
	# solicitations): the sampler's line, written between two reads of
	# /sys, lies between them, device by device.
	for ((i = 1; i <= 3; i++)); do
		read -r a_s a_c < <(in_ns "r$i" cat /sys/class/net/s/statistics/tx_bytes /sys/class/net/c/statistics/tx_bytes | paste -sd' ')
		sleep 0.2
		line=$(tail -n1 "$MPTH_RUN_DIR/samples/p$i")
		read -r b_s b_c < <(in_ns "r$i" cat /sys/class/net/s/statistics/tx_bytes /sys/class/net/c/statistics/tx_bytes | paste -sd' ')
		[[ $line =~ ^[0-9]{13}\ [0-9]+\ [0-9]+$ ]] || fail "p$i: bad line '$line'"
		read -r _ up down <<<"$line"
		((a_s <= up && up <= b_s && a_c <= down && down <= b_c)) ||
			fail "p$i: sampler says '$up $down', /sys said '$a_s $a_c' before and '$b_s $b_c' after"
	done
	# A line every 50 ms or so: at least 5 in half a second.
	local n0 n1
	n0=$(wc -l <"$MPTH_RUN_DIR/samples/p1")
	sleep 0.5
	n1=$(wc -l <"$MPTH_RUN_DIR/samples/p1")
	((n1 - n0 >= 5)) || fail "only $((n1 - n0)) samples in 500 ms"
}

@test "a path that does not answer is reported, with ping's words" {
	local f=$MPTH_RUN_DIR/build
	cp "$f-probes" "$BATS_TEST_TMPDIR/probes"
	: >"$f.err"
	# On purpose: path 2's v4 probe aims at an address nobody has.
	sed -i 's/^2 4 \(\S*\) .*/2 4 \1 198.19.2.99/' "$f-probes"
	run in_ns client bash "$MPTH_ROOT/harness/topo-build.sh" probe "$MPTH_RUN_DIR"
	cp "$BATS_TEST_TMPDIR/probes" "$f-probes"
	assert_failure
	run cat "$f.err"
	assert_output --regexp '^path 2: server unreachable over IPv4 \(ping: .+\)$'
	# And the plan as built passes.
	: >"$f.err"
	in_ns client bash "$MPTH_ROOT/harness/topo-build.sh" probe "$MPTH_RUN_DIR"
}

@test "a build and its teardown leave the host as it was, and no process" {
	host_snapshot "$BATS_TEST_TMPDIR/host-before"
	# shellcheck disable=SC2034 # read by harness_init
	MPTH_ITER=leak
	harness_init
	topo_paths 2 --rate 20mbit
	local prefix=$MPTH_NS_PREFIX anchors=()
	mapfile -t anchors < <(cat "$MPTH_RUN_DIR"/anchor-*)
	((${#anchors[@]} == 4))
	# Its copy of artifacts fails on what a topology without traffic lacks.
	harness_teardown || true
	host_snapshot "$BATS_TEST_TMPDIR/host-after"
	run diff -u "$BATS_TEST_TMPDIR/host-before" "$BATS_TEST_TMPDIR/host-after"
	assert_success
	run bash -c "ip netns list | grep -F '$prefix' || true"
	assert_output ''
	# Killed; a zombie until init reaps it (the anchors are orphans).
	local p st
	for p in "${anchors[@]}"; do
		st=Z
		[[ ! -r /proc/$p/stat ]] || read -r _ _ st _ <"/proc/$p/stat" || true
		[[ $st == Z ]] || fail "anchor $p is alive ($st)"
	done
}
