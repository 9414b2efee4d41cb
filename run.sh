#!/usr/bin/env bash
# mptcp-harness: run MPTCP scenarios in network namespaces.
# See README.md, or ./run.sh --help.
#
# This file is the CLI (usage, option parsing and checks) and main, which
# dispatches to the modules: lib/cli.sh (list, doctor, clean, the scenario
# files, preflight), lib/runner.sh (the run, its bats runs and its TAP),
# lib/report.sh (the reports), harness/vm/vm.sh (--kernel, matrix,
# --bisect) and harness/bench/bench.sh (bench).
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
# shellcheck source=lib/cli.sh
source "$MPTH_ROOT/lib/cli.sh"
# shellcheck source=lib/runner.sh
source "$MPTH_ROOT/lib/runner.sh"
# shellcheck source=harness/vm/vm.sh
source "$MPTH_ROOT/harness/vm/vm.sh"

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
# run.sh app: what the user gave, checked by check_app_options.
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

# $1: option, $2: value. Prints it in ms: "1500", "1500ms" or "2s".
need_ms() {
	[[ $2 =~ ^([0-9]{1,7})(ms)?$ ]] && { echo $((10#${BASH_REMATCH[1]})); return; }
	[[ $2 =~ ^([0-9]{1,5})s$ ]] && { echo $((10#${BASH_REMATCH[1]} * 1000)); return; }
	die $EXIT_USAGE "option $1 wants a time in ms (1500, 1500ms or 2s), got '$2'"
}

# Check run.sh app's settings and hand them to harness/app.bats. Bad
# input: a clear message and exit 2, before anything is created.
check_app_options() {
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
	MPTH_APP_RESTORE_AFTER_MS=$(need_ms --restore-after "${APP[restore-after]:-3000}") || exit $EXIT_USAGE
	MPTH_APP_LISTEN_TIMEOUT_MS=$(need_ms --listen-timeout "${APP[listen-timeout]:-10000}") || exit $EXIT_USAGE
	MPTH_APP_CLIENT_TIMEOUT_MS=$(need_ms --client-timeout "${APP[client-timeout]:-120000}") || exit $EXIT_USAGE
	MPTH_APP_MAX_OUTAGE_MS=''
	[[ -z ${APP[max-outage]:-} ]] ||
		MPTH_APP_MAX_OUTAGE_MS=$(need_ms --max-outage "${APP[max-outage]}") || exit $EXIT_USAGE
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
	runner_trap_signals
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
	((!OPT_BISECT)) || [[ ${MPTH_BISECT:-0} == 1 ]] || vm_bisect "$@"
	if [[ -z ${MPTH_ROOTLESS:-} && $COMMAND != list ]] && ((EUID != 0 || OPT_ROOTLESS)); then
		cli_rootless_reexec "$@"
	fi
	if [[ -n $OPT_KERNEL ]]; then
		vm_spec_valid "$OPT_KERNEL" ||
			die $EXIT_USAGE "unknown kernel spec '$OPT_KERNEL' (want host, debian:VERSION, an image file or a kernel build tree)"
		[[ $COMMAND != matrix && $COMMAND != clean && $COMMAND != app ]] ||
			die $EXIT_USAGE "--kernel does not go with $COMMAND"
		[[ $OPT_KERNEL == host || -n ${MPTH_IN_VM:-} ]] || vm_rerun "$OPT_KERNEL"
	fi
	[[ $COMMAND != matrix ]] || vm_matrix
	case $COMMAND in
	list)
		cli_list
		exit 0
		;;
	doctor)
		cli_doctor
		exit 0
		;;
	esac

	local files=() f i
	if [[ $COMMAND == bench ]]; then
		cli_preflight
		runner_build_samples
		runner_begin 1 bench-
		# shellcheck source=harness/bench/bench.sh
		source "$MPTH_ROOT/harness/bench/bench.sh"
		bench_main "$OPT_JSON"
		exit
	fi
	case $COMMAND in
	all) mapfile -t files < <(cli_scenario_files) ;;
	test)
		for f in "$MPTH_ROOT"/tests/*.bats; do
			[[ -e $f ]] && files+=("$f")
		done
		mapfile -t -O "${#files[@]}" files < <(cli_scenario_files)
		;;
	app)
		check_app_options
		files=("$MPTH_ROOT/harness/app.bats")
		;;
	'' )
		for f in "${TARGETS[@]}"; do
			f=$(cli_scenario_resolve "$f") || exit $EXIT_USAGE
			files+=("$f")
		done
		;;
	esac
	for f in "${files[@]}"; do
		cli_syntax_check "$f" || exit $EXIT_USAGE
	done
	[[ -z $OPT_FILTER ]] || cli_filter_check "$OPT_FILTER" "${files[@]}"
	SCENARIO_FILES=("${files[@]}")

	if [[ $COMMAND == clean ]]; then
		((EUID == 0)) || die $EXIT_USAGE "clean must run as root (it removes network namespaces)"
		cli_clean
		exit 0
	fi
	cli_preflight
	# What a killed run left behind goes first.
	# Not in a guest: its /run is fresh, so every run it sees under /tmp
	# looks dead, and what it sees there is the host's, shared writable
	# (the artifacts): a sweep would delete the host's files.
	[[ -n ${MPTH_IN_VM:-} ]] ||
		runstate_clean_stale | while read -r f; do log_info "$f"; done
	runner_build_samples

	runner_begin "$((RANDOM * 32768 + RANDOM))" ''
	MPTH_FEATURE_CACHE=$MPTH_TMP/features
	export MPTH_FEATURE_CACHE MPTH_STRICT=$OPT_STRICT MPTH_KEEP=$OPT_KEEP
	log_info "run $MPTH_RUN_ID, seed $MPTH_SEED (reproduce with --seed $MPTH_SEED), artifacts in $MPTH_ARTIFACTS"
	log_info "kernel $(uname -r)${MPTH_IN_VM:+ (in a VM)}, $(nproc) cores"
	((OPT_JOBS == 1)) || log_info "$OPT_JOBS scenarios at once (-j $OPT_JOBS)"

	# On a kernel without netem, `test` runs the scenarios that need it
	# in a VM, where they run for real, rather than skip them here.
	local vm_files=()
	if [[ $COMMAND == test && -z ${MPTH_IN_VM:-} && ${MPTH_TEST_VM:-1} == 1 ]] &&
		! feat_have netem; then
		mapfile -t vm_files < <(cli_scenarios_needing netem "${files[@]}")
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
	runner_tap_begin $((RUN_COUNT + ${#vm_files[@]}))
	if ((OPT_STRESS)); then
		jobs_stress_start "$OPT_STRESS" $$
		log_info "stress: $OPT_STRESS busy loops (pids ${JOBS_STRESS_PIDS[*]}), until the run ends"
		printf '# stress: %d busy loops\n' "$OPT_STRESS"
	fi
	for f in "${files[@]}"; do
		if ((OPT_REPEAT > 1)); then
			for ((i = 1; i <= OPT_REPEAT; i++)); do
				runner_add "$f" "$i"
			done
		else
			runner_add "$f" ''
		fi
	done
	((OPT_JOBS == 1)) || feat_prewarm "${files[@]}"
	runner_run
	((${#vm_files[@]} == 0)) || vm_test_stage "${vm_files[@]}"
	runner_finish
	((TOTAL_FAIL > 0)) && exit $EXIT_FAIL
	((TOTAL_PASS == 0 && TOTAL_SKIP > 0)) && exit $EXIT_SKIP
	if ((TOTAL_PASS == 0)); then
		log_err "no test ran: nothing passed, failed or skipped"
		exit $EXIT_FAIL
	fi
	exit 0
}

main "$@"
