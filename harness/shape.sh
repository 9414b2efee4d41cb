# shellcheck shell=bash
# Shaping, on the routers' interfaces (in the network, not on the hosts):
# router i's "s" interface shapes the upload direction of path i, its "c"
# interface the download direction. netem where the kernel has it; without
# it, tbf gives the rate and nftables numgen (or iptables statistic) the
# loss, and delay is reported as not emulated.

SHAPE_METHOD=''
SHAPE_TC=()
SHAPE_FW_LOSS=''

# The tc lines that shape one device, appended to __SHAPE_TC (one
# `tc -batch` per router runs them). $1: dev, $2: rate, $3: delay,
# $4: loss percent, $5: jitter, $6: netem limit
__shape_dev() {
	local dev=$1 rate=$2 delay=$3 loss=$4 jitter=${5:-} limit=$6 args=()
	if [[ $SHAPE_METHOD == netem ]]; then
		[[ -n $delay ]] && args+=(delay "$delay" ${jitter:+"$jitter"})
		[[ -n $loss ]] && args+=(loss "$loss%")
		[[ -n $rate ]] && args+=(rate "$rate")
		((${#args[@]})) || return 0
		__SHAPE_TC+="qdisc replace dev $dev root netem ${args[*]} limit $limit"$'\n'
		return
	fi
	# 64 KiB of burst keeps tbf accurate at tens of Mbit/s with
	# TSO-sized packets. 25 ms of queue: a deep one would inflate the
	# RTT, hence the RTO, hence every failover time measured.
	[[ -z $rate ]] ||
		__SHAPE_TC+="qdisc replace dev $dev root tbf rate $rate burst 64k latency 25ms"$'\n'
}

# netem's limit counts the packets on the delay line too: room for the
# path's bandwidth-delay product plus 50 ms of queue, like the tbf queue,
# so that a slow path does not grow seconds of bufferbloat.
# $1: rate (empty: unshaped), $2: one-way delay like 10ms
__shape_netem_limit() {
	[[ -n $1 ]] || { echo 1000; return; }
	awk -v bps="$(__shape_bps "$1")" -v d="${2:-0ms}" 'BEGIN {
		ms = d + 0; if (d ~ /us$/) ms /= 1000; else if (d ~ /[0-9]s$/ && d !~ /ms$/) ms *= 1000
		p = int(bps * (ms + 50) / 1000 / 8 / 1500) + 1
		print (p < 20 ? 20 : p)
	}'
}

# A tc rate (20mbit, 1.5mbit, 500kbit, 1gbit, or bit/s) in bit/s.
# $1: rate
__shape_bps() {
	local v
	__shape_bps_to v "$1"
	printf '%s\n' "$v"
}

# Like __shape_bps, into a variable, in bash arithmetic (no fork). Its
# locals carry a prefix: printf -v would set a local of the caller's
# variable's name instead of the caller's. $1: variable, $2: rate
__shape_bps_to() {
	local __n __u __w __f __m=1
	__n=${2%%[!0-9.]*}
	__u=${2:${#__n}}
	case ${__u,,} in
	kbit) __m=1000 ;; mbit) __m=1000000 ;; gbit) __m=1000000000 ;;
	esac
	__w=${__n%%.*} __f=''
	[[ $__n != *.* ]] || __f=${__n#*.}
	__f=${__f:0:9}
	if [[ -n $__f ]]; then
		printf -v "$1" '%d' $((10#${__w:-0} * __m + 10#$__f * __m / 10 ** ${#__f}))
	else
		printf -v "$1" '%d' $((10#${__w:-0} * __m))
	fi
}

# Random loss without netem. $1: ns, $2: dev (egress), $3: percent
__shape_loss() {
	local ns=$1 dev=$2 pct=$3 permille
	permille=$(awk -v p="$pct" 'BEGIN { printf "%d", p * 10 + 0.5 }')
	if feat_have nft_numgen; then
		ip netns exec "$ns" nft -f - <<-NFT
			table inet mpth_shape {
				chain loss {
					type filter hook forward priority 0; policy accept;
					oifname "$dev" numgen random mod 1000 < $permille counter drop
				}
			}
		NFT
	elif feat_have iptables_statistic; then
		ip netns exec "$ns" iptables -A FORWARD -o "$dev" -m statistic \
			--mode random --probability "$(awk -v p="$pct" 'BEGIN { print p / 100 }')" -j DROP
	else
		log_err "no way to emulate loss: no netem, nftables numgen or iptables statistic"
		return 1
	fi
}

# Shape every path the same way, or one path.
#   --rate RATE  --delay D  --jitter J  --loss PCT  --path I
shape_paths() {
	shape_plan "$@" || return
	shape_apply all
}

# What shape_paths does, decided but not done: SHAPE_TC[i] gets router
# i's tc lines (for `tc -batch`; empty: nothing to change), SHAPE_FW_LOSS
# the loss percent a firewall must drop where netem is missing, and the
# shaping is noted. topo_paths runs SHAPE_TC in its own build, with the
# routers' other settings. Options as shape_paths.
shape_plan() {
	local rate='' delay='' loss='' only='' i jitter='' limit=''
	while (($#)); do
		case $1 in
		--rate) rate=$2 ;;
		--delay) delay=$2 ;;
		--jitter) jitter=$2 ;;
		--loss) loss=$2 ;;
		--path) only=$2 ;;
		*)
			log_err "shape_paths: unknown option '$1'"
			return 2
			;;
		esac
		shift 2 || { log_err "shape_paths: $1 needs a value"; return 2; }
	done
	if [[ -z $SHAPE_METHOD ]]; then
		if feat_have netem; then
			SHAPE_METHOD=netem
		else
			SHAPE_METHOD=tbf
			SHAPE_NO_NETEM_REASON=$FEAT_REASON
		fi
	fi
	if [[ -n $delay && $SHAPE_METHOD != netem ]]; then
		SHAPE_DELAY_SKIPPED="delay $delay not emulated: $SHAPE_NO_NETEM_REASON"
		harness_note "$SHAPE_DELAY_SKIPPED"
		delay='' jitter=''
	fi
	# The same limit for every device: computed once (awk is a fork).
	[[ $SHAPE_METHOD != netem ]] || limit=$(__shape_netem_limit "$rate" "$delay")
	SHAPE_TC=() SHAPE_FW_LOSS=''
	# netem drops by itself; tbf needs a firewall rule per device.
	[[ $SHAPE_METHOD == netem ]] || SHAPE_FW_LOSS=$loss
	for ((i = 1; i <= TOPO_PATHS; i++)); do
		[[ -z $only || $only == "$i" ]] || continue
		__SHAPE_TC=''
		__shape_dev s "$rate" "$delay" "$loss" "$jitter" "$limit"
		__shape_dev c "$rate" "$delay" "$loss" "$jitter" "$limit"
		SHAPE_TC[i]=$__SHAPE_TC
		[[ -z $rate ]] || SHAPE_RATE[i]=$rate
	done
	harness_note "shaping: $SHAPE_METHOD${only:+ on path $only}${rate:+, rate $rate}${delay:+, delay $delay}${jitter:+ +/- $jitter}${loss:+, loss $loss%} per path and direction"
	export SHAPE_METHOD SHAPE_DELAY_SKIPPED
}

# Do what shape_plan decided: all, or only the firewall loss (fw), when
# the tc lines already ran. One tc process per router, all side by side.
# $1: all | fw
shape_apply() {
	local i rns pid rc=0
	local -A job=()
	if [[ $1 == all ]]; then
		for i in "${!SHAPE_TC[@]}"; do
			[[ -n ${SHAPE_TC[i]} ]] || continue
			topo_ns_to rns "r$i"
			tc -n "$rns" -batch - <<<"${SHAPE_TC[i]}" 3>&- &
			job[$!]=$i
		done
		for pid in "${!job[@]}"; do
			wait "$pid" || { log_err "shape_paths: tc failed on path ${job[$pid]}"; rc=1; }
		done
		((rc == 0)) || return 1
	fi
	[[ -n $SHAPE_FW_LOSS ]] || return 0
	for i in "${!SHAPE_TC[@]}"; do
		topo_ns_to rns "r$i"
		__shape_loss "$rns" s "$SHAPE_FW_LOSS" || return 1
		__shape_loss "$rns" c "$SHAPE_FW_LOSS" || return 1
	done
}

# Rate of a path in bit/s, from what was asked. $1: path index
shape_rate_bps() {
	local v
	shape_rate_to v "$1"
	printf '%s\n' "$v"
}

# Like shape_rate_bps, into a variable (no fork). $1: variable, $2: path
shape_rate_to() {
	if [[ -n ${SHAPE_RATE[$2]:-} ]]; then
		__shape_bps_to "$1" "${SHAPE_RATE[$2]}"
	else
		printf -v "$1" 0
	fi
}

# The shaped rates of every path, summed, in bit/s, into a variable.
# $1: variable
shape_rates_total_to() {
	local __i __r __sum=0
	for ((__i = 1; __i <= ${TOPO_PATHS:-0}; __i++)); do
		shape_rate_to __r "$__i"
		__sum=$((__sum + __r))
	done
	printf -v "$1" '%d' "$__sum"
}
