#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check-stock: vfio-mdom on Debian's own kernels, as a user installs it.
#
#   tools/vm/stock/check.sh [TEST...]
#
# For each kernel of STOCK_KERNELS (lib.sh: Debian 12's default 6.1 and
# its 6.12), installed with its headers if missing (setup.sh): builds and
# installs vfio_mdom.ko with DKMS for that kernel against its headers alone
# (build-module.sh), boots it in the test machine (run.sh) and runs
# guest-check.sh there: VFIO loaded with the modprobe.d snippet, then each
# TEST (default: the names listed in tools/vm/stock/selftests, built here)
# on vfio-mdom, and again on the same kernel's type1 as the reference
# (those that can run there: their source asks mdom_test_on_type1()).
#
# Then the kernel of STOCK_AMD_IMAGE (6.12) once more, on QEMU's AMD IOMMU
# instead of the Intel one (run.sh --iommu amd), with the names listed in
# tools/vm/stock/selftests-amd (or each TEST): its pass is "RELEASE/amd-iommu"
# in what follows, and in tools/vm/stock/skips.
#
# Prints one line per pass, "check-stock: RELEASE: N passed, N failed,
# N skipped (...)", then "N passed, N failed, N skipped" summing them
# (kselftest totals, plus one failure for each set-up step, crashed test or
# VM failure), and fails unless all passed. A skip is a failure unless
# tools/vm/stock/skips lists it (a feature that kernel, or type1, does not
# have), and then it is printed with its reason; a listed skip that did
# not happen is a failure too, so the list stays true.
# CHECK_STOCK_KERNELS="PATTERN..." tests only the passes matching one of
# the shell patterns (6.1.*; */amd-iommu: the AMD pass alone).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

# The selftests of list file $1, one a line
list_tests() {
	sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$1"
}

