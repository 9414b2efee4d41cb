# shellcheck shell=bash
# Feature detection: probe what the kernel and tools can do, never guess from
# a version number. Probes that need a network run in a throwaway namespace
# made by unshare(1), so the host's own namespace is never touched and
# nothing can be left behind. run.sh doctor and the scenario skips share this
# code, so they cannot disagree.
#
# feat_have NAME returns 0 when the feature is present and sets FEAT_HOW to
# how it was detected; otherwise it returns 1 and sets FEAT_REASON.
# Results are cached per run in $MPTH_FEATURE_CACHE when set.
# feat_requires FILE prints the features a file's "# requires:" header
# line names; feat_prewarm FILE... probes them all once.

# shellcheck disable=SC2034 # read by run.sh doctor
MPTH_FEATURES=(mptcp ip_mptcp mptcp_fullmesh mptcp_monitor ss_mptcp
	pm_userspace netem tbf htb nft nft_numgen iptables iptables_statistic
	tcpoptstrip tcpdump mptcpd mptcpize iperf3 socat python3 perl qemu kvm
	userns gnuplot iptables_connbytes libmnl rust_socket2)

# $1: shell snippet, run as root in a fresh network namespace
__feat_in_netns() {
	unshare -n sh -c "ip link set lo up && $1" >/dev/null 2>&1
}

__feat_netem() {
	local probe='tc qdisc add dev lo root netem delay 1ms'
	if __feat_in_netns "$probe"; then
		FEAT_HOW="tc qdisc add ... netem succeeded in a scratch netns"
		return 0
	fi
	# A modular kernel may just not have loaded it yet.
	if [[ -d /lib/modules/$(uname -r) ]] && command -v modprobe >/dev/null &&
		modprobe -q sch_netem 2>/dev/null && __feat_in_netns "$probe"; then
		FEAT_HOW="after modprobe sch_netem"
		return 0
	fi
	FEAT_REASON="kernel has no sch_netem (tc netem failed; no module to load)"
	return 1
}

