# shellcheck shell=bash
# Shared by the self-tests in tests/.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
# shellcheck disable=SC2034 # used by the test files
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

# The run id that run.sh printed in an output file. $1: file
run_id_of() {
	sed -n 's/.*mpth: run \([0-9a-f]\{6\}\),.*/\1/p' "$1" | head -n1
}

# What a run left: its namespaces, processes (anything with its id in the
# environment, or in a namespace of its), temp dirs and marker.
# $1: run id
harness_leftovers() {
	local id=$1 p
	[[ -n $id ]] || { echo "no run id"; return; }
	ip netns list | awk '{ print $1 }' | grep "^mpth-$id-" || true
	# Builtins: a fork per process would make each check take seconds.
	local env=() IFS=$'\n'
	for p in /proc/[0-9]*; do
		{ mapfile -t -d '' env <"$p/environ"; } 2>/dev/null || continue
		[[ $'\n'"${env[*]}"$'\n' == *$'\n'"MPTH_RUN_ID=$id"$'\n'* ]] &&
			echo "process ${p#/proc/}: $(tr '\0' ' ' 2>/dev/null <"$p/cmdline")"
	done
	ls -d "${TMPDIR:-/tmp}/mpth-$id."* /run/mptcp-harness/"$id" 2>/dev/null || true
}

# A run's TAP file as run.sh nests it in its document: each line under
# "# ", skip directives in upper case. $1: TAP file
tap_as_nested() {
	sed -E 's/^(ok [^#]*) # skip/\1 # SKIP/; s/^/# /' "$1"
}

# The catalogue self-tests: run a scenario with knobs that break one
# thing on purpose. $1: scenario, $2...: VAR=value knobs
sabotage() {
	local scn=$1
	shift
	run env "$@" "$RUN" --no-install --artifacts "$BATS_TEST_TMPDIR/art" "$scn"
	# run.sh streams the TAP as it is written and has been seen to show
	# none of it for a short run (the summary line was there); the file
	# it streams from is complete, so the checks read both.
	local tap=$BATS_TEST_TMPDIR/art/$scn.tap
	[[ ! -r $tap ]] || output+=$'\n'$(<"$tap")
}
