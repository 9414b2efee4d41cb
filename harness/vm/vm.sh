# shellcheck shell=bash
# VM runner: runs a command inside a qemu guest that boots another kernel (a
# Debian kernel has sch_netem, the host kernel does not), with the host root
# shared read-only over 9p under a RAM overlay, so the harness runs there
# unchanged. KVM when it really works, TCG otherwise.
#
# Public API (sourced; nothing runs at source time):
#   vm_kernel_resolve SPEC [MODULES_DIR]
#       SPEC: host | debian:VERSION | path to a bzImage | a kernel build
#       tree (its arch/x86/boot/bzImage; without MODULES_DIR, the modules it
#       built, installed by its make modules_install into the cache)
#       (MODULES_DIR only with a path or tree). debian:VERSION is the newest linux-image-VERSION*-amd64 apt
#       offers (6.1, 6.12, or exact: 6.1.0-56, 6.12.117), fetched once into
#       MPTH_KERNEL_CACHE (default ${XDG_CACHE_HOME:-~/.cache}/mptcp-harness/kernels).
#       Sets VM_VMLINUZ and VM_MODULES_DIR and prints "VMLINUZ<TAB>MODULES_DIR"
#       (host: prints nothing, both empty). Returns 0; 2 bad spec, unknown
#       version (the message lists the available ones), missing or corrupt
#       image; 5 the download or unpacking failed (network, apt).
#   vm_run VMLINUZ MODULES_DIR TIMEOUT_S WORKDIR -- CMD [ARG...]
#       Boots VMLINUZ (MODULES_DIR may be "" only for a kernel with 9p, virtio
#       and overlay built in), runs CMD as root in the caller's $PWD (the
#       guest has its own /tmp, /var/tmp and /run; a $PWD or $MPTH_ROOT
#       under them is carried over, writable in guest RAM, and WORKDIR is
#       the fallback should that fail),
#       with stdin from /dev/null, PATH, HOME=/root, MPTH_IN_VM=1, and the
#       caller's MPTH_*, LANG, LC_*, TZ, CI, NO_COLOR and the names listed in
#       MPTH_VM_ENV. The guest's stdout and stderr stream live to ours (no
#       kernel messages). WORKDIR (and MPTH_VM_RW_DIRS) are shared writable:
#       the host sees what CMD wrote there; other writes stay in guest RAM.
#       TIMEOUT_S bounds everything from qemu's start to its exit.
#       Returns CMD's exit code, or: 2 usage, bad image, no qemu, missing host
#       tool; 3 the guest kernel has no MPTCP; 124 time-out (boot or command;
#       the message names the boot stage reached); 125 the VM failed (qemu
#       error, guest crash, init failure; the console tail is printed).
#       VM_STATUS tells them apart from CMD's own codes:
#       ok | usage | nomptcp | timeout | vmfail. VM_BOOT_S is the guest's
#       uptime when CMD started; VM_LAST_STAGE the last boot stage it
#       reached ("running the command" once CMD ran). One VM per shell at
#       a time.
#   vm_cleanup          idempotent: kills the qemu started here, removes temp
#       files. vm_run also does it on INT/TERM/HUP (then hands the signal to
#       the caller's own trap), and a watchdog kills qemu within a second of
#       the caller dying, even by SIGKILL.
#   vm_qemu_available   0, or 1 with a message on stderr
#   vm_kvm_usable [VMLINUZ]   0 when KVM really boots a kernel here: a KVM that
#       creates VMs and then hangs a kernel counts as unusable. Probes once
#       per host boot (about MPTH_VM_KVM_PROBE_S=6 s when KVM hangs), with
#       VMLINUZ or a cached kernel; without any kernel to try, 1.
#   vm_accel [VMLINUZ]  prints kvm or tcg (MPTH_VM_ACCEL=kvm|tcg forces it)
#
# And run.sh's use of it (the last section; run.sh's globals, read when
# called): vm_spec_valid SPEC, vm_rerun SPEC (--kernel: this same command
# in a VM, then exit), vm_test_stage FILE... (test's netem scenarios in a
# VM), vm_matrix, vm_bisect ARG... (--bisect).
#
# Other knobs: MPTH_VM_MEM (2G), MPTH_VM_SMP (2), MPTH_VM_MODULES (modules to
# preload in the guest instead of the default list; loaded in the background
# unless MPTH_VM_PRELOAD_WAIT=1, anything else loads on demand),
# MPTH_VM_APPEND (more kernel command line), MPTH_VM_KEEP=1 (keep the control
# dir), MPTH_VM_CONSOLE (copy the guest console log to that file),
# MPTH_VM_PVH=0 (boot the bzImage, not the extracted vmlinux),
# MPTH_VM_FAKE_NO_MPTCP=1 (test hook: the guest reports a kernel without MPTCP).

__VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# The harness needs these in the guest; missing ones are reported, not fatal.
__VM_DEFAULT_MODULES="veth sch_netem sch_tbf sch_htb sch_ingress cls_bpf act_bpf ifb dummy bridge
nf_tables nft_numgen nft_counter nft_meta nft_queue nft_reject_inet nft_chain_nat nfnetlink_queue
ip_tables ip6_tables iptable_filter ip6table_filter iptable_mangle ip6table_mangle
xt_statistic xt_TCPOPTSTRIP xt_NFQUEUE xt_tcpudp xt_comment ipv6 mptcp_diag inet_diag tcp_diag virtio_rng"

# What the initramfs must load before it can reach the host root.
__VM_BOOT_MODULES="virtio_pci 9pnet_virtio 9p overlay"

__VM_QEMU=qemu-system-x86_64
__VM_QEMU_PID=
__VM_WATCHDOG_PID=
__VM_CAT_PIDS=()
__VM_CTL=
__VM_ACCEL_CACHED=

VM_VMLINUZ=
VM_MODULES_DIR=
VM_STATUS=
# shellcheck disable=SC2034 # set for the caller
VM_BOOT_S=

# $*: message
__vm_err() {
	printf 'vm: %s\n' "$*" >&2
}

# Prints the kernel cache dir (also holds the PVH images and the KVM verdict).
__vm_cache_root() {
	printf '%s\n' "${MPTH_KERNEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mptcp-harness/kernels}"
}

# $1: command, $2: Debian package that provides it
__vm_need_tool() {
	command -v "$1" >/dev/null 2>&1 && return 0
	if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
		__vm_err "installing Debian package $2 (provides $1, needed for the VM runner)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null 2>&1 || true
		command -v "$1" >/dev/null 2>&1 && return 0
	fi
	__vm_err "$1 not found: install the Debian package $2"
	return 1
}

# 0 when qemu-system-x86_64 is on PATH, else 1 and says what to install
vm_qemu_available() {
	if ! command -v "$__VM_QEMU" >/dev/null 2>&1; then
		__vm_err "$__VM_QEMU not found: install the Debian package qemu-system-x86"
		return 1
	fi
}

