// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom selftest: the mock IOMMU is real enough for the kernel's own
 * vfio_iommu_type1. One container holds an edu device's group (behind the
 * Intel vIOMMU) and two mock groups; type1 creates a domain for each IOMMU
 * that cannot share, replays into it and maps into every domain, which is
 * checked through the mock's debugfs and by DMA from the mock devices into
 * the process's memory.
 *
 * Needs vfio_mdom_mock_iommu.ko loaded with its default parameters and an
 * edu device bound to vfio-pci (make check does both); skips otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "kselftest_harness.h"
#include "mock_iommu_utils.h"

#define SZ_4K		0x1000ULL
#define SZ_2M		0x200000ULL
#define MAP_IOVA	(2 * SZ_2M)
#define MAP_SIZE	(2 * SZ_2M)
#define MAX_TRANS	2048

/* Does /dev/vfio/@group exist, as a character device? */
static bool vfio_node_exists(int group)
{
	char path[32];
	struct stat st;

	snprintf(path, sizeof(path), "/dev/vfio/%d", group);
	return stat(path, &st) == 0 && S_ISCHR(st.st_mode);
}

/* The mock's groups appear next to the edu groups, with VFIO nodes */
TEST(groups_visible)
{
	struct mock_dev_info devs[MOCK_MAX_DEVS];
	char edu[32], path[PATH_MAX];
	int i, n, edu_group;

	if (!mock_loaded())
		SKIP(return, "mock IOMMU not loaded");
	edu_group = mock_find_edu_group(edu, sizeof(edu));
	if (edu_group < 0)
		SKIP(return, "no edu device bound to vfio-pci");

	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/devices/%s",
		 edu_group, edu);
	ASSERT_EQ(0, access(path, F_OK)) TH_LOG("%s", path);
	ASSERT_TRUE(vfio_node_exists(edu_group));

	n = mock_read_devices(devs, MOCK_MAX_DEVS);
	ASSERT_LE(6, n);
	for (i = 0; i < n; i++) {
		char devdir[PATH_MAX];

		snprintf(path, sizeof(path),
			 "/sys/kernel/iommu_groups/%d/devices/%.63s",
			 devs[i].group, devs[i].name);
		EXPECT_EQ(0, access(path, F_OK)) TH_LOG("%s", path);
		EXPECT_TRUE(vfio_node_exists(devs[i].group))
			TH_LOG("no /dev/vfio/%d for %s", devs[i].group,
			       devs[i].name);
		EXPECT_NE(edu_group, devs[i].group);
		snprintf(devdir, sizeof(devdir), MOCK_SYSFS_BUS "/%.63s",
			 devs[i].name);
		EXPECT_EQ(devs[i].group, mock_sysfs_group(devdir));
		/* Linked to its IOMMU instance in /sys/class/iommu */
		snprintf(path, sizeof(path),
			 "/sys/class/iommu/vfio_mdom_mock_iommu%d/devices/%.63s",
			 devs[i].inst, devs[i].name);
		EXPECT_EQ(0, access(path, F_OK)) TH_LOG("%s", path);
		/* Nobody uses it: blocked */
		EXPECT_EQ(0U, devs[i].domain);
	}
}

FIXTURE(type1)
{
	int container;
	int edu_group;
	int group[2];
	struct mock_dev_info dev[2];
	struct mock_inst_info inst[2];
	bool share;
	bool unsafe;
	/*
	 * type1 frees a domain whose last group leaves without unmapping it
	 * (its page table goes with it) unless it is the container's last
	 * domain: such a domain still holds translations when freed.
	 */
	bool type1_freed_mapped;
	int old_unsafe;
	long long bad_before[MOCK_NR_BAD_COUNTERS];
	int domains_before;
	void *map;
	size_t map_len;
	__u8 *mem;
};

/* Two mock groups: which instance and device each is */
FIXTURE_VARIANT(type1)
{
	int inst[2];
	int index[2];
	/* Expected from the default configuration (main.c) */
	bool share;
	bool unsafe;
};

