# shellcheck shell=bash
# run.sh's commands that run no scenario, and the checks before those that
# do: list (each scenario, what it proves and requires), doctor (what this
# machine and kernel can do, and which scenarios will run), clean (what
# killed runs left); preflight (root, packages, MPTCP, writable outputs)
# and the rootless re-exec.
#
# Public: cmd_list, cmd_doctor, cmd_clean, cmd_preflight,
# cmd_rootless_reexec ARG...
# Reads run.sh's options (COMMAND, APP, SCENARIO_FILES, OPT_*) and uses its
# exit codes (EXIT_USAGE, die_untestable).

cmd_list() {
	local f name req
	printf '%-16s %-s\n' SCENARIO 'WHAT IT PROVES / REQUIRES'
	while read -r f; do
		name=${f##*/} name=${name%.bats}
		req=$(feat_requires "$f")
		printf '%-16s %s\n' "$name" "$(scenario_title "$f")"
		printf "%-16s requires: %s\n" "" "${req:-mptcp ip_mptcp}"
	done < <(scenario_files)
}

# Doctor's findings as JSON: features with how or why, and scenarios
# with run or skip and the reason. $1: output file ("-" for stdout)
__cmd_doctor_json() {
	local f name req missing why out=$1 feats=() scns=()
	[[ $out == - ]] && out=/dev/stdout
	for f in "${MPTH_FEATURES[@]}"; do
		if feat_have "$f"; then
			feats+=("$(jq -cn --arg n "$f" --arg h "$FEAT_HOW" '{($n): {ok: true, how: $h}}')")
		else
			feats+=("$(jq -cn --arg n "$f" --arg h "$FEAT_REASON" '{($n): {ok: false, why: $h}}')")
		fi
	done
	while read -r f; do
		name=${f##*/} name=${name%.bats}
		req=$(feat_requires "$f")
		missing='' why=''
		for f in $req; do
			feat_have "$f" || { missing=$f why="needs $f: $FEAT_REASON"; break; }
		done
		scns+=("$(jq -cn --arg n "$name" --arg w "$why" --arg r "$req" \
			'{($n): {will: (if $w == "" then "run" else "skip" end), requires: ($r | split(" ") | map(select(length > 0))), reason: (if $w == "" then null else $w end)}}')")
	done < <(scenario_files)
	jq -n --argjson f "$(printf '%s\n' "${feats[@]}" | jq -s 'add')" \
		--argjson s "$(printf '%s\n' "${scns[@]}" | jq -s 'add // {}')" \
		--arg k "$(uname -r)" '{kernel: $k, features: $f, scenarios: $s}' >"$out"
}

cmd_doctor() {
	local f name req missing why
	[[ -z $OPT_JSON ]] || { __cmd_doctor_json "$OPT_JSON"; return; }
	printf '%-20s %-4s %s\n' FEATURE OK 'HOW DETECTED / WHY NOT'
	for f in "${MPTH_FEATURES[@]}"; do
		if feat_have "$f"; then
			printf '%-20s %-4s %s\n' "$f" yes "$FEAT_HOW"
		else
			printf '%-20s %-4s %s\n' "$f" no "$FEAT_REASON"
		fi
	done
	echo
	printf '%-16s %-5s %s\n' SCENARIO WILL 'REASON'
	while read -r f; do
		name=${f##*/} name=${name%.bats}
		req=$(feat_requires "$f")
		missing=''
		for f in $req; do
			feat_have "$f" || { missing=$f why=$FEAT_REASON; break; }
		done
		if [[ -z $missing ]]; then
			printf '%-16s %-5s\n' "$name" run
		else
			printf '%-16s %-5s needs %s: %s\n' "$name" skip "$missing" "$why"
		fi
	done < <(scenario_files)
}

cmd_clean() {
	local out
	out=$(runstate_clean_stale)
	if [[ -n $out ]]; then
		printf '%s\n' "$out"
	else
		echo "nothing to clean"
	fi
}

# Without root, run again inside a new user namespace where we are root
# over our own network and mount namespaces: a private tmpfs on /run holds
# the namespaces' mount points and the run state, and everything the run
# made dies with it. $@: the original arguments
cmd_rootless_reexec() {
	if ! feat_have userns; then
		die "$EXIT_USAGE" "must run as root (network namespaces need CAP_SYS_ADMIN), and rootless mode is unavailable: $FEAT_REASON. Try: sudo $0"
	fi
	log_info "running rootless, in a user namespace of uid $EUID"
	# shellcheck disable=SC2016 # $@ is expanded by the inner bash
	exec env MPTH_ROOTLESS=1 MPTH_TMPBASE=/run MPTH_STATE_DIR=/run/mptcp-harness \
		unshare --user --map-root-user --net --mount --propagation private -- \
		bash -c 'mount -t tmpfs -o mode=0755 mpth-rootless /run && exec "$@"' \
		rootless "$0" "$@"
}

# Check the environment before anything is created.
cmd_preflight() {
	if ((EUID != 0)); then
		die "$EXIT_USAGE" "must run as root (network namespaces need CAP_SYS_ADMIN): try sudo $0"
	fi
	# apt-get cannot work from inside a user namespace.
	[[ -z ${MPTH_ROOTLESS:-} ]] || OPT_INSTALL=0
	local extra='' f
	[[ $COMMAND == all || $COMMAND == test ]] && extra=extra
	# Named scenarios: the optional packages their requirements name, and
	# gnuplot, which draws each fault run's timeline.
	if [[ -z $COMMAND || $COMMAND == app ]]; then
		extra=gnuplot
		[[ -z ${APP[mptcpize]:-} ]] || extra+=" mptcpize"
		for f in "${SCENARIO_FILES[@]}"; do
			extra+=" $(feat_requires "$f")"
		done
	fi
	deps_ensure "$OPT_INSTALL" "$extra" || exit "$EXIT_USAGE"
	if ! feat_have mptcp; then
		die_untestable "$FEAT_REASON"
	fi
	if ! feat_have ip_mptcp; then
		die "$EXIT_USAGE" "$FEAT_REASON (package iproute2 >= 5.7)"
	fi
	if [[ -n $OPT_ARTIFACTS ]]; then
		{ (umask 077 && mkdir -p -- "$OPT_ARTIFACTS") 2>/dev/null && [[ -w $OPT_ARTIFACTS ]]; } ||
			die "$EXIT_USAGE" "artifacts directory '$OPT_ARTIFACTS' cannot be created or written"
	fi
	local out
	for out in "$OPT_JUNIT" "$OPT_JSON"; do
		[[ -z $out ]] && continue
		[[ -w $(dirname -- "$out") ]] ||
			die "$EXIT_USAGE" "cannot write '$out': its directory is missing or not writable"
	done
}
