#!/usr/bin/env bats
# Each key check of the subflows, signal, backup, fullmesh, aggregation,
# failover-more, makebreak, flapping, lifecycle, ipv6, addaddr-loss and
# checksums scenarios can fail: break one thing on purpose through the
# scenario's knobs and watch the matching test report "not ok" with the
# reason, while the rest of the run still holds.

load helpers

@test "subflows: a subflow limit of 2 gives 2 joins where the limit case wants exactly 1" {
	sabotage subflows SUBFLOWS_CASES=limit SUBFLOWS_LIMIT=2
	assert_failure 1
	assert_output --regexp 'not ok [0-9]+ subflow limit 1 with 3 paths: exactly 1 join'
	assert_output --partial "most subflows at once (client MPTCP_INFO): expected exactly 2, got 3"
	assert_output --regexp 'ok [0-9]+ 2 paths: .*# SKIP case paths2 not selected'
}

@test "signal: accepting 2 announced addresses fails the add_addr_accepted 1 check" {
	sabotage signal SIGNAL_CASES=two-accept-1 SIGNAL_LIMITED_ACCEPT=2
	assert_failure 1
	assert_output --regexp 'not ok [0-9]+ two announced, add_addr_accepted 1: the client accepts 1'
	assert_output --partial "add_addr_accepted by the client's ss -M: expected exactly 1, got 2"
	# Both ADD_ADDRs are still received and echoed.
	assert_output --regexp 'ok [0-9]+ two announced, add_addr_accepted 1: both ADD_ADDRs received and echoed'
}

@test "backup: a plain path 2 carries data while path 1 works and joins without the backup bit" {
	sabotage backup BACKUP_CASES=backup BACKUP_FLAG=
	assert_failure 1
	assert_output --regexp 'not ok [0-9]+ backup: path 2 joins as a backup subflow'
	assert_output --partial "server MPTcpExtMPJoinSynBackupRx: expected exactly 1, got 0"
	assert_output --regexp 'not ok [0-9]+ backup: while path 1 works, path 2 carries at most 5% of the bytes'
	assert_output --regexp 'path 2 bytes between the joins and the failure, % of the payload received meanwhile \([0-9]+ of [0-9]+ bytes\): expected at most 5, got [1-9][0-9]'
	assert_output --regexp 'ok [0-9]+ backup: once path 1 is blackholed it is marked stale, and every byte arrives intact'
}

@test "fullmesh: plain subflow endpoints give 3 subflows, not the full mesh of 4" {
	sabotage fullmesh FULLMESH_FLAG=
	assert_failure 1
	assert_output --regexp 'not ok [0-9]+ exactly 4 subflows \(3 joins\)'
	assert_output --partial "most subflows at once (client MPTCP_INFO): expected exactly 4, got 3"
	assert_output --regexp 'not ok [0-9]+ one subflow for each of the 4 address pairs'
	assert_output --partial "subflow address pairs (local>remote): expected {"
}

@test "aggregation: one path only does not beat the best single path" {
	sabotage aggregation AGG_CASES=equal AGG_JOIN=0 AGG_BYTES=6M
	assert_failure 1
	assert_output --regexp 'not ok [0-9]+ 20 \+ 20 Mbit/s: both paths used'
	assert_output --partial "most subflows at once (client MPTCP_INFO): expected exactly 2, got 1"
	assert_output --regexp 'not ok [0-9]+ 20 \+ 20 Mbit/s: goodput above 1.25x the best single path'
	assert_output --regexp 'equal goodput \(kbit/s\), best path 20000 \+ 25% of the other 20000: expected more than 25000, got 1[0-9]{4}'
	assert_output --regexp '# equal: goodput [0-9]+ kbit/s = [0-9.]+% of the sum of the path rates'
}

@test "failover-more: a corrupted byte in bidir and an impossible outage bound fail their checks" {
	# The byte after the fault (due once each direction carried 6 MiB).
	sabotage failover-more FAILVAR_CASES=bidir FAILVAR_CORRUPT_AT=9000000 FAILVAR_LINKDOWN_MAX_MS=0
	assert_failure 1
	assert_output --regexp 'not ok [0-9]+ bidir: path 1 goes down while both ends send, and every byte arrives intact'
	assert_output --partial "first mismatch at byte offset 9000000"
	assert_output --regexp 'not ok [0-9]+ bidir: path 2 carries at least 90% of both directions'
	assert_output --regexp 'ok [0-9]+ secondary: .*# SKIP case secondary not selected'
}

