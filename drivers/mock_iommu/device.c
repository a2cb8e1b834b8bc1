// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom mock IOMMU: the devices behind the instances.
 *
 * Each device sits on the mock bus and is bound to the mock driver, whose
 * probe registers it as a VFIO device (vfio_register_group_dev()), so that
 * its IOMMU group gets a /dev/vfio/N node and VFIO's group and container
 * code treats it like a vfio-pci device.
 *
 * Binding a device to its instance: the IOMMU core picks a device's iommu_ops
 * from the fwnode in its iommu_fwspec, and without one it falls back to the
 * first IOMMU registered without a fwnode, which is the platform IOMMU
 * (Intel VT-d in the test VM). Each instance therefore has its own fwnode,
 * and every device gets a fwspec naming it before device_add(). The core's
 * iommu_fwspec_init() needs a lock private to the core, so the fwspec is
 * set up here: the device is not yet visible to anybody, and the core frees
 * dev->iommu and the fwspec when it releases the device.
 */
#include <linux/irqdomain.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "mock_private.h"

/**
 * struct mock_vfio_dev - the VFIO face of a mock device
 * @vdev: VFIO device; must be first (vfio_alloc_device())
 * @mdev: the mock device it belongs to
 */
struct mock_vfio_dev {
	struct vfio_device vdev;
	struct mock_dev *mdev;
};

/* VFIO_DEVICE_GET_INFO: no region, no interrupt; emulated devices too */
long mock_vfio_ioctl(struct vfio_device *vdev, unsigned int cmd,
		     unsigned long arg)
{
	unsigned long minsz = offsetofend(struct vfio_device_info, num_irqs);
	struct vfio_device_info info;

	if (cmd != VFIO_DEVICE_GET_INFO)
		return -ENOTTY;
	if (copy_from_user(&info, (void __user *)arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	info.flags = 0;
	info.num_regions = 0;
	info.num_irqs = 0;
	return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
}

static const struct vfio_device_ops mock_vfio_ops = {
	.name = "vfio-mdom-mock",
	.ioctl = mock_vfio_ioctl,
	.bind_iommufd = vfio_iommufd_physical_bind,
	.unbind_iommufd = vfio_iommufd_physical_unbind,
	.attach_ioas = vfio_iommufd_physical_attach_ioas,
	.detach_ioas = vfio_iommufd_physical_detach_ioas,
};

static int mock_drv_probe(struct device *dev)
{
	struct mock_vfio_dev *mvdev;
	int rc;

	mvdev = vfio_alloc_device(mock_vfio_dev, vdev, dev, &mock_vfio_ops);
	if (IS_ERR(mvdev))
		return PTR_ERR(mvdev);
	mvdev->mdev = to_mock_dev(dev);

	rc = vfio_register_group_dev(&mvdev->vdev);
	if (rc)
		goto err_put_vdev;
	dev_set_drvdata(dev, mvdev);
	return 0;

err_put_vdev:
	vfio_put_device(&mvdev->vdev);
	return rc;
}

static int mock_drv_remove(struct device *dev)
{
	struct mock_vfio_dev *mvdev = dev_get_drvdata(dev);

	vfio_unregister_group_dev(&mvdev->vdev);
	vfio_put_device(&mvdev->vdev);
	return 0;
}

static struct device_driver mock_driver = {
	.name = MOCK_DRV_NAME,
	.bus = &mock_bus,
	.owner = THIS_MODULE,
	.probe = mock_drv_probe,
	.remove = mock_drv_remove,
	.suppress_bind_attrs = true,
};

int mock_driver_register(void)
{
	return driver_register(&mock_driver);
}

void mock_driver_unregister(void)
{
	driver_unregister(&mock_driver);
}

/* Frees what mock_dev_set_fwspec() set up if the core never took it */
static void mock_dev_free_fwspec(struct device *dev)
{
	if (!dev->iommu)
		return;
	kfree(dev->iommu->fwspec);
	mutex_destroy(&dev->iommu->lock);
	kfree(dev->iommu);
	dev->iommu = NULL;
}

static void mock_dev_release(struct device *dev)
{
	mock_dev_free_fwspec(dev);
	kfree(to_mock_dev(dev));
}

static int mock_dev_set_fwspec(struct mock_dev *mdev)
{
	struct iommu_fwspec *fwspec;
	struct dev_iommu *param;

	param = kzalloc(sizeof(*param), GFP_KERNEL);
	if (!param)
		return -ENOMEM;
	fwspec = kzalloc(struct_size(fwspec, ids, 1), GFP_KERNEL);
	if (!fwspec) {
		kfree(param);
		return -ENOMEM;
	}
	mutex_init(&param->lock);
	/* No reference: the fwnode has no operations and outlives devices */
	fwspec->iommu_fwnode = &mdev->inst->fwnode;
	fwspec->num_ids = 1;
	fwspec->ids[0] = mdev->index;
	param->fwspec = fwspec;
	mdev->dev.iommu = param;
	return 0;
}

/**
 * mock_dev_create() - add a device behind an instance
 * @inst: the instance
 * @index: device number within @inst
 *
 * On return the device is in its own IOMMU group, attached to the blocking
 * domain, and registered with VFIO.
 *
 * Return: the device or an ERR_PTR.
 */
struct mock_dev *mock_dev_create(struct mock_instance *inst,
				 unsigned int index)
{
	struct mock_dev *mdev;
	int rc;

	mdev = kzalloc(sizeof(*mdev), GFP_KERNEL);
	if (!mdev)
		return ERR_PTR(-ENOMEM);
	mdev->inst = inst;
	mdev->index = index;
	device_initialize(&mdev->dev);
	mdev->dev.bus = &mock_bus;
	mdev->dev.release = mock_dev_release;
	if (inst->msi_domain)
		dev_set_msi_domain(&mdev->dev, inst->msi_domain);

	rc = dev_set_name(&mdev->dev, MOCK_BUS_NAME "%u.%u", inst->index,
			  index);
	if (rc)
		goto err_put;
	rc = mock_dev_set_fwspec(mdev);
	if (rc)
		goto err_put;
	rc = device_add(&mdev->dev);
	if (rc)
		goto err_put;

	/* The core probed it (bus notifier) and the driver bound to it */
	if (!mdev->dev.iommu_group || !mdev->dev.driver) {
		dev_err(&mdev->dev, "not probed by the IOMMU core or driver\n");
		rc = -ENODEV;
		goto err_unregister;
	}
	mock_debugfs_add_device(mdev);
	return mdev;

err_unregister:
	device_unregister(&mdev->dev);
	return ERR_PTR(rc);
err_put:
	put_device(&mdev->dev);
	return ERR_PTR(rc);
}

void mock_dev_destroy(struct mock_dev *mdev)
{
	mock_debugfs_remove_device(mdev);
	device_unregister(&mdev->dev);
}
