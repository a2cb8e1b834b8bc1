// SPDX-License-Identifier: GPL-2.0
#include <libvfio_mdom/edu.h>

int edu_cmp_names(const void *a, const void *b)
{
	return strcmp(*(char * const *)a, *(char * const *)b);
}

bool pci_is_vfio_dev(const char *bdf, const char *vendor, const char *device)
{
	char path[320], buf[64];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/vendor", bdf);
	if (read_line(path, buf, sizeof(buf)) || strcmp(buf, vendor))
		return false;
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/device", bdf);
	if (read_line(path, buf, sizeof(buf)) || strcmp(buf, device))
		return false;
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver", bdf);
	return !read_link_name(path, buf, sizeof(buf)) &&
	       !strcmp(buf, "vfio-pci");
}

int pci_iommu_driver(const char *bdf, char *name, size_t size)
{
	char path[320];
	size_t len;
	int ret;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/iommu", bdf);
	ret = read_link_name(path, name, size);
	if (ret)
		return ret;
	len = strlen(name);
	while (len > 1 && name[len - 1] >= '0' && name[len - 1] <= '9')
		name[--len] = '\0';
	return 0;
}

int pci_vfio_devices(const char *vendor, const char *device, char bdf[][32],
		     int max)
{
	struct dirent **names;
	int i, n, found = 0;

	n = scandir(PCI_DEVICES, &names, NULL, alphasort);
	if (n < 0)
		return -errno;
	for (i = 0; i < n; i++) {
		const char *name = names[i]->d_name;

		if (name[0] != '.' && pci_is_vfio_dev(name, vendor, device)) {
			if (found < max)
				str_copy(bdf[found], name, sizeof(bdf[found]));
			found++;
		}
		free(names[i]);
	}
	free(names);
	return found;
}

bool edu_is_vfio_edu(const char *bdf)
{
	return pci_is_vfio_dev(bdf, EDU_VENDOR, EDU_DEVICE);
}

int edu_find(unsigned int nth, struct edu_dev *dev)
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

unsigned int edu_count(void)
{
	struct edu_dev dev;
	unsigned int n = 0;

	while (!edu_find(n, &dev))
		n++;
	return n;
}

const char *edu_rid(const struct edu_dev *dev)
{
	return strlen(dev->bdf) > 5 ? dev->bdf + 5 : dev->bdf;
}

uint64_t edu_read64(struct edu_dev *dev, unsigned int reg)
{
	return __atomic_load_n((uint64_t *)((char *)dev->bar + reg),
			       __ATOMIC_SEQ_CST);
}

void edu_write64(struct edu_dev *dev, unsigned int reg, uint64_t val)
{
	__atomic_store_n((uint64_t *)((char *)dev->bar + reg), val,
			 __ATOMIC_SEQ_CST);
}

uint32_t edu_read32(struct edu_dev *dev, unsigned int reg)
{
	return __atomic_load_n((uint32_t *)((char *)dev->bar + reg),
			       __ATOMIC_SEQ_CST);
}

void edu_write32(struct edu_dev *dev, unsigned int reg, uint32_t val)
{
	__atomic_store_n((uint32_t *)((char *)dev->bar + reg), val,
			 __ATOMIC_SEQ_CST);
}

int edu_get_command(struct edu_dev *dev, uint16_t *cmd)
{
	return pread(dev->device_fd, cmd, 2, dev->cfg_offset + PCI_CFG_COMMAND)
	       == 2 ? 0 : -EIO;
}

int edu_set_command(struct edu_dev *dev, uint16_t cmd)
{
	return pwrite(dev->device_fd, &cmd, 2,
		      dev->cfg_offset + PCI_CFG_COMMAND) == 2 ? 0 : -EIO;
}

int edu_bus_master(struct edu_dev *dev, bool on)
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

void edu_close(struct edu_dev *dev)
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

int edu_open(struct edu_dev *dev, int group_fd)
{
	struct vfio_region_info bar, cfg;
	int ret;

	dev->device_fd = vfio_device_fd(group_fd, dev->bdf);
	if (dev->device_fd < 0)
		return dev->device_fd;
	ret = _vfio_region_info(dev->device_fd, VFIO_PCI_CONFIG_REGION_INDEX,
				&cfg);
	if (ret)
		goto out_close;
	ret = _vfio_region_info(dev->device_fd, VFIO_PCI_BAR0_REGION_INDEX,
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

int edu_dma(struct edu_dev *dev, uint64_t src, uint64_t dst,
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

int edu_read_ram(struct edu_dev *dev, uint64_t iova,
		 unsigned int off, unsigned int len)
{
	if (!len || off + len > EDU_BUF_SAFE || iova + len > EDU_DMA_LIMIT)
		return -EINVAL;
	return edu_dma(dev, iova, EDU_BUF_ADDR + off, len, false);
}

int edu_write_ram(struct edu_dev *dev, unsigned int off,
		  uint64_t iova, unsigned int len)
{
	if (!len || off + len > EDU_BUF_SAFE || iova + len > EDU_DMA_LIMIT)
		return -EINVAL;
	return edu_dma(dev, EDU_BUF_ADDR + off, iova, len, true);
}

int kmsg_open(void)
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

int kmsg_wait(int fd, const char * const *needles,
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

int kmsg_expect_dmar_fault(const struct edu_dev *dev, uint64_t iova)
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

int kmsg_wait_dmar_fault(int fd, const struct edu_dev *dev,
			 uint64_t iova, char *line, size_t size)
{
	char addr[64], rid[48];
	const char *needles[3] = { "DMAR", addr, rid };

	snprintf(addr, sizeof(addr), "fault addr 0x%llx ",
		 (unsigned long long)(iova & ~0xfffULL));
	snprintf(rid, sizeof(rid), "[%s]", edu_rid(dev));
	return kmsg_wait(fd, needles, 3, 8000, line, size);
}

void intel_pt_path(char *path, size_t size, const char *bdf)
{
	snprintf(path, size, INTEL_IOMMU_DEBUGFS "/%s/domain_translation_struct",
		 bdf);
}

bool intel_pt_available(const char *bdf)
{
	char path[160];

	intel_pt_path(path, sizeof(path), bdf);
	return !access(path, R_OK);
}

int intel_iommu_ecap(const char *bdf, uint64_t *ecap)
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

long intel_pt_read(const char *bdf, struct intel_pte **out)
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

int intel_translation(const char *bdf, uint64_t iova, struct intel_pte *x)
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

uint64_t pci_bar_start(const char *bdf, unsigned int bar)
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
