# shellcheck shell=bash
# Benchmarks, for `run.sh bench [--quick] [--json FILE]`: aggregation
# efficiency, failover outage, harness cost and the samples' speed against
# iperf3, all measured in this one run on this one machine and quoted as
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
# some sections only ("aggregation failover speed harness"), for debugging.

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
	[[ " ${MPTH_BENCH_SECTIONS:-aggregation failover speed harness} " == *" $1 "* ]]
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
	tag=agg-$proto-$run
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
	[[ $proto == tcp ]] || traffic_wait_subflows "$n" 3000 "$tag" ||
		log_warn "bench: $cname: only $(traffic_client_subflows "$tag") of $n subflows"
	traffic_wait_received $((256 * 1024)) 20000 "$tag"
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
	resent=$(grep '"conn":0' "$dir/client.info" 2>/dev/null | tail -n1 |
		jq -r 'if (.bytes_sent // 0) > 0 and ([.subflow_list[]?.bytes_sent | numbers] | length) > 0
			then (([.subflow_list[].bytes_sent | numbers] | add) / .bytes_sent - 1) * 10000 | round / 10000
			else null end' 2>/dev/null)
	__bench_rec aggregation case@="$cname" proto="$proto" run="$run" ok="$ok" \
		rate_bps="$rate" goodput_mbps="$good" efficiency="$eff" \
		mss="$(__bench_num "${mss:-x}")" rto_ms="$(__bench_num "${rto:-x}")" \
		subflows="$subf" resent_frac="$(__bench_num "${resent:-x}")" \
		client_rc@="${crc:-none}" server_rc@="${src:-none}"
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

# One failover run. $1: case name, $2: link-down|blackhole, $3: withdraw
# the endpoint (0|1), $4: path, $5: run
__bench_failover_run() {
	local name=$1 kind=$2 react=$3 path=$4 run=$5 tag dir survivor q port
	local fault_ms fault_recv valid=true stalls ip rto rto_f=null rto_s=null subf outage rec last ok=false crc src mism
	tag=fo-${name//\//-}-$run
	dir=$MPTH_RUN_DIR/traffic-$tag
	survivor=1
	((path == 1)) && survivor=2
	q=$(($(traffic_size_bytes "$BENCH_FO_BYTES") / 4))
	traffic_start --tag "$tag" --bytes "$BENCH_FO_BYTES" || return 1
	port=$(fact_get "$tag.port")
	traffic_wait_subflows 2 5000 "$tag" ||
		log_warn "bench: $name: $(traffic_client_subflows "$tag") subflow(s) before the fault"
	# As recipe_failover: the fault comes once a quarter has arrived.
	traffic_wait_received "$q" 20000 "$tag" ||
		log_warn "bench: $name: only $(traffic_received "$tag") of $q bytes before the fault"
	subf=$(__bench_ss_client "$port")
	while read -r ip rto _; do
		[[ $ip == "$(topo_addr "$path" client)" ]] && rto_f=$(__bench_num "$rto")
		[[ $ip == "$(topo_addr "$survivor" client)" ]] && rto_s=$(__bench_num "$rto")
	done <<<"$subf"
	subf=$(grep -c . <<<"$subf")
	fault_apply "$kind" "$path" || return 1
	fault_ms=$(fact_get "fault.$path.${kind}_ms")
	fault_recv=$(traffic_received "$tag")
	# What a connection manager does on link down (scenarios/failover.bats).
	((react)) && pm_endpoint_del client "$path"
	traffic_wait 60000 "$tag"
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
		fault_recv="$fault_recv" last_byte_ms="$(__bench_num "$last")" outage_ms="$(__bench_num "$outage")" \
		recovery90_ms="$(__bench_num "$rec")" stalls="$(__bench_num "$stalls")" rto_ms="$rto_f" survivor_rto_ms="$rto_s" \
		subflows_before="$(__bench_num "$subf")" client_rc@="${crc:-none}" server_rc@="${src:-none}"
	__bench_say "failover $name run $run: outage $outage ms, 90% again after $rec ms ($stalls stalls), rto ${rto_f} ms$([[ $ok == true ]] || echo ', FAILED')"
	__bench_keep_run "$tag" failover
}

# Section 2: interface down (pure and with the endpoint withdrawn) and a
# silent blackhole, of the initial path (1) and of the secondary (2), on
# the failover scenario's topology. Runs go round-robin over the cases, so
# every case sees the same machine. $1: seconds of budget
__bench_failover() {
	local cases=() c r name kind react path
	# The fault must strike when asked, not after a state dump.
	local MPTH_FAULT_SNAPSHOT=0
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
		# Written by harness/bench.sh: the smallest whole scenario.
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
			machine: ($m | del(.section)),
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
				cases: ($raw | map(select(.section == "failover"))
					| group_by([.fault == "blackhole", .withdraw, .path])
					| map(. as $all | ($all | map(select(.valid))) as $g | ($g | map(select(.ok))) as $okr | {
						case: $all[0].case, fault: $all[0].fault, withdraw: ($all[0].withdraw == 1),
						path: $all[0].path, survivor: $all[0].survivor,
						runs: ($all | map(del(.section, .case, .fault, .withdraw, .path, .survivor))),
						valid: ($g | length), ok: ($okr | length),
						outage_ms: ($okr | map(.outage_ms) | stats),
						recovery90_ms: ($okr | map(.recovery90_ms) | stats),
						never_recovered: ($okr | map(select(.recovery90_ms == null)) | length),
						stalls: ($okr | map(.stalls) | stats),
						rto_ms: ($g | map(.rto_ms) | stats),
						survivor_rto_ms: ($g | map(.survivor_rto_ms) | stats)}))}),
			harness: ({
				topology: ($raw | map(select(.section == "topology")) | group_by(.paths)
					| map({paths: .[0].paths,
						build_ms: (map(.build_ms) | stats), teardown_ms: (map(.teardown_ms) | stats),
						total_ms: (map(.build_ms + .teardown_ms) | stats),
						runs: map({run, build_ms, teardown_ms})})
					| map(. + {per_path_ms: ((.total_ms.median / .paths) | round)})),
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
		.machine as $m
		| "mptcp-harness bench (\(if $m.quick == 1 then "quick" else "full" end)), \(.wall_s | f(1)) s",
		  "machine: \($m.nproc) CPUs by nproc (\($m.cores // "?") cores), \($m.cpu), kernel \($m.kernel)",
		  "load average at start: \($m.loadavg_start | map(tostring) | join(" ")) (other runs share this machine; figures are from this one run)",
		  "shaping: \(.shaping.method)\(if .shaping.method == "tbf" then " (netem absent: \(.shaping.why))" else "" end); congestion control \($m.congestion_control)",
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
		  ("   " + ("fault" | pad(36)) + ("path" | pad(12)) + ("n" | lpad(6)) + ("outage med" | lpad(11)) + ("max" | lpad(7))
			+ ("90% again med" | lpad(14)) + ("max" | lpad(7)) + ("not" | lpad(5)) + ("stalls" | lpad(7)) + ("rto med" | lpad(8)) + ("min-max" | lpad(10))),
		  (.failover.cases[] |
			"   " + ((if .fault == "blackhole" then "silent blackhole" elif .withdraw then "interface down + endpoint withdrawn" else "interface down (pure)" end) | pad(36))
			+ ((if .path == 1 then "p1 initial" else "p\(.path) second" end) | pad(12))
			+ ("\(.ok)/\(.runs | length)" | lpad(6)) + (.outage_ms.median | ms | lpad(11)) + (.outage_ms.max | ms | lpad(7))
			+ (.recovery90_ms.median | ms | lpad(14)) + (.recovery90_ms.max | ms | lpad(7)) + (.never_recovered | tostring | lpad(5))
			+ ("\(.stalls.median | ms) (\(.stalls.max | ms))" | lpad(7))
			+ (.rto_ms.median | ms | lpad(8)) + ("\(.rto_ms.min | ms)-\(.rto_ms.max | ms)" | lpad(10))),
		  (.failover.skipped[]? | "   skipped: \(.case): \(.why)"),
		  "   (ms; n: runs with the fault mid-transfer and every byte intact / runs; outage: longest receive gap after the fault;",
		  "    90% again: until the survivor ran at >= 90% of its rate (200 ms windows) after its first stall (a window under 50%), 0 if none;",
		  "    its rate: the tbf rate, against the router'"'"'s tx bytes, which count one header per GSO packet, so a full path reads about 95%;",
		  "    not: runs where it had not got back by the transfer'"'"'s tail; stalls: separate stalls of the survivor, median (max);",
		  "    rto: ss -ti of the failing subflow just before the fault, the floor of a silent blackhole)",
		  "",
		  "3. Harness cost (median ms)",
		  ("   " + ("paths" | pad(7)) + ("n" | lpad(3)) + ("build" | lpad(8)) + ("min" | lpad(7)) + ("max" | lpad(7)) + ("teardown" | lpad(10))
			+ ("total" | lpad(8)) + ("per path" | lpad(10))),
		  (.harness.topology[] | "   " + (.paths | tostring | pad(7)) + (.total_ms.n | tostring | lpad(3))
			+ (.build_ms.median | ms | lpad(8)) + (.build_ms.min | ms | lpad(7)) + (.build_ms.max | ms | lpad(7))
			+ (.teardown_ms.median | ms | lpad(10)) + (.total_ms.median | ms | lpad(8))
			+ (.per_path_ms | ms | lpad(10))),
		  "   (build: harness_init and topo_paths N --rate 20mbit: namespaces, veths, addresses, routes, tbf, reachability pings, samplers;",
		  "    teardown: harness_teardown; per path: total / N)",
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
		# About 90 s on a loaded 2-core machine; budget 110 s.
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
