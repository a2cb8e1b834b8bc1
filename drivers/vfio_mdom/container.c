// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom container: the user mappings and the type1 semantics around
 * them (extensions, map, unmap, the query).
 *
 * A mapping is pinned and charged once when it is created, then mapped
 * into every domain. Pinning and unpinning run with no container lock
 * held; the IOMMU work of a map or unmap runs under domains_rwsem held for
 * reading, so maps and unmaps of disjoint ranges proceed in parallel; the
 * tree is only touched under iova_lock (see struct mdom_container).
 */
#include <linux/capability.h>
#include <linux/err.h>
#include <linux/iommu.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>
#include <linux/vfio_mdom.h>

#include "events.h"
#include "pages.h"
#include "trace.h"
#include "vfio_mdom.h"

/* Free or unpin this many mappings between two cond_resched(). */
#define MDOM_FREE_RESCHED	64

/*
 * type1 stops at 65535 mappings (U16_MAX), a bound on the kernel memory a
 * user could take with them. Every allocation a mapping makes here is
 * charged to the mapper's memory cgroup (MDOM_GFP_USER), which bounds it
 * where the administrator wants, a map past memory.max failing with
 * ENOMEM (selftest memcg_test): the default lets a container hold a
 * million mappings (4 GiB in 4 KiB pages, 2 TiB in 2 MiB chunks), and
 * VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL reports what is left of it.
 */
#define MDOM_DMA_ENTRY_LIMIT	(1024 * 1024)

unsigned int mdom_dma_entry_limit __read_mostly = MDOM_DMA_ENTRY_LIMIT;
module_param_named(dma_entry_limit, mdom_dma_entry_limit, uint, 0644);
MODULE_PARM_DESC(dma_entry_limit,
		 "Maximum number of user DMA mappings per container (1048576; type1: 65535).");
EXPORT_SYMBOL_IF_KUNIT(mdom_dma_entry_limit);

/* A container for VFIO_SET_IOMMU(@iommu_type), with no domain yet. */
struct mdom_container *mdom_container_alloc(u32 iommu_type)
{
	struct mdom_container *c;
	int ret;

	if (iommu_type != VFIO_TYPE1_IOMMU && iommu_type != VFIO_TYPE1v2_IOMMU)
		return ERR_PTR(-EINVAL);
	c = kzalloc(sizeof(*c), GFP_KERNEL_ACCOUNT);
	if (!c)
		return ERR_PTR(-ENOMEM);
	c->iommu_type = iommu_type;
	c->dma_limit = READ_ONCE(mdom_dma_entry_limit);
	c->next_domain_id = 1;	/* 0 is never a domain */
	INIT_LIST_HEAD(&c->node);
	init_rwsem(&c->release_rwsem);
	init_rwsem(&c->domains_rwsem);
	INIT_LIST_HEAD(&c->domains);
	INIT_LIST_HEAD(&c->emulated_groups);
	mutex_init(&c->devices_lock);
	INIT_LIST_HEAD(&c->devices);
	mutex_init(&c->iova_lock);
	mdom_dma_tree_init(&c->dmas);
	/* Its nodes are charged too, also those allocated under its lock */
	xa_init_flags(&c->dma_extras, XA_FLAGS_ACCOUNT);
	init_waitqueue_head(&c->dma_wq);
	mdom_domains_lock(c);
	ret = mdom_info_update(c, GFP_KERNEL_ACCOUNT);
	mdom_domains_unlock(c);
	if (ret) {
		kfree(c);
		return ERR_PTR(ret);
	}
	return c;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_container_alloc);

/*
 * @dma's extra state, allocated and put in dma_extras if need be;
 * ERR_PTR(-ENOMEM) if it cannot be.
 * @dma is in the tree: its key is its own.
 */
struct mdom_dma_extra *mdom_dma_extra_get(struct mdom_container *c,
					  struct mdom_dma *dma)
{
	struct mdom_dma_extra *extra;
	int ret;

	lockdep_assert_held(&c->iova_lock);
	lockdep_assert_held(&c->domains_rwsem);
	extra = mdom_dma_extra(c, dma);
	if (extra)
		return extra;
	extra = kzalloc(sizeof(*extra), MDOM_GFP_USER);
	if (!extra)
		return ERR_PTR(-ENOMEM);
	xa_init_flags(&extra->epins, XA_FLAGS_ACCOUNT);
	ret = xa_insert(&c->dma_extras, mdom_dma_extra_key(dma), extra,
			MDOM_GFP_USER);
	if (ret) {
		/* Not -EBUSY: a stale entry would be a bug, see the key. */
		WARN_ON_ONCE(ret == -EBUSY);
		kfree(extra);
		return ERR_PTR(-ENOMEM);
	}
	return extra;
}