# $1: feature name
__feat_probe() {
	FEAT_HOW='' FEAT_REASON=''
	case $1 in
	mptcp)
		local f=${MPTH_PROC_SYS:-/proc/sys}/net/mptcp/enabled
		if [[ ! -r $f ]]; then
			FEAT_REASON="kernel has no MPTCP ($f missing; needs CONFIG_MPTCP, Linux >= 5.6)"
			return 1
		fi
		if [[ $(<"$f") != 1 ]]; then
			FEAT_REASON="MPTCP is disabled: net.mptcp.enabled=0 (enable with: sysctl -w net.mptcp.enabled=1)"
			return 1
		fi
		FEAT_HOW="$f = 1"
		;;
	ip_mptcp)
		if ! __feat_in_netns 'ip mptcp limits show'; then
			FEAT_REASON="'ip mptcp' not supported by this iproute2 or kernel"
			return 1
		fi
		FEAT_HOW="ip mptcp limits show"
		;;
	mptcp_fullmesh)
		if ! __feat_in_netns 'ip mptcp endpoint add 198.18.0.1 subflow fullmesh'; then
			FEAT_REASON="ip or kernel rejects 'ip mptcp endpoint ... fullmesh'"
			return 1
		fi
		FEAT_HOW="ip mptcp endpoint add ... fullmesh"
		;;
	mptcp_monitor)
		local help
		# ip exits non-zero after printing its help: read it first, so
		# that pipefail in the caller cannot turn a yes into a no.
		help=$(ip mptcp help 2>&1)
		if [[ $help != *monitor* ]]; then
			FEAT_REASON="this iproute2 has no 'ip mptcp monitor'"
			return 1
		fi
		FEAT_HOW="'ip mptcp help' lists monitor"
		;;
	ss_mptcp)
		if ! __feat_in_netns 'ss -HM'; then
			FEAT_REASON="'ss -M' not supported (iproute2 too old or no MPTCP diag)"
			return 1
		fi
		FEAT_HOW="ss -HM"
		;;
	pm_userspace)
		local pm=${MPTH_PROC_SYS:-/proc/sys}/net/mptcp/pm_type
		if [[ ! -e $pm ]]; then
			FEAT_REASON="no net.mptcp.pm_type sysctl (userspace PM needs Linux >= 5.19)"
			return 1
		fi
		FEAT_HOW="$pm exists"
		;;
	netem) __feat_netem || return 1 ;;
	tbf)
		__feat_in_netns 'tc qdisc add dev lo root tbf rate 1mbit burst 32k latency 50ms' || {
			FEAT_REASON="kernel has no sch_tbf"
			return 1
		}
		FEAT_HOW="tc qdisc add ... tbf"
		;;
	htb)
		__feat_in_netns 'tc qdisc add dev lo root handle 1: htb' || {
			FEAT_REASON="kernel has no sch_htb"
			return 1
		}
		FEAT_HOW="tc qdisc add ... htb"
		;;
	nft)
		command -v nft >/dev/null || {
			FEAT_REASON="nft not installed (package nftables)"
			return 1
		}
		__feat_in_netns 'nft add table inet probe' || {
			FEAT_REASON="kernel has no nf_tables"
			return 1
		}
		FEAT_HOW="nft add table in a scratch netns"
		;;
	nft_numgen)
		if ! command -v nft >/dev/null ||
			! __feat_in_netns 'nft add table inet p && nft add chain inet p c && nft add rule inet p c numgen random mod 100 \< 1 drop'; then
			FEAT_REASON="nftables numgen (random loss) unavailable"
			return 1
		fi
		FEAT_HOW="nft rule with numgen random"
		;;
	iptables)
		if ! command -v iptables >/dev/null || ! __feat_in_netns 'iptables -S'; then
			FEAT_REASON="iptables not installed or not usable"
			return 1
		fi
		FEAT_HOW="iptables -S in a scratch netns"
		;;
	iptables_statistic)
		__feat_in_netns 'iptables -A FORWARD -m statistic --mode random --probability 0.01 -j DROP' || {
			FEAT_REASON="iptables statistic match unavailable"
			return 1
		}
		FEAT_HOW="iptables -m statistic"
		;;
	tcpoptstrip)
		__feat_in_netns 'iptables -t mangle -A FORWARD -p tcp -j TCPOPTSTRIP --strip-options 30' || {
			FEAT_REASON="iptables TCPOPTSTRIP target unavailable (xt_TCPOPTSTRIP)"
			return 1
		}
		FEAT_HOW="iptables -j TCPOPTSTRIP --strip-options 30"
		;;
	userns)
		# As root, unshare -U always works; what matters is whether an
		# unprivileged user can do it.
		local clone=${MPTH_PROC_SYS:-/proc/sys}/kernel/unprivileged_userns_clone
		if [[ -r $clone && $(<"$clone") == 0 ]]; then
			FEAT_REASON="unprivileged user namespaces are off (kernel.unprivileged_userns_clone=0)"
			return 1
		fi
		if ((EUID != 0)); then
			unshare -Urnm true 2>/dev/null || {
				FEAT_REASON="unshare -Urnm fails for uid $EUID"
				return 1
			}
			FEAT_HOW="unshare -Urnm as uid $EUID"
		elif command -v setpriv >/dev/null &&
			! setpriv --reuid=65534 --regid=65534 --clear-groups unshare -Urnm true 2>/dev/null; then
			FEAT_REASON="unshare -Urnm fails for an unprivileged user"
			return 1
		else
			FEAT_HOW="unshare -Urnm as uid 65534"
		fi
		;;
	kvm)
		if [[ ! -w /dev/kvm ]]; then
			FEAT_REASON="/dev/kvm missing or not writable (VMs use TCG)"
			return 1
		fi
		# Creating a VM can work where running a kernel then hangs: only
		# a real boot, as harness/vm/vm.sh probes it, tells.
		declare -F vm_kvm_usable >/dev/null ||
			source "${MPTH_ROOT:?}/harness/vm/vm.sh"
		if ! vm_kvm_usable; then
			FEAT_REASON="/dev/kvm present but a kernel does not boot with it (VMs use TCG)"
			return 1
		fi
		FEAT_HOW="a kernel booted with -accel kvm"
		;;
	mptcpd)
		[[ -x /usr/libexec/mptcpd ]] || {
			FEAT_REASON="mptcpd not installed (package mptcpd)"
			return 1
		}
		FEAT_HOW="/usr/libexec/mptcpd"
		;;
	iptables_connbytes)
		__feat_in_netns 'iptables -t mangle -A FORWARD -p tcp -m connbytes --connbytes 1000: --connbytes-dir both --connbytes-mode bytes -j ACCEPT' || {
			FEAT_REASON="iptables connbytes match unavailable (xt_connbytes, conntrack)"
			return 1
		}
		FEAT_HOW="iptables -m connbytes"
		;;
	laminar)
		# As mptcp_join.sh asks: by the function the feature brought
		# (6.18), since an older kernel takes the flag and ignores it.
		local ks=${MPTH_KALLSYMS:-/proc/kallsyms}
		if ! grep -q ' mptcp_pm_get_endp_laminar_max$' "$ks" 2>/dev/null; then
			FEAT_REASON="kernel has no laminar endpoints (no mptcp_pm_get_endp_laminar_max in $ks; Linux >= 6.18)"
			return 1
		fi
		FEAT_HOW="$ks has mptcp_pm_get_endp_laminar_max"
		;;
	libmnl)
		if [[ ! -r /usr/include/libmnl/libmnl.h ]] || ! command -v "${CC:-gcc}" >/dev/null; then
			FEAT_REASON="libmnl headers or a C compiler missing (package libmnl-dev)"
			return 1
		fi
		FEAT_HOW="/usr/include/libmnl/libmnl.h"
		;;
	rust_socket2)
		# Debian's toolchain and crate, built offline: no crates.io here.
		local cargo d
		cargo=$(command -v /usr/bin/cargo cargo | head -n1)
		d=$(compgen -G '/usr/share/cargo/registry/socket2-0.4.*' | head -n1)
		if [[ -z $cargo ]] || ! command -v rustc >/dev/null; then
			FEAT_REASON="no Rust toolchain (packages cargo, rustc)"
			return 1
		fi
		[[ -n $d ]] || {
			FEAT_REASON="no socket2 0.4 crate in /usr/share/cargo/registry (package librust-socket2-dev)"
			return 1
		}
		FEAT_HOW="$cargo, $d"
		;;
	qemu) __feat_cmd qemu-system-x86_64 qemu-system-x86 || return 1 ;;
	*) __feat_cmd "$1" "$1" || return 1 ;;
	esac
	return 0
}

