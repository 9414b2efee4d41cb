#!/usr/bin/env bats
# run.sh refuses bad input clearly, with exit 2, and changes nothing.

load helpers

setup() {
	SNAP_BEFORE=$BATS_TEST_TMPDIR/before
	host_snapshot "$SNAP_BEFORE"
}

teardown() {
	host_snapshot "$BATS_TEST_TMPDIR/after"
	diff -u "$SNAP_BEFORE" "$BATS_TEST_TMPDIR/after"
}

@test "an unknown scenario lists the known ones and exits 2" {
	run "$RUN" --no-install nosuch
	assert_failure 2
	assert_output --partial "unknown scenario 'nosuch'"
	assert_output --partial failover
}

@test "a scenario name with shell metacharacters or .. is refused" {
	local name
	# shellcheck disable=SC2016 # the $(id) must reach run.sh unexpanded
	for name in 'fail;over' 'failover$(id)' '../scenarios/failover' 'a b' '*'; do
		run "$RUN" --no-install "$name"
		assert_failure 2
		assert_output --partial "invalid scenario name"
	done
}

@test "every spelling of a scenario name resolves to the same file" {
	local name
	for name in failover failover.bats scenarios/failover scenario/failover \
		scenarios/failover.bats "$REPO/scenarios/failover.bats"; do
		run "$RUN" --no-install --filter 'no test matches this' "$name"
		refute_output --partial "unknown scenario"
		refute_output --partial "invalid scenario"
	done
}

@test "a scenario file with a syntax error is refused before anything runs" {
	local f=$BATS_TEST_TMPDIR/broken.bats
	printf '@test "never closed" {\n\ttrue\n' >"$f"
	run "$RUN" --no-install "$f"
	assert_failure 2
	assert_output --partial "does not parse"
}

@test "bad options and option values exit 2 with the reason" {
	run "$RUN" --frobnicate failover
	assert_failure 2
	assert_output --partial "unknown option '--frobnicate'"
	run "$RUN" --repeat abc failover
	assert_failure 2
	assert_output --partial "--repeat wants a non-negative integer"
	run "$RUN" --repeat 0 failover
	assert_failure 2
	run "$RUN" --seed -5 failover
	assert_failure 2
	run "$RUN" --seed
	assert_failure 2
	assert_output --partial "needs a value"
	run "$RUN" list failover
	assert_failure 2
	run "$RUN"
	assert_failure 2
	assert_output --partial "Usage:"
}

@test "a --filter that is no valid regex, or matches no test, exits 2 and runs nothing" {
	run "$RUN" --no-install --filter '(' failover
	assert_failure 2
	assert_output --partial "not a valid extended regular expression"
	refute_output --partial "mpth: run "
	run "$RUN" --no-install --filter 'no test is called this' failover uspm
	assert_failure 2
	assert_output --partial "matches no test in the 2 file(s) selected"
	refute_output --partial "mpth: run "
}

@test "an option the command would ignore is refused with exit 2, saying what it goes with" {
	run "$RUN" --no-install --quick failover
	assert_failure 2
	assert_output --partial "--quick does not go with scenario names: it would be ignored (it goes with bench)"
	run "$RUN" --no-install --filter x list
	assert_failure 2
	assert_output --partial "--filter does not go with list"
	run "$RUN" --no-install --json - clean
	assert_failure 2
	run "$RUN" --no-install --keep doctor
	assert_failure 2
	run "$RUN" --no-install --kernels host failover
	assert_failure 2
	assert_output --partial "(it goes with matrix)"
	run "$RUN" --no-install --modules /nonexistent failover
	assert_failure 2
	assert_output --partial "--modules goes with --kernel IMAGE"
	run "$RUN" --no-install --vm-timeout 5 failover
	assert_failure 2
	# What does go together still parses.
	run "$RUN" --no-install doctor --json /dev/null
	assert_success
}