static void mdom_dma_extra_erase(struct mdom_container *c,
				 struct mdom_dma *dma,
				 struct mdom_dma_extra *extra)
{
	WARN_ON(xa_erase(&c->dma_extras, mdom_dma_extra_key(dma)) != extra);
	xa_destroy(&extra->epins);
	kfree(extra);
}

/* Free @dma's extra state if nothing is left in it (tracking stopped). */
void mdom_dma_extra_trim(struct mdom_container *c, struct mdom_dma *dma)
{
	struct mdom_dma_extra *extra;

	lockdep_assert_held(&c->iova_lock);
	lockdep_assert_held(&c->domains_rwsem);
	extra = mdom_dma_extra(c, dma);
	if (extra && !extra->dirty && xa_empty(&extra->epins))
		mdom_dma_extra_erase(c, dma, extra);
}

/*
 * @dma leaves the tree: its extra state goes with it, now, under the lock
 * that lets its IOVA be taken by a new mapping (which must not find it).
 * What devices still pin of it is let go. For a container none of whose
 * mappings has extra state, a test of an empty xarray.
 */
void mdom_dma_extra_free(struct mdom_container *c, struct mdom_dma *dma)
{
	struct mdom_dma_extra *extra;

	lockdep_assert_held(&c->iova_lock);
	lockdep_assert_held(&c->domains_rwsem);
	extra = mdom_dma_extra(c, dma);
	if (!extra)
		return;
	mdom_epins_drop(&extra->epins);
	kvfree(extra->dirty);
	mdom_dma_extra_erase(c, dma, extra);
}

/* Free the mappings on @victims, out of the tree and of dma_extras. */
static void mdom_dma_free_list(struct mdom_dma_list *victims)
{
	struct mdom_dma *dma;
	unsigned int n = 0;

	mdom_dma_list_for_each(dma, victims) {
		mdom_pages_release(&dma->pages);
		mdom_dma_free(dma);
		if (!(++n % MDOM_FREE_RESCHED))
			cond_resched();
	}
	mdom_dma_list_init(victims);
}

/*
 * Account for the mappings on @victims leaving the container. Where no
 * mapping has extra state (no device pins, no dirty tracking: a VMM's
 * mappings for assigned devices), one test says so for them all.
 */
static void mdom_container_forget(struct mdom_container *c,
				  struct mdom_dma_list *victims)
{
	bool extras = !xa_empty(&c->dma_extras);
	struct mdom_dma *dma;

	lockdep_assert_held(&c->iova_lock);
	mdom_dma_list_for_each(dma, victims) {
		c->mapped_bytes -= mdom_dma_size(dma);
		c->nr_mappings--;
		if (dma->vaddr_invalid)
			c->nr_vaddr_invalid--;
		c->pinned_pages -= mdom_pages_npinned(&dma->pages);
		if (extras) {
			c->pinned_pages -= mdom_dma_epin_pages(c, dma, NULL);
			mdom_dma_extra_free(c, dma);
		}
	}
	mdom_dma_remove_list(&c->dmas, victims);
}

/*
 * The VFIO container lost its last group, or the container was never
 * used: every group is detached and every domain freed (VFIO detached the
 * groups already, this is for the KUnit suites and for safety), then
 * every page unpinned and uncharged.
 */
void mdom_container_destroy(struct mdom_container *c)
{
	struct mdom_dma_list victims = {};
	u64 unmapped;

	mdom_domains_lock(c);
	mdom_container_detach_all(c);
	mutex_lock(&c->iova_lock);
	WARN_ON(mdom_dma_unmap_collect(&c->dmas, 0, U64_MAX, true, true,
				       &victims, &unmapped));
	mdom_container_forget(c, &victims);
	WARN_ON(c->mapped_bytes || c->pinned_pages || c->nr_mappings ||
		c->dmas.count || !xa_empty(&c->dma_extras));
	mutex_unlock(&c->iova_lock);
	mdom_domains_unlock(c);
	xa_destroy(&c->dma_extras);

	mdom_dma_free_list(&victims);
	mdom_mapper_put(c->mapper);
	mdom_info_free(rcu_dereference_protected(c->info, true));
	mdom_windows_free(c);
	WARN_ON(!list_empty(&c->devices));
	mdom_events_container_gone(c);
	mutex_destroy(&c->devices_lock);
	mutex_destroy(&c->iova_lock);
	kfree(c);
}
EXPORT_SYMBOL_IF_KUNIT(mdom_container_destroy);

