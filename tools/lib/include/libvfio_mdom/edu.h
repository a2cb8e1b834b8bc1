/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libvfio_mdom: QEMU's "edu" PCI device (1234:11e8) driven
 * through its VFIO device fd, enough to make it DMA through whatever IOMMU
 * domain its group is attached to, and a reader of the kernel log for the
 * IOMMU faults that DMA provokes.
 *
 * The device (QEMU hw/misc/edu.c): BAR0 holds the DMA engine registers,
 * 64 bits wide: source address at 0x80, destination at 0x88, byte count at
 * 0x90 and command at 0x98 (bit 0 start, bit 1 direction: 0 copies RAM into
 * the device's 4 KiB buffer, 1 copies the buffer out to RAM; bit 2 raise an
 * interrupt). The buffer is at device address 0x40000. Start is cleared
 * when the transfer is done, about 100 ms of virtual time later. The device
 * masks RAM addresses to 28 bits: IOVAs must stay below 256 MiB. A transfer
 * through a missing or read-only translation is aborted by the IOMMU, which
 * logs a DMAR fault, and no data of the faulting page moves.
 *
 * QEMU 7.2's edu aborts QEMU itself ("DMA range ... out of bounds") on a
 * transfer that ends exactly at the end of the 4 KiB buffer: every transfer
 * here stays below EDU_BUF_SAFE bytes.
 *
 * The device is bound to vfio-pci and reached as a VMM reaches it: the
 * device fd from VFIO_GROUP_GET_DEVICE_FD (its group must be in a container
 * whose IOMMU is set), BAR0 mmap()ed at the offset VFIO_DEVICE_GET_REGION_INFO
 * gives, the command register (bus mastering) through the config region.
 * vfio-pci turns bus mastering off again when the device fd is closed.
 *
 * Functions return 0 or a negative errno; nothing here asserts.
 */
#ifndef _LIBVFIO_MDOM_EDU_H
#define _LIBVFIO_MDOM_EDU_H

#include <dirent.h>
#include <time.h>

#include <libvfio_mdom/vfio.h>

#define EDU_VENDOR		"0x1234"
#define EDU_DEVICE		"0x11e8"
#define PCI_DEVICES		"/sys/bus/pci/devices"

#define EDU_REG_ID		0x00	/* reads 0x010000edu */
#define EDU_REG_LIVENESS	0x04	/* reads back the inverse of a write */
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_CNT		0x90
#define EDU_REG_DMA_CMD		0x98
#define EDU_DMA_START		0x1
#define EDU_DMA_TO_RAM		0x2	/* device buffer -> RAM */

#define EDU_ID			0x010000edu
#define EDU_BUF_ADDR		0x40000ULL
#define EDU_BUF_SIZE		4096
/* Never end a transfer at the end of the buffer (see above) */
#define EDU_BUF_SAFE		(EDU_BUF_SIZE - 64)
/* The device's DMA addresses: 28 bits */
#define EDU_DMA_LIMIT		0x10000000ULL
#define EDU_DMA_TIMEOUT_MS	10000

#define PCI_CFG_COMMAND		0x04
#define PCI_CMD_MEMORY		0x2
#define PCI_CMD_MASTER		0x4

struct edu_dev {
	char bdf[32];		/* 0000:00:03.0 */
	int group;		/* its IOMMU group: /dev/vfio/<group> */
	int device_fd;		/* -1 when closed */
	uint64_t cfg_offset;	/* of the config region in the device fd */
	void *bar;		/* BAR0, mmap()ed from the device fd */
	size_t bar_len;
};

int edu_cmp_names(const void *a, const void *b);

/* Is PCI device @bdf an edu device bound to vfio-pci? */
bool edu_is_vfio_edu(const char *bdf);

/* Is PCI device @bdf a @vendor:@device ("0x1234") bound to vfio-pci? */
bool pci_is_vfio_dev(const char *bdf, const char *vendor, const char *device);

/*
 * The IOMMU driver of PCI device @bdf as VFIO_MDOM_QUERY names a built-in
 * one, from sysfs: its IOMMU instance (the iommu link: dmar0, ivhd0)
 * without the number ("dmar" for Intel VT-d, "ivhd" for AMD-Vi). 0 or
 * -errno (-ENOENT: the device has no IOMMU).
 */
int pci_iommu_driver(const char *bdf, char *name, size_t size);

/*
 * The first @max PCI devices @vendor:@device bound to vfio-pci, their
 * addresses into @bdf in PCI address order: how many there are, or -errno.
 */
int pci_vfio_devices(const char *vendor, const char *device, char bdf[][32],
		     int max);

/*
 * The @nth edu device bound to vfio-pci, in PCI address order: fills
 * @dev->bdf and @dev->group, closed. -ENOENT if there is no such device.
 */
int edu_find(unsigned int nth, struct edu_dev *dev);

/* How many edu devices are bound to vfio-pci. */
unsigned int edu_count(void);

/* "0000:00:03.0" as the DMAR logs it: "00:03.0" */
const char *edu_rid(const struct edu_dev *dev);

/* Registers: plain loads and stores the compiler may neither merge nor drop */
uint64_t edu_read64(struct edu_dev *dev, unsigned int reg);

void edu_write64(struct edu_dev *dev, unsigned int reg, uint64_t val);

uint32_t edu_read32(struct edu_dev *dev, unsigned int reg);

void edu_write32(struct edu_dev *dev, unsigned int reg, uint32_t val);

