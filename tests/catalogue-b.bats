#!/usr/bin/env bats
# Each key check of the fallback, mptcpd, uspm, lang and unmodified
# scenarios can fail: break one thing on purpose through the scenario's
# knobs and watch the matching test report "not ok" with the reason.

load helpers

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