/* 4K-only 39-bit vs 4K|2M|1G 48-bit: two mock domains */
FIXTURE_VARIANT_ADD(type1, two_instances)
{
	.inst = { 0, 1 },
	.index = { 0, 0 },
	.share = false,
};

/* Instance 3 is instance 0's twin: they share one domain */
FIXTURE_VARIANT_ADD(type1, twin_instances)
{
	.inst = { 0, 3 },
	.index = { 1, 1 },
	.share = true,
};

/* Two groups of one instance share one domain */
FIXTURE_VARIANT_ADD(type1, one_instance)
{
	.inst = { 1, 1 },
	.index = { 0, 1 },
	.share = true,
};

/*
 * Instance 0 and 2 both enforce coherency, so type1 tries to share and the
 * mock refuses (-EINVAL); instance 2's MSIs are not isolated.
 */
FIXTURE_VARIANT_ADD(type1, non_isolated_msi)
{
	.inst = { 0, 2 },
	.index = { 0, 1 },
	.share = false,
	.unsafe = true,
};

static int open_group(struct __test_metadata *_metadata, int nr)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[32];
	int fd;

	snprintf(path, sizeof(path), "/dev/vfio/%d", nr);
	fd = open(path, O_RDWR | O_CLOEXEC);
	EXPECT_LE(0, fd) TH_LOG("open %s: %s", path, strerror(errno));
	if (fd < 0)
		return fd;
	EXPECT_EQ(0, ioctl(fd, VFIO_GROUP_GET_STATUS, &status));
	EXPECT_TRUE(!!(status.flags & VFIO_GROUP_FLAGS_VIABLE));
	EXPECT_FALSE(!!(status.flags & VFIO_GROUP_FLAGS_CONTAINER_SET));
	return fd;
}

static bool inst_compatible(const struct mock_inst_info *a,
			    const struct mock_inst_info *b)
{
	return a->inst == b->inst ||
	       (a->pgsizes == b->pgsizes &&
		a->aperture_end == b->aperture_end &&
		a->enforce_cc == b->enforce_cc);
}

FIXTURE_SETUP(type1)
{
	struct mock_inst_info insts[16];
	int i, k, n;

	self->container = -1;
	self->edu_group = -1;
	self->group[0] = -1;
	self->group[1] = -1;
	self->old_unsafe = -1;
	self->map = MAP_FAILED;

	if (!mock_loaded())
		SKIP(return, "mock IOMMU not loaded");
	if (mock_find_edu_group(NULL, 0) < 0)
		SKIP(return, "no edu device bound to vfio-pci");
	n = mock_read_instances(insts, 16);
	ASSERT_LT(0, n);
	for (k = 0; k < 2; k++) {
		for (i = 0; i < n && insts[i].inst != variant->inst[k]; i++)
			;
		if (i == n ||
		    mock_find_dev(variant->inst[k], variant->index[k],
				  &self->dev[k]))
			SKIP(return, "no device %d of instance %d",
			     variant->index[k], variant->inst[k]);
		self->inst[k] = insts[i];
	}
	self->share = inst_compatible(&self->inst[0], &self->inst[1]);
	self->unsafe = !self->inst[0].isolated_msi ||
		       !self->inst[1].isolated_msi;
	if (self->share != variant->share || self->unsafe != variant->unsafe)
		SKIP(return, "mock IOMMU not in its default configuration");

	ASSERT_EQ(0, mock_bad_counters(self->bad_before));
	self->domains_before = mock_nr_domains();
	ASSERT_LE(0, self->domains_before);

	self->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->container);
	ASSERT_EQ(VFIO_API_VERSION,
		  ioctl(self->container, VFIO_GET_API_VERSION));
	ASSERT_EQ(1, ioctl(self->container, VFIO_CHECK_EXTENSION,
			   VFIO_TYPE1v2_IOMMU));

	self->edu_group = open_group(_metadata, mock_find_edu_group(NULL, 0));
	ASSERT_LE(0, self->edu_group);
	for (k = 0; k < 2; k++) {
		self->group[k] = open_group(_metadata, self->dev[k].group);
		ASSERT_LE(0, self->group[k]);
	}

	/* 2M-aligned memory so THP can back it and type1 can map 2M pages */
	self->map_len = MAP_SIZE + SZ_2M;
	self->map = mmap(NULL, self->map_len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->map);
	self->mem = (__u8 *)(((uintptr_t)self->map + SZ_2M - 1) &
				~(uintptr_t)(SZ_2M - 1));
	madvise(self->mem, MAP_SIZE, MADV_HUGEPAGE);
	for (i = 0; i < (int)MAP_SIZE; i += 4096)
		memset(self->mem + i, i / 4096, 4096);
}

