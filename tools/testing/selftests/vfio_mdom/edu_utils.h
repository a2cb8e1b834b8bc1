/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace driver for QEMU's "edu" PCI device (1234:11e8), enough to make
 * it DMA through whatever IOMMU domain its group is attached to, and a
 * reader of the kernel log to see the IOMMU faults that DMA provokes.
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
 * The device is bound to vfio-pci, but nobody opens its VFIO device file: a
 * group attached to a vfio-mdom container is DMA-owned by vfio-mdom, so
 * VFIO_GROUP_GET_DEVICE_FD is refused. BAR0 is reached through sysfs
 * (/sys/bus/pci/devices/BDF/resource0, mmap) and bus mastering is turned on
 * in the config space file, and restored by edu_close().
 *
 * Functions return 0 or a negative errno; nothing here asserts.
 */
#ifndef _EDU_UTILS_H
#define _EDU_UTILS_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define EDU_VENDOR		"0x1234"
#define EDU_DEVICE		"0x11e8"
#define EDU_PCI_DEVICES		"/sys/bus/pci/devices"

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
#define EDU_DMA_LIMIT		(1ULL << 28)
#define EDU_DMA_TIMEOUT_MS	10000

#define PCI_CFG_COMMAND		0x04
#define PCI_CMD_MEMORY		0x2
#define PCI_CMD_MASTER		0x4

struct edu_dev {
	char bdf[32];		/* 0000:00:03.0 */
	int group;		/* its IOMMU group: /dev/vfio/<group> */
	int cfg_fd;		/* sysfs config space, -1 when closed */
	volatile uint8_t *bar;	/* BAR0, mmap()ed from sysfs resource0 */
	size_t bar_len;
	uint16_t saved_cmd;	/* PCI command register before edu_open() */
};

/* Copy @src into @dst of @size bytes, truncated, always terminated. */
static inline void edu_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (!size)
		return;
	if (len >= size)
		len = size - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

static inline int edu_read_attr(const char *bdf, const char *attr,
				char *buf, size_t size)
{
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), EDU_PCI_DEVICES "/%s/%s", bdf, attr);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

/* Last path component of the symlink @bdf/@attr, in @buf. */
static inline int edu_read_link(const char *bdf, const char *attr,
				char *buf, size_t size)
{
	char path[256], target[512];
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path), EDU_PCI_DEVICES "/%s/%s", bdf, attr);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	base = strrchr(target, '/');
	edu_strlcpy(buf, base ? base + 1 : target, size);
	return 0;
}

static int edu_cmp_names(const void *a, const void *b)
{
	return strcmp(*(char * const *)a, *(char * const *)b);
}

/*
 * The @nth edu device bound to vfio-pci, in PCI address order: fills
 * @dev->bdf and @dev->group. -ENOENT if there is no such device.
 */
static inline int edu_find(unsigned int nth, struct edu_dev *dev)
{
	char *names[64], buf[64];
	unsigned int n = 0, i, k = 0;
	struct dirent *e;
	int ret = -ENOENT;
	DIR *d;

	memset(dev, 0, sizeof(*dev));
	dev->cfg_fd = -1;
	d = opendir(EDU_PCI_DEVICES);
	if (!d)
		return -errno;
	while ((e = readdir(d)) && n < 64) {
		if (e->d_name[0] == '.')
			continue;
		names[n] = strdup(e->d_name);
		if (names[n])
			n++;
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), edu_cmp_names);
	for (i = 0; i < n; i++) {
		if (ret != -ENOENT)
			break;
		if (edu_read_attr(names[i], "vendor", buf, sizeof(buf)) ||
		    strncmp(buf, EDU_VENDOR, 6) ||
		    edu_read_attr(names[i], "device", buf, sizeof(buf)) ||
		    strncmp(buf, EDU_DEVICE, 6) ||
		    edu_read_link(names[i], "driver", buf, sizeof(buf)) ||
		    strcmp(buf, "vfio-pci"))
			continue;
		if (k++ != nth)
			continue;
		edu_strlcpy(dev->bdf, names[i], sizeof(dev->bdf));
		if (edu_read_link(names[i], "iommu_group", buf, sizeof(buf)))
			ret = -ENODEV;
		else
			ret = 0;
		dev->group = atoi(buf);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	return ret;
}

