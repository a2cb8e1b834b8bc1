// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom container events: VFIO_MDOM_EVENTS opens a file from which the
 * VMM reads fixed-size records (struct vfio_mdom_event) telling it what
 * changed in the container: domains added and removed with the count
 * before and after, the valid IOVA ranges and page sizes, replays into a
 * new domain, and DMA faults (fault.c).
 *
 * The producers never wait for the reader and never allocate: the records
 * go into a ring allocated when the file is opened, under a spinlock taken
 * with interrupts off (faults come from IOMMU interrupt handlers). A
 * record that does not fit is counted, and the reader gets a LOST record
 * with the counts as soon as there is room, or when it has read
 * everything else. DMA faults are also limited to a burst per second, the
 * rest counted the same way.
 *
 * Lifetime (events.h): the container and the file each hold a reference
 * on struct mdom_events; whichever goes first cuts the link under the
 * lock. Producers reach the queue through mdom_container::events under
 * RCU, so the struct is freed after a grace period.
 */
#include <linux/anon_inodes.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>

#include "events.h"
#include "vfio_mdom.h"

static_assert(sizeof(struct vfio_mdom_event) == 64);

void mdom_event_ring_init(struct mdom_event_ring *ring,
			  struct vfio_mdom_event *recs, u32 nr)
{
	memset(ring, 0, sizeof(*ring));
	ring->recs = recs;
	ring->mask = nr - 1;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_event_ring_init);

static u32 mdom_event_ring_room(const struct mdom_event_ring *ring)
{
	return ring->mask + 1 - (ring->head - ring->tail);
}

static void mdom_event_ring_lost(struct mdom_event_ring *ring,
				 struct vfio_mdom_event *rec, u64 time_ns)
{
	memset(rec, 0, sizeof(*rec));
	rec->type = VFIO_MDOM_EVENT_LOST;
	rec->seq = ring->seq++;
	rec->time_ns = time_ns;
	rec->lost.records = ring->dropped;
	rec->lost.faults = ring->suppressed;
	ring->dropped = 0;
	ring->suppressed = 0;
}

/*
 * Queue a copy of @rec (its seq set here), after a LOST record if any were
 * lost before. False if there was no room: @rec is counted as dropped.
 */
bool mdom_event_ring_push(struct mdom_event_ring *ring,
			  const struct vfio_mdom_event *rec)
{
	struct vfio_mdom_event *slot;
	u32 need = 1;

	if (ring->dropped || ring->suppressed)
		need++;
	if (mdom_event_ring_room(ring) < need) {
		ring->dropped++;
		return false;
	}
	if (need > 1)
		mdom_event_ring_lost(ring, &ring->recs[ring->head++ & ring->mask],
				     rec->time_ns);
	slot = &ring->recs[ring->head++ & ring->mask];
	*slot = *rec;
	slot->seq = ring->seq++;
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_event_ring_push);

/* Something to read: a record, or counts for a LOST record. */
bool mdom_event_ring_pending(const struct mdom_event_ring *ring)
{
	return ring->head != ring->tail || ring->dropped || ring->suppressed;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_event_ring_pending);

/*
 * Take the oldest record into *@out; with the queue empty but losses
 * counted, a LOST record made now. False if there is nothing.
 */
bool mdom_event_ring_pop(struct mdom_event_ring *ring,
			 struct vfio_mdom_event *out)
{
	if (ring->head != ring->tail) {
		*out = ring->recs[ring->tail++ & ring->mask];
		return true;
	}
	if (!ring->dropped && !ring->suppressed)
		return false;
	mdom_event_ring_lost(ring, out, ktime_get_ns());
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_event_ring_pop);

/*
 * May a DMA fault be queued at jiffies @now? At most fault_burst per
 * second; the caller counts the others.
 */
