// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom domains: one IOMMU paging domain of a container, and the
 * mapping of user mappings into it.
 *
 * Every mapping of the container is mapped into every domain (in windows
 * mode, every domain that holds it: mdom_domain_holds()), from the
 * pinned runs of its mdom_pages (one iommu_map() per contiguous run, so
 * the IOMMU can use large pages), always with IOMMU_CACHE as type1 and
 * iommufd do: VFIO only accepts devices whose IOMMU is cache coherent
 * (IOMMU_CAP_CACHE_COHERENCY), and on an IOMMU whose page tables encode
 * cacheability (arm64's io-pgtable) a mapping without it is non-cacheable.
 * Whether a domain also enforces coherency (blocks no-snoop DMA) is a
 * property of the domain, not of its mappings.
 *
 * Unmapping uses iommu_unmap_fast() and one IOTLB sync per domain per
 * batch. Nothing here walks the IOMMU page table.
 */
#include <linux/ctype.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/iommu.h>
#include <linux/lockdep.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "events.h"
#include "pages.h"
#include "trace.h"
#include "vfio_mdom.h"

/* Map or unmap this many mappings between two cond_resched(). */
#define MDOM_DMAS_RESCHED	64

static int mdom_domain_prot(struct mdom_dma *dma)
{
	return dma->prot | IOMMU_CACHE;
}

/*
 * Map @dma into @d; on failure @d is as before. The caller holds
 * domains_rwsem (for reading: maps of disjoint mappings run in parallel,
 * which IOMMU drivers allow) and owns @dma (MAPPING, or under replay).
 */
int mdom_domain_map_dma(struct mdom_domain *d, struct mdom_dma *dma)
{
	int ret;

	ret = mdom_pages_map(&dma->pages, d->domain, dma->iova,
			     mdom_domain_prot(dma), MDOM_GFP_USER);
	if (!ret)
		atomic64_add(mdom_dma_size(dma), &d->mapped_bytes);
	return ret;
}

static void mdom_domain_unmap_dma(struct mdom_domain *d, struct mdom_dma *dma,
				  struct iommu_iotlb_gather *gather)
{
	u64 size = mdom_dma_size(dma);
	size_t unmapped;

	unmapped = iommu_unmap_fast(d->domain, dma->iova, size, gather);
	WARN_ON_ONCE(unmapped != size);
	atomic64_sub(size, &d->mapped_bytes);
}

/* Unmap @dma from every domain before @stop (which failed to map it). */
void mdom_domains_map_unwind(struct mdom_container *c,
			     struct mdom_domain *stop, struct mdom_dma *dma)
{
	struct iommu_iotlb_gather gather;
	struct mdom_domain *d;

	lockdep_assert_held(&c->domains_rwsem);
	list_for_each_entry(d, &c->domains, next) {
		if (d == stop)
			break;
		if (!mdom_domain_holds_dma(d, dma))
			continue;
		iommu_iotlb_gather_init(&gather);
		mdom_domain_unmap_dma(d, dma, &gather);
		iommu_iotlb_sync(d->domain, &gather);
	}
}

/*
 * Unmap every mdom_dma on @dmas (owned by the caller) from @d, with one
 * IOTLB sync at the end.
 */
void mdom_domain_unmap_list(struct mdom_domain *d, struct mdom_dma_list *dmas)
{
	struct iommu_iotlb_gather gather;
	struct mdom_dma *dma;
	unsigned int n = 0;

	iommu_iotlb_gather_init(&gather);
	mdom_dma_list_for_each(dma, dmas) {
		if (!mdom_domain_holds_dma(d, dma))
			continue;
		mdom_domain_unmap_dma(d, dma, &gather);
		if (!(++n % MDOM_DMAS_RESCHED))
			cond_resched();
	}
	iommu_iotlb_sync(d->domain, &gather);
}

/*
 * Unmap the mappings from the first one up to, not including, @stop. The
 * caller holds domains_rwsem for writing: the tree cannot change.
 */
static void mdom_domain_unmap_until(struct mdom_container *c,
				    struct mdom_domain *d,
				    struct mdom_dma *stop)
{
	struct iommu_iotlb_gather gather;
	struct mdom_dma *dma;
	unsigned int n = 0;

	lockdep_assert_held_write(&c->domains_rwsem);
	iommu_iotlb_gather_init(&gather);
	for (dma = mdom_dma_first(&c->dmas, 0, U64_MAX); dma && dma != stop;
	     dma = mdom_dma_next(dma, 0, U64_MAX)) {
		if (!mdom_domain_holds_dma(d, dma))
			continue;
		mdom_domain_unmap_dma(d, dma, &gather);
		if (!(++n % MDOM_DMAS_RESCHED))
			cond_resched();
	}
	iommu_iotlb_sync(d->domain, &gather);
}

/* Unmap every mapping of the container from @d. */
void mdom_domain_unmap_all(struct mdom_container *c, struct mdom_domain *d)
{
	mdom_domain_unmap_until(c, d, NULL);
	WARN_ON(atomic64_read(&d->mapped_bytes));
}

/*
 * Map every existing mapping that @d holds (all of them but in windows
 * mode) into the new domain @d, from the pinned runs.
 * Mappings recorded while the container had no domain are pinned first
 * (this is their first domain). On failure whatever was replayed is
 * unmapped and whatever was pinned here unpinned again: @d is left empty
 * and the container as it was. The caller holds domains_rwsem for writing,
 * so every mapping is LIVE and the tree cannot change; pinning takes the
 * mappers' mmap_lock under it (domains_rwsem -> mmap_lock).
 */
static int __mdom_domain_replay(struct mdom_container *c,
				struct mdom_domain *d, u64 *npinned,
				u64 *bytes, unsigned int *n)
{
	struct mdom_dma_list filled = {};
	struct mdom_dma *dma;
	int ret;

	lockdep_assert_held_write(&c->domains_rwsem);
	for (dma = mdom_dma_first(&c->dmas, 0, U64_MAX); dma;
	     dma = mdom_dma_next(dma, 0, U64_MAX)) {
		if (dma->pages.pinned)
			continue;
		ret = mdom_pages_fill(&dma->pages);
		if (ret)
			goto out_empty;
		mdom_dma_list_append(&filled, dma);
		*npinned += mdom_pages_npinned(&dma->pages);
	}

	for (dma = mdom_dma_first(&c->dmas, 0, U64_MAX); dma;
	     dma = mdom_dma_next(dma, 0, U64_MAX)) {
		/* In windows mode, only what fits the new domain. */
		if (!mdom_domain_holds_dma(d, dma))
			continue;
		ret = mdom_domain_map_dma(d, dma);
		if (ret) {
			mdom_domain_unmap_until(c, d, dma);
			goto out_empty;
		}
		*bytes += mdom_dma_size(dma);
		if (!(++*n % MDOM_DMAS_RESCHED))
			cond_resched();
	}
	if (*npinned) {
		mutex_lock(&c->iova_lock);
		c->pinned_pages += *npinned;
		mutex_unlock(&c->iova_lock);
	}
	return 0;

out_empty:
	mdom_dma_list_for_each(dma, &filled)
		mdom_pages_empty(&dma->pages);
	return ret;
}

int mdom_domain_replay(struct mdom_container *c, struct mdom_domain *d)
{
	u64 start = mdom_trace_clock(trace_mdom_replay_enabled());
	u64 npinned = 0, bytes = 0;
	unsigned int n = 0;
	int ret;

	ret = __mdom_domain_replay(c, d, &npinned, &bytes, &n);
	mdom_events_replay(c, d->id, ret, n, bytes);
	trace_mdom_replay(c->id, n, bytes, npinned, ret, mdom_trace_ns(start));
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_domain_replay);

/*
 * Names for VFIO_MDOM_QUERY and debugfs, from the IOMMU device, never from
 * a kernel pointer: the IOMMU instance's sysfs name ("dmar0") and the
 * driver's module ("vfio_mdom_mock_iommu"), or for a driver built into the
 * kernel the instance's name without its number ("dmar").
 */
static void mdom_domain_names(struct mdom_domain *d, struct device *dev)
{
	const struct iommu_ops *ops = mdom_iommu_domain_owner(d->domain, dev);
	struct device *iommu_dev = NULL;
	size_t len;

	if (dev->iommu && dev->iommu->iommu_dev)
		iommu_dev = dev->iommu->iommu_dev->dev;
	if (iommu_dev)
		strscpy(d->iommu, dev_name(iommu_dev), sizeof(d->iommu));

	if (ops && ops->owner) {
		strscpy(d->driver, module_name(ops->owner), sizeof(d->driver));
		return;
	}
	strscpy(d->driver, d->iommu[0] ? d->iommu : "unknown",
		sizeof(d->driver));
	len = strlen(d->driver);
	while (len > 1 && isdigit(d->driver[len - 1]))
		d->driver[--len] = '\0';
}

struct mdom_domain_alloc_arg {
	struct mdom_domain *d;
	struct iommu_domain *domain;
	bool dirty;
};

static int mdom_dev_dirty(struct device *dev, void *data)
{
	bool *dirty = data;

	*dirty &= mdom_iommu_dev_dirty_capable(dev);
	return 0;
}

/*
 * A paging domain for @dev: one that can track dirty pages if the group's
 * devices can have that (as iommufd asks for it: the driver's
 * domain_alloc_user with IOMMU_HWPT_ALLOC_DIRTY_TRACKING), else, or if the
 * driver says it cannot (-EOPNOTSUPP), a plain one. A dirty-tracking
 * domain only takes devices whose IOMMU can track.
 */
static struct iommu_domain *mdom_paging_domain_alloc(struct device *dev,
						     bool dirty)
{
	struct iommu_domain *domain;

	if (dirty) {
		domain = mdom_iommu_dirty_domain_alloc(dev);
		/* Any error but "cannot track" is a real one. */
		if (PTR_ERR(domain) != -EOPNOTSUPP)
			return domain;
	}
	return mdom_iommu_paging_domain_alloc(dev);
}

static int mdom_domain_alloc_dev(struct device *dev, void *data)
{
	struct mdom_domain_alloc_arg *arg = data;

	arg->domain = mdom_paging_domain_alloc(dev, arg->dirty);
	if (!IS_ERR(arg->domain)) {
		arg->d->domain = arg->domain;
		mdom_domain_names(arg->d, dev);
	}
	return 1;	/* the first device is enough */
}

/*
 * Allocate a paging domain for @iommu_group's IOMMU. The caller attaches
 * the group, enforces coherency and replays; mdom_domain_free() undoes.
 */
struct mdom_domain *mdom_domain_alloc(struct mdom_container *c,
				      struct iommu_group *iommu_group)
{
	struct mdom_domain_alloc_arg arg = {
		.domain = ERR_PTR(-ENODEV),
		.dirty = true,
	};

	lockdep_assert_held_write(&c->domains_rwsem);
	arg.d = kzalloc(sizeof(*arg.d), GFP_KERNEL_ACCOUNT);
	if (!arg.d)
		return ERR_PTR(-ENOMEM);
	INIT_LIST_HEAD(&arg.d->groups);
	refcount_set(&arg.d->users, 1);
	atomic64_set(&arg.d->mapped_bytes, 0);
	iommu_group_for_each_dev(iommu_group, &arg.dirty, mdom_dev_dirty);
	iommu_group_for_each_dev(iommu_group, &arg, mdom_domain_alloc_dev);
	if (IS_ERR(arg.domain)) {
		kfree(arg.d);
		return ERR_CAST(arg.domain);
	}
	mdom_fault_install(c, arg.d);
	return arg.d;
}

void mdom_domain_put(struct mdom_domain *d)
{
	if (refcount_dec_and_test(&d->users))
		kfree(d);
}

/*
 * Free the IOMMU domain of @d, which has no group attached and nothing
 * mapped and is off the container's list, and drop the container's
 * reference; snapshots still listing @d keep the struct until they go.
 */
void mdom_domain_free(struct mdom_container *c, struct mdom_domain *d)
{
	lockdep_assert_held_write(&c->domains_rwsem);
	WARN_ON(!list_empty(&d->groups) || atomic64_read(&d->mapped_bytes));
	iommu_domain_free(d->domain);
	d->domain = NULL;
	mdom_domain_put(d);
}
