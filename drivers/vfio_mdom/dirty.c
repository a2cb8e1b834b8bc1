// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom dirty page tracking: VFIO_IOMMU_DIRTY_PAGES (START, STOP,
 * GET_BITMAP) and VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, for live migration.
 *
 * Two modes, chosen at START and reported by VFIO_MDOM_QUERY:
 *
 * - VFIO_MDOM_DIRTY_IOMMU, when the container has domains and every one
 *   of them can track dirty pages (it was allocated with
 *   IOMMU_HWPT_ALLOC_DIRTY_TRACKING, as iommufd allocates them): the IOMMUs
 *   record what devices really write, and a bitmap reports exactly that
 *   (iommu_dirty_ops::read_and_clear_dirty through an iova_bitmap, as
 *   iommufd reads it), plus what emulated devices pinned or wrote.
 *
 * - VFIO_MDOM_DIRTY_PINNED otherwise: type1's rule, reproduced bit for
 *   bit, that a device behind an IOMMU may have written any page mapped
 *   for it: every page of every mapping in a domain is reported dirty at
 *   every read, plus (as for emulated-only containers) the pages emulated
 *   devices pinned or wrote through vfio_dma_rw().
 *
 * A domain that joins while tracking runs is tracked too, or, if it
 * cannot track, turns the mode to PINNED: reporting more than was written
 * is safe, less is not.
 *
 * Each mapping keeps a bitmap (mdom_dma_extra::dirty) of what emulated devices
 * pinned or wrote, one bit per page of the container's smallest IOMMU page
 * size, allocated for all mappings at START and for each new one while
 * tracking; a read reports and then resets it to the pages still pinned.
 *
 * Locking: START, STOP and a domain joining change the mode under
 * domains_rwsem written; reads hold it for reading, with iova_lock for
 * the mappings; copies to user space happen under iova_lock (which may
 * fault: iova_lock -> mmap_lock, as pinning). The IOMMUs' dirty bits are
 * read only over mappings that no other thread maps or unmaps: the LIVE
 * ones, which stay LIVE while iova_lock is held, or an unmap's own
 * victims before it unmaps them (as iommufd reads only areas with pages).
 */
#include <linux/bitmap.h>
#include <linux/iommu.h>
#include <linux/iova_bitmap.h>
#include <linux/lockdep.h>
#include <linux/module.h>
#include <linux/pagemap.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>
#include <linux/vfio_mdom.h>

#include "vfio_mdom.h"

/* IOMMU dirty bits are read through iova_bitmap, exported for iommufd. */
#if IS_ENABLED(CONFIG_IOMMUFD_DRIVER)
MODULE_IMPORT_NS(IOMMUFD);
#define MDOM_IOMMU_DIRTY	1
#else
#define MDOM_IOMMU_DIRTY	0
#endif

static size_t mdom_dirty_bytes(u64 npages)
{
	return MDOM_DIRTY_BITMAP_BYTES(npages);
}

/* Bits of @dma's dirty bitmap. */
static unsigned long mdom_dirty_nbits(struct mdom_container *c,
				      struct mdom_dma *dma)
{
	return mdom_dma_size(dma) >> c->dirty_pgshift;
}

/*
 * Allocate @dma's bitmap while tracking runs, with room for a word of
 * shift (type1's bitmap reporting shifts it in place). @dma is in the
 * tree; its extra state keeps the bitmap until it leaves the tree
 * (mdom_dma_extra_free()) or tracking stops.
 */
int mdom_dirty_alloc(struct mdom_container *c, struct mdom_dma *dma)
{
	struct mdom_dma_extra *extra;
	unsigned long *dirty;

	lockdep_assert_held(&c->iova_lock);
	if (!c->dirty_tracking)
		return 0;
	dirty = kvzalloc(mdom_dirty_bytes(mdom_dirty_nbits(c, dma)) +
			 sizeof(u64), MDOM_GFP_USER);
	if (!dirty)
		return -ENOMEM;
	extra = mdom_dma_extra_get(c, dma);
	if (IS_ERR(extra)) {
		kvfree(dirty);
		return PTR_ERR(extra);
	}
	extra->dirty = dirty;
	return 0;
}

