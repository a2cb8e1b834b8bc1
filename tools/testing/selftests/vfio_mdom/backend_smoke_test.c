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
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/vfio.h>
#include <linux/vfio_mdom.h>

#include "kselftest_harness.h"
#include "edu_utils.h"

#define VFIO_CONTAINER_DEV	"/dev/vfio/vfio"
#define BACKEND_PARAM		"/sys/module/vfio_mdom/parameters/vfio_backend"
#define SMOKE_IOVA		0x100000ULL

/* Write @val to the module parameter vfio_backend: 0 or -errno. */
static int set_vfio_backend(const char *val)
{
	int fd = open(BACKEND_PARAM, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -errno : 0;
}

/* The vfio_backend parameter's value ('Y' or 'N'), or 0 if unreadable. */
static char get_vfio_backend(void)
{
	char buf[4] = "";
	int fd = open(BACKEND_PARAM, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	if (read(fd, buf, sizeof(buf) - 1) < 1)
		buf[0] = 0;
	close(fd);
	return buf[0];
}

/* VFIO_MDOM_QUERY into @q with room for @ndom domains, @ngrp groups. */
static int query(int container, struct vfio_mdom_query *q,
		 struct vfio_mdom_domain_info *domains, unsigned int ndom,
		 struct vfio_mdom_group_info *groups, unsigned int ngrp)
{
	memset(q, 0, sizeof(*q));
	q->argsz = sizeof(*q);
	q->num_domains = ndom;
	q->num_groups = ngrp;
	q->domains = (uintptr_t)domains;
	q->groups = (uintptr_t)groups;
	return ioctl(container, VFIO_MDOM_QUERY, q) ? errno : 0;
}

TEST(container_api)
{
	int fd = open(VFIO_CONTAINER_DEV, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd);
	EXPECT_EQ(VFIO_API_VERSION, ioctl(fd, VFIO_GET_API_VERSION));
	EXPECT_EQ(1, ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU));
	EXPECT_EQ(1, ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU));
	EXPECT_EQ(0, ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_SPAPR_TCE_IOMMU));
	close(fd);
}

TEST(module_loaded)
{
	EXPECT_EQ(0, access("/sys/module/vfio_mdom", F_OK));
	EXPECT_EQ(0, access("/sys/module/vfio_iommu_type1", F_OK));
	EXPECT_EQ('Y', get_vfio_backend());
}

/* A container of the first edu device's group, with the IOMMU set. */
FIXTURE(edu_container)
{
	struct edu_dev edu;
	int group;
	int container;
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
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[64];

	self->group = -1;
	self->container = -1;
	ASSERT_EQ(0, edu_find(0, &self->edu));
	snprintf(path, sizeof(path), "/dev/vfio/%d", self->edu.group);
	self->group = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->group);
	ASSERT_EQ(0, ioctl(self->group, VFIO_GROUP_GET_STATUS, &status));
	ASSERT_TRUE(status.flags & VFIO_GROUP_FLAGS_VIABLE);
	ASSERT_FALSE(status.flags & VFIO_GROUP_FLAGS_CONTAINER_SET);

	self->container = open(VFIO_CONTAINER_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->container);
	ASSERT_EQ(0, ioctl(self->group, VFIO_GROUP_SET_CONTAINER,
			   &self->container));
	if (variant->backend_off)
		ASSERT_EQ(0, set_vfio_backend("N"));
	ASSERT_EQ(0, ioctl(self->container, VFIO_SET_IOMMU,
			   VFIO_TYPE1v2_IOMMU));
	if (variant->backend_off)
		ASSERT_EQ(0, set_vfio_backend("Y"));
}

FIXTURE_TEARDOWN(edu_container)
{
	if (variant->backend_off)
		set_vfio_backend("Y");
	if (self->group >= 0)
		close(self->group);
	if (self->container >= 0)
		close(self->container);
}

/* Who serves the container: vfio-mdom answers its query, type1 does not. */
TEST_F(edu_container, backend)
{
	struct vfio_mdom_domain_info domains[4];
	struct vfio_mdom_group_info groups[4];
	struct vfio_mdom_query q;

	if (variant->backend_off) {
		ASSERT_EQ(ENOTTY, query(self->container, &q, domains, 4,
					groups, 4));
		return;
	}
	ASSERT_EQ(0, query(self->container, &q, domains, 4, groups, 4));
	EXPECT_EQ(VFIO_TYPE1v2_IOMMU, q.iommu_type);
	ASSERT_EQ(1, q.num_groups);
	ASSERT_EQ(1, q.num_domains);
	EXPECT_EQ(self->edu.group, groups[0].group_id);
	EXPECT_NE(0, domains[0].id);
	EXPECT_EQ(domains[0].id, groups[0].domain_id);
	EXPECT_EQ(1, domains[0].num_groups);
	EXPECT_NE('\0', domains[0].driver[0]);
	EXPECT_EQ(0, q.num_mappings);
}

/* One page mapped and unmapped through the container. */
TEST_F(edu_container, map_unmap)
{
	struct vfio_iommu_type1_info info = { .argsz = sizeof(info) };
	long page = sysconf(_SC_PAGESIZE);
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = SMOKE_IOVA,
		.size = page,
	};
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.iova = SMOKE_IOVA,
		.size = page,
	};
	struct vfio_mdom_domain_info domains[4];
	struct vfio_mdom_group_info groups[4];
	struct vfio_mdom_query q;
	void *buf;

	ASSERT_EQ(0, ioctl(self->container, VFIO_IOMMU_GET_INFO, &info));
	ASSERT_TRUE(info.flags & VFIO_IOMMU_INFO_PGSIZES);
	EXPECT_TRUE(info.iova_pgsizes & page);

	buf = mmap(NULL, page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	memset(buf, 0x5a, page);
	map.vaddr = (uintptr_t)buf;
	ASSERT_EQ(0, ioctl(self->container, VFIO_IOMMU_MAP_DMA, &map));
	if (!variant->backend_off) {
		ASSERT_EQ(0, query(self->container, &q, domains, 4, groups, 4));
		EXPECT_EQ(1, q.num_mappings);
		EXPECT_EQ(page, q.mapped_bytes);
		EXPECT_EQ(page, domains[0].mapped_bytes);
	}
	ASSERT_EQ(0, ioctl(self->container, VFIO_IOMMU_UNMAP_DMA, &unmap));
	EXPECT_EQ(page, unmap.size);
	if (!variant->backend_off) {
		ASSERT_EQ(0, query(self->container, &q, domains, 4, groups, 4));
		EXPECT_EQ(0, q.num_mappings);
		EXPECT_EQ(0, q.mapped_bytes);
	}
	munmap(buf, page);
}

/* A group in the container hands out its device fd, as with type1. */
TEST_F(edu_container, device_fd)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	int dev;

	dev = ioctl(self->group, VFIO_GROUP_GET_DEVICE_FD, self->edu.bdf);
	ASSERT_LE(0, dev);
	ASSERT_EQ(0, ioctl(dev, VFIO_DEVICE_GET_INFO, &info));
	EXPECT_TRUE(info.flags & VFIO_DEVICE_FLAGS_PCI);
	EXPECT_LT(VFIO_PCI_BAR0_REGION_INDEX, info.num_regions);
	close(dev);
}

TEST_HARNESS_MAIN
