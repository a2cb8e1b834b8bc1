// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom selftest: what a VMM sees of vfio-mdom before it has a group:
 * /dev/vfio/vfio's version and extension answers with vfio-mdom
 * registered, vfio-mdom's module parameters and debugfs file.
 */
#include <sys/stat.h>

#include "mdom_test.h"

FIXTURE(api)
{
	int fd;
};

FIXTURE_SETUP(api)
{
	self->fd = vfio_open_container();
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(api)
{
	close(self->fd);
}

TEST_F(api, api_version)
{
	EXPECT_EQ(VFIO_API_VERSION, ioctl(self->fd, VFIO_GET_API_VERSION));
}

/*
 * Before VFIO_SET_IOMMU, VFIO polls every IOMMU driver, vfio-mdom first:
 * the type1 types and UNMAP_ALL are there, nothing vfio-mdom or type1 do
 * not implement is.
 */
TEST_F(api, extensions_before_set_iommu)
{
	EXPECT_EQ(1, vfio_check_extension(self->fd, VFIO_TYPE1_IOMMU));
	EXPECT_EQ(1, vfio_check_extension(self->fd, VFIO_TYPE1v2_IOMMU));
	EXPECT_EQ(1, vfio_check_extension(self->fd, VFIO_UNMAP_ALL));
	EXPECT_EQ(0, vfio_check_extension(self->fd, VFIO_DMA_CC_IOMMU));
	EXPECT_EQ(0, vfio_check_extension(self->fd, VFIO_SPAPR_TCE_IOMMU));
	EXPECT_EQ(0, vfio_check_extension(self->fd, VFIO_SPAPR_TCE_v2_IOMMU));
	EXPECT_EQ(0, vfio_check_extension(self->fd, VFIO_EEH));
	EXPECT_EQ(0, vfio_check_extension(self->fd, 0xdeadbeef));
}

/* Nothing but VFIO's own ioctls before an IOMMU driver is chosen */
TEST_F(api, no_driver_yet)
{
	struct vfio_mdom_query q = { .argsz = sizeof(q) };

	EXPECT_EQ(-1, ioctl(self->fd, VFIO_MDOM_QUERY, &q));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IO(VFIO_TYPE, VFIO_BASE + 99)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-EINVAL, _vfio_map(self->fd, SZ_1M, SZ_4K, &q, VFIO_RW));
	/* No group: VFIO refuses to choose one */
	EXPECT_EQ(-EINVAL, _vfio_set_iommu(self->fd, VFIO_TYPE1v2_IOMMU));
}

TEST(each_open_is_a_container)
{
	int a = vfio_open_container(), b = vfio_open_container();

	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	EXPECT_NE(a, b);
	EXPECT_EQ(VFIO_API_VERSION, ioctl(b, VFIO_GET_API_VERSION));
	close(a);
	EXPECT_EQ(VFIO_API_VERSION, ioctl(b, VFIO_GET_API_VERSION));
	close(b);
}

/* The parameters: their modes and defaults */
TEST(module_parameters)
{
	static const struct {
		const char *name;
		const char *dflt;
	} params[] = {
		{ "vfio_backend", "Y" },
		{ "dma_entry_limit", "1048576" },	/* type1: 65535 */
		{ "allow_unsafe_interrupts", "N" },
	};
	char path[128], val[32];
	struct stat st;
	unsigned int i;

	if (!mdom_loaded())
		SKIP(return, "vfio_mdom.ko is not loaded");
	for (i = 0; i < ARRAY_SIZE(params); i++) {
		snprintf(path, sizeof(path), PARAM_DIR(MDOM_MOD) "%s",
			 params[i].name);
		ASSERT_EQ(0, stat(path, &st)) TH_LOG("%s", path);
		EXPECT_EQ(0644, st.st_mode & 0777) TH_LOG("%s", path);
		ASSERT_EQ(0, param_get(MDOM_MOD, params[i].name, val,
				       sizeof(val)));
		EXPECT_STREQ(params[i].dflt, val);
	}
	/* Refused values change nothing */
	EXPECT_EQ(-EINVAL, param_set(MDOM_MOD, "vfio_backend", "maybe"));
	EXPECT_EQ(1, mdom_backend_enabled());
	EXPECT_EQ(-EINVAL, param_set(MDOM_MOD, "dma_entry_limit", "-1"));
	ASSERT_EQ(0, param_get(MDOM_MOD, "dma_entry_limit", val, sizeof(val)));
	EXPECT_STREQ("1048576", val);
}

/* The debugfs file: there, and nothing of this process's in it */
TEST(debugfs_containers)
{
	struct stat st;

	if (!mdom_loaded())
		SKIP(return, "vfio_mdom.ko is not loaded");
	ASSERT_EQ(0, stat(MDOM_DEBUGFS "/containers", &st));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_LE(0, mdom_dbg_containers(-1, NULL, 0));
	EXPECT_EQ(0, mdom_dbg_containers(getpid(), NULL, 0));
}

TEST_HARNESS_MAIN
