// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom: what readers need of a container's domains, as one snapshot.
 *
 * The page sizes every domain supports, the valid IOVA ranges (every
 * domain's aperture minus every group's reserved regions), whether every
 * domain enforces cache coherency, and the domains and groups as
 * VFIO_MDOM_QUERY reports them, are computed after each change of the
 * domain list (under domains_rwsem, written) and published with RCU.
 * VFIO_IOMMU_GET_INFO, VFIO_CHECK_EXTENSION, the query and debugfs read the
 * snapshot without taking domains_rwsem, so they never wait behind an
 * attach that replays every mapping into a new domain; MAP_DMA, which
 * holds domains_rwsem for reading, reads the snapshot that matches the
 * domains it maps into.
 *
 * A reader that only looks takes rcu_read_lock(); one that must sleep
 * while using the snapshot (copying it to user space) takes a reference
 * with mdom_info_get(). The last reference frees it after a grace period.
 */
#include <linux/iommu.h>
#include <linux/lockdep.h>
#include <linux/minmax.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vfio_mdom.h>

#include "events.h"
#include "vfio_mdom.h"

/*
 * Page sizes every domain supports, with @extra (a domain about to join)
 * if not NULL; PAGE_MASK while there is none. Sizes below PAGE_SIZE are
 * folded into PAGE_SIZE as pinning works in pages. 0: nothing in common.
 */
unsigned long mdom_pgsize_bitmap(struct mdom_container *c,
				 struct iommu_domain *extra)
{
	unsigned long bitmap = ULONG_MAX;
	struct mdom_domain *d;

	lockdep_assert_held(&c->domains_rwsem);
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
EXPORT_SYMBOL_IF_KUNIT(mdom_pgsize_bitmap);

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

void mdom_info_free(struct mdom_info *info)
{
	u32 i;

	if (!info)
		return;
	for (i = 0; i < info->nr_domains; i++)
		mdom_domain_put(info->doms[i]);
	kfree(info->doms);
	kfree(info->ranges);
	kfree(info->domains);
	kfree(info->groups);
	kfree(info->windows);
	kfree(info);
}

static void mdom_info_free_rcu(struct rcu_head *head)
{
	mdom_info_free(container_of(head, struct mdom_info, rcu));
}

void mdom_info_put(struct mdom_info *info)
{
	if (refcount_dec_and_test(&info->users))
		call_rcu(&info->rcu, mdom_info_free_rcu);
}
EXPORT_SYMBOL_IF_KUNIT(mdom_info_put);

/* A reference on the current snapshot, to be dropped by mdom_info_put(). */
struct mdom_info *mdom_info_get(struct mdom_container *c)
{
	struct mdom_info *info;

	rcu_read_lock();
	do {
		info = rcu_dereference(c->info);
	} while (!refcount_inc_not_zero(&info->users));
	rcu_read_unlock();
	return info;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_info_get);

/* True if [@first, @last] lies in one valid IOVA range. */
bool mdom_info_iova_valid(const struct mdom_info *info, u64 first, u64 last)
{
	u32 i;

	for (i = 0; i < info->nr_ranges; i++)
		if (first >= info->ranges[i].first &&
		    last <= info->ranges[i].last)
			return true;
	return false;
}

static void mdom_info_fill_domain(struct mdom_domain *d,
				  struct vfio_mdom_domain_info *out)
{
	struct mdom_group *g;

	out->id = d->id;
	out->flags = d->enforce_cc ? VFIO_MDOM_DOMAIN_ENFORCE_CC : 0;
	if (mdom_iommu_dirty_capable(d->domain))
		out->flags |= VFIO_MDOM_DOMAIN_DIRTY_TRACKING;
	strscpy(out->driver, d->driver, sizeof(out->driver));
	strscpy(out->iommu, d->iommu, sizeof(out->iommu));
	out->pgsize_bitmap = d->domain->pgsize_bitmap;
	out->aperture_start = d->domain->geometry.aperture_start;
	out->aperture_end = d->domain->geometry.aperture_end;
	list_for_each_entry(g, &d->groups, next)
		out->num_groups++;
}

/*
 * The valid IOVA ranges of @c's domains as they are now: the intersection
 * of every domain's aperture minus every attached group's reserved
 * regions, sorted; [0, U64_MAX] with no domain. In windows mode the union
 * instead (windows.c). Returns their number (possibly 0) in a kmalloc()ed
 * *@out, or -ENOMEM.
 */
int mdom_iova_ranges(struct mdom_container *c, gfp_t gfp,
		     struct mdom_iova_range **out)
{
	struct mdom_iova_range *r;
	struct mdom_domain *d;
	struct mdom_group *g;
	unsigned int nr, cap = 1, i;

