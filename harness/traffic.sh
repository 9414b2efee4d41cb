# shellcheck shell=bash
# Traffic: the c-samples server in the server namespace, the client in the
# client namespace, each writing its JSON summary, the server its receive
# timeline and the client its MPTCP_INFO lines. A run is named by a tag; its
# files live in $MPTH_RUN_DIR/traffic-<tag>/ and the tag of the latest run
# is the default for the helpers below.

MPTH_SAMPLES=${MPTH_SAMPLES:-$MPTH_ROOT/c-samples/build}

# Record a fact about the scenario, for the @tests to read back.
# $1: key, $2: value
fact_set() {
	printf '%s\t%s\n' "$1" "$2" >>"$MPTH_RUN_DIR/facts"
}

# Print the latest value of a fact. $1: key
fact_get() {
	awk -F'\t' -v k="$1" '$1 == k { v = $2; f = 1 } END { if (f) print v; exit !f }' \
		"$MPTH_RUN_DIR/facts" 2>/dev/null
}

# Directory of a traffic run. $1: tag (default: latest)
traffic_dir() {
	local tag=${1:-$(fact_get traffic.last)}
	printf '%s\n' "$MPTH_RUN_DIR/traffic-$tag"
}

# Start a server and a client. Options:
#   --tag NAME           name of this run (default t1, t2, ...)
#   --bytes N            bytes to transfer (K/M/G suffixes)
#   --duration MS        or transfer for a time
#   --mode M             upload (default), download, bidir
#   --family 4|6         address family (default 4)
#   --type mptcp|tcp     what the client asks for (default mptcp)
#   --server-type T      what the server listens with (default mptcp)
#   --connections N      parallel connections (default 1)
#   --to-path I          connect to the server's address on path I (default 1)
#   --seed S             pattern seed (default: the run's seed)
#   --corrupt-at OFF     the client corrupts the byte at OFF (self-tests)
#   --client-env K=V     environment for the client (repeatable)
#   --timeout MS         the client gives up after MS (default 120000)
traffic_start() {
	local tag='' bytes='' duration='' mode=upload fam=4 ctype=mptcp stype=mptcp
	local conns=1 to=1 seed=${MPTH_SEED:-1} corrupt='' dir port n cenv=() timeout=120000
	while (($#)); do
		case $1 in
		--tag) tag=$2 ;;
		--bytes) bytes=$2 ;;
		--duration) duration=$2 ;;
		--mode) mode=$2 ;;
		--family) fam=$2 ;;
		--type) ctype=$2 ;;
		--server-type) stype=$2 ;;
		--connections) conns=$2 ;;
		--to-path) to=$2 ;;
		--seed) seed=$2 ;;
		--corrupt-at) corrupt=$2 ;;
		--client-env) cenv+=("$2") ;;
		--timeout) timeout=$2 ;;
		*)
			log_err "traffic_start: unknown option '$1'"
			return 2
			;;
		esac
		shift 2 || { log_err "traffic_start: $1 needs a value"; return 2; }
	done
	if [[ -z $tag ]]; then
		n=$(($(fact_get traffic.count || echo 0) + 1))
		fact_set traffic.count "$n"
		tag=t$n
	fi
	dir=$MPTH_RUN_DIR/traffic-$tag
	mkdir -p "$dir" || return 1
	fact_set traffic.last "$tag"
	fact_set "$tag.mode" "$mode"
	fact_set "$tag.connections" "$conns"

	[[ -x $MPTH_SAMPLES/mptcp-server && -x $MPTH_SAMPLES/mptcp-client ]] || {
		log_err "c-samples not built in $MPTH_SAMPLES (run: make -C c-samples)"
		return 1
	}
	# The server binds port 0 and tells us which port it got, so two runs
	# (or a busy port) never collide.
	in_ns_bg server "$MPTH_SAMPLES/mptcp-server" -t "$stype" -p 0 \
		--ready "$dir/server.port" -n "$conns" \
		-j "$dir/server.json" --timeline "$dir/server.timeline" \
		>"$dir/server.log" 2>&1 3>&-
	echo "$BG_PID" >"$dir/server.pid"
	if ! wait_file 5000 "$dir/server.port"; then
		log_err "server did not start listening within 5 s; its log:"
		sed 's/^/  server: /' "$dir/server.log" >&2
		return 1
	fi
	port=$(<"$dir/server.port")
	fact_set "$tag.port" "$port"

	# Always bounded: an MPTCP connection can outlive all its subflows,
	# and a client waiting on it would wait forever.
	local args=(-t "$ctype" -m "$mode" -s "$seed" -c "$conns" --timeout "$timeout"
		-j "$dir/client.json" --info "$dir/client.info" --info-interval 50)
	if [[ -n $duration ]]; then
		args+=(-d "$duration")
	else
		args+=(-b "${bytes:-16M}")
	fi
	[[ -z $corrupt ]] || args+=(--corrupt-at "$corrupt")
	[[ $mode == upload ]] || args+=(--timeline "$dir/client.timeline")
	fact_set "$tag.start_ms" "$(now_ms)"
	in_ns_bg client env "${cenv[@]}" "$MPTH_SAMPLES/mptcp-client" "${args[@]}" \
		"$(topo_addr "$to" server "$fam")" "$port" \
		>"$dir/client.log" 2>&1 3>&-
	echo "$BG_PID" >"$dir/client.pid"
}

