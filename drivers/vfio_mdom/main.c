// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom: module init, the VFIO IOMMU driver ops, and the ioctl
 * dispatch table.
 *
 * vfio-mdom is one of VFIO's IOMMU drivers, like vfio_iommu_type1: VFIO
 * asks the most recently registered driver first, so with vfio_mdom
 * loaded after type1, VFIO_SET_IOMMU(VFIO_TYPE1_IOMMU or
 * VFIO_TYPE1v2_IOMMU) on /dev/vfio/vfio gives a vfio-mdom container, and
 * VFIO hands out device fds for its groups as for any container.
 *
 * The module parameter vfio_backend says whether new containers get
 * vfio-mdom. Off, vfio-mdom declines them (CHECK_EXTENSION answers 0 and
 * open() fails), so VFIO goes on to the next driver, the kernel's type1;
 * containers already open keep their driver (VFIO holds a reference on
 * this module for each). The driver stays registered until the module is
 * unloaded: VFIO's container code still reads a driver's ops after calling
 * its release(), holding only that container's lock, so unregistering
 * while a container may be closing would free them under it.
 *
 * VFIO calls a driver's ioctl with no lock against its release: the last
 * group leaving the container (VFIO_GROUP_UNSET_CONTAINER, or the group's
 * fd closed) releases the driver's data while another thread may be in
 * its ioctl, a VFIO_IOMMU_MAP_DMA pinning gigabytes for instance.
 * vfio-mdom closes that race from its side (struct mdom_vfio): release
 * waits for the ioctls in flight, an ioctl entering after release began
 * fails as if the container had no IOMMU (-EINVAL), and what VFIO holds
 * as the driver's data lives on for two RCU Tasks grace periods after
 * release, until no thread can be between VFIO's read of it and
 * vfio-mdom's check. See Documentation/vfio_mdom.rst for what is left.
 *
 * Every command has a row in mdom_ioctl_ops: how its argument is passed and
 * the minimum size of its struct. VFIO type1 commands keep VFIO's rules
 * (argsz at least the size of the fields the command reads, anything past
 * them ignored); vfio-mdom's own commands are extensible structs read with
 * copy_struct_from_user() (short: -EINVAL, longer with non-zero trailing
 * bytes: -E2BIG).
 */
#include <linux/completion.h>
#include <linux/file.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>
#include <linux/vfio_mdom.h>
#include <linux/wait_bit.h>

#include "events.h"
#include "vfio_mdom.h"

static bool mdom_vfio_backend = true;
module_param_named(vfio_backend, mdom_vfio_backend, bool, 0644);
MODULE_PARM_DESC(vfio_backend,
		 "Serve new VFIO type1 containers (default Y); N leaves them to vfio_iommu_type1. Open containers keep their driver.");

static bool mdom_backend_enabled(void)
{
	return READ_ONCE(mdom_vfio_backend);
}

/**
 * struct mdom_vfio - what VFIO holds as a vfio-mdom container's iommu_data
 * @c: the container, NULL once released
 * @users: one for the container until release begins, and one for each
 *	   ioctl in flight; at 0 no ioctl enters any more
 * @drained: completed by the last ioctl to leave after release began
 * @rcu: freed two RCU Tasks grace periods after release (see
 *	 mdom_vfio_release())
 */
struct mdom_vfio {
	struct mdom_container *c;
	refcount_t users;
	struct completion drained;
	struct rcu_head rcu;
};

/* Released mdom_vfio not yet freed: the module's exit waits for them. */
static atomic_t mdom_vfio_zombies = ATOMIC_INIT(0);

/* An ioctl enters: the container, or NULL if release has begun. */
static struct mdom_container *mdom_vfio_enter(struct mdom_vfio *v)
{
	return refcount_inc_not_zero(&v->users) ? v->c : NULL;
}

static void mdom_vfio_leave(struct mdom_vfio *v)
{
	if (refcount_dec_and_test(&v->users))
		complete(&v->drained);
}

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
	struct vfio_mdom_query query;
	struct vfio_mdom_events events;
	struct vfio_mdom_set_mode set_mode;
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