/* Free @dma's bitmap, and its extra state if devices pin nothing of it. */
static void mdom_dirty_free(struct mdom_container *c, struct mdom_dma *dma)
{
	struct mdom_dma_extra *extra = mdom_dma_extra(c, dma);

	if (!extra)
		return;
	kvfree(extra->dirty);
	extra->dirty = NULL;
	mdom_dma_extra_trim(c, dma);
}

/* An emulated device pinned or wrote [@offset, @offset + @len) of @dma. */
void mdom_dirty_mark(struct mdom_container *c, struct mdom_dma *dma,
		     u64 offset, u64 len)
{
	unsigned long first, last, *dirty;

	lockdep_assert_held(&c->iova_lock);
	dirty = mdom_dma_dirty(c, dma);
	if (!dirty || !len)
		return;
	first = offset >> c->dirty_pgshift;
	last = (offset + len - 1) >> c->dirty_pgshift;
	bitmap_set(dirty, first, last - first + 1);
}

/* Back to the pages emulated devices hold pinned, after a report. */
static void mdom_dirty_repopulate(struct mdom_container *c,
				  struct mdom_dma *dma)
{
	struct mdom_dma_extra *extra = mdom_dma_extra(c, dma);
	unsigned long index;
	void *entry;

	bitmap_zero(extra->dirty, mdom_dirty_nbits(c, dma));
	xa_for_each(&extra->epins, index, entry)
		mdom_dirty_mark(c, dma, (u64)index << PAGE_SHIFT, PAGE_SIZE);
}

/* Does @d track dirty pages (can it)? */
static bool mdom_domain_dirty_capable(struct mdom_domain *d)
{
	return MDOM_IOMMU_DIRTY && mdom_iommu_dirty_capable(d->domain);
}

/* Forget the dirty bits @d has for the mappings (tracking just began). */
static void mdom_domain_dirty_clear(struct mdom_container *c,
				    struct mdom_domain *d)
{
	struct iommu_iotlb_gather gather;
	struct mdom_dma *dma;

	lockdep_assert_held_write(&c->domains_rwsem);
	iommu_iotlb_gather_init(&gather);
	for (dma = mdom_dma_first(&c->dmas, 0, U64_MAX); dma;
	     dma = mdom_dma_next(dma, 0, U64_MAX))
		mdom_iommu_read_and_clear_dirty(d->domain, dma->iova,
						mdom_dma_size(dma), NULL,
						&gather);
	iommu_iotlb_sync(d->domain, &gather);
}

/* Start or stop tracking on @d; on start, from a clean slate. */
static int mdom_domain_dirty_set(struct mdom_container *c,
				 struct mdom_domain *d, bool on)
{
	int ret;

	if (d->dirty_on == on)
		return 0;
	ret = mdom_iommu_set_dirty_tracking(d->domain, on);
	if (ret)
		return ret;
	d->dirty_on = on;
	if (on)
		mdom_domain_dirty_clear(c, d);
	return 0;
}

static void mdom_dirty_stop_domains(struct mdom_container *c)
{
	struct mdom_domain *d;

	list_for_each_entry(d, &c->domains, next)
		if (d->dirty_on)
			WARN_ON(mdom_domain_dirty_set(c, d, false));
}

/* IOMMU mode if every domain (and at least one) can start tracking. */
static u32 mdom_dirty_start_domains(struct mdom_container *c)
{
	struct mdom_domain *d;

	if (list_empty(&c->domains))
		return VFIO_MDOM_DIRTY_PINNED;
	list_for_each_entry(d, &c->domains, next)
		if (!mdom_domain_dirty_capable(d))
			return VFIO_MDOM_DIRTY_PINNED;
	list_for_each_entry(d, &c->domains, next) {
		if (mdom_domain_dirty_set(c, d, true)) {
			mdom_dirty_stop_domains(c);
			return VFIO_MDOM_DIRTY_PINNED;
		}
	}
	return VFIO_MDOM_DIRTY_IOMMU;
}

