# shellcheck shell=bash
# Applications: programs the harness did not write (iperf3, socat, a
# user's own client or server, clients in other languages), run in a
# role's namespace. mptcpd has its own module (mptcpd.sh), the userspace
# path manager too (uspm.sh), and the middlebox that strips the MPTCP
# option is a fault (fault_strip_mptcp).
#
# Every process started here has its files in a traffic directory
# ($MPTH_RUN_DIR/traffic-<tag>/<name>.{pid,log,rc}), so the harness's
# collection, traffic_wait and traffic_stop treat it like the c-samples.

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
		assert_fail "no verdict from our server (exit $src): the transfer did not finish" || return
	fi
	if [[ $mism != -1 ]]; then
		assert_fail "data corrupted: our server found the first mismatch at byte offset $mism (server exit $src)" || return
	fi
	if [[ $src != 0 ]]; then
		assert_fail "our server reports a failed transfer: exit $src ($(traffic_json server '.conns[0].error // .error' "$tag"))" || return
	fi
	assert_num "bytes our server received and verified" "$got" -eq "$want"
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

