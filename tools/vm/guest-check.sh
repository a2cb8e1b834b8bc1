#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the guest (make check -> check.sh -> run.sh): load the
# modules, run every KUnit module and every selftest, unload, and leave the
# raw results in OUT for check.sh to count:
#   OUT/kunit/<suite>.ktap      one file per KUnit suite (from debugfs)
#   OUT/selftests/<name>.tap    kselftest harness output, <name>.rc status
#   OUT/guest-env               what the tests need and this guest has, one
#                               "NAME HAVE NEED" a line ("edu 2 2": edu
#                               devices on vfio-pci); check.sh fails the
#                               run on any HAVE < NEED
#   OUT/setup-errors            number of set-up steps that failed
#   OUT/gcov/<path>.gcda        with MDOM_GCOV=1 (make coverage): the gcov
#                               data of the modules, taken once they are
#                               unloaded (the kernel keeps it, gcov_persist)
# MDOM_MODULES=DIR loads the modules built in DIR (make coverage's gcov
# build) instead of the repo's own.
set -u
out=${1:?usage: guest-check.sh OUT}
cd "$(dirname "$0")/../.."
. tools/vm/guest-setup.sh
moddir=$(cd "${MDOM_MODULES:-.}" && pwd)

rm -rf "$out/kunit" "$out/selftests" "$out/gcov"
mkdir -p "$out/kunit" "$out/selftests"
kunit_dbg=/sys/kernel/debug/kunit

bind_test_devices
load_project_modules "$moddir"

# KUnit: suites run when their module loads; results stay in debugfs
# until the module is removed.
before=$(ls $kunit_dbg 2>/dev/null)
kunit_mods=()
for ko in $(find "$moddir/drivers" -name '*_kunit.ko' | sort); do
	echo "== KUnit: ${ko#"$moddir"/}"
	load_module "$ko" && kunit_mods+=("$(basename "$ko" .ko)")
done
for s in $(ls $kunit_dbg 2>/dev/null); do
	grep -qxF "$s" <<<"$before" && continue
	cp "$kunit_dbg/$s/results" "$out/kunit/$s.ktap"
	grep -E '^ {4}(not )?ok ' "$kunit_dbg/$s/results" | sed "s/^/  $s: /"
done
for m in ${kunit_mods[@]+"${kunit_mods[@]}"}; do
	rmmod "$m" || setup_err "rmmod $m failed"
done

# What the selftests need, "NAME HAVE NEED": a test that needs something
# more gets a line here (check.sh fails the run when HAVE < NEED, so a
# guest that lacks it fails instead of skipping the test).
have() { [ "$@" ] && echo 1 || echo 0; }
edu_bdf=$(for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor")/$(cat "$d/device")" = 0x1234/0x11e8 ] &&
		echo "${d##*/}" && break
done)
{
	echo "edu $(edu_on_vfio_count) 2"
	echo "mdom $(have -r /sys/module/vfio_mdom/parameters/vfio_backend) 1"
	echo "mock $(have -r /sys/kernel/debug/vfio_mdom_mock_iommu/devices) 1"
	echo "mock_emulated $(have -r /sys/kernel/debug/vfio_mdom_mock_iommu/emulated/emu0/group) 1"
	echo "type1 $(have -d /sys/module/vfio_iommu_type1) 1"
	echo "noiommu $(have -e /sys/module/vfio/parameters/enable_unsafe_noiommu_mode) 1"
	echo "intel_pt $(have -r "/sys/kernel/debug/iommu/intel/$edu_bdf/domain_translation_struct") 1"
	echo "fault_injection $(have -w /sys/kernel/debug/failslab/probability -a -w /sys/kernel/debug/fail_page_alloc/probability) 1"
	echo "kmemleak $(have -w /sys/kernel/debug/kmemleak) 1"
	echo "memcg $(have -n "$(grep -ow memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null)") 1"
	echo "qemu $(have -x /usr/bin/qemu-system-x86_64) 1"
	echo "e1000 $(pci_on_vfio_count 0x8086 0x100e) 2"
	echo "dpdk $(have -x /usr/bin/dpdk-testpmd) 1"
	echo "nvme $(pci_on_vfio_count 0x1b36 0x0010) 1"
	echo "qemu_io $(have -x /usr/bin/qemu-io) 1"
	echo "libvirt $(have -x /usr/sbin/libvirtd -a -x /usr/bin/virsh) 1"
} >"$out/guest-env"

# Selftest binary T, in its own process with a time limit, its results
# as NAME (default: T's own name).
run_selftest() {
	local t=$1 name=${2:-$(basename "$1")} start

	echo "== selftest: $name"
	start=$(date +%s)
	(cd "$(dirname "$t")" && timeout -k 10 1200 "./$(basename "$t")") \
		>"$out/selftests/$name.tap" 2>&1
	echo $? >"$out/selftests/$name.rc"
	grep -E '^(not )?ok |^# (Totals|FAIL)' "$out/selftests/$name.tap"
	echo "== selftest: $name: $(($(date +%s) - start)) s"
}

# Selftests: every *_test binary.
for t in tools/testing/selftests/vfio_mdom/*_test; do
	[ -x "$t" ] || continue
	run_selftest "$t"
done

# The map, unmap and charge tests again with every map of two pages or
# more pinned on all the CPUs (pin_parallel.c), as parallel_pin.NAME.
params=/sys/module/vfio_mdom/parameters
if echo 2 >$params/parallel_pin_min && echo Y >$params/parallel_pin; then
	for name in api_test account_test oracle_test; do
		run_selftest "tools/testing/selftests/vfio_mdom/$name" \
			"parallel_pin.$name"
	done
	echo N >$params/parallel_pin
	echo 16384 >$params/parallel_pin_min
else
	setup_err "cannot set vfio_mdom's parallel_pin"
fi

unload_project_modules

# gcov keeps the counts of an unloaded module's objects under their build
# path (kernel/gcov/fs.c): copy them once nothing runs them any more.
if [ "${MDOM_GCOV:-0}" = 1 ]; then
	gcov=/sys/kernel/debug/gcov$moddir
	# (a pipe: the guest has no /dev/fd for a process substitution)
	find "$gcov" -name '*.gcda' 2>/dev/null | while IFS= read -r f; do
		rel=${f#"$gcov"/}
		mkdir -p "$out/gcov/$(dirname "$rel")"
		cat "$f" >"$out/gcov/$rel"
	done
	n=$(find "$out/gcov" -name '*.gcda' 2>/dev/null | wc -l)
	echo "== gcov: $n data files from $gcov"
	[ $n -gt 0 ] || setup_err "no gcov data in $gcov"
fi
echo "$MDOM_SETUP_ERRORS" >"$out/setup-errors"
exit 0
