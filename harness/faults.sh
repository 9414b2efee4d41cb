# shellcheck shell=bash
# Faults on a path, each recorded in $MPTH_RUN_DIR/events with its time so
# the outage and the plots line up with what was done:
#   link-down   the client's interface goes down: the client sees carrier
#               loss and its routes over that interface vanish
#   blackhole   the path's router silently drops everything, both ways; the
#               client's link stays up and nothing tells it
# fault_restore undoes whichever fault the path has. fault_at arms a fault
# to strike at a byte mark of a running transfer.
#
# Faults on MPTCP signalling, made by a router's nftables or iptables:
#   fault_drop_add_addr      the first N ADD_ADDRs toward the client dropped
#   fault_drop_add_addr_echo every ADD_ADDR echo toward the server dropped
#   fault_refuse_join        every MP_JOIN SYN reset or dropped
#   fault_strip_mptcp        the MPTCP option stripped, as some middleboxes do
#   fault_corrupt_payload    one payload byte flipped, the TCP checksum kept
# each with its _end that undoes it now (teardown undoes it anyway).

# A deliberate change on a path (a fault, a restore, an endpoint change),
# on the timeline (harness_event) and as the facts fault.<path>.<kind>_ms
# and fault.last_ms. $1: kind, $2: path, $3...: detail ("at MS" first: the
# moment it happened, when that was before now)
fault_event() {
	harness_event "$@"
	fact_set "fault.$2.$1_ms" "$HARNESS_EVENT_MS"
	fact_set "fault.last_ms" "$HARNESS_EVENT_MS"
}

# No state dump here: it takes a few hundred ms on a loaded machine and
# would make every fault late. The recipes dump the state at moments when
# nothing waits on them (obs_snapshot).

# A fault is applied by `ip -batch` processes that read their commands on
# stdin: fault_at starts them ahead of time, already in their namespace,
# and feeds them at the mark (nft was tried for the blackhole: it does its
# work after reading its input, 100 ms and more on a loaded machine). The
# blackhole is a FIB rule on the router that drops whatever comes from our
# address ranges, both families, silently (no ICMP): one executor per
# family, since a batch has one.
#   link-down   client: link set pI down
#   blackhole   rI: rule add pref 5 from <range> blackhole, v4 and v6
# The families a fault needs an executor for. $1: kind
__fault_families() {
	case $1 in
	link-down) echo 4 ;;
	blackhole) echo '4 6' ;;
	esac
}

# $1: kind, $2: path, $3: family
__fault_executor() {
	local ns fam=()
	[[ $3 == 6 ]] && fam=(-6)
	case $1 in
	link-down) topo_ns_to ns client ;;
	blackhole) topo_ns_to ns "r$2" ;;
	esac
	exec ip "${fam[@]}" -n "$ns" -batch -
}

# What the executor of a family is fed. $1: kind, $2: path, $3: family,
# $4: add|del
__fault_script() {
	case $1.$3 in
	link-down.4) printf 'link set p%d %s\n' "$2" "$([[ ${4:-add} == add ]] && echo down || echo up)" ;;
	blackhole.4) printf 'rule %s pref 5 from 198.18.0.0/15 blackhole\n' "${4:-add}" ;;
	blackhole.6) printf 'rule %s pref 5 from 2001:db8::/32 blackhole\n' "${4:-add}" ;;
	esac
}

# Apply or undo a fault now. $1: kind, $2: path, $3: add|del
__fault_now() {
	local fam rc=0
	for fam in $(__fault_families "$1"); do
		__fault_script "$1" "$2" "$fam" "$3" | (__fault_executor "$1" "$2" "$fam") || rc=1
	done
	return "$rc"
}

# The fault is in place: remember it for fault_restore. $1: kind, $2: path
__fault_applied() {
	printf '%s\n' "$1" >"$MPTH_RUN_DIR/fault.p$2"
	defer fault_restore "$2"
}

# $1: path index
fault_link_down() {
	fault_event link-down "$1"
	__fault_now link-down "$1" add || return 1
	__fault_applied link-down "$1"
}

# $1: path index
fault_blackhole() {
	fault_event blackhole "$1"
	__fault_now blackhole "$1" add || return 1
	__fault_applied blackhole "$1"
}

# Bring a client interface back with its addresses and routes, as they
# were built. Idempotent. $1: path index
__fault_client_path_up() {
	local i=$1 cns
	topo_ns_to cns client
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
	# and waits a second to send it again. One ping process that retries
	# by itself (every 50 ms, 3 s at most), not a fork per try.
	ip netns exec "$cns" ping -c 1 -w 3 -i 0.05 -q -I "$(topo_addr "$i" client)" \
		"$(topo_addr "$i" rc)" >/dev/null 2>&1 ||
		log_warn "path $i: router unreachable after the link came back"
}

