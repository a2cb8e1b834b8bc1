#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: vfio-mdom, the kernel's type1 and iommufd measured side by
# side in one guest running the performance kernel.
#
# From nothing: the host packages (setup-host.sh, plus python3-matplotlib
# for the plot), the performance kernel (KERNEL_FLAVOUR=perf: the test
# kernel's source and fragment without the debug options, cached like the
# test kernel), the modules built against it in a copy of the sources under
# .build/bench/src (the repo's own build products stay those of the test
# kernel), vfio_mdom_bench; then one guest run of tools/bench/guest-bench.sh
# and tools/bench/report.py: a table on stdout and in
# .build/bench/results.txt, .build/bench/results.json, .build/bench/bench.png.
#
# Environment (defaults in brackets):
#   BENCH_SIZE      MiB per buffer and large map, a multiple of 2 [512]
#   BENCH_ROUNDS    rounds; best and median are over them [5]
#   BENCH_PEERS     mdom,type1,iommufd [all three]; without mdom, vfio_mdom
#                   is not loaded and type1 serves /dev/vfio/vfio
#   BENCH_BACKINGS  anon,thp,hugetlb,memfd [all]
#   BENCH_OPS       large,pin,replay,small,threads,teardown,viommu,nvme,
#                   bigmap,extmem [all]
#   BENCH_COUNTS    4 KiB mappings per 'small' run [1024,65536,1048576]
#   BENCH_THREADS   thread counts [1,2,4]
#   BENCH_TIMEOUT   seconds the guest may take [3600]
#   BENCH_STRICT    1: fail when a target is not met [0]
#   BENCH_ICOUNT    1: the guest's clock counts instructions (run.sh
#                   --icount): times are guest instructions (1 us = 1000),
#                   free of the host's load, QEMU's own work not counted [0]
#   BENCH_PROFILE   1: record the guest run with perf and write the kernel
#                   profile to .build/bench/profile.txt; timings are then
#                   perturbed (narrow BENCH_OPS and BENCH_PEERS for it) [0]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
export KERNEL_FLAVOUR=perf

size=${BENCH_SIZE:-512}
rounds=${BENCH_ROUNDS:-5}
peers=${BENCH_PEERS:-mdom,type1,iommufd}
backings=${BENCH_BACKINGS:-anon,thp,hugetlb,memfd}
ops=${BENCH_OPS:-large,pin,replay,small,threads,teardown,viommu,nvme,bigmap,extmem}
counts=${BENCH_COUNTS:-1024,65536,1048576}
threads=${BENCH_THREADS:-1,2,4}
timeout=${BENCH_TIMEOUT:-3600}

# The guest has 4 GiB (run.sh); every backing's buffer lives for the whole run.
nbk=$(tr ',' '\n' <<<"$backings,anon" | sort -u | grep -c .)
[ $((size * nbk)) -le 2560 ] ||
	die "BENCH_SIZE=$size x $nbk buffers does not fit the 4 GiB guest (at most 2560 MiB in all)"

out=$REPO_DIR/.build/bench
src=$out/src
mkdir -p "$out"

# Debian packages only make bench needs, installed if missing
need_pkgs() {
	local p missing=() sudo=
	for p in "$@"; do
		[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "bench: installing ${missing[*]}" >&2
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get update -q >&2
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q \
		--no-install-recommends "${missing[@]}" >&2
}

bash "$VM_DIR/setup-host.sh"
need_pkgs python3-matplotlib
[ "${BENCH_PROFILE:-0}" = 1 ] && need_pkgs linux-perf

kdir=$("$VM_DIR/build-kernel.sh")
make -s -C "$kdir" headers >/dev/null

copy_module_sources "$src"
mods=(drivers/mock_iommu/vfio_mdom_mock_iommu.ko)
case ",$peers," in
*,mdom,*) mods+=(drivers/vfio_mdom/vfio_mdom.ko) ;;
esac
echo "bench: building ${mods[*]} for $kdir" >&2
make -s -C "$kdir" M="$src" "${mods[@]}" >&2 ||
	die "the modules do not build against $kdir (BENCH_PEERS=type1,iommufd measures without vfio_mdom.ko)"
make -s -C "$REPO_DIR/tools/bench" KDIR="$kdir" >&2

vmopts=()
[ "${BENCH_ICOUNT:-0}" = 1 ] && vmopts=(--icount)
profile=()
if [ "${BENCH_PROFILE:-0}" = 1 ]; then
	profile=(--profile "$out/profile.txt")
fi
rm -f "$out/raw.csv" "$out/vm/output.log" "$out/profile.txt"
mkdir -p "$out/vm"
touch "$out/vm/output.log"
# The guest's output as it comes (run.sh would show it only at the end)
tail -n +1 -F "$out/vm/output.log" 2>/dev/null &
tailpid=$!
trap 'kill "$tailpid" 2>/dev/null || true' EXIT
start=$(date +%s)
load=$(cut -d' ' -f1-3 /proc/loadavg)
rc=0
"$VM_DIR/run.sh" ${vmopts[@]+"${vmopts[@]}"} --timeout "$timeout" --out "$out/vm" -- \
	tools/bench/guest-bench.sh ${profile[@]+"${profile[@]}"} "$src" "$out/raw.csv" "$size" "$peers" "$backings" -- \
	-n "$rounds" -o "$ops" -c "$counts" -t "$threads" >/dev/null || rc=$?
sleep 1
kill "$tailpid" 2>/dev/null || true
wait "$tailpid" 2>/dev/null || true
[ $rc -eq 0 ] || die "the benchmark guest failed (see $out/vm/)"
secs=$(($(date +%s) - start))
echo "bench: guest run took $secs s" >&2
[ ${#profile[@]} -eq 0 ] || echo "bench: kernel profile in $out/profile.txt" >&2

strict=()
[ "${BENCH_STRICT:-0}" = 1 ] && strict=(--strict)
# Debian's python3, which python3-matplotlib serves (not a pyenv shim)
/usr/bin/python3 "$REPO_DIR/tools/bench/report.py" ${strict[@]+"${strict[@]}"} \
	--kernel "$kdir" --meta "host_load=$load" \
	--meta "host_load_after=$(cut -d' ' -f1-3 /proc/loadavg)" \
	--meta "guest_seconds=$secs" "$out/raw.csv" "$out"
