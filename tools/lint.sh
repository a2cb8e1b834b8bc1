#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make lint: checkpatch --strict on every project source, then the modules
# rebuilt with W=1 and sparse on every file (C=2).
set -uo pipefail
. "$(dirname "$0")/vm/lib.sh"
cd "$REPO_DIR"
kdir=$(kernel_dir)
rc=0

mapfile -t files < <(git ls-files -co --exclude-standard -- \
	'drivers/*.c' 'drivers/*.h' 'include/*.h' \
	'tools/testing/selftests/*.c' 'tools/testing/selftests/*.h' 'tools/demo/*.c' \
	'tools/bench/*.c' 'tools/lib/*.c' 'tools/lib/*.h')
"$kdir/scripts/checkpatch.pl" --no-tree --strict --quiet \
	--ignore SPDX_LICENSE_TAG,FILE_PATH_CHANGES -f "${files[@]}" || rc=1

log=$(mktemp)
make -s -C "$kdir" M="$REPO_DIR" W=1 C=2 modules >"$log" 2>&1 || rc=1
if grep -E 'warning:|error:' "$log"; then
	rc=1
fi
rm -f "$log"
[ $rc -eq 0 ] && echo "lint: clean"
exit $rc