/*
 * Copy in the first @size bytes of a type1 struct, a multiple of 8 (see
 * the static_asserts before the table): a word at a time in one user
 * access window. For the 24 and 32 bytes of UNMAP_DMA and MAP_DMA that is
 * a few moves, where copy_from_user() calls out to a string copy.
 */
static int mdom_ucmd_copy_words(union mdom_ucmd_buffer *buf,
				const void __user *ubuffer, u32 size)
{
	const u64 __user *src = ubuffer;
	u64 *dst = (u64 *)buf;
	u32 i;

	if (!user_read_access_begin(src, size))
		return -EFAULT;
	for (i = 0; i < size / sizeof(u64); i++)
		unsafe_get_user(dst[i], &src[i], efault);
	user_read_access_end();
	return 0;

efault:
	user_read_access_end();
	return -EFAULT;
}

/* Copy the kernel's struct back, no more than the caller said it holds. */
static int mdom_ucmd_respond(struct mdom_ucmd *ucmd, size_t size)
{
	if (copy_to_user(ucmd->ubuffer, ucmd->cmd,
			 min_t(size_t, ucmd->user_size, size)))
		return -EFAULT;
	return 0;
}

static int mdom_check_extension(struct mdom_ucmd *ucmd)
{
	return mdom_container_check_extension(ucmd->c, ucmd->arg);
}

/*
 * The capability chain of VFIO_IOMMU_GET_INFO, in type1's order:
 * MIGRATION (dirty tracking: bitmaps of the smallest page size, as large
 * as type1 allows), DMA_AVAIL, IOVA_RANGE.
 */
static int mdom_info_build_caps(struct mdom_container *c,
				const struct mdom_info *info,
				struct vfio_info_cap *caps)
{
	struct vfio_iommu_type1_info_cap_iova_range *cap_iovas;
	struct vfio_iommu_type1_info_cap_migration cap_mig = {};
	struct vfio_iommu_type1_info_dma_avail cap_avail = {};
	struct vfio_info_cap_header *header;
	u32 i;
	int ret;

	cap_mig.header.id = VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION;
	cap_mig.header.version = 1;
	cap_mig.pgsize_bitmap = info->pgsize_bitmap ?
				1UL << __ffs(info->pgsize_bitmap) : PAGE_SIZE;
	cap_mig.max_dirty_bitmap_size = MDOM_DIRTY_BITMAP_SIZE_MAX;
	ret = vfio_info_add_capability(caps, &cap_mig.header, sizeof(cap_mig));
	if (ret)
		return ret;

	cap_avail.header.id = VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL;
	cap_avail.header.version = 1;
	scoped_guard(mutex, &c->iova_lock)
		cap_avail.avail = mdom_container_dma_avail(c);
	ret = vfio_info_add_capability(caps, &cap_avail.header,
				       sizeof(cap_avail));
	if (ret)
		return ret;

	/* None with no range or no domain (emulated groups only), as type1 */
	if (!info->nr_ranges || !info->nr_domains)
		return 0;
	header = vfio_info_cap_add(caps,
				   struct_size(cap_iovas, iova_ranges,
					       info->nr_ranges),
				   VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, 1);
	if (IS_ERR(header))
		return PTR_ERR(header);
	cap_iovas = container_of(header,
				 struct vfio_iommu_type1_info_cap_iova_range,
				 header);
	cap_iovas->nr_iovas = info->nr_ranges;
	for (i = 0; i < info->nr_ranges; i++) {
		cap_iovas->iova_ranges[i].start = info->ranges[i].first;
		cap_iovas->iova_ranges[i].end = info->ranges[i].last;
	}
	return 0;
}

/*
 * VFIO_IOMMU_GET_INFO, type1's way: if argsz cannot hold the capability
 * chain, argsz is raised to what it needs, CAPS is still set, cap_offset
 * stays 0 and the chain is not copied. Read from the published snapshot:
 * it does not wait for an attach in progress.
 */
