#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Fail (exit 1) when a guest console log shows a kernel problem.
#
#   check-log.sh [--allow REGEX]... CONSOLE_LOG [KMEMLEAK_REPORT]
#
# Looked for: oops, BUG, WARNING, KASAN/UBSAN reports, lockdep splats,
# hung tasks, RCU stalls, panics, and any leak in the kmemleak report.
# IOMMU fault lines (e.g. "DMAR: [DMA Read ...] ... fault addr") are not
# problems: tests provoke them on purpose. A line matching an --allow
# regex is never reported.
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
hits=$(printf '%s\n' "$hits" | sed '/^$/d')
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