# True while the client of a run is still running. $1: tag
traffic_running() {
	local dir
	dir=$(traffic_dir "${1:-}")
	[[ -s $dir/client.pid ]] && kill -0 "$(<"$dir/client.pid")" 2>/dev/null
}

# $1: pid file, $2: rc file, $3: deadline in ms since the epoch
__traffic_reap() {
	local pid rc=0
	[[ -s $1 ]] || return 0
	pid=$(<"$1")
	while kill -0 "$pid" 2>/dev/null; do
		if (($(now_ms) >= $3)); then
			# What the sockets looked like when it hung, for the report.
			obs_snapshot "hung-$(basename "$(dirname "$1")")-$(basename "$1" .pid)" 2>/dev/null
			kill -TERM "$pid" 2>/dev/null
			sleep 0.2
			kill -KILL "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
			echo timeout >"$2"
			rm -f "$1"
			return 1
		fi
		sleep 0.05
	done
	wait "$pid" 2>/dev/null || rc=$?
	echo "$rc" >"$2"
	rm -f "$1"
}

# Wait for a run to finish. Exit codes land in client.rc and server.rc
# ("timeout" when killed); the assertions judge them, so this only fails
# when the deadline passed. $1: timeout ms (default 60000), $2: tag
traffic_wait() {
	local timeout=${1:-60000} dir deadline rc=0
	dir=$(traffic_dir "${2:-}")
	deadline=$(($(now_ms) + timeout))
	__traffic_reap "$dir/client.pid" "$dir/client.rc" "$deadline" || rc=1
	# The server ends by itself once its connections are done.
	__traffic_reap "$dir/server.pid" "$dir/server.rc" $(($(now_ms) + 5000)) || rc=1
	fact_set "$(basename "$dir" | sed 's/^traffic-//').end_ms" "$(now_ms)"
	((rc == 0)) || log_warn "traffic in $dir did not finish in time"
	return "$rc"
}

# Stop every run that is still going (teardown).
traffic_stop() {
	local f
	for f in "$MPTH_RUN_DIR"/traffic-*/client.pid "$MPTH_RUN_DIR"/traffic-*/server.pid; do
		[[ -s $f ]] || continue
		kill -TERM "$(<"$f")" 2>/dev/null
		rm -f "$f"
	done
}

# Bytes the server has received so far, from its timeline. $1: tag
traffic_received() {
	local dir
	dir=$(traffic_dir "${1:-}")
	awk '{ s += $2 } END { printf "%d\n", s }' "$dir/server.timeline" 2>/dev/null || echo 0
}

# Bytes to be transferred in a run, as a number. $1: size with suffix
traffic_size_bytes() {
	awk -v s="$1" 'BEGIN {
		n = s + 0; u = toupper(substr(s, length(s)))
		if (u == "K") n *= 1024; else if (u == "M") n *= 1048576
		else if (u == "G") n *= 1073741824
		printf "%d\n", n
	}'
}

# $1: byte count, $2: tag. True once the server has received that many.
__traffic_reached() {
	(($(traffic_received "${2:-}") >= $1))
}

# $1: byte count, $2: tag. Done waiting: reached, or the client is gone.
__traffic_reached_or_over() {
	__traffic_reached "$@" || ! traffic_running "${2:-}"
}

# Wait until the server has received a number of bytes. Gives up early
# when the client has already exited (a failed run need not time out).
# $1: bytes, $2: timeout ms, $3: tag
traffic_wait_received() {
	busywait "${2:-20000}" __traffic_reached_or_over "$1" "${3:-}" &&
		__traffic_reached "$1" "${3:-}"
}

# Latest subflow count the client reported for connection 0. $1: tag
traffic_client_subflows() {
	local dir
	dir=$(traffic_dir "${1:-}")
	local n
	n=$(grep '"conn":0' "$dir/client.info" 2>/dev/null | tail -n1 | jq -r '.subflows // 0' 2>/dev/null)
	echo "${n:-0}"
}

# $1: count, $2: tag
__traffic_has_subflows() {
	(($(traffic_client_subflows "${2:-}") >= $1))
}

# Wait until the client reports at least N subflows.
# $1: N, $2: timeout ms, $3: tag (default: latest)
traffic_wait_subflows() {
	busywait "${2:-5000}" __traffic_has_subflows "$1" "${3:-}"
}