@test "-j, --jobs and --stress refuse a bad value with exit 2, naming the option, and run nothing" {
	local opt v art=$BATS_TEST_TMPDIR/art
	for opt in -j --jobs --stress; do
		for v in abc 0 000 -3 65 99999999999999999999 1.5 4x; do
			run "$RUN" --no-install --artifacts "$art" "$opt" "$v" failover
			assert_failure 2
			assert_output "mpth: error: option $opt wants a whole number from 1 to 64, got '$v'"
			[[ ! -e $art ]] || fail "$opt $v: $art was made"
		done
		run "$RUN" --no-install --artifacts "$art" failover "$opt"
		assert_failure 2
		assert_output "mpth: error: option $opt needs a value (see --help)"
		run "$RUN" --no-install --artifacts "$art" "$opt" --strict failover
		assert_failure 2
		assert_output --partial "option $opt needs a value"
	done
	run "$RUN" --no-install --artifacts "$art" -j0 failover
	assert_failure 2
	assert_output --partial "option -j wants a whole number from 1 to 64, got '0'"
	[[ ! -e $art ]]
}

@test "-j and --stress do not go with list, doctor, clean or bench" {
	local cmd
	for cmd in list doctor clean bench; do
		run "$RUN" --no-install -j 2 "$cmd"
		assert_failure 2
		assert_output --partial "-j/--jobs does not go with $cmd"
		run "$RUN" --no-install --stress 1 "$cmd"
		assert_failure 2
		assert_output --partial "--stress does not go with $cmd"
	done
}

@test "an artifacts directory that cannot be written is refused" {
	run "$RUN" --no-install --artifacts /proc/mpth-cannot-exist failover
	assert_failure 2
	assert_output --partial "cannot be created or written"
}

@test "not root, and no user namespaces: a clear message and exit 2" {
	command -v setpriv || skip "setpriv missing (package util-linux)"
	# A sysctl tree as Debian has it with unprivileged user namespaces
	# turned off (kernel.unprivileged_userns_clone=0).
	local sys
	sys=$(mktemp -d /var/tmp/mpth-selftest-sys.XXXXXX)
	mkdir -p "$sys/net/mptcp" "$sys/kernel"
	echo 1 >"$sys/net/mptcp/enabled"
	echo 0 >"$sys/kernel/unprivileged_userns_clone"
	chmod -R a+rX "$sys"
	MPTH_PROC_SYS=$sys run setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$RUN" --no-install failover
	rm -rf "$sys"
	assert_failure 2
	assert_output --partial "must run as root"
	assert_output --partial "unprivileged_userns_clone=0"
}

@test "MPTCP disabled (net.mptcp.enabled=0): a clear message and exit 2" {
	local ns=mpth-selftest-$$-off
	ip netns add "$ns"
	ip netns exec "$ns" sysctl -qw net.mptcp.enabled=0
	run ip netns exec "$ns" "$RUN" --no-install failover
	ip netns del "$ns"
	assert_failure 2
	assert_output --partial "net.mptcp.enabled=0"
}

@test "a kernel without MPTCP: a clear message and exit 2" {
	# The sysctl tree is read through MPTH_PROC_SYS, so an empty one
	# stands for a kernel built without MPTCP.
	MPTH_PROC_SYS=$BATS_TEST_TMPDIR run "$RUN" --no-install failover
	assert_failure 2
	assert_output --partial "kernel has no MPTCP"
}

@test "a missing tool with --no-install prints the apt-get command and exits 2" {
	MPTH_DEPS_REQUIRE="mpth-no-such-tool:mpth-no-such-package" \
		run "$RUN" --no-install failover
	assert_failure 2
	assert_output --partial "missing packages: mpth-no-such-package"
	assert_output --partial "apt-get install -y mpth-no-such-package"
}

@test "without apt-get a missing tool is named and the run exits 2" {
	local bin=$BATS_TEST_TMPDIR/bin c
	mkdir "$bin"
	# A PATH with everything the preflight uses but apt-get.
	for c in bash env dirname basename cat sed awk grep sort mktemp ip nft iptables \
		bats gcc make jq ping unshare pgrep tr od head realpath; do
		ln -s "$(command -v "$c")" "$bin/$c"
	done
	MPTH_DEPS_REQUIRE="mpth-no-such-tool:mpth-no-such-package" PATH=$bin \
		run "$RUN" failover
	assert_failure 2
	assert_output --partial "no apt-get here"
}

