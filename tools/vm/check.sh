#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check: run every test in the VM and print one summary line
# "N passed, N failed, N skipped" (KUnit cases and selftest cases summed).
#
# KUnit results are parsed with the kernel tree's own
# tools/testing/kunit/kunit.py; selftest results are the kselftest
# harness totals. Exit status is non-zero on any failed test, any failed
# set-up step (module load/unload), a crashed selftest, a kernel log that
# is not clean, and on anything that would let a test not run unseen:
#   - a selftest or KUnit suite of tools/vm/expected-tests without
#     results, or one with results that is not listed there;
#   - a guest without something the tests need (OUT/guest-env from
#     guest-check.sh: edu devices, modules, IOMMU debugfs, ...);
#   - a selftest that skipped a test;
#   - a KUnit case that skipped, unless tools/vm/kunit-skips allows it.
#
# Environment: CHECK_OUT=DIR (results; default .build/check-DATE),
# CHECK_TIMEOUT=S (the VM run), and for make coverage CHECK_MODULES=DIR
# (the modules built in DIR, under the repo) and CHECK_GCOV=1 (their gcov
# data copied to OUT/gcov).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

kdir=$("$VM_DIR/build-kernel.sh") || exit 1
out=${CHECK_OUT:-$REPO_DIR/.build/check-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
expected=$VM_DIR/expected-tests
kunit_skips=$VM_DIR/kunit-skips

guest_env=()
[ -n "${CHECK_MODULES:-}" ] && guest_env+=("MDOM_MODULES=$CHECK_MODULES")
[ "${CHECK_GCOV:-0}" = 1 ] && guest_env+=(MDOM_GCOV=1)
"$VM_DIR/run.sh" --timeout "${CHECK_TIMEOUT:-3000}" --out "$out" -- \
	env ${guest_env[@]+"${guest_env[@]}"} tools/vm/guest-check.sh "$out"
vm_rc=$?

passed=0
failed=0
skipped=0

# The names of one kind ("selftest" or "kunit") in tools/vm/expected-tests
expected_of() {
	sed -e 's/#.*//' "$expected" | awk -v k="$1" '$1 == k { print $2 }'
}

# Every expected name of KIND has results in DIR/NAME.EXT, and every
# result there is expected.
check_expected() {
	local kind=$1 dir=$2 ext=$3 name f

	while read -r name; do
		[ -e "$dir/$name.$ext" ] && continue
		echo "check: $kind $name did not run (tools/vm/expected-tests)" >&2
		failed=$((failed + 1))
	done < <(expected_of "$kind")
	for f in "$dir"/*."$ext"; do
		[ -e "$f" ] || continue
		name=$(basename "$f" ".$ext")
		expected_of "$kind" | grep -qxF "$name" && continue
		echo "check: $kind $name ran but is not in tools/vm/expected-tests: add \"$kind $name\" there" >&2
		failed=$((failed + 1))
	done
}

if [ ! -r "$expected" ]; then
	echo "check: no $expected" >&2
	failed=$((failed + 1))
fi

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
	# "passed failed skipped", then one "SUITE.CASE" line per skipped
	# case that tools/vm/kunit-skips does not allow
	python3 - "$out/kunit.json" "$kunit_skips" >"$out/kunit.counts" <<'PY'
import json, sys
p = f = s = 0
bad = []
allowed = set()
try:
    for line in open(sys.argv[2]):
        line = line.split("#", 1)[0].split()
        if line:
            allowed.add(line[0])
except OSError:
    pass
def ok_skip(path):
    return any(path == a or path.startswith(a + ".") for a in allowed)
def walk(g, prefix):
    global p, f, s
    for c in g.get("test_cases", []):
        path = prefix + c["name"]
        if c["status"] == "PASS":
            p += 1
        elif c["status"] == "SKIP":
            s += 1
            if not ok_skip(path):
                bad.append(path)
        else:
            f += 1
    for sub in g.get("sub_groups", []):
        walk(sub, prefix + sub["name"] + ".")
try:
    walk(json.load(open(sys.argv[1])), "")
except Exception:
    f += 1
print(p, f, s)
for b in bad:
    print(b)
PY
	read -r kp kf ks <"$out/kunit.counts"
	passed=$((passed + kp))
	failed=$((failed + kf))
	skipped=$((skipped + ks))
	nbad=$(tail -n +2 "$out/kunit.counts" | wc -l)
	if [ "$nbad" -gt 0 ]; then
		echo "check: KUnit cases skipped that tools/vm/kunit-skips does not allow:" >&2
		tail -n +2 "$out/kunit.counts" | sed 's/^/  /' >&2
		failed=$((failed + nbad))
	fi
else
	echo "check: no KUnit results" >&2
	failed=$((failed + 1))
fi
check_expected kunit "$out/kunit" ktap

# Does this guest have everything the tests need? ("NAME HAVE NEED")
if [ -s "$out/guest-env" ]; then
	while read -r what have need; do
		[ "$have" -ge "$need" ] 2>/dev/null && continue
		echo "check: the guest lacks $what (has ${have:-?}, the tests need ${need:-?})" >&2
		failed=$((failed + 1))
	done <"$out/guest-env"
else
	echo "check: the guest did not say what it has ($out/guest-env)" >&2
	failed=$((failed + 1))
fi

# Selftests: harness totals; a binary that died without totals is a
# failure, and so is a skip: the guest has all they need.
for tap in "$out"/selftests/*.tap; do
	[ -e "$tap" ] || continue
	name=$(basename "$tap" .tap)
	selftest_count check "$name" "$tap" \
		"$(cat "$out/selftests/$name.rc" 2>/dev/null || echo 1)"
	if [ "$ts" -gt 0 ]; then
		echo "check: selftest $name skipped $ts test(s):" >&2
		grep -a '^ok .* # SKIP' "$tap" | sed 's/^/  /' >&2
		failed=$((failed + 1))
	fi
done
check_expected selftest "$out/selftests" tap

setup_errors=$(cat "$out/setup-errors" 2>/dev/null || echo 1)
if [ "$setup_errors" != 0 ]; then
	echo "check: $setup_errors set-up step(s) failed in the guest" >&2
	failed=$((failed + 1))
fi
if [ $vm_rc -ne 0 ]; then
	echo "check: the VM run failed (see above; logs in $out)" >&2
	failed=$((failed + 1))
fi

echo "results: $out"
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
