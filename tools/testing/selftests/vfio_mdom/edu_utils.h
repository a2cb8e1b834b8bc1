/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfio-mdom selftest helpers: QEMU's "edu" PCI device (1234:11e8) driven
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
#ifndef _VFIO_MDOM_EDU_UTILS_H
#define _VFIO_MDOM_EDU_UTILS_H

#include <dirent.h>
#include <time.h>

#include "vfio_utils.h"

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

static inline int edu_cmp_names(const void *a, const void *b)
{
	return strcmp(*(char * const *)a, *(char * const *)b);
}

/* Is PCI device @bdf an edu device bound to vfio-pci? */
static inline bool edu_is_vfio_edu(const char *bdf)
{
	char path[256], buf[64];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/vendor", bdf);
	if (read_line(path, buf, sizeof(buf)) || strcmp(buf, EDU_VENDOR))
		return false;
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/device", bdf);
	if (read_line(path, buf, sizeof(buf)) || strcmp(buf, EDU_DEVICE))
		return false;
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver", bdf);
	return !read_link_name(path, buf, sizeof(buf)) &&
	       !strcmp(buf, "vfio-pci");
}

/*
 * The @nth edu device bound to vfio-pci, in PCI address order: fills
 * @dev->bdf and @dev->group, closed. -ENOENT if there is no such device.
 */
static inline int edu_find(unsigned int nth, struct edu_dev *dev)
{
	char *names[128], path[256];
	unsigned int n = 0, i, k = 0;
	struct dirent *e;
	int ret = -ENOENT;
	DIR *d;

	memset(dev, 0, sizeof(*dev));
	dev->device_fd = -1;
	d = opendir(PCI_DEVICES);
	if (!d)
		return -errno;
	while ((e = readdir(d)) && n < ARRAY_SIZE(names)) {
		if (e->d_name[0] == '.')
			continue;
		names[n] = strdup(e->d_name);
		if (names[n])
			n++;
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), edu_cmp_names);
	for (i = 0; i < n && ret == -ENOENT; i++) {
		if (!edu_is_vfio_edu(names[i]) || k++ != nth)
			continue;
		str_copy(dev->bdf, names[i], sizeof(dev->bdf));
		snprintf(path, sizeof(path), PCI_DEVICES "/%s", names[i]);
		dev->group = sysfs_iommu_group(path);
		ret = dev->group < 0 ? -ENODEV : 0;
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	return ret;
}

/* How many edu devices are bound to vfio-pci. */
static inline unsigned int edu_count(void)
{
	struct edu_dev dev;
	unsigned int n = 0;

	while (!edu_find(n, &dev))
		n++;
	return n;
}

/* "0000:00:03.0" as the DMAR logs it: "00:03.0" */
static inline const char *edu_rid(const struct edu_dev *dev)
{
	return strlen(dev->bdf) > 5 ? dev->bdf + 5 : dev->bdf;
}

/* Registers: plain loads and stores the compiler may neither merge nor drop */
static inline uint64_t edu_read64(struct edu_dev *dev, unsigned int reg)
{
	return __atomic_load_n((uint64_t *)((char *)dev->bar + reg),
			       __ATOMIC_SEQ_CST);
}

static inline void edu_write64(struct edu_dev *dev, unsigned int reg,
			       uint64_t val)
{
	__atomic_store_n((uint64_t *)((char *)dev->bar + reg), val,
			 __ATOMIC_SEQ_CST);
}

static inline uint32_t edu_read32(struct edu_dev *dev, unsigned int reg)
{
	return __atomic_load_n((uint32_t *)((char *)dev->bar + reg),
			       __ATOMIC_SEQ_CST);
}

static inline void edu_write32(struct edu_dev *dev, unsigned int reg,
			       uint32_t val)
{
	__atomic_store_n((uint32_t *)((char *)dev->bar + reg), val,
			 __ATOMIC_SEQ_CST);
}

/* The PCI command register, through the config region of the device fd */
static inline int edu_get_command(struct edu_dev *dev, uint16_t *cmd)
{
	return pread(dev->device_fd, cmd, 2, dev->cfg_offset + PCI_CFG_COMMAND)
	       == 2 ? 0 : -EIO;
}

