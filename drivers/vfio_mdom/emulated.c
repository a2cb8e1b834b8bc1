// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom emulated devices: mdev-style VFIO devices with no IOMMU of
 * their own, whose "DMA" is the kernel driver reading and writing guest
 * memory through vfio_pin_pages() and vfio_dma_rw().
 *
 * Their groups (VFIO_EMULATED_IOMMU) attach without a domain. A container
 * holding only such groups pins nothing at map time, as type1: a page is
 * pinned when a device pins it. Once the container has an IOMMU domain
 * every mapping is pinned already, and a device's pin only counts a
 * reference on the page the mapping holds: nothing is pinned or charged
 * twice. A page pinned for a device of a mapping that was not pinned is
 * an mdom_pages of its own, on the container's emulated-pin owner: when
 * the mapping is pinned later (a domain arrives), the mm's account sees
 * both holders and charges the page once. When the last domain goes
 * (mdom_emulated_unpin_mappings()), the mappings are unpinned again, the
 * pages devices hold given pins of their own first.
 *
 * type1's rules otherwise: pin_pages needs a v2 container and a device
 * that listens to unmaps (vfio_device_ops::dma_unmap); the pinned range
 * must be mapped with at least the permissions asked (-EPERM); an unmap of
 * a range with pages pinned calls every such device's dma_unmap, which
 * must unpin them, and waits for that before the pages go; live update
 * (VADDR) is refused while emulated groups are attached.
 *
 * Locking: pin_pages and dma_rw hold domains_rwsem (read) and iova_lock,
 * which they drop to wait for a map of their range in flight (type1's
 * wait on its lock behind a map); unpin_pages only iova_lock, as devices
 * unpin from their dma_unmap, called by an unmap holding domains_rwsem
 * and release_rwsem for reading (so that a device's dma_unmap may wait
 * for its own pin_pages or dma_rw in flight: see struct mdom_container).
 * devices_lock is held while calling dma_unmap, so nothing a device may call with a lock
 * of its own held (pin_pages, unpin_pages, dma_rw) takes it, and it is
 * never taken with iova_lock held.
 */
#include <linux/highmem.h>
#include <linux/iommu.h>
#include <linux/kthread.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/vfio.h>

#include "vfio_mdom.h"

/* How long an unmap waits for devices to unpin, after telling them. */
#define MDOM_UNPIN_WAIT		(10 * HZ)

/**
 * struct mdom_epin - a page an emulated device pinned, of a mapping that
 * was not pinned itself
 * @count: pins of the page by devices
 * @pages: the one page, pinned for the devices and charged
 */
struct mdom_epin {
	unsigned long count;
	struct mdom_pages pages;
};

static struct mdom_group *mdom_find_emulated(struct mdom_container *c,
					     struct iommu_group *grp)
{
	struct mdom_group *g;

	lockdep_assert_held(&c->domains_rwsem);
	list_for_each_entry(g, &c->emulated_groups, next)
		if (g->iommu_group == grp)
			return g;
	return NULL;
}

int mdom_container_attach_emulated(struct mdom_container *c,
				   struct iommu_group *grp)
{
	struct mdom_group *g;
	int ret;

	guard(mdom_domains)(c);
	if (mdom_find_emulated(c, grp))
		return -EINVAL;
	/* Its device could pin through an address that is not there. */
	scoped_guard(mutex, &c->iova_lock)
		if (c->nr_vaddr_invalid)
			return -EBUSY;
	g = kzalloc(sizeof(*g), GFP_KERNEL_ACCOUNT);
	if (!g)
		return -ENOMEM;
	g->iommu_group = grp;
	list_add_tail(&g->next, &c->emulated_groups);
	ret = mdom_info_update(c, GFP_KERNEL_ACCOUNT);
	if (ret) {
		list_del(&g->next);
		kfree(g);
	}
	return ret;
}

int mdom_container_detach_emulated(struct mdom_container *c,
				   struct iommu_group *grp)
{
	struct mdom_group *g;

	guard(mdom_domains)(c);
	g = mdom_find_emulated(c, grp);
	if (!g)
		return -ENOENT;
	list_del(&g->next);
	kfree(g);
	WARN_ON(mdom_info_update(c, GFP_KERNEL | __GFP_NOFAIL));
	return 0;
}

void mdom_container_register_device(struct mdom_container *c,
				    struct vfio_device *vdev)
{
	if (!vdev->ops->dma_unmap)
		return;
	guard(mutex)(&c->devices_lock);
	list_add(&vdev->iommu_entry, &c->devices);
}
EXPORT_SYMBOL_IF_KUNIT(mdom_container_register_device);