static int mdom_get_info(struct mdom_ucmd *ucmd)
{
	struct vfio_iommu_type1_info *out = ucmd->cmd;
	struct vfio_info_cap caps = {};
	struct mdom_info *info;
	int ret;

	info = mdom_info_get(ucmd->c);
	out->flags = VFIO_IOMMU_INFO_PGSIZES;
	out->iova_pgsizes = info->pgsize_bitmap;
	out->cap_offset = 0;
	mdom_type1_info_clear_pad(out);
	ret = mdom_info_build_caps(ucmd->c, info, &caps);
	mdom_info_put(info);
	if (ret)
		goto out_free;

	out->flags |= VFIO_IOMMU_INFO_CAPS;
	if (out->argsz < sizeof(*out) + caps.size) {
		out->argsz = sizeof(*out) + caps.size;
	} else {
		vfio_info_cap_shift(&caps, sizeof(*out));
		if (copy_to_user(ucmd->ubuffer + sizeof(*out), caps.buf,
				 caps.size)) {
			ret = -EFAULT;
			goto out_free;
		}
		out->cap_offset = sizeof(*out);
	}
	ret = mdom_ucmd_respond(ucmd, sizeof(*out));
out_free:
	kfree(caps.buf);
	return ret;
}

static int mdom_map_dma(struct mdom_ucmd *ucmd)
{
	struct vfio_iommu_type1_dma_map *map = ucmd->cmd;
	bool set_vaddr = map->flags & VFIO_DMA_MAP_FLAG_VADDR;
	unsigned long vaddr;
	int prot = 0;

	if (map->flags & ~(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE |
			   VFIO_DMA_MAP_FLAG_VADDR))
		return -EINVAL;
	/* What does not fit the kernel's types (32-bit) is refused, as type1. */
	if ((unsigned long)map->vaddr != map->vaddr ||
	    (unsigned long)map->iova != map->iova ||
	    (size_t)map->size != map->size)
		return -EINVAL;
	if (map->flags & VFIO_DMA_MAP_FLAG_READ)
		prot |= IOMMU_READ;
	if (map->flags & VFIO_DMA_MAP_FLAG_WRITE)
		prot |= IOMMU_WRITE;
	/* A new vaddr for an existing mapping, or a new mapping. */
	if (!prot == !set_vaddr)
		return -EINVAL;
	/* Tagged user addresses (arm64 TBI, x86 LAM) are checked untagged. */
	vaddr = untagged_addr(map->vaddr);
	if (set_vaddr)
		return mdom_container_set_vaddr(ucmd->c, map->iova, map->size,
						vaddr);
	return mdom_container_map(ucmd->c, map->iova, map->size, vaddr, prot);
}

static int mdom_unmap_dma(struct mdom_ucmd *ucmd)
{
	const u32 minsz = offsetofend(struct vfio_iommu_type1_dma_unmap, size);
	struct vfio_iommu_type1_dma_unmap *unmap = ucmd->cmd;
	bool all = unmap->flags & VFIO_DMA_UNMAP_FLAG_ALL;
	struct vfio_bitmap bitmap;
	u64 unmapped;
	int ret;

	if (unmap->flags & ~(VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP |
			     VFIO_DMA_UNMAP_FLAG_VADDR |
			     VFIO_DMA_UNMAP_FLAG_ALL))
		return -EINVAL;
	if ((unmap->flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP) &&
	    (unmap->flags & (VFIO_DMA_UNMAP_FLAG_ALL |
			     VFIO_DMA_UNMAP_FLAG_VADDR)))
		return -EINVAL;
	if (!all && (size_t)unmap->size != unmap->size)
		return -EINVAL;

	if (unmap->flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP) {
		if (ucmd->user_size < minsz + sizeof(bitmap))
			return -EINVAL;
		if (copy_from_user(&bitmap, ucmd->ubuffer + minsz,
				   sizeof(bitmap)))
			return -EFAULT;
		if (!access_ok((void __user *)bitmap.data, bitmap.size) ||
		    !bitmap.pgsize)
			return -EINVAL;
		ret = mdom_dirty_bitmap_size_ok(unmap->size >>
						__ffs(bitmap.pgsize),
						bitmap.size);
		if (ret)
			return ret;
		ret = mdom_container_unmap_dirty(ucmd->c, unmap->iova,
						 unmap->size, &unmapped,
						 bitmap.pgsize, bitmap.data);
	} else if (unmap->flags & VFIO_DMA_UNMAP_FLAG_VADDR) {
		ret = mdom_container_invalidate_vaddr(ucmd->c, unmap->iova,
						      unmap->size, all,
						      &unmapped);
	} else {
		ret = mdom_container_unmap(ucmd->c, unmap->iova, unmap->size,
					   all, &unmapped);
	}
	if (ret)
		return ret;
	/*
	 * type1 copies its first @minsz bytes back, of which only @size
	 * changed: argsz covers it (the table's minimum).
	 */
	if (put_user(unmapped, &((struct vfio_iommu_type1_dma_unmap __user *)
				 ucmd->ubuffer)->size))
		return -EFAULT;
	return 0;
}

