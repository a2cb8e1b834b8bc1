# SPDX-License-Identifier: GPL-2.0
# Shared by the tools/vm/stock scripts: Debian's own kernel, as a user has
# it (linux-image-6.12-amd64 and linux-headers-6.12-amd64, installed by
# tools/vm/setup-host.sh), and where its runs keep their files.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

STOCK_DIR=$VM_DIR/stock
STOCK_IMAGE_PKG=linux-image-6.12-amd64
STOCK_HEADERS_PKG=linux-headers-6.12-amd64
# DKMS trees and the guest's module root: inside the repo, which the guest
# reads over 9p.
STOCK_BUILD=$REPO_DIR/.build/stock

# The release of the kernel the metapackage installs (6.12.117+deb12-amd64),
# checked to have its image, modules and headers.
stock_kver() {
	local dep kver
	dep=$(dpkg-query -W -f='${Depends}' "$STOCK_IMAGE_PKG" 2>/dev/null) ||
		die "$STOCK_IMAGE_PKG is not installed (run tools/vm/setup-host.sh)"
	dep=${dep%%,*}
	dep=${dep%% *}
	kver=${dep#linux-image-}
	kver=${kver%-unsigned}
	[ -r "/boot/vmlinuz-$kver" ] || die "/boot/vmlinuz-$kver missing"
	[ -e "/lib/modules/$kver/modules.dep" ] || die "/lib/modules/$kver has no modules.dep"
	[ -e "/lib/modules/$kver/build/Makefile" ] ||
		die "no headers for $kver ($STOCK_HEADERS_PKG; run tools/vm/setup-host.sh)"
	echo "$kver"
}