void mdom_container_unregister_device(struct mdom_container *c,
				      struct vfio_device *vdev)
{
	if (!vdev->ops->dma_unmap)
		return;
	guard(mutex)(&c->devices_lock);
	list_del(&vdev->iommu_entry);
}
EXPORT_SYMBOL_IF_KUNIT(mdom_container_unregister_device);

/*
 * Wait until no mapping in [@iova, @iova + @size) is being mapped (@size
 * is not 0): type1 holds its lock while it maps, so an emulated device's
 * pin or access of a mapping being made waits there and then finds it.
 * Called and returns with iova_lock held, dropped while waiting, and with
 * domains_rwsem held for reading, as the map holds it: the map never
 * waits for us. One being unmapped is not waited for: the unmap may be
 * waiting for this very device to unpin (see struct mdom_container).
 */
static void mdom_emulated_wait_mapped(struct mdom_container *c, u64 iova,
				      u64 size)
{
	u64 last = iova + size - 1 < iova ? U64_MAX : iova + size - 1;
	struct mdom_dma *dma;
	u64 seq;

	lockdep_assert_held(&c->iova_lock);
	lockdep_assert_held_read(&c->domains_rwsem);
again:
	for (dma = mdom_dma_first(&c->dmas, iova, last); dma;
	     dma = mdom_dma_next(dma, iova, last)) {
		if (dma->state != MDOM_DMA_MAPPING)
			continue;
		seq = c->map_seq;
		mutex_unlock(&c->iova_lock);
		wait_event(c->dma_wq, READ_ONCE(c->map_seq) != seq);
		mutex_lock(&c->iova_lock);
		goto again;
	}
}

/* The live mapping holding @iova, or NULL. */
static struct mdom_dma *mdom_dma_at(struct mdom_container *c, u64 iova,
				    bool unmapping_too)
{
	struct mdom_dma *dma;

	lockdep_assert_held(&c->iova_lock);
	dma = mdom_dma_first(&c->dmas, iova, iova);
	if (!dma || dma->state == MDOM_DMA_MAPPING ||
	    (dma->state == MDOM_DMA_UNMAPPING && !unmapping_too))
		return NULL;
	return dma;
}

/*
 * The page of @dma holding @iova, which the mapping itself has pinned;
 * @cursor (or NULL) as mdom_pages_phys_at() takes it.
 */
static struct page *mdom_dma_pinned_page(struct mdom_dma *dma, u64 iova,
					 struct mdom_pages_cursor *cursor)
{
	phys_addr_t phys = mdom_pages_phys_at(&dma->pages, iova - dma->iova,
					      cursor);

	return pfn_valid(PHYS_PFN(phys)) ? pfn_to_page(PHYS_PFN(phys)) : NULL;
}

/*
 * Pin and charge page @index of @dma for devices, on its own: a struct
 * mdom_epin with no pin counted yet. Pinned through the mapping's user
 * address: -EINVAL for device memory, which has no struct page to give.
 */
static struct mdom_epin *mdom_epin_alloc(struct mdom_container *c,
					 struct mdom_dma *dma,
					 unsigned long index)
{
	struct mdom_epin *epin;
	int ret;

	lockdep_assert_held(&c->iova_lock);
	epin = kzalloc(sizeof(*epin), MDOM_GFP_USER);
	if (!epin)
		return ERR_PTR(-ENOMEM);
	ret = mdom_pages_init_for(&epin->pages, mdom_pages_mm(&dma->pages),
				  dma->pages.mapper->task,
				  dma->pages.mapper->lock_cap,
				  dma->pages.vaddr + (index << PAGE_SHIFT), PAGE_SIZE,
				  dma->prot & IOMMU_WRITE, &c->epin_owner,
				  NULL);
	if (ret)
		goto out_free;
	ret = mdom_pages_fill(&epin->pages);
	if (ret)
		goto out_release;
	ret = -EINVAL;
	if (epin->pages.pfnmap)
		goto out_release;
	return epin;

out_release:
	mdom_pages_release(&epin->pages);
out_free:
	kfree(epin);
	return ERR_PTR(ret);
}

static void mdom_epin_free(struct mdom_epin *epin)
{
	mdom_pages_release(&epin->pages);
	kfree(epin);
}

