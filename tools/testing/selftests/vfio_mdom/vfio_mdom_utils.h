/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfio-mdom selftest helpers: the container ioctls, the groups to attach
 * (edu devices bound to vfio-pci, mock IOMMU devices), the mock IOMMU's
 * debugfs interface (drivers/mock_iommu/main.c documents it) and the
 * process's locked memory.
 *
 * As in tools/testing/selftests/iommu/iommufd_utils.h, each ioctl comes
 * as a pair: _mdom_xxx() returns 0 or the errno and never asserts;
 * mdom_xxx() asserts success and mdom_xxx_err(ERRNO, ...) expects that
 * errno. The macros need the harness's _metadata, i.e. a TEST/TEST_F body.
 */
#ifndef _VFIO_MDOM_UTILS_H
#define _VFIO_MDOM_UTILS_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>
#include <linux/vfio_mdom.h>

#include "kselftest_harness.h"
#include "mock_iommu_utils.h"

#define MDOM_DEV		"/dev/" VFIO_MDOM_DEVICE_NAME

#define SZ_4K			0x1000ULL
#define SZ_1M			0x100000ULL
#define SZ_2M			0x200000ULL

#define MDOM_RW	(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)

#ifndef offsetofend
#define offsetofend(TYPE, MEMBER) \
	(offsetof(TYPE, MEMBER) + sizeof(((TYPE *)0)->MEMBER))
#endif

static inline long mdom_page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

/* ---- the container ioctls ------------------------------------------- */

static inline int mdom_errno(int ret)
{
	return ret ? errno : 0;
}

static inline int _mdom_set_iommu(int fd, unsigned long type)
{
	return mdom_errno(ioctl(fd, VFIO_SET_IOMMU, type));
}

static inline int _mdom_map(int fd, uint64_t iova, uint64_t size,
			    const void *vaddr, uint32_t flags)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = flags,
		.vaddr = (uintptr_t)vaddr,
		.iova = iova,
		.size = size,
	};

	return mdom_errno(ioctl(fd, VFIO_IOMMU_MAP_DMA, &map));
}

#define mdom_map(fd, iova, size, vaddr) \
	ASSERT_EQ(0, _mdom_map(fd, iova, size, vaddr, MDOM_RW))
#define mdom_map_err(err, fd, iova, size, vaddr, flags) \
	EXPECT_EQ(err, _mdom_map(fd, iova, size, vaddr, flags))

/* *@unmapped (if not NULL) gets the size the kernel wrote back. */
static inline int _mdom_unmap(int fd, uint64_t iova, uint64_t size,
			      uint32_t flags, uint64_t *unmapped)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.flags = flags,
		.iova = iova,
		.size = size,
	};
	int ret = ioctl(fd, VFIO_IOMMU_UNMAP_DMA, &unmap);

	if (unmapped)
		*unmapped = ret ? 0 : unmap.size;
	return mdom_errno(ret);
}

#define mdom_unmap(fd, iova, size) \
	({ uint64_t __u = 0, __s = (size); \
	   ASSERT_EQ(0, _mdom_unmap(fd, iova, __s, 0, &__u)); \
	   ASSERT_EQ(__s, __u); })
#define mdom_unmap_all(fd) \
	ASSERT_EQ(0, _mdom_unmap(fd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, NULL))
#define mdom_unmap_err(err, fd, iova, size, flags) \
	EXPECT_EQ(err, _mdom_unmap(fd, iova, size, flags, NULL))

static inline int _mdom_attach(int fd, int group_fd, uint32_t *domain_id,
			       uint32_t *out_flags)
{
	struct vfio_mdom_attach_group cmd = {
		.argsz = sizeof(cmd),
		.group_fd = group_fd,
	};
	int ret = ioctl(fd, VFIO_MDOM_ATTACH_GROUP, &cmd);

	if (!ret && domain_id)
		*domain_id = cmd.domain_id;
	if (!ret && out_flags)
		*out_flags = cmd.out_flags;
	return mdom_errno(ret);
}

#define mdom_attach(fd, group_fd, domain_id, out_flags) \
	ASSERT_EQ(0, _mdom_attach(fd, group_fd, domain_id, out_flags))
#define mdom_attach_err(err, fd, group_fd) \
	EXPECT_EQ(err, _mdom_attach(fd, group_fd, NULL, NULL))

static inline int _mdom_detach(int fd, int group_fd)
{
	struct vfio_mdom_detach_group cmd = {
		.argsz = sizeof(cmd),
		.group_fd = group_fd,
	};

	return mdom_errno(ioctl(fd, VFIO_MDOM_DETACH_GROUP, &cmd));
}

#define mdom_detach(fd, group_fd) ASSERT_EQ(0, _mdom_detach(fd, group_fd))
#define mdom_detach_err(err, fd, group_fd) \
	EXPECT_EQ(err, _mdom_detach(fd, group_fd))