/*
 * VFIO_CHECK_EXTENSION. @c is NULL when VFIO asks before VFIO_SET_IOMMU
 * which driver supports an IOMMU type.
 */
long mdom_container_check_extension(struct mdom_container *c,
				    unsigned long ext)
{
	long ret;

	switch (ext) {
	case VFIO_TYPE1_IOMMU:
	case VFIO_TYPE1v2_IOMMU:
	case VFIO_UNMAP_ALL:
		return 1;
	case VFIO_DMA_CC_IOMMU:
		if (!c)
			return 0;
		rcu_read_lock();
		ret = rcu_dereference(c->info)->enforce_cc;
		rcu_read_unlock();
		return ret;
	case VFIO_UPDATE_VADDR:
		/* As type1: not with emulated devices, which pin by vaddr. */
		if (!c)
			return 0;
		rcu_read_lock();
		ret = !rcu_dereference(c->info)->nr_emulated;
		rcu_read_unlock();
		return ret;
	default:
		/* Not NESTING, SPAPR or no-IOMMU. */
		return 0;
	}
}
EXPORT_SYMBOL_IF_KUNIT(mdom_container_check_extension);

/* The snapshot matching the domains; domains_rwsem is held. */
static struct mdom_info *mdom_container_info(struct mdom_container *c)
{
	return rcu_dereference_protected(c->info,
					 lockdep_is_held(&c->domains_rwsem));
}

static u64 mdom_info_min_pgsize(const struct mdom_info *info)
{
	return info->pgsize_bitmap ? 1ULL << __ffs(info->pgsize_bitmap) :
				     PAGE_SIZE;
}

unsigned int mdom_container_dma_avail(struct mdom_container *c)
{
	lockdep_assert_held(&c->iova_lock);
	return c->dmas.count < c->dma_limit ? c->dma_limit - c->dmas.count : 0;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_container_dma_avail);

/*
 * The checks of VFIO_IOMMU_MAP_DMA that come after the overlap one, in
 * type1's order, for [@iova, @last] with @others mappings in the tree
 * besides it.
 */
static int mdom_container_map_fits(struct mdom_container *c,
				   struct mdom_info *info, u64 iova, u64 last,
				   unsigned int others)
{
	lockdep_assert_held(&c->iova_lock);
	if (others >= c->dma_limit)
		return -ENOSPC;
	if (!mdom_info_iova_valid(info, iova, last))
		return -EINVAL;
	return mdom_windows_map_check(c, iova, last);
}

/*
 * The checks of VFIO_IOMMU_MAP_DMA, in type1's order; where the mapping
 * would go into the tree in *@slot.
 */
static int mdom_container_map_check(struct mdom_container *c, u64 iova,
				    u64 size, unsigned long vaddr,
				    struct mdom_dma_slot *slot)
{
	struct mdom_info *info = mdom_container_info(c);
	u64 pgmask;
	int ret;

	lockdep_assert_held(&c->iova_lock);
	pgmask = mdom_info_min_pgsize(info) - 1;
	if (!size || ((size | iova | vaddr) & pgmask))
		return -EINVAL;
	if (iova + size - 1 < iova || vaddr + size - 1 < vaddr)
		return -EINVAL;
	ret = mdom_dma_find_slot(&c->dmas, iova, iova + size - 1, slot);
	if (ret)
		return ret;
	return mdom_container_map_fits(c, info, iova, iova + size - 1,
				       c->dmas.count);
}

/*
 * mdom_container_map_check() again for @dma, about to go into the tree (a
 * domain, with its page sizes and reserved ranges, or an overlapping
 * mapping may have come meanwhile): the insert finds any mapping in the
 * way (-EEXIST), with no descent if the tree did not change since @slot
 * was found, then the checks that come after that one in type1's order
 * take @dma out again if they fail. If neither the tree nor the domains
 * (@checked: their domains_seq then) changed, the checks hold as they
 * were and only the insert is left.
 */
