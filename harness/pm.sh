# shellcheck shell=bash
# The in-kernel path manager, through ip mptcp: limits, endpoints added,
# changed (backup, fullmesh: a live backup change sends MP_PRIO), removed
# and flushed. Roles are client, server, r1..rN; addresses are named by
# path index, so scenarios never spell an IP. The userspace path manager
# is in uspm.sh, mptcpd in mptcpd.sh.

# $1: role, then key=value pairs: subflows=N add_addr_accepted=N
# "all" as the role sets both client and server.
pm_limits() {
	local role=$1 kv args=()
	shift
	for kv in "$@"; do
		case $kv in
		subflows=[0-9]* | add_addr_accepted=[0-9]*)
			args+=("${kv%%=*}" "${kv#*=}") ;;
		*)
			log_err "pm_limits: bad limit '$kv' (want subflows=N or add_addr_accepted=N)"
			return 2
			;;
		esac
	done
	if [[ $role == all ]]; then
		pm_limits client "$@" && pm_limits server "$@"
		return
	fi
	local ns
	topo_ns_to ns "$role"
	ip -n "$ns" mptcp limits set "${args[@]}"
}

# Add an endpoint for a path's address on a role, bound to the path's
# device. $1: role (client|server), $2: path index, $3...: flags (subflow,
# signal, backup, fullmesh) and optionally "v6" for the IPv6 address,
# "mapped" for the IPv4 address written as IPv4-mapped IPv6 (::ffff:a.b.c.d),
# "nodev" for no device (as mptcp_join.sh adds most of its endpoints; a
# path index with no device then names an address the role does not
# have), "id N", "port N" (a signal endpoint announced with its own port:
# ADD_ADDR with a port, and a listener the kernel opens for the joins),
# "addr A" (this address instead of the path's: one the role does not
# have, as mptcp_join.sh's invalid addresses, 224.0.0.1 among them),
# "laminar" (6.18: the address a subflow to an announced address leaves
# from, instead of the one routing picks; added with mptcp-pm-ctl, as
# iproute2 6.1 has no such flag).
pm_endpoint() {
	local role=$1 path=$2 fam=4 flags=() ns addr dev=(dev "p$2") mapped=''
	local laminar=0 literal=''
	shift 2
	while (($#)); do
		case $1 in
		subflow | signal | backup | fullmesh) flags+=("$1") ;;
		laminar) laminar=1 ;;
		addr) literal=$2; shift ;;
		v6) fam=6 ;;
		mapped) mapped='::ffff:' ;;
		nodev) dev=() ;;
		id) flags+=(id "$2"); shift ;;
		port) flags+=(port "$2"); shift ;;
		*)
			log_err "pm_endpoint: unknown flag '$1'"
			return 2
			;;
		esac
		shift
	done
	topo_ns_to ns "$role"
	topo_addr_to addr "$path" "$role" "$fam"
	[[ -z $literal ]] || addr=$literal
	((laminar)) || {
		ip -n "$ns" mptcp endpoint add "$mapped$addr" "${dev[@]}" "${flags[@]}"
		return
	}
	# The same words as mptcp-pm-ctl options: a flag list, --id, --port,
	# --dev.
	local opts=() names=laminar i
	for ((i = 0; i < ${#flags[@]}; i++)); do
		case ${flags[i]} in
		id | port) opts+=("--${flags[i]}" "${flags[i + 1]}"); i=$((i + 1)) ;;
		*) names+=",${flags[i]}" ;;
		esac
	done
	((${#dev[@]} == 0)) || opts+=(--dev "${dev[1]}")
	uspm_build || return 1
	ip netns exec "$ns" "$USPM_CTL" endpoint-add --addr "$mapped$addr" --flags "$names" "${opts[@]}"
}

# Remove the endpoint of a path's address. $1: role, $2: path, $3: 4|6
pm_endpoint_del() {
	local role=$1 addr id ns
	topo_addr_to addr "$2" "$role" "${3:-4}"
	topo_ns_to ns "$role"
	pm_endpoint_id_to id "$role" "$2" "${3:-4}" || {
		log_err "pm_endpoint_del: no endpoint for $addr on $role"
		return 1
	}
	# Only id 0 (the initial subflow's address) is named by address too.
	ip -n "$ns" mptcp endpoint delete id "$id"
}

# Remove the address of the initial subflow, id 0, which no endpoint
# need name: a client closes its initial subflow, a server announces the
# address's removal (RM_ADDR id 0). $1: role, $2: 4|6 (default 4)
pm_endpoint_del_id0() {
	local addr ns
	topo_addr_to addr 1 "$1" "${2:-4}"
	topo_ns_to ns "$1"
	ip -n "$ns" mptcp endpoint delete id 0 "$addr"
}

# Print the endpoint id of a path's address. $1: role, $2: path, $3: 4|6
pm_endpoint_id() {
	local id
	pm_endpoint_id_to id "$@" || return 1
	printf '%s\n' "$id"
}

# Like pm_endpoint_id, into a variable: one ip, no other fork.
# $1: variable, $2: role, $3: path, $4: 4|6
pm_endpoint_id_to() {
	local __addr
	topo_addr_to __addr "$3" "$2" "${4:-4}"
	__pm_endpoint_id_of "$1" "$2" "$__addr"
}

# Remove the endpoint of an address given as such (pm_endpoint ... addr).
# $1: role, $2: address
pm_endpoint_del_addr() {
	local id ns
	__pm_endpoint_id_of id "$1" "$2" || {
		log_err "pm_endpoint_del_addr: no endpoint for $2 on $1"
		return 1
	}
	topo_ns_to ns "$1"
	ip -n "$ns" mptcp endpoint delete id "$id"
}

# The id of a role's endpoint for an address, into a variable.
# $1: variable, $2: role, $3: address
__pm_endpoint_id_of() {
	local __addr=$3 __ns __line __i __found=1
	local -a __lines __w
	topo_ns_to __ns "$2"
	printf -v "$1" ''
	mapfile -t __lines < <(ip -n "$__ns" mptcp endpoint show)
	# "ADDR [port P] id N flags... dev D"
	for __line in "${__lines[@]}"; do
		read -ra __w <<<"$__line"
		[[ ${__w[0]:-} == "$__addr" ]] || continue
		for ((__i = 1; __i < ${#__w[@]} - 1; __i++)); do
			[[ ${__w[__i]} == id ]] || continue
			printf -v "$1" '%s' "${__w[__i + 1]}"
			__found=0
		done
	done
	return "$__found"
}

# $1: role
pm_flush() {
	local ns
	topo_ns_to ns "$1"
	ip -n "$ns" mptcp endpoint flush
}

# Change an endpoint's flags; on a live connection a backup change sends
# MP_PRIO. $1: role, $2: path, $3: backup|nobackup|fullmesh|nofullmesh,
# $4: 4|6 (default 4)
pm_endpoint_change() {
	local id
	id=$(pm_endpoint_id "$1" "$2" "${4:-4}") || {
		log_err "pm_endpoint_change: no endpoint for path $2 on $1"
		return 1
	}
	ip -n "$(topo_ns "$1")" mptcp endpoint change id "$id" "$3"
}

# Change the flags of every endpoint of a role, as mptcp_join.sh's sflags
# does. $1: role, $2...: flags (backup, nobackup, fullmesh, nofullmesh)
pm_endpoint_change_all() {
	local role=$1 ns line id rc=0 i w=()
	shift
	ns=$(topo_ns "$role")
	while read -r line; do
		read -ra w <<<"$line"
		id=''
		for ((i = 0; i + 1 < ${#w[@]}; i++)); do
			[[ ${w[i]} != id ]] || { id=${w[i + 1]}; break; }
		done
		[[ -n $id ]] || continue
		ip -n "$ns" mptcp endpoint change id "$id" "$@" || rc=1
	done < <(ip -n "$ns" mptcp endpoint show 2>/dev/null)
	return "$rc"
}

# Endpoints of a role as "address flags..." lines. $1: role
pm_endpoints() {
	in_ns "$1" ip mptcp endpoint show 2>/dev/null
}
