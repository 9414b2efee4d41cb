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

# Namespace of a role: client, server, r1..rN. $1: role
topo_ns() {
	printf '%s%s\n' "$MPTH_NS_PREFIX" "$1"
}

# $1: path index, $2: client|server|rc|rs, $3: 4|6 (default 4)
topo_addr() {
	local i=$1 who=$2 fam=${3:-4}
	if [[ $fam == 6 ]]; then
		case $who in
		client) echo "2001:db8:1:$i::1" ;;
		rc) echo "2001:db8:1:$i::fe" ;;
		rs) echo "2001:db8:2:$i::fe" ;;
		server) echo "2001:db8:2:$i::1" ;;
		esac
	else
		case $who in
		client) echo "198.18.$i.1" ;;
		rc) echo "198.18.$i.254" ;;
		rs) echo "198.19.$i.254" ;;
		server) echo "198.19.$i.1" ;;
		esac
	fi
}

# Run a command inside a role's namespace. $1: role, $2...: command
in_ns() {
	local ns
	ns=$(topo_ns "$1")
	shift
	ip netns exec "$ns" "$@"
}

# Start a command in a role's namespace, in the background. BG_PID is the
# command's own pid (ip netns exec execs it), so it can be signalled and
# waited for; backgrounding in_ns instead would give a subshell's pid.
# $1: role, $2...: command
in_ns_bg() {
	local ns
	ns=$(topo_ns "$1")
	shift
	ip netns exec "$ns" "$@" &
	# shellcheck disable=SC2034 # BG_PID is read by the caller
	BG_PID=$!
}

# $1: role. Creates the namespace and registers its removal.
__topo_add_ns() {
	local ns
	ns=$(topo_ns "$1")
	ip netns add "$ns" || return 1
	defer harness_del_ns "$ns"
	ip -n "$ns" link set lo up
	# New namespaces may inherit the host's rp_filter; strict reverse-path
	# filtering would drop the asymmetric subflows MPTCP makes.
	ip netns exec "$ns" sh -c '
		sysctl -qw net.ipv4.conf.all.rp_filter=0
		sysctl -qw net.ipv4.conf.default.rp_filter=0
		sysctl -qw net.ipv6.conf.all.accept_dad=0
		sysctl -qw net.ipv6.conf.default.accept_dad=0
	' >/dev/null
	printf '%s\n' "$1" >>"$MPTH_RUN_DIR/roles"
}

# Kill what runs in a namespace, then delete it. $1: namespace
harness_del_ns() {
	local pids
	pids=$(ip netns pids "$1" 2>/dev/null) || true
	# shellcheck disable=SC2086 # pids is a list of numbers
	[[ -z $pids ]] || kill -KILL $pids 2>/dev/null || true
	ip netns del "$1" 2>/dev/null || true
}

# $1: path index, $2: family 4|6
__topo_path_addrs() {
	local i=$1 cns rns sns plen
	cns=$(topo_ns client) rns=$(topo_ns "r$i") sns=$(topo_ns server)
	for fam in 4 6; do
		plen=24
		[[ $fam == 6 ]] && plen=64
		ip -n "$cns" addr add "$(topo_addr "$i" client $fam)/$plen" dev "p$i" nodad 2>/dev/null ||
			ip -n "$cns" addr add "$(topo_addr "$i" client $fam)/$plen" dev "p$i"
		ip -n "$rns" addr add "$(topo_addr "$i" rc $fam)/$plen" dev c
		ip -n "$rns" addr add "$(topo_addr "$i" rs $fam)/$plen" dev s
		ip -n "$sns" addr add "$(topo_addr "$i" server $fam)/$plen" dev "p$i"
	done
}

