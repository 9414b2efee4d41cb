#!/usr/bin/env bash
# Run, not sourced: topo_paths's one helper process. It builds the
# namespaces, links, addresses, routes and shaping that topo_paths planned
# (the files build-* in the run directory), then waits until every path
# answers. Everything that does not depend on something else runs side by
# side. It exists because a process is what building costs: forking the
# harness's own bash (big, under bats) costs about twice what forking this
# small one does, and a build needs a few processes per path.
#
# Steps, each waiting for the one before:
#   1. the namespaces (one ip -batch);
#   2. per namespace: sysctls and the anchor (topo-anchor.sh);
#   3. the client's and the server's sides: veths, addresses, routes, rules;
#   4. per router: its addresses and routes (ip -batch), its shaping (tc -batch);
#   5. reachability, from inside the client's namespace (this script again,
#      as "probe").
# What failed goes to build.err, one line each; the tools' own messages go
# to stderr. Exit status 0 when everything is up.
#
# build RUN_DIR NETNS_DIR NS_PREFIX CC PATHS
# probe RUN_DIR
set -u

# $@: what failed
__say() {
	printf '%s\n' "$*" >>"$RUN/build.err"
}

# Wait for every job of JOB (pid -> what it was); say which failed. Each
# step's end goes to build.times (ms since the build began), for the bench.
# $1: step
__wait_jobs() {
	local pid rc=0
	for pid in "${!JOB[@]}"; do
		wait "$pid" || { __say "${JOB[$pid]}"; rc=1; }
	done
	JOB=()
	printf '%s %s\n' "$1" $((${EPOCHREALTIME/./} / 1000 - T0)) >>"$RUN/build.times"
	return "$rc"
}

