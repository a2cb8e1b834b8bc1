// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom invariant checker, off unless the module parameter
 * check_invariants is set (make check sets it).
 *
 * After every map, unmap, VADDR update, dirty tracking ioctl, attach and
 * detach that VFIO sends (main.c), the container is checked against what
 * its tree of mappings says:
 *
 *  - every domain translates each live mapping it holds (every mapping,
 *    but in windows mode: those its aperture holds, windows.c) to the
 *    physical addresses
 *    of its pinned runs (no less): every page of a small mapping; for a
 *    large one the first and last page of its runs (at most
 *    MDOM_CHECK_RUNS of them, evenly spread) and MDOM_CHECK_SAMPLES pages
 *    at random;
 *  - and nothing else (no more): the page before and the page after each
 *    mapping, and the first and last page of every hole in the range the
 *    operation worked on, are not translated unless a mapping the domain
 *    holds has them or a reserved region (an MSI window) of the domain's
 *    groups does; nor the first and last page of a mapping it does not
 *    hold (windows mode);
 *  - each domain's mapped_bytes (the bytes of the mappings it holds: all
 *    of them but in windows mode), the container's mapped_bytes and its
 *    number of mappings agree with the tree;
 *  - pinned_pages is what the tree holds (each mapping's pinned pages,
 *    once whatever the domains) plus the pages emulated devices hold of
 *    mappings that are not pinned themselves; with a domain, every
 *    mapping is pinned;
 *  - dirty tracking: a bitmap for every mapping while it runs, none
 *    after; no domain tracks while it is off, every domain does in IOMMU
 *    mode;
 *  - the accounts of the mappings' mms, with the tree walk
 *    (mdom_check_accounts(): account.c's mdom_acct_verify()).
 *
 * A check holds domains_rwsem for writing (mdom_domains_lock()), so every
 * mapping is LIVE and the tree stands still while the IOMMU is asked
 * (iommu_iova_to_phys(), never under iova_lock), and iova_lock while the
 * counters are read (an emulated device unpins under iova_lock alone).
 *
 * So that a check stays cheap on a container of many mappings (TCG and
 * KASAN in make check), one check translates the mappings around the
 * operation's range and MDOM_CHECK_DMAS more from a cursor that moves on
 * from check to check, and walks the whole tree for the counters only
 * every (mappings / MDOM_CHECK_WALK)th check: every mapping is covered
 * in turn, and with fewer than MDOM_CHECK_DMAS mappings every check is
 * complete.
 *
 * A violation is a WARN (the first of the module's life; the others are
 * logged as errors), so that make check fails on it. The KUnit suite
 * breaks a container on purpose and counts the violations quietly.
 * debugfs vfio_mdom/invariants shows how many checks ran and how many
 * violations they found.
 */
#include <linux/debugfs.h>
#include <linux/iommu.h>
#include <linux/lockdep.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/seq_file.h>
#include <linux/vfio_mdom.h>
#include <linux/xarray.h>

#include "pages.h"
#include "vfio_mdom.h"

/* Mappings translated per check, besides those around the operation. */
#define MDOM_CHECK_DMAS		8
/* A mapping of at most this many pages is translated page by page. */
#define MDOM_CHECK_SMALL	16
/* Runs of a large mapping whose first and last page are translated. */
#define MDOM_CHECK_RUNS		16
/* Random pages of a large mapping translated besides. */
#define MDOM_CHECK_SAMPLES	4
/* Mappings a check may walk for the counters, amortised. */
#define MDOM_CHECK_WALK		1024
/* Holes of the operation's range checked for no translation. */
#define MDOM_CHECK_HOLES	8

bool mdom_check_invariants;
module_param_named(check_invariants, mdom_check_invariants, bool, 0644);
MODULE_PARM_DESC(check_invariants,
		 "Check every container's domains, pins and counters after each operation, WARN on a violation (default N; slow, for testing).");

static atomic64_t mdom_check_runs = ATOMIC64_INIT(0);
static atomic64_t mdom_check_violations = ATOMIC64_INIT(0);
static atomic_t mdom_check_warned = ATOMIC_INIT(0);

/**
 * struct mdom_check - one check of one container
 * @c: the container
 * @quiet: count violations, report nothing (the KUnit suite)
 * @walked: the whole tree was walked (mdom_check_walk())
 * @violations: found so far
 */
struct mdom_check {
	struct mdom_container *c;
	bool quiet;
	bool walked;
	unsigned int violations;
};

static __printf(2, 3) void mdom_check_fail(struct mdom_check *chk,
					   const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	chk->violations++;
	if (chk->quiet)
		return;
	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	if (!atomic_xchg(&mdom_check_warned, 1))
		WARN(1, "vfio-mdom: container %u: invariant violated: %pV",
		     chk->c->id, &vaf);
	else
		pr_err_ratelimited("vfio-mdom: container %u: invariant violated: %pV",
				   chk->c->id, &vaf);
	va_end(args);
}

/* @iova of @d should translate to @want, 0 for not at all. */
static void mdom_check_xlate(struct mdom_check *chk, struct mdom_domain *d,
			     u64 iova, phys_addr_t want)
{
	phys_addr_t got = iommu_iova_to_phys(d->domain, iova);

	if (got != want)
		mdom_check_fail(chk, "domain %u iova %#llx translates to %pa, expected %pa\n",
				d->id, iova, &got, &want);
}

/* Is @iova in a reserved region of one of @d's groups? */
static bool mdom_check_resv(struct mdom_domain *d, u64 iova)
{
	struct mdom_group *g;
	unsigned int i;

	list_for_each_entry(g, &d->groups, next)
		for (i = 0; i < g->nresv; i++)
			if (iova >= g->resv[i].first && iova <= g->resv[i].last)
				return true;
	return false;
}

/* @iova must not be translated by @d, unless a mapping holds it. */
static void mdom_check_unmapped(struct mdom_check *chk, struct mdom_domain *d,
				u64 iova)
{
	const struct iommu_domain_geometry *geo = &d->domain->geometry;
	struct mdom_dma *dma;

	iova &= PAGE_MASK;
	if (iova < geo->aperture_start || iova > geo->aperture_end)
		return;
	dma = mdom_dma_first(&chk->c->dmas, iova, iova);
	if ((dma && mdom_domain_holds_dma(d, dma)) || mdom_check_resv(d, iova))
		return;
	mdom_check_xlate(chk, d, iova, 0);
}

static void mdom_check_page(struct mdom_check *chk, struct mdom_domain *d,
			    struct mdom_dma *dma, unsigned long index)
{
	u64 off = (u64)index << PAGE_SHIFT;

	mdom_check_xlate(chk, d, dma->iova + off,
			 mdom_pages_phys(&dma->pages, off));
}

/* @d translates @dma to its runs, and not the pages around it. */
static void mdom_check_dma_domain(struct mdom_check *chk,
				  struct mdom_domain *d, struct mdom_dma *dma)
{
	struct mdom_pages *pages = &dma->pages;
	unsigned long index = 0, i, step;
	unsigned int r, nr = mdom_pages_nruns(pages);

	if (pages->npages <= MDOM_CHECK_SMALL) {
		for (i = 0; i < pages->npages; i++)
			mdom_check_page(chk, d, dma, i);
	} else {
		step = DIV_ROUND_UP(nr, MDOM_CHECK_RUNS);
		for (r = 0; r < nr; r++) {
			struct mdom_run run = mdom_pages_run(pages, r);

			if (r % step == 0 || r == nr - 1) {
				mdom_check_xlate(chk, d, dma->iova +
						 ((u64)index << PAGE_SHIFT),
						 PFN_PHYS(run.pfn));
				mdom_check_xlate(chk, d, dma->iova +
						 ((u64)(index + run.npages - 1) <<
						  PAGE_SHIFT),
						 PFN_PHYS(run.pfn + run.npages - 1));
			}
			index += run.npages;
		}
		for (i = 0; i < MDOM_CHECK_SAMPLES; i++)
			mdom_check_page(chk, d, dma,
					get_random_u32_below(pages->npages));
	}
	if (dma->iova)
		mdom_check_unmapped(chk, d, dma->iova - 1);
	if (mdom_dma_last(dma) != U64_MAX)
		mdom_check_unmapped(chk, d, mdom_dma_last(dma) + 1);
}

/* The pages of @dma are what every domain translates. */
static void mdom_check_dma(struct mdom_check *chk, struct mdom_dma *dma)
{
	struct mdom_pages *pages = &dma->pages;
	unsigned long npages = 0;
	struct mdom_domain *d;
	unsigned int r;

	if (dma->state != MDOM_DMA_LIVE)
		mdom_check_fail(chk,
				"mapping %#llx-%#llx is in state %u with domains_rwsem written\n",
				dma->iova, mdom_dma_last(dma), dma->state);
	if (list_empty(&chk->c->domains))
		return;
	if (!pages->pinned) {
		mdom_check_fail(chk,
				"mapping %#llx-%#llx is not pinned but the container has domains\n",
				dma->iova, mdom_dma_last(dma));
		return;
	}
	for (r = 0; r < mdom_pages_nruns(pages); r++)
		npages += mdom_pages_run(pages, r).npages;
	if (npages != pages->npages ||
	    mdom_dma_size(dma) != (u64)pages->npages << PAGE_SHIFT) {
		mdom_check_fail(chk, "mapping %#llx-%#llx: runs hold %lu pages, the mapping %lu\n",
				dma->iova, mdom_dma_last(dma), npages,
				(unsigned long)pages->npages);
		return;
	}
	list_for_each_entry(d, &chk->c->domains, next) {
		if (mdom_domain_holds_dma(d, dma)) {
			mdom_check_dma_domain(chk, d, dma);
			continue;
		}
		/* Windows mode: a domain that does not hold it has none of it. */
		mdom_check_unmapped(chk, d, dma->iova);
		mdom_check_unmapped(chk, d, mdom_dma_last(dma));
	}
}

/*
 * The operation worked on [@first, @last]: what it holds is translated,
 * its holes are not (their first and last pages).
 */
static void mdom_check_range(struct mdom_check *chk, u64 first, u64 last)
{
	struct mdom_container *c = chk->c;
	unsigned int n = 0, holes = 0;
	struct mdom_dma *dma;
	struct mdom_domain *d;
	u64 at = first;

	for (dma = mdom_dma_first(&c->dmas, first, last); dma;
	     dma = mdom_dma_next(dma, first, last)) {
		if (dma->iova > at && holes++ < MDOM_CHECK_HOLES)
			list_for_each_entry(d, &c->domains, next) {
				mdom_check_unmapped(chk, d, at);
				mdom_check_unmapped(chk, d, dma->iova - 1);
			}
		if (n++ < MDOM_CHECK_DMAS)
			mdom_check_dma(chk, dma);
		if (mdom_dma_last(dma) >= last ||
		    (n >= MDOM_CHECK_DMAS && holes >= MDOM_CHECK_HOLES))
			return;
		at = mdom_dma_last(dma) + 1;
	}
	if (holes < MDOM_CHECK_HOLES)
		list_for_each_entry(d, &c->domains, next) {
			mdom_check_unmapped(chk, d, at);
			mdom_check_unmapped(chk, d, last);
		}
}

/* MDOM_CHECK_DMAS mappings from the cursor on, wrapping around. */
static void mdom_check_cursor(struct mdom_check *chk)
{
	struct mdom_container *c = chk->c;
	struct mdom_dma *dma;
	unsigned int n;

	dma = mdom_dma_first(&c->dmas, c->check_next, U64_MAX);
	for (n = 0; n < MDOM_CHECK_DMAS && n < c->dmas.count; n++) {
		if (!dma)
			dma = mdom_dma_first(&c->dmas, 0, U64_MAX);
		mdom_check_dma(chk, dma);
		dma = mdom_dma_next(dma, 0, U64_MAX);
	}
	c->check_next = dma ? dma->iova : 0;
}

/* What emulated devices hold of @dma, and that it is consistent. */
static unsigned long mdom_check_epins(struct mdom_check *chk,
				      struct mdom_dma *dma)
{
	struct xarray *epins = mdom_dma_epins(chk->c, dma);
	unsigned long index, n = 0;
	void *entry;

	if (!epins)
		return 0;
	xa_for_each(epins, index, entry) {
		if (index >= dma->pages.npages)
			mdom_check_fail(chk,
					"mapping %#llx-%#llx: a device pins page %lu past its end\n",
					dma->iova, mdom_dma_last(dma), index);
		if (!xa_is_value(entry))
			n++;
		else if (!mdom_pages_npinned(&dma->pages))
			mdom_check_fail(chk,
					"mapping %#llx-%#llx: a device counts a pin of page %lu, which the mapping does not hold\n",
					dma->iova, mdom_dma_last(dma), index);
	}
	return n;
}

/*
 * Windows mode: each domain maps the bytes of the mappings it holds; a
 * walk of the tree per domain (the checker is for tests).
 */
static void mdom_check_held_bytes(struct mdom_check *chk)
{
	struct mdom_container *c = chk->c;
	struct mdom_domain *d;
	struct mdom_dma *dma;
	unsigned int n = 0;
	u64 held;
	s64 mapped;

	list_for_each_entry(d, &c->domains, next) {
		held = 0;
		for (dma = mdom_dma_first(&c->dmas, 0, U64_MAX); dma;
		     dma = mdom_dma_next(dma, 0, U64_MAX)) {
			if (mdom_domain_holds_dma(d, dma))
				held += mdom_dma_size(dma);
			if (!(++n % MDOM_CHECK_WALK))
				cond_resched();
		}
		mapped = atomic64_read(&d->mapped_bytes);
		if (mapped != held)
			mdom_check_fail(chk, "domain %u maps %lld bytes, its mappings %llu\n",
					d->id, mapped, held);
	}
}

/*
 * Every extra state belongs to the mapping of the tree starting at its
 * key: none outlives its mapping, for a new one at that IOVA to find.
 */
static void mdom_check_extras(struct mdom_check *chk)
{
	struct mdom_container *c = chk->c;
	struct mdom_dma_extra *extra;
	struct mdom_dma *dma;
	unsigned int n = 0;
	unsigned long key;
	u64 iova;

	lockdep_assert_held(&c->iova_lock);
	xa_for_each(&c->dma_extras, key, extra) {
		iova = (u64)key << PAGE_SHIFT;
		dma = mdom_dma_first(&c->dmas, iova, iova);
		if (!dma || dma->iova != iova)
			mdom_check_fail(chk, "extra state at %#llx, where no mapping starts\n",
					iova);
		if (!(++n % MDOM_CHECK_WALK))
			cond_resched();
	}
}

/* The whole tree against the counters; iova_lock is held. */
static void mdom_check_walk(struct mdom_check *chk)
{
	struct mdom_container *c = chk->c;
	u64 bytes = 0, pinned = 0;
	u32 nr = 0, invalid = 0;
	struct mdom_dma *dma;

	lockdep_assert_held(&c->iova_lock);
	for (dma = mdom_dma_first(&c->dmas, 0, U64_MAX); dma;
	     dma = mdom_dma_next(dma, 0, U64_MAX)) {
		nr++;
		bytes += mdom_dma_size(dma);
		invalid += dma->vaddr_invalid;
		pinned += mdom_pages_npinned(&dma->pages) +
			  mdom_check_epins(chk, dma);
		if (!mdom_dma_dirty(c, dma) != !c->dirty_tracking)
			mdom_check_fail(chk,
					"mapping %#llx-%#llx: dirty bitmap %s while tracking is %s\n",
					dma->iova, mdom_dma_last(dma),
					mdom_dma_dirty(c, dma) ? "present" : "missing",
					c->dirty_tracking ? "on" : "off");
		if (!(nr % MDOM_CHECK_WALK))
			cond_resched();
	}
	mdom_check_extras(chk);
	if (c->mode == VFIO_MDOM_MODE_WINDOWS)
		mdom_check_held_bytes(chk);
	if (nr != c->nr_mappings || bytes != c->mapped_bytes)
		mdom_check_fail(chk,
				"the tree holds %u mappings of %llu bytes, the counters say %u of %llu\n",
				nr, bytes, c->nr_mappings, c->mapped_bytes);
	if (invalid != c->nr_vaddr_invalid)
		mdom_check_fail(chk, "%u mappings have an invalid vaddr, the counter says %u\n",
				invalid, c->nr_vaddr_invalid);
	if (pinned != c->pinned_pages)
		mdom_check_fail(chk,
				"the tree and emulated devices hold %llu pinned pages, pinned_pages is %llu\n",
				pinned, c->pinned_pages);
}

/* The counters that need no walk, and the walk when it is its turn. */
static void mdom_check_counters(struct mdom_check *chk)
{
	struct mdom_container *c = chk->c;
	struct mdom_domain *d;
	s64 mapped;

	guard(mutex)(&c->iova_lock);
	if (c->nr_mappings != c->dmas.count)
		mdom_check_fail(chk, "%u mappings counted, %u in the tree\n",
				c->nr_mappings, c->dmas.count);
	list_for_each_entry(d, &c->domains, next) {
		mapped = atomic64_read(&d->mapped_bytes);
		/* Windows mode: against what it holds, in the walk */
		if (c->mode != VFIO_MDOM_MODE_WINDOWS &&
		    mapped != c->mapped_bytes)
			mdom_check_fail(chk, "domain %u maps %lld bytes, the container %llu\n",
					d->id, mapped, c->mapped_bytes);
		if (!c->dirty_tracking && d->dirty_on)
			mdom_check_fail(chk,
					"domain %u tracks dirty pages, the container does not\n",
					d->id);
		if (c->dirty_tracking && c->dirty_mode == VFIO_MDOM_DIRTY_IOMMU &&
		    !d->dirty_on)
			mdom_check_fail(chk, "domain %u does not track dirty pages in IOMMU mode\n",
					d->id);
	}
	if (++c->check_walks >= c->dmas.count / MDOM_CHECK_WALK) {
		c->check_walks = 0;
		mdom_check_walk(chk);
		chk->walked = true;
	}
}

static void mdom_check_acct_report(void *chk, const char *what,
				   unsigned long want, unsigned long got)
{
	mdom_check_fail(chk, "account: %s: %lu expected, %lu found\n", what,
			want, got);
}

/*
 * The accounts of the mms the container's mappings belong to (account.c
 * verifies its own): each charge is what its pinned mappings need (each
 * page, or each page frame once when the account is indexed), and
 * its index holds exactly their pages. Every account is walked whole, so
 * this runs with the tree walk, not after every operation.
 */
static void mdom_check_accounts(struct mdom_check *chk)
{
	struct mdom_acct *seen[4] = {};
	struct mdom_container *c = chk->c;
	unsigned int i, nseen = 0;
	struct mdom_dma *dma;

	lockdep_assert_held_write(&c->domains_rwsem);
	if (!chk->walked)
		return;
	guard(mutex)(&c->iova_lock);
	for (dma = mdom_dma_first(&c->dmas, 0, U64_MAX); dma;
	     dma = mdom_dma_next(dma, 0, U64_MAX)) {
		for (i = 0; i < nseen && seen[i] != dma->pages.mapper->acct; i++)
			;
		if (i < nseen)
			continue;
		if (nseen == ARRAY_SIZE(seen))
			break;
		seen[nseen++] = dma->pages.mapper->acct;
		/* mdom_check_fail() counts what it reports: count once */
		if (chk->quiet)
			chk->violations += mdom_acct_verify(dma->pages.mapper->acct,
							    NULL, NULL);
		else
			mdom_acct_verify(dma->pages.mapper->acct,
					 mdom_check_acct_report, chk);
	}
}

/**
 * mdom_check_container - check one container now
 * @c: the container
 * @first: first IOVA of the range the last operation worked on
 * @last: its last IOVA; @last < @first for none
 * @quiet: report nothing, only count (the KUnit suite)
 *
 * Returns the number of violations found.
 */
unsigned int mdom_check_container(struct mdom_container *c, u64 first,
				  u64 last, bool quiet)
{
	struct mdom_check chk = { .c = c, .quiet = quiet };

	guard(mdom_domains)(c);
	if (first <= last)
		mdom_check_range(&chk, first, last);
	mdom_check_cursor(&chk);
	mdom_check_counters(&chk);
	mdom_check_accounts(&chk);
	if (!quiet) {
		atomic64_inc(&mdom_check_runs);
		atomic64_add(chk.violations, &mdom_check_violations);
	}
	return chk.violations;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_check_container);

static int mdom_invariants_show(struct seq_file *s, void *unused)
{
	seq_printf(s, "enabled %d\nchecks %lld\nviolations %lld\n",
		   READ_ONCE(mdom_check_invariants),
		   atomic64_read(&mdom_check_runs),
		   atomic64_read(&mdom_check_violations));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mdom_invariants);

/* debugfs vfio_mdom/invariants, removed with its directory. */
void mdom_check_init(void)
{
	struct dentry *dir = debugfs_lookup("vfio_mdom", NULL);

	if (IS_ERR_OR_NULL(dir))
		return;
	debugfs_create_file("invariants", 0400, dir, NULL,
			    &mdom_invariants_fops);
	dput(dir);
}