#define MDOM_MAX_DOMAINS	8
#define MDOM_MAX_GROUPS		16

/* VFIO_MDOM_QUERY with room for every domain and group we ever attach. */
struct mdom_state {
	struct vfio_mdom_query q;
	struct vfio_mdom_domain_info domains[MDOM_MAX_DOMAINS];
	struct vfio_mdom_group_info groups[MDOM_MAX_GROUPS];
};

static inline int _mdom_query(int fd, struct mdom_state *st)
{
	memset(st, 0, sizeof(*st));
	st->q.argsz = sizeof(st->q);
	st->q.num_domains = MDOM_MAX_DOMAINS;
	st->q.num_groups = MDOM_MAX_GROUPS;
	st->q.domains = (uintptr_t)st->domains;
	st->q.groups = (uintptr_t)st->groups;
	return mdom_errno(ioctl(fd, VFIO_MDOM_QUERY, &st->q));
}

#define mdom_query(fd, st) ASSERT_EQ(0, _mdom_query(fd, st))

static inline struct vfio_mdom_domain_info *
mdom_state_domain(struct mdom_state *st, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < st->q.num_domains; i++)
		if (st->domains[i].id == id)
			return &st->domains[i];
	return NULL;
}

/* GET_INFO into @buf of @len bytes (argsz = @len). */
static inline int _mdom_get_info(int fd, void *buf, uint32_t len)
{
	struct vfio_iommu_type1_info *info = buf;

	memset(buf, 0, len);
	info->argsz = len;
	return mdom_errno(ioctl(fd, VFIO_IOMMU_GET_INFO, info));
}

/* The capability @id in a GET_INFO answer, or NULL. */
static inline struct vfio_info_cap_header *
mdom_info_cap(struct vfio_iommu_type1_info *info, uint16_t id)
{
	uint32_t off = info->cap_offset;
	struct vfio_info_cap_header *hdr;

	while (off) {
		if (off + sizeof(*hdr) > info->argsz)
			return NULL;
		hdr = (void *)((char *)info + off);
		if (hdr->id == id)
			return hdr;
		off = hdr->next;
	}
	return NULL;
}

/* ---- groups ----------------------------------------------------------- */

/* The number N of a device's /sys/.../iommu_group link, or -1. */
static inline int mdom_sysfs_group(const char *devdir)
{
	char path[600], link[512];
	ssize_t n;
	char *slash;

	snprintf(path, sizeof(path), "%s/iommu_group", devdir);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -1;
	link[n] = '\0';
	slash = strrchr(link, '/');
	return slash ? atoi(slash + 1) : -1;
}

static inline int mdom_read_sysfs(const char *dir, const char *file,
				  char *buf, size_t len)
{
	char path[600];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

/*
 * The IOMMU group of the @nth QEMU edu device (1234:11e8) bound to
 * vfio-pci, or -1.
 */
static inline int mdom_edu_group(unsigned int nth)
{
	const char *base = "/sys/bus/pci/devices";
	char dir[512], vendor[16], device[16], link[600], drv[512];
	struct dirent *de;
	int group = -1;
	ssize_t n;
	DIR *d;

	d = opendir(base);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", base, de->d_name);
		if (mdom_read_sysfs(dir, "vendor", vendor, sizeof(vendor)) ||
		    mdom_read_sysfs(dir, "device", device, sizeof(device)) ||
		    strncmp(vendor, "0x1234", 6) || strncmp(device, "0x11e8", 6))
			continue;
		snprintf(link, sizeof(link), "%s/driver", dir);
		n = readlink(link, drv, sizeof(drv) - 1);
		if (n < 0)
			continue;
		drv[n] = '\0';
		if (strcmp(strrchr(drv, '/') + 1, "vfio-pci"))
			continue;
		if (nth-- == 0) {
			group = mdom_sysfs_group(dir);
			break;
		}
	}
	closedir(d);
	return group;
}

/* Open /dev/vfio/@group; -1 with errno on failure. */
static inline int mdom_open_group(int group)
{
	char path[64];

	snprintf(path, sizeof(path), "/dev/vfio/%d", group);
	return open(path, O_RDWR | O_CLOEXEC);
}

/* ---- the mock IOMMU's debugfs ------------------------------------------ */

static inline bool mock_present(void)
{
	return access(MOCK_DEBUGFS "/devices", R_OK) == 0;
}

/*
 * The device @idx of mock instance @inst: its name (@name, 64 bytes), its
 * IOMMU group and the mock domain it is attached to now (0: blocked).
 * Returns 0, or -1 if there is no such device.
 */
static inline int mock_device(unsigned int inst, unsigned int idx, char *name,
			      int *group, unsigned int *domain)
{
	unsigned int i, j, dom;
	char line[256], nm[64];
	int g, ret = -1;
	FILE *f;

	f = fopen(MOCK_DEBUGFS "/devices", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "dev %63s inst %u index %u group %d domain %u",
			   nm, &i, &j, &g, &dom) != 5 || i != inst || j != idx)
			continue;
		if (name)
			snprintf(name, 64, "%s", nm);
		if (group)
			*group = g;
		if (domain)
			*domain = dom;
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

