# shellcheck shell=bash
# run.sh's VM and matrix dispatch, on top of the VM runner (vm.sh, sourced
# when a VM is needed): the same command run again inside a VM booting
# another kernel (--kernel, with qemu or virtme-ng), the scenarios that
# need netem run in a VM during `test` on a kernel without it, `matrix`
# (the scenarios on each kernel, a table), and `--bisect` (exit codes for
# `git bisect run`).
#
# Public: vm_spec_valid SPEC, vm_rerun SPEC, vm_test_stage FILE...,
# vm_matrix, vm_bisect ARG...
# Reads run.sh's options (COMMAND, TARGETS, PASS_ARGS, OPT_*), records
# results for the reports (lib/report.sh) and uses its exit codes
# (EXIT_*, die_untestable).

# $1: kernel spec. True if it is one run.sh can use.
vm_spec_valid() {
	[[ $1 == host || $1 =~ ^debian:[0-9][0-9.+a-z~-]*$ || -f $1 || -d $1 ]]
}

# Run this same command inside a VM that boots another kernel, and exit
# with its result. $1: kernel spec (debian:VERSION or an image path)
vm_rerun() {
	local spec=$1 art rc=0 inner=()
	# shellcheck source=harness/vm/vm.sh
	source "$MPTH_ROOT/harness/vm/vm.sh"
	vm_qemu_available || exit "$EXIT_USAGE"
	vm_kernel_resolve "$spec" "$OPT_MODULES" >/dev/null || rc=$?
	case $rc in
	0) ;;
	5) die "$EXIT_USAGE" "cannot fetch kernel '$spec': apt-get download failed" ;;
	*)
		# Not a kernel run.sh can boot (said above): a bisection skips it.
		[[ ${MPTH_BISECT:-0} != 1 ]] || die_untestable "kernel '$spec' cannot be booted"
		exit "$EXIT_USAGE"
		;;
	esac
	cmd_preflight
	runner_build_samples
	art=${OPT_ARTIFACTS:-$MPTH_ROOT/artifacts/$(date +%Y%m%d-%H%M%S)-vm-${spec//[^A-Za-z0-9.]/_}}
	(umask 077 && mkdir -p "$art") || die "$EXIT_USAGE" "cannot create $art"
	# The guest writes only where the host can see it: the work dir.
	inner=(--no-install --artifacts "$art/run" "${PASS_ARGS[@]}")
	[[ -z $OPT_JSON ]] || inner+=(--json "$art/summary.json")
	[[ -z $OPT_JUNIT ]] || inner+=(--junit "$art/junit.xml")
	[[ -z $COMMAND ]] || inner+=("$COMMAND")
	inner+=("${TARGETS[@]}")
	if __vm_use_vng "$spec"; then
		__vm_rerun_vng "$spec" "$art" "${inner[@]}"
	fi
	log_info "booting $spec ($VM_VMLINUZ, $(vm_accel "$VM_VMLINUZ")); artifacts in $art"
	rc=0
	vm_run "$VM_VMLINUZ" "$VM_MODULES_DIR" "$OPT_VM_TIMEOUT" "$art" -- \
		"$MPTH_ROOT/run.sh" "${inner[@]}" || rc=$?
	case $VM_STATUS in
	nomptcp) die_untestable "kernel '$spec' has no MPTCP" ;;
	usage) rc=$EXIT_USAGE ;;
	timeout | vmfail)
		log_err "the VM run of '$spec' did not complete ($VM_STATUS)"
		rc=$EXIT_FAIL
		# Under --bisect: a kernel that never got to run the tests is
		# skipped; one that hung or died while they ran is bad.
		[[ ${MPTH_BISECT:-0} != 1 || ${VM_LAST_STAGE:-} == "running the command" ]] ||
			die_untestable "kernel '$spec' did not get to run the tests (boot stage: ${VM_LAST_STAGE:-unknown})"
		;;
	esac
	[[ -z $OPT_JSON || ! -s $art/summary.json ]] || cp "$art/summary.json" "$OPT_JSON"
	[[ -z $OPT_JUNIT || ! -s $art/junit.xml ]] || cp "$art/junit.xml" "$OPT_JUNIT"
	exit "$rc"
}

# virtme-ng, where installed, runs a kernel developer's own image (it knows
# kernel build trees and their modules); Debian kernels always go through
# vm.sh. MPTH_VM_RUNNER=qemu|vng forces one. $1: kernel spec
__vm_use_vng() {
	case ${MPTH_VM_RUNNER:-auto} in
	qemu) return 1 ;;
	vng) command -v vng >/dev/null || die "$EXIT_USAGE" "MPTH_VM_RUNNER=vng but vng is not installed" ;;
	*) [[ $1 != debian:* ]] && command -v vng >/dev/null || return 1 ;;
	esac
}