bool mdom_events_fault_allow(struct mdom_events *ev, unsigned long now)
{
	lockdep_assert_held(&ev->lock);
	if (time_after_eq(now, ev->fault_window + HZ)) {
		ev->fault_window = now;
		ev->fault_nr = 0;
	}
	if (ev->fault_nr >= ev->fault_burst)
		return false;
	ev->fault_nr++;
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_events_fault_allow);

static void mdom_events_free_rcu(struct rcu_head *rcu)
{
	struct mdom_events *ev = container_of(rcu, struct mdom_events, rcu);

	kvfree(ev->ring.recs);
	kfree(ev);
}

static void mdom_events_put(struct mdom_events *ev)
{
	if (refcount_dec_and_test(&ev->users))
		call_rcu(&ev->rcu, mdom_events_free_rcu);
}

/*
 * Queue @rec if the container has an event file. Any context. 0 if the
 * reader will hear of it (queued, or counted as lost), -ENOSYS if there
 * is no file.
 */
static int mdom_events_post(struct mdom_container *c,
			    struct vfio_mdom_event *rec, bool fault)
{
	struct mdom_events *ev;
	unsigned long flags;
	bool wake = true;

	rcu_read_lock();
	ev = rcu_dereference(c->events);
	if (!ev) {
		rcu_read_unlock();
		return -ENOSYS;
	}
	rec->time_ns = ktime_get_ns();
	spin_lock_irqsave(&ev->lock, flags);
	if (fault && !mdom_events_fault_allow(ev, jiffies)) {
		/* Wake the reader for the first only: it reads them all */
		wake = !ev->ring.suppressed++ && !ev->ring.dropped;
	} else {
		mdom_event_ring_push(&ev->ring, rec);
	}
	spin_unlock_irqrestore(&ev->lock, flags);
	if (wake)
		wake_up(&ev->wq);
	rcu_read_unlock();
	return 0;
}

static bool mdom_events_readable(struct mdom_events *ev)
{
	bool ret;

	spin_lock_irq(&ev->lock);
	ret = mdom_event_ring_pending(&ev->ring) || ev->gone;
	spin_unlock_irq(&ev->lock);
	return ret;
}

static ssize_t mdom_events_read(struct file *file, char __user *buf,
				size_t count, loff_t *ppos)
{
	struct mdom_events *ev = file->private_data;
	struct vfio_mdom_event rec;
	size_t done = 0;
	bool got, gone;
	int ret;

	if (count < sizeof(rec))
		return -EINVAL;
	while (done + sizeof(rec) <= count) {
		spin_lock_irq(&ev->lock);
		got = mdom_event_ring_pop(&ev->ring, &rec);
		gone = ev->gone;
		spin_unlock_irq(&ev->lock);
		if (!got) {
			if (done || gone)
				break;
			if (file->f_flags & O_NONBLOCK)
				return -EAGAIN;
			ret = wait_event_interruptible(ev->wq,
						       mdom_events_readable(ev));
			if (ret)
				return ret;
			continue;
		}
		if (copy_to_user(buf + done, &rec, sizeof(rec))) {
			/* Lost, and said so: the next read has a LOST record */
			spin_lock_irq(&ev->lock);
			ev->ring.dropped++;
			spin_unlock_irq(&ev->lock);
			return done ? done : -EFAULT;
		}
		done += sizeof(rec);
	}
	return done;
}

static __poll_t mdom_events_poll(struct file *file, poll_table *wait)
{
	struct mdom_events *ev = file->private_data;
	__poll_t mask = 0;

	poll_wait(file, &ev->wq, wait);
	spin_lock_irq(&ev->lock);
	if (mdom_event_ring_pending(&ev->ring))
		mask |= EPOLLIN | EPOLLRDNORM;
	else if (ev->gone)
		mask |= EPOLLHUP;
	spin_unlock_irq(&ev->lock);
	return mask;
}

/*
 * The file goes: cut the link if the container is still there (it cannot
 * go meanwhile, its destroy takes the lock to cut the link first).
 */
