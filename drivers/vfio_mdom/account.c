// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-mdom accounting: a pinned page is charged to its mm's locked_vm,
 * and counted against RLIMIT_MEMLOCK, once, however many vfio-mdom
 * containers of that mm pin it.
 *
 * type1 charges every page a container pins, so a process with two
 * containers mapping the same memory pays twice: a VMM with a vIOMMU gives
 * each device its own container and each charges all guest RAM again.
 * iommufd charges per IOAS. vfio-mdom keeps one account per mm instead.
 *
 * Every pinned mdom_pages is on its mm's account. While all of them belong
 * to one container (a VMM without vIOMMU: the common case) nothing is kept
 * per page: each mapping charges its pages, as type1 does. When a second
 * container pins pages of the same mm, the account starts an index: an
 * xarray from page frame number to the number of pinned mdom_pages holding
 * that page, built from every pinned mdom_pages at that moment (the pages
 * the first container held twice are uncharged once). From then on a page
 * is charged when its count goes from 0 to 1 and uncharged when it comes
 * back to 0: only what is really new counts against the limit. The index
 * goes when the account has no pinned pages left.
 *
 * Pins stay per mapping (a pin is cheap; the charge is the limit users
 * hit), and so does the unpin: only the charge is shared.
 *
 * Cost: nothing per page with one container. With several, one xarray
 * lookup and store per page pinned or unpinned, and about 9 bytes per
 * pinned 4 KiB page (a leaf node of 576 bytes holds 64 entries).
 *
 * Locking: mdom_accts_lock protects the hash of accounts and their
 * refcounts' last drop; mdom_acct::lock everything in an account. It is
 * taken before the mm's mmap_lock (to charge), with no mmap_lock held, and
 * may be taken with a container's iova_lock or domains_rwsem held; it is
 * never held while taking either.
 */
#include <linux/hashtable.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/xarray.h>
#include <kunit/visibility.h>

#include "pages.h"

#define MDOM_ACCT_HASH_BITS	6

/**
 * struct mdom_acct - the charges of one mm
 * @node: in mdom_accts
 * @mm: the mm, mmgrab()ed
 * @users: one per mdom_pages of this mm, pinned or not, and one per
 *	   container keeping it at hand (mdom_container::acct)
 * @lock: protects everything below
 * @pages: the pinned mdom_pages of this mm, through their
 *	   struct mdom_acct_link
 * @owner: while not @indexed, the container every pinned mdom_pages
 *	   belongs to; NULL when there is none
 * @indexed: @pfns is kept: pinned mdom_pages of two or more containers
 * @pfns: pfn -> xa_mk_value(number of pinned mdom_pages holding the page)
 * @charged: pages charged to @mm's locked_vm through this account
 */
struct mdom_acct {
	struct hlist_node node;
	struct mm_struct *mm;
	refcount_t users;
	struct mutex lock;	/* see above */
	struct list_head pages;
	const void *owner;
	bool indexed;
	struct xarray pfns;
	unsigned long charged;
};

static DEFINE_HASHTABLE(mdom_accts, MDOM_ACCT_HASH_BITS);
static DEFINE_MUTEX(mdom_accts_lock);

/* The account of @mm, referenced: created if needed. NULL on -ENOMEM. */
struct mdom_acct *mdom_acct_get(struct mm_struct *mm)
{
	struct mdom_acct *acct;

	guard(mutex)(&mdom_accts_lock);
	hash_for_each_possible(mdom_accts, acct, node, (unsigned long)mm) {
		if (acct->mm == mm) {
			refcount_inc(&acct->users);
			return acct;
		}
	}
	acct = kzalloc(sizeof(*acct), GFP_KERNEL_ACCOUNT);
	if (!acct)
		return NULL;
	mmgrab(mm);
	acct->mm = mm;
	refcount_set(&acct->users, 1);
	mutex_init(&acct->lock);
	INIT_LIST_HEAD(&acct->pages);
	xa_init(&acct->pfns);
	hash_add(mdom_accts, &acct->node, (unsigned long)mm);
	return acct;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_acct_get);

/* Another reference on an account someone holds one on. */
struct mdom_acct *mdom_acct_ref(struct mdom_acct *acct)
{
	refcount_inc(&acct->users);
	return acct;
}

struct mm_struct *mdom_acct_mm(const struct mdom_acct *acct)
{
	return acct->mm;
}

void mdom_acct_put(struct mdom_acct *acct)
{
	if (!refcount_dec_and_mutex_lock(&acct->users, &mdom_accts_lock))
		return;
	hash_del(&acct->node);
	mutex_unlock(&mdom_accts_lock);
	WARN_ON(!list_empty(&acct->pages) || acct->charged || acct->indexed);
	xa_destroy(&acct->pfns);
	mutex_destroy(&acct->lock);
	mmdrop(acct->mm);
	kfree(acct);
}
EXPORT_SYMBOL_IF_KUNIT(mdom_acct_put);

/* Charge @npages to the mm, against @task's limit unless @lock_cap. */
static int mdom_acct_lock_vm(struct mdom_acct *acct, unsigned long npages,
			     struct task_struct *task, bool lock_cap)
{
	int ret;

