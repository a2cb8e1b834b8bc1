// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom: module init, the /dev/vfio-mdom misc device, and the ioctl
 * dispatch table. Each open of the device is a container.
 *
 * Every command has a row in mdom_ioctl_ops: how its argument is passed and
 * the minimum size of its struct. VFIO type1 commands keep VFIO's rules
 * (argsz at least the size of the fields the command reads, anything past
 * them ignored); vfio-mdom's own commands are extensible structs read with
 * copy_struct_from_user() (short: -EINVAL, longer with non-zero trailing
 * bytes: -E2BIG).
 */
#include <linux/fs.h>
#include <linux/iommu.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>
#include <linux/vfio_mdom.h>

#include "vfio_mdom.h"

/* How an ioctl passes its argument. */
enum mdom_ioctl_arg {
	MDOM_ARG_VALUE,		/* an integer, no struct */
	MDOM_ARG_TYPE1,		/* VFIO struct: argsz >= min_size, rest ignored */
	MDOM_ARG_EXT,		/* extensible struct: copy_struct_from_user() */
};

union mdom_ucmd_buffer {
	struct vfio_iommu_type1_info info;
	struct vfio_iommu_type1_dma_map map;
	struct vfio_iommu_type1_dma_unmap unmap;
	struct vfio_mdom_attach_group attach;
	struct vfio_mdom_detach_group detach;
	struct vfio_mdom_query query;
};

/**
 * struct mdom_ucmd - one ioctl call being executed
 * @c: the container
 * @arg: the raw ioctl argument (an integer for MDOM_ARG_VALUE commands)
 * @ubuffer: @arg as a user pointer
 * @user_size: argsz as given by the caller
 * @cmd: the command's struct, read from @ubuffer
 */
struct mdom_ucmd {
	struct mdom_container *c;
	unsigned long arg;
	void __user *ubuffer;
	u32 user_size;
	void *cmd;
};

/* Copy the kernel's struct back, no more than the caller said it holds. */
static int mdom_ucmd_respond(struct mdom_ucmd *ucmd, size_t size)
{
	if (copy_to_user(ucmd->ubuffer, ucmd->cmd,
			 min_t(size_t, ucmd->user_size, size)))
		return -EFAULT;
	return 0;
}

static int mdom_get_api_version(struct mdom_ucmd *ucmd)
{
	return VFIO_API_VERSION;
}

static int mdom_check_extension(struct mdom_ucmd *ucmd)
{
	return mdom_container_check_extension(ucmd->c, ucmd->arg);
}

static int mdom_set_iommu(struct mdom_ucmd *ucmd)
{
	return mdom_container_set_iommu(ucmd->c, ucmd->arg);
}

/* Add the IOVA_RANGE and DMA_AVAIL capabilities to @caps. */
static int mdom_info_build_caps(struct mdom_container *c,
				struct vfio_info_cap *caps)
{
	struct vfio_iommu_type1_info_cap_iova_range *cap_iovas;
	struct vfio_iommu_type1_info_dma_avail cap_avail = {};
	struct vfio_info_cap_header *header;
	struct mdom_iova_range *ranges;
	int nr, i, ret;

	guard(mutex)(&c->lock);
	nr = mdom_container_iova_ranges(c, &ranges);
	if (nr < 0)
		return nr;
	header = vfio_info_cap_add(caps, struct_size(cap_iovas, iova_ranges, nr),
				   VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, 1);
	if (IS_ERR(header)) {
		kfree(ranges);
		return PTR_ERR(header);
	}
	cap_iovas = container_of(header,
				 struct vfio_iommu_type1_info_cap_iova_range,
				 header);
	cap_iovas->nr_iovas = nr;
	for (i = 0; i < nr; i++) {
		cap_iovas->iova_ranges[i].start = ranges[i].first;
		cap_iovas->iova_ranges[i].end = ranges[i].last;
	}
	kfree(ranges);

	cap_avail.header.id = VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL;
	cap_avail.header.version = 1;
	cap_avail.avail = mdom_container_dma_avail(c);
	ret = vfio_info_add_capability(caps, &cap_avail.header,
				       sizeof(cap_avail));
	return ret;
}

/*
 * VFIO_IOMMU_GET_INFO, type1's way: if argsz cannot hold the capability
 * chain, argsz is raised to what it needs, CAPS is still set, cap_offset
 * stays 0 and the chain is not copied.
 */