static int mdom_events_release(struct inode *inode, struct file *file)
{
	struct mdom_events *ev = file->private_data;
	struct mdom_container *c;

	spin_lock_irq(&ev->lock);
	c = ev->container;
	if (c) {
		ev->container = NULL;
		RCU_INIT_POINTER(c->events, NULL);
	}
	spin_unlock_irq(&ev->lock);
	if (c)
		mdom_events_put(ev);
	mdom_events_put(ev);
	return 0;
}

static const struct file_operations mdom_events_fops = {
	.owner = THIS_MODULE,
	.read = mdom_events_read,
	.poll = mdom_events_poll,
	.release = mdom_events_release,
	.llseek = noop_llseek,
};

/*
 * VFIO_MDOM_EVENTS: a new event file for @c, linked to it, and its fd
 * reserved in @cmd->fd; the caller installs it (fd_install()) or gives
 * both back (put_unused_fd(), fput()).
 */
struct file *mdom_events_open(struct mdom_container *c,
			      struct vfio_mdom_events *cmd)
{
	u32 nr = cmd->queue_len ?: MDOM_EVENTS_QUEUE_DEFAULT;
	struct vfio_mdom_event *recs;
	struct mdom_events *ev;
	struct file *file;
	int fd, ret;

	if (cmd->flags || cmd->__reserved)
		return ERR_PTR(-EINVAL);
	if (nr < MDOM_EVENTS_QUEUE_MIN || nr > MDOM_EVENTS_QUEUE_MAX)
		return ERR_PTR(-EINVAL);
	nr = roundup_pow_of_two(nr);

	ev = kzalloc(sizeof(*ev), GFP_KERNEL_ACCOUNT);
	if (!ev)
		return ERR_PTR(-ENOMEM);
	recs = kvcalloc(nr, sizeof(*recs), GFP_KERNEL_ACCOUNT);
	if (!recs) {
		kfree(ev);
		return ERR_PTR(-ENOMEM);
	}
	spin_lock_init(&ev->lock);
	mdom_event_ring_init(&ev->ring, recs, nr);
	ev->fault_burst = cmd->fault_burst ?: MDOM_EVENTS_FAULT_BURST;
	ev->fault_window = jiffies;
	init_waitqueue_head(&ev->wq);
	refcount_set(&ev->users, 1);

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		mdom_events_put(ev);
		return ERR_PTR(fd);
	}
	/* From here the file holds @ev's only reference */
	file = anon_inode_getfile("[vfio-mdom-events]", &mdom_events_fops, ev,
				  O_RDONLY);
	if (IS_ERR(file)) {
		mdom_events_put(ev);
		ret = PTR_ERR(file);
		goto out_put_fd;
	}

	/* Under domains_rwsem: no change of the domains is half reported */
	mdom_domains_lock(c);
	ret = -EBUSY;
	if (!rcu_access_pointer(c->events)) {
		refcount_inc(&ev->users);
		ev->container = c;
		rcu_assign_pointer(c->events, ev);
		ret = 0;
	}
	mdom_domains_unlock(c);
	if (ret)
		goto out_fput;
	cmd->fd = fd;
	return file;

out_fput:
	fput(file);
out_put_fd:
	put_unused_fd(fd);
	return ERR_PTR(ret);
}

/*
 * The container is going (after its groups and domains): cut the link,
 * the reader gets end of file once it has read everything.
 */
void mdom_events_container_gone(struct mdom_container *c)
{
	struct mdom_events *ev;
	bool linked = false;

	rcu_read_lock();
	ev = rcu_dereference(c->events);
	if (ev) {
		spin_lock_irq(&ev->lock);
		if (ev->container == c) {
			ev->container = NULL;
			RCU_INIT_POINTER(c->events, NULL);
			ev->gone = true;
			linked = true;
		}
		spin_unlock_irq(&ev->lock);
	}
	rcu_read_unlock();
	if (!linked)
		return;
	wake_up_all(&ev->wq);
	mdom_events_put(ev);
}

