#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Goodput of mptcp-client/-server against iperf3 (under mptcpize for
# MPTCP) on the same unshaped two-path veth topology as smoke.sh.  Runs
# alternate, so both see the same machine noise; medians are reported.
#
# Usage: ./bench-iperf3.sh [ROUNDS] [SECONDS] [PROTO:MODE...]
#        (default 5 rounds of 3 s; all of tcp|mptcp x upload|download)
set -u

rounds=${1:-5}
secs=${2:-3}
shift $(($# < 2 ? $# : 2))
configs=("$@")
[ ${#configs[@]} -gt 0 ] ||
	configs=(tcp:upload tcp:download mptcp:upload mptcp:download)
here=$(cd "$(dirname "$0")" && pwd)
bin="$here/build"
prefix="cs-bench-$$"
cns="$prefix-c"
sns="$prefix-s"
tmp=$(mktemp -d "/tmp/$prefix.XXXXXX")
ipport=5201

cleanup()
{
	ip netns del "$cns" 2>/dev/null
	ip netns del "$sns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

topology()
{
	local ns dev i

	ip netns add "$cns" && ip netns add "$sns" || exit 1
	for i in 1 2; do
		ip -n "$cns" link add "eth$i" type veth peer name "eth$i" netns "$sns"
		ip -n "$cns" addr add "198.18.$i.1/24" dev "eth$i"
		ip -n "$sns" addr add "198.18.$i.2/24" dev "eth$i"
	done
	for ns in "$cns" "$sns"; do
		for dev in lo eth1 eth2; do
			ip -n "$ns" link set "$dev" up
		done
		ip -n "$ns" mptcp limits set subflows 4 add_addr_accepted 4
	done
	ip -n "$cns" mptcp endpoint add 198.18.2.1 dev eth2 subflow
}

# $1: tcp|mptcp, $2: upload|download; prints Mbit/s
ours()
{
	local port

	rm -f "$tmp/port"
	ip netns exec "$sns" "$bin/mptcp-server" -t "$1" --ready "$tmp/port" -n 1 2>/dev/null &
	while [ ! -s "$tmp/port" ]; do sleep 0.05; done
	port=$(cat "$tmp/port")
	ip netns exec "$cns" "$bin/mptcp-client" -t "$1" -m "$2" -d "$((secs * 1000))" \
		-j "$tmp/c.json" 198.18.1.2 "$port" 2>/dev/null
	wait
	jq -r '.goodput_mbps' "$tmp/c.json"
}

# $1: tcp|mptcp, $2: upload|download; prints Mbit/s
theirs()
{
	local wrap=() rev=()

	[ "$1" = mptcp ] && wrap=(mptcpize run)
	[ "$2" = download ] && rev=(-R)
	ip netns exec "$sns" "${wrap[@]}" iperf3 -s -1 -p "$ipport" >/dev/null 2>&1 &
	sleep 0.3
	ip netns exec "$cns" "${wrap[@]}" iperf3 -c 198.18.1.2 -p "$ipport" \
		-t "$secs" "${rev[@]}" -J >"$tmp/i.json" 2>/dev/null
	wait
	jq -r '.end.sum_received.bits_per_second / 1e6' "$tmp/i.json"
}

median()
{
	sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

topology
printf '%-6s %-9s %12s %12s %6s\n' proto mode ours_mbps iperf3_mbps ratio
for cfg in "${configs[@]}"; do
	proto=${cfg%%:*}
	mode=${cfg#*:}
	: >"$tmp/a"
	: >"$tmp/b"
	for _ in $(seq "$rounds"); do
		ours "$proto" "$mode" >>"$tmp/a"
		theirs "$proto" "$mode" >>"$tmp/b"
	done
	a=$(median <"$tmp/a")
	b=$(median <"$tmp/b")
	printf '%-6s %-9s %12.0f %12.0f %6.2f   ours: %s  iperf3: %s\n' \
		"$proto" "$mode" "$a" "$b" "$(echo "$a / $b" | bc -l)" \
		"$(xargs printf '%.0f ' <"$tmp/a")" "$(xargs printf '%.0f ' <"$tmp/b")"
done
