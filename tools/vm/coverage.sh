#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make coverage: make check's guest run with vfio-mdom profiled by gcov,
# then line and branch coverage per file of drivers/vfio_mdom and the
# error-unwinding labels no test reached.
#
# The test kernel has CONFIG_GCOV_KERNEL but profiles nothing of its own;
# the modules are built again with VFIO_MDOM_GCOV=1 (GCOV_PROFILE in
# drivers/vfio_mdom/Kbuild) from a copy of the sources in
# .build/coverage/src, so the repo's own modules, those of make check,
# stay unprofiled. check.sh runs the guest with those modules
# (CHECK_MODULES) and copies their .gcda files out once they are unloaded
# (CHECK_GCOV); gcovr (Debian's, run with the host's gcov, the compiler
# that built the modules) reads them next to the .gcno files of the build.
#
# Prints the table and the labels, also in .build/coverage/coverage.txt;
# gcovr's JSON is .build/coverage/gcovr.json. Fails when make check's run
# fails (the numbers are printed all the same); the coverage target
# (Documentation/testing.rst) is reported, not enforced.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

bash "$VM_DIR/setup-host.sh" gcovr || exit 1
kdir=$("$VM_DIR/build-kernel.sh") || exit 1
grep -qx CONFIG_GCOV_KERNEL=y "$kdir/.config" ||
	die "$kdir has no CONFIG_GCOV_KERNEL (tools/vm/kernel.config)"

cov=$REPO_DIR/.build/coverage
src=$cov/src
mkdir -p "$src"
copy_module_sources "$src"
find "$src" -name '*.gcda' -delete
echo "coverage: building the modules with gcov in $src" >&2
make -s -C "$kdir" M="$src" VFIO_MDOM_GCOV=1 modules >&2 ||
	die "the gcov build of the modules failed"

CHECK_OUT=$cov/check CHECK_MODULES=$src CHECK_GCOV=1 "$VM_DIR/check.sh"
check_rc=$?

if ! cp -r "$cov/check/gcov/." "$src/" 2>/dev/null; then
	echo "coverage: the guest run left no gcov data ($cov/check/gcov)" >&2
	exit 1
fi
# Only the module's own sources: not its KUnit suites, not the tracepoint
# boilerplate (trace.c expands trace.h's TRACE_EVENT()s), not the
# compile-time ABI check (no code).
# kbuild compiles from the kernel tree: gcov resolves the paths of the
# headers the .gcno files name from there.
(cd "$src" && gcovr --root . --object-directory "$kdir" \
	--json "$cov/gcovr.json" \
	--filter 'drivers/vfio_mdom/[^/]+\.[ch]$' \
	--exclude 'drivers/vfio_mdom/trace\.[ch]$' \
	--exclude 'drivers/vfio_mdom/vfio_abi_check\.c$' \
	drivers/vfio_mdom) || die "gcovr failed"
python3 "$VM_DIR/coverage-report.py" "$cov/gcovr.json" "$src" \
	drivers/vfio_mdom | tee "$cov/coverage.txt"
[ $check_rc -eq 0 ] || echo "coverage: make check's run failed (above): the numbers are of that run" >&2
exit $check_rc