static bool mdom_info_has_domain(const struct mdom_info *info, u32 id)
{
	u32 i;

	for (i = 0; i < info->nr_domains; i++)
		if (info->domains[i].id == id)
			return true;
	return false;
}

static void mdom_events_domains(struct mdom_container *c,
				const struct mdom_info *from,
				const struct mdom_info *to, u16 type,
				u32 nr_before, u32 nr_after)
{
	struct vfio_mdom_event rec;
	u32 i;

	for (i = 0; i < from->nr_domains; i++) {
		if (mdom_info_has_domain(to, from->domains[i].id))
			continue;
		memset(&rec, 0, sizeof(rec));
		rec.type = type;
		rec.domain_id = from->domains[i].id;
		rec.domain.nr_before = nr_before;
		rec.domain.nr_after = nr_after;
		mdom_events_post(c, &rec, false);
	}
}

static bool mdom_info_ranges_equal(const struct mdom_info *a,
				   const struct mdom_info *b)
{
	return a->nr_ranges == b->nr_ranges &&
	       !memcmp(a->ranges, b->ranges, a->nr_ranges * sizeof(*a->ranges));
}

/*
 * The snapshot of the domains went from @old to @new (info.c, under
 * domains_rwsem written): report what a VMM must hear of.
 */
void mdom_events_info_changed(struct mdom_container *c,
			      const struct mdom_info *old,
			      const struct mdom_info *new)
{
	struct vfio_mdom_event rec;

	lockdep_assert_held_write(&c->domains_rwsem);
	if (!old || !rcu_access_pointer(c->events))
		return;
	mdom_events_domains(c, old, new, VFIO_MDOM_EVENT_DOMAIN_REMOVED,
			    old->nr_domains, new->nr_domains);
	mdom_events_domains(c, new, old, VFIO_MDOM_EVENT_DOMAIN_ADDED,
			    old->nr_domains, new->nr_domains);
	if (!mdom_info_ranges_equal(old, new)) {
		memset(&rec, 0, sizeof(rec));
		rec.type = VFIO_MDOM_EVENT_IOVA_RANGES;
		rec.ranges.nr_before = old->nr_ranges;
		rec.ranges.nr_after = new->nr_ranges;
		rec.ranges.first = 1;
		if (new->nr_ranges) {
			rec.ranges.first = new->ranges[0].first;
			rec.ranges.last = new->ranges[new->nr_ranges - 1].last;
		}
		mdom_events_post(c, &rec, false);
	}
	if (old->pgsize_bitmap != new->pgsize_bitmap) {
		memset(&rec, 0, sizeof(rec));
		rec.type = VFIO_MDOM_EVENT_PGSIZES;
		rec.pgsizes.before = old->pgsize_bitmap;
		rec.pgsizes.after = new->pgsize_bitmap;
		mdom_events_post(c, &rec, false);
	}
}

void mdom_events_replay(struct mdom_container *c, u32 domain_id, int error,
			u32 nr_mappings, u64 bytes)
{
	struct vfio_mdom_event rec = {
		.type = VFIO_MDOM_EVENT_REPLAY,
		.domain_id = domain_id,
		.replay = {
			.error = error,
			.nr_mappings = nr_mappings,
			.bytes = bytes,
		},
	};

	mdom_events_post(c, &rec, false);
}

/* Any context, from an IOMMU driver's fault path (fault.c) */
int mdom_events_fault(struct mdom_container *c, u32 domain_id, s32 group_id,
		      u64 iova, bool write)
{
	struct vfio_mdom_event rec = {
		.type = VFIO_MDOM_EVENT_DMA_FAULT,
		.domain_id = domain_id,
		.fault = {
			.iova = iova,
			.group_id = group_id,
			.flags = write ? VFIO_MDOM_FAULT_WRITE : 0,
		},
	};

	return mdom_events_post(c, &rec, true);
}
