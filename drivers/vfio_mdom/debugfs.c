// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom debugfs: what an operator reads when a VM fails to start.
 *
 * /sys/kernel/debug/vfio_mdom/containers lists every vfio-mdom container,
 * one block each (numbers in hex have a 0x prefix, all others decimal):
 *
 *   container ID pid PID comm COMM type 1|3 mappings N mapped_bytes B
 *     pinned_pages P locked_pages L shared_pages S dma_avail A
 *     dirty off|pinned|iommu vaddr_invalid V
 *    domain ID driver NAME iommu NAME pgsizes 0xB aperture 0xS-0xE
 *     enforce_cc 0|1 dirty_tracking 0|1 mapped_bytes B groups G[,G...]
 *    emulated_groups G[,G...]
 *
 * (each "container" and "domain" entry is one line; the emulated_groups
 * line only appears when there are any). PID and COMM are the process
 * that did VFIO_SET_IOMMU, COMM with blanks replaced by '_'. The figures
 * are those of VFIO_MDOM_QUERY (include/uapi/linux/vfio_mdom.h).
 */
#include <linux/ctype.h>
#include <linux/debugfs.h>
#include <linux/idr.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/vfio.h>
#include <linux/vfio_mdom.h>

#include "vfio_mdom.h"

static struct dentry *mdom_debugfs_dir;
static DEFINE_IDA(mdom_container_ida);
/* The list of containers, and each one's presence on it. */
static DEFINE_MUTEX(mdom_containers_lock);
static LIST_HEAD(mdom_containers);

/* Name the container after the current process and list it. */
void mdom_debugfs_add(struct mdom_container *c)
{
	char *p;
	int id;

	c->owner = get_task_pid(current, PIDTYPE_TGID);
	get_task_comm(c->comm, current);
	for (p = c->comm; *p; p++)
		if (isspace(*p))
			*p = '_';
	/* Only a name: without an id the container is listed as 0. */
	id = ida_alloc_min(&mdom_container_ida, 1, GFP_KERNEL);
	c->id = id > 0 ? id : 0;
	guard(mutex)(&mdom_containers_lock);
	list_add_tail(&c->node, &mdom_containers);
}

void mdom_debugfs_remove(struct mdom_container *c)
{
	scoped_guard(mutex, &mdom_containers_lock)
		list_del_init(&c->node);
	if (c->id)
		ida_free(&mdom_container_ida, c->id);
	put_pid(c->owner);
	c->owner = NULL;
}

static const char *mdom_dirty_mode_name(u32 mode)
{
	switch (mode) {
	case VFIO_MDOM_DIRTY_PINNED:
		return "pinned";
	case VFIO_MDOM_DIRTY_IOMMU:
		return "iommu";
	default:
		return "off";
	}
}

static void mdom_debugfs_show_groups(struct seq_file *s,
				     const struct mdom_info *info,
				     u32 domain_id)
{
	const char *sep = "";
	u32 i;

	for (i = 0; i < info->nr_groups; i++) {
		if (info->groups[i].domain_id != domain_id)
			continue;
		seq_printf(s, "%s%u", sep, info->groups[i].group_id);
		sep = ",";
	}
	if (!*sep)
		seq_puts(s, "-");
}

static void mdom_debugfs_show_one(struct seq_file *s,
				  struct mdom_container *c)
{
	struct vfio_mdom_query q = {};
	struct mdom_info *info;
	u32 i;

	mdom_container_counts(c, &q);
	seq_printf(s, "container %u pid %d comm %s type %u mappings %u mapped_bytes %llu pinned_pages %llu locked_pages %llu shared_pages %llu dma_avail %u dirty %s vaddr_invalid %u\n",
		   c->id, pid_nr(c->owner), c->comm, q.iommu_type,
		   q.num_mappings, q.mapped_bytes, q.pinned_pages,
		   q.locked_pages, q.shared_pages, q.dma_avail,
		   mdom_dirty_mode_name(q.dirty_mode), q.num_vaddr_invalid);

	info = mdom_info_get(c);
	for (i = 0; i < info->nr_domains; i++) {
		const struct vfio_mdom_domain_info *d = &info->domains[i];

		seq_printf(s, " domain %u driver %s iommu %s pgsizes %#llx aperture %#llx-%#llx enforce_cc %d dirty_tracking %d mapped_bytes %lld groups ",
			   d->id, d->driver, d->iommu[0] ? d->iommu : "-",
			   d->pgsize_bitmap, d->aperture_start,
			   d->aperture_end,
			   !!(d->flags & VFIO_MDOM_DOMAIN_ENFORCE_CC),
			   !!(d->flags & VFIO_MDOM_DOMAIN_DIRTY_TRACKING),
			   atomic64_read(&info->doms[i]->mapped_bytes));
		mdom_debugfs_show_groups(s, info, d->id);
		seq_putc(s, '\n');
	}
	if (info->nr_emulated) {
		seq_puts(s, " emulated_groups ");
		mdom_debugfs_show_groups(s, info, 0);
		seq_putc(s, '\n');
	}
	mdom_info_put(info);
}

static int mdom_containers_show(struct seq_file *s, void *unused)
{
	struct mdom_container *c;

	guard(mutex)(&mdom_containers_lock);
	list_for_each_entry(c, &mdom_containers, node)
		mdom_debugfs_show_one(s, c);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mdom_containers);

void mdom_debugfs_init(void)
{
	mdom_debugfs_dir = debugfs_create_dir("vfio_mdom", NULL);
	debugfs_create_file("containers", 0400, mdom_debugfs_dir, NULL,
			    &mdom_containers_fops);
}

void mdom_debugfs_exit(void)
{
	debugfs_remove_recursive(mdom_debugfs_dir);
}
