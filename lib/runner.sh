# shellcheck shell=bash
# The bats runner of run.sh: a run's life, from its start (run state,
# traps, artifacts) to its cleanup, and the scenario runs in between, each
# a bats process in the job pool (lib/jobs.sh), their TAP streamed in
# order as one TAP document and their results recorded for the reports
# (lib/report.sh). A signal stops it all, and the reports say so.
#
# Public: runner_build_samples; runner_begin SEED ARTIFACTS_PREFIX;
# runner_trap_signals; runner_cleanup (the EXIT trap); runner_add FILE
# ITERATION; runner_run; runner_finish; runner_tap_begin N and
# runner_tap_result OK DESCRIPTION [SKIP], the top level of the TAP
# document. RUN_COUNT is the number of runs, VM_PENDING the VM stage's
# results not printed yet.
# Reads run.sh's options (OPT_*) and uses its exit codes (EXIT_*).
#
# The runs of this invocation: one per scenario file and iteration, indexed
# in the order a serial run takes them, which is also the order in which
# their TAP, their rows and the totals come out, whatever -j is. With -j N,
# N run at once, each bats writing its TAP to its own file; the oldest
# unprinted run streams live, and the others' TAP waits, whole, for its
# turn. So a -j run's stdout is a serial run's, timings aside, and each
# scenario's TAP stays together.

RUN_COUNT=0
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
# The VM stage's results not printed yet: a signal prints them as cut.
VM_PENDING=()

# --- stdout is one TAP document: TAP version 13 with kselftest's
# conventions. Each scenario run is one numbered top-level result, and its
# own TAP (bats') is nested above it as "# " lines, the way kselftest's
# runner nests each selftest's output. A crash is a numbered "not ok".

TAP_SEQ=0 TAP_BEGUN=0

# $1: the number of top-level results that will follow
runner_tap_begin() {
	TAP_BEGUN=1
	printf 'TAP version 13\n1..%d\n' "$1"
}

# One line of a run's own TAP, nested, its skip directive in upper case.
# $1: the line
__runner_tap_nested() {
	local l=$1
	case $l in
	'ok '*' # skip'*) l=${l/ \# skip/ \# SKIP} ;;
	esac
	printf '# %s\n' "$l"
}

# A top-level result. $1: ok|not ok, $2: description, $3: skip reason
runner_tap_result() {
	TAP_SEQ=$((TAP_SEQ + 1))
	printf '%s %d %s%s\n' "$1" "$TAP_SEQ" "$2" "${3:+ # SKIP $3}"
}

# make runs in the background, so that a signal's trap runs at once (bash
# holds a trap back while a foreground child runs) and can stop it. Its
# output goes next to what it builds (no temp file to leak).
BUILD_PID=''
runner_build_samples() {
	local log=$MPTH_ROOT/c-samples/build/make.log rc=0
	mkdir -p "${log%/*}" || die "$EXIT_FAIL" "cannot create ${log%/*}"
	make -C "$MPTH_ROOT/c-samples" -s >"$log" 2>&1 &
	BUILD_PID=$!
	wait "$BUILD_PID" || rc=$?
	BUILD_PID=''
	if ((rc)); then
		cat "$log" >&2
		die "$EXIT_FAIL" "building c-samples failed"
	fi
	[[ ! -s $log ]] || log_debug "$(<"$log")"
}

# Begin this process's run: its run state (id, marker, temp dir), the EXIT
# trap that cleans it all up, its seed (--seed, else $1) and its artifacts
# directory (--artifacts, else artifacts/<$2><date>-<id>), exported for
# what it starts. $1: default seed, $2: prefix of the artifacts dir name
runner_begin() {
	runstate_new $$ || die "$EXIT_USAGE" "cannot create run state"
	trap runner_cleanup EXIT
	MPTH_SEED=${OPT_SEED:-$1}
	MPTH_ARTIFACTS=${OPT_ARTIFACTS:-$MPTH_ROOT/artifacts/$2$(date +%Y%m%d-%H%M%S)-$MPTH_RUN_ID}
	(umask 077 && mkdir -p "$MPTH_ARTIFACTS") || die "$EXIT_USAGE" "cannot create $MPTH_ARTIFACTS"
	export MPTH_SEED MPTH_ARTIFACTS
}

