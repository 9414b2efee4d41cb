# shellcheck shell=bash
# Benchmarks, for `run.sh bench [--quick] [--json FILE]`: aggregation
# efficiency, failover outage, time to recovery and fault placement, the
# harness's cost (CPU per run against the data path alone, build cost per
# path) and the samples' speed against iperf3, all measured in this one run on this one machine and quoted as
# ratios with their median and range. A benchmark reports; it never passes
# or fails on a figure: bench_main returns non-zero only when the benchmark
# itself broke (a topology that cannot be built, a section with no result).
#
# Progress goes to stderr, the table to stdout. Every measurement is one
# JSON line in $BENCH_RAW; the summaries, the JSON file and the table are all
# computed from those lines. The harness's own notes (shaping, events) go to
# the artifacts' notes.log, not to the terminal.
#
# Knobs: MPTH_BENCH_QUICK=1 (run.sh --quick), MPTH_BENCH_SECTIONS to run
# some sections only ("cpu aggregation failover speed harness"), for
# debugging.

# shellcheck source=harness/harness.bash
source "$MPTH_ROOT/harness/harness.bash"

# Ethernet header as tbf counts it: on a veth, qdisc_pkt_len() is skb->len
# from the MAC header on, and for a GSO packet it adds the headers of every
# segment. A veth has no preamble, FCS or inter-frame gap.
BENCH_ETH_HDR=14
BENCH_IP_HDR=20
BENCH_TCP_HDR=20
# The DSS option this kernel puts on every upload segment: kind, length,
# subtype and flags (4), a 32-bit data ack (4), a 64-bit data sequence
# number (8), the subflow sequence number (4) and the data-level length (2)
# = 22 bytes, checksum off, padded to 24 with two NOPs. Checked against a
# capture when tcpdump exists; this is the fallback.
BENCH_DSS_DEFAULT=24

# Print "now" in ms since the bench started.
__bench_elapsed() {
	echo $(($(now_ms) - BENCH_T0))
}

# A progress line on stderr. $@: text
__bench_say() {
	log_info "bench [$(__bench_fmt_s "$(__bench_elapsed)") s]: $*"
}

# Seconds with one decimal, from ms. $1: ms
__bench_fmt_s() {
	printf '%d.%d' $(($1 / 1000)) $(($1 % 1000 / 100))
}

