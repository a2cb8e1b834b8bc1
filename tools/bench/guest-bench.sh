#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Inside the benchmark guest (tools/vm/bench.sh): prepare the machine and
# run vfio_mdom_bench.
#
#   tools/bench/guest-bench.sh [--profile FILE] MODDIR OUT SIZE_MIB PEERS BACKINGS -- BENCH_ARGS...
#
# MODDIR holds the modules built against the performance kernel
# (drivers/mock_iommu/vfio_mdom_mock_iommu.ko, and drivers/vfio_mdom/
# vfio_mdom.ko when PEERS has mdom); OUT is the CSV the samples go to.
# The edu devices, the NVMe controller and the e1000 NICs go to vfio-pci,
# THP is allowed on madvise(), and enough 2 MiB pages are reserved for the
# hugetlb buffer (op extmem reserves DPDK's own). With --profile, the rounds (not the set-up before them) are
# recorded by perf (the bench's threads, call graphs, cpu-clock) and its
# flat and inclusive profiles written to FILE.
set -uo pipefail
profile=
if [ "${1:-}" = --profile ]; then
	profile=$2
	shift 2
fi
[ $# -ge 6 ] && [ "$6" = -- ] ||
	{ echo "usage: $0 [--profile FILE] MODDIR OUT SIZE_MIB PEERS BACKINGS -- ARGS..." >&2; exit 2; }
moddir=$1 out=$2 size=$3 peers=$4 backings=$5
shift 6

. tools/vm/guest-setup.sh
bind_edu_to_vfio
# The NVMe disk: qemu-img bench through QEMU's nvme:// driver (op nvme)
bind_nvme_to_vfio
# The e1000 NICs: DPDK maps its own memory for them in a loop (op extmem)
bind_e1000_to_vfio
load_module "$moddir/drivers/mock_iommu/vfio_mdom_mock_iommu.ko"
case ",$peers," in
*,mdom,*) load_module "$moddir/drivers/vfio_mdom/vfio_mdom.ko" ;;
esac
udevadm settle 2>/dev/null || sleep 1
[ "$MDOM_SETUP_ERRORS" = 0 ] || exit 1

thp=/sys/kernel/mm/transparent_hugepage/enabled
grep -q '\[always\]' $thp || echo madvise >$thp
case ",$backings," in
*,hugetlb,*)
	want=$((size / 2))
	echo "$want" >/proc/sys/vm/nr_hugepages
	got=$(cat /proc/sys/vm/nr_hugepages)
	[ "$got" -ge "$want" ] ||
		{ echo "guest-bench: only $got of $want 2 MiB pages reserved" >&2; exit 1; }
	;;
esac

echo "guest-bench: $(uname -r), $(nproc) CPUs, $(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo) MiB"
bench=(tools/bench/vfio_mdom_bench -s "$size" -p "$peers" -b "$backings" -O "$out" "$@")
if [ -z "$profile" ]; then
	"${bench[@]}"
	rc=$?
else
	mkfifo /tmp/perf.ctl /tmp/perf.ack
	perf record -q -g -F 499 -e cpu-clock -o /tmp/perf.data -D -1 \
		--control fifo:/tmp/perf.ctl,/tmp/perf.ack -- \
		"${bench[@]}" -C /tmp/perf.ctl,/tmp/perf.ack
	rc=$?
	{
		echo "# perf profile of: ${bench[*]}"
		echo "# flat (self time), symbols above 0.5%"
		perf report -i /tmp/perf.data --stdio --no-children -g none \
			--percent-limit 0.5 --sort dso,sym 2>/dev/null
		echo "# inclusive (children), symbols above 2%"
		perf report -i /tmp/perf.data --stdio --children -g none \
			--percent-limit 2 --sort sym 2>/dev/null
	} >"$profile" || rc=1
	rm -f /tmp/perf.data
fi

echo 0 >/proc/sys/vm/nr_hugepages
grep -q '^vfio_mdom ' /proc/modules && { rmmod vfio_mdom || rc=1; }
rmmod vfio_mdom_mock_iommu || rc=1
exit $rc