intel_tests=("$@")
amd_tests=("$@")
if [ $# -eq 0 ]; then
	mapfile -t intel_tests < <(list_tests "$STOCK_DIR/selftests")
	mapfile -t amd_tests < <(list_tests "$STOCK_DIR/selftests-amd")
fi
tests=()

failed=0
passed=0
skipped=0
total_passed=0
total_failed=0
total_skipped=0
summary() {
	echo "$total_passed passed, $total_failed failed, $total_skipped skipped"
	[ "$total_failed" -eq 0 ]
	exit
}
fail_all() {
	echo "check-stock: $*" >&2
	total_failed=$((total_failed + 1))
	summary
}

"$STOCK_DIR/setup.sh" || fail_all "installing the stock kernels failed"
mapfile -t kvers < <(stock_kvers) || true
[ ${#kvers[@]} -eq ${#STOCK_KERNELS[@]} ] ||
	fail_all "not every kernel of STOCK_KERNELS is installed"
# The tests alone, built against the test kernel's uapi headers and
# kselftest harness, so that another selftest that does not build does
# not stop this run.
kdir=$("$VM_DIR/build-kernel.sh") || fail_all "no test kernel tree"
mapfile -t binaries < <(printf '%s\n' "${intel_tests[@]%% *}" \
	"${amd_tests[@]%% *}" | sort -u)
make -s -C "$REPO_DIR/tools/testing/selftests/vfio_mdom" KDIR="$kdir" \
	"${binaries[@]}" || fail_all "building the selftests failed"

# The skips of tools/vm/stock/skips for KVER and BACKEND: "SELFTEST TEST
# REASON" lines.
listed_skips() {
	local kver=$1 backend=$2 b k rest
	while read -r b k rest; do
		[ "$b" = "$backend" ] || continue
		# shellcheck disable=SC2254
		case "$kver" in $k) echo "$rest" ;; esac
	done < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$STOCK_DIR/skips")
}

# The names of the tests that skipped in DIR/NAME.tap, with the reason:
# "TEST REASON" lines.
tap_skips() {
	grep -a -E '^ok [0-9]+ [^ ]+ # SKIP' "$1/$2.tap" 2>/dev/null |
		sed -E 's/^ok [0-9]+ ([^ ]+) # SKIP ?(.*)/\1 \2/'
}

# Does shell pattern $2 match $1?
matches() {
	# shellcheck disable=SC2254
	case "$1" in $2) return 0 ;; esac
	return 1
}

# check_skips KVER BACKEND DIR: every skip in DIR/*.tap must be listed
# (it is printed with its reason), and every listed one must happen; one
# failure for each that is not so.
check_skips() {
	local kver=$1 backend=$2 dir=$3 listed entry name test why s t r found
	listed=$(listed_skips "$kver" "$backend")
	for entry in "${tests[@]}"; do
		name=${entry%% *}
		while read -r test why; do
			found=
			while read -r s t r; do
				if [ "$s" = "$name" ] && matches "$test" "$t"; then
					found=$r
					break
				fi
			done <<<"$listed"
			if [ -n "$found" ]; then
				echo "check-stock: $kver: $backend: $name: $test skipped (listed): $found"
			else
				echo "check-stock: $kver: $backend: $name: $test skipped, not listed in tools/vm/stock/skips: $why" >&2
				failed=$((failed + 1))
			fi
		done < <(tap_skips "$dir" "$name")
	done
	while read -r s t r; do
		[ -n "$s" ] || continue
		found=
		while read -r test why; do
			matches "$test" "$t" && found=1
		done < <(tap_skips "$dir" "$s")
		[ -n "$found" ] && continue
		echo "check-stock: $kver: $backend: listed skip '$s $t' did not happen: delete it from tools/vm/stock/skips" >&2
		failed=$((failed + 1))
	done <<<"$listed"
}

# The module root of each release built in this run (build-module.sh)
declare -A modroots

# One pass: build (once per release), boot KVER on IOMMU (intel, amd),
# run the tests of the array tests, count. PASS names it (RELEASE, or
# RELEASE/amd-iommu). Sets passed, failed, skipped.
check_kernel() {
	local kver=$1 pass=$2 iommu=$3 modroot out t0 vm_rc entry name backend dir errs
	passed=0 failed=0 skipped=0
	t0=$(date +%s)
	modroot=${modroots[$kver]:-}
	if [ -z "$modroot" ]; then
		if ! modroot=$("$STOCK_DIR/build-module.sh" "$kver"); then
			echo "check-stock: $kver: the DKMS build failed" >&2
			failed=1
			return
		fi
		modroots[$kver]=$modroot
		echo "check-stock: $kver: DKMS build and install: $(($(date +%s) - t0)) s"
	fi

	out=$REPO_DIR/.build/check-stock-$(date +%Y%m%d-%H%M%S)-${pass//\//-}
	mkdir -p "$out"
	t0=$(date +%s)
	"$STOCK_DIR/run.sh" "$kver" --timeout "${CHECK_STOCK_TIMEOUT:-1800}" \
		--out "$out" --iommu "$iommu" -- \
		tools/vm/stock/guest-check.sh "$out" "$modroot" "${tests[@]}"
	vm_rc=$?
	echo "check-stock: $pass: VM run: $(($(date +%s) - t0)) s"

	# kselftest totals; a binary that died without them is a failure.
	for backend in vfio-mdom type1; do
		dir=$out/selftests
		[ "$backend" = type1 ] && dir=$out/type1
		for entry in "${tests[@]}"; do
			name=${entry%% *}
			# as guest-check.sh chooses them
			[ "$backend" = type1 ] &&
				! grep -q mdom_test_on_type1 \
					"$REPO_DIR/tools/testing/selftests/vfio_mdom/$name.c" &&
				continue
			selftest_count "check-stock: $pass: $backend" "$name" \
				"$dir/$name.tap" \
				"$(cat "$dir/$name.rc" 2>/dev/null || echo 1)"
		done
		check_skips "$pass" "$backend" "$dir"
	done
	errs=$(cat "$out/setup-errors" 2>/dev/null || echo 1)
	if [ "$errs" != 0 ]; then
		echo "check-stock: $pass: $errs set-up step(s) failed in the guest" >&2
		failed=$((failed + 1))
	fi
	if [ $vm_rc -ne 0 ]; then
		echo "check-stock: $pass: the VM run failed (see above; logs in $out)" >&2
		failed=$((failed + 1))
	fi
	echo "check-stock: $pass: results in $out"
}

# run_pass KVER PASS IOMMU: check_kernel unless CHECK_STOCK_KERNELS leaves
# PASS out; adds its counts to the totals.
run_pass() {
	local t0 k
	if [ -n "${CHECK_STOCK_KERNELS:-}" ]; then
		for k in $CHECK_STOCK_KERNELS; do
			matches "$2" "$k" && break
		done || return 0
	fi
	t0=$(date +%s)
	check_kernel "$@"
	echo "check-stock: $2: $passed passed, $failed failed, $skipped skipped (vfio-mdom and the type1 reference, $(($(date +%s) - t0)) s)"
	total_passed=$((total_passed + passed))
	total_failed=$((total_failed + failed))
	total_skipped=$((total_skipped + skipped))
}

tests=("${intel_tests[@]}")
for kver in "${kvers[@]}"; do
	run_pass "$kver" "$kver" intel
done
amd_kver=$(stock_kver "$STOCK_AMD_IMAGE") ||
	fail_all "$STOCK_AMD_IMAGE is not installed"
tests=("${amd_tests[@]}")
run_pass "$amd_kver" "$amd_kver/amd-iommu" amd
summary