static void mdom_dirty_free_all(struct mdom_container *c)
{
	struct mdom_dma *dma;

	lockdep_assert_held(&c->iova_lock);
	for (dma = mdom_dma_first(&c->dmas, 0, U64_MAX); dma;
	     dma = mdom_dma_next(dma, 0, U64_MAX))
		mdom_dirty_free(c, dma);
}

static int mdom_dirty_start(struct mdom_container *c)
{
	struct mdom_info *info;
	struct mdom_dma *dma;
	int ret = 0;

	guard(mdom_domains)(c);
	if (c->dirty_tracking)
		return 0;
	info = rcu_dereference_protected(c->info,
					 lockdep_is_held(&c->domains_rwsem));
	c->dirty_pgshift = info->pgsize_bitmap ? __ffs(info->pgsize_bitmap) :
						 PAGE_SHIFT;
	c->dirty_tracking = true;
	/* The extra state changes as the tree does: under iova_lock too. */
	scoped_guard(mutex, &c->iova_lock) {
		for (dma = mdom_dma_first(&c->dmas, 0, U64_MAX); dma;
		     dma = mdom_dma_next(dma, 0, U64_MAX)) {
			ret = mdom_dirty_alloc(c, dma);
			if (ret)
				break;
		}
		if (ret) {
			mdom_dirty_free_all(c);
			c->dirty_tracking = false;
			return ret;
		}
		for (dma = mdom_dma_first(&c->dmas, 0, U64_MAX); dma;
		     dma = mdom_dma_next(dma, 0, U64_MAX))
			mdom_dirty_repopulate(c, dma);
	}
	c->dirty_mode = mdom_dirty_start_domains(c);
	return 0;
}

static void mdom_dirty_stop(struct mdom_container *c)
{
	guard(mdom_domains)(c);
	if (!c->dirty_tracking)
		return;
	mdom_dirty_stop_domains(c);
	scoped_guard(mutex, &c->iova_lock)
		mdom_dirty_free_all(c);
	c->dirty_tracking = false;
	c->dirty_mode = VFIO_MDOM_DIRTY_OFF;
}

/*
 * A new domain while tracking runs: track it too, or report the way that
 * needs no IOMMU from now on. The caller holds domains_rwsem written.
 */
void mdom_dirty_domain_added(struct mdom_container *c, struct mdom_domain *d)
{
	lockdep_assert_held_write(&c->domains_rwsem);
	if (!c->dirty_tracking || c->dirty_mode != VFIO_MDOM_DIRTY_IOMMU)
		return;
	if (!mdom_domain_dirty_capable(d) || mdom_domain_dirty_set(c, d, true))
		c->dirty_mode = VFIO_MDOM_DIRTY_PINNED;
}

/*
 * Where type1's report of @dma goes in the user bitmap starting at
 * @base_iova: @word is its first u64, @shift the bit of that word where
 * the mapping's first page is, @nbits its pages.
 */
struct mdom_dirty_span {
	unsigned long word;
	unsigned long shift;
	unsigned long nbits;
};

static struct mdom_dirty_span mdom_dirty_span(struct mdom_container *c,
					      struct mdom_dma *dma,
					      u64 base_iova)
{
	unsigned long bit = (dma->iova - base_iova) >> c->dirty_pgshift;

	return (struct mdom_dirty_span){
		.word = bit / BITS_PER_TYPE(u64),
		.shift = bit % BITS_PER_TYPE(u64),
		.nbits = mdom_dirty_nbits(c, dma),
	};
}

/*
 * type1's report of one mapping into the user bitmap starting at
 * @base_iova, reproduced exactly: the mapping's bits (all of them when a
 * device behind an IOMMU could have written it) are shifted to their
 * place, the bits of the first word before them kept from the user's
 * bitmap, and whole words written.
 */
