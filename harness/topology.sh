# shellcheck shell=bash
# Topology: a client and a server joined by N disjoint paths, each through
# its own router namespace, like Wi-Fi and cellular:
#
#   client p1 ---- c [r1] s ---- p1 server
#   client p2 ---- c [r2] s ---- p2 server
#          ...
#
# Path i uses 198.18.i.0/24 and 2001:db8:1:i::/64 on the client side, and
# 198.19.i.0/24 and 2001:db8:2:i::/64 on the server side. Hosts are .1 (::1),
# routers .254 (::fe). The client routes by source address (one table per
# path), so a subflow bound to path i's address always crosses router i, in
# both directions. Every link is made inside the namespaces; nothing is ever
# created in the host's namespace.
#
# Building is cheap because a process is what costs (a fork and an exec take
# about 10 ms on a loaded 2-core machine, twice that when the harness's own
# bash forks): topo_paths only writes the plan (one `ip -batch` file per
# namespace, a `tc -batch` file per router, the probes) with bash builtins,
# and one helper process, topo-build.sh, runs it, side by side where steps
# do not depend on each other. Sysctls are written by one small process per
# namespace before any device exists (devices inherit the defaults), and
# that process stays as the namespace's anchor: its /proc/PID/net/ is the
# namespace's own view, so counters and byte counts are read with bash
# builtins (see obs_mib) without entering the namespace.

# Where `ip netns add` mounts a namespace (iproute2's NETNS_RUN_DIR).
TOPO_NETNS_DIR=/var/run/netns

# Namespace of a role: client, server, r1..rN. $1: role
topo_ns() {
	printf '%s%s\n' "$MPTH_NS_PREFIX" "$1"
}

# Like topo_ns, into a variable: no subshell, for the hot paths.
# $1: variable name, $2: role
topo_ns_to() {
	printf -v "$1" '%s%s' "$MPTH_NS_PREFIX" "$2"
}

# The address plan, into a variable (no subshell).
# $1: variable name, $2: path index, $3: client|server|rc|rs, $4: 4|6
__topo_addr_to() {
	if [[ ${4:-4} == 6 ]]; then
		case $3 in
		client) printf -v "$1" '2001:db8:1:%s::1' "$2" ;;
		rc) printf -v "$1" '2001:db8:1:%s::fe' "$2" ;;
		rs) printf -v "$1" '2001:db8:2:%s::fe' "$2" ;;
		server) printf -v "$1" '2001:db8:2:%s::1' "$2" ;;
		*) printf -v "$1" '' ;;
		esac
	else
		case $3 in
		client) printf -v "$1" '198.18.%s.1' "$2" ;;
		rc) printf -v "$1" '198.18.%s.254' "$2" ;;
		rs) printf -v "$1" '198.19.%s.254' "$2" ;;
		server) printf -v "$1" '198.19.%s.1' "$2" ;;
		*) printf -v "$1" '' ;;
		esac
	fi
}

# $1: path index, $2: client|server|rc|rs, $3: 4|6 (default 4)
topo_addr() {
	local a
	__topo_addr_to a "$1" "$2" "${3:-4}"
	[[ -z $a ]] || printf '%s\n' "$a"
}

# Like topo_addr, into a variable (no subshell).
# $1: variable, $2: path index, $3: client|server|rc|rs, $4: 4|6
topo_addr_to() {
	__topo_addr_to "$@"
}

# Run a command inside a role's namespace. $1: role, $2...: command
in_ns() {
	local ns
	topo_ns_to ns "$1"
	shift
	ip netns exec "$ns" "$@"
}

# Start a command in a role's namespace, in the background. BG_PID is the
# command's own pid (ip netns exec execs it), so it can be signalled and
# waited for; backgrounding in_ns instead would give a subshell's pid.
# $1: role, $2...: command
in_ns_bg() {
	local ns
	topo_ns_to ns "$1"
	shift
	ip netns exec "$ns" "$@" &
	# shellcheck disable=SC2034 # BG_PID is read by the caller
	BG_PID=$!
}

