# shellcheck shell=sh
# Run, not sourced: by topo-build.sh, as `ip -batch` lines "netns exec NS
# sh topo-anchor.sh CC FORWARD ROLE" (one ip process enters every
# namespace in turn: one exec per namespace, where nsenter would add its
# own), before the namespace has any device, so that the devices inherit
# these settings from "default":
# - no reverse-path filtering: strict filtering would drop the asymmetric
#   subflows MPTCP makes, and a new namespace may inherit the host's;
# - no duplicate address detection: a tentative address holds neighbour
#   discovery back for a second;
# - the pinned TCP congestion control;
# - forwarding, on routers.
# Then it leaves a subshell behind as the namespace's anchor, prints
# "ROLE PID" and exits (ip waits for it). /proc/<pid>/net/ is the
# namespace's own view (see topo_anchor). The subshell waits by reading
# a pipe opened read-write by topo-build.sh (fd 9), so that no byte
# and no EOF ever comes: a fork, no exec (a `sleep` would be one). It dies
# with the namespace (the teardown kills what runs in it). POSIX sh:
# dash starts in a fraction of bash's time.
# $1: congestion control, $2: 1 to forward, $3: role
set -e
w() { printf '%s\n' "$2" >"/proc/sys/net/$1"; }
w ipv4/conf/all/rp_filter 0
w ipv4/conf/default/rp_filter 0
w ipv6/conf/all/accept_dad 0
w ipv6/conf/default/accept_dad 0
w ipv4/tcp_congestion_control "$1"
if [ "$2" = 1 ]; then
	w ipv4/ip_forward 1
	w ipv6/conf/all/forwarding 1
fi
# The pipe comes as fd 9 (ip -batch FILE reopens stdin on FILE). An
# asynchronous list gets /dev/null as its stdin unless redirected
# explicitly, so the redirection is explicit. Should the read ever end all
# the same, sleep rather than spin.
(
	exec >/dev/null 2>&1
	while :; do
		read -r _ || exec sleep infinity
	done
) <&9 9<&- &
exec 9<&-
echo "$3 $!"