# $1: kernel image; 0 when it looks like a bootable x86 bzImage
__vm_check_image() {
	local img=$1 magic
	if [[ -z $img ]]; then
		__vm_err "no kernel image given"
		return 2
	fi
	if [[ ! -e $img ]]; then
		__vm_err "kernel image '$img' not found"
		return 2
	fi
	if [[ ! -f $img || ! -r $img ]]; then
		__vm_err "kernel image '$img' is not a readable file"
		return 2
	fi
	if [[ ! -s $img ]]; then
		__vm_err "kernel image '$img' is empty"
		return 2
	fi
	# The x86 boot protocol puts "HdrS" at 0x202 of every bzImage.
	magic=$(LC_ALL=C dd if="$img" bs=1 skip=514 count=4 2>/dev/null | tr -d '\0')
	if [[ $magic != HdrS ]]; then
		__vm_err "kernel image '$img' is not an x86 bzImage (no HdrS magic at 0x202): corrupt or wrong file"
		return 2
	fi
}

# $1: modules dir; 0 when it has what modprobe needs
__vm_check_modules_dir() {
	local dir=$1
	if [[ ! -d $dir ]]; then
		__vm_err "modules dir '$dir' not found"
		return 2
	fi
	if [[ ! -s $dir/modules.dep ]]; then
		__vm_err "modules dir '$dir' has no modules.dep: run depmod -b BASE VERSION for it"
		return 2
	fi
}

# Lists installable Debian kernel image packages, one name a line.
__vm_apt_kernels() {
	# Meta-packages carry no image; rt and cloud flavours lack what we need.
	apt-cache search --names-only '^linux-image-[0-9]' 2>/dev/null |
		grep -v 'meta-package' |
		awk '{ print $1 }' |
		grep -E -e '-amd64$' |
		grep -v -E -e '-(rt|cloud)-amd64$' |
		sort -V
}

