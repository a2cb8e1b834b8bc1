#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install what tools/vm/stock/ needs besides tools/vm/setup-host.sh's list:
# Debian's kernels (STOCK_KERNELS of lib.sh) and their headers, DKMS, and
# the tools of the BTF check and of the initramfs. Idempotent.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

pkgs=()
for k in "${STOCK_KERNELS[@]}"; do
	read -ra p <<<"$k"
	pkgs+=("${p[@]}")
done
exec "$VM_DIR/setup-host.sh" "${pkgs[@]}" \
	dkms bpftool busybox-static zstd xz-utils cpio kmod
