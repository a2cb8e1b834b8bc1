// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom IOVA windows: the container mode in which the valid IOVA
 * space is the union of the domains' windows rather than their
 * intersection (VFIO_MDOM_SET_MODE, VFIO_MDOM_MODE_WINDOWS).
 *
 *   IOVA  0          4G                                  2^39
 *         [ domain A )                                     32-bit IOMMU
 *                    [ domain B                         )  high-only IOMMU
 *         [ domain C                                    )  Intel
 *         [   valid IOVA space: A u B u C, minus reserved regions   )
 *
 * A domain's windows are its aperture minus every reserved region of the
 * container's groups (they apply to the whole container, as in type1: no
 * mapping ever meets one). Which domains map a mapping is not stored
 * anywhere: a mapping is in domain D iff D's aperture holds it whole
 * (mdom_domain_holds()), which is decided when it is mapped and cannot
 * change while both exist: a new reserved region is refused if a mapping
 * meets it, and apertures are constant. So the map, unmap, replay and
 * detach paths and the invariant checker derive the same answer from the
 * mapping's IOVA and the domain, and a mapping that no domain holds (made
 * with no domain, or left by a detach) is in none until one that holds it
 * is attached and replays it.
 *
 * The user may also declare windows (as iommufd's ALLOW_IOVAS): a mapping
 * must then lie whole in one of them, the valid space is cut to them, and
 * a group whose reserved regions meet one is not attached.
 *
 * The mode and the declared windows change only under domains_rwsem
 * written and while the container has no mapping; readers hold
 * domains_rwsem or read the published snapshot (info.c).
 */
#include <linux/lockdep.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>
#include <linux/vfio_mdom.h>

#include "vfio_mdom.h"

/* ---- range arithmetic (KUnit: tests/windows_kunit.c) ---------------------- */

static int mdom_iova_range_cmp(const void *a, const void *b)
{
	const struct mdom_iova_range *ra = a, *rb = b;

	if (ra->first != rb->first)
		return ra->first < rb->first ? -1 : 1;
	return 0;
}

/*
 * Sort @ranges (@nr entries, each first <= last) and merge the ones that
 * overlap or abut, in place. Returns the new count.
 */
VISIBLE_IF_KUNIT unsigned int
mdom_iova_ranges_union(struct mdom_iova_range *ranges, unsigned int nr)
{
	unsigned int i, out = 0;

	if (!nr)
		return 0;
	sort(ranges, nr, sizeof(*ranges), mdom_iova_range_cmp, NULL);
	for (i = 1; i < nr; i++) {
		struct mdom_iova_range *cur = &ranges[out];

		if (cur->last == U64_MAX || ranges[i].first <= cur->last + 1) {
			cur->last = max(cur->last, ranges[i].last);
			continue;
		}
		ranges[++out] = ranges[i];
	}
	return out + 1;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_iova_ranges_union);

/*
 * The intersection of the sorted, disjoint @a (@na entries) and @b (@nb)
 * into @out, which has room for @na + @nb entries (each range of the
 * result ends where a range of @a or of @b ends). Returns its count.
 */
VISIBLE_IF_KUNIT unsigned int
mdom_iova_ranges_intersect(const struct mdom_iova_range *a, unsigned int na,
			   const struct mdom_iova_range *b, unsigned int nb,
			   struct mdom_iova_range *out)
{
	unsigned int i = 0, j = 0, n = 0;

	while (i < na && j < nb) {
		u64 first = max(a[i].first, b[j].first);
		u64 last = min(a[i].last, b[j].last);

		if (first <= last) {
			out[n].first = first;
			out[n++].last = last;
		}
		if (a[i].last < b[j].last)
			i++;
		else
			j++;
	}
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_iova_ranges_intersect);

/*
 * Windows as a user declares them: each non-empty, starting and ending on
 * a page boundary (@pgmask: page size - 1), sorted and disjoint.
 */
VISIBLE_IF_KUNIT bool mdom_iova_ranges_valid(const struct mdom_iova_range *r,
					     unsigned int nr, u64 pgmask)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		if (r[i].first > r[i].last || (r[i].first & pgmask) ||
		    ((r[i].last + 1) & pgmask))
			return false;
		if (i && r[i].first <= r[i - 1].last)
			return false;
	}
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_iova_ranges_valid);

/* Does one of the sorted @ranges hold [@first, @last] whole? */
static bool mdom_iova_ranges_hold(const struct mdom_iova_range *ranges,
				  unsigned int nr, u64 first, u64 last)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (first >= ranges[i].first && last <= ranges[i].last)
			return true;
	return false;
}

