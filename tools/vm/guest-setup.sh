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
	local d drv
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor")" = 0x1234 ] || continue
		[ "$(cat "$d/device")" = 0x11e8 ] || continue
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