/*
 * Pin the page of @dma holding @iova for a device: its struct page.
 * @cursor: where the last look-up in @dma's pages was.
 */
static struct page *mdom_epin_get(struct mdom_container *c,
				  struct mdom_dma *dma, u64 iova,
				  struct mdom_pages_cursor *cursor)
{
	unsigned long index = (iova - dma->iova) >> PAGE_SHIFT, count;
	struct mdom_dma_extra *extra;
	struct mdom_epin *epin;
	struct page *page;
	void *entry;
	int ret;

	extra = mdom_dma_extra_get(c, dma);
	if (IS_ERR(extra))
		return ERR_CAST(extra);
	entry = xa_load(&extra->epins, index);
	if (entry && !xa_is_value(entry)) {
		epin = entry;
		epin->count++;
		return pfn_to_page(epin->pages.pfn);
	}
	if (entry || mdom_pages_npinned(&dma->pages)) {
		/* The mapping holds the page pinned: only count. */
		page = mdom_dma_pinned_page(dma, iova, cursor);
		if (!page)
			return ERR_PTR(-EINVAL);	/* device memory */
		count = entry ? xa_to_value(entry) : 0;
		ret = xa_err(xa_store(&extra->epins, index,
				      xa_mk_value(count + 1),
				      MDOM_GFP_USER));
		return ret ? ERR_PTR(ret) : page;
	}

	epin = mdom_epin_alloc(c, dma, index);
	if (IS_ERR(epin))
		return ERR_CAST(epin);
	ret = xa_err(xa_store(&extra->epins, index, epin, MDOM_GFP_USER));
	if (ret) {
		mdom_epin_free(epin);
		return ERR_PTR(ret);
	}
	epin->count = 1;
	c->pinned_pages++;
	return pfn_to_page(epin->pages.pfn);
}

/* Drop a device's pin of the page of @dma holding @iova: false if none. */
static bool mdom_epin_put(struct mdom_container *c, struct mdom_dma *dma,
			  u64 iova)
{
	unsigned long index = (iova - dma->iova) >> PAGE_SHIFT, count;
	struct xarray *epins = mdom_dma_epins(c, dma);
	struct mdom_epin *epin;
	void *entry;

	entry = epins ? xa_load(epins, index) : NULL;
	if (!entry)
		return false;
	c->unpin_seq++;
	if (xa_is_value(entry)) {
		count = xa_to_value(entry);
		if (count > 1)
			xa_store(epins, index, xa_mk_value(count - 1),
				 GFP_KERNEL);	/* the slot exists: no alloc */
		else
			xa_erase(epins, index);
		return true;
	}
	epin = entry;
	if (--epin->count)
		return true;
	xa_erase(epins, index);
	mdom_epin_free(epin);
	c->pinned_pages--;
	return true;
}

/*
 * The pages devices hold of @dma that only count on the mapping's own
 * pins get pins and charges of their own, the very pages the devices
 * have: 0, or the errno (those done so far stay done, which is right as
 * well). The caller holds iova_lock.
 */
static int mdom_dma_epins_own(struct mdom_container *c, struct mdom_dma *dma)
{
	struct xarray *epins = mdom_dma_epins(c, dma);
	struct mdom_pages_cursor cursor = {};
	struct mdom_epin *epin;
	unsigned long index;
	struct page *page;
	void *entry;
	int ret;

	lockdep_assert_held(&c->iova_lock);
	if (!epins)
		return 0;
	xa_for_each(epins, index, entry) {
		if (!xa_is_value(entry))
			continue;
		page = mdom_dma_pinned_page(dma, dma->iova +
					    ((u64)index << PAGE_SHIFT), &cursor);
		epin = mdom_epin_alloc(c, dma, index);
		if (IS_ERR(epin))
			return PTR_ERR(epin);
		/* The user address may map another page by now. */
		if (pfn_to_page(epin->pages.pfn) != page) {
			mdom_epin_free(epin);
			return -EBUSY;
		}
		epin->count = xa_to_value(entry);
		/* The slot exists: nothing to allocate. */
		ret = xa_err(xa_store(epins, index, epin, GFP_KERNEL));
		if (ret) {
			mdom_epin_free(epin);
			return ret;
		}
		c->pinned_pages++;
	}
	return 0;
}

/* Unpin @dma but for what devices hold of it, if it can be done. */
static void mdom_dma_unpin_unused(struct mdom_container *c,
				  struct mdom_dma *dma)
{
	guard(mutex)(&c->iova_lock);
	if (!dma->pages.pinned || dma->vaddr_invalid ||
	    mdom_dma_epins_own(c, dma))
		return;
	c->pinned_pages -= mdom_pages_npinned(&dma->pages);
	mdom_pages_empty(&dma->pages);
}

