# shellcheck shell=bash
# The in-kernel path manager, through ip mptcp. Roles are client, server,
# r1..rN; addresses are named by path index, so scenarios never spell an IP.

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
	ip -n "$(topo_ns "$role")" mptcp limits set "${args[@]}"
}

# Add an endpoint for a path's address on a role.
# $1: role (client|server), $2: path index, $3...: flags (subflow, signal,
# backup, fullmesh) and optionally "v6" for the IPv6 address, "id N".
pm_endpoint() {
	local role=$1 path=$2 fam=4 flags=()
	shift 2
	while (($#)); do
		case $1 in
		subflow | signal | backup | fullmesh) flags+=("$1") ;;
		v6) fam=6 ;;
		id) flags+=(id "$2"); shift ;;
		*)
			log_err "pm_endpoint: unknown flag '$1'"
			return 2
			;;
		esac
		shift
	done
	ip -n "$(topo_ns "$role")" mptcp endpoint add \
		"$(topo_addr "$path" "$role" "$fam")" dev "p$path" "${flags[@]}"
}

# Remove the endpoint of a path's address. $1: role, $2: path, $3: 4|6
pm_endpoint_del() {
	local role=$1 addr id
	addr=$(topo_addr "$2" "$role" "${3:-4}")
	id=$(pm_endpoint_id "$role" "$2" "${3:-4}") || {
		log_err "pm_endpoint_del: no endpoint for $addr on $role"
		return 1
	}
	# Only id 0 (the initial subflow's address) is named by address too.
	ip -n "$(topo_ns "$role")" mptcp endpoint delete id "$id"
}

# Print the endpoint id of a path's address. $1: role, $2: path, $3: 4|6
pm_endpoint_id() {
	local addr
	addr=$(topo_addr "$2" "$1" "${3:-4}")
	ip -n "$(topo_ns "$1")" mptcp endpoint show |
		awk -v a="$addr" '$1 == a { for (i = 2; i < NF; i++) if ($i == "id") { print $(i + 1); f = 1 } }
			END { exit !f }'
}

# $1: role
pm_flush() {
	ip -n "$(topo_ns "$1")" mptcp endpoint flush
}
