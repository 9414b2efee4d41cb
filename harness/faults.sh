# shellcheck shell=bash
# Faults on a path, each recorded in $MPTH_RUN_DIR/events with its time so
# the outage and the plots line up with what was done:
#   link-down   the client's interface goes down: the client sees carrier
#               loss and its routes over that interface vanish
#   blackhole   the path's router silently drops everything, both ways; the
#               client's link stays up and nothing tells it
# fault_restore undoes whichever fault the path has.

# $1: kind, $2: path, $3...: detail
__fault_event() {
	local t
	t=$(now_ms)
	printf '%s\t%s\t%s\t%s\n' "$t" "$1" "$2" "${*:3}" >>"$MPTH_RUN_DIR/events"
	fact_set "fault.$2.$1_ms" "$t"
	fact_set "fault.last_ms" "$t"
	harness_note "event: $1 on path $2${3:+ (${*:3})}"
}

# The state before a fault, for the reader of a failure. It takes a few
# hundred ms on a loaded machine, so the benchmark, which needs the fault
# at a precise moment of a short transfer, turns it off with
# MPTH_FAULT_SNAPSHOT=0. $1: label
__fault_snapshot() {
	[[ ${MPTH_FAULT_SNAPSHOT:-1} == 0 ]] || obs_snapshot "$1"
}

# $1: path index
fault_link_down() {
	local i=$1
	__fault_snapshot "before-link-down-p$i"
	__fault_event link-down "$i"
	in_ns client ip link set "p$i" down || return 1
	printf 'link-down\n' >"$MPTH_RUN_DIR/fault.p$i"
	defer fault_restore "$i"
}

# $1: path index
fault_blackhole() {
	local i=$1
	__fault_snapshot "before-blackhole-p$i"
	__fault_event blackhole "$i"
	ip netns exec "$(topo_ns "r$i")" nft -f - <<-'NFT' || return 1
		table inet mpth_fault {
			chain blackhole {
				type filter hook forward priority -100; policy accept;
				counter drop
			}
		}
	NFT
	printf 'blackhole\n' >"$MPTH_RUN_DIR/fault.p$i"
	defer fault_restore "$i"
}

# Bring a client interface back with its addresses and routes, as they
# were built. Idempotent. $1: path index
__fault_client_path_up() {
	local i=$1 cns
	cns=$(topo_ns client)
	ip -n "$cns" link set "p$i" up || return 1
	# IPv6 addresses are flushed when a link goes down; IPv4 ones stay,
	# but every route through the interface is gone.
	ip -n "$cns" addr replace "$(topo_addr "$i" client 6)/64" dev "p$i" nodad
	ip -n "$cns" route replace default via "$(topo_addr "$i" rc)" table $((100 + i))
	ip -n "$cns" -6 route replace default via "$(topo_addr "$i" rc 6)" table $((100 + i))
	if ((i == 1)); then
		ip -n "$cns" route replace default via "$(topo_addr 1 rc)"
		ip -n "$cns" -6 route replace default via "$(topo_addr 1 rc 6)"
	fi
	# Back means usable, as a connection manager sees it: carrier up and
	# the router answering. A subflow started before then loses its SYN
	# and waits a second to send it again.
	busywait 3000 in_ns client ping -c1 -W0.2 -q -I "$(topo_addr "$i" client)" \
		"$(topo_addr "$i" rc)" >/dev/null ||
		log_warn "path $i: router unreachable after the link came back"
}

# $1: path index
fault_restore() {
	local i=$1 kind f=$MPTH_RUN_DIR/fault.p$1
	[[ -s $f ]] || return 0
	kind=$(<"$f")
	case $kind in
	link-down) __fault_client_path_up "$i" || return 1 ;;
	blackhole) ip netns exec "$(topo_ns "r$i")" nft delete table inet mpth_fault || return 1 ;;
	esac
	rm -f "$f"
	__fault_event restore "$i" "$kind"
}

# Apply a fault by name. $1: link-down|blackhole, $2: path index
fault_apply() {
	case $1 in
	link-down) fault_link_down "$2" ;;
	blackhole) fault_blackhole "$2" ;;
	*)
		log_err "unknown fault '$1' (want link-down or blackhole)"
		return 2
		;;
	esac
}
