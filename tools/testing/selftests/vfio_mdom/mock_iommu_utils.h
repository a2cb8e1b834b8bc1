/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace helpers for the vfio-mdom mock IOMMU (drivers/mock_iommu):
 * read its debugfs inspection files, drive a mock device's DMA, find the
 * VFIO groups of mock devices and of edu devices bound to vfio-pci.
 *
 * The debugfs formats are documented at the top of
 * drivers/mock_iommu/main.c. Functions return a negative errno on failure.
 */
#ifndef MOCK_IOMMU_UTILS_H
#define MOCK_IOMMU_UTILS_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/types.h>

#define MOCK_DEBUGFS	"/sys/kernel/debug/vfio_mdom_mock_iommu"
#define MOCK_SYSFS_BUS	"/sys/bus/vfio_mdom_mock/devices"
#define MOCK_MAX_DEVS	64

struct mock_dev_info {
	char name[64];
	int inst;
	int index;
	int group;
	unsigned int domain;	/* 0: blocked */
};

struct mock_inst_info {
	int inst;
	unsigned long pgsizes;
	unsigned long long aperture_end;
	int enforce_cc;
	int isolated_msi;
	int devices;
};

struct mock_domain_info {
	unsigned int id;
	int inst;
	unsigned long pgsizes;
	unsigned int attached;
	unsigned long translations;
	int flush_pending;
};

struct mock_translation {
	__u64 iova;
	__u64 phys;
	__u64 size;
	int prot;
};

static inline bool mock_loaded(void)
{
	return access(MOCK_DEBUGFS "/devices", R_OK) == 0;
}

/* All mock devices; returns how many were stored in @devs */
static inline int mock_read_devices(struct mock_dev_info *devs, int max)
{
	FILE *f = fopen(MOCK_DEBUGFS "/devices", "r");
	int n = 0;

	if (!f)
		return -errno;
	while (n < max &&
	       fscanf(f, " dev %63s inst %d index %d group %d domain %u",
		      devs[n].name, &devs[n].inst, &devs[n].index,
		      &devs[n].group, &devs[n].domain) == 5)
		n++;
	fclose(f);
	return n;
}

static inline int mock_find_dev(int inst, int index, struct mock_dev_info *out)
{
	struct mock_dev_info devs[MOCK_MAX_DEVS];
	int i, n = mock_read_devices(devs, MOCK_MAX_DEVS);

	for (i = 0; i < n; i++) {
		if (devs[i].inst == inst && devs[i].index == index) {
			*out = devs[i];
			return 0;
		}
	}
	return n < 0 ? n : -ENOENT;
}

/*
 * Value of "KEY VALUE" in a debugfs line (decimal or 0x-prefixed hex);
 * for a range "0xS-0xE" the end. Returns false when KEY is absent.
 */
static inline bool mock_field(const char *line, const char *key,
			      unsigned long long *val)
{
	size_t klen = strlen(key);
	const char *p = line;
	char *end;

	while ((p = strstr(p, key))) {
		if ((p == line || p[-1] == ' ') && p[klen] == ' ')
			break;
		p += klen;
	}
	if (!p)
		return false;
	*val = strtoull(p + klen + 1, &end, 0);
	if (*end == '-')
		*val = strtoull(end + 1, &end, 0);
	return true;
}

/* All instances; returns how many were stored in @insts */
static inline int mock_read_instances(struct mock_inst_info *insts, int max)
{
	FILE *f = fopen(MOCK_DEBUGFS "/instances", "r");
	unsigned long long v[6];
	char line[512];
	int n = 0;

	if (!f)
		return -errno;
	while (n < max && fgets(line, sizeof(line), f)) {
		if (!mock_field(line, "inst", &v[0]) ||
		    !mock_field(line, "pgsizes", &v[1]) ||
		    !mock_field(line, "aperture", &v[2]) ||
		    !mock_field(line, "enforce_cc", &v[3]) ||
		    !mock_field(line, "isolated_msi", &v[4]) ||
		    !mock_field(line, "devices", &v[5]))
			continue;
		insts[n].inst = v[0];
		insts[n].pgsizes = v[1];
		insts[n].aperture_end = v[2];
		insts[n].enforce_cc = v[3];
		insts[n].isolated_msi = v[4];
		insts[n].devices = v[5];
		n++;
	}
	fclose(f);
	return n;
}

