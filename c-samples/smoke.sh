#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Smoke test of the c-samples binaries in two private network namespaces
# joined by two veth paths.  Needs root; touches nothing outside the
# namespaces it creates and removes them on exit.
#
#   client ns  eth1 198.18.1.1/24 2001:db8:1::1 ==== eth1 198.18.1.2 2001:db8:1::2  server ns
#              eth2 198.18.2.1/24 2001:db8:2::1 ==== eth2 198.18.2.2 2001:db8:2::2
#
# Usage: ./smoke.sh [BUILD_DIR]     (default: build)
set -u

here=$(cd "$(dirname "$0")" && pwd)
bin=$(cd "$here/${1:-build}" && pwd) || exit 2
prefix="cs-smoke-$$"
cns="$prefix-c"
sns="$prefix-s"
tmp=$(mktemp -d "/tmp/$prefix.XXXXXX")
pids=()
fails=0
n=0

cleanup()
{
	local p

	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	ip netns del "$cns" 2>/dev/null
	ip netns del "$sns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

topology()
{
	local ns dev

	ip netns add "$cns" && ip netns add "$sns" || exit 1
	ip -n "$cns" link add eth1 type veth peer name eth1 netns "$sns"
	ip -n "$cns" link add eth2 type veth peer name eth2 netns "$sns"
	ip -n "$cns" addr add 198.18.1.1/24 dev eth1
	ip -n "$cns" addr add 198.18.2.1/24 dev eth2
	ip -n "$sns" addr add 198.18.1.2/24 dev eth1
	ip -n "$sns" addr add 198.18.2.2/24 dev eth2
	ip -n "$cns" addr add 2001:db8:1::1/64 dev eth1 nodad
	ip -n "$cns" addr add 2001:db8:2::1/64 dev eth2 nodad
	ip -n "$sns" addr add 2001:db8:1::2/64 dev eth1 nodad
	ip -n "$sns" addr add 2001:db8:2::2/64 dev eth2 nodad
	for ns in "$cns" "$sns"; do
		for dev in lo eth1 eth2; do
			ip -n "$ns" link set "$dev" up
		done
		ip -n "$ns" mptcp limits set subflows 4 add_addr_accepted 4
	done
	ip -n "$cns" mptcp endpoint add 198.18.2.1 dev eth2 subflow
	ip -n "$cns" mptcp endpoint add 2001:db8:2::1 dev eth2 subflow
}

# $1: test name, rest: command that must succeed
check()
{
	local name=$1

	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name"
		fails=$((fails + 1))
	fi
}

# Start a server in the server namespace; sets $port and $spid.
# $1: tag for its files, rest: extra server options
server_start()
{
	local tag=$1

	shift
	rm -f "$tmp/$tag.port"
	ip netns exec "$sns" "$bin/mptcp-server" --ready "$tmp/$tag.port" \
		-j "$tmp/$tag.srv.json" "$@" 2>"$tmp/$tag.srv.err" &
	spid=$!
	pids+=("$spid")
	for _ in $(seq 100); do
		[ -s "$tmp/$tag.port" ] && break
		sleep 0.05
	done
	port=$(cat "$tmp/$tag.port" 2>/dev/null)
	[ -n "$port" ] || { cat "$tmp/$tag.srv.err"; return 1; }
}

# $1: expected exit code
server_wait()
{
	local rc

	wait "$spid"
	rc=$?
	[ "$rc" -eq "$1" ] || { echo "# server exit $rc, expected $1"; cat "$tmp/$tag.srv.err"; return 1; }
}

# $1: tag, $2: expected exit code, rest: client options and HOST PORT
client()
{
	local tag=$1 want=$2 rc

	shift 2
	ip netns exec "$cns" "$bin/mptcp-client" -j "$tmp/$tag.cli.json" "$@" \
		2>"$tmp/$tag.cli.err"
	rc=$?
	[ "$rc" -eq "$want" ] || { echo "# client exit $rc, expected $want"; cat "$tmp/$tag.cli.err"; return 1; }
}

# $1: json file, $2: jq expression that must be true
jqt()
{
	jq -e "$2" "$1" >/dev/null || { echo "# $1: $2 is false:"; jq -c . "$1"; return 1; }
}

t_hello()
{
	local tag=hello
	server_start $tag -n 1 || return 1
	ip netns exec "$cns" "$bin/mptcp-hello" 198.18.1.2 "$port" >"$tmp/$tag.out" || return 1
	sed 's/^/# /' "$tmp/$tag.out"
	grep -q "connected with MPTCP" "$tmp/$tag.out" && server_wait 0
}

# $1: mode, $2: address family tag
t_transfer()
{
	local tag="xfer-$1-$2" host=198.18.1.2
	[ "$2" = 6 ] && host=2001:db8:1::2
	server_start "$tag" -n 1 --timeline "$tmp/$tag.tl" || return 1
	client "$tag" 0 -m "$1" -b 64M --info "$tmp/$tag.info" \
		--timeline "$tmp/$tag.ctl" "$host" "$port" || return 1
	server_wait 0 || return 1
	jqt "$tmp/$tag.cli.json" '.status == "ok" and .protocol == "mptcp" and .mismatch_offset == -1' &&
	jqt "$tmp/$tag.srv.json" '.ok == 1 and .conns[0].protocol == "mptcp"' &&
	jqt "$tmp/$tag.cli.json" ".family == \"ipv$2\""
}

t_two_subflows()
{
	local tag=subflows
	server_start $tag -n 1 || return 1
	# Long enough for the join even on a slow machine.
	client $tag 0 -m upload -d 1500 --info "$tmp/$tag.info" 198.18.1.2 "$port" || return 1
	server_wait 0 || return 1
	jqt "$tmp/$tag.cli.json" '.max_subflows == 2 and .subflows_at_end == 2 and .mptcpi_subflows == 1' &&
	jqt "$tmp/$tag.srv.json" '.max_subflows == 2' &&
	tail -1 "$tmp/$tag.info" | jq -e '[.subflow_list[].local | sub(":[0-9]+$"; "")] | sort == ["198.18.1.1", "198.18.2.1"]' >/dev/null
}

t_timeline()
{
	local f="$tmp/xfer-download-4.ctl"
	[ -s "$f" ] || return 1
	awk 'NR > 1 && $1 != prev + 10 { bad = 1 } $1 % 10 { bad = 1 }
	     { prev = $1; sum += $2 } END { exit bad || sum != 64 * 1048576 }' "$f"
}

t_corrupt()
{
	local tag=corrupt
	server_start $tag -n 1 || return 1
	client $tag 4 -b 16M --corrupt-at 12345 198.18.1.2 "$port" || return 1
	server_wait 4 || return 1
	jqt "$tmp/$tag.srv.json" '.mismatch_offset == 12345 and .conns[0].status == "mismatch"' &&
	jqt "$tmp/$tag.cli.json" '.mismatch_offset == 12345 and .conns[0].peer_mismatch_offset == 12345'
}

t_tcp_server()
{
	local tag=tcpsrv
	server_start $tag -n 1 -t tcp || return 1
	client $tag 0 -b 4M 198.18.1.2 "$port" || return 1
	server_wait 0 || return 1
	jqt "$tmp/$tag.cli.json" '.protocol == "tcp" and .requested == "mptcp" and .fallback_reason == "peer did not answer MP_CAPABLE"' &&
	jqt "$tmp/$tag.srv.json" '.protocol == "tcp"'
}

t_require_mptcp()
{
	local tag=require
	server_start $tag -n 1 -t tcp || return 1
	client $tag 8 --require-mptcp -b 4M 198.18.1.2 "$port" || return 1
	server_wait 0 &&
	jqt "$tmp/$tag.cli.json" '.status == "not_mptcp" and .bytes_sent == 4 * 1048576'

}

t_disabled()
{
	local tag=disabled rc=0
	server_start $tag -n 2 || return 1
	ip netns exec "$cns" sysctl -qw net.mptcp.enabled=0
	client $tag 0 -b 4M 198.18.1.2 "$port" || rc=1
	ip netns exec "$cns" "$bin/mptcp-hello" 198.18.1.2 "$port" >"$tmp/$tag.hello" 2>&1
	ip netns exec "$cns" sysctl -qw net.mptcp.enabled=1
	sed 's/^/# /' "$tmp/$tag.hello"
	[ $rc = 0 ] || return 1
	server_wait 0 &&
	jqt "$tmp/$tag.cli.json" '.protocol == "tcp" and (.fallback_reason | startswith("ENOPROTOOPT"))' &&
	grep -q ENOPROTOOPT "$tmp/$tag.cli.err" &&
	grep -q ENOPROTOOPT "$tmp/$tag.hello"
}

t_bad_header()
{
	local tag=badhdr
	server_start $tag -n 3 --header-timeout 500 || return 1
	printf garbage | ip netns exec "$cns" socat - "TCP:198.18.1.2:$port"
	# A header that stops half way must time out, not hang the server.
	(printf MPTH; sleep 2) | ip netns exec "$cns" socat - "TCP:198.18.1.2:$port" &
	client $tag 0 -b 4M 198.18.1.2 "$port" || return 1
	server_wait 5 || return 1
	wait
	jqt "$tmp/$tag.srv.json" '.bad_header == 2 and .ok == 1' &&
	grep -q 'bad magic' "$tmp/$tag.srv.err" &&
	grep -q 'no complete header within 500 ms' "$tmp/$tag.srv.err"
}

t_parallel()
{
	local tag=parallel
	server_start $tag -n 50 || return 1
	client $tag 0 -c 50 -m bidir -b 4M 198.18.1.2 "$port" || return 1
	server_wait 0 || return 1
	jqt "$tmp/$tag.cli.json" '[.conns[] | select(.status == "ok")] | length == 50' &&
	jqt "$tmp/$tag.srv.json" '.ok == 50 and .bytes_received == 50 * 4 * 1048576'
}

t_duration()
{
	local tag=duration
	server_start $tag -n 1 || return 1
	client $tag 0 -m download -d 700 198.18.1.2 "$port" || return 1
	server_wait 0 || return 1
	jqt "$tmp/$tag.cli.json" '.duration_ms >= 650 and .duration_ms < 3000 and .bytes_received > 0'
}

t_timeout()
{
	local tag=timeout
	# A listener that accepts and never reads: the upload cannot finish.
	ip netns exec "$sns" socat TCP-LISTEN:7999,reuseaddr EXEC:"sleep 5" &
	pids+=($!)
	for _ in $(seq 100); do
		ip netns exec "$sns" ss -Hltn 'sport = :7999' | grep -q . && break
		sleep 0.05
	done
	client $tag 6 --timeout 500 -b 1G 198.18.1.2 7999 &&
	jqt "$tmp/$tag.cli.json" '.status == "timeout"'
}

t_truncated()
{
	local tag=trunc
	server_start $tag -n 1 || return 1
	ip netns exec "$cns" "$bin/mptcp-client" -m download -d 5000 198.18.1.2 "$port" 2>/dev/null &
	local cpid=$!
	sleep 0.5
	kill "$cpid"
	wait "$cpid"
	server_wait 7
}

t_sigterm()
{
	local tag=sigterm
	server_start $tag || return 1
	client $tag 0 -b 1M 198.18.1.2 "$port" || return 1
	kill -TERM "$spid"
	server_wait 0 &&
	jqt "$tmp/$tag.srv.json" '.connections == 1 and .ok == 1'
}

t_usage()
{
	local rc
	"$bin/mptcp-client" --bytes 12Q 198.18.1.2 1 2>/dev/null
	rc=$?
	[ $rc = 2 ] || return 1
	"$bin/mptcp-server" --listen nowhere 2>/dev/null
	[ $? = 2 ]
}

topology
check "usage errors exit 2" t_usage
check "SIGTERM: server writes its JSON and exits 0" t_sigterm
check "mptcp-hello reports MPTCP" t_hello
for mode in upload download bidir; do
	check "$mode over IPv4 verifies" t_transfer $mode 4
done
check "download over IPv6 verifies" t_transfer download 6
check "timeline has contiguous 10 ms bins summing to the payload" t_timeline
check "two subflows, both addresses listed" t_two_subflows
check "--corrupt-at 12345 is caught at 12345 (exit 4)" t_corrupt
check "TCP server: client falls back with a reason" t_tcp_server
check "--require-mptcp against TCP server exits 8" t_require_mptcp
check "net.mptcp.enabled=0: ENOPROTOOPT fallback" t_disabled
check "bad and slow headers rejected, server keeps serving (exit 5)" t_bad_header
check "50 parallel bidir connections verify" t_parallel
check "download for a duration" t_duration
check "--timeout exits 6" t_timeout
check "client killed mid-download: server exits 7" t_truncated
echo "# $fails of $n failed"
[ "$fails" -eq 0 ]
