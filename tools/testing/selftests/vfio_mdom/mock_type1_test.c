// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom selftest: the mock IOMMU is real enough for the kernel's own
 * vfio_iommu_type1. One container holds an edu device's group (behind the
 * Intel vIOMMU) and two mock groups; type1 creates a domain for each IOMMU
 * that cannot share, replays into it and maps into every domain, which is
 * checked through the mock's debugfs and by DMA from the mock devices into
 * the process's memory.
 *
 * With vfio_mdom.ko loaded, the tests switch its vfio_backend parameter
 * off while they run, so that VFIO gives their containers to type1, and
 * check that it did.
 *
 * Needs vfio_mdom_mock_iommu.ko loaded with its default parameters and an
 * edu device bound to vfio-pci (make check does both); skips otherwise.
 */
#include <limits.h>
#include <sys/stat.h>

#include "mdom_test.h"

#define MAP_IOVA	(2 * SZ_2M)
#define MAP_SIZE	(2 * SZ_2M)

/* Does /dev/vfio/@group exist, as a character device? */
static bool vfio_node_exists(int group)
{
	char path[32];
	struct stat st;

	snprintf(path, sizeof(path), "/dev/vfio/%d", group);
	return stat(path, &st) == 0 && S_ISCHR(st.st_mode);
}

/* VFIO gives new containers to type1: vfio-mdom's vfio_backend off */
static int type1_only(struct params *ps)
{
	return mdom_loaded() ? mdom_set_backend(ps, false) : 0;
}

/* The mock's groups appear next to the edu groups, with VFIO nodes */
TEST(groups_visible)
{
	struct mock_dev devs[MOCK_MAX_DEVS];
	char path[PATH_MAX], devdir[256];
	struct edu_dev edu;
	int i, n;

	if (!mock_loaded())
		SKIP(return, "mock IOMMU not loaded");
	if (edu_find(0, &edu))
		SKIP(return, "no edu device bound to vfio-pci");

	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/devices/%s",
		 edu.group, edu.bdf);
	ASSERT_EQ(0, access(path, F_OK)) TH_LOG("%s", path);
	ASSERT_TRUE(vfio_node_exists(edu.group));

	n = mock_devices(devs, MOCK_MAX_DEVS);
	ASSERT_LE(8, n);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path),
			 "/sys/kernel/iommu_groups/%d/devices/%.63s",
			 devs[i].group, devs[i].name);
		EXPECT_EQ(0, access(path, F_OK)) TH_LOG("%s", path);
		EXPECT_TRUE(vfio_node_exists(devs[i].group))
			TH_LOG("no /dev/vfio/%d for %s", devs[i].group,
			       devs[i].name);
		EXPECT_NE(edu.group, devs[i].group);
		snprintf(devdir, sizeof(devdir), MOCK_SYSFS_BUS "/%.63s",
			 devs[i].name);
		EXPECT_EQ(devs[i].group, sysfs_iommu_group(devdir));
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
	struct mock_dev dev[2];
	struct mock_inst inst[2];
	bool share;
	bool unsafe;
	/*
	 * type1 frees a domain whose last group leaves without unmapping it
	 * (its page table goes with it) unless it is the container's last
	 * domain: such a domain still holds translations when freed.
	 */
	bool type1_freed_mapped;
	struct params params;
	struct leak_mark mark;
	int domains_before;
	void *map;
	size_t map_len;
	uint8_t *mem;
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
	uint32_t flags;
	int fd = vfio_open_group(nr);

	EXPECT_LE(0, fd) TH_LOG("open /dev/vfio/%d: %s", nr, strerror(-fd));
	if (fd < 0)
		return fd;
	EXPECT_EQ(0, _vfio_group_status(fd, &flags));
	EXPECT_EQ(VFIO_GROUP_FLAGS_VIABLE, flags);
	return fd;
}

static bool inst_compatible(const struct mock_inst *a,
			    const struct mock_inst *b)
{
	return a->inst == b->inst ||
	       (a->pgsizes == b->pgsizes &&
		a->aperture_end == b->aperture_end &&
		a->enforce_cc == b->enforce_cc);
}

