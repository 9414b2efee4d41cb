#!/usr/bin/env bats
# mptcp_join.sh's backup table, the cases backup.bats does not have: a
# server's announced address as backup and back (with and without a
# port), an announced address switched to backup, and the initial
# subflow as backup, from the connection's start or switched on both
# ends; each gives exactly the MP_PRIO and backup-bit counts the kernel's
# selftest wants (chk_prio_nr), with the joins and ADD_ADDRs of the case,
# and every byte arrives intact.
#
# The cases come from the case table joins.bats uses (joins-table.bash):
# one upload each, with the path manager set up anew. Once the joins are
# up, a case that changes flags changes every endpoint of both ends, as
# mptcp_join.sh's sflags does (`ip mptcp endpoint change id N backup`).
# MP_PRIO goes once, in the upload's direction when the client sends it,
# so the client is paced below the paths' rate (the selftest's slow
# sender), and each case checks that the shapers dropped nothing.
# chk_prio_nr reads MPPrioTx and MPPrioRx on the server, MPJoinSynBackupRx
# on the server and MPJoinSynAckBackupRx on the client; so do these.
#
#            +------+
#   client --| r1   |-- path 1 --+ 198.19.1.1
#      p1    +------+            +-- server
#      p2 ---| r2   |-- path 2 --+ .2.1 (announced)
#            +------+   20 Mbit/s each
#
# requires: mptcp ip_mptcp

load ../harness/harness
load joins-table

# Knobs, so tests/catalogue-c.bats can prove that each check can fail.
: "${JOINS_CASES:=sigbk sigtobk sigportbk mpcbk mpctobk2}"

setup_file() {
	harness_init || return 0
	topo_paths 2 --rate 20mbit
	joins_run
}

@test "single address, backup: the server's address announced as backup, then nobackup: the server sends MP_PRIO, the SYN/ACK carried the backup bit" {
	harness_case sigbk JOINS_CASES
	joins_as_mptcp_join sigbk
}

@test "single address, switch to backup: the server's announced address and the client's implicit endpoint turned backup: MP_PRIO sent and received on the server" {
	harness_case sigtobk JOINS_CASES
	joins_as_mptcp_join sigtobk
}

@test "single address with port, backup: the same with the address announced with a port" {
	harness_case sigportbk JOINS_CASES
	joins_as_mptcp_join sigportbk
}

@test "mpc backup: an endpoint subflow,backup on the client's initial address: the server receives MP_PRIO, no join" {
	harness_case mpcbk JOINS_CASES
	joins_as_mptcp_join mpcbk
}

@test "mpc switch to backup both sides: endpoints on both initial addresses turned backup: the server sends MP_PRIO and receives the client's" {
	harness_case mpctobk2 JOINS_CASES
	joins_as_mptcp_join mpctobk2
}