# $1: version as the user wrote it (6.1, 6.12, 6.1.0-56), stdin: package
# names; prints the newest that matches (6.1 does not match 6.12)
__vm_pick_package() {
	local re=${1//./\\.}
	re=${re//+/\\+}
	grep -E "^linux-image-${re}([.+-][0-9a-z][0-9a-z.+~-]*)?-amd64$" | sort -V | tail -n 1 || true
}

# Lists the packages already unpacked in the cache.
__vm_cached_packages() {
	local root
	root=$(__vm_cache_root)
	[[ -d $root ]] || return 0
	find "$root" -mindepth 2 -maxdepth 2 -name .complete -printf '%h\n' 2>/dev/null | sed 's|.*/||'
}

# $1: package dir in the cache; sets VM_VMLINUZ and VM_MODULES_DIR from it
__vm_use_cached() {
	local dir=$1 img mods
	img=$(find "$dir/boot" -maxdepth 1 -name 'vmlinuz-*' -print -quit 2>/dev/null)
	mods=$(find "$dir/lib/modules" -mindepth 1 -maxdepth 1 -type d -print -quit 2>/dev/null)
	if [[ -z $img || -z $mods ]]; then
		__vm_err "cached kernel in '$dir' is incomplete: remove that dir"
		return 2
	fi
	__vm_check_image "$img" || return
	VM_VMLINUZ=$img
	VM_MODULES_DIR=$mods
}

# $1: package; downloads and extracts it into the cache once
__vm_fetch_package() {
	local pkg=$1 root dest stage deb kver lockfd rc=0
	root=$(__vm_cache_root)
	dest=$root/$pkg
	[[ -f $dest/.complete ]] && return 0
	mkdir -p "$root" || { __vm_err "cannot create kernel cache '$root'"; return 5; }
	__vm_need_tool dpkg-deb dpkg || return 5
	__vm_need_tool depmod kmod || return 5
	# Two runs fetching the same kernel wait for each other instead of racing.
	exec {lockfd}>"$root/.lock"
	flock "$lockfd"
	if [[ ! -f $dest/.complete ]]; then
		stage=$(mktemp -d "$root/.fetch.XXXXXX")
		__vm_err "downloading $pkg into $root (once)"
		# apt's _apt user cannot write into root's home; download as root.
		if ! (cd "$stage" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >"$stage/apt.log" 2>&1); then
			__vm_err "apt-get download $pkg failed: $(tail -n 2 "$stage/apt.log" | tr '\n' ' ')"
			rc=5
		fi
		deb=$(find "$stage" -maxdepth 1 -name '*.deb' -print -quit)
		if [[ $rc -eq 0 ]] && ! dpkg-deb -x "$deb" "$stage/x" 2>"$stage/dpkg.log"; then
			__vm_err "dpkg-deb -x $deb failed: $(head -n 2 "$stage/dpkg.log")"
			rc=5
		fi
		if [[ $rc -eq 0 ]]; then
			# Newer packages ship modules under usr/lib; keep one layout.
			if [[ ! -d $stage/x/lib/modules && -d $stage/x/usr/lib/modules ]]; then
				mkdir -p "$stage/x/lib"
				mv "$stage/x/usr/lib/modules" "$stage/x/lib/modules"
			fi
			kver=$(find "$stage/x/lib/modules" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' 2>/dev/null | head -n 1)
			# The package's postinst runs depmod; dpkg-deb -x does not.
			if [[ -z $kver ]] || ! depmod -b "$stage/x" "$kver" 2>"$stage/depmod.log"; then
				__vm_err "$pkg: no modules or depmod failed: $(head -n 2 "$stage/depmod.log" 2>/dev/null)"
				rc=5
			fi
		fi
		if [[ $rc -eq 0 ]]; then
			rm -rf "$dest"
			mkdir -p "$dest"
			mv "$stage/x/boot" "$stage/x/lib" "$dest/" && : >"$dest/.complete" || rc=5
		fi
		rm -rf "$stage"
	fi
	exec {lockfd}>&-
	return "$rc"
}

# $1: version after "debian:"
__vm_resolve_debian() {
	local ver=$1 pkg cached avail root known
	if [[ ! $ver =~ ^[0-9]+(\.[0-9]+)*([.+-][0-9a-z.+~-]*)?$ ]]; then
		__vm_err "bad Debian kernel version '$ver' (want e.g. debian:6.1)"
		return 2
	fi
	root=$(__vm_cache_root)
	known=$(__vm_apt_kernels)
	if [[ -z $known && $EUID -eq 0 ]]; then
		__vm_err "apt knows no linux-image packages: running apt-get update"
		apt-get update -qq >/dev/null 2>&1 || true
		known=$(__vm_apt_kernels)
	fi
	pkg=$(__vm_pick_package "$ver" <<<"$known")
	cached=$(__vm_cached_packages | __vm_pick_package "$ver")
	if [[ -z $pkg && -z $cached ]]; then
		avail=$(sed -E 's/^linux-image-([0-9]+\.[0-9]+).*/\1/' <<<"$known" | sort -uV | tr '\n' ' ')
		avail=${avail# }
		if [[ -z $avail ]]; then
			__vm_err "no Debian kernel for debian:$ver: apt knows no linux-image packages (apt-get update?)"
			return 5
		fi
		__vm_err "no Debian kernel matches debian:$ver; available versions: ${avail% }"
		return 2
	fi
	if [[ -n $pkg ]]; then
		if __vm_fetch_package "$pkg"; then
			__vm_use_cached "$root/$pkg"
			return
		fi
		[[ -n $cached ]] || return 5
		__vm_err "using the cached $cached instead of $pkg"
	fi
	__vm_use_cached "$root/$cached"
}

# $1: spec (host | debian:VERSION | image path), $2: modules dir (with a path only)
vm_kernel_resolve() {
	local spec=$1 mods=${2:-} rc
	VM_VMLINUZ=
	VM_MODULES_DIR=
	case $spec in
	host)
		[[ -z $mods ]] || { __vm_err "a modules dir goes only with a kernel image path"; return 2; }
		return 0
		;;
	debian:*)
		[[ -z $mods ]] || { __vm_err "a modules dir goes only with a kernel image path"; return 2; }
		__vm_resolve_debian "${spec#debian:}" || return
		;;
	'')
		__vm_err "no kernel spec given (host, debian:VERSION or a path to a bzImage)"
		return 2
		;;
	*)
		if [[ -d $spec ]]; then
			__vm_resolve_tree "$spec" "$mods" || return
			return 0
		fi
		if [[ ! -e $spec && $spec != */* ]]; then
			__vm_err "kernel spec '$spec' is neither host, debian:VERSION nor an existing image path"
			return 2
		fi
		__vm_check_image "$spec" || return
		if [[ -n $mods ]]; then
			__vm_check_modules_dir "$mods" || return
			mods=$(cd "$mods" && pwd -P)
		fi
		VM_VMLINUZ=$(cd "$(dirname "$spec")" && pwd -P)/$(basename "$spec")
		VM_MODULES_DIR=$mods
		;;
	esac
	rc=0
	if [[ $VM_VMLINUZ == *[[:cntrl:]]* || $VM_MODULES_DIR == *[[:cntrl:]]* ]]; then
		__vm_err "kernel paths must not contain tabs or newlines"
		rc=2
	fi
	[[ $rc -eq 0 ]] && printf '%s\t%s\n' "$VM_VMLINUZ" "$VM_MODULES_DIR"
	return "$rc"
}

# A kernel build tree: its arch/x86/boot/bzImage and, when it built
# modules (modules.order) and no modules dir is given, those modules,
# installed with the tree's own `make modules_install` into the cache
# (one dir per tree, replaced each time: a bisection rebuilds the tree).
# Prints like vm_kernel_resolve. $1: tree, $2: modules dir or ""
__vm_resolve_tree() {
	local tree img mods=$2 dest v
	local -a vers
	tree=$(cd "$1" && pwd -P)
	img=$tree/arch/x86/boot/bzImage
	if [[ ! -f $img ]]; then
		__vm_err "kernel tree '$1' has no arch/x86/boot/bzImage: build it first (make bzImage)"
		return 2
	fi
	__vm_check_image "$img" || return
	if [[ -z $mods && -s $tree/modules.order ]]; then
		v=$(printf '%s' "$tree" | sha256sum)
		dest=$(__vm_cache_root)/tree-modules/${v:0:16}
		rm -rf "$dest"
		mkdir -p "$dest" || {
			__vm_err "cannot create $dest for the tree's modules"
			return 2
		}
		if ! make -s -C "$tree" modules_install INSTALL_MOD_PATH="$dest" >"$dest.log" 2>&1; then
			__vm_err "make modules_install failed in $tree (see $dest.log)"
			return 2
		fi
		vers=("$dest"/lib/modules/*/)
		if [[ ${#vers[@]} != 1 || ! -d ${vers[0]} ]]; then
			__vm_err "make modules_install in $tree left no single lib/modules/VERSION in $dest"
			return 2
		fi
		mods=${vers[0]%/}
	fi
	if [[ -n $mods ]]; then
		__vm_check_modules_dir "$mods" || return
		mods=$(cd "$mods" && pwd -P)
	fi
	VM_VMLINUZ=$img
	VM_MODULES_DIR=$mods
	if [[ $VM_VMLINUZ == *[[:cntrl:]]* || $VM_MODULES_DIR == *[[:cntrl:]]* ]]; then
		__vm_err "kernel paths must not contain tabs or newlines"
		return 2
	fi
	printf '%s\t%s\n' "$VM_VMLINUZ" "$VM_MODULES_DIR"
}

# $1: bzImage; prints the image to boot: the uncompressed vmlinux when it has a
# PVH entry (TCG then skips ~5 s of emulated decompression), else the bzImage
__vm_boot_image() {
	local img=$1 root sum out tmp magic off dec
	if [[ ${MPTH_VM_PVH:-1} == 0 ]]; then
		printf '%s\n' "$img"
		return
	fi
	root=$(__vm_cache_root)/pvh
	sum=$(sha256sum "$img" | cut -c1-32)
	out=$root/$sum.elf
	if [[ -s $out ]]; then
		printf '%s\n' "$out"
		return
	fi
	if [[ -e $root/$sum.none ]] || ! mkdir -p "$root" 2>/dev/null; then
		printf '%s\n' "$img"
		return
	fi
	tmp=$(mktemp "$root/.extract.XXXXXX")
	# Try each compressed payload the bzImage may carry, first match wins.
	for magic in '\xfd7zXZ\x00:xz -dc --single-stream' '\x28\xb5\x2f\xfd:zstd -dcq' \
		'\x1f\x8b\x08:gzip -dcq' '\x02\x21\x4c\x18:lz4 -dcq'; do
		dec=${magic#*:}
		command -v "${dec%% *}" >/dev/null 2>&1 || continue
		for off in $(LC_ALL=C grep -obUaP "${magic%%:*}" "$img" 2>/dev/null | head -n 3 | cut -d: -f1); do
			# shellcheck disable=SC2086 # the decompressor command line is split on purpose
			tail -c +$((off + 1)) "$img" | $dec >"$tmp" 2>/dev/null
			if [[ $(head -c 4 "$tmp" | tr -d '\0') == $'\x7f'ELF ]]; then
				break 2
			fi
			: >"$tmp"
		done
	done
	# The PVH entry is an ELF note: namesz 4, descsz 4 or 8, type 18, "Xen".
	if [[ -s $tmp ]] && LC_ALL=C grep -qaP '\x04\x00\x00\x00[\x04\x08]\x00\x00\x00\x12\x00\x00\x00Xen\x00' "$tmp"; then
		mv "$tmp" "$out"
		printf '%s\n' "$out"
	else
		rm -f "$tmp"
		: >"$root/$sum.none"
		printf '%s\n' "$img"
	fi
}

# Prints a kernel image usable for the KVM probe, or nothing.
__vm_probe_kernel() {
	local root
	root=$(__vm_cache_root)
	find "$root" -mindepth 3 -maxdepth 3 -path '*/boot/vmlinuz-*' -print -quit 2>/dev/null
}

# $1: kernel image (optional): KVM counts only if it really boots that kernel
vm_kvm_usable() {
	local img=${1:-} boot tmp rc verdict_file boot_id
	[[ -c /dev/kvm && -r /dev/kvm && -w /dev/kvm ]] || return 1
	command -v "$__VM_QEMU" >/dev/null 2>&1 || return 1
	boot_id=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null || echo unknown)
	verdict_file=$(__vm_cache_root)/accel.$boot_id
	if [[ -s $verdict_file ]]; then
		[[ $(<"$verdict_file") == kvm ]]
		return
	fi
	# KVM_CREATE_VM must work at all ...
	if ! printf 'quit\n' | timeout 10 "$__VM_QEMU" -nodefaults -no-user-config -display none \
		-machine none -accel kvm -monitor stdio >/dev/null 2>&1; then
		return 1
	fi
	# ... but here that works while a kernel then hangs, so boot one. Without
	# an initramfs it panics at once and -no-reboot ends qemu: a real KVM does
	# that in about a second, a broken one never.
	[[ -n $img ]] || img=$(__vm_probe_kernel)
	if [[ -z $img ]] || ! __vm_check_image "$img" 2>/dev/null; then
		return 1
	fi
	boot=$(__vm_boot_image "$img")
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/mpth-kvm.XXXXXX")
	rc=0
	timeout -k 2 "${MPTH_VM_KVM_PROBE_S:-6}" "$__VM_QEMU" -accel kvm -cpu host -m 256M -smp 1 \
		-nodefaults -no-user-config -display none -no-reboot -monitor none \
		-kernel "$boot" -append "console=ttyS0 panic=-1 quiet" \
		-serial "file:$tmp/console" </dev/null >/dev/null 2>&1 || rc=$?
	rm -rf "$tmp"
	# One verdict per host boot: KVM does not start or stop working without one.
	if mkdir -p "${verdict_file%/*}" 2>/dev/null; then
		rm -f "${verdict_file%/*}"/accel.*
		if [[ $rc -eq 0 ]]; then echo kvm; else echo tcg; fi >"$verdict_file"
	fi
	[[ $rc -eq 0 ]]
}

# $1: kernel image (optional); prints kvm or tcg
vm_accel() {
	case ${MPTH_VM_ACCEL:-} in
	kvm | tcg)
		printf '%s\n' "$MPTH_VM_ACCEL"
		return
		;;
	'') ;;
	*) __vm_err "MPTH_VM_ACCEL must be kvm or tcg, not '$MPTH_VM_ACCEL'; probing" ;;
	esac
	if [[ -z $__VM_ACCEL_CACHED ]]; then
		if vm_kvm_usable "${1:-}"; then
			__VM_ACCEL_CACHED=kvm
		else
			__VM_ACCEL_CACHED=tcg
		fi
	fi
	printf '%s\n' "$__VM_ACCEL_CACHED"
}

# awk helpers over modules.dep and modules.builtin (in awk: a bash loop over
# thousands of lines is slow, and very slow under a DEBUG trap such as Bats').
# shellcheck disable=SC2016 # awk code: its $ are awk fields, not shell
__VM_AWK_MODULES='
function norm(p,  n) { n = p; sub(/.*\//, "", n); sub(/\.ko.*/, "", n); gsub(/-/, "_", n); return n }
FNR == NR { split($0, f, ":"); n = norm(f[1]); file[n] = f[1]; deps[n] = f[2]; next }
{ builtin[norm($0)] = 1 }
'

# $1: modules dir, $2..: module names; prints their files (relative, deps first)
__vm_module_closure() {
	local dir=$1
	shift
	awk -v want="$*" "$__VM_AWK_MODULES"'
	function visit(n,   i, c, d) {
		if (n in seen) return
		seen[n] = 1
		if (!(n in file)) {
			if (!(n in builtin)) printf "vm: module %s is neither in modules.dep nor built in\n", n > "/dev/stderr"
			return
		}
		c = split(deps[n], d, " ")
		for (i = 1; i <= c; i++) visit(norm(d[i]))
		print file[n]
	}
	END { c = split(want, w, " "); for (i = 1; i <= c; i++) visit(norm(w[i])) }
	' "$dir/modules.dep" "$(__vm_builtin_list "$dir")"
}

# $1: modules dir; prints its modules.builtin, or /dev/null when it has none
__vm_builtin_list() {
	if [[ -r $1/modules.builtin ]]; then
		printf '%s\n' "$1/modules.builtin"
	else
		printf '/dev/null\n'
	fi
}

# $1: modules dir; prints config lines: the modules to preload, and the missing ones
__vm_preload_lists() {
	local dir=$1 have missing
	[[ -n $dir ]] || return 0
	{
		read -r have
		read -r missing
	} < <(awk -v want="${MPTH_VM_MODULES-$__VM_DEFAULT_MODULES}" "$__VM_AWK_MODULES"'
	END {
		c = split(want, w, /[ \t\n]+/)
		for (i = 1; i <= c; i++) {
			if (w[i] == "") continue
			if (norm(w[i]) in file || norm(w[i]) in builtin) have = have " " w[i]
			else missing = missing " " w[i]
		}
		print have "."
		print missing "."
	}
	' "$dir/modules.dep" "$(__vm_builtin_list "$dir")")
	# The dots keep read from dropping an empty line.
	have=${have%.}
	missing=${missing%.}
	printf 'MPTH_VM_PRELOAD=%q\n' "${have# }"
	printf 'MPTH_VM_MISSING=%q\n' "${missing# }"
}

# $1: binary, $2: initramfs root; copies it and the shared libraries it needs
__vm_copy_binary() {
	local bin=$1 root=$2 lib
	mkdir -p "$root${bin%/*}"
	cp -L "$bin" "$root$bin"
	while IFS= read -r lib; do
		[[ -n $lib && -e $lib ]] || continue
		mkdir -p "$root${lib%/*}"
		cp -L "$lib" "$root$lib"
	done < <(ldd "$bin" 2>/dev/null | sed -nE 's/.*=> (\/[^ ]+) .*/\1/p; s/^[[:space:]]*(\/[^ ]+) \(.*/\1/p')
}

# $1: modules dir (may be empty), $2: output cpio
__vm_build_initramfs() {
	local mods=$1 out=$2 root rel ko n=0 bash_bin busybox_bin
	root=${out%.cpio}.d
	mkdir -p "$root"/{bin,sbin,proc,sys,dev,modules,newroot,lower,upper,ctl}
	busybox_bin=$(command -v busybox)
	bash_bin=$(command -v bash)
	__vm_copy_binary "$busybox_bin" "$root"
	[[ $busybox_bin == /bin/busybox ]] || cp -L "$busybox_bin" "$root/bin/busybox"
	__vm_copy_binary "$bash_bin" "$root"
	[[ $bash_bin == /bin/bash ]] || cp -L "$bash_bin" "$root/bin/bash"
	cp "$__VM_DIR/vm-init.sh" "$root/init"
	chmod 755 "$root/init"
	: >"$root/modules/order"
	if [[ -n $mods ]]; then
		# shellcheck disable=SC2086 # the list is split on purpose
		while IFS= read -r rel; do
			n=$((n + 1))
			ko=$(printf '%02d-%s' "$n" "${rel##*/}")
			ko=${ko%%.ko*}.ko
			# Busybox insmod takes plain ELF only: decompress here.
			case $rel in
			*.ko.xz) xz -dc "$mods/$rel" >"$root/modules/$ko" ;;
			*.ko.zst) zstd -dcq "$mods/$rel" >"$root/modules/$ko" ;;
			*.ko.gz) gzip -dc "$mods/$rel" >"$root/modules/$ko" ;;
			*) cp "$mods/$rel" "$root/modules/$ko" ;;
			esac || { __vm_err "cannot unpack module $rel"; return 1; }
			printf '%s\n' "$ko" >>"$root/modules/order"
		done < <(__vm_module_closure "$mods" $__VM_BOOT_MODULES)
	fi
	(cd "$root" && find . | busybox cpio -o -H newc 2>/dev/null) >"$out" || return 1
	rm -rf "$root"
}

