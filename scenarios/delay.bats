#!/usr/bin/env bats
# Paths with different delays, jitter and random loss, emulated by netem:
# each subflow's RTT follows its path's delay, and every byte still arrives
# in order through reordering and loss.
#
#            +------+  5 Mbit/s, 10 ms each way
#   client --| r1   |--------------------------+
#      p1    +------+                          |server
#      p2    +------+  5 Mbit/s, 40 ms +/- 5 ms, 1% loss
#   client --| r2   |--------------------------+
#            +------+
#
# Rates are low and the transfer small so that it runs under TCG in a VM:
# `run.sh test` runs it in a Debian kernel where the host has no netem.
# requires: mptcp ip_mptcp netem

load ../harness/harness

: "${DELAY_P1:=10ms}"
: "${DELAY_P2:=40ms}"
: "${DELAY_P2_MIN_BYTES:=100000}"

setup_file() {
	harness_init || return 0
	topo_paths 2
	shape_paths --path 1 --rate 5mbit --delay "$DELAY_P1"
	shape_paths --path 2 --rate 5mbit --delay "$DELAY_P2" --jitter 5ms --loss 1
	fact_set qdisc_r1 "$(tc -n "$(topo_ns r1)" qdisc show dev s)"
	fact_set qdisc_r2 "$(tc -n "$(topo_ns r2)" qdisc show dev s)"
	pm_limits all subflows=2 add_addr_accepted=2
	pm_endpoint client 2 subflow
	traffic_start --tag bulk --bytes 2M --timeout 60000
	# The client streams until told to finish: it goes on until path 2,
	# whose RTT makes the scheduler use it late (seconds under TCG), has
	# carried its share too, so that the check below judges the paths,
	# not the machine's speed.
	busywait 30000 obs_path_forwarded_at_least 2 up $((DELAY_P2_MIN_BYTES + 1)) ||
		log_warn "path 2 forwarded less than $DELAY_P2_MIN_BYTES bytes in 30 s"
	traffic_wait 90000 bulk
	fact_set p1_bytes "$(obs_path_bytes 1 up)"
	fact_set p2_bytes "$(obs_path_bytes 2 up)"
	# The median RTT each subflow reported, by its local address.
	fact_set rtt_p1 "$(delay_rtt bulk "$(topo_addr 1 client)")"
	fact_set rtt_p2 "$(delay_rtt bulk "$(topo_addr 2 client)")"
	# The lowest: the path's own delay, without the queue that the
	# scheduler builds on the faster path (its median can then pass the
	# slower one's).
	fact_set rtt_min_p1 "$(delay_rtt bulk "$(topo_addr 1 client)" min)"
	fact_set rtt_min_p2 "$(delay_rtt bulk "$(topo_addr 2 client)" min)"
}

# $1: tag, $2: local address, $3: min (default: the median).
# Prints the rtt_us.
delay_rtt() {
	# shellcheck disable=SC2016 # a jq filter: $a is its variable
	traffic_client_info "$1" -r --arg a "$2:" \
		'.subflow_list[]? | select(.local | startswith($a)) | .rtt_us // empty | select(. > 0)' |
		sort -n | awk -v m="${3:-median}" '{ v[NR] = $1 }
			END { if (!NR) print "none"; else print (m == "min" ? v[1] : v[int((NR + 1) / 2)]) }'
}

# $1: delay like 10ms. Prints the round trip it makes, in microseconds.
rtt_floor_us() {
	echo $((2 * ${1%ms} * 1000))
}

@test "netem shapes the paths with the asked delay, jitter and loss" {
	run fact_get qdisc_r1
	assert_output --regexp "netem .*delay $DELAY_P1"
	run fact_get qdisc_r2
	assert_output --regexp "netem .*delay $DELAY_P2 +5ms.*loss 1%"
}

@test "each subflow's RTT follows its path's delay" {
	assert_num "median RTT of the path 1 subflow (us)" "$(fact_get rtt_p1)" -ge "$(rtt_floor_us "$DELAY_P1")"
	assert_num "median RTT of the path 2 subflow (us)" "$(fact_get rtt_p2)" -ge "$(rtt_floor_us "$DELAY_P2")"
	assert_num "path 2's lowest RTT above path 1's (us)" "$(fact_get rtt_min_p2)" -gt "$(fact_get rtt_min_p1)"
}

@test "every byte arrives intact through jitter, reordering and loss" {
	assert_transfer_intact bulk
}

@test "both subflows carried data" {
	assert_num "subflows the client saw" "$(traffic_json client '.max_subflows' bulk)" -eq 2
	assert_num "bytes path 1 forwarded" "$(fact_get p1_bytes)" -gt 100000
	assert_num "bytes path 2 forwarded" "$(fact_get p2_bytes)" -gt "$DELAY_P2_MIN_BYTES"
}
