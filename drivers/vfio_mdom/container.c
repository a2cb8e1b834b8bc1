// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom container: the user mappings and the type1 semantics around
 * them (extensions, IOVA page sizes and valid ranges, map and unmap).
 *
 * A mapping is pinned and charged once when it is created, whether or not
 * the container has a domain yet, then mapped into every domain. Pinning
 * and unpinning run outside the container lock; everything else under it.
 */
#include <linux/err.h>
#include <linux/iommu.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>
#include <linux/vfio_mdom.h>

#include "pages.h"
#include "vfio_mdom.h"

unsigned int mdom_dma_entry_limit __read_mostly = U16_MAX;
module_param_named(dma_entry_limit, mdom_dma_entry_limit, uint, 0644);
MODULE_PARM_DESC(dma_entry_limit,
		 "Maximum number of user DMA mappings per container (65535).");
EXPORT_SYMBOL_IF_KUNIT(mdom_dma_entry_limit);

struct mdom_container *mdom_container_alloc(void)
{
	struct mdom_container *c;

	c = kzalloc(sizeof(*c), GFP_KERNEL_ACCOUNT);
	if (!c)
		return NULL;
	mutex_init(&c->lock);
	mdom_dma_tree_init(&c->dmas);
	INIT_LIST_HEAD(&c->domains);
	c->dma_limit = READ_ONCE(mdom_dma_entry_limit);
	c->next_domain_id = 1;	/* 0 is never a domain */
	return c;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_container_alloc);

static void mdom_dma_free_list(struct list_head *victims)
{
	struct mdom_dma *dma, *tmp;

	list_for_each_entry_safe(dma, tmp, victims, list) {
		list_del(&dma->list);
		mdom_pages_unpin(dma->pages);
		kfree(dma);
	}
}

/* Account for @dma leaving the container; its pages are unpinned later. */
static void mdom_container_forget(struct mdom_container *c,
				  struct mdom_dma *dma)
{
	lockdep_assert_held(&c->lock);
	c->mapped_bytes -= mdom_dma_size(dma);
	c->pinned_pages -= dma->pages->npages;
	c->locked_pages -= dma->pages->npages;
}

/*
 * Close of the container (or process exit closing it): every domain is
 * unmapped and freed, every group detached and released, then every page
 * unpinned and uncharged.
 */
void mdom_container_destroy(struct mdom_container *c)
{
	struct mdom_dma *dma;
	LIST_HEAD(victims);
	u64 unmapped;

	mutex_lock(&c->lock);
	mdom_container_detach_all(c);
	WARN_ON(mdom_dma_unmap_collect(&c->dmas, 0, U64_MAX, true, true,
				       &victims, &unmapped));
	list_for_each_entry(dma, &victims, list)
		mdom_container_forget(c, dma);
	WARN_ON(c->mapped_bytes || c->pinned_pages || c->locked_pages ||
		c->dmas.count);
	mutex_unlock(&c->lock);

	mdom_dma_free_list(&victims);
	mutex_destroy(&c->lock);
	kfree(c);
}
EXPORT_SYMBOL_IF_KUNIT(mdom_container_destroy);

static bool mdom_container_enforces_cc(struct mdom_container *c)
{
	struct mdom_domain *d;

	lockdep_assert_held(&c->lock);
	/* Empty: nothing enforces coherency yet, and a later domain may not. */
	if (list_empty(&c->domains))
		return false;
	list_for_each_entry(d, &c->domains, next)
		if (!d->enforce_cc)
			return false;
	return true;
}

long mdom_container_check_extension(struct mdom_container *c,
				    unsigned long ext)
{
	switch (ext) {
	case VFIO_TYPE1_IOMMU:
	case VFIO_TYPE1v2_IOMMU:
	case VFIO_UNMAP_ALL:
		return 1;
	case VFIO_DMA_CC_IOMMU: {
		guard(mutex)(&c->lock);
		return mdom_container_enforces_cc(c);
	}
	default:
		/* Not VADDR, NESTING, dirty tracking, SPAPR or no-IOMMU. */
		return 0;
	}
}
EXPORT_SYMBOL_IF_KUNIT(mdom_container_check_extension);

/*
 * VFIO_SET_IOMMU: choose v1 or v2 unmap semantics, once. Unlike a VFIO
 * container no group is needed first; MAP_DMA, UNMAP_DMA and GET_INFO need
 * it (-EINVAL before, as VFIO answers them without an IOMMU driver).
 */