# The guest mounts its own tmpfs on /tmp, /var/tmp and /run, which would
# hide a checkout (or cwd) there. Print, as config lines, the ones of these
# dirs under them, outermost first: vm-init.sh carries each over its tmpfs.
# $@: dirs (empty ones ignored)
__vm_keep_dirs() {
	local d n=0
	while IFS= read -r d; do
		[[ -n $d ]] || continue
		case $d/ in
		/tmp/?* | /var/tmp/?* | /run/?*) ;;
		*) continue ;;
		esac
		printf 'MPTH_VM_KEEP_%d=%q\n' "$n" "$d"
		n=$((n + 1))
	done < <(for d; do [[ -z $d ]] || (cd "$d" 2>/dev/null && pwd -P); done | awk '{ print length($0) "\t" $0 }' | sort -k1,1n -k2 -u | cut -f2-)
	printf 'MPTH_VM_KEEP_COUNT=%d\n' "$n"
}

# $1: output file, $2: cwd, $3: work dir, $4..: command; writes the script the guest runs
__vm_write_cmd() {
	local out=$1 cwd=$2 workdir=$3 name
	shift 3
	{
		printf '# generated by vm.sh: runs in the guest under the host root\n'
		printf 'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n'
		printf 'export HOME=/root TERM=dumb MPTH_IN_VM=1\n'
		for name in $(compgen -e) ${MPTH_VM_ENV:-}; do
			case $name in
			MPTH_* | LANG | LC_* | TZ | CI | NO_COLOR) ;;
			*) [[ " ${MPTH_VM_ENV:-} " == *" $name "* ]] || continue ;;
			esac
			[[ $name =~ ^[A-Za-z_][A-Za-z0-9_]*$ && -n ${!name+x} ]] || continue
			printf 'export %s=%q\n' "$name" "${!name}"
		done
		printf 'cd -- %q 2>/dev/null || { echo "vm: %q is not visible in the guest; running in %q" >&2; cd -- %q; } || exit 125\n' "$cwd" "$cwd" "$workdir" "$workdir"
		printf 'exec'
		printf ' %q' "$@"
		printf '\n'
	} >"$out"
}

