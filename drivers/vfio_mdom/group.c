// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom groups: attaching an IOMMU group to a container picks or makes
 * a domain for it; detaching frees a domain that loses its last group.
 *
 * VFIO calls these for VFIO_GROUP_SET_CONTAINER (and, for the groups
 * already there, VFIO_SET_IOMMU) and VFIO_GROUP_UNSET_CONTAINER, with the
 * group's DMA ownership already claimed for the VFIO group.
 *
 * Attach, under domains_rwsem (written):
 *  1. check MSI isolation, read the group's reserved regions and refuse
 *     them if an existing mapping overlaps one, or (windows mode) a
 *     declared window;
 *  2. try every existing domain whose cache-coherency enforcement is what
 *     the group's devices can have: the first one iommu_attach_group()
 *     accepts is shared (nothing to map, the mappings are there). -EINVAL
 *     from the IOMMU means "incompatible": try the next; any other error
 *     is a real failure and ends the attach;
 *  3. else allocate a paging domain, attach, enforce coherency if the
 *     devices can (failing to is a driver bug and fails the attach, as in
 *     iommufd: KVM believes such a group coherent), check the aperture and
 *     page sizes against the existing mappings, and replay every mapping
 *     into it from the pinned runs (windows mode: the aperture is not
 *     checked, and only the mappings it holds are replayed, windows.c);
 *  4. publish the new snapshot of the domains (info.c), built before the
 *     replay: nothing can fail after a replay, which would be more to undo
 *     (what a replay into the first domain pinned, the dirty tracking mode
 *     a new domain changed).
 * Each step is undone on failure: the container is exactly as before.
 */
#include <linux/err.h>
#include <linux/iommu.h>
#include <linux/lockdep.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vfio_mdom.h>

#include "trace.h"
#include "vfio_mdom.h"

bool mdom_allow_unsafe_interrupts;
module_param_named(allow_unsafe_interrupts, mdom_allow_unsafe_interrupts,
		   bool, 0644);
MODULE_PARM_DESC(allow_unsafe_interrupts,
		 "Attach groups whose MSIs are not isolated (interrupt remapping). Unsafe: a device can then forge interrupts.");
EXPORT_SYMBOL_IF_KUNIT(mdom_allow_unsafe_interrupts);

/* Check the tree against a group's reserved regions this often. */
#define MDOM_CONFLICT_RESCHED	64

static struct mdom_group *mdom_container_find_group(struct mdom_container *c,
						    struct iommu_group *grp)
{
	struct mdom_domain *d;
	struct mdom_group *g;

	lockdep_assert_held(&c->domains_rwsem);
	list_for_each_entry(d, &c->domains, next)
		list_for_each_entry(g, &d->groups, next)
			if (g->iommu_group == grp)
				return g;
	return NULL;
}

/*
 * Copy the group's reserved regions, as type1 does ignoring the relaxable
 * direct ones, and note a software MSI window (*@sw_msi, its base).
 */
static int mdom_group_read_resv(struct mdom_group *g, bool *sw_msi,
				phys_addr_t *sw_msi_base)
{
	struct iommu_resv_region *region, *tmp;
	LIST_HEAD(regions);
	unsigned int n = 0;
	int ret;

	*sw_msi = false;
	ret = iommu_get_group_resv_regions(g->iommu_group, &regions);
	if (ret)
		goto out_free;
	list_for_each_entry(region, &regions, list)
		n++;
	g->resv = kcalloc(n, sizeof(*g->resv), GFP_KERNEL_ACCOUNT);
	if (n && !g->resv) {
		ret = -ENOMEM;
		goto out_free;
	}
	list_for_each_entry(region, &regions, list) {
		if (region->type == IOMMU_RESV_DIRECT_RELAXABLE ||
		    !region->length)
			continue;
		if (region->type == IOMMU_RESV_SW_MSI) {
			*sw_msi = true;
			*sw_msi_base = region->start;
		}
		g->resv[g->nresv].first = region->start;
		g->resv[g->nresv].last = region->start + region->length - 1;
		g->nresv++;
	}
out_free:
	list_for_each_entry_safe(region, tmp, &regions, list)
		kfree(region);
	return ret;
}

