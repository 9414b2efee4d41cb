#!/usr/bin/env bats
# Each key check of the fallback, mptcpd, uspm, lang and unmodified
# scenarios can fail: break one thing on purpose through the scenario's
# knobs and watch the matching test report "not ok" with the reason.

load helpers

# Run a scenario with knobs. $1: scenario, $2...: VAR=value knobs
sabotage() {
	local scn=$1
	shift
	run env "$@" "$RUN" --no-install --artifacts "$BATS_TEST_TMPDIR/art" "$scn"
}

@test "fallback: no stripping, MPTCP left enabled and a corrupted byte each fail their check, with the reason" {
	sabotage fallback FALLBACK_CASES="tcp-server sysctl-client strip-syn" \
		FALLBACK_STRIP=0 FALLBACK_SYSCTL=0 FALLBACK_CORRUPT_AT=1000
	assert_failure 1
	assert_output --regexp 'not ok [0-9]+ plain TCP server: '
	assert_output --partial "first mismatch at byte offset 1000"
	assert_output --regexp 'not ok [0-9]+ net.mptcp.enabled=0 on the client: '
	assert_output --partial "client's protocol: expected 'tcp', got 'mptcp'"
	assert_output --regexp 'not ok [0-9]+ a middlebox strips MP_CAPABLE from the SYN: '
	assert_output --partial "SYNs stripped by router 1: expected at least 1, got 0"
	# Cases not selected skip, they do not fail.
	assert_output --regexp 'ok [0-9]+ a middlebox strips MP_CAPABLE from the SYN/ACK.*# SKIP case strip-synack not selected'
}

@test "fallback: FALLBACK_KNOWN_BUGS=fail turns the known mid-connection corruption into a failure" {
	sabotage fallback FALLBACK_CASES=strip-late-1sf FALLBACK_KNOWN_BUGS=fail
	# On a kernel with mptcp_net-next#519 this fails with the reason; on a
	# fixed one the test passes without a skip.
	if [[ $status == 0 ]]; then
		assert_output --regexp 'ok [0-9]+ a middlebox strips MPTCP mid-transfer on the only subflow'
		refute_output --partial 'KNOWN KERNEL BUG ('
	else
		assert_failure 1
		assert_output --regexp 'not ok [0-9]+ a middlebox strips MPTCP mid-transfer on the only subflow'
		assert_output --partial "data corrupted (known kernel bug, multipath-tcp/mptcp_net-next#519)"
	fi
}

@test "mptcpd: without the daemon no endpoint exists and the join checks fail" {
	sabotage mptcpd MPTCPD_RUN=0
	assert_failure 1
	assert_output --regexp 'not ok [0-9]+ mptcpd makes the client.s endpoints'
	assert_output --partial "no subflow endpoint for 198.18.2.1 after mptcpd started"
	assert_output --regexp 'not ok [0-9]+ the client gets a second subflow'
	# 0 when the client had not yet reported, 1 once it had: no join either way.
	assert_output --regexp "subflows in the client's MPTCP_INFO: expected at least 2, got [01]"
	assert_output --regexp 'not ok [0-9]+ an address added mid-connection'
	assert_output --regexp 'ok [0-9]+ mptcpd exits cleanly on SIGTERM # SKIP'
}

@test "uspm: break-before-make fails the no-stall check; the rest still holds" {
	sabotage uspm USPM_ORDER=break-first
	assert_failure 1
	assert_output --regexp 'not ok [0-9]+ make-before-break: the transfer never stalls'
	assert_output --regexp 'longest receive gap from SUBFLOW_CREATE on \(ms\): expected at most 1500, got [0-9]{4,}'
	assert_output --regexp 'ok [0-9]+ SUBFLOW_CREATE from the client.s PM'
	assert_output --regexp 'ok [0-9]+ REMOVE of the client.s initial address'
}

@test "lang: a corrupted byte and a missing second path fail the language checks" {
	sabotage lang LANG_LIST="python perl" LANG_ENDPOINT=0 LANG_CORRUPT_AT=1000
	assert_failure 1
	assert_output --regexp 'not ok [0-9]+ Python: '
	assert_output --partial "data corrupted: our server found the first mismatch at byte offset 1000"
	assert_output --regexp 'not ok [0-9]+ Perl: '
	assert_output --partial "subflows by the perl client's own MPTCP_INFO: expected at least 2, got 1"
	assert_output --regexp 'ok [0-9]+ Rust .*# SKIP rust not selected'
}

@test "unmodified: socat without mptcpize gets one subflow and does not survive the failure" {
	sabotage unmodified UNMOD_MPTCPIZE=0 UNMOD_APPS=socat UNMOD_WAIT_MS=4000
	assert_failure 1
	assert_output --regexp 'not ok [0-9]+ socat under mptcpize: its connection gets 2 subflows'
	assert_output --partial "subflows of socat's connection by ss -M: expected at least 2, got"
	assert_output --regexp 'not ok [0-9]+ socat under mptcpize survives path 1 going down'
}

@test "a counter the kernel lacks (simulated by MPTH_MIB_ABSENT) is checked through its equivalent and says so; without either, it skips by name, the other checks still run, and --strict fails it" {
	sabotage fullmesh MPTH_MIB_ABSENT=MPTcpExtAddAddrTx
	assert_success
	assert_output --partial "counter MPTcpExtAddAddrTx not in this kernel: client MPTcpExtAddAddr stands in for server MPTcpExtAddAddrTx"
	assert_output --partial "client MPTcpExtAddAddr (for server MPTcpExtAddAddrTx): 1 (want -eq 1)"
	# The equivalent is a real check: hidden too, the check skips.
	sabotage fullmesh "MPTH_MIB_ABSENT=MPTcpExtAddAddrTx MPTcpExtAddAddr"
	assert_success
	assert_output --partial "SKIP check: server MPTcpExtAddAddrTx -eq 1: counter MPTcpExtAddAddrTx not in this kernel, nor its equivalent MPTcpExtAddAddr"
	# The checks after it in the same test were made.
	assert_output --partial "server MPTcpExtEchoAdd: 1 (want -eq 1)"
	run env "MPTH_MIB_ABSENT=MPTcpExtAddAddrTx MPTcpExtAddAddr" "$RUN" --no-install --strict \
		--artifacts "$BATS_TEST_TMPDIR/art2" fullmesh
	assert_failure 1
	assert_output --partial "counter MPTcpExtAddAddrTx not in this kernel, nor its equivalent MPTcpExtAddAddr (strict"
}

@test "fallback: a counter the kernel lacks is recorded as absent, not 0: its check skips by name, the rest of the test runs" {
	sabotage fallback FALLBACK_CASES=tcp-server MPTH_MIB_ABSENT=MPTcpExtMPCapableFallbackSYNACK
	assert_success
	assert_output --partial "SKIP check: client MIB MPTcpExtMPCapableFallbackSYNACK -ge 1: counter MPTcpExtMPCapableFallbackSYNACK not in this kernel"
	# The check before it, and the transfer check after it, were made.
	assert_output --partial "client MIB MPTcpExtMPCapableSYNTX during the transfer: 1 (want -ge 1)"
	assert_output --regexp 'ok [0-9]+ plain TCP server: the client falls back at the SYN/ACK'
}

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

@test "fastclose: a transfer that finishes instead of aborting fails the MP_FASTCLOSE and reset checks" {
	sabotage fastclose FASTCLOSE_HOW=finish
	assert_failure 1
	assert_output --partial "client MPTcpExtMPFastcloseTx: expected exactly 2, got 0"
	assert_output --partial "the server's verdict on the connection: expected 'error', got 'ok'"
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