	lockdep_assert_held(&c->domains_rwsem);
	if (c->mode == VFIO_MDOM_MODE_WINDOWS)
		return mdom_windows_ranges(c, gfp, out);
	list_for_each_entry(d, &c->domains, next)
		list_for_each_entry(g, &d->groups, next)
			cap += g->nresv;
	r = kcalloc(cap, sizeof(*r), gfp);
	if (!r)
		return -ENOMEM;

	r[0].first = 0;
	r[0].last = U64_MAX;
	list_for_each_entry(d, &c->domains, next) {
		r[0].first = max_t(u64, r[0].first,
				   d->domain->geometry.aperture_start);
		r[0].last = min_t(u64, r[0].last,
				  d->domain->geometry.aperture_end);
	}
	nr = r[0].first <= r[0].last;
	list_for_each_entry(d, &c->domains, next)
		list_for_each_entry(g, &d->groups, next)
			for (i = 0; i < g->nresv; i++)
				nr = mdom_iova_ranges_subtract(r, nr,
							       &g->resv[i]);
	*out = r;
	return nr;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_iova_ranges);

/* Compute the snapshot of @c's domains as they are now; NULL on -ENOMEM. */
struct mdom_info *mdom_info_build(struct mdom_container *c, gfp_t gfp)
{
	unsigned int ndom = 0, ngrp = 0, i = 0, j = 0;
	struct mdom_info *info;
	struct mdom_domain *d;
	struct mdom_group *g;
	int nr;

	list_for_each_entry(d, &c->domains, next) {
		ndom++;
		list_for_each_entry(g, &d->groups, next)
			ngrp++;
	}
	list_for_each_entry(g, &c->emulated_groups, next)
		ngrp++;

	info = kzalloc(sizeof(*info), gfp);
	if (!info)
		return NULL;
	refcount_set(&info->users, 1);
	nr = mdom_iova_ranges(c, gfp, &info->ranges);
	if (nr < 0)
		info->ranges = NULL;
	else
		info->nr_ranges = nr;
	if (ndom) {
		info->domains = kcalloc(ndom, sizeof(*info->domains), gfp);
		info->doms = kcalloc(ndom, sizeof(*info->doms), gfp);
	}
	if (ngrp)
		info->groups = kcalloc(ngrp, sizeof(*info->groups), gfp);
	info->mode = c->mode;
	nr = mdom_windows_report(c, gfp, &info->windows);
	if (nr > 0)
		info->nr_windows = nr;
	if (!info->ranges || (ndom && (!info->domains || !info->doms)) ||
	    (ngrp && !info->groups) || nr < 0) {
		mdom_info_free(info);
		return NULL;
	}

	info->pgsize_bitmap = mdom_pgsize_bitmap(c, NULL);
	info->enforce_cc = true;
	list_for_each_entry(d, &c->domains, next) {
		info->enforce_cc &= d->enforce_cc;
		refcount_inc(&d->users);
		info->doms[i] = d;
		info->nr_domains = i + 1;
		mdom_info_fill_domain(d, &info->domains[i++]);
		list_for_each_entry(g, &d->groups, next) {
			info->groups[j].group_id =
				iommu_group_id(g->iommu_group);
			info->groups[j++].domain_id = d->id;
		}
	}
	list_for_each_entry(g, &c->emulated_groups, next) {
		info->groups[j].group_id = iommu_group_id(g->iommu_group);
		info->groups[j++].domain_id = 0;
		info->nr_emulated++;
	}
	info->nr_groups = ngrp;
	return info;
}

/*
 * Make @info (from mdom_info_build(), for the domains as they are now) the
 * current snapshot. The caller holds domains_rwsem for writing.
 */
void mdom_info_publish(struct mdom_container *c, struct mdom_info *info)
{
	struct mdom_info *old;

	old = rcu_replace_pointer(c->info, info,
				  lockdep_is_held(&c->domains_rwsem));
	mdom_events_info_changed(c, old, info);
	if (old)
		mdom_info_put(old);
}

/*
 * Build and publish a new snapshot of @c's domains. The caller holds
 * domains_rwsem for writing. -ENOMEM leaves the old one in place.
 */
int mdom_info_update(struct mdom_container *c, gfp_t gfp)
{
	struct mdom_info *info;

	info = mdom_info_build(c, gfp);
	if (!info)
		return -ENOMEM;
	mdom_info_publish(c, info);
	return 0;
}
