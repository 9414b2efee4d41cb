# shellcheck shell=bash
# Shared by the self-tests in tests/.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
RUN=$REPO/run.sh

# Everything of the host's own network namespace that a run must never
# change. $1: output file
host_snapshot() {
	{
		ip -d addr
		ip route show table all
		ip -6 route show table all
		ip rule
		ip -6 rule
		tc qdisc
		nft list ruleset 2>/dev/null || true
		iptables-save 2>/dev/null | grep -v '^#' || true
		sysctl net.mptcp net.ipv4.ip_forward 2>/dev/null
	} | sed -E 's/(RX|TX)? *(bytes|packets).*//' >"$1"
}

# What of the harness exists on this machine: namespaces and processes.
harness_leftovers() {
	ip netns list | awk '{ print $1 }' | grep '^mpth-' || true
	pgrep -af 'mptcp-(server|client)' || true
}
