# shellcheck shell=bash
# mptcpd, the MPTCP path manager daemon, run in a role's namespace with
# its addr_adv plugin: the addresses that come and go become endpoints of
# the in-kernel path manager, as on a phone that joins and leaves Wi-Fi.

# The directory of mptcpd's plugins (it holds addr_adv.so).
__mptcpd_plugins() {
	local d
	for d in /usr/lib/*/mptcpd /usr/lib/mptcpd /usr/local/lib/mptcpd \
		/usr/local/lib/*/mptcpd; do
		[[ -e $d/addr_adv.so ]] && { echo "$d"; return 0; }
	done
	return 1
}

# Run mptcpd in a role's namespace with the in-kernel path manager and
# its addr_adv plugin: every address of the namespace (existing ones, and
# those that come and go later) becomes an MPTCP endpoint, or stops being
# one, as on a phone that joins and leaves Wi-Fi. It needs no D-Bus; it
# talks generic netlink and rtnetlink only. Logs to traffic-mptcpd/<role>.log.
# $1: role, $2...: extra mptcpd options (default --addr-flags=subflow)
mptcpd_start() {
	local role=$1 plugins flags=(--addr-flags=subflow) log
	shift
	(($#)) && flags=("$@")
	plugins=$(__mptcpd_plugins) || {
		log_err "mptcpd's addr_adv plugin not found"
		return 1
	}
	app_start --tag mptcpd "$role" /usr/libexec/mptcpd --log=stderr \
		--plugin-dir="$plugins" --path-manager=addr_adv \
		--load-plugins=addr_adv \
		--notify-flags=existing,skip_link_local,skip_loopback "${flags[@]}" || return 1
	log=$MPTH_RUN_DIR/traffic-mptcpd/$role.log
	# It has read the addresses once the plugin says it is up.
	if ! busywait 5000 grep -qs 'path manager initialized' "$log"; then
		log_err "mptcpd did not start in $role; its log:"
		sed 's/^/  mptcpd: /' "$log" >&2
		return 1
	fi
	harness_event mptcpd-started "$role"
}

# Stop mptcpd cleanly (SIGTERM) and say whether it exited by itself.
# $1: role. Returns 1 if it had to be killed or had died before.
mptcpd_stop() {
	local role=$1 f pid rc=0
	f=$MPTH_RUN_DIR/traffic-mptcpd/$role.pid
	[[ -s $f ]] || return 1
	pid=$(<"$f")
	kill -0 "$pid" 2>/dev/null || { app_wait mptcpd "$role" 100; return 1; }
	kill -TERM "$pid"
	app_wait mptcpd "$role" 3000 || rc=1
	harness_event mptcpd-stopped "$role" "exit $(app_rc mptcpd "$role")"
	return "$rc"
}
