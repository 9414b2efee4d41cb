#!/usr/bin/env bats
# Least privilege: a user who is not root runs a scenario with no sudo,
# in a user namespace, and nothing of it survives; run files are 0700.

load helpers

setup() {
	command -v setpriv || skip "setpriv missing (package util-linux)"
	host_snapshot "$BATS_TEST_TMPDIR/before"
	# A copy of the repository that the unprivileged user owns.
	COPY=/var/tmp/mpth-rootless-$$
	rm -rf "$COPY"
	mkdir -p "$COPY"
	(cd "$REPO" && git ls-files -z | xargs -0 cp --parents -t "$COPY")
	chown -R 65534:65534 "$COPY"
}

teardown() {
	rm -rf "$COPY"
}

# $@: run.sh arguments, run as uid 65534
as_nobody() {
	run setpriv --reuid=65534 --regid=65534 --clear-groups \
		env HOME="$COPY" FAILOVER_FAULTS=link-down "$COPY/run.sh" "$@"
}

@test "not root: failover runs rootless in a user namespace, and passes" {
	as_nobody --no-install failover
	local id
	id=$(sed -n 's/.*mpth: run \([0-9a-f]\{6\}\),.*/\1/p' <<<"$output")
	assert_success
	assert_output --partial "running rootless"
	assert_output --regexp 'ok [0-9]+ link-down: the outage after the failure'
	host_snapshot "$BATS_TEST_TMPDIR/after"
	run diff -u "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
	assert_success
	# The namespaces lived in the user's own namespace: none is visible.
	[[ -n $id ]]
	run bash -c "ip netns list | grep 'mpth-$id-' || true"
	assert_output ''
}

@test "the artifacts directory of a run is private (0700)" {
	# The shortest run there is: one test that passes at once.
	printf '@test "nothing to it" {\n\ttrue\n}\n' >"$COPY/trivial.bats"
	chmod a+r "$COPY/trivial.bats"
	as_nobody --no-install "$COPY/trivial.bats"
	local dir
	dir=$(find "$COPY/artifacts" -mindepth 1 -maxdepth 1 -type d | head -n1)
	run stat -c %a "$dir"
	assert_output 700
}
