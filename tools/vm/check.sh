#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check: run every test in the VM and print one summary line
# "N passed, N failed, N skipped" (KUnit cases and selftest cases summed).
#
# KUnit results are parsed with the kernel tree's own
# tools/testing/kunit/kunit.py; selftest results are the kselftest
# harness totals. Exit status is non-zero on any failed test, any failed
# set-up step (module load/unload), a crashed selftest, a kernel log that
# is not clean, and a selftest binary that skipped tests in a guest that
# has everything they need (two edu devices on vfio-pci, the mock IOMMU
# and vfio_mdom loaded, as guest-check.sh reports in OUT/guest-env): a
# skip there hides a test that should have run.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

kdir=$("$VM_DIR/build-kernel.sh") || exit 1
out=$REPO_DIR/.build/check-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"

"$VM_DIR/run.sh" --timeout "${CHECK_TIMEOUT:-3000}" --out "$out" -- \
	tools/vm/guest-check.sh "$out"
vm_rc=$?

passed=0
failed=0
skipped=0

# KUnit: one KTAP document from the per-suite debugfs files, then kunit.py.
ktap=$out/kunit.ktap
nsuites=$(find "$out/kunit" -name '*.ktap' 2>/dev/null | wc -l)
if [ "$nsuites" -gt 0 ]; then
	{
		echo "KTAP version 1"
		echo "1..$nsuites"
		i=0
		for f in "$out"/kunit/*.ktap; do
			i=$((i + 1))
			tail -n +3 "$f" | sed -E "\$s/^(not ok|ok) 1 /\\1 $i /"
		done
	} >"$ktap"
	echo "== kunit.py parse"
	python3 "$kdir/tools/testing/kunit/kunit.py" parse \
		--json="$out/kunit.json" "$ktap" | sed 's/\x1b\[[0-9;]*m//g'
	read -r kp kf ks < <(python3 - "$out/kunit.json" <<'PY'
import json, sys
p = f = s = 0
def walk(g):
    global p, f, s
    for c in g.get("test_cases", []):
        if c["status"] == "PASS":
            p += 1
        elif c["status"] == "SKIP":
            s += 1
        else:
            f += 1
    for sub in g.get("sub_groups", []):
        walk(sub)
try:
    walk(json.load(open(sys.argv[1])))
except Exception:
    f += 1
print(p, f, s)
PY
)
	passed=$((passed + kp))
	failed=$((failed + kf))
	skipped=$((skipped + ks))
else
	echo "check: no KUnit results" >&2
	failed=$((failed + 1))
fi

# Can this guest run every selftest? (guest-check.sh: "edu N", "mock 0|1",
# "mdom 0|1")
fact() { sed -n "s/^$1 //p" "$out/guest-env" 2>/dev/null; }
complete=0
if [ "$(fact edu)" -ge 2 ] 2>/dev/null && [ "$(fact mock)" = 1 ] &&
   [ "$(fact mdom)" = 1 ]; then
	complete=1
fi

# Selftests: harness totals; a binary that died without totals is a failure.
for tap in "$out"/selftests/*.tap; do
	[ -e "$tap" ] || continue
	name=$(basename "$tap" .tap)
	selftest_count check "$name" "$tap" \
		"$(cat "$out/selftests/$name.rc" 2>/dev/null || echo 1)"
	if [ "$ts" -gt 0 ] && [ $complete = 1 ]; then
		echo "check: selftest $name skipped $ts test(s) in a guest that can run them:" >&2
		grep -a '^ok .* # SKIP' "$tap" | sed 's/^/  /' >&2
		failed=$((failed + 1))
	fi
done

setup_errors=$(cat "$out/setup-errors" 2>/dev/null || echo 1)
if [ "$setup_errors" != 0 ]; then
	echo "check: $setup_errors set-up step(s) failed in the guest" >&2
	failed=$((failed + 1))
fi
if [ $vm_rc -ne 0 ]; then
	echo "check: the VM run failed (see above; logs in $out)" >&2
	failed=$((failed + 1))
fi

if [ $complete = 0 ]; then
	echo "check: the guest lacked something the selftests need ($(tr '\n' ' ' <"$out/guest-env" 2>/dev/null)): skips allowed" >&2
fi

echo "results: $out"
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
