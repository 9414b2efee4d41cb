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

Scenarios are files in scenarios/; name one as failover, failover.bats,
scenarios/failover or a path to any .bats file.

Commands:
  all              run every scenario in scenarios/
  test             run the self-tests (tests/*.bats), then every scenario
  list             print each scenario, what it proves and what it needs
  doctor           print what this machine and kernel can do
  clean            remove what killed runs left behind (namespaces,
                   processes, temp dirs); never touches a live run
  matrix           run the scenarios on each kernel of --kernels and print
                   a table: scenario by kernel, pass, fail or skip (why)
  bench            measure aggregation, failover outage, harness cost and
                   sample speed; prints a table (--quick: a short run)

Options:
  --no-install     do not apt-get missing packages; print the command
  --strict         a skipped test counts as a failure
  --artifacts DIR  keep artifacts here (default: artifacts/ in the repo)
  --keep           keep bulky artifacts and temp files of passing runs
  --seed N         seed for every random choice (default: random, printed)
  --repeat N       run each scenario N times and report the pass rate
  --filter REGEX   only run tests whose name matches (bats --filter)
  --capture        header-only pcap per path (tcpdump), size-bounded
  --rootless       run inside a new user namespace, without root (chosen
                   by itself when not root and user namespaces allow it)
  --junit FILE     also write a JUnit XML report
  --json FILE      also write a JSON summary ("-" for stdout); with
                   doctor, write its table as JSON
  --kernel SPEC    run inside a qemu VM booting that kernel: debian:6.1,
                   debian:6.12 (fetched with apt-get download, cached), or
                   the path of a bzImage; host means no VM
  --modules DIR    the modules of a --kernel image (default: none)
  --kernels LIST   with matrix: comma-separated kernel specs
  --vm-timeout S   bound on a VM run, boot included (default 1800)
  -v, --verbose    show the harness's debug output
  -h, --help       this text

Exit codes: 0 passed, 1 failed, 2 usage or environment error, 4 all skipped.
EOF
}

OPT_INSTALL=1
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
OPT_FILTER=''
OPT_JUNIT=''
OPT_JSON=''
COMMAND=''
TARGETS=()

# $1: option, $2: value
need_value() {
	[[ -n ${2:-} && $2 != --* ]] || die $EXIT_USAGE "option $1 needs a value (see --help)"
}

# $1: option, $2: value
need_uint() {
	[[ $2 =~ ^[0-9]+$ ]] || die $EXIT_USAGE "option $1 wants a non-negative integer, got '$2'"
}

parse_args() {
	while (($#)); do
		case $1 in
		-h | --help)
			usage
			exit 0
			;;
		--no-install) OPT_INSTALL=0 ;;
		--capture) export MPTH_CAPTURE=1; PASS_ARGS+=("$1") ;;
		--quick) export MPTH_BENCH_QUICK=1; PASS_ARGS+=("$1") ;;
		--rootless) OPT_ROOTLESS=1 ;;
		--strict) OPT_STRICT=1; PASS_ARGS+=("$1") ;;
		--keep) OPT_KEEP=1; PASS_ARGS+=("$1") ;;
		-v | --verbose) export MPTH_VERBOSE=1; PASS_ARGS+=("$1") ;;
		--artifacts | --seed | --repeat | --filter | --junit | --json | \
			--kernel | --modules | --kernels | --vm-timeout)
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
		all | test | list | doctor | clean | bench | matrix)
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
		name=$(basename "$f" .bats)
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
		name=$(basename "$f" .bats)
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
		name=$(basename "$f" .bats)
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
	local extra=''
	[[ $COMMAND == all || $COMMAND == test ]] && extra=extra
	deps_ensure "$OPT_INSTALL" "$extra" || exit $EXIT_USAGE
	if ! feat_have mptcp; then
		die $EXIT_USAGE "$FEAT_REASON"
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

build_samples() {
	local log
	log=$(make -C "$MPTH_ROOT/c-samples" -s 2>&1) || {
		printf '%s\n' "$log" >&2
		die $EXIT_FAIL "building c-samples failed"
	}
	[[ -z $log ]] || log_debug "$log"
}

# Kill a process and all its descendants. $1: pid
# shellcheck disable=SC2317 # reached from the signal traps
kill_tree() {
	local child
	for child in $(pgrep -P "$1" 2>/dev/null); do
		kill_tree "$child"
	done
	kill -TERM "$1" 2>/dev/null
}

# $1: pid. True once the process is gone or a zombie.
# shellcheck disable=SC2317 # reached from the EXIT trap
proc_gone() {
	! __runstate_starttime "$1" >/dev/null
}

BATS_PID=''
CLEANED=0
# shellcheck disable=SC2317 # reached from the EXIT trap
cleanup() {
	((CLEANED)) && return
	CLEANED=1
	if [[ -n $BATS_PID ]] && kill -0 "$BATS_PID" 2>/dev/null; then
		# TERM first, so that bats can run teardown_file; then whatever
		# of this run is left is killed.
		kill_tree "$BATS_PID"
		busywait 3000 proc_gone "$BATS_PID"
	fi
	[[ -z ${MPTH_RUN_ID:-} ]] || runstate_kill_procs "$MPTH_RUN_ID"
	runstate_finish "$OPT_KEEP"
}

# shellcheck disable=SC2317 # reached from the INT and TERM traps
on_signal() {
	log_warn "interrupted: cleaning up"
	cleanup
	exit 130
}

TOTAL_PASS=0 TOTAL_FAIL=0 TOTAL_SKIP=0
SUMMARY_ROWS=()
RUN_INDEX=0 RUN_COUNT=0

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

# Copy a file to stdout as it grows, until its writer has exited and every
# line is out. Plain reads: no helper process to lose output or outlive us.
# $1: file, $2: writer's pid
stream_file() {
	local fd line='' part
	exec {fd}<"$1"
	while :; do
		if IFS= read -r part <&"$fd"; then
			printf '%s%s\n' "$line" "$part"
			line=''
			continue
		fi
		# A line still being written: keep it until its end arrives.
		line+=$part
		proc_gone "$2" && break
		sleep 0.1
	done
	while IFS= read -r part <&"$fd" || [[ -n $part ]]; do
		printf '%s%s\n' "$line" "$part"
		line=''
	done
	[[ -z $line ]] || printf '%s\n' "$line"
	exec {fd}<&-
}

# Run one bats file, stream its TAP, count the results.
# $1: file, $2: iteration (empty when not repeating)
run_bats() {
	local file=$1 iter=$2 name tap start dur pass=0 fail=0 skip=0 rc=0 line
	local art jdir args=(--tap) why=
	name=$(basename "$file" .bats)
	art=$MPTH_ARTIFACTS/$name${iter:+-$iter}
	tap=$art.tap
	jdir=$MPTH_ARTIFACTS/junit/$name${iter:+-$iter}
	mkdir -p "$jdir"
	args+=(--report-formatter junit --output "$jdir")
	[[ -z $OPT_FILTER ]] || args+=(--filter "$OPT_FILTER")
	RUN_INDEX=$((RUN_INDEX + 1))
	((RUN_COUNT > 1)) && log_info "[$RUN_INDEX/$RUN_COUNT] $name${iter:+ (run $iter of $OPT_REPEAT)}"
	start=$(now_ms)
	printf '# scenario %s%s\n' "$name" "${iter:+ (run $iter of $OPT_REPEAT)}"
	: >"$tap"
	MPTH_ITER=$iter bats "${args[@]}" "$file" >"$tap" 2>&1 &
	BATS_PID=$!
	stream_file "$tap" "$BATS_PID"
	wait "$BATS_PID" || rc=$?
	BATS_PID=''
	while IFS= read -r line; do
		case $line in
		'ok '*'# skip'*)
			skip=$((skip + 1))
			[[ -n $why ]] || why=${line#*# skip }
			;;
		'ok '*) pass=$((pass + 1)) ;;
		'not ok '*) fail=$((fail + 1)) ;;
		esac
	done <"$tap"
	# bats failed without a failing test: a parse error or a crash.
	if ((rc != 0 && fail == 0)); then
		fail=1
		printf 'not ok - %s: bats exited %d without a test result\n' "$name" "$rc"
	fi
	if ((OPT_STRICT && skip > 0)); then
		printf '# strict mode: %d skipped test(s) in %s count as failures\n' "$skip" "$name"
		fail=$((fail + skip))
		skip=0
	fi
	dur=$(($(now_ms) - start))
	TOTAL_PASS=$((TOTAL_PASS + pass))
	TOTAL_FAIL=$((TOTAL_FAIL + fail))
	TOTAL_SKIP=$((TOTAL_SKIP + skip))
	SUMMARY_ROWS+=("$name	${iter:-1}	$pass	$fail	$skip	$dur	$(key_figures "$art")	$why")
	((fail > 0 || OPT_KEEP)) || prune_artifacts "$art"
	printf '# %s: %d passed, %d failed, %d skipped in %d.%01d s\n' "$name" \
		"$pass" "$fail" "$skip" $((dur / 1000)) $((dur % 1000 / 100))
}

# $1: seconds as ms
fmt_s() {
	printf '%d.%d' $(($1 / 1000)) $(($1 % 1000 / 100))
}

print_summary() {
	local row name iter pass fail skip dur keys
	echo "#"
	printf '# %-22s %6s %6s %7s %7s  %s\n' SCENARIO PASSED FAILED SKIPPED SECONDS 'KEY FIGURES'
	for row in "${SUMMARY_ROWS[@]}"; do
		IFS=$'\t' read -r name iter pass fail skip dur keys <<<"$row"
		((OPT_REPEAT > 1)) && name="$name#$iter"
		printf '# %-22s %6d %6d %7d %7s  %s\n' "$name" "$pass" "$fail" "$skip" \
			"$(fmt_s "$dur")" "$keys"
	done
	((OPT_REPEAT > 1)) && print_repeat_stats
	printf '%d passed, %d failed, %d skipped\n' "$TOTAL_PASS" "$TOTAL_FAIL" "$TOTAL_SKIP"
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
write_junit() {
	local f
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

# $1: output file ("-" for stdout)
write_json() {
	local out=$1
	[[ $out == - ]] && out=/dev/stdout
	printf '%s\n' "${SUMMARY_ROWS[@]}" | jq -R -s \
		--arg run "$MPTH_RUN_ID" --arg seed "$MPTH_SEED" --arg art "$MPTH_ARTIFACTS" \
		--argjson p "$TOTAL_PASS" --argjson f "$TOTAL_FAIL" --argjson s "$TOTAL_SKIP" '
		{
			run_id: $run, seed: ($seed | tonumber), artifacts: $art,
			passed: $p, failed: $f, skipped: $s,
			scenarios: [split("\n")[] | select(length > 0) | split("\t") | {
				name: .[0], iteration: (.[1] | tonumber),
				passed: (.[2] | tonumber), failed: (.[3] | tonumber),
				skipped: (.[4] | tonumber), seconds: ((.[5] | tonumber) / 1000),
				figures: ((.[6] // "") | split(" ") | map(select(length > 0) | split("=") |
					{key: .[0], value: (.[1] | tonumber? // .[1])}) | from_entries),
				skip_reason: (if (.[7] // "") == "" then null else .[7] end)
			}]
		}' >"$out"
}

# Run this same command inside a VM that boots another kernel, and exit
# with its result. $1: kernel spec (debian:VERSION or an image path)
run_in_vm() {
	local spec=$1 art rc=0 inner=()
	# shellcheck source=harness/vm.sh
	source "$MPTH_ROOT/harness/vm.sh"
	vm_qemu_available || exit $EXIT_USAGE
	vm_kernel_resolve "$spec" "$OPT_MODULES" >/dev/null || rc=$?
	case $rc in
	0) ;;
	5) die $EXIT_USAGE "cannot fetch kernel '$spec': apt-get download failed" ;;
	*) exit $EXIT_USAGE ;;
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
	nomptcp) die $EXIT_USAGE "kernel '$spec' has no MPTCP" ;;
	usage) rc=$EXIT_USAGE ;;
	timeout | vmfail)
		log_err "the VM run of '$spec' did not complete ($VM_STATUS)"
		rc=$EXIT_FAIL
		;;
	esac
	[[ -z $OPT_JSON || ! -s $art/summary.json ]] || cp "$art/summary.json" "$OPT_JSON"
	[[ -z $OPT_JUNIT || ! -s $art/junit.xml ]] || cp "$art/junit.xml" "$OPT_JUNIT"
	exit "$rc"
}

# virtme-ng, where installed, runs a kernel developer's own image (it knows
# kernel build trees and their modules); Debian kernels always go through
# harness/vm.sh. MPTH_VM_RUNNER=qemu|vng forces one. $1: kernel spec
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
	[[ $1 == host || $1 =~ ^debian:[0-9][0-9.+a-z~-]*$ || -f $1 ]]
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
	# shellcheck source=harness/vm.sh
	source "$MPTH_ROOT/harness/vm.sh"
	if ! vm_qemu_available || ! vm_kernel_resolve "$spec" >/dev/null; then
		for f in "$@"; do
			SUMMARY_ROWS+=("vm:$(basename "$f" .bats)	1	0	0	1	0		VM unavailable: no qemu or no kernel $spec")
			TOTAL_SKIP=$((TOTAL_SKIP + 1))
		done
		return 0
	fi
	vm_run "$VM_VMLINUZ" "$VM_MODULES_DIR" "$OPT_VM_TIMEOUT" "$art" -- \
		"$MPTH_ROOT/run.sh" --no-install --artifacts "$art/run" --json "$art/summary.json" \
		"${PASS_ARGS[@]}" "$@" || rc=$?
	json=$art/summary.json
	if [[ $VM_STATUS != ok || ! -s $json ]]; then
		printf 'not ok - VM run on %s: %s (exit %d)\n' "$spec" "$VM_STATUS" "$rc"
		TOTAL_FAIL=$((TOTAL_FAIL + 1))
		SUMMARY_ROWS+=("vm:$spec	1	0	1	0	0		")
		return 0
	fi
	TOTAL_PASS=$((TOTAL_PASS + $(jq .passed "$json")))
	TOTAL_FAIL=$((TOTAL_FAIL + $(jq .failed "$json")))
	TOTAL_SKIP=$((TOTAL_SKIP + $(jq .skipped "$json")))
	while IFS= read -r row; do
		SUMMARY_ROWS+=("$row")
	done < <(jq -r --arg k "$spec" '.scenarios[] | ["\($k):\(.name)", .iteration, .passed,
		.failed, .skipped, (.seconds * 1000 | floor),
		(.figures | to_entries | map("\(.key)=\(.value)") | join(" ")),
		(.skip_reason // "")] | map(tostring) | join("\t")' "$json")
}

# Run the scenarios on each kernel and print a table: scenario by kernel.
cmd_matrix() {
	local kernels=() k slug base rc json name cell row
	[[ -n $OPT_KERNELS ]] || die $EXIT_USAGE "matrix needs --kernels LIST, e.g. --kernels host,debian:6.1"
	((${#TARGETS[@]})) || die $EXIT_USAGE "matrix needs scenario names, or all"
	IFS=, read -r -a kernels <<<"$OPT_KERNELS"
	for k in "${kernels[@]}"; do
		valid_kernel_spec "$k" ||
			die $EXIT_USAGE "unknown kernel spec '$k' (want host, debian:VERSION or an image file)"
	done
	base=${OPT_ARTIFACTS:-$MPTH_ROOT/artifacts/$(date +%Y%m%d-%H%M%S)-matrix}
	(umask 077 && mkdir -p "$base") || die $EXIT_USAGE "cannot create $base"
	for k in "${kernels[@]}"; do
		slug=${k//[^A-Za-z0-9.]/_}
		log_info "matrix: kernel $k"
		local args=(--no-install --artifacts "$base/$slug" --json "$base/$slug.json" "${PASS_ARGS[@]}")
		[[ $k == host ]] || args+=(--kernel "$k" --vm-timeout "$OPT_VM_TIMEOUT")
		rc=0
		"$0" "${args[@]}" "${TARGETS[@]}" || rc=$?
		echo "$rc" >"$base/$slug.rc"
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
	for k in "${kernels[@]}"; do
		json=$base/${k//[^A-Za-z0-9.]/_}.json
		[[ -s $json ]] || echo "# $k: no result (exit $(cat "${json%.json}.rc" 2>/dev/null))"
	done
	cat "$base"/*.json 2>/dev/null | jq -s -r '
		"\(map(.passed) | add // 0) passed, \(map(.failed) | add // 0) failed, \(map(.skipped) | add // 0) skipped"'
	for k in "${kernels[@]}"; do
		rc=$(cat "$base/${k//[^A-Za-z0-9.]/_}.rc" 2>/dev/null)
		[[ $rc == 0 || $rc == 4 ]] || exit $EXIT_FAIL
	done
	exit 0
}

main() {
	parse_args "$@"
	if [[ -z ${MPTH_ROOTLESS:-} && $COMMAND != list ]] && ((EUID != 0 || OPT_ROOTLESS)); then
		rootless_reexec "$@"
	fi
	if [[ -n $OPT_KERNEL ]]; then
		valid_kernel_spec "$OPT_KERNEL" ||
			die $EXIT_USAGE "unknown kernel spec '$OPT_KERNEL' (want host, debian:VERSION or an image file)"
		[[ $COMMAND != matrix && $COMMAND != clean ]] ||
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
		trap on_signal INT TERM
		MPTH_SEED=${OPT_SEED:-1}
		MPTH_ARTIFACTS=${OPT_ARTIFACTS:-$MPTH_ROOT/artifacts/bench-$(date +%Y%m%d-%H%M%S)-$MPTH_RUN_ID}
		(umask 077 && mkdir -p "$MPTH_ARTIFACTS") || die $EXIT_USAGE "cannot create $MPTH_ARTIFACTS"
		export MPTH_SEED MPTH_ARTIFACTS
		# shellcheck source=harness/bench.sh
		source "$MPTH_ROOT/harness/bench.sh"
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

	if [[ $COMMAND == clean ]]; then
		((EUID == 0)) || die $EXIT_USAGE "clean must run as root (it removes network namespaces)"
		cmd_clean
		exit 0
	fi
	preflight
	# What a killed run left behind goes first.
	runstate_clean_stale | while read -r f; do log_info "$f"; done
	build_samples

	runstate_new $$ || die $EXIT_USAGE "cannot create run state"
	trap cleanup EXIT
	trap on_signal INT TERM
	MPTH_SEED=${OPT_SEED:-$((RANDOM * 32768 + RANDOM))}
	MPTH_ARTIFACTS=${OPT_ARTIFACTS:-$MPTH_ROOT/artifacts/$(date +%Y%m%d-%H%M%S)-$MPTH_RUN_ID}
	(umask 077 && mkdir -p "$MPTH_ARTIFACTS") || die $EXIT_USAGE "cannot create $MPTH_ARTIFACTS"
	MPTH_FEATURE_CACHE=$MPTH_TMP/features
	export MPTH_SEED MPTH_ARTIFACTS MPTH_FEATURE_CACHE MPTH_STRICT=$OPT_STRICT MPTH_KEEP=$OPT_KEEP
	log_info "run $MPTH_RUN_ID, seed $MPTH_SEED (reproduce with --seed $MPTH_SEED), artifacts in $MPTH_ARTIFACTS"
	log_info "kernel $(uname -r)${MPTH_IN_VM:+ (in a VM)}, $(nproc) cores"

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
	fi
	RUN_COUNT=$((${#files[@]} * OPT_REPEAT))
	for f in "${files[@]}"; do
		if ((OPT_REPEAT > 1)); then
			for ((i = 1; i <= OPT_REPEAT; i++)); do
				run_bats "$f" "$i"
			done
		else
			run_bats "$f" ''
		fi
	done
	((${#vm_files[@]} == 0)) || vm_stage "${vm_files[@]}"
	print_summary
	[[ -z $OPT_JUNIT ]] || write_junit "$OPT_JUNIT"
	[[ -z $OPT_JSON ]] || write_json "$OPT_JSON"
	((TOTAL_FAIL > 0)) && exit $EXIT_FAIL
	((TOTAL_PASS == 0 && TOTAL_SKIP > 0)) && exit $EXIT_SKIP
	exit 0
}

main "$@"
