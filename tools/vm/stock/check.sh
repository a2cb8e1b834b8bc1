#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check-stock: vfio-mdom on Debian's own kernel, as a user installs it.
#
#   tools/vm/stock/check.sh [TEST...]
#
# Installs linux-image-6.12-amd64 and linux-headers-6.12-amd64 (and what
# the rest needs) if missing, builds and installs vfio_mdom.ko with DKMS
# for that kernel against its headers alone (build-module.sh), boots it in
# the test machine (run.sh) and runs guest-check.sh there: VFIO loaded with
# the modprobe.d snippet, then each TEST (default: the names listed in
# tools/vm/stock/selftests, built here). Prints
# "N passed, N failed, N skipped" (kselftest totals, plus one failure for
# each set-up step, crashed test or VM failure) and fails unless all
# passed: the listed tests need nothing this guest lacks, so a skip fails
# the run too.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

tests=("$@")
if [ ${#tests[@]} -eq 0 ]; then
	mapfile -t tests < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' \
		"$STOCK_DIR/selftests")
fi

failed=0
passed=0
skipped=0
summary() {
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
	exit
}

"$STOCK_DIR/setup.sh" || { failed=1; summary; }
# The tests alone, built against the test kernel's uapi headers and
# kselftest harness, so that another selftest that does not build does
# not stop this run.
kdir=$("$VM_DIR/build-kernel.sh") || { failed=1; summary; }
if ! make -s -C "$REPO_DIR/tools/testing/selftests/vfio_mdom" KDIR="$kdir" \
	"${tests[@]%% *}"; then
	echo "check-stock: building the selftests failed" >&2
	failed=1
	summary
fi
t0=$(date +%s)
if ! modroot=$("$STOCK_DIR/build-module.sh"); then
	echo "check-stock: the DKMS build failed" >&2
	failed=1
	summary
fi
echo "check-stock: DKMS build and install: $(($(date +%s) - t0)) s"

out=$REPO_DIR/.build/check-stock-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
t0=$(date +%s)
"$STOCK_DIR/run.sh" --timeout "${CHECK_STOCK_TIMEOUT:-1200}" --out "$out" -- \
	tools/vm/stock/guest-check.sh "$out" "$modroot" "${tests[@]}"
vm_rc=$?
echo "check-stock: VM run: $(($(date +%s) - t0)) s"

# kselftest totals; a binary that died without them is a failure.
for entry in "${tests[@]}"; do
	name=${entry%% *}
	selftest_count check-stock "$name" "$out/selftests/$name.tap" \
		"$(cat "$out/selftests/$name.rc" 2>/dev/null || echo 1)"
done

if [ "$skipped" -ne 0 ]; then
	echo "check-stock: $skipped test(s) skipped in a guest that has all they need" >&2
	failed=$((failed + 1))
fi
setup_errors=$(cat "$out/setup-errors" 2>/dev/null || echo 1)
if [ "$setup_errors" != 0 ]; then
	echo "check-stock: $setup_errors set-up step(s) failed in the guest" >&2
	failed=$((failed + 1))
fi
if [ $vm_rc -ne 0 ]; then
	echo "check-stock: the VM run failed (see above; logs in $out)" >&2
	failed=$((failed + 1))
fi
echo "results: $out"
summary