	if (!npages)
		return 0;
	ret = mmap_write_lock_killable(acct->mm);
	if (ret)
		return ret;
	ret = __account_locked_vm(acct->mm, npages, true, task, lock_cap);
	mmap_write_unlock(acct->mm);
	return ret;
}

/*
 * Give a charge back. Lowering locked_vm checks no limit, so unlike
 * account_locked_vm() this does not ask capable(CAP_IPC_LOCK) (an LSM
 * check, audited) on every unmap. The mm may have exited: mmgrab() keeps
 * its locked_vm to uncharge.
 */
static void mdom_acct_unlock_vm(struct mdom_acct *acct, unsigned long npages)
{
	if (!npages)
		return;
	mmap_write_lock(acct->mm);
	__account_locked_vm(acct->mm, npages, false, current, false);
	mmap_write_unlock(acct->mm);
}

/*
 * Add @delta (+1 or -1) to the count of every page of @pages, stopping
 * after @limit pages. *@edge counts the pages whose count went 0 -> 1
 * (adding) or 1 -> 0 (removing). Returns the number of pages done, fewer
 * than @limit only if the xarray could not allocate (adding).
 */
static unsigned long mdom_acct_count(struct mdom_acct *acct,
				     struct mdom_pages *pages, int delta,
				     unsigned long limit, unsigned long *edge)
{
	unsigned long done = 0, pfn, end, count;
	unsigned int i;
	void *entry;

	lockdep_assert_held(&acct->lock);
	*edge = 0;
	for (i = 0; i < pages->nruns && done < limit; i++) {
		pfn = pages->runs[i].pfn;
		end = pfn + pages->runs[i].npages;
		for (; pfn < end && done < limit; pfn++, done++) {
			entry = xa_load(&acct->pfns, pfn);
			count = entry ? xa_to_value(entry) : 0;
			if (delta < 0) {
				if (WARN_ON_ONCE(!count))
					continue;
				if (count == 1) {
					xa_erase(&acct->pfns, pfn);
					(*edge)++;
					continue;
				}
			}
			entry = xa_mk_value(count + delta);
			if (xa_is_err(xa_store(&acct->pfns, pfn, entry,
					       GFP_KERNEL_ACCOUNT)))
				return done;
			if (!count)
				(*edge)++;
		}
		if (!(i % 64))
			cond_resched();
	}
	return done;
}

/* Count @pages in the index; *@new: its pages no one else held. */
static int mdom_acct_index_add(struct mdom_acct *acct,
			       struct mdom_pages *pages, unsigned long *new)
{
	unsigned long done, gone;

	done = mdom_acct_count(acct, pages, 1, pages->npages, new);
	if (done == pages->npages)
		return 0;
	mdom_acct_count(acct, pages, -1, done, &gone);
	return -ENOMEM;
}

/*
 * A second container pins pages of this mm: index every pinned page, and
 * give back the charge of those the first container held twice. On
 * -ENOMEM the account is as it was.
 */
static int mdom_acct_index_all(struct mdom_acct *acct)
{
	struct mdom_acct_link *link, *failed = NULL;
	unsigned long distinct = 0, new, gone;
	int ret = 0;

	lockdep_assert_held(&acct->lock);
	list_for_each_entry(link, &acct->pages, node) {
		ret = mdom_acct_index_add(acct, link->pages, &new);
		if (ret) {
			failed = link;
			break;
		}
		distinct += new;
	}
	if (failed) {
		list_for_each_entry(link, &acct->pages, node) {
			if (link == failed)
				break;
			mdom_acct_count(acct, link->pages, -1,
					link->pages->npages, &gone);
		}
		return ret;
	}
	acct->indexed = true;
	acct->owner = NULL;
	mdom_acct_unlock_vm(acct, acct->charged - distinct);
	acct->charged = distinct;
	return 0;
}

/*
 * Early refusal, before pinning: can @pages, if all of it is new, still
 * be charged? Only a hint (the real check is mdom_acct_charge()'s), so a
 * map far past RLIMIT_MEMLOCK fails before it pins anything. With an
 * index, pages already charged may make it fit: no early answer then.
 */