# Run through vng and exit with the run's code. Not exercised by our own
# CI: vng is not packaged for Debian 12. $1: spec, $2: artifacts dir,
# $3...: run.sh arguments
__vm_rerun_vng() {
	local spec=$1 art=$2 rc=0
	shift 2
	log_info "booting $spec with vng; artifacts in $art"
	timeout --kill-after=10 "$OPT_VM_TIMEOUT" vng --run "$spec" --user root \
		--cpus 2 --memory 2G --rwdir "$art" --cwd "$MPTH_ROOT" \
		--exec "$(printf '%q ' env MPTH_IN_VM=1 "$MPTH_ROOT/run.sh" "$@")" || rc=$?
	((rc != 124)) || log_err "vng: the VM did not finish within $OPT_VM_TIMEOUT s"
	exit "$rc"
}

# For `test` on a kernel without netem: run the scenarios that need it in
# a VM booting a Debian kernel (MPTH_TEST_VM_KERNEL, default debian:6.1),
# and count their results with the rest. $@: scenario files
vm_test_stage() {
	local spec=${MPTH_TEST_VM_KERNEL:-debian:6.1} art rc=0 json f row
	art=$MPTH_ARTIFACTS/vm-${spec//[^A-Za-z0-9.]/_}
	mkdir -p "$art"
	printf '# scenarios that need netem, in a VM booting %s: %s\n' "$spec" \
		"$(for f in "$@"; do basename "$f" .bats; done | tr '\n' ' ')"
	# shellcheck source=harness/vm/vm.sh
	source "$MPTH_ROOT/harness/vm/vm.sh"
	if ! vm_qemu_available || ! vm_kernel_resolve "$spec" >/dev/null; then
		for f in "$@"; do
			SUMMARY_ROWS+=("vm:$(basename "$f" .bats)	1	0	0	1	0		VM unavailable: no qemu or no kernel $spec")
			TOTAL_SKIP=$((TOTAL_SKIP + 1))
			tap_result ok "vm:$(basename "$f" .bats)" "VM unavailable: no qemu or no kernel $spec"
		done
		VM_PENDING=()
		return 0
	fi
	# The guest's own TAP document is nested in ours.
	local nest nest_pid
	exec {nest}> >(sed -u 's/^/# /')
	nest_pid=$!
	vm_run "$VM_VMLINUZ" "$VM_MODULES_DIR" "$OPT_VM_TIMEOUT" "$art" -- \
		"$MPTH_ROOT/run.sh" --no-install --artifacts "$art/run" --json "$art/summary.json" \
		"${PASS_ARGS[@]}" "$@" >&"$nest" || rc=$?
	exec {nest}>&-
	wait "$nest_pid" 2>/dev/null || true
	json=$art/summary.json
	if [[ $VM_STATUS != ok || ! -s $json ]]; then
		TOTAL_FAIL=$((TOTAL_FAIL + 1))
		SUMMARY_ROWS+=("vm:$spec	1	0	1	0	0		")
		for f in "$@"; do
			tap_result 'not ok' "$spec:$(basename "$f" .bats): the VM run did not complete: $VM_STATUS (exit $rc)"
		done
		VM_PENDING=()
		return 0
	fi
	local name p fl sk why
	for f in "$@"; do
		name=${f##*/} name=${name%.bats}
		read -r p fl sk why < <(jq -r --arg n "$name" '[.scenarios[] | select(.name == $n)] |
			"\(map(.passed) | add // 0) \(map(.failed) | add // 0) \(map(.skipped) | add // 0) \(.[0].skip_reason // "")"' "$json")
		if ((fl > 0 || p + sk == 0)); then
			tap_result 'not ok' "$spec:$name"
		elif ((p == 0)); then
			tap_result ok "$spec:$name" "${why:-every test skipped}"
		else
			tap_result ok "$spec:$name"
		fi
	done
	# shellcheck disable=SC2034 # read by lib/runner.sh (a signal prints what is pending)
	VM_PENDING=()
	TOTAL_PASS=$((TOTAL_PASS + $(jq .passed "$json")))
	TOTAL_FAIL=$((TOTAL_FAIL + $(jq .failed "$json")))
	TOTAL_SKIP=$((TOTAL_SKIP + $(jq .skipped "$json")))
	while IFS= read -r row; do
		SUMMARY_ROWS+=("$row")
	done < <(jq -r --arg k "$spec" '.scenarios[] | ["\($k):\(.name)", .iteration, .passed,
		.failed, .skipped, (.seconds * 1000 | floor),
		(.figures | to_entries | map("\(.key)=\(.value)") | join(" ")),
		(.skip_reason // ""), (.tests // [] | tojson)] | map(tostring) | join("\t")' "$json")
}

# Run the scenarios on each kernel and print a table: scenario by kernel.
vm_matrix() {
	local kernels=() k slug base rc json name cell row
	[[ -n $OPT_KERNELS ]] || die "$EXIT_USAGE" "matrix needs --kernels LIST, e.g. --kernels host,debian:6.1"
	((${#TARGETS[@]})) || die "$EXIT_USAGE" "matrix needs scenario names, or all"
	IFS=, read -r -a kernels <<<"$OPT_KERNELS"
	for k in "${kernels[@]}"; do
		vm_spec_valid "$k" ||
			die "$EXIT_USAGE" "unknown kernel spec '$k' (want host, debian:VERSION, an image file or a kernel build tree)"
	done
	base=${OPT_ARTIFACTS:-$MPTH_ROOT/artifacts/$(date +%Y%m%d-%H%M%S)-matrix}
	(umask 077 && mkdir -p "$base") || die "$EXIT_USAGE" "cannot create $base"
	# One TAP document: a result per kernel, each kernel's run nested.
	tap_begin "${#kernels[@]}"
	local nest nest_pid
	for k in "${kernels[@]}"; do
		slug=${k//[^A-Za-z0-9.]/_}
		log_info "matrix: kernel $k"
		local args=(--no-install --artifacts "$base/$slug" --json "$base/$slug.json" "${PASS_ARGS[@]}")
		[[ $k == host ]] || args+=(--kernel "$k" --vm-timeout "$OPT_VM_TIMEOUT")
		rc=0
		exec {nest}> >(sed -u 's/^/# /')
		nest_pid=$!
		"$0" "${args[@]}" "${TARGETS[@]}" >&"$nest" || rc=$?
		exec {nest}>&-
		wait "$nest_pid" 2>/dev/null || true
		echo "$rc" >"$base/$slug.rc"
		case $rc in
		0) tap_result ok "kernel $k" ;;
		4) tap_result ok "kernel $k" "every test skipped" ;;
		*) tap_result 'not ok' "kernel $k: exit $rc" ;;
		esac
	done
	# Rows: every scenario any kernel ran.
	echo "#"
	row=$(printf '# %-14s' SCENARIO)
	for k in "${kernels[@]}"; do
		row+=$(printf ' | %-28s' "$k")
	done
	echo "$row"
	for name in $(cat "$base"/*.json 2>/dev/null | jq -r '.scenarios[].name' | sort -u); do
		row=$(printf '# %-14s' "$name")
		for k in "${kernels[@]}"; do
			json=$base/${k//[^A-Za-z0-9.]/_}.json
			cell=$(jq -r --arg n "$name" '
				[.scenarios[] | select(.name == $n)] as $r
				| if ($r | length) == 0 then "-"
				elif ($r | map(.failed) | add) > 0 then "FAIL \($r | map(.failed) | add) of \($r | map(.passed + .failed + .skipped) | add)"
				elif ($r | map(.passed) | add) > 0 then "pass \($r | map(.passed) | add)"
				else "skip: \($r[0].skip_reason // "?")" end' "$json" 2>/dev/null) ||
				cell="error (exit $(cat "${json%.json}.rc" 2>/dev/null))"
			row+=$(printf ' | %-28s' "${cell:0:28}")
		done
		echo "$row"
	done
	# Under the table, what each FAIL cell holds: the failing tests, each
	# with its first failed check.
	for k in "${kernels[@]}"; do
		json=$base/${k//[^A-Za-z0-9.]/_}.json
		if [[ ! -s $json ]]; then
			echo "# $k: no result (exit $(cat "${json%.json}.rc" 2>/dev/null))"
			continue
		fi
		jq -r --arg k "$k" '.scenarios[] | .name as $s | .tests[]? | select(.status == "fail") |
			"# \($k) \($s): not ok \(.number) \(.name)" +
			([.checks[]? | select(.status == "fail")][0] |
				if . then " (\(.what): got \(.got), want \(.op) \(.bound))" else "" end)' "$json"
	done
	cat "$base"/*.json 2>/dev/null | jq -s -r '
		"\(map(.passed) | add // 0) passed, \(map(.failed) | add // 0) failed, \(map(.skipped) | add // 0) skipped"'
	for k in "${kernels[@]}"; do
		rc=$(cat "$base/${k//[^A-Za-z0-9.]/_}.rc" 2>/dev/null)
		[[ $rc == 0 || $rc == 4 ]] || exit "$EXIT_FAIL"
	done
	exit 0
}

# --bisect: run this same command as a child and turn its exit code into
# what `git bisect run` reads: 0 good, 1 bad, 125 skip, and above 127 stop.
# A signal is passed on to the child, whose own cleanup runs; its 130, 143
# or 129 stops the bisection. $@: the command line
vm_bisect() {
	local rc=0 child a s args=()
	for a in "$@"; do
		[[ $a == --bisect ]] || args+=("$a")
	done
	MPTH_BISECT=1 "$0" "${args[@]}" &
	child=$!
	for s in INT TERM HUP; do
		# shellcheck disable=SC2064 # the signal's name and the pid, now
		trap "kill -$s $child 2>/dev/null" "$s"
	done
	# wait returns when a trapped signal arrives: wait again.
	while :; do
		wait "$child"
		rc=$?
		kill -0 "$child" 2>/dev/null || break
	done
	case $rc in
	0 | 1 | 125 | 129 | 130 | 143) ;;
	4)
		log_err "bisect: every test was skipped: this kernel cannot be judged: exit 125"
		rc=125
		;;
	*)
		log_err "bisect: the harness could not run (exit $rc): exit 128 stops the bisection"
		rc=128
		;;
	esac
	exit "$rc"
}
