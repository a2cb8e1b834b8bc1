#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build and install vfio_mdom.ko for one of Debian's kernels with DKMS
# itself, as `make dkms-install` does, but into trees of this run instead
# of the system's, and make the module root the guest loads from:
#
#   tools/vm/stock/build-module.sh KERNELRELEASE     prints the module root
#
# dkms add, build and install run with --sourcetree, --dkmstree and
# --installtree under .build/stock/KERNELRELEASE/ (DKMS's build dir, make.log and signed
# module stay there), against /lib/modules/KERNELRELEASE/build, the headers
# package alone. DKMS signs the module with a key of its own made there, as
# it would with /var/lib/dkms/mok.key. The module root
# .build/stock/KERNELRELEASE/root/lib/modules/KERNELRELEASE is Debian's module tree (a
# link to its kernel/ directory) plus updates/dkms/vfio_mdom.ko.xz, indexed
# by depmod, for `modprobe -d .build/stock/KERNELRELEASE/root` in the guest.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kver=${1:?usage: build-module.sh KERNELRELEASE}
STOCK_BUILD=$STOCK_BUILD_ROOT/$kver
name=$(sed -n 's/^PACKAGE_NAME="\(.*\)"$/\1/p' "$REPO_DIR/dkms.conf")
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$REPO_DIR/dkms.conf")
dkms_dir=$STOCK_BUILD/dkms
root=$STOCK_BUILD/root
moddir=$root/lib/modules/$kver

rm -rf "$dkms_dir" "$root"
mkdir -p "$dkms_dir/source" "$dkms_dir/tree" "$moddir" "$STOCK_BUILD/signing"
"$REPO_DIR/tools/dkms/dkms.sh" source "$dkms_dir/source/$name-$version"

trees=(--sourcetree "$dkms_dir/source" --dkmstree "$dkms_dir/tree"
       --installtree "$root/lib/modules")
export mok_signing_key=$STOCK_BUILD/signing/mok.key
export mok_certificate=$STOCK_BUILD/signing/mok.pub
dkms add -m "$name" -v "$version" "${trees[@]}" >&2
if ! dkms build -m "$name" -v "$version" -k "$kver" "${trees[@]}" >&2; then
	log=$dkms_dir/tree/$name/$version/build/make.log
	[ -r "$log" ] && tail -40 "$log" >&2
	die "dkms build of $name $version for $kver failed (log: $log)"
fi
dkms install -m "$name" -v "$version" -k "$kver" --no-depmod "${trees[@]}" >&2

ln -s "/lib/modules/$kver/kernel" "$moddir/kernel"
for f in modules.order modules.builtin modules.builtin.modinfo; do
	cp "/lib/modules/$kver/$f" "$moddir/"
done
depmod -b "$root" "$kver"
modprobe -d "$root" -S "$kver" --show-depends vfio_mdom >/dev/null ||
	die "modprobe does not find vfio_mdom in $root"
echo "$root"