static int mdom_dirty_pages_ioctl(struct mdom_ucmd *ucmd)
{
	return mdom_dirty_pages(ucmd->c, ucmd->ubuffer);
}

static int mdom_query(struct mdom_ucmd *ucmd)
{
	struct vfio_mdom_query *cmd = ucmd->cmd;
	int ret, ret2;

	if ((cmd->flags & ~VFIO_MDOM_QUERY_WINDOWS) || cmd->__reserved)
		return -EINVAL;
	ret = mdom_container_query(ucmd->c, cmd);
	if (ret && ret != -EMSGSIZE)
		return ret;
	/* On -EMSGSIZE too: the counts tell how much room is needed. */
	ret2 = mdom_ucmd_respond(ucmd, sizeof(*cmd));
	return ret ?: ret2;
}

static int mdom_set_mode(struct mdom_ucmd *ucmd)
{
	return mdom_container_set_mode(ucmd->c, ucmd->cmd);
}

/* The fd is installed only once the answer is written back. */
static int mdom_events_ioctl(struct mdom_ucmd *ucmd)
{
	struct vfio_mdom_events *cmd = ucmd->cmd;
	struct file *file;
	int ret;

	file = mdom_events_open(ucmd->c, cmd);
	if (IS_ERR(file))
		return PTR_ERR(file);
	ret = mdom_ucmd_respond(ucmd, sizeof(*cmd));
	if (ret) {
		put_unused_fd(cmd->fd);
		fput(file);
		return ret;
	}
	fd_install(cmd->fd, file);
	return 0;
}

/**
 * struct mdom_ioctl_op - one row of the dispatch table
 * @cmd: the ioctl number
 * @arg: how the argument is passed
 * @min_size: smallest argsz accepted (the struct's first version)
 * @size: the kernel's struct size
 * @execute: the handler
 */
struct mdom_ioctl_op {
	unsigned int cmd;
	enum mdom_ioctl_arg arg;
	u32 min_size;
	u32 size;
	int (*execute)(struct mdom_ucmd *ucmd);
};

#define MDOM_IOCTL_VALUE(_cmd, _fn) \
	{ .cmd = _cmd, .arg = MDOM_ARG_VALUE, .execute = _fn }
#define MDOM_IOCTL_TYPE1(_cmd, _fn, _struct, _last) \
	{ .cmd = _cmd, .arg = MDOM_ARG_TYPE1, \
	  .min_size = offsetofend(_struct, _last), .size = sizeof(_struct), \
	  .execute = _fn }
#define MDOM_IOCTL_EXT(_cmd, _fn, _struct, _last) \
	{ .cmd = _cmd, .arg = MDOM_ARG_EXT, \
	  .min_size = offsetofend(_struct, _last), .size = sizeof(_struct), \
	  .execute = _fn }

/* The type1 rows' first versions, copied in by words (8 bytes each). */
static_assert(offsetofend(struct vfio_iommu_type1_dma_map, size) % 8 == 0);
static_assert(offsetofend(struct vfio_iommu_type1_dma_unmap, size) % 8 == 0);
static_assert(offsetofend(struct vfio_iommu_type1_info, iova_pgsizes) % 8 ==
	      0);

