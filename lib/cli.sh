# shellcheck shell=bash
# run.sh's commands that run no scenario, and what the CLI checks before
# one that does: list (each scenario, what it proves and requires), doctor
# (what this machine and kernel can do, and which scenarios will run),
# clean (what killed runs left); the scenario files (the catalogue, a
# user's name for one, its title, the syntax and --filter checks);
# preflight (root, packages, MPTCP, writable outputs) and the rootless
# re-exec.
#
# Public: cli_list, cli_doctor, cli_clean; cli_scenario_files,
# cli_scenario_resolve NAME, cli_scenario_title FILE, cli_syntax_check
# FILE, cli_filter_check REGEX FILE..., cli_scenarios_needing FEATURE
# FILE...; cli_preflight, cli_rootless_reexec ARG...
# Reads run.sh's options (COMMAND, APP, SCENARIO_FILES, OPT_*) and uses its
# exit codes (EXIT_USAGE, die_untestable).

# Scenario files, sorted.
cli_scenario_files() {
	local f
	for f in "$MPTH_ROOT"/scenarios/*.bats; do
		[[ -e $f ]] && printf '%s\n' "$f"
	done
}

# Map a user's name for a scenario to its file. $1: name
cli_scenario_resolve() {
	local name=$1 base
	# Names are plain words and paths; anything a shell could interpret,
	# or a climb out of a directory, is refused before it is used.
	if [[ ! $name =~ ^[A-Za-z0-9._/+-]+$ || $name == *..* ]]; then
		log_err "invalid scenario name '$name' (letters, digits, . _ / + - only; no '..')"
		return 1
	fi
	if [[ $name == *.bats && -f $name ]]; then
		realpath "$name"
		return
	fi
	base=${name%/}
	base=${base##*/}
	base=${base%.bats}
	case $name in
	*/*) [[ ${name%/*} =~ ^(\./)?(scenarios?|$MPTH_ROOT/scenarios)$ ]] || base='' ;;
	esac
	if [[ -n $base && -f $MPTH_ROOT/scenarios/$base.bats ]]; then
		printf '%s\n' "$MPTH_ROOT/scenarios/$base.bats"
		return
	fi
	log_err "unknown scenario '$name'. Known scenarios:"
	cli_scenario_files | sed 's|.*/||; s|\.bats$||; s|^|  |' >&2
	return 1
}

# The one-line description of a scenario: the first comment sentence.
# $1: file
cli_scenario_title() {
	awk 'NR > 1 && /^# / { sub(/^# /, ""); t = t (t ? " " : "") $0
		if ($0 ~ /\.$/) { print t; exit } next }
		NR > 1 && t { print t; exit }' "$1"
}

# A .bats file is bash once each "@test NAME {" line is a function header,
# which is what Bats itself does; bash -n then finds syntax errors without
# running anything. $1: file
cli_syntax_check() {
	local err
	err=$(sed -E 's/^[[:blank:]]*@test[[:blank:]]+.*[^[:blank:]][[:blank:]]+\{(.*)$/__t() {\1/' "$1" |
		bash -n 2>&1) && return 0
	log_err "$1 does not parse: ${err//bash: line /line }"
	return 1
}

# --filter must be a valid regex (bats matches it with [[ =~ ]]) that
# matches the name of some test of the selected files; else exit 2 before
# anything runs. Names are read as written: a name built from a variable
# is matched on its text. $1: the regex, $2...: files
cli_filter_check() {
	local re=$1 f line name rc
	shift
	[[ '' =~ $re ]]
	rc=$?
	((rc != 2)) || die "$EXIT_USAGE" "--filter '$re' is not a valid extended regular expression"
	for f in "$@"; do
		while IFS= read -r line; do
			[[ $line =~ ^[[:space:]]*@test[[:space:]]+[\"\'](.*)[\"\'][[:space:]]*\{ ]] || continue
			name=${BASH_REMATCH[1]}
			[[ $name =~ $re ]] && return 0
		done <"$f"
	done
	die "$EXIT_USAGE" "--filter '$re' matches no test in the $# file(s) selected (names as written after @test)"
}

# The files of a list whose "# requires:" line names a feature.
# $1: feature, $2...: files
cli_scenarios_needing() {
	local feat=$1 f
	shift
	for f in "$@"; do
		[[ " $(feat_requires "$f") " == *" $feat "* ]] &&
			printf '%s\n' "$f"
	done
}

cli_list() {
	local f name req
	printf '%-16s %-s\n' SCENARIO 'WHAT IT PROVES / REQUIRES'
	while read -r f; do
		name=${f##*/} name=${name%.bats}
		req=$(feat_requires "$f")
		printf '%-16s %s\n' "$name" "$(cli_scenario_title "$f")"
		printf "%-16s requires: %s\n" "" "${req:-mptcp ip_mptcp}"
	done < <(cli_scenario_files)
}

# Doctor's findings as JSON: features with how or why, and scenarios
# with run or skip and the reason. $1: output file ("-" for stdout)
__cli_doctor_json() {
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
	done < <(cli_scenario_files)
	jq -n --argjson f "$(printf '%s\n' "${feats[@]}" | jq -s 'add')" \
		--argjson s "$(printf '%s\n' "${scns[@]}" | jq -s 'add // {}')" \
		--arg k "$(uname -r)" '{kernel: $k, features: $f, scenarios: $s}' >"$out"
}

cli_doctor() {
	local f name req missing why
	[[ -z $OPT_JSON ]] || { __cli_doctor_json "$OPT_JSON"; return; }
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
	done < <(cli_scenario_files)
}

cli_clean() {
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
cli_rootless_reexec() {
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
cli_preflight() {
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
