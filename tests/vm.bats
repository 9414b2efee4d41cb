#!/usr/bin/env bats
# shellcheck source-path=SCRIPTDIR
# Self-test of harness/vm/vm.sh: boots a Debian 6.1 kernel under qemu (TCG here)
# with the host root over 9p, and checks the error paths of the runner.
# Tests that need the kernel skip when apt cannot download it.
# jobs: alone (a TCG guest takes both cores, and some tests time its boot)

bats_require_minimum_version 1.5.0
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

setup_file() {
	# shellcheck source=../harness/vm/vm.sh disable=SC1091 # followed under shellcheck -x
	source "$BATS_TEST_DIRNAME/../harness/vm/vm.sh"
	local rc=0 err=$BATS_FILE_TMPDIR/resolve.err out
	out=$(vm_kernel_resolve debian:6.1 2>"$err") || rc=$?
	if [[ $rc -eq 0 ]]; then
		IFS=$'\t' read -r VMT_VMLINUZ VMT_MODULES <<<"$out"
		export VMT_VMLINUZ VMT_MODULES
	elif [[ $rc -eq 5 ]]; then
		VMT_SKIP="debian:6.1 kernel could not be downloaded: $(tail -n 1 "$err")"
		export VMT_SKIP
	elif grep -q 'no Debian kernel matches' "$err"; then
		# Not a Debian machine (an Ubuntu CI runner): apt has no such kernel.
		VMT_SKIP="apt offers no Debian 6.1 kernel here: $(tail -n 1 "$err")"
		export VMT_SKIP
	else
		VMT_FAIL="vm_kernel_resolve debian:6.1 failed with $rc: $(tr '\n' ' ' <"$err")"
		export VMT_FAIL
	fi
}

setup() {
	# shellcheck source=../harness/vm/vm.sh disable=SC1091 # followed under shellcheck -x
	source "$BATS_TEST_DIRNAME/../harness/vm/vm.sh"
	WORK=$BATS_TEST_TMPDIR/work
	mkdir -p "$WORK"
}

teardown() {
	vm_cleanup
}

need_kernel() {
	[[ -z ${VMT_FAIL:-} ]] || fail "$VMT_FAIL"
	[[ -z ${VMT_SKIP:-} ]] || skip "$VMT_SKIP"
	vm_qemu_available || skip "qemu-system-x86_64 is not installed"
}

# $1: pattern; 0 when no qemu whose command line matches is running
no_qemu_left() {
	local i
	for ((i = 0; i < 30; i++)); do
		pgrep -f -- "qemu-system-x86_64.*$1" >/dev/null || return 0
		sleep 0.2
	done
	echo "qemu still running: $(pgrep -af -- "qemu-system-x86_64.*$1")"
	return 1
}

@test "host spec means no VM: nothing printed, no image" {
	run vm_kernel_resolve host
	assert_success
	assert_output ''
}

@test "an unknown Debian version fails with 2 and lists what exists" {
	[[ -n $(apt-cache search --names-only '^linux-image-6\.1' 2>/dev/null) ]] ||
		skip "apt knows no linux-image packages (apt-get update not run)"
	run vm_kernel_resolve debian:4.2
	assert_failure 2
	assert_output --partial 'no Debian kernel matches debian:4.2; available versions:'
	assert_output --partial '6.1'
}

@test "a missing kernel image fails with 2" {
	run vm_kernel_resolve "$BATS_TEST_TMPDIR/no-such-bzImage"
	assert_failure 2
	assert_output --partial 'not found'
	run vm_run "$BATS_TEST_TMPDIR/no-such-bzImage" "" 20 "$WORK" -- true
	assert_failure 2
	assert_output --partial 'not found'
}

@test "a corrupt kernel image (random bytes) fails with 2" {
	head -c 65536 /dev/urandom >"$BATS_TEST_TMPDIR/bzImage"
	run vm_kernel_resolve "$BATS_TEST_TMPDIR/bzImage"
	assert_failure 2
	assert_output --partial 'not an x86 bzImage'
	: >"$BATS_TEST_TMPDIR/empty"
	run vm_kernel_resolve "$BATS_TEST_TMPDIR/empty"
	assert_failure 2
	assert_output --partial 'is empty'
}

@test "without qemu vm_run fails with 2 and says what to install" {
	# Only the boot header matters before qemu is looked for.
	head -c 4096 /dev/zero >"$BATS_TEST_TMPDIR/bzImage"
	printf HdrS | dd of="$BATS_TEST_TMPDIR/bzImage" bs=1 seek=514 conv=notrunc 2>/dev/null
	run vm_kernel_resolve "$BATS_TEST_TMPDIR/bzImage"
	assert_success
	PATH=$BATS_TEST_TMPDIR/empty-path run vm_qemu_available
	assert_failure
	assert_output --partial 'install the Debian package qemu-system-x86'
	PATH=$BATS_TEST_TMPDIR/empty-path run vm_run "$BATS_TEST_TMPDIR/bzImage" "" 20 "$WORK" -- true
	assert_failure 2
	assert_output --partial 'qemu-system-x86_64 not found'
}