static int mdom_dirty_report_pinned(struct mdom_container *c,
				    struct mdom_dma *dma, u64 base_iova,
				    u64 __user *bitmap)
{
	struct mdom_dirty_span sp = mdom_dirty_span(c, dma, base_iova);
	unsigned long *dirty = mdom_dma_dirty(c, dma);
	unsigned long leftover;

	if (!list_empty(&c->domains) && dma->pages.pinned)
		bitmap_set(dirty, 0, sp.nbits);
	if (sp.shift) {
		bitmap_shift_left(dirty, dirty, sp.shift,
				  sp.nbits + sp.shift);
		if (copy_from_user(&leftover, bitmap + sp.word,
				   sizeof(leftover)))
			return -EFAULT;
		bitmap_or(dirty, dirty, &leftover, sp.shift);
	}
	if (copy_to_user(bitmap + sp.word, dirty,
			 mdom_dirty_bytes(sp.nbits + sp.shift)))
		return -EFAULT;
	return 0;
}

#if MDOM_IOMMU_DIRTY
/* What one IOMMU-mode report reads: the domains, and these mappings. */
struct mdom_dirty_walk {
	struct mdom_container *c;
	struct mdom_dma_list *victims;	/* NULL: every mapping in range */
};

static void mdom_dirty_set_emulated(struct mdom_container *c,
				    struct mdom_dma *dma,
				    struct iova_bitmap *bitmap, u64 first,
				    u64 last)
{
	unsigned long bit, nbits = mdom_dirty_nbits(c, dma);
	unsigned long *dirty = mdom_dma_dirty(c, dma);
	u64 iova;

	for_each_set_bit(bit, dirty, nbits) {
		iova = dma->iova + ((u64)bit << c->dirty_pgshift);
		if (iova >= first && iova <= last)
			iova_bitmap_set(bitmap, iova, 1UL << c->dirty_pgshift);
	}
}

