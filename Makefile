# SPDX-License-Identifier: GPL-2.0
#
# vfio-mdom top-level Makefile.
#
#   make check   set up the host, build the test kernel (cached), the
#                modules and the selftests, boot the VM and run every test;
#                ends with "N passed, N failed".
#   make run     same set-up, then boot the VM and run the demo.
#   make check-stock
#                install Debian's own kernel and headers, build the module
#                for it with DKMS, boot it and run the selftests that need
#                no test-only module (tools/vm/stock/check.sh).
#   make dkms-install [KVER=release] / make dkms-uninstall
#                install vfio_mdom.ko with DKMS for the running kernel (or
#                KVER) from its headers package; see README.md.
#   make coverage
#                make check with vfio_mdom.ko built with gcov (a copy under
#                .build/coverage/): line and branch coverage per file of
#                drivers/vfio_mdom, the goto labels no test reached
#                (tools/vm/coverage.sh; needs gcovr, installed by setup).
#   make bench   same set-up with the performance kernel (cached too):
#                vfio-mdom, type1 and iommufd measured in one VM run; a
#                table and .build/bench/ (BENCH_* variables: tools/vm/bench.sh).
#   make bench-build
#                build vfio_mdom_bench against the test kernel tree (make
#                bench builds it against the performance kernel itself).
#   make modules / selftests / demo / lint / clean
#
# KDIR is the cached test-kernel build tree (tools/vm/lib.sh); set it to
# build against another tree.

KDIR = $(shell bash -c '. $(CURDIR)/tools/vm/lib.sh && kernel_dir')
SELFTESTS := tools/testing/selftests/vfio_mdom
DEMO := tools/demo

.PHONY: all setup kernel modules selftests demo check check-stock run bench \
	bench-build \
	coverage \
	lint clean dkms-install dkms-uninstall

all: modules selftests demo

setup:
	@bash tools/vm/setup-host.sh

kernel: setup
	@bash tools/vm/build-kernel.sh >/dev/null
	@$(MAKE) -s -C $(KDIR) headers >/dev/null

modules: kernel
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

selftests: kernel
	$(MAKE) -C $(SELFTESTS) KDIR=$(KDIR)

demo: kernel
	$(MAKE) -C $(DEMO) KDIR=$(KDIR)

bench-build: kernel
	$(MAKE) -C tools/bench KDIR=$(KDIR)

check: all
	@bash tools/vm/check.sh

run: all
	@bash tools/vm/run-demo.sh

# Builds its own gcov modules (.build/coverage/src); the selftests are the
# repo's.
coverage: selftests
	@bash tools/vm/coverage.sh

check-stock: kernel
	@bash tools/vm/stock/check.sh

dkms-install:
	@bash tools/dkms/dkms.sh install $(KVER)

dkms-uninstall:
	@bash tools/dkms/dkms.sh uninstall

# Builds what it needs against the performance kernel itself (its own
# kernel and module build under .build/bench/), so it does not depend on all.
bench:
	@bash tools/vm/bench.sh

# checkpatch, W=1 and sparse on the project's own sources
lint: kernel
	@bash tools/lint.sh

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	-$(MAKE) -C $(SELFTESTS) KDIR=$(KDIR) clean
	-$(MAKE) -C $(DEMO) clean
	-$(MAKE) -C tools/bench clean
	rm -rf .build