@test "makebreak: a close_timeout shorter than the outage ends the connection" {
	sabotage makebreak MAB_CLOSE_TIMEOUT=1 MAB_GAP_MS=2500
	assert_failure 1
	assert_output --regexp 'ok [0-9]+ every subflow times out, and the connection stays established without any'
	assert_output --regexp 'not ok [0-9]+ path 2 returns within close_timeout and a new subflow joins'
	assert_output --partial "no new subflow from path 2 within 5000 ms of its return"
	assert_output --regexp 'not ok [0-9]+ every byte arrives intact'
	assert_output --regexp 'transfer failed: client exit [0-9]+'
}

@test "flapping: a path whose endpoint is not added back never rejoins; an impossible outage bound fails" {
	sabotage flapping FLAP_TIMES=1 FLAP_READD=0 FLAP_MAX_OUTAGE_MS=0
	assert_failure 1
	assert_output --regexp 'not ok [0-9]+ each time path 1 returns a new subflow joins within 5 s'
	assert_output --partial "flap 1: no new subflow from path 1 within 5000 ms of its return"
	assert_output --regexp 'not ok [0-9]+ each outage .* is at most 2 s'
	assert_output --regexp 'flap 1: outage \(ms\): expected at most 0, got [0-9]+'
	assert_output --regexp 'ok [0-9]+ every byte arrives intact'
}

@test "lifecycle: an endpoint not added back fails the re-creation check" {
	sabotage lifecycle LIFECYCLE_READD=0
	assert_failure 1
	assert_output --regexp 'ok [0-9]+ removing the client.s path 2 endpoint closes its subflow and sends RM_ADDR'
	assert_output --regexp 'not ok [0-9]+ adding it back re-creates the subflow'
	assert_output --partial "no new subflow from 198.18.2.1 within 5000 ms of adding its endpoint back"
}

@test "lifecycle: an unpaced client fills the routers' queues: the shapers drop before the RM_ADDR is counted" {
	sabotage lifecycle LIFECYCLE_RATE=''
	assert_failure 1
	assert_output --regexp 'not ok [0-9]+ removing the client.s path 2 endpoint'
	assert_output --regexp "packets the paths' shapers dropped until then: expected exactly 0, got [1-9]"
}

@test "ipv6: IPv6 endpoints make no subflow for an IPv4 connection" {
	sabotage ipv6 IPV6_CASES=subflow IPV6_FAMILY=4
	assert_failure 1
	assert_output --regexp 'not ok [0-9]+ subflow: exactly 3 IPv6 subflows'
	assert_output --partial "most subflows at once (client MPTCP_INFO): expected exactly 3, got 1"
	assert_output --regexp 'ok [0-9]+ mixed over IPv4: .*# SKIP case mixed not selected'
}

@test "addaddr-loss: with add_addr_timeout 0 the lost ADD_ADDR is never resent and no join happens" {
	sabotage addaddr-loss ADDLOSS_TIMEOUT=0 ADDLOSS_BYTES=3M
	assert_failure 1
	assert_output --regexp 'not ok [0-9]+ the server sends the ADD_ADDR again'
	assert_output --partial "server MPTcpExtAddAddrTx: expected exactly 2, got 1"
	assert_output --regexp 'not ok [0-9]+ the join to the announced address still happens'
	assert_output --partial "the client never got a second subflow"
	assert_output --regexp 'ok [0-9]+ every byte arrives intact'
	# The capped case too: one ADD_ADDR, never resent.
	assert_output --regexp 'not ok [0-9]+ every ADD_ADDR lost: the server sends it 4 times'
	assert_output --partial "ADD_ADDR packets router 1 dropped: expected exactly 4, got 1"
}

@test "checksums: checksums left off and syncookies at 1 fail their checks" {
	sabotage checksums CSUM_CASES="csum-client syncookies" CSUM_VALUE=0 CSUM_COOKIES=1
	assert_failure 1
	assert_output --regexp 'not ok [0-9]+ checksums on the client only: its MP_CAPABLE asks'
	assert_output --regexp 'MP_CAPABLE options with the checksum flag on path 1: expected at least 1, got 0'
	assert_output --regexp 'not ok [0-9]+ syncookies=2 on the server: both SYNs answered with cookies'
	assert_output --partial "server TcpExtSyncookiesSent: expected exactly 2, got 0"
	assert_output --regexp 'ok [0-9]+ checksums on the client only: the join happens and every byte arrives intact'
}
