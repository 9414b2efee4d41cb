#!/bin/bash
# Guest init for vm.sh: runs as PID 1 from the initramfs that vm.sh builds
# (static busybox for the applets, the host's bash and its libraries so that
# this script is bash, this script as /init, the 9p/virtio/overlay modules in
# /modules). It mounts the host root over 9p under a RAM overlay, the
# writable shares on top, proc/sys/dev and tmpfs dirs, preloads the harness's
# modules, runs /ctl/cmd in a chroot of that root, writes the exit code to
# /ctl/rc and resets the machine (qemu runs with -no-reboot, so it exits).
#
# Channels: ttyS0 is the console (a log file on the host, "mpth-vm-stage:"
# lines mark progress), ttyS1 carries the command's stdout, ttyS2 its stderr.
# The control share (/ctl) holds config (sourced), cmd, and gets rc, status
# (ok | nomptcp | vmfail) and boot_s (uptime when the command started).
#
# Exit codes written to rc besides the command's own: 3 no MPTCP in this
# kernel, 125 the guest could not be set up.

# The kernel asks for modules by running /sbin/modprobe in the initramfs
# root, which is linked here: hand them to the host's kmod in the chroot.
if [[ ${0##*/} == modprobe ]]; then
	exec chroot /newroot /sbin/modprobe "$@"
fi

export PATH=/bin:/sbin
NEWROOT=/newroot
MSIZE=262144

# $1: stage name; the host shows the last one when the guest hangs
__vm_stage() {
	local up
	read -r up _ </proc/uptime 2>/dev/null
	echo "mpth-vm-stage: $1 ${up:-}"
}

# $1: rc, $2: status, $3..: message; reports and powers off
__vm_finish() {
	local rc=$1 status=$2
	shift 2
	if [[ $# -gt 0 ]]; then
		echo "vm: $*"
		[[ -c /dev/ttyS2 ]] && echo "vm: $*" >/dev/ttyS2
	fi
	if grep -q ' /ctl 9p ' /proc/mounts 2>/dev/null; then
		echo "$status" >/ctl/status
		echo "$rc" >/ctl/rc
	fi
	__vm_stage poweroff
	sync
	# A reset ends qemu (-no-reboot), ACPI or not; PID 1 must never exit.
	reboot -f
	while :; do
		sleep 1000
	done
}

# $1: tag, $2: mount point, $3: extra options
__vm_mount_9p() {
	mount -t 9p -o "trans=virtio,version=9p2000.L,msize=$MSIZE${3:+,$3}" "$1" "$2"
}

# $1: what, $2: where inside the new root, $3..: mount options
__vm_mount_in_root() {
	local what=$1 where=$NEWROOT$2
	shift 2
	mkdir -p "$where" 2>/dev/null
	mount "$@" "$what" "$where"
}

/bin/busybox --install -s /bin
ln -sf /init /sbin/modprobe
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# Raw ports for the command's output: no \r added to every \n, no echo.
stty -F /dev/ttyS1 raw -echo 2>/dev/null
stty -F /dev/ttyS2 raw -echo 2>/dev/null
__vm_stage init

__vm_stage modules
while read -r ko; do
	[[ -n $ko ]] || continue
	insmod "/modules/$ko" || echo "vm: insmod $ko failed"
done </modules/order

__vm_mount_9p mpthctl /ctl ||
	__vm_finish 125 vmfail "cannot mount the control share: no 9p/virtio in this kernel (a modular kernel needs its modules dir)"
# shellcheck source=/dev/null # written by vm.sh at run time
. /ctl/config
[[ -f /ctl/cmd ]] || __vm_finish 125 vmfail "no command in the control share"

__vm_stage root
__vm_mount_9p mpthroot /lower ro,cache=loose || __vm_finish 125 vmfail "cannot mount the host root over 9p"
# A RAM overlay lets the guest write anywhere (and bind the guest's modules
# over /lib/modules) without touching the host; plain read-only otherwise.
mount -t tmpfs -o mode=0755 tmpfs /upper
mkdir -p /upper/rw /upper/work
if ! mount -t overlay overlay -o lowerdir=/lower,upperdir=/upper/rw,workdir=/upper/work "$NEWROOT" 2>/dev/null; then
	echo "vm: no overlayfs: the host root stays read-only in the guest"
	mount --bind /lower "$NEWROOT" || __vm_finish 125 vmfail "cannot bind the host root"
fi

__vm_stage setup
__vm_mount_in_root proc /proc -t proc
__vm_mount_in_root sysfs /sys -t sysfs
__vm_mount_in_root devtmpfs /dev -t devtmpfs
__vm_mount_in_root devpts /dev/pts -t devpts -o gid=5,mode=0620,ptmxmode=0666
__vm_mount_in_root tmpfs /dev/shm -t tmpfs -o mode=1777
# devtmpfs has no /dev/fd: bash's process substitution and tee need it.
ln -sfn /proc/self/fd "$NEWROOT/dev/fd"
ln -sfn /proc/self/fd/0 "$NEWROOT/dev/stdin"
ln -sfn /proc/self/fd/1 "$NEWROOT/dev/stdout"
ln -sfn /proc/self/fd/2 "$NEWROOT/dev/stderr"
__vm_mount_in_root cgroup2 /sys/fs/cgroup -t cgroup2 2>/dev/null
__vm_mount_in_root bpf /sys/fs/bpf -t bpf -o mode=0700 2>/dev/null
# A checkout under /tmp, /var/tmp or /run would be hidden by the tmpfs
# mounted there: hold its overlay view aside (writable, in RAM) and put it
# back at the same path on top of the tmpfs.
held=()
for ((i = 0; i < ${MPTH_VM_KEEP_COUNT:-0}; i++)); do
	var=MPTH_VM_KEEP_$i
	mkdir -p "/keep/$i"
	if mount --bind "$NEWROOT${!var}" "/keep/$i"; then
		held+=("$i")
	else
		echo "vm: cannot hold ${!var}: it will not be visible"
	fi
done
for dir in /tmp /var/tmp; do
	__vm_mount_in_root tmpfs "$dir" -t tmpfs -o mode=1777
done
__vm_mount_in_root tmpfs /run -t tmpfs -o mode=0755
for i in "${held[@]}"; do
	var=MPTH_VM_KEEP_$i
	mkdir -p "$NEWROOT${!var}" && mount --move "/keep/$i" "$NEWROOT${!var}" ||
		echo "vm: cannot put ${!var} back over the guest's tmpfs"
done
mkdir -p "$NEWROOT/run/mpth-vm"
mount --bind /ctl "$NEWROOT/run/mpth-vm"

if [[ -n $MPTH_VM_MODULES_DIR ]]; then
	# /lib may be a symlink in the host root: resolve it there, not here.
	# shellcheck disable=SC2016 # $1 expands in the chroot's shell
	moddir=$(chroot "$NEWROOT" /bin/sh -c 'mkdir -p "/lib/modules/$1" 2>/dev/null; readlink -f "/lib/modules/$1"' sh "$(uname -r)")
	if [[ -n $moddir ]] && mount --bind "$NEWROOT$MPTH_VM_MODULES_DIR" "$NEWROOT$moddir"; then
		echo /sbin/modprobe >/proc/sys/kernel/modprobe
		[[ -z $MPTH_VM_MISSING ]] || echo "vm: not in this kernel: $MPTH_VM_MISSING"
		# One modprobe for all (one per module costs seconds under TCG), in
		# the background: it takes ~3 s under TCG, and whatever the command
		# needs before then the kernel loads on demand through the shim.
		if [[ -n $MPTH_VM_PRELOAD ]]; then
			# shellcheck disable=SC2086 # the module list is split on purpose
			chroot "$NEWROOT" /sbin/modprobe -a -q $MPTH_VM_PRELOAD &
			preload_pid=$!
		fi
	else
		echo "vm: cannot bind the modules dir; modprobe will not work in the guest"
	fi
fi

# Under /tmp the work dir is hidden by the guest's tmpfs: create the mount point.
mkdir -p "$NEWROOT$MPTH_VM_WORKDIR" 2>/dev/null
__vm_mount_9p mpthwork "$NEWROOT$MPTH_VM_WORKDIR" cache=mmap ||
	__vm_finish 125 vmfail "cannot mount the work dir $MPTH_VM_WORKDIR"
for ((i = 0; i < ${MPTH_VM_RW_COUNT:-0}; i++)); do
	var=MPTH_VM_RW_$i
	mkdir -p "$NEWROOT${!var}" 2>/dev/null
	__vm_mount_9p "mpthrw$i" "$NEWROOT${!var}" cache=mmap || echo "vm: cannot mount ${!var} writable"
done

hostname mpth-vm
chroot "$NEWROOT" ip link set lo up 2>/dev/null

if [[ ! -e /proc/sys/net/mptcp/enabled ]]; then
	chroot "$NEWROOT" /sbin/modprobe -q mptcp 2>/dev/null
fi
if [[ ! -e /proc/sys/net/mptcp/enabled || ${MPTH_VM_FAKE_NO_MPTCP:-0} == 1 ]]; then
	__vm_finish 3 nomptcp "guest kernel has no MPTCP"
fi

if [[ -n ${preload_pid:-} && ${MPTH_VM_PRELOAD_WAIT:-0} == 1 ]] && ! wait "$preload_pid"; then
	echo "vm: some of these modules did not load: $MPTH_VM_PRELOAD"
fi

# Pipes, not the ttys, so the command sees what it sees on the host under a
# test runner, and a daemon it leaves behind cannot hold the guest open.
mkfifo /cmd.out /cmd.err
cat /cmd.out >/dev/ttyS1 &
out_pid=$!
cat /cmd.err >/dev/ttyS2 &
err_pid=$!
read -r boot_s _ </proc/uptime
echo "$boot_s" >/ctl/boot_s
__vm_stage command
chroot "$NEWROOT" /bin/bash /run/mpth-vm/cmd </dev/null >/cmd.out 2>/cmd.err
rc=$?
for ((i = 0; i < 20; i++)); do
	kill -0 "$out_pid" 2>/dev/null || kill -0 "$err_pid" 2>/dev/null || break
	sleep 0.1
done
kill "$out_pid" "$err_pid" 2>/dev/null
__vm_finish "$rc" ok