FIXTURE_TEARDOWN(type1)
{
	long long now[MOCK_NR_BAD_COUNTERS];
	int i, k;

	for (k = 0; k < 2; k++) {
		if (self->group[k] < 0)
			continue;
		ioctl(self->group[k], VFIO_GROUP_UNSET_CONTAINER);
		close(self->group[k]);
	}
	if (self->edu_group >= 0) {
		ioctl(self->edu_group, VFIO_GROUP_UNSET_CONTAINER);
		close(self->edu_group);
	}
	if (self->container >= 0)
		close(self->container);
	if (self->old_unsafe >= 0)
		EXPECT_LE(0, mock_set_allow_unsafe_interrupts(self->old_unsafe));
	if (self->map != MAP_FAILED)
		munmap(self->map, self->map_len);

	/* type1 freed every mock domain and left no caller bug behind */
	EXPECT_EQ(self->domains_before, mock_nr_domains());
	ASSERT_EQ(0, mock_bad_counters(now));
	for (i = 0; i < MOCK_NR_BAD_COUNTERS; i++) {
		if (self->type1_freed_mapped &&
		    !strcmp(mock_bad_counter_name(i), "leaked_translations"))
			continue;
		EXPECT_EQ(self->bad_before[i], now[i])
			TH_LOG("counter %s moved", mock_bad_counter_name(i));
	}
	for (k = 0; k < 2; k++) {
		struct mock_dev_info d;

		ASSERT_EQ(0, mock_find_dev(self->dev[k].inst,
					   self->dev[k].index, &d));
		EXPECT_EQ(0U, d.domain);
	}
}

static int set_container(int group, int container)
{
	return ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) ? -errno : 0;
}

/* Check that domain @id maps exactly [MAP_IOVA, +MAP_SIZE) */
static void check_domain_maps(struct __test_metadata *_metadata,
			      unsigned int id, unsigned long pgsizes,
			      struct mock_translation *t)
{
	struct mock_domain_info info;
	__u64 next = MAP_IOVA;
	int i, n;

	n = mock_read_domain(id, &info, t, MAX_TRANS);
	ASSERT_LE(0, n);
	ASSERT_EQ(info.translations, (unsigned long)n);
	EXPECT_EQ(pgsizes, info.pgsizes);
	EXPECT_EQ(0, info.flush_pending);
	for (i = 0; i < n; i++) {
		/* Exactly the mapped range, in order, nothing else */
		ASSERT_EQ(next, t[i].iova);
		EXPECT_TRUE(!!(t[i].size & pgsizes));
		/* type1 maps READ | WRITE | CACHE */
		EXPECT_EQ(0x7, t[i].prot & 0x7);
		next += t[i].size;
	}
	ASSERT_EQ(MAP_IOVA + MAP_SIZE, next);
}

static __u64 phys_of(struct mock_translation *t, int n, __u64 iova)
{
	int i;

	for (i = 0; i < n; i++)
		if (iova >= t[i].iova && iova - t[i].iova < t[i].size)
			return t[i].phys + (iova - t[i].iova);
	return 0;
}

