#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install what tools/vm/stock/ needs besides tools/vm/setup-host.sh's list:
# Debian's kernel and its headers, DKMS, and the tools of the BTF check and
# of the initramfs. Idempotent.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

exec "$VM_DIR/setup-host.sh" "$STOCK_IMAGE_PKG" "$STOCK_HEADERS_PKG" \
	dkms bpftool busybox-static zstd xz-utils cpio kmod