/* The PCI command register, through the config region of the device fd */
int edu_get_command(struct edu_dev *dev, uint16_t *cmd);

int edu_set_command(struct edu_dev *dev, uint16_t cmd);

/* Turn bus mastering (and memory decoding) on, or bus mastering off. */
int edu_bus_master(struct edu_dev *dev, bool on);

void edu_close(struct edu_dev *dev);

/*
 * Open @dev (from edu_find()) through @group_fd, its group's fd, in a
 * container whose IOMMU is set: the device fd, BAR0 mmap()ed, memory
 * decoding on and bus mastering off, and check that it answers like an
 * edu device. edu_close() undoes it.
 */
int edu_open(struct edu_dev *dev, int group_fd);

/* One transfer; waits for it to finish. -ETIMEDOUT if it never does. */
int edu_dma(struct edu_dev *dev, uint64_t src, uint64_t dst,
	    uint64_t len, bool to_ram);

/* The device reads @len bytes at @iova into its buffer at offset @off. */
int edu_read_ram(struct edu_dev *dev, uint64_t iova,
		 unsigned int off, unsigned int len);

/* The device writes @len bytes of its buffer at offset @off to @iova. */
int edu_write_ram(struct edu_dev *dev, unsigned int off,
		  uint64_t iova, unsigned int len);

/* ---- the kernel log ------------------------------------------------------ */

/* /dev/kmsg, positioned after the last record logged so far. */
int kmsg_open(void);

/*
 * Wait up to @timeout_ms for a record logged after @fd's position that
 * contains every one of the @n strings in @needles; the record's text goes
 * to @line. Returns 0, or -ETIMEDOUT.
 */
int kmsg_wait(int fd, const char * const *needles,
	      unsigned int n, unsigned int timeout_ms,
	      char *line, size_t size);

/*
 * Say in the kernel log that @dev is about to fault at the page of @iova
 * on purpose. tools/vm/check-log.sh fails a run on any DMAR fault that was
 * not announced this way first; each announcement covers one fault.
 */
int kmsg_expect_dmar_fault(const struct edu_dev *dev, uint64_t iova);

/*
 * Wait for the Intel IOMMU's fault record for a DMA of @dev at @iova:
 * "DMAR: [DMA Read NO_PASID] Request device [00:03.0] fault addr 0x100000
 * [fault reason 0x06] ...". The address is the faulting page; the record
 * goes to @line ("DMA Read" when the device was reading memory).
 */
int kmsg_wait_dmar_fault(int fd, const struct edu_dev *dev,
			 uint64_t iova, char *line, size_t size);

/* ---- the Intel IOMMU's page tables (IOMMU_DEBUGFS) ----------------------- */

/*
 * /sys/kernel/debug/iommu/intel/<BDF>/domain_translation_struct walks the
 * second-stage page table of the domain the device is attached to (the
 * kernel's drivers/iommu/intel/debugfs.c) and prints one line per leaf:
 * "0xIOVA_PFN |" then the entry of each level from PML5E down to the
 * leaf, tab-separated: three entries for a 1 GiB leaf (PDPE), four for
 * 2 MiB (PDE), five for 4 KiB (PTE).
 */
#define INTEL_IOMMU_DEBUGFS	"/sys/kernel/debug/iommu/intel"
#define INTEL_PTE_READ		0x1ULL
#define INTEL_PTE_WRITE		0x2ULL
#define INTEL_PTE_SNP		0x800ULL	/* snoop: IOMMU_CACHE */
/* The address of the next level or of the page: bits 12-62 */
#define INTEL_PTE_ADDR(v)	((v) & 0x7ffffffffffff000ULL)

struct intel_pte {
	uint64_t iova;
	uint64_t phys;
	uint64_t size;		/* 4 KiB, 2 MiB or 1 GiB */
	uint64_t val;		/* the leaf entry as the IOMMU reads it */
};

void intel_pt_path(char *path, size_t size, const char *bdf);

bool intel_pt_available(const char *bdf);

/*
 * The Extended Capability Register of the Intel IOMMU (DMAR unit) in
 * front of PCI device @bdf, as the kernel shows it in
 * /sys/bus/pci/devices/<BDF>/iommu/intel-iommu/ecap (hex).
 */
#define INTEL_ECAP_SC		0x80ULL		/* snoop control */
#define INTEL_ECAP_SMTS		0x80000000000ULL	/* scalable mode */
#define INTEL_ECAP_SLTS		0x400000000000ULL	/* second-stage tables */
#define INTEL_ECAP_FLTS		0x800000000000ULL	/* first-stage tables */

int intel_iommu_ecap(const char *bdf, uint64_t *ecap);

/*
 * Every leaf of the page table of the domain device @bdf is attached to,
 * in IOVA order, into a malloc()ed *@out (free() it): their number, or a
 * negative errno.
 */
long intel_pt_read(const char *bdf, struct intel_pte **out);

/*
 * The leaf that translates @iova in the domain of device @bdf, as
 * intel_pt_read() gives it: 0, -ENOENT if nothing translates @iova, or
 * another negative errno.
 */
int intel_translation(const char *bdf, uint64_t iova, struct intel_pte *x);

/* The start of BAR @bar of PCI device @bdf (sysfs resource), or 0. */
uint64_t pci_bar_start(const char *bdf, unsigned int bar);

#endif /* _LIBVFIO_MDOM_EDU_H */
