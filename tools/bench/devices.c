// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_mdom_bench: find the devices the peers work on.
 *
 * The edu device (QEMU's 1234:11e8, bound to vfio-pci) sits behind the
 * Intel vIOMMU and gives Intel domains; a device of the mock IOMMU
 * (drivers/mock_iommu, bus "vfio_mdom_mock") gives mock domains. Each has
 * a VFIO group (/dev/vfio/N, for the VFIO peers) and a VFIO device cdev
 * (/dev/vfio/devices/vfioN, for iommufd), both read from sysfs.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define PCI_DEVICES	"/sys/bus/pci/devices"
#define MOCK_DEVICES	"/sys/bus/vfio_mdom_mock/devices"

/* N of the iommu_group link of sysfs device directory @dir */
static int sysfs_group(const char *dir)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *base;
	ssize_t len;

	snprintf(path, sizeof(path), "%.3000s/iommu_group", dir);
	len = readlink(path, target, sizeof(target) - 1);
	if (len < 0)
		return -errno;
	target[len] = '\0';
	base = strrchr(target, '/');
	return atoi(base ? base + 1 : target);
}

/* N of the vfioN cdev of sysfs device directory @dir */
static int sysfs_cdev(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	int n = -ENOENT;
	DIR *d;

	snprintf(path, sizeof(path), "%.3000s/vfio-dev", dir);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (!strncmp(de->d_name, "vfio", 4) && de->d_name[4] >= '0' &&
		    de->d_name[4] <= '9') {
			n = atoi(de->d_name + 4);
			break;
		}
	}
	closedir(d);
	return n;
}

static int fill_dev(const char *dir, const char *name, struct bench_dev *dev)
{
	snprintf(dev->name, sizeof(dev->name), "%s", name);
	dev->group = sysfs_group(dir);
	if (dev->group < 0) {
		pr_err("%s: no IOMMU group (%s)\n", name, strerror(-dev->group));
		return dev->group;
	}
	dev->cdev = sysfs_cdev(dir);
	if (dev->cdev < 0) {
		pr_err("%s: no VFIO device cdev (CONFIG_VFIO_DEVICE_CDEV?): %s\n",
		       name, strerror(-dev->cdev));
		return dev->cdev;
	}
	return 0;
}

static bool is_edu_on_vfio(const char *dir)
{
	char path[PATH_MAX], buf[64], drv[PATH_MAX];
	ssize_t len;

	snprintf(path, sizeof(path), "%.3000s/vendor", dir);
	if (read_str(path, buf, sizeof(buf)) || strcmp(buf, "0x1234"))
		return false;
	snprintf(path, sizeof(path), "%.3000s/device", dir);
	if (read_str(path, buf, sizeof(buf)) || strcmp(buf, "0x11e8"))
		return false;
	snprintf(path, sizeof(path), "%.3000s/driver", dir);
	len = readlink(path, drv, sizeof(drv) - 1);
	if (len < 0)
		return false;
	drv[len] = '\0';
	return !strcmp(strrchr(drv, '/') ? strrchr(drv, '/') + 1 : drv,
		       "vfio-pci");
}

/* The edu device @bdf, or the first edu bound to vfio-pci if @bdf is NULL */
int find_edu(const char *bdf, struct bench_dev *dev)
{
	char dir[PATH_MAX];
	struct dirent *de;
	int ret = -ENODEV;
	DIR *d;

	d = opendir(PCI_DEVICES);
	if (!d) {
		pr_err("%s: %s\n", PCI_DEVICES, strerror(errno));
		return -errno;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || (bdf && strcmp(bdf, de->d_name)))
			continue;
		snprintf(dir, sizeof(dir), PCI_DEVICES "/%.256s", de->d_name);
		if (!is_edu_on_vfio(dir))
			continue;
		ret = fill_dev(dir, de->d_name, dev);
		break;
	}
	closedir(d);
	if (ret == -ENODEV)
		pr_err("no edu device bound to vfio-pci%s%s\n",
		       bdf ? " at " : "", bdf ? bdf : "");
	return ret;
}

/* Device 0 of mock IOMMU instance @inst */
int find_mock(int inst, struct bench_dev *dev)
{
	char name[64], dir[PATH_MAX];

	snprintf(name, sizeof(name), "vfio_mdom_mock%d.0", inst);
	snprintf(dir, sizeof(dir), MOCK_DEVICES "/%s", name);
	if (access(dir, F_OK)) {
		pr_err("no mock device %s (is vfio_mdom_mock_iommu.ko loaded?)\n",
		       name);
		return -ENODEV;
	}
	return fill_dev(dir, name, dev);
}