static int mdom_container_map_insert(struct mdom_container *c,
				     struct mdom_dma *dma, unsigned long vaddr,
				     struct mdom_dma_slot *slot,
				     unsigned long checked)
{
	struct mdom_info *info;
	u64 pgmask;
	int ret;

	lockdep_assert_held(&c->domains_rwsem);
	lockdep_assert_held(&c->iova_lock);
	if (c->domains_seq == checked && slot->seq == c->dmas.seq)
		return mdom_dma_insert_slot(&c->dmas, dma, slot);
	info = mdom_container_info(c);
	pgmask = mdom_info_min_pgsize(info) - 1;
	if ((mdom_dma_size(dma) | dma->iova | vaddr) & pgmask)
		return -EINVAL;
	ret = mdom_dma_insert_slot(&c->dmas, dma, slot);
	if (ret)
		return ret;
	/* @dma is counted in already */
	ret = mdom_container_map_fits(c, info, dma->iova, mdom_dma_last(dma),
				      c->dmas.count - 1);
	if (ret)
		mdom_dma_remove(&c->dmas, dma);
	return ret;
}

/*
 * VFIO_IOMMU_MAP_DMA. The arguments are checked, the pages pinned and
 * charged with no lock held, then, under domains_rwsem (read), the checks
 * are repeated (a domain or an overlapping mapping may have appeared
 * meanwhile), the mapping is inserted as MAPPING, mapped into every domain
 * that holds it (every one but in windows mode) and made LIVE. Any
 * failure leaves nothing.
 *
 * No container pins before it has an IOMMU domain (VFIO's own rule: no
 * pinning without a device that needs it): a mapping made while there is
 * none is only recorded, and pinned by the replay into the first domain.
 */
static int __mdom_container_map(struct mdom_container *c, u64 iova, u64 size,
				unsigned long vaddr, int prot)
{
	struct mdom_mapper *mapper = NULL;
	struct mdom_pages *pages;
	struct mdom_domain *d;
	struct mdom_dma_slot slot;
	struct mdom_dma *dma;
	unsigned long checked;
	bool has_domain, lock_cap;
	int ret;

	if (!prot || (prot & ~(IOMMU_READ | IOMMU_WRITE)))
		return -EINVAL;

	down_read(&c->domains_rwsem);
	mutex_lock(&c->iova_lock);
	ret = mdom_container_map_check(c, iova, size, vaddr, &slot);
	checked = c->domains_seq;
	/* The mapper is usually the one of the last map. */
	if (!ret && c->mapper)
		mapper = mdom_mapper_get(c->mapper);
	mutex_unlock(&c->iova_lock);
	has_domain = !list_empty(&c->domains);
	up_read(&c->domains_rwsem);
	if (ret)
		return ret;

	lock_cap = capable(CAP_IPC_LOCK);
	if (mapper && !mdom_mapper_is_current(mapper, c, lock_cap)) {
		mdom_mapper_put(mapper);
		mapper = NULL;
	}
	if (!mapper) {
		struct mdom_mapper *old;

		if (!current->mm)
			return -ESRCH;
		mapper = mdom_mapper_new(current->mm, current->group_leader,
					 lock_cap, c, NULL);
		if (!mapper)
			return -ENOMEM;
		/* A second reference, for the container to keep. */
		old = mdom_mapper_get(mapper);
		scoped_guard(mutex, &c->iova_lock)
			swap(c->mapper, old);
		mdom_mapper_put(old);
	}
	dma = mdom_dma_alloc();
	if (!dma) {
		ret = -ENOMEM;
		goto out_put_mapper;
	}
	pages = &dma->pages;
	ret = mdom_pages_init_mapper(pages, mapper, vaddr, size,
				     prot & IOMMU_WRITE);
	if (ret)
		goto out_free;
	mapper = NULL;	/* @pages holds the reference now */
	if (has_domain) {
		ret = mdom_pages_fill(pages);
		if (ret)
			goto out_release;
	}
	dma->iova = iova;	/* its size is @pages' */
	dma->prot = prot;
	dma->state = MDOM_DMA_MAPPING;

	for (;;) {
		down_read(&c->domains_rwsem);
		if (pages->pinned != list_empty(&c->domains))
			break;
		up_read(&c->domains_rwsem);
		/* The last domain left meanwhile: nothing needs the pages. */
		if (pages->pinned) {
			mdom_pages_empty(pages);
			continue;
		}
		/* A domain appeared meanwhile: it needs the pages. */
		ret = mdom_pages_fill(pages);
		if (ret)
			goto out_release;
	}
	mutex_lock(&c->iova_lock);
	ret = mdom_container_map_insert(c, dma, vaddr, &slot, checked);
	/* Its IOVA is its own now: so is its extra state's key. */
	if (!ret && c->dirty_tracking) {
		ret = mdom_dirty_alloc(c, dma);
		if (ret) {
			mdom_dma_extra_free(c, dma);
			mdom_dma_remove(&c->dmas, dma);
		}
	}
	mutex_unlock(&c->iova_lock);
	if (ret)
		goto out_up;

	list_for_each_entry(d, &c->domains, next) {
		if (!mdom_domain_holds_dma(d, dma))
			continue;
		ret = mdom_domain_map_dma(d, dma);
		if (ret) {
			mdom_domains_map_unwind(c, d, dma);
			break;
		}
	}

	mutex_lock(&c->iova_lock);
	if (ret) {
		mdom_dma_extra_free(c, dma);
		mdom_dma_remove(&c->dmas, dma);
	} else {
		dma->state = MDOM_DMA_LIVE;
		c->mapped_bytes += size;
		c->nr_mappings++;
		c->pinned_pages += mdom_pages_npinned(pages);
	}
	c->map_seq++;
	mutex_unlock(&c->iova_lock);
	/* An unmap may be waiting for this one to be decided. */
	if (wq_has_sleeper(&c->dma_wq))
		wake_up_all(&c->dma_wq);
out_up:
	up_read(&c->domains_rwsem);
	if (!ret)
		return 0;
out_release:
	mdom_pages_release(pages);
out_free:
	mdom_dma_free(dma);
out_put_mapper:
	mdom_mapper_put(mapper);
	return ret;
}