# The anchor of a role's namespace: a process that lives as long as the
# namespace, so that /proc/$TOPO_ANCHOR/net/ shows that namespace. Fails
# when the role has no anchor or its pid now belongs to another namespace
# (the anchor died and the pid was reused). $1: role
topo_anchor() {
	local pid ns f=${MPTH_RUN_DIR:-}/anchor-$1
	TOPO_ANCHOR=''
	[[ -n ${MPTH_RUN_DIR:-} && -r $f ]] || return 1
	read -r pid <"$f" && [[ $pid =~ ^[0-9]+$ ]] || return 1
	topo_ns_to ns "$1"
	# -ef compares device and inode: the namespace the pid is in against
	# the one mounted for the role, with no fork.
	[[ /proc/$pid/ns/net -ef $TOPO_NETNS_DIR/$ns ]] || return 1
	# shellcheck disable=SC2034 # read by the caller (obs_mib and the samplers)
	TOPO_ANCHOR=$pid
}

# Kill what runs in some namespaces, then delete them: two processes for
# all of them (ip -batch), where one by one would take two per namespace.
# Missing ones are fine. $@: namespaces
__topo_del_ns() {
	local ns batch='' f=$MPTH_RUN_DIR/del-pids
	local -a pids
	__topo_kill_orphaned
	for ns; do
		batch+="netns pids $ns"$'\n'
	done
	ip -force -batch - <<<"$batch" >"$f" 2>/dev/null
	mapfile -t pids <"$f"
	((${#pids[@]} == 0)) || kill -KILL "${pids[@]}" 2>/dev/null
	batch=''
	for ns; do
		batch+="netns del $ns"$'\n'
	done
	ip -force -batch - <<<"$batch" >/dev/null 2>&1
	return 0
}

# A namespace deleted from outside the harness (ip netns del) lives on
# while processes are in it, and ip netns pids no longer finds them. Its
# anchor does: kill what shares the anchor's namespace. An anchor still
# alive whose namespace is no longer mounted under its name is ours only
# if it carries this scenario's run dir. Builtins (test -ef compares the
# namespace inodes), no fork per process.
__topo_kill_orphaned() {
	local f pid p ns env=() victims=() IFS=$'\n'
	for f in "$MPTH_RUN_DIR"/anchor-*; do
		{ read -r pid <"$f" && [[ $pid =~ ^[0-9]+$ ]]; } 2>/dev/null || continue
		topo_ns_to ns "${f##*/anchor-}"
		[[ ! /proc/$pid/ns/net -ef $TOPO_NETNS_DIR/$ns ]] || continue
		{ mapfile -t -d '' env <"/proc/$pid/environ"; } 2>/dev/null || continue
		[[ $'\n'"${env[*]}"$'\n' == *$'\n'"MPTH_RUN_DIR=$MPTH_RUN_DIR"$'\n'* ]] || continue
		log_warn "namespace of ${f##*/anchor-} was deleted from outside the harness; killing what still runs in it"
		for p in /proc/[0-9]*; do
			[[ $p/ns/net -ef /proc/$pid/ns/net ]] && victims+=("${p#/proc/}")
		done
	done
	((${#victims[@]} == 0)) || kill -KILL "${victims[@]}" 2>/dev/null
	return 0
}

# The roles whose namespace is gone, one per line: deleted from outside
# the harness while the scenario ran.
topo_vanished() {
	local role ns
	[[ -r ${MPTH_RUN_DIR:-}/roles ]] || return 0
	while read -r role; do
		topo_ns_to ns "$role"
		[[ -e $TOPO_NETNS_DIR/$ns ]] || printf '%s\n' "$role"
	done <"$MPTH_RUN_DIR/roles"
}

# The congestion control the namespaces get, into TOPO_CC, with why in
# __TOPO_CC_WHY. It must be built in or loaded (a namespace cannot load a
# module), and allowed: outside the host's namespace the kernel takes as a
# default only what net.ipv4.tcp_allowed_congestion_control lists, and a
# kernel built with another default (CONFIG_DEFAULT_TCP_CONG=bbr) leaves
# cubic out. Asked for by name, anything else is an error; the default,
# cubic, falls back to reno there (reno is always allowed, and at these
# small bandwidth-delay products cubic behaves like it), and the note
# says so. Nothing is changed on the host to allow it.
# $1: name, $2: 1 when asked for (MPTH_CC, --cc)
__topo_pick_cc() {
	local want=$1 asked=$2 avail='' allowed=''
	__TOPO_CC_WHY=''
	[[ $want =~ ^[a-z0-9_]+$ ]] || {
		log_err "topo_paths: bad congestion control name '$want'"
		return 1
	}
	read -r avail </proc/sys/net/ipv4/tcp_available_congestion_control || true
	read -r allowed </proc/sys/net/ipv4/tcp_allowed_congestion_control || true
	[[ " $avail " == *" $want "* ]] || {
		log_err "topo_paths: congestion control '$want' is not available on this kernel (available: ${avail:-none}); load tcp_$want or pick another with MPTH_CC or topo_paths --cc"
		return 1
	}
	if [[ " $allowed " != *" $want "* ]]; then
		if ((asked)) || [[ " $allowed " != *" reno "* ]]; then
			log_err "topo_paths: congestion control '$want' is not allowed in a network namespace on this host (net.ipv4.tcp_allowed_congestion_control: ${allowed:-none}); the host's root can allow it, or pick one of those with MPTH_CC or topo_paths --cc"
			return 1
		fi
		__TOPO_CC_WHY="$want is not allowed in a namespace here: net.ipv4.tcp_allowed_congestion_control is '$allowed'; "
		want=reno
	fi
	TOPO_CC=$want
}

# Say once per scenario which congestion control the namespaces use, and
# what the host would have given them. Uses TOPO_CC and __TOPO_CC_WHY.
__topo_note_cc() {
	local host='' f=$MPTH_RUN_DIR/cc prev=''
	[[ ! -r $f ]] || read -r prev <"$f" || true
	[[ $prev != "$TOPO_CC" ]] || return 0
	read -r host </proc/sys/net/ipv4/tcp_congestion_control || host=unknown
	printf '%s\n' "$TOPO_CC" >"$f"
	[[ $host != "$TOPO_CC" ]] || host+=" too"
	harness_note "congestion control: $TOPO_CC (pinned; ${__TOPO_CC_WHY}the host uses $host)"
}

# One `ip -batch` for the client side and one for the server side of
# every path: the veths (made from inside the host namespace, so no device
# ever exists in the host's), the host's addresses, links up and routes.
# A router's half comes later (__topo_router_batch), once both veths exist.
# The hosts' ends get ifindex 100+i (client) and 200+i (server), never the
# routers' 2 or 3: the kernel applies a carrier change at once only when a
# device's ifindex differs from its peer's ("urgent" in linkwatch); equal
# ones (both 2, as fresh namespaces give) wait up to a second, during which
# the device drops every packet and the first neighbour discovery fails.
# Sets __TOPO_CB, __TOPO_C6B and __TOPO_SB. $1: number of paths
__topo_host_batches() {
	local n=$1 i t rns a4 a6 g4 g6
	__TOPO_CB=$'link set lo up\n' __TOPO_SB=$'link set lo up\n' __TOPO_C6B=''
	for ((i = 1; i <= n; i++)); do
		topo_ns_to rns "r$i"
		t=$((100 + i))
		# nodad: belt and braces with accept_dad=0; a retransmitted
		# neighbour solicitation 100 ms after the first (1 s by default).
		__topo_addr_to a4 "$i" client 4
		__topo_addr_to a6 "$i" client 6
		__topo_addr_to g4 "$i" rc 4
		__topo_addr_to g6 "$i" rc 6
		__TOPO_CB+="link add p$i index $((100 + i)) type veth peer name c netns $rns
addr add $a4/24 dev p$i
addr add $a6/64 dev p$i nodad
ntable change name ndisc_cache dev p$i retrans 100
link set p$i up
route add default via $g4 table $t
route add ::/0 via $g6 table $t
rule add from $a4 table $t pref $t
"
		# Source routing on the client: path i's address leaves by path
		# i. An IPv6 rule needs -6 on the command line (ip rule takes
		# its family from there, not from the address): its own batch.
		__TOPO_C6B+="rule add from $a6 table $t pref $t"$'\n'
		__topo_addr_to a4 "$i" server 4
		__topo_addr_to a6 "$i" server 6
		__topo_addr_to g4 "$i" rs 4
		__topo_addr_to g6 "$i" rs 6
		# Replies to client address i go back over path i.
		__TOPO_SB+="link add p$i index $((200 + i)) type veth peer name s netns $rns
addr add $a4/24 dev p$i
addr add $a6/64 dev p$i nodad
ntable change name ndisc_cache dev p$i retrans 100
link set p$i up
route add 198.18.$i.0/24 via $g4
route add 2001:db8:1:$i::/64 via $g6
"
	done
	# The initial subflow (no bound address) takes path 1.
	__topo_addr_to g4 1 rc 4
	__topo_addr_to g6 1 rc 6
	__TOPO_CB+="route add default via $g4
route add ::/0 via $g6
"
}

# Router i's batch, into __TOPO_RB: its addresses and routes. The router
# reaches the server's other addresses through the server's interface on
# this path, and the client's likewise. $1: path index
__topo_router_batch() {
	local i=$1 c4 c6 s4 s6 h4 h6 k4 k6
	__topo_addr_to c4 "$i" rc 4
	__topo_addr_to c6 "$i" rc 6
	__topo_addr_to s4 "$i" rs 4
	__topo_addr_to s6 "$i" rs 6
	__topo_addr_to h4 "$i" client 4
	__topo_addr_to h6 "$i" client 6
	__topo_addr_to k4 "$i" server 4
	__topo_addr_to k6 "$i" server 6
	__TOPO_RB="link set lo up
addr add $c4/24 dev c
addr add $s4/24 dev s
addr add $c6/64 dev c nodad
addr add $s6/64 dev s nodad
ntable change name ndisc_cache dev c retrans 100
ntable change name ndisc_cache dev s retrans 100
link set c up
link set s up
route add 198.19.0.0/16 via $k4
route add 198.18.0.0/16 via $h4
route add 2001:db8:2::/48 via $k6
route add 2001:db8:1::/48 via $h6
"
}

# Build the topology. Options:
#   --rate RATE    shape every path (e.g. 20mbit), see shape.sh
#   --delay D      one-way delay per direction, where netem exists
#   --loss PCT     random loss per direction
#   --cc NAME      TCP congestion control in every namespace (default:
#                  $MPTH_CC, else cubic, the Linux default)
# Returns once every path answers, v4 and v6 (so that no test races the
# links), with the observers started (obs_start).
# $1: number of paths
topo_paths() {
	wait_untraced __topo_paths "$@"
}

__topo_paths() {
	local n=$1 i ns cc=${MPTH_CC:-cubic} asked=0 shape=() a b f line rc=0
	local -a nss=() roles=(client server)
	shift
	[[ $n =~ ^[1-9]$ ]] || {
		log_err "topo_paths: path count must be 1..9, got '$n'"
		return 2
	}
	while (($#)); do
		if [[ $1 == --cc ]]; then
			(($# >= 2)) || { log_err "topo_paths: --cc needs a value"; return 2; }
			cc=$2 asked=1
			shift 2
		else
			shape+=("$1")
			shift
		fi
	done
	[[ -z ${MPTH_CC:-} ]] || asked=1
	__topo_pick_cc "$cc" "$asked" || return 2
	TOPO_PATHS=$n
	export TOPO_PATHS TOPO_CC
	for ((i = 1; i <= n; i++)); do
		roles+=("r$i")
	done
	__topo_note_cc
	if ((${#shape[@]})); then
		shape_plan "${shape[@]}" || return
	fi
	# The plan, as files for topo-build.sh.
	f=$MPTH_RUN_DIR/build
	: >"$f.err"
	: >"$f.times"
	line=''
	for i in "${roles[@]}"; do
		topo_ns_to ns "$i"
		nss+=("$ns")
		line+="netns add $ns"$'\n'
	done
	printf '%s' "$line" >"$f-netns.ip"
	__topo_host_batches "$n"
	printf '%s' "$__TOPO_CB" >"$f-client.ip"
	printf '%s' "$__TOPO_C6B" >"$f-client6.ip"
	printf '%s' "$__TOPO_SB" >"$f-server.ip"
	line=''
	for ((i = 1; i <= n; i++)); do
		__topo_router_batch "$i"
		printf '%s' "$__TOPO_RB" >"$f-r$i.ip"
		a=''
		((${#shape[@]} == 0)) || a=${SHAPE_TC[i]:-}
		printf '%s' "$a" >"$f-r$i.tc"
		__topo_addr_to a "$i" client 4
		__topo_addr_to b 1 server 4
		line+="$i 4 $a $b"$'\n'
		__topo_addr_to a "$i" client 6
		__topo_addr_to b 1 server 6
		line+="$i 6 $a $b"$'\n'
	done
	printf '%s' "$line" >"$f-probes"
	# Registered before the namespaces exist, so that a build killed
	# half-way leaves nothing; missing namespaces are skipped.
	defer __topo_del_ns "${nss[@]}"
	# BASH_ENV empty: a non-interactive bash would source it.
	BASH_ENV='' bash "$MPTH_ROOT/harness/topo-build.sh" build "$MPTH_RUN_DIR" \
		"$TOPO_NETNS_DIR" "$MPTH_NS_PREFIX" "$TOPO_CC" "$n" 3>&- || rc=1
	for i in "${roles[@]}"; do
		topo_ns_to ns "$i"
		[[ ! -e $TOPO_NETNS_DIR/$ns ]] || printf '%s\n' "$i" >>"$MPTH_RUN_DIR/roles"
	done
	while IFS= read -r line; do
		log_err "$line"
		rc=1
	done <"$f.err"
	((rc == 0)) || return 1
	if ((${#shape[@]})); then
		shape_apply fw || return 1
	fi
	obs_start
}

# The client reaches the server's path-i address over path i, from its own
# path-i address, as over the direct link mptcp_join.sh's topology has: a
# subflow the kernel opens to it unbound (one to an announced address)
# then leaves from that address, which the PM takes as an implicit
# endpoint. In the client's namespace only. $1: path, $2: add or del
topo_direct_route() {
	local c s g ns
	__topo_addr_to c "$1" client 4
	__topo_addr_to s "$1" server 4
	__topo_addr_to g "$1" rc 4
	topo_ns_to ns client
	if [[ ${2:-add} == del ]]; then
		ip -n "$ns" route del "$s/32" via "$g" src "$c"
	else
		ip -n "$ns" route replace "$s/32" via "$g" src "$c"
	fi
}

# Set sysctls in a role's namespace (never the host's).
# $1: role, $2...: key=value
topo_sysctl() {
	local role=$1 kv
	shift
	for kv in "$@"; do
		in_ns "$role" sysctl -qw "$kv" >/dev/null || {
			log_err "topo_sysctl: cannot set $kv on $role"
			return 1
		}
	done
}
