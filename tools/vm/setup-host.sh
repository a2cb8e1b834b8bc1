#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install the Debian packages vfio-mdom needs to build and test: the kernel
# source, the kernel build dependencies, QEMU and the checkers, and the
# packages named as arguments (tools/vm/stock/setup.sh names its own).
# Idempotent: does nothing when everything is already there.
set -euo pipefail

PKGS=(
	linux-source-6.12 build-essential flex bison bc cpio kmod rsync
	libelf-dev libssl-dev xz-utils python3 sparse qemu-system-x86
	pciutils util-linux
	# clients_test: DPDK's testpmd and its e1000 and mempool drivers
	dpdk-dev librte-net-e1000-23 librte-mempool-ring23
	# clients_test: libvirt, which starts QEMU with the edu devices
	libvirt-daemon-system libvirt-clients libvirt-daemon-driver-qemu
	# clients_test: qemu-io, QEMU's user-space NVMe driver (nvme://)
	qemu-utils
	"$@"
)

missing=()
for p in "${PKGS[@]}"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$st" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup-host: installing ${missing[*]}" >&2
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >&2
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