FIXTURE_SETUP(type1)
{
	struct mock_inst insts[MOCK_MAX_INSTS];
	struct edu_dev edu;
	int i, k, n;

	self->container = -1;
	self->edu_group = -1;
	self->group[0] = -1;
	self->group[1] = -1;
	self->map = MAP_FAILED;

	if (!mock_loaded())
		SKIP(return, "mock IOMMU not loaded");
	if (edu_find(0, &edu))
		SKIP(return, "no edu device bound to vfio-pci");
	n = mock_instances(insts, MOCK_MAX_INSTS);
	ASSERT_LT(0, n);
	for (k = 0; k < 2; k++) {
		for (i = 0; i < n && insts[i].inst != variant->inst[k]; i++)
			;
		ASSERT_LT(i, n) TH_LOG("no mock instance %d", variant->inst[k]);
		ASSERT_EQ(0, mock_find_dev(variant->inst[k], variant->index[k],
					   &self->dev[k]));
		self->inst[k] = insts[i];
	}
	self->share = inst_compatible(&self->inst[0], &self->inst[1]);
	self->unsafe = !self->inst[0].isolated_msi ||
		       !self->inst[1].isolated_msi;
	ASSERT_EQ(variant->share, self->share)
		TH_LOG("mock IOMMU not in its default configuration");
	ASSERT_EQ(variant->unsafe, self->unsafe)
		TH_LOG("mock IOMMU not in its default configuration");

	leak_mark(&self->mark);
	self->domains_before = mock_nr_domains();
	ASSERT_LE(0, self->domains_before);
	ASSERT_EQ(0, type1_only(&self->params));

	self->container = vfio_open_container();
	ASSERT_LE(0, self->container);
	ASSERT_EQ(VFIO_API_VERSION,
		  ioctl(self->container, VFIO_GET_API_VERSION));
	ASSERT_EQ(1, vfio_check_extension(self->container, VFIO_TYPE1v2_IOMMU));

	self->edu_group = open_group(_metadata, edu.group);
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
	self->mem = (uint8_t *)(((uintptr_t)self->map + SZ_2M - 1) &
				~(uintptr_t)(SZ_2M - 1));
	madvise(self->mem, MAP_SIZE, MADV_HUGEPAGE);
	for (i = 0; i < (int)MAP_SIZE; i += 4096)
		memset(self->mem + i, i / 4096, 4096);
}

FIXTURE_TEARDOWN(type1)
{
	int k;

	for (k = 0; k < 2; k++) {
		if (self->group[k] < 0)
			continue;
		_vfio_unset_container(self->group[k]);
		close(self->group[k]);
	}
	if (self->edu_group >= 0) {
		_vfio_unset_container(self->edu_group);
		close(self->edu_group);
	}
	if (self->container >= 0)
		close(self->container);
	EXPECT_EQ(0, params_restore(&self->params));
	if (self->map != MAP_FAILED)
		munmap(self->map, self->map_len);

	/* type1 freed every mock domain and left no caller bug behind */
	EXPECT_EQ(self->domains_before, mock_nr_domains());
	expect_no_leak(&self->mark, self->type1_freed_mapped);
	for (k = 0; k < 2; k++) {
		struct mock_dev d;

		ASSERT_EQ(0, mock_find_dev(self->dev[k].inst,
					   self->dev[k].index, &d));
		EXPECT_EQ(0U, d.domain);
	}
}

/* Check that domain @id maps exactly [MAP_IOVA, +MAP_SIZE) */
static void check_domain_maps(struct __test_metadata *_metadata,
			      struct mock_dump *dump, unsigned int id,
			      uint64_t pgsizes)
{
	struct mock_domain *d = mock_dump_domain(dump, id);
	uint64_t next = MAP_IOVA;
	unsigned long i;

	ASSERT_NE(NULL, d);
	ASSERT_EQ(d->translations, d->nx);
	EXPECT_EQ(pgsizes, d->pgsizes);
	EXPECT_EQ(0, d->flush_pending);
	for (i = 0; i < d->nx; i++) {
		/* Exactly the mapped range, in order, nothing else */
		ASSERT_EQ(next, d->x[i].iova);
		EXPECT_TRUE(!!(d->x[i].size & pgsizes));
		/* type1 maps READ | WRITE | CACHE */
		EXPECT_EQ(MOCK_PROT_RW | MOCK_PROT_CACHE, d->x[i].prot & 0x7);
		next += d->x[i].size;
	}
	ASSERT_EQ(MAP_IOVA + MAP_SIZE, next);
}

static uint64_t phys_of(const struct mock_domain *d, uint64_t iova)
{
	unsigned long i;

	for (i = 0; i < d->nx; i++)
		if (iova >= d->x[i].iova && iova - d->x[i].iova < d->x[i].size)
			return d->x[i].phys + (iova - d->x[i].iova);
	return 0;
}

