# shellcheck shell=bash
# Dependencies: find what is missing and install it with apt-get, telling
# the user which packages. Each entry is "test:package", where test is a
# command name or an absolute path that must exist.

DEPS_CORE=(
	bats:bats
	/usr/lib/bats/bats-support/load.bash:bats-support
	/usr/lib/bats/bats-assert/load.bash:bats-assert
	ip:iproute2
	nft:nftables
	iptables:iptables
	gcc:gcc
	make:make
	jq:jq
	ping:iputils-ping
	unshare:util-linux
	pgrep:procps
)

# Wanted by scenarios beyond the spine; a scenario whose tool is missing
# skips with the reason, so these are installed but not demanded.
DEPS_EXTRA=(
	/usr/lib/bats/bats-file/load.bash:bats-file
	tcpdump:tcpdump
	tshark:tshark
	gnuplot:gnuplot-nox
	/usr/libexec/mptcpd:mptcpd
	iperf3:iperf3
	socat:socat
	perl:perl
	tap2junit:libtap-formatter-junit-perl
	chromium:chromium
	python3:python3
	valgrind:valgrind
	clang:clang
	qemu-system-x86_64:qemu-system-x86
	/bin/busybox:busybox-static
	modprobe:kmod
	zstd:zstd
	/usr/include/libmnl/libmnl.h:libmnl-dev
	/usr/bin/cargo:cargo
	/usr/bin/rustc:rustc
	/usr/share/doc/librust-socket2-dev:librust-socket2-dev
)

# The optional entries (of DEPS_EXTRA) that scenarios' "# requires:"
# words need, one per line. $1: the words, space-separated
deps_for_requires() {
	local w e
	for w in $1; do
		case $w in
		mptcpd | mptcpize) e=/usr/libexec/mptcpd:mptcpd ;;
		libmnl) e=/usr/include/libmnl/libmnl.h:libmnl-dev ;;
		tcpdump | socat | perl | python3 | iperf3) e=$w:$w ;;
		gnuplot) e=gnuplot:gnuplot-nox ;;
		*) continue ;;
		esac
		printf '%s\n' "$e"
	done | sort -u
}

# Print the packages whose test fails. $@: entries
deps_missing() {
	local e what
	for e in "$@"; do
		what=${e%%:*}
		if [[ $what == /* ]]; then
			[[ -e $what ]] && continue
		else
			command -v "$what" >/dev/null 2>&1 && continue
		fi
		printf '%s\n' "${e##*:}"
	done | sort -u
}

# Install what is missing. $1: 1 to install, 0 to only report,
# $2: "extra" to include the optional packages, or the "# requires:"
# words of the scenarios to run, for the optional packages they name.
deps_ensure() {
	local install=$1 pkgs=() opt=()
	local more=()
	# MPTH_DEPS_REQUIRE adds "test:package" words (used by the self-tests).
	read -r -a more <<<"${MPTH_DEPS_REQUIRE:-}"
	mapfile -t pkgs < <(deps_missing "${DEPS_CORE[@]}" "${more[@]}")
	if [[ ${2:-} == extra ]]; then
		mapfile -t opt < <(deps_missing "${DEPS_EXTRA[@]}")
	elif [[ -n ${2:-} ]]; then
		# Only the optional packages these scenarios' requirements name.
		local want=()
		mapfile -t want < <(deps_for_requires "$2")
		((${#want[@]} == 0)) || mapfile -t opt < <(deps_missing "${want[@]}")
	fi
	((${#pkgs[@]} + ${#opt[@]})) || return 0
	if ! command -v apt-get >/dev/null 2>&1; then
		((${#pkgs[@]})) || return 0
		log_err "missing packages: ${pkgs[*]}; no apt-get here: install them with your package manager"
		return 1
	fi
	if [[ $install != 1 ]]; then
		((${#pkgs[@]})) || {
			log_warn "optional packages missing (some scenarios will skip): ${opt[*]}"
			return 0
		}
		log_err "missing packages: ${pkgs[*]}. Install them with:"
		printf '  apt-get install -y %s\n' "${pkgs[*]} ${opt[*]}" >&2
		return 1
	fi
	log_info "installing missing packages: ${pkgs[*]} ${opt[*]}"
	# The package lists may be stale or absent on a fresh machine.
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${pkgs[@]}" "${opt[@]}" >&2; then
		apt-get update -q >&2 || true
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${pkgs[@]}" "${opt[@]}" >&2 || {
			# Optional ones may simply not exist for this release.
			((${#pkgs[@]})) && DEBIAN_FRONTEND=noninteractive \
				apt-get install -y -q "${pkgs[@]}" >&2
		} || {
			log_err "apt-get install failed for: ${pkgs[*]}"
			return 1
		}
	fi
}
