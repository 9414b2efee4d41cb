#!/usr/bin/env bash
# mptcp-harness: run MPTCP scenarios in network namespaces.
# See README.md, or ./run.sh --help.
#
# Exit codes (kselftest style): 0 all passed, 1 something failed,
# 2 usage or environment error (nothing was run), 4 everything skipped.

set -uo pipefail

MPTH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export MPTH_ROOT
# shellcheck source=lib/log.sh
source "$MPTH_ROOT/lib/log.sh"
# shellcheck source=lib/wait.sh
source "$MPTH_ROOT/lib/wait.sh"
# shellcheck source=lib/features.sh
source "$MPTH_ROOT/lib/features.sh"
# shellcheck source=lib/runstate.sh
source "$MPTH_ROOT/lib/runstate.sh"
# shellcheck source=lib/deps.sh
source "$MPTH_ROOT/lib/deps.sh"
# shellcheck source=lib/report.sh
source "$MPTH_ROOT/lib/report.sh"
# shellcheck source=lib/jobs.sh
source "$MPTH_ROOT/lib/jobs.sh"

# Every run probes for itself: a run started from inside another (the
# self-tests do this) must not trust its parent's findings or identity.
unset MPTH_FEATURE_CACHE MPTH_RUN_ID MPTH_TMP MPTH_RUN_OWNED

EXIT_FAIL=1
EXIT_USAGE=2
EXIT_SKIP=4

usage() {
	cat <<'EOF'
Usage: run.sh [OPTIONS] SCENARIO...
       run.sh [OPTIONS] all | test
       run.sh --kernel SPEC [OPTIONS] SCENARIO... | all
       run.sh matrix --kernels SPEC,SPEC... SCENARIO... | all
       run.sh list | doctor | clean
       run.sh bench [--quick] [--json FILE]
       run.sh app --server 'CMD ... {port}' --client 'CMD ... {server} ... {port}'
                  [--mptcpize] [--fault link-down|blackhole|none] [--paths N]
                  [--rate R] [--fault-after BYTES|TIMEms] [--restore-after MS]
                  [--listen-timeout MS] [--client-timeout MS] [--max-outage MS]

Scenarios are files in scenarios/; name one as failover, failover.bats,
scenarios/failover or a path to any .bats file.

Commands:
  all              run every scenario in scenarios/
  test             run the self-tests (tests/*.bats), then every scenario,
                   4 at a time (see -j)
  list             print each scenario, what it proves and what it needs
  doctor           print what this machine and kernel can do
  clean            remove what killed runs left behind (namespaces,
                   processes, temp dirs); never touches a live run
  matrix           run the scenarios on each kernel of --kernels and print
                   a table: scenario by kernel, pass, fail or skip (why)
  bench            measure aggregation, failover outage, harness cost and
                   sample speed; prints a table (--quick: a short run)
  app              run your own server and client over the failover
                   topology, break path 1 once the client's traffic flows,
                   and report on it in TAP (see "Your application" in
                   README.md): {port} is a free port, {server} and
                   {server6} the server's path-1 addresses

Options:
  --no-install     do not apt-get missing packages; print the command
  --strict         a skipped test counts as a failure (so does
                   SELFTESTS_MPTCP_LIB_EXPECT_ALL_FEATURES=1)
  --bisect         exit codes for `git bisect run`: 0 passed, 1 failed,
                   125 this kernel cannot be judged (no boot, no MPTCP,
                   everything skipped), 128 the harness itself could not
                   run (stops the bisection)
  --artifacts DIR  keep artifacts here (default: artifacts/ in the repo)
  --keep           keep bulky artifacts and temp files of passing runs
  --seed N         seed for every random choice (default: random, printed)
  --repeat N       run each scenario N times and report the pass rate
  -j, --jobs N     run N scenarios at once (1..64; default 1, for test 4);
                   each scenario's TAP is printed whole, in the usual order
  --stress N       run N competing busy loops for the whole run (1..64),
                   to check that scenarios hold under load
  --filter REGEX   only run tests whose name matches (bats --filter)
  --capture        header-only pcap per path (tcpdump), size-bounded
  --rootless       run inside a new user namespace, without root (chosen
                   by itself when not root and user namespaces allow it)
  --junit FILE     also write a JUnit XML report
  --json FILE      also write a JSON summary ("-" for stdout); with
                   doctor, write its table as JSON
  --kernel SPEC    run inside a qemu VM booting that kernel: debian:6.1,
                   debian:6.12 (fetched with apt-get download, cached), the
                   path of a bzImage, or a kernel build tree (its bzImage
                   and the modules it built); host means no VM
  --modules DIR    the modules of a --kernel image (default: none)
  --kernels LIST   with matrix: comma-separated kernel specs
  --vm-timeout S   bound on a VM run, boot included (default 1800)
  -v, --verbose    show the harness's debug output
  -h, --help       this text

Options of app:
  --server CMD        the server, run with sh -c in the server's namespace;
                      it must contain {port}
  --client CMD        the client, run with sh -c in the client's namespace
  --mptcpize          run both under mptcpize (their TCP sockets become MPTCP)
  --fault F           link-down (default), blackhole or none
  --paths N           paths between client and server (2..4, default 2)
  --rate R            rate of each path (tbf; default 20mbit)
  --fault-after X     when to break path 1: after X bytes on the paths
                      (4M, 512K, 100000; default 2M) or X ms after the
                      client started (1500ms)
  --restore-after MS  path 1 comes back MS after the fault (default 3000)
  --listen-timeout MS how long the server may take to listen (default 10000)
  --client-timeout MS how long the client may run (default 120000)
  --max-outage MS     fail if traffic stopped longer than MS after the fault

Exit codes: 0 passed, 1 failed, 2 usage or environment error, 4 all skipped;
130, 143, 129 after SIGINT, SIGTERM, SIGHUP. See --bisect.
EOF
}

OPT_INSTALL=1
OPT_BISECT=0
# This run's own, once it has one: a run started by another (a self-test)
# must not write into its parent's artifacts (an early signal would).
unset MPTH_ARTIFACTS
OPT_ROOTLESS=0
OPT_KERNEL=''
OPT_MODULES=''
OPT_KERNELS=''
OPT_VM_TIMEOUT=1800
# Options that a run in a VM, or each run of a matrix, is given again.
PASS_ARGS=()
OPT_STRICT=${MPTH_STRICT:-0}
OPT_ARTIFACTS=''
OPT_KEEP=0
OPT_SEED=''
OPT_REPEAT=1
OPT_JOBS=1
OPT_JOBS_SET=0
OPT_STRESS=0
# How many scenarios `test` runs at once unless -j says otherwise.
TEST_JOBS_DEFAULT=4
OPT_FILTER=''
OPT_JUNIT=''
OPT_JSON=''
COMMAND=''
TARGETS=()
# run.sh app: what the user gave, checked by app_check.
declare -A APP=()

# $1: option, $2: value
need_value() {
	[[ -n ${2:-} && $2 != --* ]] || die $EXIT_USAGE "option $1 needs a value (see --help)"
}

# $1: option, $2: value
need_uint() {
	[[ $2 =~ ^[0-9]+$ ]] || die $EXIT_USAGE "option $1 wants a non-negative integer, got '$2'"
}

# A whole number within bounds; prints it in decimal (a leading zero does
# not make it octal). $1: option, $2: value, $3: min, $4: max
need_range() {
	local v=${2#"${2%%[1-9]*}"}
	# More digits than the bound has cannot be in range (and would
	# overflow the shell's arithmetic).
	if [[ ! $2 =~ ^[0-9]+$ ]] || ((${#v} > ${#4} || 10#${v:-0} < $3 || 10#${v:-0} > $4)); then
		die $EXIT_USAGE "option $1 wants a whole number from $3 to $4, got '$2'"
	fi
	echo "$((10#${v:-0}))"
}

# The options given, by their long name: check_option_fit refuses one the
# command would ignore.
declare -A GIVEN=()
# The files a run will take (preflight installs what named ones require).
SCENARIO_FILES=()

parse_args() {
	while (($#)); do
		case $1 in
		-j | --jobs) GIVEN[--jobs]=1 ;;
		-v | --verbose) GIVEN[--verbose]=1 ;;
		--*) GIVEN[$1]=1 ;;
		esac
		case $1 in
		-h | --help)
			usage
			exit 0
			;;
		--no-install) OPT_INSTALL=0 ;;
		--bisect) OPT_BISECT=1 ;;
		--capture) export MPTH_CAPTURE=1; PASS_ARGS+=("$1") ;;
		--quick) export MPTH_BENCH_QUICK=1; PASS_ARGS+=("$1") ;;
		--rootless) OPT_ROOTLESS=1 ;;
		--mptcpize) APP[mptcpize]=1 ;;
		--server | --client | --fault | --paths | --rate | --fault-after | \
			--restore-after | --listen-timeout | --client-timeout | --max-outage)
			need_value "$1" "${2-}"
			APP[${1#--}]=$2
			shift
			;;
		--strict) OPT_STRICT=1; PASS_ARGS+=("$1") ;;
		--keep) OPT_KEEP=1; PASS_ARGS+=("$1") ;;
		-v | --verbose) export MPTH_VERBOSE=1; PASS_ARGS+=("$1") ;;
		-j?*) set -- -j "${1#-j}" "${@:2}"; continue ;;
		--artifacts | --seed | --repeat | --filter | --junit | --json | \
			--kernel | --modules | --kernels | --vm-timeout | -j | --jobs | --stress)
			need_value "$1" "${2-}"
			case $1 in
			--artifacts) OPT_ARTIFACTS=$2 ;;
			--seed)
				need_uint "$1" "$2"
				OPT_SEED=$2
				PASS_ARGS+=("$1" "$2")
				;;
			--repeat)
				need_uint "$1" "$2"
				(($2 >= 1 && $2 <= 10000)) ||
					die $EXIT_USAGE "option --repeat wants 1..10000, got '$2'"
				OPT_REPEAT=$2
				PASS_ARGS+=("$1" "$2")
				;;
			-j | --jobs)
				OPT_JOBS=$(need_range "$1" "$2" 1 64) || exit $EXIT_USAGE
				OPT_JOBS_SET=1
				PASS_ARGS+=(--jobs "$OPT_JOBS")
				;;
			--stress)
				OPT_STRESS=$(need_range "$1" "$2" 1 64) || exit $EXIT_USAGE
				PASS_ARGS+=("$1" "$OPT_STRESS")
				;;
			--filter)
				OPT_FILTER=$2
				PASS_ARGS+=("$1" "$2")
				;;
			--junit) OPT_JUNIT=$2 ;;
			--json) OPT_JSON=$2 ;;
			--kernel) OPT_KERNEL=$2 ;;
			--modules) OPT_MODULES=$2 ;;
			--kernels) OPT_KERNELS=$2 ;;
			--vm-timeout)
				need_uint "$1" "$2"
				OPT_VM_TIMEOUT=$2
				;;
			esac
			shift
			;;
		--) shift; TARGETS+=("$@"); break ;;
		-*) die $EXIT_USAGE "unknown option '$1' (see --help)" ;;
		all | test | list | doctor | clean | bench | matrix | app)
			# "matrix all" runs the whole catalogue on every kernel.
			if [[ $COMMAND == matrix && $1 == all ]]; then
				TARGETS+=(all)
			else
				[[ -z $COMMAND && ${#TARGETS[@]} == 0 ]] ||
					die $EXIT_USAGE "'$1' cannot be combined with other commands or scenarios"
				COMMAND=$1
			fi
			;;
		*)
			[[ -z $COMMAND || $COMMAND == matrix ]] ||
				die $EXIT_USAGE "'$COMMAND' takes no scenario names (got '$1')"
			TARGETS+=("$1")
			;;
		esac
		shift
	done
	[[ -n $COMMAND || ${#TARGETS[@]} -gt 0 ]] || {
		usage >&2
		exit $EXIT_USAGE
	}
}

# Scenario files, sorted.
scenario_files() {
	local f
	for f in "$MPTH_ROOT"/scenarios/*.bats; do
		[[ -e $f ]] && printf '%s\n' "$f"
	done
}

# Map a user's name for a scenario to its file. $1: name
resolve_scenario() {
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
	scenario_files | sed 's|.*/||; s|\.bats$||; s|^|  |' >&2
	return 1
}

# The one-line description of a scenario: the first comment sentence.
# $1: file
scenario_title() {
	awk 'NR > 1 && /^# / { sub(/^# /, ""); t = t (t ? " " : "") $0
		if ($0 ~ /\.$/) { print t; exit } next }
		NR > 1 && t { print t; exit }' "$1"
}