@test "bad usage fails with 2" {
	run vm_run /x "" 20 "$WORK" true
	assert_failure 2
	assert_output --partial 'usage: vm_run'
}

@test "vm_accel picks kvm only when KVM really boots a kernel" {
	need_kernel
	run vm_accel "$VMT_VMLINUZ"
	assert_success
	assert_output --regexp '^(kvm|tcg)$'
	local accel=$output
	if vm_kvm_usable "$VMT_VMLINUZ"; then
		assert_equal "$accel" kvm
	else
		assert_equal "$accel" tcg
	fi
	MPTH_VM_ACCEL=tcg run vm_accel
	assert_output tcg
}

@test "debian:6.1 boots: uname says 6.1, MPTCP is enabled" {
	need_kernel
	run --separate-stderr vm_run "$VMT_VMLINUZ" "$VMT_MODULES" 90 "$WORK" -- \
		sh -c 'uname -r; cat /proc/sys/net/mptcp/enabled'
	assert_success
	assert_line --index 0 --regexp '^6\.1\.'
	assert_line --index 1 '1'
	[[ ${#lines[@]} -eq 2 ]] || fail "kernel noise in stdout: $output"
}

@test "netem works in a fresh netns inside the guest" {
	need_kernel
	run vm_run "$VMT_VMLINUZ" "$VMT_MODULES" 90 "$WORK" -- \
		unshare -n sh -c 'ip link set lo up; tc qdisc add dev lo root netem delay 10ms && tc qdisc show dev lo'
	assert_success
	assert_output --partial 'qdisc netem'
	assert_output --partial 'delay 10ms'
}

@test "exit code, stderr, cwd and work dir writes come back to the host" {
	need_kernel
	cd "$BATS_TEST_DIRNAME"
	export MPTH_PROBE="a 'b' \$c"
	# shellcheck disable=SC2016 # expanded by the guest's shell
	run --separate-stderr vm_run "$VMT_VMLINUZ" "$VMT_MODULES" 90 "$WORK" -- \
		sh -c 'pwd; echo to-stderr >&2; echo "$MPTH_PROBE" >"$0/written"; exit 7' "$WORK"
	assert_failure 7
	assert_output "$BATS_TEST_DIRNAME"
	# shellcheck disable=SC2154 # stderr is set by run --separate-stderr
	assert_equal "$stderr" to-stderr
	assert_equal "$(cat "$WORK/written")" "a 'b' \$c"
}

@test "a hanging command times out with 124 and leaves no qemu" {
	need_kernel
	local rc=0 start=$SECONDS
	vm_run "$VMT_VMLINUZ" "$VMT_MODULES" 20 "$WORK" -- sleep 1000 >"$WORK.out" 2>"$WORK.err" || rc=$?
	assert_equal "$rc" 124
	assert_equal "$VM_STATUS" timeout
	run cat "$WORK.err"
	assert_output --partial 'vm: guest did not finish within 20 s (boot stage: running the command)'
	((SECONDS - start < 40)) || fail "took $((SECONDS - start)) s"
	no_qemu_left "$WORK"
}

@test "a kernel that hangs before init times out with 124 and says so" {
	need_kernel
	local rc=0
	# No init, and panic=0 makes the kernel wait forever instead of rebooting.
	MPTH_VM_APPEND="rdinit=/no-init panic=0" vm_run "$VMT_VMLINUZ" "$VMT_MODULES" 15 "$WORK" -- true \
		>"$WORK.out" 2>"$WORK.err" || rc=$?
	assert_equal "$rc" 124
	run cat "$WORK.err"
	assert_output --partial 'vm: guest did not finish within 15 s (boot stage: kernel boot, init not reached)'
	no_qemu_left "$WORK"
}

@test "run.sh --bisect: an image that cannot boot, or random bytes, exit 125 (git bisect skips them)" {
	need_kernel
	local img=$BATS_TEST_TMPDIR/truncated.bzImage
	# Its header is a bzImage's; its payload stops short: it never boots.
	head -c 3000000 "$VMT_VMLINUZ" >"$img"
	run timeout 300 "$BATS_TEST_DIRNAME/../run.sh" --no-install --bisect --kernel "$img" --vm-timeout 60 \
		--artifacts "$BATS_TEST_TMPDIR/art" failover
	assert_failure 125
	assert_output --partial "did not get to run the tests (boot stage: kernel boot, init not reached)"
	assert_output --partial "exit 125 (git bisect skips it)"
	no_qemu_left "$img"
	head -c 100000 /dev/urandom >"$img"
	run "$BATS_TEST_DIRNAME/../run.sh" --no-install --bisect --kernel "$img" failover
	assert_failure 125
	assert_output --partial "not an x86 bzImage"
}

@test "run.sh --kernel DIR boots a build tree's bzImage with the modules its make modules_install installs" {
	need_kernel
	local tree=$BATS_TEST_TMPDIR/linux
	mkdir -p "$tree/arch/x86/boot"
	cp "$VMT_VMLINUZ" "$tree/arch/x86/boot/bzImage"
	# A tree that built modules: modules.order, and a modules_install
	# that installs (here, copies) them.
	echo kernel/drivers/net/veth.ko >"$tree/modules.order"
	# shellcheck disable=SC2016 # make's variables, for the Makefile
	printf 'modules_install:\n\tmkdir -p $(INSTALL_MOD_PATH)/lib/modules\n\tcp -a %s $(INSTALL_MOD_PATH)/lib/modules/\n' \
		"$VMT_MODULES" >"$tree/Makefile"
	# The guest's /tmp is its own; the artifacts directory is shared.
	local fx=$BATS_TEST_TMPDIR/art
	mkdir -p "$fx"
	# shellcheck disable=SC2016 # expanded in the guest, by the fixture
	printf '%s\n' '#!/usr/bin/env bats' \
		'@test "in the guest" { [[ $(uname -r) == 6.1.* ]]; modprobe veth; grep -q "^veth " /proc/modules; }' \
		>"$fx/where.bats"
	run "$BATS_TEST_DIRNAME/../run.sh" --no-install --kernel "$tree" --artifacts "$BATS_TEST_TMPDIR/art" \
		"$fx/where.bats"
	assert_success
	assert_output --partial "ok 1 in the guest"
	# A tree with no bzImage says what to build.
	rm "$tree/arch/x86/boot/bzImage"
	run "$BATS_TEST_DIRNAME/../run.sh" --no-install --kernel "$tree" failover
	assert_failure 2
	assert_output --partial "has no arch/x86/boot/bzImage: build it first"
}

# $1: signal; starts a VM from a separate caller, kills the caller with it
kill_caller_with() {
	local pid i
	bash -c 'source "$1"; vm_run "$2" "$3" 60 "$4" -- sleep 1000' _ \
		"$BATS_TEST_DIRNAME/../harness/vm/vm.sh" "$VMT_VMLINUZ" "$VMT_MODULES" "$WORK" 3>&- &
	pid=$!
	for ((i = 0; i < 50; i++)); do
		pgrep -f -- "qemu-system-x86_64.*$WORK" >/dev/null && break
		sleep 0.2
	done
	pgrep -f -- "qemu-system-x86_64.*$WORK" >/dev/null || fail "qemu never started"
	kill "-$1" "$pid"
	wait "$pid" || true
}

@test "a caller killed with TERM takes its qemu down" {
	need_kernel
	kill_caller_with TERM
	no_qemu_left "$WORK"
}

@test "a caller killed with KILL: the watchdog takes its qemu down" {
	need_kernel
	kill_caller_with KILL
	no_qemu_left "$WORK"
}

@test "a guest kernel without MPTCP fails with 3 (simulated by a test hook)" {
	need_kernel
	MPTH_VM_FAKE_NO_MPTCP=1 run vm_run "$VMT_VMLINUZ" "$VMT_MODULES" 90 "$WORK" -- echo must-not-run
	assert_failure 3
	assert_output --partial 'vm: guest kernel has no MPTCP'
	refute_output --partial 'must-not-run'
}

@test "run.sh --kernel debian:6.1 runs a scenario in the guest: netem shapes it, exit code and JSON come back" {
	need_kernel
	local repo=$BATS_TEST_DIRNAME/..
	run "$repo/run.sh" --no-install --kernel debian:6.1 --artifacts "$WORK/art" \
		--json "$WORK/s.json" delay
	assert_success
	assert_output --regexp 'kernel 6\.1\.[0-9]+-[0-9]+-amd64 \(in a VM\)'
	assert_output --partial "shaping: netem on path 2"
	run jq -r '.passed, .failed, .skipped' "$WORK/s.json"
	assert_output $'4\n0\n0'
}

@test "a checkout under /tmp runs --kernel debian:6.1 to the end (the guest's own /tmp does not hide it)" {
	need_kernel
	local repo=$BATS_TEST_DIRNAME/.. clone=/tmp/mpth-vmclone-$$
	rm -rf "$clone"
	mkdir -p "$clone"
	(cd "$repo" && git ls-files -z | xargs -0 cp --parents -t "$clone")
	# One test that looks at where it runs, from the clone's own run.sh.
	# shellcheck disable=SC2016 # expanded in the guest, by the fixture
	printf '@test "in the guest, in the clone" {\n\t[[ $(uname -r) == 6.1.* ]]\n\t[[ $PWD == %s ]]\n\t[[ -x %s/c-samples/build/mptcp-client ]]\n}\n' \
		"$clone" "$clone" >"$clone/where.bats"
	run bash -c "cd '$clone' && ./run.sh --no-install --kernel debian:6.1 --artifacts /tmp/mpth-vmclone-art-$$ where.bats"
	rm -rf "$clone" "/tmp/mpth-vmclone-art-$$"
	refute_output --partial "is not visible in the guest"
	assert_success
	assert_output --partial "1 passed, 0 failed, 0 skipped"
}
