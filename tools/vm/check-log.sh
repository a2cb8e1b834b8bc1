#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Fail (exit 1) when a guest console log shows a kernel problem.
#
#   check-log.sh [--allow REGEX]... CONSOLE_LOG [KMEMLEAK_REPORT]
#
# Looked for: oops, BUG, WARNING, KASAN/UBSAN reports, lockdep splats,
# hung tasks, RCU stalls, panics, any leak in the kmemleak report, any
# interrupt remapping fault ("DMAR: [INTR-REMAP] ...") and any IOMMU
# (DMAR) fault that a test did not announce first: a test that faults a
# device on purpose writes "vfio-mdom-test: expect DMAR fault [BB:DD.F]
# addr 0xPAGE" to /dev/kmsg before it (tools/lib/edu.c). Each announcement
# covers one fault of that device at that page: a second fault needs a
# second announcement. A line matching an --allow regex is never reported.
set -uo pipefail

allow=()
while [ $# -gt 0 ]; do
	case "$1" in
	--allow) allow+=("$2"); shift 2 ;;
	*) break ;;
	esac
done
log=${1:?usage: check-log.sh [--allow RE]... CONSOLE_LOG [KMEMLEAK_REPORT]}
leaks=${2:-}

bad='(^|[^A-Za-z])(BUG:|WARNING:|Oops|general protection fault|Kernel panic|KASAN:|UBSAN:|kernel BUG at|Unable to handle kernel|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|INFO: task .* blocked|rcu_.*detected stall|watchdog: BUG|unreferenced object|kmemleak: .*suspected memory leak|Call Trace:)'

hits=$(grep -aE "$bad" "$log" 2>/dev/null)
for re in ${allow[@]+"${allow[@]}"}; do
	hits=$(printf '%s\n' "$hits" | grep -avE "$re")
done
# DMAR faults: each must follow an announcement for its device and page,
# and uses it up. Interrupt remapping faults are never expected.
faults=$(awk '
	/vfio-mdom-test: expect DMAR fault / {
		if (match($0, /\[[0-9a-f:.]+\] addr 0x[0-9a-f]+/))
			expected[substr($0, RSTART, RLENGTH)]++
		next
	}
	/DMAR: \[DMA (Read|Write)/ {
		key = ""
		if (match($0, /Request device \[[0-9a-f:.]+\]/))
			key = substr($0, RSTART + 15, RLENGTH - 15)
		if (match($0, /fault addr 0x[0-9a-f]+/))
			key = key " addr " substr($0, RSTART + 11, RLENGTH - 11)
		if (expected[key] > 0)
			expected[key]--
		else
			print "unexpected IOMMU fault: " $0
	}
	/DMAR: \[INTR-REMAP\]/ {
		print "interrupt remapping fault: " $0
	}' "$log" 2>/dev/null)
hits=$(printf '%s\n%s\n' "$hits" "$faults" | sed '/^$/d')
rc=0
if [ -n "$hits" ]; then
	echo "check-log: kernel problems in $log:" >&2
	printf '%s\n' "$hits" | head -20 | sed 's/^/  /' >&2
	rc=1
fi
if [ -n "$leaks" ] && [ -s "$leaks" ]; then
	echo "check-log: kmemleak reports leaks ($leaks):" >&2
	head -30 "$leaks" | sed 's/^/  /' >&2
	rc=1
fi
exit $rc