/*
 * VFIO answers GET_API_VERSION and SET_IOMMU itself. The table is looked
 * through in order: the per-call commands come first.
 */
static const struct mdom_ioctl_op mdom_ioctl_ops[] = {
	MDOM_IOCTL_TYPE1(VFIO_IOMMU_MAP_DMA, mdom_map_dma,
			 struct vfio_iommu_type1_dma_map, size),
	MDOM_IOCTL_TYPE1(VFIO_IOMMU_UNMAP_DMA, mdom_unmap_dma,
			 struct vfio_iommu_type1_dma_unmap, size),
	MDOM_IOCTL_VALUE(VFIO_CHECK_EXTENSION, mdom_check_extension),
	MDOM_IOCTL_TYPE1(VFIO_IOMMU_GET_INFO, mdom_get_info,
			 struct vfio_iommu_type1_info, iova_pgsizes),
	/* Its argument checks are type1's, v1 before any copy: its own. */
	MDOM_IOCTL_VALUE(VFIO_IOMMU_DIRTY_PAGES, mdom_dirty_pages_ioctl),
	MDOM_IOCTL_EXT(VFIO_MDOM_QUERY, mdom_query,
		       struct vfio_mdom_query, dirty_mode),
	MDOM_IOCTL_EXT(VFIO_MDOM_EVENTS, mdom_events_ioctl,
		       struct vfio_mdom_events, __reserved),
	MDOM_IOCTL_EXT(VFIO_MDOM_SET_MODE, mdom_set_mode,
		       struct vfio_mdom_set_mode, windows),
};

/*
 * The IOVA range a map or unmap worked on, [*@first, *@last], for the
 * invariant checker; none (*@last < *@first) for other commands.
 */
static void mdom_ioctl_range(unsigned int cmd, union mdom_ucmd_buffer *buf,
			     u64 *first, u64 *last)
{
	u64 iova, size;

	*first = 1;
	*last = 0;
	switch (cmd) {
	case VFIO_IOMMU_MAP_DMA:
		iova = buf->map.iova;
		size = buf->map.size;
		break;
	case VFIO_IOMMU_UNMAP_DMA:
		if (buf->unmap.flags & VFIO_DMA_UNMAP_FLAG_ALL) {
			*first = 0;
			*last = U64_MAX;
			return;
		}
		iova = buf->unmap.iova;
		size = buf->unmap.size;
		break;
	default:
		return;
	}
	if (size && iova + size - 1 >= iova) {
		*first = iova;
		*last = iova + size - 1;
	}
}

static long __mdom_vfio_ioctl(struct mdom_container *c, unsigned int cmd,
			      unsigned long arg)
{
	const struct mdom_ioctl_op *op = NULL;
	/*
	 * Written whole before it is read (copied in and zeroed past the
	 * copy): not zeroed first as well by CONFIG_INIT_STACK_ALL_ZERO.
	 */
	union mdom_ucmd_buffer buf __uninitialized;
	struct mdom_ucmd ucmd = {
		.c = c,
		.arg = arg,
		.ubuffer = (void __user *)arg,
		.cmd = &buf,
	};
	u64 first, last;
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
	if (op->arg == MDOM_ARG_VALUE) {
		ret = op->execute(&ucmd);
		if (cmd == VFIO_IOMMU_DIRTY_PAGES)
			mdom_check(c, 1, 0);
		return ret;
	}

	if (op->arg == MDOM_ARG_TYPE1) {
		/*
		 * One copy: argsz comes first in every VFIO struct. What it
		 * does not fill is zeroed (nothing for MAP_DMA and UNMAP_DMA).
		 */
		if (op->size > op->min_size)
			memset((u8 *)&buf + op->min_size, 0,
			       op->size - op->min_size);
		if (mdom_ucmd_copy_words(&buf, ucmd.ubuffer, op->min_size))
			return -EFAULT;
		ucmd.user_size = *(u32 *)&buf;
		if (ucmd.user_size < op->min_size)
			return -EINVAL;
	} else {
		if (get_user(ucmd.user_size, (u32 __user *)ucmd.ubuffer))
			return -EFAULT;
		if (ucmd.user_size < op->min_size)
			return -EINVAL;
		ret = copy_struct_from_user(&buf, op->size, ucmd.ubuffer,
					    ucmd.user_size);
		if (ret)
			return ret;
	}
	/* Read before the command writes its answer over it. */
	mdom_ioctl_range(cmd, &buf, &first, &last);
	ret = op->execute(&ucmd);
	if (first <= last)
		mdom_check(c, first, last);
	return ret;
}