# $1: control dir; prints the last stage the guest reported
__vm_stage() {
	local s
	# The stage before poweroff is where a guest that reported nothing failed.
	s=$(tr -d '\r' <"$1/console.log" 2>/dev/null | sed -n 's/^mpth-vm-stage: \([a-z]*\).*/\1/p' |
		grep -v '^poweroff$' | tail -n 1) || true
	case $s in
	'') echo "kernel boot, init not reached" ;;
	init) echo "init started" ;;
	modules) echo "loading the 9p/virtio modules" ;;
	root) echo "mounting the host root over 9p" ;;
	setup) echo "setting up mounts and modules" ;;
	command) echo "running the command" ;;
	*) echo "$s" ;;
	esac
}

# $1: control dir; tells what the guest console said last, for failures
__vm_console_tail() {
	[[ -s $1/console.log ]] || return 0
	__vm_err "last guest console lines:"
	tr -d '\r' <"$1/console.log" | grep -v '^mpth-vm-stage:' | tail -n 15 | sed 's/^/vm:   /' >&2 || true
}

# Kills the qemu (and helpers) this shell started, removes the control dir; idempotent.
vm_cleanup() {
	local pid i
	if [[ -n $__VM_QEMU_PID ]] && kill -0 "$__VM_QEMU_PID" 2>/dev/null; then
		kill -TERM "$__VM_QEMU_PID" 2>/dev/null || true
		for ((i = 0; i < 20; i++)); do
			kill -0 "$__VM_QEMU_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$__VM_QEMU_PID" 2>/dev/null || true
		wait "$__VM_QEMU_PID" 2>/dev/null || true
	fi
	__VM_QEMU_PID=
	for pid in $__VM_WATCHDOG_PID "${__VM_CAT_PIDS[@]}"; do
		{ kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; } || true
	done
	__VM_WATCHDOG_PID=
	__VM_CAT_PIDS=()
	if [[ -n $__VM_CTL && -d $__VM_CTL ]]; then
		if [[ -n ${MPTH_VM_CONSOLE:-} ]]; then
			cp "$__VM_CTL/console.log" "$MPTH_VM_CONSOLE" 2>/dev/null || __vm_err "cannot copy the console log to $MPTH_VM_CONSOLE"
		fi
		if [[ ${MPTH_VM_KEEP:-0} == 1 ]]; then
			__vm_err "kept control dir $__VM_CTL"
		else
			rm -rf "$__VM_CTL"
		fi
	fi
	__VM_CTL=
	return 0
}

# $1: qemu pid, $2: pid to outlive, $3: seconds, $4: control dir
__vm_watchdog() {
	local qpid=$1 parent=$2 deadline=$((SECONDS + $3)) ctl=$4 orphan=0
	# Kills qemu at the deadline, or as soon as the caller is gone, so that no
	# guest outlives the run even when the caller was killed with SIGKILL.
	while kill -0 "$qpid" 2>/dev/null; do
		if ((SECONDS >= deadline)); then
			: >"$ctl/timeout"
			break
		fi
		if ! kill -0 "$parent" 2>/dev/null; then
			orphan=1
			break
		fi
		sleep 0.5
	done
	if kill -TERM "$qpid" 2>/dev/null; then
		sleep 2
		kill -KILL "$qpid" 2>/dev/null || true
	fi
	# Nobody else is left to remove the control dir.
	if [[ $orphan == 1 && ${MPTH_VM_KEEP:-0} != 1 ]]; then
		rm -rf "$ctl"
	fi
	return 0
}

# $1: signal; stops the guest, then hands the signal to the caller's own trap
__vm_on_signal() {
	vm_cleanup
	trap - INT TERM HUP
	eval "${__VM_SAVED_TRAPS:-}"
	kill -s "$1" "$BASHPID"
}

