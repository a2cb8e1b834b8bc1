// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom groups: attaching an IOMMU group to a container picks or makes
 * a domain for it; detaching frees a domain that loses its last group.
 *
 * Attach, under the container lock:
 *  1. claim the group's DMA ownership (a VFIO container, iommufd or another
 *     vfio-mdom container now cannot take it, and no kernel driver may be
 *     bound), check MSI isolation, read its reserved regions and refuse
 *     them if an existing mapping overlaps one;
 *  2. try every existing domain whose cache-coherency enforcement is what
 *     the group's devices can have: the first one iommu_attach_group()
 *     accepts is shared (nothing to map, the mappings are there);
 *  3. else allocate a paging domain, attach, enforce coherency if the
 *     devices can, check the aperture and page sizes against the existing
 *     mappings, and replay every mapping into it from the pinned runs.
 * Each step is undone on failure: the container is exactly as before.
 */
#include <linux/err.h>
#include <linux/file.h>
#include <linux/iommu.h>
#include <linux/lockdep.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vfio.h>

/*
 * The kernel's private VFIO header, from the tree this module is built
 * against, for struct vfio_group; see mdom_group_from_fd().
 */
#include <drivers/vfio/vfio.h>

#include "vfio_mdom.h"

#if !IS_ENABLED(CONFIG_VFIO_GROUP)
#error "vfio-mdom attaches VFIO groups: CONFIG_VFIO_GROUP is required"
#endif

bool mdom_allow_unsafe_interrupts;
module_param_named(allow_unsafe_interrupts, mdom_allow_unsafe_interrupts,
		   bool, 0644);
MODULE_PARM_DESC(allow_unsafe_interrupts,
		 "Attach groups whose MSIs are not isolated (interrupt remapping). Unsafe: a device can then forge interrupts.");
EXPORT_SYMBOL_IF_KUNIT(mdom_allow_unsafe_interrupts);

/*
 * The IOMMU group behind an open VFIO group file, referenced. The exported
 * vfio_file_iommu_group() only answers on SPAPR kernels (it is kept for
 * KVM's SPAPR path) and returns NULL elsewhere, so when it does we read
 * the group the VFIO core way: under the vfio_group's group_lock, whose
 * iommu_group stays valid while the group file is open (held by @f here).
 */
static struct iommu_group *mdom_vfio_file_iommu_group(struct file *file)
{
	struct vfio_group *group = file->private_data;
	struct iommu_group *iommu_group = NULL;

	if (group->type != VFIO_IOMMU)
		return NULL;	/* emulated (mdev) or no-IOMMU: no real group */
	mutex_lock(&group->group_lock);
	if (group->iommu_group)
		iommu_group = iommu_group_ref_get(group->iommu_group);
	mutex_unlock(&group->group_lock);
	return iommu_group;
}

struct iommu_group *mdom_group_from_fd(int fd)
{
	CLASS(fd, f)(fd);
	struct iommu_group *iommu_group;

	if (fd_empty(f))
		return ERR_PTR(-EBADF);
	if (!vfio_file_is_group(fd_file(f)))
		return ERR_PTR(-EINVAL);
	iommu_group = vfio_file_iommu_group(fd_file(f));
	if (!iommu_group)
		iommu_group = mdom_vfio_file_iommu_group(fd_file(f));
	return iommu_group ?: ERR_PTR(-EINVAL);
}

static struct mdom_group *mdom_container_find_group(struct mdom_container *c,
						    struct iommu_group *grp)
{
	struct mdom_domain *d;
	struct mdom_group *g;

	lockdep_assert_held(&c->lock);
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

	*cc &= device_iommu_capable(dev, IOMMU_CAP_ENFORCE_CACHE_COHERENCY);
	return 0;
}

/*
 * Whether a domain for @grp can enforce cache coherency. As the VFIO core
 * says, a device without IOMMU_CAP_ENFORCE_CACHE_COHERENCY never gets it
 * from any domain, so this is what a new domain would have.
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
	u64 pgmask;

	lockdep_assert_held(&c->lock);
	if (geo->aperture_start > geo->aperture_end)
		return true;
	if (geo->aperture_start &&
	    mdom_dma_first(&c->dmas, 0, geo->aperture_start - 1))
		return true;
	if (geo->aperture_end != U64_MAX &&
	    mdom_dma_first(&c->dmas, geo->aperture_end + 1, U64_MAX))
		return true;

	/* The page sizes every domain, this one included, would share. */
	bitmap = mdom_container_pgsize_bitmap_with(c, domain);
	if (!bitmap)
		return true;
	pgmask = (1ULL << __ffs(bitmap)) - 1;
	for (dma = mdom_dma_first(&c->dmas, 0, U64_MAX); dma;
	     dma = mdom_dma_next(dma, 0, U64_MAX))
		if ((dma->iova | mdom_dma_size(dma) | dma->vaddr) & pgmask)
			return true;
	return false;
}

/* Some IOVA must stay valid: an empty intersection is refused, as type1. */
static int mdom_container_check_ranges(struct mdom_container *c)
{
	struct mdom_iova_range *ranges;
	int nr;

	nr = mdom_container_iova_ranges(c, &ranges);
	if (nr < 0)
		return nr;
	kfree(ranges);
	return nr ? 0 : -EINVAL;
}

/* Try the existing domains; 0 and g->domain set if one took the group. */
static int mdom_group_join_domain(struct mdom_container *c,
				  struct mdom_group *g, bool cc)
{
	struct mdom_domain *d;
	int ret;

