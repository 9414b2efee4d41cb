#!/usr/bin/env bats
# Each key check of the limits, fastclose, joinerr, bind, readd, joins,
# removes, laminar and mpfail scenarios, and of the port, nobackup, prio-initial,
# signal-backup and userspace-PM contract cases, can fail: break one thing
# on purpose through the scenario's knobs and watch the matching test
# report "not ok" with the reason.

load helpers

@test "limits: a server limit that takes both joins fails the one-refused checks" {
	sabotage limits LIMITS_CASES=server-limit LIMITS_SERVER_SUBFLOWS=2
	assert_failure 1
	assert_output --regexp 'not ok [0-9]+ server subflow limit 1, two joins asked'
	assert_output --partial "most live subflows at once (client MPTCP_INFO): expected exactly 2, got 3"
	# The transfer itself is still fine.
	assert_output --regexp '(^|# )ok [0-9]+ server subflow limit 1: the data arrives intact'
}

@test "limits: a server that allows joins to its initial address fails the deny-id0 check" {
	sabotage limits LIMITS_CASES=deny-id0 LIMITS_ALLOW_ID0=1
	assert_failure 1
	assert_output --regexp 'not ok [0-9]+ allow_join_initial_addr_port=0: no join to the server'
	assert_output --partial "most subflows at once (client MPTCP_INFO): expected exactly 2, got 3"
}

@test "fastclose: transfers that finish instead of aborting fail the MP_FASTCLOSE and reset checks, from either end" {
	sabotage fastclose FASTCLOSE_HOW=finish
	assert_failure 1
	assert_output --partial "client MPTcpExtMPFastcloseTx: expected exactly 2, got 0"
	assert_output --partial "the server's verdict on the connection: expected 'error', got 'ok'"
	assert_output --partial "server MPTcpExtMPFastcloseTx: expected exactly 2, got 0"
	assert_output --partial "the client's verdict on the connection: expected 'error', got 'ok'"
	assert_output --regexp 'not ok [0-9]+ fastclose server test: the server.s SO_LINGER 0 close'
	assert_output --regexp 'not ok [0-9]+ close with unread data: the server closes'
	# The abort-independent check still passes.
	assert_output --regexp '(^|# )ok [0-9]+ both subflows are up when the client aborts'
}

@test "joinerr: a refusal on a path without an endpoint refuses nothing, and the refused-join checks fail" {
	sabotage joinerr JOINERR_CASES=reset JOINERR_PATH=1
	assert_failure 1
	assert_output --partial "MP_JOIN SYNs router 1 refused (reset): expected at least 1, got 0"
}

@test "joinerr: an endpoint address the client has binds fine, and the bind-error check fails" {
	sabotage joinerr JOINERR_CASES=bind-err JOINERR_FOREIGN=198.18.2.1
	assert_failure 1
	assert_output --partial "client MPTcpExtMPJoinSynTxBindErr: expected exactly 1, got 0"
}

@test "bind: a server listening on every address takes the join to the announced one, and the no-listener check fails" {
	sabotage bind BIND_CASES=announced BIND_LISTEN=none
	assert_failure 1
	assert_output --partial "most subflows at once (client MPTCP_INFO): expected exactly 1, got 2"
}

@test "backup: a nobackup change that sets backup again, a signal endpoint without backup, and an initial subflow never turned backup, fail their checks" {
	sabotage backup "BACKUP_CASES=nobackup signal-backup prio-initial" BACKUP_NOBACKUP_CHANGE=backup \
		BACKUP_SIGNAL_FLAG= BACKUP_PRIO_CHANGE=nobackup
	assert_failure 1
	assert_output --regexp 'not ok [0-9]+ nobackup: path 2 then carries its share'
	assert_output --partial "path 2 bytes after the change, % of the payload: expected at least 20, got 0"
	assert_output --partial "client MPTcpExtMPJoinSynAckBackupRx: expected exactly 1, got 0"
	assert_output --regexp "to the server's backup address, % of the payload received meanwhile \([0-9]+ of [0-9]+ bytes\): expected at most 5"
	assert_output --regexp 'not ok [0-9]+ signal,backup: the client keeps its data off'
	assert_output --regexp 'path 1 bytes after the change, % of the payload received meanwhile \([0-9]+ of [0-9]+ bytes\): expected at most 5, got [1-9][0-9]'
	assert_output --regexp 'not ok [0-9]+ prio-initial: path 1 carries data until then'
}

