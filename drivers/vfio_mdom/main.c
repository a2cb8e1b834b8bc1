// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom: module init, the /dev/vfio-mdom misc device, and the ioctl
 * dispatch table. Each open of the device is a container.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vfio.h>
#include <linux/vfio_mdom.h>

#include "vfio_mdom.h"

VISIBLE_IF_KUNIT long mdom_container_check_extension(struct mdom_container *c,
						     unsigned long ext)
{
	/* Nothing beyond the API version is implemented yet. */
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_container_check_extension);

static int mdom_fops_open(struct inode *inode, struct file *filp)
{
	struct mdom_container *c;

	c = kzalloc(sizeof(*c), GFP_KERNEL_ACCOUNT);
	if (!c)
		return -ENOMEM;
	mutex_init(&c->lock);
	filp->private_data = c;
	return 0;
}

static int mdom_fops_release(struct inode *inode, struct file *filp)
{
	struct mdom_container *c = filp->private_data;

	mutex_destroy(&c->lock);
	kfree(c);
	return 0;
}

static long mdom_fops_ioctl(struct file *filp, unsigned int cmd,
			    unsigned long arg)
{
	struct mdom_container *c = filp->private_data;

	switch (cmd) {
	case VFIO_GET_API_VERSION:
		return VFIO_API_VERSION;
	case VFIO_CHECK_EXTENSION:
		return mdom_container_check_extension(c, arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations mdom_fops = {
	.owner = THIS_MODULE,
	.open = mdom_fops_open,
	.release = mdom_fops_release,
	.unlocked_ioctl = mdom_fops_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice mdom_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = VFIO_MDOM_DEVICE_NAME,
	.fops = &mdom_fops,
	.mode = 0666,
};

static int __init vfio_mdom_init(void)
{
	return misc_register(&mdom_misc);
}

static void __exit vfio_mdom_exit(void)
{
	misc_deregister(&mdom_misc);
}

module_init(vfio_mdom_init);
module_exit(vfio_mdom_exit);

MODULE_DESCRIPTION("VFIO type1-compatible IOMMU container with many domains");
MODULE_LICENSE("GPL");