static inline int edu_set_command(struct edu_dev *dev, uint16_t cmd)
{
	return pwrite(dev->device_fd, &cmd, 2,
		      dev->cfg_offset + PCI_CFG_COMMAND) == 2 ? 0 : -EIO;
}

/* Turn bus mastering (and memory decoding) on, or bus mastering off. */
static inline int edu_bus_master(struct edu_dev *dev, bool on)
{
	uint16_t cmd, now;
	int ret;

	ret = edu_get_command(dev, &cmd);
	if (ret)
		return ret;
	if (on)
		cmd |= PCI_CMD_MASTER | PCI_CMD_MEMORY;
	else
		cmd &= ~PCI_CMD_MASTER;
	ret = edu_set_command(dev, cmd) ?: edu_get_command(dev, &now);
	if (ret)
		return ret;
	return (now & PCI_CMD_MASTER) == (cmd & PCI_CMD_MASTER) ? 0 : -EIO;
}

static inline void edu_close(struct edu_dev *dev)
{
	if (dev->bar) {
		munmap(dev->bar, dev->bar_len);
		dev->bar = NULL;
	}
	if (dev->device_fd >= 0) {
		close(dev->device_fd);
		dev->device_fd = -1;
	}
}

/*
 * Open @dev (from edu_find()) through @group_fd, its group's fd, in a
 * container whose IOMMU is set: the device fd, BAR0 mmap()ed, memory
 * decoding on and bus mastering off, and check that it answers like an
 * edu device. edu_close() undoes it.
 */
static inline int edu_open(struct edu_dev *dev, int group_fd)
{
	struct vfio_region_info bar, cfg;
	int ret;

	dev->device_fd = vfio_device_fd(group_fd, dev->bdf);
	if (dev->device_fd < 0)
		return dev->device_fd;
	ret = -_vfio_region_info(dev->device_fd, VFIO_PCI_CONFIG_REGION_INDEX,
				 &cfg);
	if (ret)
		goto out_close;
	ret = -_vfio_region_info(dev->device_fd, VFIO_PCI_BAR0_REGION_INDEX,
				 &bar);
	if (ret)
		goto out_close;
	ret = -ENODEV;
	if (!(cfg.flags & VFIO_REGION_INFO_FLAG_READ) ||
	    !(cfg.flags & VFIO_REGION_INFO_FLAG_WRITE) ||
	    !(bar.flags & VFIO_REGION_INFO_FLAG_MMAP) || bar.size < 0x100)
		goto out_close;
	dev->cfg_offset = cfg.offset;

	ret = edu_bus_master(dev, false);
	if (ret)
		goto out_close;
	dev->bar_len = bar.size;
	dev->bar = mmap(NULL, dev->bar_len, PROT_READ | PROT_WRITE, MAP_SHARED,
			dev->device_fd, bar.offset);
	if (dev->bar == MAP_FAILED) {
		ret = -errno;
		dev->bar = NULL;
		goto out_close;
	}
	ret = -ENODEV;
	if (edu_read32(dev, EDU_REG_ID) != EDU_ID)
		goto out_close;
	edu_write32(dev, EDU_REG_LIVENESS, 0x12345678);
	if (edu_read32(dev, EDU_REG_LIVENESS) != ~0x12345678U)
		goto out_close;
	return 0;

out_close:
	edu_close(dev);
	return ret;
}

/* One transfer; waits for it to finish. -ETIMEDOUT if it never does. */
static inline int edu_dma(struct edu_dev *dev, uint64_t src, uint64_t dst,
			  uint64_t len, bool to_ram)
{
	uint64_t deadline = now_ms() + EDU_DMA_TIMEOUT_MS;

	if (edu_read64(dev, EDU_REG_DMA_CMD) & EDU_DMA_START)
		return -EBUSY;
	edu_write64(dev, EDU_REG_DMA_SRC, src);
	edu_write64(dev, EDU_REG_DMA_DST, dst);
	edu_write64(dev, EDU_REG_DMA_CNT, len);
	edu_write64(dev, EDU_REG_DMA_CMD,
		    EDU_DMA_START | (to_ram ? EDU_DMA_TO_RAM : 0));
	while (edu_read64(dev, EDU_REG_DMA_CMD) & EDU_DMA_START) {
		if (now_ms() > deadline)
			return -ETIMEDOUT;
		usleep(5000);
	}
	return 0;
}