# $1: run dir, $2: netns dir, $3: namespace prefix, $4: congestion
# control, $5: paths
__build() {
	local nsdir=$2 pfx=$3 cc=$4 n=$5 role i fwd here=${BASH_SOURCE[0]%/*} f hold pid rc=0
	local -a roles=(client server)
	local -A up=()
	for ((i = 1; i <= n; i++)); do
		roles+=("r$i")
	done
	ip -batch "$RUN/build-netns.ip" || { __say "topo_paths: cannot create the namespaces"; return 1; }
	__wait_jobs netns
	# One ip enters every namespace in turn and runs topo-anchor.sh there
	# (an exec per namespace, no nsenter); two of them, for two cores.
	# The anchors wait on a pipe opened read-write, so reading it blocks
	# for ever (fd 9: ip -batch FILE reopens its stdin on the file). Each
	# prints "ROLE PID".
	exec {hold}<> <(:)
	: >"$RUN/build-anchors.ip"
	: >"$RUN/build-anchors2.ip"
	i=0
	for role in "${roles[@]}"; do
		fwd=0
		[[ $role == r* ]] && fwd=1
		f=$RUN/build-anchors.ip
		((i++ % 2 == 0)) || f=$RUN/build-anchors2.ip
		printf 'netns exec %s sh "%s" %s %s %s\n' "$pfx$role" "$here/topo-anchor.sh" \
			"$cc" "$fwd" "$role" >>"$f"
	done
	for f in "$RUN/build-anchors.ip" "$RUN/build-anchors2.ip"; do
		[[ -s $f ]] || continue
		__topo_spawn_bare "$hold" ip -force -batch "$f" >"$f.out" &
		JOB[$!]="topo_paths: setting up the namespaces failed (sysctls, anchors)"
	done
	exec {hold}<&-
	__wait_jobs anchors || rc=1
	for f in "$RUN/build-anchors.ip.out" "$RUN/build-anchors2.ip.out"; do
		[[ -s $f ]] || continue
		while read -r role pid; do
			printf '%s\n' "$pid" >"$RUN/anchor-$role"
			up[$role]=1
		done <"$f"
	done
	for role in "${roles[@]}"; do
		[[ -n ${up[$role]:-} ]] || { __say "topo_paths: cannot set up namespace $role (sysctls, anchor)"; rc=1; }
	done
	((rc == 0)) || return 1
	ip -n "${pfx}client" -batch "$RUN/build-client.ip" &
	JOB[$!]="topo_paths: configuring the client failed"
	# ip rule takes its family from the command line, not the address.
	ip -6 -n "${pfx}client" -batch "$RUN/build-client6.ip" &
	JOB[$!]="topo_paths: configuring the client's IPv6 rules failed"
	ip -n "${pfx}server" -batch "$RUN/build-server.ip" &
	JOB[$!]="topo_paths: configuring the server failed"
	__wait_jobs hosts || return 1
	# Both veths of every path exist: routers are configured and shaped
	# side by side (tc needs the devices, not the addresses).
	for ((i = 1; i <= n; i++)); do
		ip -n "${pfx}r$i" -batch "$RUN/build-r$i.ip" &
		JOB[$!]="topo_paths: configuring router $i failed"
		[[ ! -s $RUN/build-r$i.tc ]] || {
			tc -n "${pfx}r$i" -batch "$RUN/build-r$i.tc" &
			JOB[$!]="shape_paths: tc failed on path $i"
		}
	done
	__wait_jobs routers || return 1
	exec nsenter --net="$nsdir/${pfx}client" bash "$here/topo-build.sh" probe "$RUN"
}

# The pings of build-probes ("path family source destination" lines), all
# at once, each retrying every 50 ms by itself (-w). A ping ends at its
# first error too (a neighbour that could not be resolved while a link was
# still coming up): only those start again, until 3 s have gone. The last
# words of a failed ping go to build.err.
# $1: run dir
__probe() {
	local i fam pid left deadline src dst p round pace=''
	local -a lines
	local -A pending=() probe=() addrs=()
	while read -r i fam src dst; do
		pending["$i $fam"]=1 addrs["$i $fam"]="$src $dst"
	done <"$RUN/build-probes"
	deadline=$((${EPOCHREALTIME/./} / 1000 + 3000))
	while ((${#pending[@]})); do
		left=$((deadline - ${EPOCHREALTIME/./} / 1000))
		((left > 0)) || break
		round=${EPOCHREALTIME/./}
		probe=()
		for p in "${!pending[@]}"; do
			read -r i fam <<<"$p"
			read -r src dst <<<"${addrs[$p]}"
			ping "-$fam" -c1 -w$(((left + 999) / 1000)) -i0.05 -q -I "$src" "$dst" \
				>"$RUN/ping-$i-$fam.out" 2>&1 &
			probe[$!]=$p
		done
		for pid in "${!probe[@]}"; do
			wait "$pid" && unset "pending[${probe[$pid]}]"
		done
		# A ping that fails at once (no route) is not started again
		# at once: 100 ms between rounds, waited on a pipe nobody
		# writes to (no fork).
		if ((${#pending[@]} && (${EPOCHREALTIME/./} - round) / 1000 < 100)); then
			[[ -n $pace ]] || exec {pace}<> <(:)
			read -r -t 0.1 -u "$pace" _ || :
		fi
	done
	__wait_jobs probes
	((${#pending[@]})) || return 0
	for p in "${!pending[@]}"; do
		read -r i fam <<<"$p"
		mapfile -t lines <"$RUN/ping-$i-$fam.out"
		__say "path $i: server unreachable over IPv$fam (ping: ${lines[*]: -2})"
	done
	return 1
}

declare -A JOB=()
RUN=$2
# Run a command that leaves long-lived children (the anchors) with only
# stdin, stdout, stderr and fd 9 (the pipe they wait on) open. Any other
# descriptor would be inherited: bats' output pipe among them, and an
# anchor holding it keeps bats waiting for ever once its namespace is
# gone from under the harness (ip netns del from outside). $1: fd for 9,
# $2...: command
__topo_spawn_bare() {
	local keep=$1 fd
	shift
	exec 9<&"$keep"
	for fd in /proc/"$BASHPID"/fd/*; do
		fd=${fd##*/}
		((fd > 2 && fd != 9)) || continue
		exec {fd}>&- 2>/dev/null
	done
	exec "$@"
}

# When the build began (the probe step is the same build, exec'd).
T0=${MPTH_BUILD_T0:-$((${EPOCHREALTIME/./} / 1000))}
export MPTH_BUILD_T0=$T0
: >>"$RUN/build.times"
case $1 in
build) __build "${@:2}" ;;
probe) __probe "${@:2}" ;;
*)
	echo "usage: topo-build.sh build|probe ..." >&2
	exit 2
	;;
esac