@test "readd: an endpoint never added back fails the re-announce and re-join checks" {
	sabotage readd READD_HOW=none
	assert_failure 1
	assert_output --partial "the client joined the re-added address after (ms): expected a number -le 5000, got 'none'"
	assert_output --partial "server MPTcpExtAddAddrTx: expected exactly 3, got 1"
	assert_output --regexp '(^|# )ok [0-9]+ the join to the announced address is made'
}

@test "signal: an address announced without its port fails the port-join checks" {
	sabotage signal SIGNAL_CASES=port SIGNAL_PORT=none
	assert_failure 1
	assert_output --partial "client MPTcpExtPortAdd: expected exactly 1, got 0"
	assert_output --partial "the remote address:port of the join: expected '198.19.2.1:none', got ''"
}

@test "uspm: the kernel's PM on the client makes the subflow itself, and a real token is not refused: both contract checks fail" {
	sabotage uspm USPM_CLIENT_PM=kernel USPM_BAD_TOKEN=real
	assert_failure 1
	assert_output --partial "subflows the client listed after 1 MB, before any command: expected exactly 1, got 2"
	assert_output --partial "mptcp-pm-ctl announce with token real: exit code: expected more than 0, got 0"
}

@test "ipv6: a plain IPv4 socket where the v4mapped case wants an IPv6 one fails its family check" {
	sabotage ipv6 IPV6_CASES=v4mapped IPV6_MAPPED_FAMILY=4
	assert_failure 1
	assert_output --partial "the client's socket family: expected 'ipv6', got 'ipv4'"
}

@test "joins: a client limit one above the case's makes the joins the case forbids, and its counts fail" {
	sabotage joins JOINS_CASES='climit0 unused single' JOINS_SLACK=1
	assert_failure 1
	assert_output --regexp 'not ok [0-9]+ single subflow, limited by client'
	assert_output --regexp 'not ok [0-9]+ unused signal address'
	assert_output --partial "server MPTcpExtMPJoinSynRx: expected exactly 0, got 1"
	# A case its limits do not bind still passes: the slack changes
	# nothing there.
	assert_output --regexp '(^|# )ok [0-9]+ single subflow: one subflow endpoint'
}

@test "removes: endpoints left in place fail the RM_ADDR and subflow-removal counts" {
	sabotage removes REMOVES_CASES='rmsf rmaddr' REMOVES_DO=0
	assert_failure 1
	assert_output --regexp 'not ok [0-9]+ remove single subflow'
	assert_output --regexp 'not ok [0-9]+ remove single address'
	assert_output --partial "server MPTcpExtRmAddr: expected exactly 1, got 0"
	assert_output --partial "client MPTcpExtRmAddr: expected exactly 1, got 0"
}

@test "removes: an unpaced client fills the routers' queues: the shapers drop, which the case reports before it counts signals" {
	sabotage removes REMOVES_CASES='rmsfs' REMOVES_RATE=''
	assert_failure 1
	assert_output --regexp 'not ok [0-9]+ remove multiple subflows'
	assert_output --regexp "packets the paths' shapers dropped during the case: expected exactly 0, got [1-9]"
}

@test "ports: with no port endpoint, the MP_CAPABLE connect to that port is refused by plain TCP, and nothing counts it" {
	sabotage ports JOINS_CASES=mpc PORTS_MPC_ENDPOINT=0
	assert_failure 1
	assert_output --regexp 'not ok [0-9]+ port-based signal endpoint must not accept mpc'
	assert_output --partial "server MPTcpExtMPCapableEndpAttempt: expected exactly 1, got 0"
}

@test "ports: the addresses announced without their port: the port counts fail, the other counts hold" {
	sabotage ports JOINS_CASES=portsame JOINS_WITH_PORT=0
	assert_failure 1
	assert_output --regexp 'not ok [0-9]+ multiple addresses with port'
	assert_output --partial "server MPTcpExtMPJoinSynRx: 2 (want -eq 2)"
	assert_output --partial "client MPTcpExtPortAdd: expected exactly 2, got 0"
}

