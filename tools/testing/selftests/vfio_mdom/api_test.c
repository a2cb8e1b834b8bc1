// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom selftest: the container's device node and version answers.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/vfio_mdom.h>

#include "kselftest_harness.h"

FIXTURE(api)
{
	int fd;
};

FIXTURE_SETUP(api)
{
	self->fd = open("/dev/" VFIO_MDOM_DEVICE_NAME, O_RDWR | O_CLOEXEC);
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

TEST_F(api, unsupported_extensions)
{
	EXPECT_EQ(0, ioctl(self->fd, VFIO_CHECK_EXTENSION, VFIO_SPAPR_TCE_IOMMU));
	EXPECT_EQ(0, ioctl(self->fd, VFIO_CHECK_EXTENSION, VFIO_NOIOMMU_IOMMU));
	EXPECT_EQ(0, ioctl(self->fd, VFIO_CHECK_EXTENSION, 0xdeadbeef));
}

TEST_F(api, unknown_ioctl)
{
	EXPECT_EQ(-1, ioctl(self->fd, _IO(VFIO_TYPE, VFIO_BASE + 99)));
	EXPECT_EQ(ENOTTY, errno);
}

TEST(each_open_is_a_container)
{
	int a = open("/dev/" VFIO_MDOM_DEVICE_NAME, O_RDWR | O_CLOEXEC);
	int b = open("/dev/" VFIO_MDOM_DEVICE_NAME, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	EXPECT_NE(a, b);
	EXPECT_EQ(VFIO_API_VERSION, ioctl(b, VFIO_GET_API_VERSION));
	close(a);
	EXPECT_EQ(VFIO_API_VERSION, ioctl(b, VFIO_GET_API_VERSION));
	close(b);
}

TEST_HARNESS_MAIN
