# SPDX-License-Identifier: GPL-2.0
#
# libvfio_mdom: the user-space library of the selftests
# (tools/testing/selftests/vfio_mdom), the bench (tools/bench) and the
# demo (tools/demo). Include it after setting CFLAGS (the library is built
# with the includer's flags) and OUTPUT (where objects go); then link
# $(LIBVFIO_MDOM_A) into each program and make it depend on it.
#
#   sys.c     files, debugfs "KEY VALUE" lines, module parameters, pinned
#             and locked memory, capabilities, fd passing, starting a
#             program with its output to a log
#   vfio.c    the VFIO container, groups, devices, dirty tracking
#   mdom.c    VFIO_MDOM_QUERY (also on another process's containers),
#             vfio-mdom's debugfs and parameters
#   mock.c    the mock IOMMU (drivers/mock_iommu): its debugfs, and its
#             counters and knobs through mock_cmd.c
#   mock_cmd.c  the mock's typed test interface (mock_iommu_test.h)
#   edu.c     QEMU's edu device through VFIO, PCI devices on vfio-pci,
#             the kernel log
#   dmabuf.c  udmabuf and vgem: device-like memory behind VM_PFNMAP
#   qemu.c    an unmodified QEMU with devices assigned through VFIO; the
#             MSI-X work-around of QEMU 7.2's NVMe controller (nvme://)
#   events.c  a container's event file (VFIO_MDOM_EVENTS)
#   oracle.c  type1 as an oracle for vfio-mdom (oracle_test)
#   dpdk.c    Debian's DPDK in the test guest: only the plugins it needs
#
# Every function returns a value >= 0 or a negative errno, and none
# asserts: the asserting wrappers of the selftests are in
# tools/testing/selftests/vfio_mdom/mdom_test.h.

LIBVFIO_MDOM_SRCDIR := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))

LIBVFIO_MDOM_C := sys.c vfio.c mdom.c mock.c mock_cmd.c edu.c dmabuf.c qemu.c \
		  events.c oracle.c dpdk.c
LIBVFIO_MDOM_H := $(wildcard $(LIBVFIO_MDOM_SRCDIR)/include/libvfio_mdom/*.h) \
		  $(abspath $(LIBVFIO_MDOM_SRCDIR)/../../include/uapi/linux/vfio_mdom.h) \
		  $(abspath $(LIBVFIO_MDOM_SRCDIR)/../../drivers/mock_iommu/mock_iommu_test.h)

LIBVFIO_MDOM_OUTPUT := $(if $(OUTPUT),$(OUTPUT),.)/libvfio_mdom
LIBVFIO_MDOM_O := $(patsubst %.c,$(LIBVFIO_MDOM_OUTPUT)/%.o,$(LIBVFIO_MDOM_C))
LIBVFIO_MDOM_A := $(LIBVFIO_MDOM_OUTPUT)/libvfio_mdom.a

CFLAGS += -I$(LIBVFIO_MDOM_SRCDIR)/include \
	  -I$(abspath $(LIBVFIO_MDOM_SRCDIR)/../../include/uapi)

$(LIBVFIO_MDOM_O): $(LIBVFIO_MDOM_OUTPUT)/%.o: $(LIBVFIO_MDOM_SRCDIR)/%.c \
		   $(LIBVFIO_MDOM_H)
	@mkdir -p $(LIBVFIO_MDOM_OUTPUT)
	$(CC) $(CFLAGS) $(CPPFLAGS) $(TARGET_ARCH) -c $< -o $@

$(LIBVFIO_MDOM_A): $(LIBVFIO_MDOM_O)
	$(AR) rcs $@ $^

EXTRA_CLEAN += $(LIBVFIO_MDOM_OUTPUT)