TEST_F(type1, map_into_every_domain)
{
	struct mock_dump dump = {};
	struct mock_domain *md0, *md1;
	uint8_t pattern[256], back[256];
	struct mock_dev d0, d1;
	char fault[160];
	uint64_t off;
	int i, rc;

	/* The edu group first: type1's first domain is the Intel one */
	vfio_set_container(self->edu_group, self->container);
	vfio_set_iommu(self->container, VFIO_TYPE1v2_IOMMU);
	expect_backend_type1(self->container);
	vfio_set_container(self->group[0], self->container);

	/* Mappings made now must be replayed into later domains */
	vfio_map(self->container, MAP_IOVA, MAP_SIZE, self->mem);

	if (self->unsafe) {
		/* Refused without interrupt remapping, unless allowed */
		ASSERT_EQ(0, param_change(&self->params, TYPE1_MOD,
					  "allow_unsafe_interrupts", "N"));
		vfio_set_container_err(EPERM, self->group[1], self->container);
		ASSERT_EQ(0, param_set(TYPE1_MOD, "allow_unsafe_interrupts",
				       "Y"));
	}
	rc = _vfio_set_container(self->group[1], self->container);
	ASSERT_EQ(0, rc);

	ASSERT_EQ(0, mock_find_dev(self->dev[0].inst, self->dev[0].index, &d0));
	ASSERT_EQ(0, mock_find_dev(self->dev[1].inst, self->dev[1].index, &d1));
	ASSERT_NE(0U, d0.domain);
	ASSERT_NE(0U, d1.domain);
	ASSERT_EQ(0, mock_dump_read(&dump));
	if (self->share) {
		ASSERT_EQ(d0.domain, d1.domain);
		ASSERT_EQ(self->domains_before + 1, dump.ndomains);
		EXPECT_EQ(2U, mock_dump_domain(&dump, d0.domain)->attached);
	} else {
		ASSERT_NE(d0.domain, d1.domain);
		ASSERT_EQ(self->domains_before + 2, dump.ndomains);
	}

	/* Every mock domain holds exactly the mapping, at its page sizes */
	check_domain_maps(_metadata, &dump, d0.domain, self->inst[0].pgsizes);
	check_domain_maps(_metadata, &dump, d1.domain, self->inst[1].pgsizes);
	md0 = mock_dump_domain(&dump, d0.domain);
	md1 = mock_dump_domain(&dump, d1.domain);
	for (off = 0; off < MAP_SIZE; off += SZ_4K) {
		uint64_t p0 = phys_of(md0, MAP_IOVA + off);

		ASSERT_NE(0ULL, p0);
		ASSERT_EQ(p0, phys_of(md1, MAP_IOVA + off));
	}
	mock_dump_free(&dump);

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
	ASSERT_EQ(0, mock_last_fault(d0.name, fault, sizeof(fault)));
	EXPECT_NE(NULL, strstr(fault, "reason no_translation dir read"))
		TH_LOG("%s", fault);

	/* Unmapping empties every domain */
	vfio_unmap(self->container, MAP_IOVA, MAP_SIZE);
	ASSERT_EQ(0, mock_dump_read(&dump));
	md0 = mock_dump_domain(&dump, d0.domain);
	md1 = mock_dump_domain(&dump, d1.domain);
	ASSERT_NE(NULL, md0);
	ASSERT_NE(NULL, md1);
	EXPECT_EQ(0UL, md0->translations);
	EXPECT_EQ(0, md0->flush_pending);
	EXPECT_EQ(0UL, md1->translations);
	mock_dump_free(&dump);
	EXPECT_EQ(-EIO, mock_dma_read(d1.name, MAP_IOVA + off, back, 16));
}

/* Detaching one group keeps the other's domain working */
TEST_F(type1, detach_one_group)
{
	struct mock_dev d0, d1;
	uint8_t b = 0;

	if (self->unsafe)
		ASSERT_EQ(0, param_change(&self->params, TYPE1_MOD,
					  "allow_unsafe_interrupts", "Y"));
	vfio_set_container(self->edu_group, self->container);
	vfio_set_container(self->group[0], self->container);
	vfio_set_container(self->group[1], self->container);
	vfio_set_iommu(self->container, VFIO_TYPE1v2_IOMMU);
	expect_backend_type1(self->container);
	vfio_map(self->container, MAP_IOVA, MAP_SIZE, self->mem);

	self->type1_freed_mapped = !self->share;
	vfio_unset_container(self->group[0]);
	ASSERT_EQ(0, mock_find_dev(self->dev[0].inst, self->dev[0].index, &d0));
	ASSERT_EQ(0, mock_find_dev(self->dev[1].inst, self->dev[1].index, &d1));
	EXPECT_EQ(0U, d0.domain);
	ASSERT_NE(0U, d1.domain);
	EXPECT_EQ(self->domains_before + 1, mock_nr_domains());
	EXPECT_EQ(-EIO, mock_dma_read(d0.name, MAP_IOVA, &b, 1));
	EXPECT_EQ(0, mock_dma_read(d1.name, MAP_IOVA + SZ_4K, &b, 1));
	EXPECT_EQ(1, b);

	vfio_unmap(self->container, MAP_IOVA, MAP_SIZE);
	EXPECT_EQ(0, mock_domain_xlates_in(d1.domain, 0, UINT64_MAX));
}