# $1: vmlinuz, $2: modules dir ("" for none), $3: timeout s, $4: workdir, $5: --, $6..: command
vm_run() {
	local vmlinuz=${1:-} mods=${2:-} timeout_s=${3:-} workdir=${4:-} ctl boot accel cwd rc i self
	local -a qemu_args
	VM_STATUS=usage
	VM_BOOT_S=
	if [[ $# -lt 6 || $5 != -- ]]; then
		__vm_err "usage: vm_run VMLINUZ MODULES_DIR TIMEOUT_S WORKDIR -- CMD [ARG...]"
		return 2
	fi
	shift 5
	vm_qemu_available || return 2
	__vm_check_image "$vmlinuz" || return 2
	if [[ -n $mods ]]; then
		__vm_check_modules_dir "$mods" || return 2
		mods=$(cd "$mods" && pwd -P)
	fi
	if [[ ! $timeout_s =~ ^[1-9][0-9]*$ ]]; then
		__vm_err "timeout must be a positive number of seconds, not '$timeout_s'"
		return 2
	fi
	if [[ -z $workdir ]] || ! mkdir -p "$workdir" 2>/dev/null; then
		__vm_err "work dir '$workdir' cannot be created"
		return 2
	fi
	workdir=$(cd "$workdir" && pwd -P)
	__vm_need_tool busybox busybox-static || return 2
	# The guest runs the host's modprobe against the guest kernel's modules.
	[[ -z $mods ]] || __vm_need_tool modprobe kmod || return 2
	vm_cleanup
	VM_STATUS=vmfail
	ctl=$(mktemp -d "${TMPDIR:-/tmp}/mpth-vm.XXXXXX") || return 125
	__VM_CTL=$ctl
	if ! __vm_build_initramfs "$mods" "$ctl/initramfs.cpio"; then
		__vm_err "cannot build the initramfs"
		vm_cleanup
		return 125
	fi
	cwd=$(pwd -P)
	{
		printf 'MPTH_VM_WORKDIR=%q\n' "$workdir"
		printf 'MPTH_VM_MODULES_DIR=%q\n' "$mods"
		__vm_preload_lists "$mods"
		printf 'MPTH_VM_FAKE_NO_MPTCP=%q\n' "${MPTH_VM_FAKE_NO_MPTCP:-0}"
		printf 'MPTH_VM_PRELOAD_WAIT=%q\n' "${MPTH_VM_PRELOAD_WAIT:-0}"
		__vm_keep_dirs "$cwd" "${MPTH_ROOT:-}"
	} >"$ctl/config"
	__vm_write_cmd "$ctl/cmd" "$cwd" "$workdir" "$@"
	boot=$(__vm_boot_image "$vmlinuz")
	accel=$(vm_accel "$vmlinuz")
	# shellcheck disable=SC2054 # commas separate qemu sub-options, not array items
	qemu_args=(
		-name "mpth-vm,process=mpth-vm" -accel "$accel" -m "${MPTH_VM_MEM:-2G}" -smp "${MPTH_VM_SMP:-2}"
		-nodefaults -no-user-config -display none -monitor none -no-reboot
		-kernel "$boot" -initrd "$ctl/initramfs.cpio"
		# pci=noacpi: ACPI IRQ routing costs about 1 s of AML interpretation under TCG.
		-append "console=ttyS0 quiet panic=-1 mitigations=off pci=noacpi rdinit=/init ${MPTH_VM_APPEND:-}"
		-chardev "file,id=con,path=$ctl/console.log" -serial chardev:con
		-chardev "file,id=out,path=$ctl/out" -serial chardev:out
		-chardev "file,id=err,path=$ctl/err" -serial chardev:err
		-fsdev "local,id=fsroot,path=/,security_model=none,readonly=on,multidevs=remap"
		-device virtio-9p-pci,fsdev=fsroot,mount_tag=mpthroot
		-fsdev "local,id=fswork,path=$workdir,security_model=none,multidevs=remap"
		-device virtio-9p-pci,fsdev=fswork,mount_tag=mpthwork
		-fsdev "local,id=fsctl,path=$ctl,security_model=none"
		-device virtio-9p-pci,fsdev=fsctl,mount_tag=mpthctl
		-device virtio-rng-pci
	)
	[[ $accel == kvm ]] && qemu_args+=(-cpu host)
	if [[ -n ${MPTH_VM_RW_DIRS:-} ]]; then
		local -a rw_dirs
		local d n=0
		IFS=: read -r -a rw_dirs <<<"$MPTH_VM_RW_DIRS"
		for d in "${rw_dirs[@]}"; do
			[[ -d $d ]] || continue
			d=$(cd "$d" && pwd -P)
			qemu_args+=(-fsdev "local,id=fsrw$n,path=$d,security_model=none,multidevs=remap"
				-device "virtio-9p-pci,fsdev=fsrw$n,mount_tag=mpthrw$n")
			printf 'MPTH_VM_RW_%d=%q\n' "$n" "$d" >>"$ctl/config"
			n=$((n + 1))
		done
		printf 'MPTH_VM_RW_COUNT=%q\n' "$n" >>"$ctl/config"
	fi
	# The guest's stdout and stderr come out of two serial ports into FIFOs.
	mkfifo "$ctl/out" "$ctl/err"
	cat "$ctl/out" &
	__VM_CAT_PIDS+=($!)
	cat "$ctl/err" >&2 &
	__VM_CAT_PIDS+=($!)
	__VM_SAVED_TRAPS=$(trap -p INT TERM HUP)
	trap '__vm_on_signal INT' INT
	trap '__vm_on_signal TERM' TERM
	trap '__vm_on_signal HUP' HUP
	"$__VM_QEMU" "${qemu_args[@]}" </dev/null >"$ctl/qemu.log" 2>&1 &
	__VM_QEMU_PID=$!
	# Words of a background command expand in the child: take our pid first.
	self=$BASHPID
	__vm_watchdog "$__VM_QEMU_PID" "$self" "$timeout_s" "$ctl" </dev/null >/dev/null 2>&1 &
	__VM_WATCHDOG_PID=$!
	rc=0
	wait "$__VM_QEMU_PID" || rc=$?
	# wait returns early when a trapped signal arrives; the trap ran cleanup.
	__VM_QEMU_PID=
	# Let the readers drain what the guest wrote last; qemu closed the FIFOs.
	for ((i = 0; i < 30; i++)); do
		kill -0 "${__VM_CAT_PIDS[@]}" 2>/dev/null || break
		sleep 0.1
	done
	trap - INT TERM HUP
	eval "${__VM_SAVED_TRAPS:-}"
	if [[ -s $ctl/rc ]]; then
		rc=$(<"$ctl/rc")
		VM_STATUS=$(cat "$ctl/status" 2>/dev/null || echo ok)
		# shellcheck disable=SC2034 # read by the caller
		VM_BOOT_S=$(cat "$ctl/boot_s" 2>/dev/null)
		if [[ $VM_STATUS == vmfail ]]; then
			__vm_console_tail "$ctl"
		fi
		# The command's result is known even if the power-off then hung.
		[[ ! -e $ctl/timeout ]] || __vm_err "guest reported exit code $rc but did not power off within $timeout_s s"
	elif [[ -e $ctl/timeout ]]; then
		__vm_err "guest did not finish within $timeout_s s (boot stage: $(__vm_stage "$ctl"))"
		VM_STATUS=timeout
		rc=124
	else
		__vm_err "guest stopped without reporting an exit code (qemu status $rc, boot stage: $(__vm_stage "$ctl"))"
		if [[ -s $ctl/qemu.log ]]; then
			sed 's/^/vm: qemu: /' "$ctl/qemu.log" | tail -n 5 >&2 || true
		fi
		__vm_console_tail "$ctl"
		VM_STATUS=vmfail
		rc=125
	fi
	# Where the guest got to: a kernel that never reached the command
	# could not be tested (run.sh --bisect reads it).
	# shellcheck disable=SC2034 # read by the caller
	VM_LAST_STAGE=$(__vm_stage "$ctl")
	vm_cleanup
	return "$rc"
}

# ---------------------------------------------------------------- run.sh
# run.sh's VM and matrix dispatch, on top of the runner above: the same
# command run again inside a VM booting another kernel (--kernel, with
# qemu or virtme-ng), the scenarios that need netem run in a VM during
# `test` on a kernel without it, `matrix` (the scenarios on each kernel, a
# table), and `--bisect` (exit codes for `git bisect run`). They read
# run.sh's options (COMMAND, TARGETS, PASS_ARGS, OPT_*), record results
# for its reports (lib/report.sh) and use its exit codes (EXIT_*,
# die_untestable).

# $1: kernel spec. True if it is one run.sh can use.
vm_spec_valid() {
	[[ $1 == host || $1 =~ ^debian:[0-9][0-9.+a-z~-]*$ || -f $1 || -d $1 ]]
}

# Run this same command inside a VM that boots another kernel, and exit
# with its result. $1: kernel spec (debian:VERSION or an image path)
vm_rerun() {
	local spec=$1 art rc=0 inner=()
	vm_qemu_available || exit "$EXIT_USAGE"
	vm_kernel_resolve "$spec" "$OPT_MODULES" >/dev/null || rc=$?
	case $rc in
	0) ;;
	5) die "$EXIT_USAGE" "cannot fetch kernel '$spec': apt-get download failed" ;;
	*)
		# Not a kernel run.sh can boot (said above): a bisection skips it.
		[[ ${MPTH_BISECT:-0} != 1 ]] || die_untestable "kernel '$spec' cannot be booted"
		exit "$EXIT_USAGE"
		;;
	esac
	cli_preflight
	runner_build_samples
	art=${OPT_ARTIFACTS:-$MPTH_ROOT/artifacts/$(date +%Y%m%d-%H%M%S)-vm-${spec//[^A-Za-z0-9.]/_}}
	(umask 077 && mkdir -p "$art") || die "$EXIT_USAGE" "cannot create $art"
	# The guest writes only where the host can see it: the work dir.
	inner=(--no-install --artifacts "$art/run" "${PASS_ARGS[@]}")
	[[ -z $OPT_JSON ]] || inner+=(--json "$art/summary.json")
	[[ -z $OPT_JUNIT ]] || inner+=(--junit "$art/junit.xml")
	[[ -z $COMMAND ]] || inner+=("$COMMAND")
	inner+=("${TARGETS[@]}")
	if __vm_use_vng "$spec"; then
		__vm_rerun_vng "$spec" "$art" "${inner[@]}"
	fi
	log_info "booting $spec ($VM_VMLINUZ, $(vm_accel "$VM_VMLINUZ")); artifacts in $art"
	rc=0
	vm_run "$VM_VMLINUZ" "$VM_MODULES_DIR" "$OPT_VM_TIMEOUT" "$art" -- \
		"$MPTH_ROOT/run.sh" "${inner[@]}" || rc=$?
	case $VM_STATUS in
	nomptcp) die_untestable "kernel '$spec' has no MPTCP" ;;
	usage) rc=$EXIT_USAGE ;;
	timeout | vmfail)
		log_err "the VM run of '$spec' did not complete ($VM_STATUS)"
		rc=$EXIT_FAIL
		# Under --bisect: a kernel that never got to run the tests is
		# skipped; one that hung or died while they ran is bad.
		[[ ${MPTH_BISECT:-0} != 1 || ${VM_LAST_STAGE:-} == "running the command" ]] ||
			die_untestable "kernel '$spec' did not get to run the tests (boot stage: ${VM_LAST_STAGE:-unknown})"
		;;
	esac
	[[ -z $OPT_JSON || ! -s $art/summary.json ]] || cp "$art/summary.json" "$OPT_JSON"
	[[ -z $OPT_JUNIT || ! -s $art/junit.xml ]] || cp "$art/junit.xml" "$OPT_JUNIT"
	exit "$rc"
}