# $1: command, $2: Debian package
__feat_cmd() {
	if command -v "$1" >/dev/null; then
		FEAT_HOW="$(command -v "$1")"
		return 0
	fi
	FEAT_REASON="$1 not installed (package $2)"
	return 1
}

declare -gA __FEAT_SEEN=()

# $1: feature name. Cached: the cache file holds "name<TAB>0|1<TAB>text",
# and a shell remembers what it read there (a later call forks nothing:
# it may run in a loop while traffic flows).
feat_have() {
	local name=$1 cache=${MPTH_FEATURE_CACHE:-} line rc
	if [[ -n $cache && -n ${__FEAT_SEEN[$cache|$name]:-} ]]; then
		line=${__FEAT_SEEN[$cache|$name]}
		FEAT_HOW=${line#*$'\t'}
		FEAT_REASON=$FEAT_HOW
		return "${line%%$'\t'*}"
	fi
	if [[ -n $cache && -r $cache ]]; then
		# The whole cache, read with builtins (other processes of the
		# run append to it): the first line of a name wins, as before.
		local n how
		while IFS=$'\t' read -r n rc how; do
			[[ -n ${__FEAT_SEEN[$cache|$n]:-} ]] || __FEAT_SEEN[$cache|$n]=$rc$'\t'$how
		done <"$cache"
		if [[ -n ${__FEAT_SEEN[$cache|$name]:-} ]]; then
			line=${__FEAT_SEEN[$cache|$name]}
			FEAT_HOW=${line#*$'\t'}
			FEAT_REASON=$FEAT_HOW
			return "${line%%$'\t'*}"
		fi
	fi
	__feat_probe "$name"
	rc=$?
	if [[ -n $cache ]]; then
		if ((rc == 0)); then
			printf '%s\t0\t%s\n' "$name" "$FEAT_HOW" >>"$cache"
		else
			printf '%s\t1\t%s\n' "$name" "$FEAT_REASON" >>"$cache"
		fi
	fi
	return "$rc"
}

# The features a file declares in its header line "# requires: a b c":
# the words of its first such line (nothing when it has none, or cannot
# be read). The one parser of that line, for run.sh and the harness.
# $1: file
feat_requires() {
	[[ -r $1 ]] || return 0
	sed -n 's/^# requires:[[:space:]]*//p' "$1" | head -n1
}

# Probe, once, the features the files' headers require, before runs that
# would each probe them start at once. $@: files
feat_prewarm() {
	local f feat
	for f in "$@"; do
		for feat in $(feat_requires "$f"); do
			feat_have "$feat" >/dev/null
		done
	done
}