static u32 mdom_container_nr_domains(struct mdom_container *c)
{
	u32 n;

	rcu_read_lock();
	n = rcu_dereference(c->info)->nr_domains;
	rcu_read_unlock();
	return n;
}

int mdom_container_map(struct mdom_container *c, u64 iova, u64 size,
		       unsigned long vaddr, int prot)
{
	u64 start = mdom_trace_clock(trace_mdom_map_enabled());
	int ret;

	ret = __mdom_container_map(c, iova, size, vaddr, prot);
	if (trace_mdom_map_enabled())
		trace_mdom_map(c->id, iova, size, vaddr, prot,
			       mdom_container_nr_domains(c), ret,
			       mdom_trace_ns(start));
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_container_map);

/*
 * Wait, iova_lock dropped, for a map in progress to be decided. Out of
 * line: its wait queue entry would cost every unmap a stack canary.
 */
static noinline void mdom_container_wait_mapped(struct mdom_container *c)
{
	u64 seq = c->map_seq;

	lockdep_assert_held(&c->iova_lock);
	mutex_unlock(&c->iova_lock);
	wait_event(c->dma_wq, READ_ONCE(c->map_seq) != seq);
	mutex_lock(&c->iova_lock);
}

/*
 * Choose the victims of an unmap, waiting for mappings in the range that
 * are still being mapped by another thread to be decided. Called and
 * returns with iova_lock held; drops it while waiting.
 */
static int mdom_container_unmap_collect_locked(struct mdom_container *c,
					       u64 first, u64 last, bool all,
					       struct mdom_dma_list *victims,
					       u64 *unmapped)
{
	bool v2 = c->iommu_type == VFIO_TYPE1v2_IOMMU;
	int ret;

	lockdep_assert_held(&c->iova_lock);
	for (;;) {
		ret = mdom_dma_unmap_collect(&c->dmas, first, last, v2, all,
					     victims, unmapped);
		if (ret != -EAGAIN)
			return ret;
		mdom_container_wait_mapped(c);
	}
}

/*
 * The same, taking iova_lock; *@extras says whether any mapping of the
 * container had extra state then. The victims cannot get any later: an
 * emulated device pins, and vfio_dma_rw() marks dirty, LIVE mappings only,
 * and dirty tracking starts under domains_rwsem written.
 */
static int mdom_container_unmap_collect(struct mdom_container *c, u64 first,
					u64 last, bool all,
					struct mdom_dma_list *victims,
					u64 *unmapped, bool *extras)
{
	guard(mutex)(&c->iova_lock);
	*extras = !xa_empty(&c->dma_extras);
	return mdom_container_unmap_collect_locked(c, first, last, all,
						   victims, unmapped);
}

/*
 * type1's checks of an unmap range, against the smallest page size; the
 * last IOVA of the range in *@last. domains_rwsem is held.
 */
static int mdom_container_unmap_range(struct mdom_container *c, u64 iova,
				      u64 size, bool all, u64 *last)
{
	u64 pgmask = mdom_info_min_pgsize(mdom_container_info(c)) - 1;

	if (iova & pgmask)
		return -EINVAL;
	if (all) {
		if (iova || size)
			return -EINVAL;
		*last = U64_MAX;
		return 0;
	}
	if (!size || (size & pgmask) || iova + size - 1 < iova)
		return -EINVAL;
	*last = iova + size - 1;
	return 0;
}

