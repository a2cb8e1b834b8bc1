#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# /init of the initramfs that boots Debian's kernel in the VM runner
# (mkinitramfs.sh builds it): load the modules a 9p root needs, mount the
# root the kernel command line names (root=, rootfstype=, rootflags=, ro or
# rw) and hand over to its init= with the environment the kernel gave us.
/bin/busybox --install -s /bin
export PATH=/bin
mkdir -p /dev /proc /sys /newroot
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc

fail() {
	echo "initramfs: FAIL: $*"
	poweroff -f
}

while read -r m; do
	insmod "/lib/modules/$m" || fail "insmod $m"
done </lib/modules/load-order

root='' fstype='' flags='' init=/sbin/init mode=ro
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	root=*) root=${arg#root=} ;;
	rootfstype=*) fstype=${arg#rootfstype=} ;;
	rootflags=*) flags=${arg#rootflags=} ;;
	init=*) init=${arg#init=} ;;
	rw) mode=rw ;;
	esac
done
[ -n "$root" ] && [ -n "$fstype" ] || fail "no root= and rootfstype= given"
mount -t "$fstype" -o "$mode${flags:+,$flags}" "$root" /newroot ||
	fail "cannot mount $root ($fstype) as the root"
umount /proc
mount --move /dev /newroot/dev
exec switch_root /newroot "$init"
