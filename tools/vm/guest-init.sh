#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# PID 1 of the test guest (see run.sh): mount the basics and the repo, run
# the command written in $VM_OUT/cmd, scan for memory leaks, write the exit
# status to $VM_OUT/exitcode and power off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C.UTF-8

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
for d in /tmp /run /var/tmp /var/log /root; do
	mount -t tmpfs tmpfs "$d"
done
mount -t debugfs debugfs /sys/kernel/debug
mount -t hugetlbfs hugetlbfs /dev/hugepages 2>/dev/null
# cgroup v2, for memcg_test (a kernel without CONFIG_MEMCG has no memory
# controller there, and the test says so)
mountpoint -q /sys/fs/cgroup || mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null
# The repo may live under one of the tmpfs mounts above (a CI clone in
# /tmp): make its mount point there if needed.
mkdir -p "$VM_REPO" 2>/dev/null
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 repo "$VM_REPO" ||
	echo "guest-init: cannot mount the repo at $VM_REPO" >/dev/console
hostname vfio-mdom-vm
ulimit -c 0

# Boot-time kmemleak noise is not ours: forget it, report only new leaks.
kmemleak=/sys/kernel/debug/kmemleak
[ -w $kmemleak ] && echo clear >$kmemleak

cd "$VM_REPO"
echo "guest: running $(cat "$VM_OUT/cmd")" >/dev/console
bash -c "$(cat "$VM_OUT/cmd")" </dev/null 2>&1 | tee "$VM_OUT/output.log" >/dev/ttyS0
rc=${PIPESTATUS[0]}

if [ -w $kmemleak ]; then
	# An object must stay unreferenced for 5 s before kmemleak reports it.
	sleep 6
	echo scan >$kmemleak
	cat $kmemleak >"$VM_OUT/kmemleak.txt"
fi
echo "$rc" >"$VM_OUT/exitcode"
sync
echo "guest: command exited with $rc" >/dev/console
# Wait for the power-off with bash builtins alone: the root (9p) goes away
# while the kernel powers off, and an exec from it then fails, ending init
# (a kernel panic in the log) before the machine is off. A FIFO no one
# writes to, opened both ways, never has anything to read.
mkfifo /run/poweroff-wait
exec 9<>/run/poweroff-wait
echo o >/proc/sysrq-trigger
read -r -t 30 -u 9 _
