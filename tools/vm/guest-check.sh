#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the guest (make check -> check.sh -> run.sh): load the
# modules, run every KUnit module and every selftest, unload, and leave the
# raw results in OUT for check.sh to count:
#   OUT/kunit/<suite>.ktap      one file per KUnit suite (from debugfs)
#   OUT/selftests/<name>.tap    kselftest harness output, <name>.rc status
#   OUT/guest-env               what the selftests need and this guest has:
#                               "edu N" (edu devices on vfio-pci), "mock 0|1"
#                               (mock IOMMU loaded), "mdom 0|1" (vfio_mdom
#                               loaded, its parameters readable)
#   OUT/setup-errors            number of set-up steps that failed
set -u
out=${1:?usage: guest-check.sh OUT}
cd "$(dirname "$0")/../.."
. tools/vm/guest-setup.sh

rm -rf "$out/kunit" "$out/selftests"
mkdir -p "$out/kunit" "$out/selftests"
kunit_dbg=/sys/kernel/debug/kunit

bind_edu_to_vfio
load_project_modules

# KUnit: suites run when their module loads; results stay in debugfs
# until the module is removed.
before=$(ls $kunit_dbg 2>/dev/null)
kunit_mods=()
for ko in $(find drivers -name '*_kunit.ko' | sort); do
	echo "== KUnit: $ko"
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

{
	echo "edu $(edu_on_vfio_count)"
	[ -r /sys/kernel/debug/vfio_mdom_mock_iommu/devices ] && echo "mock 1" || echo "mock 0"
	[ -r /sys/module/vfio_mdom/parameters/vfio_backend ] && echo "mdom 1" || echo "mdom 0"
} >"$out/guest-env"

# Selftests: every *_test binary, each in its own process with a time limit.
for t in tools/testing/selftests/vfio_mdom/*_test; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	echo "== selftest: $name"
	start=$(date +%s)
	(cd "$(dirname "$t")" && timeout -k 10 1200 "./$name") \
		>"$out/selftests/$name.tap" 2>&1
	echo $? >"$out/selftests/$name.rc"
	grep -E '^(not )?ok |^# (Totals|FAIL)' "$out/selftests/$name.tap"
	echo "== selftest: $name: $(($(date +%s) - start)) s"
done

unload_project_modules
echo "$MDOM_SETUP_ERRORS" >"$out/setup-errors"
exit 0