static inline uint64_t edu_read64(struct edu_dev *dev, unsigned int reg)
{
	return *(volatile uint64_t *)(dev->bar + reg);
}

static inline void edu_write64(struct edu_dev *dev, unsigned int reg,
			       uint64_t val)
{
	*(volatile uint64_t *)(dev->bar + reg) = val;
}

static inline uint32_t edu_read32(struct edu_dev *dev, unsigned int reg)
{
	return *(volatile uint32_t *)(dev->bar + reg);
}

static inline void edu_write32(struct edu_dev *dev, unsigned int reg,
			       uint32_t val)
{
	*(volatile uint32_t *)(dev->bar + reg) = val;
}

static inline int edu_cfg_read16(struct edu_dev *dev, unsigned int off,
				 uint16_t *val)
{
	return pread(dev->cfg_fd, val, 2, off) == 2 ? 0 : -EIO;
}

static inline int edu_cfg_write16(struct edu_dev *dev, unsigned int off,
				  uint16_t val)
{
	return pwrite(dev->cfg_fd, &val, 2, off) == 2 ? 0 : -EIO;
}

/* Turn bus mastering (and memory decoding) on or off. */
static inline int edu_bus_master(struct edu_dev *dev, bool on)
{
	uint16_t cmd;
	int ret;

	ret = edu_cfg_read16(dev, PCI_CFG_COMMAND, &cmd);
	if (ret)
		return ret;
	if (on)
		cmd |= PCI_CMD_MASTER | PCI_CMD_MEMORY;
	else
		cmd &= ~PCI_CMD_MASTER;
	return edu_cfg_write16(dev, PCI_CFG_COMMAND, cmd);
}

static inline void edu_close(struct edu_dev *dev)
{
	if (dev->bar) {
		munmap((void *)dev->bar, dev->bar_len);
		dev->bar = NULL;
	}
	if (dev->cfg_fd >= 0) {
		edu_cfg_write16(dev, PCI_CFG_COMMAND, dev->saved_cmd);
		close(dev->cfg_fd);
		dev->cfg_fd = -1;
	}
}

/*
 * Map BAR0 and open the config space of @dev (from edu_find()), with
 * memory decoding on and bus mastering off, and check that it answers
 * like an edu device. edu_close() restores the command register.
 */
static inline int edu_open(struct edu_dev *dev)
{
	char path[256];
	struct stat st;
	int fd, ret;

	snprintf(path, sizeof(path), EDU_PCI_DEVICES "/%s/config", dev->bdf);
	dev->cfg_fd = open(path, O_RDWR | O_CLOEXEC);
	if (dev->cfg_fd < 0)
		return -errno;
	ret = edu_cfg_read16(dev, PCI_CFG_COMMAND, &dev->saved_cmd);
	if (ret)
		goto out_close;
	ret = edu_cfg_write16(dev, PCI_CFG_COMMAND,
			      (dev->saved_cmd | PCI_CMD_MEMORY) &
			      ~PCI_CMD_MASTER);
	if (ret)
		goto out_close;

	snprintf(path, sizeof(path), EDU_PCI_DEVICES "/%s/resource0", dev->bdf);
	fd = open(path, O_RDWR | O_SYNC | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto out_close;
	}
	if (fstat(fd, &st) || st.st_size <= 0) {
		ret = -EIO;
		close(fd);
		goto out_close;
	}
	dev->bar_len = st.st_size;
	dev->bar = mmap(NULL, dev->bar_len, PROT_READ | PROT_WRITE, MAP_SHARED,
			fd, 0);
	close(fd);
	if (dev->bar == MAP_FAILED) {
		ret = -errno;
		dev->bar = NULL;
		goto out_close;
	}

	if (edu_read32(dev, EDU_REG_ID) != EDU_ID) {
		ret = -ENODEV;
		goto out_close;
	}
	edu_write32(dev, EDU_REG_LIVENESS, 0x12345678);
	if (edu_read32(dev, EDU_REG_LIVENESS) != ~0x12345678U) {
		ret = -ENODEV;
		goto out_close;
	}
	return 0;

out_close:
	edu_close(dev);
	return ret;
}

