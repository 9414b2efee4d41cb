#!/usr/bin/env bats
# DSS checksums, enabled on the client, on the server or on both, are
# negotiated and used on every subflow; SYN cookies on the server
# (tcp_syncookies=2) leave MP_CAPABLE and MP_JOIN working; in each case
# the join happens and every byte arrives intact.
#
# Each case is one upload with a join over path 2. Both routers capture
# the first packets of their path as text (tcpdump decodes the MPTCP
# options): an end that enables checksums sets the C flag in its
# MP_CAPABLE, and then every DSS mapping on every subflow carries a
# checksum (RFC 8684: either end can require them). The syncookies case,
# with checksums off, is also the control: its DSS mappings have none.
# SYN cookies are counted by the server's TcpExt counters (one for the
# MP_CAPABLE SYN, one for the MP_JOIN SYN).
#
#            +------+                 +------+
#   client --| r1   |-- path 1 -------|      |
#      p1    +------+  capture        |server|
#      p2    +------+                 |      |
#   client --| r2   |-- path 2 -------|      |
#            +------+  capture        +------+
#                      20 Mbit/s each
#
# requires: mptcp ip_mptcp tcpdump

load ../harness/harness

# Knobs, so tests/catalogue-a.bats can prove that each check can fail.
: "${CSUM_CASES:=csum-client csum-server csum-both syncookies}"
: "${CSUM_BYTES:=3M}"
# What "enabled" writes to net.mptcp.checksum_enabled.
: "${CSUM_VALUE:=1}"
# What the syncookies case writes to net.ipv4.tcp_syncookies on the server.
: "${CSUM_COOKIES:=2}"

# One case: sysctls, captures on both paths, one counted upload.
# $1: case, $2: client checksum_enabled, $3: server checksum_enabled,
# $4: server tcp_syncookies
run_case() {
	local tag=$1 i f
	topo_sysctl client net.mptcp.checksum_enabled="$2"
	topo_sysctl server net.mptcp.checksum_enabled="$3" net.ipv4.tcp_syncookies="$4"
	for i in 1 2; do
		obs_tcpdump_start "$i" "$MPTH_ART_DIR/capture-$tag-p$i.txt" 400
	done
	recipe_counted "$tag" 2 --bytes "$CSUM_BYTES"
	for i in 1 2; do
		f=$MPTH_ART_DIR/capture-$tag-p$i.txt
		obs_tcpdump_stop "$f"
		# Data-carrying DSS options (a mapping) and those with a checksum.
		fact_set "$tag.p$i.maps" "$(grep -c 'dss.* subseq [0-9]* len [0-9]*' "$f")"
		fact_set "$tag.p$i.csums" "$(grep -c 'dss.* subseq [0-9]* len [0-9]* csum 0x' "$f")"
		fact_set "$tag.p$i.capable_c" "$(grep -c 'capable v1 csum' "$f")"
	done
}

setup_file() {
	harness_init || return 0
	topo_paths 2 --rate 20mbit
	pm_limits all subflows=2 add_addr_accepted=0
	pm_endpoint client 2 subflow
	local c
	for c in $CSUM_CASES; do
		case $c in
		csum-client) run_case "$c" "$CSUM_VALUE" 0 1 ;;
		csum-server) run_case "$c" 0 "$CSUM_VALUE" 1 ;;
		csum-both) run_case "$c" "$CSUM_VALUE" "$CSUM_VALUE" 1 ;;
		syncookies) run_case "$c" 0 0 "$CSUM_COOKIES" ;;
		esac
	done
}

# Every DSS mapping captured on both paths carries a checksum (or, with
# $2 = none, none does), and no end saw a bad one. $1: case, $2: all|none
dss_checksums() {
	local tag=$1 want=$2 i maps csums
	for i in 1 2; do
		maps=$(fact_get "$tag.p$i.maps") csums=$(fact_get "$tag.p$i.csums")
		assert_num "path $i: DSS mappings captured" "$maps" -ge 1 || return
		if [[ $want == all ]]; then
			assert_num "path $i: DSS mappings with a checksum (of $maps)" "$csums" -eq "$maps" || return
		else
			assert_num "path $i: DSS mappings with a checksum (of $maps)" "$csums" -eq 0 || return
		fi
	done
	assert_mib "$tag" client MPTcpExtDataCsumErr -eq 0 &&
		assert_mib "$tag" server MPTcpExtDataCsumErr -eq 0
}

# $1: case
join_and_data() {
	assert_joins_exact "$1" 1 && assert_transfer_intact "$1"
}

@test "checksums on the client only: its MP_CAPABLE asks, every DSS on both paths has one" {
	harness_case csum-client CSUM_CASES
	assert_num "MP_CAPABLE options with the checksum flag on path 1" \
		"$(fact_get csum-client.p1.capable_c)" -ge 1 &&
		dss_checksums csum-client all
}

@test "checksums on the client only: the join happens and every byte arrives intact" {
	harness_case csum-client CSUM_CASES
	join_and_data csum-client
}

@test "checksums on the server only: every DSS on both paths has one" {
	harness_case csum-server CSUM_CASES
	assert_num "MP_CAPABLE options with the checksum flag on path 1" \
		"$(fact_get csum-server.p1.capable_c)" -ge 1 &&
		dss_checksums csum-server all
}

@test "checksums on the server only: the join happens and every byte arrives intact" {
	harness_case csum-server CSUM_CASES
	join_and_data csum-server
}

@test "checksums on both ends: every DSS on both paths has one" {
	harness_case csum-both CSUM_CASES
	dss_checksums csum-both all
}

@test "checksums on both ends: the join happens and every byte arrives intact" {
	harness_case csum-both CSUM_CASES
	join_and_data csum-both
}

@test "syncookies=2 on the server: both SYNs answered with cookies, and no DSS checksum" {
	harness_case syncookies CSUM_CASES
	assert_mib syncookies server TcpExtSyncookiesSent -eq 2 &&
		assert_mib syncookies server TcpExtSyncookiesRecv -eq 2 &&
		assert_mib syncookies server TcpExtSyncookiesFailed -eq 0 &&
		dss_checksums syncookies none
}

@test "syncookies=2 on the server: the join happens and every byte arrives intact" {
	harness_case syncookies CSUM_CASES
	join_and_data syncookies
}
