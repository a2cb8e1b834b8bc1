# SPDX-License-Identifier: GPL-2.0
# Sourced inside the guest: bind the edu devices to vfio-pci and load the
# project's modules. Sets MDOM_SETUP_ERRORS to the number of steps that
# failed (each is reported on stderr).

MDOM_SETUP_ERRORS=0

setup_err() {
	echo "guest-setup: FAIL: $*" >&2
	MDOM_SETUP_ERRORS=$((MDOM_SETUP_ERRORS + 1))
}

# Every QEMU edu device (1234:11e8) goes to vfio-pci, giving it /dev/vfio/N.
bind_edu_to_vfio() {
	bind_pci_to_vfio 0x1234 0x11e8
}

# Every e1000 NIC (82540EM, 8086:100e: DPDK's net_e1000_em) to vfio-pci.
bind_e1000_to_vfio() {
	bind_pci_to_vfio 0x8086 0x100e
}

# Is the PCI device at sysfs path D a VENDOR DEVICE? (bash builtins only:
# a process started from the 9p root is slow under TCG)
pci_is() {
	local v p
	read -r v <"$1/vendor" && read -r p <"$1/device" &&
		[ "$v" = "$2" ] && [ "$p" = "$3" ]
}

# QEMU's NVMe controller (1b36:0010) to vfio-pci: QEMU's nvme:// driver.
bind_nvme_to_vfio() {
	bind_pci_to_vfio 0x1b36 0x0010
}

# Every device of the test machine (tools/vm/run.sh, which boots the
# stock kernels too) that the selftests drive, to vfio-pci: the edu
# devices, the e1000 NICs and the NVMe controller.
bind_test_devices() {
	bind_edu_to_vfio
	bind_e1000_to_vfio
	bind_nvme_to_vfio
}

# How many PCI devices VENDOR:DEVICE are bound to vfio-pci.
pci_on_vfio_count() {
	local d n=0
	for d in /sys/bus/pci/devices/*; do
		pci_is "$d" "$1" "$2" || continue
		[ "$(basename "$(readlink "$d/driver" 2>/dev/null)")" = vfio-pci ] &&
			n=$((n + 1))
	done
	echo $n
}

# Every PCI device VENDOR DEVICE to vfio-pci.
bind_pci_to_vfio() {
	local d drv
	for d in /sys/bus/pci/devices/*; do
		pci_is "$d" "$1" "$2" || continue
		echo vfio-pci >"$d/driver_override"
		if [ -e "$d/driver" ]; then
			drv=$(basename "$(readlink "$d/driver")")
			[ "$drv" = vfio-pci ] && continue
			echo "${d##*/}" >"$d/driver/unbind"
		fi
		echo "${d##*/}" >/sys/bus/pci/drivers_probe
		[ -e "$d/driver" ] && [ "$(basename "$(readlink "$d/driver")")" = vfio-pci ] ||
			setup_err "could not bind ${d##*/} to vfio-pci"
	done
}

# How many edu devices are bound to vfio-pci.
edu_on_vfio_count() {
	local d n=0
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor")" = 0x1234 ] || continue
		[ "$(cat "$d/device")" = 0x11e8 ] || continue
		[ "$(basename "$(readlink "$d/driver" 2>/dev/null)")" = vfio-pci ] &&
			n=$((n + 1))
	done
	echo $n
}

load_module() {
	local ko=$1
	shift
	if [ ! -f "$ko" ]; then
		setup_err "$ko not built"
		return 1
	fi
	insmod "$ko" "$@" || { setup_err "insmod $ko failed"; return 1; }
}

# The mock IOMMU (if built) and vfio_mdom, from the repo or from the build
# in DIR (make coverage's). vfio_mdom checks its invariants after every
# operation (check.c): a violation is a WARN, which fails the run.
# MDOM_CHECK_INVARIANTS=0 turns that off (measurements).
load_project_modules() {
	local dir=${1:-.}

	[ -f "$dir/drivers/mock_iommu/vfio_mdom_mock_iommu.ko" ] &&
		load_module "$dir/drivers/mock_iommu/vfio_mdom_mock_iommu.ko"
	load_module "$dir/drivers/vfio_mdom/vfio_mdom.ko" \
		check_invariants="${MDOM_CHECK_INVARIANTS:-1}"
	udevadm settle 2>/dev/null || sleep 1
}

unload_project_modules() {
	rmmod vfio_mdom || setup_err "rmmod vfio_mdom failed"
	if grep -q '^vfio_mdom_mock_iommu ' /proc/modules; then
		rmmod vfio_mdom_mock_iommu || setup_err "rmmod vfio_mdom_mock_iommu failed"
	fi
}