/* Does [@first, @last] meet one of @ranges? */
static bool mdom_iova_ranges_meet(const struct mdom_iova_range *ranges,
				  unsigned int nr, u64 first, u64 last)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (first <= ranges[i].last && last >= ranges[i].first)
			return true;
	return false;
}

/* ---- which domains hold a mapping --------------------------------------- */

/**
 * mdom_domain_holds - is [@first, @last] mapped in @d, or to be?
 * @d: a domain of the container
 * @first: first IOVA
 * @last: last IOVA
 *
 * In type1 mode every mapping is in every domain. In windows mode it is in
 * the domains whose aperture holds it whole (no mapping meets a reserved
 * region). The caller holds domains_rwsem, which keeps the mode.
 */
bool mdom_domain_holds(const struct mdom_domain *d, u64 first, u64 last)
{
	const struct iommu_domain_geometry *geo = &d->domain->geometry;

	if (d->container->mode != VFIO_MDOM_MODE_WINDOWS)
		return true;
	return first >= geo->aperture_start && last <= geo->aperture_end;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_domain_holds);

/*
 * VFIO_IOMMU_MAP_DMA's check in windows mode, besides the valid ranges of
 * the snapshot: some domain must hold the mapping whole (with none, it is
 * only recorded), and a declared window too. -EINVAL if not.
 */
int mdom_windows_map_check(struct mdom_container *c, u64 first, u64 last)
{
	struct mdom_domain *d;

	lockdep_assert_held(&c->domains_rwsem);
	if (c->mode != VFIO_MDOM_MODE_WINDOWS)
		return 0;
	if (c->nr_declared &&
	    !mdom_iova_ranges_hold(c->declared, c->nr_declared, first, last))
		return -EINVAL;
	if (list_empty(&c->domains))
		return 0;
	list_for_each_entry(d, &c->domains, next)
		if (mdom_domain_holds(d, first, last))
			return 0;
	return -EINVAL;
}

/* ---- the valid IOVA ranges ------------------------------------------------ */

/*
 * A walk over every reserved region of a container's groups, domain by
 * domain and group by group, domains_rwsem held:
 *
 *	struct mdom_resv_pos pos = {};
 *
 *	while ((resv = mdom_resv_next(c, &pos)))
 */
struct mdom_resv_pos {
	struct mdom_domain *d;		/* NULL: not started */
	struct mdom_group *g;		/* NULL: d's first, from region 0 */
	unsigned int i;			/* g's next region */
};

static const struct mdom_iova_range *
mdom_resv_next(struct mdom_container *c, struct mdom_resv_pos *pos)
{
	lockdep_assert_held(&c->domains_rwsem);
	if (!pos->d)
		pos->d = list_first_entry(&c->domains, struct mdom_domain, next);
	for (; !list_entry_is_head(pos->d, &c->domains, next);
	     pos->d = list_next_entry(pos->d, next), pos->g = NULL) {
		if (!pos->g) {
			pos->g = list_first_entry(&pos->d->groups,
						  struct mdom_group, next);
			pos->i = 0;
		}
		for (; !list_entry_is_head(pos->g, &pos->d->groups, next);
		     pos->g = list_next_entry(pos->g, next), pos->i = 0)
			if (pos->i < pos->g->nresv)
				return &pos->g->resv[pos->i++];
	}
	return NULL;
}

/* Every reserved region of the container's groups. */
static unsigned int mdom_container_nresv(struct mdom_container *c)
{
	struct mdom_resv_pos pos = {};
	unsigned int n = 0;

	while (mdom_resv_next(c, &pos))
		n++;
	return n;
}

/* Remove every reserved region from @r (@nr, room for nr + nresv). */
static unsigned int mdom_container_subtract_resv(struct mdom_container *c,
						 struct mdom_iova_range *r,
						 unsigned int nr)
{
	const struct mdom_iova_range *resv;
	struct mdom_resv_pos pos = {};

	while ((resv = mdom_resv_next(c, &pos)))
		nr = mdom_iova_ranges_subtract(r, nr, resv);
	return nr;
}

/**
 * mdom_windows_ranges - the valid IOVA ranges in windows mode
 * @c: the container, domains_rwsem held
 * @gfp: allocation flags
 * @out: the ranges, sorted, in a kmalloc()ed array
 *
 * The union of the domains' apertures minus every reserved region, cut to
 * the declared windows if there are any; with no domain, the declared
 * windows, or [0, U64_MAX]. Returns their number (possibly 0) or -ENOMEM.
 */