# virtme-ng, where installed, runs a kernel developer's own image (it knows
# kernel build trees and their modules); Debian kernels always go through
# vm.sh. MPTH_VM_RUNNER=qemu|vng forces one. $1: kernel spec
__vm_use_vng() {
	case ${MPTH_VM_RUNNER:-auto} in
	qemu) return 1 ;;
	vng) command -v vng >/dev/null || die "$EXIT_USAGE" "MPTH_VM_RUNNER=vng but vng is not installed" ;;
	*) [[ $1 != debian:* ]] && command -v vng >/dev/null || return 1 ;;
	esac
}

# Run through vng and exit with the run's code. Not exercised by our own
# CI: vng is not packaged for Debian 12. $1: spec, $2: artifacts dir,
# $3...: run.sh arguments
__vm_rerun_vng() {
	local spec=$1 art=$2 rc=0
	shift 2
	log_info "booting $spec with vng; artifacts in $art"
	timeout --kill-after=10 "$OPT_VM_TIMEOUT" vng --run "$spec" --user root \
		--cpus 2 --memory 2G --rwdir "$art" --cwd "$MPTH_ROOT" \
		--exec "$(printf '%q ' env MPTH_IN_VM=1 "$MPTH_ROOT/run.sh" "$@")" || rc=$?
	((rc != 124)) || log_err "vng: the VM did not finish within $OPT_VM_TIMEOUT s"
	exit "$rc"
}