static int mdom_dev_enforce_cc(struct device *dev, void *data)
{
	bool *cc = data;

	*cc &= mdom_iommu_dev_enforce_cc_capable(dev);
	return 0;
}

/*
 * Whether the group's devices can have cache coherency enforced. As the
 * VFIO core says (vfio_group_enforced_coherent(), what KVM is told), a
 * device without IOMMU_CAP_ENFORCE_CACHE_COHERENCY never gets it from any
 * domain, and one with it must get a domain that enforces it.
 */
static bool mdom_group_can_enforce_cc(struct iommu_group *grp)
{
	bool cc = true;

	iommu_group_for_each_dev(grp, &cc, mdom_dev_enforce_cc);
	return cc;
}

/* An existing mapping outside the aperture of @domain, or misaligned? */
static bool mdom_domain_conflicts(struct mdom_container *c,
				  struct iommu_domain *domain)
{
	const struct iommu_domain_geometry *geo = &domain->geometry;
	unsigned long bitmap;
	struct mdom_dma *dma;
	unsigned int n = 0;
	u64 pgmask;

	lockdep_assert_held_write(&c->domains_rwsem);
	if (geo->aperture_start > geo->aperture_end)
		return true;
	/* Windows mode: the domain gets what fits, the rest stays out. */
	if (c->mode == VFIO_MDOM_MODE_WINDOWS)
		goto pgsizes;
	if (geo->aperture_start &&
	    mdom_dma_first(&c->dmas, 0, geo->aperture_start - 1))
		return true;
	if (geo->aperture_end != U64_MAX &&
	    mdom_dma_first(&c->dmas, geo->aperture_end + 1, U64_MAX))
		return true;

pgsizes:
	/* The page sizes every domain, this one included, would share. */
	bitmap = mdom_pgsize_bitmap(c, domain);
	if (!bitmap)
		return true;
	pgmask = (1ULL << __ffs(bitmap)) - 1;
	for (dma = mdom_dma_first(&c->dmas, 0, U64_MAX); dma;
	     dma = mdom_dma_next(dma, 0, U64_MAX)) {
		if ((dma->iova | mdom_dma_size(dma) | dma->pages.vaddr) & pgmask)
			return true;
		if (!(++n % MDOM_CONFLICT_RESCHED))
			cond_resched();
	}
	return false;
}

/*
 * Some IOVA must stay valid: an empty intersection is refused, as type1.
 * A union (windows mode) only grows with a domain.
 */
static int mdom_container_check_ranges(struct mdom_container *c)
{
	struct mdom_iova_range *ranges;
	int nr;

	lockdep_assert_held_write(&c->domains_rwsem);
	if (c->mode == VFIO_MDOM_MODE_WINDOWS)
		return 0;
	nr = mdom_iova_ranges(c, GFP_KERNEL, &ranges);
	if (nr < 0)
		return nr;
	kfree(ranges);
	return nr ? 0 : -EINVAL;
}

/*
 * Try the existing domains; 0, g->domain set and the new snapshot in
 * *@info if one took the group; -ENOENT if none would, or the error.
 */
static int mdom_group_join_domain(struct mdom_container *c,
				  struct mdom_group *g, bool cc,
				  struct mdom_info **info)
{
	struct mdom_domain *d;
	int ret;

	lockdep_assert_held_write(&c->domains_rwsem);
	list_for_each_entry(d, &c->domains, next) {
		if (d->enforce_cc != cc)
			continue;
		ret = iommu_attach_group(d->domain, g->iommu_group);
		if (ret == -EINVAL)
			continue;	/* the IOMMU says incompatible */
		if (ret)
			return ret;
		list_add_tail(&g->next, &d->groups);
		g->domain = d;
		ret = mdom_container_check_ranges(c);
		if (!ret) {
			*info = mdom_info_build(c, GFP_KERNEL_ACCOUNT);
			if (*info)
				return 0;
			ret = -ENOMEM;
		}
		list_del(&g->next);
		g->domain = NULL;
		iommu_detach_group(d->domain, g->iommu_group);
		return ret;
	}
	return -ENOENT;
}

