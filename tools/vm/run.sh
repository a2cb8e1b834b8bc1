#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot the test kernel under QEMU (TCG) and run one command inside.
#
#   tools/vm/run.sh [--timeout SECONDS] [--out DIR] [--allow-log RE]
#                   [--kernel BZIMAGE --initrd INITRAMFS] [--qemu-arg ARG]...
#                   [--iommu intel|amd] [--icount] -- COMMAND [ARGS...]
#
# The guest is a q35 machine with an emulated Intel IOMMU (interrupt
# remapping on) and two QEMU edu PCI devices behind it, and two e1000
# NICs (82540EM) joined on one QEMU hub for DPDK and an NVMe disk
# (OUT/nvme.img, 64 MiB) for QEMU's nvme:// driver (clients_test). They
# are functions 0, 1 and 2 of slot 2, where QEMU's default NIC would be
# (a -netdev drops it): every other device keeps its address and IOMMU
# group (the edu devices 00:03.0 and 00:04.0), and the three share group
# 2 (no ACS between functions). As with virtme-ng,
# the host root is its root file system, shared read-only over 9p, and the
# repo is shared read-write at the same path. COMMAND runs as root with the
# repo as working directory; its output goes to DIR/output.log and to our
# stdout, the guest console to DIR/console.log, and its exit status comes
# back through DIR/exitcode.
#
# The run fails if COMMAND fails, if the guest does not finish within the
# time limit, or if the console log shows a kernel oops, BUG, WARNING,
# KASAN report, lockdep splat or kmemleak leak (tools/vm/check-log.sh),
# even when COMMAND itself succeeded.
#
# --qemu-arg adds ARG to QEMU's command line (-trace pci_nvme_irq_msix).
#
# --iommu amd gives the guest QEMU's AMD IOMMU (amd-iommu, interrupt
# remapping on) instead of the Intel one. Its PCI function takes the first
# free slot when it is created, before the other devices (which must be
# behind it): the machine has no VGA then, so that it gets 00:01.0 and every
# other device keeps its address.
#
# --icount runs the guest's clock on instructions (-icount shift=0: one
# virtual ns per guest instruction, one TCG thread for both vCPUs): times
# measured inside count guest instructions, whatever the host's load;
# what QEMU itself does (an IOTLB invalidation, an MMIO access) is free.
#
# The kernel is the test kernel (tools/vm/build-kernel.sh), or BZIMAGE with
# the INITRAMFS that mounts the 9p root for it (tools/vm/stock/ boots
# Debian's own kernel that way).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

timeout=900
out=
allow=()
kernel=
initrd=()
qemu_args=()
iommu=intel
accel=(-accel tcg,thread=multi)
while [ $# -gt 0 ]; do
	case "$1" in
	--timeout) timeout=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--allow-log) allow+=(--allow "$2"); shift 2 ;;
	--kernel) kernel=$2; shift 2 ;;
	--initrd) initrd=(-initrd "$2"); shift 2 ;;
	--qemu-arg) qemu_args+=("$2"); shift 2 ;;
	--iommu) iommu=$2; shift 2 ;;
	--icount) accel=(-accel tcg,thread=single -icount shift=0,sleep=off); shift ;;
	--) shift; break ;;
	*) die "unknown option $1 (usage: run.sh [--timeout S] [--out DIR] [--kernel BZIMAGE --initrd FILE] -- CMD...)" ;;
	esac
done
[ $# -gt 0 ] || die "no command given"

if [ -z "$kernel" ]; then
	kernel=$("$VM_DIR/build-kernel.sh")/arch/x86/boot/bzImage
fi
if [ -z "$out" ]; then
	out=$REPO_DIR/.build/vm-$(date +%Y%m%d-%H%M%S)-$$
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
case "$out" in
"$REPO_DIR"/*) ;;
*) die "--out must be inside the repo ($REPO_DIR): the guest writes it over 9p" ;;
esac
rm -f "$out/exitcode" "$out/output.log" "$out/console.log" "$out/kmemleak.txt"
# The NVMe disk of clients_test (QEMU's nvme:// driver), empty
rm -f "$out/nvme.img"
truncate -s 64M "$out/nvme.img"
printf '%q ' "$@" >"$out/cmd"

append=(
	console=ttyS0 panic=-1 loglevel=7 no_timer_check
	root=hostroot rootfstype=9p ro
	rootflags=trans=virtio,version=9p2000.L,msize=512000,cache=loose
	init="$VM_DIR/guest-init.sh"
	VM_REPO="$REPO_DIR" VM_OUT="$out"
)

case "$iommu" in
intel)
	append+=(intel_iommu=on intremap=on)
	iommu_dev=(-device intel-iommu,intremap=on)
	;;
amd)
	iommu_dev=(-vga none -device amd-iommu,intremap=on)
	;;
*) die "--iommu: intel or amd, not $iommu" ;;
esac

echo "vm: booting $kernel (log: $out/console.log)" >&2
set +e
timeout -k 10 "$timeout" qemu-system-x86_64 \
	"${accel[@]}" -M q35 -cpu max,la57=off -smp 2 -m 4G \
	-nographic -no-reboot -monitor none -serial "file:$out/console.log" \
	-kernel "$kernel" ${initrd[@]+"${initrd[@]}"} -append "${append[*]}" \
	"${iommu_dev[@]}" \
	-netdev hubport,id=hub0,hubid=0 -netdev hubport,id=hub1,hubid=0 \
	-device e1000,netdev=hub0,addr=0x2.0,multifunction=on \
	-device e1000,netdev=hub1,addr=0x2.1 \
	-drive file="$out/nvme.img",if=none,format=raw,id=nvme0 \
	-device nvme,serial=vfio-mdom,drive=nvme0,addr=0x2.2 \
	-device edu -device edu \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
	-virtfs local,path="$REPO_DIR",mount_tag=repo,security_model=none,multidevs=remap \
	${qemu_args[@]+"${qemu_args[@]}"} \
	</dev/null >"$out/qemu.log" 2>&1
qemu_rc=$?
set -e

[ -f "$out/output.log" ] && cat "$out/output.log"

rc=0
if [ $qemu_rc -eq 124 ] || [ $qemu_rc -eq 137 ]; then
	echo "vm: FAIL: time limit of ${timeout}s reached" >&2
	rc=1
elif [ $qemu_rc -ne 0 ]; then
	echo "vm: FAIL: qemu exited with $qemu_rc:" >&2
	cat "$out/qemu.log" >&2
	rc=1
fi
if [ ! -f "$out/exitcode" ]; then
	echo "vm: FAIL: the guest did not report an exit status (crash? see $out/console.log)" >&2
	rc=1
elif [ "$(cat "$out/exitcode")" != 0 ]; then
	echo "vm: FAIL: command exited with $(cat "$out/exitcode")" >&2
	rc=1
fi
if ! "$VM_DIR/check-log.sh" ${allow[@]+"${allow[@]}"} "$out/console.log" "$out/kmemleak.txt"; then
	echo "vm: FAIL: kernel log is not clean (see $out/console.log)" >&2
	rc=1
fi
exit $rc