int mdom_windows_ranges(struct mdom_container *c, gfp_t gfp,
			struct mdom_iova_range **out)
{
	unsigned int nr = 0, cap, ndom = 0;
	struct mdom_iova_range *r, *cut;
	struct mdom_domain *d;

	lockdep_assert_held(&c->domains_rwsem);
	list_for_each_entry(d, &c->domains, next)
		ndom++;
	cap = max(ndom, 1U) + mdom_container_nresv(c) + c->nr_declared;
	r = kcalloc(cap, sizeof(*r), gfp);
	cut = kcalloc(cap, sizeof(*cut), gfp);
	if (!r || !cut) {
		kfree(r);
		kfree(cut);
		return -ENOMEM;
	}

	if (!ndom) {
		r[0].first = 0;
		r[0].last = U64_MAX;
		nr = 1;
	}
	list_for_each_entry(d, &c->domains, next) {
		const struct iommu_domain_geometry *geo = &d->domain->geometry;

		if (geo->aperture_start > geo->aperture_end)
			continue;
		r[nr].first = geo->aperture_start;
		r[nr++].last = geo->aperture_end;
	}
	nr = mdom_iova_ranges_union(r, nr);
	nr = mdom_container_subtract_resv(c, r, nr);
	if (c->nr_declared) {
		nr = mdom_iova_ranges_intersect(r, nr, c->declared,
						c->nr_declared, cut);
		swap(r, cut);
	}
	kfree(cut);
	*out = r;
	return nr;
}

/* ---- what VFIO_MDOM_QUERY reports ----------------------------------------- */

/*
 * The windows of @c for the query: each domain's (its aperture minus the
 * reserved regions), then the declared ones (domain_id 0). Returns their
 * number in a kmalloc()ed *@out (NULL for none), or -ENOMEM.
 */
int mdom_windows_report(struct mdom_container *c, gfp_t gfp,
			struct vfio_mdom_window **out)
{
	unsigned int nresv = mdom_container_nresv(c), ndom = 0, n = 0, nr, i;
	struct vfio_mdom_window *win;
	struct mdom_iova_range *r;
	struct mdom_domain *d;

	lockdep_assert_held(&c->domains_rwsem);
	*out = NULL;
	list_for_each_entry(d, &c->domains, next)
		ndom++;
	if (!ndom && !c->nr_declared)
		return 0;
	win = kcalloc(ndom * (nresv + 1) + c->nr_declared, sizeof(*win), gfp);
	r = kcalloc(nresv + 1, sizeof(*r), gfp);
	if (!win || !r) {
		kfree(win);
		kfree(r);
		return -ENOMEM;
	}
	list_for_each_entry(d, &c->domains, next) {
		const struct iommu_domain_geometry *geo = &d->domain->geometry;

		r[0].first = geo->aperture_start;
		r[0].last = geo->aperture_end;
		nr = geo->aperture_start <= geo->aperture_end;
		nr = mdom_container_subtract_resv(c, r, nr);
		for (i = 0; i < nr; i++, n++) {
			win[n].first = r[i].first;
			win[n].last = r[i].last;
			win[n].domain_id = d->id;
		}
	}
	for (i = 0; i < c->nr_declared; i++, n++) {
		win[n].first = c->declared[i].first;
		win[n].last = c->declared[i].last;
	}
	kfree(r);
	*out = win;
	return n;
}

/* ---- attach --------------------------------------------------------------- */

/*
 * An attach must not cut a declared window: -EINVAL if one of @g's
 * reserved regions meets one.
 */
int mdom_windows_attach_check(struct mdom_container *c, struct mdom_group *g)
{
	unsigned int i;

	lockdep_assert_held_write(&c->domains_rwsem);
	for (i = 0; i < g->nresv; i++)
		if (mdom_iova_ranges_meet(c->declared, c->nr_declared,
					  g->resv[i].first, g->resv[i].last))
			return -EINVAL;
	return 0;
}

/* ---- VFIO_MDOM_SET_MODE --------------------------------------------------- */

/* Read and check the declared windows of @cmd: a kmalloc()ed array. */
static int mdom_windows_read(const struct vfio_mdom_set_mode *cmd,
			     struct mdom_iova_range **out)
{
	struct vfio_iova_range *uwin;
	struct mdom_iova_range *win;
	unsigned int i;