/*
 * The container's last IOMMU domain is gone, its emulated groups stay: as
 * type1 (vfio_iommu_unmap_unpin_reaccount()), only what emulated devices
 * hold stays pinned and charged. Every mapping goes back to recorded, not
 * pinned, as one made before the first domain (a replay into the next
 * first domain pins it again); the pages devices hold of it get pins of
 * their own first. A mapping whose device pages cannot be given their own
 * pins (no memory, the process is gone or maps other pages there now), or
 * whose user address is invalid, keeps its pins: the pages stay safe,
 * only more is pinned than needed. The caller holds domains_rwsem
 * written: no map, unmap, pin_pages or dma_rw runs, but devices may unpin
 * (under iova_lock alone).
 */
void mdom_emulated_unpin_mappings(struct mdom_container *c)
{
	struct mdom_dma *dma;

	lockdep_assert_held_write(&c->domains_rwsem);
	for (dma = mdom_dma_first(&c->dmas, 0, U64_MAX); dma;
	     dma = mdom_dma_next(dma, 0, U64_MAX)) {
		mdom_dma_unpin_unused(c, dma);
		cond_resched();
	}
}

/*
 * The pages of @dma pinned for emulated devices alone (the mapping did not
 * hold them pinned when they were pinned), and how many of those another
 * pinned mdom_pages of the mm holds too, into *@shared if not NULL. For
 * the counters: 0 at once when no device pins anything of @dma.
 */
unsigned long mdom_dma_epin_pages(struct mdom_container *c,
				  struct mdom_dma *dma, u64 *shared)
{
	struct xarray *epins = mdom_dma_epins(c, dma);
	unsigned long index, n = 0;
	void *entry;

	if (!epins)
		return 0;
	xa_for_each(epins, index, entry) {
		if (xa_is_value(entry))
			continue;
		n++;
		if (shared)
			*shared += mdom_acct_shared(&((struct mdom_epin *)entry)->pages);
	}
	return n;
}

/*
 * The pins of a mapping that goes while devices still hold some: let them
 * all go (its extra state goes: mdom_dma_extra_free()).
 */
void mdom_epins_drop(struct xarray *epins)
{
	unsigned long index;
	void *entry;

	xa_for_each(epins, index, entry) {
		WARN_ONCE(1, "vfio-mdom: a device still holds pinned pages\n");
		if (!xa_is_value(entry)) {
			mdom_pages_release(&((struct mdom_epin *)entry)->pages);
			kfree(entry);
		}
	}
	xa_destroy(epins);
}

/*
 * vfio_pin_pages(): pin @npage pages from @iova for an emulated device
 * and return them in @pages; @npage on success, as type1.
 */
int mdom_container_pin_pages(struct mdom_container *c, u64 iova, int npage,
			     int prot, struct page **pages)
{
	struct mdom_dma *dma, *cursor_dma = NULL;
	struct mdom_pages_cursor cursor;
	struct page *page;
	int i, ret = 0;

	if (!pages || npage <= 0 || !prot ||
	    (prot & ~(IOMMU_READ | IOMMU_WRITE)))
		return -EINVAL;
	if (c->iommu_type != VFIO_TYPE1v2_IOMMU)
		return -EACCES;
	/*
	 * A device that pins must be told when its pages go: one listens.
	 * Read without devices_lock, which an unmap holds while calling the
	 * devices' dma_unmap: a device pinning under a lock of its own that
	 * its dma_unmap takes too would deadlock on it otherwise. The pinning
	 * device is open, so registered before it can pin.
	 */
	if (list_empty_careful(&c->devices))
		return -EINVAL;

	guard(rwsem_read)(&c->domains_rwsem);
	guard(mutex)(&c->iova_lock);
	if (WARN_ONCE(c->nr_vaddr_invalid,
		      "vfio-mdom: pin_pages with invalid user addresses\n"))
		return -EBUSY;
	mdom_emulated_wait_mapped(c, iova, (u64)npage << PAGE_SHIFT);
	for (i = 0; i < npage; i++) {
		u64 at = iova + ((u64)i << PAGE_SHIFT);

		ret = -EINVAL;
		dma = mdom_dma_at(c, at, false);
		if (!dma)
			break;
		ret = -EPERM;
		if ((dma->prot & prot) != prot)
			break;
		/* Each page from where the last was found: O(1), not O(runs) */
		if (dma != cursor_dma) {
			cursor = (struct mdom_pages_cursor){};
			cursor_dma = dma;
		}
		page = mdom_epin_get(c, dma, at, &cursor);
		if (IS_ERR(page)) {
			ret = PTR_ERR(page);
			break;
		}
		pages[i] = page;
		mdom_dirty_mark(c, dma, at - dma->iova, PAGE_SIZE);
	}
	if (i == npage)
		return npage;
	while (i--) {
		u64 at = iova + ((u64)i << PAGE_SHIFT);

		mdom_epin_put(c, mdom_dma_at(c, at, false), at);
		pages[i] = NULL;
	}
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_container_pin_pages);