/* Give chosen victims back to the tree, as they were. */
static void mdom_container_unchoose(struct mdom_container *c,
				    struct mdom_dma_list *victims)
{
	struct mdom_dma *dma;

	guard(mutex)(&c->iova_lock);
	mdom_dma_list_for_each(dma, victims)
		dma->state = MDOM_DMA_LIVE;
	mdom_dma_list_init(victims);
}

/*
 * Unmap the chosen @victims from every domain (IOTLB flushed), then take
 * them out of the tree: their IOVAs are free again. domains_rwsem is held.
 */
static inline void mdom_container_drop(struct mdom_container *c,
				       struct mdom_dma_list *victims)
{
	struct mdom_domain *d;

	lockdep_assert_held(&c->domains_rwsem);
	list_for_each_entry(d, &c->domains, next)
		mdom_domain_unmap_list(d, victims);
	guard(mutex)(&c->iova_lock);
	mdom_container_forget(c, victims);
}

/*
 * VFIO_IOMMU_UNMAP_DMA, type1 v1 or v2 rules (dma.c) or everything with
 * @all. Victims are marked UNMAPPING; emulated devices holding pages of
 * them are told and must let go; their dirty bits are reported into
 * @bitmap if @report (VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, of @pgsize:
 * a bitmap at user address 0 is a bitmap too, which faults); they are
 * unmapped from every domain (IOTLB flushed), removed from the tree, then
 * unpinned with no lock held. *@unmapped is written in every case.
 */
static int __mdom_container_unmap(struct mdom_container *c, u64 iova,
				  u64 size, bool all, bool report,
				  u64 __user *bitmap, u64 pgsize,
				  u64 *unmapped, u32 *nvictims)
{
	bool release_held = false, extras;
	struct mdom_dma_list victims = {};
	u64 last;
	int ret;

again:
	*unmapped = 0;
	down_read(&c->domains_rwsem);
	ret = mdom_container_unmap_range(c, iova, size, all, &last);
	if (!ret && report)
		ret = mdom_dirty_check(c, pgsize);
	if (ret)
		goto out_up;

	ret = mdom_container_unmap_collect(c, iova, last, all, &victims,
					   unmapped, &extras);
	if (ret)
		goto out_up;
	/* No extra state: no device pins pages of the victims. */
	if (extras)
		ret = mdom_emulated_release(c, &victims, &release_held);
	if (ret == -EAGAIN) {
		/* A writer waits: let it pass, then hold it off and retry. */
		mdom_container_unchoose(c, &victims);
		up_read(&c->domains_rwsem);
		down_read(&c->release_rwsem);
		release_held = true;
		goto again;
	}
	if (!ret && report)
		ret = mdom_dirty_report_victims(c, iova, size, bitmap,
						&victims);
	if (ret) {
		mdom_container_unchoose(c, &victims);
		*unmapped = 0;
		goto out_up;
	}
	mdom_container_drop(c, &victims);
	if (trace_mdom_unmap_enabled())
		*nvictims = mdom_dma_list_count(&victims);
out_up:
	up_read(&c->domains_rwsem);
	if (release_held)
		up_read(&c->release_rwsem);
	/* The IOMMUs no longer reach the pages: now they can go. */
	mdom_dma_free_list(&victims);
	return ret;
}

static int mdom_container_unmap_traced(struct mdom_container *c, u64 iova,
				       u64 size, bool all, bool report,
				       u64 __user *bitmap, u64 pgsize,
				       u64 *unmapped)
{
	u64 start = mdom_trace_clock(trace_mdom_unmap_enabled());
	u32 nvictims = 0;
	int ret;

	ret = __mdom_container_unmap(c, iova, size, all, report, bitmap,
				     pgsize, unmapped, &nvictims);
	trace_mdom_unmap(c->id, iova, size, all, *unmapped, nvictims, ret,
			 mdom_trace_ns(start));
	return ret;
}

/*
 * The common unmap: exactly one live mapping, [@iova, @iova + @size), in
 * a container none of whose mappings has extra state. The same steps as
 * __mdom_container_unmap(), without choosing victims by the rules:
 * -EAGAIN (nothing done) for anything else, which the rules then decide.
 */