static int mdom_get_info(struct mdom_ucmd *ucmd)
{
	struct vfio_iommu_type1_info *info = ucmd->cmd;
	struct vfio_info_cap caps = {};
	int ret;

	info->flags = VFIO_IOMMU_INFO_PGSIZES;
	scoped_guard(mutex, &ucmd->c->lock)
		info->iova_pgsizes = mdom_container_pgsize_bitmap(ucmd->c);
	info->cap_offset = 0;
	info->pad = 0;

	ret = mdom_info_build_caps(ucmd->c, &caps);
	if (ret)
		goto out_free;
	info->flags |= VFIO_IOMMU_INFO_CAPS;
	if (info->argsz < sizeof(*info) + caps.size) {
		info->argsz = sizeof(*info) + caps.size;
	} else {
		vfio_info_cap_shift(&caps, sizeof(*info));
		if (copy_to_user(ucmd->ubuffer + sizeof(*info), caps.buf,
				 caps.size)) {
			ret = -EFAULT;
			goto out_free;
		}
		info->cap_offset = sizeof(*info);
	}
	ret = mdom_ucmd_respond(ucmd, sizeof(*info));
out_free:
	kfree(caps.buf);
	return ret;
}

static int mdom_map_dma(struct mdom_ucmd *ucmd)
{
	struct vfio_iommu_type1_dma_map *map = ucmd->cmd;
	int prot = 0;

	if (map->flags & ~(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE))
		return -EINVAL;
	if (map->flags & VFIO_DMA_MAP_FLAG_READ)
		prot |= IOMMU_READ;
	if (map->flags & VFIO_DMA_MAP_FLAG_WRITE)
		prot |= IOMMU_WRITE;
	if (map->vaddr != (unsigned long)map->vaddr)
		return -EINVAL;
	return mdom_container_map(ucmd->c, map->iova, map->size, map->vaddr,
				  prot);
}

static int mdom_unmap_dma(struct mdom_ucmd *ucmd)
{
	struct vfio_iommu_type1_dma_unmap *unmap = ucmd->cmd;
	u64 unmapped;
	int ret;

	/* No GET_DIRTY_BITMAP nor VADDR: not claimed by CHECK_EXTENSION. */
	if (unmap->flags & ~VFIO_DMA_UNMAP_FLAG_ALL)
		return -EINVAL;
	ret = mdom_container_unmap(ucmd->c, unmap->iova, unmap->size,
				   unmap->flags & VFIO_DMA_UNMAP_FLAG_ALL,
				   &unmapped);
	if (ret)
		return ret;
	unmap->size = unmapped;
	return mdom_ucmd_respond(ucmd, offsetofend(typeof(*unmap), size));
}

static int mdom_attach_group(struct mdom_ucmd *ucmd)
{
	struct vfio_mdom_attach_group *cmd = ucmd->cmd;
	struct iommu_group *grp;
	bool new_domain;
	int ret;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;
	grp = mdom_group_from_fd(cmd->group_fd);
	if (IS_ERR(grp))
		return PTR_ERR(grp);
	ret = mdom_container_attach(ucmd->c, grp, &cmd->domain_id,
				    &new_domain);
	iommu_group_put(grp);
	if (ret)
		return ret;
	cmd->out_flags = new_domain ? VFIO_MDOM_ATTACH_NEW_DOMAIN : 0;
	/*
	 * The group stays attached even if the answer cannot be written: the
	 * caller can still query or detach it.
	 */
	return mdom_ucmd_respond(ucmd, sizeof(*cmd));
}

static int mdom_detach_group(struct mdom_ucmd *ucmd)
{
	struct vfio_mdom_detach_group *cmd = ucmd->cmd;
	struct iommu_group *grp;
	int ret;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;
	grp = mdom_group_from_fd(cmd->group_fd);
	if (IS_ERR(grp))
		return PTR_ERR(grp);
	ret = mdom_container_detach(ucmd->c, grp);
	iommu_group_put(grp);
	return ret;
}

static int mdom_query(struct mdom_ucmd *ucmd)
{
	struct vfio_mdom_query *cmd = ucmd->cmd;
	int ret, ret2;

	if (cmd->flags || cmd->__reserved)
		return -EINVAL;
	ret = mdom_container_query(ucmd->c, cmd);
	if (ret && ret != -EMSGSIZE)
		return ret;
	/* On -EMSGSIZE too: the counts tell how much room is needed. */
	ret2 = mdom_ucmd_respond(ucmd, sizeof(*cmd));
	return ret ?: ret2;
}