static inline uint64_t edu_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

/* One transfer; waits for it to finish. -ETIMEDOUT if it never does. */
static inline int edu_dma(struct edu_dev *dev, uint64_t src, uint64_t dst,
			  uint64_t len, bool to_ram)
{
	uint64_t deadline = edu_now_ms() + EDU_DMA_TIMEOUT_MS;

	if (edu_read64(dev, EDU_REG_DMA_CMD) & EDU_DMA_START)
		return -EBUSY;
	edu_write64(dev, EDU_REG_DMA_SRC, src);
	edu_write64(dev, EDU_REG_DMA_DST, dst);
	edu_write64(dev, EDU_REG_DMA_CNT, len);
	edu_write64(dev, EDU_REG_DMA_CMD,
		    EDU_DMA_START | (to_ram ? EDU_DMA_TO_RAM : 0));
	while (edu_read64(dev, EDU_REG_DMA_CMD) & EDU_DMA_START) {
		if (edu_now_ms() > deadline)
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
	uint64_t deadline = edu_now_ms() + timeout_ms;
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
			if (edu_now_ms() > deadline)
				return -ETIMEDOUT;
			usleep(20000);
			continue;
		}
		rec[len] = '\0';
		for (i = 0; i < n; i++)
			if (!strstr(rec, needles[i]))
				break;
		if (i == n) {
			edu_strlcpy(line, rec, size);
			len = strlen(line);
			if (len && line[len - 1] == '\n')
				line[len - 1] = '\0';
			return 0;
		}
	}
}

/*
 * Say in the kernel log that @dev is about to fault at @iova on purpose.
 * tools/vm/check-log.sh fails a run on any DMAR fault (device and page)
 * that was not announced this way first.
 */
static inline int kmsg_expect_dmar_fault(const struct edu_dev *dev,
					 uint64_t iova)
{
	int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	char msg[128];
	int n, ret = 0;

	if (fd < 0)
		return -errno;
	/* "0000:00:03.0" is logged by the DMAR as "[00:03.0]" */
	n = snprintf(msg, sizeof(msg),
		     "vfio-mdom-test: expect DMAR fault [%s] addr 0x%llx\n",
		     strlen(dev->bdf) > 5 ? dev->bdf + 5 : dev->bdf,
		     (unsigned long long)(iova & ~0xfffULL));
	if (write(fd, msg, n) != n)
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * Wait for the Intel IOMMU's fault record for a DMA of edu device @dev at
 * @iova: "DMAR: [DMA Read NO_PASID] Request device [00:03.0] fault addr
 * 0x100000 [fault reason 0x06] ...". The address is the faulting page; the
 * record goes to @line ("DMA Read" when the device was reading memory).
 */
static inline int kmsg_wait_dmar_fault(int fd, const struct edu_dev *dev,
				       uint64_t iova, char *line, size_t size)
{
	char addr[64], rid[48];
	const char *needles[3] = { "DMAR", addr, rid };

	snprintf(addr, sizeof(addr), "fault addr 0x%llx ",
		 (unsigned long long)(iova & ~0xfffULL));
	/* "0000:00:03.0" is logged as "[00:03.0]" */
	snprintf(rid, sizeof(rid), "[%s]",
		 strlen(dev->bdf) > 5 ? dev->bdf + 5 : dev->bdf);
	return kmsg_wait(fd, needles, 3, 8000, line, size);
}

#endif /* _EDU_UTILS_H */