static int mdom_container_unmap_one(struct mdom_container *c, u64 iova,
				    u64 size, u64 *unmapped)
{
	struct mdom_dma_list victims = {};
	struct mdom_dma *dma;
	u64 last;
	int ret = -EAGAIN;

	down_read(&c->domains_rwsem);
	if (mdom_container_unmap_range(c, iova, size, false, &last))
		goto out_up;
	mutex_lock(&c->iova_lock);
	dma = xa_empty(&c->dma_extras) ?
		mdom_dma_first(&c->dmas, iova, last) : NULL;
	if (dma && dma->iova == iova && mdom_dma_last(dma) == last &&
	    dma->state == MDOM_DMA_LIVE) {
		dma->state = MDOM_DMA_UNMAPPING;
		mdom_dma_list_append(&victims, dma);
		ret = 0;
	}
	mutex_unlock(&c->iova_lock);
	if (ret)
		goto out_up;
	mdom_container_drop(c, &victims);
	*unmapped = size;
out_up:
	up_read(&c->domains_rwsem);
	mdom_dma_free_list(&victims);
	return ret;
}

int mdom_container_unmap(struct mdom_container *c, u64 iova, u64 size,
			 bool all, u64 *unmapped)
{
	if (!all && !trace_mdom_unmap_enabled() &&
	    !mdom_container_unmap_one(c, iova, size, unmapped))
		return 0;
	return mdom_container_unmap_traced(c, iova, size, all, false, NULL, 0,
					   unmapped);
}
EXPORT_SYMBOL_IF_KUNIT(mdom_container_unmap);

/* The same, reporting the victims' dirty pages into @bitmap. */
int mdom_container_unmap_dirty(struct mdom_container *c, u64 iova, u64 size,
			       u64 *unmapped, u64 pgsize, u64 __user *bitmap)
{
	return mdom_container_unmap_traced(c, iova, size, false, true, bitmap,
					   pgsize, unmapped);
}
EXPORT_SYMBOL_IF_KUNIT(mdom_container_unmap_dirty);

/*
 * VFIO_IOMMU_UNMAP_DMA with VFIO_DMA_UNMAP_FLAG_VADDR: the user addresses
 * of the mappings the unmap rules choose become invalid (a live update is
 * under way); their pins and translations stay. As type1: -EBUSY with
 * emulated groups, and -EINVAL, nothing changed, if one of them was
 * invalid already. *@invalidated is the bytes they cover. The mappings
 * are chosen (UNMAPPING) and given back under one hold of iova_lock: an
 * unmap would take them for gone, as type1's would never see them.
 */
int mdom_container_invalidate_vaddr(struct mdom_container *c, u64 iova,
				    u64 size, bool all, u64 *invalidated)
{
	struct mdom_dma *dma;
	struct mdom_dma_list victims = {};
	u64 last;
	int ret;

	*invalidated = 0;
	guard(rwsem_read)(&c->domains_rwsem);
	if (!list_empty(&c->emulated_groups))
		return -EBUSY;
	ret = mdom_container_unmap_range(c, iova, size, all, &last);
	if (ret)
		return ret;

	guard(mutex)(&c->iova_lock);
	ret = mdom_container_unmap_collect_locked(c, iova, last, all,
						  &victims, invalidated);
	if (ret)
		return ret;
	mdom_dma_list_for_each(dma, &victims)
		if (dma->vaddr_invalid)
			ret = -EINVAL;
	mdom_dma_list_for_each(dma, &victims) {
		dma->state = MDOM_DMA_LIVE;
		if (ret)
			continue;
		dma->vaddr_invalid = true;
		c->nr_vaddr_invalid++;
	}
	if (ret)
		*invalidated = 0;
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_container_invalidate_vaddr);

/*
 * VFIO_IOMMU_MAP_DMA with VFIO_DMA_MAP_FLAG_VADDR: the mapping that is
 * exactly [@iova, @iova + @size) and whose user address was invalidated
 * gets @vaddr of the calling process, which now owns it: its charge moves
 * to that process's mm. -ENOENT if no mapping meets the range, -EINVAL if
 * the one that does is not that; as type1.
 */