	*out = NULL;
	if (!cmd->num_windows)
		return 0;
	uwin = memdup_array_user(u64_to_user_ptr(cmd->windows),
				 cmd->num_windows, sizeof(*uwin));
	if (IS_ERR(uwin))
		return PTR_ERR(uwin);
	win = kcalloc(cmd->num_windows, sizeof(*win), GFP_KERNEL_ACCOUNT);
	if (!win) {
		kfree(uwin);
		return -ENOMEM;
	}
	for (i = 0; i < cmd->num_windows; i++) {
		win[i].first = uwin[i].start;
		win[i].last = uwin[i].end;
	}
	kfree(uwin);
	if (!mdom_iova_ranges_valid(win, cmd->num_windows, PAGE_SIZE - 1)) {
		kfree(win);
		return -EINVAL;
	}
	*out = win;
	return 0;
}

/* Does a reserved region of the container's groups meet a window of @win? */
static bool mdom_windows_meet_resv(struct mdom_container *c,
				   const struct mdom_iova_range *win,
				   unsigned int nr)
{
	const struct mdom_iova_range *resv;
	struct mdom_resv_pos pos = {};

	while ((resv = mdom_resv_next(c, &pos)))
		if (mdom_iova_ranges_meet(win, nr, resv->first, resv->last))
			return true;
	return false;
}

/*
 * Install @mode and the @nr windows @win (taken over), then publish the
 * snapshot of the new valid ranges: 0, or an error and nothing changed.
 */
static int mdom_windows_install(struct mdom_container *c, u32 mode,
				struct mdom_iova_range *win, unsigned int nr)
{
	struct mdom_iova_range *old_win = c->declared;
	unsigned int old_nr = c->nr_declared;
	u32 old_mode = c->mode;
	struct mdom_iova_range *ranges;
	struct mdom_info *info;
	int ret;

	lockdep_assert_held_write(&c->domains_rwsem);
	c->mode = mode;
	c->declared = win;
	c->nr_declared = nr;
	ret = mdom_iova_ranges(c, GFP_KERNEL, &ranges);
	if (ret >= 0) {
		kfree(ranges);
		/* type1: the domains must have some IOVA in common */
		if (!ret && mode == VFIO_MDOM_MODE_TYPE1 &&
		    !list_empty(&c->domains))
			ret = -EINVAL;
	}
	if (ret >= 0) {
		info = mdom_info_build(c, GFP_KERNEL_ACCOUNT);
		ret = info ? 0 : -ENOMEM;
	}
	if (ret < 0) {
		c->mode = old_mode;
		c->declared = old_win;
		c->nr_declared = old_nr;
		kfree(win);
		return ret;
	}
	mdom_info_publish(c, info);
	kfree(old_win);
	return 0;
}

/**
 * mdom_container_set_mode - VFIO_MDOM_SET_MODE
 * @c: the container
 * @cmd: the command, read from user space
 *
 * See &struct vfio_mdom_set_mode. Every check is made before anything
 * changes; the mode and windows change, and the new snapshot of the valid
 * ranges is published (an IOVA_RANGES event if they changed), under
 * domains_rwsem written while the container holds no mapping.
 */
int mdom_container_set_mode(struct mdom_container *c,
			    const struct vfio_mdom_set_mode *cmd)
{
	struct mdom_iova_range *win;
	int ret;

	if (cmd->flags)
		return -EINVAL;
	if (cmd->mode != VFIO_MDOM_MODE_TYPE1 &&
	    cmd->mode != VFIO_MDOM_MODE_WINDOWS)
		return -EINVAL;
	if (cmd->num_windows > VFIO_MDOM_MAX_WINDOWS ||
	    (cmd->mode == VFIO_MDOM_MODE_TYPE1 && cmd->num_windows))
		return -EINVAL;
	ret = mdom_windows_read(cmd, &win);
	if (ret)
		return ret;

	guard(mdom_domains)(c);
	scoped_guard(mutex, &c->iova_lock)
		if (c->dmas.count)
			ret = -EBUSY;
	if (!ret && mdom_windows_meet_resv(c, win, cmd->num_windows))
		ret = -EINVAL;
	if (ret) {
		kfree(win);
		return ret;
	}
	return mdom_windows_install(c, cmd->mode, win, cmd->num_windows);
}
EXPORT_SYMBOL_IF_KUNIT(mdom_container_set_mode);

/* The container goes: its declared windows with it. */
void mdom_windows_free(struct mdom_container *c)
{
	kfree(c->declared);
	c->declared = NULL;
	c->nr_declared = 0;
}