# $1: path index
fault_restore() {
	local i=$1 kind f=$MPTH_RUN_DIR/fault.p$1
	[[ -s $f ]] || return 0
	kind=$(<"$f")
	case $kind in
	link-down) __fault_client_path_up "$i" || return 1 ;;
	blackhole) __fault_now blackhole "$i" del || return 1 ;;
	esac
	rm -f "$f"
	fault_event restore "$i" "$kind"
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

# Arm a fault: a process of ours, with the fault's commands already
# running in their namespace, blocks on a FIFO and applies the fault the
# moment a line is written to it; the bookkeeping comes after. It then
# tells the tag's event FIFO, when there is one, when the fault was in
# place ("harness struck T0 T1"; fault_wait_struck waits for that).
# Sets FAULT_TRIGGER_PID and FAULT_FIFO, the FIFO to write to. Any
# writer will do: a sample's receiver at a byte mark (fault_at), or the
# harness itself (fault_fire). $1: link-down|blackhole, $2: path, $3: tag
fault_arm() {
	local kind=$1 path=$2 tag=$3 dir fifo fd t0 t1
	case $kind in
	link-down | blackhole) ;;
	*)
		log_err "unknown fault '$kind' (want link-down or blackhole)"
		return 2
		;;
	esac
	dir=$MPTH_RUN_DIR/traffic-$tag
	mkdir -p "$dir" || return 1
	fifo=$dir/fault-p$path.fifo
	rm -f "$fifo"
	mkfifo -m 0600 "$fifo" || return 1
	# Open before any writer is told about it: a non-blocking open needs
	# a reader. The trigger inherits this end; ours closes.
	exec {fd}<>"$fifo"
	__TR_DONE[$tag.struck]=''
	(
		traffic_close_fds
		# The commands are running and in their namespace before the
		# mark: at the mark they only have to read their input.
		local cmds=() exes=() scripts=() f c
		for f in $(__fault_families "$kind"); do
			exec {c}> >(__fault_executor "$kind" "$path" "$f" >>"$dir/fault.log" 2>&1)
			cmds+=("$c") exes+=("$!")
			scripts+=("$(__fault_script "$kind" "$path" "$f" add)")
		done
		# In bidir both ends receive: the first to reach its share
		# strikes.
		read -r _ <&"$fd" || exit 1
		# Nothing between the mark and the commands: the bookkeeping
		# comes after, with the time taken before.
		t0=${EPOCHREALTIME/./}
		for c in "${!cmds[@]}"; do
			printf '%s\n' "${scripts[c]}" >&"${cmds[c]}"
			f=${cmds[c]}
			exec {f}>&-
		done
		exec {fd}>&-
		for c in "${exes[@]}"; do
			wait "$c" || exit 1
		done
		t1=${EPOCHREALTIME/./}
		fault_event "$kind" "$path" "at ${t0:0:-3}"
		__fault_applied "$kind" "$path"
		[[ ! -p $dir/events.fifo ]] ||
			printf 'harness struck %s %s %s\n' "${t0:0:-3}" "${t0:0:-3}" "${t1:0:-3}" \
				>"$dir/events.fifo"
	) &
	FAULT_TRIGGER_PID=$!
	FAULT_FIFO=$fifo
	exec {fd}>&-
	defer kill "$FAULT_TRIGGER_PID"
}

# Fire the fault armed by fault_arm now (builtins only), and wait until
# it is in place. Fails if it was not within timeout ms. $1: path, $2:
# timeout ms (5000)
fault_fire() {
	local pid=${FAULT_TRIGGER_PID:-}
	[[ -n $pid && -p ${FAULT_FIFO:-} ]] || return 1
	printf 'fire\n' >"$FAULT_FIFO"
	busywait "${2:-5000}" wait_pid_gone "$pid" || return 1
	wait "$pid" 2>/dev/null || return 1
	FAULT_TRIGGER_PID=''
	[[ -s $MPTH_RUN_DIR/fault.p$1 ]]
}

# Arm a fault to strike the moment a running transfer's receiving side got
# a number of bytes (in bidir, either side half of them): fault_arm, with
# the receiver as the writer of the FIFO (c-samples/notify.h, "mark N
# FILE"). The fault lands at its mark whatever the harness is doing
# meanwhile. $1: link-down|blackhole, $2: path, $3: tag, $4: bytes
fault_at() {
	fault_arm "$1" "$2" "$3" || return
	traffic_arm "$3" "$4" "$FAULT_FIFO"
}

