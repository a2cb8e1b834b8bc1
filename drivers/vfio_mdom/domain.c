// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom domains: one IOMMU paging domain of a container, and the
 * mapping of user mappings into it.
 *
 * Every mapping of the container is mapped into every domain, from the
 * pinned runs of its mdom_pages (one iommu_map() per contiguous run, so
 * the IOMMU can use large pages), with IOMMU_CACHE exactly when the domain
 * enforces cache coherency. Unmapping uses iommu_unmap_fast() and one IOTLB
 * sync per domain per batch. Nothing here walks the IOMMU page table.
 */
#include <linux/device.h>
#include <linux/err.h>
#include <linux/iommu.h>
#include <linux/lockdep.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "pages.h"
#include "vfio_mdom.h"

static int mdom_domain_prot(struct mdom_domain *d, struct mdom_dma *dma)
{
	return dma->prot | (d->enforce_cc ? IOMMU_CACHE : 0);
}

/* Map @dma into @d; on failure @d is as before. */
int mdom_domain_map_dma(struct mdom_container *c, struct mdom_domain *d,
			struct mdom_dma *dma)
{
	int ret;

	lockdep_assert_held(&c->lock);
	ret = mdom_pages_map(dma->pages, d->domain, dma->iova,
			     mdom_domain_prot(d, dma), GFP_KERNEL_ACCOUNT);
	if (!ret)
		d->mapped_bytes += mdom_dma_size(dma);
	return ret;
}

static void mdom_domain_unmap_dma(struct mdom_domain *d, struct mdom_dma *dma,
				  struct iommu_iotlb_gather *gather)
{
	u64 size = mdom_dma_size(dma);
	size_t unmapped;

	unmapped = iommu_unmap_fast(d->domain, dma->iova, size, gather);
	WARN_ON_ONCE(unmapped != size);
	d->mapped_bytes -= size;
}

/* Unmap @dma from every domain before @stop (which failed to map it). */
void mdom_domains_map_unwind(struct mdom_container *c,
			     struct mdom_domain *stop, struct mdom_dma *dma)
{
	struct iommu_iotlb_gather gather;
	struct mdom_domain *d;

	lockdep_assert_held(&c->lock);
	list_for_each_entry(d, &c->domains, next) {
		if (d == stop)
			break;
		iommu_iotlb_gather_init(&gather);
		mdom_domain_unmap_dma(d, dma, &gather);
		iommu_iotlb_sync(d->domain, &gather);
	}
}

/* Unmap every mdom_dma on @dmas (linked by ->list) from @d. */
void mdom_domain_unmap_list(struct mdom_container *c, struct mdom_domain *d,
			    struct list_head *dmas)
{
	struct iommu_iotlb_gather gather;
	struct mdom_dma *dma;

	lockdep_assert_held(&c->lock);
	iommu_iotlb_gather_init(&gather);
	list_for_each_entry(dma, dmas, list)
		mdom_domain_unmap_dma(d, dma, &gather);
	iommu_iotlb_sync(d->domain, &gather);
}

/* Unmap the mappings from the first one up to, not including, @stop. */
static void mdom_domain_unmap_until(struct mdom_container *c,
				    struct mdom_domain *d,
				    struct mdom_dma *stop)
{
	struct iommu_iotlb_gather gather;
	struct mdom_dma *dma;

	lockdep_assert_held(&c->lock);
	iommu_iotlb_gather_init(&gather);
	for (dma = mdom_dma_first(&c->dmas, 0, U64_MAX); dma && dma != stop;
	     dma = mdom_dma_next(dma, 0, U64_MAX))
		mdom_domain_unmap_dma(d, dma, &gather);
	iommu_iotlb_sync(d->domain, &gather);
}

/* Unmap every mapping of the container from @d. */
void mdom_domain_unmap_all(struct mdom_container *c, struct mdom_domain *d)
{
	mdom_domain_unmap_until(c, d, NULL);
	WARN_ON(d->mapped_bytes);
}

/*
 * Map every existing mapping into the new domain @d, from the pinned runs.
 * On failure whatever was replayed is unmapped again: @d is left empty.
 */
int mdom_domain_replay(struct mdom_container *c, struct mdom_domain *d)
{
	struct mdom_dma *dma;
	int ret;

	lockdep_assert_held(&c->lock);
	for (dma = mdom_dma_first(&c->dmas, 0, U64_MAX); dma;
	     dma = mdom_dma_next(dma, 0, U64_MAX)) {
		ret = mdom_domain_map_dma(c, d, dma);
		if (ret) {
			mdom_domain_unmap_until(c, d, dma);
			return ret;
		}
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_domain_replay);

struct mdom_domain_alloc_arg {
	struct mdom_domain *d;
	struct iommu_domain *domain;
};

/* Names for VFIO_MDOM_QUERY: "intel_iommu" from intel_iommu_ops, "dmar0". */
static void mdom_domain_names(struct mdom_domain *d, struct device *dev)
{
	const struct iommu_ops *ops = d->domain->owner;
	size_t len;
	char *p;

	if (ops && ops->owner)
		strscpy(d->driver, module_name(ops->owner), sizeof(d->driver));
	else
		snprintf(d->driver, sizeof(d->driver), "%ps", ops);
	p = strchr(d->driver, ' ');
	if (p)
		*p = '\0';
	len = strlen(d->driver);
	if (len > 4 && !strcmp(d->driver + len - 4, "_ops"))
		d->driver[len - 4] = '\0';

	if (dev->iommu && dev->iommu->iommu_dev && dev->iommu->iommu_dev->dev)
		strscpy(d->iommu, dev_name(dev->iommu->iommu_dev->dev),
			sizeof(d->iommu));
}

static int mdom_domain_alloc_dev(struct device *dev, void *data)
{
	struct mdom_domain_alloc_arg *arg = data;

	arg->domain = iommu_paging_domain_alloc(dev);
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
	};

	lockdep_assert_held(&c->lock);
	arg.d = kzalloc(sizeof(*arg.d), GFP_KERNEL_ACCOUNT);
	if (!arg.d)
		return ERR_PTR(-ENOMEM);
	INIT_LIST_HEAD(&arg.d->groups);
	iommu_group_for_each_dev(iommu_group, &arg, mdom_domain_alloc_dev);
	if (IS_ERR(arg.domain)) {
		kfree(arg.d);
		return ERR_CAST(arg.domain);
	}
	return arg.d;
}

/* Free a domain with no group attached and nothing mapped. */
void mdom_domain_free(struct mdom_container *c, struct mdom_domain *d)
{
	lockdep_assert_held(&c->lock);
	WARN_ON(!list_empty(&d->groups) || d->mapped_bytes);
	iommu_domain_free(d->domain);
	kfree(d);
}