static inline unsigned int mock_dev_domain(unsigned int inst, unsigned int idx)
{
	unsigned int dom = 0;

	mock_device(inst, idx, NULL, NULL, &dom);
	return dom;
}

struct mock_xlate {
	unsigned long long iova;
	unsigned long long phys;
	unsigned long long size;
	unsigned int prot;
};

#define MOCK_MAX_XLATES	4096

/*
 * The translations of mock domain @domain, in IOVA order, into @out (room
 * for @max); *@enforce_cc gets the domain's coherency enforcement.
 * Returns the number of translations, or -1 if there is no such domain.
 */
static inline int mock_domain_xlates(unsigned int domain, struct mock_xlate *out,
				     int max, bool *enforce_cc)
{
	unsigned int id, cc = 0;
	bool in = false, found = false;
	char line[256];
	int n = 0;
	FILE *f;

	f = fopen(MOCK_DEBUGFS "/domains", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "domain ", 7)) {
			char *p = strstr(line, "enforce_cc ");

			in = sscanf(line, "domain %u", &id) == 1 && id == domain;
			if (in) {
				found = true;
				if (p)
					cc = atoi(p + 11);
			}
			continue;
		}
		if (in && n < max) {
			struct mock_xlate *x = &out[n];

			if (sscanf(line, " iova %llx phys %llx size %llx prot %x",
				   &x->iova, &x->phys, &x->size, &x->prot) == 4)
				n++;
		}
	}
	fclose(f);
	if (enforce_cc)
		*enforce_cc = cc;
	return found ? n : -1;
}

/*
 * Does mock domain @domain translate [@iova, @iova + @size) completely,
 * with exactly the permissions @prot (IOMMU_READ 1 | IOMMU_WRITE 2), and
 * IOMMU_CACHE (4) exactly when it enforces coherency? Returns 0 or a
 * negative code telling what is wrong.
 */
static inline int mock_domain_covers(unsigned int domain, uint64_t iova,
				     uint64_t size, unsigned int prot)
{
	static struct mock_xlate x[MOCK_MAX_XLATES];
	uint64_t next = iova, end = iova + size;
	bool cc;
	int n, i;

	n = mock_domain_xlates(domain, x, MOCK_MAX_XLATES, &cc);
	if (n < 0)
		return -1;
	for (i = 0; i < n && next < end; i++) {
		if (x[i].iova + x[i].size <= next)
			continue;
		if (x[i].iova > next)
			return -2;	/* hole */
		if ((x[i].prot & 3) != prot)
			return -3;
		if (!!(x[i].prot & 4) != cc)
			return -4;
		next = x[i].iova + x[i].size;
	}
	return next >= end ? 0 : -2;
}

/* Does mock domain @domain have no translation in [@iova, @iova + @size)? */
static inline bool mock_domain_empty_in(unsigned int domain, uint64_t iova,
					uint64_t size)
{
	static struct mock_xlate x[MOCK_MAX_XLATES];
	int n, i;

	n = mock_domain_xlates(domain, x, MOCK_MAX_XLATES, NULL);
	for (i = 0; i < n; i++)
		if (x[i].iova < iova + size && x[i].iova + x[i].size > iova)
			return false;
	return true;
}

/* Counters that must never move, and gauges that must come back. */
static const char * const mock_error_counters[] = {
	"unmap_mismatch", "map_overlap", "leaked_translations",
	"unsynced_unmaps", "freed_attached", "resv_maps",
};

#define MOCK_NR_ERRORS	6

struct mock_snapshot {
	long long errors[MOCK_NR_ERRORS];
	long long domains_live;
	long long translations_live;
};

static inline void mock_snapshot(struct mock_snapshot *s)
{
	unsigned int i;

	for (i = 0; i < MOCK_NR_ERRORS; i++)
		s->errors[i] = mock_counter(mock_error_counters[i], -1);
	s->domains_live = mock_counter("domains_live", -1);
	s->translations_live = mock_counter("translations_live", -1);
}

/* The @nth map_pages() on a domain of instance @inst fails with @err. */
static inline int mock_fail_nth_map(unsigned int inst, unsigned int nth,
				    int err)
{
	char path[96], val[64];

	snprintf(path, sizeof(path), MOCK_DEBUGFS "/inst%u/fail_map", inst);
	snprintf(val, sizeof(val), "%u %d", nth, err);
	return mock_write_file(path, val);
}

/* ---- locked memory ---------------------------------------------------- */

/* VmLck of this process, in KiB (locked_vm, which pinning charges). */
static inline long vmlck_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f;

	f = fopen("/proc/self/status", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmLck: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

#endif /* _VFIO_MDOM_UTILS_H */