static void expect_ctl(struct __test_metadata *_metadata, int inst,
		       const char *file, const char *want)
{
	char buf[64];

	ASSERT_EQ(0, mock_inst_read(inst, file, buf, sizeof(buf)));
	EXPECT_STREQ(want, buf);
}

/* The debugfs fault injection files, driven through type1 */
TEST(inject_through_type1)
{
	struct mock_counters c0, c1;
	struct params params = {};
	struct leak_mark mark;
	struct mock_dev d0, d1;
	int container, g0, g1;
	void *mem;

	if (!mock_loaded())
		SKIP(return, "mock IOMMU not loaded");
	ASSERT_EQ(0, mock_find_dev(1, 0, &d0));
	ASSERT_EQ(0, mock_find_dev(1, 1, &d1));
	leak_mark(&mark);

	/* Control files: read back, cancel, refuse garbage */
	ASSERT_EQ(0, mock_inst_write(1, "fail_map", "3 12"));
	expect_ctl(_metadata, 1, "fail_map", "3 -12");
	ASSERT_EQ(0, mock_inst_write(1, "fail_map", "0"));
	expect_ctl(_metadata, 1, "fail_map", "0 0");
	EXPECT_EQ(-EINVAL, mock_inst_write(1, "fail_map", "3"));
	EXPECT_EQ(-EINVAL, mock_inst_write(1, "fail_map", "x"));
	EXPECT_EQ(-EINVAL, mock_inst_write(1, "fail_map", "1 5000"));
	expect_ctl(_metadata, 1, "fail_map", "0 0");

	mem = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_EQ(0, type1_only(&params));
	container = vfio_open_container();
	ASSERT_LE(0, container);
	g0 = open_group(_metadata, d0.group);
	ASSERT_LE(0, g0);
	g1 = open_group(_metadata, d1.group);
	ASSERT_LE(0, g1);
	ASSERT_EQ(0, mock_counters(1, &c0));

	/* Domain allocation fails once: SET_IOMMU fails, then works */
	ASSERT_EQ(0, mock_fail_domain_alloc(1, -28));
	expect_ctl(_metadata, 1, "fail_domain_alloc", "-28");
	vfio_set_container(g0, container);
	vfio_set_iommu_err(ENOSPC, container, VFIO_TYPE1v2_IOMMU);
	expect_ctl(_metadata, 1, "fail_domain_alloc", "0");
	vfio_set_iommu(container, VFIO_TYPE1v2_IOMMU);
	expect_backend_type1(container);

	/* The first map_pages() fails: MAP_DMA fails, nothing stays mapped */
	ASSERT_EQ(0, mock_fail_nth_map(1, 1, -12));
	vfio_map_err(ENOMEM, container, MAP_IOVA, SZ_2M, mem, VFIO_RW);
	ASSERT_EQ(0, mock_find_dev(1, 0, &d0));
	EXPECT_EQ(0, mock_domain_xlates_in(d0.domain, 0, UINT64_MAX));
	vfio_map(container, MAP_IOVA, SZ_2M, mem);

	/* The attach of a second group fails once, then it joins */
	ASSERT_EQ(0, mock_fail_attach(1, 16));
	vfio_set_container_err(EBUSY, g1, container);
	vfio_set_container(g1, container);
	ASSERT_EQ(0, mock_find_dev(1, 1, &d1));
	EXPECT_EQ(d0.domain, d1.domain);

	/* Each injected failure counted once */
	ASSERT_EQ(0, mock_counters(1, &c1));
	EXPECT_EQ(3, c1.v[MOCK_IOMMU_CNT_INJECTED_FAILURES] -
		     c0.v[MOCK_IOMMU_CNT_INJECTED_FAILURES]);

	vfio_unmap(container, MAP_IOVA, SZ_2M);
	vfio_unset_container(g1);
	vfio_unset_container(g0);
	close(g1);
	close(g0);
	close(container);
	munmap(mem, SZ_2M);
	EXPECT_EQ(0, params_restore(&params));

	/* type1 unwound every injected failure cleanly */
	expect_no_leak(&mark, false);
}

TEST_HARNESS_MAIN