/* The device reads @len bytes at @iova into its buffer at offset @off. */
static inline int edu_read_ram(struct edu_dev *dev, uint64_t iova,
			       unsigned int off, unsigned int len)
{
	if (!len || off + len > EDU_BUF_SAFE || iova + len > EDU_DMA_LIMIT)
		return -EINVAL;
	return edu_dma(dev, iova, EDU_BUF_ADDR + off, len, false);
}

/* The device writes @len bytes of its buffer at offset @off to @iova. */
static inline int edu_write_ram(struct edu_dev *dev, unsigned int off,
				uint64_t iova, unsigned int len)
{
	if (!len || off + len > EDU_BUF_SAFE || iova + len > EDU_DMA_LIMIT)
		return -EINVAL;
	return edu_dma(dev, EDU_BUF_ADDR + off, iova, len, true);
}

/* ---- the kernel log ------------------------------------------------------ */

/* /dev/kmsg, positioned after the last record logged so far. */
static inline int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (lseek(fd, 0, SEEK_END) < 0) {
		close(fd);
		return -errno;
	}
	return fd;
}

/*
 * Wait up to @timeout_ms for a record logged after @fd's position that
 * contains every one of the @n strings in @needles; the record's text goes
 * to @line. Returns 0, or -ETIMEDOUT.
 */
static inline int kmsg_wait(int fd, const char * const *needles,
			    unsigned int n, unsigned int timeout_ms,
			    char *line, size_t size)
{
	uint64_t deadline = now_ms() + timeout_ms;
	char rec[2048];
	unsigned int i;
	ssize_t len;

	for (;;) {
		len = read(fd, rec, sizeof(rec) - 1);
		if (len < 0 && errno == EPIPE)
			continue;	/* overwritten records: skip on */
		if (len < 0 && errno != EAGAIN)
			return -errno;
		if (len < 0) {
			if (now_ms() > deadline)
				return -ETIMEDOUT;
			usleep(20000);
			continue;
		}
		rec[len] = '\0';
		for (i = 0; i < n; i++)
			if (!strstr(rec, needles[i]))
				break;
		if (i == n) {
			str_copy(line, rec, size);
			line[strcspn(line, "\n")] = '\0';
			return 0;
		}
	}
}

/*
 * Say in the kernel log that @dev is about to fault at the page of @iova
 * on purpose. tools/vm/check-log.sh fails a run on any DMAR fault that was
 * not announced this way first; each announcement covers one fault.
 */
static inline int kmsg_expect_dmar_fault(const struct edu_dev *dev,
					 uint64_t iova)
{
	char msg[128];
	int fd, n, ret = 0;

	fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = snprintf(msg, sizeof(msg),
		     "vfio-mdom-test: expect DMAR fault [%s] addr 0x%llx\n",
		     edu_rid(dev), (unsigned long long)(iova & ~0xfffULL));
	if (write(fd, msg, n) != n)
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * Wait for the Intel IOMMU's fault record for a DMA of @dev at @iova:
 * "DMAR: [DMA Read NO_PASID] Request device [00:03.0] fault addr 0x100000
 * [fault reason 0x06] ...". The address is the faulting page; the record
 * goes to @line ("DMA Read" when the device was reading memory).
 */
static inline int kmsg_wait_dmar_fault(int fd, const struct edu_dev *dev,
				       uint64_t iova, char *line, size_t size)
{
	char addr[64], rid[48];
	const char *needles[3] = { "DMAR", addr, rid };

	snprintf(addr, sizeof(addr), "fault addr 0x%llx ",
		 (unsigned long long)(iova & ~0xfffULL));
	snprintf(rid, sizeof(rid), "[%s]", edu_rid(dev));
	return kmsg_wait(fd, needles, 3, 8000, line, size);
}

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

static inline void intel_pt_path(char *path, size_t size, const char *bdf)
{
	snprintf(path, size, INTEL_IOMMU_DEBUGFS "/%s/domain_translation_struct",
		 bdf);
}

static inline bool intel_pt_available(const char *bdf)
{
	char path[160];

	intel_pt_path(path, sizeof(path), bdf);
	return !access(path, R_OK);
}

/*
 * The Extended Capability Register of the Intel IOMMU (DMAR unit) in
 * front of PCI device @bdf, as the kernel shows it in
 * /sys/bus/pci/devices/<BDF>/iommu/intel-iommu/ecap (hex).
 */
#define INTEL_ECAP_SC		0x80ULL		/* snoop control */
#define INTEL_ECAP_SMTS		0x80000000000ULL	/* scalable mode */
#define INTEL_ECAP_SLTS		0x400000000000ULL	/* second-stage tables */
#define INTEL_ECAP_FLTS		0x800000000000ULL	/* first-stage tables */

static inline int intel_iommu_ecap(const char *bdf, uint64_t *ecap)
{
	char path[160], buf[64], *end;
	int ret;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/iommu/intel-iommu/ecap",
		 bdf);
	ret = read_line(path, buf, sizeof(buf));
	if (ret)
		return ret;
	errno = 0;
	*ecap = strtoull(buf, &end, 16);
	return errno || end == buf ? -EPROTO : 0;
}

