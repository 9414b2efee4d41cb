# shellcheck shell=bash
# Applications: programs the harness did not write (iperf3, socat, mptcpd,
# a user's own client or server, clients in other languages), run in a
# role's namespace, plus the userspace path manager through our
# mptcp-pm-ctl and middleboxes that strip the MPTCP option.
#
# Every process started here has its files in a traffic directory
# ($MPTH_RUN_DIR/traffic-<tag>/<name>.{pid,log,rc}), so the harness's
# collection, traffic_wait and traffic_stop treat it like the c-samples.

APP_PM_CTL=${APP_PM_CTL:-$MPTH_SAMPLES/mptcp-pm-ctl}

# Record a timed event in the scenario's event log, as the faults do.
# $1: kind, $2: where (a path index or a role), $3...: detail
__app_event() {
	printf '%s\t%s\t%s\t%s\n' "$(now_ms)" "$1" "$2" "${*:3}" >>"$MPTH_RUN_DIR/events"
	harness_note "event: $1 on $2${3:+ (${*:3})}"
}

# $1: role, $2: port, $3: count. True once ss -M shows that many subflows.
app_ssm_reached() {
	(($(app_ssm_max_subflows "$1" "$2") >= $3))
}

# Start any command in a role's namespace, in the background. Options:
#   --tag T         traffic directory (default: app)
#   --name N        file names in it (default: the role)
#   --mptcpize      run it under `mptcpize run`: its TCP sockets become
#                   MPTCP ones, without changing the program
#   --env K=V       environment (repeatable)
#   --stdout FILE   stdout to this file of the directory (default N.log,
#                   which also gets stderr)
# $1: role, $2...: command. The pid is in <dir>/N.pid; app_wait reaps it.
app_start() {
	local tag=app name='' wrap=() envs=() out='' role dir ns
	while (($#)); do
		case $1 in
		--tag) tag=$2; shift ;;
		--name) name=$2; shift ;;
		--mptcpize) wrap=(mptcpize run) ;;
		--env) envs+=("$2"); shift ;;
		--stdout) out=$2; shift ;;
		--) shift; break ;;
		-*)
			log_err "app_start: unknown option '$1'"
			return 2
			;;
		*) break ;;
		esac
		shift
	done
	role=$1
	shift
	(($#)) || { log_err "app_start: no command"; return 2; }
	name=${name:-$role}
	dir=$MPTH_RUN_DIR/traffic-$tag
	mkdir -p "$dir" || return 1
	printf '%q ' "${wrap[@]}" "$@" >"$dir/$name.cmd"
	# ip itself, not the in_ns function, and exec'd: the subshell's pid
	# is the program's (ip netns exec and env exec it), so $! is the
	# program.
	# Without our ends of the traffic FIFOs: a program holding one would
	# keep a sample from noticing that the harness went away.
	topo_ns_to ns "$role"
	if [[ -n $out ]]; then
		(
			traffic_close_fds
			exec ip netns exec "$ns" env "${envs[@]}" "${wrap[@]}" "$@" \
				>"$dir/$out" 2>"$dir/$name.log" 3>&-
		) &
	else
		(
			traffic_close_fds
			exec ip netns exec "$ns" env "${envs[@]}" "${wrap[@]}" "$@" \
				>"$dir/$name.log" 2>&1 3>&-
		) &
	fi
	echo $! >"$dir/$name.pid"
	defer app_stop "$tag" "$name"
	log_debug "app $tag/$name in $role: $*"
}

# Stop a process started by app_start: SIGTERM, then SIGKILL. Idempotent.
# $1: tag, $2: name
app_stop() {
	local f=$MPTH_RUN_DIR/traffic-$1/$2.pid pid
	[[ -s $f ]] || return 0
	pid=$(<"$f")
	kill -TERM "$pid" 2>/dev/null
	busywait 1000 wait_pid_gone "$pid" || kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null || true
	[[ -s ${f%.pid}.rc ]] || echo stopped >"${f%.pid}.rc"
	rm -f "$f"
}

# True while an app runs. $1: tag, $2: name
app_running() {
	local f=$MPTH_RUN_DIR/traffic-$1/$2.pid
	[[ -s $f ]] && ! wait_pid_gone "$(<"$f")"
}

# Wait for an app to exit; its exit code lands in <dir>/N.rc, "timeout"
# when it had to be killed. $1: tag, $2: name, $3: timeout ms (30000)
app_wait() {
	local tag=$1 name=$2 f pid rc=0
	f=$MPTH_RUN_DIR/traffic-$tag/$name.pid
	[[ -s $f ]] || return 0
	pid=$(<"$f")
	if ! busywait "${3:-30000}" wait_pid_gone "$pid"; then
		app_stop "$tag" "$name"
		echo timeout >"${f%.pid}.rc"
		return 1
	fi
	wait "$pid" 2>/dev/null || rc=$?
	echo "$rc" >"${f%.pid}.rc"
	rm -f "$f"
}

# Exit code of a finished app ("none" if it never ran). $1: tag, $2: name
app_rc() {
	cat "$MPTH_RUN_DIR/traffic-$1/$2.rc" 2>/dev/null || echo none
}

# $1: role, $2: port. True once something listens on the port.
__app_listening() {
	in_ns "$1" ss -Hltn "sport = :$2" 2>/dev/null | grep -q .
}

# Wait until a server listens. $1: role, $2: port, $3: timeout ms (5000)
app_wait_listen() {
	busywait "${3:-5000}" __app_listening "$1" "$2"
}

# Run a user's own client against our mptcp-server, which verifies every
# byte of the harness's pattern (see c-samples/proto.h). Options:
#   --tag T  --bytes N  --seed S  --to-path I  --family 4|6
#   --server-type mptcp|tcp   what our server listens with
#   --mptcpize                run the client under mptcpize
#   --env K=V                 environment for the client (repeatable)
# $@ after the options (or after --): the client command. These words in
# it are replaced: {host} {port} {bytes} {seed}. The client's stdout and
# stderr go to client.log; our server writes server.json and
# server.timeline and pushes its events as with traffic_start, so
# traffic_wait, traffic_mark, traffic_progress, traffic_outage_ms and
# app_assert_verified all work on the tag. Our server holds its verdict
# until traffic_wait: the client, waiting for it, keeps the connection up
# for whatever the scenario looks at before (ss -M), however late.
app_traffic() {
	local tag='' bytes=4M seed=${MPTH_SEED:-1} to=1 fam=4 stype=mptcp
	local wrap=() envs=() dir port host total n w cmd=()
	while (($#)); do
		case $1 in
		--tag) tag=$2 ;;
		--bytes) bytes=$2 ;;
		--seed) seed=$2 ;;
		--to-path) to=$2 ;;
		--family) fam=$2 ;;
		--server-type) stype=$2 ;;
		--mptcpize) wrap=(--mptcpize); shift; continue ;;
		--env) envs+=(--env "$2") ;;
		--) shift; break ;;
		-*)
			log_err "app_traffic: unknown option '$1'"
			return 2
			;;
		*) break ;;
		esac
		shift 2 || { log_err "app_traffic: $1 needs a value"; return 2; }
	done
	(($#)) || { log_err "app_traffic: no client command"; return 2; }
	if [[ -z $tag ]]; then
		n=$(($(fact_get traffic.count || echo 0) + 1))
		fact_set traffic.count "$n"
		tag=t$n
	fi
	total=$(traffic_size_bytes "$bytes")
	dir=$MPTH_RUN_DIR/traffic-$tag
	mkdir -p "$dir" || return 1
	fact_set traffic.last "$tag"
	fact_set "$tag.mode" upload
	fact_set "$tag.total" "$total"
	fact_set "$tag.seed" "$seed"
	[[ -x $MPTH_SAMPLES/mptcp-server ]] || {
		log_err "c-samples not built in $MPTH_SAMPLES (run: make -C c-samples)"
		return 1
	}
	traffic_open_channel "$tag" upload || return 1
	app_start --tag "$tag" server "$MPTH_SAMPLES/mptcp-server" -t "$stype" \
		-p 0 --ready "$dir/server.port" -n 1 --hold-result \
		--events "$dir/events.fifo" --control "$dir/server.ctl" \
		-j "$dir/server.json" --timeline "$dir/server.timeline" || return 1
	traffic_watch_pid "$tag" server "$(<"$dir/server.pid")"
	if ! traffic_wait_listening "$tag" 5000; then
		log_err "server did not start listening within 5 s; its log:"
		sed 's/^/  server: /' "$dir/server.log" >&2
		return 1
	fi
	port=$(<"$dir/server.port")
	topo_addr_to host "$to" server "$fam"
	fact_set "$tag.port" "$port"
	for w in "$@"; do
		w=${w//\{host\}/$host}
		w=${w//\{port\}/$port}
		w=${w//\{bytes\}/$total}
		w=${w//\{seed\}/$seed}
		cmd+=("$w")
	done
	fact_set "$tag.start_ms" "$(now_ms)"
	app_start --tag "$tag" --name client "${wrap[@]}" "${envs[@]}" client "${cmd[@]}"
}

# Our server verified a user client's upload: it exited 0, found no
# mismatch and received exactly the bytes asked for. $1: tag
app_assert_verified() {
	local tag=$1 src mism got want
	src=$(app_rc "$tag" server)
	mism=$(traffic_json server '.mismatch_offset' "$tag")
	fact_var want "$tag.total"
	got=$(traffic_json server '.bytes_received' "$tag")
	if [[ $mism == missing ]]; then
		__assert_fail "no verdict from our server (exit $src): the transfer did not finish"
		return 1
	fi
	if [[ $mism != -1 ]]; then
		__assert_fail "data corrupted: our server found the first mismatch at byte offset $mism (server exit $src)"
		return 1
	fi
	if [[ $src != 0 ]]; then
		__assert_fail "our server reports a failed transfer: exit $src ($(traffic_json server '.conns[0].error // .error' "$tag"))"
		return 1
	fi
	expect "bytes our server received and verified" "$got" -eq "$want"
}

# Largest subflow count (joins + 1) that ss -M shows among a role's MPTCP
# connections on a port. $1: role, $2: port
app_ssm_max_subflows() {
	local n
	n=$(in_ns "$1" ss -HMni "( dport = :$2 or sport = :$2 )" 2>/dev/null |
		grep -o 'subflows:[0-9]*' | cut -d: -f2 | sort -n | tail -n1)
	# A connection without joins prints no "subflows:" field.
	if [[ -z $n ]]; then
		in_ns "$1" ss -HMn "( dport = :$2 or sport = :$2 )" 2>/dev/null |
			grep -q ESTAB && echo 1 || echo 0
		return
	fi
	echo $((n + 1))
}

# A MIB counter's change since a snapshot taken with obs_mib_save.
# $1: role, $2: snapshot file, $3: counter
app_mib_since() {
	local v
	v=$(obs_mib_delta "$1" "$2" | awk -v n="$3" '$1 == n { print $2 }')
	echo "${v:-0}"
}

# Clients in other languages (c-samples/lang/): each speaks our protocol
# and reports its own MPTCP_INFO as one JSON line on stdout.

# Build the Rust client offline, with Debian's toolchain and crates (see
# c-samples/lang/rust/.cargo/config.toml), and print its path. The build
# is cached under c-samples/build/.
app_rust_client_build() {
	local dir=$MPTH_ROOT/c-samples/lang/rust out=$MPTH_SAMPLES/rust-target
	local cargo rustc log
	cargo=$(command -v /usr/bin/cargo cargo | head -n1)
	rustc=$(command -v /usr/bin/rustc rustc | head -n1)
	[[ -n $cargo && -n $rustc ]] || {
		log_err "no Rust toolchain (packages cargo, rustc)"
		return 1
	}
	# Cargo finds .cargo/config.toml from its working directory.
	log=$(cd "$dir" && CARGO_HOME=$MPTH_SAMPLES/cargo-home RUSTC=$rustc \
		"$cargo" build --release --offline --quiet --target-dir "$out" 2>&1) || {
		printf '%s\n' "$log" >&2
		log_err "building the Rust client failed"
		return 1
	}
	echo "$out/release/mpth-client-rs"
}

# The JSON line a language client printed, or a field of it.
# $1: tag, $2: jq filter (default .)
app_client_report() {
	grep '^{' "$MPTH_RUN_DIR/traffic-$1/client.log" 2>/dev/null | tail -n1 |
		jq -r "${2:-.}" 2>/dev/null
}

# mptcpd

# The directory of mptcpd's plugins (it holds addr_adv.so).
__app_mptcpd_plugins() {
	local d
	for d in /usr/lib/*/mptcpd /usr/lib/mptcpd /usr/local/lib/mptcpd \
		/usr/local/lib/*/mptcpd; do
		[[ -e $d/addr_adv.so ]] && { echo "$d"; return 0; }
	done
	return 1
}

# Run mptcpd in a role's namespace with the in-kernel path manager and
# its addr_adv plugin: every address of the namespace (existing ones, and
# those that come and go later) becomes an MPTCP endpoint, or stops being
# one, as on a phone that joins and leaves Wi-Fi. It needs no D-Bus; it
# talks generic netlink and rtnetlink only. Logs to traffic-mptcpd/<role>.log.
# $1: role, $2...: extra mptcpd options (default --addr-flags=subflow)
app_mptcpd_start() {
	local role=$1 plugins flags=(--addr-flags=subflow) log
	shift
	(($#)) && flags=("$@")
	plugins=$(__app_mptcpd_plugins) || {
		log_err "mptcpd's addr_adv plugin not found"
		return 1
	}
	app_start --tag mptcpd "$role" /usr/libexec/mptcpd --log=stderr \
		--plugin-dir="$plugins" --path-manager=addr_adv \
		--load-plugins=addr_adv \
		--notify-flags=existing,skip_link_local,skip_loopback "${flags[@]}" || return 1
	log=$MPTH_RUN_DIR/traffic-mptcpd/$role.log
	# It has read the addresses once the plugin says it is up.
	if ! busywait 5000 grep -qs 'path manager initialized' "$log"; then
		log_err "mptcpd did not start in $role; its log:"
		sed 's/^/  mptcpd: /' "$log" >&2
		return 1
	fi
	__app_event mptcpd-started "$role"
}

# Stop mptcpd cleanly (SIGTERM) and say whether it exited by itself.
# $1: role. Returns 1 if it had to be killed or had died before.
app_mptcpd_stop() {
	local role=$1 f pid rc=0
	f=$MPTH_RUN_DIR/traffic-mptcpd/$role.pid
	[[ -s $f ]] || return 1
	pid=$(<"$f")
	kill -0 "$pid" 2>/dev/null || { app_wait mptcpd "$role" 100; return 1; }
	kill -TERM "$pid"
	app_wait mptcpd "$role" 3000 || rc=1
	__app_event mptcpd-stopped "$role" "exit $(app_rc mptcpd "$role")"
	return "$rc"
}

# Endpoints of a role as "address flags..." lines. $1: role
app_endpoints() {
	in_ns "$1" ip mptcp endpoint show 2>/dev/null
}

# The userspace path manager, with c-samples/build/mptcp-pm-ctl.

# Build mptcp-pm-ctl if it is not there (it needs libmnl-dev).
app_pm_ctl_build() {
	[[ -x $APP_PM_CTL ]] && return 0
	local log
	log=$(make -C "$MPTH_ROOT/c-samples/pm-ctl" -s O="$(dirname "$APP_PM_CTL")" 2>&1) || {
		printf '%s\n' "$log" >&2
		log_err "building mptcp-pm-ctl failed"
		return 1
	}
}

# Hand a role's connections to the userspace path manager.
# $1: role
app_pm_userspace() {
	local role=$1
	# 6.15 renamed the knob; pm_type still works there.
	in_ns "$role" sysctl -qw net.mptcp.path_manager=userspace 2>/dev/null ||
		in_ns "$role" sysctl -qw net.mptcp.pm_type=1
}

# Listen to a role's MPTCP events: one JSON line each in
# traffic-pm/<role>.events. Returns once subscribed.
# $1: role
app_pm_listen() {
	local role=$1 dir=$MPTH_RUN_DIR/traffic-pm
	app_pm_ctl_build || return 1
	mkdir -p "$dir"
	app_start --tag pm --name "$role-listen" --stdout "$role.events.log" "$role" \
		"$APP_PM_CTL" listen --ready "$dir/$role.ready" || return 1
	wait_file 5000 "$dir/$role.ready" || {
		log_err "mptcp-pm-ctl listen did not start in $role:"
		sed 's/^/  pm-ctl: /' "$dir/$role-listen.log" >&2
		return 1
	}
}

# Events a role's listener has seen, as JSON lines, filtered by a jq
# condition on each event. $1: role, $2: condition (default: true)
app_pm_events() {
	jq -c "select(${2:-true})" "$MPTH_RUN_DIR/traffic-pm/$1.events.log" 2>/dev/null
}

declare -gA __APP_PM_FD=()

# True when a role's listener wrote something since the last call (always
# on the first): read with bash builtins, so a wait forks only when an
# event came. $1: role
__app_pm_new() {
	local fd=${__APP_PM_FD[$1]:-} line got=1
	if [[ -z $fd ]]; then
		exec {fd}<"$MPTH_RUN_DIR/traffic-pm/$1.events.log" || return 1
		__APP_PM_FD[$1]=$fd
		got=0
	fi
	while IFS= read -r line <&"$fd"; do
		got=0
	done
	# A line still being written counts once it is whole.
	[[ -z $line ]] || got=0
	return "$got"
}

# $1: role, $2: condition
__app_pm_seen() {
	__app_pm_new "$1" && [[ -n $(app_pm_events "$1" "$2") ]]
}

# Wait for an event and print the first that matches.
# $1: role, $2: jq condition (e.g. '.event == "established"'), $3: ms
app_pm_wait_event() {
	busywait "${3:-5000}" __app_pm_seen "$1" "$2" || return 1
	app_pm_events "$1" "$2" | head -n1
}

# Send one command to a role's userspace PM; logged with its result in
# the event log. $1: role, $2...: mptcp-pm-ctl arguments
app_pm_cmd() {
	local role=$1 out rc=0
	shift
	out=$(in_ns "$role" "$APP_PM_CTL" "$@" 2>&1) || rc=$?
	__app_event "pm-$1" "$role" "${*:2}" "-> exit $rc${out:+: $out}"
	printf '%s\t%s\t%s\n' "$*" "$rc" "$out" >>"$MPTH_RUN_DIR/traffic-pm/commands"
	return "$rc"
}

# Middleboxes

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
app_strip_mptcp() {
	local path=$1 on=all dir=both match=() rns
	shift
	while (($#)); do
		case $1 in
		--on) on=$2 ;;
		--dir) dir=$2 ;;
		*)
			log_err "app_strip_mptcp: unknown option '$1'"
			return 2
			;;
		esac
		shift 2 || { log_err "app_strip_mptcp: $1 needs a value"; return 2; }
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
		log_err "app_strip_mptcp: --on wants syn, synack, after:N, packet:N or all, got '$on'"
		return 2
		;;
	esac
	case $dir in
	up) match+=(-i c) ;;
	down) match+=(-i s) ;;
	both) ;;
	*)
		log_err "app_strip_mptcp: --dir wants up, down or both, got '$dir'"
		return 2
		;;
	esac
	topo_ns_to rns "r$path"
	ip netns exec "$rns" iptables -t mangle -A FORWARD -p tcp "${match[@]}" \
		-j TCPOPTSTRIP --strip-options 30 || return 1
	defer ip netns exec "$rns" iptables -t mangle -F FORWARD
	__app_event strip-mptcp "$path" "on $on, $dir"
}

# Packets the stripping rules of a path have matched. $1: path index
app_strip_count() {
	ip netns exec "$(topo_ns "r$1")" iptables -t mangle -L FORWARD -vnx 2>/dev/null |
		awk '/TCPOPTSTRIP/ { n += $1 } END { print n + 0 }'
}

# Remove a path's stripping rules now. $1: path index
app_strip_clear() {
	ip netns exec "$(topo_ns "r$1")" iptables -t mangle -F FORWARD
	__app_event strip-cleared "$1"
}