int mdom_container_set_vaddr(struct mdom_container *c, u64 iova, u64 size,
			     unsigned long vaddr)
{
	struct mdom_dma *dma;
	u64 pgmask;
	int ret;

	guard(rwsem_read)(&c->domains_rwsem);
	pgmask = mdom_info_min_pgsize(mdom_container_info(c)) - 1;
	if (!size || ((size | iova | vaddr) & pgmask))
		return -EINVAL;
	if (iova + size - 1 < iova || vaddr + size - 1 < vaddr)
		return -EINVAL;

	guard(mutex)(&c->iova_lock);
	dma = mdom_dma_first(&c->dmas, iova, iova + size - 1);
	if (!dma)
		return -ENOENT;
	if (dma->state != MDOM_DMA_LIVE || !dma->vaddr_invalid ||
	    dma->iova != iova || mdom_dma_size(dma) != size)
		return -EINVAL;
	ret = mdom_pages_move(&dma->pages, vaddr);
	if (ret)
		return ret;
	dma->vaddr_invalid = false;
	c->nr_vaddr_invalid--;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_container_set_vaddr);

/*
 * The counters of VFIO_MDOM_QUERY (and debugfs). Which pinned pages
 * another container of the same mm also holds (their charge is shared) is
 * found run by run in the mm's account: this walks the whole container.
 */
void mdom_container_counts(struct mdom_container *c, struct vfio_mdom_query *q)
{
	struct mdom_dma *dma;
	unsigned int n = 0;

	guard(mutex)(&c->iova_lock);
	q->iommu_type = c->iommu_type;
	q->num_mappings = c->nr_mappings;
	q->mapped_bytes = c->mapped_bytes;
	q->pinned_pages = c->pinned_pages;
	q->shared_pages = 0;
	for (dma = mdom_dma_first(&c->dmas, 0, U64_MAX); dma;
	     dma = mdom_dma_next(dma, 0, U64_MAX)) {
		if (dma->state != MDOM_DMA_LIVE)
			continue;
		if (mdom_pages_npinned(&dma->pages))
			q->shared_pages += mdom_acct_shared(&dma->pages);
		mdom_dma_epin_pages(c, dma, &q->shared_pages);
		if (!(++n % MDOM_FREE_RESCHED))
			cond_resched();
	}
	q->locked_pages = q->pinned_pages - q->shared_pages;
	q->dma_avail = mdom_container_dma_avail(c);
	q->dirty_mode = READ_ONCE(c->dirty_tracking) ? READ_ONCE(c->dirty_mode) :
						       VFIO_MDOM_DIRTY_OFF;
	q->num_vaddr_invalid = c->nr_vaddr_invalid;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_container_counts);

/*
 * VFIO_MDOM_QUERY, from the published snapshot of the domains (it does
 * not wait for an attach or replay) and the counters. Returns -EMSGSIZE
 * (counts set) if the user arrays are too small.
 */
int mdom_container_query(struct mdom_container *c, struct vfio_mdom_query *q)
{
	struct vfio_mdom_domain_info *dinfo = NULL;
	struct mdom_info *info;
	int ret = 0;
	u32 i;

	info = mdom_info_get(c);
	if (info->nr_domains > q->num_domains ||
	    info->nr_groups > q->num_groups ||
	    ((q->flags & VFIO_MDOM_QUERY_WINDOWS) &&
	     info->nr_windows > q->num_windows)) {
		ret = -EMSGSIZE;
		goto out_counts;
	}
	if (info->nr_domains) {
		dinfo = kmemdup(info->domains,
				array_size(info->nr_domains, sizeof(*dinfo)),
				GFP_KERNEL);
		if (!dinfo) {
			ret = -ENOMEM;
			goto out_put;
		}
		for (i = 0; i < info->nr_domains; i++)
			dinfo[i].mapped_bytes =
				atomic64_read(&info->doms[i]->mapped_bytes);
		if (copy_to_user(u64_to_user_ptr(q->domains), dinfo,
				 array_size(info->nr_domains, sizeof(*dinfo)))) {
			ret = -EFAULT;
			goto out_put;
		}
	}
	if (info->nr_groups &&
	    copy_to_user(u64_to_user_ptr(q->groups), info->groups,
			 array_size(info->nr_groups, sizeof(*info->groups)))) {
		ret = -EFAULT;
		goto out_put;
	}
	if ((q->flags & VFIO_MDOM_QUERY_WINDOWS) && info->nr_windows &&
	    copy_to_user(u64_to_user_ptr(q->windows), info->windows,
			 array_size(info->nr_windows, sizeof(*info->windows)))) {
		ret = -EFAULT;
		goto out_put;
	}

	mdom_container_counts(c, q);
out_counts:
	q->num_domains = info->nr_domains;
	q->num_groups = info->nr_groups;
	q->num_windows = info->nr_windows;
	q->mode = info->mode;
out_put:
	mdom_info_put(info);
	kfree(dinfo);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_container_query);