	lockdep_assert_held(&c->lock);
	list_for_each_entry(d, &c->domains, next) {
		if (d->enforce_cc != cc)
			continue;
		if (iommu_attach_group(d->domain, g->iommu_group))
			continue;	/* the IOMMU says incompatible */
		list_add_tail(&g->next, &d->groups);
		g->domain = d;
		ret = mdom_container_check_ranges(c);
		if (ret) {
			list_del(&g->next);
			g->domain = NULL;
			iommu_detach_group(d->domain, g->iommu_group);
		}
		return ret;
	}
	return -ENOENT;
}

/* Give the group a domain of its own, holding every existing mapping. */
static int mdom_group_new_domain(struct mdom_container *c,
				 struct mdom_group *g, bool cc, bool sw_msi,
				 phys_addr_t sw_msi_base)
{
	const struct iommu_domain_ops *ops;
	struct mdom_domain *d;
	int ret;

	lockdep_assert_held(&c->lock);
	d = mdom_domain_alloc(c, g->iommu_group);
	if (IS_ERR(d))
		return PTR_ERR(d);

	ret = iommu_attach_group(d->domain, g->iommu_group);
	if (ret)
		goto out_free_domain;
	/*
	 * After the attach, as the driver may check the attached devices'
	 * IOMMUs. Only when the devices can: a shared domain must match.
	 */
	ops = d->domain->ops;
	if (cc && ops->enforce_cache_coherency)
		d->enforce_cc = ops->enforce_cache_coherency(d->domain);

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
	ret = mdom_domain_replay(c, d);
	if (ret)
		goto out_unlink;
	d->id = c->next_domain_id++;
	return 0;

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
 * Attach @grp (referenced by the caller; the container takes its own
 * reference) to the container. On success *@domain_id is the domain it
 * joined and *@new_domain says whether that domain was made for it.
 */
int mdom_container_attach(struct mdom_container *c, struct iommu_group *grp,
			  u32 *domain_id, bool *new_domain)
{
	phys_addr_t sw_msi_base = 0;
	struct mdom_group *g;
	unsigned int i;
	bool sw_msi, cc;
	int ret;

	mutex_lock(&c->lock);
	if (mdom_container_find_group(c, grp)) {
		ret = -EEXIST;
		goto out_unlock;
	}
	ret = iommu_group_claim_dma_owner(grp, c);
	if (ret) {
		/* -EPERM: already owned, by a driver or another user. */
		if (ret == -EPERM)
			ret = -EBUSY;
		goto out_unlock;
	}
	if (!mdom_allow_unsafe_interrupts &&
	    !iommu_group_has_isolated_msi(grp)) {
		pr_warn_ratelimited("vfio-mdom: group %d: MSIs are not isolated; set allow_unsafe_interrupts to attach anyway\n",
				    iommu_group_id(grp));
		ret = -EPERM;
		goto out_release;
	}

	g = kzalloc(sizeof(*g), GFP_KERNEL_ACCOUNT);
	if (!g) {
		ret = -ENOMEM;
		goto out_release;
	}
	g->iommu_group = grp;
	ret = mdom_group_read_resv(g, &sw_msi, &sw_msi_base);
	if (ret)
		goto out_free_group;
	for (i = 0; i < g->nresv; i++) {
		if (mdom_dma_first(&c->dmas, g->resv[i].first,
				   g->resv[i].last)) {
			ret = -EINVAL;
			goto out_free_group;
		}
	}

	cc = mdom_group_can_enforce_cc(grp);
	*new_domain = false;
	ret = mdom_group_join_domain(c, g, cc);
	if (ret == -ENOENT) {
		*new_domain = true;
		ret = mdom_group_new_domain(c, g, cc, sw_msi, sw_msi_base);
	}
	if (ret)
		goto out_free_group;
	iommu_group_ref_get(grp);
	*domain_id = g->domain->id;
	mutex_unlock(&c->lock);
	return 0;

out_free_group:
	kfree(g->resv);
	kfree(g);
out_release:
	iommu_group_release_dma_owner(grp);
out_unlock:
	mutex_unlock(&c->lock);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_container_attach);

/*
 * Detach and release @g. A domain losing its last group is unmapped, then
 * freed: no device reaches it any more, and the mappings stay pinned in
 * the container for the next domain.
 */
static void mdom_group_remove(struct mdom_container *c, struct mdom_group *g)
{
	struct mdom_domain *d = g->domain;

	lockdep_assert_held(&c->lock);
	iommu_detach_group(d->domain, g->iommu_group);
	list_del(&g->next);
	if (list_empty(&d->groups)) {
		list_del(&d->next);
		mdom_domain_unmap_all(c, d);
		mdom_domain_free(c, d);
	}
	iommu_group_release_dma_owner(g->iommu_group);
	iommu_group_put(g->iommu_group);
	kfree(g->resv);
	kfree(g);
}

int mdom_container_detach(struct mdom_container *c, struct iommu_group *grp)
{
	struct mdom_group *g;

	guard(mutex)(&c->lock);
	g = mdom_container_find_group(c, grp);
	if (!g)
		return -ENOENT;
	mdom_group_remove(c, g);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_container_detach);

/* Container close: every group goes, and with them every domain. */
void mdom_container_detach_all(struct mdom_container *c)
{
	struct mdom_domain *d;

	lockdep_assert_held(&c->lock);
	while ((d = list_first_entry_or_null(&c->domains, struct mdom_domain,
					     next))) {
		/* A domain always has a group: its last one frees it. */
		if (WARN_ON(list_empty(&d->groups))) {
			list_del(&d->next);
			mdom_domain_unmap_all(c, d);
			mdom_domain_free(c, d);
			continue;
		}
		mdom_group_remove(c, list_first_entry(&d->groups,
						      struct mdom_group, next));
	}
}