/* Read and clear every domain's dirty bits of [@first, @last] into @bitmap. */
static int mdom_dirty_read_domains(struct mdom_container *c,
				   struct iova_bitmap *bitmap, u64 first,
				   u64 last)
{
	struct iommu_iotlb_gather gather;
	struct mdom_domain *d;
	int ret;

	list_for_each_entry(d, &c->domains, next) {
		iommu_iotlb_gather_init(&gather);
		ret = mdom_iommu_read_and_clear_dirty(d->domain, first,
						      last - first + 1, bitmap,
						      &gather);
		iommu_iotlb_sync(d->domain, &gather);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * The next mapping to read, after @dma (NULL: the first): the walk's
 * victims, or the LIVE mappings of the tree, meeting [@first, @last].
 */
static struct mdom_dma *mdom_dirty_walk_next(struct mdom_dirty_walk *walk,
					     struct mdom_dma *dma, u64 first,
					     u64 last)
{
	struct mdom_container *c = walk->c;

	if (walk->victims) {
		for (dma = dma ? dma->next : walk->victims->first; dma;
		     dma = dma->next)
			if (dma->iova <= last && mdom_dma_last(dma) >= first)
				return dma;
		return NULL;
	}
	dma = dma ? mdom_dma_next(dma, first, last) :
		    mdom_dma_first(&c->dmas, first, last);
	while (dma && dma->state != MDOM_DMA_LIVE)
		dma = mdom_dma_next(dma, first, last);
	return dma;
}

/*
 * One chunk of the user's bitmap: the IOMMU dirty bits of the mappings to
 * report, and nothing else. Another thread may be mapping or unmapping
 * the rest of the range in the domains meanwhile (without iova_lock), and
 * the IOMMU drivers free page table pages there with no lock their dirty
 * walk would take: reading those is a use-after-free. A run of abutting
 * mappings is read at once.
 */
static int mdom_dirty_read_fn(struct iova_bitmap *bitmap, unsigned long iova,
			      size_t length, void *opaque)
{
	struct mdom_dirty_walk *walk = opaque;
	struct mdom_container *c = walk->c;
	u64 last = iova + length - 1, run_first = 0, run_last = 0;
	struct mdom_dma *dma = NULL;
	bool run = false;
	int ret;

	while ((dma = mdom_dirty_walk_next(walk, dma, iova, last))) {
		u64 first = max_t(u64, dma->iova, iova);

		mdom_dirty_set_emulated(c, dma, bitmap, iova, last);
		if (run && first == run_last + 1) {
			run_last = min_t(u64, mdom_dma_last(dma), last);
			continue;
		}
		if (run) {
			ret = mdom_dirty_read_domains(c, bitmap, run_first,
						      run_last);
			if (ret)
				return ret;
		}
		run = true;
		run_first = first;
		run_last = min_t(u64, mdom_dma_last(dma), last);
	}
	return run ? mdom_dirty_read_domains(c, bitmap, run_first, run_last) :
		     0;
}

/*
 * iova_bitmap writes only the bits of dirty pages, and drops what it
 * cannot write. type1 writes the words of every mapping it reports, and
 * answers EFAULT where it cannot: check that those words of @data can be
 * written, without writing them, a run of overlapping words at a time.
 */
static int mdom_dirty_user_writable(struct mdom_dirty_walk *walk, u64 iova,
				    u64 size, u64 __user *data)
{
	u64 last = iova + size - 1, start = 0, end = 0, s, e;
	struct mdom_dirty_span sp;
	struct mdom_dma *dma = NULL;

	while ((dma = mdom_dirty_walk_next(walk, dma, iova, last))) {
		sp = mdom_dirty_span(walk->c, dma, iova);
		s = (u64)sp.word * sizeof(u64);
		e = s + mdom_dirty_bytes(sp.nbits + sp.shift);
		if (end && s <= end) {
			end = max(end, e);
			continue;
		}
		if (end && fault_in_safe_writeable((char __user *)data + start,
						   end - start))
			return -EFAULT;
		start = s;
		end = e;
	}
	if (end && fault_in_safe_writeable((char __user *)data + start,
					   end - start))
		return -EFAULT;
	return 0;
}

static int mdom_dirty_report_iommu(struct mdom_container *c, u64 iova,
				   u64 size, u64 __user *data,
				   struct mdom_dma_list *victims)
{
	struct mdom_dirty_walk walk = { .c = c, .victims = victims };
	struct iova_bitmap *bitmap;
	int ret;

	ret = mdom_dirty_user_writable(&walk, iova, size, data);
	if (ret)
		return ret;
	bitmap = iova_bitmap_alloc(iova, size, 1UL << c->dirty_pgshift, data);
	if (IS_ERR(bitmap))
		return PTR_ERR(bitmap);
	ret = iova_bitmap_for_each(bitmap, &walk, mdom_dirty_read_fn);
	iova_bitmap_free(bitmap);
	return ret;
}
#else
static int mdom_dirty_report_iommu(struct mdom_container *c, u64 iova,
				   u64 size, u64 __user *data,
				   struct mdom_dma_list *victims)
{
	return -EOPNOTSUPP;	/* never chosen without iova_bitmap */
}
#endif

/*
 * Can a bitmap of @pgsize be reported now? type1's checks: tracking on,
 * and the bitmap's page size the smallest the container supports.
 */
int mdom_dirty_check(struct mdom_container *c, u64 pgsize)
{
	lockdep_assert_held(&c->domains_rwsem);
	if (!c->dirty_tracking || pgsize != 1ULL << c->dirty_pgshift)
		return -EINVAL;
	return 0;
}

/*
 * An unmap's @victims (chosen, not yet unmapped from the domains) into
 * the user bitmap of [@iova, @iova + @size).
 */
int mdom_dirty_report_victims(struct mdom_container *c, u64 iova, u64 size,
			      u64 __user *data, struct mdom_dma_list *victims)
{
	struct mdom_dma *dma;
	int ret = 0;

	lockdep_assert_held(&c->domains_rwsem);
	guard(mutex)(&c->iova_lock);
	if (c->dirty_mode == VFIO_MDOM_DIRTY_IOMMU)
		return mdom_dirty_report_iommu(c, iova, size, data, victims);
	mdom_dma_list_for_each(dma, victims) {
		ret = mdom_dirty_report_pinned(c, dma, iova, data);
		if (ret)
			break;
	}
	return ret;
}

/* VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP, after type1's argument checks. */
static int mdom_dirty_get_bitmap(struct mdom_container *c,
				 struct vfio_iommu_type1_dirty_bitmap_get *range)
{
	u64 iova = range->iova, size = range->size, last;
	u64 __user *data = range->bitmap.data;
	struct mdom_info *info;
	struct mdom_dma *dma;
	u64 pgsize;
	int ret = 0;

	guard(rwsem_read)(&c->domains_rwsem);
	info = rcu_dereference_protected(c->info,
					 lockdep_is_held(&c->domains_rwsem));
	pgsize = info->pgsize_bitmap ? 1ULL << __ffs(info->pgsize_bitmap) :
				       PAGE_SIZE;
	if (range->bitmap.pgsize != pgsize || (iova & (pgsize - 1)) ||
	    !size || (size & (pgsize - 1)))
		return -EINVAL;
	if (mdom_dirty_check(c, pgsize))
		return -EINVAL;
	last = iova + size - 1;

	guard(mutex)(&c->iova_lock);
	/* No mapping may be cut by the range (v2 rule). */
	dma = mdom_dma_first(&c->dmas, iova, iova);
	if (dma && dma->iova != iova)
		return -EINVAL;
	dma = mdom_dma_first(&c->dmas, last, last);
	if (dma && mdom_dma_last(dma) != last)
		return -EINVAL;

	if (c->dirty_mode == VFIO_MDOM_DIRTY_IOMMU) {
		ret = mdom_dirty_report_iommu(c, iova, size, data, NULL);
	} else {
		for (dma = mdom_dma_first(&c->dmas, iova, last); dma;
		     dma = mdom_dma_next(dma, iova, last)) {
			if (dma->state != MDOM_DMA_LIVE)
				continue;
			ret = mdom_dirty_report_pinned(c, dma, iova, data);
			if (ret)
				return ret;
		}
	}
	if (ret)
		return ret;
	for (dma = mdom_dma_first(&c->dmas, iova, last); dma;
	     dma = mdom_dma_next(dma, iova, last))
		if (dma->state == MDOM_DMA_LIVE)
			mdom_dirty_repopulate(c, dma);
	return 0;
}

/* type1's bitmap size rule. */
int mdom_dirty_bitmap_size_ok(u64 npages, u64 bitmap_size)
{
	if (!npages || !bitmap_size || bitmap_size > MDOM_DIRTY_BITMAP_SIZE_MAX ||
	    bitmap_size < mdom_dirty_bytes(npages))
		return -EINVAL;
	return 0;
}

/* VFIO_IOMMU_DIRTY_PAGES: one of START, STOP and GET_BITMAP, as type1. */
int mdom_dirty_pages(struct mdom_container *c, void __user *uarg)
{
	const u32 minsz = offsetofend(struct vfio_iommu_type1_dirty_bitmap,
				      flags);
	struct vfio_iommu_type1_dirty_bitmap_get range;
	struct vfio_iommu_type1_dirty_bitmap hdr;
	int ret;

	if (c->iommu_type != VFIO_TYPE1v2_IOMMU)
		return -EACCES;
	if (copy_from_user(&hdr, uarg, minsz))
		return -EFAULT;
	if (hdr.argsz < minsz ||
	    hdr.flags & ~(VFIO_IOMMU_DIRTY_PAGES_FLAG_START |
			  VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP |
			  VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP))
		return -EINVAL;
	/* Exactly one flag. */
	if (!hdr.flags || (hdr.flags & (hdr.flags - 1)))
		return -EINVAL;

	if (hdr.flags & VFIO_IOMMU_DIRTY_PAGES_FLAG_START)
		return mdom_dirty_start(c);
	if (hdr.flags & VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP) {
		mdom_dirty_stop(c);
		return 0;
	}

	if (hdr.argsz < minsz + sizeof(range))
		return -EINVAL;
	if (copy_from_user(&range, uarg + minsz, sizeof(range)))
		return -EFAULT;
	if (range.iova + range.size < range.iova)
		return -EINVAL;
	if (!access_ok((void __user *)range.bitmap.data, range.bitmap.size))
		return -EINVAL;
	if (!range.bitmap.pgsize)
		return -EINVAL;
	ret = mdom_dirty_bitmap_size_ok(range.size >> __ffs(range.bitmap.pgsize),
					range.bitmap.size);
	if (ret)
		return ret;
	return mdom_dirty_get_bitmap(c, &range);
}
EXPORT_SYMBOL_IF_KUNIT(mdom_dirty_pages);