static long mdom_vfio_ioctl(void *iommu_data, unsigned int cmd,
			    unsigned long arg)
{
	struct mdom_vfio *v = iommu_data;
	struct mdom_container *c;
	long ret;

	/* Before VFIO_SET_IOMMU: which IOMMU types would vfio-mdom serve? */
	if (!v) {
		if (cmd != VFIO_CHECK_EXTENSION || !mdom_backend_enabled())
			return 0;
		return mdom_container_check_extension(NULL, arg);
	}

	c = mdom_vfio_enter(v);
	if (!c)
		return -EINVAL;	/* released: as VFIO answers with no IOMMU */
	ret = __mdom_vfio_ioctl(c, cmd, arg);
	mdom_vfio_leave(v);
	return ret;
}

static void *mdom_vfio_open(unsigned long arg)
{
	struct mdom_container *c;
	struct mdom_vfio *v;

	/* Raced with vfio_backend going off: let VFIO try the next driver. */
	if (!mdom_backend_enabled())
		return ERR_PTR(-ENODEV);
	v = kzalloc(sizeof(*v), GFP_KERNEL_ACCOUNT);
	if (!v)
		return ERR_PTR(-ENOMEM);
	c = mdom_container_alloc(arg);
	if (IS_ERR(c)) {
		kfree(v);
		return c;
	}
	v->c = c;
	refcount_set(&v->users, 1);
	init_completion(&v->drained);
	mdom_debugfs_add(c);
	return v;
}

static void mdom_vfio_free(struct rcu_head *rcu)
{
	kfree(container_of(rcu, struct mdom_vfio, rcu));
	if (atomic_dec_and_test(&mdom_vfio_zombies))
		wake_up_var(&mdom_vfio_zombies);
}

static void mdom_vfio_free_later(struct rcu_head *rcu)
{
	call_rcu_tasks(rcu, mdom_vfio_free);
}

/*
 * VFIO's last group left (or VFIO_SET_IOMMU failed to attach them). No
 * ioctl enters any more, those inside are waited for, then the container
 * goes. @v itself stays for ioctls that VFIO is about to call with it: a
 * thread that read it from VFIO's container before VFIO forgets it is,
 * until it reaches mdom_vfio_enter(), neither in user space nor
 * voluntarily asleep. The first RCU Tasks grace period waits for the
 * releasing thread too, which does not sleep between queueing it and
 * VFIO forgetting @v: once it ends, VFIO has forgotten @v, and the
 * second waits for every thread that read @v before that.
 */
static void mdom_vfio_release(void *iommu_data)
{
	struct mdom_vfio *v = iommu_data;
	struct mdom_container *c = v->c;

	if (!refcount_dec_and_test(&v->users))
		wait_for_completion(&v->drained);
	mdom_check(c, 1, 0);
	mdom_debugfs_remove(c);
	mdom_container_destroy(c);
	v->c = NULL;
	atomic_inc(&mdom_vfio_zombies);
	/* Last: nothing may sleep from here until VFIO forgets @v. */
	call_rcu_tasks(&v->rcu, mdom_vfio_free_later);
}

/* The container of a VFIO call that cannot race with release. */
static struct mdom_container *mdom_vfio_container(void *iommu_data)
{
	return ((struct mdom_vfio *)iommu_data)->c;
}

static int mdom_vfio_attach_group(void *iommu_data, struct iommu_group *grp,
				  enum mdom_vfio_group_type type)
{
	struct mdom_container *c = mdom_vfio_container(iommu_data);
	int ret;