@test "prio: without the direct route the client's join leaves from its initial address, which no endpoint change reaches: no MP_PRIO received" {
	sabotage prio JOINS_CASES=sigtobk JOINS_DIRECT=0
	assert_failure 1
	assert_output --regexp 'not ok [0-9]+ single address, switch to backup'
	assert_output --partial "server MPTcpExtMPPrioRx: expected exactly 1, got 0"
}

@test "prio: an unpaced client fills the routers' queues: the shapers drop, which the case reports before it counts MP_PRIO" {
	sabotage prio JOINS_CASES=mpcbk JOINS_RATE=''
	assert_failure 1
	assert_output --regexp "packets the paths' shapers dropped during the case: expected exactly 0, got [1-9]"
}

@test "mpfail: with DSS checksums off the corruption goes unseen: no MP_FAIL, and the flipped byte reaches the server" {
	sabotage mpfail MPFAIL_CASES=two MPFAIL_CSUM=0
	assert_failure 1
	assert_output --partial "server MPTcpExtDataCsumErr: expected at least 1, got 0"
	assert_output --regexp 'data corrupted: first mismatch at byte offset [0-9]+, seen by the server'
	# The fault itself still struck once.
	assert_output --regexp '(^|# )ok [0-9]+ two subflows: exactly one segment was corrupted'
}

@test "joins: ADD_ADDR echoes that are not lost fail the timeout case's retransmission counts" {
	sabotage joins-options JOINS_CASES=tosig JOINS_ECHO_LOSS=0
	assert_failure 1
	assert_output --regexp 'not ok [0-9]+ signal address, ADD_ADDR timeout:'
	assert_output --partial "client MPTcpExtAddAddr: expected exactly 4, got 1"
}

@test "laminar: endpoints without the laminar flag make no join, and the laminar join checks fail" {
	grep -q " mptcp_pm_get_endp_laminar_max$" /proc/kallsyms || skip "kernel has no laminar endpoints"
	sabotage laminar JOINS_CASES="lamone lammulti" JOINS_LAMINAR=0
	assert_failure 1
	assert_output --regexp 'not ok [0-9]+ with a laminar endpoint'
	assert_output --regexp 'not ok [0-9]+ with multiple laminar endpoints'
	assert_output --partial "server MPTcpExtMPJoinSynRx: expected exactly 1, got 0"
}

@test "laminar: with routing's source not refused, the no-laminar case joins, and its no-join check fails" {
	grep -q " mptcp_pm_get_endp_laminar_max$" /proc/kallsyms || skip "kernel has no laminar endpoints"
	sabotage laminar JOINS_CASES=lamnone JOINS_REFUSE=0
	assert_failure 1
	assert_output --regexp 'not ok [0-9]+ without a laminar endpoint'
	assert_output --partial "server MPTcpExtMPJoinSynRx: expected exactly 0, got 1"
}

@test "removes: announced addresses that all work make every join, and the invalid-address checks fail" {
	sabotage removes REMOVES_CASES="rmbad flushbad" REMOVES_BAD="198.19.2.1 198.19.4.1 198.19.4.1"
	assert_failure 1
	assert_output --regexp 'not ok [0-9]+ remove invalid addresses'
	assert_output --regexp 'not ok [0-9]+ flush invalid addresses'
	assert_output --partial "server MPTcpExtMPJoinSynRx: expected exactly 1, got 2"
	assert_output --partial "server MPTcpExtMPJoinSynRx: expected exactly 1, got 3"
}

@test "joins: fullmesh flags left unchanged make no second join, and the set-flag checks fail" {
	sabotage joins JOINS_CASES="fmset fmunsetbk" JOINS_CHANGE=0
	assert_failure 1
	assert_output --regexp 'not ok [0-9]+ set fullmesh flag'
	assert_output --regexp 'not ok [0-9]+ set nobackup,nofullmesh flags'
	assert_output --partial "client MPTcpExtRmSubflow: expected exactly 1, got 0"
}