int mdom_acct_precheck(struct mdom_pages *pages)
{
	struct mdom_acct *acct = pages->acct;
	unsigned long limit;
	bool all_new;

	if (pages->lock_cap)
		return 0;
	scoped_guard(mutex, &acct->lock)
		all_new = !acct->indexed &&
			  (!acct->owner || acct->owner == pages->owner);
	if (!all_new)
		return 0;
	limit = task_rlimit(pages->task, RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	if (READ_ONCE(acct->mm->locked_vm) + pages->npages > limit)
		return -ENOMEM;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_acct_precheck);

/*
 * Put @pages (pinned) on @acct through @link, charging @acct's mm for its
 * pages no other pinned mdom_pages of that mm holds, against @task's
 * RLIMIT_MEMLOCK unless @lock_cap. On error nothing changed.
 */
static int mdom_acct_add(struct mdom_acct *acct, struct mdom_pages *pages,
			 struct mdom_acct_link *link, struct task_struct *task,
			 bool lock_cap)
{
	unsigned long new, gone;
	int ret;

	mutex_lock(&acct->lock);
	if (!acct->indexed && acct->owner && acct->owner != pages->owner) {
		ret = mdom_acct_index_all(acct);
		if (ret)
			goto out_unlock;
	}
	if (acct->indexed) {
		ret = mdom_acct_index_add(acct, pages, &new);
		if (ret)
			goto out_unlock;
	} else {
		new = pages->npages;
	}
	ret = mdom_acct_lock_vm(acct, new, task, lock_cap);
	if (ret) {
		if (acct->indexed)
			mdom_acct_count(acct, pages, -1, pages->npages, &gone);
		goto out_unlock;
	}
	acct->charged += new;
	if (!acct->indexed)
		acct->owner = pages->owner;
	list_add_tail(&link->node, &acct->pages);
out_unlock:
	mutex_unlock(&acct->lock);
	return ret;
}

/* Take @pages (through @link) off @acct, giving back what only it held. */
static void mdom_acct_del(struct mdom_acct *acct, struct mdom_pages *pages,
			  struct mdom_acct_link *link)
{
	unsigned long gone;

	guard(mutex)(&acct->lock);
	list_del(&link->node);
	if (acct->indexed)
		mdom_acct_count(acct, pages, -1, pages->npages, &gone);
	else
		gone = pages->npages;
	if (!WARN_ON(gone > acct->charged)) {
		mdom_acct_unlock_vm(acct, gone);
		acct->charged -= gone;
	}
	if (list_empty(&acct->pages)) {
		WARN_ON(acct->charged || !xa_empty(&acct->pfns));
		acct->indexed = false;
		acct->owner = NULL;
	}
}

/*
 * @pages has just been pinned: charge its mm for the pages no other pinned
 * mdom_pages of the mm holds, against RLIMIT_MEMLOCK (-ENOMEM past it, or
 * if the index cannot grow; -EINTR if killed). On error nothing changed.
 */
int mdom_acct_charge(struct mdom_pages *pages)
{
	return mdom_acct_add(pages->acct, pages, &pages->link, pages->task,
			     pages->lock_cap);
}
EXPORT_SYMBOL_IF_KUNIT(mdom_acct_charge);

/* @pages is about to be unpinned: give back what only it held. */
void mdom_acct_uncharge(struct mdom_pages *pages)
{
	mdom_acct_del(pages->acct, pages, &pages->link);
}
EXPORT_SYMBOL_IF_KUNIT(mdom_acct_uncharge);

/*
 * Live update (VFIO_DMA_MAP_FLAG_VADDR from another process): the pinned
 * @pages are to be charged to @to (a referenced account, which @pages
 * takes over) against @task's limit instead of to their current mm, as
 * type1 moves a mapping's charge to its new owner. The new charge is
 * taken before the old one is given back: on error (-ENOMEM past the new
 * owner's limit, -EINTR) nothing changed and @to is still the caller's.
 */
int mdom_acct_move(struct mdom_pages *pages, struct mdom_acct *to,
		   struct task_struct *task, bool lock_cap)
{
	struct mdom_acct_link *tmp;
	int ret;

	/*
	 * @pages is on two lists for a moment: its own link is on the old
	 * account's, a temporary one (standing for @pages too) on @to's.
	 */
	tmp = kmalloc(sizeof(*tmp), GFP_KERNEL_ACCOUNT);
	if (!tmp)
		return -ENOMEM;
	tmp->pages = pages;
	ret = mdom_acct_add(to, pages, tmp, task, lock_cap);
	if (ret) {
		kfree(tmp);
		return ret;
	}
	mdom_acct_del(pages->acct, pages, &pages->link);
	scoped_guard(mutex, &to->lock)
		list_replace(&tmp->node, &pages->link.node);
	kfree(tmp);
	mdom_acct_put(pages->acct);
	pages->acct = to;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_acct_move);

/*
 * How many pages of the pinned @pages another pinned mdom_pages of the
 * same mm holds too (so their charge is shared): 0 unless the account is
 * indexed. Walks the pages: for the query and debugfs, not hot paths.
 */
unsigned long mdom_acct_shared(struct mdom_pages *pages)
{
	struct mdom_acct *acct = pages->acct;
	unsigned long shared = 0, pfn, end;
	unsigned int i;
	void *entry;

	guard(mutex)(&acct->lock);
	if (!acct->indexed)
		return 0;
	for (i = 0; i < pages->nruns; i++) {
		pfn = pages->runs[i].pfn;
		end = pfn + pages->runs[i].npages;
		for (; pfn < end; pfn++) {
			entry = xa_load(&acct->pfns, pfn);
			if (entry && xa_to_value(entry) > 1)
				shared++;
		}
	}
	return shared;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_acct_shared);

/* Pages charged through the account of @pages' mm (for tests). */
unsigned long mdom_acct_charged(struct mdom_pages *pages)
{
	guard(mutex)(&pages->acct->lock);
	return pages->acct->charged;
}
EXPORT_SYMBOL_IF_KUNIT(mdom_acct_charged);