/*
 * Every leaf of the page table of the domain device @bdf is attached to,
 * in IOVA order, into a malloc()ed *@out (free() it): their number, or a
 * negative errno.
 */
static inline long intel_pt_read(const char *bdf, struct intel_pte **out)
{
	unsigned long long pfn, v[5];
	size_t size = 1 << 20, n = 0, max = 0;
	struct intel_pte *ptes = NULL, *p;
	char path[160], *text = NULL, *line, *next;
	ssize_t len;
	int k;

	intel_pt_path(path, sizeof(path), bdf);
	for (;;) {
		text = malloc(size);
		if (!text)
			return -ENOMEM;
		len = read_file(path, text, size);
		if (len != -E2BIG)
			break;
		free(text);
		size *= 4;
	}
	if (len < 0) {
		free(text);
		return len;
	}
	for (line = text; *line; line = next) {
		next = next_line(line);
		k = sscanf(line, "0x%llx |\t0x%llx\t0x%llx\t0x%llx\t0x%llx\t0x%llx",
			   &pfn, &v[0], &v[1], &v[2], &v[3], &v[4]);
		if (k < 4)
			continue;	/* the device and column header lines */
		if (n == max) {
			max = max * 2 + 256;
			p = realloc(ptes, max * sizeof(*ptes));
			if (!p) {
				free(ptes);
				free(text);
				return -ENOMEM;
			}
			ptes = p;
		}
		/* k - 1 entries: PML5E, PML4E, PDPE[, PDE[, PTE]] */
		ptes[n].iova = pfn << 12;
		ptes[n].val = v[k - 2];
		ptes[n].size = 1ULL << (12 + 9 * (6 - k));
		ptes[n].phys = INTEL_PTE_ADDR(ptes[n].val);
		n++;
	}
	free(text);
	*out = ptes;
	return n;
}

/*
 * The leaf that translates @iova in the domain of device @bdf, as
 * intel_pt_read() gives it: 0, -ENOENT if nothing translates @iova, or
 * another negative errno.
 */
static inline int intel_translation(const char *bdf, uint64_t iova,
				    struct intel_pte *x)
{
	struct intel_pte *ptes;
	long n, i;
	int ret = -ENOENT;

	n = intel_pt_read(bdf, &ptes);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		if (iova >= ptes[i].iova && iova - ptes[i].iova < ptes[i].size) {
			*x = ptes[i];
			ret = 0;
			break;
		}
	}
	free(ptes);
	return ret;
}

/* The start of BAR @bar of PCI device @bdf (sysfs resource), or 0. */
static inline uint64_t pci_bar_start(const char *bdf, unsigned int bar)
{
	char path[128], text[4096], *line, *next;
	unsigned int i = 0;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/resource", bdf);
	if (read_file(path, text, sizeof(text)) < 0)
		return 0;
	for (line = text; *line; line = next, i++) {
		next = next_line(line);
		if (i == bar)
			return strtoull(line, NULL, 16);
	}
	return 0;
}

#endif /* _VFIO_MDOM_EDU_UTILS_H */