/* Parse a "domain ..." header line of the domains file */
static inline bool mock_parse_domain(const char *line,
				     struct mock_domain_info *d)
{
	unsigned long long v[6];

	if (strncmp(line, "domain ", 7) ||
	    !mock_field(line, "domain", &v[0]) ||
	    !mock_field(line, "inst", &v[1]) ||
	    !mock_field(line, "pgsizes", &v[2]) ||
	    !mock_field(line, "attached", &v[3]) ||
	    !mock_field(line, "translations", &v[4]) ||
	    !mock_field(line, "flush_pending", &v[5]))
		return false;
	d->id = v[0];
	d->inst = v[1];
	d->pgsizes = v[2];
	d->attached = v[3];
	d->translations = v[4];
	d->flush_pending = v[5];
	return true;
}

/*
 * Domain @id from the domains file, and up to @max of its translations in
 * @t (may be NULL). Returns the number of translations stored, or -ENOENT.
 */
static inline int mock_read_domain(unsigned int id, struct mock_domain_info *info,
				   struct mock_translation *t, int max)
{
	FILE *f = fopen(MOCK_DEBUGFS "/domains", "r");
	bool found = false;
	char line[512];
	int n = 0;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		struct mock_domain_info d;
		unsigned long long iova, phys, size;
		int prot;

		if (mock_parse_domain(line, &d)) {
			if (found)
				break;
			if (d.id == id) {
				found = true;
				*info = d;
			}
			continue;
		}
		if (!found || !t || n >= max)
			continue;
		if (sscanf(line, " iova %llx phys %llx size %llx prot %x",
			   &iova, &phys, &size, &prot) == 4) {
			t[n].iova = iova;
			t[n].phys = phys;
			t[n].size = size;
			t[n].prot = prot;
			n++;
		}
	}
	fclose(f);
	return found ? n : -ENOENT;
}

/* Number of live mock domains */
static inline int mock_nr_domains(void)
{
	FILE *f = fopen(MOCK_DEBUGFS "/domains", "r");
	char line[512];
	int n = 0;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		n += !strncmp(line, "domain ", 7);
	fclose(f);
	return n;
}

/* Counter @name of instance @inst, or summed over all for @inst < 0 */
static inline long long mock_counter(const char *name, int inst)
{
	char path[128], key[64];
	long long val, ret = -ENOENT;
	FILE *f;

	if (inst < 0)
		snprintf(path, sizeof(path), MOCK_DEBUGFS "/counters");
	else
		snprintf(path, sizeof(path), MOCK_DEBUGFS "/inst%d/counters",
			 inst);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fscanf(f, "%63s %lld", key, &val) == 2) {
		if (!strcmp(key, name)) {
			ret = val;
			break;
		}
	}
	fclose(f);
	return ret;
}

/* The counters that must not move while a correct user drives the mock */
#define MOCK_NR_BAD_COUNTERS 6

static inline const char *mock_bad_counter_name(int i)
{
	static const char * const names[MOCK_NR_BAD_COUNTERS] = {
		"unmap_mismatch", "map_overlap", "leaked_translations",
		"unsynced_unmaps", "freed_attached", "resv_maps",
	};

	return i >= 0 && i < MOCK_NR_BAD_COUNTERS ? names[i] : "?";
}

/* Snapshot of the counters that must not move, summed over instances */
static inline int mock_bad_counters(long long vals[MOCK_NR_BAD_COUNTERS])
{
	int i;

	for (i = 0; i < MOCK_NR_BAD_COUNTERS; i++) {
		vals[i] = mock_counter(mock_bad_counter_name(i), -1);
		if (vals[i] < 0)
			return vals[i];
	}
	return 0;
}

static inline int mock_write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t len = strlen(val);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, len) != len)
		ret = -errno;
	close(fd);
	return ret;
}