# Build the topology. Options:
#   --rate RATE    shape every path (e.g. 20mbit), see shape.sh
#   --delay D      one-way delay per direction, where netem exists
#   --loss PCT     random loss per direction
# $1: number of paths
topo_paths() {
	local n=$1 i cns sns rns
	shift
	[[ $n =~ ^[1-9]$ ]] || {
		log_err "topo_paths: path count must be 1..9, got '$n'"
		return 2
	}
	TOPO_PATHS=$n
	__topo_add_ns client || return 1
	__topo_add_ns server || return 1
	cns=$(topo_ns client) sns=$(topo_ns server)
	for ((i = 1; i <= n; i++)); do
		__topo_add_ns "r$i" || return 1
		rns=$(topo_ns "r$i")
		ip -n "$cns" link add "p$i" type veth peer name c netns "$rns" || return 1
		ip -n "$sns" link add "p$i" type veth peer name s netns "$rns" || return 1
		# Per device, before the links come up: no duplicate address
		# detection (a tentative link-local address holds neighbour
		# discovery back for a second), and a quick retry of the first
		# neighbour solicitation.
		# shellcheck disable=SC2016 # $d is the inner shell's
		ip netns exec "$rns" sh -c '
			sysctl -qw net.ipv4.ip_forward=1
			sysctl -qw net.ipv6.conf.all.forwarding=1
			for d in c s; do
				sysctl -qw net.ipv6.conf.$d.accept_dad=0
				sysctl -qw net.ipv6.neigh.$d.retrans_time_ms=100
			done
		' >/dev/null
		ip netns exec "$cns" sysctl -qw "net.ipv6.conf.p$i.accept_dad=0" \
			"net.ipv6.neigh.p$i.retrans_time_ms=100" >/dev/null
		ip netns exec "$sns" sysctl -qw "net.ipv6.conf.p$i.accept_dad=0" \
			"net.ipv6.neigh.p$i.retrans_time_ms=100" >/dev/null
		__topo_path_addrs "$i"
		ip -n "$cns" link set "p$i" up
		ip -n "$sns" link set "p$i" up
		ip -n "$rns" link set c up
		ip -n "$rns" link set s up
		# The router reaches the server's other addresses through the
		# server's interface on this path, and the client's likewise.
		ip -n "$rns" route add 198.19.0.0/16 via "$(topo_addr "$i" server)"
		ip -n "$rns" route add 198.18.0.0/16 via "$(topo_addr "$i" client)"
		ip -n "$rns" -6 route add 2001:db8:2::/48 via "$(topo_addr "$i" server 6)"
		ip -n "$rns" -6 route add 2001:db8:1::/48 via "$(topo_addr "$i" client 6)"
		# Replies to client address i go back over path i.
		ip -n "$sns" route add "198.18.$i.0/24" via "$(topo_addr "$i" rs)"
		ip -n "$sns" -6 route add "2001:db8:1:$i::/64" via "$(topo_addr "$i" rs 6)"
		# Source routing on the client: path i's address leaves by path i.
		ip -n "$cns" route add default via "$(topo_addr "$i" rc)" table $((100 + i))
		ip -n "$cns" -6 route add default via "$(topo_addr "$i" rc 6)" table $((100 + i))
		ip -n "$cns" rule add from "$(topo_addr "$i" client)" table $((100 + i)) pref $((100 + i))
		ip -n "$cns" -6 rule add from "$(topo_addr "$i" client 6)" table $((100 + i)) pref $((100 + i))
	done
	# The initial subflow (no bound address) takes path 1.
	ip -n "$cns" route add default via "$(topo_addr 1 rc)"
	ip -n "$cns" -6 route add default via "$(topo_addr 1 rc 6)"
	export TOPO_PATHS
	if (($#)); then
		shape_paths "$@" || return
	fi
	__topo_wait_reachable || return 1
	obs_start
}

# Wait until every path answers, v4 and v6, so no test races the links.
# The first IPv6 packets wait for neighbour discovery on three links; the
# paths are probed side by side so that this costs once, not per path.
__topo_wait_reachable() {
	local i pids=() rc=0
	for ((i = 1; i <= TOPO_PATHS; i++)); do
		busywait 3000 in_ns client ping -c1 -W0.3 -q -I "$(topo_addr "$i" client)" \
			"$(topo_addr 1 server)" >/dev/null ||
			{ log_err "path $i: server unreachable over IPv4"; return 1; }
	done
	for ((i = 1; i <= TOPO_PATHS; i++)); do
		busywait 3000 in_ns client ping -6 -c1 -W0.3 -q -I "$(topo_addr "$i" client 6)" \
			"$(topo_addr 1 server 6)" >/dev/null 3>&- &
		pids+=("$!")
	done
	for i in "${!pids[@]}"; do
		wait "${pids[i]}" || { log_err "path $((i + 1)): server unreachable over IPv6"; rc=1; }
	done
	return "$rc"
}