int mdom_container_set_iommu(struct mdom_container *c, unsigned long type)
{
	guard(mutex)(&c->lock);
	if (c->iommu_type)
		return -EINVAL;
	if (type != VFIO_TYPE1_IOMMU && type != VFIO_TYPE1v2_IOMMU)
		return -ENODEV;
	c->iommu_type = type;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_container_set_iommu);

/*
 * Page sizes every domain supports, with @extra (a domain about to join)
 * if not NULL; PAGE_MASK while there is none. Sizes below PAGE_SIZE are
 * folded into PAGE_SIZE as pinning works in pages. 0: nothing in common.
 */
unsigned long mdom_container_pgsize_bitmap_with(struct mdom_container *c,
						struct iommu_domain *extra)
{
	unsigned long bitmap = ULONG_MAX;
	struct mdom_domain *d;

	lockdep_assert_held(&c->lock);
	if (list_empty(&c->domains) && !extra)
		return PAGE_MASK;
	list_for_each_entry(d, &c->domains, next)
		bitmap &= d->domain->pgsize_bitmap;
	if (extra)
		bitmap &= extra->pgsize_bitmap;
	if (bitmap & ~PAGE_MASK) {
		bitmap &= PAGE_MASK;
		bitmap |= PAGE_SIZE;
	}
	return bitmap;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_container_pgsize_bitmap_with);

unsigned long mdom_container_pgsize_bitmap(struct mdom_container *c)
{
	return mdom_container_pgsize_bitmap_with(c, NULL);
}
EXPORT_SYMBOL_IF_KUNIT(mdom_container_pgsize_bitmap);

static u64 mdom_container_min_pgsize(struct mdom_container *c)
{
	unsigned long bitmap = mdom_container_pgsize_bitmap(c);

	return bitmap ? 1ULL << __ffs(bitmap) : PAGE_SIZE;
}

/*
 * Remove @resv from the sorted, disjoint @ranges (@nr entries, room for
 * @nr + 1) and return the new count. A region inside one range splits it,
 * so each call adds at most one entry.
 */
unsigned int mdom_iova_ranges_subtract(struct mdom_iova_range *ranges,
				       unsigned int nr,
				       const struct mdom_iova_range *resv)
{
	unsigned int i = 0;

	while (i < nr) {
		struct mdom_iova_range *r = &ranges[i];
		bool left = resv->first > r->first;
		bool right = resv->last < r->last;

		if (resv->last < r->first || resv->first > r->last) {
			i++;
			continue;
		}
		if (left && right) {
			memmove(r + 2, r + 1, (nr - i - 1) * sizeof(*r));
			r[1].first = resv->last + 1;
			r[1].last = r->last;
			r->last = resv->first - 1;
			return nr + 1;	/* resv was inside this one range */
		}
		if (left) {
			r->last = resv->first - 1;
			i++;
		} else if (right) {
			r->first = resv->last + 1;
			i++;
		} else {
			memmove(r, r + 1, (nr - i - 1) * sizeof(*r));
			nr--;
		}
	}
	return nr;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_iova_ranges_subtract);

static void mdom_container_aperture(struct mdom_container *c,
				    struct mdom_iova_range *ap)
{
	struct mdom_domain *d;

	lockdep_assert_held(&c->lock);
	ap->first = 0;
	ap->last = U64_MAX;
	list_for_each_entry(d, &c->domains, next) {
		ap->first = max_t(u64, ap->first,
				  d->domain->geometry.aperture_start);
		ap->last = min_t(u64, ap->last,
				 d->domain->geometry.aperture_end);
	}
}

/*
 * The valid IOVA ranges: the intersection of every domain's aperture minus
 * every attached group's reserved regions; [0, U64_MAX] with no domain.
 * Returns the number of ranges (possibly 0) in a kmalloc()ed *@ranges.
 */
int mdom_container_iova_ranges(struct mdom_container *c,
			       struct mdom_iova_range **ranges)
{
	struct mdom_iova_range *r;
	struct mdom_domain *d;
	struct mdom_group *g;
	unsigned int nr, cap = 1, i;