static inline int mock_read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t len;

	if (fd < 0)
		return -errno;
	len = read(fd, buf, size - 1);
	close(fd);
	if (len < 0)
		return -errno;
	buf[len] = '\0';
	return 0;
}

/*
 * Device @name DMAs: writes @len bytes of @buf to memory at @iova
 * (mock_dma_write) or reads them (mock_dma_read). Returns 0, or -EIO for
 * a translation fault, -EACCES for a permission fault.
 */
static inline int mock_dma(const char *name, uint64_t iova, void *buf,
			   size_t len, bool write_mem)
{
	char path[160];
	ssize_t done;
	int fd, ret = 0;

	snprintf(path, sizeof(path), MOCK_DEBUGFS "/dev/%s/dma", name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write_mem)
		done = pwrite(fd, buf, len, iova);
	else
		done = pread(fd, buf, len, iova);
	if (done < 0)
		ret = -errno;
	else if ((size_t)done != len)
		ret = -EIO;
	close(fd);
	return ret;
}

static inline int mock_dma_write(const char *name, uint64_t iova,
				 const void *buf, size_t len)
{
	return mock_dma(name, iova, (void *)buf, len, true);
}

static inline int mock_dma_read(const char *name, uint64_t iova, void *buf,
				size_t len)
{
	return mock_dma(name, iova, buf, len, false);
}

/* Group number behind the iommu_group link of a sysfs device directory */
static inline int mock_sysfs_group(const char *devdir)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *base;
	ssize_t len;

	snprintf(path, sizeof(path), "%.4000s/iommu_group", devdir);
	len = readlink(path, target, sizeof(target) - 1);
	if (len < 0)
		return -errno;
	target[len] = '\0';
	base = strrchr(target, '/');
	return atoi(base ? base + 1 : target);
}

static inline int mock_read_sysfs(const char *dir, const char *file,
				  char *buf, size_t size)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%.3000s/%.64s", dir, file);
	return mock_read_file(path, buf, size);
}

/*
 * IOMMU group of the first QEMU edu device (1234:11e8) bound to vfio-pci,
 * or -ENOENT. @bdf gets its PCI address when not NULL.
 */
static inline int mock_find_edu_group(char *bdf, size_t bdf_size)
{
	const char *pci = "/sys/bus/pci/devices";
	DIR *d = opendir(pci);
	struct dirent *e;
	int group = -ENOENT;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		char dir[512], buf[640], drv[PATH_MAX];
		ssize_t len;

		if (e->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "%s/%.256s", pci, e->d_name);
		if (mock_read_sysfs(dir, "vendor", buf, sizeof(buf)) ||
		    strncmp(buf, "0x1234", 6))
			continue;
		if (mock_read_sysfs(dir, "device", buf, sizeof(buf)) ||
		    strncmp(buf, "0x11e8", 6))
			continue;
		snprintf(buf, sizeof(buf), "%.512s/driver", dir);
		len = readlink(buf, drv, sizeof(drv) - 1);
		if (len < 0)
			continue;
		drv[len] = '\0';
		if (strcmp(strrchr(drv, '/') + 1, "vfio-pci"))
			continue;
		group = mock_sysfs_group(dir);
		if (bdf)
			snprintf(bdf, bdf_size, "%.*s", (int)bdf_size - 1,
				 e->d_name);
		break;
	}
	closedir(d);
	return group;
}

#define MOCK_TYPE1_UNSAFE \
	"/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts"

/* Returns the old value (0/1) after setting it to @on, or -errno */
static inline int mock_set_allow_unsafe_interrupts(bool on)
{
	char buf[8];
	int ret;

	ret = mock_read_file(MOCK_TYPE1_UNSAFE, buf, sizeof(buf));
	if (ret)
		return ret;
	ret = mock_write_file(MOCK_TYPE1_UNSAFE, on ? "1" : "0");
	if (ret)
		return ret;
	return buf[0] == 'Y' || buf[0] == '1';
}

#endif /* MOCK_IOMMU_UTILS_H */