/*
 * Give the group a domain of its own, holding every existing mapping; the
 * new snapshot in *@info.
 */
static int mdom_group_new_domain(struct mdom_container *c,
				 struct mdom_group *g, bool cc, bool sw_msi,
				 phys_addr_t sw_msi_base, struct mdom_info **info)
{
	const struct iommu_domain_ops *ops;
	struct mdom_domain *d;
	int ret;

	lockdep_assert_held_write(&c->domains_rwsem);
	d = mdom_domain_alloc(c, g->iommu_group);
	if (IS_ERR(d))
		return PTR_ERR(d);

	ret = iommu_attach_group(d->domain, g->iommu_group);
	if (ret)
		goto out_free_domain;
	/*
	 * After the attach, as the driver may check the attached devices'
	 * IOMMUs; before any mapping, as the setting may be per PTE.
	 */
	ops = d->domain->ops;
	if (cc) {
		ret = -EINVAL;
		if (!ops->enforce_cache_coherency ||
		    !ops->enforce_cache_coherency(d->domain)) {
			pr_warn_ratelimited("vfio-mdom: group %d: IOMMU reports cache coherency enforcement but a new domain does not enforce it\n",
					    iommu_group_id(g->iommu_group));
			goto out_detach;
		}
		d->enforce_cc = true;
	}

	if (mdom_domain_conflicts(c, d->domain)) {
		ret = -EINVAL;
		goto out_detach;
	}
	if (sw_msi) {
		ret = iommu_get_msi_cookie(d->domain, sw_msi_base);
		if (ret && ret != -ENODEV)
			goto out_detach;
	}

	list_add_tail(&d->next, &c->domains);
	list_add_tail(&g->next, &d->groups);
	g->domain = d;
	ret = mdom_container_check_ranges(c);
	if (ret)
		goto out_unlink;
	/* The fault handler, installed at allocation, may read it already. */
	WRITE_ONCE(d->id, c->next_domain_id++);
	ret = -ENOMEM;
	*info = mdom_info_build(c, GFP_KERNEL_ACCOUNT);
	if (!*info)
		goto out_unlink;
	ret = mdom_domain_replay(c, d);
	if (ret)
		goto out_free_info;
	mdom_dirty_domain_added(c, d);
	return 0;

out_free_info:
	mdom_info_free(*info);
out_unlink:
	list_del(&g->next);
	g->domain = NULL;
	list_del(&d->next);
out_detach:
	iommu_detach_group(d->domain, g->iommu_group);
out_free_domain:
	mdom_domain_free(c, d);
	return ret;
}

/*
 * Take @g out of its domain. A domain losing its last group is unmapped,
 * then freed: no device reaches it any more.
 */
static void mdom_group_unlink(struct mdom_container *c, struct mdom_group *g)
{
	struct mdom_domain *d = g->domain;

	lockdep_assert_held_write(&c->domains_rwsem);
	iommu_detach_group(d->domain, g->iommu_group);
	list_del(&g->next);
	g->domain = NULL;
	if (list_empty(&d->groups)) {
		list_del(&d->next);
		mdom_domain_unmap_all(c, d);
		mdom_domain_free(c, d);
	}
}

static void mdom_group_free(struct mdom_group *g)
{
	kfree(g->resv);
	kfree(g);
}