TEST_F(type1, map_into_every_domain)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)self->mem,
		.iova = MAP_IOVA,
		.size = MAP_SIZE,
	};
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = MAP_IOVA,
		.size = MAP_SIZE,
	};
	static struct mock_translation t0[MAX_TRANS], t1[MAX_TRANS];
	struct mock_dev_info d0, d1;
	struct mock_domain_info info;
	__u8 pattern[256], back[256];
	char fault[160], path[160];
	__u64 off;
	int i, n0, n1, rc;

	/* The edu group first: type1's first domain is the Intel one */
	ASSERT_EQ(0, set_container(self->edu_group, self->container));
	ASSERT_EQ(0, ioctl(self->container, VFIO_SET_IOMMU,
			   VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(0, set_container(self->group[0], self->container));

	/* Mappings made now must be replayed into later domains */
	ASSERT_EQ(0, ioctl(self->container, VFIO_IOMMU_MAP_DMA, &map));

	rc = set_container(self->group[1], self->container);
	if (self->unsafe) {
		/* Refused without interrupt remapping, unless allowed */
		self->old_unsafe = mock_set_allow_unsafe_interrupts(false);
		ASSERT_LE(0, self->old_unsafe);
		if (!self->old_unsafe)
			ASSERT_EQ(-EPERM, rc);
		if (!rc)
			ASSERT_EQ(0, ioctl(self->group[1],
					   VFIO_GROUP_UNSET_CONTAINER));
		ASSERT_EQ(-EPERM, set_container(self->group[1],
						self->container));
		ASSERT_EQ(0, mock_set_allow_unsafe_interrupts(true));
		rc = set_container(self->group[1], self->container);
	}
	ASSERT_EQ(0, rc);

	ASSERT_EQ(0, mock_find_dev(self->dev[0].inst, self->dev[0].index, &d0));
	ASSERT_EQ(0, mock_find_dev(self->dev[1].inst, self->dev[1].index, &d1));
	ASSERT_NE(0U, d0.domain);
	ASSERT_NE(0U, d1.domain);
	if (self->share) {
		ASSERT_EQ(d0.domain, d1.domain);
		ASSERT_EQ(self->domains_before + 1, mock_nr_domains());
		ASSERT_LE(0, mock_read_domain(d0.domain, &info, NULL, 0));
		EXPECT_EQ(2U, info.attached);
	} else {
		ASSERT_NE(d0.domain, d1.domain);
		ASSERT_EQ(self->domains_before + 2, mock_nr_domains());
	}

	/* Every mock domain holds exactly the mapping, at its page sizes */
	check_domain_maps(_metadata, d0.domain, self->inst[0].pgsizes, t0);
	check_domain_maps(_metadata, d1.domain, self->inst[1].pgsizes, t1);
	n0 = mock_read_domain(d0.domain, &info, t0, MAX_TRANS);
	n1 = mock_read_domain(d1.domain, &info, t1, MAX_TRANS);
	for (off = 0; off < MAP_SIZE; off += SZ_4K) {
		__u64 p0 = phys_of(t0, n0, MAP_IOVA + off);

		ASSERT_NE(0ULL, p0);
		ASSERT_EQ(p0, phys_of(t1, n1, MAP_IOVA + off));
	}

	/* Device 0 writes into our memory; device 1 reads it back */
	for (i = 0; i < (int)sizeof(pattern); i++)
		pattern[i] = 0xc3 ^ i;
	off = SZ_2M + 0x1230;
	ASSERT_EQ(0, mock_dma_write(d0.name, MAP_IOVA + off, pattern,
				    sizeof(pattern)));
	ASSERT_EQ(0, memcmp(self->mem + off, pattern, sizeof(pattern)));
	ASSERT_EQ(0, mock_dma_read(d1.name, MAP_IOVA + off, back,
				   sizeof(back)));
	ASSERT_EQ(0, memcmp(back, pattern, sizeof(pattern)));
	/* We write, the device reads */
	memset(self->mem + 0x10, 0x5a, 16);
	ASSERT_EQ(0, mock_dma_read(d1.name, MAP_IOVA + 0x10, back, 16));
	for (i = 0; i < 16; i++)
		ASSERT_EQ(0x5a, back[i]);

	/* No translation outside the mapping */
	EXPECT_EQ(-EIO, mock_dma_read(d0.name, MAP_IOVA - SZ_4K, back, 16));
	snprintf(path, sizeof(path), MOCK_DEBUGFS "/dev/%s/last_fault",
		 d0.name);
	ASSERT_EQ(0, mock_read_file(path, fault, sizeof(fault)));
	EXPECT_NE(NULL, strstr(fault, "reason no_translation dir read"))
		TH_LOG("%s", fault);

	/* Unmapping empties every domain */
	ASSERT_EQ(0, ioctl(self->container, VFIO_IOMMU_UNMAP_DMA, &unmap));
	EXPECT_EQ(MAP_SIZE, unmap.size);
	ASSERT_LE(0, mock_read_domain(d0.domain, &info, NULL, 0));
	EXPECT_EQ(0UL, info.translations);
	EXPECT_EQ(0, info.flush_pending);
	ASSERT_LE(0, mock_read_domain(d1.domain, &info, NULL, 0));
	EXPECT_EQ(0UL, info.translations);
	EXPECT_EQ(-EIO, mock_dma_read(d1.name, MAP_IOVA + off, back, 16));
}

/* Detaching one group keeps the other's domain working */
TEST_F(type1, detach_one_group)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)self->mem,
		.iova = MAP_IOVA,
		.size = MAP_SIZE,
	};
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = MAP_IOVA,
		.size = MAP_SIZE,
	};
	struct mock_domain_info info;
	struct mock_dev_info d0, d1;
	__u8 b = 0;

	if (self->unsafe) {
		self->old_unsafe = mock_set_allow_unsafe_interrupts(true);
		ASSERT_LE(0, self->old_unsafe);
	}
	ASSERT_EQ(0, set_container(self->edu_group, self->container));
	ASSERT_EQ(0, set_container(self->group[0], self->container));
	ASSERT_EQ(0, set_container(self->group[1], self->container));
	ASSERT_EQ(0, ioctl(self->container, VFIO_SET_IOMMU,
			   VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(0, ioctl(self->container, VFIO_IOMMU_MAP_DMA, &map));

	self->type1_freed_mapped = !self->share;
	ASSERT_EQ(0, ioctl(self->group[0], VFIO_GROUP_UNSET_CONTAINER));
	ASSERT_EQ(0, mock_find_dev(self->dev[0].inst, self->dev[0].index, &d0));
	ASSERT_EQ(0, mock_find_dev(self->dev[1].inst, self->dev[1].index, &d1));
	EXPECT_EQ(0U, d0.domain);
	ASSERT_NE(0U, d1.domain);
	EXPECT_EQ(self->domains_before + 1, mock_nr_domains());
	EXPECT_EQ(-EIO, mock_dma_read(d0.name, MAP_IOVA, &b, 1));
	EXPECT_EQ(0, mock_dma_read(d1.name, MAP_IOVA + SZ_4K, &b, 1));
	EXPECT_EQ(1, b);

	ASSERT_EQ(0, ioctl(self->container, VFIO_IOMMU_UNMAP_DMA, &unmap));
	ASSERT_EQ(0, mock_find_dev(self->dev[1].inst, self->dev[1].index, &d1));
	ASSERT_LE(0, mock_read_domain(d1.domain, &info, NULL, 0));
	EXPECT_EQ(0UL, info.translations);
}

static int write_ctl(const char *file, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), MOCK_DEBUGFS "/%s", file);
	return mock_write_file(path, val);
}