	lockdep_assert_held(&c->lock);
	list_for_each_entry(d, &c->domains, next)
		list_for_each_entry(g, &d->groups, next)
			cap += g->nresv;
	r = kmalloc_array(cap, sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;

	mdom_container_aperture(c, &r[0]);
	nr = r[0].first <= r[0].last;
	list_for_each_entry(d, &c->domains, next)
		list_for_each_entry(g, &d->groups, next)
			for (i = 0; i < g->nresv; i++)
				nr = mdom_iova_ranges_subtract(r, nr,
							       &g->resv[i]);
	*ranges = r;
	return nr;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_container_iova_ranges);

/* True if [@first, @last] lies in one valid IOVA range. */
bool mdom_container_iova_valid(struct mdom_container *c, u64 first, u64 last)
{
	struct mdom_iova_range ap;
	struct mdom_domain *d;
	struct mdom_group *g;
	unsigned int i;

	mdom_container_aperture(c, &ap);
	if (first < ap.first || last > ap.last)
		return false;
	list_for_each_entry(d, &c->domains, next)
		list_for_each_entry(g, &d->groups, next)
			for (i = 0; i < g->nresv; i++)
				if (g->resv[i].first <= last &&
				    g->resv[i].last >= first)
					return false;
	return true;
}

unsigned int mdom_container_dma_avail(struct mdom_container *c)
{
	lockdep_assert_held(&c->lock);
	return c->dmas.count < c->dma_limit ? c->dma_limit - c->dmas.count : 0;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_container_dma_avail);

/* The checks of VFIO_IOMMU_MAP_DMA, in type1's order. */
static int mdom_container_map_check(struct mdom_container *c, u64 iova,
				    u64 size, unsigned long vaddr)
{
	u64 pgmask;

	lockdep_assert_held(&c->lock);
	pgmask = mdom_container_min_pgsize(c) - 1;
	if (!size || ((size | iova | vaddr) & pgmask))
		return -EINVAL;
	if (iova + size - 1 < iova || vaddr + size - 1 < vaddr)
		return -EINVAL;
	if (mdom_dma_first(&c->dmas, iova, iova + size - 1))
		return -EEXIST;
	if (!mdom_container_dma_avail(c))
		return -ENOSPC;
	if (!mdom_container_iova_valid(c, iova, iova + size - 1))
		return -EINVAL;
	return 0;
}

/*
 * VFIO_IOMMU_MAP_DMA. The arguments are checked under the lock, the pages
 * pinned and charged without it, then the checks are repeated (a domain or
 * an overlapping mapping may have appeared meanwhile) and the mapping is
 * inserted and mapped into every domain. Any failure leaves nothing.
 */
int mdom_container_map(struct mdom_container *c, u64 iova, u64 size,
		       unsigned long vaddr, int prot)
{
	struct mdom_pages *pages;
	struct mdom_domain *d;
	struct mdom_dma *dma;
	int ret;

	if (!prot || (prot & ~(IOMMU_READ | IOMMU_WRITE)))
		return -EINVAL;

	mutex_lock(&c->lock);
	ret = mdom_container_map_check(c, iova, size, vaddr);
	mutex_unlock(&c->lock);
	if (ret)
		return ret;

	pages = mdom_pages_pin(vaddr, size, prot & IOMMU_WRITE);
	if (IS_ERR(pages))
		return PTR_ERR(pages);

	dma = kzalloc(sizeof(*dma), GFP_KERNEL_ACCOUNT);
	if (!dma) {
		ret = -ENOMEM;
		goto out_unpin;
	}
	dma->iova = iova;
	dma->last = iova + size - 1;
	dma->vaddr = vaddr;
	dma->prot = prot;
	dma->pages = pages;

	mutex_lock(&c->lock);
	ret = mdom_container_map_check(c, iova, size, vaddr);
	if (ret)
		goto out_unlock;
	ret = mdom_dma_insert(&c->dmas, dma);
	if (ret)
		goto out_unlock;
	list_for_each_entry(d, &c->domains, next) {
		ret = mdom_domain_map_dma(c, d, dma);
		if (ret) {
			mdom_domains_map_unwind(c, d, dma);
			goto out_remove;
		}
	}
	c->mapped_bytes += size;
	c->pinned_pages += pages->npages;
	c->locked_pages += pages->npages;
	mutex_unlock(&c->lock);
	return 0;

out_remove:
	mdom_dma_remove(&c->dmas, dma);
out_unlock:
	mutex_unlock(&c->lock);
	kfree(dma);
out_unpin:
	mdom_pages_unpin(pages);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_container_map);

/*
 * VFIO_IOMMU_UNMAP_DMA, type1 v1 or v2 rules (dma.c) or everything with
 * @all. Victims are unmapped from every domain (IOTLB flushed) under the
 * lock, then unpinned after it. *@unmapped is written in every case.
 */
int mdom_container_unmap(struct mdom_container *c, u64 iova, u64 size,
			 bool all, u64 *unmapped)
{
	struct mdom_domain *d;
	struct mdom_dma *dma;
	LIST_HEAD(victims);
	u64 pgmask, last;
	int ret;

	*unmapped = 0;
	mutex_lock(&c->lock);
	pgmask = mdom_container_min_pgsize(c) - 1;
	ret = -EINVAL;
	if (iova & pgmask)
		goto out_unlock;
	if (all) {
		if (iova || size)
			goto out_unlock;
		last = U64_MAX;
	} else {
		if (!size || (size & pgmask) || iova + size - 1 < iova)
			goto out_unlock;
		last = iova + size - 1;
	}

	ret = mdom_dma_unmap_collect(&c->dmas, iova, last,
				     c->iommu_type == VFIO_TYPE1v2_IOMMU, all,
				     &victims, unmapped);
	if (ret)
		goto out_unlock;
	list_for_each_entry(d, &c->domains, next)
		mdom_domain_unmap_list(c, d, &victims);
	list_for_each_entry(dma, &victims, list)
		mdom_container_forget(c, dma);
out_unlock:
	mutex_unlock(&c->lock);
	/* The IOMMUs no longer reach the pages: now they can go. */
	mdom_dma_free_list(&victims);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_container_unmap);

static void mdom_domain_fill_info(struct mdom_domain *d,
				  struct vfio_mdom_domain_info *info)
{
	struct mdom_group *g;