# A .bats file is bash once each "@test NAME {" line is a function header,
# which is what Bats itself does; bash -n then finds syntax errors without
# running anything. $1: file
syntax_check() {
	local err
	err=$(sed -E 's/^[[:blank:]]*@test[[:blank:]]+.*[^[:blank:]][[:blank:]]+\{(.*)$/__t() {\1/' "$1" |
		bash -n 2>&1) && return 0
	log_err "$1 does not parse: ${err//bash: line /line }"
	return 1
}

cmd_list() {
	local f name req
	printf '%-16s %-s\n' SCENARIO 'WHAT IT PROVES / REQUIRES'
	while read -r f; do
		name=${f##*/} name=${name%.bats}
		req=$(sed -n 's/^# requires:[[:space:]]*//p' "$f" | head -n1)
		printf '%-16s %s\n' "$name" "$(scenario_title "$f")"
		printf "%-16s requires: %s\n" "" "${req:-mptcp ip_mptcp}"
	done < <(scenario_files)
}

# Doctor's findings as JSON: features with how or why, and scenarios
# with run or skip and the reason. $1: output file ("-" for stdout)
doctor_json() {
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
		req=$(sed -n 's/^# requires:[[:space:]]*//p' "$f" | head -n1)
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
	[[ -z $OPT_JSON ]] || { doctor_json "$OPT_JSON"; return; }
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
		req=$(sed -n 's/^# requires:[[:space:]]*//p' "$f" | head -n1)
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
rootless_reexec() {
	if ! feat_have userns; then
		die $EXIT_USAGE "must run as root (network namespaces need CAP_SYS_ADMIN), and rootless mode is unavailable: $FEAT_REASON. Try: sudo $0"
	fi
	log_info "running rootless, in a user namespace of uid $EUID"
	# shellcheck disable=SC2016 # $@ is expanded by the inner bash
	exec env MPTH_ROOTLESS=1 MPTH_TMPBASE=/run MPTH_STATE_DIR=/run/mptcp-harness \
		unshare --user --map-root-user --net --mount --propagation private -- \
		bash -c 'mount -t tmpfs -o mode=0755 mpth-rootless /run && exec "$@"' \
		rootless "$0" "$@"
}

# Check the environment before anything is created.
preflight() {
	if ((EUID != 0)); then
		die $EXIT_USAGE "must run as root (network namespaces need CAP_SYS_ADMIN): try sudo $0"
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
			extra+=" $(file_requires "$f")"
		done
	fi
	deps_ensure "$OPT_INSTALL" "$extra" || exit $EXIT_USAGE
	if ! feat_have mptcp; then
		die_untestable "$FEAT_REASON"
	fi
	if ! feat_have ip_mptcp; then
		die $EXIT_USAGE "$FEAT_REASON (package iproute2 >= 5.7)"
	fi
	if [[ -n $OPT_ARTIFACTS ]]; then
		{ (umask 077 && mkdir -p -- "$OPT_ARTIFACTS") 2>/dev/null && [[ -w $OPT_ARTIFACTS ]]; } ||
			die $EXIT_USAGE "artifacts directory '$OPT_ARTIFACTS' cannot be created or written"
	fi
	local out
	for out in "$OPT_JUNIT" "$OPT_JSON"; do
		[[ -z $out ]] && continue
		[[ -w $(dirname -- "$out") ]] ||
			die $EXIT_USAGE "cannot write '$out': its directory is missing or not writable"
	done
}

# make runs in the background, so that a signal's trap runs at once (bash
# holds a trap back while a foreground child runs) and can stop it. Its
# output goes next to what it builds (no temp file to leak).
BUILD_PID=''
build_samples() {
	local log=$MPTH_ROOT/c-samples/build/make.log rc=0
	mkdir -p "${log%/*}" || die $EXIT_FAIL "cannot create ${log%/*}"
	make -C "$MPTH_ROOT/c-samples" -s >"$log" 2>&1 &
	BUILD_PID=$!
	wait "$BUILD_PID" || rc=$?
	BUILD_PID=''
	if ((rc)); then
		cat "$log" >&2
		die $EXIT_FAIL "building c-samples failed"
	fi
	[[ ! -s $log ]] || log_debug "$(<"$log")"
}

CLEANED=0
# shellcheck disable=SC2317 # reached from the EXIT trap
cleanup() {
	((CLEANED)) && return
	CLEANED=1
	# The load goes first, so that teardown gets the CPU.
	stress_stop
	if [[ -n $BUILD_PID ]]; then
		jobs_kill_tree "$BUILD_PID"
		wait "$BUILD_PID" 2>/dev/null
	fi
	# TERM first, so that bats can run teardown_file; then whatever of
	# this run is left is killed. An interrupted run gives bats less time,
	# and tells its teardown to skip what only a finished run needs.
	[[ -z $SIG_NAME || -z ${MPTH_TMP:-} ]] || : >"$MPTH_TMP/interrupted"
	jobs_kill_all "$([[ -n $SIG_NAME ]] && echo 1500 || echo 3000)"
	[[ -z ${MPTH_RUN_ID:-} ]] || runstate_kill_procs "$MPTH_RUN_ID"
	runstate_finish "$OPT_KEEP"
	[[ -z ${MPTH_RUN_ID:-} ]] || runstate_settle "$MPTH_RUN_ID" 2000 ||
		log_warn "the next run.sh start, or run.sh clean, removes what is left"
}

# A signal stops the run: no test starts after it and nothing streamed
# after it counts. What ended before it is reported; the run that was
# under way is marked interrupted, with the verdicts it had printed.
# While the job loop waits in `read -t`, a signal's trap runs inside that
# read, and bash's read timeout can cut the trap short (a longjmp out of
# it, back to the read). So there the trap only notes the signal, and the
# loop acts on it within a tick.
IN_JOBS=0 SIGNALLED=0 SIG_NAME='' SIG_AT=0
declare -A SIG_EXIT=([INT]=130 [TERM]=143 [HUP]=129)
# shellcheck disable=SC2317 # reached from the INT, TERM and HUP traps
on_signal() {
	if [[ -z $SIG_NAME ]]; then
		SIG_NAME=$1
		ms_into SIG_AT
	fi
	if ((IN_JOBS)); then
		SIGNALLED=1
		return
	fi
	on_signal_now
}

# shellcheck disable=SC2317 # reached from the INT, TERM and HUP traps
on_signal_now() {
	# A second signal must not cut the teardown short; it is bounded.
	trap '' INT TERM HUP
	IN_JOBS=0
	log_warn "interrupted by SIG$SIG_NAME: stopping the run and cleaning up"
	cleanup
	report_interrupted
	exit "${SIG_EXIT[$SIG_NAME]}"
}

trap_signals() {
	local s
	for s in INT TERM HUP; do
		# shellcheck disable=SC2064 # the signal's name, now
		trap "on_signal $s" "$s"
	done
}

TOTAL_PASS=0 TOTAL_FAIL=0 TOTAL_SKIP=0
SUMMARY_ROWS=()
RUN_COUNT=0

# The key figures a scenario recorded (harness_figure), as "k=v k=v".
# $1: artifacts dir of the scenario
key_figures() {
	[[ -s $1/key-figures.tsv ]] || return 0
	awk -F'\t' '{ printf "%s%s=%s", sep, $1, $2; sep = " " }' "$1/key-figures.tsv"
}

# Remove what is big and only useful to debug a failure. $1: dir
prune_artifacts() {
	rm -rf "$1/samples" "$1"/*.pcap* "$1"/traffic-*/client.info \
		"$1"/traffic-*/*.timeline 2>/dev/null
}

# $1: name of the variable to set to the time in ms (no fork, unlike $(now_ms))
ms_into() {
	local t=${EPOCHREALTIME/./}
	printf -v "$1" '%s' "${t:0:-3}"
}

# The runs of this invocation: one per scenario file and iteration, indexed
# in the order a serial run takes them, which is also the order in which
# their TAP, their rows and the totals come out, whatever -j is. With -j N,
# N run at once, each bats writing its TAP to its own file; the oldest
# unprinted run streams live, and the others' TAP waits, whole, for its
# turn. So a -j run's stdout is a serial run's, timings aside, and each
# scenario's TAP stays together.
J_FILE=() J_ITER=() J_NAME=() J_STEM=() J_ALONE=() J_START=() J_END=()
J_PASS=() J_FAIL=() J_SKIP=() J_WHY=() J_PLAN=()
# 0 waiting, 1 running, 2 ended, 3 printed
J_STATE=()
# The order runs start in: the serial order, except that with -j > 1 the
# runs that must run alone go first (so that no run waits behind them).
J_ORDER=()
J_NEXT=0
RUNNING_ALONE=0
HEAD=0 HEAD_FD='' HEAD_PART=''
# The head run's verdicts printed so far: passed, failed, skipped.
HEAD_SHOWN=(0 0 0)
declare -A ALONE_OF=()

# A file whose header says "# jobs: alone" (it measures timing, or checks
# what any run.sh start would clean up) never runs beside another.
# $1: file, $2: iteration (empty when not repeating)
job_add() {
	local i=${#J_FILE[@]} name=${1##*/}
	name=${name%.bats}
	if [[ -z ${ALONE_OF[$1]:-} ]]; then
		ALONE_OF[$1]=0
		grep -qE '^# jobs:[[:space:]]*alone' "$1" && ALONE_OF[$1]=1
	fi
	J_FILE[i]=$1 J_ITER[i]=$2 J_NAME[i]=$name J_STATE[i]=0 J_ALONE[i]=${ALONE_OF[$1]}
	# What two runs at once must not share: the harness's namespace
	# prefix (mpth-<id>-<first 12 characters>[-<iter>]-) and, by name,
	# the TAP file, the JUnit and artifacts directories.
	J_STEM[i]="${name:0:12}${2:+-$2} $name${2:+-$2}"
}

# $1: index. True if a running job shares a name with it.
job_conflicts() {
	local j a=${J_STEM[$1]% *} b=${J_STEM[$1]#* }
	for j in "${!JOBS_PID[@]}"; do
		[[ ${J_STEM[j]% *} == "$a" || ${J_STEM[j]#* } == "$b" ]] && return 0
	done
	return 1
}

# $1: TAP file, $2: iteration, $3...: bats arguments
# shellcheck disable=SC2317 # run by jobs_spawn
job_bats() {
	local tap=$1 iter=$2
	shift 2
	# bats' own temp dirs go in the run's, which cleanup removes even
	# when bats was killed before it could remove them.
	TMPDIR=$MPTH_TMP MPTH_ITER=$iter bats "$@" >"$tap" 2>&1
}

# $1: index
job_start() {
	local i=$1 name=${J_NAME[$1]} iter=${J_ITER[$1]} art jdir args=(--tap)
	art=$MPTH_ARTIFACTS/$name${iter:+-$iter}
	jdir=$MPTH_ARTIFACTS/junit/$name${iter:+-$iter}
	mkdir -p "$jdir"
	args+=(--report-formatter junit --output "$jdir")
	[[ -z $OPT_FILTER ]] || args+=(--filter "$OPT_FILTER")
	((RUN_COUNT > 1)) && log_info "[$((i + 1))/$RUN_COUNT] $name${iter:+ (run $iter of $OPT_REPEAT)}"
	J_STATE[i]=1
	((J_ALONE[i])) && RUNNING_ALONE=1
	ms_into "J_START[$i]"
	: >"$art.tap"
	jobs_spawn "$i" job_bats "$art.tap" "$iter" "${args[@]}" "${J_FILE[i]}"
}

# Start what may start: up to OPT_JOBS at once, never two that share a
# name, and a run marked alone only when nothing else runs.
job_schedule() {
	local k i seen=0
	((RUNNING_ALONE)) && return 0
	for ((k = J_NEXT; k < ${#J_ORDER[@]} && seen < 64; k++)); do
		((${#JOBS_PID[@]} < OPT_JOBS)) || break
		i=${J_ORDER[k]}
		if ((J_STATE[i] != 0)); then
			((k != J_NEXT)) || J_NEXT=$((k + 1))
			continue
		fi
		seen=$((seen + 1))
		if ((J_ALONE[i])); then
			((${#JOBS_PID[@]})) || job_start "$i"
			break
		fi
		job_conflicts "$i" || job_start "$i"
	done
}

# Count an ended run's results from its TAP. $1: index
job_tally() {
	local i=$1 line pass=0 fail=0 skip=0 why='' plan=''
	while IFS= read -r line; do
		case $line in
		1..*) [[ -n $plan ]] || plan=${line#1..} ;;
		'ok '*'# skip'*)
			skip=$((skip + 1))
			[[ -n $why ]] || why=${line#*# skip }
			;;
		'ok '*) pass=$((pass + 1)) ;;
		'not ok '*) fail=$((fail + 1)) ;;
		esac
	done <"$MPTH_ARTIFACTS/${J_NAME[i]}${J_ITER[i]:+-${J_ITER[i]}}.tap"
	J_PASS[i]=$pass J_FAIL[i]=$fail J_SKIP[i]=$skip J_WHY[i]=$why J_PLAN[i]=${plan:-0}
}

# --- stdout is one TAP document: TAP version 13 with kselftest's
# conventions. Each scenario run is one numbered top-level result, and its
# own TAP (bats') is nested above it as "# " lines, the way kselftest's
# runner nests each selftest's output. A crash is a numbered "not ok".

TAP_SEQ=0 TAP_BEGUN=0
# The VM stage's results not printed yet: a signal prints them as cut.
VM_PENDING=()

# $1: the number of top-level results that will follow
tap_begin() {
	TAP_BEGUN=1
	printf 'TAP version 13\n1..%d\n' "$1"
}

# One line of a run's own TAP, nested, its skip directive in upper case.
# $1: the line
tap_nested() {
	local l=$1
	case $l in
	'ok '*' # skip'*) l=${l/ \# skip/ \# SKIP} ;;
	esac
	printf '# %s\n' "$l"
}

# A top-level result. $1: ok|not ok, $2: description, $3: skip reason
tap_result() {
	TAP_SEQ=$((TAP_SEQ + 1))
	printf '%s %d %s%s\n' "$1" "$TAP_SEQ" "$2" "${3:+ # SKIP $3}"
}

# Copy the head run's new TAP lines to stdout, after its header the first
# time. $1: 1 once the run has ended: print the rest, close the file
head_show() {
	local i=$HEAD part=''
	if [[ -z $HEAD_FD ]]; then
		printf '# scenario %s%s\n' "${J_NAME[i]}" "${J_ITER[i]:+ (run ${J_ITER[i]} of $OPT_REPEAT)}"
		exec {HEAD_FD}<"$MPTH_ARTIFACTS/${J_NAME[i]}${J_ITER[i]:+-${J_ITER[i]}}.tap"
		HEAD_PART='' HEAD_SHOWN=(0 0 0)
	fi
	while IFS= read -r part <&"$HEAD_FD"; do
		part=$HEAD_PART$part
		tap_nested "$part"
		HEAD_PART=''
		case $part in
		'ok '*'# skip'*) HEAD_SHOWN[2]=$((HEAD_SHOWN[2] + 1)) ;;
		'ok '*) HEAD_SHOWN[0]=$((HEAD_SHOWN[0] + 1)) ;;
		'not ok '*) HEAD_SHOWN[1]=$((HEAD_SHOWN[1] + 1)) ;;
		esac
	done
	# A line still being written: keep it until its end arrives.
	HEAD_PART+=$part
	(($1)) || return 0
	[[ -z $HEAD_PART ]] || tap_nested "$HEAD_PART"
	exec {HEAD_FD}<&-
	HEAD_FD='' HEAD_PART=''
}

# A run's tests as one line of JSON: number, name, status (pass, fail,
# skip), skip reason, seconds, and the checks each made (what, got, the
# operator and bound, and whether it held), from its TAP and the checks
# the harness recorded (checks.tsv). $1: TAP file, $2: checks file
tests_json() {
	local checks=$2
	[[ -r $checks ]] || checks=/dev/null
	jq -R -s -c --rawfile checks "$checks" '
		def num: tonumber? // .;
		($checks | split("\n") | map(select(length > 0) | split("\t") |
			{test: .[0], what: .[1], got: (.[2] | num), op: .[3],
			 bound: (.[4] | num), status: .[5]})) as $c
		| split("\n") | map(select(test("^(not )?ok [0-9]+ ")) |
			capture("^(?<st>(not )?ok) (?<n>[0-9]+) (?<rest>.*)$") |
			(.rest | capture(" # skip ?(?<why>.*)$")? // null) as $sk |
			(.rest | capture(" # in (?<ms>[0-9]+) ms$")? // null) as $t |
			(.rest | sub(" # skip.*$"; "") | sub(" # in [0-9]+ ms$"; "")) as $name |
			{number: (.n | tonumber), name: $name,
			 status: (if $sk then "skip" elif .st == "ok" then "pass" else "fail" end),
			 skip_reason: (if $sk then $sk.why else null end),
			 seconds: (if $t then ($t.ms | tonumber) / 1000 else null end),
			 checks: [$c[] | select(.test == $name) | del(.test)]})' "$1" 2>/dev/null || echo '[]'
}

# Print an ended run's trailer and add it to the totals. $1: index
job_report() {
	local i=$1 name=${J_NAME[$1]} iter=${J_ITER[$1]} rc=${JOBS_RC[$1]} dur art
	local pass=${J_PASS[$1]} fail=${J_FAIL[$1]} skip=${J_SKIP[$1]}
	art=$MPTH_ARTIFACTS/$name${iter:+-$iter}
	local verdict=ok why='' skip_why=''
	# bats failed without a failing test: a parse error or a crash. It
	# counts as one failure, and its result says why.
	if ((rc != 0 && fail == 0)); then
		fail=1
		why="bats exited $rc without a test result"
	fi
	# Every test the plan announced must reach a verdict.
	if ((fail == 0 && pass + skip < ${J_PLAN[i]:-0})) && [[ ${J_WHY[i]} != interrupted* ]]; then
		fail=1
		why="$((pass + skip)) of its ${J_PLAN[i]} tests reached a verdict"
	fi
	if ((OPT_STRICT && skip > 0)); then
		printf '# strict mode: %d skipped test(s) in %s count as failures\n' "$skip" "$name"
		fail=$((fail + skip))
		skip=0
	fi
	dur=$((J_END[i] - J_START[i]))
	TOTAL_PASS=$((TOTAL_PASS + pass))
	TOTAL_FAIL=$((TOTAL_FAIL + fail))
	TOTAL_SKIP=$((TOTAL_SKIP + skip))
	local tests
	tests=$(tests_json "$art.tap" "$art/checks.tsv")
	SUMMARY_ROWS+=("$name	${iter:-1}	$pass	$fail	$skip	$dur	$(key_figures "$art")	${J_WHY[i]}	$tests")
	# A failed or interrupted run keeps everything it produced.
	((fail > 0 || OPT_KEEP)) || [[ ${J_WHY[i]} == interrupted* ]] || prune_artifacts "$art"
	printf '# %s: %d passed, %d failed, %d skipped in %d.%01d s\n' "$name" \
		"$pass" "$fail" "$skip" $((dur / 1000)) $((dur % 1000 / 100))
	if ((fail > 0)) || [[ ${J_WHY[i]} == interrupted* ]]; then
		verdict='not ok'
		# Why it failed, not why something else in it skipped.
		if [[ -z $why && ${J_WHY[i]} == interrupted* ]]; then
			why=${J_WHY[i]}
		elif [[ -z $why ]]; then
			local first=''
			first=$(grep -m1 '^not ok' "$art.tap" 2>/dev/null | sed -E 's/^not ok [0-9]+ //; s/ # in [0-9]+ ms$//')
			why="$fail failed${first:+, first: $first}"
		fi
	elif ((pass == 0 && skip > 0)); then
		skip_why=${J_WHY[i]:-every test skipped}
	fi
	tap_result "$verdict" "$name${iter:+ (run $iter of $OPT_REPEAT)}${why:+: $why}" "${skip_why:-}"
}

# Print, in order, what can be printed: the head run's TAP so far, and
# every ended run from the head on.
job_print() {
	while ((HEAD < ${#J_FILE[@]} && J_STATE[HEAD] >= 1)); do
		if ((J_STATE[HEAD] == 1)); then
			head_show 0
			return
		fi
		head_show 1
		job_report "$HEAD"
		J_STATE[HEAD]=3
		HEAD=$((HEAD + 1))
	done
}

# Run every job, OPT_JOBS at a time.
run_jobs() {
	local n=${#J_FILE[@]} i dur
	((n)) || return 0
	jobs_init "$MPTH_TMP" || die $EXIT_FAIL "cannot make the job FIFO in $MPTH_TMP"
	if ((OPT_JOBS > 1)); then
		for ((i = 0; i < n; i++)); do
			((J_ALONE[i])) && J_ORDER+=("$i")
		done
		for ((i = 0; i < n; i++)); do
			((J_ALONE[i])) || J_ORDER+=("$i")
		done
	else
		for ((i = 0; i < n; i++)); do
			J_ORDER+=("$i")
		done
	fi
	IN_JOBS=1
	job_schedule
	while ((HEAD < n)); do
		((!SIGNALLED)) || on_signal_now
		job_print
		((HEAD < n)) || break
		jobs_wait 0.2
		((!SIGNALLED)) || on_signal_now
		((${#JOBS_DONE[@]})) || continue
		for i in "${JOBS_DONE[@]}"; do
			J_STATE[i]=2
			ms_into "J_END[$i]"
			((J_ALONE[i])) && RUNNING_ALONE=0
			job_tally "$i"
			((OPT_JOBS == 1)) && continue
			dur=$((J_END[i] - J_START[i]))
			log_info "[$((i + 1))/$RUN_COUNT] ${J_NAME[i]}${J_ITER[i]:+ (run ${J_ITER[i]} of $OPT_REPEAT)} ended: ${J_PASS[i]} passed, ${J_FAIL[i]} failed, ${J_SKIP[i]} skipped in $(fmt_s "$dur") s"
		done
		job_print
		job_schedule
	done
	IN_JOBS=0
	((!SIGNALLED)) || on_signal_now
}

# The features the runs' headers require, probed once before runs start at
# once (they would each probe them, at the same time). $@: files
features_prewarm() {
	local f feat
	for f in "$@"; do
		for feat in $(file_requires "$f"); do
			feat_have "$feat" >/dev/null
		done
	done
}

# $1: file. The words of its "# requires:" line.
file_requires() {
	sed -n 's/^# requires:[[:space:]]*//p' "$1" | head -n1
}

# --filter must be a valid regex (bats matches it with [[ =~ ]]) that
# matches the name of some test of the selected files; else exit 2 before
# anything runs. Names are read as written: a name built from a variable
# is matched on its text. $@: files
filter_check() {
	local f line name rc
	[[ '' =~ $OPT_FILTER ]]
	rc=$?
	((rc != 2)) || die $EXIT_USAGE "--filter '$OPT_FILTER' is not a valid extended regular expression"
	for f in "$@"; do
		while IFS= read -r line; do
			[[ $line =~ ^[[:space:]]*@test[[:space:]]+[\"\'](.*)[\"\'][[:space:]]*\{ ]] || continue
			name=${BASH_REMATCH[1]}
			[[ $name =~ $OPT_FILTER ]] && return 0
		done <"$f"
	done
	die $EXIT_USAGE "--filter '$OPT_FILTER' matches no test in the $# file(s) selected (names as written after @test)"
}

# $1: seconds as ms
fmt_s() {
	printf '%d.%d' $(($1 / 1000)) $(($1 % 1000 / 100))
}

# After a signal: the runs that ended before it are printed whole and
# counted; the one whose TAP was streaming keeps the verdicts it had
# printed; every other run under way is cut short, and the rest never
# started. Then the summary, marked, in the TAP, the artifacts (a file
# INTERRUPTED) and the JSON and JUnit reports.
report_interrupted() {
	local i n=${#J_FILE[@]} what cut=0 unstarted=0 shown f
	what="interrupted by SIG$SIG_NAME"
	if ((n == 0)); then
		((TAP_BEGUN)) || tap_begin 0
		printf '# %s before any test ran\n' "$what"
		[[ ! -d ${MPTH_ARTIFACTS:-} ]] ||
			printf '%s before any test ran\n' "$what" >"$MPTH_ARTIFACTS/INTERRUPTED"
		return 0
	fi
	JUNIT_WAIT_MS=0
	for ((i = HEAD; i < n; i++)); do
		if ((J_STATE[i] == 0)); then
			unstarted=$((unstarted + 1))
			tap_result 'not ok' "${J_NAME[i]}${J_ITER[i]:+ (run ${J_ITER[i]} of $OPT_REPEAT)}: $what before it started"
			continue
		fi
		if ((i != HEAD)) && [[ -n $HEAD_FD ]]; then
			exec {HEAD_FD}<&-
			HEAD_FD=''
		fi
		if ((J_STATE[i] == 2 && J_END[i] < SIG_AT)); then
			HEAD=$i
			head_show 1
			job_report "$i"
			continue
		fi
		cut=$((cut + 1))
		shown=(0 0 0)
		if ((i == HEAD)) && [[ -n $HEAD_FD ]]; then
			shown=("${HEAD_SHOWN[@]}")
			exec {HEAD_FD}<&-
			HEAD_FD=''
		else
			printf '# scenario %s%s\n' "${J_NAME[i]}" "${J_ITER[i]:+ (run ${J_ITER[i]} of $OPT_REPEAT)}"
		fi
		J_END[i]=$SIG_AT
		J_PASS[i]=${shown[0]} J_FAIL[i]=${shown[1]} J_SKIP[i]=${shown[2]} J_WHY[i]=$what
		JOBS_RC[$i]=0
		printf '# %s: %s; what it printed before stands\n' "${J_NAME[i]}" "$what"
		job_report "$i"
	done
	HEAD=$n
	for f in "${VM_PENDING[@]}"; do
		unstarted=$((unstarted + 1))
		tap_result 'not ok' "$f: $what before it started"
	done
	VM_PENDING=()
	printf '# %s: %d run(s) cut short, %d never started\n' "$what" "$cut" "$unstarted"
	printf '%s: %d run(s) cut short, %d never started\n' "$what" "$cut" "$unstarted" \
		>"$MPTH_ARTIFACTS/INTERRUPTED"
	write_reports
	print_summary
	[[ -z $OPT_JUNIT ]] || write_junit "$OPT_JUNIT"
	[[ -z $OPT_JSON ]] || write_json "$OPT_JSON"
}

print_summary() {
	local row name iter pass fail skip dur keys why tests
	echo "#"
	printf '# %-22s %6s %6s %7s %7s  %s\n' SCENARIO PASSED FAILED SKIPPED SECONDS 'KEY FIGURES'
	for row in "${SUMMARY_ROWS[@]}"; do
		# A tab is whitespace to read: empty fields would collapse.
		IFS=$'\x1f' read -r name iter pass fail skip dur keys why tests <<<"${row//$'\t'/$'\x1f'}"
		((OPT_REPEAT > 1)) && name="$name#$iter"
		[[ -z $why ]] || keys+="${keys:+  }$why"
		printf '# %-22s %6d %6d %7d %7s  %s\n' "$name" "$pass" "$fail" "$skip" \
			"$(fmt_s "$dur")" "$keys"
	done
	((OPT_REPEAT > 1)) && print_repeat_stats
	print_pictures
	[[ ! -s $MPTH_ARTIFACTS/index.html ]] || printf '# report: %s\n' "$MPTH_ARTIFACTS/index.html"
	printf '%d passed, %d failed, %d skipped\n' "$TOTAL_PASS" "$TOTAL_FAIL" "$TOTAL_SKIP"
}

# Where the timelines the runs drew are (an SVG and a PNG per traffic run
# of a fault), a line per scenario run that drew some.
print_pictures() {
	local i art pic drew=0
	local -a svgs
	for ((i = 0; i < ${#J_FILE[@]}; i++)); do
		art=$MPTH_ARTIFACTS/${J_NAME[i]}${J_ITER[i]:+-${J_ITER[i]}}
		svgs=("$art"/timeline-*.svg)
		[[ -e ${svgs[0]} ]] || continue
		((drew++)) || echo "#"
		printf '# timelines of %s:' "${J_NAME[i]}${J_ITER[i]:+#${J_ITER[i]}}"
		for pic in "${svgs[@]}"; do
			printf ' %s' "${pic%.svg}.{svg,png}"
		done
		echo
	done
}

# For --repeat: per scenario, the share of runs with no failure, and the
# spread (min, median, max) of each key figure.
print_repeat_stats() {
	echo "#"
	printf '%s\n' "${SUMMARY_ROWS[@]}" | awk -F'\t' '
		{
			n[$1]++
			if ($4 == 0) ok[$1]++
			k = split($7, kv, " ")
			for (i = 1; i <= k; i++) {
				split(kv[i], p, "=")
				if (p[2] !~ /^-?[0-9.]+$/) continue
				key = $1 SUBSEP p[1]
				cnt[key]++
				val[key, cnt[key]] = p[2]
				names[$1] = names[$1] " " p[1]
			}
		}
		END {
			for (s in n) {
				printf "# %s: %d of %d runs passed (%.0f%%)\n", s, ok[s], n[s], 100 * ok[s] / n[s]
				split(names[s], ks, " ")
				delete seen
				for (j in ks) {
					key = s SUBSEP ks[j]
					if (ks[j] == "" || seen[ks[j]]++) continue
					m = cnt[key]
					for (a = 1; a <= m; a++) v[a] = val[key, a] + 0
					for (a = 1; a <= m; a++) for (b = a + 1; b <= m; b++)
						if (v[b] < v[a]) { t = v[a]; v[a] = v[b]; v[b] = t }
					med = m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
					printf "#   %-28s min %s  median %s  max %s  (n=%d)\n", ks[j], v[1], med, v[m], m
				}
			}
		}'
}

# One JUnit file from each run's report. $1: output file
# $1: a bats JUnit report. True once bats' formatter has finished it: it
# writes after bats itself has exited, so a report can still be growing.
# shellcheck disable=SC2317 # called through busywait
__junit_complete() {
	grep -q '</testsuites>' "$1" 2>/dev/null
}

JUNIT_WAIT_MS=5000
write_junit() {
	local f
	for f in "$MPTH_ARTIFACTS"/junit/*/; do
		[[ -d $f ]] || continue
		busywait "$JUNIT_WAIT_MS" __junit_complete "$f/report.xml" ||
			log_warn "junit: $f/report.xml is incomplete"
	done
	{
		echo '<?xml version="1.0" encoding="UTF-8"?>'
		echo '<testsuites>'
		for f in "$MPTH_ARTIFACTS"/junit/*/report.xml; do
			[[ -s $f ]] || continue
			# Name the suite after its run, so repeats stay apart.
			sed -n '/<testsuite /,/<\/testsuite>/p' "$f" |
				sed "s|<testsuite name=\"[^\"]*\"|<testsuite name=\"$(basename "$(dirname "$f")")\"|"
		done
		echo '</testsuites>'
	} >"$1"
}

# The run's own summary.json and HTML report, in its artifacts directory,
# whatever options were given. A report that cannot be written (a full
# disk) is said, and changes no verdict.
write_reports() {
	rm -f "$MPTH_ARTIFACTS/index.html"
	if ! write_json "$MPTH_ARTIFACTS/summary.json" || ! report_write "$MPTH_ARTIFACTS"; then
		log_warn "report: could not write $MPTH_ARTIFACTS/index.html"
	fi
}

# $1: output file ("-" for stdout)
write_json() {
	local out=$1
	[[ $out == - ]] && out=/dev/stdout
	printf '%s\n' "${SUMMARY_ROWS[@]}" | jq -R -s \
		--arg run "$MPTH_RUN_ID" --arg seed "$MPTH_SEED" --arg art "$MPTH_ARTIFACTS" \
		--argjson p "$TOTAL_PASS" --argjson f "$TOTAL_FAIL" --argjson s "$TOTAL_SKIP" \
		--arg sig "${SIG_NAME:+SIG$SIG_NAME}" '
		{
			run_id: $run, seed: ($seed | tonumber), artifacts: $art,
			passed: $p, failed: $f, skipped: $s,
			interrupted: (if $sig == "" then null else $sig end),
			scenarios: [split("\n")[] | select(length > 0) | split("\t") | {
				name: .[0], iteration: (.[1] | tonumber),
				passed: (.[2] | tonumber), failed: (.[3] | tonumber),
				skipped: (.[4] | tonumber), seconds: ((.[5] | tonumber) / 1000),
				figures: ((.[6] // "") | split(" ") | map(select(length > 0) | split("=") |
					{key: .[0], value: (.[1] | tonumber? // .[1])}) | from_entries),
				skip_reason: (if (.[7] // "") == "" then null else .[7] end),
				tests: ((.[8] // "[]") | fromjson? // [])
			}]
		}' >"$out"
}

# Run this same command inside a VM that boots another kernel, and exit
# with its result. $1: kernel spec (debian:VERSION or an image path)
run_in_vm() {
	local spec=$1 art rc=0 inner=()
	# shellcheck source=harness/vm/vm.sh
	source "$MPTH_ROOT/harness/vm/vm.sh"
	vm_qemu_available || exit $EXIT_USAGE
	vm_kernel_resolve "$spec" "$OPT_MODULES" >/dev/null || rc=$?
	case $rc in
	0) ;;
	5) die $EXIT_USAGE "cannot fetch kernel '$spec': apt-get download failed" ;;
	*)
		# Not a kernel run.sh can boot (said above): a bisection skips it.
		[[ ${MPTH_BISECT:-0} != 1 ]] || die_untestable "kernel '$spec' cannot be booted"
		exit $EXIT_USAGE
		;;
	esac
	preflight
	build_samples
	art=${OPT_ARTIFACTS:-$MPTH_ROOT/artifacts/$(date +%Y%m%d-%H%M%S)-vm-${spec//[^A-Za-z0-9.]/_}}
	(umask 077 && mkdir -p "$art") || die $EXIT_USAGE "cannot create $art"
	# The guest writes only where the host can see it: the work dir.
	inner=(--no-install --artifacts "$art/run" "${PASS_ARGS[@]}")
	[[ -z $OPT_JSON ]] || inner+=(--json "$art/summary.json")
	[[ -z $OPT_JUNIT ]] || inner+=(--junit "$art/junit.xml")
	[[ -z $COMMAND ]] || inner+=("$COMMAND")
	inner+=("${TARGETS[@]}")
	if __use_vng "$spec"; then
		run_in_vng "$spec" "$art" "${inner[@]}"
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
# harness/vm/vm.sh. MPTH_VM_RUNNER=qemu|vng forces one. $1: kernel spec
__use_vng() {
	case ${MPTH_VM_RUNNER:-auto} in
	qemu) return 1 ;;
	vng) command -v vng >/dev/null || die $EXIT_USAGE "MPTH_VM_RUNNER=vng but vng is not installed" ;;
	*) [[ $1 != debian:* ]] && command -v vng >/dev/null || return 1 ;;
	esac
}

# Run through vng and exit with the run's code. Not exercised by our own
# CI: vng is not packaged for Debian 12. $1: spec, $2: artifacts dir,
# $3...: run.sh arguments
run_in_vng() {
	local spec=$1 art=$2 rc=0
	shift 2
	log_info "booting $spec with vng; artifacts in $art"
	timeout --kill-after=10 "$OPT_VM_TIMEOUT" vng --run "$spec" --user root \
		--cpus 2 --memory 2G --rwdir "$art" --cwd "$MPTH_ROOT" \
		--exec "$(printf '%q ' env MPTH_IN_VM=1 "$MPTH_ROOT/run.sh" "$@")" || rc=$?
	((rc != 124)) || log_err "vng: the VM did not finish within $OPT_VM_TIMEOUT s"
	exit "$rc"
}

# $1: kernel spec. True if it is one run.sh can use.
valid_kernel_spec() {
	[[ $1 == host || $1 =~ ^debian:[0-9][0-9.+a-z~-]*$ || -f $1 || -d $1 ]]
}

# The scenarios of a list that need netem. $@: files
netem_scenarios() {
	local f
	for f in "$@"; do
		[[ " $(sed -n 's/^# requires:[[:space:]]*//p' "$f" | head -n1) " == *" netem "* ]] &&
			printf '%s\n' "$f"
	done
}

# For `test` on a kernel without netem: run the scenarios that need it in
# a VM booting a Debian kernel (MPTH_TEST_VM_KERNEL, default debian:6.1),
# and count their results with the rest. $@: scenario files
vm_stage() {
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
cmd_matrix() {
	local kernels=() k slug base rc json name cell row
	[[ -n $OPT_KERNELS ]] || die $EXIT_USAGE "matrix needs --kernels LIST, e.g. --kernels host,debian:6.1"
	((${#TARGETS[@]})) || die $EXIT_USAGE "matrix needs scenario names, or all"
	IFS=, read -r -a kernels <<<"$OPT_KERNELS"
	for k in "${kernels[@]}"; do
		valid_kernel_spec "$k" ||
			die $EXIT_USAGE "unknown kernel spec '$k' (want host, debian:VERSION, an image file or a kernel build tree)"
	done
	base=${OPT_ARTIFACTS:-$MPTH_ROOT/artifacts/$(date +%Y%m%d-%H%M%S)-matrix}
	(umask 077 && mkdir -p "$base") || die $EXIT_USAGE "cannot create $base"
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
		[[ $rc == 0 || $rc == 4 ]] || exit $EXIT_FAIL
	done
	exit 0
}

# The kernel under test cannot be judged (no MPTCP, it did not boot):
# under --bisect, 125, which git bisect reads as "skip this one"; else a
# usage or environment error. $@: message
die_untestable() {
	if [[ ${MPTH_BISECT:-0} == 1 ]]; then
		log_err "$@"
		log_err "bisect: this kernel cannot be judged: exit 125 (git bisect skips it)"
		exit 125
	fi
	die $EXIT_USAGE "$@"
}

# --bisect: run this same command as a child and turn its exit code into
# what `git bisect run` reads: 0 good, 1 bad, 125 skip, and above 127 stop.
# A signal is passed on to the child, whose own cleanup runs; its 130, 143
# or 129 stops the bisection. $@: the command line
bisect_run() {
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

# $1: option, $2: value. Prints it in ms: "1500", "1500ms" or "2s".
app_ms() {
	[[ $2 =~ ^([0-9]{1,7})(ms)?$ ]] && { echo $((10#${BASH_REMATCH[1]})); return; }
	[[ $2 =~ ^([0-9]{1,5})s$ ]] && { echo $((10#${BASH_REMATCH[1]} * 1000)); return; }
	die $EXIT_USAGE "option $1 wants a time in ms (1500, 1500ms or 2s), got '$2'"
}

# Check run.sh app's settings and hand them to harness/app.bats. Bad
# input: a clear message and exit 2, before anything is created.
app_check() {
	local k v
	((${#TARGETS[@]} == 0)) || die $EXIT_USAGE "app takes no scenario names (got '${TARGETS[0]}')"
	[[ -n ${APP[server]:-} ]] || die $EXIT_USAGE "app needs --server 'COMMAND ... {port}'"
	[[ -n ${APP[client]:-} ]] || die $EXIT_USAGE "app needs --client 'COMMAND ... {server} ... {port}'"
	[[ ${APP[server]} == *'{port}'* ]] ||
		die $EXIT_USAGE "--server must contain {port}, where the harness puts the port it listens on"
	for k in server client; do
		v=${APP[$k]//\{port\}/}
		v=${v//\{server\}/}
		v=${v//\{server6\}/}
		[[ $v != *'{'[a-z]*'}'* ]] ||
			die $EXIT_USAGE "--$k: unknown placeholder in '${APP[$k]}' (there are {port}, {server} and {server6})"
	done
	case ${APP[fault]:=link-down} in
	link-down | blackhole | none) ;;
	*) die $EXIT_USAGE "--fault wants link-down, blackhole or none, got '${APP[fault]}'" ;;
	esac
	APP[paths]=$(need_range --paths "${APP[paths]:-2}" 2 4) || exit $EXIT_USAGE
	[[ ${APP[rate]:=20mbit} =~ ^[1-9][0-9]*(\.[0-9]+)?(bit|kbit|mbit|gbit)$ ]] ||
		die $EXIT_USAGE "--rate wants a tc rate like 20mbit, 500kbit or 1gbit, got '${APP[rate]}'"
	v=${APP[fault-after]:-2M}
	if [[ $v =~ ^([0-9]+)ms$ ]]; then
		APP[fault-after]=$((10#${BASH_REMATCH[1]}))ms
	elif [[ $v =~ ^([0-9]{1,9})([KMG]?)$ ]]; then
		case ${BASH_REMATCH[2]} in
		K) APP[fault-after]=$((10#${BASH_REMATCH[1]} * 1024)) ;;
		M) APP[fault-after]=$((10#${BASH_REMATCH[1]} * 1048576)) ;;
		G) APP[fault-after]=$((10#${BASH_REMATCH[1]} * 1073741824)) ;;
		*) APP[fault-after]=$((10#${BASH_REMATCH[1]})) ;;
		esac
	else
		die $EXIT_USAGE "--fault-after wants bytes (4M, 512K, 100000) or a time after the client started (1500ms), got '$v'"
	fi
	export MPTH_APP_SERVER=${APP[server]} MPTH_APP_CLIENT=${APP[client]} \
		MPTH_APP_FAULT=${APP[fault]} MPTH_APP_PATHS=${APP[paths]} MPTH_APP_RATE=${APP[rate]} \
		MPTH_APP_FAULT_AFTER=${APP[fault-after]} MPTH_APP_MPTCPIZE=${APP[mptcpize]:-0}
	MPTH_APP_RESTORE_AFTER_MS=$(app_ms --restore-after "${APP[restore-after]:-3000}") || exit $EXIT_USAGE
	MPTH_APP_LISTEN_TIMEOUT_MS=$(app_ms --listen-timeout "${APP[listen-timeout]:-10000}") || exit $EXIT_USAGE
	MPTH_APP_CLIENT_TIMEOUT_MS=$(app_ms --client-timeout "${APP[client-timeout]:-120000}") || exit $EXIT_USAGE
	MPTH_APP_MAX_OUTAGE_MS=''
	[[ -z ${APP[max-outage]:-} ]] ||
		MPTH_APP_MAX_OUTAGE_MS=$(app_ms --max-outage "${APP[max-outage]}") || exit $EXIT_USAGE
	export MPTH_APP_RESTORE_AFTER_MS MPTH_APP_LISTEN_TIMEOUT_MS MPTH_APP_CLIENT_TIMEOUT_MS MPTH_APP_MAX_OUTAGE_MS
}

# Refuse an option that the command would silently ignore: the user would
# believe it took effect. (-j and --stress have their own messages.)
check_option_fit() {
	local o ok cmd=${COMMAND:-run}
	[[ $cmd == all || $cmd == test ]] && cmd=run
	# Inside a VM, what the host's run.sh already accepted.
	[[ -z ${MPTH_IN_VM:-} ]] || return 0
	for o in "${!GIVEN[@]}"; do
		case $o in
		--quick) ok=' bench ' ;;
		--server | --client | --mptcpize | --fault | --paths | --rate | --fault-after | \
			--restore-after | --listen-timeout | --client-timeout | --max-outage) ok=' app ' ;;
		--kernels) ok=' matrix ' ;;
		--modules) [[ -n $OPT_KERNEL && $OPT_KERNEL != host ]] ||
			die $EXIT_USAGE "--modules goes with --kernel IMAGE (the image's modules)"
			continue ;;
		--vm-timeout) [[ -n $OPT_KERNEL && $OPT_KERNEL != host ]] || [[ $cmd == matrix ]] ||
			die $EXIT_USAGE "--vm-timeout goes with --kernel or matrix (it bounds a VM run)"
			continue ;;
		--json) ok=' run matrix bench doctor app ' ;;
		--artifacts)
			# A VM run keeps the guest's console and results there.
			[[ -z $OPT_KERNEL || $OPT_KERNEL == host ]] || continue
			ok=' run matrix bench app '
			;;
		--seed | --keep) ok=' run matrix bench app ' ;;
		--capture | --strict | --junit) ok=' run matrix app ' ;;
		--filter | --repeat) ok=' run matrix ' ;;
		--bisect) ok=' run ' ;;
		*) continue ;;
		esac
		[[ $ok == *" $cmd "* ]] && continue
		ok=${ok# }
		ok=${ok% }
		ok=${ok// /, }
		die $EXIT_USAGE "$o does not go with ${COMMAND:-scenario names}: it would be ignored (it goes with ${ok/run/scenario runs})"
	done
}

main() {
	trap_signals
	parse_args "$@"
	case $COMMAND in
	list | doctor | clean | bench)
		((!OPT_JOBS_SET)) || die $EXIT_USAGE "-j/--jobs does not go with $COMMAND (it runs scenarios at once)"
		((!OPT_STRESS)) || die $EXIT_USAGE "--stress does not go with $COMMAND (it loads scenario runs)"
		;;
	test) ((OPT_JOBS_SET)) || OPT_JOBS=$TEST_JOBS_DEFAULT ;;
	esac
	check_option_fit
	# The selftests' strict switch is --strict.
	[[ ${SELFTESTS_MPTCP_LIB_EXPECT_ALL_FEATURES:-0} != 1 ]] || OPT_STRICT=1
	((!OPT_BISECT)) || [[ ${MPTH_BISECT:-0} == 1 ]] || bisect_run "$@"
	if [[ -z ${MPTH_ROOTLESS:-} && $COMMAND != list ]] && ((EUID != 0 || OPT_ROOTLESS)); then
		rootless_reexec "$@"
	fi
	if [[ -n $OPT_KERNEL ]]; then
		valid_kernel_spec "$OPT_KERNEL" ||
			die $EXIT_USAGE "unknown kernel spec '$OPT_KERNEL' (want host, debian:VERSION, an image file or a kernel build tree)"
		[[ $COMMAND != matrix && $COMMAND != clean && $COMMAND != app ]] ||
			die $EXIT_USAGE "--kernel does not go with $COMMAND"
		[[ $OPT_KERNEL == host || -n ${MPTH_IN_VM:-} ]] || run_in_vm "$OPT_KERNEL"
	fi
	[[ $COMMAND != matrix ]] || cmd_matrix
	case $COMMAND in
	list)
		cmd_list
		exit 0
		;;
	doctor)
		cmd_doctor
		exit 0
		;;
	esac

	local files=() f i
	if [[ $COMMAND == bench ]]; then
		preflight
		build_samples
		runstate_new $$ || die $EXIT_USAGE "cannot create run state"
		trap cleanup EXIT
		MPTH_SEED=${OPT_SEED:-1}
		MPTH_ARTIFACTS=${OPT_ARTIFACTS:-$MPTH_ROOT/artifacts/bench-$(date +%Y%m%d-%H%M%S)-$MPTH_RUN_ID}
		(umask 077 && mkdir -p "$MPTH_ARTIFACTS") || die $EXIT_USAGE "cannot create $MPTH_ARTIFACTS"
		export MPTH_SEED MPTH_ARTIFACTS
		# shellcheck source=harness/bench/bench.sh
		source "$MPTH_ROOT/harness/bench/bench.sh"
		bench_main "$OPT_JSON"
		exit
	fi
	case $COMMAND in
	all) mapfile -t files < <(scenario_files) ;;
	test)
		for f in "$MPTH_ROOT"/tests/*.bats; do
			[[ -e $f ]] && files+=("$f")
		done
		mapfile -t -O "${#files[@]}" files < <(scenario_files)
		;;
	app)
		app_check
		files=("$MPTH_ROOT/harness/app.bats")
		;;
	'' )
		for f in "${TARGETS[@]}"; do
			f=$(resolve_scenario "$f") || exit $EXIT_USAGE
			files+=("$f")
		done
		;;
	esac
	for f in "${files[@]}"; do
		syntax_check "$f" || exit $EXIT_USAGE
	done
	[[ -z $OPT_FILTER ]] || filter_check "${files[@]}"
	SCENARIO_FILES=("${files[@]}")

	if [[ $COMMAND == clean ]]; then
		((EUID == 0)) || die $EXIT_USAGE "clean must run as root (it removes network namespaces)"
		cmd_clean
		exit 0
	fi
	preflight
	# What a killed run left behind goes first.
	# Not in a guest: its /run is fresh, so every run it sees under /tmp
	# looks dead, and what it sees there is the host's, shared writable
	# (the artifacts): a sweep would delete the host's files.
	[[ -n ${MPTH_IN_VM:-} ]] ||
		runstate_clean_stale | while read -r f; do log_info "$f"; done
	build_samples

	runstate_new $$ || die $EXIT_USAGE "cannot create run state"
	trap cleanup EXIT
	MPTH_SEED=${OPT_SEED:-$((RANDOM * 32768 + RANDOM))}
	MPTH_ARTIFACTS=${OPT_ARTIFACTS:-$MPTH_ROOT/artifacts/$(date +%Y%m%d-%H%M%S)-$MPTH_RUN_ID}
	(umask 077 && mkdir -p "$MPTH_ARTIFACTS") || die $EXIT_USAGE "cannot create $MPTH_ARTIFACTS"
	MPTH_FEATURE_CACHE=$MPTH_TMP/features
	export MPTH_SEED MPTH_ARTIFACTS MPTH_FEATURE_CACHE MPTH_STRICT=$OPT_STRICT MPTH_KEEP=$OPT_KEEP
	log_info "run $MPTH_RUN_ID, seed $MPTH_SEED (reproduce with --seed $MPTH_SEED), artifacts in $MPTH_ARTIFACTS"
	log_info "kernel $(uname -r)${MPTH_IN_VM:+ (in a VM)}, $(nproc) cores"
	((OPT_JOBS == 1)) || log_info "$OPT_JOBS scenarios at once (-j $OPT_JOBS)"

	# On a kernel without netem, `test` runs the scenarios that need it
	# in a VM, where they run for real, rather than skip them here.
	local vm_files=()
	if [[ $COMMAND == test && -z ${MPTH_IN_VM:-} && ${MPTH_TEST_VM:-1} == 1 ]] &&
		! feat_have netem; then
		mapfile -t vm_files < <(netem_scenarios "${files[@]}")
		local keep=() v
		for f in "${files[@]}"; do
			for v in "${vm_files[@]}"; do
				[[ $f == "$v" ]] && continue 2
			done
			keep+=("$f")
		done
		files=("${keep[@]}")
		for f in "${vm_files[@]}"; do
			VM_PENDING+=("${MPTH_TEST_VM_KERNEL:-debian:6.1}:$(basename "$f" .bats)")
		done
	fi
	RUN_COUNT=$((${#files[@]} * OPT_REPEAT))
	tap_begin $((RUN_COUNT + ${#vm_files[@]}))
	if ((OPT_STRESS)); then
		stress_start "$OPT_STRESS" $$
		log_info "stress: $OPT_STRESS busy loops (pids ${STRESS_PIDS[*]}), until the run ends"
		printf '# stress: %d busy loops\n' "$OPT_STRESS"
	fi
	for f in "${files[@]}"; do
		if ((OPT_REPEAT > 1)); then
			for ((i = 1; i <= OPT_REPEAT; i++)); do
				job_add "$f" "$i"
			done
		else
			job_add "$f" ''
		fi
	done
	((OPT_JOBS == 1)) || features_prewarm "${files[@]}"
	run_jobs
	((${#vm_files[@]} == 0)) || vm_stage "${vm_files[@]}"
	write_reports
	print_summary
	[[ -z $OPT_JUNIT ]] || write_junit "$OPT_JUNIT"
	[[ -z $OPT_JSON ]] || write_json "$OPT_JSON"
	((TOTAL_FAIL > 0)) && exit $EXIT_FAIL
	((TOTAL_PASS == 0 && TOTAL_SKIP > 0)) && exit $EXIT_SKIP
	if ((TOTAL_PASS == 0)); then
		log_err "no test ran: nothing passed, failed or skipped"
		exit $EXIT_FAIL
	fi
	exit 0
}

main "$@"