# Append one raw measurement. $1: section, then key=value pairs; a value
# that is a JSON number, true, false, null or a JSON array stays JSON,
# anything else is a string, and so is every value of a key@=value pair.
__bench_rec() {
	local kv k v args=(--arg section "$1")
	shift
	for kv in "$@"; do
		k=${kv%%=*} v=${kv#*=}
		if [[ $k == *@ ]]; then
			args+=(--arg "${k%@}" "$v")
		elif [[ $v =~ ^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$ || $v == true ||
			$v == false || $v == null || $v == \[*\] ]]; then
			args+=(--argjson "$k" "$v")
		else
			args+=(--arg "$k" "$v")
		fi
	done
	jq -cn "${args[@]}" '$ARGS.named' >>"$BENCH_RAW"
}

# A number, or null when the argument is not one. $1: text
__bench_num() {
	if [[ $1 =~ ^-?[0-9]+(\.[0-9]+)?$ ]]; then
		echo "$1"
	else
		echo null
	fi
}

# True when a section was selected (MPTH_BENCH_SECTIONS). $1: section
__bench_wanted() {
	[[ " ${MPTH_BENCH_SECTIONS:-aggregation failover cpu speed harness} " == *" $1 "* ]]
}

# Give a section its share of the time budget. $1: seconds
__bench_section_start() {
	BENCH_SECTION_END=$(($(now_ms) + $1 * 1000))
}

# True when run number $1 should happen: the first of a case always does,
# later ones only while the section's time lasts. $1: run number
__bench_more() {
	(($1 <= 1 || $(now_ms) < BENCH_SECTION_END))
}

# Fresh harness state for one topology; the label names its artifacts
# (adhoc-LABEL) and its namespaces. $1: label
__bench_init() {
	MPTH_ITER=$1
	unset SHAPE_RATE
	harness_init || return 1
	# plot.sh reads the events file of every run.
	: >>"$MPTH_RUN_DIR/events"
}

# Move a finished run's files to the artifacts, out of the harness's way
# (the teardown would plot every run it finds). $1: tag, $2: section
__bench_keep_run() {
	local d=$MPTH_RUN_DIR/traffic-$1
	[[ -d $d ]] || return 0
	mkdir -p "$MPTH_ARTIFACTS/$2"
	cp -rp "$d" "$MPTH_ARTIFACTS/$2/" 2>/dev/null
	rm -rf "$d"
}

# The client's TCP sockets towards a port, one line each:
# "local_ip rto_ms mss". $1: port
__bench_ss_client() {
	in_ns client ss -tniH state established "( dport = :$1 )" 2>/dev/null | awk '
		function flush() { if (ip != "") print ip, (rto == "" ? "null" : rto), (mss == "" ? "null" : mss) }
		/^[^ \t]/ {
			flush()
			ip = $3; sub(/%[^:]*/, "", ip); sub(/:[0-9]+$/, "", ip)
			rto = ""; mss = ""
		}
		{
			for (i = 1; i <= NF; i++) {
				if ($i ~ /^rto:/) rto = substr($i, 5)
				else if ($i ~ /^mss:/) mss = substr($i, 5)
			}
		}
		END { flush() }'
}

# ---------------------------------------------------------------- machine

# What the figures depend on: cores, kernel, load, shaping, CC.
__bench_machine() {
	local model cores load cc ts
	model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
	cores=$(lscpu 2>/dev/null | awk -F: '/^Core\(s\) per socket/ { c = $2 + 0 }
		/^Socket\(s\)/ { s = $2 + 0 } END { if (c && s) print c * s }')
	read -r -a load </proc/loadavg
	BENCH_LOAD_START="${load[0]} ${load[1]} ${load[2]}"
	# A new namespace takes these from the host's defaults; read them
	# where the transfers run.
	cc=$(unshare -n cat /proc/sys/net/ipv4/tcp_congestion_control 2>/dev/null)
	ts=$(unshare -n cat /proc/sys/net/ipv4/tcp_timestamps 2>/dev/null)
	BENCH_TS_BYTES=12
	[[ $ts == 0 ]] && BENCH_TS_BYTES=0
	if feat_have netem; then
		BENCH_SHAPING=netem BENCH_SHAPING_WHY=$FEAT_HOW
	else
		BENCH_SHAPING=tbf BENCH_SHAPING_WHY=$FEAT_REASON
	fi
	__bench_rec machine nproc="$(nproc)" cores="$(__bench_num "${cores:-x}")" \
		cpu@="${model:-unknown}" kernel@="$(uname -r)" \
		loadavg_start="[${load[0]},${load[1]},${load[2]}]" \
		congestion_control="${cc:-unknown}" tcp_timestamps="$(__bench_num "${ts:-x}")" \
		shaping="$BENCH_SHAPING" shaping_why="$BENCH_SHAPING_WHY" \
		quick="$BENCH_QUICK" run_id@="$MPTH_RUN_ID"
}

# ------------------------------------------------------------ aggregation

# The TCP header length of data segments on a router, from a capture
# (tcpdump -v prints the IP length and the payload length), and the MPTCP
# option's length. Prints "tcp_hdr dss_len" or nothing. $1: capture file
__bench_hdr_from_capture() {
	awk '
		/ IP \(.*length [0-9]+\)/ { match($0, /length [0-9]+\)/); iplen = substr($0, RSTART + 7, RLENGTH - 8) + 0; next }
		iplen && /, length [0-9]+$/ {
			pay = $NF + 0
			if (pay > 0) {
				h = iplen - 20 - pay
				cnt[h]++
				if (match($0, /mptcp [0-9]+ dss/)) dss[h] = substr($0, RSTART + 6, RLENGTH - 10) + 0
			}
			iplen = 0
		}
		END {
			for (h in cnt) if (cnt[h] > best) { best = cnt[h]; bh = h }
			if (best) print bh, (bh in dss ? dss[bh] : 0)
		}' "$1"
}

# One transfer for the aggregation table. $1: case, $2: mptcp|tcp,
# $3: run, $4: rate it is compared with (bit/s), $5: paths
__bench_agg_run() {
	local cname=$1 proto=$2 run=$3 rate=$4 n=$5 tag port dir cap='' cpid='' mss rto
	local good eff subf resent ok=false crc src mism
	# A tag per case too: the traffic helpers keep a run's live state
	# (port, marks, done) by tag in this shell, and a tag used again in a
	# later case would start from the earlier one's.
	tag=agg-${cname//+/-}-$proto-$run
	dir=$MPTH_RUN_DIR/traffic-$tag
	# Once per protocol: what the segments on the wire really carry.
	if [[ $run == 1 && -z ${BENCH_HDR[$proto]:-} ]] && feat_have tcpdump; then
		cap=$MPTH_RUN_DIR/capture-$proto.txt
		ip netns exec "$(topo_ns r1)" timeout 20 tcpdump -l -i s -nn -v -s 200 -c 40 \
			'tcp and ip[2:2] > 400' >"$cap" 2>/dev/null 3>&- &
		cpid=$!
		sleep 0.3
	fi
	traffic_start --tag "$tag" --bytes "$BENCH_AGG_BYTES" --type "$proto" \
		--server-type "$proto" || return 1
	port=$(fact_get "$tag.port")
	[[ $proto == tcp ]] || traffic_wait_sf "$tag" "$n" 3000 ||
		log_warn "bench: $cname: only $TRAFFIC_SF of $n subflows"
	traffic_mark "$tag" $((256 * 1024)) 20000 || true
	read -r _ rto mss < <(__bench_ss_client "$port" | head -n1)
	traffic_wait 180000 "$tag"
	if [[ -n $cpid ]]; then
		kill "$cpid" 2>/dev/null
		wait "$cpid" 2>/dev/null
		local hdr
		hdr=$(__bench_hdr_from_capture "$cap")
		[[ -z $hdr ]] || BENCH_HDR[$proto]=$hdr
		cp "$cap" "$MPTH_ARTIFACTS/" 2>/dev/null
	fi
	crc=$(cat "$dir/client.rc" 2>/dev/null)
	src=$(cat "$dir/server.rc" 2>/dev/null)
	mism=$(traffic_json server '.mismatch_offset' "$tag")
	[[ $crc == 0 && $src == 0 && $mism == -1 ]] && ok=true
	good=$(__bench_num "$(traffic_json server '.goodput_mbps' "$tag")")
	eff=null
	[[ $good == null ]] || eff=$(awk -v g="$good" -v r="$rate" 'BEGIN { printf "%.4f", g * 1e6 / r }')
	subf=$(__bench_num "$(traffic_json client '.max_subflows' "$tag")")
	# Bytes the subflows sent (retransmissions and reinjections included)
	# against the payload, from the client's last MPTCP_INFO line.
	resent=$(traffic_client_info "$tag" --last -r \
		'if (.bytes_sent // 0) > 0 and ([.subflow_list[]?.bytes_sent | numbers] | length) > 0
			then (([.subflow_list[].bytes_sent | numbers] | add) / .bytes_sent - 1) * 10000 | round / 10000
			else null end')
	__bench_rec aggregation case@="$cname" proto="$proto" run="$run" ok="$ok" \
		rate_bps="$rate" goodput_mbps="$good" efficiency="$eff" \
		mss="$(__bench_num "${mss:-x}")" rto_ms="$(__bench_num "${rto:-x}")" \
		subflows="$subf" resent_frac="$(__bench_num "${resent:-x}")" \
		client_rc@="${crc:-none}" server_rc@="${src:-none}" \
		cc@="$(traffic_json client '.congestion_control // "unknown"' "$tag")"
	__bench_say "aggregation $cname $proto run $run: ${good} Mbit/s = ${eff} of $((rate / 1000000)) Mbit/s (mss ${mss:-?}, subflows ${subf}, resent ${resent:-?})$([[ $ok == true ]] || echo ', FAILED')"
	__bench_keep_run "$tag" aggregation
	[[ $ok == true ]]
}

# One aggregation case: MPTCP over every path against TCP over the best.
# $1: case name, $2...: path rates in Mbit/s, best first
__bench_agg_case() {
	local name=$1 n i r sum=0 best
	shift
	n=$#
	best=$(($1 * 1000000))
	__bench_init "agg-${name//+/-}" || return 1
	topo_paths "$n" || return 1
	i=1
	for r in "$@"; do
		shape_paths --rate "${r}mbit" --path "$i" || return 1
		sum=$((sum + r * 1000000))
		i=$((i + 1))
	done
	pm_limits all subflows="$n" add_addr_accepted="$n" || return 1
	for ((i = 2; i <= n; i++)); do
		pm_endpoint client "$i" subflow || return 1
	done
	__bench_rec aggregation_case case@="$name" \
		rates_mbit="[$(IFS=,; echo "$*")]" sum_bps="$sum" best_bps="$best" \
		paths="$n" bytes="$(traffic_size_bytes "$BENCH_AGG_BYTES")" runs_planned="$BENCH_AGG_RUNS"
	for ((r = 1; r <= BENCH_AGG_RUNS; r++)); do
		__bench_more "$r" || break
		# Alternate, so both see the same machine.
		__bench_agg_run "$name" mptcp "$r" "$sum" "$n"
		__bench_agg_run "$name" tcp "$r" "$best" "$n"
	done
	harness_teardown
}

# Seconds one round (an MPTCP and a TCP run) of an aggregation case takes
# when MPTCP gets 75% of the sum and TCP 95% of the best path, plus 1.5 s
# of setting up. $@: path rates in Mbit/s, best first
__bench_agg_round_s() {
	local bytes
	bytes=$(traffic_size_bytes "$BENCH_AGG_BYTES")
	printf '%s\n' "$@" | awk -v b="$bytes" '{ s += $1; if (NR == 1) best = $1 }
		END { printf "%.1f\n", b * 8 / 1e6 / (0.75 * s) + b * 8 / 1e6 / (0.95 * best) + 1.5 }'
}

# Section 1: each case gets the share of the budget its runs should take.
# $1: seconds of budget
__bench_aggregation() {
	local c share rc=0 cases=("20+20:20 20" "30+10:30 10" "3x10:10 10 10") total=0 w
	for c in "${cases[@]}"; do
		# shellcheck disable=SC2086 # the rates are words
		total=$(awk -v a="$total" -v b="$(__bench_agg_round_s ${c#*:})" 'BEGIN { print a + b }')
	done
	for c in "${cases[@]}"; do
		# shellcheck disable=SC2086 # the rates are words
		w=$(__bench_agg_round_s ${c#*:})
		share=$(awk -v t="$1" -v w="$w" -v s="$total" 'BEGIN { printf "%d\n", t * w / s }')
		__bench_section_start "$share"
		# shellcheck disable=SC2086 # the rates are words
		__bench_agg_case "${c%%:*}" ${c#*:} || {
			log_err "bench: aggregation case ${c%%:*} could not be set up"
			harness_teardown
			rc=1
		}
	done
	local h hdr dss
	for h in mptcp tcp; do
		[[ -n ${BENCH_HDR[$h]:-} ]] || continue
		read -r hdr dss <<<"${BENCH_HDR[$h]}"
		__bench_rec overhead proto="$h" tcp_hdr="$hdr" option_len="$dss" source=capture
	done
	return "$rc"
}

# ---------------------------------------------------------------- failover

# How the survivor of a fault got back, from its byte sampler in 200 ms
# windows: "RECOVERY STALLS", RECOVERY the ms from the fault to the start
# of the first window at 90% of its rate or more after its first stall (a
# window under 50%), 0 when it never stalled, "none" when it had not got
# back by the transfer's tail; STALLS the number of separate stalls. The
# tail is where the survivor last carried data at half its rate or more,
# and 100 ms before the server's last byte at the latest: the last bytes
# can arrive after the sender went quiet, when a hole is filled.
# $1: sampler file, $2: fault ms, $3: server's last byte ms, $4: rate bit/s
__bench_recovery() {
	awk -v f="$2" -v last="$3" -v rate="$4" -v w=200 '
		BEGIN { n = 0; tail = 0 }
		$1 >= f && $1 <= last { t[n] = $1; b[n] = $2; n++ }
		END {
			for (i = 1; i < n; i++)
				if ((b[i] - b[i - 1]) * 8000 / (t[i] - t[i - 1]) >= rate / 2) tail = t[i]
			if (tail > last - 100) tail = last - 100
			k = 0; first = -1; stalls = 0; prev = 0
			for (i = 0; i < n; i++) {
				for (j = i + 1; j < n && t[j] - t[i] < w; j++)
					;
				if (j >= n || t[j] > tail) break
				r[k] = (b[j] - b[i]) * 8000 / (t[j] - t[i]); s[k] = t[i]
				low = r[k] < rate / 2
				if (low && first < 0) first = k
				if (low && !prev) stalls++
				prev = low
				k++
			}
			rec = "none"
			if (first < 0) rec = 0
			else for (i = first + 1; i < k; i++)
				if (r[i] >= rate * 0.9) { rec = s[i] - f; break }
			print rec, stalls
		}' "$1"
}

# $1: path. True when the client reaches the server over that path.
__bench_path_up() {
	in_ns client ping -c1 -W1 -q -I "$(topo_addr "$1" client)" "$(topo_addr 1 server)" >/dev/null 2>&1
}

# A failover run whose fault never struck. When its transfer had ended
# first (the samples' own verdict: a mismatch, a reset), that is the run's
# result, recorded and shown, and the section goes on: a benchmark reports
# a failed transfer, it does not stop on one. Returns 1 (the bench broke)
# only when the transfer still ran. $1: case, $2: kind, $3: withdraw,
# $4: path, $5: survivor, $6: run, $7: tag
__bench_failover_unstruck() {
	local tag=$7 dir crc src mism why
	dir=$MPTH_RUN_DIR/traffic-$tag
	if traffic_running "$tag"; then
		log_err "bench: $1 run $6: the fault did not strike while the transfer ran"
		return 1
	fi
	traffic_wait 10000 "$tag"
	crc=$(cat "$dir/client.rc" 2>/dev/null)
	src=$(cat "$dir/server.rc" 2>/dev/null)
	mism=$(traffic_json server '.mismatch_offset' "$tag")
	why="the transfer ended before the fault's mark (client exit ${crc:-none}, server exit ${src:-none}"
	[[ ! $mism =~ ^[0-9]+$ ]] || why+=", data mismatch at payload offset $mism"
	why+=")"
	log_warn "bench: failover $1 run $6: $why; the run is left out"
	__bench_rec failover case@="$1" fault="$2" withdraw="$3" path="$4" survivor="$5" run="$6" \
		ok=false valid=false why@="$why" client_rc@="${crc:-none}" server_rc@="${src:-none}" \
		mismatch_offset="$(__bench_num "${mism:-x}")"
	__bench_keep_run "$tag" failover
	# Nothing struck, but the trigger's mark may have: the path as it was.
	fault_restore "$4"
	pm_endpoint_id client "$4" >/dev/null || pm_endpoint client "$4" subflow
}

# One failover run. $1: case name, $2: link-down|blackhole, $3: withdraw
# the endpoint (0|1), $4: path, $5: run
__bench_failover_run() {
	local name=$1 kind=$2 react=$3 path=$4 run=$5 tag dir survivor q port
	local fault_ms fault_recv valid=true stalls ip rto rto_f=null rto_s=null subf outage rec last ok=false crc src mism
	local done_ms struck rec50 total mark_ms=null mark_rx=null placed lag=null src_pl=receiver
	tag=fo-${name//\//-}-$run
	dir=$MPTH_RUN_DIR/traffic-$tag
	survivor=1
	((path == 1)) && survivor=2
	total=$(traffic_size_bytes "$BENCH_FO_BYTES")
	q=$((total / 4))
	traffic_start --tag "$tag" --bytes "$BENCH_FO_BYTES" || return 1
	port=$(fact_get "$tag.port")
	# As recipe_failover: armed ahead, the fault strikes at a quarter.
	fault_at "$kind" "$path" "$tag" "$q" || return 1
	traffic_wait_sf "$tag" 2 5000 ||
		log_warn "bench: $name: $TRAFFIC_SF subflow(s) before the fault"
	subf=$(__bench_ss_client "$port")
	while read -r ip rto _; do
		[[ $ip == "$(topo_addr "$path" client)" ]] && rto_f=$(__bench_num "$rto")
		[[ $ip == "$(topo_addr "$survivor" client)" ]] && rto_s=$(__bench_num "$rto")
	done <<<"$subf"
	subf=$(grep -c . <<<"$subf")
	if traffic_mark "$tag" "$q" 60000; then
		mark_ms=$TRAFFIC_MARK_T mark_rx=$TRAFFIC_MARK_RX
	else
		log_warn "bench: $name: the transfer did not reach the fault's mark"
	fi
	if ! fault_wait_struck "$tag" 20000; then
		__bench_failover_unstruck "$name" "$kind" "$react" "$path" "$survivor" "$run" "$tag"
		return
	fi
	fault_ms=$FAULT_MS
	done_ms=$FAULT_DONE_MS
	# What a connection manager does on link down (scenarios/failover.bats).
	((react)) && pm_endpoint_del client "$path"
	traffic_progress "$tag"
	fault_recv=${TRAFFIC_RX:-0}
	traffic_wait 60000 "$tag"
	struck=$(traffic_rx_at "$tag" "$done_ms")
	# Where the fault struck, judged on the stream as recipes.sh does
	# (recipe_failover_figures): the mark crossed, plus what the paths
	# carry at their rate from then until the fault was in place. The
	# receiver's own count at that moment (struck_rx) is kept too: it
	# jumps with every burst of reordered data handed over at once.
	placed=$struck
	if [[ $mark_ms =~ ^[0-9]+$ ]] && ((BENCH_FO_RATES > 0)); then
		lag=$((done_ms - mark_ms))
		placed=$((mark_rx + lag * BENCH_FO_RATES / 8000))
		src_pl=stream
	fi
	rec50=$(traffic_recovery_ms "$tag" "$fault_ms" "$(shape_rate_bps "$survivor")")
	crc=$(cat "$dir/client.rc" 2>/dev/null)
	src=$(cat "$dir/server.rc" 2>/dev/null)
	mism=$(traffic_json server '.mismatch_offset' "$tag")
	[[ $crc == 0 && $src == 0 && $mism == -1 ]] && ok=true
	outage=$(traffic_outage_ms "$tag" "$fault_ms")
	[[ $outage == 999999 ]] && outage=none
	last=$(traffic_json server '.last_byte_ms' "$tag")
	# A machine slow enough can let the transfer end before the fault
	# struck: such a run measures nothing.
	if ((fault_recv >= $(traffic_size_bytes "$BENCH_FO_BYTES"))) ||
		[[ ! $last =~ ^[0-9]+$ ]] || ((last < fault_ms + 300)); then
		valid=false
		log_warn "bench: $name run $run: the fault struck at the transfer's end; the run is left out"
	fi
	rec=none stalls=null
	[[ $last =~ ^[0-9]+$ ]] && read -r rec stalls < <(__bench_recovery \
		"$MPTH_RUN_DIR/samples/p$survivor" "$fault_ms" "$last" "$(shape_rate_bps "$survivor")")
	# The path as it was, for the next run.
	fault_restore "$path"
	pm_endpoint_id client "$path" >/dev/null || pm_endpoint client "$path" subflow
	busywait 3000 __bench_path_up "$path" || log_warn "bench: path $path did not come back"
	__bench_rec failover case@="$name" fault="$kind" withdraw="$react" path="$path" \
		survivor="$survivor" run="$run" ok="$ok" valid="$valid" fault_ms="$fault_ms" \
		fault_recv="$fault_recv" due="$q" mark_ms="$mark_ms" mark_rx="$mark_rx" lag_ms="$lag" \
		placement="$(__bench_num "$placed")" placement_source="$src_pl" \
		fault_late_pm="$(__bench_num $(((${placed:-0} - q) * 1000 / total)))" \
		struck_rx="$(__bench_num "$struck")" \
		fault_late_rx_pm="$(__bench_num $(((${struck:-0} - q) * 1000 / total)))" apply_ms=$((done_ms - fault_ms)) \
		last_byte_ms="$(__bench_num "$last")" outage_ms="$(__bench_num "$outage")" \
		recovery_ms="$(__bench_num "$rec50")" recovery90_ms="$(__bench_num "$rec")" stalls="$(__bench_num "$stalls")" rto_ms="$rto_f" survivor_rto_ms="$rto_s" \
		subflows_before="$(__bench_num "$subf")" client_rc@="${crc:-none}" server_rc@="${src:-none}"
	__bench_say "failover $name run $run: struck at +$(((${placed:-0} - q) * 1000 / total)) per mille on the stream (receiver's count +$(((${struck:-0} - q) * 1000 / total))), outage $outage ms, recovery $rec50 ms, 90% again after $rec ms ($stalls stalls), rto ${rto_f} ms$([[ $ok == true ]] || echo ', FAILED')"
	__bench_keep_run "$tag" failover
}

# Section 2: interface down (pure and with the endpoint withdrawn) and a
# silent blackhole, of the initial path (1) and of the secondary (2), on
# the failover scenario's topology. Runs go round-robin over the cases, so
# every case sees the same machine. $1: seconds of budget
__bench_failover() {
	local cases=() c r name kind react path
	cases=(link-down/p1:link-down:0:1 link-down/p2:link-down:0:2
		link-down+withdraw/p1:link-down:1:1 link-down+withdraw/p2:link-down:1:2)
	if feat_have nft; then
		cases+=(blackhole/p1:blackhole:0:1 blackhole/p2:blackhole:0:2)
	else
		__bench_rec failover_skip case=blackhole why="$FEAT_REASON"
	fi
	__bench_init failover || return 1
	topo_paths 2 --rate 20mbit || return 1
	pm_limits all subflows=2 add_addr_accepted=2 || return 1
	# An endpoint for path 1 too, as scenarios/failover.bats: it names the
	# initial subflow's address, so withdrawing it closes that subflow.
	pm_endpoint client 1 subflow || return 1
	pm_endpoint client 2 subflow || return 1
	# The paths' summed rate, for the fault's placement on the stream.
	BENCH_FO_RATES=$(($(shape_rate_bps 1) + $(shape_rate_bps 2)))
	__bench_rec failover_setup paths=2 rate_bps="$(shape_rate_bps 1)" \
		bytes="$(traffic_size_bytes "$BENCH_FO_BYTES")" runs_planned="$BENCH_FO_RUNS"
	__bench_section_start "$1"
	for ((r = 1; r <= BENCH_FO_RUNS; r++)); do
		__bench_more "$r" || break
		for c in "${cases[@]}"; do
			IFS=: read -r name kind react path <<<"$c"
			__bench_failover_run "$name" "$kind" "$react" "$path" "$r" || {
				log_err "bench: failover $name run $r broke"
				harness_teardown
				return 1
			}
		done
	done
	harness_teardown
}

# ---------------------------------------------------------------- speed

# One iperf3 run under mptcpize; prints its goodput (Mbit/s, received).
# $1: tag, $2: seconds
__bench_iperf3() {
	local tag=$1 secs=$2 dir
	dir=$MPTH_RUN_DIR/traffic-$tag
	app_start --tag "$tag" --name server --mptcpize server iperf3 -s -1 -p 5201 || return 1
	app_wait_listen server 5201 5000 || return 1
	app_start --tag "$tag" --name client --mptcpize --stdout client.json client \
		iperf3 -c "$(topo_addr 1 server)" -p 5201 -t "$secs" -J || return 1
	app_wait "$tag" client $(((secs + 20) * 1000))
	app_wait "$tag" server 5000
	jq -r '.end.sum_received.bits_per_second / 1e6 * 1000 | round / 1000' "$dir/client.json" 2>/dev/null
}

# Section 4: our client and server against iperf3 under mptcpize,
# unshaped, on one 2-path topology, alternating. $1: seconds of budget
__bench_speed() {
	local r secs=$BENCH_SPEED_SECS g ok j0 j1 subf
	if ! feat_have iperf3 || ! feat_have mptcpize; then
		__bench_rec speed_skip why="$FEAT_REASON"
		__bench_say "sample speed skipped: $FEAT_REASON"
		return 0
	fi
	__bench_init speed || return 1
	topo_paths 2 || return 1
	pm_limits all subflows=2 add_addr_accepted=2 || return 1
	pm_endpoint client 2 subflow || return 1
	__bench_rec speed_setup paths=2 seconds="$secs" runs_planned="$BENCH_SPEED_RUNS"
	__bench_section_start "$1"
	for ((r = 1; r <= BENCH_SPEED_RUNS; r++)); do
		__bench_more "$r" || break
		traffic_start --tag "sp-ours-$r" --duration $((secs * 1000)) || return 1
		traffic_wait $(((secs + 30) * 1000)) "sp-ours-$r"
		g=$(__bench_num "$(traffic_json server '.goodput_mbps' "sp-ours-$r")")
		subf=$(__bench_num "$(traffic_json client '.max_subflows' "sp-ours-$r")")
		ok=false
		[[ $(cat "$(traffic_dir "sp-ours-$r")/client.rc" 2>/dev/null) == 0 ]] && ok=true
		__bench_rec speed tool=ours run="$r" goodput_mbps="$g" subflows="$subf" ok="$ok"
		__bench_say "sample speed run $r: ours $g Mbit/s (subflows $subf)"
		__bench_keep_run "sp-ours-$r" speed
		# mptcpize really made it MPTCP, with a join: the client's MIB.
		j0=$(obs_mib client MPTcpExtMPJoinSynAckRx)
		g=$(__bench_num "$(__bench_iperf3 "sp-iperf3-$r" "$secs")")
		j1=$(obs_mib client MPTcpExtMPJoinSynAckRx)
		ok=false
		[[ $(app_rc "sp-iperf3-$r" client) == 0 && $g != null ]] && ok=true
		__bench_rec speed tool=iperf3 run="$r" goodput_mbps="$g" joins=$((j1 - j0)) ok="$ok"
		__bench_say "sample speed run $r: iperf3 $g Mbit/s (joins $((j1 - j0)))"
		__bench_keep_run "sp-iperf3-$r" speed
	done
	harness_teardown
}

# ---------------------------------------------------------------- harness

# A minimal real scenario, for the fixed cost of one: bats, the harness,
# a 2-path shaped topology, the path manager, a tiny transfer, one check
# and the teardown with its collection. Times land in a file.
# $1: bats file to write, $2: times file
__bench_fixed_scenario() {
	cat >"$1" <<-EOF
		#!/usr/bin/env bats
		# Written by harness/bench/bench.sh: the smallest whole scenario.
		load '$MPTH_ROOT/harness/harness'
		setup_file() {
			echo "setup_start \$(now_ms)" >>'$2'
			harness_init || return 0
			topo_paths 2 --rate 20mbit
			pm_limits all subflows=2 add_addr_accepted=2
			pm_endpoint client 2 subflow
			echo "traffic_start \$(now_ms)" >>'$2'
			traffic_start --tag t --bytes 64K
			traffic_wait 20000 t
			echo "traffic_end \$(now_ms)" >>'$2'
		}
		@test "the transfer arrived intact" { assert_transfer_intact t; }
		teardown_file() {
			echo "teardown_start \$(now_ms)" >>'$2'
			harness_teardown
			echo "teardown_end \$(now_ms)" >>'$2'
		}
	EOF
}

# The environment of this bench without the state of its last topology,
# as "env -u ..." words, for a child run. $1: also drop the run itself (1)
__bench_clean_env() {
	local v keep='^(MPTH_ROOT|MPTH_RUN_ID|MPTH_TMP|MPTH_ARTIFACTS|MPTH_SEED|MPTH_FEATURE_CACHE|MPTH_STATE_DIR|MPTH_TMPBASE)$'
	[[ ${1:-0} == 1 ]] && keep='^(MPTH_STATE_DIR|MPTH_TMPBASE)$'
	printf '%s\n' env
	for v in $(compgen -e); do
		[[ $v =~ ^(MPTH_|TOPO_|SHAPE_) && ! $v =~ $keep ]] && printf '%s\n' -u "$v"
	done
}

# Fixed cost of a scenario apart from its traffic: bats on the minimal
# scenario, its wall time less the transfer's. $1: run
__bench_scenario_cost() {
	local r=$1 f times t0 t1 envw=() rc=0 ts te ss tes tee
	f=$MPTH_TMP/fixedcost.bats
	times=$MPTH_TMP/fixedcost-$r.times
	: >"$times"
	__bench_fixed_scenario "$f" "$times"
	mapfile -t envw < <(__bench_clean_env)
	t0=$(now_ms)
	"${envw[@]}" bats --tap "$f" >"$MPTH_ARTIFACTS/fixedcost-$r.tap" 2>&1 3>&- || rc=$?
	t1=$(now_ms)
	ss=$(awk '$1 == "setup_start" { print $2 }' "$times")
	ts=$(awk '$1 == "traffic_start" { print $2 }' "$times")
	te=$(awk '$1 == "traffic_end" { print $2 }' "$times")
	tes=$(awk '$1 == "teardown_start" { print $2 }' "$times")
	tee=$(awk '$1 == "teardown_end" { print $2 }' "$times")
	if [[ -z $ts || -z $te || -z $ss || -z $tes || -z $tee ]]; then
		__bench_rec scenario_fixed run="$r" ok=false bats_rc="$rc"
		log_warn "bench: the minimal scenario did not run (see $MPTH_ARTIFACTS/fixedcost-$r.tap)"
		return 1
	fi
	__bench_rec scenario_fixed run="$r" ok="$([[ $rc == 0 ]] && echo true || echo false)" \
		wall_ms=$((t1 - t0)) traffic_ms=$((te - ts)) fixed_ms=$((t1 - t0 - (te - ts))) \
		bats_start_ms=$((ss - t0)) setup_ms=$((ts - ss)) teardown_ms=$((tee - tes)) \
		bats_end_ms=$((t1 - tee))
	__bench_say "scenario fixed cost run $r: $((t1 - t0 - (te - ts))) ms (wall $((t1 - t0)) ms, traffic $((te - ts)) ms)"
}

# Build and tear down an unused topology. $1: paths, $2: run
__bench_topo_cost() {
	local n=$1 r=$2 t0 t1 t2
	t0=$(now_ms)
	__bench_init "cost$n-$r" || return 1
	topo_paths "$n" --rate 20mbit || { harness_teardown; return 1; }
	t1=$(now_ms)
	harness_teardown
	t2=$(now_ms)
	# Nothing of an unused topology is worth keeping.
	rm -rf "${MPTH_ART_DIR:?}"
	__bench_rec topology paths="$n" run="$r" build_ms=$((t1 - t0)) teardown_ms=$((t2 - t1))
	__bench_say "topology of $n paths run $r: build $((t1 - t0)) ms, teardown $((t2 - t1)) ms"
}

# The newest measured wall time of `run.sh all`: a bench's own measure, or
# a run's artifacts directory that looks like one: 3 scenarios or more, at
# least 3 in 4 of them scenarios of today's catalogue (it is renamed as it
# grows), none a self-test (that is `run.sh test`), none repeated
# (--repeat). Its time runs from the directory's start stamp to its newest
# file. Prints one JSON object or nothing.
__bench_all_last() {
	local d f names cur=() selftests=() n cnt start end best='' best_t=0 t j pass fail skip
	for f in "$MPTH_ROOT"/scenarios/*.bats; do
		[[ -e $f ]] && cur+=("$(basename "$f" .bats)")
	done
	for f in "$MPTH_ROOT"/tests/*.bats; do
		[[ -e $f ]] && selftests+=("$(basename "$f" .bats)")
	done
	for f in "$MPTH_ROOT"/artifacts/bench-*/bench.json; do
		[[ -s $f && $f != "$MPTH_ARTIFACTS/bench.json" ]] || continue
		j=$(jq -c 'select(.harness.run_all.source == "measured") | .harness.run_all' "$f" 2>/dev/null)
		[[ -n $j ]] || continue
		t=$(jq -r '.at_s // 0' <<<"$j")
		((t > best_t)) && best_t=$t best=$j
	done
	for d in "$MPTH_ROOT"/artifacts/*/; do
		d=${d%/}
		[[ ${d##*/} =~ ^([0-9]{8})-([0-9]{2})([0-9]{2})([0-9]{2})-[0-9a-f]{6}$ ]] || continue
		start="${BASH_REMATCH[1]} ${BASH_REMATCH[2]}:${BASH_REMATCH[3]}:${BASH_REMATCH[4]}"
		names=() n=0 cnt=0
		for f in "$d"/*.tap; do
			[[ -e $f ]] || continue
			f=$(basename "$f" .tap)
			if [[ " ${cur[*]} " == *" $f "* ]]; then
				cnt=$((cnt + 1))
			elif [[ " ${selftests[*]} " == *" $f "* || $f =~ -[0-9]+$ ]]; then
				n=-1
				break
			fi
			names+=("$f")
			n=$((n + 1))
		done
		((n >= 3 && cnt * 4 >= n * 3)) || continue
		start=$(date -d "$start" +%s 2>/dev/null) || continue
		end=$(find "$d" -type f -printf '%T@\n' 2>/dev/null | sort -n | tail -n1)
		end=${end%.*}
		((end > best_t)) || continue
		pass=$(cat "$d"/*.tap | grep '^ok ' | grep -vc '# skip')
		skip=$(cat "$d"/*.tap | grep '^ok ' | grep -c '# skip')
		fail=$(cat "$d"/*.tap | grep -c '^not ok ')
		best_t=$end
		best=$(jq -cn --arg dir "$d" --argjson w $((end - start)) --argjson at "$end" \
			--argjson p "$pass" --argjson fl "$fail" --argjson sk "$skip" --arg s "${names[*]}" \
			'{source: "artifacts", wall_s: $w, at_s: $at, dir: $dir, passed: $p, failed: $fl, skipped: $sk,
			  scenarios: ($s | split(" ")), how: "from the directory name (start) to its newest file, +-2 s"}')
	done
	[[ -z $best ]] || printf '%s\n' "$best"
}

# The wall time of `run.sh all`: measured now when the last measure says
# it fits, with a tenth to spare, in what is left of the bench's 10 minutes
# (full bench only; stopped at the limit all the same), else the last one.
__bench_run_all() {
	local last est left t0 t1 rc=0 envw=() why
	last=$(__bench_all_last)
	# The catalogue grows: scale the last measure to today's scenarios.
	est=$(jq -r --argjson now "$(compgen -G "$MPTH_ROOT/scenarios/*.bats" | wc -l)" \
		'.wall_s // empty | . * (if ($last.scenarios | length) > 0
			then [$now / ($last.scenarios | length), 1] | max else 1 end) | floor' \
		--argjson last "${last:-null}" <<<"$last" 2>/dev/null)
	left=$(((BENCH_LIMIT - $(now_ms)) / 1000 - 5))
	if [[ $BENCH_QUICK == 0 && -n $est ]] && ((est * 11 / 10 < left)); then
		__bench_say "running run.sh all (about ${est} s from the last; ${left} s left)"
		mapfile -t envw < <(__bench_clean_env 1)
		t0=$(now_ms)
		timeout -k 10 "$left" "${envw[@]}" "$MPTH_ROOT/run.sh" --no-install \
			--artifacts "$MPTH_ARTIFACTS/all" --json "$MPTH_ARTIFACTS/all.json" all \
			>"$MPTH_ARTIFACTS/all.log" 2>&1 3>&- || rc=$?
		t1=$(now_ms)
		if ((rc == 124 || rc == 137)); then
			jq -cn --argjson w "$(((t1 - t0) / 1000))" --argjson last "${last:-null}" \
				'{source: "stopped", wall_s: $w, not_run: "stopped at the bench'"'"'s time limit", last: $last,
				  scenarios: ($last.scenarios // [])}' >"$MPTH_TMP/all.rec"
		else
			jq -c --argjson w "$(((t1 - t0) / 100))" --argjson at $((t1 / 1000)) --argjson rc "$rc" \
				'{source: "measured", wall_s: ($w / 10), at_s: $at, exit: $rc, passed: .passed,
				  failed: .failed, skipped: .skipped, scenarios: [.scenarios[].name]}' \
				"$MPTH_ARTIFACTS/all.json" >"$MPTH_TMP/all.rec" 2>/dev/null ||
				jq -cn --argjson w "$(((t1 - t0) / 1000))" --argjson rc "$rc" \
					'{source: "measured", wall_s: $w, exit: $rc, scenarios: []}' >"$MPTH_TMP/all.rec"
		fi
		__bench_say "run.sh all took $(__bench_fmt_s $((t1 - t0))) s (exit $rc)"
	else
		why="the quick bench never runs it"
		[[ $BENCH_QUICK == 1 ]] || why="no earlier measure to plan with"
		[[ -z $est || $BENCH_QUICK == 1 ]] ||
			why="the last, scaled to $(compgen -G "$MPTH_ROOT/scenarios/*.bats" | wc -l) scenarios, would take ${est} s and ${left} s of the bench's 10 minutes are left"
		if [[ -n $last ]]; then
			jq -c --arg why "$why" '. + {not_run: $why}' <<<"$last" >"$MPTH_TMP/all.rec"
		else
			jq -cn --arg why "$why" '{source: "none", not_run: $why}' >"$MPTH_TMP/all.rec"
		fi
		__bench_say "run.sh all not run: $why"
	fi
	jq -c '{section: "run_all"} + .' "$MPTH_TMP/all.rec" >>"$BENCH_RAW"
}

# Section 3: topologies of 2, 4 and 8 paths, a scenario's fixed cost, and
# `run.sh all`. $1: seconds of budget
__bench_harness() {
	local n r fixed_share
	fixed_share=$(($1 / 4))
	__bench_section_start $(($1 - fixed_share))
	for ((r = 1; r <= BENCH_TOPO_RUNS; r++)); do
		__bench_more "$r" || break
		for n in 2 4 8; do
			__bench_topo_cost "$n" "$r" || return 1
		done
	done
	__bench_section_start "$fixed_share"
	for ((r = 1; r <= BENCH_FIXED_RUNS; r++)); do
		__bench_more "$r" || break
		__bench_scenario_cost "$r"
	done
	__bench_run_all
}

# -------------------------------------------------------- harness CPU

# Harness CPU per run: what a whole `run.sh failover` costs, in cores on
# average (CPU seconds / wall seconds), against the data path alone: the
# same topology (2 paths, tbf 20 Mbit/s, the same endpoints) and the same
# two 24 MiB uploads with nothing but the c-samples' server and client,
# started once each, no harness polling. The quick bench measures both
# with one 8 MiB upload (the link-down fault only).
#
# How it is counted: each measured run has a cgroup of its own
# (mpth-<run id>-cpu-<what>) and the figure is the cgroup's CPU time, the
# scheduler's runtime of every task that ran in it. Why, on a 2-core
# machine shared with other work:
#   - /proc/stat counts the whole machine: two busy loops elsewhere make
#     it read 2 cores whatever the run does. It is kept for context only
#     (machine_cores);
#   - summing utime + stime from /proc/<pid>/stat of the run's processes
#     (they carry MPTH_RUN_ID) needs a poller, which costs CPU itself and
#     misses what lives between two polls: the harness forks ip, tc, awk
#     and jq by the hundred, and a child's time reaches its parent's
#     cutime only once reaped;
#   - rusage (/usr/bin/time, bash's times) counts waited-for descendants
#     only; the samples and samplers, started by subshells that exit, are
#     reparented to init and lost;
#   - a cgroup is inherited by every fork (ip netns exec changes the
#     namespace, not the cgroup), needs no poller, and counts a task
#     whether or not anyone reaps it; the count is exact (ns), and other
#     people's processes are not in it.
# cgroup v2 first (cpu.stat's usage_usec exists in every cgroup, no
# controller needed), else v1 cpuacct (cpuacct.usage); both were checked
# to agree on the same tasks. Neither counts kernel work done outside the
# run's tasks (softirq work in ksoftirqd or in someone else's context, such
# as a tbf timer firing while another process runs; netns teardown in a
# kworker), for both runs alike: the figures are floors. A cgroup is
# removed once measured, and on every exit of the bench (EXIT trap, after
# the run's processes in it are stopped by their pids).

BENCH_CGS=()

# Find where to make cgroups: BENCH_CG_KIND (v2|v1) and BENCH_CG_ROOT, or
# BENCH_CG_WHY when neither works. The probe makes a cgroup, moves a
# subshell into it and removes it.
__bench_cg_probe() {
	local dev mnt fs opts kind root probe
	BENCH_CG_KIND='' BENCH_CG_ROOT='' BENCH_CG_WHY=''
	for kind in v2 v1; do
		root=''
		while read -r dev mnt fs opts _; do
			if [[ $kind == v2 && $fs == cgroup2 ]] ||
				[[ $kind == v1 && $fs == cgroup && ,$opts, == *,cpuacct,* ]]; then
				root=$mnt
				break
			fi
		done </proc/mounts
		: "$dev"
		[[ -n $root ]] || continue
		probe=$root/mpth-$MPTH_RUN_ID-cpu-probe
		mkdir "$probe" 2>/dev/null || continue
		if [[ -e $probe/$(__bench_cg_file "$kind") ]] &&
			(echo "$BASHPID" >"$probe/cgroup.procs") 2>/dev/null; then
			BENCH_CG_KIND=$kind BENCH_CG_ROOT=$root
		fi
		rmdir "$probe" 2>/dev/null
		[[ -z $BENCH_CG_KIND ]] || return 0
	done
	BENCH_CG_WHY="no writable cgroup v2 hierarchy or v1 cpuacct controller (a cgroup could not be made, or a process moved into it)"
	return 1
}

# The file that holds a cgroup's CPU time. $1: v2|v1
__bench_cg_file() {
	[[ $1 == v2 ]] && echo cpu.stat || echo cpuacct.usage
}

# Make a cgroup for one measurement, removed at the bench's exit whatever
# happens (the first one installs the EXIT hook). Sets BENCH_CG. $1: name
__bench_cg_new() {
	BENCH_CG=$BENCH_CG_ROOT/mpth-$MPTH_RUN_ID-cpu-$1
	mkdir "$BENCH_CG" || return 1
	((${#BENCH_CGS[@]})) || __bench_trap_exit
	BENCH_CGS+=("$BENCH_CG")
}

# Chain our cleanup before the EXIT trap run.sh set (runner_cleanup).
__bench_trap_exit() {
	local w=()
	# trap -p prints "trap -- 'command' EXIT", quoted for the shell.
	eval "w=($(trap -p EXIT))"
	# shellcheck disable=SC2064 # the command run.sh set, expanded now on purpose
	trap "__bench_cg_remove_all; ${w[2]:-:}" EXIT
}

# In a child, before anything else: join a cgroup. $1: cgroup
__bench_cg_join() {
	echo "$BASHPID" >"$1/cgroup.procs"
}

# CPU time of a cgroup so far, in µs: "total user system".
# $1: cgroup
__bench_cg_usage() {
	local k v u='' us='' sy=''
	if [[ $BENCH_CG_KIND == v2 ]]; then
		while read -r k v; do
			case $k in
			usage_usec) u=$v ;;
			user_usec) us=$v ;;
			system_usec) sy=$v ;;
			esac
		done <"$1/cpu.stat"
	else
		read -r u <"$1/cpuacct.usage"
		read -r us <"$1/cpuacct.usage_user" 2>/dev/null
		read -r sy <"$1/cpuacct.usage_sys" 2>/dev/null
		u=$((u / 1000))
		[[ -z $us ]] || us=$((us / 1000))
		[[ -z $sy ]] || sy=$((sy / 1000))
	fi
	echo "${u:-null} ${us:-null} ${sy:-null}"
}

# Stop what is left in a cgroup (all of it started by this bench), by
# pid: TERM to the top process first, so that a run.sh can clean up its
# namespaces, KILL to the rest after 10 s; then remove the cgroup.
# $1: cgroup, $2: top pid (optional)
__bench_cg_remove() {
	local cg=$1 top=${2:-} pids=() i
	[[ -d $cg ]] || return 0
	for ((i = 0; i < 120; i++)); do
		mapfile -t pids <"$cg/cgroup.procs" 2>/dev/null
		((${#pids[@]})) || break
		if ((i == 0)); then
			if [[ -n $top ]]; then
				kill -TERM "$top" 2>/dev/null
			else
				kill -TERM "${pids[@]}" 2>/dev/null
			fi
		fi
		((i == 100)) && kill -KILL "${pids[@]}" 2>/dev/null
		wait_nap 0.1
	done
	rmdir "$cg" 2>/dev/null || log_warn "bench: could not remove cgroup $cg"
}

# Every cgroup the bench made (the EXIT hook; also safe to call twice).
__bench_cg_remove_all() {
	local cg
	for cg in "${BENCH_CGS[@]}"; do
		__bench_cg_remove "$cg" "${BENCH_CG_TOP:-}"
	done
	BENCH_CGS=()
}

# Busy CPU time of the whole machine so far, in clock ticks (/proc/stat:
# everything but idle and iowait).
__bench_machine_ticks() {
	local cpu u n s idle io irq sirq steal
	read -r cpu u n s idle io irq sirq steal _ </proc/stat
	: "$cpu" "$idle" "$io"
	echo $((u + n + s + irq + sirq + steal))
}

# Record one measured run. $1: what (failover|data_path), $2: cgroup,
# $3: wall ms, $4: machine ticks during it, then key=value pairs
__bench_cpu_rec() {
	local what=$1 cg=$2 wall=$3 ticks=$4 u us sy hz cores=null machine=null
	shift 4
	read -r u us sy < <(__bench_cg_usage "$cg")
	hz=$(getconf CLK_TCK)
	[[ $u == null ]] || cores=$(awk -v u="$u" -v w="$wall" 'BEGIN { printf "%.4f", u / 1000 / w }')
	((wall <= 0)) || machine=$(awk -v t="$ticks" -v hz="$hz" -v w="$wall" 'BEGIN { printf "%.4f", t / hz * 1000 / w }')
	__bench_rec cpu run@="$what" method="cgroup $BENCH_CG_KIND" wall_ms="$wall" \
		cpu_us="$u" user_us="$us" system_us="$sy" cores="$cores" machine_cores="$machine" "$@"
	__bench_say "harness CPU: $what: $(awk -v u="$u" 'BEGIN { printf "%.2f", u / 1e6 }') CPU-s in $(__bench_fmt_s "$wall") s = $cores cores (whole machine meanwhile: $machine)"
}

# A whole `run.sh failover`, as a user runs it, in its own cgroup.
# $1: bytes per upload, $2: faults
__bench_cpu_failover() {
	local bytes=$1 faults=$2 envw=() v t0 t1 k0 k1 rc=0 pid art=$MPTH_ARTIFACTS/cpu-failover
	mapfile -t envw < <(__bench_clean_env 1)
	# The scenario's own knobs come from here, not from the caller's env.
	for v in $(compgen -e); do
		[[ $v != FAILOVER_* ]] || envw+=(-u "$v")
	done
	__bench_cg_new failover || return 1
	k0=$(__bench_machine_ticks)
	t0=$(now_ms)
	(
		__bench_cg_join "$BENCH_CG" || exit 97
		# env first: timeout must not carry this run's MPTH_RUN_ID, or
		# run.sh's cleanup would KILL it on a signal, orphaning the child
		# run; our EXIT hook TERMs it instead, which timeout passes on.
		exec "${envw[@]}" FAILOVER_BYTES="$bytes" FAILOVER_FAULTS="$faults" \
			timeout -k 10 400 "$MPTH_ROOT/run.sh" --no-install --artifacts "$art" \
			--json "$art.json" failover
	) >"$MPTH_ARTIFACTS/cpu-failover.log" 2>&1 3>&- &
	pid=$!
	BENCH_CG_TOP=$pid
	# In the background and waited for, so that a signal to the bench
	# runs its traps now, not when the child is done.
	wait "$pid" || rc=$?
	t1=$(now_ms)
	k1=$(__bench_machine_ticks)
	BENCH_CG_TOP=''
	__bench_cpu_rec failover "$BENCH_CG" $((t1 - t0)) $((k1 - k0)) bytes="$(traffic_size_bytes "$bytes")" \
		uploads="$(wc -w <<<"$faults")" exit="$rc" \
		passed="$(__bench_num "$(jq -r '.passed' "$art.json" 2>/dev/null)")" \
		failed="$(__bench_num "$(jq -r '.failed' "$art.json" 2>/dev/null)")"
	__bench_cg_remove "$BENCH_CG"
	((rc != 97)) || { log_err "bench: could not move run.sh failover into its cgroup"; return 1; }
	((rc == 0)) || log_warn "bench: run.sh failover exited $rc (see $MPTH_ARTIFACTS/cpu-failover.log)"
}

# The data path alone: the failover scenario's topology, and the uploads
# by the samples, nothing else; the server ends after the last.
# $1: bytes per upload, $2: uploads
__bench_cpu_data_path() {
	local bytes=$1 n=$2 dir cns sns addr port t0 t1 k0 k1 spid cpid crc=0 src=0 i ok=true
	__bench_init cpu-data || return 1
	topo_paths 2 --rate 20mbit --delay 10ms || return 1
	pm_limits all subflows=2 add_addr_accepted=2 || return 1
	pm_endpoint client 1 subflow || return 1
	pm_endpoint client 2 subflow || return 1
	dir=$MPTH_RUN_DIR/cpu-data
	mkdir -p "$dir" || return 1
	cns=$(topo_ns client) sns=$(topo_ns server) addr=$(topo_addr 1 server)
	__bench_cg_new data-path || return 1
	k0=$(__bench_machine_ticks)
	t0=$(now_ms)
	(
		__bench_cg_join "$BENCH_CG" || exit 97
		exec ip netns exec "$sns" "$MPTH_SAMPLES/mptcp-server" -p 0 --ready "$dir/port" \
			-n "$n" --timeout 300000 -j "$dir/server.json"
	) >"$dir/server.log" 2>&1 3>&- &
	spid=$!
	BENCH_CG_TOP=$spid
	if wait_file 5000 "$dir/port"; then
		port=$(<"$dir/port")
		(
			__bench_cg_join "$BENCH_CG" || exit 97
			for ((i = 1; i <= n; i++)); do
				ip netns exec "$cns" "$MPTH_SAMPLES/mptcp-client" -b "$bytes" --timeout 120000 \
					-j "$dir/client-$i.json" "$addr" "$port" || exit
			done
		) >"$dir/client.log" 2>&1 3>&- &
		cpid=$!
		wait "$cpid" || crc=$?
	else
		log_warn "bench: the data path's server did not listen"
		crc=none
		kill "$spid" 2>/dev/null
	fi
	wait "$spid" || src=$?
	t1=$(now_ms)
	k1=$(__bench_machine_ticks)
	BENCH_CG_TOP=''
	[[ $crc == 0 && $src == 0 ]] || ok=false
	__bench_cpu_rec data_path "$BENCH_CG" $((t1 - t0)) $((k1 - k0)) bytes="$(traffic_size_bytes "$bytes")" \
		uploads="$n" ok="$ok" client_rc@="$crc" server_rc@="$src" \
		goodput_mbps="$(__bench_num "$(jq -r '.goodput_mbps' "$dir/client-1.json" 2>/dev/null)")"
	__bench_cg_remove "$BENCH_CG"
	cp -p "$dir"/*.json "$dir"/*.log "$MPTH_ART_DIR/" 2>/dev/null
	harness_teardown
	[[ $ok == true ]] || log_warn "bench: a data-path upload failed (client $crc, server $src; see $MPTH_ART_DIR)"
}

# Section: harness CPU per run, against the data path alone.
__bench_cpu() {
	local bytes=24M faults='link-down blackhole' n=2
	((BENCH_QUICK)) && bytes=8M faults=link-down n=1
	if ! __bench_cg_probe; then
		__bench_rec cpu_skip why="$BENCH_CG_WHY"
		__bench_say "harness CPU not measured: $BENCH_CG_WHY"
		return 0
	fi
	__bench_rec cpu_setup method="cgroup $BENCH_CG_KIND" cgroup_root="$BENCH_CG_ROOT" \
		bytes="$(traffic_size_bytes "$bytes")" uploads="$n" faults@="$faults"
	__bench_cpu_data_path "$bytes" "$n" || { harness_teardown; return 1; }
	__bench_cpu_failover "$bytes" "$faults"
}

# ------------------------------------------------------------ summary

# The bench's JSON: the raw lines and the summaries. Reads $BENCH_RAW.
__bench_json() {
	jq -s --argjson dss_default "$BENCH_DSS_DEFAULT" --argjson eth "$BENCH_ETH_HDR" \
		--argjson iph "$BENCH_IP_HDR" --argjson tcph "$BENCH_TCP_HDR" \
		--argjson ts "$BENCH_TS_BYTES" --argjson wall "$(__bench_elapsed)" \
		--arg aggbytes "$BENCH_AGG_BYTES" --arg fobytes "$BENCH_FO_BYTES" '
		def stats: map(select(type == "number")) | sort |
			{n: length,
			 median: (if length == 0 then null elif length % 2 == 1 then .[(length - 1) / 2]
				else (.[length / 2 - 1] + .[length / 2]) / 2 end),
			 min: (if length == 0 then null else .[0] end),
			 max: (if length == 0 then null else .[-1] end)};
		def r4: if type == "number" then . * 10000 | round / 10000 else . end;
		. as $raw
		| ($raw | map(select(.section == "machine")) | .[0]) as $m
		| ($raw | map(select(.section == "overhead")) | map({key: .proto, value: .}) | from_entries) as $ov
		# Bytes of TCP options beyond the timestamps on a full segment.
		| {mptcp: (if $ov.mptcp then $ov.mptcp.tcp_hdr - $tcph - $ts else $dss_default end),
		   tcp: (if $ov.tcp then $ov.tcp.tcp_hdr - $tcph - $ts else 0 end)} as $extra
		| {
			# What the sockets of the samples ran (they pin it, --cc), next to
			# the default of the namespaces.
			machine: ($m | del(.section) | . + {congestion_control_sockets:
				($raw | map(select(.section == "aggregation") | .cc | strings) | unique)}),
			wall_s: ($wall / 1000),
			shaping: {method: $m.shaping, why: $m.shaping_why,
				tbf: "rate per path and direction on the routers, burst 64k, latency 25ms",
				counted_bytes: "skb->len from the Ethernet header on, per segment (GSO packets count every segment'"'"'s headers); no preamble, FCS or gap on a veth"},
			overhead: {ethernet: $eth, ip: $iph, tcp: $tcph, timestamps: $ts,
				mptcp_option: $extra.mptcp, tcp_option: $extra.tcp,
				mptcp_option_source: (if $ov.mptcp then "capture" else "assumed" end),
				capture: $ov,
				ceiling: "(mss - options) / (mss + ethernet + ip + tcp + timestamps), mss from ss -ti"},
			aggregation: {
				bytes: ($raw | map(select(.section == "aggregation_case")) | .[0].bytes),
				cases: [$raw[] | select(.section == "aggregation_case") | . as $c
					| ($raw | map(select(.section == "aggregation" and .case == $c.case))) as $runs
					| {case: $c.case, rates_mbit: $c.rates_mbit, sum_bps: $c.sum_bps,
					   best_bps: $c.best_bps, runs_planned: $c.runs_planned}
					+ ([["mptcp", $c.sum_bps], ["tcp", $c.best_bps]] | map(.[0] as $p | .[1] as $rate
						| ($runs | map(select(.proto == $p))) as $pr
						| ($pr | map(select(.ok)) ) as $okr
						| ($okr | map(.mss) | stats.median) as $mss
						| {key: $p, value: {
							compared_with_bps: $rate,
							runs: ($pr | map(del(.section, .case))),
							ok: ($okr | length),
							efficiency: ($okr | map(.efficiency) | stats | map_values(r4)),
							goodput_mbps: ($okr | map(.goodput_mbps) | stats),
							resent_frac: ($okr | map(.resent_frac) | stats | map_values(r4)),
							mss: $mss,
							ceiling: (if $mss then (($mss - $extra[$p]) / ($mss + $eth + $iph + $tcph + $ts)) | r4 else null end),
							of_ceiling: (if $mss and ($okr | length) > 0 then
								(($okr | map(.efficiency) | stats.median) / (($mss - $extra[$p]) / ($mss + $eth + $iph + $tcph + $ts))) | r4
								else null end)}}) | from_entries)]},
			failover: (($raw | map(select(.section == "failover_setup")) | .[0]) as $s | {
				bytes: $s.bytes, rate_bps: $s.rate_bps, runs_planned: $s.runs_planned,
				skipped: ($raw | map(select(.section == "failover_skip")) | map(del(.section))),
				how: {
					outage_ms: "longest receive gap after the fault (server timeline, 10 ms bins)",
					recovery_ms: "time to recovery: from the fault to the first 200 ms window (sliding by 10 ms) after the first stall in which the server got at least half of the surviving path'"'"'s rate (traffic_recovery_ms); 0 when it never stalled, null when it never came back (counted in recovery_none)",
					recovery90_ms: "from the fault until the survivor'"'"'s router forwarded at least 90% of its rate (200 ms windows) after its first stall",
					placement_pm: "fault placement error on the stream, per mille of the transfer, as recipes.sh judges it: (mark crossed + paths'"'"' summed rate x lag from the mark to the fault in place - due) / bytes",
					placement_rx_pm: "the same from the receiver'"'"'s own count when the fault was in place (struck_rx), which jumps with bursts of reordered data",
					apply_ms: "from the fault'"'"'s command being fed (fault_ms) to its return (in place)",
					lag_ms: "from the receiver crossing the mark to the fault in place"},
				cases: ($raw | map(select(.section == "failover"))
					| group_by([.fault == "blackhole", .withdraw, .path])
					| map(. as $all | ($all | map(select(.valid))) as $g | ($g | map(select(.ok))) as $okr | {
						case: $all[0].case, fault: $all[0].fault, withdraw: ($all[0].withdraw == 1),
						path: $all[0].path, survivor: $all[0].survivor,
						runs: ($all | map(del(.section, .case, .fault, .withdraw, .path, .survivor))),
						valid: ($g | length), ok: ($okr | length),
						outage_ms: ($okr | map(.outage_ms) | stats),
						recovery_ms: ($okr | map(.recovery_ms) | stats),
						recovery_none: ($okr | map(select(.recovery_ms == null)) | length),
						recovery90_ms: ($okr | map(.recovery90_ms) | stats),
						never_recovered: ($okr | map(select(.recovery90_ms == null)) | length),
						stalls: ($okr | map(.stalls) | stats),
						placement_pm: ($g | map(.fault_late_pm) | stats),
						placement_rx_pm: ($g | map(.fault_late_rx_pm) | stats),
						apply_ms: ($g | map(.apply_ms) | stats),
						lag_ms: ($g | map(.lag_ms) | stats),
						rto_ms: ($g | map(.rto_ms) | stats),
						survivor_rto_ms: ($g | map(.survivor_rto_ms) | stats)}))}),
			harness: ({
				topology: ($raw | map(select(.section == "topology")) | group_by(.paths)
					| map({paths: .[0].paths,
						build_ms: (map(.build_ms) | stats), teardown_ms: (map(.teardown_ms) | stats),
						total_ms: (map(.build_ms + .teardown_ms) | stats),
						runs: map({run, build_ms, teardown_ms})})
					| map(. + {per_path_ms: ((.total_ms.median / .paths) | round)})
					# The goal (issue 11) is on the build: <= 50 ms per path.
					| map(. + {build_per_path_ms: ((.build_ms.median / .paths) | round), build_per_path_goal_ms: 50}
						| . + {build_per_path_within_goal: (.build_per_path_ms <= .build_per_path_goal_ms)})),
				cpu: (($raw | map(select(.section == "cpu_setup")) | .[0]) as $s
					| ($raw | map(select(.section == "cpu_skip")) | .[0].why) as $skip
					| ($raw | map(select(.section == "cpu")) | map({key: .run, value: (del(.section, .run) | . + {
						cpu_s: (if .cpu_us then .cpu_us / 1e6 | r4 else null end),
						user_s: (if .user_us then .user_us / 1e6 | r4 else null end),
						system_s: (if .system_us then .system_us / 1e6 | r4 else null end),
						wall_s: (.wall_ms / 1000)})}) | from_entries) as $r
					| {method: ($s.method // null), cgroup_root: ($s.cgroup_root // null),
					   bytes: ($s.bytes // null), uploads: ($s.uploads // null), faults: ($s.faults // null),
					   goal_cores: 0.15, goal_above_data_cores: 0.10,
					   run: ($r.failover // null), data_path: ($r.data_path // null),
					   above_data_cores: (if ($r.failover.cores | type) == "number" and ($r.data_path.cores | type) == "number"
						then ($r.failover.cores - $r.data_path.cores) | r4 else null end),
					   extra_cpu_s: (if ($r.failover.cpu_s | type) == "number" and ($r.data_path.cpu_s | type) == "number"
						then ($r.failover.cpu_s - $r.data_path.cpu_s) | r4 else null end),
					   cpu_ratio: (if ($r.failover.cpu_s | type) == "number" and ($r.data_path.cpu_s // 0) > 0
						then ($r.failover.cpu_s / $r.data_path.cpu_s) | r4 else null end),
					   why: (if $skip then $skip
						elif $s == null then "not run (MPTH_BENCH_SECTIONS)"
						elif ($r.failover.cores | type) != "number" then "the run.sh failover run was not measured"
						elif ($r.data_path.cores | type) != "number" then "the data path was not measured"
						else null end),
					   how: "CPU time of every task of the run, from a cgroup of its own (the scheduler'"'"'s runtime: cpu.stat usage_usec in v2, cpuacct.usage in v1), over the run'"'"'s wall time; machine_cores: /proc/stat over the same time, every process of the machine (context only)"}),
				scenario_fixed: ($raw | map(select(.section == "scenario_fixed")) as $f | {
					runs: ($f | map(del(.section))),
					fixed_ms: ($f | map(.fixed_ms) | stats),
					bats_start_ms: ($f | map(.bats_start_ms) | stats),
					setup_ms: ($f | map(.setup_ms) | stats),
					teardown_ms: ($f | map(.teardown_ms) | stats),
					traffic_ms: ($f | map(.traffic_ms) | stats)}),
				run_all: ($raw | map(select(.section == "run_all")) | .[0] | if . then del(.section) else null end)}
			| .growth = (.topology | map({key: (.paths | tostring), value: .total_ms.median}) | from_entries
				| if .["2"] and .["4"] and .["8"] then
					{per_added_path_2_to_4_ms: (((.["4"] - .["2"]) / 2) | round),
					 per_added_path_4_to_8_ms: (((.["8"] - .["4"]) / 4) | round),
					 per_added_path_2_to_8_ms: (((.["8"] - .["2"]) / 6) | round),
					 # Linear or better: a path costs no more at 8 than at 2.
					 linear_or_better: (.["8"] / 8 <= 1.1 * .["2"] / 2)}
				  else null end)),
			speed: (($raw | map(select(.section == "speed_setup")) | .[0]) as $s
				| ($raw | map(select(.section == "speed"))) as $r
				| ($r | map(select(.tool == "ours" and .ok)) | map(.goodput_mbps) | stats) as $o
				| ($r | map(select(.tool == "iperf3" and .ok)) | map(.goodput_mbps) | stats) as $i
				| {seconds: $s.seconds, runs_planned: $s.runs_planned,
				   skipped: ($raw | map(select(.section == "speed_skip")) | .[0].why),
				   runs: ($r | map(del(.section))), ours_mbps: $o, iperf3_mbps: $i,
				   iperf3_mptcp: ($r | map(select(.tool == "iperf3")) | length > 0 and all(.joins >= 1)),
				   ratio: (if $o.median and $i.median and $i.median > 0 then ($o.median / $i.median) | r4 else null end)}),
			raw: $raw
		}' "$BENCH_RAW"
}

# The table, from the bench's JSON. $1: JSON file
__bench_table() {
	jq -r '
		# A number with d decimals, zeros kept; "-" for anything else.
		def f(d): if type != "number" then "-" else
			(. * pow(10; d) | round) as $n | ($n | fabs | tostring) as $s
			| (if ($s | length) <= d then ("0" * (d + 1 - ($s | length))) + $s else $s end) as $p
			| (if $n < 0 then "-" else "" end) + $p[0:($p | length) - d]
			+ (if d > 0 then "." + $p[($p | length) - d:] else "" end) end;
		def pad(n): tostring | if length >= n then . else . + (" " * (n - length)) end;
		def lpad(n): tostring | if length >= n then . else (" " * (n - length)) + . end;
		def ms: if type == "number" then (. | round | tostring) else "-" end;
		def cpu: "\(.cpu_s | f(2)) CPU-s in \(.wall_s | f(1)) s = \(.cores | f(3)) cores";
		def fo_name: if .fault == "blackhole" then "silent blackhole" elif .withdraw then "interface down + endpoint withdrawn" else "interface down (pure)" end;
		def fo_path: if .path == 1 then "p1 initial" else "p\(.path) second" end;
		.machine as $m
		| "mptcp-harness bench (\(if $m.quick == 1 then "quick" else "full" end)), \(.wall_s | f(1)) s",
		  "machine: \($m.nproc) CPUs by nproc (\($m.cores // "?") cores), \($m.cpu), kernel \($m.kernel)",
		  "load average at start: \($m.loadavg_start | map(tostring) | join(" ")) (other runs share this machine; figures are from this one run)",
		  "shaping: \(.shaping.method)\(if .shaping.method == "tbf" then " (netem absent: \(.shaping.why))" else "" end); congestion control \($m.congestion_control_sockets | if length > 0 then "\(join(", ")) on the samples'"'"' sockets, " else "" end)\($m.congestion_control) by the namespaces'"'"' default",
		  "",
		  (if (.aggregation.cases | length) == 0 then "1. Aggregation efficiency: not run" else
		  "1. Aggregation efficiency: goodput / sum of path rates (TCP: / rate of the best path), \(.aggregation.bytes / 1048576) MiB upload, \(.aggregation.cases[0].runs_planned) run\(if .aggregation.cases[0].runs_planned == 1 then "" else "s" end) planned" end),
		  "   ceiling = payload / bytes tbf counts per full segment: Ethernet \(.overhead.ethernet) + IP \(.overhead.ip) + TCP \(.overhead.tcp) + timestamps \(.overhead.timestamps) + MPTCP DSS \(.overhead.mptcp_option) (\(if .overhead.mptcp_option_source == "capture" then "a \(.overhead.capture.mptcp.option_len)-byte option and padding, in a capture" else "assumed: a 22-byte option and 2 NOPs" end));",
		  (if (.aggregation.cases | length) == 0 then empty else
		  "   no FCS, preamble or gap on a veth; MPTCP: mss \(.aggregation.cases[0].mptcp.mss // "-") - \(.overhead.mptcp_option) = \((.aggregation.cases[0].mptcp.mss // 0) - .overhead.mptcp_option) payload bytes in \((.aggregation.cases[0].mptcp.mss // 0) + .overhead.ethernet + .overhead.ip + .overhead.tcp + .overhead.timestamps) counted" end),
		  ("   " + ("case" | pad(7)) + ("proto" | pad(6)) + ("Mbit/s" | lpad(7)) + ("n" | lpad(3)) + ("median" | lpad(8)) + ("min" | lpad(7)) + ("max" | lpad(7))
			+ ("ceiling" | lpad(8)) + ("of ceil" | lpad(8)) + ("mss" | lpad(6)) + ("goodput" | lpad(9)) + ("resent" | lpad(8))),
		  (.aggregation.cases[] | . as $c | ("mptcp", "tcp") | . as $p | $c[$p] |
			"   " + ($c.case | pad(7)) + ($p | pad(6)) + ((.compared_with_bps / 1e6) | f(0) | lpad(7))
			+ (.ok | tostring | lpad(3)) + (.efficiency.median | f(3) | lpad(8)) + (.efficiency.min | f(3) | lpad(7))
			+ (.efficiency.max | f(3) | lpad(7)) + (.ceiling | f(3) | lpad(8)) + (.of_ceiling | f(3) | lpad(8))
			+ ((.mss // "-") | tostring | lpad(6)) + (.goodput_mbps.median | f(1) | lpad(9))
			+ (.resent_frac.median | f(3) | lpad(8))),
		  "   (Mbit/s: the rate compared with; of ceil: median / ceiling; goodput: median Mbit/s; resent: bytes the subflows sent / payload - 1;",
		  "    goodput counts from the first byte received, after tbf has let its 64 KiB burst through, so a ratio may top the ceiling by",
		  "    about 64 KiB per path / bytes per path (+1.5% for 4 MiB at 20 Mbit/s); the kernel selftest simult_flows.sh bound implies about 0.85 of the sum)",
		  "",
		  (if .failover.bytes == null then "2. Failover outage: not run" else
		  "2. Failover outage: \(.failover.bytes / 1048576) MiB upload over 2 paths of \(.failover.rate_bps / 1e6) Mbit/s, fault once a quarter arrived, \(.failover.runs_planned) run\(if .failover.runs_planned == 1 then "" else "s" end) planned" end),
		  ("   " + ("fault" | pad(36)) + ("path" | pad(12)) + ("n" | lpad(6)) + ("outage med" | lpad(11)) + ("max" | lpad(6))
			+ ("recovery med" | lpad(13)) + ("min" | lpad(6)) + ("max" | lpad(6)) + ("not" | lpad(4))
			+ ("90% med" | lpad(8)) + ("max" | lpad(6)) + ("not" | lpad(4)) + ("stalls" | lpad(7))),
		  (.failover.cases[] |
			"   " + (fo_name | pad(36)) + (fo_path | pad(12))
			+ ("\(.ok)/\(.runs | length)" | lpad(6)) + (.outage_ms.median | ms | lpad(11)) + (.outage_ms.max | ms | lpad(6))
			+ (.recovery_ms.median | ms | lpad(13)) + (.recovery_ms.min | ms | lpad(6)) + (.recovery_ms.max | ms | lpad(6))
			+ (.recovery_none | tostring | lpad(4))
			+ (.recovery90_ms.median | ms | lpad(8)) + (.recovery90_ms.max | ms | lpad(6)) + (.never_recovered | tostring | lpad(4))
			+ ("\(.stalls.median | ms) (\(.stalls.max | ms))" | lpad(7))),
		  (.failover.skipped[]? | "   skipped: \(.case): \(.why)"),
		  (.failover.cases[] | . as $c | .runs[] | select(.why) | "   \($c.case) run \(.run) left out: \(.why)"),
		  "   (ms; n: runs with the fault mid-transfer and every byte intact / runs; outage: longest receive gap after the fault;",
		  "    recovery: time to recovery, from the fault to the first 200 ms window (sliding by 10 ms) at >= 50% of the survivor'"'"'s rate",
		  "    after the first stall, by the server'"'"'s 10 ms timeline, 0 if none; not: runs where it never came back;",
		  "    90%: until the survivor ran at >= 90% of its rate (200 ms windows) after its first stall (a window under 50%), 0 if none;",
		  "    its rate: the tbf rate, against the router'"'"'s tx bytes, which count one header per GSO packet, so a full path reads about 95%;",
		  "    not: runs where it had not got back by the transfer'"'"'s tail; stalls: separate stalls of the survivor, median (max))",
		  ("   " + ("fault placement, due at a quarter" | pad(36)) + ("path" | pad(12)) + ("n" | lpad(6))
			+ ("stream med" | lpad(11)) + ("min" | lpad(6)) + ("max" | lpad(6))
			+ ("receiver med" | lpad(13)) + ("min" | lpad(6)) + ("max" | lpad(6))
			+ ("lag med" | lpad(8)) + ("max" | lpad(6)) + ("apply med" | lpad(10)) + ("max" | lpad(6))
			+ ("rto med" | lpad(8)) + ("min-max" | lpad(10))),
		  (.failover.cases[] |
			"   " + (fo_name | pad(36)) + (fo_path | pad(12))
			+ ("\(.valid)/\(.runs | length)" | lpad(6))
			+ (.placement_pm.median | ms | lpad(11)) + (.placement_pm.min | ms | lpad(6)) + (.placement_pm.max | ms | lpad(6))
			+ (.placement_rx_pm.median | ms | lpad(13)) + (.placement_rx_pm.min | ms | lpad(6)) + (.placement_rx_pm.max | ms | lpad(6))
			+ (.lag_ms.median | ms | lpad(8)) + (.lag_ms.max | ms | lpad(6))
			+ (.apply_ms.median | ms | lpad(10)) + (.apply_ms.max | ms | lpad(6))
			+ (.rto_ms.median | ms | lpad(8)) + ("\(.rto_ms.min | ms)-\(.rto_ms.max | ms)" | lpad(10))),
		  "   (n: runs with the fault mid-transfer / runs; stream, receiver: placement error in per mille of the bytes, + late, - early;",
		  "    stream: as the failover scenario judges it (goal: within 10 quiet, 20 under load): the mark crossed, plus the paths'"'"' summed",
		  "    rate x lag; receiver: the server'"'"'s own count once the fault was in place, which jumps with bursts of reordered data;",
		  "    lag: ms from the receiver crossing the mark to the fault in place; apply: ms the fault'"'"'s command took (ip -batch or nft -f);",
		  "    rto: ss -ti of the failing subflow just before the fault, the floor of a silent blackhole)",
		  "",
		  "3. Harness cost (median ms)",
		  ("   " + ("paths" | pad(7)) + ("n" | lpad(3)) + ("build" | lpad(8)) + ("min" | lpad(7)) + ("max" | lpad(7)) + ("teardown" | lpad(10))
			+ ("total" | lpad(8)) + ("per path" | lpad(10)) + ("build/path" | lpad(12)) + "  goal"),
		  (.harness.topology[] | "   " + (.paths | tostring | pad(7)) + (.total_ms.n | tostring | lpad(3))
			+ (.build_ms.median | ms | lpad(8)) + (.build_ms.min | ms | lpad(7)) + (.build_ms.max | ms | lpad(7))
			+ (.teardown_ms.median | ms | lpad(10)) + (.total_ms.median | ms | lpad(8))
			+ (.per_path_ms | ms | lpad(10)) + (.build_per_path_ms | ms | lpad(12))
			+ "  <= \(.build_per_path_goal_ms)\(if .build_per_path_within_goal then "" else ", over" end)"),
		  "   (build: harness_init and topo_paths N --rate 20mbit: namespaces, veths, addresses, routes, tbf, reachability pings, samplers;",
		  "    teardown: harness_teardown; per path: total / N; build/path: build / N, against the goal of <= 50 ms per path to build)",
		  (.harness.cpu | . as $c |
			if .why and .method == null then "   harness CPU per run: not measured (\(.why))" else
			"   harness CPU per run, \(.method): CPU time of the run'"'"'s own tasks / its wall time, \(.uploads) upload\(if .uploads == 1 then "" else "s" end) of \(.bytes / 1048576) MiB (\(.faults))",
			"     run.sh failover, whole:   \(.run | if . then "\(cpu) (goal <= \($c.goal_cores | f(2))); tests \(.passed // "?") passed, \(.failed // "?") failed" else "not measured" end)",
			"     data path alone:          \(.data_path | if . then "\(cpu) (the samples only, same topology\(if .ok then "" else "; an upload FAILED" end))" else "not measured" end)",
			"     above the data path:      \(if .above_data_cores then "\(.above_data_cores | f(3)) cores (goal <= \(.goal_above_data_cores | f(2))); \(.extra_cpu_s | f(2)) CPU-s more, \(.cpu_ratio | f(0)) x the data path'"'"'s CPU" else "- (\(.why))" end)",
			"     (a cgroup per run counts every task in it, reaped or not, and nobody else'"'"'s; /proc/stat counts the whole shared machine",
			"      (it read \(.run.machine_cores | f(2)) cores busy during the run), rusage loses reparented children, /proc/<pid> sums need a poller;",
			"      kernel work outside the run'"'"'s tasks (ksoftirqd, timers in other contexts, netns teardown in kworkers) is not counted: a floor)" end),
		  (.harness.growth | if . then "   growth: \(.per_added_path_2_to_8_ms) ms per added path from 2 to 8 (\(.per_added_path_2_to_4_ms) from 2 to 4, \(.per_added_path_4_to_8_ms) from 4 to 8): \(if .linear_or_better then "linear or better (per path at 8 <= per path at 2)" else "worse than linear (per path at 8 > 1.1 x per path at 2)" end)" else "   growth: not measured" end),
		  (.harness.scenario_fixed | "   fixed cost of a scenario apart from its traffic: \(.fixed_ms.median | ms) ms (n=\(.fixed_ms.n); bats start \(.bats_start_ms.median | ms), setup \(.setup_ms.median | ms), teardown \(.teardown_ms.median | ms), the rest in bats around the @test and at exit)"),
		  (.harness.run_all | if . == null then "   run.sh all: not measured"
			elif .source == "none" then "   run.sh all: no measure (\(.not_run))"
			elif .source == "stopped" then "   run.sh all: more than \(.wall_s) s (\(.not_run)); last measured \(.last.wall_s // "-") s"
			else "   run.sh all: \(.wall_s) s, \(if .source == "measured" then "measured in this run" else "last measured (artifacts/\(.dir | split("/") | last)); not run now: \(.not_run)" end)",
				"   with \(.scenarios | length) scenarios (\(.passed // "?") passed, \(.failed // "?") failed, \(.skipped // "?") skipped): \(.scenarios | join(" "))" end),
		  "",
		  "4. Sample speed, unshaped 2 paths, MPTCP upload for \(.speed.seconds // "-") s",
		  (.speed | if .skipped then "   skipped: \(.skipped)" elif .seconds == null then "   not run" else
			"   ours \(.ours_mbps.median | f(0)) Mbit/s (n=\(.ours_mbps.n), \(.ours_mbps.min | f(0))-\(.ours_mbps.max | f(0))), mptcpize iperf3 \(.iperf3_mbps.median | f(0)) Mbit/s (n=\(.iperf3_mbps.n), \(.iperf3_mbps.min | f(0))-\(.iperf3_mbps.max | f(0))): ratio ours / iperf3 = \(.ratio | f(3))\(if .iperf3_mptcp then "" else " (iperf3 did not join a second subflow)" end)",
			"   (ours verifies every byte it receives; iperf3 does not)" end),
		  "",
		  "load average at end: \(.machine.loadavg_end // [] | map(tostring) | join(" "))"
	' "$1"
}

# ---------------------------------------------------------------- main

# Run the benchmark. Needs the run state of run.sh (MPTH_RUN_ID, MPTH_TMP,
# MPTH_ARTIFACTS). $1: JSON output file ("-" for stdout, "" for none)
bench_main() {
	local out=${1:-} rc=0 budget json load
	BENCH_T0=$(now_ms)
	BENCH_QUICK=0
	[[ ${MPTH_BENCH_QUICK:-0} == 1 ]] && BENCH_QUICK=1
	BENCH_RAW=$MPTH_ARTIFACTS/bench-raw.jsonl
	: >"$BENCH_RAW"
	declare -gA BENCH_HDR=()
	MPTH_FEATURE_CACHE=${MPTH_FEATURE_CACHE:-$MPTH_TMP/features}
	export MPTH_FEATURE_CACHE
	# The harness's notes (shaping, each fault) to the artifacts.
	exec 3>>"$MPTH_ARTIFACTS/notes.log"
	if ((BENCH_QUICK)); then
		# About 2 minutes on a loaded 2-core machine, half of it the
		# harness CPU section (a whole run.sh failover); budget 110 s,
		# less what that section took.
		BENCH_AGG_BYTES=4M BENCH_AGG_RUNS=2 BENCH_FO_BYTES=4M BENCH_FO_RUNS=1
		BENCH_TOPO_RUNS=1 BENCH_FIXED_RUNS=1 BENCH_SPEED_RUNS=3 BENCH_SPEED_SECS=1
		budget=110
	else
		# About 8 min; budget 9.5 min, so that the whole, with the one
		# run a section may start just before its share runs out, stays
		# under 10.
		BENCH_AGG_BYTES=16M BENCH_AGG_RUNS=5 BENCH_FO_BYTES=4M BENCH_FO_RUNS=10
		BENCH_TOPO_RUNS=5 BENCH_FIXED_RUNS=3 BENCH_SPEED_RUNS=3 BENCH_SPEED_SECS=2
		budget=570
	fi
	# The limit the whole must stay under: 2 minutes quick, 10 full.
	BENCH_LIMIT=$((BENCH_T0 + (BENCH_QUICK ? 120 : 600) * 1000))
	__bench_machine
	__bench_say "$( ((BENCH_QUICK)) && echo quick || echo full) run, shaping $BENCH_SHAPING, load $BENCH_LOAD_START, artifacts in $MPTH_ARTIFACTS"
	# Shares of the budget: what each section takes when the machine is
	# quiet, plus room; a section past its share stops adding runs.
	# The harness's CPU comes first: one run of each, whatever the budget;
	# the sections after it share what is left.
	if __bench_wanted cpu; then
		__bench_cpu || rc=1
		budget=$((budget - $(__bench_elapsed) / 1000))
		((budget >= 30)) || budget=30
	fi
	if __bench_wanted aggregation; then
		__bench_aggregation $((budget * 45 / 100)) || rc=1
	fi
	if __bench_wanted failover; then
		__bench_failover $((budget * 33 / 100)) || rc=1
	fi
	if __bench_wanted speed; then
		__bench_speed $((budget * 5 / 100)) || rc=1
	fi
	if __bench_wanted harness; then
		__bench_harness $((budget * 14 / 100)) || rc=1
	fi
	read -r -a load </proc/loadavg
	json=$MPTH_ARTIFACTS/bench.json
	if ! __bench_json >"$json.tmp"; then
		log_err "bench: could not summarise $BENCH_RAW"
		return 1
	fi
	jq --argjson l "[${load[0]},${load[1]},${load[2]}]" '.machine.loadavg_end = $l' "$json.tmp" >"$json"
	rm -f "$json.tmp"
	__bench_table "$json" || rc=1
	case $out in
	'') ;;
	-) cat "$json" ;;
	*) cp "$json" "$out" || rc=1 ;;
	esac
	__bench_say "done in $(__bench_fmt_s "$(__bench_elapsed)") s; JSON in $json${out:+ and $out}"
	return "$rc"
}