	memset(info, 0, sizeof(*info));
	info->id = d->id;
	info->flags = d->enforce_cc ? VFIO_MDOM_DOMAIN_ENFORCE_CC : 0;
	strscpy(info->driver, d->driver, sizeof(info->driver));
	strscpy(info->iommu, d->iommu, sizeof(info->iommu));
	info->pgsize_bitmap = d->domain->pgsize_bitmap;
	info->aperture_start = d->domain->geometry.aperture_start;
	info->aperture_end = d->domain->geometry.aperture_end;
	info->mapped_bytes = d->mapped_bytes;
	list_for_each_entry(g, &d->groups, next)
		info->num_groups++;
}

/*
 * VFIO_MDOM_QUERY: snapshot the container under its lock into kernel
 * buffers, then copy them out. Returns -EMSGSIZE (counts set) if the user
 * arrays are too small.
 */
int mdom_container_query(struct mdom_container *c, struct vfio_mdom_query *q)
{
	struct vfio_mdom_domain_info *dinfo = NULL;
	struct vfio_mdom_group_info *ginfo = NULL;
	u32 ndom = 0, ngrp = 0, i = 0, j = 0;
	struct mdom_domain *d;
	struct mdom_group *g;
	int ret = 0;

	mutex_lock(&c->lock);
	list_for_each_entry(d, &c->domains, next) {
		ndom++;
		list_for_each_entry(g, &d->groups, next)
			ngrp++;
	}
	if (ndom > q->num_domains || ngrp > q->num_groups) {
		ret = -EMSGSIZE;
		goto out_counts;
	}
	dinfo = kcalloc(ndom, sizeof(*dinfo), GFP_KERNEL);
	ginfo = kcalloc(ngrp, sizeof(*ginfo), GFP_KERNEL);
	if ((ndom && !dinfo) || (ngrp && !ginfo)) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	list_for_each_entry(d, &c->domains, next) {
		mdom_domain_fill_info(d, &dinfo[i++]);
		list_for_each_entry(g, &d->groups, next) {
			ginfo[j].group_id = iommu_group_id(g->iommu_group);
			ginfo[j++].domain_id = d->id;
		}
	}
	q->iommu_type = c->iommu_type;
	q->num_mappings = c->dmas.count;
	q->mapped_bytes = c->mapped_bytes;
	q->pinned_pages = c->pinned_pages;
	q->locked_pages = c->locked_pages;
	q->dma_avail = mdom_container_dma_avail(c);
out_counts:
	q->num_domains = ndom;
	q->num_groups = ngrp;
out_unlock:
	mutex_unlock(&c->lock);

	if (!ret && ndom &&
	    copy_to_user(u64_to_user_ptr(q->domains), dinfo,
			 array_size(ndom, sizeof(*dinfo))))
		ret = -EFAULT;
	if (!ret && ngrp &&
	    copy_to_user(u64_to_user_ptr(q->groups), ginfo,
			 array_size(ngrp, sizeof(*ginfo))))
		ret = -EFAULT;
	kfree(dinfo);
	kfree(ginfo);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_container_query);