static void expect_ctl(struct __test_metadata *_metadata, const char *file,
		       const char *want)
{
	char path[128], buf[64];

	snprintf(path, sizeof(path), MOCK_DEBUGFS "/%s", file);
	ASSERT_EQ(0, mock_read_file(path, buf, sizeof(buf)));
	EXPECT_STREQ(want, buf);
}

/* The debugfs fault injection files, driven through type1 */
TEST(inject_through_type1)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.iova = MAP_IOVA,
		.size = SZ_2M,
	};
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = MAP_IOVA,
		.size = SZ_2M,
	};
	long long bad_before[MOCK_NR_BAD_COUNTERS], now[MOCK_NR_BAD_COUNTERS];
	struct mock_dev_info d0, d1;
	struct mock_domain_info info;
	int container, g0, g1, i;
	void *mem;

	if (!mock_loaded())
		SKIP(return, "mock IOMMU not loaded");
	if (mock_find_dev(1, 0, &d0) || mock_find_dev(1, 1, &d1))
		SKIP(return, "instance 1 needs two devices");
	ASSERT_EQ(0, mock_bad_counters(bad_before));

	/* Control files: read back, cancel, refuse garbage */
	ASSERT_EQ(0, write_ctl("inst1/fail_map", "3 12"));
	expect_ctl(_metadata, "inst1/fail_map", "3 -12\n");
	ASSERT_EQ(0, write_ctl("inst1/fail_map", "0"));
	expect_ctl(_metadata, "inst1/fail_map", "0 0\n");
	EXPECT_EQ(-EINVAL, write_ctl("inst1/fail_map", "3"));
	EXPECT_EQ(-EINVAL, write_ctl("inst1/fail_map", "x"));
	EXPECT_EQ(-EINVAL, write_ctl("inst1/fail_map", "1 5000"));
	expect_ctl(_metadata, "inst1/fail_map", "0 0\n");

	mem = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	map.vaddr = (uintptr_t)mem;
	container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, container);
	g0 = open_group(_metadata, d0.group);
	ASSERT_LE(0, g0);
	g1 = open_group(_metadata, d1.group);
	ASSERT_LE(0, g1);

	/* Domain allocation fails once: SET_IOMMU fails, then works */
	ASSERT_EQ(0, write_ctl("inst1/fail_domain_alloc", "-28"));
	expect_ctl(_metadata, "inst1/fail_domain_alloc", "-28\n");
	ASSERT_EQ(0, set_container(g0, container));
	EXPECT_EQ(-1, ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	EXPECT_EQ(ENOSPC, errno);
	expect_ctl(_metadata, "inst1/fail_domain_alloc", "0\n");
	ASSERT_EQ(0, ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));

	/* The first map_pages() fails: MAP_DMA fails, nothing stays mapped */
	ASSERT_EQ(0, write_ctl("inst1/fail_map", "1 -12"));
	EXPECT_EQ(-1, ioctl(container, VFIO_IOMMU_MAP_DMA, &map));
	EXPECT_EQ(ENOMEM, errno);
	ASSERT_EQ(0, mock_find_dev(1, 0, &d0));
	ASSERT_LE(0, mock_read_domain(d0.domain, &info, NULL, 0));
	EXPECT_EQ(0UL, info.translations);
	ASSERT_EQ(0, ioctl(container, VFIO_IOMMU_MAP_DMA, &map));

	/* The attach of a second group fails once, then it joins */
	ASSERT_EQ(0, write_ctl("inst1/fail_attach", "16"));
	EXPECT_EQ(-EBUSY, set_container(g1, container));
	ASSERT_EQ(0, set_container(g1, container));
	ASSERT_EQ(0, mock_find_dev(1, 1, &d1));
	EXPECT_EQ(d0.domain, d1.domain);

	ASSERT_EQ(0, ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap));
	ASSERT_EQ(0, ioctl(g1, VFIO_GROUP_UNSET_CONTAINER));
	ASSERT_EQ(0, ioctl(g0, VFIO_GROUP_UNSET_CONTAINER));
	close(g1);
	close(g0);
	close(container);
	munmap(mem, SZ_2M);

	/* type1 unwound every injected failure cleanly */
	ASSERT_EQ(0, mock_bad_counters(now));
	for (i = 0; i < MOCK_NR_BAD_COUNTERS; i++) {
		EXPECT_EQ(bad_before[i], now[i])
			TH_LOG("counter %s moved", mock_bad_counter_name(i));
	}
}

TEST_HARNESS_MAIN