void mdom_container_unpin_pages(struct mdom_container *c, u64 iova, int npage)
{
	struct mdom_dma *dma;
	int i;

	scoped_guard(mutex, &c->iova_lock) {
		for (i = 0; i < npage; i++) {
			u64 at = iova + ((u64)i << PAGE_SHIFT);

			dma = mdom_dma_at(c, at, true);
			if (!dma || !mdom_epin_put(c, dma, at))
				break;
		}
	}
	WARN_ON(i != npage);
	if (wq_has_sleeper(&c->dma_wq))
		wake_up_all(&c->dma_wq);
}
EXPORT_SYMBOL_IF_KUNIT(mdom_container_unpin_pages);

/* The same from a task of another mm: RAM only, page by page. */
static int mdom_dma_rw_remote(struct mdom_dma *dma, u64 offset, void *data,
			      size_t count, bool write)
{
	struct mm_struct *mm = mdom_pages_mm(&dma->pages);
	unsigned long addr = dma->pages.vaddr + offset;
	struct page *page;
	size_t done = 0, len;
	void *va;
	long got;

	if (!mmget_not_zero(mm))
		return -EPERM;
	while (done < count) {
		len = min_t(size_t, count - done,
			    PAGE_SIZE - offset_in_page(addr + done));
		mmap_read_lock(mm);
		got = mdom_get_user_pages_remote(mm, addr + done, 1,
						 write ? FOLL_WRITE : 0, &page,
						 NULL);
		mmap_read_unlock(mm);
		if (got != 1)
			break;
		va = kmap_local_page(page);
		if (write) {
			memcpy(va + offset_in_page(addr + done), data + done,
			       len);
			set_page_dirty_lock(page);
		} else {
			memcpy(data + done, va + offset_in_page(addr + done),
			       len);
		}
		kunmap_local(va);
		put_page(page);
		done += len;
	}
	mmput(mm);
	return done == count ? 0 : -EFAULT;
}

/*
 * Copy to or from the user memory of @dma that is not pinned (RAM of a
 * mapping recorded before any domain, or device memory), as type1 does:
 * through the user address, in the mapping process's mm, which a kernel
 * thread borrows. A task of another mm (type1 answers -EFAULT) gets the
 * pages of RAM remotely.
 */
static int mdom_dma_rw_user(struct mdom_dma *dma, u64 offset, void *data,
			    size_t count, bool write)
{
	void __user *uaddr = (void __user *)(dma->pages.vaddr + offset);
	struct mm_struct *mm = mdom_pages_mm(&dma->pages);
	bool borrow = !current->mm && (current->flags & PF_KTHREAD);
	unsigned long left;

	if (current->mm != mm && !borrow)
		return mdom_dma_rw_remote(dma, offset, data, count, write);
	if (!mmget_not_zero(mm))
		return -EPERM;
	if (borrow)
		kthread_use_mm(mm);
	if (write)
		left = copy_to_user(uaddr, data, count);
	else
		left = copy_from_user(data, uaddr, count);
	if (borrow)
		kthread_unuse_mm(mm);
	mmput(mm);
	return left ? -EFAULT : 0;
}

/* Copy to or from the pinned pages of @dma. */
static void mdom_dma_rw_pinned(struct mdom_dma *dma, u64 offset, void *data,
			       size_t count, bool write)
{
	struct mdom_pages_cursor cursor = {};
	size_t done = 0, len;
	phys_addr_t phys;
	void *va;

	while (done < count) {
		phys = mdom_pages_phys_at(&dma->pages, offset + done, &cursor);
		len = min_t(size_t, count - done,
			    PAGE_SIZE - offset_in_page(phys));
		va = kmap_local_page(pfn_to_page(PHYS_PFN(phys)));
		if (write)
			memcpy(va + offset_in_page(phys), data + done, len);
		else
			memcpy(data + done, va + offset_in_page(phys), len);
		kunmap_local(va);
		done += len;
	}
}