/* Attach @grp (whose DMA ownership the caller holds) to the container. */
static int __mdom_container_attach(struct mdom_container *c,
				   struct iommu_group *grp, u32 *domain_id,
				   bool *new_domain)
{
	phys_addr_t sw_msi_base = 0;
	struct mdom_info *info;
	struct mdom_group *g;
	struct mdom_dma *dma;
	unsigned int i;
	bool sw_msi, cc;
	int ret;

	mdom_domains_lock(c);
	ret = -EINVAL;
	if (mdom_container_find_group(c, grp))
		goto out_unlock;
	if (!mdom_allow_unsafe_interrupts &&
	    !mdom_iommu_group_has_isolated_msi(grp)) {
		pr_warn_ratelimited("vfio-mdom: group %d: MSIs are not isolated; set allow_unsafe_interrupts to attach anyway\n",
				    iommu_group_id(grp));
		ret = -EPERM;
		goto out_unlock;
	}

	ret = -ENOMEM;
	g = kzalloc(sizeof(*g), GFP_KERNEL_ACCOUNT);
	if (!g)
		goto out_unlock;
	g->iommu_group = grp;
	ret = mdom_group_read_resv(g, &sw_msi, &sw_msi_base);
	if (ret)
		goto out_free;
	for (i = 0; i < g->nresv; i++) {
		dma = mdom_dma_first(&c->dmas, g->resv[i].first,
				     g->resv[i].last);
		if (dma) {
			ret = -EINVAL;
			goto out_free;
		}
	}
	/* Windows mode: a declared window must not be cut. */
	ret = mdom_windows_attach_check(c, g);
	if (ret)
		goto out_free;

	cc = mdom_group_can_enforce_cc(grp);
	ret = mdom_group_join_domain(c, g, cc, &info);
	if (ret == -ENOENT) {
		*new_domain = true;
		ret = mdom_group_new_domain(c, g, cc, sw_msi, sw_msi_base,
					    &info);
	}
	if (ret)
		goto out_free;
	mdom_info_publish(c, info);
	*domain_id = g->domain->id;
	mdom_domains_unlock(c);
	return 0;

out_free:
	mdom_group_free(g);
out_unlock:
	mdom_domains_unlock(c);
	return ret;
}

int mdom_container_attach(struct mdom_container *c, struct iommu_group *grp)
{
	u64 start = mdom_trace_clock(trace_mdom_attach_enabled());
	bool new_domain = false;
	u32 domain_id = 0;
	int ret;

	ret = __mdom_container_attach(c, grp, &domain_id, &new_domain);
	trace_mdom_attach(c->id, iommu_group_id(grp), domain_id, new_domain,
			  ret, mdom_trace_ns(start));
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_container_attach);

int mdom_container_detach(struct mdom_container *c, struct iommu_group *grp)
{
	struct mdom_group *g;

	guard(mdom_domains)(c);
	g = mdom_container_find_group(c, grp);
	if (!g)
		return -ENOENT;
	mdom_group_unlink(c, g);
	mdom_group_free(g);
	/* Only emulated devices are left to need pinned pages. */
	if (list_empty(&c->domains) && !list_empty(&c->emulated_groups))
		mdom_emulated_unpin_mappings(c);
	/* Small, and a detach cannot fail: the old snapshot must go. */
	WARN_ON(mdom_info_update(c, GFP_KERNEL | __GFP_NOFAIL));
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_container_detach);

/* Every group goes, and with them every domain. */
void mdom_container_detach_all(struct mdom_container *c)
{
	struct mdom_domain *d;
	struct mdom_group *g;

	lockdep_assert_held_write(&c->domains_rwsem);
	while ((d = list_first_entry_or_null(&c->domains, struct mdom_domain,
					     next))) {
		/* A domain always has a group: its last one frees it. */
		g = list_first_entry_or_null(&d->groups, struct mdom_group,
					     next);
		if (WARN_ON(!g)) {
			list_del(&d->next);
			mdom_domain_unmap_all(c, d);
			mdom_domain_free(c, d);
			continue;
		}
		mdom_group_unlink(c, g);
		mdom_group_free(g);
	}
	while ((g = list_first_entry_or_null(&c->emulated_groups,
					     struct mdom_group, next))) {
		list_del(&g->next);
		mdom_group_free(g);
	}
	WARN_ON(mdom_info_update(c, GFP_KERNEL | __GFP_NOFAIL));
}

/* The IOMMU domain @grp is attached to, for VFIO's group_iommu_domain. */
struct iommu_domain *mdom_container_group_domain(struct mdom_container *c,
						 struct iommu_group *grp)
{
	struct mdom_group *g;

	guard(rwsem_read)(&c->domains_rwsem);
	g = mdom_container_find_group(c, grp);
	return g ? g->domain->domain : ERR_PTR(-ENODEV);
}
