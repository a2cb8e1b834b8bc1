#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the guest on Debian's kernel (tools/vm/stock/check.sh):
#
#   guest-check.sh OUT MODROOT TEST...
#
# Loads VFIO as the distribution does, from the stock module tree plus the
# DKMS-installed vfio_mdom.ko (MODROOT, see build-module.sh), with the
# project's modprobe.d snippet: `modprobe vfio-pci` must bring vfio_mdom in
# after vfio_iommu_type1. Then binds the edu devices, the e1000 NICs and
# the NVMe controller to vfio-pci (bind_test_devices), runs each
# TEST (a binary of tools/testing/selftests/vfio_mdom/) on vfio-mdom, then
# again on this kernel's type1 as the reference (vfio_backend off,
# VFIO_MDOM_TEST_BACKEND=type1) each TEST that can run there (its source
# asks mdom_test_on_type1(); the others test vfio-mdom's own interfaces),
# unloads vfio_mdom and checks the
# snippet's options line for going back to type1. Leaves for check.sh:
#   OUT/selftests/<name>.tap    kselftest harness output on vfio-mdom,
#                               <name>.rc status
#   OUT/type1/<name>.{tap,rc}   the same on type1, for those that run there
#   OUT/setup-errors            number of set-up steps that failed
set -u
out=${1:?usage: guest-check.sh OUT MODROOT TEST...}
modroot=${2:?usage: guest-check.sh OUT MODROOT TEST...}
shift 2
cd "$(dirname "$0")/../../.." || exit 1
. tools/vm/guest-setup.sh

rm -rf "$out/selftests" "$out/type1"
mkdir -p "$out/selftests" "$out/type1"
modprobe=(modprobe -d "$modroot" -C tools/dkms/vfio-mdom.conf)

echo "== $(uname -r): modprobe vfio-pci with tools/dkms/vfio-mdom.conf"
"${modprobe[@]}" vfio-pci || setup_err "modprobe vfio-pci failed"
# /proc/modules lists the most recently loaded module first.
order=$(awk '$1 ~ /^vfio/ { print $1 }' /proc/modules | tr '\n' ' ')
echo "vfio modules, newest first: $order"
case "$order" in
*vfio_mdom*vfio_iommu_type1*) ;;
*) setup_err "vfio_mdom was not loaded after vfio_iommu_type1 (softdep)" ;;
esac
echo "vfio_mdom: $(modinfo -F filename -b "$modroot" vfio_mdom 2>&1)"
# RAM behind VM_PFNMAP for devmem_test: Debian builds vgem as a module
# (and udmabuf in).
"${modprobe[@]}" vgem || setup_err "modprobe vgem failed"
bind_test_devices

# run_tests DIR TEST...: each TEST, its output in OUT/DIR/.
run_tests() {
	local dir=$out/$1 entry name args t
	shift
	for entry in "$@"; do
		# "NAME [ARG...]": the binary and its harness options (-T: leave out)
		name=${entry%% *}
		read -ra args <<<"${entry#"$name"}"
		t=tools/testing/selftests/vfio_mdom/$name
		echo "== selftest: $name"
		if [ ! -x "$t" ]; then
			echo "not built: $t" >"$dir/$name.tap"
			echo 127 >"$dir/$name.rc"
			setup_err "$t not built (make selftests)"
			continue
		fi
		(cd "$(dirname "$t")" && timeout -k 10 1200 "./$name" ${args[@]+"${args[@]}"}) \
			>"$dir/$name.tap" 2>&1
		echo $? >"$dir/$name.rc"
		grep -E '^(not )?ok |^# (Totals|FAIL)' "$dir/$name.tap"
	done
}

echo "=== vfio-mdom"
run_tests selftests "$@"

# The reference: the same tests on this kernel's own type1.
echo "=== type1 (vfio_backend=N, VFIO_MDOM_TEST_BACKEND=type1)"
on_type1=()
for entry in "$@"; do
	# check.sh counts the same ones
	grep -q mdom_test_on_type1 \
		"tools/testing/selftests/vfio_mdom/${entry%% *}.c" &&
		on_type1+=("$entry")
done
if echo N >/sys/module/vfio_mdom/parameters/vfio_backend; then
	export VFIO_MDOM_TEST_BACKEND=type1
	run_tests type1 ${on_type1[@]+"${on_type1[@]}"}
	unset VFIO_MDOM_TEST_BACKEND
	echo Y >/sys/module/vfio_mdom/parameters/vfio_backend ||
		setup_err "cannot set vfio_backend back to Y"
else
	setup_err "cannot set vfio_backend to N for the type1 run"
fi

rmmod vfio_mdom || setup_err "rmmod vfio_mdom failed"

# The snippet's way back to type1 from boot on: its options line.
echo "== modprobe vfio_mdom with the snippet's 'options vfio_mdom vfio_backend=0'"
sed 's/^#options vfio_mdom/options vfio_mdom/' tools/dkms/vfio-mdom.conf \
	>/tmp/vfio-mdom-type1.conf
modprobe -d "$modroot" -C /tmp/vfio-mdom-type1.conf vfio_mdom ||
	setup_err "modprobe vfio_mdom with vfio_backend=0 failed"
backend=$(cat /sys/module/vfio_mdom/parameters/vfio_backend 2>&1)
echo "vfio_backend: $backend"
[ "$backend" = N ] || setup_err "vfio_backend=0 in modprobe.d gave vfio_backend $backend"
rmmod vfio_mdom || setup_err "rmmod vfio_mdom failed"
echo "$MDOM_SETUP_ERRORS" >"$out/setup-errors"
exit 0