/*
 * vfio_dma_rw(): an emulated device reads or writes guest memory at
 * @iova. Through the mapping's own pins when it has them (its user
 * address is not even needed then), else through its process's memory
 * (device memory always). As type1: the mapping must be readable even to
 * be written (-EPERM); a mapping being mapped is waited for.
 */
int mdom_container_dma_rw(struct mdom_container *c, u64 iova, void *data,
			  size_t count, bool write)
{
	struct mdom_dma *dma;
	size_t len;
	u64 offset;
	int ret;

	guard(rwsem_read)(&c->domains_rwsem);
	guard(mutex)(&c->iova_lock);
	if (WARN_ONCE(c->nr_vaddr_invalid,
		      "vfio-mdom: dma_rw with invalid user addresses\n"))
		return -EBUSY;
	if (count)
		mdom_emulated_wait_mapped(c, iova, count);
	while (count) {
		dma = mdom_dma_at(c, iova, false);
		if (!dma)
			return -EINVAL;
		if ((write && !(dma->prot & IOMMU_WRITE)) ||
		    !(dma->prot & IOMMU_READ))
			return -EPERM;
		offset = iova - dma->iova;
		len = min_t(u64, count, mdom_dma_size(dma) - offset);
		if (mdom_pages_npinned(&dma->pages)) {
			mdom_dma_rw_pinned(dma, offset, data, len, write);
		} else {
			ret = mdom_dma_rw_user(dma, offset, data, len, write);
			if (ret)
				return ret;
		}
		if (write)
			mdom_dirty_mark(c, dma, offset, len);
		iova += len;
		data += len;
		count -= len;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_container_dma_rw);

/*
 * Do devices still hold pages of the @victims? They are UNMAPPING, so no
 * device can pin more of them (mdom_dma_at() refuses them to pin_pages):
 * their pins only go, and an empty answer read without the lock stays
 * true. A "still pinned" one may be stale: the caller looks again. Their
 * extra state stays while they do (mdom_dma_extra_free() is the caller's).
 */
static bool mdom_victims_pinned(struct mdom_container *c,
				struct mdom_dma_list *victims)
{
	struct mdom_dma *dma;

	mdom_dma_list_for_each(dma, victims)
		if (mdom_dma_has_epins(c, dma))
			return true;
	return false;
}

/*
 * An unmap's victims, chosen (UNMAPPING): tell every listening device of
 * those with pages pinned by devices, and wait until they have unpinned
 * them all. That needs release_rwsem held for reading: taken here unless
 * *@release_held says the caller holds it, and then left held for the
 * caller to drop (*@release_held set). 0; -EAGAIN if release_rwsem is
 * not free (a writer holds or waits for it, and for domains_rwsem, which
 * the caller holds: it must drop domains_rwsem and take release_rwsem
 * first); -EBUSY if a device kept pages pinned. On error the victims stay
 * as they are: the caller gives them back.
 */
int mdom_emulated_release(struct mdom_container *c,
			  struct mdom_dma_list *victims,
			  bool *release_held)
{
	unsigned long deadline = jiffies + MDOM_UNPIN_WAIT;
	struct vfio_device *vdev;
	struct mdom_dma *dma;
	u64 seq;

	lockdep_assert_held_read(&c->domains_rwsem);
	if (!mdom_victims_pinned(c, victims))
		return 0;
	if (!*release_held) {
		if (!down_read_trylock(&c->release_rwsem))
			return -EAGAIN;
		*release_held = true;
	}
	scoped_guard(mutex, &c->devices_lock) {
		mdom_dma_list_for_each(dma, victims) {
			if (!mdom_dma_has_epins(c, dma))
				continue;
			list_for_each_entry(vdev, &c->devices, iommu_entry)
				vdev->ops->dma_unmap(vdev, dma->iova,
						     mdom_dma_size(dma));
		}
	}
	for (;;) {
		scoped_guard(mutex, &c->iova_lock)
			seq = c->unpin_seq;
		if (!mdom_victims_pinned(c, victims))
			return 0;
		if (time_after(jiffies, deadline))
			return -EBUSY;
		wait_event_timeout(c->dma_wq, READ_ONCE(c->unpin_seq) != seq,
				   HZ / 10);
	}
}
