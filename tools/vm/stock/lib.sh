# SPDX-License-Identifier: GPL-2.0
# Shared by the tools/vm/stock scripts: Debian's own kernels, as a user has
# them, and where their runs keep their files.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

STOCK_DIR=$VM_DIR/stock
# The kernels make check-stock tests, by the metapackages that install
# them, "IMAGE HEADERS" each: Debian 12's default kernel (6.1) and its
# newer one (6.12). Adding one: a line here (Documentation/compat.rst).
STOCK_KERNELS=(
	"linux-image-amd64 linux-headers-amd64"
	"linux-image-6.12-amd64 linux-headers-6.12-amd64"
)
# The kernel (its image metapackage) that check-stock boots once more on
# QEMU's AMD IOMMU (run.sh --iommu amd) for the selftests of
# tools/vm/stock/selftests-amd: a second real IOMMU driver under vfio-mdom.
STOCK_AMD_IMAGE=linux-image-6.12-amd64
# DKMS trees and the guests' module roots, one directory per kernel
# release: inside the repo, which the guest reads over 9p.
STOCK_BUILD_ROOT=$REPO_DIR/.build/stock

# The release of the kernel that the image metapackage IMAGE_PKG installs
# (6.12.118+deb12-amd64), checked to have its image, modules and headers.
stock_kver() {
	local pkg=${1:?stock_kver IMAGE_PKG} dep kver
	dep=$(dpkg-query -W -f='${Depends}' "$pkg" 2>/dev/null) ||
		die "$pkg is not installed (run tools/vm/stock/setup.sh)"
	dep=${dep%%,*}
	dep=${dep%% *}
	kver=${dep#linux-image-}
	kver=${kver%-unsigned}
	[ -r "/boot/vmlinuz-$kver" ] || die "/boot/vmlinuz-$kver missing"
	[ -e "/lib/modules/$kver/modules.dep" ] || die "/lib/modules/$kver has no modules.dep"
	[ -e "/lib/modules/$kver/build/Makefile" ] ||
		die "no headers for $kver (run tools/vm/stock/setup.sh)"
	echo "$kver"
}

# Every release of STOCK_KERNELS, one a line.
stock_kvers() {
	local k
	for k in "${STOCK_KERNELS[@]}"; do
		stock_kver "${k%% *}" || return
	done
}