CLEANED=0
# shellcheck disable=SC2317 # reached from the EXIT trap
runner_cleanup() {
	((CLEANED)) && return
	CLEANED=1
	# The load goes first, so that teardown gets the CPU.
	jobs_stress_stop
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
__runner_on_signal() {
	if [[ -z $SIG_NAME ]]; then
		SIG_NAME=$1
		now_ms_to SIG_AT
	fi
	if ((IN_JOBS)); then
		SIGNALLED=1
		return
	fi
	__runner_on_signal_now
}

# shellcheck disable=SC2317 # reached from the INT, TERM and HUP traps
__runner_on_signal_now() {
	# A second signal must not cut the teardown short; it is bounded.
	trap '' INT TERM HUP
	IN_JOBS=0
	log_warn "interrupted by SIG$SIG_NAME: stopping the run and cleaning up"
	runner_cleanup
	__runner_interrupted
	exit "${SIG_EXIT[$SIG_NAME]}"
}

runner_trap_signals() {
	local s
	for s in INT TERM HUP; do
		# shellcheck disable=SC2064 # the signal's name, now
		trap "__runner_on_signal $s" "$s"
	done
}

# Remove what is big and only useful to debug a failure. $1: dir
__runner_prune() {
	rm -rf "$1/samples" "$1"/*.pcap* "$1"/traffic-*/client.info \
		"$1"/traffic-*/*.timeline 2>/dev/null
}

# Add a run. A file whose header says "# jobs: alone" (it measures timing,
# or checks what any run.sh start would clean up) never runs beside
# another. $1: file, $2: iteration (empty when not repeating)
runner_add() {
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
__runner_conflicts() {
	local j a=${J_STEM[$1]% *} b=${J_STEM[$1]#* }
	for j in "${!JOBS_PID[@]}"; do
		[[ ${J_STEM[j]% *} == "$a" || ${J_STEM[j]#* } == "$b" ]] && return 0
	done
	return 1
}

# $1: TAP file, $2: iteration, $3...: bats arguments
# shellcheck disable=SC2317 # run by jobs_spawn
__runner_bats() {
	local tap=$1 iter=$2
	shift 2
	# bats' own temp dirs go in the run's, which cleanup removes even
	# when bats was killed before it could remove them.
	TMPDIR=$MPTH_TMP MPTH_ITER=$iter bats "$@" >"$tap" 2>&1
}

# $1: index
__runner_start() {
	local i=$1 name=${J_NAME[$1]} iter=${J_ITER[$1]} art jdir args=(--tap)
	art=$MPTH_ARTIFACTS/$name${iter:+-$iter}
	jdir=$MPTH_ARTIFACTS/junit/$name${iter:+-$iter}
	mkdir -p "$jdir"
	args+=(--report-formatter junit --output "$jdir")
	[[ -z $OPT_FILTER ]] || args+=(--filter "$OPT_FILTER")
	((RUN_COUNT > 1)) && log_info "[$((i + 1))/$RUN_COUNT] $name${iter:+ (run $iter of $OPT_REPEAT)}"
	J_STATE[i]=1
	((J_ALONE[i])) && RUNNING_ALONE=1
	now_ms_to "J_START[$i]"
	: >"$art.tap"
	jobs_spawn "$i" __runner_bats "$art.tap" "$iter" "${args[@]}" "${J_FILE[i]}"
}

# Start what may start: up to OPT_JOBS at once, never two that share a
# name, and a run marked alone only when nothing else runs.
__runner_schedule() {
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
			((${#JOBS_PID[@]})) || __runner_start "$i"
			break
		fi
		__runner_conflicts "$i" || __runner_start "$i"
	done
}

# Count an ended run's results from its TAP. $1: index
__runner_tally() {
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

# Copy the head run's new TAP lines to stdout, after its header the first
# time. $1: 1 once the run has ended: print the rest, close the file
__runner_head_show() {
	local i=$HEAD part=''
	if [[ -z $HEAD_FD ]]; then
		printf '# scenario %s%s\n' "${J_NAME[i]}" "${J_ITER[i]:+ (run ${J_ITER[i]} of $OPT_REPEAT)}"
		exec {HEAD_FD}<"$MPTH_ARTIFACTS/${J_NAME[i]}${J_ITER[i]:+-${J_ITER[i]}}.tap"
		HEAD_PART='' HEAD_SHOWN=(0 0 0)
	fi
	while IFS= read -r part <&"$HEAD_FD"; do
		part=$HEAD_PART$part
		__runner_tap_nested "$part"
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
	[[ -z $HEAD_PART ]] || __runner_tap_nested "$HEAD_PART"
	exec {HEAD_FD}<&-
	HEAD_FD='' HEAD_PART=''
}

# Print an ended run's trailer and add it to the totals. $1: index
__runner_report() {
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
	tests=$(report_tests_json "$art.tap" "$art/checks.tsv")
	SUMMARY_ROWS+=("$name	${iter:-1}	$pass	$fail	$skip	$dur	$(report_key_figures "$art")	${J_WHY[i]}	$tests")
	# A failed or interrupted run keeps everything it produced.
	((fail > 0 || OPT_KEEP)) || [[ ${J_WHY[i]} == interrupted* ]] || __runner_prune "$art"
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
	runner_tap_result "$verdict" "$name${iter:+ (run $iter of $OPT_REPEAT)}${why:+: $why}" "${skip_why:-}"
}

# Print, in order, what can be printed: the head run's TAP so far, and
# every ended run from the head on.
__runner_print() {
	while ((HEAD < ${#J_FILE[@]} && J_STATE[HEAD] >= 1)); do
		if ((J_STATE[HEAD] == 1)); then
			__runner_head_show 0
			return
		fi
		__runner_head_show 1
		__runner_report "$HEAD"
		J_STATE[HEAD]=3
		HEAD=$((HEAD + 1))
	done
}

# Run every run added, OPT_JOBS at a time.
runner_run() {
	local n=${#J_FILE[@]} i dur
	((n)) || return 0
	jobs_init "$MPTH_TMP" || die "$EXIT_FAIL" "cannot make the job FIFO in $MPTH_TMP"
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
	__runner_schedule
	while ((HEAD < n)); do
		((!SIGNALLED)) || __runner_on_signal_now
		__runner_print
		((HEAD < n)) || break
		jobs_wait 0.2
		((!SIGNALLED)) || __runner_on_signal_now
		((${#JOBS_DONE[@]})) || continue
		for i in "${JOBS_DONE[@]}"; do
			J_STATE[i]=2
			now_ms_to "J_END[$i]"
			((J_ALONE[i])) && RUNNING_ALONE=0
			__runner_tally "$i"
			((OPT_JOBS == 1)) && continue
			dur=$((J_END[i] - J_START[i]))
			log_info "[$((i + 1))/$RUN_COUNT] ${J_NAME[i]}${J_ITER[i]:+ (run ${J_ITER[i]} of $OPT_REPEAT)} ended: ${J_PASS[i]} passed, ${J_FAIL[i]} failed, ${J_SKIP[i]} skipped in $(report_seconds "$dur") s"
		done
		__runner_print
		__runner_schedule
	done
	IN_JOBS=0
	((!SIGNALLED)) || __runner_on_signal_now
}

# Every report, over the runs added (lib/report.sh).
runner_finish() {
	local i runs=()
	for ((i = 0; i < ${#J_FILE[@]}; i++)); do
		runs+=("${J_NAME[i]} ${J_ITER[i]}")
	done
	report_finish "${runs[@]}"
}

# After a signal: the runs that ended before it are printed whole and
# counted; the one whose TAP was streaming keeps the verdicts it had
# printed; every other run under way is cut short, and the rest never
# started. Then the summary, marked, in the TAP, the artifacts (a file
# INTERRUPTED) and the JSON and JUnit reports.
__runner_interrupted() {
	local i n=${#J_FILE[@]} what cut=0 unstarted=0 shown f
	what="interrupted by SIG$SIG_NAME"
	if ((n == 0)); then
		((TAP_BEGUN)) || runner_tap_begin 0
		printf '# %s before any test ran\n' "$what"
		[[ ! -d ${MPTH_ARTIFACTS:-} ]] ||
			printf '%s before any test ran\n' "$what" >"$MPTH_ARTIFACTS/INTERRUPTED"
		return 0
	fi
	# shellcheck disable=SC2034 # read by report_junit (lib/report.sh)
	REPORT_JUNIT_WAIT_MS=0
	for ((i = HEAD; i < n; i++)); do
		if ((J_STATE[i] == 0)); then
			unstarted=$((unstarted + 1))
			runner_tap_result 'not ok' "${J_NAME[i]}${J_ITER[i]:+ (run ${J_ITER[i]} of $OPT_REPEAT)}: $what before it started"
			continue
		fi
		if ((i != HEAD)) && [[ -n $HEAD_FD ]]; then
			exec {HEAD_FD}<&-
			HEAD_FD=''
		fi
		if ((J_STATE[i] == 2 && J_END[i] < SIG_AT)); then
			HEAD=$i
			__runner_head_show 1
			__runner_report "$i"
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
		# shellcheck disable=SC2004 # JOBS_RC is associative (lib/jobs.sh): the key is i's value
		JOBS_RC[$i]=0
		printf '# %s: %s; what it printed before stands\n' "${J_NAME[i]}" "$what"
		__runner_report "$i"
	done
	HEAD=$n
	for f in "${VM_PENDING[@]}"; do
		unstarted=$((unstarted + 1))
		runner_tap_result 'not ok' "$f: $what before it started"
	done
	VM_PENDING=()
	printf '# %s: %d run(s) cut short, %d never started\n' "$what" "$cut" "$unstarted"
	printf '%s: %d run(s) cut short, %d never started\n' "$what" "$cut" "$unstarted" \
		>"$MPTH_ARTIFACTS/INTERRUPTED"
	runner_finish
}