@test "list names every scenario with its requirements" {
	run "$RUN" list
	assert_success
	assert_output --partial failover
	assert_output --partial "requires: mptcp ip_mptcp"
}

@test "doctor reports MPTCP and the shaping features with how they were found" {
	run "$RUN" doctor
	assert_success
	assert_output --regexp 'mptcp +yes +/proc/sys/net/mptcp/enabled = 1'
	assert_output --regexp 'netem +(yes|no)'
	assert_output --regexp 'failover +run'
}

@test "--help and README.md document every option that run.sh parses" {
	run "$RUN" --help
	assert_success
	local opt opts
	# The options are the patterns of parse_args' case arms: a new one
	# cannot go undocumented.
	opts=$(sed -n '/^parse_args()/,/^}/p' "$RUN" | grep -vE 'die |log_|echo|printf' |
		grep -oE -- '(^|[[:space:]|(])--[a-z][a-z-]+' | tr -d ' \t|(' | sort -u)
	(($(wc -l <<<"$opts") >= 30)) || fail "too few options found in parse_args: $opts"
	for opt in -j $opts; do
		assert_output --partial -- "$opt"
		grep -q -- "\`$opt" "$REPO/README.md" || fail "README.md does not document $opt"
	done
}

@test "a bad --kernel is refused with exit 2: unknown spec, unknown version, missing or corrupt image" {
	run "$RUN" --no-install --kernel nosuch:1 failover
	assert_failure 2
	assert_output --partial "unknown kernel spec 'nosuch:1'"
	run "$RUN" --no-install --kernel /nonexistent/bzImage failover
	assert_failure 2
	head -c 65536 /dev/urandom >"$BATS_TEST_TMPDIR/bzImage"
	run "$RUN" --no-install --kernel "$BATS_TEST_TMPDIR/bzImage" failover
	assert_failure 2
	run "$RUN" --no-install --kernel debian:4.2 failover
	assert_failure 2
	assert_output --partial "4.2"
	run "$RUN" --no-install matrix all
	assert_failure 2
	assert_output --partial "needs --kernels"
	run "$RUN" --no-install matrix --kernels host,bogus all
	assert_failure 2
	assert_output --partial "unknown kernel spec 'bogus'"
}

@test "--bisect: 0 for a pass, 1 for a failure, 125 when everything skipped, 128 when the harness cannot run" {
	local d=$BATS_TEST_TMPDIR
	printf '%s\n' '#!/usr/bin/env bats' '@test "passes" { true; }' >"$d/good.bats"
	printf '%s\n' '#!/usr/bin/env bats' '@test "fails" { false; }' >"$d/bad.bats"
	printf '%s\n' '#!/usr/bin/env bats' '@test "skips" { skip "cannot judge"; }' >"$d/skip.bats"
	run "$RUN" --no-install --bisect --artifacts "$d/a1" "$d/good.bats"
	assert_success
	run "$RUN" --no-install --bisect --artifacts "$d/a2" "$d/bad.bats"
	assert_failure 1
	run "$RUN" --no-install --bisect --artifacts "$d/a3" "$d/skip.bats"
	assert_failure 125
	assert_output --partial "every test was skipped: this kernel cannot be judged"
	# Without --bisect the same run says 4.
	run "$RUN" --no-install --artifacts "$d/a4" "$d/skip.bats"
	assert_failure 4
	run "$RUN" --no-install --bisect nosuch
	assert_failure 128
	assert_output --partial "unknown scenario 'nosuch'"
	assert_output --partial "exit 128 stops the bisection"
	# A kernel without MPTCP (an empty sysctl tree stands for it): cannot
	# be judged.
	mkdir -p "$d/sys"
	MPTH_PROC_SYS=$d/sys run "$RUN" --no-install --bisect --artifacts "$d/a5" "$d/good.bats"
	assert_failure 125
	assert_output --partial "kernel has no MPTCP"
	run "$RUN" --no-install --bisect list
	assert_failure 2
	assert_output --partial "--bisect does not go with list"
}