# $1: tag
__fault_struck() {
	[[ -n ${__TR_DONE[$1.struck]:-} ]]
}

# Wait for the fault armed by fault_at on a run to be in place. Sets
# FAULT_MS (epoch ms when it was applied) and FAULT_DONE_MS (when its
# command had returned). Fails when it did not strike within timeout ms
# (the trigger is then disarmed). $1: tag, $2: timeout ms
fault_wait_struck() {
	local pid=${FAULT_TRIGGER_PID:-}
	[[ -n $pid ]] || return 1
	if ! traffic_until "$1" "${2:-20000}" __fault_struck "$1"; then
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		FAULT_TRIGGER_PID=''
		return 1
	fi
	wait "$pid" 2>/dev/null
	FAULT_TRIGGER_PID=''
	# shellcheck disable=SC2034 # results, read by the caller
	read -r FAULT_MS FAULT_DONE_MS <<<"${__TR_DONE[$1.struck]}"
}

# Router i drops the first n packets carrying an ADD_ADDR (MPTCP option 30,
# subtype 3) that it forwards toward the client; later ones pass. The
# echoes travel the other way and are never touched. Counters "seen" and
# "dropped" (obs_nft_counter). $1: path, $2: n
fault_drop_add_addr() {
	local i=$1 n=$2
	ip netns exec "$(topo_ns "r$i")" nft -f - <<-NFT || return 1
		table inet mpth_add_addr {
			counter seen { }
			counter dropped { }
			chain forward_to_client {
				type filter hook forward priority -50; policy accept;
				oifname "c" tcp option mptcp subtype 3 counter name "seen" numgen inc mod 1000000000 < $n counter name "dropped" drop
			}
		}
	NFT
	defer ip netns exec "$(topo_ns "r$i")" nft delete table inet mpth_add_addr
	fault_event drop-add-addr "$i" "first $n"
}

# Router i refuses every MP_JOIN SYN (MPTCP option 30, subtype 1, on a
# SYN) that it forwards toward the server: answered with a TCP reset
# (reset) or silently dropped (drop). Other packets pass. Counter
# "refused" (obs_nft_counter). $1: path, $2: reset|drop
fault_refuse_join() {
	local i=$1 verdict
	case $2 in
	reset) verdict='reject with tcp reset' ;;
	drop) verdict=drop ;;
	*)
		log_err "fault_refuse_join: reset or drop, not '$2'"
		return 2
		;;
	esac
	# Called again, it starts afresh: the old table and counter go.
	ip netns exec "$(topo_ns "r$i")" nft -f - <<-NFT || return 1
		table inet mpth_refuse_join { }
		delete table inet mpth_refuse_join
		table inet mpth_refuse_join {
			counter refused { }
			chain forward_to_server {
				type filter hook forward priority -50; policy accept;
				iifname "c" tcp flags & (syn | ack) == syn tcp option mptcp subtype 1 counter name "refused" $verdict
			}
		}
	NFT
	defer ip netns exec "$(topo_ns "r$i")" nft delete table inet mpth_refuse_join
	fault_event refuse-join "$i" "$2"
}

# Router i flips the first payload byte of one data segment it forwards
# toward the server: the Nth from now with more than 500 bytes. nftables
# keeps the TCP checksum right (an inner-header write updates it), so TCP
# takes the segment and only MPTCP's DSS checksum can tell. Counter
# "corrupted" (obs_nft_counter). $1: path, $2: N (default 1)
fault_corrupt_payload() {
	local i=$1 n=${2:-1}
	[[ $n =~ ^[1-9][0-9]*$ ]] || {
		log_err "fault_corrupt_payload: N must be a positive count, not '$n'"
		return 2
	}
	ip netns exec "$(topo_ns "r$i")" nft -f - <<-NFT || return 1
		table inet mpth_corrupt { }
		delete table inet mpth_corrupt
		table inet mpth_corrupt {
			counter corrupted { }
			chain forward_to_server {
				type filter hook forward priority -50; policy accept;
				iifname "c" meta l4proto tcp meta length > 500 numgen inc mod 1000000000 == $((n - 1)) counter name "corrupted" @ih,0,16 set @ih,0,16 ^ 0xff00
			}
		}
	NFT
	defer ip netns exec "$(topo_ns "r$i")" nft delete table inet mpth_corrupt
	fault_event corrupt-payload "$i" "segment $n"
}

