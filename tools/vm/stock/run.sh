#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot one of Debian's own kernels (STOCK_KERNELS of lib.sh) in the test
# machine of tools/vm/run.sh and run one command inside:
#
#   tools/vm/stock/run.sh KERNELRELEASE [run.sh options] -- COMMAND [ARGS...]
#
# Same machine, command line, root and repo over 9p, guest-init.sh and log
# check as tools/vm/run.sh, which it calls; the kernel is
# /boot/vmlinuz-KERNELRELEASE with an initramfs made by mkinitramfs.sh from
# that kernel's own modules (cached, keyed by the kernel and the scripts).
# Inside, modprobe loads from the stock kernel's module tree.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kver=${1:?usage: run.sh KERNELRELEASE [run.sh options] -- COMMAND...}
shift
[ -r "/boot/vmlinuz-$kver" ] || die "/boot/vmlinuz-$kver missing"
hash=$(cat "$STOCK_DIR/mkinitramfs.sh" "$STOCK_DIR/initramfs-init.sh" |
	sha256sum | cut -c1-12)
initrd=$CACHE_DIR/stock/initramfs-$kver-$hash.cpio
if [ ! -s "$initrd" ]; then
	mkdir -p "$CACHE_DIR/stock"
	"$STOCK_DIR/mkinitramfs.sh" "$kver" "$initrd"
fi
exec "$VM_DIR/run.sh" --kernel "/boot/vmlinuz-$kver" --initrd "$initrd" "$@"
