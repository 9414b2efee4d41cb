#!/usr/bin/env bats
# mptcp_join.sh's subflow, signal, add and fullmesh tables: for each case,
# the same limits and endpoints give exactly the MP_JOIN and ADD_ADDR
# counts the kernel's selftest wants, at both ends, and every byte arrives
# intact.
#
# Each case is one upload over the same four paths, with the path manager
# flushed and set up anew: the limits of both ends, the client's subflow
# endpoints and the server's signal endpoints, as in mptcp_join.sh. Its
# test checks what chk_join_nr and chk_add_nr check there: MP_JOIN SYNs
# the server got, SYN/ACKs the client got, third ACKs the server got
# (MPJoinSynRx, MPJoinSynAckRx, MPJoinAckRx), the joins it refused, no
# HMAC failure and no fallback; ADD_ADDRs the client got and echoes the
# server got (AddAddr, EchoAdd); the most subflows at once; and every
# byte intact. A case that wants no join waits for the event that would
# have made one (the connection, or the echo of the ADD_ADDR), then
# streams on for the rest of the transfer.
#
#            +------+
#   client --| r1   |-- path 1 --+ 198.19.1.1
#      p1    +------+            |
#      p2 ---| r2   |-- path 2 --+ .2.1
#      p3 ---| r3   |-- path 3 --+ .3.1   server
#      p4 ---| r4   |-- path 4 --+ .4.1
#            +------+   20 Mbit/s each
#
# requires: mptcp ip_mptcp

load ../harness/harness
load joins-table

# Knobs, so tests/catalogue-c.bats can prove that each check can fail.
: "${JOINS_CASES:=nojoin climit0 slimit0 single dev unused subsig multisig sigaddrs siginvalid unused6 addsf addsig addsfs addsfs6 addaddrs6 single6 mpcreuse fm2x1 fm1x1 fm1x2 fm1x2lim fmset fmunset fmsetbk fmunsetbk}"

setup_file() {
	harness_init || return 0
	topo_paths 4 --rate 20mbit
	joins_run
}

@test "no JOIN: no endpoint, no limit: no join at all" {
	harness_case nojoin JOINS_CASES
	joins_as_mptcp_join nojoin
}

@test "single subflow, limited by client: a subflow endpoint, client limit 0: no join" {
	harness_case climit0 JOINS_CASES
	joins_as_mptcp_join climit0
}

@test "single subflow, limited by server: server limit 0: the join's SYN answered, its ACK refused (1 1 0, 1 rejected)" {
	harness_case slimit0 JOINS_CASES
	joins_as_mptcp_join slimit0
}

@test "single subflow: one subflow endpoint, limits 1: 1 1 1" {
	harness_case single JOINS_CASES
	joins_as_mptcp_join single
}

@test "single subflow, dev: the endpoint bound to its device: 1 1 1" {
	harness_case dev JOINS_CASES
	joins_as_mptcp_join dev
}

@test "unused signal address: announced and echoed (1 1), but add_addr_accepted 0: no join" {
	harness_case unused JOINS_CASES
	joins_as_mptcp_join unused
}

@test "subflow and signal: one subflow endpoint and one announced address: 2 2 2, ADD_ADDR 1 1" {
	harness_case subsig JOINS_CASES
	joins_as_mptcp_join subsig
}

@test "multiple subflows and signal: two subflow endpoints and one announced address: 3 3 3, ADD_ADDR 1 1" {
	harness_case multisig JOINS_CASES
	joins_as_mptcp_join multisig
}

@test "signal addresses: three announced, three accepted: 3 3 3, ADD_ADDR 3 3" {
	harness_case sigaddrs JOINS_CASES
	joins_as_mptcp_join sigaddrs
}

@test "signal invalid addresses: three announced, two of them nowhere: all echoed (3 3), one join (1 1 1)" {
	harness_case siginvalid JOINS_CASES
	joins_as_mptcp_join siginvalid
}

@test "unused signal address IPv6: an IPv6 address announced and echoed (1 1), but add_addr_accepted 0: no join" {
	harness_case unused6 JOINS_CASES
	joins_as_mptcp_join unused6
}

@test "add single subflow: a subflow endpoint added once connected: 1 1 1, nothing left established" {
	harness_case addsf JOINS_CASES
	joins_as_mptcp_join addsf
}

@test "add signal address: a signal endpoint added once connected: announced (1 1) and joined (1 1 1)" {
	harness_case addsig JOINS_CASES
	joins_as_mptcp_join addsig
}

@test "add multiple subflows: two subflow endpoints added once connected: 2 2 2" {
	harness_case addsfs JOINS_CASES
	joins_as_mptcp_join addsfs
}

@test "add multiple subflows IPv6: two IPv6 subflow endpoints added once connected: 2 2 2" {
	harness_case addsfs6 JOINS_CASES
	joins_as_mptcp_join addsfs6
}

@test "add multiple addresses IPv6: two IPv6 signal endpoints added once connected: announced (2 2) and joined (2 2 2)" {
	harness_case addaddrs6 JOINS_CASES
	joins_as_mptcp_join addaddrs6
}

@test "single subflow IPv6: one IPv6 subflow endpoint, limits 1: 1 1 1" {
	harness_case single6 JOINS_CASES
	joins_as_mptcp_join single6
}

@test "no MPC reuse with single endpoint: an endpoint on the initial address makes no subflow, one on an address the client lacks fails to bind (MPJoinSynTxBindErr 1): 0 0 0" {
	harness_case mpcreuse JOINS_CASES
	joins_as_mptcp_join mpcreuse
}

@test "fullmesh test 2x1: two fullmesh endpoints, an address announced during the connection: 4 4 4, ADD_ADDR 1 1" {
	harness_case fm2x1 JOINS_CASES
	joins_as_mptcp_join fm2x1
}

@test "fullmesh test 1x1: a fullmesh endpoint on the initial address, one added during the connection: 3 3 3, ADD_ADDR 1 1" {
	harness_case fm1x1 JOINS_CASES
	joins_as_mptcp_join fm1x1
}

@test "fullmesh test 1x2: one announced address, two fullmesh endpoints added during the connection: 5 5 5, ADD_ADDR 1 1" {
	harness_case fm1x2 JOINS_CASES
	joins_as_mptcp_join fm1x2
}

@test "fullmesh test 1x2, limited: the same with a subflow limit of 4: 4 4 4, ADD_ADDR 1 1" {
	harness_case fm1x2lim JOINS_CASES
	joins_as_mptcp_join fm1x2lim
}

@test "set fullmesh flag: an endpoint added during the connection turned fullmesh: its subflow closed and made again: 2 2 2, 1 subflow removed, no RM_ADDR" {
	harness_case fmset JOINS_CASES
	joins_as_mptcp_join fmset
}

@test "set nofullmesh flag: a fullmesh endpoint added during the connection turned nofullmesh: 2 2 2, 1 subflow removed, no RM_ADDR" {
	harness_case fmunset JOINS_CASES
	joins_as_mptcp_join fmunset
}

@test "set backup,fullmesh flags: both flags set on a live endpoint: 2 2 2, 1 subflow removed, MP_PRIO received and the new join a backup one" {
	harness_case fmsetbk JOINS_CASES
	joins_as_mptcp_join fmsetbk
}

@test "set nobackup,nofullmesh flags: a backup fullmesh endpoint loses both flags: 2 2 2, 1 subflow removed, MP_PRIO received, the first join a backup one" {
	harness_case fmunsetbk JOINS_CASES
	joins_as_mptcp_join fmunsetbk
}
