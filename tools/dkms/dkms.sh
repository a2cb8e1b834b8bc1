#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# vfio-mdom as a DKMS module (make dkms-install, make dkms-uninstall).
#
#   tools/dkms/dkms.sh install [KERNELRELEASE]
#	copy the sources DKMS builds from to /usr/src/vfio-mdom-VERSION
#	(VERSION: PACKAGE_VERSION of dkms.conf), then dkms add, build and
#	install for KERNELRELEASE (default: the running kernel). An earlier
#	install of the same version is removed first.
#   tools/dkms/dkms.sh uninstall
#	dkms remove for every kernel, and the sources in /usr/src; also
#	/etc/modprobe.d/vfio-mdom.conf if it is this repo's copy.
#   tools/dkms/dkms.sh source DIR
#	copy the sources DKMS builds from to DIR (what install puts in
#	/usr/src; tools/vm/stock/build-module.sh uses it).
#
# install and uninstall need root, dkms and the kernel's headers package.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
name=$(sed -n 's/^PACKAGE_NAME="\(.*\)"$/\1/p' "$repo/dkms.conf")
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$repo/dkms.conf")
srcdir=/usr/src/$name-$version
modprobe_conf=/etc/modprobe.d/vfio-mdom.conf

die() {
	echo "dkms.sh: $*" >&2
	exit 1
}

# What DKMS needs: dkms.conf, the kbuild files, the sources of the modules
# (the test-only ones are built only for a kernel with CONFIG_IOMMUFD_TEST
# or CONFIG_KUNIT), the uapi header, the BTF layout check and the compat
# probes.
copy_source() {
	local dest=$1
	mkdir -p "$dest"
	(
		cd "$repo"
		find dkms.conf Kbuild LICENSE scripts/vfio-btf-header.sh \
			scripts/compat-probes.sh \
			include/uapi drivers \
			-type f \( -name dkms.conf -o -name Kbuild -o \
			-name LICENSE -o -name '*.sh' -o -name '*.c' -o \
			-name '*.h' \) -not -path 'drivers/vfio_mdom/btf/*' \
			-not -path 'drivers/vfio_mdom/compat/*' \
			-not -name '*.mod.c' |
			cpio -pdm --quiet "$dest"
	)
}

need_root() {
	[ "$(id -u)" -eq 0 ] || die "$1 needs root (sudo make dkms-$1)"
	command -v dkms >/dev/null || die "dkms not found (Debian: apt install dkms)"
}

remove_installed() {
	if dkms status -m "$name" -v "$version" 2>/dev/null | grep -q .; then
		dkms remove -m "$name" -v "$version" --all
	fi
	rm -rf "$srcdir"
}

case "${1:-}" in
source)
	copy_source "${2:?usage: dkms.sh source DIR}"
	;;
install)
	need_root install
	kver=${2:-$(uname -r)}
	[ -e "/lib/modules/$kver/build" ] ||
		die "no headers for kernel $kver: install linux-headers-$kver (Debian: apt install linux-headers-$kver)"
	remove_installed
	copy_source "$srcdir"
	dkms add -m "$name" -v "$version"
	dkms build -m "$name" -v "$version" -k "$kver"
	dkms install -m "$name" -v "$version" -k "$kver"
	echo "dkms.sh: $name $version installed for $kver: modprobe vfio_mdom;"
	echo "dkms.sh: to make it the VFIO backend at boot, see README.md (Install)"
	;;
uninstall)
	need_root uninstall
	remove_installed
	if [ -e "$modprobe_conf" ] &&
	   cmp -s "$modprobe_conf" "$repo/tools/dkms/vfio-mdom.conf"; then
		rm -f "$modprobe_conf"
		echo "dkms.sh: removed $modprobe_conf"
	fi
	;;
*)
	die "usage: dkms.sh install [KERNELRELEASE] | uninstall | source DIR"
	;;
esac