# Router i drops every ADD_ADDR it forwards toward the server: from the
# client, that is each echo, so the announcing server resends its
# ADD_ADDR until its retransmission cap. Counter "dropped"
# (obs_nft_counter, table mpth_add_addr_echo). $1: path
fault_drop_add_addr_echo() {
	ip netns exec "$(topo_ns "r$1")" nft -f - <<-NFT || return 1
		table inet mpth_add_addr_echo {
			counter dropped { }
			chain forward_to_server {
				type filter hook forward priority -50; policy accept;
				iifname "c" tcp option mptcp subtype 3 counter name "dropped" drop
			}
		}
	NFT
	defer ip netns exec "$(topo_ns "r$1")" nft delete table inet mpth_add_addr_echo
	fault_event drop-add-addr-echo "$1" ''
}

# Router i forwards ADD_ADDR echoes again. $1: path
fault_drop_add_addr_echo_end() {
	ip netns exec "$(topo_ns "r$1")" nft delete table inet mpth_add_addr_echo &&
		fault_event drop-add-addr-echo-end "$1" ''
}

# Router i lets MP_JOIN SYNs pass again. $1: path
fault_refuse_join_end() {
	ip netns exec "$(topo_ns "r$1")" nft delete table inet mpth_refuse_join &&
		fault_event refuse-join-end "$1" ''
}

# Router i forwards ADD_ADDRs untouched again. $1: path
fault_drop_add_addr_end() {
	ip netns exec "$(topo_ns "r$1")" nft delete table inet mpth_add_addr &&
		fault_event drop-add-addr-end "$1" ''
}

# A router of a path strips the MPTCP option (kind 30) from TCP packets,
# as some firewalls and NATs do. Options:
#   --on syn        only SYNs without ACK (the client's MP_CAPABLE)
#   --on synack     only SYN/ACKs (the server's MP_CAPABLE)
#   --on after:N    every packet once the connection has carried N bytes
#                   (both directions, headers included; needs connbytes)
#   --on packet:N   every packet from the connection's Nth on (both
#                   directions: 4 is the first data packet after the
#                   three-way handshake; needs connbytes)
#   --on all        every packet
#   --dir up|down|both   client-to-server, server-to-client (default both)
# $1: path index. Undone at teardown.
fault_strip_mptcp() {
	local path=$1 on=all dir=both match=() rns
	shift
	while (($#)); do
		case $1 in
		--on) on=$2 ;;
		--dir) dir=$2 ;;
		*)
			log_err "fault_strip_mptcp: unknown option '$1'"
			return 2
			;;
		esac
		shift 2 || { log_err "fault_strip_mptcp: $1 needs a value"; return 2; }
	done
	case $on in
	syn) match=(--syn) ;;
	synack)
		# shellcheck disable=SC2054 # iptables' flag lists are comma-separated
		match=(--tcp-flags SYN,ACK SYN,ACK)
		;;
	after:[0-9]*)
		match=(-m connbytes --connbytes "${on#after:}:" --connbytes-dir both
			--connbytes-mode bytes)
		;;
	packet:[0-9]*)
		match=(-m connbytes --connbytes "${on#packet:}:" --connbytes-dir both
			--connbytes-mode packets)
		;;
	all) ;;
	*)
		log_err "fault_strip_mptcp: --on wants syn, synack, after:N, packet:N or all, got '$on'"
		return 2
		;;
	esac
	case $dir in
	up) match+=(-i c) ;;
	down) match+=(-i s) ;;
	both) ;;
	*)
		log_err "fault_strip_mptcp: --dir wants up, down or both, got '$dir'"
		return 2
		;;
	esac
	topo_ns_to rns "r$path"
	ip netns exec "$rns" iptables -t mangle -A FORWARD -p tcp "${match[@]}" \
		-j TCPOPTSTRIP --strip-options 30 || return 1
	defer ip netns exec "$rns" iptables -t mangle -F FORWARD
	harness_event strip-mptcp "$path" "on $on, $dir"
}

# Packets the stripping rules of a path have matched. $1: path index
fault_strip_count() {
	ip netns exec "$(topo_ns "r$1")" iptables -t mangle -L FORWARD -vnx 2>/dev/null |
		awk '/TCPOPTSTRIP/ { n += $1 } END { print n + 0 }'
}

# Remove a path's stripping rules now. $1: path index
fault_strip_end() {
	ip netns exec "$(topo_ns "r$1")" iptables -t mangle -F FORWARD
	harness_event strip-cleared "$1"
}
