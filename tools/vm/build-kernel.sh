#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build (or reuse) the test kernel; print its build directory on stdout.
#
# x86_64_defconfig + the fragment of $KERNEL_FLAVOUR (lib.sh: tools/vm/
# kernel.config, less its debug section for "perf"), built in the cache
# directory named by lib.sh. Concurrent callers serialise on a lock file. The stamp
# is written last, so a build killed half way is resumed, never reused.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kdir=$(kernel_dir)
if [ -e "$kdir/$STAMP" ]; then
	echo "$kdir"
	exit 0
fi

mkdir -p "$CACHE_DIR"
exec 9>"$kdir.lock"
flock 9
if [ -e "$kdir/$STAMP" ]; then
	echo "$kdir"
	exit 0
fi

[ -r "$KSRC_TARBALL" ] || die "$KSRC_TARBALL missing (run tools/vm/setup-host.sh)"
if [ ! -e "$kdir/.vfio-mdom-unpacked" ]; then
	echo "build-kernel: unpacking $KSRC_TARBALL into $kdir" >&2
	rm -rf "$kdir"
	mkdir -p "$kdir"
	tar -C "$kdir" --strip-components=1 -xf "$KSRC_TARBALL"
	touch "$kdir/.vfio-mdom-unpacked"
fi

fragment=$kdir/.vfio-mdom-fragment
kernel_fragment >"$fragment"
cd "$kdir"
echo "build-kernel: configuring ($KERNEL_FLAVOUR)" >&2
make -s x86_64_defconfig >&2
scripts/kconfig/merge_config.sh -m .config "$fragment" >/dev/null
make -s olddefconfig >&2

# Every option of the fragment must have stuck.
bad=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*)
		grep -qxF "$line" .config || { echo "not set: $line" >&2; bad=1; }
		;;
	"# CONFIG_"*" is not set")
		opt=${line#\# }
		opt=${opt%% *}
		! grep -q "^$opt=" .config || { echo "still set: $opt" >&2; bad=1; }
		;;
	esac
done <"$fragment"
[ $bad -eq 0 ] || die "config fragment did not apply (see above)"

echo "build-kernel: building in $kdir (first time: ~15-25 min)" >&2
make -j"$(nproc)" bzImage modules >&2
touch "$STAMP"
echo "$kdir"