# For `test` on a kernel without netem: run the scenarios that need it in
# a VM booting a Debian kernel (MPTH_TEST_VM_KERNEL, default debian:6.1),
# and count their results with the rest. $@: scenario files
vm_test_stage() {
	local spec=${MPTH_TEST_VM_KERNEL:-debian:6.1} art rc=0 json f row
	art=$MPTH_ARTIFACTS/vm-${spec//[^A-Za-z0-9.]/_}
	mkdir -p "$art"
	printf '# scenarios that need netem, in a VM booting %s: %s\n' "$spec" \
		"$(for f in "$@"; do basename "$f" .bats; done | tr '\n' ' ')"
	if ! vm_qemu_available || ! vm_kernel_resolve "$spec" >/dev/null; then
		for f in "$@"; do
			SUMMARY_ROWS+=("vm:$(basename "$f" .bats)	1	0	0	1	0		VM unavailable: no qemu or no kernel $spec")
			TOTAL_SKIP=$((TOTAL_SKIP + 1))
			runner_tap_result ok "vm:$(basename "$f" .bats)" "VM unavailable: no qemu or no kernel $spec"
		done
		VM_PENDING=()
		return 0
	fi
	# The guest's own TAP document is nested in ours.
	local nest nest_pid
	exec {nest}> >(sed -u 's/^/# /')
	nest_pid=$!
	vm_run "$VM_VMLINUZ" "$VM_MODULES_DIR" "$OPT_VM_TIMEOUT" "$art" -- \
		"$MPTH_ROOT/run.sh" --no-install --artifacts "$art/run" --json "$art/summary.json" \
		"${PASS_ARGS[@]}" "$@" >&"$nest" || rc=$?
	exec {nest}>&-
	wait "$nest_pid" 2>/dev/null || true
	json=$art/summary.json
	if [[ $VM_STATUS != ok || ! -s $json ]]; then
		TOTAL_FAIL=$((TOTAL_FAIL + 1))
		SUMMARY_ROWS+=("vm:$spec	1	0	1	0	0		")
		for f in "$@"; do
			runner_tap_result 'not ok' "$spec:$(basename "$f" .bats): the VM run did not complete: $VM_STATUS (exit $rc)"
		done
		VM_PENDING=()
		return 0
	fi
	local name p fl sk why
	for f in "$@"; do
		name=${f##*/} name=${name%.bats}
		read -r p fl sk why < <(jq -r --arg n "$name" '[.scenarios[] | select(.name == $n)] |
			"\(map(.passed) | add // 0) \(map(.failed) | add // 0) \(map(.skipped) | add // 0) \(.[0].skip_reason // "")"' "$json")
		if ((fl > 0 || p + sk == 0)); then
			runner_tap_result 'not ok' "$spec:$name"
		elif ((p == 0)); then
			runner_tap_result ok "$spec:$name" "${why:-every test skipped}"
		else
			runner_tap_result ok "$spec:$name"
		fi
	done
	# shellcheck disable=SC2034 # read by lib/runner.sh (a signal prints what is pending)
	VM_PENDING=()
	TOTAL_PASS=$((TOTAL_PASS + $(jq .passed "$json")))
	TOTAL_FAIL=$((TOTAL_FAIL + $(jq .failed "$json")))
	TOTAL_SKIP=$((TOTAL_SKIP + $(jq .skipped "$json")))
	while IFS= read -r row; do
		SUMMARY_ROWS+=("$row")
	done < <(jq -r --arg k "$spec" '.scenarios[] | ["\($k):\(.name)", .iteration, .passed,
		.failed, .skipped, (.seconds * 1000 | floor),
		(.figures | to_entries | map("\(.key)=\(.value)") | join(" ")),
		(.skip_reason // ""), (.tests // [] | tojson)] | map(tostring) | join("\t")' "$json")
}

# Run the scenarios on each kernel and print a table: scenario by kernel.
vm_matrix() {
	local kernels=() k slug base rc json name cell row
	[[ -n $OPT_KERNELS ]] || die "$EXIT_USAGE" "matrix needs --kernels LIST, e.g. --kernels host,debian:6.1"
	((${#TARGETS[@]})) || die "$EXIT_USAGE" "matrix needs scenario names, or all"
	IFS=, read -r -a kernels <<<"$OPT_KERNELS"
	for k in "${kernels[@]}"; do
		vm_spec_valid "$k" ||
			die "$EXIT_USAGE" "unknown kernel spec '$k' (want host, debian:VERSION, an image file or a kernel build tree)"
	done
	base=${OPT_ARTIFACTS:-$MPTH_ROOT/artifacts/$(date +%Y%m%d-%H%M%S)-matrix}
	(umask 077 && mkdir -p "$base") || die "$EXIT_USAGE" "cannot create $base"
	# One TAP document: a result per kernel, each kernel's run nested.
	runner_tap_begin "${#kernels[@]}"
	local nest nest_pid
	for k in "${kernels[@]}"; do
		slug=${k//[^A-Za-z0-9.]/_}
		log_info "matrix: kernel $k"
		local args=(--no-install --artifacts "$base/$slug" --json "$base/$slug.json" "${PASS_ARGS[@]}")
		[[ $k == host ]] || args+=(--kernel "$k" --vm-timeout "$OPT_VM_TIMEOUT")
		rc=0
		exec {nest}> >(sed -u 's/^/# /')
		nest_pid=$!
		"$0" "${args[@]}" "${TARGETS[@]}" >&"$nest" || rc=$?
		exec {nest}>&-
		wait "$nest_pid" 2>/dev/null || true
		echo "$rc" >"$base/$slug.rc"
		case $rc in
		0) runner_tap_result ok "kernel $k" ;;
		4) runner_tap_result ok "kernel $k" "every test skipped" ;;
		*) runner_tap_result 'not ok' "kernel $k: exit $rc" ;;
		esac
	done
	# Rows: every scenario any kernel ran.
	echo "#"
	row=$(printf '# %-14s' SCENARIO)
	for k in "${kernels[@]}"; do
		row+=$(printf ' | %-28s' "$k")
	done
	echo "$row"
	for name in $(cat "$base"/*.json 2>/dev/null | jq -r '.scenarios[].name' | sort -u); do
		row=$(printf '# %-14s' "$name")
		for k in "${kernels[@]}"; do
			json=$base/${k//[^A-Za-z0-9.]/_}.json
			cell=$(jq -r --arg n "$name" '
				[.scenarios[] | select(.name == $n)] as $r
				| if ($r | length) == 0 then "-"
				elif ($r | map(.failed) | add) > 0 then "FAIL \($r | map(.failed) | add) of \($r | map(.passed + .failed + .skipped) | add)"
				elif ($r | map(.passed) | add) > 0 then "pass \($r | map(.passed) | add)"
				else "skip: \($r[0].skip_reason // "?")" end' "$json" 2>/dev/null) ||
				cell="error (exit $(cat "${json%.json}.rc" 2>/dev/null))"
			row+=$(printf ' | %-28s' "${cell:0:28}")
		done
		echo "$row"
	done
	# Under the table, what each FAIL cell holds: the failing tests, each
	# with its first failed check.
	for k in "${kernels[@]}"; do
		json=$base/${k//[^A-Za-z0-9.]/_}.json
		if [[ ! -s $json ]]; then
			echo "# $k: no result (exit $(cat "${json%.json}.rc" 2>/dev/null))"
			continue
		fi
		jq -r --arg k "$k" '.scenarios[] | .name as $s | .tests[]? | select(.status == "fail") |
			"# \($k) \($s): not ok \(.number) \(.name)" +
			([.checks[]? | select(.status == "fail")][0] |
				if . then " (\(.what): got \(.got), want \(.op) \(.bound))" else "" end)' "$json"
	done
	cat "$base"/*.json 2>/dev/null | jq -s -r '
		"\(map(.passed) | add // 0) passed, \(map(.failed) | add // 0) failed, \(map(.skipped) | add // 0) skipped"'
	for k in "${kernels[@]}"; do
		rc=$(cat "$base/${k//[^A-Za-z0-9.]/_}.rc" 2>/dev/null)
		[[ $rc == 0 || $rc == 4 ]] || exit "$EXIT_FAIL"
	done
	exit 0
}

# --bisect: run this same command as a child and turn its exit code into
# what `git bisect run` reads: 0 good, 1 bad, 125 skip, and above 127 stop.
# A signal is passed on to the child, whose own cleanup runs; its 130, 143
# or 129 stops the bisection. $@: the command line
vm_bisect() {
	local rc=0 child a s args=()
	for a in "$@"; do
		[[ $a == --bisect ]] || args+=("$a")
	done
	MPTH_BISECT=1 "$0" "${args[@]}" &
	child=$!
	for s in INT TERM HUP; do
		# shellcheck disable=SC2064 # the signal's name and the pid, now
		trap "kill -$s $child 2>/dev/null" "$s"
	done
	# wait returns when a trapped signal arrives: wait again.
	while :; do
		wait "$child"
		rc=$?
		kill -0 "$child" 2>/dev/null || break
	done
	case $rc in
	0 | 1 | 125 | 129 | 130 | 143) ;;
	4)
		log_err "bisect: every test was skipped: this kernel cannot be judged: exit 125"
		rc=125
		;;
	*)
		log_err "bisect: the harness could not run (exit $rc): exit 128 stops the bisection"
		rc=128
		;;
	esac
	exit "$rc"
}
