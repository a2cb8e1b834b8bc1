# SPDX-License-Identifier: GPL-2.0
# Shared by the tools/vm scripts: where the test kernel lives.
#
# The kernel is unpacked and built in a cache directory outside the repo,
# keyed by the Debian linux-source version and a hash of the config
# fragment (plus RECIPE, bumped when the build steps change). A directory
# is complete only once it holds the stamp file; an interrupted build
# leaves no stamp and is resumed by the next run.
#
# Two flavours share the source and the fragment: "test" (the default; the
# debug kernel of make check and make run) and "perf" (make bench): the
# fragment without its debug section, plus kernel-perf.config. Set
# KERNEL_FLAVOUR=perf to get the second from every function here.

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$VM_DIR/../.." && pwd)
CACHE_DIR=${VFIO_MDOM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vfio-mdom}
KSRC_PKG=linux-source-6.12
KSRC_TARBALL=/usr/src/$KSRC_PKG.tar.xz
KCONFIG_FRAGMENT=$VM_DIR/kernel.config
KCONFIG_PERF=$VM_DIR/kernel-perf.config
KERNEL_FLAVOUR=${KERNEL_FLAVOUR:-test}
RECIPE=1
STAMP=.vfio-mdom-complete

die() { echo "${0##*/}: $*" >&2; exit 1; }

# The config fragment of $KERNEL_FLAVOUR on stdout.
kernel_fragment() {
	case "$KERNEL_FLAVOUR" in
	test) cat "$KCONFIG_FRAGMENT" ;;
	perf)
		# Drop the section headed "--- Debug options" up to the next
		# "# --- " marker.
		awk '/^# --- / { skip = /Debug options/ } !skip' "$KCONFIG_FRAGMENT"
		cat "$KCONFIG_PERF"
		;;
	*) die "unknown KERNEL_FLAVOUR $KERNEL_FLAVOUR (test or perf)" ;;
	esac
}

kernel_key() {
	local ver hash suffix=
	ver=$(dpkg-query -W -f='${Version}' "$KSRC_PKG" 2>/dev/null) ||
		die "$KSRC_PKG is not installed (run tools/vm/setup-host.sh)"
	hash=$( { echo "recipe $RECIPE"; kernel_fragment; } |
		sha256sum | cut -c1-12)
	[ "$KERNEL_FLAVOUR" = test ] || suffix=-$KERNEL_FLAVOUR
	echo "linux-${ver//[^A-Za-z0-9.+-]/_}-$hash$suffix"
}

kernel_dir() {
	echo "$CACHE_DIR/$(kernel_key)"
}

# The module sources as they are in the worktree, copied to DEST to be
# built out of the way (make bench, make coverage): Kbuild, drivers/,
# include/ and the scripts Kbuild runs, without what a build generated
# for another kernel (compat/probes.h, btf/).
copy_module_sources() {
	rsync -a --delete --exclude=compat/ --exclude=btf/ \
		--include='*/' --include='*.c' --include='*.h' --include='*.sh' \
		--include=Kbuild --include=Makefile --exclude='*' \
		"$REPO_DIR/Kbuild" "$REPO_DIR/drivers" "$REPO_DIR/include" \
		"$REPO_DIR/scripts" "$1/"
}

# Add the kselftest harness totals of one selftest binary's run ("# Totals:
# pass:N fail:N xfail:N xpass:N skip:N error:N" in TAP; RC its exit
# status) to passed, failed and skipped, and set ts to its skips. A binary
# that died without totals, or exited non-zero with no test failed, counts
# one failure more; WHO names the caller in what it says.
selftest_count() {
	local who=$1 name=$2 tap=$3 rc=$4 totals tp tf te

	ts=0
	totals=$(grep -a '^# Totals:' "$tap" 2>/dev/null | tail -1)
	if [ -z "$totals" ]; then
		echo "$who: selftest $name ended without totals (rc $rc)" >&2
		failed=$((failed + 1))
		return
	fi
	read -r tp tf ts te < <(sed -E 's/.* pass:([0-9]+) fail:([0-9]+) .* skip:([0-9]+) error:([0-9]+).*/\1 \2 \3 \4/' <<<"$totals")
	passed=$((passed + tp))
	failed=$((failed + tf + te))
	skipped=$((skipped + ts))
	if [ "$rc" != 0 ] && [ $((tf + te)) -eq 0 ]; then
		echo "$who: selftest $name exited $rc" >&2
		failed=$((failed + 1))
	fi
}