	switch (type) {
	case MDOM_VFIO_IOMMU:
		ret = mdom_container_attach(c, grp);
		break;
	case MDOM_VFIO_EMULATED_IOMMU:
		ret = mdom_container_attach_emulated(c, grp);
		break;
	default:
		/* No-IOMMU groups never reach an IOMMU driver. */
		return -EINVAL;
	}
	mdom_check(c, 1, 0);
	return ret;
}

static void mdom_vfio_detach_group(void *iommu_data, struct iommu_group *grp)
{
	struct mdom_container *c = mdom_vfio_container(iommu_data);

	if (mdom_container_detach_emulated(c, grp) == -ENOENT)
		WARN_ON(mdom_container_detach(c, grp));
	mdom_check(c, 1, 0);
}

static int mdom_vfio_pin_pages(void *iommu_data, struct iommu_group *grp,
			       dma_addr_t iova, int npage, int prot,
			       struct page **pages)
{
	if (!iommu_data)
		return -EINVAL;
	return mdom_container_pin_pages(mdom_vfio_container(iommu_data), iova,
					npage, prot, pages);
}

static void mdom_vfio_unpin_pages(void *iommu_data, dma_addr_t iova,
				  int npage)
{
	mdom_container_unpin_pages(mdom_vfio_container(iommu_data), iova,
				   npage);
}

static int mdom_vfio_dma_rw(void *iommu_data, dma_addr_t iova, void *data,
			    size_t count, bool write)
{
	return mdom_container_dma_rw(mdom_vfio_container(iommu_data), iova,
				     data, count, write);
}

static void mdom_vfio_register_device(void *iommu_data,
				      struct vfio_device *vdev)
{
	mdom_container_register_device(mdom_vfio_container(iommu_data), vdev);
}

static void mdom_vfio_unregister_device(void *iommu_data,
					struct vfio_device *vdev)
{
	mdom_container_unregister_device(mdom_vfio_container(iommu_data),
					 vdev);
}

static struct iommu_domain *mdom_vfio_group_iommu_domain(void *iommu_data,
							 struct iommu_group *grp)
{
	return mdom_container_group_domain(mdom_vfio_container(iommu_data),
					   grp);
}

static const struct mdom_vfio_iommu_driver_ops mdom_vfio_ops = {
	.name = VFIO_MDOM_DRIVER_NAME,
	.owner = THIS_MODULE,
	.open = mdom_vfio_open,
	.release = mdom_vfio_release,
	.ioctl = mdom_vfio_ioctl,
	.attach_group = mdom_vfio_attach_group,
	.detach_group = mdom_vfio_detach_group,
	.pin_pages = mdom_vfio_pin_pages,
	.unpin_pages = mdom_vfio_unpin_pages,
	.register_device = mdom_vfio_register_device,
	.unregister_device = mdom_vfio_unregister_device,
	.dma_rw = mdom_vfio_dma_rw,
	.group_iommu_domain = mdom_vfio_group_iommu_domain,
};

static int __init vfio_mdom_init(void)
{
	int ret;

	ret = mdom_dma_cache_init();
	if (ret)
		return ret;
	mdom_debugfs_init();
	mdom_check_init();
	ret = vfio_register_iommu_driver(&mdom_vfio_ops);
	if (ret) {
		mdom_debugfs_exit();
		mdom_dma_cache_exit();
	}
	return ret;
}

static void __exit vfio_mdom_exit(void)
{
	/* No container can be left: each holds a reference on the module. */
	vfio_unregister_iommu_driver(&mdom_vfio_ops);
	mdom_debugfs_exit();
	/* Released containers' mdom_vfio wait out two grace periods. */
	wait_var_event(&mdom_vfio_zombies, !atomic_read(&mdom_vfio_zombies));
#ifdef CONFIG_TASKS_RCU
	rcu_barrier_tasks();
#endif
	/* Snapshots freed after a grace period run this module's code. */
	rcu_barrier();
	mdom_dma_cache_exit();
}

module_init(vfio_mdom_init);
module_exit(vfio_mdom_exit);

MODULE_DESCRIPTION("VFIO type1-compatible IOMMU backend with many domains");
MODULE_LICENSE("GPL");
MODULE_SOFTDEP("pre: vfio_iommu_type1");
