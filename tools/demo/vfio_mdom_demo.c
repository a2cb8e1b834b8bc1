// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom demo: open a container and print what it can do.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/vfio_mdom.h>

static const struct {
	unsigned long ext;
	const char *name;
} extensions[] = {
	{ VFIO_TYPE1_IOMMU, "TYPE1" },
	{ VFIO_TYPE1v2_IOMMU, "TYPE1v2" },
	{ VFIO_DMA_CC_IOMMU, "DMA_CC_IOMMU" },
	{ VFIO_UNMAP_ALL, "UNMAP_ALL" },
	{ VFIO_UPDATE_VADDR, "UPDATE_VADDR" },
	{ VFIO_TYPE1_NESTING_IOMMU, "TYPE1_NESTING" },
	{ VFIO_SPAPR_TCE_IOMMU, "SPAPR_TCE" },
	{ VFIO_NOIOMMU_IOMMU, "NOIOMMU" },
};

int main(void)
{
	const char *path = "/dev/" VFIO_MDOM_DEVICE_NAME;
	unsigned int i;
	int fd, ver;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "open %s: %s\n", path, strerror(errno));
		return 1;
	}
	ver = ioctl(fd, VFIO_GET_API_VERSION);
	printf("container %s: VFIO API version %d\n", path, ver);
	for (i = 0; i < sizeof(extensions) / sizeof(extensions[0]); i++)
		printf("  extension %-14s %s\n", extensions[i].name,
		       ioctl(fd, VFIO_CHECK_EXTENSION, extensions[i].ext) > 0 ?
		       "yes" : "no");
	close(fd);
	return ver == VFIO_API_VERSION ? 0 : 1;
}
