#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the initramfs that boots a Debian kernel with a 9p root:
#
#   mkinitramfs.sh KERNELRELEASE OUT
#
# Debian builds 9p, 9pnet_virtio and what they need as modules (6.1 the
# virtio PCI transport too), and a kernel cannot load a module before it
# has a root: the initramfs holds them, taken from /lib/modules/KERNELRELEASE
# in the order modprobe would load them, a static busybox (busybox-static) and initramfs-init.sh as
# /init. OUT is an uncompressed newc cpio.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kver=${1:?usage: mkinitramfs.sh KERNELRELEASE OUT}
out=${2:?usage: mkinitramfs.sh KERNELRELEASE OUT}
busybox=/bin/busybox
[ -x $busybox ] || die "$busybox missing (apt install busybox-static)"
! readelf -l $busybox 2>/dev/null | grep -q 'program interpreter' ||
	die "$busybox is not static (apt install busybox-static)"

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/lib/modules"
cp $busybox "$root/bin/busybox"
cp "$STOCK_DIR/initramfs-init.sh" "$root/init"
chmod 755 "$root/init"

mods=$(modprobe -S "$kver" -a --show-depends virtio_pci 9p 9pnet_virtio |
	awk '$1 == "insmod" && !seen[$2]++ { print $2 }')
[ -n "$mods" ] || die "modprobe finds no 9p modules for $kver"
for m in $mods; do
	base=$(basename "$m")
	base=${base%.xz}
	base=${base%.zst}
	base=${base%.gz}
	case "$m" in
	*.xz) xz -dc "$m" ;;
	*.zst) zstd -qdc "$m" ;;
	*.gz) gzip -dc "$m" ;;
	*) cat "$m" ;;
	esac >"$root/lib/modules/$base"
	echo "$base" >>"$root/lib/modules/load-order"
done

# Written aside and renamed: a concurrent run reads a whole file or none.
tmp=$(mktemp "$out.XXXXXX")
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$tmp"
chmod 644 "$tmp"
mv "$tmp" "$out"
