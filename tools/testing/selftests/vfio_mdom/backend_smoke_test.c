// SPDX-License-Identifier: GPL-2.0
/*
 * Smoke test of vfio-mdom as the VFIO IOMMU backend, needing nothing but
 * vfio_mdom.ko and an edu device bound to vfio-pci: it runs on the test
 * kernel and on Debian's own kernel (tools/vm/stock/), where no test-only
 * module exists.
 *
 * /dev/vfio/vfio answers the API version and the type1 extensions; an edu
 * group is viable, joins a container, and VFIO_SET_IOMMU(TYPE1v2) gives a
 * container that vfio-mdom serves: VFIO_MDOM_QUERY, which type1 refuses
 * with ENOTTY, describes it; a mapping shows in it and goes with
 * UNMAP_DMA; the group hands out its device fd. With the module parameter
 * vfio_backend off, a new container is type1's.
 */
#include "mdom_test.h"

#define SMOKE_IOVA		0x100000ULL

TEST(container_api)
{
	int fd = vfio_open_container();

	ASSERT_LE(0, fd);
	EXPECT_EQ(VFIO_API_VERSION, ioctl(fd, VFIO_GET_API_VERSION));
	EXPECT_EQ(1, vfio_check_extension(fd, VFIO_TYPE1v2_IOMMU));
	EXPECT_EQ(1, vfio_check_extension(fd, VFIO_TYPE1_IOMMU));
	EXPECT_EQ(0, vfio_check_extension(fd, VFIO_SPAPR_TCE_IOMMU));
	close(fd);
}

TEST(module_loaded)
{
	EXPECT_TRUE(mdom_loaded());
	EXPECT_EQ(0, access("/sys/module/" TYPE1_MOD, F_OK));
	EXPECT_EQ(1, mdom_backend_enabled());
}

/* A container of the first edu device's group, with the IOMMU set. */
FIXTURE(edu_container)
{
	struct edu_dev edu;
	int group;
	int container;
	struct params params;
};

/*
 * backend_off turns the module-wide vfio_backend parameter off around
 * VFIO_SET_IOMMU: nothing else may open containers meanwhile.
 */
FIXTURE_VARIANT(edu_container)
{
	bool backend_off;	/* vfio_backend=N before SET_IOMMU */
};

FIXTURE_VARIANT_ADD(edu_container, mdom)
{
	.backend_off = false,
};

FIXTURE_VARIANT_ADD(edu_container, type1)
{
	.backend_off = true,
};

FIXTURE_SETUP(edu_container)
{
	uint32_t flags;

	self->group = -1;
	self->container = -1;
	ASSERT_EQ(0, edu_find(0, &self->edu));
	self->group = vfio_open_group(self->edu.group);
	ASSERT_LE(0, self->group);
	ASSERT_EQ(0, _vfio_group_status(self->group, &flags));
	ASSERT_EQ(VFIO_GROUP_FLAGS_VIABLE, flags);

	self->container = vfio_open_container();
	ASSERT_LE(0, self->container);
	vfio_set_container(self->group, self->container);
	if (variant->backend_off)
		ASSERT_EQ(0, mdom_set_backend(&self->params, false));
	vfio_set_iommu(self->container, VFIO_TYPE1v2_IOMMU);
	EXPECT_EQ(0, params_restore(&self->params));
}

FIXTURE_TEARDOWN(edu_container)
{
	EXPECT_EQ(0, params_restore(&self->params));
	if (self->group >= 0)
		close(self->group);
	if (self->container >= 0)
		close(self->container);
}

/* Who serves the container: vfio-mdom answers its query, type1 does not. */
TEST_F(edu_container, backend)
{
	struct mdom_state st;

	if (variant->backend_off) {
		expect_backend_type1(self->container);
		return;
	}
	mdom_query(self->container, &st);
	EXPECT_EQ(VFIO_TYPE1v2_IOMMU, st.q.iommu_type);
	ASSERT_EQ(1, st.q.num_groups);
	ASSERT_EQ(1, st.q.num_domains);
	EXPECT_EQ(self->edu.group, (int)st.groups[0].group_id);
	EXPECT_NE(0, st.domains[0].id);
	EXPECT_EQ(st.domains[0].id, st.groups[0].domain_id);
	EXPECT_EQ(1, st.domains[0].num_groups);
	EXPECT_NE('\0', st.domains[0].driver[0]);
	EXPECT_EQ(0, st.q.num_mappings);
}

/* One page mapped and unmapped through the container. */
TEST_F(edu_container, map_unmap)
{
	struct vfio_iommu_type1_info info;
	long page = page_size();
	struct mdom_state st;
	void *buf;

	ASSERT_EQ(0, _vfio_get_info(self->container, &info, sizeof(info)));
	ASSERT_TRUE(info.flags & VFIO_IOMMU_INFO_PGSIZES);
	EXPECT_TRUE(info.iova_pgsizes & page);

	buf = mmap(NULL, page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	memset(buf, 0x5a, page);
	vfio_map(self->container, SMOKE_IOVA, page, buf);
	if (!variant->backend_off) {
		mdom_query(self->container, &st);
		EXPECT_EQ(1, st.q.num_mappings);
		EXPECT_EQ(page, st.q.mapped_bytes);
		EXPECT_EQ(page, st.domains[0].mapped_bytes);
	}
	vfio_unmap(self->container, SMOKE_IOVA, page);
	if (!variant->backend_off) {
		mdom_query(self->container, &st);
		EXPECT_EQ(0, st.q.num_mappings);
		EXPECT_EQ(0, st.q.mapped_bytes);
	}
	munmap(buf, page);
}

/* A group in the container hands out its device fd, as with type1. */
TEST_F(edu_container, device_fd)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	int dev;

	dev = vfio_device_fd(self->group, self->edu.bdf);
	ASSERT_LE(0, dev);
	ASSERT_EQ(0, ioctl(dev, VFIO_DEVICE_GET_INFO, &info));
	EXPECT_TRUE(info.flags & VFIO_DEVICE_FLAGS_PCI);
	EXPECT_LT(VFIO_PCI_BAR0_REGION_INDEX, info.num_regions);
	close(dev);
}

TEST_HARNESS_MAIN
