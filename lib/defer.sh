# shellcheck shell=bash
# Undo stack, in the spirit of the kernel selftests' defer.sh: register the
# undo right after each create. The stack lives in a file because Bats runs
# setup_file, the tests and teardown_file in different subshells. Entries are
# written with printf %q by our own code, never from user input.

# $1: stack file
defer_init() {
	MPTH_DEFER_FILE=$1
	: >"$MPTH_DEFER_FILE"
	export MPTH_DEFER_FILE
}

# $@: command and arguments to run at cleanup
defer() {
	[[ -n "${MPTH_DEFER_FILE:-}" ]] || return 1
	local line
	printf -v line '%q ' "$@"
	printf '%s\n' "$line" >>"$MPTH_DEFER_FILE"
}

# Run every registered undo, newest first, once. Safe to call twice: the
# stack is emptied before the entries run.
defer_run_all() {
	local f=${MPTH_DEFER_FILE:-} tmp line
	[[ -n "$f" && -s "$f" ]] || return 0
	tmp="$f.running.$$"
	mv -f "$f" "$tmp" 2>/dev/null || return 0
	: >"$f"
	while IFS= read -r line; do
		[[ -n "$line" ]] || continue
		eval "$line" >/dev/null 2>&1 || true
	done < <(tac "$tmp")
	rm -f "$tmp"
}