/**
 * struct mdom_ioctl_op - one row of the dispatch table
 * @cmd: the ioctl number
 * @arg: how the argument is passed
 * @min_size: smallest argsz accepted (the struct's first version)
 * @size: the kernel's struct size
 * @needs_iommu: fails with -EINVAL until VFIO_SET_IOMMU, as in VFIO
 * @execute: the handler
 */
struct mdom_ioctl_op {
	unsigned int cmd;
	enum mdom_ioctl_arg arg;
	u32 min_size;
	u32 size;
	bool needs_iommu;
	int (*execute)(struct mdom_ucmd *ucmd);
};

#define MDOM_IOCTL_VALUE(_cmd, _fn) \
	{ .cmd = _cmd, .arg = MDOM_ARG_VALUE, .execute = _fn }
#define MDOM_IOCTL_TYPE1(_cmd, _fn, _struct, _last) \
	{ .cmd = _cmd, .arg = MDOM_ARG_TYPE1, .needs_iommu = true, \
	  .min_size = offsetofend(_struct, _last), .size = sizeof(_struct), \
	  .execute = _fn }
#define MDOM_IOCTL_EXT(_cmd, _fn, _struct, _last) \
	{ .cmd = _cmd, .arg = MDOM_ARG_EXT, \
	  .min_size = offsetofend(_struct, _last), .size = sizeof(_struct), \
	  .execute = _fn }

static const struct mdom_ioctl_op mdom_ioctl_ops[] = {
	MDOM_IOCTL_VALUE(VFIO_GET_API_VERSION, mdom_get_api_version),
	MDOM_IOCTL_VALUE(VFIO_CHECK_EXTENSION, mdom_check_extension),
	MDOM_IOCTL_VALUE(VFIO_SET_IOMMU, mdom_set_iommu),
	MDOM_IOCTL_TYPE1(VFIO_IOMMU_GET_INFO, mdom_get_info,
			 struct vfio_iommu_type1_info, iova_pgsizes),
	MDOM_IOCTL_TYPE1(VFIO_IOMMU_MAP_DMA, mdom_map_dma,
			 struct vfio_iommu_type1_dma_map, size),
	MDOM_IOCTL_TYPE1(VFIO_IOMMU_UNMAP_DMA, mdom_unmap_dma,
			 struct vfio_iommu_type1_dma_unmap, size),
	MDOM_IOCTL_EXT(VFIO_MDOM_ATTACH_GROUP, mdom_attach_group,
		       struct vfio_mdom_attach_group, __reserved),
	MDOM_IOCTL_EXT(VFIO_MDOM_DETACH_GROUP, mdom_detach_group,
		       struct vfio_mdom_detach_group, __reserved),
	MDOM_IOCTL_EXT(VFIO_MDOM_QUERY, mdom_query,
		       struct vfio_mdom_query, __reserved),
};

static long mdom_fops_ioctl(struct file *filp, unsigned int cmd,
			    unsigned long arg)
{
	struct mdom_container *c = filp->private_data;
	const struct mdom_ioctl_op *op = NULL;
	union mdom_ucmd_buffer buf;
	struct mdom_ucmd ucmd = {
		.c = c,
		.arg = arg,
		.ubuffer = (void __user *)arg,
		.cmd = &buf,
	};
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(mdom_ioctl_ops); i++) {
		if (mdom_ioctl_ops[i].cmd == cmd) {
			op = &mdom_ioctl_ops[i];
			break;
		}
	}
	if (!op)
		return -ENOTTY;
	if (op->needs_iommu && !READ_ONCE(c->iommu_type))
		return -EINVAL;
	if (op->arg == MDOM_ARG_VALUE)
		return op->execute(&ucmd);

	if (get_user(ucmd.user_size, (u32 __user *)ucmd.ubuffer))
		return -EFAULT;
	if (ucmd.user_size < op->min_size)
		return -EINVAL;
	if (op->arg == MDOM_ARG_TYPE1) {
		memset(&buf, 0, op->size);
		if (copy_from_user(&buf, ucmd.ubuffer, op->min_size))
			return -EFAULT;
	} else {
		ret = copy_struct_from_user(&buf, op->size, ucmd.ubuffer,
					    ucmd.user_size);
		if (ret)
			return ret;
	}
	return op->execute(&ucmd);
}

static int mdom_fops_open(struct inode *inode, struct file *filp)
{
	struct mdom_container *c;

	c = mdom_container_alloc();
	if (!c)
		return -ENOMEM;
	filp->private_data = c;
	return 0;
}

static int mdom_fops_release(struct inode *inode, struct file *filp)
{
	mdom_container_destroy(filp->private_data);
	return 0;
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
